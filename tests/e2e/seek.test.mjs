// Files of big gzip layers from seek checkpoints in the page
// (tests/browser/page.rs pushes e2e/seek:v1: 12 MiB of noise, then a small
// file): the scan records checkpoints; the small file then opens with one
// Range request from the last checkpoint, checked against its digest, and
// again after a reload from the library's reopen link.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, settled } from './support.mjs';

const { SERVER, REGISTRY } = process.env;
const open = useBrowser();
const IMAGE = `${REGISTRY}/e2e/seek:v1`;
const LAST = '/opt/last.txt';

/// The layer-blob requests the page makes: their Range header or 'whole'.
function layerRequests(page, digest) {
  const seen = [];
  page.on('request', (r) => {
    if (decodeURIComponent(r.url()).includes(`/blobs/${digest()}`)) seen.push(r.headers().range ?? 'whole');
  });
  return seen;
}

async function fileVerified(page) {
  await page.waitForSelector(`#file-content[data-path="${LAST}"] .file-status[data-verified=true]`, { timeout: 60_000 });
  assert.equal(await page.textContent('#file-content .code'), 'the last file, read from a checkpoint');
  assert.match(await page.textContent('#file-content .file-status'), /read by Range from a checkpoint/);
}

test('a file after 12 MiB of noise opens from a checkpoint, also after a reload', async (t) => {
  const { page, context, problems } = await open(t);
  let layer = '';
  const seen = layerRequests(page, () => layer);
  await page.goto(`${SERVER}/?image=${IMAGE}`);
  assert.equal(await settled(page), 'ready');
  layer = await page.evaluate(() => document.querySelector('#layers .digest')?.textContent ?? '');
  assert.match(layer, /^sha256:[0-9a-f]{64}$/);
  seen.length = 0;
  // The same image again with the file: its layer from the library, the
  // file by one Range request that starts past the noise.
  await page.goto(`${SERVER}/?image=${IMAGE}&path=${LAST}`);
  assert.equal(await settled(page), 'ready');
  await fileVerified(page);
  assert.equal(seen.length, 1, JSON.stringify(seen));
  // The checkpoint's inflating ran in a layer worker.
  assert.equal(await page.evaluate(() => document.body.dataset.fileRead), 'worker');
  const [, from] = seen[0].match(/^bytes=(\d+)-\d+$/) ?? [];
  assert.ok(Number(from) > 4 << 20, `the range starts past the noise: ${seen[0]}`);

  // The library's reopen link in a new page: the same, no full download.
  const manifest = (await page.textContent('#pull')).match(/@(sha256:[0-9a-f]{64})/)?.[1];
  assert.ok(manifest, 'the pinned pull command names the manifest');
  const again = await context.newPage();
  const seenAgain = layerRequests(again, () => layer);
  await again.goto(`${SERVER}/?open=${manifest}&path=${LAST}`);
  assert.equal(await settled(again), 'ready');
  await fileVerified(again);
  assert.ok(!seenAgain.includes('whole'), JSON.stringify(seenAgain));
  assert.deepEqual(problems, []);
});
