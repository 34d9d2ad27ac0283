// The browser half of scripts/bench-tree.sh (read its header): keystrokes
// on the tree of SERVER/?image=REF against the same keystrokes on a plain
// input, main-thread work per keystroke from a Chromium trace.
import { createRequire } from 'node:module';

const require = createRequire(`${process.env.E2E}/package.json`);
const { chromium } = require('playwright-core');
const { SERVER, REF } = process.env;
const ROUNDS = Number(process.env.ROUNDS || 2);
const SETTLE_MS = 350;
const BIG = '/usr/lib/x86_64-linux-gnu';

// The browser tests' Chromium flags (tests/e2e/support.mjs), one list.
const { CHROMIUM_ARGS } = await import(`${process.env.E2E}/support.mjs`);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
page.on('pageerror', (e) => console.error('page error:', e.message));
await page.addInitScript(() => {
  // Event-to-frame latency of each keydown: this capture listener runs
  // before the page's, so its frame callback runs before the page's redraw;
  // the channel's message runs after that frame is drawn.
  window.__latency = [];
  window.addEventListener('keydown', (e) => {
    const t0 = e.timeStamp;
    requestAnimationFrame(() => {
      const c = new MessageChannel();
      c.port1.onmessage = () => window.__latency.push(performance.now() - t0);
      c.port2.postMessage(0);
    });
  }, true);
});

async function open(path) {
  const q = new URLSearchParams({ image: REF });
  if (path) q.set('path', path);
  await page.goto(`${SERVER}/?${q}`);
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state),
    null, { timeout: 300_000, polling: 100 });
  const state = await page.evaluate(() => document.body.dataset.state);
  if (state !== 'ready') throw new Error(`the page ended in ${state}: ${await page.textContent('#status')}`);
  // The baseline's plain elements: no listener of the page's own on them.
  await page.evaluate(() => {
    const input = document.createElement('input');
    input.id = 'bench-plain';
    const box = document.createElement('div');
    box.id = 'bench-scroll';
    box.style.cssText = 'height:300px;overflow:auto';
    const tall = document.createElement('div');
    tall.style.height = '200000px';
    tall.textContent = 'plain';
    box.append(tall);
    document.body.prepend(input, box);
  });
}

const mark = (label) => page.evaluate((l) => console.timeStamp(l), label);
const settle = () => page.evaluate((ms) => new Promise((done) => setTimeout(() =>
  requestAnimationFrame(() => {
    const c = new MessageChannel();
    c.port1.onmessage = () => done();
    c.port2.postMessage(0);
  }), ms)), SETTLE_MS);

// One measured step: a mark, the input, the page settled, a mark.
const steps = [];
async function step(action, what, run, key) {
  await page.evaluate(() => { delete document.body.dataset.fileRead; });
  await mark(`bench-start ${steps.length}`);
  await run();
  await settle();
  await mark(`bench-end ${steps.length}`);
  // Outside the window: this step's keydown latency, if any, and where a
  // file it opened was read (the viewer's worker or the main thread).
  const lat = await page.evaluate(() => window.__latency.splice(0));
  const read = await page.evaluate(() => document.body.dataset.fileRead || '');
  steps.push({ action, what, key, read, latency: lat.length ? Math.max(...lat) : undefined });
}

async function keys(action, what, focus, list) {
  await page.focus(focus);
  await settle();
  for (const k of list) {
    await step(action, what, () => (k.length === 1 ? page.keyboard.type(k) : page.keyboard.press(k)), k);
  }
}

const typed = (text) => [...text, ...[...text].map(() => 'Backspace')];
const arrows = [...Array(25).fill('ArrowDown'), ...Array(8).fill('PageDown'), 'End', 'Home'];
const openClose = Array(4).fill(['ArrowRight', 'ArrowLeft']).flat();

async function wheel(action, what, selector) {
  const box = await page.locator(selector).boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + Math.min(box.height / 2, 100));
  await settle();
  for (const dy of [...Array(20).fill(1500), ...Array(20).fill(-1500)]) {
    await step(action, what, () => page.mouse.wheel(0, dy), `wheel ${dy}`);
  }
}

const rows = () => page.locator('[role=treeitem]').count();
const visibleTotal = () => page.textContent('#tree-caption');

await open();
console.error(`ready: ${await rows()} rows drawn; ${await visibleTotal()}`);
await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', ...(process.env.BENCH_PROFILE ? ['disabled-by-default-v8.cpu_profiler'] : [])] });
// BENCH_ACTIONS=filter,arrows,scroll,open: a subset (while investigating).
const only = (process.env.BENCH_ACTIONS || 'filter,arrows,scroll,open').split(',');
for (let round = 0; round < ROUNDS; round++) {
  if (only.includes('filter')) {
    for (const [action, text] of [['filter "lib"', 'lib'], ['filter "*.so"', '*.so'], ['filter "/"', '/']]) {
      await keys(action, 'tree', '#filter', typed(text));
      await keys(action, 'plain', '#bench-plain', typed(text));
    }
  }
  if (only.includes('arrows')) {
    await keys('arrows', 'tree', '#tree', arrows);
    await keys('arrows', 'plain', '#bench-plain', arrows);
  }
  if (only.includes('scroll')) {
    await wheel('scroll', 'tree', '#tree');
    await wheel('scroll', 'plain', '#bench-scroll');
  }
  if (only.includes('open')) {
    await open(BIG);
    await keys('open/close', 'tree', '#tree', openClose);
    await keys('open/close', 'plain', '#bench-plain', openClose);
    if (round + 1 < ROUNDS) await open();
  }
}
const traceBytes = await browser.stopTracing();
if (process.env.BENCH_TRACE) (await import('node:fs')).writeFileSync(process.env.BENCH_TRACE, traceBytes);
const trace = JSON.parse(traceBytes.toString());
await browser.close();

// The renderer's main thread: where the driver's marks are (a navigation
// may move the page to another renderer, so per mark).
const events = trace.traceEvents || trace;
const markOf = (e) => (e.name === 'TimeStamp' && e.args?.data?.message) || '';
const threads = new Map();
for (const e of events) {
  if (e.name !== 'RunTask' || e.ph !== 'X') continue;
  const k = `${e.pid}:${e.tid}`;
  if (!threads.has(k)) threads.set(k, []);
  threads.get(k).push(e);
}
const tops = new Map();
for (const [k, tasks] of threads) {
  tasks.sort((a, b) => a.ts - b.ts);
  const top = [];
  for (const t of tasks) {
    const last = top[top.length - 1];
    if (!last || t.ts >= last.ts + last.dur) top.push(t);
  }
  tops.set(k, top);
}
// The start of the top-level task holding `ts` (binary search).
const taskStart = (top, ts) => {
  let lo = 0;
  let hi = top.length - 1;
  let found = ts;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (top[mid].ts <= ts) {
      if (ts <= top[mid].ts + top[mid].dur) found = top[mid].ts;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
};
const marks = new Map();
for (const e of events) {
  const m = markOf(e);
  if (/^bench-/.test(m)) marks.set(m, e);
}
const results = steps.map((s, i) => {
  const a = marks.get(`bench-start ${i}`);
  const b = marks.get(`bench-end ${i}`);
  if (!a || !b) throw new Error(`step ${i}: no marks in the trace`);
  const top = tops.get(`${a.pid}:${a.tid}`) || [];
  const from = taskStart(top, a.ts);
  const to = taskStart(top, b.ts);
  let busy = 0;
  let longest = 0;
  for (const t of top) {
    if (t.ts < from || t.ts >= to) continue;
    const d = Math.min(t.dur, to - t.ts);
    busy += d;
    longest = Math.max(longest, d);
  }
  return { ...s, busy: busy / 1000, longest: longest / 1000 };
});

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const max = (xs) => Math.max(...xs);
const f = (x) => (x === undefined || Number.isNaN(x) ? '    -' : x.toFixed(1).padStart(6));
console.log(`\n${ROUNDS} round(s); main-thread work per keystroke, ms (sum of the renderer's tasks until settled)`);
console.log('action         input   n   sum max   sum p95   longest task   event-to-frame max   p95   ratio (max sum / plain max sum)');
const actions = [...new Set(results.map((r) => r.action))];
const summary = {};
for (const a of actions) {
  const plain = results.filter((r) => r.action === a && r.what === 'plain');
  for (const what of ['tree', 'plain']) {
    const rs = results.filter((r) => r.action === a && r.what === what);
    const lat = rs.map((r) => r.latency).filter((x) => x !== undefined);
    const ratio = max(rs.map((r) => r.busy)) / max(plain.map((r) => r.busy));
    console.log(`${a.padEnd(14)} ${what.padEnd(5)} ${String(rs.length).padStart(3)}  ${f(max(rs.map((r) => r.busy)))}    ${f(pct(rs.map((r) => r.busy), 95))}    ${f(max(rs.map((r) => r.longest)))}         ${lat.length ? f(max(lat)) : '     -'}        ${lat.length ? f(pct(lat, 95)) : '     -'}   ${what === 'tree' ? ratio.toFixed(1) + 'x' : ''}`);
    summary[`${a} ${what}`] = max(rs.map((r) => r.busy));
  }
}
const worst = results.filter((r) => r.what === 'tree').sort((a, b) => b.busy - a.busy)[0];
// Keys that opened a file: where it was read, and their work.
const opened = results.filter((r) => r.what === 'tree' && r.read);
if (opened.length) {
  for (const where of ['worker', 'main']) {
    const rs = opened.filter((r) => r.read === where).map((r) => r.busy);
    if (rs.length) console.log(`keys opening a file read in the ${where === 'main' ? 'main thread' : 'viewer worker'}: ${rs.length}, sum max ${max(rs).toFixed(1)} ms, p95 ${pct(rs, 95).toFixed(1)} ms`);
  }
  const none = results.filter((r) => r.action === 'arrows' && r.what === 'tree' && !r.read).map((r) => r.busy);
  if (none.length) console.log(`arrow keys opening no file: ${none.length}, sum max ${max(none).toFixed(1)} ms, p95 ${pct(none, 95).toFixed(1)} ms`);
}
console.log(`\nworst keystroke on the tree: ${worst.busy.toFixed(1)} ms (${worst.action}, ${worst.key}), longest task ${worst.longest.toFixed(1)} ms`);
// The budget of issue 14: no keystroke over 50 ms of main-thread work.
for (const what of ['tree', 'plain']) {
  const all = results.filter((r) => r.what === what);
  const over = all.filter((r) => r.busy > 50).sort((a, b) => b.busy - a.busy);
  console.log(`${what} keystrokes over 50 ms: ${over.length} of ${all.length}${over.length ? ': ' + over.map((r) => `${r.busy.toFixed(1)} (${r.action}, ${r.key})`).join(', ') : ''}`);
}
if (process.env.BENCH_JSON) {
  (await import('node:fs')).writeFileSync(process.env.BENCH_JSON, JSON.stringify(results));
}
