// Every main screen in every language: no missing translation, no serious or critical axe-core
// violation; screenshots of the main screens go to e2e/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, apiClient, loginToken, launch, missingKeys, seriousAxe, shot, uiLogin, watchPage, seedSignals } from './helpers.mjs';

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
  const ended = campaigns.find((c) => c.status === 'ended') || pub;
  ids = { slug: pub.slug, id: pub.id, ended: ended.id, point: full.points?.[0]?.id || 'none' };
  // Something for the signals and audit screens to show.
  await seedSignals(srv.base);
  await api.post('/holidays', { day: `${new Date().getFullYear()}-12-26`, name: 'Screens holiday' });
  const draft = await api.post('/campaigns', {
    slug: 'screens-draft',
    name: { 'zh-Hant': '草稿活動', pt: 'Campanha rascunho', en: 'Draft campaign' },
    district: 'Taipa',
    starts_at: '2030-01-01T10:00:00+08:00',
    ends_at: '2030-01-31T22:00:00+08:00',
  });
  await api.patch(`/campaigns/${draft.id}`, { district: 'Taipa Village' });
});

after(async () => {
  for (const b of open) await b.close();
  if (srv) await srv.stop();
});

async function settle(page) {
  // Live screens keep a stream open, so the network is never idle there: wait a little only.
  await page.waitForLoadState('networkidle', { timeout: 3000 }).catch(() => {});
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
      [`/official/campaigns/${ids.id}/signals`, 'signals'],
      [`/official/campaigns/${ids.id}/survey`, 'survey'],
      [`/official/campaigns/${ids.id}/sources`, 'sources'],
      [`/official/campaigns/${ids.ended}/signals`, 'signals-none'],
      ['/official/audit', 'audit'],
      ['/official/merchants', 'merchants'],
      ['/official/enrolments', 'enrolments'],
      ['/official/settlements', 'settlements'],
      ['/official/pledges', 'pledges'],
      ['/official/holidays', 'holidays'],
    ],
  });
});
