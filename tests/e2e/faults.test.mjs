// The page against registries that misbehave (tests/browser/faults.rs starts
// the fault fronts; tests/browser/page.rs passes them on):
//   FAULT_ONCE         an image whose first layer's blob answers 503 with
//                      Retry-After: 1, then drops its connection once
//   FAULT_TWICE        an image whose first layer's blob drops twice
//   FAULT_TWICE_LAYER  that layer's digest
// tests/browser/faults.rs checks afterwards that the page waited and sent
// the Range that resumed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect, useBrowser } from './support.mjs';

const { FAULT_ONCE, FAULT_TWICE, FAULT_TWICE_LAYER } = process.env;
assert.ok(FAULT_ONCE && FAULT_TWICE && FAULT_TWICE_LAYER,
  'FAULT_ONCE, FAULT_TWICE and FAULT_TWICE_LAYER must be set (run tests/browser/page.rs)');

const open = useBrowser();

test('a 503 is asked again after its Retry-After, a dropped layer resumed: verified', async (t) => {
  const { page } = await open(t);
  assert.equal(await inspect(page, FAULT_ONCE), 'ready', await page.textContent('#status'));
  assert.equal(await page.getAttribute('#verification', 'data-verified'), 'true');
  for (const path of ['/etc/motd', '/etc/kept']) {
    assert.equal(await page.locator(`[role=treeitem][data-path="${path}"]`).count(), 1, path);
  }
});

test('a layer dropped twice is not verified, and the page says where it broke', async (t) => {
  const { page } = await open(t);
  assert.equal(await inspect(page, FAULT_TWICE), 'ready', await page.textContent('#status'));
  assert.equal(await page.getAttribute('#verification', 'data-verified'), 'false');
  // The offsets are what the page had read: a browser stream that errors drops the chunks
  // still queued in it.
  const text = await page.textContent('body');
  assert.match(text, new RegExp(
    `${FAULT_TWICE_LAYER}[\\s\\S]*dropped again at byte \\d+ [\\s\\S]*at byte \\d+: not resumed twice`));
  // The broken layer's file is kept out of the tree; the intact layer's is there.
  assert.equal(await page.locator('[role=treeitem][data-path="/etc/motd"]').count(), 0);
  assert.equal(await page.locator('[role=treeitem][data-path="/etc/kept"]').count(), 1);
});
