// The Supply chain tab, against the real registry (distribution 2.8: no
// referrers API) holding e2e/signed:v1 (tests/support/supply.rs,
// push_attached): BuildKit's attestation in the index (an SPDX SBOM with a
// package named in markup, SLSA v1), a CycloneDX SBOM and a stranger under
// the referrers tag fallback, cosign's signature and attestation of the
// index, and a cosign signature under amd64's tag naming arm64's digest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { settled, useBrowser, withoutLookupMisses } from './support.mjs';

const { SERVER, REGISTRY, SIGNED_INDEX, SIGNED_ARM64, SIGNED_STRANGER } = process.env;
assert.ok(SERVER && REGISTRY && SIGNED_INDEX && SIGNED_ARM64 && SIGNED_STRANGER,
  'SERVER, REGISTRY and SIGNED_* must be set (run tests/browser/page.rs)');
const open = useBrowser();
const SIGNED = `${REGISTRY}/e2e/signed:v1`;
const lookup = (url) => /\/referrers\/sha256:|\/manifests\/sha256-/.test(url);

test('signatures, SBOMs and provenance are found, checked against the image and shown inert', async (t) => {
  const { page, problems } = await open(t, { viewport: { width: 1440, height: 900 } });
  const asked = [];
  page.on('request', (r) => { if (lookup(r.url())) asked.push(r.url()); });
  await page.goto(`${SERVER}/?image=${SIGNED}&platform=linux/amd64`);
  assert.equal(await settled(page), 'ready');
  // Viewing the files asks the registry for no attachment.
  assert.deepEqual(asked, []);
  await page.click('#tab-supply');
  await page.waitForSelector('#supply-summary[data-supply-status="done"]');
  assert.ok(asked.length > 0);
  assert.equal(new URL(page.url()).searchParams.get('tab'), 'supply');
  assert.match(await page.textContent('#supply-summary'), /2 signatures, 2 SBOMs, 2 provenance documents/);

  // Signatures: the index's is bound to its digest, amd64's names another
  // image; neither is called verified.
  const sigs = await page.$$eval('[data-signature]', (all) => all.map((e) => ({
    matches: e.dataset.digestMatches, text: e.textContent,
  })));
  assert.equal(sigs.length, 2);
  const bound = sigs.find((s) => s.matches === 'true');
  const other = sigs.find((s) => s.matches === 'false');
  assert.ok(bound.text.includes(SIGNED_INDEX), bound.text);
  assert.ok(other.text.includes(SIGNED_ARM64), other.text);
  assert.match(other.text, /ANOTHER image/);
  for (const s of sigs) assert.match(s.text, /not cryptographically verified/);

  // Packages: the name in markup is text, no element was made from it.
  const names = await page.$$eval('[data-sbom-package]', (r) => r.map((x) => x.dataset.name));
  assert.ok(names.includes('tool') && names.includes('zlib'), names.join(','));
  assert.ok(names.includes('<img src=x onerror=alert(1)>'), names.join(','));
  assert.equal(await page.$$eval('#supply img, #supply b', (e) => e.length), 0);
  const row = page.locator('[data-sbom-package][data-name="<img src=x onerror=alert(1)>"]');
  assert.equal(await row.getAttribute('data-version'), '2.0');
  assert.match(await row.textContent(), /<b>GPL<\/b>/);
  // The search narrows every SBOM's list.
  await page.fill('#sbom-search', 'zlib');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-sbom-package]')]
    .every((r) => r.dataset.name === 'zlib'));
  assert.equal(await page.$$eval('[data-sbom-package]', (r) => r.length), 1);
  await page.fill('#sbom-search', '');
  await page.waitForSelector('[data-sbom-package][data-name="tool"]');

  // The SPDX SBOM's files against the scanned tree.
  const check = (path) => page.getAttribute(`[data-sbom-file="${path}"]`, 'data-file-check');
  assert.equal(await check('/bin/tool'), 'ok');
  assert.equal(await check('/etc/motd'), 'DIFFERS');
  assert.equal(await check('../../etc/shadow'), 'outside');
  assert.equal(await page.$('[data-sbom-file="../../etc/shadow"] [data-reveal-path]'), null);

  // Provenance: SLSA v1 from BuildKit, v0.2 from cosign's attestation.
  assert.equal(await page.textContent('[data-provenance="SLSA v1"] [data-fact="Commit"]'), 'c0ffee');
  assert.equal(await page.textContent('[data-provenance="SLSA v0.2"] [data-fact="Builder"]'),
    'https://github.com/docker/buildx@v0.12');
  // The stranger is refused as another image's.
  assert.ok((await page.textContent('[data-rejected]')).includes(SIGNED_STRANGER));

  // A document saved is the bytes of its digest; its raw view prints it.
  const sbom = page.locator('[data-sbom="SPDX 2.3"]');
  const digest = (await sbom.locator('.supply-meta .digest').first().textContent()).trim();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    sbom.locator('[data-supply-download]').first().click(),
  ]);
  const saved = await readFile(await download.path());
  assert.equal(`sha256:${createHash('sha256').update(saved).digest('hex')}`, digest);
  await sbom.locator('[data-supply-raw]').first().click();
  await page.waitForSelector('[data-supply-raw-text]');
  assert.match(await page.textContent('[data-supply-raw-text]'), /"predicateType"/);

  // A listed file opens in the tree, which names its package.
  await page.click('[data-sbom-file="/bin/tool"] [data-reveal-path]');
  await page.waitForSelector('#workbench:not([hidden]) .row[data-path="/bin/tool"]');
  assert.equal(new URL(page.url()).searchParams.get('path'), '/bin/tool');
  await page.waitForSelector('#file-owner:not([hidden])');
  assert.match(await page.textContent('#file-owner'), /tool 1\.0 \(SPDX 2\.3 SBOM\)/);
  assert.deepEqual(withoutLookupMisses(problems), []);
});

test('an image with nothing attached says so; a link to the tab looks at once', async (t) => {
  const { page, problems } = await open(t);
  await page.goto(`${SERVER}/?image=${REGISTRY}/e2e/hello:v1&tab=supply`);
  assert.equal(await settled(page), 'ready');
  await page.waitForSelector('#supply-summary[data-supply-status="done"]');
  assert.match(await page.textContent('#supply-summary'), /^Nothing is attached/);
  assert.equal(await page.$('[data-signature], [data-sbom-package], [data-provenance]'), null);
  assert.ok(await page.isHidden('#sbom-search-form'));
  assert.deepEqual(withoutLookupMisses(problems), []);
});
