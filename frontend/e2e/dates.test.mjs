// Days in the reader's language: the date filters read and write days the way the tables around
// them do (never the browser's mm/dd/yyyy), typed or picked on a calendar in the same language;
// and the statistics download in its spreadsheet shape. In Traditional Chinese and Portuguese.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, apiClient, loginToken, launch, watchPage, uiLogin, shot, missingKeys, seriousAxe, ROOT } from './helpers.mjs';

const dict = (l) => JSON.parse(readFileSync(join(ROOT, `src/i18n/${l}.json`), 'utf8'));
const INTL = { 'zh-Hant': 'zh-Hant-MO', pt: 'pt-PT' };
/** A day as the web app writes it in a language (its fmtDate). */
const fmtDay = (lang, day) => new Intl.DateTimeFormat(INTL[lang], { timeZone: 'Asia/Macau', dateStyle: 'medium' }).format(new Date(`${day}T12:00:00+08:00`));
const macauToday = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);

let srv;
let taipa;

before(async () => {
  srv = await startServer();
  const off = apiClient(srv.base, await loginToken(srv.base, 'official', 'official-demo'));
  taipa = await off.get('/campaigns/taipa');
});

after(async () => {
  if (srv) await srv.stop();
});

async function pageIn(lang, viewport) {
  const b = await launch({ viewport });
  await b.context.addInitScript((l) => localStorage.setItem('bairro.lang', l), lang);
  const page = await b.context.newPage();
  return { b, page, errors: watchPage(page) };
}

test('zh-Hant: the merchant history filter writes days as the table does, typed or picked', async () => {
  const L = dict('zh-Hant');
  const { b, page, errors } = await pageIn('zh-Hant', { width: 390, height: 844 });
  try {
    await uiLogin(page, srv.base, 'merchant-1', 'merchant-demo');
    await page.goto(`${srv.base}/#/merchant/history`);
    const today = macauToday();
    // No native date input (it would show the browser's own format).
    await page.locator('#h-to').waitFor();
    assert.equal(await page.locator('input[type=date]').count(), 0);
    assert.equal(await page.inputValue('#h-to'), fmtDay('zh-Hant', today));
    assert.match(await page.inputValue('#h-to'), /^\d{4}年\d{1,2}月\d{1,2}日$/);
    // The table heads each day in the same format as the filter.
    await page.getByTestId('history-day').first().waitFor({ timeout: 20000 });
    const heads = await page.getByTestId('history-day').locator('th').allInnerTexts();
    assert.ok(heads.length > 0);
    for (const h of heads) assert.match(h.trim(), /^\d{4}年\d{1,2}月\d{1,2}日$/, h);

    // Typed in the language's own way.
    await page.fill('#h-from', '2020年1月2日');
    assert.equal(await page.getAttribute('#h-from', 'data-value'), '2020-01-02');
    await page.locator('#h-campaign').focus();
    assert.equal(await page.inputValue('#h-from'), fmtDay('zh-Hant', '2020-01-02'));

    // A day that does not exist is pointed out in the language, with an example.
    await page.fill('#h-from', '2026年2月31日');
    assert.equal(await page.getAttribute('#h-from', 'aria-invalid'), 'true');
    const hint = L['date.invalid'].replace('{date}', fmtDay('zh-Hant', '2026-12-31'));
    await page.getByText(hint).waitFor();

    // Picked on the calendar: month title and weekdays in Chinese; the day lands in the field.
    await page.locator('#h-from').fill('');
    await page.locator('.date-field', { has: page.locator('#h-from') }).getByRole('button', { name: L['date.pick'] }).click();
    const cal = page.locator('#h-from-calendar');
    await cal.waitFor();
    const [y, m] = today.split('-').map(Number);
    assert.equal((await cal.locator('strong').innerText()).trim(), `${y}年${m}月`);
    assert.equal(await cal.locator('th').first().innerText(), '日');
    assert.deepEqual(await seriousAxe(page), [], 'the field and its calendar are accessible');
    await cal.getByRole('button', { name: L['date.prev_month'] }).click();
    const prev = new Date(Date.UTC(y, m - 2, 1));
    const first = prev.toISOString().slice(0, 10);
    await cal.locator(`[data-day="${first}"]`).click();
    await cal.waitFor({ state: 'detached' });
    assert.equal(await page.getAttribute('#h-from', 'data-value'), first);
    assert.equal(await page.inputValue('#h-from'), fmtDay('zh-Hant', first));
    await page.getByRole('button', { name: L['common.apply'] }).click();
    await page.getByTestId('history-table').or(page.getByText(L['common.none'])).first().waitFor({ timeout: 20000 });
    await shot(page, 'dates-zh-Hant-history');
    assert.deepEqual(await missingKeys(page), []);
    assert.deepEqual(errors, []);
  } finally {
    await b.close();
  }
});

test('pt: the statistics range reads day/month/year and the spreadsheet download is one table', async () => {
  const L = dict('pt');
  const { b, page, errors } = await pageIn('pt', { width: 1280, height: 800 });
  try {
    await uiLogin(page, srv.base, 'official', 'official-demo');
    await page.goto(`${srv.base}/#/official/campaigns/${taipa.id}/stats`);
    await page.locator('#st-from').waitFor();
    assert.equal(await page.locator('input[type=date]').count(), 0);
    // 01/11/2020 is the first of November in Portuguese, not the eleventh of January.
    await page.fill('#st-from', '01/11/2020');
    assert.equal(await page.getAttribute('#st-from', 'data-value'), '2020-11-01');
    await page.fill('#st-to', '2099-01-31');
    assert.equal(await page.getAttribute('#st-to', 'data-value'), '2099-01-31');
    await page.locator('#st-sheet-table').focus();
    assert.equal(await page.inputValue('#st-from'), '01/11/2020');
    assert.equal(await page.inputValue('#st-to'), fmtDay('pt', '2099-01-31'));
    assert.equal(await page.getAttribute('#st-from', 'placeholder'), L['date.example'].replace('{date}', '31/12/2026'));
    await page.getByRole('button', { name: L['common.apply'] }).click();
    await page.getByTestId('chart-daily').waitFor({ timeout: 30000 });

    // The calendar in Portuguese: weeks start on Monday.
    await page.locator('.date-field', { has: page.locator('#st-from') }).getByRole('button', { name: L['date.pick'] }).click();
    const cal = page.locator('#st-from-calendar');
    assert.equal((await cal.locator('strong').innerText()).trim(), 'novembro de 2020');
    assert.equal((await cal.locator('th').first().innerText()).toUpperCase(), 'S');
    assert.equal(await cal.locator('[data-day="2020-11-01"]').getAttribute('aria-pressed'), 'true');
    await page.keyboard.press('Escape');
    await cal.waitFor({ state: 'detached' });

    // Both downloads: the long form for programs, the chosen table for a spreadsheet.
    const [long] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: L['common.download_csv'] }).click()]);
    assert.match(readFileSync(await long.path(), 'utf8'), /^\ufeff?section,key,name,metric,value/);
    await page.selectOption('#st-sheet-table', 'merchants');
    const [sheet] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: L['common.download_sheet'] }).click()]);
    assert.match(sheet.suggestedFilename(), /-merchants-sheet\.csv$/);
    const lines = readFileSync(await sheet.path(), 'utf8').replace(/^\ufeff/, '').trim().split('\n');
    assert.equal(lines[0], 'Merchant,Merchant no.,Address,Category,Redemptions,E-cash (MOP),Spend (MOP)');
    assert.ok(lines.length > 1);
    for (const l of lines.slice(1)) assert.match(l, /,M-[0-9A-Z]{6},.*,\d+,\d+\.\d\d,\d+\.\d\d$/, l);
    await shot(page, 'dates-pt-stats');
    assert.deepEqual(await missingKeys(page), []);
    assert.deepEqual(errors, []);
  } finally {
    await b.close();
  }
});

test('pt: a campaign is created with its dates typed as Portuguese readers write them', async () => {
  const L = dict('pt');
  const { b, page, errors } = await pageIn('pt', { width: 1280, height: 900 });
  try {
    await uiLogin(page, srv.base, 'official', 'official-demo');
    await page.goto(`${srv.base}/#/official/campaigns`);
    await page.getByRole('button', { name: L['campaign.new'] }).click();
    assert.equal(await page.locator('input[type=date], input[type=datetime-local]').count(), 0);
    const slug = `datas-${Date.now().toString(36)}`;
    await page.fill('#new-slug', slug);
    await page.fill('#new-district', 'Taipa');
    await page.fill('#new-name-zh-Hant', '日期測試');
    await page.fill('#new-name-pt', 'Teste de datas');
    await page.fill('#new-name-en', 'Date test');
    await page.fill('#new-starts', '05/03/2030');
    await page.fill('#new-starts-time', '9h30');
    await page.fill('#new-ends', '30/04/2030');
    await page.fill('#new-ends-time', '22:00');
    await page.locator('#new-district').focus();
    assert.equal(await page.inputValue('#new-starts'), '05/03/2030');
    assert.equal(await page.inputValue('#new-starts-time'), '09:30');
    await page.getByRole('button', { name: L['campaign.create'] }).click();
    await page.waitForURL(/#\/official\/campaigns\/[^/]+$/, { timeout: 30000 });
    const off = apiClient(srv.base, await loginToken(srv.base, 'official', 'official-demo'));
    const c = await off.get(`/campaigns/${slug}`);
    // Macau time, as typed: 5 March, not 3 May.
    assert.equal(new Date(c.starts_at).toISOString(), '2030-03-05T01:30:00.000Z');
    assert.equal(new Date(c.ends_at).toISOString(), '2030-04-30T14:00:00.000Z');
    assert.deepEqual(errors, []);
  } finally {
    await b.close();
  }
});
