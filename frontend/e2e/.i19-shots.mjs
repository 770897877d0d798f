import { chromium } from 'playwright-core';
const base = process.env.BASE || 'http://127.0.0.1:18019';
const lang = process.env.LANG_UI || 'zh-Hant';
const pages = (process.env.PAGES || '').split(',').filter(Boolean);
const who = process.env.WHO || 'official';
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const ctx = await b.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-TW', timezoneId: 'Asia/Macau' });
const page = await ctx.newPage();
page.on('pageerror', (e) => console.log('pageerror', e.message));
await page.goto(`${base}/#/login`);
await page.evaluate((l) => localStorage.setItem('bairro.lang', l), lang);
await page.goto(`${base}/#/login`);
await page.fill('#username', who === 'official' ? 'official' : who);
await page.fill('#password', who === 'official' ? 'official-demo' : 'merchant-demo');
await page.click('form button[type=submit]');
await page.waitForFunction(() => !location.hash.startsWith('#/login'));
for (const p of pages) {
  await page.goto(`${base}/#${p}`);
  await page.waitForTimeout(2500);
  const name = p.replace(/[^a-z0-9]+/gi, '_');
  await page.screenshot({ path: `/tmp/i19-shots/${lang}${name}.png`, fullPage: true });
  const text = await page.evaluate(() => document.body.innerText);
  console.log('=== ', p, '\n', text.slice(0, 3000));
}
await b.close();
