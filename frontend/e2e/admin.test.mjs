// Official back-office flows in the browser: merchants, holidays, settlements, a rotating display,
// downloads; the merchant's survey and history.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, apiClient, loginToken, launch, watchPage, uiLogin, shot, ROOT } from './helpers.mjs';

const en = JSON.parse(readFileSync(join(ROOT, 'src/i18n/en.json'), 'utf8'));
const L = (k) => en[k];
let srv;
let b;
let page;
let api;
let taipa;

before(async () => {
  srv = await startServer();
  api = apiClient(srv.base, await loginToken(srv.base, 'official', 'official-demo'));
  taipa = await api.get('/campaigns/taipa');
  b = await launch({ viewport: { width: 1280, height: 800 } });
  await b.context.addInitScript(() => {
    if (!localStorage.getItem('bairro.lang')) localStorage.setItem('bairro.lang', 'en');
  });
  page = await b.context.newPage();
  await uiLogin(page, srv.base, 'official', 'official-demo');
});

after(async () => {
  if (b) await b.close();
  if (srv) await srv.stop();
});

test('official creates a merchant who can then log in', async () => {
  const errors = watchPage(page);
  await page.goto(`${srv.base}/#/official/merchants`);
  await page.getByRole('button', { name: L('merchant.new') }).click();
  await page.fill('#m-name-zh-Hant', '新記茶餐廳');
  await page.fill('#m-name-pt', 'Casa de Chá Novo');
  await page.fill('#m-name-en', 'New Tea House');
  await page.selectOption('#m-cat', 'food');
  await page.fill('#m-addr', 'Rua do Cunha 1');
  await page.check('text=' + L('merchant.m_mark_field'));
  await page.fill('#m-user', 'e2e-shop');
  await page.fill('#m-pass', 'e2e-shop-password');
  await page.getByRole('button', { name: L('merchant.create') }).click();
  await page.getByRole('cell', { name: 'New Tea House' }).waitFor({ timeout: 20000 });
  assert.ok(await loginToken(srv.base, 'e2e-shop', 'e2e-shop-password'));
  assert.deepEqual(errors.filter((e) => e.startsWith('pageerror')), []);
});

test('official adds and removes a public holiday', async () => {
  await page.goto(`${srv.base}/#/official/holidays`);
  const year = new Date().getFullYear();
  await page.fill('#ho-day', `${year}-12-24`);
  await page.fill('#ho-name', 'E2E holiday');
  await page.getByRole('button', { name: L('holiday.add') }).click();
  const row = page.locator('tr', { hasText: 'E2E holiday' });
  await row.waitFor({ timeout: 20000 });
  await shot(page, 'official-holidays-added');
  await row.getByRole('button', { name: L('holiday.remove') }).click();
  await row.waitFor({ state: 'detached', timeout: 20000 });
});

test('official generates settlement statements, approves and pays one', async () => {
  await page.goto(`${srv.base}/#/official/settlements`);
  await page.selectOption('#se-campaign', taipa.id);
  const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
  await page.fill('#se-from', '2020-01-01');
  await page.fill('#se-to', today);
  await page.getByRole('button', { name: L('settlement.generate') }).click();
  await page.getByRole('button', { name: L('settlement.approve') }).first().waitFor({ timeout: 30000 });
  // Four eyes: the official who generated the statements may not approve them.
  await page.getByRole('button', { name: L('settlement.approve') }).first().click();
  await page.getByText(L('error.four_eyes_required')).waitFor({ timeout: 20000 });
  await uiLogin(page, srv.base, 'official-2', 'official-demo');
  await page.goto(`${srv.base}/#/official/settlements`);
  await page.selectOption('#se-campaign', taipa.id);
  await page.getByRole('button', { name: L('settlement.approve') }).first().waitFor({ timeout: 30000 });
  await page.getByRole('button', { name: L('settlement.approve') }).first().click();
  await page.getByRole('button', { name: L('settlement.pay') }).first().waitFor({ timeout: 20000 });
  await page.getByRole('button', { name: L('settlement.pay') }).first().click();
  await page.getByText(L('status.paid')).first().waitFor({ timeout: 20000 });
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: L('common.download_csv') }).first().click()]);
  assert.match(download.suggestedFilename(), /\.csv$/);
  await shot(page, 'official-settlements-paid');
  const list = await api.get(`/settlements?campaign=${taipa.id}`);
  assert.ok(list.some((s) => s.status === 'paid'));
});

test('a rotating point: provisioning code, display activated, QR shown with countdown', async () => {
  const rotating = taipa.points.find((p) => p.rotating);
  assert.ok(rotating, 'the demo has a rotating point');
  await page.goto(`${srv.base}/#/official/campaigns/${taipa.id}`);
  const row = page.locator('tr', { hasText: rotating.name.en });
  await row.getByRole('button', { name: L('point.provision') }).click();
  const status = row.getByRole('status');
  await status.waitFor({ timeout: 20000 });
  const code = (await status.innerText()).split(/[:：]\s*/).pop().trim();
  assert.ok(code.length >= 4, `setup code shown (${code})`);

  const d = await launch({ viewport: { width: 800, height: 900 } });
  try {
    const dp = await d.context.newPage();
    await dp.goto(`${srv.base}/#/display/${rotating.id}`);
    await dp.fill('#setup', code);
    await dp.locator('form button[type=submit]').click();
    await dp.locator('canvas.qr').waitFor({ timeout: 30000 });
    await dp.locator('.countdown').waitFor({ timeout: 30000 });
    await shot(dp, 'display-rotating');
  } finally {
    await d.close();
  }
});

test('QR image download and the campaign statistics CSV', async () => {
  await page.goto(`${srv.base}/#/official/campaigns/${taipa.id}`);
  const [svg] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: L('point.download_svg') }).first().click()]);
  assert.match(svg.suggestedFilename(), /\.svg$/);
  await page.goto(`${srv.base}/#/official/campaigns/${taipa.id}/stats`);
  await page.getByTestId('chart-daily').waitFor({ timeout: 30000 });
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: L('common.download_csv') }).click()]);
  assert.match(csv.suggestedFilename(), /\.csv$/);
});

test('a merchant answers the survey and filters its history', async () => {
  const m = await launch({ viewport: { width: 390, height: 844 } });
  try {
    await m.context.addInitScript(() => localStorage.setItem('bairro.lang', 'en'));
    const mp = await m.context.newPage();
    await uiLogin(mp, srv.base, 'merchant-1', 'merchant-demo');
    await mp.goto(`${srv.base}/#/merchant/campaigns`);
    const card = mp.locator('li.card', { has: mp.getByRole('button', { name: L('survey.open') }) }).first();
    await card.getByRole('button', { name: L('survey.open') }).click();
    await card.getByLabel(L('common.yes')).check();
    await card.getByLabel(L('survey.estimate')).fill('60');
    await card.getByRole('button', { name: L('survey.submit') }).click();
    await card.getByText(L('survey.thanks')).waitFor({ timeout: 20000 });
    await mp.goto(`${srv.base}/#/merchant/history`);
    await mp.fill('#h-from', '2020-01-01');
    await mp.getByRole('button', { name: L('common.apply') }).click();
    await mp.locator('table').first().waitFor({ timeout: 20000 });
    await shot(mp, 'merchant-history-filtered');
  } finally {
    await m.close();
  }
});

test('a merchant redeems a typed code (lower case) and undoes it within the window', async () => {
  const visitor = await apiClient(srv.base).post('/visitors', { locale: 'en' });
  const coupon = (visitor.coupons || [])[0];
  assert.ok(coupon, 'a sign-up coupon was issued');
  const m = await launch({ viewport: { width: 390, height: 844 } });
  try {
    await m.context.addInitScript(() => localStorage.setItem('bairro.lang', 'en'));
    const mp = await m.context.newPage();
    await uiLogin(mp, srv.base, 'merchant-1', 'merchant-demo');
    await mp.goto(`${srv.base}/#/merchant`);
    await mp.getByRole('button', { name: L('redeem.camera_off') }).click();
    await mp.fill('#coupon', coupon.code.toLowerCase().replace(/-/g, ' '));
    await mp.fill('#spend', '88.50');
    await mp.getByRole('button', { name: L('redeem.submit') }).click();
    await mp.getByTestId('redeem-ok').waitFor({ timeout: 20000 });
    const undo = mp.getByRole('button', { name: /^Undo/ });
    await undo.click();
    await mp.getByText(L('redeem.voided')).waitFor({ timeout: 20000 });
    await shot(mp, 'merchant-redeem-undone');
    const again = await apiClient(srv.base, visitor.token).get('/me/coupons');
    assert.equal(again.find((c) => c.id === coupon.id).status, 'issued', 'the coupon is usable again after the undo');
  } finally {
    await m.close();
  }
});
