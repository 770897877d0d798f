// End-to-end: one person, one wallet. On a phone-size screen a visitor taps an e-cash coupon that
// needs a verified visitor, is asked for a mobile number, receives the code (the server sends it
// to an SMS gateway stub run here), types it, gets the coupon, and sees the verified wallet.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, apiClient, loginToken, launch, watchPage, missingKeys, shot, seriousAxe, ROOT } from './helpers.mjs';

const en = JSON.parse(readFileSync(join(ROOT, 'src/i18n/en.json'), 'utf8'));
const zh = JSON.parse(readFileSync(join(ROOT, 'src/i18n/zh-Hant.json'), 'utf8'));
const L = (k) => en[k];

/** A stand-in SMS gateway: keeps every JSON {to, text} posted to it. */
async function smsStub() {
  const texts = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      try {
        texts.push(JSON.parse(body));
      } catch {
        /* not JSON: ignored */
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"queued":true}');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}/send`, texts, close: () => new Promise((r) => server.close(r)) };
}

async function codeFor(texts, to, after = 0) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = texts.slice(after).find((x) => x.to === to);
    if (m) return /code: (\d{6})/.exec(m.text)?.[1] ?? /(\d{6})/.exec(m.text)[1];
    if (Date.now() > deadline) throw new Error(`no text to ${to}: ${JSON.stringify(texts)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let srv;
let sms;
let slug;
let browserCtx;

before(async () => {
  sms = await smsStub();
  srv = await startServer({ env: { BAIRRO_SMS_WEBHOOK: sms.url } });
  const off = apiClient(srv.api, await loginToken(srv.api, 'official', 'official-demo'));
  const now = Date.now();
  slug = `verify-${now.toString(36)}`;
  const c = await off.post('/campaigns', {
    slug,
    name: { 'zh-Hant': '驗證測試', pt: 'Teste de verificação', en: 'Verification test' },
    district: 'Taipa',
    starts_at: new Date(now - 86400_000).toISOString(),
    ends_at: new Date(now + 30 * 86400_000).toISOString(),
  });
  await off.post(`/campaigns/${c.id}/publish`, {});
  // E-cash: verified visitors only, by default.
  const o = await off.post(`/campaigns/${c.id}/offers`, {
    name: { 'zh-Hant': '五十元電子現金券', pt: 'Vale de 50 patacas', en: 'MOP 50 e-cash' },
    kind: 'ecash',
    face_value_avos: 5000,
    min_spend_avos: 0,
    stock: 10,
    per_visitor_limit: 1,
    valid_days: 14,
    trigger: { type: 'claim' },
  });
  assert.equal(o.requires_verified, true);
});

after(async () => {
  if (browserCtx) await browserCtx.close();
  if (srv) await srv.stop();
  if (sms) await sms.close();
});

test('a visitor verifies by SMS before the first e-cash coupon, on a phone-size screen', async () => {
  const b = await launch({ viewport: { width: 390, height: 844 }, isMobile: true });
  browserCtx = b;
  b.context.setDefaultTimeout(30000);
  await b.context.addInitScript(() => {
    if (!localStorage.getItem('bairro.lang')) localStorage.setItem('bairro.lang', 'en');
  });
  const page = await b.context.newPage();
  // The campaign page shows a map; this machine reaches no tile server, so tiles are served
  // blank here (the map's behaviour without tiles is the walk tests' subject).
  const blankTile = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
  await page.route(/tile\.openstreetmap\.org/, (r) => r.fulfill({ status: 200, contentType: 'image/png', body: blankTile }));
  const problems = watchPage(page);
  await page.goto(`${srv.base}/#/c/${slug}`);
  const card = page.locator('.offer-card', { hasText: 'MOP 50 e-cash' });
  await card.getByText(L('verify.needed_offer')).waitFor();
  await card.getByRole('button', { name: L('offer.claim') }).click();

  // Asked at the moment it matters: a mobile number.
  await page.getByRole('heading', { name: L('verify.title') }).waitFor();
  await page.getByText(L('verify.why_ecash')).waitFor();
  const phone = page.getByLabel(L('verify.phone_label'));
  assert.equal(await phone.getAttribute('type'), 'tel');
  await phone.fill('6612 3456');
  await shot(page, 'verify-ask');
  await page.getByRole('button', { name: L('verify.send') }).click();
  const codeInput = page.getByLabel(L('verify.code_label'));
  await codeInput.waitFor();
  assert.equal(await codeInput.getAttribute('autocomplete'), 'one-time-code');
  assert.equal(await codeInput.getAttribute('inputmode'), 'numeric');
  await page.getByText('•••• 3456').first().waitFor();

  // The code arrives at the gateway; a wrong one first, then the right one.
  const code = await codeFor(sms.texts, '+85366123456');
  await codeInput.fill(code === '000000' ? '111111' : '000000');
  await page.getByRole('button', { name: L('verify.confirm') }).click();
  await page.getByText(L('error.invalid_code')).waitFor();
  await codeInput.fill(code);
  await shot(page, 'verify-code');
  await page.getByRole('button', { name: L('verify.confirm') }).click();
  await page.getByTestId('verify-done').waitFor();
  // The claim goes on by itself once verified.
  await card.getByText(L('offer.claimed')).waitFor();
  assert.deepEqual(await missingKeys(page), []);

  // The wallet shows the coupon and the verified state.
  await page.goto(`${srv.base}/#/wallet`);
  await page.getByTestId('verified').waitFor();
  assert.match(await page.getByTestId('verified').innerText(), /3456/);
  await page.getByRole('heading', { name: 'MOP 50 e-cash' }).waitFor();
  await shot(page, 'verify-wallet');
  const axe = await seriousAxe(page);
  assert.deepEqual(axe, [], JSON.stringify(axe, null, 1));

  // Storage cleared (a new phone, or a reset): verifying the same number joins the same wallet.
  const before = await page.evaluate(() => JSON.parse(localStorage.getItem('bairro.visitor')).visitor_id);
  await page.evaluate(() => localStorage.clear());
  await page.evaluate(() => localStorage.setItem('bairro.lang', 'zh-Hant'));
  await page.goto(`${srv.base}/#/wallet`);
  await page.reload();
  await page.getByRole('button', { name: zh['verify.start'] }).click();
  const sent = sms.texts.length;
  await page.getByLabel(zh['verify.phone_label']).fill('+853 6612 3456');
  await page.getByRole('button', { name: zh['verify.send'] }).click();
  const again = await codeFor(sms.texts, '+85366123456', sent);
  await page.getByLabel(zh['verify.code_label']).fill(again);
  await page.getByRole('button', { name: zh['verify.confirm'] }).click();
  await page.getByTestId('verified').waitFor();
  const afterId = await page.evaluate(() => JSON.parse(localStorage.getItem('bairro.visitor')).visitor_id);
  assert.equal(afterId, before, 'the same wallet');
  await page.getByRole('heading', { name: '五十元電子現金券' }).waitFor();
  assert.deepEqual(await missingKeys(page), []);
  await shot(page, 'verify-joined-zh');
  assert.deepEqual(problems.filter((p) => !/status of 4\d\d/.test(p)), []);
});
