// Archives opened from the person's own machine, in headless Chromium: an
// OCI archive and a docker save archive of e2e/hello:v1 (written by skopeo
// from the registry harness in tests/browser/page.rs) chosen with "Open a
// file…" or dropped on the page are read in place — the same tree as the
// registry's, verified, a file's content shown — with no request to the
// proxy or anywhere else; a link to such a view says the file is needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { settled, useBrowser } from './support.mjs';

const { SERVER, REGISTRY, OCI_ARCHIVE, DOCKER_ARCHIVE, OCI_LAYOUT } = process.env;
assert.ok(SERVER && REGISTRY && OCI_ARCHIVE && DOCKER_ARCHIVE && OCI_LAYOUT, 'SERVER, REGISTRY, OCI_ARCHIVE, DOCKER_ARCHIVE and OCI_LAYOUT must be set (run tests/browser/page.rs)');

const open = useBrowser();

/// The tree's paths, as the page lists them.
async function paths(page) {
  return page.$$eval('[role=treeitem]', (rows) => rows.map((r) => r.dataset.path));
}

/// Every request the page makes from now on (workers included), but the
/// page's own document and files.
function watch(context) {
  const seen = [];
  context.on('request', (r) => {
    const own = r.isNavigationRequest() || /\.(js|wasm|css)$/.test(new URL(r.url()).pathname);
    if (!own && r.url().startsWith('http')) seen.push(r.url());
  });
  return seen;
}

test('an OCI archive chosen with "Open a file…" is read in place: same tree, verified, no request', async (t) => {
  const { page, context, problems } = await open(t);
  await page.goto(`${SERVER}/?image=${REGISTRY}/e2e/hello:v1`);
  assert.equal(await settled(page), 'ready');
  const expected = await paths(page);
  await page.goto(`${SERVER}/`);
  await page.waitForSelector('#open-file', { state: 'attached' });
  const requests = watch(context);
  await page.setInputFiles('#open-file', OCI_ARCHIVE);
  assert.equal(await settled(page), 'ready', await page.textContent('#status'));
  assert.deepEqual(await paths(page), expected);
  assert.equal(await page.getAttribute('#verification', 'data-verified'), 'true');
  assert.match(page.url(), new RegExp(`[?&]file=${basename(OCI_ARCHIVE)}`));
  // A file's content, read from the archive by its byte range.
  await page.click('[role=treeitem][data-path="/etc/motd"]');
  await page.waitForSelector('#file-content[data-file-state="text"]');
  assert.match(await page.textContent('#file-content .code'), /welcome/);
  assert.deepEqual(requests, [], 'nothing left the browser');
  assert.deepEqual(problems, []);

  // The link cannot carry the file. In this browser the library holds the
  // image, and reopens it without the file; its files ask for the file.
  const link = page.url();
  await page.reload();
  assert.equal(await settled(page), 'ready', await page.textContent('#status'));
  assert.match(await page.textContent('#library-bar'), new RegExp(`file: ${basename(OCI_ARCHIVE)}`));
  assert.ok((await paths(page)).includes('/etc/hello'));
  await page.click('[role=treeitem][data-path="/etc/hello"]');
  await page.waitForSelector('#file-content[data-file-state="error"]');
  assert.match(await page.textContent('#file-content'), /again/);
  assert.deepEqual(requests, [], 'still nothing left the browser');
  // Elsewhere (no library holding it), the link says the file is needed.
  const other = await open(t);
  await other.page.goto(link);
  assert.equal(await settled(other.page), 'error');
  assert.match(await other.page.textContent('#status'), new RegExp(`${basename(OCI_ARCHIVE)}[\\s\\S]*Open`));
  assert.deepEqual(other.problems, []);
});

test('a docker save archive dropped on the page opens the same way', async (t) => {
  const { page, context, problems } = await open(t);
  await page.goto(`${SERVER}/`);
  await page.waitForSelector('#ref');
  const requests = watch(context);
  const bytes = readFileSync(DOCKER_ARCHIVE).toString('base64');
  const drop = await page.evaluateHandle(({ bytes, name }) => {
    const raw = Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([raw], name, { type: 'application/x-tar' }));
    return dt;
  }, { bytes, name: basename(DOCKER_ARCHIVE) });
  await page.dispatchEvent('main', 'dragover', { dataTransfer: drop });
  await page.dispatchEvent('main', 'drop', { dataTransfer: drop });
  assert.equal(await settled(page), 'ready', await page.textContent('#status'));
  assert.ok((await paths(page)).includes('/etc/motd'));
  assert.equal(await page.getAttribute('#verification', 'data-verified'), 'true');
  // skopeo writes the legacy layout: no manifest, layers known by diff_id.
  assert.match(await page.textContent('#status'), /legacy layout[\s\S]*diff_ids/);
  assert.deepEqual(requests, []);
  assert.deepEqual(problems, []);
});

test('a multi-platform OCI layout folder: each platform from the folder, no request', async (t) => {
  const { page, context, problems } = await open(t);
  await page.goto(`${SERVER}/`);
  await page.waitForSelector('#open-folder', { state: 'attached' });
  const requests = watch(context);
  await page.setInputFiles('#open-folder', OCI_LAYOUT);
  assert.equal(await settled(page), 'ready', await page.textContent('#status'));
  assert.match(page.url(), new RegExp(`[?&]file=${basename(OCI_LAYOUT)}`));
  assert.equal(await page.getAttribute('[data-platform="linux/amd64"]', 'aria-pressed'), 'true');
  await page.waitForSelector('[role=treeitem][data-path="/etc/amd64-only"]');
  await page.click('[data-platform="linux/arm64/v8"]');
  await page.waitForSelector('[role=treeitem][data-path="/etc/arm64-only"]');
  assert.equal(await settled(page), 'ready');
  assert.equal(await page.getAttribute('#verification', 'data-verified'), 'true');
  assert.deepEqual(requests, []);
  assert.deepEqual(problems, []);
});
