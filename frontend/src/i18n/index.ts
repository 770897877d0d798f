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

/** Day and time without the year, written as `fmtDate` writes days ("3 Nov, 14:05", "11月3日 14:05"). */
export function fmtShortDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(intlLocale(), { timeZone: TZ, month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false }).format(d);
}

/** The order in which the reader's language writes a day's year, month and day (as `fmtDate` does). */
function dayOrder(): ('year' | 'month' | 'day')[] {
  return new Intl.DateTimeFormat(intlLocale(), { timeZone: 'UTC', dateStyle: 'medium' })
    .formatToParts(new Date(Date.UTC(2026, 11, 31)))
    .map((p) => p.type)
    .filter((x): x is 'year' | 'month' | 'day' => x === 'year' || x === 'month' || x === 'day');
}

/** Month names (long and short, lower case) of the reader's language, January first. */
function monthNames(): string[][] {
  const loc = intlLocale();
  return Array.from({ length: 12 }, (_, i) =>
    (['long', 'short'] as const).map((month) =>
      new Intl.DateTimeFormat(loc, { timeZone: 'UTC', month }).format(new Date(Date.UTC(2026, i, 15))).toLocaleLowerCase(loc).replace(/\.$/, ''),
    ),
  );
}

/**
 * A day typed by a person → YYYY-MM-DD, or null when it is not a day. Takes what `fmtDate` writes
 * in the reader's language ("3 Nov 2026", "03/11/2026", "2026年11月3日"), the same numbers in that
 * language's order with any separator, and ISO `2026-11-03`.
 */
export function parseDay(text: string): string | null {
  const s = text.trim();
  if (!s) return null;
  let y: number | undefined;
  let m: number | undefined;
  let d: number | undefined;
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(s);
  if (iso) {
    [y, m, d] = [+iso[1], +iso[2], +iso[3]];
  } else {
    const loc = intlLocale();
    const nums: string[] = [];
    for (const tok of s.toLocaleLowerCase(loc).match(/\d+|\p{L}+/gu) || []) {
      if (/^\d+$/.test(tok)) nums.push(tok);
      else if (tok.length >= 3) {
        const i = monthNames().findIndex((names) => names.some((n) => n.startsWith(tok)));
        if (i >= 0 && m === undefined) m = i + 1;
      }
    }
    if (m !== undefined) {
      // Month by name: the four-digit number is the year, the other the day.
      if (nums.length !== 2) return null;
      const yi = nums.findIndex((n) => n.length === 4);
      if (yi < 0) return null;
      y = +nums[yi];
      d = +nums[1 - yi];
    } else {
      if (nums.length !== 3) return null;
      const order = nums[0].length === 4 ? (['year', 'month', 'day'] as const) : dayOrder();
      const at = (k: 'year' | 'month' | 'day') => +nums[order.indexOf(k)];
      [y, m, d] = [at('year'), at('month'), at('day')];
    }
  }
  if (y < 1970 || y > 2999) return null;
  const day = new Date(Date.UTC(y, m - 1, d));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d) return null;
  return day.toISOString().slice(0, 10);
}

/** Calendar labels in the reader's language: the month's title and the week's day initials. */
export function calendarLabels(year: number, month0: number): { title: string; weekdays: string[]; firstDay: number } {
  const loc = intlLocale();
  const title = new Intl.DateTimeFormat(loc, { timeZone: 'UTC', month: 'long', year: 'numeric' }).format(new Date(Date.UTC(year, month0, 15)));
  // Weeks start on Sunday in Chinese calendars, on Monday in Portuguese and British ones.
  const firstDay = getState().locale.startsWith('zh') ? 0 : 1;
  const wd = new Intl.DateTimeFormat(loc, { timeZone: 'UTC', weekday: 'narrow' });
  // 2026-01-04 was a Sunday.
  const weekdays = Array.from({ length: 7 }, (_, i) => wd.format(new Date(Date.UTC(2026, 0, 4 + ((i + firstDay) % 7)))));
  return { title, weekdays, firstDay };
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
