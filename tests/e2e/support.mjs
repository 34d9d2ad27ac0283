// What the browser test files share (not a test file itself: its name
// matches none of node's --test patterns). One Chromium per file (the
// Debian /usr/bin/chromium driven by playwright-core, never a downloaded
// browser), a fresh context per test that collects page errors, console
// errors and warnings and dialogs, and the wait for the page's state hook.
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
      // A clean page logs neither errors nor warnings.
      if (m.type() === 'error' || m.type() === 'warning') {
        problems.push(`console ${m.type()}: ${m.text()} (${m.location().url})`);
      }
    });
    page.on('dialog', async (d) => { problems.push(`dialog: ${d.message()}`); await d.dismiss(); });
    t.after(async () => context.close());
    return { context, page, problems };
  };
}

/// Types `reference` into the start page's field and submits it; returns
/// once the page has left `idle`.
export async function submit(page, reference) {
  await page.fill('#ref', reference);
  await page.press('#ref', 'Enter');
  await page.waitForFunction(() => document.body.dataset.state !== 'idle');
}

/// Opens the start page of the server under test (`SERVER`), inspects
/// `reference` and says how the page settled (`ready` or `error`).
export async function inspect(page, reference) {
  await page.goto(`${process.env.SERVER}/`);
  await page.waitForSelector('#ref');
  await submit(page, reference);
  return settled(page);
}

/// Waits until the page is `ready` or in `error`, and says which.
export async function settled(page, timeout = 60_000) {
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, { timeout });
  return page.evaluate(() => document.body.dataset.state);
}

/// `problems` without the 404s of the supply-chain lookups (the referrers
/// API, its `sha256-<hex>` tag fallback and cosign's tags: asking for them
/// is how one learns they are absent, and Chromium logs each 404).
export const withoutLookupMisses = (problems) => problems.filter(
  (p) => !/Failed to load resource: the server responded with a status of 404.*\/v2\/.*\/(referrers\/sha256:|manifests\/sha256-)/.test(p),
);
