// End-to-end: a merchant records a purchase by scanning the visitor's wallet card with the
// (fake) camera and sees the visitor's stamps; the visitor sees the stamp card in the wallet,
// enters a fair draw from the campaign page and later sees the draw's outcome in the wallet.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, apiClient, loginToken, makeY4m, launch, watchPage, uiLogin, shot, tmpDir, ROOT } from './helpers.mjs';

const en = JSON.parse(readFileSync(join(ROOT, 'src/i18n/en.json'), 'utf8'));
const L = (k) => en[k];
const names = (w) => ({ 'zh-Hant': `${w}（測試）`, pt: `${w} (teste)`, en: `${w} (test)` });

let srv;
let work;
const open = [];
const state = {};

before(async () => {
  srv = await startServer();
  work = tmpDir('bairro-mech-');
  const off = apiClient(srv.api, await loginToken(srv.api, 'official', 'official-demo'));
  state.off = off;
  const now = Date.now();
  const c = await off.post('/campaigns', {
    slug: `mech-${now.toString(36)}`,
    name: { 'zh-Hant': '消費集印活動', pt: 'Campanha de carimbos', en: 'Stamp campaign' },
    district: 'Taipa',
    starts_at: new Date(now - 86400_000).toISOString(),
    ends_at: new Date(now + 30 * 86400_000).toISOString(),
  });
  await off.post(`/campaigns/${c.id}/publish`);
  state.campaign = c;
  const user = `mech-${now.toString(36)}`;
  await off.post('/merchants', {
    name: names('茶餐廳'), category: 'food', address: 'Rua do Cunha 1', lat: 22.153, lng: 113.556, m_mark: true,
    username: user, password: 'merchant-pw-123',
  });
  state.merchantUser = user;
  const m = apiClient(srv.api, await loginToken(srv.api, user, 'merchant-pw-123'));
  const e = await m.post(`/campaigns/${c.id}/enrolments`);
  await off.post(`/enrolments/${e.id}/approve`);
  await off.post(`/campaigns/${c.id}/offers`, {
    name: { 'zh-Hant': '集一印送折扣', pt: 'Desconto por carimbo', en: 'Stamp discount' },
    kind: 'discount', percent_off: 10, stock: 50, per_visitor_limit: 1, valid_days: 30,
    trigger: { type: 'purchases', count: 1 },
  });
  const v = await apiClient(srv.api).post('/visitors', { locale: 'en' });
  state.visitor = v;
  state.card = (await apiClient(srv.api, v.token).get('/me/card')).payload;
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

async function visitorPage() {
  const { context } = await browser({});
  const v = state.visitor;
  await context.addInitScript((id) => localStorage.setItem('bairro.visitor', id), JSON.stringify({ visitor_id: v.visitor_id, token: v.token }));
  return context.newPage();
}

test('a merchant records a purchase by scanning the wallet card; the visitor sees the stamp', async () => {
  const cam = makeY4m(state.card, join(work, 'card.y4m'));
  const { context } = await browser({ camera: cam });
  const page = await context.newPage();
  const problems = watchPage(page);
  await uiLogin(page, srv.base, state.merchantUser, 'merchant-pw-123');
  await page.goto(`${srv.base}/#/merchant/purchase`);
  await page.waitForFunction(() => document.querySelector('#card')?.value.startsWith('B1:V:'), null, { timeout: 30000 });
  assert.match(await page.getByTestId('till-stamps').innerText(), /0/);
  await page.fill('#pspend', '88.50');
  await page.getByRole('button', { name: L('purchase.submit') }).click();
  await page.getByTestId('purchase-ok').waitFor({ timeout: 30000 });
  assert.ok((await page.getByTestId('purchase-ok').innerText()).includes(L('purchase.stamped')));
  assert.match(await page.getByTestId('purchase-stamps').innerText(), /\b1\b/);
  await shot(page, 'merchant-purchase-stamp');
  const purchases = await apiClient(srv.api, await loginToken(srv.api, state.merchantUser, 'merchant-pw-123')).get('/merchant/purchases');
  assert.equal(purchases.length, 1);
  assert.equal(purchases[0].spend_avos, 8850);
  assert.deepEqual(problems.filter((p) => !/status of 4\d\d/.test(p)), []);

  // The wallet shows the stamp card and the coupon it earned.
  const w = await visitorPage();
  await w.goto(`${srv.base}/#/wallet`);
  await w.getByTestId('purchase-stamp-count').waitFor({ timeout: 30000 });
  assert.ok((await w.getByTestId('purchase-stamp-count').innerText()).includes('1'));
  await w.getByRole('heading', { name: 'Stamp discount', exact: true }).first().waitFor();
  await w.getByRole('button', { name: L('card.show') }).click();
  await w.getByRole('img', { name: L('card.qr_label') }).waitFor();
  await shot(w, 'visitor-wallet-card');
});

test('a visitor enters a draw from the campaign page and sees its outcome in the wallet', async () => {
  const now = Date.now();
  const offer = await state.off.post(`/campaigns/${state.campaign.id}/offers`, {
    name: { 'zh-Hant': '抽獎電子券', pt: 'Vale do sorteio', en: 'Draw e-cash' },
    kind: 'ecash', face_value_avos: 2000, stock: 1, per_visitor_limit: 1, valid_days: 30, requires_verified: false,
    trigger: { type: 'draw', entries_close_at: new Date(now + 20_000).toISOString(), draw_at: new Date(now + 21_000).toISOString() },
  });
  const page = await visitorPage();
  await page.goto(`${srv.base}/#/c/${encodeURIComponent(state.campaign.slug)}`);
  const card = page.locator('li.card', { hasText: 'Draw e-cash' });
  await card.getByRole('button', { name: L('draw.enter') }).click();
  await card.getByText(L('draw.entered')).waitFor({ timeout: 20000 });
  await page.goto(`${srv.base}/#/wallet`);
  const outcome = page.getByTestId('draw-outcome');
  await outcome.waitFor({ timeout: 30000 });
  assert.equal(await outcome.getAttribute('data-outcome'), 'pending');
  // Wait for the draw (the one entrant wins the one coupon), reloading the wallet.
  const deadline = Date.now() + 90_000;
  for (;;) {
    const d = await apiClient(srv.api).get(`/offers/${offer.id}/draw`);
    if (d.status === 'done') break;
    assert.ok(Date.now() < deadline, 'the draw did not run');
    await new Promise((r) => setTimeout(r, 500));
  }
  await page.reload();
  await page.locator('[data-testid=draw-outcome][data-outcome=won]').waitFor({ timeout: 30000 });
  assert.ok((await page.getByTestId('draw-outcome').innerText()).includes(L('draw.outcome_won')));
  await page.getByRole('heading', { name: 'Draw e-cash', exact: true }).first().waitFor();
  await shot(page, 'visitor-draw-won');
});
