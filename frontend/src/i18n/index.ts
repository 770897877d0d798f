// Dictionaries and formatting in the visitor's language (dates in Macau time, money in MOP).
import zhHant from './zh-Hant.json';
import pt from './pt.json';
import en from './en.json';
import zhHans from './zh-Hans.json';
import { getState, refresh, type Locale } from '../store';
import type { I18nName } from '../api';

type Dict = Record<string, string>;
const DICTS: Record<Locale, Dict> = { 'zh-Hant': zhHant, pt, en, 'zh-Hans': zhHans };

export const LOCALE_LABELS: Record<Locale, string> = {
  'zh-Hant': '繁體中文',
  pt: 'Português',
  en: 'English',
  'zh-Hans': '简体中文',
};

/** Translate a key; a missing key shows as ⟦key⟧ so it cannot go unnoticed. */
export function t(key: string, vars?: Record<string, string | number>): string {
  const d = DICTS[getState().locale];
  let s = d[key];
  if (s === undefined) return `⟦${key}⟧`;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

export function hasKey(key: string): boolean {
  return key in DICTS[getState().locale];
}

/** Message for an API error code. */
export function errorText(code: string): string {
  const k = `error.${code}`;
  return hasKey(k) ? t(k) : t('error.internal');
}

// Traditional → Simplified for data entered only in Traditional Chinese (names, districts,
// addresses): OpenCC's Hong Kong → mainland conversion (opencc-js), loaded only when a visitor
// reads in Simplified Chinese. Until it has loaded, the Traditional text shows. Done here rather
// than on the server because names are already chosen here (`pick`), the API keeps returning
// what officials typed, and only zh-Hans readers download the dictionary.
type Convert = (s: string) => string;
let toSimplified: Convert | null = null;
let loadingConverter: Promise<void> | null = null;
const converted = new Map<string, string>();

export function loadSimplifiedConverter(): Promise<void> {
  loadingConverter ??= import('opencc-js/t2cn')
    .then((m) => {
      toSimplified = m.Converter({ from: 'hk', to: 'cn' });
      converted.clear();
      refresh();
    })
    .catch(() => {
      loadingConverter = null;
    });
  return loadingConverter;
}

/** Data text in the reader's script: Traditional Chinese converted for zh-Hans readers. */
export function dataText(s: string | null | undefined): string {
  if (!s) return '';
  if (getState().locale !== 'zh-Hans' || !/[\u3400-\u9fff]/.test(s)) return s;
  if (!toSimplified) {
    void loadSimplifiedConverter();
    return s;
  }
  let out = converted.get(s);
  if (out === undefined) {
    out = toSimplified(s);
    if (converted.size > 5000) converted.clear();
    converted.set(s, out);
  }
  return out;
}

/**
 * Pick a localized name: the user's locale; zh-Hans falls back to the zh-Hant name converted to
 * Simplified characters; then English.
 */
export function pick(name: I18nName | string | null | undefined): string {
  if (!name) return '';
  if (typeof name === 'string') return dataText(name);
  const l = getState().locale;
  if (l === 'zh-Hans' && !name['zh-Hans'] && name['zh-Hant']) return dataText(name['zh-Hant']);
  return name[l] || name.en || name['zh-Hant'] || name.pt || Object.values(name).find(Boolean) || '';
}

function intlLocale(): string {
  const l = getState().locale;
  return l === 'pt' ? 'pt-PT' : l === 'en' ? 'en-GB' : l === 'zh-Hans' ? 'zh-Hans-CN' : 'zh-Hant-MO';
}

const TZ = 'Asia/Macau';

export function fmtDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(intlLocale(), { timeZone: TZ, dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

export function fmtDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  // A plain YYYY-MM-DD is a Macau calendar day: format it at Macau noon.
  const d = /^\d{4}-\d{2}-\d{2}$/.test(iso) ? new Date(`${iso}T12:00:00+08:00`) : new Date(iso);
  if (isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(intlLocale(), { timeZone: TZ, dateStyle: 'medium' }).format(d);
}

export function fmtShortDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(intlLocale(), { timeZone: TZ, month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false }).format(d);
}

export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(intlLocale(), { timeZone: TZ, timeStyle: 'short' }).format(d);
}

export function fmtMoney(avos: number | null | undefined): string {
  const v = (avos ?? 0) / 100;
  return new Intl.NumberFormat(intlLocale(), { style: 'currency', currency: 'MOP', currencyDisplay: 'code' }).format(v);
}

export function fmtNumber(n: number | null | undefined): string {
  return new Intl.NumberFormat(intlLocale()).format(n ?? 0);
}

export function fmtPct(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || isNaN(x)) return '—';
  return new Intl.NumberFormat(intlLocale(), { style: 'percent', maximumFractionDigits: digits }).format(x);
}

export function fmtDistance(m: number): string {
  if (m < 1000) return t('unit.metres', { n: Math.round(m) });
  return t('unit.km', { n: (m / 1000).toFixed(1) });
}

/** Today's Macau calendar day as YYYY-MM-DD. */
export function macauToday(offsetDays = 0): string {
  const d = new Date(Date.now() + 8 * 3600_000 + offsetDays * 86400_000);
  return d.toISOString().slice(0, 10);
}

/** "2026-11-22T10:00" typed in a datetime-local field (Macau time) → RFC 3339. */
export function localInputToRfc3339(v: string): string {
  if (!v) return v;
  return `${v.length === 16 ? v + ':00' : v}+08:00`;
}

/** RFC 3339 → value for a datetime-local field, in Macau time. */
export function rfc3339ToLocalInput(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (isNaN(d.getTime())) return '';
  return new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 16);
}

/** MOP text typed by a person ("12.5", "12,50") → avos, or null when it is not a amount. */
export function parseMop(text: string): number | null {
  const s = text.trim().replace(',', '.');
  if (!/^\d+(\.\d{0,2})?$/.test(s)) return null;
  const [i, f = ''] = s.split('.');
  return parseInt(i, 10) * 100 + parseInt((f + '00').slice(0, 2), 10);
}

/** Translate a key built from data (a category, a status); unknown values show as they came. */
export function tData(prefix: string, value: string | null | undefined): string {
  if (!value) return '—';
  const k = `${prefix}.${value}`;
  return hasKey(k) ? t(k) : value;
}

/** Translate a count: `key_one` / `key_other` chosen by the language's plural rules; `{n}` is the count. */
export function tn(key: string, n: number, vars?: Record<string, string | number>): string {
  const cat = new Intl.PluralRules(getState().locale).select(n);
  const k = `${key}_${cat}`;
  return t(hasKey(k) ? k : `${key}_other`, { n, ...vars });
}
