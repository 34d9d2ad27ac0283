// Other web sites against `layerlens serve` (driven by tests/browser/gate.rs):
// SERVER is a server with no other origin listed, OPEN_SERVER one that
// lists http://127.0.0.1:OTHER_PORT with --cors-origin, REGISTRY an allowed
// registry answering with a secret. An attacker's page is served here by
// node on OTHER_PORT; `evil.test` resolves to 127.0.0.1 in this Chromium
// (DNS rebinding without touching any resolver). Chromium's own Local
// Network Access checks would stop a page of a public name from reaching
// loopback; they are off here because other browsers have no such check and
// serve must refuse on its own.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS } from './support.mjs';

const { SERVER, OPEN_SERVER, REGISTRY, OTHER_PORT } = process.env;
const serverPort = new URL(SERVER).port;
let browser;
let attacker;

before(async () => {
  attacker = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>another site</title><p>hello');
  });
  await new Promise((ok) => attacker.listen(Number(OTHER_PORT), '127.0.0.1', ok));
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      ...CHROMIUM_ARGS,
      '--host-resolver-rules=MAP evil.test 127.0.0.1',
      '--disable-features=LocalNetworkAccessChecks,PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults',
    ],
  });
});

after(async () => {
  await browser?.close();
  await new Promise((ok) => (attacker ? attacker.close(ok) : ok()));
});

/// Reads `url` from the current page's origin; says what the script saw.
async function readFrom(page, url) {
  return page.evaluate(async (u) => {
    try {
      const r = await fetch(u);
      return `read ${r.status}: ${await r.text()}`;
    } catch (e) {
      return `blocked: ${e.message}`;
    }
  }, url);
}

test('a page of another origin reads nothing through serve', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${OTHER_PORT}/`);
  for (const target of [
    `${SERVER}/v2/demo/tags/list`,
    `${SERVER}/proxy/${REGISTRY}/v2/_catalog`,
    `${SERVER}/proxy/127.0.0.1:${serverPort}/v2/demo/tags/list`,
  ]) {
    const seen = await readFrom(page, target);
    assert.match(seen, /^blocked:/, `${target}: ${seen}`);
  }
  // A no-cors load (what <script src> does) is refused by the server too.
  const status = await page.evaluate(async (u) => {
    const r = await fetch(u, { mode: 'no-cors' });
    return r.type;
  }, `${SERVER}/proxy/${REGISTRY}/v2/_catalog`);
  assert.equal(status, 'opaque');
  await context.close();
});

test('DNS rebinding: serve does not answer to a foreign name', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  // Opened directly under the foreign name, serve refuses the page itself.
  const response = await page.goto(`http://evil.test:${serverPort}/`);
  assert.equal(response.status(), 403);
  assert.match(await page.textContent('body'), /host not served/);
  // The attack: the attacker's page was loaded from evil.test while the
  // name pointed at the attacker (here: served by the test), then the name
  // points at 127.0.0.1, so the page's same-origin reads reach serve.
  const attack = `http://evil.test:${serverPort}/attack.html`;
  await page.route(attack, (route) => route.fulfill({
    status: 200,
    contentType: 'text/html',
    body: '<!doctype html><title>evil</title><p>rebinding',
  }));
  await page.goto(attack);
  for (const path of ['/v2/demo/tags/list', `/proxy/${REGISTRY}/v2/_catalog`]) {
    const seen = await readFrom(page, path);
    assert.match(seen, /^read 403: .*host not served/, `${path}: ${seen}`);
  }
  await context.close();
});

test('an origin listed with --cors-origin reads, and only through that server', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${OTHER_PORT}/`);
  const tags = await readFrom(page, `${OPEN_SERVER}/v2/demo/tags/list`);
  assert.match(tags, /^read 200: .*"demo"/, tags);
  const catalog = await readFrom(page, `${OPEN_SERVER}/proxy/${REGISTRY}/v2/_catalog`);
  assert.match(catalog, /^read 200: .*secret\/app/, catalog);
  // The other server lists no one.
  assert.match(await readFrom(page, `${SERVER}/v2/demo/tags/list`), /^blocked:/);
  // And the page's own origin still works on both.
  for (const base of [SERVER, OPEN_SERVER]) {
    await page.goto(`${base}/`);
    const own = await readFrom(page, '/v2/demo/tags/list');
    assert.match(own, /^read 200: /, `${base}: ${own}`);
  }
  await context.close();
});
