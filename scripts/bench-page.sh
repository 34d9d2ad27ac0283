#!/usr/bin/env bash
# The page on a ~200 MB layer, in headless Chromium, next to the native CLI.
#
#   scripts/bench-page.sh
#
# Starts /usr/bin/docker-registry on 127.0.0.1 (storage in a temp dir) and
# pushes an image with one ~200 MB (uncompressed) gzip layer (the generator of
# scripts/bench-registry.sh), builds the page with `trunk build --release`
# (into target/bench-dist, leaving dist/ alone) and layerlens in release, starts
# `layerlens serve --insecure-registry 127.0.0.1:PORT`, then, in the same run:
#   N  layerlens tree REF --format tsv      (natively, best of 3)
#   P  the page in headless Chromium: type REF, press Enter, wait for
#      body[data-state=ready] (best of 3, a fresh browser context each), with
#        - the peak wasm linear memory: WebAssembly.instantiate* wrapped by an
#          init script to keep the instance's exported memory; a wasm memory
#          never shrinks, so its buffer's byteLength at the end is the peak
#        - the longest main-thread task: a 'longtask' PerformanceObserver
#          installed by an init script (tasks over 50 ms are reported)
#        - the JS heap used (CDP Runtime.getHeapUsage) at the end
#        - the layer workers' wasm memory (src/web/worker/): each worker
#          imports the glue again and asks its init for the instance it
#          already has; `scanner` is <body data-scanner> (worker or main)
#   P1 the same with one worker per layer (`hardwareConcurrency` 1 by an init
#      script): the layer alone in one worker, the baseline of the two-worker
#      link (src/web/worker/helper.rs)
#   M  the same with `Worker` removed (the main-thread fallback)
# interleaved, and prints MB/s of tar for each and the ratios, plus the page payload:
# the wasm and JS files of the build, raw and `gzip -9`.
# Needs: docker-registry, curl, gzip, python3, node 20+, /usr/bin/chromium,
# tests/e2e/node_modules (npm ci in tests/e2e), trunk.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_apt docker-registry curl bc gzip chromium

source scripts/bench-image.sh
bench_begin
bench_registry_image "$work"

log "trunk build --release (into target/bench-dist)"
trunk build --release --dist target/bench-dist >"$work/trunk.log" 2>&1 || { cat "$work/trunk.log"; exit 1; }
log "building layerlens (release)"
cargo build --quiet --release --bin layerlens
bin=target/release/layerlens
ref="127.0.0.1:$port/bench/app:v1"

bench_serve "$bin" target/bench-dist "$work"

log "native: layerlens tree"
native=$(best "$bin tree $ref --format tsv")

log "the page in headless Chromium"
SERVER="$server" REF="$ref" E2E="$PWD/tests/e2e" node --input-type=module >"$work/page.json" <<'JS'
import { createRequire } from 'node:module';
const require = createRequire(`${process.env.E2E}/package.json`);
const { chromium } = require('playwright-core');
const { SERVER, REF } = process.env;
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const runs = [];
// Three rounds of: the layer workers (the layer over two of them), `Worker`
// removed (the page's main-thread fallback), and one worker only
// (`hardwareConcurrency` 1: the layer alone in one worker, the baseline of
// the two-worker link), interleaved.
const modes = ['linked', 'main', 'one'];
for (let i = 0; i < 9; i++) {
  const mode = modes[i % 3];
  const mainThread = mode === 'main';
  const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  if (mainThread) await page.addInitScript(() => { delete window.Worker; });
  if (mode === 'one') {
    await page.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => 1 });
    });
  }
  await page.addInitScript(() => {
    window.__memories = [];
    const keep = (r) => {
      const instance = r instanceof WebAssembly.Instance ? r : r.instance;
      const m = instance && instance.exports && instance.exports.memory;
      if (m instanceof WebAssembly.Memory) window.__memories.push(m);
      return r;
    };
    for (const name of ['instantiate', 'instantiateStreaming']) {
      const original = WebAssembly[name];
      WebAssembly[name] = (...args) => original.apply(WebAssembly, args).then(keep);
    }
    window.__longest = 0;
    window.__longtasks = 0;
    window.__tasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        window.__longest = Math.max(window.__longest, e.duration);
        window.__longtasks += 1;
        window.__tasks.push([Math.round(e.startTime), Math.round(e.duration)]);
      }
    }).observe({ type: 'longtask', buffered: true });
  });
  await page.goto(`${SERVER}/`);
  await page.waitForSelector('#ref');
  await page.fill('#ref', REF);
  const started = Date.now();
  const t0 = await page.evaluate(() => performance.now());
  await page.press('#ref', 'Enter');
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state),
    null, { timeout: 300_000, polling: 50 });
  const seconds = (Date.now() - started) / 1000;
  const state = await page.evaluate(() => document.body.dataset.state);
  if (state !== 'ready') throw new Error(`the page ended in ${state}: ${await page.textContent('#status')}`);
  const rows = await page.locator('[role=treeitem]').count();
  const m = await page.evaluate(() => ({
    wasm: window.__memories.reduce((a, mem) => a + mem.buffer.byteLength, 0),
    memories: window.__memories.length,
    longest: window.__longest,
    longtasks: window.__longtasks,
    tasks: window.__tasks,
    verified: document.querySelector('#verification')?.dataset.verified,
  }));
  const cdp = await context.newCDPSession(page);
  const heap = await cdp.send('Runtime.getHeapUsage');
  const glue = await page.evaluate(() => document.querySelector('link[rel=modulepreload][href$=".js"]')?.href);
  const workerWasm = [];
  for (const w of page.workers()) {
    workerWasm.push(await w.evaluate(
      async (u) => (await (await import(u)).default()).memory.buffer.byteLength, glue).catch(() => 0));
  }
  const scanner = await page.evaluate(() => document.body.dataset.scanner || 'main');
  m.tasks = m.tasks.map(([s, d]) => [Math.round(s - t0), d]);
  const linked = await page.evaluate(() => document.body.dataset.linked || '0');
  runs.push({ seconds, rows, ...m, jsHeapUsed: heap.usedSize, workerWasm, scanner, mode, linked });
  await context.close();
}
await browser.close();
console.log(JSON.stringify(runs));
JS

python3 - "$work/page.json" >"$work/main.txt" <<'PY'
import json, sys
runs = [r for r in json.load(open(sys.argv[1])) if r["scanner"] == "main"]
print(min(r["seconds"] for r in runs), max(r["longest"] for r in runs), max(r["longtasks"] for r in runs))
PY
read -r main_s main_longest main_longtasks <"$work/main.txt"
python3 - "$work/page.json" <<'PY' >&2
import json, sys
for r in json.load(open(sys.argv[1])):
    print(f'{r["mode"]:6} {r["seconds"]:6.2f} s (linked layers {r["linked"]}); long tasks [ms from submit, ms]: {r["tasks"]}')
PY
one_s=$(python3 -c 'import json,sys; print(min(r["seconds"] for r in json.load(open(sys.argv[1])) if r["mode"] == "one"))' "$work/page.json")
read -r page_s wasm_peak longest longtasks js_heap memories verified workers worker_wasm scanner < <(python3 - "$work/page.json" <<'PY'
import json, sys
runs = [r for r in json.load(open(sys.argv[1])) if r["mode"] == "linked"]
best = min(r["seconds"] for r in runs)
print(best, max(r["wasm"] for r in runs), max(r["longest"] for r in runs),
      max(r["longtasks"] for r in runs), max(r["jsHeapUsed"] for r in runs),
      runs[0]["memories"], ",".join(str(r["verified"]) for r in runs),
      max(len(r["workerWasm"]) for r in runs), max(max(r["workerWasm"] or [0]) for r in runs),
      ",".join(r["scanner"] for r in runs))
PY
)

mb=$(echo "$tar_bytes / 1000000" | bc -l)
printf '\nlayer: %.1f MB tar, %.1f MB gzip, %d files\n' "$mb" "$(echo "$gz_bytes / 1000000" | bc -l)" "$files"
printf '%-52s %8s %10s\n' "what" "seconds" "MB/s tar"
printf '%-52s %8.2f %10.0f\n' "N  layerlens tree --format tsv (native, best of 3)" "$native" "$(echo "$mb / $native" | bc -l)"
printf '%-52s %8.2f %10.0f\n' "P  the page, submit to ready (best of 3)" "$page_s" "$(echo "$mb / $page_s" | bc -l)"
printf '%-52s %8.2f %10.0f\n' "P1 the page, one worker per layer (best of 3)" "$one_s" "$(echo "$mb / $one_s" | bc -l)"
printf '%-52s %8.2f %10.0f\n' "M  the page without Worker (main thread, best of 3)" "$main_s" "$(echo "$mb / $main_s" | bc -l)"
printf 'two workers on the layer: %.2fx the speed of one (P1 / P)\n' "$(echo "$one_s / $page_s" | bc -l)"
printf 'ratio P vs N: %.2fx slower (%.2fx of native); M vs N: %.2fx slower\n' "$(echo "$page_s / $native" | bc -l)" "$(echo "$native / $page_s" | bc -l)" "$(echo "$main_s / $native" | bc -l)"
printf 'main-thread fallback: longest main-thread task %.0f ms (%s long tasks)\n' "$main_longest" "$main_longtasks"
printf 'page: peak wasm memory %.1f MiB (%s memory), longest main-thread task %.0f ms (%s long tasks), JS heap used %.1f MiB at ready, verified=%s\n' \
  "$(echo "$wasm_peak / 1048576" | bc -l)" "$memories" "$longest" "$longtasks" "$(echo "$js_heap / 1048576" | bc -l)" "$verified"
printf 'layers scanned by: %s; %s layer workers, the largest wasm memory of one %.1f MiB\n' \
  "$scanner" "$workers" "$(echo "$worker_wasm / 1048576" | bc -l)"
echo
echo "payload (target/bench-dist, trunk build --release):"
total_raw=0; total_gz=0
for f in target/bench-dist/*.wasm target/bench-dist/*.js; do
  raw=$(stat -c %s "$f"); gz=$(gzip -9 -c "$f" | wc -c)
  total_raw=$((total_raw + raw)); total_gz=$((total_gz + gz))
  printf '  %-40s %8.1f KB  gzip -9 %8.1f KB\n' "$(basename "$f")" "$(echo "$raw / 1000" | bc -l)" "$(echo "$gz / 1000" | bc -l)"
done
printf '  %-40s %8.1f KB  gzip -9 %8.1f KB\n' "wasm + JS" "$(echo "$total_raw / 1000" | bc -l)" "$(echo "$total_gz / 1000" | bc -l)"
