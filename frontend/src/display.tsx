// Rotating check-in display: activated once with a setup code, then shows the current QR large.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Schemas } from './api';
import { t } from './i18n';
import { ErrorBox, QrImage, useNow, fmtCountdown } from './components';

const key = (pointId: string) => `bairro.device.${pointId}`;
const secretKey = (pointId: string) => `bairro.device.${pointId}.secret`;

/** What a display keeps to compute its own codes offline (from `POST /devices/activate`). */
type DeviceSecret = Pick<Schemas['DeviceActivated'], 'secret' | 'kid' | 'pid' | 'did' | 'rotate_seconds'>;

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}
function unbase32(s: string): Uint8Array<ArrayBuffer> {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of s) {
    value = (value << 5) | B32.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return new Uint8Array(out);
}

/** This display's code for the period of `nowMs`, signed with its own secret (no network). */
async function offlineCode(d: DeviceSecret, nowMs: number): Promise<{ payload: string; valid_until: string }> {
  const counter = Math.floor(nowMs / 1000 / d.rotate_seconds);
  const k = await crypto.subtle.importKey('raw', unbase32(d.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', k, new TextEncoder().encode(`D:${d.pid}:${d.did}:${counter}`)));
  return {
    payload: `B1:D:${d.kid}:${d.pid}:${d.did}:${counter}:${base32(mac.slice(0, 10))}`,
    valid_until: new Date((counter + 1) * d.rotate_seconds * 1000).toISOString(),
  };
}

function loadSecret(pointId: string): DeviceSecret | null {
  try {
    const v = JSON.parse(localStorage.getItem(secretKey(pointId)) || 'null');
    return v && typeof v.secret === 'string' && typeof v.did === 'string' ? v : null;
  } catch {
    return null;
  }
}

export function DisplayPage({ pointId }: { pointId: string }) {
  const [token, setToken] = useState<string | null>(localStorage.getItem(key(pointId)));
  const [setup, setSetup] = useState('');
  const [err, setErr] = useState<unknown>(null);
  const [code, setCode] = useState<{ payload: string; valid_until: string | null } | null>(null);
  const now = useNow(500);

  const activate = async (e: Event) => {
    e.preventDefault();
    try {
      const r = await api<Schemas['DeviceActivated']>('/devices/activate', { method: 'POST', body: { setup_code: setup.trim() } });
      if (r.secret && r.did) {
        const keep: DeviceSecret = { secret: r.secret, kid: r.kid, pid: r.pid, did: r.did, rotate_seconds: r.rotate_seconds };
        localStorage.setItem(secretKey(r.point_id || pointId), JSON.stringify(keep));
      }
      if (r.point_id && r.point_id !== pointId) {
        localStorage.setItem(key(r.point_id), r.device_token);
        location.hash = `#/display/${r.point_id}`;
        return;
      }
      localStorage.setItem(key(pointId), r.device_token);
      setToken(r.device_token);
      setErr(null);
    } catch (e2) {
      setErr(e2);
    }
  };

  useEffect(() => {
    if (!token) return;
    let stop = false;
    let timer: number | undefined;
    const own = loadSecret(pointId);
    if (own && typeof crypto !== 'undefined' && crypto.subtle) {
      // Offline: compute each period's code from this display's own secret, like TOTP; a check
      // with the server now and then notices when the display has been revoked.
      let checked = 0;
      const tick = async () => {
        try {
          const c = await offlineCode(own, Date.now());
          if (stop) return;
          setCode(c);
          if (Date.now() - checked > 5 * 60000) {
            checked = Date.now();
            await api(`/points/${pointId}/code`, { auth: { bearer: token } }).catch((e2) => {
              if (e2 instanceof ApiError && (e2.status === 401 || e2.status === 403)) {
                localStorage.removeItem(key(pointId));
                localStorage.removeItem(secretKey(pointId));
                setToken(null);
                stop = true;
              }
            });
          }
          setErr(null);
        } catch (e2) {
          setErr(e2);
        }
        const period = own.rotate_seconds * 1000;
        if (!stop) timer = window.setTimeout(tick, Math.max(500, period - (Date.now() % period) + 50));
      };
      void tick();
      return () => {
        stop = true;
        if (timer) clearTimeout(timer);
      };
    }
    const poll = async () => {
      let wait = 5000;
      try {
        const c = await api<Schemas['PointCode']>(`/points/${pointId}/code`, { auth: { bearer: token } });
        if (stop) return;
        setCode(c);
        setErr(null);
        const left = c.valid_until ? Date.parse(c.valid_until) - Date.now() : 60000;
        wait = Math.max(1000, Math.min(left + 300, 60000));
      } catch (e2) {
        setErr(e2);
        if (e2 instanceof ApiError && (e2.status === 401 || e2.status === 403)) {
          localStorage.removeItem(key(pointId));
          setToken(null);
          return;
        }
      }
      if (!stop) timer = window.setTimeout(poll, wait);
    };
    void poll();
    return () => {
      stop = true;
      if (timer) clearTimeout(timer);
    };
  }, [token, pointId]);

  if (!token)
    return (
      <main id="main" class="page page-phone">
        <h1>{t('display.title')}</h1>
        <form class="card" onSubmit={activate}>
          <label for="setup">{t('display.setup_code')}</label>
          <input id="setup" type="text" autoComplete="off" required value={setup} onInput={(e) => setSetup(e.currentTarget.value)} />
          <button type="submit" class="btn btn-primary">
            {t('display.activate')}
          </button>
        </form>
        <ErrorBox error={err} />
      </main>
    );

  const left = code?.valid_until ? Date.parse(code.valid_until) - now : null;
  return (
    <main id="main" class="page display">
      <h1>{t('display.scan_me')}</h1>
      {code ? (
        <>
          <QrImage text={code.payload} size={560} label={t('display.qr_label')} />
          {left !== null && (
            <p class="countdown" aria-live="off">
              {t('display.changes_in', { left: fmtCountdown(left) })}
            </p>
          )}
        </>
      ) : (
        <p>{t('common.loading')}</p>
      )}
      <ErrorBox error={err} />
    </main>
  );
}
