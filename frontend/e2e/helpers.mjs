// Shared helpers for the browser tests: the real server, a fake camera from a QR, Chromium, checks.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { readFileSync, statSync } from 'node:fs';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import QRCode from 'qrcode';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
export const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(HERE, '..');
export const SHOTS = join(HERE, 'screenshots');
export const AXE_PATH = require.resolve('axe-core/axe.min.js');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export function tmpDir(prefix = 'bairro-e2e-') {
  const d = mkdtempSync(join(tmpdir(), prefix));
  return d;
}

async function freePort() {
  return await new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webmanifest': 'application/manifest+json',
  '.json': 'application/json',
};

/**
 * Serve frontend/dist and pass /api and /healthz to the backend, so the tests run the front end
 * of this folder even when the binary embeds an older build (E2E_EMBEDDED=1 uses the binary's own).
 */
async function frontServer(backend) {
  const dist = join(ROOT, 'dist');
  const port = await freePort();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname.startsWith('/api/') || url.pathname === '/healthz') {
      const b = new URL(backend);
      const up = http.request(
        { host: b.hostname, port: b.port, path: req.url, method: req.method, headers: { ...req.headers, host: b.host } },
        (r) => {
          res.writeHead(r.statusCode, r.headers);
          r.pipe(res);
        },
      );
      up.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      req.pipe(up);
      return;
    }
    let file = join(dist, decodeURIComponent(url.pathname));
    if (!file.startsWith(dist) || !existsSync(file) || statSync(file).isDirectory()) file = join(dist, 'index.html');
    const ext = file.slice(file.lastIndexOf('.'));
    res.writeHead(200, { 'Content-Type': TYPES[ext] || 'application/octet-stream', 'Cache-Control': 'no-cache' });
    res.end(readFileSync(file));
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((r) => {
        server.close(r);
        server.closeAllConnections();
      }),
  };
}

/** Start `bairro serve --demo` on a free port with a fresh SQLite database; `env` adds variables. */
export async function startServer({ env = {} } = {}) {
  const bin = resolve(ROOT, process.env.BAIRRO_BIN || '../target/release/bairro');
  if (!existsSync(bin)) throw new Error(`server binary not found at ${bin} (set BAIRRO_BIN)`);
  const dir = tmpDir('bairro-srv-');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const log = [];
  const child = spawn(bin, ['serve', '--demo', '--bind', `127.0.0.1:${port}`, '--database-url', `sqlite://${dir}/e2e.db`], {
    env: { ...process.env, BAIRRO_JWT_SECRET: 'e2e-secret-e2e-secret-e2e-secret-0123456789', RUST_LOG: process.env.RUST_LOG || 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => log.push(String(d)));
  child.stderr.on('data', (d) => log.push(String(d)));
  let exited = null;
  child.on('exit', (code) => (exited = code));
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (exited !== null) throw new Error(`server exited with ${exited}:\n${log.join('')}`);
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`server did not become healthy:\n${log.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const front = process.env.E2E_EMBEDDED !== '1' && existsSync(join(ROOT, 'dist', 'index.html')) ? await frontServer(base) : null;
  return {
    base: front ? front.base : base,
    api: base,
    log,
    async stop() {
      if (front) {
        await Promise.race([front.close(), new Promise((r) => setTimeout(r, 2000))]);
      }
      if (exited === null) {
        child.kill('SIGTERM');
        await new Promise((r) => {
          const t = setTimeout(() => {
            child.kill('SIGKILL');
            r();
          }, 5000);
          child.on('exit', () => {
            clearTimeout(t);
            r();
          });
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Minimal JSON client for preparing data through the API. */
export function apiClient(base, token) {
  const call = async (method, path, body) => {
    const headers = { Accept: 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const r = await fetch(`${base}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    if (!r.ok) {
      const e = new Error(`${method} ${path} → ${r.status}: ${text.slice(0, 500)}`);
      e.status = r.status;
      e.body = json;
      throw e;
    }
    return json;
  };
  return {
    get: (p) => call('GET', p),
    post: (p, b = {}) => call('POST', p, b),
    patch: (p, b) => call('PATCH', p, b),
  };
}

export async function loginToken(base, username, password) {
  for (let attempt = 0; ; attempt++) {
    try {
      const r = await apiClient(base).post('/auth/login', { username, password });
      return r.token;
    } catch (e) {
      // The login rate limit: wait the second it asks for, a few times.
      if (e.status !== 429 || attempt >= 5) throw e;
      await new Promise((r) => setTimeout(r, 1100));
    }
  }
}

/**
 * A Y4M video (320x320, 5 fps, 4:2:0) showing the QR of `text` on white, for Chromium's fake camera.
 * `frames` whole frames; the file loops, so a still image needs only a few.
 */
export function makeY4m(text, path, { size = 320, frames = 4 } = {}) {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const n = qr.modules.size;
  const quiet = 4;
  const cell = Math.floor(size / (n + 2 * quiet));
  if (cell < 2) throw new Error(`QR too dense for ${size}px (${n} modules)`);
  const offset = Math.floor((size - cell * n) / 2);
  const y = new Uint8Array(size * size).fill(235);
  for (let r = 0; r < n; r++)
    for (let c = 0; c < n; c++)
      if (qr.modules.get(r, c))
        for (let dy = 0; dy < cell; dy++) {
          const row = (offset + r * cell + dy) * size + offset + c * cell;
          y.fill(16, row, row + cell);
        }
  const chroma = new Uint8Array((size / 2) * (size / 2)).fill(128);
  const header = Buffer.from(`YUV4MPEG2 W${size} H${size} F5:1 Ip A1:1 C420jpeg\n`);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), Buffer.from(y), Buffer.from(chroma), Buffer.from(chroma)]);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, Buffer.concat([header, ...Array.from({ length: frames }, () => frame)]));
  return path;
}

/** Launch Debian's Chromium; `camera` is an absolute Y4M path for the fake camera. */
export async function launch({ camera, viewport = { width: 390, height: 844 }, geolocation, isMobile = false } = {}) {
  const args = [
    '--headless=new',
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
  ];
  if (camera) args.push(`--use-file-for-fake-video-capture=${camera}`);
  const userDataDir = tmpDir('bairro-chrome-');
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args,
    viewport,
    deviceScaleFactor: 1,
    isMobile,
    hasTouch: isMobile,
    locale: 'zh-TW',
    timezoneId: 'Asia/Macau',
    geolocation,
    permissions: geolocation ? ['geolocation', 'camera'] : ['camera'],
    acceptDownloads: true,
  });
  const close = async () => {
    await context.close().catch(() => {});
    rmSync(userDataDir, { recursive: true, force: true });
  };
  return { context, close };
}

/** Collect console errors and failed requests of a page, for clearer failures. */
export function watchPage(page) {
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  return problems;
}

/** No ⟦key⟧ markers (missing translations) anywhere in the page text or attributes. */
export async function missingKeys(page) {
  return await page.evaluate(() => {
    const found = new Set();
    const re = /⟦[^⟧]*⟧/g;
    for (const m of document.body.innerText.matchAll(re)) found.add(m[0]);
    for (const el of document.querySelectorAll('*')) {
      for (const a of ['aria-label', 'title', 'placeholder', 'alt']) {
        const v = el.getAttribute(a);
        if (v) for (const m of v.matchAll(re)) found.add(m[0]);
      }
    }
    for (const m of document.title.matchAll(re)) found.add(m[0]);
    return [...found];
  });
}

/** axe-core violations with impact serious or critical. */
export async function seriousAxe(page) {
  await page.addScriptTag({ path: AXE_PATH });
  const res = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  return res.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export async function setLang(page, lang) {
  await page.evaluate((l) => localStorage.setItem('bairro.lang', l), lang);
}

export async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

/** Log in through the UI. */
export async function uiLogin(page, base, username, password) {
  await page.goto(`${base}/#/login`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('form button[type=submit]');
  await page.waitForFunction(() => !location.hash.startsWith('#/login'), null, { timeout: 15000 });
}

/**
 * Make the demo's Taipa campaign show fraud signals: one visitor scanning a real point code from far
 * away three times (refused_scans), and one till redeeming five check-in coupons in a row, each at
 * exactly the minimum spend at a new shop (till_burst and exact_minimum_spend). Returns {campaign, merchant}.
 */
export async function seedSignals(base) {
  const off = apiClient(base, await loginToken(base, 'official', 'official-demo'));
  const campaign = await off.get('/campaigns/taipa');
  const points = campaign.points.filter((p) => !p.rotating && p.payload);
  const visitor = apiClient(base, (await apiClient(base).post('/visitors', { locale: 'en' })).token);
  for (let i = 0; i < 3; i++) {
    await visitor.post('/checkins', { payload: points[0].payload, method: points[0].kind, lat: 22.3, lng: 114.2 }).catch(() => {});
  }
  // The offer earned by check-ins, with a minimum spend, taken by any shop of the campaign.
  const offer = campaign.offers.find((o) => o.trigger.type === 'checkins' && o.min_spend_avos > 0 && !o.eligible_categories?.length);
  if (!offer) throw new Error('the demo has no check-in offer with a minimum spend');
  // A new shop, enrolled and approved, so the five are all of its redemptions.
  const username = `signals-${Date.now().toString(36)}`;
  const merchant = await off.post('/merchants', {
    name: { 'zh-Hant': '快手小食店', pt: 'Petiscos Rápidos', en: 'Quick Snacks' },
    category: 'food',
    address: 'Rua do Cunha 9',
    lat: 22.1532,
    lng: 113.5561,
    m_mark: false,
    username,
    password: 'signals-password',
  });
  const till = apiClient(base, await loginToken(base, username, 'signals-password'));
  const enrolment = await till.post(`/campaigns/${campaign.id}/enrolments`, {});
  await off.post(`/enrolments/${enrolment.id}/approve`, {});
  for (let i = 0; i < 5; i++) {
    const v = apiClient(base, (await apiClient(base).post('/visitors', { locale: 'en' })).token);
    const coupons = [];
    for (const p of points.slice(0, offer.trigger.count || 1)) {
      const r = await v.post('/checkins', { payload: p.payload, method: p.kind, lat: p.lat, lng: p.lng });
      coupons.push(...(r.coupons || []));
    }
    const coupon = coupons.find((c) => c.offer_id === offer.id);
    if (!coupon) throw new Error('the check-ins earned no coupon');
    await till.post('/redemptions', { coupon: coupon.code, spend_avos: offer.min_spend_avos, idempotency_key: crypto.randomUUID() });
  }
  return { campaign, merchant };
}
