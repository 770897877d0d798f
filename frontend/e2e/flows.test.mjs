// End-to-end: an official sets up a campaign in the UI, a visitor checks in by camera (QR and AR),
// a merchant redeems the coupon by camera (and a second scan is refused), the official sees it in
// the statistics. Runs the real server and Debian's Chromium with a fake camera.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, apiClient, makeY4m, launch, watchPage, uiLogin, shot, tmpDir, ROOT } from './helpers.mjs';

const en = JSON.parse(readFileSync(join(ROOT, 'src/i18n/en.json'), 'utf8'));
const L = (k) => en[k];

const POINT = { lat: 22.15285, lng: 113.55713 };
let srv;
let work;
const state = {};
const open = [];

before(async () => {
  srv = await startServer();
  work = tmpDir('bairro-cam-');
});

after(async () => {
  for (const c of open) await c.close();
  if (srv) await srv.stop();
});

async function browser(opts) {
  const b = await launch(opts);
  open.push(b);
  b.context.setDefaultTimeout(30000);
  await b.context.addInitScript(() => {
    if (!localStorage.getItem('bairro.lang')) localStorage.setItem('bairro.lang', 'en');
  });
  return b;
}

function macauInput(offsetDays, hh) {
  const d = new Date(Date.now() + 8 * 3600_000 + offsetDays * 86400_000);
  return `${d.toISOString().slice(0, 10)}T${hh}`;
}

test('official creates a campaign, two points and an offer, and publishes it', async () => {
  const { context } = await browser({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const problems = watchPage(page);
  state.official = page;
  await uiLogin(page, srv.base, 'official', 'official-demo');
  await page.goto(`${srv.base}/#/official/campaigns`);
  await page.getByRole('button', { name: L('campaign.new') }).click();
  const slug = `e2e-${Date.now().toString(36)}`;
  state.slug = slug;
  await page.fill('#new-slug', slug);
  await page.fill('#new-district', 'Taipa');
  await page.fill('#new-name-zh-Hant', '測試街區活動');
  await page.fill('#new-name-pt', 'Campanha de teste');
  await page.fill('#new-name-en', 'Test district campaign');
  await page.fill('#new-starts', macauInput(-1, '00:00'));
  await page.fill('#new-ends', macauInput(30, '22:00'));
  await page.getByRole('button', { name: L('campaign.create') }).click();
  await page.waitForURL(/#\/official\/campaigns\/[^/]+$/, { timeout: 30000 });
  state.campaignId = decodeURIComponent(page.url().split('/').pop());

  for (const [kind, name] of [
    ['qr', 'QR stand'],
    ['ar', 'AR poster'],
  ]) {
    await page.getByRole('button', { name: L('point.new') }).click();
    await page.fill('#pt-name-zh-Hant', `${name} 打卡點`);
    await page.fill('#pt-name-pt', `${name} ponto`);
    await page.fill('#pt-name-en', name);
    await page.selectOption('#pt-kind', kind);
    await page.fill('#pt-lat', String(POINT.lat));
    await page.fill('#pt-lng', String(POINT.lng));
    await page.fill('#pt-radius', '300');
    await page.getByRole('button', { name: L('point.create') }).click();
    await page.getByRole('cell', { name, exact: true }).waitFor({ timeout: 20000 });
  }

  await page.getByRole('button', { name: L('offer.new') }).click();
  await page.fill('#of-name-zh-Hant', '五十元電子現金券');
  await page.fill('#of-name-pt', 'Vale de 50 patacas');
  await page.fill('#of-name-en', 'MOP 50 e-cash');
  await page.selectOption('#of-kind', 'ecash');
  await page.fill('#of-face', '50');
  await page.fill('#of-min', '100');
  await page.fill('#of-stock', '100');
  await page.fill('#of-limit', '1');
  await page.fill('#of-valid', '14');
  await page.selectOption('#of-trigger', 'checkins');
  await page.fill('#of-count', '1');
  // This walk's visitor stays anonymous; verification has its own walk (verify.test.mjs).
  await page.uncheck('#of-verified');
  await page.getByRole('button', { name: L('offer.create') }).click();
  await page.getByRole('cell', { name: 'MOP 50 e-cash', exact: true }).waitFor({ timeout: 20000 });

  await page.getByRole('button', { name: L('campaign.publish') }).click();
  await page.getByTestId('confirm-yes').click();
  await page.getByText(L('status.published')).first().waitFor({ timeout: 20000 });
  await shot(page, 'official-campaign-detail');

  const token = await page.evaluate(() => JSON.parse(localStorage.getItem('bairro.staff')).token);
  state.officialToken = token;
  const c = await apiClient(srv.base, token).get(`/campaigns/${state.campaignId}`);
  assert.equal(c.status, 'published');
  const qr = c.points.find((p) => p.kind === 'qr');
  const ar = c.points.find((p) => p.kind === 'ar');
  assert.ok(qr?.payload && ar?.payload, 'static points carry their payload');
  state.qrPayload = qr.payload;
  state.arPayload = ar.payload;
  const third = await apiClient(srv.base, token).post(`/campaigns/${state.campaignId}/points`, {
    name: { 'zh-Hant': '離線測試點', pt: 'Ponto offline', en: 'Offline stand' },
    kind: 'qr',
    lat: POINT.lat,
    lng: POINT.lng,
    radius_m: 300,
    rotating: false,
  });
  state.thirdPayload = third.payload;
  assert.deepEqual(problems.filter((p) => !/status of 4\d\d/.test(p)), []);
});

test('a visitor scans the QR point with the camera and the stamp appears', async () => {
  const cam = makeY4m(state.qrPayload, join(work, 'qr-point.y4m'));
  const { context } = await browser({ camera: cam, geolocation: { latitude: POINT.lat, longitude: POINT.lng, accuracy: 10 } });
  const page = await context.newPage();
  // Arrive through an influencer's link: the ref is kept for the session and sent with page views.
  await page.goto(`${srv.base}/?ref=e2e-kol#/c/${state.slug}`);
  await page.locator('.stamps').waitFor();
  await page.goto(`${srv.base}/?ref=e2e-kol#/scan?c=${state.slug}`);
  const ok = page.getByTestId('checkin-ok');
  await ok.waitFor({ timeout: 30000 });
  const text = await ok.innerText();
  assert.match(text, new RegExp(L('scan.success').replace(/[!?.]/g, '.')));
  assert.match(text, /1/);
  await shot(page, 'visitor-scan-qr-result');
  state.visitorToken = await page.evaluate(() => JSON.parse(localStorage.getItem('bairro.visitor')).token);
  state.visitorJson = await page.evaluate(() => localStorage.getItem('bairro.visitor'));

  // The stamp card on the campaign page shows it.
  await page.goto(`${srv.base}/#/c/${state.slug}`);
  await page.locator('.stamp.on').first().waitFor({ timeout: 30000 });
  assert.equal(await page.locator('.stamp.on').count(), 1);
  await shot(page, 'visitor-campaign');

  // The wallet shows the coupon with its QR and typed code.
  await page.goto(`${srv.base}/#/wallet`);
  await page.getByTestId('coupon-code').first().waitFor({ timeout: 30000 });
  assert.ok((await page.locator('canvas.qr').count()) >= 1);
  await shot(page, 'visitor-wallet');
  const coupons = await apiClient(srv.base, state.visitorToken).get('/me/coupons');
  assert.ok(coupons.length >= 1, 'the check-in earned a coupon');
  state.coupon = coupons.find((c) => c.campaign_id === state.campaignId) || coupons[0];

  // Installed app with no network: the service worker serves the app, the wallet its saved coupons.
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await page.reload();
  await page.getByTestId('coupon-code').first().waitFor({ timeout: 30000 });
  await context.setOffline(true);
  await page.reload();
  await page.getByText(L('wallet.offline')).waitFor({ timeout: 30000 });
  assert.ok((await page.getByTestId('coupon-code').count()) >= 1, 'coupon shown offline');
  assert.ok((await page.locator('canvas.qr').count()) >= 1, 'coupon QR drawn offline');
  await shot(page, 'visitor-wallet-offline');
  await context.setOffline(false);
});

test('the same visitor checks in at the AR point: overlay drawn, method ar, photo taken', async () => {
  const cam = makeY4m(state.arPayload, join(work, 'ar-point.y4m'));
  const { context } = await browser({ camera: cam, geolocation: { latitude: POINT.lat, longitude: POINT.lng, accuracy: 10 } });
  await context.addInitScript((v) => localStorage.setItem('bairro.visitor', v), state.visitorJson);
  const page = await context.newPage();
  await page.goto(`${srv.base}/#/scan?c=${state.slug}&mode=ar`);
  await page.getByTestId('checkin-ok').waitFor({ timeout: 30000 });
  const painted = await page.evaluate(() => {
    const c = document.querySelector('[data-testid=ar-overlay]');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return n;
  });
  assert.ok(painted > 500, `overlay has painted pixels (${painted})`);
  await page.getByRole('button', { name: L('scan.take_photo') }).click();
  await page.getByRole('img', { name: L('scan.photo_alt') }).waitFor({ timeout: 20000 });
  await shot(page, 'visitor-scan-ar');
  const checkins = await apiClient(srv.base, state.visitorToken).get('/me/checkins');
  const mine = checkins.filter((c) => c.campaign_id === state.campaignId);
  assert.equal(mine.length, 2);
  assert.ok(mine.some((c) => c.method === 'ar'), 'one check-in was recorded as AR');
});

test('a check-in typed while offline is queued and sent when back online', async () => {
  const { context } = await browser({ geolocation: { latitude: POINT.lat, longitude: POINT.lng, accuracy: 10 } });
  await context.addInitScript((v) => localStorage.setItem('bairro.visitor', v), state.visitorJson);
  const page = await context.newPage();
  await page.goto(`${srv.base}/#/scan?c=${state.slug}`);
  await page.locator('#typed-code').waitFor();
  await context.setOffline(true);
  await page.fill('#typed-code', state.thirdPayload);
  await page.getByRole('button', { name: L('scan.typed_submit') }).click();
  await page.getByText(L('scan.queued')).waitFor({ timeout: 20000 });
  const queued = await page.evaluate(() => JSON.parse(localStorage.getItem('bairro.checkin-queue') || '[]'));
  assert.equal(queued.length, 1);
  assert.ok(queued[0].nonce && queued[0].scanned_at, 'queued with nonce and scan time');
  await context.setOffline(false);
  await page.waitForFunction(() => JSON.parse(localStorage.getItem('bairro.checkin-queue') || '[]').length === 0, null, { timeout: 30000 });
  const checkins = await apiClient(srv.base, state.visitorToken).get('/me/checkins');
  assert.equal(checkins.filter((c) => c.campaign_id === state.campaignId).length, 3);
});

test('a merchant joins, scans the coupon by camera, redeems it; a second scan is refused', async () => {
  const cam = makeY4m(state.coupon.payload, join(work, 'coupon.y4m'));
  const { context } = await browser({ camera: cam });
  const page = await context.newPage();
  await uiLogin(page, srv.base, 'merchant-1', 'merchant-demo');

  // Apply to the new campaign; the official approves in the UI.
  await page.goto(`${srv.base}/#/merchant/campaigns`);
  const card = page.locator('li.card', { hasText: 'Test district campaign' });
  await card.getByRole('button', { name: L('enrol.apply') }).click();
  await card.getByText(L('status.pending')).waitFor({ timeout: 20000 });
  const off = state.official;
  await off.goto(`${srv.base}/#/official/enrolments`);
  const row = off.locator('tr', { hasText: 'Test district campaign' });
  await row.getByRole('button', { name: L('enrol.approve') }).first().click();
  await row.waitFor({ state: 'detached', timeout: 20000 });

  await page.goto(`${srv.base}/#/merchant`);
  await page.waitForFunction(() => document.querySelector('#coupon')?.value.length > 0, null, { timeout: 30000 });
  await page.fill('#spend', '120');
  // First the preview: the discount and what the customer pays, nothing redeemed yet.
  await page.getByRole('button', { name: L('redeem.check') }).click();
  const preview = page.getByTestId('redeem-preview');
  await preview.waitFor({ timeout: 30000 });
  assert.match(await page.getByTestId('preview-discount').innerText(), /50[.,]00/);
  assert.match(await page.getByTestId('preview-to-pay').innerText(), /70[.,]00/);
  assert.match(await page.getByTestId('preview-line').innerText(), /50[.,]00.*70[.,]00/);
  assert.equal(await page.getByTestId('redeem-ok').count(), 0, 'nothing redeemed before confirming');
  assert.equal((await apiClient(srv.base, state.visitorToken).get('/me/coupons')).find((c) => c.id === state.coupon.id)?.status, 'issued');
  await preview.scrollIntoViewIfNeeded();
  await shot(page, 'merchant-redeem-preview');
  await page.getByRole('button', { name: L('redeem.submit') }).click();
  const ok = page.getByTestId('redeem-ok');
  await ok.waitFor({ timeout: 30000 });
  assert.match(await page.getByTestId('discount').innerText(), /50[.,]00/);
  assert.equal(await preview.count(), 0, 'the preview is gone once redeemed');
  await shot(page, 'merchant-redeem-done');

  // The camera still sees the same coupon: it fills in again, and the preview already refuses it.
  await page.waitForFunction(() => document.querySelector('#coupon')?.value.length > 0, null, { timeout: 30000 });
  await page.fill('#spend', '120');
  await page.getByRole('button', { name: L('redeem.check') }).click();
  const err = page.getByTestId('redeem-error');
  await err.waitFor({ timeout: 30000 });
  assert.ok((await err.innerText()).includes(L('error.already_redeemed')));
  assert.equal(await preview.count(), 0, 'no confirm button for a refused coupon');
  await shot(page, 'merchant-redeem-refused');
});

test('the official sees the check-ins and the redemption in the statistics', async () => {
  const page = state.official;
  await page.goto(`${srv.base}/#/official/campaigns/${state.campaignId}/stats`);
  await page.getByTestId('chart-funnel').waitFor({ timeout: 30000 });
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=point-checkins]').length >= 3, null, { timeout: 30000 });
  const checkins = await page.$$eval('[data-testid=point-checkins]', (els) => els.reduce((a, e) => a + Number(e.textContent.replace(/\D/g, '')), 0));
  assert.equal(checkins, 3);
  const redemptions = await page.$$eval('[data-testid=merchant-redemptions]', (els) => els.reduce((a, e) => a + Number(e.textContent.replace(/\D/g, '')), 0));
  assert.equal(redemptions, 1);
  await page.getByRole('cell', { name: 'e2e-kol', exact: true }).waitFor();
  await shot(page, 'official-stats');
});
