// Comparing two images in the page: two platforms of one index, one click
// from the platform picker; the tree marks what changed, a text file
// changed on both sides opens as a unified diff, the Compare tab has the
// summary, config and layers, and the link keeps the comparison.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { settled, useBrowser } from './support.mjs';

const { SERVER, REGISTRY } = process.env;
assert.ok(SERVER && REGISTRY, 'SERVER and REGISTRY must be set (run tests/browser/page.rs)');
const open = useBrowser();
const MULTI = `${REGISTRY}/e2e/multi:v1`;

const summary = (page) => page.$eval('[data-diff-summary]', (e) => ({
  added: e.dataset.added, removed: e.dataset.removed, modified: e.dataset.modified, text: e.textContent,
}));

test('two platforms of an index compare from the platform picker, file by file', async (t) => {
  const { page, problems } = await open(t, { viewport: { width: 1440, height: 900 } });
  await page.goto(`${SERVER}/?image=${MULTI}&platform=linux/amd64`);
  assert.equal(await settled(page), 'ready');
  await page.click('[data-compare-platform="linux/arm64/v8"]');
  await page.waitForSelector('[data-diff-summary]', { state: 'attached' });
  const s = await summary(page);
  assert.deepEqual([s.added, s.removed, s.modified], ['1', '1', '1'], s.text);
  assert.match(s.text, /shares 0 of 1 layers/);
  // The link names both sides.
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('compare'), MULTI);
  assert.equal(url.searchParams.get('compare-platform'), 'linux/arm64/v8');
  // The tree: arm64's own file added, amd64's removed (struck through),
  // /etc/hello modified, /etc counting what changed below it.
  await page.waitForSelector('.row[data-path="/etc/arm64-only"][data-diff="added"]');
  const removed = await page.$eval('.row[data-path="/etc/amd64-only"]', (r) => ({
    diff: r.dataset.diff, strike: getComputedStyle(r.querySelector('.label')).textDecorationLine,
  }));
  assert.deepEqual(removed, { diff: 'removed', strike: 'line-through' });
  assert.equal(await page.getAttribute('.row[data-path="/etc"] [data-diff-sum]', 'data-diff-sum'), '+1 ~1 -1');
  // Hiding added entries (dive's Ctrl+A) leaves the others.
  await page.click('#show-added');
  await page.waitForSelector('.row[data-path="/etc/arm64-only"]', { state: 'detached' });
  assert.ok(await page.$('.row[data-path="/etc/amd64-only"]'));
  await page.click('#show-added');
  // The modified text file opens as a unified diff of the two versions.
  await page.click('.row[data-path="/etc/hello"]');
  await page.waitForSelector('#file-content[data-file-state="diff"] [data-diff-view]');
  const diff = await page.textContent('[data-diff-view]');
  assert.equal(diff, '@@ -1,1 +1,1 @@\n-hi amd64\n+hi arm64\n');
  assert.match(await page.textContent('[data-versions]'), /^Modified \(size, sha256\)|^Modified \(sha256\)/);
  // Text shows the compared platform's version.
  await page.click('[data-show="text"]');
  await page.waitForSelector('#file-content[data-file-state="text"]');
  assert.match(await page.textContent('#file-content .code'), /hi arm64/);
  // The Compare tab: config side by side, layers aligned by diff_id.
  await page.click('#tab-compare');
  await page.waitForSelector('#compare-config tbody tr', { state: 'visible' });
  assert.equal(await page.$$eval('#compare-config tbody tr', (r) => r.length), 7);
  const relations = await page.$$eval('#compare-layers tbody tr', (r) => r.map((x) => x.dataset.relation));
  assert.deepEqual(relations, ['only-b', 'only-a']);
  // A reload opens the same comparison from the link.
  await page.reload();
  await page.waitForSelector('[data-diff-summary]', { state: 'visible' });
  assert.deepEqual(Object.values(await summary(page)).slice(0, 3), ['1', '1', '1']);
  // Stop comparing: the tree is the image's own again.
  await page.click('[data-compare-clear]');
  await page.waitForFunction(() => !new URL(location.href).searchParams.has('compare'));
  await page.click('#tab-files');
  await page.waitForSelector('.row[data-path="/etc/amd64-only"]:not([data-diff])');
  assert.equal(await page.$('.row[data-path="/etc/arm64-only"]'), null);
  assert.deepEqual(problems, []);
});

test('an image to compare that is not there says so, and the image stays', async (t) => {
  const { page, problems } = await open(t);
  await page.goto(`${SERVER}/?image=${REGISTRY}/e2e/hello:v1&tab=compare`);
  assert.equal(await settled(page), 'ready');
  await page.fill('#compare-input', `${REGISTRY}/e2e/nothing-here:v1`);
  await page.press('#compare-input', 'Enter');
  await page.waitForSelector('[data-compare-status="error"]');
  assert.match(await page.textContent('[data-compare-status="error"]'), /nothing-here/);
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready');
  // Another image that is there: the pinned images of one repository.
  await page.fill('#compare-input', `${REGISTRY}/e2e/pin:v2`);
  await page.press('#compare-input', 'Enter');
  await page.waitForSelector('[data-compare-status="done"]');
  const s = await summary(page);
  assert.ok(Number(s.added) >= 1 && Number(s.removed) >= 1, s.text);
  // The registry's 404 is the one error this test causes in the console.
  assert.ok(problems.every((p) => /404|nothing-here/.test(p)), problems.join('\n'));
});
