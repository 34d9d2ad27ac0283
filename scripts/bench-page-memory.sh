#!/usr/bin/env bash
# Ten images opened in a row in one tab: does the page give its memory back?
#
#   scripts/bench-page-memory.sh        (IMAGES=10 by default)
#
# Starts /usr/bin/docker-registry on 127.0.0.1 (storage in a temp dir) and
# pushes ten images (bench/img0:v1 … bench/img9:v1; two gzip layers of
# ~2,000 small files each, no layer shared, so every image is fetched and
# scanned), builds the page with `trunk build --release` (into
# target/bench-dist) and layerlens in release, starts `layerlens serve`,
# then in one headless Chromium tab: the start page, then each image typed
# and submitted in turn, waited for (`body[data-state=ready]`), one of its
# files opened in the viewer and its Download pressed (a Blob and a blob:
# URL made); after each, garbage collected (CDP HeapProfiler.collectGarbage)
# and measured:
#   heap       JS heap used (CDP Runtime.getHeapUsage)
#   nodes      DOM nodes, listeners  JS event listeners (CDP Memory.getDOMCounters)
#   workers    live Web Workers (the layer pool, its helpers)
#   blob URLs  made by URL.createObjectURL and not revoked (an init script counts)
#   wasm       the page's wasm linear memory (it never shrinks; its size is the peak)
# then once more a minute later (a download's blob: URL is revoked a minute
# after its click), and prints a table and the ratios of image 10's figures
# to image 1's (the
# baseline: the first image has started the workers and grown the memory a
# page needs). A page that leaks grows with every image; one that does not
# stays near 1.0×.
# Needs: docker-registry, curl, gzip, python3, node 20+, /usr/bin/chromium,
# tests/e2e/node_modules (npm ci in tests/e2e), trunk.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_apt docker-registry curl gzip chromium

source scripts/bench-image.sh
bench_begin
bench_start_registry "$work"

IMAGES=${IMAGES:-10}
log "pushing $IMAGES images"
for i in $(seq 0 $((IMAGES - 1))); do
  python3 - "$work" "$i" <<'PY'
import io, random, sys, tarfile
work, i = sys.argv[1], int(sys.argv[2])
rng = random.Random(1000 + i)
for layer in (1, 2):
    with tarfile.open(f"{work}/img{i}-{layer}.tar", "w", format=tarfile.PAX_FORMAT) as t:
        def add(name, data=None, kind=tarfile.REGTYPE):
            info = tarfile.TarInfo(name)
            info.mtime = 1_700_000_000
            info.type = kind
            info.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
            info.size = len(data) if data is not None else 0
            t.addfile(info, io.BytesIO(data) if data is not None else None)
        root = f"app{i}/l{layer}"
        add(f"app{i}", kind=tarfile.DIRTYPE)
        add(root, kind=tarfile.DIRTYPE)
        for d in range(20):
            add(f"{root}/d{d:02}", kind=tarfile.DIRTYPE)
            for f in range(100):
                text = f"image {i} layer {layer} file {d}/{f} {rng.random()}\n" * rng.randint(1, 40)
                add(f"{root}/d{d:02}/f{f:03}.txt", text.encode())
PY
  bench_push_image "$work" "bench/img$i" "2024-01-0$((i % 9 + 1))T00:00:00Z" 6 \
    "$work/img$i-1.tar" "$work/img$i-2.tar"
done

log "trunk build --release (into target/bench-dist)"
trunk build --release --dist target/bench-dist >"$work/trunk.log" 2>&1 || { cat "$work/trunk.log"; exit 1; }
log "building layerlens (release)"
cargo build --quiet --release --bin layerlens
bench_serve target/release/layerlens target/bench-dist "$work"

log "$IMAGES images in one tab, headless Chromium"
SERVER="$server" REGISTRY="127.0.0.1:$port" IMAGES="$IMAGES" E2E="$PWD/tests/e2e" node --input-type=module <<'JS'
import { createRequire } from 'node:module';
const require = createRequire(`${process.env.E2E}/package.json`);
const { chromium } = require('playwright-core');
const { CHROMIUM_ARGS } = await import(`${process.env.E2E}/support.mjs`);
const { SERVER, REGISTRY } = process.env;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
const page = await context.newPage();
await page.addInitScript(() => {
  window.__blobUrls = new Set();
  const create = URL.createObjectURL;
  const revoke = URL.revokeObjectURL;
  URL.createObjectURL = (o) => { const u = create.call(URL, o); window.__blobUrls.add(u); return u; };
  URL.revokeObjectURL = (u) => { window.__blobUrls.delete(u); return revoke.call(URL, u); };
  window.__memories = [];
  for (const name of ['instantiate', 'instantiateStreaming']) {
    const original = WebAssembly[name];
    WebAssembly[name] = (...args) => original.apply(WebAssembly, args).then((r) => {
      const m = (r instanceof WebAssembly.Instance ? r : r.instance)?.exports?.memory;
      if (m instanceof WebAssembly.Memory) window.__memories.push(m);
      return r;
    });
  }
});
const cdp = await context.newCDPSession(page);
async function measure(label) {
  // Revoked URLs are let go after the page's own timer (a download's URL
  // lives a minute): what is measured is what stays.
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.collectGarbage');
  const heap = await cdp.send('Runtime.getHeapUsage');
  const dom = await cdp.send('Memory.getDOMCounters');
  const own = await page.evaluate(() => ({
    blobUrls: window.__blobUrls.size,
    wasm: window.__memories.reduce((a, m) => a + m.buffer.byteLength, 0),
  }));
  return { label, heap: heap.usedSize, nodes: dom.nodes, listeners: dom.jsEventListeners,
    workers: page.workers().length, ...own };
}
const rows = [];
await page.goto(`${SERVER}/`);
await page.waitForSelector('#ref');
rows.push(await measure('start page'));
for (let i = 0; i < Number(process.env.IMAGES); i++) {
  await page.fill('#ref', `${REGISTRY}/bench/img${i}:v1`);
  await page.press('#ref', 'Enter');
  await page.waitForFunction(() => document.body.dataset.state === 'loading' || document.body.dataset.state === 'ready');
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, { timeout: 120_000 });
  const state = await page.evaluate(() => document.body.dataset.state);
  if (state !== 'ready') throw new Error(`image ${i}: the page ended in ${state}`);
  // One file opened in the viewer (by a link followed in the page, as the
  // back button would), and downloaded (a Blob, a blob: URL).
  await page.evaluate((q) => {
    history.pushState(null, '', q);
    dispatchEvent(new PopStateEvent('popstate'));
  }, `?image=${REGISTRY}/bench/img${i}:v1&path=/app${i}/l2/d00/f000.txt`);
  await page.waitForSelector('#file-content[data-file-state="text"]', { timeout: 60_000 });
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-action="download"]')]);
  await download.path();
  rows.push(await measure(`image ${i + 1}`));
}
// A download's blob: URL is revoked a minute after its click (the browser
// must have begun reading it); measured again once that has passed.
await page.waitForTimeout(61_000);
rows.push(await measure('a minute later'));
const MB = (b) => (b / 1048576).toFixed(1);
console.log('\nafter             heap MB   DOM nodes   listeners   workers   blob URLs   wasm MB');
for (const r of rows) {
  console.log(`${r.label.padEnd(16)} ${MB(r.heap).padStart(8)} ${String(r.nodes).padStart(11)} ${String(r.listeners).padStart(11)} ${String(r.workers).padStart(9)} ${String(r.blobUrls).padStart(11)} ${MB(r.wasm).padStart(9)}`);
}
const [first, last] = [rows[1], rows[rows.length - 2]];
const ratio = (k) => (last[k] / Math.max(first[k], 1)).toFixed(2);
console.log(`\nimage ${rows.length - 2} / image 1: heap ${ratio('heap')}×, DOM nodes ${ratio('nodes')}×, listeners ${ratio('listeners')}×, workers ${last.workers} / ${first.workers}, blob URLs ${last.blobUrls} / ${first.blobUrls} (${rows[rows.length - 1].blobUrls} a minute later), wasm ${ratio('wasm')}×`);
await browser.close();
JS
