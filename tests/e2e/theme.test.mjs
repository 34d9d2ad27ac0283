// The colour theme: the system's scheme by default, and a choice in
// Settings (Light, Dark) that wins over it and survives a reload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser } from './support.mjs';

const { SERVER } = process.env;
const open = useBrowser();

const background = (page) => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
const WHITE = 'rgb(255, 255, 255)';
const DARK = 'rgb(18, 18, 18)';

/// Chooses `theme` in Settings and waits for the page to apply it.
async function choose(page, theme) {
  if (!(await page.isVisible('#theme-setting'))) await page.click('#settings summary');
  await page.selectOption('#theme-setting', theme);
  await page.waitForFunction((t) => document.documentElement.dataset.theme === t, theme);
}

async function start(page) {
  await page.goto(`${SERVER}/`);
  await page.waitForSelector('#theme-setting', { state: 'attached' });
}

test('the theme follows the system until one is chosen, and is remembered', async (t) => {
  const { page, problems } = await open(t, { colorScheme: 'light' });
  await start(page);
  assert.equal(await background(page), WHITE);
  assert.equal(await page.inputValue('#theme-setting'), 'system');
  await choose(page, 'dark');
  assert.equal(await background(page), DARK);
  await page.reload();
  await page.waitForSelector('#theme-setting', { state: 'attached' });
  await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
  assert.equal(await background(page), DARK);
  assert.equal(await page.inputValue('#theme-setting'), 'dark');
  // Back to the system's: light again, and nothing kept.
  await choose(page, 'system');
  assert.equal(await background(page), WHITE);
  assert.equal(await page.evaluate(() => localStorage.getItem('layerlens.theme')), null);
  assert.deepEqual(problems, []);
});

test('a dark system gives a dark page, and Light wins over it', async (t) => {
  const { page, problems } = await open(t, { colorScheme: 'dark' });
  await start(page);
  assert.equal(await background(page), DARK);
  await choose(page, 'light');
  assert.equal(await background(page), WHITE);
  assert.deepEqual(problems, []);
});
