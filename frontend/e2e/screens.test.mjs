// Every main screen in every language: no missing translation, no serious or critical axe-core
// violation; screenshots of the main screens go to e2e/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, apiClient, loginToken, launch, missingKeys, seriousAxe, shot, uiLogin, watchPage } from './helpers.mjs';

const LANGS = ['zh-Hant', 'pt', 'en', 'zh-Hans'];
const SHOT_LANGS = new Set(['zh-Hant', 'pt']);
let srv;
const open = [];
let ids = {};

before(async () => {
  srv = await startServer();
  const token = await loginToken(srv.base, 'official', 'official-demo');
  const api = apiClient(srv.base, token);
  const campaigns = await api.get('/campaigns');
  const pub = campaigns.find((c) => c.status === 'published') || campaigns[0];
  const full = await api.get(`/campaigns/${pub.id}`);
  ids = { slug: pub.slug, id: pub.id, point: full.points?.[0]?.id || 'none' };
});

after(async () => {
  for (const b of open) await b.close();
  if (srv) await srv.stop();
});

async function settle(page) {
  await page.waitForLoadState('networkidle').catch(() => {});
  await page.waitForFunction(() => !document.querySelector('.loading'), null, { timeout: 10000 }).catch(() => {});
  await page.waitForTimeout(150);
}

async function sweep(t, { name, viewport, login, routes }) {
  const b = await launch({ viewport });
  open.push(b);
  const page = await b.context.newPage();
  const errors = watchPage(page);
  if (login) await uiLogin(page, srv.base, login[0], login[1]);
  const failures = [];
  for (const lang of LANGS) {
    await page.goto(`${srv.base}/#/`);
    await page.selectOption('.lang select', lang);
    assert.equal(await page.evaluate(() => document.documentElement.lang), lang);
    for (const [route, label] of routes) {
      await page.goto(`${srv.base}/#${route}`);
      await settle(page);
      const missing = await missingKeys(page);
      if (missing.length) failures.push(`${lang} ${route}: missing ${missing.join(', ')}`);
      const axe = await seriousAxe(page);
      for (const v of axe) failures.push(`${lang} ${route}: axe ${v.impact} ${v.id} (${v.help}) at ${v.nodes.join(' | ')}`);
      if (SHOT_LANGS.has(lang)) await shot(page, `${name}-${label}-${lang}`);
    }
  }
  const pageErrors = errors.filter((e) => e.startsWith('pageerror'));
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  assert.deepEqual(failures, []);
}

test('visitor screens', async (t) => {
  await sweep(t, {
    name: 'visitor',
    viewport: { width: 390, height: 844 },
    routes: [
      ['/', 'campaigns'],
      [`/c/${ids.slug}`, 'campaign'],
      [`/scan?c=${ids.slug}`, 'scan'],
      ['/wallet', 'wallet'],
      ['/login', 'login'],
      [`/display/${ids.point}`, 'display-setup'],
    ],
  });
});

test('merchant screens', async (t) => {
  await sweep(t, {
    name: 'merchant',
    viewport: { width: 390, height: 844 },
    login: ['merchant-1', 'merchant-demo'],
    routes: [
      ['/merchant', 'redeem'],
      ['/merchant/history', 'history'],
      ['/merchant/settlements', 'settlements'],
      ['/merchant/campaigns', 'campaigns'],
      ['/merchant/staff', 'staff'],
    ],
  });
});

test('official screens', async (t) => {
  await sweep(t, {
    name: 'official',
    viewport: { width: 1280, height: 800 },
    login: ['official', 'official-demo'],
    routes: [
      ['/official', 'dashboard'],
      ['/official/campaigns', 'campaigns'],
      [`/official/campaigns/${ids.id}`, 'campaign'],
      [`/official/campaigns/${ids.id}/stats`, 'stats'],
      ['/official/merchants', 'merchants'],
      ['/official/enrolments', 'enrolments'],
      ['/official/settlements', 'settlements'],
      ['/official/pledges', 'pledges'],
      ['/official/holidays', 'holidays'],
    ],
  });
});
