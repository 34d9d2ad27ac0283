// Layers listed from their tables of contents in the page: a zstd:chunked
// layer made by skopeo (tests/browser/page.rs pushes e2e/chunked:v1) is
// listed from a Range request for its table, not downloaded; the
// verification panel says so and "Verify fully" downloads and verifies it;
// one of its files opens by Range; the "always verify fully" setting,
// remembered across a reload, skips the listing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, settled } from './support.mjs';

const { SERVER, REGISTRY } = process.env;
const open = useBrowser();
const IMAGE = `${REGISTRY}/e2e/chunked:v1`;

/// Every layer-blob request the page (workers included) makes: its Range
/// header, if any.
function blobRequests(page) {
  const seen = [];
  page.on('request', (r) => {
    const url = decodeURIComponent(r.url());
    if (/\/e2e\/chunked\/blobs\//.test(url) && r.resourceType() !== 'preflight') {
      seen.push(r.headers().range ?? 'whole');
    }
  });
  return seen;
}

test('a zstd:chunked layer is listed from its table, its file read by Range, then verified fully', async (t) => {
  const { page, problems } = await open(t);
  const blobs = blobRequests(page);
  await page.goto(`${SERVER}/?image=${IMAGE}&path=/etc/chunked`);
  assert.equal(await settled(page), 'ready');
  assert.equal(await page.getAttribute('#verification', 'data-verified'), 'listed');
  assert.match(await page.textContent('#verification .verdict'), /1 layer was listed from its table of contents/);
  assert.match(await page.textContent('#layers'), /listed from its table of contents \(blob not checked\)/);
  // The file opened by Range, checked against the table.
  await page.waitForSelector('#file-content .file-status[data-verified=true]', { timeout: 60_000 });
  assert.equal(await page.textContent('#file-content .code'), 'read by Range from a zstd:chunked layer');
  assert.match(await page.textContent('#file-content .file-status'), /read by Range/);
  // The config is not a layer blob; the layer was only ever asked for in
  // ranges: its table, then the file's pieces.
  const layerRequests = blobs.filter((r) => r !== 'whole');
  assert.ok(layerRequests.length >= 2, JSON.stringify(blobs));
  assert.ok(layerRequests.every((r) => /^bytes=\d+-\d+$/.test(r)), JSON.stringify(blobs));

  await page.click('#verify-fully');
  await page.waitForFunction(() => document.querySelector('#verification')?.dataset.verified === 'true', null, { timeout: 60_000 });
  assert.match(await page.textContent('#verification .verdict'), /every layer match their digests/);
  assert.ok(blobs.includes('whole'), 'verifying fully downloads the blob');
  assert.deepEqual(problems, []);
});

test('the always-verify-fully setting skips the listing and survives a reload', async (t) => {
  const { page, problems } = await open(t);
  await page.goto(`${SERVER}/`);
  await page.click('#settings summary');
  await page.check('#verify-fully-setting');
  await page.reload();
  await page.waitForSelector('#ref');
  assert.equal(await page.isChecked('#verify-fully-setting'), true);
  const blobs = blobRequests(page);
  await page.goto(`${SERVER}/?image=${IMAGE}`);
  assert.equal(await settled(page), 'ready');
  assert.equal(await page.getAttribute('#verification', 'data-verified'), 'true');
  assert.ok(!blobs.some((r) => r !== 'whole'), `no table of contents read: ${JSON.stringify(blobs)}`);
  assert.deepEqual(problems, []);
});
