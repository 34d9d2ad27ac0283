#!/usr/bin/env bash
# Reopening a 25,000-entry image from the library, in headless Chromium,
# against baselines measured in the same run.
#
#   scripts/bench-library.sh
#
# Starts /usr/bin/docker-registry on 127.0.0.1 (storage in a temp dir) and
# pushes bench/lib:v1, one gzip layer of 25,000 tar entries (1,000
# directories of 24 small files, like a site-packages tree); builds the page
# with `trunk build --release` into target/bench-dist (dist/ is left alone)
# and serves it with `layerlens serve`. Then, in one browser context:
#   N  inspect the image from the registry (type the reference, Enter, until
#      body[data-state=ready]) — best of 3; this also records it in the
#      library;
#   R  on ?page=images, click the row's "open" until the page is ready with
#      tree rows drawn (timed inside the page, performance.now(), a
#      MutationObserver noticing the redraw) — best and median of 7;
#   I  a plain IndexedDB read of the same stored objects (manifest, config,
#      layer index) in one read-only transaction, bytes only, nothing
#      decoded — best and median of 7;
# and prints R, the ratio R/I (what decoding, verifying and building the
# tree costs on top of reading the bytes) and N/R.
# Needs: docker-registry, curl, gzip, python3, node 20+, /usr/bin/chromium,
# tests/e2e/node_modules (npm ci in tests/e2e), trunk, wasm-opt.
#
# Measured (2-core VM shared with other builds, release page, one
# 25,000-entry layer, 1.33 MB stored for the image), two runs:
#   R 69.4 / 78.2 ms (best / median), I 14.0 / 16.2 ms, R/I 4.8x, N 785 ms;
#   R 64.5 / 132.7 ms, I 10.9 / 22.0 ms, R/I 6.0x, N 1046 ms (busier machine);
#   R 58.8 / 87.9 ms, I 7.9 / 13.4 ms, R/I 6.6x, N 966 ms (after the merges);
#   R 61.5 / 84.4 ms, I 11.1 / 17.9 ms, R/I 4.7x, N 706 ms;
# no request during a reopen.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_apt docker-registry curl gzip chromium

source scripts/bench-image.sh
bench_begin
bench_start_registry "$work"

log "building a 25,000-entry layer"
python3 - "$work" <<'PY'
import io, os, random, sys, tarfile
work = sys.argv[1]
rng = random.Random(7)
with tarfile.open(os.path.join(work, "layer.tar"), "w", format=tarfile.PAX_FORMAT) as t:
    n = 0
    for d in range(1000):
        info = tarfile.TarInfo(f"usr/lib/python3/site-packages/pkg{d:04}")
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        info.mtime = 1_700_000_000
        t.addfile(info)
        n += 1
        for f in range(24):
            data = bytes(rng.choice(b"abcdefghij \n") for _ in range(rng.randint(100, 1500)))
            info = tarfile.TarInfo(f"usr/lib/python3/site-packages/pkg{d:04}/module_{f:02}.py")
            info.size = len(data)
            info.mtime = 1_700_000_000
            t.addfile(info, io.BytesIO(data))
            n += 1
print(n)
PY
entries=$(tar -tf "$work/layer.tar" | wc -l)
bench_push_layer "$work" bench/lib 2024-01-01T00:00:00Z

log "trunk build --release (into target/bench-dist)"
trunk build --release --dist target/bench-dist >"$work/trunk.log" 2>&1 || { cat "$work/trunk.log"; exit 1; }
# Serving speed does not matter here (the timed part makes no request).
cargo build --quiet --bin layerlens
bench_serve target/debug/layerlens target/bench-dist "$work"
ref="127.0.0.1:$port/bench/lib:v1"

log "headless Chromium"
SERVER="$server" REF="$ref" E2E="$PWD/tests/e2e" node --input-type=module <<'JS'
import { createRequire } from 'node:module';
const require = createRequire(`${process.env.E2E}/package.json`);
const { chromium } = require('playwright-core');
const { SERVER, REF } = process.env;
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
const proxied = [];
page.on('request', (r) => { if (r.url().includes('/proxy/')) proxied.push(r.url()); });

// The catalogue wait the library's browser tests use (tests/e2e/support.mjs).
const { libraryRecorded } = await import(`${process.env.E2E}/support.mjs`);

// N: from the registry (and recorded in the library).
const network = [];
for (let i = 0; i < 3; i++) {
  await page.goto(`${SERVER}/`);
  await page.waitForSelector('#ref');
  await page.fill('#ref', REF);
  const t0 = Date.now();
  await page.press('#ref', 'Enter');
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, { timeout: 300_000, polling: 20 });
  network.push(Date.now() - t0);
  if (await page.evaluate(() => document.body.dataset.state) !== 'ready') throw new Error(await page.textContent('#status'));
  // The library records the image after the tree shows; leaving the page
  // before IndexedDB committed would lose it (not timed).
  await libraryRecorded(page, REF.split('/').slice(1).join('/').split(':')[0]);
}

const reopen = [];
const idb = [];
let bytes = 0;
for (let i = 0; i < 7; i++) {
  await page.goto(`${SERVER}/?page=images`);
  await page.waitForSelector('#lib-table [data-lib-open]');
  const before = proxied.length;
  // R: click "open" → ready with tree rows drawn, timed in the page.
  reopen.push(await page.evaluate(() => new Promise((resolve) => {
    const done = () => document.body.dataset.state === 'ready' && document.querySelector('[role=treeitem]');
    const t0 = performance.now();
    const obs = new MutationObserver(() => {
      if (done()) { obs.disconnect(); resolve(performance.now() - t0); }
    });
    obs.observe(document.body, { attributes: true, childList: true, subtree: true });
    document.querySelector('#lib-table [data-lib-open]').click();
  })));
  if (proxied.length !== before) throw new Error(`reopen made requests: ${proxied.slice(before)}`);
  // I: the same objects read from IndexedDB, bytes only.
  const r = await page.evaluate(() => new Promise((resolve, reject) => {
    const t0 = performance.now();
    const open = indexedDB.open('layerlens');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const store = db.transaction('library').objectStore('library');
      const keys = store.getAllKeys();
      keys.onsuccess = () => {
        const wanted = keys.result.filter((k) => k.startsWith('blob/') || k.startsWith('layer/'));
        let left = wanted.length;
        let total = 0;
        for (const k of wanted) {
          const g = store.get(k);
          g.onsuccess = () => {
            total += g.result.byteLength;
            if (--left === 0) { const ms = performance.now() - t0; db.close(); resolve({ ms, total }); }
          };
        }
      };
    };
  }));
  idb.push(r.ms);
  bytes = r.total;
}
const rows = await page.locator('[role=treeitem]').count();
await browser.close();
const best = (a) => Math.min(...a);
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const f = (x) => x.toFixed(1);
console.log(JSON.stringify({ network, reopen: reopen.map((x) => +f(x)), idb: idb.map((x) => +f(x)), bytes, rows }));
console.log(`N  inspect from the registry (best of 3):          ${best(network)} ms`);
console.log(`R  reopen from the library, click → tree (best/median of 7): ${f(best(reopen))} / ${f(median(reopen))} ms`);
console.log(`I  IndexedDB read of the same ${(bytes / 1e6).toFixed(2)} MB (best/median of 7): ${f(best(idb))} / ${f(median(idb))} ms`);
console.log(`R/I (median) ${(median(reopen) / median(idb)).toFixed(1)}x   N/R (best) ${(best(network) / best(reopen)).toFixed(1)}x   requests during reopen: 0`);
JS
echo "entries in the layer: $entries (tar -t), compressed $gz_bytes bytes"
