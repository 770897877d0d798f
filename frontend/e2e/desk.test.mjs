// The till and the bureau's desk, in Chromium against the real server with the demo data:
// the merchant's history pages, same-named shops told apart, one result at a time at the till,
// live figures on the dashboard, the publish pre-flight, survey answers, and no ids, raw codes
// or field names on officials' screens (zh-Hant and pt).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, apiClient, loginToken, makeY4m, launch, watchPage, uiLogin, shot, tmpDir, seedSignals, ROOT } from './helpers.mjs';

const en = JSON.parse(readFileSync(join(ROOT, 'src/i18n/en.json'), 'utf8'));
const L = (k) => en[k];
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
// snake_case words are API names (codes and fields), never text for people.
const SNAKE = /\b[a-z]+(?:_[a-z0-9]+)+\b/g;

let srv;
let work;
let off;
let taipa;
const open = [];

before(async () => {
  srv = await startServer();
  work = tmpDir('bairro-desk-');
  off = apiClient(srv.base, await loginToken(srv.base, 'official', 'official-demo'));
  taipa = await off.get('/campaigns/taipa');
  await seedSignals(srv.base);
  await off.post(`/campaigns/${taipa.id}/sources`, { name: 'Ana 的小紅書', platform: 'xiaohongshu', note: 'weekend post' });
});

after(async () => {
  for (const b of open) await b.close();
  if (srv) await srv.stop();
});

async function browser(opts = {}, lang = 'en') {
  const b = await launch(opts);
  open.push(b);
  b.context.setDefaultTimeout(30000);
  await b.context.addInitScript((l) => {
    if (!localStorage.getItem('bairro.lang')) localStorage.setItem('bairro.lang', l);
  }, lang);
  return b;
}

const macauToday = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);

/** A new offer of the running campaign that anyone may claim, and `n` coupons of it. */
async function coupons(n, body = {}) {
  const offer = await off.post(`/campaigns/${taipa.id}/offers`, {
    name: { 'zh-Hant': '櫃台測試券', pt: 'Cupão de teste', en: 'Till test coupon' },
    kind: 'ecash',
    face_value_avos: 1000,
    min_spend_avos: 0,
    stock: 500,
    per_visitor_limit: 1,
    valid_days: 5,
    trigger: { type: 'claim' },
    // Open to visitors who have not verified a phone or e-mail (the till is under test here).
    requires_verified: false,
    ...body,
  });
  const out = [];
  for (let i = 0; i < n; i++) {
    const v = apiClient(srv.base, (await apiClient(srv.base).post('/visitors', { locale: 'en' })).token);
    out.push(await v.post(`/offers/${offer.id}/claim`, {}));
  }
  return out;
}

/** A new shop, enrolled and approved in the running campaign; its till's API client. */
async function newShop(name, address) {
  const username = `desk-${Math.random().toString(36).slice(2, 9)}`;
  const m = await off.post('/merchants', {
    name: { 'zh-Hant': name, pt: name, en: name },
    category: 'food',
    address,
    lat: 22.1532,
    lng: 113.5561,
    m_mark: false,
    username,
    password: 'desk-password',
  });
  const till = apiClient(srv.base, await loginToken(srv.base, username, 'desk-password'));
  const e = await till.post(`/campaigns/${taipa.id}/enrolments`, {});
  await off.post(`/enrolments/${e.id}/approve`, {});
  return { m, till, username };
}

test('a merchant with more than 50 redemptions sees today first and pages through all of them', async () => {
  const shop = await newShop('翻頁小店', 'Rua do Regedor 3');
  // 55 redemptions today: the newest must head page 1, and page 2 must hold the rest.
  const list = await coupons(55);
  for (const [i, c] of list.entries()) {
    await shop.till.post('/redemptions', { coupon: c.code, spend_avos: 10000 + i, idempotency_key: crypto.randomUUID() });
  }
  const { context } = await browser();
  const page = await context.newPage();
  await uiLogin(page, srv.base, shop.username, 'desk-password');
  await page.goto(`${srv.base}/#/merchant/history`);
  const rows = page.getByTestId('history-row');
  await rows.first().waitFor();
  assert.equal(await rows.count(), 50);
  // Today's group comes first, with the day's total, and the newest sale (the 55th) on top.
  const firstDay = await page.getByTestId('history-day').first().innerText();
  assert.match(firstDay, /55/);
  assert.match(await rows.first().innerText(), /100[.,]54/);
  assert.ok((await rows.first().innerText()).includes(list[54].code), 'the coupon code is shown');
  await shot(page, 'desk-history-page1');
  await page.getByRole('button', { name: L('common.next') }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=history-row]').length === 5);
  assert.match(await page.getByTestId('history-page').innerText(), /2.*2/);
  assert.match(await rows.last().innerText(), /100[.,]00/, 'the oldest sale is last');
  assert.equal(await page.getByRole('button', { name: L('common.next') }).isDisabled(), true);
});

test('two shops of the same name are told apart in the settlement list and the printed statement', async () => {
  const a = await newShop('同名測試咖啡', 'Rua da Praia 1');
  const b = await newShop('同名測試咖啡', 'Avenida Central 88');
  const [c1, c2] = await coupons(2);
  await a.till.post('/redemptions', { coupon: c1.code, spend_avos: 5000, idempotency_key: crypto.randomUUID() });
  await b.till.post('/redemptions', { coupon: c2.code, spend_avos: 5000, idempotency_key: crypto.randomUUID() });
  await off.post(`/campaigns/${taipa.id}/settlements`, { from: macauToday(), to: macauToday() });

  const { context } = await browser({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await uiLogin(page, srv.base, 'official', 'official-demo');
  await page.goto(`${srv.base}/#/official/settlements`);
  await page.selectOption('#se-campaign', taipa.id);
  const rows = page.locator('tr', { hasText: '同名測試咖啡' });
  await page.waitForFunction(() => [...document.querySelectorAll('tr')].filter((r) => r.innerText.includes('同名測試咖啡')).length === 2);
  const lines = await rows.getByTestId('merchant-line').allInnerTexts();
  assert.equal(lines.length, 2);
  assert.notEqual(lines[0], lines[1]);
  assert.ok(lines.some((l) => l.includes('Rua da Praia 1')) && lines.some((l) => l.includes('Avenida Central 88')), lines.join(' | '));
  // The new period starts the day after the last statement.
  const next = new Date(`${macauToday()}T12:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  // (The day field shows the day in the page's language and keeps the day itself in data-value.)
  assert.equal(await page.getAttribute('#se-from', 'data-value'), next.toISOString().slice(0, 10));
  await shot(page, 'desk-settlements-same-name');

  for (const i of [0, 1]) {
    const row = rows.nth(i);
    const line = await row.getByTestId('merchant-line').innerText();
    const [popup] = await Promise.all([context.waitForEvent('page'), row.getByRole('button', { name: L('settlement.print') }).click()]);
    await popup.waitForURL(/^blob:/);
    await popup.waitForLoadState();
    await popup.locator('h1').waitFor();
    const text = await popup.evaluate(() => document.body.innerText);
    const [no, address] = line.split(' · ');
    assert.ok(text.includes(no) && text.includes(address), `the statement names ${line}:\n${text}`);
    assert.ok(text.includes('同名測試咖啡'));
    assert.doesNotMatch(text, UUID, 'no ids on the statement');
    assert.ok(text.includes('待核准') && text.includes('Awaiting approval'), 'status in words');
    await popup.screenshot({ path: join(work, `statement-${i}.png`) });
    await popup.close();
  }
  // Paying asks first.
  const approve = rows.first().getByTestId('approve');
  await approve.click();
  await rows.first().getByTestId('approve-confirm').waitFor();
  await rows.first().getByRole('button', { name: L('common.cancel') }).click();
  await approve.waitFor();
});

/** A Y4M that shows coupon A for two seconds, then coupon B for two seconds, looping. */
function twoCodes(a, b, path) {
  const fa = readFileSync(makeY4m(a, join(work, 'a.y4m'), { frames: 10 }));
  const fb = readFileSync(makeY4m(b, join(work, 'b.y4m'), { frames: 10 }));
  const nl = fb.indexOf(10);
  writeFileSync(path, Buffer.concat([fa, fb.subarray(nl + 1)]));
  return path;
}

test('the till shows only the new result after a second scan', async () => {
  const shop = await newShop('雙券小店', 'Rua Correia da Silva 5');
  const [x, y] = await coupons(2);
  const cam = twoCodes(x.payload, y.payload, join(work, 'two.y4m'));
  const { context } = await browser({ camera: cam });
  const page = await context.newPage();
  await uiLogin(page, srv.base, shop.username, 'desk-password');
  await page.goto(`${srv.base}/#/merchant`);
  await page.waitForFunction(() => document.querySelector('#coupon')?.value.length > 0, null, { timeout: 30000 });
  const first = await page.inputValue('#coupon');
  assert.doesNotMatch(first, /B1:/, 'the field shows the code, not the QR text');
  assert.ok([x.code, y.code].includes(first), first);
  await page.getByTestId('camera-paused').waitFor();
  await page.fill('#spend', '80');
  await page.getByRole('button', { name: L('redeem.check') }).click();
  await page.getByTestId('redeem-preview').waitFor();
  await page.getByRole('button', { name: L('redeem.submit') }).click();
  await page.getByTestId('redeem-ok').waitFor();
  // The camera comes back and reads the other coupon: the last sale's box makes way for it.
  const second = first === x.code ? y.code : x.code;
  await page.waitForFunction((c) => document.querySelector('#coupon')?.value === c, second, { timeout: 30000 });
  assert.equal(await page.getByTestId('redeem-ok').count(), 0, 'the previous result is gone after the new scan');
  await page.fill('#spend', '90');
  await page.getByRole('button', { name: L('redeem.check') }).click();
  await page.getByTestId('redeem-preview').waitFor();
  assert.equal(await page.getByTestId('redeem-ok').count(), 0);
  assert.equal(await page.getByTestId('redeem-error').count(), 0);
  await shot(page, 'desk-till-second-scan');
});

test('a check-in appears on an open dashboard within 5 s without a reload', async () => {
  const { context } = await browser({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await uiLogin(page, srv.base, 'official', 'official-demo');
  await page.goto(`${srv.base}/#/official`);
  const cell = page.getByTestId('live-taipa').getByTestId('live-checkins');
  await page.waitForFunction(() => /\d/.test(document.querySelector('[data-testid=live-taipa] [data-testid=live-checkins]')?.textContent || ''));
  await page.getByTestId('live-badge').waitFor();
  await page.evaluate(() => (window.__sameDocument = true));
  const before = Number((await cell.innerText()).replace(/\D/g, ''));
  const point = taipa.points.find((p) => !p.rotating && p.payload);
  const v = apiClient(srv.base, (await apiClient(srv.base).post('/visitors', { locale: 'en' })).token);
  await v.post('/checkins', { payload: point.payload, method: point.kind, lat: point.lat, lng: point.lng });
  const t0 = Date.now();
  await page.waitForFunction(
    (n) => Number((document.querySelector('[data-testid=live-taipa] [data-testid=live-checkins]')?.textContent || '').replace(/\D/g, '')) > n,
    before,
    { timeout: 5000 },
  );
  const took = Date.now() - t0;
  assert.ok(await page.evaluate(() => window.__sameDocument === true), 'no reload happened');
  assert.match(await page.getByTestId('live-badge').innerText(), new RegExp(L('live.updated').split('{n}')[1].trim()));
  console.log(`check-in on the dashboard after ${took} ms`);
  await shot(page, 'desk-dashboard-live');
});

test('publish with no approved shop shows the pre-flight warning', async () => {
  const draft = await off.post('/campaigns', {
    slug: `preflight-${Date.now().toString(36)}`,
    name: { 'zh-Hant': '預檢活動', pt: 'Campanha pré-verificação', en: 'Pre-flight campaign' },
    district: 'Taipa',
    starts_at: new Date(Date.now() - 3600_000).toISOString(),
    ends_at: new Date(Date.now() + 30 * 86400_000).toISOString(),
  });
  await off.post(`/campaigns/${draft.id}/points`, { name: { 'zh-Hant': '點', pt: 'Ponto', en: 'Point' }, kind: 'qr', lat: 22.1532, lng: 113.5561, radius_m: 100, rotating: false });
  const { context } = await browser({ viewport: { width: 1280, height: 900 } }, 'pt');
  const page = await context.newPage();
  await uiLogin(page, srv.base, 'official', 'official-demo');
  await page.goto(`${srv.base}/#/official/campaigns/${draft.id}`);
  const pt = JSON.parse(readFileSync(join(ROOT, 'src/i18n/pt.json'), 'utf8'));
  await page.getByRole('button', { name: pt['campaign.publish'], exact: true }).click();
  await page.getByTestId('preflight').waitFor();
  await page.getByTestId('preflight-warning').waitFor();
  assert.match(await page.getByTestId('preflight-approved_merchants').getAttribute('class'), /bad/);
  assert.match(await page.getByTestId('preflight-offers').getAttribute('class'), /bad/);
  assert.match(await page.getByTestId('preflight-points').getAttribute('class'), /ok/);
  await shot(page, 'desk-preflight-pt');
  // Nothing was published by opening the check.
  assert.equal((await off.get(`/campaigns/${draft.id}`)).status, 'draft');
  await page.getByRole('button', { name: pt['ops.cancel'], exact: true }).click();
  await page.getByTestId('preflight').waitFor({ state: 'detached' });
});

test('a point is placed by clicking the map, with no map tiles reachable', async () => {
  const draft = await off.post('/campaigns', {
    slug: `map-${Date.now().toString(36)}`,
    name: { 'zh-Hant': '地圖活動', pt: 'Campanha do mapa', en: 'Map campaign' },
    district: 'Taipa',
    starts_at: new Date(Date.now() - 3600_000).toISOString(),
    ends_at: new Date(Date.now() + 30 * 86400_000).toISOString(),
  });
  const { context } = await browser({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await uiLogin(page, srv.base, 'official', 'official-demo');
  await page.goto(`${srv.base}/#/official/campaigns/${draft.id}`);
  await page.getByRole('button', { name: L('point.new') }).click();
  const map = page.getByTestId('map-picker');
  await map.locator('.leaflet-control-zoom-in').waitFor();
  const lat0 = await page.inputValue('#pt-lat');
  const lng0 = await page.inputValue('#pt-lng');
  await map.scrollIntoViewIfNeeded();
  const box = await map.boundingBox();
  // Up and to the right of the centre: north-east of the default place.
  await page.mouse.click(box.x + box.width * 0.75, box.y + box.height * 0.25);
  await page.waitForFunction((v) => document.querySelector('#pt-lat').value !== v, lat0);
  const lat = Number(await page.inputValue('#pt-lat'));
  const lng = Number(await page.inputValue('#pt-lng'));
  assert.ok(lat > Number(lat0) && lng > Number(lng0), `picked ${lat},${lng} from ${lat0},${lng0}`);
  await page.fill('#pt-name-zh-Hant', '地圖點');
  await page.fill('#pt-name-pt', 'Ponto do mapa');
  await page.fill('#pt-name-en', 'Map point');
  await shot(page, 'desk-map-picker');
  await page.getByRole('button', { name: L('point.create') }).click();
  await page.getByText(L('point.created').replace('{name}', 'Map point')).waitFor();
  const point = (await off.get(`/campaigns/${draft.id}`)).points.find((p) => p.name.en === 'Map point');
  assert.ok(Math.abs(point.lat - lat) < 1e-6 && Math.abs(point.lng - lng) < 1e-6, JSON.stringify(point));
});

test('the survey answers page lists a comment', async () => {
  const shop = await newShop('問卷小店', 'Rua dos Clérigos 2');
  const { context } = await browser();
  const page = await context.newPage();
  await uiLogin(page, srv.base, shop.username, 'desk-password');
  await page.goto(`${srv.base}/#/merchant/campaigns`);
  const card = page.locator('li.card', { hasText: taipa.name.en });
  await card.getByRole('button', { name: L('survey.open') }).click();
  await card.getByLabel(L('common.yes'), { exact: true }).check();
  await card.getByLabel(L('survey.estimate')).fill('35');
  await card.getByLabel(L('survey.comment')).fill('More visitors on weekends, thanks to the walk.');
  await shot(page, 'desk-survey-form');
  await card.getByRole('button', { name: L('survey.submit') }).click();
  await card.getByText(L('survey.thanks')).waitFor();

  const o = await browser({ viewport: { width: 1280, height: 900 } });
  const op = await o.context.newPage();
  await uiLogin(op, srv.base, 'official', 'official-demo');
  await op.goto(`${srv.base}/#/official/campaigns/${taipa.id}/survey`);
  const row = op.locator('tr', { hasText: 'More visitors on weekends' });
  await row.waitFor();
  assert.ok((await row.innerText()).includes('問卷小店'));
  assert.ok((await row.innerText()).includes('Rua dos Clérigos 2'));
  assert.match(await row.innerText(), /35/);
  await shot(op, 'desk-survey-answers');
});

test('no official screen shows an id, a raw code or a field name (zh-Hant and pt)', async () => {
  const ended = (await off.get('/campaigns')).find((c) => c.status === 'ended');
  const { context } = await browser({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = watchPage(page);
  await uiLogin(page, srv.base, 'official', 'official-demo');
  const routes = [
    '/official',
    '/official/campaigns',
    `/official/campaigns/${taipa.id}`,
    `/official/campaigns/${taipa.id}/stats`,
    `/official/campaigns/${taipa.id}/signals`,
    `/official/campaigns/${taipa.id}/survey`,
    `/official/campaigns/${taipa.id}/sources`,
    `/official/campaigns/${ended.id}/signals`,
    '/official/merchants',
    '/official/enrolments',
    '/official/settlements',
    '/official/audit',
  ];
  const problems = [];
  const scan = async (where) => {
    const text = await page.evaluate(() => document.body.innerText);
    const id = text.match(UUID);
    if (id) problems.push(`${where}: id ${id[0]}`);
    const snake = [...new Set(text.match(SNAKE) || [])];
    if (snake.length) problems.push(`${where}: ${snake.slice(0, 8).join(', ')}`);
  };
  for (const lang of ['zh-Hant', 'pt']) {
    await page.goto(`${srv.base}/#/`);
    await page.selectOption('.lang select', lang);
    for (const r of routes) {
      await page.goto(`${srv.base}/#${r}`);
      await page.waitForFunction(() => !document.querySelector('.loading'), null, { timeout: 15000 }).catch(() => {});
      await page.locator('main h1').first().waitFor();
      // Open what hides details: evidence of signals, the audit's field changes.
      for (const d of await page.locator('details').all()) await d.evaluate((el) => (el.open = true));
      const diffs = page.locator('table.audit tr[data-testid=audit-row] button');
      for (let i = 0; i < Math.min(5, await diffs.count()); i++) await diffs.nth(i).click();
      await scan(`${lang} ${r}`);
    }
    // A form error names fields by their labels: a campaign ending before it starts, with a slug in use.
    await page.goto(`${srv.base}/#/official/campaigns`);
    await page.locator('main button[aria-expanded]').first().click();
    await page.fill('#new-slug', 'taipa');
    for (const k of ['zh-Hant', 'pt', 'en']) {
      const f = page.locator(`#new-name-${k}, [id^="new-name"][id$="${k}"]`).first();
      if (await f.count()) await f.fill('測試');
    }
    await page.fill('#new-district', 'Taipa');
    await page.fill('#new-starts', '2030-02-01T10:00');
    await page.fill('#new-ends', '2030-01-01T10:00');
    await page.locator('main form button[type=submit]').first().click();
    await page.locator('main .alert-error, main [role=alert]').first().waitFor();
    await scan(`${lang} campaign form error`);
    await shot(page, `desk-form-error-${lang}`);
  }
  assert.deepEqual(problems, []);
  assert.deepEqual(errors.filter((e) => e.startsWith('pageerror')), []);
});
