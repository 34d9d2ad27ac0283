// Layer scans in Web Workers (src/web/worker/), in headless Chromium.
// Run by tests/browser/page.rs with the env described at the top of
// page.test.mjs (SERVER, REGISTRY, TAMPERED_LAYER, …). The page runs under
// its real CSP here (`worker-src 'self' blob:`), never bypassed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect, settled, submit, useBrowser } from './support.mjs';

const { SERVER, REGISTRY, TAMPERED_LAYER, TAMPERED_BIG_LAYER, GONE_BIG_LAYER } = process.env;
assert.ok(SERVER && REGISTRY && TAMPERED_LAYER && TAMPERED_BIG_LAYER && GONE_BIG_LAYER,
  'SERVER, REGISTRY, TAMPERED_LAYER, TAMPERED_BIG_LAYER and GONE_BIG_LAYER must be set (run tests/browser/page.rs)');

const open = useBrowser();

test('a large layer is scanned in a worker: progress and verification arrive, no long task on the page', async (t) => {
  const { page, problems } = await open(t);
  await page.goto(`${SERVER}/`);
  await page.waitForSelector('#ref');
  await page.evaluate(() => {
    // Tasks over 50 ms from the submit on (the page's own start, compiling
    // the debug build's wasm, is not the layer's work).
    window.__tasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__tasks.push([e.startTime, e.duration]);
    }).observe({ type: 'longtask', buffered: true });
    // Every bar value seen, to show progress arrives in steps.
    window.__seen = new Set();
    const watch = () => {
      for (const p of document.querySelectorAll('#layers progress')) window.__seen.add(p.value);
      if (document.body.dataset.state === 'loading' || document.body.dataset.state === 'idle') requestAnimationFrame(watch);
    };
    requestAnimationFrame(watch);
  });
  const t0 = await page.evaluate(() => performance.now());
  await submit(page, `${REGISTRY}/e2e/big:v1`);
  await page.waitForSelector('#layers progress', { timeout: 60_000 });
  assert.equal(await settled(page), 'ready', await page.textContent('#status'));
  const tasks = await page.evaluate((t) => window.__tasks.filter(([start]) => start >= t), t0);
  const longest = Math.max(0, ...tasks.map(([, d]) => d));
  console.log(`long tasks after submit: ${JSON.stringify(tasks.map(([s, d]) => [Math.round(s - t0), Math.round(d)]))}`);
  const seen = await page.evaluate(() => [...window.__seen]);
  console.log(`24 MiB layer in a worker: longest main-thread task ${longest.toFixed(0)} ms; bar values seen ${seen.length}`);
  assert.ok(longest < 200, `a main-thread task took ${longest} ms`);
  assert.ok(seen.length >= 2, `the bar moved: ${seen}`);
  assert.equal(await page.evaluate(() => document.body.dataset.scanner), 'worker');
  // One layer, two workers: the second one computes the digests.
  assert.equal(await page.evaluate(() => document.body.dataset.linked), '1');
  assert.ok(page.workers().length >= 2, 'the page runs two workers');
  assert.equal(await page.locator('[role=treeitem][data-path="/data/blob.bin"]').count(), 1);
  assert.equal(await page.getAttribute('#verification', 'data-verified'), 'true');
  assert.doesNotMatch(await page.textContent('#status'), /main thread/);
  assert.deepEqual(problems, []);
});

test('an altered layer scanned in a worker is a red mismatch naming it; the other layer stays', async (t) => {
  const { page, problems } = await open(t);
  assert.equal(await inspect(page, `${REGISTRY}/e2e/tampered:v1`), 'ready', await page.textContent('#status'));
  assert.equal(await page.evaluate(() => document.body.dataset.scanner), 'worker');
  assert.equal(await page.getAttribute('#verification', 'data-verified'), 'false');
  const bad = await page.textContent('#verification .bad');
  assert.ok(bad.includes(TAMPERED_LAYER), `${bad} should name ${TAMPERED_LAYER}`);
  assert.match(await page.textContent('#status'), new RegExp(`failed verification[\\s\\S]*${TAMPERED_LAYER}`));
  assert.equal(await page.locator('[role=treeitem][data-path="/good/kept.txt"]').count(), 1);
  assert.equal(await page.locator('[role=treeitem][data-path="/bad/noise.bin"]').count(), 0);
  assert.deepEqual(problems, []);
});

test('an altered large layer scanned over two workers is a red mismatch naming it', async (t) => {
  const { page, problems } = await open(t);
  assert.equal(await inspect(page, `${REGISTRY}/e2e/tampered-big:v1`), 'ready', await page.textContent('#status'));
  assert.equal(await page.evaluate(() => document.body.dataset.linked), '1');
  assert.equal(await page.getAttribute('#verification', 'data-verified'), 'false');
  const bad = await page.textContent('#verification .bad');
  assert.ok(bad.includes(TAMPERED_BIG_LAYER), `${bad} should name ${TAMPERED_BIG_LAYER}`);
  // The helper's blob digest tells other bytes from a corrupt layer.
  assert.match(bad, /digest/i);
  // The workers are free again: the next image loads (and links) as usual.
  assert.equal(await inspect(page, `${REGISTRY}/e2e/big:v1`), 'ready', await page.textContent('#status'));
  assert.equal(await page.getAttribute('#verification', 'data-verified'), 'true');
  assert.equal(await page.evaluate(() => document.body.dataset.linked), '1');
  assert.deepEqual(problems, []);
});

test('a large layer whose blob is gone fails in words; the linked workers stay usable', async (t) => {
  const { page, problems } = await open(t);
  assert.equal(await inspect(page, `${REGISTRY}/e2e/gone-big:v1`), 'ready', await page.textContent('#status'));
  assert.equal(await page.getAttribute('#verification', 'data-verified'), 'false');
  assert.ok((await page.textContent('#verification .bad')).includes(GONE_BIG_LAYER));
  // No worker died: the next image is scanned over two workers again.
  assert.equal(await inspect(page, `${REGISTRY}/e2e/big:v1`), 'ready', await page.textContent('#status'));
  assert.equal(await page.getAttribute('#verification', 'data-verified'), 'true');
  assert.equal(await page.evaluate(() => document.body.dataset.linked), '1');
  assert.deepEqual(problems, []);
});

test('without Web Workers the page scans on its main thread and says so once', async (t) => {
  const { page, problems } = await open(t);
  await page.addInitScript(() => { delete window.Worker; });
  assert.equal(await inspect(page, `${REGISTRY}/e2e/hello:v1`), 'ready', await page.textContent('#status'));
  assert.equal(await page.evaluate(() => document.body.dataset.scanner), 'main');
  assert.match(await page.textContent('#status'), /Web Workers could not start here[\s\S]*main thread/);
  assert.equal(await page.locator('[role=treeitem][data-path="/etc/hello"]').count(), 1);
  assert.equal(await page.getAttribute('#verification', 'data-verified'), 'true');
  assert.equal(page.workers().length, 0);
  assert.deepEqual(problems, []);
});

test('a policy that forbids workers: the page falls back and still verifies', async (t) => {
  const { page } = await open(t);
  // The served page, with a CSP that refuses blob: workers (a static host
  // with its own policy, say).
  await page.route(`${SERVER}/`, async (route) => {
    const response = await route.fetch();
    const headers = { ...response.headers() };
    headers['content-security-policy'] = headers['content-security-policy'].replace(/worker-src[^;]*/, "worker-src 'none'");
    await route.fulfill({ response, headers });
  });
  assert.equal(await inspect(page, `${REGISTRY}/e2e/tampered:v1`), 'ready', await page.textContent('#status'));
  assert.equal(await page.evaluate(() => document.body.dataset.scanner), 'main');
  assert.match(await page.textContent('#status'), /main thread/);
  assert.equal(await page.getAttribute('#verification', 'data-verified'), 'false');
  assert.ok((await page.textContent('#verification .bad')).includes(TAMPERED_LAYER));
  assert.equal(await page.locator('[role=treeitem][data-path="/good/kept.txt"]').count(), 1);
});

test('a new reference while a layer streams in a worker cancels it; the next load uses workers', async (t) => {
  const { page, problems } = await open(t);
  await page.goto(`${SERVER}/`);
  await page.waitForSelector('#ref');
  await submit(page, `${REGISTRY}/e2e/big:v1`);
  await page.waitForSelector('#layers progress', { timeout: 60_000 });
  await submit(page, `${REGISTRY}/e2e/tampered:v1`);
  assert.equal(await settled(page), 'ready');
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => document.body.dataset.scanner), 'worker');
  assert.equal(await page.locator('[role=treeitem][data-path="/good/kept.txt"]').count(), 1);
  assert.equal(await page.locator('[role=treeitem][data-path="/data/blob.bin"]').count(), 0);
  assert.equal(await page.getAttribute('#verification', 'data-verified'), 'false');
  assert.deepEqual(problems, []);
});

test('a worker that crashes on a layer fails that layer in words; the next load gets new workers', async (t) => {
  const { page } = await open(t);
  await page.goto(`${SERVER}/`);
  await page.waitForSelector('#ref');
  await page.waitForFunction(() => document.body.dataset.state === 'idle');
  const deadline = Date.now() + 30_000;
  while (page.workers().length < 2 && Date.now() < deadline) await page.waitForTimeout(50);
  assert.equal(page.workers().length, 2, 'two layer workers on these machines');
  // Once each worker runs the module (its own message handler replaced the
  // bootstrap's), make its next message — a layer — throw uncaught.
  for (const w of page.workers()) {
    await w.evaluate(() => new Promise((resolve) => {
      const ready = () => {
        if (self.onmessage && !String(self.onmessage).includes('module_or_path')) {
          self.addEventListener('message', () => { throw new Error('boom'); });
          resolve();
        } else {
          setTimeout(ready, 20);
        }
      };
      ready();
    }));
  }
  await submit(page, `${REGISTRY}/e2e/hello:v1`);
  assert.equal(await settled(page), 'ready', await page.textContent('#status'));
  assert.equal(await page.getAttribute('#verification', 'data-verified'), 'false');
  const status = await page.textContent('#status');
  assert.match(status, /layer \d \(sha256:[0-9a-f]{64}\)[\s\S]*the layer worker stopped[\s\S]*boom/);
  // Replaced workers scan the next image.
  await submit(page, `${REGISTRY}/e2e/tampered:v1`);
  await page.waitForFunction(() => document.querySelector('[role=treeitem][data-path="/good/kept.txt"]'), null, { timeout: 60_000 });
  assert.equal(await settled(page), 'ready');
  assert.equal(await page.evaluate(() => document.body.dataset.scanner), 'worker');
  assert.match(await page.textContent('#status'), new RegExp(`failed verification[\\s\\S]*${TAMPERED_LAYER}`));
  assert.doesNotMatch(await page.textContent('#status'), /boom/);
});
