// Running a live campaign in the browser, in two languages: pausing an offer and raising its stock,
// importing merchants from CSV, bulk-approving applications and statements, banning a visitor
// from a fraud signal.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, apiClient, loginToken, launch, watchPage, uiLogin, shot, seedSignals, missingKeys, ROOT } from './helpers.mjs';

const dict = (lang) => JSON.parse(readFileSync(join(ROOT, `src/i18n/${lang}.json`), 'utf8'));
const fill = (s, vars) => s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
let srv;
let off;

before(async () => {
  srv = await startServer();
  off = apiClient(srv.base, await loginToken(srv.base, 'official', 'official-demo'));
});

after(async () => {
  if (srv) await srv.stop();
});

const langName = (name, lang) => name[lang] || name.en;

for (const lang of ['en', 'pt']) {
  test(`official runs a live campaign (${lang})`, async () => {
    const L = dict(lang);
    const b = await launch({ viewport: { width: 1280, height: 900 } });
    try {
      await b.context.addInitScript((l) => localStorage.setItem('bairro.lang', l), lang);
      const page = await b.context.newPage();
      const errors = watchPage(page);
      await uiLogin(page, srv.base, 'official-2', 'official-demo');
      const taipa = await off.get('/campaigns/taipa');

      // Pause an offer, then raise its stock.
      const offer = taipa.offers.find((o) => !o.paused);
      await page.goto(`${srv.base}/#/official/campaigns/${taipa.id}`);
      const row = page.locator('tr', { hasText: langName(offer.name, lang) }).first();
      await row.getByRole('button', { name: L['ops.pause'], exact: true }).click();
      await row.getByTestId('offer-paused').waitFor({ timeout: 20000 });
      const now = await off.get(`/campaigns/${taipa.id}`);
      assert.equal(now.offers.find((o) => o.id === offer.id).paused, true);
      await row.getByRole('button', { name: L['ops.resume'] }).waitFor();
      await row.getByRole('button', { name: L['ops.change_stock'] }).click();
      const raised = offer.stock + 500;
      await page.fill(`#stock-${offer.id}`, String(raised));
      await row.getByRole('button', { name: L['common.save'] }).click();
      await page.waitForFunction(
        async ([id, want]) => {
          const r = await fetch(`/api/v1/campaigns/taipa`);
          const c = await r.json();
          return c.offers.find((o) => o.id === id)?.stock === want;
        },
        [offer.id, raised],
        { timeout: 20000 },
      );
      await row.getByRole('button', { name: L['ops.resume'] }).click();
      await row.getByRole('button', { name: L['ops.pause'], exact: true }).waitFor({ timeout: 20000 });
      await shot(page, `ops-offer-${lang}`);

      // Import merchants from CSV: a dry run, the summary, then the import.
      const tag = `${lang}${Date.now().toString(36)}`;
      const csv = [
        'username,password,name_zh_hant,name_zh_hans,name_pt,name_en,category,address,lat,lng,m_mark',
        `imp-${tag}-1,import-password-1,匯入一號,导入一号,Importada Um ${tag},Imported One ${tag},food,Rua do Cunha 11,22.1533,113.5561,true`,
        `imp-${tag}-2,import-password-2,匯入二號,导入二号,Importada Dois ${tag},Imported Two ${tag},retail,Rua do Cunha 12,22.1534,113.5562,no`,
      ].join('\n');
      await page.goto(`${srv.base}/#/official/merchants`);
      await page.getByRole('button', { name: L['ops.import'] }).click();
      await page.fill('#imp-text', csv.replace('Rua do Cunha 12,22.1534', 'Rua do Cunha 12,222.1534'));
      await page.getByRole('button', { name: L['ops.check_file'] }).click();
      await page.getByTestId('import-errors').waitFor({ timeout: 20000 });
      assert.ok((await page.getByTestId('import-errors').innerText()).includes('lat'), 'the bad row is listed');
      await page.fill('#imp-text', csv);
      await page.getByRole('button', { name: L['ops.check_file'] }).click();
      const confirm = page.getByTestId('import-confirm');
      await confirm.waitFor({ timeout: 20000 });
      assert.ok((await confirm.innerText()).includes(fill(L['ops.import_q'], { n: 2 })));
      await confirm.getByTestId('confirm-yes').click();
      await page.getByText(fill(L['ops.imported'], { n: 2 })).waitFor({ timeout: 60000 });
      await page.getByRole('cell', { name: langName({ en: `Imported One ${tag}`, pt: `Importada Um ${tag}` }, lang) }).waitFor({ timeout: 20000 });
      await shot(page, `ops-import-${lang}`);

      // The imported shops apply; the official approves both applications at once.
      const ids = [];
      for (const n of [1, 2]) {
        const shop = apiClient(srv.base, await loginToken(srv.base, `imp-${tag}-${n}`, `import-password-${n}`));
        ids.push((await shop.post(`/campaigns/${taipa.id}/enrolments`, {})).id);
      }
      await page.goto(`${srv.base}/#/official/enrolments`);
      for (const name of [`Imported One ${tag}`, `Imported Two ${tag}`]) {
        const shown = lang === 'pt' ? name.replace('Imported One', 'Importada Um').replace('Imported Two', 'Importada Dois') : name;
        await page.getByRole('group', { name: L['ops.choose'] }).getByLabel(shown).check();
      }
      await page.getByRole('button', { name: fill(L['ops.approve_selected'], { n: 2 }) }).click();
      await page.getByTestId('confirm-yes').click();
      await page.getByTestId('bulk-result').waitFor({ timeout: 20000 });
      assert.equal(await page.getByTestId('bulk-result').innerText(), fill(L['ops.bulk_done'], { ok: 2, n: 2 }));
      const decided = await off.get(`/campaigns/${taipa.id}/enrolments`);
      assert.deepEqual(
        ids.map((id) => decided.find((e) => e.id === id).status),
        ['approved', 'approved'],
      );

      // Statements issued by one official are approved and paid in bulk by another.
      const { merchant } = await seedSignals(srv.base);
      const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
      const statements = await off.post(`/campaigns/${taipa.id}/settlements`, { from: today, to: today });
      const mine = statements.find((s) => s.merchant_id === merchant.id);
      assert.ok(mine, 'a statement for the new shop');
      await page.goto(`${srv.base}/#/official/settlements`);
      await page.selectOption('#se-campaign', taipa.id);
      const drafts = (await off.get(`/settlements?campaign=${taipa.id}`)).filter((s) => s.status === 'draft').length;
      await page.getByRole('button', { name: fill(L['ops.approve_all'], { n: drafts }) }).click();
      await page.getByTestId('confirm-yes').click();
      await page.getByTestId('bulk-result').waitFor({ timeout: 30000 });
      await page.getByRole('button', { name: new RegExp(L['ops.pay_all'].replace(/\(.*$/, '').trim()) }).click();
      const payBox = page.getByTestId('confirm');
      await payBox.waitFor();
      await payBox.getByTestId('confirm-yes').click();
      let paid;
      for (const deadline = Date.now() + 30000; Date.now() < deadline; ) {
        paid = (await off.get(`/settlements?campaign=${taipa.id}`)).find((s) => s.id === mine.id);
        if (paid.status === 'paid') break;
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.equal(paid.status, 'paid');
      await shot(page, `ops-settlements-${lang}`);

      // A visitor scanning from far away shows as a signal; the official bans it from there.
      await page.goto(`${srv.base}/#/official/campaigns/${taipa.id}/signals`);
      const card = page.locator('[data-kind=refused_scans]').first();
      await card.waitFor({ timeout: 30000 });
      const signals = await off.get(`/campaigns/${taipa.id}/signals`);
      const refused = signals.signals.find((s) => s.kind === 'refused_scans' && !(s.actions || []).some((a) => a.action === 'ban'));
      assert.ok(refused, 'a refused-scans signal not acted on yet');
      const target = page.locator('[data-kind=refused_scans]', { hasText: refused.visitor_id }).first();
      await target.getByRole('button', { name: fill(L['ops.ban_visitor'], { id: refused.visitor_id.slice(0, 8) }) }).click();
      await target.getByLabel(L['ops.reason']).fill('scanning from far away');
      await target.getByTestId('confirm-yes').click();
      const taken = page.locator('[data-kind=refused_scans]', { hasText: refused.visitor_id }).first().getByTestId('actions-taken');
      await taken.waitFor({ timeout: 20000 });
      const line = await taken.innerText();
      assert.ok(line.includes('official-2'), `who acted is shown: ${line}`);
      assert.ok(line.includes(L['audit.action.ban']), `what was done is shown: ${line}`);
      assert.equal((await off.get(`/visitors/${refused.visitor_id}`)).banned, true);
      await shot(page, `ops-signal-ban-${lang}`);

      assert.deepEqual(await missingKeys(page), []);
      assert.deepEqual(errors.filter((e) => e.startsWith('pageerror')), []);
    } finally {
      await b.close();
    }
  });
}
