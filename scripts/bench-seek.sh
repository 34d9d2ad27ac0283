#!/usr/bin/env bash
# Bytes transferred to open a file at the end of a big gzip layer, on the
# page, from the seek checkpoints its first scan recorded (issue 13).
#
#   scripts/bench-seek.sh [MB]      (default 320 MB of tar)
#
# Starts /usr/bin/docker-registry on 127.0.0.1, pushes one gzip layer of
# about MB megabytes of tar (its last file at its end), builds the page with
# `trunk build --release` (into target/bench-dist) and layerlens in release,
# starts `layerlens serve`, then in headless Chromium (its HTTP cache off),
# counting the layer-blob bytes the registry sent (its access log):
#   S  the image inspected: the whole blob streams once (the baseline)
#   F  the same image loaded again with the last file's path: the layer
#      from the library (not fetched), the file from a checkpoint
#   R  a new browser context with the same library, from its reopen link
#      (?open=MANIFEST&path=…):
#      the tree from the library, the file from a checkpoint
#   I  the size of the checkpoints the library stored (IndexedDB seek/…)
# and prints bytes and their share of the layer.
# Needs: docker-registry, curl, gzip, python3, node 20+, /usr/bin/chromium,
# tests/e2e/node_modules (npm ci in tests/e2e), trunk.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_apt docker-registry curl bc gzip chromium

export BENCH_ACCESS_LOG=1
source scripts/bench-image.sh
bench_begin
bench_registry_image "$work" "${1:-320}"
last=$(tar -tf "$work/layer.tar" | tail -1)

log "trunk build --release (into target/bench-dist)"
trunk build --release --dist target/bench-dist >"$work/trunk.log" 2>&1 || { cat "$work/trunk.log"; exit 1; }
log "building layerlens (release)"
cargo build --quiet --release --bin layerlens
bin=target/release/layerlens
ref="127.0.0.1:$port/bench/app:v1"
manifest=$(curl -sfI -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$base/v2/bench/app/manifests/v1" |
  tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest"{print $2}')

"$bin" serve --listen 127.0.0.1:0 --dist target/bench-dist --insecure-registry "127.0.0.1:$port" \
  >"$work/serve.out" 2>"$work/serve.log" &
srv_pid=$!
for _ in $(seq 100); do grep -q 'serving' "$work/serve.out" "$work/serve.log" 2>/dev/null && break; sleep 0.1; done
server=$(cat "$work/serve.out" "$work/serve.log" | sed -n 's|^layerlens: serving \(http://[^/]*\)/.*|\1|p' | head -1)
[ -n "$server" ] || { echo "layerlens serve did not start"; exit 1; }

log "the page in headless Chromium"
SERVER="$server" REF="$ref" MANIFEST="$manifest" BLOB="$blob" LAST="/$last" LOG="$work/registry.log" \
  E2E="$PWD/tests/e2e" node --input-type=module >"$work/seek.json" <<'JS'
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
const require = createRequire(`${process.env.E2E}/package.json`);
const { chromium } = require('playwright-core');
const { SERVER, REF, MANIFEST, BLOB, LAST, LOG } = process.env;

const lines = () => readFileSync(LOG, 'utf8').split('\n');
// Body bytes the registry sent for the layer blob since line `from` (its
// access log: `"GET /v2/…/blobs/DIGEST HTTP/1.1" 206 BYTES`).
const sent = (from) => lines().slice(from)
  .filter((l) => l.includes(`/blobs/${BLOB} `))
  .map((l) => Number((l.match(/" \d{3} (\d+) /) ?? [0, 0])[1]))
  .reduce((a, b) => a + b, 0);
const settle = () => new Promise((r) => setTimeout(r, 2000));
// The registry logs a request once its answer is sent or given up (a
// reader that stops at the file's end lets the rest go): wait for it.
const counted = async (from) => {
  for (let i = 0; i < 60 && sent(from) === 0; i++) await new Promise((r) => setTimeout(r, 500));
  await settle();
  return sent(from);
};
const verified = async (page) => {
  try {
    await page.waitForSelector(
      `#file-content[data-path="${LAST}"] .file-status[data-verified=true]`, { timeout: 120_000 });
  } catch (e) {
    const why = await page.evaluate(() => `${location.href} state=${document.body.dataset.state} ` +
      `file=${document.querySelector('#file-content')?.outerHTML?.slice(0, 600)} ` +
      `selected=${document.querySelector('[aria-selected=true]')?.textContent}`).catch(() => '?');
    console.error(`the file did not open verified: ${why}`);
    throw e;
  }
};

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
});
const context = await browser.newContext();
// The browser's HTTP cache off: every byte counted crossed the network
// (the library in IndexedDB is what should spare them).
const uncached = async (p) => {
  const cdp = await context.newCDPSession(p);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.clearBrowserCache');
  return p;
};
const page = await uncached(await context.newPage());
let mark = lines().length;
await page.goto(`${SERVER}/?image=${REF}`);
await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 300_000 });
// The library records the image after the scan (IndexedDB, asynchronous).
await new Promise((r) => setTimeout(r, 3000));
const scan = sent(mark);

// The same image again, with the file's path: its layer comes from the
// library ("already verified", not fetched), the file from a checkpoint.
mark = lines().length;
await page.goto(`${SERVER}/?image=${REF}&path=${LAST}`);
await verified(page);
const file = await counted(mark);
const status = await page.textContent('#file-content .file-status');

// A new browser context (no HTTP cache, no open connections) holding the
// same library: the reload of a person who comes back later.
const state = await context.storageState({ indexedDB: true });
await context.close();
const later = await browser.newContext({ storageState: state });
const fresh = await later.newPage();
mark = lines().length;
await fresh.goto(`${SERVER}/?open=${MANIFEST}&path=${LAST}`);
await verified(fresh);
const reopened = await counted(mark);
const reopenedStatus = await fresh.textContent('#file-content .file-status');
// The checkpoints the library stored for the layer (read once the page
// has its database: opening it first would make an empty one).
const index = await fresh.evaluate((blob) => new Promise((resolve) => {
  const open = indexedDB.open('layerlens');
  open.onsuccess = () => {
    try {
      const get = open.result.transaction('library').objectStore('library').get(`seek/${blob}`);
      get.onsuccess = () => resolve(get.result ? (get.result.byteLength ?? get.result.length ?? -1) : 0);
      get.onerror = () => resolve(-1);
    } catch (e) {
      resolve(-1);
    }
  };
  open.onerror = () => resolve(-1);
}), BLOB);
await browser.close();
console.log(JSON.stringify({ scan, file, reopened, index, status, reopenedStatus }));
JS

read -r scan file reopened index < <(python3 -c '
import json,sys; d=json.load(open(sys.argv[1])); print(d["scan"], d["file"], d["reopened"], d["index"])' "$work/seek.json")
status=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"])' "$work/seek.json")
reopened_status=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["reopenedStatus"])' "$work/seek.json")
printf '\nlayer: %.1f MB tar, %.1f MB gzip; last file %s\n' \
  "$(echo "$tar_bytes / 1000000" | bc -l)" "$(echo "$gz_bytes / 1000000" | bc -l)" "/$last"
printf 'F file status: %s\n' "$status"
printf 'R file status: %s\n' "$reopened_status"
printf '%-52s %14s %10s\n' "step" "bytes" "of layer"
row() { printf '%-52s %14d %9.3f%%\n' "$1" "$2" "$(echo "$2 * 100 / $gz_bytes" | bc -l)"; }
row "S  inspect (the whole blob streams, checkpoints kept)" "$scan"
row "F  the last file, the image loaded again" "$file"
row "R  the last file after a reload (library reopen link)" "$reopened"
[ "$reopened" -gt 0 ] || echo "   (R reached no registry: the browser answered the same Range itself; the page's own count is in its status above)"
row "I  checkpoints stored in the library" "$index"
printf 'ratio S/F: %.0fx fewer bytes for the file; F = %.2f MiB (aim <= 16 MiB)\n' \
  "$(echo "$scan / $file" | bc -l)" "$(echo "$file / 1048576" | bc -l)"
