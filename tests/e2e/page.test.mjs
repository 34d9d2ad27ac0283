// The page in headless Chromium (playwright-core driving /usr/bin/chromium).
// Run by tests/browser/page.rs, which starts the registry harness and
// `layerlens serve`, and passes:
//   SERVER      http://127.0.0.1:PORT (layerlens serve: page + proxy)
//   REGISTRY    127.0.0.1:PORT (the registry harness, allowed on the proxy)
//   BASIC_REGISTRY, TOKEN_REGISTRY  registries with basic and token auth
//   REGISTRY_USER, REGISTRY_PASSWORD  their account
//   SCREENSHOTS directory for screenshots
//   BARE_SERVER another `layerlens serve` that allows no registry at all
//   TAMPERED_LAYER digest of e2e/tampered:v1's second layer, whose stored
//               bytes were altered (same size)
//   README_SHOTS where tests/e2e/layout.test.mjs puts the README's pictures
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { inspect, settled, useBrowser } from './support.mjs';

const SERVER = process.env.SERVER;
const REGISTRY = process.env.REGISTRY;
const SHOTS = process.env.SCREENSHOTS;
const { BASIC_REGISTRY, TOKEN_REGISTRY, REGISTRY_USER, REGISTRY_PASSWORD } = process.env;
const { BARE_SERVER, TAMPERED_LAYER } = process.env;
assert.ok(SERVER && REGISTRY && SHOTS, 'SERVER, REGISTRY and SCREENSHOTS must be set (run tests/browser/page.rs)');

// Every test runs under the page's real CSP (scripts by a per-response
// nonce the server adds; tests/browser/csp.rs checks it).
const open = useBrowser();

test('type a reference: the image loads, verified, with its files', async (t) => {
  const { page, problems } = await open(t);
  const state = await inspect(page, `${REGISTRY}/e2e/hello:v1`);
  assert.equal(state, 'ready', await page.textContent('#status'));
  assert.equal(await page.locator('[role=tree]').count(), 1);
  for (const path of ['/etc', '/etc/hello', '/etc/motd', '/usr/bin/tool']) {
    assert.equal(await page.locator(`[role=treeitem][data-path="${path}"]`).count(), 1, path);
  }
  // Whited out in layer 1: not in the merged image.
  assert.equal(await page.locator('[role=treeitem][data-path="/etc/os-release"]').count(), 0);
  assert.equal(await page.getAttribute('[role=treeitem][data-path="/etc"]', 'aria-expanded'), 'true');
  assert.equal(await page.getAttribute('#verification', 'data-verified'), 'true');
  assert.match(await page.textContent('#pull'), /^docker pull 127\.0\.0\.1:\d+\/e2e\/hello@sha256:[0-9a-f]{64}$/);
  assert.match(page.url(), /\?image=127\.0\.0\.1:\d+\/e2e\/hello:v1$/);
  assert.match(await page.textContent('#config'), /GREETING=hello/);
  assert.match(await page.textContent('#history'), /ENV GREETING=hello/);
  await page.screenshot({ path: join(SHOTS, 'page-hello.png'), fullPage: true });

  // A layer's changes: the removed file shows, struck through.
  await page.click('[data-layer="1"]');
  await page.click('[data-mode="changes"]');
  await page.waitForSelector('[role=treeitem][data-path="/etc/os-release"].removed');
  assert.match(page.url(), /layer=1&view=changes/);
  // Keyboard: select the first row, move down, open the filter with '/'.
  await page.focus('#tree');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.waitForSelector('[role=treeitem][aria-selected=true][data-path="/etc/hello"]');
  assert.equal(await page.locator('[role=treeitem][aria-selected=true]').count(), 1);
  assert.equal(await page.getAttribute('#tree', 'aria-activedescendant'), await page.getAttribute('[role=treeitem][data-path="/etc/hello"]', 'id'));
  await page.keyboard.press('/');
  await page.waitForFunction(() => document.activeElement.id === 'filter');
  await page.keyboard.type('motd');
  await page.waitForFunction(() => document.querySelectorAll('[role=treeitem]').length === 2);
  await page.screenshot({ path: join(SHOTS, 'page-hello-changes.png'), fullPage: true });
  assert.deepEqual(problems, []);
});

test('keys move through more rows than the window holds; the rows drawn stay in order', async (t) => {
  const { page, problems } = await open(t);
  // Counts the page's writes of its address.
  await page.addInitScript(() => {
    const replace = history.replaceState.bind(history);
    window.addressWrites = 0;
    history.replaceState = (...args) => { window.addressWrites += 1; return replace(...args); };
  });
  await page.goto(`${SERVER}/?image=${REGISTRY}/e2e/many:v1&path=/many/f000`);
  assert.equal(await settled(page), 'ready');
  await page.waitForSelector('[role=treeitem][aria-selected=true][data-path="/many/f000"]');
  await page.focus('#tree');
  // The rows drawn: consecutive positions, in path order, one selected and
  // in view (the window is redrawn in place as it moves: rows that stay
  // keep their elements).
  const drawn = () => page.evaluate(() => {
    const tree = document.getElementById('tree').getBoundingClientRect();
    const rows = [...document.querySelectorAll('[role=treeitem]')];
    const sel = rows.filter((r) => r.getAttribute('aria-selected') === 'true');
    const box = sel[0]?.getBoundingClientRect();
    return {
      index: rows.map((r) => Number(r.dataset.row)),
      paths: rows.map((r) => r.dataset.path),
      selected: sel.map((r) => r.dataset.path),
      inView: !!box && box.top >= tree.top - 1 && box.bottom <= tree.bottom + 1,
      where: `row ${box?.top}–${box?.bottom}, tree ${tree.top}–${tree.bottom}, scrollTop ${document.getElementById('tree').scrollTop}, clientHeight ${document.getElementById('tree').clientHeight}`,
    };
  });
  const check = async (want) => {
    await page.waitForSelector(`[role=treeitem][aria-selected=true][data-path="${want}"]`);
    const d = await drawn();
    assert.ok(d.index.length > 10, `${d.index.length} rows`);
    d.index.forEach((x, i) => assert.equal(x, d.index[0] + i, `rows ${d.index.join(',')}`));
    assert.deepEqual(d.paths, [...d.paths].sort());
    assert.deepEqual(d.selected, [want]);
    assert.ok(d.inView, `${want} is not in view: ${d.where}`);
  };
  for (let i = 1; i <= 70; i += 1) {
    await page.keyboard.press('ArrowDown');
    if (i % 10 === 0) await check(`/many/f${String(i).padStart(3, '0')}`);
  }
  await page.keyboard.press('End');
  await check('/many/f299');
  for (let i = 1; i <= 40; i += 1) await page.keyboard.press('ArrowUp');
  await check('/many/f259');
  // The address follows once the keys rest.
  const addressSays = (want) => page.waitForFunction((w) => new URLSearchParams(location.search).get('path') === w, want);
  await addressSays('/many/f259');
  // A key held down (here 300 presses as fast as they come): the address
  // is written when it is let go, not 300 times (Chromium throttles a
  // page's history writes past 200 in 10 s, with a console warning; the
  // tests' Chromium runs without that protection, so the writes are
  // counted instead).
  const writes = await page.evaluate(() => window.addressWrites);
  for (let i = 1; i <= 150; i += 1) {
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowDown');
  }
  await page.keyboard.press('ArrowUp');
  await check('/many/f258');
  await addressSays('/many/f258');
  const held = await page.evaluate(() => window.addressWrites) - writes;
  assert.ok(held >= 1 && held <= 10, `${held} address writes for 301 keys`);
  await page.keyboard.press('Home');
  await check('/many');
  assert.deepEqual(problems, []);
});

test('an invalid reference explains itself', async (t) => {
  const { page, problems } = await open(t);
  const state = await inspect(page, 'Not A Valid::Ref');
  assert.equal(state, 'error');
  const alert = await page.textContent('#status [role=alert]');
  assert.match(alert, /not a valid image reference/);
  assert.match(alert, /it contains a space/);
  await page.screenshot({ path: join(SHOTS, 'page-invalid-reference.png') });
  assert.deepEqual(problems, []);
});

test('an unknown tag names the object', async (t) => {
  const { page } = await open(t);
  const state = await inspect(page, `${REGISTRY}/e2e/hello:nope`);
  assert.equal(state, 'error');
  assert.match(await page.textContent('#status [role=alert]'), /e2e\/hello:nope/);
});

test('platforms: switching shows each platform\'s files and keeps the path', async (t) => {
  const { page, problems } = await open(t);
  assert.equal(await inspect(page, `${REGISTRY}/e2e/multi:v1`), 'ready');
  assert.equal(await page.getAttribute('[data-platform="linux/amd64"]', 'aria-pressed'), 'true');
  assert.equal(await page.locator('[data-path="/etc/amd64-only"]').count(), 1);
  await page.click('[role=treeitem][data-path="/etc/hello"]');
  await page.click('[data-platform="linux/arm64/v8"]');
  await page.waitForSelector('[role=treeitem][data-path="/etc/arm64-only"]', { timeout: 60_000 });
  assert.equal(await settled(page), 'ready');
  assert.equal(await page.locator('[data-path="/etc/amd64-only"]').count(), 0);
  assert.equal(await page.getAttribute('[data-platform="linux/arm64/v8"]', 'aria-pressed'), 'true');
  assert.equal(await page.getAttribute('[role=treeitem][data-path="/etc/hello"]', 'aria-selected'), 'true');
  assert.match(page.url(), /platform=linux\/arm64\/v8/);
  // Back returns to amd64.
  await page.goBack();
  await page.waitForSelector('[role=treeitem][data-path="/etc/amd64-only"]', { timeout: 60_000 });
  assert.deepEqual(problems, []);
});

test('hostile names and labels render as text; no script runs', async (t) => {
  // CSP bypassed on purpose: only the page's own rendering keeps these inert.
  const { page, problems } = await open(t, { bypassCSP: true });
  await page.addInitScript(() => { window.__xss = undefined; });
  assert.equal(await inspect(page, `${REGISTRY}/e2e/xss:v1`), 'ready');
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.equal(await page.evaluate(() => document.querySelectorAll('#app img, #app script, #app b').length), 0);
  assert.equal(await page.locator('[role=treeitem][data-path="/etc/<img src=x onerror=window.__xss=1>"]').count(), 1);
  const tree = await page.textContent('#tree');
  assert.ok(tree.includes('<img src=x onerror=window.__xss=1>'), tree);
  assert.ok(tree.includes('<svg onload=window.__xss=4>'), tree);
  const config = await page.textContent('#config');
  assert.ok(config.includes('<img src=x onerror=window.__xss=2>=<b onmouseover=window.__xss=3>label</b>'), config);
  assert.ok(config.includes('EVIL=<img src=x onerror=window.__xss=5>'), config);
  assert.ok((await page.textContent('#history')).includes('<img src=x onerror=window.__xss=6>'));
  await page.click('#tab-config');
  await page.hover('#config');
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.deepEqual(problems, []);
});

test('a deep link restores the view', async (t) => {
  const { page, problems } = await open(t);
  const link = `${SERVER}/?image=${REGISTRY}/e2e/hello:v1&layer=1&path=/etc/motd&view=changes`;
  await page.goto(link);
  assert.equal(await settled(page), 'ready');
  assert.equal(await page.getAttribute('[role=treeitem][data-path="/etc/motd"]', 'aria-selected'), 'true');
  assert.equal(await page.locator('#file[data-path="/etc/motd"]').count(), 1);
  assert.equal(await page.getAttribute('[data-layer="1"]', 'aria-pressed'), 'true');
  assert.equal(await page.getAttribute('[data-mode="changes"]', 'aria-pressed'), 'true');
  assert.equal(page.url(), link);
  await page.goto(`${SERVER}/?image=${REGISTRY}/e2e/hello:v1&path=/etc/hello`);
  assert.equal(await settled(page), 'ready');
  assert.equal(await page.locator('#file[data-path="/etc/hello"]').count(), 1);
  assert.deepEqual(problems, []);
});

test('narrow and dark', async (t) => {
  const { page, problems } = await open(t, { viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
  assert.equal(await inspect(page, `${REGISTRY}/e2e/hello:v1`), 'ready');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `page scrolls sideways by ${overflow}px`);
  await page.screenshot({ path: join(SHOTS, 'page-hello-narrow-dark.png'), fullPage: true });
  assert.deepEqual(problems, []);
});

for (const [flavour, registry] of [['basic', BASIC_REGISTRY], ['token', TOKEN_REGISTRY]]) {
  test(`credentials are asked for on a ${flavour}-auth registry`, async (t) => {
    const { page } = await open(t);
    assert.equal(await inspect(page, `${registry}/e2e/private:v1`), 'error');
    assert.match(await page.textContent('#status [role=alert]'), /needs credentials/);
    await page.waitForFunction(() => document.activeElement.id === 'cred-user');
    await page.screenshot({ path: join(SHOTS, `page-credentials-${flavour}.png`) });
    // A wrong password is refused, and the form comes back.
    await page.fill('#cred-user', REGISTRY_USER);
    await page.fill('#cred-pass', 'wrong');
    await page.click('#credentials button[type=submit]');
    // (The retry may finish within one frame: wait for its outcome, not for
    // the form to go away.)
    await page.waitForFunction(() => /refused/.test(document.querySelector('#status').textContent));
    assert.equal(await settled(page), 'error');
    await page.waitForSelector('#credentials');
    await page.fill('#cred-user', REGISTRY_USER);
    await page.fill('#cred-pass', REGISTRY_PASSWORD);
    await page.click('#credentials button[type=submit]');
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });
    assert.equal(await page.locator('[role=treeitem][data-path="/etc/hello"]').count(), 1);
    assert.equal(await page.getAttribute('#verification', 'data-verified'), 'true');
    // Never in the link.
    assert.ok(!page.url().includes(REGISTRY_USER) && !page.url().includes('horse'), page.url());
  });
}

test('a large layer streams with a progress bar while the page stays responsive', async (t) => {
  const { page, problems } = await open(t);
  await page.goto(`${SERVER}/`);
  await page.waitForSelector('#ref');
  await page.evaluate(() => {
    window.__longest = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longest = Math.max(window.__longest, e.duration);
    }).observe({ type: 'longtask', buffered: true });
  });
  const started = Date.now();
  await page.fill('#ref', `${REGISTRY}/e2e/big:v1`);
  await page.press('#ref', 'Enter');
  // The bar shows while bytes arrive, and the page answers meanwhile.
  await page.waitForSelector('#layers progress', { timeout: 60_000 });
  const answered = await page.evaluate(() => new Promise((r) => {
    const t0 = performance.now();
    setTimeout(() => r(performance.now() - t0), 0);
  }));
  assert.equal(await settled(page), 'ready');
  const seconds = (Date.now() - started) / 1000;
  const longest = await page.evaluate(() => window.__longest);
  console.log(`24 MiB layer: ready in ${seconds.toFixed(1)} s (${(24 / seconds).toFixed(1)} MiB/s with the dist/ build in use); ` +
    `longest main-thread task ${longest.toFixed(0)} ms; a timer during the download ran after ${answered.toFixed(0)} ms`);
  assert.equal(await page.locator('[role=treeitem][data-path="/data/blob.bin"]').count(), 1);
  assert.equal(await page.getAttribute('#verification', 'data-verified'), 'true');
  assert.deepEqual(problems, []);
});

test('the proxy refusing a host says how to allow it', async (t) => {
  const { page } = await open(t);
  // A registry the proxy was not told about: refused before any connection.
  assert.equal(await inspect(page, '127.0.0.1:9/e2e/hello:v1'), 'error');
  const alert = await page.textContent('#status [role=alert]');
  assert.match(alert, /proxy refuses 127\.0\.0\.1:9/);
  assert.match(alert, /--allow-registry 127\.0\.0\.1:9/);
});

test('an unreachable proxy is named, with what to do', async (t) => {
  const { page } = await open(t);
  await page.goto(`${SERVER}/`);
  await page.waitForSelector('#ref');
  await page.click('#settings summary');
  await page.fill('#proxy-base', 'http://127.0.0.1:9/proxy/');
  await page.click('#proxy-save');
  await page.waitForFunction(() => /now go through http:\/\/127\.0\.0\.1:9\/proxy\//.test(document.querySelector('#status').textContent));
  await page.fill('#ref', `${REGISTRY}/e2e/hello:v1`);
  await page.press('#ref', 'Enter');
  assert.equal(await settled(page), 'error');
  const alert = await page.textContent('#status [role=alert]');
  assert.match(alert, /Cannot reach the proxy/);
  assert.match(alert, /http:\/\/127\.0\.0\.1:9\/proxy\//);
  assert.match(alert, /layerlens serve/);
});

test('a new reference while a layer streams cancels the old load cleanly', async (t) => {
  const { page, problems } = await open(t);
  await page.goto(`${SERVER}/`);
  await page.waitForSelector('#ref');
  await page.fill('#ref', `${REGISTRY}/e2e/big:v1`);
  await page.press('#ref', 'Enter');
  await page.waitForSelector('#layers progress', { timeout: 60_000 });
  await page.fill('#ref', `${REGISTRY}/e2e/hello:v1`);
  await page.press('#ref', 'Enter');
  assert.equal(await settled(page), 'ready');
  await page.waitForTimeout(300);
  assert.equal(await page.locator('[role=treeitem][data-path="/etc/hello"]').count(), 1);
  assert.equal(await page.locator('[role=treeitem][data-path="/data/blob.bin"]').count(), 0);
  assert.equal(await page.getAttribute('#verification', 'data-verified'), 'true');
  assert.deepEqual(problems, []);
});

test('an altered blob shows a red mismatch naming the layer; the other layer stays browsable', async (t) => {
  const { page } = await open(t);
  // A layer that fails verification does not stop the image: it ends ready.
  assert.equal(await inspect(page, `${REGISTRY}/e2e/tampered:v1`), 'ready', await page.textContent('#status'));
  assert.equal(await page.getAttribute('#verification', 'data-verified'), 'false');
  const bad = await page.textContent('#verification .bad');
  assert.ok(bad.includes(TAMPERED_LAYER), `${bad} should name ${TAMPERED_LAYER}`);
  assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector('#verification .bad')).color !== getComputedStyle(document.querySelector('#verification .ok')).color), true);
  assert.match(await page.textContent('#status'), new RegExp(`failed verification[\\s\\S]*${TAMPERED_LAYER}`));
  // The intact layer's files are in the tree; the altered one's are kept out.
  assert.equal(await page.locator('[role=treeitem][data-path="/good/kept.txt"]').count(), 1);
  assert.equal(await page.locator('[role=treeitem][data-path="/bad/noise.bin"]').count(), 0);
  await page.click('[role=treeitem][data-path="/good/kept.txt"]');
  await page.waitForSelector('#file[data-path="/good/kept.txt"]');
  // (The panel shows the entry's details: the size of what layer 0 wrote.)
  const kept = `(${'this layer is intact\n'.length} bytes)`;
  await page.waitForFunction((k) => document.querySelector('#file').textContent.includes(k), kept);
  await page.screenshot({ path: join(SHOTS, 'page-tampered.png'), fullPage: true });
});

test('the demo image works with no registry at all', async (t) => {
  const { page, problems } = await open(t, { viewport: { width: 1280, height: 800 } });
  await page.goto(`${BARE_SERVER}/`);
  await page.click('text=Try the demo image');
  await page.waitForFunction(() => document.body.dataset.state !== 'idle');
  assert.equal(await settled(page), 'ready', await page.textContent('#status'));
  assert.equal(await page.getAttribute('[data-platform="linux/amd64"]', 'aria-pressed'), 'true');
  assert.equal(await page.locator('[data-platform="linux/arm64/v8"]').count(), 1);
  assert.equal(await page.getAttribute('#verification', 'data-verified'), 'true');
  // /etc/demo-arch holds its platform's name and a newline: its size
  // differs per platform, in the file panel, which keeps the path.
  const size = (platform) => `(${`${platform}\n`.length} bytes)`;
  const shows = (s) => document.querySelector('#file[data-path="/etc/demo-arch"]')?.textContent.includes(s);
  await page.click('[role=treeitem][data-path="/etc/demo-arch"]');
  await page.waitForFunction(shows, size('linux/amd64'));
  await page.click('[data-platform="linux/arm64/v8"]');
  await page.waitForFunction(shows, size('linux/arm64/v8'), { timeout: 60_000 });
  assert.equal(await settled(page), 'ready');
  assert.equal(await page.getAttribute('[data-platform="linux/arm64/v8"]', 'aria-pressed'), 'true');
  assert.match(page.url(), /platform=linux\/arm64\/v8/);
  assert.deepEqual(problems, []);
});
