// The image library in headless Chromium (playwright-core driving
// /usr/bin/chromium). Run by tests/browser/library.rs — NOT by tests/browser/page.rs
// (node's default --test patterns do not match this name) — which starts the
// registry harness and `layerlens serve` and passes:
//   SERVER        http://127.0.0.1:PORT (page + proxy)
//   REGISTRY      127.0.0.1:PORT (open registry; this file moves a tag in it
//                 and finally stops it)
//   REGISTRY_PID  the registry process (stopped by the last test)
//   SCREENSHOTS   directory for screenshots
//   APP_ID, OTHER_ID, APP2_ID   config digests (IMAGE IDs) of lib/app:v1,
//                 lib/other:v1 and the image lib/app:v1 is moved to
//   APP_MANIFEST, APP2_MANIFEST manifest digests of lib/app's two images
//   OTHER_MANIFEST              lib/other:v1's manifest digest
//   APP2_MANIFEST_B64, APP2_MEDIA_TYPE  the second manifest, to PUT as v1
//   BASE_LAYER    the layer lib/app and lib/other share
//   APP_LAYER, OTHER_LAYER      their own layers
//   KEEP_TEXT     the exact content of lib/other's /other/readme.txt
//   TWIN_ID       the IMAGE ID of lib/twin:oci and lib/twin:docker (one
//                 config under an OCI and a Docker v2s2 manifest)
//   TWIN_OCI_MANIFEST, TWIN_DOCKER_MANIFEST  their manifest digests
//   TWIN_NEXT_MANIFEST_B64, TWIN_NEXT_MEDIA_TYPE  the manifest this file
//                 moves lib/twin:oci to
// Each scenario uses one browser context (the library is per context, and
// persists across reloads within it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { inspect, settled, useBrowser } from './support.mjs';

const E = process.env;
const { SERVER, REGISTRY, SCREENSHOTS } = E;
assert.ok(SERVER && REGISTRY && E.APP_ID && E.REGISTRY_PID, 'run tests/browser/library.rs');
const short = (d) => d.replace(/^sha256:/, '').slice(0, 12);
const APP = `${REGISTRY}/lib/app`;
const OTHER = `${REGISTRY}/lib/other`;
const TWIN = `${REGISTRY}/lib/twin`;

const open = useBrowser();

/// Inspects a reference from the start page. `ready` means the image is
/// kept in the library too (its record is written first), so the next
/// navigation may follow at once.
async function load(page, reference) {
  assert.equal(await inspect(page, reference), 'ready', await page.textContent('#status'));
}

/// The images page, through the header link.
async function images(page) {
  await page.click('#nav-images');
  await page.waitForSelector('#library:not([hidden])');
}

/// The table's rows as {repository, tag, id, size, dangling}.
async function rows(page) {
  return page.$$eval('#lib-table tbody tr', (trs) => trs.map((tr) => {
    const cells = [...tr.querySelectorAll('td')].map((td) => td.textContent);
    const head = [...document.querySelectorAll('#lib-table thead th')].map((th) => th.textContent);
    const cell = (name) => cells[head.indexOf(name)];
    return {
      repository: cell('REPOSITORY'), tag: cell('TAG'), id: cell('IMAGE ID'), size: cell('SIZE'),
      created: cell('CREATED'), digest: cell('DIGEST'), dangling: tr.dataset.dangling === 'true',
      manifest: tr.dataset.manifest,
    };
  }));
}

/// Waits until the library lists `n` rows (store writes are asynchronous).
async function waitRows(page, n) {
  await page.waitForFunction((n) => document.querySelectorAll('#lib-table tbody tr').length === n, n, { timeout: 10_000 });
}

async function setFilter(page, text) {
  await page.fill('#lib-filter', text);
}

/// Types a filter and waits until the table lists exactly `repos`, in order.
async function filterTo(page, text, repos) {
  await setFilter(page, text);
  await page.waitForFunction((repos) => {
    const shown = [...document.querySelectorAll('#lib-table tbody tr')].map((tr) => tr.dataset.repository);
    return JSON.stringify(shown) === JSON.stringify(repos);
  }, repos, { timeout: 10_000 });
}

/// Waits for the page's ready hook, and nothing else.
async function ready(page) {
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });
}

test('an image is kept by a page left the moment it is ready (8 runs: image A, at once image B, at once the images page; each reopens with no network)', async (t) => {
  const lost = [];
  const durations = [];
  for (let run = 0; run < 8; run += 1) {
    // A fresh browser profile (context) per run: its own IndexedDB.
    const { page, context, problems } = await open(t);
    const images = run % 2 === 0
      ? [[`${APP}:v1`, E.APP_MANIFEST], [`${OTHER}:v1`, E.OTHER_MANIFEST]]
      : [[`${OTHER}:v1`, E.OTHER_MANIFEST], [`${APP}:v1`, E.APP_MANIFEST]];
    // Each next link is opened by the page itself in the very task that
    // sets body[data-state=ready] (no round trip to this script).
    const links = [...images.map(([r]) => `${SERVER}/?image=${encodeURIComponent(r)}`), `${SERVER}/?page=images`];
    await context.addInitScript((links) => {
      const here = links.indexOf(location.href);
      if (here < 0 || here === links.length - 1) return;
      const shown = { at: 0 };
      new MutationObserver(() => {
        if (!shown.at && document.querySelector('[role=treeitem]')) shown.at = performance.now();
        if (document.body?.dataset.state === 'ready') {
          sessionStorage.setItem(`ready-${here}`, String(Math.round(performance.now() - shown.at)));
          location.assign(links[here + 1]);
        }
      }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
    }, links);
    await page.goto(links[0]);
    await page.waitForURL(links[links.length - 1], { timeout: 120_000 });
    for (let i = 0; i < images.length; i += 1) {
      durations.push(await page.evaluate((i) => sessionStorage.getItem(`ready-${i}`), i));
    }
    await page.waitForFunction(() => /^Kept in this browser \(IndexedDB\)/.test(document.querySelector('#lib-store')?.textContent ?? ''));
    const listed = (await rows(page)).map((r) => r.manifest);
    // Reopen links, with the registry unreachable: no request at all.
    const requests = [];
    page.on('request', (r) => { if (r.url().includes('/proxy/')) requests.push(r.url()); });
    await context.route('**/proxy/**', (r) => r.abort());
    for (const [reference, manifest] of images) {
      if (!listed.includes(manifest)) {
        lost.push(`run ${run + 1}: ${reference} is not on the images page`);
        continue;
      }
      await page.goto(`${SERVER}/?open=${manifest}`);
      const state = await settled(page);
      if (state !== 'ready') {
        lost.push(`run ${run + 1}: ?open=${manifest} ended ${state}: ${await page.textContent('#status')}`);
        continue;
      }
      assert.equal(await page.getAttribute('#verification', 'data-verified'), 'true');
    }
    assert.deepEqual(requests, [], `run ${run + 1}`);
    assert.deepEqual(problems.filter((p) => !/Failed to load resource/.test(p)), [], `run ${run + 1}`);
  }
  assert.deepEqual(lost, [], 'every image loaded is kept');
  console.log(`tree shown to ready (the record write), ms: ${durations.join(' ')}`);
});

test('two images sharing a base layer are kept, listed after a reload with their IDs and sizes; rm keeps the shared layer', async (t) => {
  const { page, problems } = await open(t);
  await load(page, `${APP}:v1`);
  await load(page, `${OTHER}:v1`);
  await page.reload();
  await page.waitForSelector('#nav-images');
  await images(page);
  await waitRows(page, 2);
  assert.match(await page.textContent('#lib-store'), /Kept in this browser \(IndexedDB\): 2 images/);
  await page.waitForFunction(() => /This site uses \S+ of the \S+ the browser allows it\./.test(document.querySelector('#lib-store').textContent));
  const listed = await rows(page);
  // Newest first, as docker image ls sorts.
  assert.deepEqual(listed.map((r) => [r.repository, r.tag, r.id, r.size]), [
    [OTHER, 'v1', short(E.OTHER_ID), '150kB'],
    [APP, 'v1', short(E.APP_ID), '120kB'],
  ]);
  assert.match(listed[0].created, / ago$/);
  assert.match(page.url(), /\?page=images$/);

  // Show digests: a DIGEST column with each manifest digest.
  await page.check('#lib-digests');
  await page.waitForSelector('#lib-table th:text("DIGEST")');
  const withDigests = await rows(page);
  assert.equal(withDigests.find((r) => r.repository === APP).digest, E.APP_MANIFEST);
  assert.match(page.url(), /digests=1/);
  await page.uncheck('#lib-digests');

  // Filters in Docker's syntax, combined; errors in words.
  await filterTo(page, 'label=team=a', [APP]);
  await filterTo(page, `since=${APP}:v1`, [OTHER]);
  await filterTo(page, `before=${OTHER}:v1 label=team`, [APP]);
  await filterTo(page, 'reference=*/lib/oth*', [OTHER]);
  await filterTo(page, 'label=team=a label=team=b', []);
  assert.match(page.url(), /filter=label%3Dteam%3Da%20label%3Dteam%3Db/);
  await setFilter(page, 'colour=red');
  await page.waitForSelector('#lib-filter-error');
  assert.match(await page.textContent('#lib-filter-error'), /invalid filter 'colour'/);
  await setFilter(page, '');
  await waitRows(page, 2);

  // A format string: text to copy; a broken one says where.
  await page.fill('#lib-format', '{{.Repository}}:{{.Tag}}: {{.Size}}');
  await page.waitForFunction(() => document.querySelector('#lib-text').textContent.includes(':v1: 150kB'));
  assert.equal(await page.textContent('#lib-text'), `${OTHER}:v1: 150kB\n${APP}:v1: 120kB\n`);
  assert.match(page.url(), /format=/);
  await page.fill('#lib-format', 'table {{.ID}}\\t{{.Nope}}');
  await page.waitForSelector('#lib-format-error');
  assert.match(await page.textContent('#lib-format-error'), /can't evaluate field Nope.*at character \d+/);
  await page.fill('#lib-format', 'table {{.ID}}\\t{{.Repository}}');
  await page.waitForFunction(() => document.querySelector('#lib-text').textContent.startsWith('IMAGE ID'));
  const text = await page.textContent('#lib-text');
  assert.match(text, new RegExp(`^IMAGE ID\\s+REPOSITORY\\n${short(E.OTHER_ID)}\\s+${OTHER}\\n${short(E.APP_ID)}\\s+${APP}\\n$`));

  // The whole view is a link.
  const link = page.url();
  await page.goto(link);
  await waitRows(page, 2);
  assert.equal(await page.inputValue('#lib-format'), 'table {{.ID}}\\t{{.Repository}}');
  await page.fill('#lib-format', '');

  // docker tag: same IMAGE ID, no new image.
  await page.click(`#lib-table tr[data-repository="${APP}"] [data-lib-tag]`);
  await page.fill('#lib-tag-target', 'mine/app:local');
  await page.click('#lib-tag');
  await waitRows(page, 3);
  const tagged = (await rows(page)).filter((r) => r.id === short(E.APP_ID));
  assert.deepEqual(tagged.map((r) => `${r.repository}:${r.tag}`).sort(), [`${APP}:v1`, 'mine/app:local']);
  await page.click('#lib-table tr[data-repository="mine/app"] [data-lib-rm]');
  await waitRows(page, 2);
  assert.match(await page.textContent('#lib-report'), /Untagged: mine\/app:local/);

  // rm lib/other:v1: its own layer index is freed, the shared base kept.
  await page.click(`#lib-table tr[data-repository="${OTHER}"] [data-lib-rm]`);
  await waitRows(page, 1);
  const report = await page.textContent('#lib-report');
  assert.match(report, new RegExp(`Untagged: ${OTHER}:v1`));
  assert.match(report, new RegExp(`Deleted: ${E.OTHER_ID}`));
  assert.match(report, new RegExp(`Freed layer index ${E.OTHER_LAYER}`));
  assert.match(report, new RegExp(`Kept layer index ${E.BASE_LAYER} \\(still used by ${short(E.APP_ID)}\\)`));
  await page.screenshot({ path: join(SCREENSHOTS, 'library-list.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 800 });
  await page.screenshot({ path: join(SCREENSHOTS, 'library-list-narrow.png'), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
  // Still so after a reload.
  await page.reload();
  await waitRows(page, 1);
  assert.deepEqual(problems, []);
});

test('already exists: the second image sharing a base layer fetches only its own layer, the base verified from the library', async (t) => {
  const { page, problems } = await open(t);
  // Every blob the page asks for, workers included (the first load is the
  // control: it must see the layer fetches the second one must not make).
  const blobs = [];
  page.on('request', (r) => {
    const m = decodeURIComponent(r.url()).match(/\/blobs\/(sha256:[0-9a-f]{64})/);
    if (m) blobs.push(m[1]);
  });
  await load(page, `${APP}:v1`);
  assert.deepEqual([...new Set(blobs)].sort(), [E.APP_ID, E.BASE_LAYER, E.APP_LAYER].sort());
  blobs.length = 0;
  await load(page, `${OTHER}:v1`);
  assert.deepEqual([...new Set(blobs)].sort(), [E.OTHER_ID, E.OTHER_LAYER].sort(),
    'only the config and the new layer are fetched');
  const cells = await page.$$eval('#layers tbody tr', (trs) => trs.map((tr) => tr.lastElementChild.textContent));
  assert.equal(cells.length, 2);
  assert.match(cells[0], /^✓ already verified in this browser on \d{4}-\d\d-\d\d$/);
  assert.equal(cells[1], '✓ verified');
  assert.equal(await page.getAttribute('#verification', 'data-verified'), 'true');
  assert.match(await page.textContent('#verification'),
    new RegExp(`layer 0 ${E.BASE_LAYER}already verified in this browser on \\d{4}-\\d\\d-\\d\\d: the library's index`));
  for (const path of ['/base/lib.bin', '/other/data.bin']) {
    await page.waitForSelector(`[role=treeitem][data-path="${path}"]`);
  }
  await page.screenshot({ path: join(SCREENSHOTS, 'library-already-exists.png'), fullPage: true });
  assert.deepEqual(problems, []);
});

test('a moved tag leaves the old image dangling (REPO <none>); dangling=true lists it; prune removes it', async (t) => {
  const { page, problems } = await open(t);
  await load(page, `${APP}:v1`);
  // Move lib/app:v1 in the registry to the pre-pushed second image.
  const put = await fetch(`http://${REGISTRY}/v2/lib/app/manifests/v1`, {
    method: 'PUT',
    headers: { 'Content-Type': E.APP2_MEDIA_TYPE },
    body: Buffer.from(E.APP2_MANIFEST_B64, 'base64'),
  });
  assert.equal(put.status, 201, await put.text());
  await load(page, `${APP}:v1`);
  await images(page);
  await waitRows(page, 2);
  const listed = await rows(page);
  assert.deepEqual(listed.map((r) => [r.repository, r.tag, r.id, r.size, r.dangling]), [
    [APP, 'v1', short(E.APP2_ID), '130kB', false],
    [APP, '<none>', short(E.APP_ID), '120kB', true],
  ]);
  await filterTo(page, 'dangling=true', [APP]);
  assert.equal((await rows(page))[0].id, short(E.APP_ID));
  await filterTo(page, '', [APP, APP]);
  // This tab opened both: plain prune removes dangling images anyway.
  await page.click('#lib-prune');
  await waitRows(page, 1);
  const report = await page.textContent('#lib-report');
  assert.match(report, new RegExp(`Deleted: ${E.APP_ID}`));
  assert.match(report, new RegExp(`Freed layer index ${E.APP_LAYER}`));
  assert.match(report, new RegExp(`Kept layer index ${E.BASE_LAYER}`));
  assert.equal((await rows(page))[0].id, short(E.APP2_ID));
  assert.deepEqual(problems, []);
});

test('an OCI and a Docker v2s2 manifest of one config are one image: the untagged one is listed REPO <none> but is not dangling while the other is tagged; prune keeps it', async (t) => {
  const { page, problems } = await open(t);
  await page.goto(`${SERVER}/?image=${encodeURIComponent(`${TWIN}:oci`)}`);
  await ready(page);
  await page.goto(`${SERVER}/?image=${encodeURIComponent(`${TWIN}:docker`)}`);
  await ready(page);
  // Move lib/twin:oci in the registry to another image, and load it again.
  const put = await fetch(`http://${REGISTRY}/v2/lib/twin/manifests/oci`, {
    method: 'PUT',
    headers: { 'Content-Type': E.TWIN_NEXT_MEDIA_TYPE },
    body: Buffer.from(E.TWIN_NEXT_MANIFEST_B64, 'base64'),
  });
  assert.equal(put.status, 201, await put.text());
  await page.goto(`${SERVER}/?image=${encodeURIComponent(`${TWIN}:oci`)}`);
  await ready(page);
  await images(page);
  await waitRows(page, 3);
  const twins = (await rows(page)).filter((r) => r.id === short(E.TWIN_ID));
  assert.deepEqual(twins.map((r) => [r.tag, r.manifest, r.dangling]).sort(), [
    ['<none>', E.TWIN_OCI_MANIFEST, false],
    ['docker', E.TWIN_DOCKER_MANIFEST, false],
  ].sort());
  assert.equal(
    await page.getAttribute(`#lib-table tr[data-manifest="${E.TWIN_OCI_MANIFEST}"]`, 'data-dangling'), 'false');
  await filterTo(page, 'dangling=true', []);
  await filterTo(page, 'dangling=false', [TWIN, TWIN, TWIN]);
  await setFilter(page, '');
  await waitRows(page, 3);
  await page.click('#lib-prune');
  await page.waitForFunction(() => /reclaimed/.test(document.querySelector('#lib-report')?.textContent ?? ''));
  assert.doesNotMatch(await page.textContent('#lib-report'), /Deleted/);
  await waitRows(page, 3);
  assert.deepEqual(problems, []);
});

test('a full storage quota is reported in words; the page keeps working', async (t) => {
  const { page, problems } = await open(t);
  await page.goto(`${SERVER}/`);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: SERVER, quotaSize: 2000 });
  await load(page, `${OTHER}:v1`);
  await page.waitForFunction(() => /quota/.test(document.querySelector('#status').textContent));
  assert.match(await page.textContent('#status'),
    /The library could not be updated: writing \d+ library records \(\d+ bytes\): the browser's storage quota for this site is full; remove images or prune to make room/);
  const paths = await page.$$eval('[role=treeitem]', (rows) => rows.map((r) => r.dataset.path));
  assert.ok(paths.includes('/other/data.bin'), JSON.stringify(paths));
  assert.deepEqual(problems.filter((p) => !/QuotaExceeded|quota/i.test(p)), []);
});

test('without IndexedDB (as in some private windows) the library lives in the tab and says so', async (t) => {
  const { page, problems } = await open(t);
  await page.addInitScript(() => {
    Object.defineProperty(window, 'indexedDB', { value: null, configurable: true });
  });
  await load(page, `${APP}:v1`);
  await images(page);
  await waitRows(page, 1);
  assert.match(await page.textContent('#lib-store'), /^Kept in this tab only — nothing survives a reload: this browser offers no IndexedDB here \(storage is disabled\)\. 1 image/);
  assert.deepEqual(problems, []);
});

const CACHE = 'layerlens-layers-v1';
const blobKey = (d) => `https://layerlens.invalid/blobs/${d.replace(':', '/')}`;

/// The URLs of the layer blobs kept in the Cache API.
async function keptKeys(page) {
  return page.evaluate(async (name) => {
    const cache = await caches.open(name);
    return (await cache.keys()).map((r) => r.url).sort();
  }, CACHE);
}

test('with the registry stopped, an image reopens from the library: ready, its files, no request', async (t) => {
  const { page, problems } = await open(t);
  // Keep layers for offline file viewing: off by default, remembered.
  await page.goto(`${SERVER}/?page=images`);
  await page.waitForSelector('#library:not([hidden])');
  assert.equal(await page.isChecked('#lib-keep'), false);
  await page.check('#lib-keep');
  await load(page, `${OTHER}:v1`);
  await images(page);
  assert.equal(await page.isChecked('#lib-keep'), true);
  await page.waitForFunction(
    () => /^Kept for offline file viewing \(Cache API\): 2 layers, \S+\.$/.test(document.querySelector('#lib-kept-space')?.textContent ?? ''),
    null, { timeout: 30_000 });
  assert.deepEqual(await keptKeys(page), [blobKey(E.BASE_LAYER), blobKey(E.OTHER_LAYER)].sort());
  assert.match(await page.textContent('#lib-store'), /This site uses \S+ of the \S+ the browser allows it\./);
  await page.screenshot({ path: join(SCREENSHOTS, 'library-keep.png'), fullPage: true });
  // Stop the registry for good (this is the last test).
  process.kill(Number(E.REGISTRY_PID), 'SIGKILL');
  await new Promise((r) => setTimeout(r, 300));
  await page.goto(`${SERVER}/?page=images`);
  await waitRows(page, 1);
  const requests = [];
  page.on('request', (r) => { if (r.url().includes('/proxy/')) requests.push(r.url()); });
  const started = Date.now();
  await page.click(`#lib-table tr[data-repository="${OTHER}"] [data-lib-open]`);
  assert.equal(await settled(page), 'ready', await page.textContent('#status'));
  const elapsed = Date.now() - started;
  for (const path of ['/base/lib.bin', '/other/data.bin']) {
    await page.waitForSelector(`[role=treeitem][data-path="${path}"]`);
  }
  assert.match(await page.textContent('#library-bar'), /From the library, stored \d{4}-\d\d-\d\d/);
  assert.match(page.url(), /\?open=sha256:[0-9a-f]{64}$/);
  assert.equal(await page.getAttribute('#verification', 'data-verified'), 'true');
  // The link reopens it after a reload, still without the network.
  await page.reload();
  assert.equal(await settled(page), 'ready', await page.textContent('#status'));
  await page.waitForSelector('[role=treeitem][data-path="/other/data.bin"]');
  assert.deepEqual(requests, []);
  await page.screenshot({ path: join(SCREENSHOTS, 'library-reopen-offline.png'), fullPage: true });
  console.log(`reopen, click to ready (2 layers, headless Chromium, debug build): ${elapsed} ms`);
  // A file of a kept layer opens with the registry gone: its exact bytes,
  // the layer's digest checked as the kept blob streams, no request.
  await page.click('[role=treeitem][data-path="/other/readme.txt"]');
  await page.waitForFunction(() => {
    const s = document.querySelector('#file-content[data-path="/other/readme.txt"]')?.dataset.fileState;
    return s && s !== 'loading' && s !== 'none';
  }, null, { timeout: 30_000 });
  assert.equal(await page.getAttribute('#file-content', 'data-file-state'), 'text');
  assert.equal(await page.textContent('#file-content .code'), E.KEEP_TEXT);
  await page.waitForSelector('#file-content .file-status[data-verified]', { timeout: 30_000 });
  assert.equal(await page.getAttribute('#file-content .file-status', 'data-verified'), 'true');
  assert.deepEqual(requests, []);
  await page.screenshot({ path: join(SCREENSHOTS, 'library-keep-file-offline.png'), fullPage: true });
  // Refresh goes to the registry: it is stopped, so the load fails in words.
  await page.click('#lib-refresh-current');
  await page.waitForFunction(() => document.body.dataset.state === 'error', null, { timeout: 60_000 });
  assert.ok(requests.length > 0, 'refresh asks the registry');
  assert.match(await page.textContent('#library-bar'), /lib\/other:v1 is in the library, stored .*: it opens without the network\./);
  await page.screenshot({ path: join(SCREENSHOTS, 'library-refresh-offline.png'), fullPage: true });
  // …and offers the stored image instead.
  const asked = requests.length;
  await page.click('#lib-open-current');
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 10_000 });
  await page.waitForSelector('[role=treeitem][data-path="/other/data.bin"]');
  assert.equal(requests.length, asked);
  // rm frees both layer indexes: their kept blobs leave the Cache too.
  await images(page);
  await waitRows(page, 1);
  await page.click(`#lib-table tr[data-repository="${OTHER}"] [data-lib-rm]`);
  await waitRows(page, 0);
  assert.match(await page.textContent('#lib-report'), new RegExp(`Freed layer index ${E.OTHER_LAYER}`));
  for (let i = 0; i < 50 && (await keptKeys(page)).length > 0; i += 1) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(await keptKeys(page), []);
  await page.waitForFunction(
    () => /: 0 layers, 0B\.$/.test(document.querySelector('#lib-kept-space')?.textContent ?? ''),
    null, { timeout: 10_000 });
  assert.deepEqual(problems.filter((p) => !/Failed to load resource/.test(p)), []);
});

// Figures for web/blobs.rs's choice of the Cache API over IndexedDB for kept
// layer blobs (printed, not asserted: no timed tests). The same 64 MiB, in
// 1 MiB pieces, written and read back: the Cache API from a streamed
// Response body (no whole copy ever exists), IndexedDB as one value (the
// bytes must be whole first: an ArrayBuffer, or a Blob assembled from the
// pieces). Raw browser APIs, as the page's code uses them.
test('figures: keeping a 64 MiB blob in the Cache API vs IndexedDB', async (t) => {
  const { page, problems } = await open(t);
  await page.goto(`${SERVER}/`);
  const f = await page.evaluate(async () => {
    const SIZE = 64 << 20;
    const PIECE = 1 << 20;
    const piece = new Uint8Array(PIECE).map((_, i) => (i * 131) & 255);
    const stream = () => {
      let sent = 0;
      return new ReadableStream({
        pull(c) {
          if (sent >= SIZE) { c.close(); return; }
          c.enqueue(piece.slice());
          sent += PIECE;
        },
      });
    };
    const drain = async (body) => {
      const r = body.getReader();
      let n = 0;
      for (;;) { const { done, value } = await r.read(); if (done) return n; n += value.length; }
    };
    const out = {};
    let t0 = performance.now();
    const cache = await caches.open('layerlens-bench');
    await cache.put('https://layerlens.invalid/bench', new Response(stream()));
    out.cachePut = performance.now() - t0;
    t0 = performance.now();
    out.cacheRead = await drain((await cache.match('https://layerlens.invalid/bench')).body);
    out.cacheGet = performance.now() - t0;
    await caches.delete('layerlens-bench');
    const db = await new Promise((ok, err) => {
      const r = indexedDB.open('layerlens-bench', 1);
      r.onupgradeneeded = () => r.result.createObjectStore('b');
      r.onsuccess = () => ok(r.result);
      r.onerror = () => err(r.error);
    });
    const tx = (mode, f) => new Promise((ok, err) => {
      const t = db.transaction('b', mode);
      const req = f(t.objectStore('b'));
      t.oncomplete = () => ok(req.result);
      t.onerror = () => err(t.error);
    });
    t0 = performance.now();
    const whole = new Uint8Array(SIZE);
    for (let o = 0; o < SIZE; o += PIECE) whole.set(piece, o);
    await tx('readwrite', (s) => s.put(whole.buffer, 'bench'));
    out.idbPut = performance.now() - t0;
    t0 = performance.now();
    out.idbRead = (await tx('readonly', (s) => s.get('bench'))).byteLength;
    out.idbGet = performance.now() - t0;
    db.close();
    await new Promise((ok) => { const r = indexedDB.deleteDatabase('layerlens-bench'); r.onsuccess = ok; r.onerror = ok; });
    return out;
  });
  assert.equal(f.cacheRead, 64 << 20);
  assert.equal(f.idbRead, 64 << 20);
  const ms = (v) => `${v.toFixed(0)} ms`;
  console.log(`keep 64 MiB, headless Chromium: Cache API put (streamed) ${ms(f.cachePut)}, read ${ms(f.cacheGet)}; `
    + `IndexedDB put (whole ArrayBuffer) ${ms(f.idbPut)}, get ${ms(f.idbGet)}; `
    + `put ratio IndexedDB/Cache ${(f.idbPut / f.cachePut).toFixed(2)}, read ratio ${(f.idbGet / f.cacheGet).toFixed(2)}; `
    + 'memory held while writing (by construction): the Cache API one 1 MiB piece, IndexedDB the whole 64 MiB');
  assert.deepEqual(problems, []);
});
