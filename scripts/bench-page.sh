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
# and prints MB/s of tar for both and the ratio, plus the page payload:
# the wasm and JS files of the build, raw and `gzip -9`.
# Needs: docker-registry, curl, gzip, python3, node 20+, /usr/bin/chromium,
# tests/e2e/node_modules (npm ci in tests/e2e), trunk.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_apt docker-registry curl bc gzip chromium

work=$(mktemp -d)
reg_pid=""
srv_pid=""
trap 'kill $srv_pid $reg_pid 2>/dev/null || true; rm -rf "$work"' EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/config.yml" <<EOF
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $work/storage}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$port}
EOF
/usr/bin/docker-registry serve "$work/config.yml" >"$work/registry.log" 2>&1 &
reg_pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 50); do curl -sf "$base/v2/" >/dev/null && break; sleep 0.1; done

log "building a ~200 MB layer"
python3 - "$work" <<'PY'
import os, random, sys, tarfile, io
work = sys.argv[1]
rng = random.Random(42)
words = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))) for _ in range(4000)]
def text(n):
    out = bytearray()
    while len(out) < n:
        out += b" ".join(rng.choice(words) for _ in range(64)) + b"\n"
    return bytes(out[:n])
with tarfile.open(os.path.join(work, "layer.tar"), "w", format=tarfile.PAX_FORMAT) as t:
    total = 0
    i = 0
    while total < 200_000_000:
        if i % 500 == 499:
            size = 8_000_000
            data = rng.randbytes(size // 2) + text(size // 2)
        else:
            size = rng.randint(100, 20_000)
            data = text(size)
        info = tarfile.TarInfo(f"usr/share/bench/d{i // 1000}/f{i}.txt")
        info.size = len(data)
        info.mtime = 1_700_000_000
        t.addfile(info, io.BytesIO(data))
        total += len(data)
        i += 1
PY
gzip -6 -n -k "$work/layer.tar"
tar_bytes=$(stat -c %s "$work/layer.tar")
gz_bytes=$(stat -c %s "$work/layer.tar.gz")
files=$(tar -tf "$work/layer.tar" | wc -l)
diff_id="sha256:$(sha256sum "$work/layer.tar" | cut -d' ' -f1)"
blob="sha256:$(sha256sum "$work/layer.tar.gz" | cut -d' ' -f1)"

push_blob() { # file -> digest
  local digest="sha256:$(sha256sum "$1" | cut -d' ' -f1)"
  local loc
  loc=$(curl -sf -X POST -D - -o /dev/null "$base/v2/bench/app/blobs/uploads/" | tr -d '\r' | awk -F': ' 'tolower($1)=="location"{print $2}')
  case "$loc" in http*) ;; *) loc="$base$loc" ;; esac
  local sep='?'; [[ "$loc" == *\?* ]] && sep='&'
  curl -sf -X PUT -H 'Content-Type: application/octet-stream' --data-binary @"$1" "$loc${sep}digest=$digest" >/dev/null
  echo "$digest"
}
log "pushing"
push_blob "$work/layer.tar.gz" >/dev/null
printf '{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["%s"]},"history":[{"created_by":"bench"}]}' "$diff_id" > "$work/config.json"
config=$(push_blob "$work/config.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%d}]}' \
  "$config" "$(stat -c %s "$work/config.json")" "$blob" "$gz_bytes" > "$work/manifest.json"
curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary @"$work/manifest.json" "$base/v2/bench/app/manifests/v1" >/dev/null

log "trunk build --release (into target/bench-dist)"
trunk build --release --dist target/bench-dist >"$work/trunk.log" 2>&1 || { cat "$work/trunk.log"; exit 1; }
log "building layerlens (release)"
cargo build --quiet --release --bin layerlens
bin=target/release/layerlens
ref="127.0.0.1:$port/bench/app:v1"

"$bin" serve --listen 127.0.0.1:0 --dist target/bench-dist --insecure-registry "127.0.0.1:$port" \
  >"$work/serve.out" 2>/dev/null &
srv_pid=$!
for _ in $(seq 100); do grep -q 'serving' "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
server=$(sed -n 's|^layerlens: serving \(http://[^/]*\)/.*|\1|p' "$work/serve.out" | head -1)
[ -n "$server" ] || { echo "layerlens serve did not start"; exit 1; }

best() { # command... -> best wall seconds of 3
  local best=999999
  for _ in 1 2 3; do
    local s e t
    s=$(date +%s.%N)
    bash -c "$1" >/dev/null
    e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc -l)
    if (( $(echo "$t < $best" | bc -l) )); then best=$t; fi
  done
  echo "$best"
}
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
for (let i = 0; i < 3; i++) {
  const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
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
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        window.__longest = Math.max(window.__longest, e.duration);
        window.__longtasks += 1;
      }
    }).observe({ type: 'longtask', buffered: true });
  });
  await page.goto(`${SERVER}/`);
  await page.waitForSelector('#ref');
  await page.fill('#ref', REF);
  const started = Date.now();
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
    verified: document.querySelector('#verification')?.dataset.verified,
  }));
  const cdp = await context.newCDPSession(page);
  const heap = await cdp.send('Runtime.getHeapUsage');
  runs.push({ seconds, rows, ...m, jsHeapUsed: heap.usedSize });
  await context.close();
}
await browser.close();
console.log(JSON.stringify(runs));
JS

read -r page_s wasm_peak longest longtasks js_heap memories verified < <(python3 - "$work/page.json" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))
best = min(r["seconds"] for r in runs)
print(best, max(r["wasm"] for r in runs), max(r["longest"] for r in runs),
      max(r["longtasks"] for r in runs), max(r["jsHeapUsed"] for r in runs),
      runs[0]["memories"], ",".join(str(r["verified"]) for r in runs))
PY
)

mb=$(echo "$tar_bytes / 1000000" | bc -l)
printf '\nlayer: %.1f MB tar, %.1f MB gzip, %d files\n' "$mb" "$(echo "$gz_bytes / 1000000" | bc -l)" "$files"
printf '%-52s %8s %10s\n' "what" "seconds" "MB/s tar"
printf '%-52s %8.2f %10.0f\n' "N  layerlens tree --format tsv (native, best of 3)" "$native" "$(echo "$mb / $native" | bc -l)"
printf '%-52s %8.2f %10.0f\n' "P  the page, submit to ready (best of 3)" "$page_s" "$(echo "$mb / $page_s" | bc -l)"
printf 'ratio P vs N: %.2fx slower\n' "$(echo "$page_s / $native" | bc -l)"
printf 'page: peak wasm memory %.1f MiB (%s memory), longest main-thread task %.0f ms (%s long tasks), JS heap used %.1f MiB at ready, verified=%s\n' \
  "$(echo "$wasm_peak / 1048576" | bc -l)" "$memories" "$longest" "$longtasks" "$(echo "$js_heap / 1048576" | bc -l)" "$verified"
echo
echo "payload (target/bench-dist, trunk build --release):"
total_raw=0; total_gz=0
for f in target/bench-dist/*.wasm target/bench-dist/*.js; do
  raw=$(stat -c %s "$f"); gz=$(gzip -9 -c "$f" | wc -c)
  total_raw=$((total_raw + raw)); total_gz=$((total_gz + gz))
  printf '  %-40s %8.1f KB  gzip -9 %8.1f KB\n' "$(basename "$f")" "$(echo "$raw / 1000" | bc -l)" "$(echo "$gz / 1000" | bc -l)"
done
printf '  %-40s %8.1f KB  gzip -9 %8.1f KB\n' "wasm + JS" "$(echo "$total_raw / 1000" | bc -l)" "$(echo "$total_gz / 1000" | bc -l)"
