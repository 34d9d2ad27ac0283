// The file viewer in headless Chromium: text with line numbers, hex, image
// preview from a typed blob: URL, download (the 24 MiB file of e2e/big:v1
// compared by SHA-256), symbolic and hard links, hostile content.
// Run by tests/browser/page.rs (see the top of page.test.mjs for the env);
// also uses BIG_SHA256, the SHA-256 of e2e/big:v1's /data/blob.bin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { settled, useBrowser } from './support.mjs';

const { SERVER, REGISTRY, BIG_SHA256, SCREENSHOTS } = process.env;
const { TOKEN_REGISTRY, REGISTRY_USER, REGISTRY_PASSWORD } = process.env;
assert.ok(SERVER && REGISTRY && BIG_SHA256, 'SERVER, REGISTRY and BIG_SHA256 must be set (run tests/browser/page.rs)');

const open = useBrowser();

/// Opens a deep link to `path` in `image` and waits for the viewer to
/// leave `loading`; returns its state.
async function view(page, image, path) {
  await page.goto(`${SERVER}/?image=${REGISTRY}/${image}&path=${path}`);
  assert.equal(await settled(page), 'ready');
  return fileState(page, path);
}

async function fileState(page, path) {
  await page.waitForFunction(
    (p) => {
      const s = document.querySelector(`#file-content[data-path="${p}"]`)?.dataset.fileState;
      return s && s !== 'loading' && s !== 'none';
    },
    path,
    { timeout: 60_000 },
  );
  return page.getAttribute('#file-content', 'data-file-state');
}

async function verified(page) {
  await page.waitForSelector('#file-content .file-status[data-verified]', { timeout: 60_000 });
  return page.getAttribute('#file-content .file-status', 'data-verified');
}

test('a deep link shows the file as numbered text, then hex, and downloads it', async (t) => {
  const { page, problems } = await open(t);
  assert.equal(await view(page, 'e2e/hello:v1', '/etc/hello'), 'text');
  assert.equal(await page.textContent('#file-content .code'), 'hello from layerlens');
  assert.equal(await page.textContent('#file-content .gutter'), '1');
  assert.equal(await page.locator('#file[data-path="/etc/hello"]').count(), 1);
  assert.equal(await verified(page), 'true');
  // Read in a layer worker, not on the page's main thread.
  assert.equal(await page.evaluate(() => document.body.dataset.fileRead), 'worker');
  assert.equal(await page.getAttribute('[data-show=text]', 'aria-pressed'), 'true');
  if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, 'file-text.png'), fullPage: true });
  await page.click('[data-show=hex]');
  await page.waitForSelector('#file-content[data-file-state=hex]');
  const hex = await page.textContent('#file-content .hex');
  assert.ok(hex.startsWith('00000000  68 65 6c 6c 6f 20 66 72  6f 6d'), hex);
  assert.ok(hex.includes('|hello from layer|'), hex);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-action=download]')]);
  assert.equal(download.suggestedFilename(), 'hello');
  assert.equal((await readFile(await download.path())).toString('latin1'), 'hello from layerlens\n');
  assert.deepEqual(problems, []);
});

test('a binary file shows hex by default', async (t) => {
  const { page, problems } = await open(t);
  assert.equal(await view(page, 'e2e/files:v1', '/bin/blob.dat'), 'hex');
  const hex = await page.textContent('#file-content .hex');
  // bytes i * 37 mod 256
  assert.ok(hex.startsWith('00000000  00 25 4a 6f 94 b9 de 03  28 4d 72 97 bc e1 06 2b  |.%Jo....(Mr....+|'), hex);
  assert.equal(hex.split('\n').length, 64);
  if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, 'file-hex.png'), fullPage: true });
  assert.deepEqual(problems, []);
});

test('an image is previewed from a typed blob: URL; an SVG runs no script', async (t) => {
  const { page, problems } = await open(t);
  await page.addInitScript(() => { window.__xss = undefined; });
  assert.equal(await view(page, 'e2e/files:v1', '/img/dot.png'), 'image');
  const img = page.locator('#file-content .preview img');
  await page.waitForFunction(() => document.querySelector('#file-content .preview img')?.complete);
  assert.equal(await img.evaluate((i) => i.naturalWidth), 2);
  assert.match(await img.getAttribute('src'), /^blob:/);
  assert.equal(await img.getAttribute('data-mime'), 'image/png');
  if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, 'file-image.png'), fullPage: true });
  // Hex is still there for the same bytes.
  await page.click('[data-show=hex]');
  assert.ok((await page.textContent('#file-content .hex')).startsWith('00000000  89 50 4e 47 0d 0a 1a 0a'));

  await page.click('[role=treeitem][data-path="/img/evil.svg"]');
  assert.equal(await fileState(page, '/img/evil.svg'), 'image', 'each file opens as its kind suggests');
  await page.waitForFunction(() => document.querySelector('#file-content .preview img')?.complete);
  assert.equal(await page.locator('#file-content .preview img').evaluate((i) => i.naturalWidth), 8);
  assert.equal(await page.locator('svg').count(), 0, 'never inlined into the page');
  await page.waitForTimeout(200);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.deepEqual(problems, []);
});

test('a large file downloads whole under its name', async (t) => {
  const { page, problems } = await open(t);
  await page.goto(`${SERVER}/?image=${REGISTRY}/e2e/big:v1&path=/data/blob.bin`);
  assert.equal(await settled(page), 'ready');
  const t0 = Date.now();
  assert.equal(await fileState(page, '/data/blob.bin'), 'hex');
  const t1 = Date.now();
  assert.equal(await verified(page), 'true');
  const t2 = Date.now();
  assert.equal(await page.evaluate(() => document.body.dataset.fileRead), 'worker');
  // A figure, not an assertion: how long the second pass over the layer takes.
  console.log(`24 MiB file extracted again: shown ${t1 - t0} ms after ready, layer re-verified after ${t2 - t0} ms`);
  assert.match(await page.textContent('#file-content .file-note'), /Showing the first 65536 of 25165824 bytes/);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-action=download]')]);
  assert.equal(download.suggestedFilename(), 'blob.bin');
  const bytes = await readFile(await download.path());
  assert.equal(bytes.length, 24 << 20);
  assert.equal(createHash('sha256').update(bytes).digest('hex'), BIG_SHA256);
  assert.deepEqual(problems, []);
});

test('a symbolic link is followed; a dangling one says so', async (t) => {
  const { page, problems } = await open(t);
  assert.equal(await view(page, 'e2e/files:v1', '/usr/lib/up'), 'link');
  assert.match(await page.textContent('#file-content .file-link'), /Symbolic link to \.\.\/\.\.\/etc\/greeting → \/etc\/greeting/);
  await page.click('[data-action=follow]');
  assert.equal(await fileState(page, '/etc/greeting'), 'text');
  assert.equal(await page.getAttribute('[role=treeitem][data-path="/etc/greeting"]', 'aria-selected'), 'true');
  assert.match(page.url(), /path=\/etc\/greeting$/);
  assert.equal(await page.textContent('#file-content .code'), 'hello from a hard link');
  await page.click('[role=treeitem][data-path="/etc/dangling"]');
  await page.waitForSelector('#file-content[data-path="/etc/dangling"]');
  assert.match(await page.textContent('#file-content .file-link'), /dangling: \/etc\/nowhere does not exist/);
  assert.equal(await page.locator('#file-content [data-action=follow]').count(), 0);
  assert.deepEqual(problems, []);
});

test('a hard link shows its target, its bytes, and opens the target', async (t) => {
  const { page, problems } = await open(t);
  assert.equal(await view(page, 'e2e/files:v1', '/etc/greeting.hard'), 'text');
  assert.match(await page.textContent('#file-content .file-link'), /Hard link to \/etc\/greeting/);
  assert.equal(await page.textContent('#file-content .code'), 'hello from a hard link');
  await page.click('[data-action=open]');
  await page.waitForSelector('#file-content[data-path="/etc/greeting"]');
  assert.equal(await page.getAttribute('[role=treeitem][data-path="/etc/greeting"]', 'aria-selected'), 'true');
  assert.deepEqual(problems, []);
});

test('hostile file content renders as text and runs nothing', async (t) => {
  const { page, problems } = await open(t);
  await page.addInitScript(() => { window.__xss = undefined; });
  assert.equal(await view(page, 'e2e/files:v1', '/etc/evil.html'), 'text');
  assert.equal(
    await page.textContent('#file-content .code'),
    '<img src=x onerror=window.__xss=1><script>window.__xss=2</script>',
  );
  assert.equal(await page.locator('#file-content img, #file-content script').count(), 0);
  await page.waitForTimeout(200);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.deepEqual(problems, []);
});

test('a file on a token-auth registry is extracted with the credentials given', async (t) => {
  const { page, problems } = await open(t);
  await page.goto(`${SERVER}/?image=${TOKEN_REGISTRY}/e2e/private:v1&path=/etc/hello`);
  assert.equal(await settled(page), 'error');
  await page.waitForSelector('#credentials');
  await page.fill('#cred-user', REGISTRY_USER);
  await page.fill('#cred-pass', REGISTRY_PASSWORD);
  await page.click('#credentials button[type=submit]');
  assert.equal(await fileState(page, '/etc/hello'), 'text');
  assert.equal(await page.textContent('#file-content .code'), 'hello from layerlens');
  assert.equal(await verified(page), 'true');
  // The 401s of the first attempt are expected; nothing else.
  assert.deepEqual(problems.filter((p) => !/401/.test(p)), []);
});

test('narrow and dark: the viewer fits the screen', async (t) => {
  const { page, problems } = await open(t, { viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
  assert.equal(await view(page, 'e2e/files:v1', '/bin/blob.dat'), 'hex');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `page scrolls sideways by ${overflow}px`);
  if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, 'file-hex-narrow-dark.png'), fullPage: true });
  assert.deepEqual(problems, []);
});
