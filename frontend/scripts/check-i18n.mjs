// Every locale must have exactly the same keys, and the same {placeholders} per key.
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'i18n');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
const expected = ['en.json', 'pt.json', 'zh-Hans.json', 'zh-Hant.json'];
let bad = 0;
for (const e of expected) {
  if (!files.includes(e)) {
    console.error(`missing dictionary ${e}`);
    bad++;
  }
}
const dicts = Object.fromEntries(files.map((f) => [f, JSON.parse(readFileSync(join(dir, f), 'utf8'))]));
const all = new Set(Object.values(dicts).flatMap((d) => Object.keys(d)));
const holes = (s) => [...String(s).matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');
for (const [f, d] of Object.entries(dicts)) {
  for (const k of all) {
    if (!(k in d)) {
      console.error(`${f}: missing key ${k}`);
      bad++;
    } else if (typeof d[k] !== 'string' || !d[k].trim()) {
      console.error(`${f}: empty text for ${k}`);
      bad++;
    }
  }
}
for (const k of all) {
  const ref = holes(dicts['en.json']?.[k] ?? '');
  for (const [f, d] of Object.entries(dicts)) {
    if (k in d && holes(d[k]) !== ref) {
      console.error(`${f}: placeholders of ${k} differ from en.json ({${holes(d[k])}} vs {${ref}})`);
      bad++;
    }
  }
}
// Every key used in the source must exist.
const src = join(dir, '..');
const used = new Set();
const walk = (p) => {
  for (const ent of readdirSync(p, { withFileTypes: true })) {
    const q = join(p, ent.name);
    if (ent.isDirectory()) walk(q);
    else if (/\.(tsx?|mjs)$/.test(ent.name)) {
      const text = readFileSync(q, 'utf8');
      for (const m of text.matchAll(/\bt\(\s*'([a-z_]+\.[a-z_0-9.]+)'/g)) used.add(m[1]);
      for (const m of text.matchAll(/\['#\/[^']*',\s*'([a-z_]+\.[a-z_0-9.]+)'\]/g)) used.add(m[1]);
      // Counted texts need at least the `_other` form (and `_one` for languages that use it).
      for (const m of text.matchAll(/\btn\(\s*'([a-z_]+\.[a-z_0-9.]+)'/g)) {
        used.add(`${m[1]}_other`);
        used.add(`${m[1]}_one`);
      }
    }
  }
};
walk(src);
for (const k of used) {
  if (!all.has(k)) {
    console.error(`key used in the source but in no dictionary: ${k}`);
    bad++;
  }
}
const codes = ['invalid_credentials', 'validation_failed', 'unauthorized', 'forbidden', 'not_found', 'already_checked_in', 'invalid_payload', 'payload_expired', 'outside_geofence', 'campaign_not_active', 'location_required', 'rate_limited', 'sold_out', 'limit_reached', 'not_open', 'already_redeemed', 'coupon_expired', 'coupon_void', 'merchant_not_eligible', 'min_spend_not_met', 'void_window_passed', 'idempotency_conflict', 'conflict', 'internal'];
for (const c of codes) {
  if (!all.has(`error.${c}`)) {
    console.error(`no message for API error code ${c}`);
    bad++;
  }
}
if (bad) {
  console.error(`i18n check: ${bad} problem(s)`);
  process.exit(1);
}
console.log(`i18n check: ${files.length} locales, ${all.size} keys each, ${used.size} keys used in the source: OK`);
