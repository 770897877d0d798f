import { seedSignals, apiClient, loginToken } from './helpers.mjs';
const base = 'http://127.0.0.1:18019';
const r = await seedSignals(base);
const off = apiClient(base, await loginToken(base, 'official', 'official-demo'));
const today = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
const st = await off.post(`/campaigns/${r.campaign.id}/settlements`, { from: '2026-11-07', to: today }).catch((e) => console.log('settle', e.message));
console.log('statements', st?.length);
console.log(r.campaign.id);
