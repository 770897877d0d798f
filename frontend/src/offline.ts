// Check-ins scanned without a network wait in localStorage and are sent when the device is back online.
import { api, ensureVisitor, hooks, ApiError, NetworkError, type CheckinResult, type Coupon } from './api';
import { uuid } from './store';

export interface PendingCheckin {
  payload: string;
  method: 'qr' | 'ar';
  lat?: number;
  lng?: number;
  scanned_at: string;
  nonce: string;
}

export interface FailedCheckin extends PendingCheckin {
  code: string;
}

const K_QUEUE = 'bairro.checkin-queue';
const K_FAILED = 'bairro.checkin-failed';
const K_WALLET = 'bairro.wallet';

function read<T>(k: string): T[] {
  try {
    return JSON.parse(localStorage.getItem(k) || '[]') as T[];
  } catch {
    return [];
  }
}

export function queued(): PendingCheckin[] {
  return read<PendingCheckin>(K_QUEUE);
}

export function failedOffline(): FailedCheckin[] {
  return read<FailedCheckin>(K_FAILED);
}

export function clearFailed() {
  localStorage.removeItem(K_FAILED);
  notify();
}

function enqueue(c: PendingCheckin) {
  const q = queued();
  q.push(c);
  localStorage.setItem(K_QUEUE, JSON.stringify(q));
  notify();
}

const subs = new Set<() => void>();
export function onQueueChange(f: () => void): () => void {
  subs.add(f);
  return () => subs.delete(f);
}
function notify() {
  subs.forEach((f) => f());
}

export function newCheckin(payload: string, method: 'qr' | 'ar', pos?: { lat: number; lng: number }): PendingCheckin {
  return { payload, method, lat: pos?.lat, lng: pos?.lng, scanned_at: new Date().toISOString(), nonce: uuid() };
}

export type SubmitOutcome = { kind: 'done'; result: CheckinResult } | { kind: 'queued' };

/** Send a check-in now; when the network is down keep it for later. API refusals are thrown. */
export async function submitCheckin(c: PendingCheckin): Promise<SubmitOutcome> {
  if (!navigator.onLine) {
    enqueue(c);
    return { kind: 'queued' };
  }
  try {
    await ensureVisitor();
    const result = await api<CheckinResult>('/checkins', { method: 'POST', body: c, auth: 'visitor' });
    if (result.coupons?.length) mergeWallet(result.coupons);
    return { kind: 'done', result };
  } catch (e) {
    if (e instanceof NetworkError) {
      enqueue(c);
      return { kind: 'queued' };
    }
    throw e;
  }
}

let flushing = false;

/** Try to send everything queued; refusals are kept aside so the visitor can see why. */
export async function flushQueue(): Promise<number> {
  if (flushing || !navigator.onLine) return 0;
  const q = queued();
  if (!q.length) return 0;
  flushing = true;
  let sent = 0;
  try {
    await ensureVisitor();
    const rest: PendingCheckin[] = [];
    const failed = failedOffline();
    for (const c of q) {
      try {
        const r = await api<CheckinResult>('/checkins', { method: 'POST', body: c, auth: 'visitor' });
        if (r.coupons?.length) mergeWallet(r.coupons);
        sent++;
      } catch (e) {
        if (e instanceof NetworkError) rest.push(c);
        else if (e instanceof ApiError && e.code === 'rate_limited') rest.push(c);
        else if (e instanceof ApiError && e.code === 'payload_expired' && e.body.reason === 'offline_scan_too_late')
          // A rotating point's code cannot be sent later: say so, not just "expired".
          failed.push({ ...c, code: 'offline_scan_too_late' });
        else failed.push({ ...c, code: e instanceof ApiError ? e.code : 'internal' });
      }
    }
    localStorage.setItem(K_QUEUE, JSON.stringify(rest));
    localStorage.setItem(K_FAILED, JSON.stringify(failed.slice(-20)));
  } catch {
    /* no visitor identity yet (offline again); retry later */
  } finally {
    flushing = false;
    notify();
  }
  return sent;
}

export function startQueueSync() {
  hooks.signupCoupons = mergeWallet;
  window.addEventListener('online', () => void flushQueue());
  void flushQueue();
  setInterval(() => void flushQueue(), 60_000);
}

// ---- wallet cache (works with no network) ----

export function cachedWallet(): Coupon[] {
  return read<Coupon>(K_WALLET);
}

export function saveWallet(list: Coupon[]) {
  localStorage.setItem(K_WALLET, JSON.stringify(list));
}

function mergeWallet(add: Coupon[]) {
  const cur = cachedWallet();
  const byId = new Map(cur.map((c) => [c.id, c]));
  add.forEach((c) => byId.set(c.id, c));
  saveWallet([...byId.values()]);
}

export { mergeWallet };
