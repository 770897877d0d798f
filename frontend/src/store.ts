// Small global state: language, staff session, visitor identity.
import { useEffect, useState } from 'preact/hooks';

export type Locale = 'zh-Hant' | 'pt' | 'en' | 'zh-Hans';
export const LOCALES: Locale[] = ['zh-Hant', 'pt', 'en', 'zh-Hans'];

export interface StaffSession {
  token: string;
  /** `viewer`: bureau staff who read every official page and change nothing. */
  role: 'official' | 'viewer' | 'merchant';
  expires_at: string;
  merchant_id?: string;
  merchant_role?: 'owner' | 'cashier' | null;
  username?: string;
  user_id?: string;
  /** After a reset: nothing but choosing a new password works until it is done. */
  must_change_password?: boolean;
}

export interface VisitorIdentity {
  visitor_id: string;
  token: string;
}

const K_LANG = 'bairro.lang';
const K_STAFF = 'bairro.staff';
const K_VISITOR = 'bairro.visitor';

function readJSON<T>(key: string): T | null {
  try {
    const raw = localStorage.getItem(key);
    return raw ? (JSON.parse(raw) as T) : null;
  } catch {
    return null;
  }
}

function initialLocale(): Locale {
  const saved = localStorage.getItem(K_LANG) as Locale | null;
  if (saved && LOCALES.includes(saved)) return saved;
  return localeFromBrowser(typeof navigator === 'undefined' ? [] : navigator.languages || [navigator.language]);
}

/**
 * The first visit follows the browser's languages, in order: Traditional Chinese for Taiwan,
 * Hong Kong and Macau (and zh-Hant), Simplified for mainland China and Singapore (and
 * zh-Hans), Portuguese for any pt; English when none of them is listed.
 */
export function localeFromBrowser(langs: readonly string[]): Locale {
  for (const raw of langs) {
    const l = (raw || '').toLowerCase();
    if (/^zh-(hant|tw|hk|mo)\b/.test(l)) return 'zh-Hant';
    if (/^zh-(hans|cn|sg)\b/.test(l)) return 'zh-Hans';
    if (l === 'zh') return 'zh-Hant';
    if (l === 'pt' || l.startsWith('pt-')) return 'pt';
    if (l === 'en' || l.startsWith('en-')) return 'en';
  }
  return 'en';
}

interface State {
  locale: Locale;
  staff: StaffSession | null;
  visitor: VisitorIdentity | null;
}

const state: State = {
  locale: initialLocale(),
  staff: validStaff(readJSON<StaffSession>(K_STAFF)),
  visitor: readJSON<VisitorIdentity>(K_VISITOR),
};

function validStaff(s: StaffSession | null): StaffSession | null {
  if (!s || !s.token) return null;
  if (s.expires_at && Date.parse(s.expires_at) < Date.now()) return null;
  return s;
}

const listeners = new Set<() => void>();
function emit() {
  listeners.forEach((l) => l());
}

/** Re-render every screen (e.g. when a lazily loaded converter becomes ready). */
export function refresh() {
  emit();
}

export function getState(): Readonly<State> {
  return state;
}

export function setLocale(l: Locale) {
  state.locale = l;
  localStorage.setItem(K_LANG, l);
  document.documentElement.lang = l;
  emit();
}

export function setStaff(s: StaffSession | null) {
  state.staff = s;
  if (s) localStorage.setItem(K_STAFF, JSON.stringify(s));
  else localStorage.removeItem(K_STAFF);
  emit();
}

/** Whether the signed-in bureau login may change things (a viewer only reads). */
export function canWrite(): boolean {
  return state.staff?.role === 'official';
}

/** The server says this login must choose a new password first (or no longer must). */
export function setMustChangePassword(must: boolean) {
  if (!state.staff || !!state.staff.must_change_password === must) return;
  setStaff({ ...state.staff, must_change_password: must });
}

export function setVisitor(v: VisitorIdentity | null) {
  state.visitor = v;
  if (v) localStorage.setItem(K_VISITOR, JSON.stringify(v));
  else localStorage.removeItem(K_VISITOR);
  emit();
}

/** Re-render the calling component whenever the global state changes. */
export function useAppState(): Readonly<State> {
  const [, setTick] = useState(0);
  useEffect(() => {
    const l = () => setTick((n) => n + 1);
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, []);
  return state;
}

/** Traffic source: the `ref` query parameter of the landing URL, kept for the session. */
export function captureRef(): void {
  const fromSearch = new URLSearchParams(location.search).get('ref');
  const hashQuery = location.hash.includes('?') ? location.hash.slice(location.hash.indexOf('?') + 1) : '';
  const fromHash = new URLSearchParams(hashQuery).get('ref');
  const ref = fromSearch || fromHash;
  if (ref) sessionStorage.setItem('bairro.ref', ref.slice(0, 64));
}

export function currentRef(): string | undefined {
  return sessionStorage.getItem('bairro.ref') || undefined;
}

export function uuid(): string {
  const c: Crypto = globalThis.crypto;
  if (typeof c.randomUUID === 'function') return c.randomUUID();
  const b = new Uint8Array(16);
  c.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
