// The search and tags pages in headless Chromium (playwright-core driving
// /usr/bin/chromium). Run by tests/browser/page.rs with the env described at
// the top of page.test.mjs (SERVER, REGISTRY, …).
//
// Docker Hub is unreachable from these machines: tests/browser/page.rs starts a
// small local stand-in that answers with the search API's JSON shape
// (tests/support/hub.rs) and points `layerlens serve --docker-hub-search` at
// it, so the page's searches go through the real proxy route to it. The tags
// page runs against the real registry harness (e2e/tags, 55 tags), through
// TAG_REGISTRY, a front that pages tag lists as distribution 3 does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { settled, useBrowser } from './support.mjs';

const SERVER = process.env.SERVER;
const REGISTRY = process.env.REGISTRY;
const SHOTS = process.env.SCREENSHOTS;
const TAG_REGISTRY = process.env.TAG_REGISTRY;
assert.ok(SERVER && REGISTRY && SHOTS && TAG_REGISTRY, 'SERVER, REGISTRY, TAG_REGISTRY and SCREENSHOTS must be set (run tests/browser/page.rs)');

// What the stand-in answers for "busybox" (tests/support/hub.rs), in order.
const BUSYBOX = ['busybox', 'progrium/busybox', 'radial/busyboxplus', 'hostile/busybox'];
const HOSTILE = "<img src=x onerror=\"document.body.dataset.pwned='1'\"><b>bold</b> & busybox";

const open = useBrowser();

async function names(page) {
  return page.$$eval('#search-results tbody tr', (rows) => rows.map((r) => r.dataset.name));
}

async function rowCount(page, n) {
  await page.waitForFunction((n) => document.querySelectorAll('#search-results tbody tr').length === n, n);
}

test('search: results with stars and official, filters shrink the list, hostile text stays text', async (t) => {
  // CSP bypassed on purpose: only the page's own rendering keeps the hostile description inert.
  const { page, problems } = await open(t, { bypassCSP: true });
  await page.goto(`${SERVER}/`);
  await page.click('#search-link');
  await page.waitForSelector('#search-term', { state: 'visible' });
  assert.match(page.url(), /\?page=search$/);
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'idle');
  assert.equal(await page.isVisible('#ref'), false, 'the image page is hidden');

  await page.fill('#search-term', 'busybox');
  await page.press('#search-term', 'Enter');
  await page.waitForFunction(() => document.body.dataset.state !== 'idle');
  assert.equal(await settled(page), 'ready', await page.textContent('#search-page'));
  assert.match(page.url(), /\?page=search&q=busybox$/);
  assert.deepEqual(await names(page), BUSYBOX);
  const first = page.locator('#search-results tr[data-name="busybox"]');
  assert.equal(await first.locator('.stars').textContent(), '3300');
  assert.equal(await first.locator('.official').textContent(), '[OK]');
  assert.equal(await page.locator('#search-results tr[data-name="progrium/busybox"] .official').textContent(), '');
  assert.match(await page.textContent('#search-summary'), /4 of 4 results for "busybox"/);

  // The hostile description is shown as the text it is.
  const hostile = page.locator('#search-results tr[data-name="hostile/busybox"] .description');
  assert.equal(await hostile.textContent(), HOSTILE);
  await page.hover('#search-results');
  assert.equal(await page.evaluate(() => document.body.dataset.pwned), undefined);
  assert.equal(await page.evaluate(() => document.querySelectorAll('#search-page img, #search-page b, #search-page script').length), 0);

  // is-official=true: only the official image.
  await page.selectOption('#search-official', 'true');
  await rowCount(page, 1);
  assert.deepEqual(await names(page), ['busybox']);
  assert.match(page.url(), /filter=is-official%3Dtrue/);
  assert.match(await page.textContent('#search-summary'), /\(3 filtered out\)/);

  // Back to any image, then stars=60: two left.
  await page.selectOption('#search-official', '');
  await rowCount(page, 4);
  await page.fill('#search-stars', '60');
  await page.press('#search-stars', 'Tab');
  await rowCount(page, 2);
  assert.deepEqual(await names(page), ['busybox', 'progrium/busybox']);
  assert.match(page.url(), /\?page=search&q=busybox&filter=stars%3D60$/);
  await page.screenshot({ path: join(SHOTS, 'search-busybox.png'), fullPage: true });
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready');
  assert.deepEqual(problems, []);
});

test('a search link restores the term and filters', async (t) => {
  const { page, problems } = await open(t);
  await page.goto(`${SERVER}/?page=search&q=busybox&filter=stars%3D60&filter=is-official%3Dfalse`);
  assert.equal(await settled(page), 'ready');
  assert.deepEqual(await names(page), ['progrium/busybox']);
  assert.equal(await page.inputValue('#search-term'), 'busybox');
  assert.equal(await page.inputValue('#search-stars'), '60');
  assert.equal(await page.inputValue('#search-official'), 'false');
  // The nav leads back to the image page.
  await page.click('#inspect-link');
  await page.waitForSelector('#ref', { state: 'visible' });
  assert.equal(await page.isVisible('#search-page'), false);
  assert.equal(new URL(page.url()).search, '');
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'idle');
  assert.deepEqual(problems, []);
});

test('a result opens its repository\'s tags page', async (t) => {
  const { page } = await open(t);
  await page.goto(`${SERVER}/?page=search&q=busybox`);
  assert.equal(await settled(page), 'ready');
  await page.click('#search-results tr[data-name="progrium/busybox"] .name a');
  await page.waitForSelector('#tags-title');
  assert.match(page.url(), /\?page=tags&repo=progrium\/busybox$/);
  assert.equal(await page.textContent('#tags-title'), 'Tags of progrium/busybox');
  // Docker Hub's registry is unreachable here: the page says so instead of hanging.
  assert.equal(await settled(page), 'error');
  assert.equal(await page.locator('#tags-body [role=alert]').count(), 1);
  // Back returns to the results without asking again.
  await page.goBack();
  await page.waitForSelector('#search-results');
  assert.equal(await settled(page), 'ready');
  assert.deepEqual(await names(page), BUSYBOX);
});

test('the tags page lists a repository\'s tags page by page, and a tag opens the image', async (t) => {
  const { page, problems } = await open(t);
  await page.goto(`${SERVER}/?page=tags&repo=${TAG_REGISTRY}/e2e/tags`);
  assert.equal(await settled(page), 'ready', await page.textContent('#search-page'));
  assert.equal(await page.locator('#tags-list li').count(), 50);
  assert.match(await page.textContent('#tags-summary'), /50 tags of .*e2e\/tags, more available/);
  await page.click('#tags-more');
  await page.waitForFunction(() => document.querySelectorAll('#tags-list li').length === 55);
  assert.equal(await settled(page), 'ready');
  assert.equal(await page.locator('#tags-more').count(), 0);
  const tags = await page.$$eval('#tags-list li', (items) => items.map((li) => li.dataset.tag));
  assert.deepEqual(tags, Array.from({ length: 55 }, (_, i) => `t${String(i).padStart(2, '0')}`));
  await page.screenshot({ path: join(SHOTS, 'tags-e2e.png'), fullPage: true });

  await page.click('#tags-list li[data-tag="t54"] a');
  await page.waitForFunction(() => new URLSearchParams(location.search).has('image'));
  assert.equal(await settled(page), 'ready', await page.textContent('#status'));
  assert.ok(page.url().endsWith(`?image=${TAG_REGISTRY}/e2e/tags:t54`), page.url());
  assert.equal(await page.locator('[role=treeitem][data-path="/etc/tagged"]').count(), 1);
  assert.equal(await page.isVisible('#search-page'), false);
  assert.deepEqual(problems, []);
});
