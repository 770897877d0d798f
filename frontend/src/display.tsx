// Rotating check-in display: activated once with a setup code, then shows the current QR large.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from './api';
import { t } from './i18n';
import { ErrorBox, QrImage, useNow, fmtCountdown } from './components';

const key = (pointId: string) => `bairro.device.${pointId}`;

export function DisplayPage({ pointId }: { pointId: string }) {
  const [token, setToken] = useState<string | null>(localStorage.getItem(key(pointId)));
  const [setup, setSetup] = useState('');
  const [err, setErr] = useState<unknown>(null);
  const [code, setCode] = useState<{ payload: string; valid_until: string | null } | null>(null);
  const now = useNow(500);

  const activate = async (e: Event) => {
    e.preventDefault();
    try {
      const r = await api<{ device_token: string; point_id: string }>('/devices/activate', { method: 'POST', body: { setup_code: setup.trim() } });
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
    const poll = async () => {
      let wait = 5000;
      try {
        const c = await api<{ payload: string; valid_until: string | null }>(`/points/${pointId}/code`, { auth: { bearer: token } });
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
