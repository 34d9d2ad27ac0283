// What the browser test files share (not a test file itself: its name
// matches none of node's --test patterns). One Chromium per file (the
// Debian /usr/bin/chromium driven by playwright-core, never a downloaded
// browser), a fresh context per test that collects page errors, console
// errors and dialogs, and the wait for the page's state hook.
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

/// The flags these machines need (root, no GPU, nothing phoning home).
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/// Launches Chromium before the file's tests and closes it after them.
/// Returns `open(t, options)`: a fresh page in a fresh context (closed when
/// the test ends), that context, and the `problems` the page reported. Options: `bypassCSP`,
/// `viewport`, `colorScheme`, and any other playwright context option.
export function useBrowser() {
  let browser;
  before(async () => {
    // playwright's launch gives the browser a fresh, temporary --user-data-dir.
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });
  after(async () => { await browser?.close(); });
  return async function open(t, { viewport = { width: 1280, height: 900 }, colorScheme = 'light', ...rest } = {}) {
    const context = await browser.newContext({ viewport, colorScheme, ...rest });
    const page = await context.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()} (${m.location().url})`);
    });
    page.on('dialog', async (d) => { problems.push(`dialog: ${d.message()}`); await d.dismiss(); });
    t.after(async () => context.close());
    return { context, page, problems };
  };
}

/// Waits until the page is `ready` or in `error`, and says which.
export async function settled(page, timeout = 60_000) {
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, { timeout });
  return page.evaluate(() => document.body.dataset.state);
}

/// Waits until the image library's catalogue in the page's IndexedDB names
/// `text` (a digest, a repository). The library records an image just after
/// its tree shows; navigating away before the write commits would lose it.
export async function libraryRecorded(page, text, tries = 300) {
  for (let i = 0; i < tries; i += 1) {
    const catalog = await page.evaluate(() => new Promise((ok) => {
      const r = indexedDB.open('layerlens');
      // Never create the page's database from here.
      r.onupgradeneeded = () => r.transaction.abort();
      r.onerror = () => ok('');
      r.onsuccess = () => {
        const db = r.result;
        try {
          const get = db.transaction('library', 'readonly').objectStore('library').get('catalog');
          get.onsuccess = () => { db.close(); ok(get.result ? new TextDecoder().decode(get.result) : ''); };
          get.onerror = () => { db.close(); ok(''); };
        } catch { db.close(); ok(''); }
      };
    }));
    if (catalog.includes(text)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the library's catalogue was not stored with ${text}`);
}
