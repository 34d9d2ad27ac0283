#!/usr/bin/env bash
# Ten images opened in a row in one tab, in headless Chromium: does the page
# give back what each image took? (A load script that prints figures, not a
# timed test.)
#
#   scripts/bench-page-memory.sh            (IMAGES=10 LAYER_MB=8 by default)
#
# Starts /usr/bin/docker-registry on 127.0.0.1 and pushes IMAGES images
# (127.0.0.1:PORT/mem/appN:v1), each one gzip layer of about LAYER_MB MB of
# tar with different files, builds the page with `trunk build --release` (into
# target/bench-dist) and layerlens in release, serves them with `layerlens
# serve`, then in ONE browser tab types each reference in turn and waits for
# body[data-state=ready]. Before the first image (the baseline: the empty page)
# and after each one, with a forced garbage collection first, it prints:
#   - JS heap used and DOM nodes and JS event listeners (CDP
#     Performance.getMetrics: JSHeapUsedSize, Nodes, JSEventListeners)
#   - the Web Workers alive (playwright's page.workers(): a terminated worker
#     leaves the list)
#   - the blob: URLs alive (URL.createObjectURL / revokeObjectURL wrapped by
#     an init script)
#   - the main thread's wasm memory (a wasm memory never shrinks: its size is
#     its peak)
# Needs: docker-registry, curl, gzip, python3, node 20+, /usr/bin/chromium,
# tests/e2e/node_modules (npm ci in tests/e2e), trunk.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_apt docker-registry curl bc gzip chromium

IMAGES=${IMAGES:-10}
LAYER_MB=${LAYER_MB:-8}

source scripts/bench-image.sh
bench_begin
log "pushing $IMAGES images of one ~$LAYER_MB MB layer each"
for i in $(seq "$IMAGES"); do
  python3 - "$work/layer$i.tar" "$LAYER_MB" "$i" <<'PY'
import io, random, sys, tarfile
path, mb, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as t:
    total, n = 0, 0
    while total < mb * 1_000_000:
        data = bytes(rng.choice(b"abcdefghij klmnop\n") for _ in range(rng.randint(100, 40_000)))
        info = tarfile.TarInfo(f"srv/app{seed}/d{n // 200}/f{n}.txt")
        info.size, info.mtime = len(data), 1_700_000_000
        t.addfile(info, io.BytesIO(data))
        total += len(data)
        n += 1
PY
  bench_push_image "$work" "mem/app$i" 2024-01-01T00:00:00Z 6 "$work/layer$i.tar"
done

log "trunk build --release (into target/bench-dist)"
trunk build --release --dist target/bench-dist >"$work/trunk.log" 2>&1 || { cat "$work/trunk.log"; exit 1; }
log "building layerlens (release)"
cargo build --quiet --release --bin layerlens
bench_serve target/release/layerlens target/bench-dist "$work"

log "$IMAGES images in a row in one tab"
SERVER="$server" REG="127.0.0.1:$port" IMAGES="$IMAGES" E2E="$PWD/tests/e2e" node --input-type=module <<'JS'
import { createRequire } from 'node:module';
const require = createRequire(`${process.env.E2E}/package.json`);
const { chromium } = require('playwright-core');
const { CHROMIUM_ARGS } = await import(`${process.env.E2E}/support.mjs`);
const { SERVER, REG } = process.env;
const images = Number(process.env.IMAGES);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
await page.addInitScript(() => {
  window.__blobUrls = new Set();
  const create = URL.createObjectURL.bind(URL);
  const revoke = URL.revokeObjectURL.bind(URL);
  URL.createObjectURL = (o) => { const u = create(o); window.__blobUrls.add(u); return u; };
  URL.revokeObjectURL = (u) => { window.__blobUrls.delete(u); revoke(u); };
  window.__memories = [];
  for (const name of ['instantiate', 'instantiateStreaming']) {
    const original = WebAssembly[name];
    WebAssembly[name] = (...args) => original.apply(WebAssembly, args).then((r) => {
      const instance = r instanceof WebAssembly.Instance ? r : r.instance;
      const m = instance?.exports?.memory;
      if (m instanceof WebAssembly.Memory) window.__memories.push(m);
      return r;
    });
  }
});
const cdp = await context.newCDPSession(page);
await cdp.send('Performance.enable');
const MiB = (n) => (n / 1048576).toFixed(2);
async function measure(label) {
  // Let workers that were told to stop go, then collect twice.
  await page.waitForTimeout(500);
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.collectGarbage');
  const { metrics } = await cdp.send('Performance.getMetrics');
  const m = Object.fromEntries(metrics.map(({ name, value }) => [name, value]));
  const live = await page.evaluate(() => ({
    blobUrls: window.__blobUrls.size,
    wasm: window.__memories.reduce((a, mem) => a + mem.buffer.byteLength, 0),
  }));
  const row = { label, heap: m.JSHeapUsedSize, nodes: m.Nodes, listeners: m.JSEventListeners,
    workers: page.workers().length, ...live };
  console.log(`${label.padEnd(10)} JS heap ${MiB(row.heap).padStart(6)} MiB  nodes ${String(row.nodes).padStart(5)}  ` +
    `listeners ${String(row.listeners).padStart(4)}  workers ${row.workers}  blob URLs ${row.blobUrls}  ` +
    `wasm ${MiB(row.wasm)} MiB`);
  return row;
}
await page.goto(`${SERVER}/`);
await page.waitForSelector('#ref');
const rows = [await measure('baseline')];
for (let i = 1; i <= images; i++) {
  await page.fill('#ref', `${REG}/mem/app${i}:v1`);
  await page.press('#ref', 'Enter');
  await page.waitForFunction((n) => document.body.dataset.state === 'ready'
    && document.querySelector('#ref')?.value.includes(`/mem/app${n}:`), i, { timeout: 300_000, polling: 50 });
  const state = await page.evaluate(() => document.querySelector('#verification')?.dataset.verified);
  if (state !== 'true') throw new Error(`image ${i} did not verify (${state})`);
  rows.push(await measure(`image ${i}`));
}
const first = rows[1], last = rows[rows.length - 1];
console.log(`after image 1 -> after image ${images}: JS heap ${MiB(first.heap)} -> ${MiB(last.heap)} MiB ` +
  `(${((last.heap / first.heap - 1) * 100).toFixed(1)} %), nodes ${first.nodes} -> ${last.nodes}, ` +
  `listeners ${first.listeners} -> ${last.listeners}, workers ${first.workers} -> ${last.workers}, ` +
  `blob URLs ${first.blobUrls} -> ${last.blobUrls}`);
await browser.close();
JS
