// The visitor's walk at phone size: the map with every point and shop (tiles unreachable),
// "near me" ordering, the category filter, a coupon's accepting shops and the cashier view, an
// ended campaign without scan or claim, typed short codes in both modes, a zh-CN browser in
// Simplified Chinese, and axe on the new screens. Screenshots for the README go to docs/screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, apiClient, loginToken, launch, seriousAxe, watchPage, setLang, tmpDir, CHROMIUM, ROOT, missingKeys } from './helpers.mjs';

const PHONE = { width: 390, height: 844 };
const DOCS = join(ROOT, '..', 'docs', 'screenshots');
let srv;
let taipa;
let coloane;
let official;
const open = [];

before(async () => {
  srv = await startServer();
  official = apiClient(srv.base, await loginToken(srv.base, 'official', 'official-demo'));
  taipa = await official.get('/campaigns/taipa');
  coloane = await official.get('/campaigns/coloane');
});

after(async () => {
  for (const b of open) await b.close();
  if (srv) await srv.stop();
});

/** A phone page; the tile server is unreachable (as on these machines), and says so at once. */
async function phone({ lang, geolocation } = {}) {
  const b = await launch({ viewport: PHONE, geolocation });
  open.push(b);
  const page = await b.context.newPage();
  await page.route(/tile\.openstreetmap\.org/, (r) => r.abort());
  const errors = watchPage(page);
  if (lang) {
    await page.goto(`${srv.base}/#/`);
    await setLang(page, lang);
    await page.reload();
    assert.equal(await page.evaluate(() => document.documentElement.lang), lang);
  }
  return { page, context: b.context, errors };
}

async function docShot(page, name) {
  mkdirSync(DOCS, { recursive: true });
  await page.screenshot({ path: join(DOCS, `${name}.png`) });
}

function metres(a, b) {
  const R = 6371000;
  const r = (x) => (x * Math.PI) / 180;
  const s = Math.sin(r(b.lat - a.lat) / 2) ** 2 + Math.cos(r(a.lat)) * Math.cos(r(b.lat)) * Math.sin(r(b.lng - a.lng) / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(s));
}

for (const lang of ['zh-Hant', 'en']) {
  test(`${lang}: the map shows every point and shop; near me orders by distance; a category filter narrows the list`, async () => {
    const here = { lat: taipa.merchants[10].lat + 0.0001, lng: taipa.merchants[10].lng - 0.0001 };
    const { page, errors } = await phone({ lang, geolocation: { latitude: here.lat, longitude: here.lng } });
    await page.goto(`${srv.base}/#/`);
    await page.locator('.campaign-card').first().waitFor();
    // Live campaigns come first, ended ones below; visitor wording, never "Published".
    const phases = await page.$$eval('.campaign-card', (els) => els.map((e) => e.dataset.phase));
    assert.equal(phases[0], 'live');
    assert.ok(phases.lastIndexOf('live') < phases.indexOf('ended'), `live before ended: ${phases}`);
    assert.ok(!/Published|已發佈|Publicada/.test(await page.locator('main').innerText()), 'no admin wording');
    if (lang === 'en') await docShot(page, 'landing');

    await page.goto(`${srv.base}/#/c/taipa`);
    await page.getByTestId('place-map').waitFor();
    await page.waitForFunction(
      (n) => document.querySelectorAll('.map-pin-point').length + document.querySelectorAll('.map-pin-shop').length === n,
      taipa.points.length + taipa.merchants.length,
      { timeout: 20000 },
    );
    assert.equal(await page.locator('.map-pin-point').count(), taipa.points.length);
    assert.equal(await page.locator('.map-pin-shop').count(), taipa.merchants.length);
    const ids = await page.$$eval('.map-pin-shop', (els) => els.map((e) => e.dataset.place).sort());
    assert.deepEqual(ids, taipa.merchants.map((m) => m.id).sort());
    if (lang === 'en') await docShot(page, 'campaign');

    // Near me: the list is ordered by distance from the phone's position.
    await page.getByTestId('near-me').click();
    await page.waitForFunction(() => document.querySelectorAll('.shop-row .distance').length > 0, null, { timeout: 20000 });
    const order = await page.$$eval('.shop-row', (els) => els.map((e) => e.dataset.shopId));
    const expected = [...taipa.merchants].sort((a, b) => metres(here, a) - metres(here, b)).map((m) => m.id);
    assert.equal(order[0], expected[0], 'the nearest shop first');
    const shown = await page.$$eval('.shop-row .distance', (els) => els.map((e) => Number(e.dataset.m)));
    assert.deepEqual(shown, [...shown].sort((a, b) => a - b));
    await page.evaluate(() => window.scrollTo(0, document.getElementById('shops-h').getBoundingClientRect().top + window.scrollY - 70));
    if (lang === 'en') await docShot(page, 'map');

    // A category filter narrows the list to that category.
    await page.getByTestId('show-all-shops').click();
    const total = await page.locator('.shop-row').count();
    assert.equal(total, taipa.merchants.length);
    await page.selectOption('#shop-cat', 'services');
    await page.waitForFunction((n) => document.querySelectorAll('.shop-row').length < n, total);
    const cats = await page.$$eval('.shop-row', (els) => els.map((e) => e.dataset.category));
    assert.ok(cats.length > 0);
    assert.ok(cats.every((c) => c === 'services'));
    assert.equal(cats.length, taipa.merchants.filter((m) => m.category === 'services').length);
    // The map follows the filter (its markers are redrawn just after the list).
    await page.waitForFunction((n) => document.querySelectorAll('.map-pin-shop').length === n, cats.length, { timeout: 10000 });
    // Each shop offers directions to the phone's maps app.
    const href = await page.locator('.shop-row a.btn').first().getAttribute('href');
    assert.match(href, /maps|geo:/);

    assert.deepEqual(await missingKeys(page), []);
    assert.deepEqual(await seriousAxe(page), [], 'axe on the campaign page');
    assert.deepEqual(errors.filter((e) => e.startsWith('pageerror')), []);
  });

  test(`${lang}: a coupon shows its campaign, accepting shops and the full-screen cashier view`, async () => {
    const { page } = await phone({ lang });
    await page.goto(`${srv.base}/#/wallet`);
    // The demo's sign-up coupon (food only) arrives with the new visitor.
    const card = page.locator('.coupon').first();
    await card.waitFor({ timeout: 20000 });
    await page.getByTestId('coupon-where').first().waitFor({ timeout: 20000 });
    const food = taipa.merchants.filter((m) => m.category === 'food').length;
    const where = await page.getByTestId('coupon-where').first().innerText();
    assert.ok(where.includes(String(food)), `${where} names the ${food} food shops`);
    await page.getByTestId('accepting-shops').first().locator('summary').click();
    const listed = await page.getByTestId('accepting-shops').first().locator('li').count();
    assert.equal(listed, Math.min(food, 60));
    if (lang === 'en') await docShot(page, 'wallet');
    assert.deepEqual(await seriousAxe(page), [], 'axe on the wallet');

    await page.getByTestId('show-cashier').first().click();
    const view = page.getByTestId('cashier-view');
    await view.waitFor();
    const code = (await page.getByTestId('coupon-code').first().innerText()).replace(/\s/g, '');
    assert.equal((await page.getByTestId('cashier-code').innerText()).replace(/\s/g, ''), code);
    const box = await view.boundingBox();
    assert.ok(box.width >= PHONE.width - 1 && box.height >= PHONE.height - 1, 'fills the screen');
    assert.deepEqual(await seriousAxe(page), [], 'axe on the cashier view');
    await page.keyboard.press('Escape');
    await view.waitFor({ state: 'detached' });

    // From the coupon to its shops on the map: only those that take it.
    await page.getByTestId('accepting-shops').first().getByRole('link').last().click();
    await page.getByTestId('show-all-shops').click();
    await page.waitForFunction((n) => document.querySelectorAll('.shop-row').length === n, food, { timeout: 20000 });
    // The map shows only the shops that take it.
    await page.waitForFunction((n) => document.querySelectorAll('.map-pin-shop').length === n, food, { timeout: 10000 });
  });
}

test('an ended campaign shows it has ended and offers no scan or claim', async () => {
  const { page } = await phone({ lang: 'en' });
  await page.goto(`${srv.base}/#/c/coloane`);
  await page.getByTestId('phase-notice').waitFor();
  assert.equal(await page.locator('[data-phase]').first().getAttribute('data-phase'), 'ended');
  assert.equal(await page.getByTestId('scan-cta').count(), 0);
  assert.equal(await page.getByRole('button', { name: /claim/i }).count(), 0);
  assert.ok(coloane.offers.some((o) => o.trigger.type === 'claim'), 'the campaign has a claim offer');
  await page.goto(`${srv.base}/#/scan?c=coloane`);
  await page.getByTestId('phase-notice').waitFor();
  assert.equal(await page.locator('#typed-code').count(), 0);
});

test('a short code typed in AR mode or QR mode checks in', async () => {
  const centre = { latitude: 22.1533, longitude: 113.5561 };
  const qrPoint = taipa.points.find((p) => p.kind === 'qr' && p.short_code && metres({ lat: centre.latitude, lng: centre.longitude }, p) < 120);
  const arPoint = taipa.points.find((p) => p.kind === 'ar' && p.short_code && metres({ lat: centre.latitude, lng: centre.longitude }, p) < 120);
  assert.ok(qrPoint && arPoint, 'demo points near the centre');
  const { page } = await phone({ lang: 'zh-Hant', geolocation: centre });
  for (const [mode, p, typed] of [
    ['ar', qrPoint, qrPoint.short_code.toLowerCase()],
    ['qr', arPoint, arPoint.short_code.replace('-', ' ')],
  ]) {
    await page.goto(`${srv.base}/#/scan?c=taipa&mode=${mode}`);
    await page.locator('#typed-code').waitFor();
    await page.locator(`input[name=mode][value=${mode}]`).check();
    await page.fill('#typed-code', typed);
    await page.locator('form.typed button[type=submit]').click();
    await page.getByTestId('checkin-ok').waitFor({ timeout: 20000 });
  }
  const token = await page.evaluate(() => JSON.parse(localStorage.getItem('bairro.visitor')).token);
  const mine = await apiClient(srv.base, token).get('/me/checkins');
  assert.deepEqual(mine.map((c) => c.point_id).sort(), [qrPoint.id, arPoint.id].sort());
});

test('a zh-CN browser lands in zh-Hans with Simplified names', async () => {
  const dir = tmpDir('bairro-chrome-cn-');
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--accept-lang=zh-CN,zh'],
    viewport: PHONE,
    timezoneId: 'Asia/Macau',
  });
  open.push({ close: () => context.close().catch(() => {}) });
  const page = await context.newPage();
  await page.route(/tile\.openstreetmap\.org/, (r) => r.abort());
  await page.goto(`${srv.base}/#/`);
  await page.locator('.campaign-card').first().waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-Hans');
  // The district (entered in Traditional only) is shown converted.
  await page.waitForFunction(() => document.body.innerText.includes('氹仔旧城区'), null, { timeout: 20000 });
  await page.goto(`${srv.base}/#/c/taipa`);
  await page.locator('.shop-row').first().waitFor({ timeout: 20000 });
  const text = await page.locator('main').innerText();
  assert.ok(text.includes('龙环葡韵'), 'a point name in Simplified characters');
  const shop = taipa.merchants.find((m) => /[記華廣瑞豐]/.test(m.name['zh-Hant']));
  assert.ok(shop, 'a shop with a Traditional-only character');
  assert.ok(!text.includes(shop.name['zh-Hant']), `${shop.name['zh-Hant']} is not shown in Traditional`);
  assert.ok(!text.includes('龍環葡韻'));
  assert.deepEqual(await seriousAxe(page), []);
});
