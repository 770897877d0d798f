// Official back-office flows in the browser: merchants, holidays, settlements, a rotating display,
// downloads; the merchant's survey and history.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, apiClient, loginToken, launch, watchPage, uiLogin, shot, seriousAxe, seedSignals, ROOT } from './helpers.mjs';

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
  // Approving and paying ask first, naming the amount and the shop.
  await page.getByRole('button', { name: L('common.confirm') }).first().click();
  await page.getByText(L('error.four_eyes_required')).waitFor({ timeout: 20000 });
  await uiLogin(page, srv.base, 'official-2', 'official-demo');
  await page.goto(`${srv.base}/#/official/settlements`);
  await page.selectOption('#se-campaign', taipa.id);
  await page.getByRole('button', { name: L('settlement.approve') }).first().waitFor({ timeout: 30000 });
  await page.getByRole('button', { name: L('settlement.approve') }).first().click();
  await page.getByRole('button', { name: L('common.confirm') }).first().click();
  await page.getByRole('button', { name: L('settlement.pay') }).first().waitFor({ timeout: 20000 });
  await page.getByRole('button', { name: L('settlement.pay') }).first().click();
  await page.getByTestId('confirm-yes').click();
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
    await mp.getByRole('button', { name: L('redeem.check') }).click();
    await mp.getByTestId('redeem-preview').waitFor({ timeout: 20000 });
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

test('official reviews the fraud signals of a campaign, with their evidence', async () => {
  const { merchant } = await seedSignals(srv.base);
  const merchantId = merchant.id;
  await page.goto(`${srv.base}/#/official/campaigns/${taipa.id}`);
  await page.getByRole('navigation', { name: L('campaign.sections') }).getByRole('link', { name: L('nav.signals') }).click();
  await page.getByTestId('signal').first().waitFor({ timeout: 30000 });
  const kinds = await page.getByTestId('signal').evaluateAll((els) => els.map((e) => e.dataset.kind));
  const raw = await api.get(`/campaigns/${taipa.id}/signals`);
  for (const k of ['exact_minimum_spend', 'till_burst', 'refused_scans']) assert.ok(kinds.includes(k), `a ${k} signal (${kinds}; merchant ${merchantId}; ${JSON.stringify(raw.signals.map((s) => s.detail))})`);

  // Translated title and sentence from the evidence; the server's English detail as secondary text.
  const exact = page.locator('[data-kind=exact_minimum_spend]');
  assert.equal(await exact.getByRole('heading').innerText(), L('signals.kind.exact_minimum_spend'));
  assert.ok((await exact.innerText()).includes(L('signals.say.exact_minimum_spend_other').replace('{n}', '5')));
  assert.ok((await exact.locator('[lang=en]').innerText()).includes('minimum spend'));
  // The merchant id is shown as its name, linking to the merchant list.
  const link = exact.getByRole('link', { name: merchant.name.en });
  assert.match(await link.getAttribute('href'), new RegExp(`m=${merchantId}`));

  const burst = page.locator('[data-kind=till_burst]');
  assert.ok((await burst.innerText()).includes('redeemed 5 coupons within one minute'));
  assert.equal(await burst.locator('.id-list li').first().isVisible(), false, 'evidence starts collapsed');
  await burst.getByText(/Show evidence \(5 records\)/).click();
  assert.equal(await burst.locator('.id-list li').count(), 5);
  const refused = page.locator('[data-kind=refused_scans]').first();
  await refused.getByText(/Show evidence \(3 records\)/).click();
  assert.equal(await refused.locator('tbody tr').count(), 3);
  assert.ok((await refused.locator('tbody').innerText()).includes(L('signals.reason.outside_geofence')));
  assert.deepEqual(await seriousAxe(page), []);
  await shot(page, 'official-signals-evidence');

  // The link leads to the merchant, marked in the list.
  await link.click();
  await page.locator(`tr#merchant-${merchantId}.hl`).waitFor({ timeout: 20000 });

  // A period with nothing to show says so.
  await page.goto(`${srv.base}/#/official/campaigns/${taipa.id}/signals`);
  await page.getByTestId('signal').first().waitFor({ timeout: 30000 });
  await page.fill('#sg-from', '2021-01-01');
  await page.fill('#sg-to', '2021-01-31');
  await page.getByRole('button', { name: L('common.apply') }).click();
  await page.getByTestId('signals-none').waitFor({ timeout: 20000 });
  assert.equal(await page.getByTestId('signal').count(), 0);
});

test('official reads the audit log, filters it and sees what changed', async () => {
  const draft = await api.post('/campaigns', {
    slug: 'audit-draft',
    name: { 'zh-Hant': '審計草稿', pt: 'Rascunho auditado', en: 'Audited draft' },
    district: 'Taipa',
    starts_at: '2030-01-01T10:00:00+08:00',
    ends_at: '2030-01-31T22:00:00+08:00',
  });
  await api.patch(`/campaigns/${draft.id}`, { district: 'Taipa Village' });
  await page.goto(`${srv.base}/#/official`);
  await page.getByRole('navigation', { name: L('nav.main') }).getByRole('link', { name: L('nav.audit') }).click();
  await page.getByTestId('audit-row').first().waitFor({ timeout: 30000 });
  // Earlier tests left merchants, holidays and settlements in the log.
  const all = await page.getByTestId('audit-row').count();
  assert.ok(all >= 4, `several entries (${all})`);

  await page.selectOption('#au-entity', 'campaign');
  await page.fill('#au-id', draft.id);
  await page.getByRole('button', { name: L('common.apply') }).click();
  await page.waitForFunction(() => location.hash.includes('entity=campaign'));
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=audit-row]').length === 2, null, { timeout: 20000 });
  const edit = page.getByTestId('audit-row').first();
  assert.ok((await edit.innerText()).includes(L('audit.action.edit')), 'newest first: the edit');
  assert.ok((await edit.innerText()).includes('district'));
  await edit.getByRole('button', { name: L('audit.show_diff') }).click();
  const diff = page.locator('table.diff');
  const districtRow = diff.locator('tr', { hasText: 'district' });
  assert.ok((await districtRow.innerText()).includes('Taipa Village'));
  assert.ok((await districtRow.innerText()).includes(L('audit.chg_changed')));
  const changedRows = await diff.locator('tbody tr').count();
  await page.getByRole('button', { name: /Also show \d+ unchanged field/ }).click();
  assert.ok((await diff.locator('tbody tr').count()) > changedRows, 'unchanged fields can be shown too');
  assert.deepEqual(await seriousAxe(page), []);
  await shot(page, 'official-audit-diff');

  // The entity filter alone: only settlements.
  await page.goto(`${srv.base}/#/official/audit?entity=settlement`);
  await page.waitForFunction(
    (label) => {
      const rows = [...document.querySelectorAll('[data-testid=audit-row]')];
      return !document.querySelector('.loading') && rows.length > 0 && rows.every((r) => r.children[3].textContent.includes(label));
    },
    L('audit.entity.settlement'),
    { timeout: 20000 },
  );
  assert.equal(await page.locator('#au-entity').inputValue(), 'settlement', 'the filter shows the entity of the address');
});
