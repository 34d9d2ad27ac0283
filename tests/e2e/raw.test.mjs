// Raw documents in headless Chromium: the index, manifest and config
// pretty-printed as verified, every known digest a link. Run by
// tests/browser/page.rs (see the header of page.test.mjs for the environment).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { settled, useBrowser } from './support.mjs';

const { SERVER, REGISTRY } = process.env;
assert.ok(SERVER && REGISTRY, 'SERVER and REGISTRY must be set (run tests/browser/page.rs)');

const open = useBrowser();

async function load(page, query) {
  await page.goto(`${SERVER}/${query}`);
  return settled(page);
}

/// The registry's own bytes for a manifest (what the page verified).
async function manifestBytes(repo, ref) {
  const r = await fetch(`http://${REGISTRY}/v2/${repo}/manifests/${ref}`, {
    headers: { accept: 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json' },
  });
  assert.equal(r.status, 200);
  return Buffer.from(await r.arrayBuffer());
}

const sha256 = (b) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

test('raw documents are the verified bytes, pretty-printed, digests linked', async (t) => {
  const { page, problems } = await open(t);
  assert.equal(await load(page, `?image=${REGISTRY}/e2e/multi:v1`), 'ready');
  const index = await manifestBytes('e2e/multi', 'v1');
  assert.deepEqual(
    await page.$$eval('#raw details', (ds) => ds.map((d) => d.dataset.raw)),
    ['index', 'manifest', 'config'],
  );
  assert.match(await page.textContent('#raw-index summary'), new RegExp(sha256(index)));
  // The documents are a tab of the image view; its choice is in the link.
  await page.click('#tab-raw');
  await page.waitForFunction(() => /[?&]tab=raw/.test(location.search));
  await page.waitForSelector('#workbench', { state: 'hidden' });
  // The printed index means the same JSON as the registry's bytes.
  await page.click('#raw-index summary');
  const printed = await page.textContent('#raw-index pre');
  assert.deepEqual(JSON.parse(printed), JSON.parse(index.toString()));
  assert.ok(printed.split('\n').length > 5, 'laid out on several lines');

  // The other platform's digest switches platform (keeps the page).
  const arm = JSON.parse(index.toString()).manifests.find((m) => m.platform.architecture === 'arm64').digest;
  await page.click(`#raw-index [data-digest="${arm}"]`);
  await page.waitForFunction(() => /platform=linux\/arm64/.test(location.search) && document.body.dataset.state === 'ready');
  // The documents stay in view; the tree behind the files tab has switched.
  await page.waitForSelector('[role=treeitem][data-path="/etc/arm64-only"]', { state: 'attached' });
  assert.equal(await page.isVisible('#raw-manifest summary'), true);

  // In the manifest: the config digest opens the config document, the layer
  // digest selects the layer.
  await page.click('#raw-manifest summary');
  const manifest = JSON.parse(await page.textContent('#raw-manifest pre'));
  await page.click(`#raw-manifest [data-digest="${manifest.config.digest}"]`);
  await page.waitForFunction(() => document.querySelector('#raw-config').open);
  await page.click(`#raw-manifest [data-digest="${manifest.layers[0].digest}"]`);
  // A layer's digest selects it, in the files tab.
  await page.waitForSelector('[data-layer="0"][aria-pressed="true"]');
  assert.match(page.url(), /layer=0/);
  assert.doesNotMatch(page.url(), /tab=/);
  assert.deepEqual(problems, []);
});

test('hostile labels in a raw config stay text', async (t) => {
  // CSP bypassed on purpose: only the page's own rendering keeps these inert.
  const { page, problems } = await open(t, { bypassCSP: true });
  await page.addInitScript(() => { window.__xss = undefined; });
  assert.equal(await load(page, `?image=${REGISTRY}/e2e/xss:v1&tab=raw`), 'ready');
  await page.click('#raw-config summary');
  assert.match(await page.textContent('#raw-config pre'), /<img src=x onerror=window.__xss=2>/);
  assert.equal(await page.locator('#raw img, #raw b, #raw svg').count(), 0);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.deepEqual(problems, []);
});

test('a pinned link still shows the same image after the tag moves', async (t) => {
  const { page, problems } = await open(t);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: SERVER });
  assert.equal(await load(page, `?image=${REGISTRY}/e2e/pin:v1&path=/etc/one`), 'ready');
  await page.waitForSelector('[role=treeitem][aria-selected=true][data-path="/etc/one"]');
  await page.click('[data-copy="pinned"]');
  await page.waitForFunction(async () => /@sha256:/.test(await navigator.clipboard.readText()));
  const pinned = await page.evaluate(() => navigator.clipboard.readText());
  const manifest = await manifestBytes('e2e/pin', 'v1');
  const url = new URL(pinned);
  assert.equal(url.origin, SERVER);
  assert.equal(url.searchParams.get('image'), `${REGISTRY}/e2e/pin@${sha256(manifest)}`);
  assert.equal(url.searchParams.get('path'), '/etc/one');

  // Move the tag: v1 now names v2's manifest.
  const moved = await manifestBytes('e2e/pin', 'v2');
  const put = await fetch(`http://${REGISTRY}/v2/e2e/pin/manifests/v1`, {
    method: 'PUT', body: moved, headers: { 'content-type': JSON.parse(moved).mediaType },
  });
  assert.equal(put.status, 201, await put.text());

  // The pinned link opens the image that was seen, the tag the new one.
  assert.equal(await load(page, url.search), 'ready');
  await page.waitForSelector('[role=treeitem][aria-selected=true][data-path="/etc/one"]');
  assert.equal(await page.locator('[role=treeitem][data-path="/etc/two"]').count(), 0);
  assert.equal(await load(page, `?image=${REGISTRY}/e2e/pin:v1`), 'ready');
  await page.waitForSelector('[role=treeitem][data-path="/etc/two"]');
  assert.deepEqual(problems, []);
});
