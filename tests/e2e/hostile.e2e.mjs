// Issue 10 in headless Chromium: a hostile allowed registry (a test server
// of tests/browser/hostile.rs, which runs this file and checks the registry's
// request log afterwards) serves an image whose layer holds an SVG with an
// inline script and a <script href> to a script blob of its own, served
// through the proxy. The image must verify and the SVG be previewed; the
// preview opened in its own tab must be a picture, and the raw SVG opened
// by the page as an SVG document of its origin must run nothing under the
// page's policy. Env: SERVER, HOSTILE, IMAGE, SVG.
// (Not a *.test.mjs name: tests/browser/page.rs does not run it.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { settled, useBrowser } from './support.mjs';

const { SERVER, HOSTILE, IMAGE, SVG } = process.env;
assert.ok(SERVER && HOSTILE && IMAGE && SVG, 'SERVER, HOSTILE, IMAGE and SVG must be set (run tests/browser/hostile.rs)');

const open = useBrowser();
const PATH = '/img/hostile.svg';

/// Every mark a script of the hostile registry could have left in the
/// page's origin (read from a page of that origin).
async function marks(page) {
  return page.evaluate(async () => ({
    localStorage: localStorage.getItem('pwned'),
    databases: (await indexedDB.databases()).map((d) => d.name).filter((n) => n.startsWith('pwned')),
  }));
}

/// Waits for scripts of `doc` to have had time to run; returns its title,
/// content type and console messages (CSP refusals are reported there).
async function inspectDocument(doc, messages) {
  await doc.waitForLoadState();
  await doc.waitForTimeout(1500);
  return {
    title: await doc.title(),
    contentType: await doc.evaluate(() => document.contentType),
    messages,
  };
}

/// Opens `url` as a document in a new tab of `context` the way a person
/// would (typed or pasted: a browser-initiated navigation, which in
/// Chromium gives a `blob:` document no policy of its creator at all).
async function openInNewTab(context, url) {
  const doc = await context.newPage();
  const messages = [];
  doc.on('console', (m) => messages.push(m.text()));
  await doc.goto(url);
  return inspectDocument(doc, messages);
}

/// Opens `url` with `window.open` from `page`: the new document inherits
/// the page's policy container, so the page's CSP applies to it. Console
/// messages are collected on the context, from before the document exists
/// (its scripts run, or are refused, before a listener on it could be added).
async function openFromPage(context, page, url) {
  const messages = [];
  const collect = (m) => { if (m.page() !== page) messages.push(m.text()); };
  context.on('console', collect);
  const [doc] = await Promise.all([
    context.waitForEvent('page'),
    page.evaluate((u) => { window.open(u); }, url),
  ]);
  const seen = await inspectDocument(doc, messages);
  context.off('console', collect);
  return seen;
}

test('a hostile registry’s SVG: verified, previewed as pixels, and nothing it carries runs', async (t) => {
  const { context, page, problems } = await open(t);
  await page.goto(`${SERVER}/?image=${IMAGE}&path=${PATH}`);
  assert.equal(await settled(page), 'ready', await page.textContent('#status'));
  assert.equal(await page.getAttribute('#verification', 'data-verified'), 'true', await page.textContent('#verification'));
  await page.waitForFunction(
    (p) => document.querySelector(`#file-content[data-path="${p}"]`)?.dataset.fileState === 'image',
    PATH,
    { timeout: 60_000 },
  );
  await page.waitForFunction(() => document.querySelector('#file-content .preview img')?.complete, null, { timeout: 30_000 });
  const img = page.locator('#file-content .preview img');
  assert.equal(await img.evaluate((i) => i.naturalWidth), 64);
  assert.equal(await img.evaluate((i) => i.naturalHeight), 48);
  const src = await img.getAttribute('src');
  assert.match(src, /^blob:/);
  assert.equal(await img.getAttribute('data-mime'), 'image/svg+xml');
  assert.equal(await img.getAttribute('data-drawn-as'), 'image/png');

  // The preview's URL as a document in its own tab: an image, nothing runs.
  const preview = await openInNewTab(context, src);
  assert.notEqual(preview.title, 'pwned', `the preview document ran a script: ${preview.messages.join('\n')}`);
  assert.equal(preview.contentType, 'image/png');

  // The raw SVG as an SVG document of the page's origin opened by the page
  // — what the preview used to be: the page's policy (nonce, no 'self'
  // for scripts) refuses its inline script and its script from /proxy/.
  const raw = await page.evaluate((svg) => URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' })), SVG);
  const svgDoc = await openFromPage(context, page, raw);
  assert.equal(svgDoc.contentType, 'image/svg+xml');
  assert.notEqual(svgDoc.title, 'pwned', `the SVG document ran a script: ${svgDoc.messages.join('\n')}`);
  const refused = svgDoc.messages.filter((m) => /Content Security Policy/.test(m));
  assert.ok(refused.some((m) => /inline script/.test(m)), svgDoc.messages.join('\n'));
  assert.ok(refused.some((m) => m.includes(`/proxy/${HOSTILE}/`)), svgDoc.messages.join('\n'));

  assert.deepEqual(await marks(page), { localStorage: null, databases: [] });
  assert.equal(await page.evaluate(() => document.title.includes('pwned')), false);

  // Download still gives the exact bytes.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-action=download]')]);
  assert.equal(download.suggestedFilename(), 'hostile.svg');
  assert.equal((await readFile(await download.path())).toString('utf8'), SVG);
  assert.deepEqual(problems, []);
});
