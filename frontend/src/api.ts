// HTTP client for /api/v1 plus the shapes the screens use.
import { getState, setStaff, setVisitor, currentRef, setMustChangePassword } from './store';

export type I18nName = Partial<Record<'zh-Hant' | 'pt' | 'en' | 'zh-Hans', string>>;

export interface Campaign {
  id: string;
  slug: string;
  name: I18nName;
  district: string;
  description?: string | null;
  starts_at: string;
  ends_at: string;
  status: 'draft' | 'published' | 'ended';
  points?: Point[];
  offers?: Offer[];
  merchants?: Merchant[];
  cover_url?: string | null;
}

export interface Point {
  id: string;
  campaign_id: string;
  name: I18nName;
  kind: 'qr' | 'ar';
  lat: number;
  lng: number;
  radius_m: number;
  rotating: boolean;
  rotate_seconds?: number;
  payload?: string | null;
  /** Printed under the QR on the poster (officials only), e.g. `ABCD-EFGH`. */
  short_code?: string | null;
}

export interface Offer {
  id: string;
  name: I18nName;
  kind: 'ecash' | 'discount';
  face_value_avos?: number | null;
  min_spend_avos?: number | null;
  percent_off?: number | null;
  max_discount_avos?: number | null;
  stock: number;
  issued: number;
  per_visitor_limit: number;
  valid_days: number;
  valid_until?: string;
  trigger: {
    type: 'signup' | 'checkins' | 'claim' | 'purchases' | 'draw';
    count?: number | null;
    opens_at?: string | null;
    min_spend_avos?: number | null;
    entries_close_at?: string | null;
    draw_at?: string | null;
  };
  /** `draw` offers: the draw's state and entries so far. */
  draw?: { status: string; commitment: string; entries: number };
  /** `purchases` offers (officials): stamps that count for this offer. */
  stamps?: number;
  eligible_categories?: string[] | null;
  /** Only visitors who confirmed a phone number or e-mail receive it. */
  requires_verified?: boolean;
}

export interface Merchant {
  id: string;
  name: I18nName;
  category: string;
  address: string;
  lat: number;
  lng: number;
  m_mark: boolean;
  username?: string;
  merchant_no?: string;
  photo_url?: string | null;
}

export interface Coupon {
  id: string;
  code: string;
  offer_id: string;
  campaign_id: string;
  status: 'issued' | 'redeemed' | 'expired' | 'void';
  issued_at: string;
  expires_at: string;
  payload: string;
  /** Where, when and how much, once spent. */
  redemption?: {
    merchant: { id: string; name: I18nName; address: string };
    redeemed_at: string;
    spend_avos: number;
    saved_avos: number;
  } | null;
  offer?: {
    name: I18nName;
    kind: 'ecash' | 'discount';
    face_value_avos?: number | null;
    min_spend_avos?: number | null;
    percent_off?: number | null;
    max_discount_avos?: number | null;
    eligible_categories?: string[] | null;
  };
}

export interface Checkin {
  id: string;
  point_id: string;
  campaign_id: string;
  method: 'qr' | 'ar';
  scanned_at: string;
  received_at: string;
}

export interface CheckinResult {
  checkin: Checkin;
  stamps: { count: number; next_reward_at?: number | null };
  coupons: Coupon[];
}

export interface Redemption {
  id: string;
  coupon_id: string;
  merchant_id: string;
  spend_avos: number;
  discount_avos: number;
  created_at: string;
  status: string;
  void_until?: string;
  campaign_id?: string;
  coupon_code?: string;
  offer_name?: I18nName;
}

export interface Enrolment {
  id: string;
  campaign_id: string;
  merchant_id: string;
  merchant_name?: I18nName;
  merchant_no?: string;
  merchant_address?: string;
  campaign_name?: I18nName;
  status: 'pending' | 'approved' | 'rejected';
  submitted_at: string;
  decided_at?: string | null;
  reason?: string | null;
}

export interface Settlement {
  id: string;
  campaign_id: string;
  merchant_id: string;
  merchant_name?: I18nName;
  merchant_no?: string;
  merchant_address?: string;
  period_from: string;
  period_to: string;
  amount_avos: number;
  redemptions: number;
  status: 'draft' | 'approved' | 'paid';
  created_at: string;
  approved_at?: string | null;
  paid_at?: string | null;
}

export interface Stats {
  funnel: {
    page_views: number;
    unique_visitors: number;
    visitors: number;
    checkins: number;
    coupons_issued: number;
    coupons_redeemed: number;
  };
  redemption_rate: number;
  ecash_redeemed_avos: number;
  spend_avos: number;
  merchants_enrolled: number;
  merchants_redeeming: number;
  daily: { day: string; page_views: number; checkins: number; issued: number; redeemed: number }[];
  points: { point_id: string; name: I18nName; kind: string; checkins: number; refused?: Record<string, number> }[];
  offers: { offer_id: string; name: I18nName; stock: number; issued: number; redeemed: number }[];
  merchants: {
    merchant_id: string;
    name: I18nName;
    category: string;
    redemptions: number;
    ecash_avos: number;
    spend_avos: number;
  }[];
  refs: { ref: string; page_views: number; visitors: number; checkins: number; coupons_issued: number; redemptions: number }[];
  survey: { responses: number; yes: number; share: number };
}

export interface Overview {
  campaigns: number;
  merchants: number;
  page_views: number;
  visitors: number;
  checkins: number;
  coupons_issued: number;
  coupons_redeemed: number;
  ecash_redeemed_avos: number;
  summary?: I18nName;
}

export interface PledgeRow {
  no: number | string;
  service_item: I18nName;
  indicator: I18nName;
  target_pct: number;
  actual_pct: number | null;
  received: number;
  met: boolean | null;
  footnote?: string | I18nName | null;
}

export interface PledgeReport {
  year: number;
  rows: PledgeRow[];
  summary?: unknown;
}

export interface Holiday {
  day: string;
  name: string | I18nName;
}

/** POST /redemptions/preview: what the till would give, nothing redeemed. */
export interface RedemptionPreview {
  coupon: Coupon | string;
  spend_avos: number;
  discount_avos: number;
  ecash_avos: number;
  to_pay_avos: number;
  min_spend_avos?: number;
  max_discount_avos?: number | null;
  capped?: boolean;
  expires_at?: string;
}

export type SignalKind = 'exact_minimum_spend' | 'till_burst' | 'merchant_hopping' | 'visitors_from_one_device' | 'refused_scans';

export interface Signal {
  kind: SignalKind | string;
  detail: string;
  merchant_id?: string | null;
  user_id?: string | null;
  visitor_id?: string | null;
  device_hash?: string | null;
  evidence: {
    redemption_ids?: string[];
    merchant_ids?: string[];
    visitor_ids?: string[];
    refusals?: { id: string; reason: string; at: string }[];
    from?: string;
  };
}

export interface SignalsAnswer {
  campaign_id: string;
  from: string;
  to: string;
  signals: Signal[];
}

export interface AuditEntry {
  id: number | string;
  actor_id: string | null;
  actor_role: string;
  action: string;
  entity: string;
  entity_id: string;
  before: unknown;
  after: unknown;
  at: string;
  actor_name?: string | null;
  entity_label?: { name?: I18nName; merchant_no?: string; address?: string; period_from?: string; period_to?: string } | null;
}

export class ApiError extends Error {
  status: number;
  code: string;
  detail?: string;
  errors?: unknown;
  body: Record<string, unknown>;
  constructor(status: number, code: string, detail?: string, errors?: unknown, body: Record<string, unknown> = {}) {
    super(detail || code);
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.errors = errors;
    this.body = body;
  }
}

/** Thrown when the request never reached the server (offline, DNS, connection refused). */
export class NetworkError extends Error {}

export type AuthKind = 'visitor' | 'staff' | 'none' | { bearer: string };

interface ReqOpts {
  method?: string;
  body?: unknown;
  auth?: AuthKind;
  raw?: boolean;
  /** A CSV body sent as text/csv (the merchant import). */
  csv?: string;
}

export const API = '/api/v1';

function authHeader(auth: AuthKind | undefined): string | undefined {
  if (!auth || auth === 'none') return undefined;
  if (typeof auth === 'object') return `Bearer ${auth.bearer}`;
  const st = getState();
  if (auth === 'visitor') return st.visitor ? `Bearer ${st.visitor.token}` : undefined;
  return st.staff ? `Bearer ${st.staff.token}` : undefined;
}

async function send(path: string, opts: ReqOpts): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const a = authHeader(opts.auth);
  if (a) headers.Authorization = a;
  let body: BodyInit | undefined;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  if (opts.csv !== undefined) {
    headers['Content-Type'] = 'text/csv; charset=utf-8';
    body = opts.csv;
  }
  try {
    return await fetch(API + path, { method: opts.method || (body ? 'POST' : 'GET'), headers, body });
  } catch (e) {
    throw new NetworkError(String(e));
  }
}

async function toError(res: Response): Promise<ApiError> {
  let code = 'internal';
  let detail: string | undefined;
  let errors: unknown;
  let body: Record<string, unknown> = {};
  try {
    const j = await res.json();
    if (j && typeof j === 'object') body = j;
    if (j && typeof j.code === 'string') code = j.code;
    else if (res.status === 401) code = 'unauthorized';
    else if (res.status === 403) code = 'forbidden';
    else if (res.status === 404) code = 'not_found';
    else if (res.status === 429) code = 'rate_limited';
    detail = j?.detail;
    errors = j?.errors;
  } catch {
    if (res.status === 401) code = 'unauthorized';
    else if (res.status === 403) code = 'forbidden';
    else if (res.status === 404) code = 'not_found';
    else if (res.status === 429) code = 'rate_limited';
  }
  return new ApiError(res.status, code, detail, errors, body);
}

export async function api<T>(path: string, opts: ReqOpts = {}): Promise<T> {
  let res = await send(path, opts);
  // A visitor token may have been lost server-side (fresh database): make a new identity once.
  if (res.status === 401 && opts.auth === 'visitor') {
    setVisitor(null);
    await ensureVisitor();
    res = await send(path, opts);
  }
  if (!res.ok) {
    const err = await toError(res);
    if (res.status === 401 && opts.auth === 'staff') setStaff(null);
    if (err.code === 'password_change_required' && opts.auth === 'staff') setMustChangePassword(true);
    throw err;
  }
  if (res.status === 204 || res.status === 202) {
    return (await res.text().then((t) => (t ? JSON.parse(t) : null))) as T;
  }
  const text = await res.text();
  return (text ? JSON.parse(text) : null) as T;
}

/** Send a CSV body as an official (the merchant import). */
export function apiCsv<T>(path: string, csv: string): Promise<T> {
  return api<T>(path, { method: 'POST', auth: 'staff', csv });
}

/** Fetch a protected file (QR image, poster, CSV) as a Blob. */
export async function apiBlob(path: string, auth: AuthKind = 'staff'): Promise<Blob> {
  const res = await send(path, { auth });
  if (!res.ok) throw await toError(res);
  return await res.blob();
}

export async function downloadFile(path: string, filename: string, auth: AuthKind = 'staff') {
  const blob = await apiBlob(path, auth);
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30000);
}

export async function openBlobInTab(path: string, auth: AuthKind = 'staff') {
  // Open the tab synchronously so pop-up blockers allow it, then fill it.
  const win = window.open('', '_blank');
  let blob: Blob;
  try {
    blob = await apiBlob(path, auth);
  } catch (e) {
    win?.close();
    throw e;
  }
  const url = URL.createObjectURL(blob);
  if (win) win.location.href = url;
  else location.href = url;
}

let visitorPromise: Promise<void> | null = null;

/** Set by the wallet cache: coupons handed out at sign-up. */
export const hooks: { signupCoupons?: (c: Coupon[]) => void } = {};

/** What the server knows of this visitor's phone number or e-mail. */
export interface VerificationStatus {
  verified: boolean;
  addresses: { channel: 'sms' | 'email'; hint: string; verified_at: string }[];
  channels: ('sms' | 'email')[];
}

/** Create an anonymous visitor identity on first use. */
export function ensureVisitor(): Promise<void> {
  if (getState().visitor) return Promise.resolve();
  if (!visitorPromise) {
    visitorPromise = (async () => {
      const body: Record<string, string> = { locale: getState().locale };
      const ref = currentRef();
      if (ref) body.ref = ref;
      const v = await api<{ visitor_id: string; token: string; coupons?: Coupon[] }>('/visitors', { method: 'POST', body });
      setVisitor({ visitor_id: v.visitor_id, token: v.token });
      if (v.coupons?.length) hooks.signupCoupons?.(v.coupons);
    })().finally(() => {
      visitorPromise = null;
    });
  }
  return visitorPromise;
}

export function pageView(campaign: string, path: string) {
  const body: Record<string, string> = { campaign, path };
  const ref = currentRef();
  if (ref) body.ref = ref;
  api('/pageviews', { method: 'POST', body, auth: 'visitor' }).catch(() => {});
}

export async function login(username: string, password: string) {
  const r = await api<{
    token: string;
    role: 'official' | 'viewer' | 'merchant';
    expires_at: string;
    merchant_id?: string;
    merchant_role?: 'owner' | 'cashier' | null;
    user_id?: string;
    username?: string;
    must_change_password?: boolean;
  }>('/auth/login', { method: 'POST', body: { username, password } });
  setStaff({ ...r, username: r.username || username });
  return r;
}

/** A staff account's own password change (also the forced one after a reset). */
export async function changePassword(current_password: string, new_password: string) {
  // Its own bearer, so a wrong current password (401) does not end the session.
  const token = getState().staff?.token || '';
  await api<null>('/me/password', { method: 'POST', auth: { bearer: token }, body: { current_password, new_password } });
  setMustChangePassword(false);
}

export type StaffRole = 'official' | 'viewer' | 'merchant_owner' | 'merchant_cashier';

export interface StaffAccount {
  id: string;
  username: string;
  role: StaffRole;
  merchant_id?: string | null;
  merchant_name?: I18nName | null;
  disabled: boolean;
  must_change_password: boolean;
  locked_until?: string | null;
  created_at: string;
}

export interface ClientConfig {
  map: { tiles: string; attribution: string };
}

let clientConfig: Promise<ClientConfig> | null = null;
/** The server's settings for the web app (the map's tile source), fetched once. */
export function getClientConfig(): Promise<ClientConfig> {
  clientConfig ??= api<ClientConfig>('/client-config').catch(() => {
    clientConfig = null;
    return { map: { tiles: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png', attribution: '© OpenStreetMap contributors' } };
  });
  return clientConfig;
}
