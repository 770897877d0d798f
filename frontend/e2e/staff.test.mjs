// Staff accounts in the browser: an official staffs the bureau on the staff page (create, disable,
// enable, reset with the temporary password shown once), a reset login is made to choose a new
// password first, every login changes its own password, and a viewer reads the official pages
// without a single button that would fail — in English, Portuguese and Traditional Chinese.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, apiClient, loginToken, launch, watchPage, shot, missingKeys, setLang, ROOT } from './helpers.mjs';

const dict = (l) => JSON.parse(readFileSync(join(ROOT, `src/i18n/${l}.json`), 'utf8'));
const en = dict('en');
const pt = dict('pt');
const zh = dict('zh-Hant');
let srv;
let b;
let page;
let temporary;

before(async () => {
  srv = await startServer();
  b = await launch({ viewport: { width: 1280, height: 900 } });
  page = await b.context.newPage();
  await page.goto(`${srv.base}/#/`);
  await lang('en');
  // A full navigation: a hash change right after the reload could be lost with the reload.
  await freshLogin('official', 'official-demo');
});

after(async () => {
  if (b) await b.close();
  if (srv) await srv.stop();
});

/** The language of the app (read at start-up, so the page is reloaded). */
async function lang(l) {
  await setLang(page, l);
  await page.reload();
}

/** Log in from a freshly loaded page (a full navigation, not only a hash change). */
async function freshLogin(username, password) {
  await page.goto(`${srv.base}/?fresh=${Date.now()}#/login`);
  await page.locator('#username').waitFor({ timeout: 20000 });
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('form button[type=submit]');
  await page.waitForFunction(() => !location.hash.startsWith('#/login'), null, { timeout: 15000 });
}

const row = (username) => page.locator(`tr[data-username="${username}"]`);

test('an official creates, disables, enables and resets staff logins (English)', async () => {
  const errors = watchPage(page);
  await page.goto(`${srv.base}/#/official/staff`);
  await page.getByRole('heading', { name: en['nav.staff_accounts'] }).waitFor();
  await row('official').waitFor();
  // A viewer and a second official.
  for (const [user, pw, role] of [
    ['e2e-viewer', 'quiet-reader-2024', 'viewer'],
    ['e2e-second', 'second-pair-of-eyes', 'official'],
  ]) {
    await page.getByRole('button', { name: en['accounts.new'] }).click();
    await page.fill('#s-user', user);
    await page.fill('#s-pass', pw);
    await page.selectOption('#s-role', role);
    await page.getByRole('button', { name: en['accounts.create'] }).click();
    await row(user).waitFor({ timeout: 20000 });
  }
  assert.match(await row('e2e-viewer').innerText(), new RegExp(en['accounts.role.viewer'].replace(/[()]/g, '.')));
  // A weak password is refused with the reason.
  await page.getByRole('button', { name: en['accounts.new'] }).click();
  await page.fill('#s-user', 'e2e-weak');
  await page.fill('#s-pass', 'password123');
  await page.getByRole('button', { name: en['accounts.create'] }).click();
  await page.getByText(en['error.weak_password']).waitFor({ timeout: 20000 });
  // The same name in capitals is taken.
  await page.fill('#s-user', 'E2E-VIEWER');
  await page.fill('#s-pass', 'another-decent-one');
  await page.getByRole('button', { name: en['accounts.create'] }).click();
  await page.getByText(en['error.username_taken']).waitFor({ timeout: 20000 });

  // Disable and enable the viewer; the official's own row has no disable button.
  await row('e2e-viewer').getByRole('button', { name: en['accounts.disable'] }).click();
  await row('e2e-viewer').getByText(en['accounts.disabled']).waitFor({ timeout: 20000 });
  await assert.rejects(loginToken(srv.base, 'e2e-viewer', 'quiet-reader-2024'));
  await row('e2e-viewer').getByRole('button', { name: en['accounts.enable'] }).click();
  await row('e2e-viewer').getByText(en['accounts.active']).waitFor({ timeout: 20000 });
  assert.ok(await loginToken(srv.base, 'e2e-viewer', 'quiet-reader-2024'));
  assert.equal(await row('official').getByRole('button', { name: en['accounts.disable'] }).count(), 0);

  // Reset: the temporary password is shown once.
  await row('e2e-second').getByRole('button', { name: en['accounts.reset'] }).click();
  const box = page.getByTestId('temporary-password');
  await box.waitFor({ timeout: 20000 });
  temporary = (await box.locator('code').innerText()).trim();
  assert.ok(temporary.length >= 12, temporary);
  await row('e2e-second').getByText(en['accounts.must_change']).waitFor({ timeout: 20000 });
  await shot(page, 'official-staff-accounts');
  await page.getByRole('button', { name: en['accounts.temporary_hide'] }).click();
  assert.equal(await page.getByTestId('temporary-password').count(), 0);
  await page.reload();
  await row('e2e-second').waitFor();
  assert.equal(await page.getByText(temporary).count(), 0, 'never shown again');
  assert.deepEqual(await missingKeys(page), []);
  assert.deepEqual(errors.filter((e) => e.startsWith('pageerror')), []);
});

test('after a reset the login must choose a new password first (Portuguese)', async () => {
  assert.ok(temporary, 'the reset test ran first');
  await lang('pt');
  await freshLogin('e2e-second', temporary);
  await page.getByRole('heading', { name: pt['password.forced_title'] }).waitFor({ timeout: 20000 });
  // Every official page shows the forced screen, without the menu.
  await page.goto(`${srv.base}/#/official/settlements`);
  await page.getByRole('heading', { name: pt['password.forced_title'] }).waitFor();
  assert.equal(await page.getByRole('link', { name: pt['nav.settlements'] }).count(), 0);
  await page.fill('#pw-current', temporary);
  await page.fill('#pw-new', 'short');
  await page.fill('#pw-again', 'short');
  await page.getByRole('button', { name: pt['password.submit'] }).click();
  await page.getByText(pt['password.too_short'].replace('{n}', '10')).waitFor();
  await page.fill('#pw-new', 'qwerty123456');
  await page.fill('#pw-again', 'qwerty123456');
  await page.getByRole('button', { name: pt['password.submit'] }).click();
  await page.getByText(pt['error.weak_password']).waitFor({ timeout: 20000 });
  await shot(page, 'official-forced-password-pt');
  await page.fill('#pw-new', 'minha-nova-chave-9');
  await page.fill('#pw-again', 'minha-nova-chave-9');
  await page.getByRole('button', { name: pt['password.submit'] }).click();
  await page.getByRole('heading', { name: pt['password.forced_title'] }).waitFor({ state: 'detached', timeout: 20000 });
  await page.getByRole('link', { name: pt['nav.settlements'] }).waitFor();
  assert.deepEqual(await missingKeys(page), []);
  assert.ok(await loginToken(srv.base, 'e2e-second', 'minha-nova-chave-9'));
});

test('a viewer reads the official pages with no buttons that would fail (Traditional Chinese)', async () => {
  await lang('zh-Hant');
  await freshLogin('e2e-viewer', 'quiet-reader-2024');
  await page.getByText(zh['viewer.notice']).waitFor({ timeout: 20000 });
  const taipa = await apiClient(srv.base, await loginToken(srv.base, 'official', 'official-demo')).get('/campaigns/taipa');
  const writes = [
    'campaign.new', 'campaign.publish', 'campaign.end', 'point.new', 'offer.new', 'point.provision', 'merchant.new',
    'settlement.generate', 'settlement.approve', 'settlement.pay', 'holiday.add', 'holiday.remove', 'enrol.approve',
    'enrol.reject', 'accounts.new', 'accounts.disable', 'accounts.enable', 'accounts.reset',
    'ops.import', 'ops.edit_budget', 'ops.change_stock', 'ops.pause', 'ops.resume', 'ops.retire', 'ops.suspend', 'ops.reinstate',
  ]
    .filter((k) => k in zh)
    .map((k) => zh[k]);
  const pages = [
    ['/official', null],
    ['/official/campaigns', 'nav.campaigns'],
    [`/official/campaigns/${taipa.id}`, null],
    ['/official/merchants', 'nav.merchants'],
    ['/official/enrolments', null],
    ['/official/settlements', 'settlement.title'],
    ['/official/pledges', null],
    ['/official/holidays', 'nav.holidays'],
    ['/official/audit', null],
    ['/official/staff', 'nav.staff_accounts'],
  ];
  for (const [path, heading] of pages) {
    const errors = watchPage(page);
    await page.goto(`${srv.base}/#${path}`);
    if (heading) await page.getByRole('heading', { name: zh[heading], exact: true }).first().waitFor({ timeout: 20000 });
    await page.locator('main').waitFor();
    // Live pages keep a statistics stream open, so the network never goes fully quiet there:
    // wait for quiet, but not past a few seconds.
    await page.waitForLoadState('networkidle', { timeout: 3000 }).catch(() => {});
    for (const w of writes) {
      assert.equal(await page.getByRole('button', { name: w, exact: true }).count(), 0, `${path}: no “${w}” button for a viewer`);
    }
    assert.deepEqual(await missingKeys(page), [], path);
    assert.deepEqual(errors.filter((e) => e.startsWith('pageerror')), [], path);
  }
  // What it reads is there: the staff list and the campaign's statements list.
  await page.goto(`${srv.base}/#/official/staff`);
  await row('official').waitFor({ timeout: 20000 });
  await shot(page, 'viewer-staff-zh-Hant');
  // Downloads (reads) stay available.
  await page.goto(`${srv.base}/#/official/campaigns/${taipa.id}`);
  await page.getByRole('button', { name: zh['point.poster'] }).first().waitFor({ timeout: 20000 });
});

test('any staff login changes its own password from the menu (English)', async () => {
  await lang('en');
  await page.goto(`${srv.base}/#/official`);
  await page.getByRole('link', { name: en['nav.password'] }).click();
  await page.getByRole('heading', { name: en['password.title'] }).waitFor();
  await page.fill('#pw-current', 'not-the-password');
  await page.fill('#pw-new', 'a-new-quiet-reader');
  await page.fill('#pw-again', 'a-new-quiet-reader');
  await page.getByRole('button', { name: en['password.submit'] }).click();
  await page.getByText(en['error.invalid_credentials']).waitFor({ timeout: 20000 });
  await page.fill('#pw-current', 'quiet-reader-2024');
  await page.fill('#pw-new', 'a-new-quiet-reader');
  await page.fill('#pw-again', 'a-new-quiet-reader');
  await page.getByRole('button', { name: en['password.submit'] }).click();
  await page.getByText(en['password.done']).waitFor({ timeout: 20000 });
  assert.ok(await loginToken(srv.base, 'e2e-viewer', 'a-new-quiet-reader'));
});
