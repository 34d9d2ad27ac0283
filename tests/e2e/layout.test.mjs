// The image view as a workbench, in headless Chromium: at 1440×900 the
// layers, the tree and the file side by side on one screen, nothing to
// scroll; at 390×844 the panes stacked, nothing wider than the screen; the
// tabs and their links; dive's keys; axe-core on every view at both sizes;
// and screenshots of each view at both sizes into SCREENSHOTS (an artefact
// for people to look at, not a pixel comparison). Run by tests/browser/page.rs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { settled, useBrowser, withoutLookupMisses } from './support.mjs';

const { SERVER, REGISTRY, SCREENSHOTS, TAG_REGISTRY, README_SHOTS, BARE_SERVER } = process.env;
assert.ok(SERVER && REGISTRY && SCREENSHOTS && TAG_REGISTRY && README_SHOTS && BARE_SERVER, 'SERVER, REGISTRY, TAG_REGISTRY, SCREENSHOTS, README_SHOTS and BARE_SERVER must be set (run tests/browser/page.rs)');
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

const open = useBrowser();
const WIDE = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
const HELLO = `${REGISTRY}/e2e/hello:v1`;
const ROW = 24;

async function load(page, query) {
  await page.goto(`${SERVER}/${query}`);
  return settled(page);
}

/// The panes' boxes, and how far the page scrolls each way.
async function layout(page) {
  return page.evaluate(() => {
    const box = (s) => {
      const r = document.querySelector(s).getBoundingClientRect();
      return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height };
    };
    return {
      layers: box('#layers'), files: box('#files'), file: box('#file-pane'), tree: box('#tree'),
      sideways: document.documentElement.scrollWidth - window.innerWidth,
      downwards: document.documentElement.scrollHeight - window.innerHeight,
    };
  });
}

async function openFile(page, path) {
  await page.click(`[role=treeitem][data-path="${path}"]`);
  await page.waitForSelector(`#file[data-path="${path}"]`);
  await page.waitForSelector('#file-content[data-file-state="text"]');
}

test('1440×900: layers, tree (20 rows and more) and file side by side, the full width, no scrolling', async (t) => {
  const { page, problems } = await open(t, { viewport: WIDE });
  assert.equal(await load(page, `?image=${HELLO}&path=/etc/hello`), 'ready');
  await page.waitForSelector('#file-content[data-file-state="text"]');
  const l = await layout(page);
  for (const pane of ['layers', 'files', 'file']) {
    assert.ok(l[pane].top >= 0 && l[pane].bottom <= WIDE.height, `${pane} on screen: ${JSON.stringify(l[pane])}`);
    assert.ok(l[pane].width >= 300, `${pane} is ${l[pane].width}px wide`);
  }
  assert.ok(l.layers.right <= l.files.left && l.files.right <= l.file.left, JSON.stringify(l));
  assert.ok(l.layers.left <= 24 && l.file.right >= WIDE.width - 24, `the full width: ${l.layers.left}…${l.file.right}`);
  assert.ok(l.tree.height >= 20 * ROW, `the tree shows ${Math.floor(l.tree.height / ROW)} rows`);
  assert.ok(l.sideways <= 1 && l.downwards <= 1, `the page scrolls ${l.sideways}px sideways, ${l.downwards}px down`);
  assert.match(await page.textContent('#file-content .code'), /hello from layerlens/);
  await page.screenshot({ path: join(SCREENSHOTS, 'workbench-hello-1440.png') });

  // The layer drives the tree; a file opens in the file pane, beside it.
  await page.click('[data-layer="0"]');
  await page.waitForFunction(() => /[?&]layer=0/.test(location.search));
  await page.waitForSelector('[role=treeitem][data-path="/etc/os-release"]');
  await openFile(page, '/etc/os-release');
  assert.match(await page.textContent('#file-content .code'), /ID=e2e/);
  await page.click('[data-layer="all"]');
  await page.waitForSelector('[role=treeitem][data-path="/etc/motd"]');
  await page.waitForSelector('[role=treeitem][data-path="/etc/os-release"]', { state: 'detached' });
  assert.deepEqual(problems, []);
});

test('390×844: the panes stack, each as wide as the screen, nothing scrolls sideways', async (t) => {
  const { page, problems } = await open(t, { viewport: PHONE });
  assert.equal(await load(page, `?image=${HELLO}`), 'ready');
  const l = await layout(page);
  assert.ok(l.layers.bottom <= l.files.top && l.files.bottom <= l.file.top, JSON.stringify(l));
  for (const pane of ['layers', 'files', 'file']) {
    assert.ok(l[pane].left >= 0 && l[pane].right <= PHONE.width, `${pane}: ${JSON.stringify(l[pane])}`);
    assert.ok(l[pane].width >= PHONE.width - 40, `${pane} is ${l[pane].width}px wide`);
  }
  assert.ok(l.sideways <= 1, `the page scrolls sideways by ${l.sideways}px`);
  const rows = await page.locator('[role=treeitem]').count();
  assert.ok(l.tree.height >= Math.min(rows, 8) * ROW, `the tree shows ${Math.floor(l.tree.height / ROW)} of ${rows} rows`);
  await openFile(page, '/etc/motd');
  assert.match(await page.textContent('#file-content .code'), /welcome/);
  assert.ok((await layout(page)).sideways <= 1);
  await page.screenshot({ path: join(SCREENSHOTS, 'workbench-hello-390.png'), fullPage: true });
  assert.deepEqual(problems, []);
});

test("the README's pictures: the demo image at 1440×900 and 390×844", async (t) => {
  // docs/ when LAYERLENS_UPDATE_SCREENSHOT=1, else target/screenshots/.
  const demo = `${new URL(BARE_SERVER).host}/demo:latest`;
  for (const [name, viewport] of [['workbench-1440.png', WIDE], ['workbench-390.png', PHONE]]) {
    const { page, problems } = await open(t, { viewport });
    await page.goto(`${BARE_SERVER}/?image=${demo}&path=/etc/os-release`);
    assert.equal(await settled(page), 'ready', await page.textContent('#status'));
    await page.waitForSelector('#file-content[data-file-state="text"]');
    await page.screenshot({ path: join(README_SHOTS, name), fullPage: viewport === PHONE });
    assert.deepEqual(problems, []);
  }
});

test('tabs: config, history, wasted space and raw documents replace the files, and the link says which', async (t) => {
  const { page, problems } = await open(t, { viewport: WIDE });
  assert.equal(await load(page, `?image=${HELLO}&tab=config`), 'ready');
  assert.equal(await page.getAttribute('#tab-config', 'aria-selected'), 'true');
  assert.equal(await page.isVisible('#config'), true);
  assert.equal(await page.isVisible('#workbench'), false);
  assert.match(await page.innerText('#config'), /GREETING=hello/);
  await page.click('#tab-history');
  await page.waitForFunction(() => /[?&]tab=history/.test(location.search));
  assert.match(await page.innerText('#history'), /ENV GREETING=hello/);
  // The ARIA tabs pattern: arrows move along the strip.
  await page.focus('#tab-history');
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => /[?&]tab=waste/.test(location.search));
  assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-waste');
  await page.waitForSelector('#efficiency');
  await page.click('#tab-files');
  await page.waitForFunction(() => !/[?&]tab=/.test(location.search));
  await page.waitForSelector('#tree');
  // The head's digest opens its document, as in a registry explorer.
  await page.click('#overview .facts [data-digest]');
  await page.waitForFunction(() => /[?&]tab=raw/.test(location.search) && document.querySelector('#raw-manifest')?.open);
  assert.match(await page.textContent('#raw-manifest summary'), new RegExp(await page.getAttribute('#overview .facts [data-digest]', 'data-digest')));
  assert.deepEqual(problems, []);
});

test("dive's keys: arrows through the layers, Tab to the tree, Space, Ctrl+A/R/M/U/B, / and ?", async (t) => {
  const { page, problems } = await open(t, { viewport: WIDE });
  assert.equal(await load(page, `?image=${HELLO}`), 'ready');
  // Focus moves after the frame that draws its target.
  const focused = (id) => page.waitForFunction((id) => document.activeElement?.id === id, id);
  // The layers list: one stop for Tab, the arrows move and the tree follows.
  await page.focus('#layer-focus');
  await page.keyboard.press('ArrowDown');
  // The address is written with the state, the list drawn in the next frame.
  const layerFocus = (want) => page.waitForFunction((w) => document.querySelector('#layer-focus')?.dataset.layer === w, want);
  await page.waitForFunction(() => /[?&]layer=0/.test(location.search));
  await layerFocus('0');
  await focused('layer-focus');
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction(() => /[?&]layer=1/.test(location.search));
  await page.keyboard.press('Home');
  await page.waitForFunction(() => !/[?&]layer=/.test(location.search));
  await layerFocus('all');
  // Tab goes from the layers to the tree, and from the tree to the file.
  await page.keyboard.press('Tab');
  await focused('tree');
  await page.keyboard.press('Home');
  const first = '[role=treeitem][aria-selected="true"]';
  await page.waitForSelector(first);
  assert.equal(await page.getAttribute(first, 'data-path'), '/etc');
  const expanded = () => page.getAttribute('[role=treeitem][data-path="/etc"]', 'aria-expanded');
  assert.equal(await expanded(), 'true');
  await page.keyboard.press(' ');
  await page.waitForFunction(() => document.querySelector('[role=treeitem][data-path="/etc"]').getAttribute('aria-expanded') === 'false');
  await page.keyboard.press(' ');
  await page.waitForFunction(() => document.querySelector('[role=treeitem][data-path="/etc"]').getAttribute('aria-expanded') === 'true');
  // Ctrl+A/R/M/U show and hide each kind of change; Ctrl+B the attributes.
  for (const [key, box] of [['a', 'added'], ['r', 'removed'], ['m', 'modified'], ['u', 'unmodified']]) {
    assert.equal(await page.isChecked(`#show-${box}`), true);
    await page.keyboard.press(`Control+${key}`);
    await page.waitForFunction((b) => !document.querySelector(`#show-${b}`).checked, box);
    await page.keyboard.press(`Control+${key}`);
    await page.waitForFunction((b) => document.querySelector(`#show-${b}`).checked, box);
  }
  await page.keyboard.press('Control+u');
  await page.waitForSelector('[role=treeitem][data-path="/usr"]', { state: 'detached' });
  await page.keyboard.press('Control+u');
  await page.waitForSelector('[role=treeitem][data-path="/usr"]');
  assert.equal(await page.isVisible('#tree .row .mode'), true);
  await page.keyboard.press('Control+b');
  await page.waitForSelector('#tree.no-attributes');
  assert.equal(await page.isVisible('#tree .row .mode'), false);
  await page.keyboard.press('Control+b');
  await page.waitForSelector('#tree:not(.no-attributes)');
  await focused('tree');
  await page.keyboard.press('Tab');
  await focused('file-pane');
  // ? opens the key help (and Escape closes it); / goes to the filter.
  await page.keyboard.press('?');
  await page.waitForSelector('#key-help:not([hidden])');
  await focused('key-help');
  assert.match(await page.innerText('#key-help'), /Ctrl\+B/);
  await page.keyboard.press('Escape');
  await page.waitForSelector('#key-help', { state: 'hidden' });
  await page.keyboard.press('/');
  await focused('filter');
  // Typed into the filter, a key is text, not a command.
  await page.keyboard.type('?b');
  assert.equal(await page.inputValue('#filter'), '?b');
  assert.equal(await page.isVisible('#key-help'), false);
  // Every control shows where the focus is.
  await page.focus('#tab-config');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none');
  assert.deepEqual(problems, []);
});

/// axe-core's serious and critical violations on the page as it is now.
async function axe(page) {
  await page.addScriptTag({ path: AXE });
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  });
  return found;
}

// Each view of the page: how to reach it, and what shows it is there.
const VIEWS = [
  ['start', '', '#ref'],
  ['image', `?image=${HELLO}&path=/etc/hello`, '#file-content[data-file-state="text"]'],
  ['file-hex', `?image=${REGISTRY}/e2e/files:v1&path=/bin/blob.dat`, '#file-content[data-file-state="hex"]'],
  ['config', `?image=${HELLO}&tab=config`, '#config'],
  ['history', `?image=${HELLO}&tab=history`, '#history'],
  ['waste', `?image=${HELLO}&tab=waste`, '#efficiency'],
  ['raw', `?image=${REGISTRY}/e2e/multi:v1&tab=raw`, '#raw-index'],
  ['compare', `?image=${REGISTRY}/e2e/multi:v1&platform=linux/amd64&compare=${REGISTRY}/e2e/multi:v1&compare-platform=linux/arm64/v8&tab=compare`, '[data-diff-summary]'],
  ['compare-diff', `?image=${REGISTRY}/e2e/multi:v1&platform=linux/amd64&compare=${REGISTRY}/e2e/multi:v1&compare-platform=linux/arm64/v8&path=/etc/hello`, '[data-diff-view]'],
  ['supply', `?image=${REGISTRY}/e2e/signed:v1&platform=linux/amd64&tab=supply`, '#supply-summary[data-supply-status="done"]'],
  ['images', '?page=images', '#library:not([hidden])'],
  ['search', '?page=search&q=busybox', '#search-results tbody tr'],
  ['tags', `?page=tags&repo=${TAG_REGISTRY}/e2e/tags`, '#tags-list li'],
];

for (const [size, viewport] of [['1440', WIDE], ['390', PHONE]]) {
  for (const scheme of ['light', 'dark']) {
    test(`axe-core finds no serious or critical violation on any view at ${size} px, ${scheme}; screenshots`, async (t) => {
      // CSP bypassed so the test can add axe-core's script to the page.
      const { page, problems } = await open(t, { viewport, colorScheme: scheme, bypassCSP: true });
      const found = [];
      for (const [name, query, shown] of VIEWS) {
        await page.goto(`${SERVER}/${query}`);
        await page.waitForSelector(shown);
        if (query.includes('image=')) assert.equal(await settled(page), 'ready', name);
        found.push(...(await axe(page)).map((v) => `${name}: ${v}`));
        await page.screenshot({ path: join(SCREENSHOTS, `view-${name}-${size}-${scheme}.png`), fullPage: size === '390' });
        if (name === 'image') {
          await page.keyboard.press('?');
          await page.waitForSelector('#key-help:not([hidden])');
          found.push(...(await axe(page)).map((v) => `key help: ${v}`));
          await page.screenshot({ path: join(SCREENSHOTS, `view-keys-${size}-${scheme}.png`) });
        }
      }
      assert.deepEqual(found, []);
      assert.deepEqual(withoutLookupMisses(problems), []);
    });
  }
}
