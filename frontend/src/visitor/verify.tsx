// One person, one wallet: the visitor confirms a phone number or e-mail with a 6-digit code,
// asked for at the moment it matters (before the first e-cash coupon), and the wallet's state.
import { useEffect, useState } from 'preact/hooks';
import { api, ensureVisitor, type Coupon, type VerificationStatus } from '../api';
import { t, tn } from '../i18n';
import { setVisitor } from '../store';
import { describeError, Notice } from '../components';
import { mergeWallet, saveWallet } from '../offline';

type Channel = 'sms' | 'email';

interface Confirmed {
  visitor_id: string;
  token: string;
  verified: boolean;
  joined: boolean;
  coupons: Coupon[];
}

let cached: VerificationStatus | null = null;

/** The visitor's verification state (remembered for this page's life once verified). */
export async function verificationStatus(): Promise<VerificationStatus> {
  if (cached?.verified) return cached;
  await ensureVisitor();
  cached = await api<VerificationStatus>('/visitors/verification', { auth: 'visitor' });
  return cached;
}

export function useVerification(): [VerificationStatus | null, () => void] {
  const [st, setSt] = useState<VerificationStatus | null>(cached);
  const [n, setN] = useState(0);
  useEffect(() => {
    verificationStatus()
      .then(setSt)
      .catch(() => {});
  }, [n]);
  return [st, () => setN(n + 1)];
}

/**
 * Asks for a phone number or e-mail, sends the code, and confirms it. On success the device holds
 * the token of the address's wallet (a new phone joins the wallet it already had).
 */
export function VerifyPanel({ reason, onDone }: { reason?: string; onDone?: (r: Confirmed) => void }) {
  const [st] = useVerification();
  const channels = st?.channels ?? [];
  const [channel, setChannel] = useState<Channel>('sms');
  const [address, setAddress] = useState('');
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<string | null>(null);
  const [done, setDone] = useState<Confirmed | null>(null);
  const ch: Channel = channels.includes(channel) ? channel : (channels[0] ?? 'sms');

  if (st && channels.length === 0) return <Notice kind="warn">{t('verify.unavailable')}</Notice>;

  const send = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErr(null);
    try {
      const r = await api<{ sent_to: string }>('/visitors/verification', { method: 'POST', auth: 'visitor', body: { channel: ch, address } });
      setSentTo(r.sent_to);
      setCode('');
    } catch (e2) {
      setErr(describeError(e2));
    } finally {
      setBusy(false);
    }
  };

  const confirm = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErr(null);
    try {
      const r = await api<Confirmed>('/visitors/verification/confirm', { method: 'POST', auth: 'visitor', body: { address, code } });
      setVisitor({ visitor_id: r.visitor_id, token: r.token });
      cached = null;
      if (r.joined) {
        // The wallet this phone joined: show its coupons, not the old anonymous ones.
        const list = await api<Coupon[]>('/me/coupons', { auth: 'visitor' }).catch(() => null);
        if (list) saveWallet(list);
      } else if (r.coupons?.length) {
        mergeWallet(r.coupons);
      }
      setDone(r);
      onDone?.(r);
    } catch (e2) {
      setErr(describeError(e2));
    } finally {
      setBusy(false);
    }
  };

  if (done)
    return (
      <div class="card verify" data-testid="verify-done">
        <Notice kind="ok">
          {t('verify.done', { to: sentTo ?? '' })}
          {done.joined ? ` ${t('verify.joined')}` : ''}
          {done.coupons.length > 0 ? ` ${tn('verify.coupons_arrived', done.coupons.length)}` : ''}
        </Notice>
      </div>
    );

  return (
    <section class="card verify" aria-labelledby="verify-h">
      <h2 id="verify-h">{t('verify.title')}</h2>
      <p>{reason ?? t('verify.why')}</p>
      {!sentTo ? (
        <form onSubmit={send} class="form-grid">
          {channels.length > 1 && (
            <fieldset class="checks">
              <legend>{t('verify.channel_label')}</legend>
              {channels.map((c) => (
                <label key={c}>
                  <input type="radio" name="verify-channel" value={c} checked={ch === c} onChange={() => setChannel(c)} /> {t(`verify.channel_${c}`)}
                </label>
              ))}
            </fieldset>
          )}
          {ch === 'sms' ? (
            <div class="field">
              <label for="verify-address">{t('verify.phone_label')}</label>
              <input id="verify-address" type="tel" autocomplete="tel" inputMode="tel" required value={address} onInput={(e) => setAddress(e.currentTarget.value)} aria-describedby="verify-address-hint" />
              <small id="verify-address-hint" class="hint">
                {t('verify.phone_hint')}
              </small>
            </div>
          ) : (
            <div class="field">
              <label for="verify-address">{t('verify.email_label')}</label>
              <input id="verify-address" type="email" autocomplete="email" inputMode="email" required value={address} onInput={(e) => setAddress(e.currentTarget.value)} />
            </div>
          )}
          {err && (
            <p class="alert alert-error" role="alert">
              {err}
            </p>
          )}
          <button type="submit" class="btn btn-primary" disabled={busy || !address.trim()}>
            {t('verify.send')}
          </button>
        </form>
      ) : (
        <form onSubmit={confirm} class="form-grid">
          <p role="status">{t('verify.sent', { to: sentTo })}</p>
          <div class="field">
            <label for="verify-code">{t('verify.code_label')}</label>
            <input
              id="verify-code"
              class="code-input"
              type="text"
              autocomplete="one-time-code"
              inputMode="numeric"
              pattern="[0-9]{6}"
              maxLength={6}
              required
              value={code}
              onInput={(e) => setCode(e.currentTarget.value.replace(/\D/g, '').slice(0, 6))}
            />
          </div>
          {err && (
            <p class="alert alert-error" role="alert">
              {err}
            </p>
          )}
          <div class="row">
            <button type="submit" class="btn btn-primary" disabled={busy || code.length !== 6}>
              {t('verify.confirm')}
            </button>
            <button type="button" class="btn" onClick={() => setSentTo(null)}>
              {t('verify.change')}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

/** The wallet's line: verified (with the address's last digits), or the way to verify. */
export function VerifiedState({ onVerified, reason }: { onVerified?: () => void; reason?: string }) {
  const [st, reload] = useVerification();
  const [open, setOpen] = useState(false);
  if (!st) return null;
  if (st.verified)
    return (
      <p class="verified" data-testid="verified">
        <span class="tag tag-ok">✓ {t('verify.verified')}</span> {st.addresses.map((a) => a.hint).join(' · ')}
      </p>
    );
  if (st.channels.length === 0) return null;
  return (
    <div class="verify-prompt">
      <p class="muted">{reason ?? t('verify.wallet_unverified')}</p>
      {open ? (
        <VerifyPanel
          onDone={() => {
            reload();
            onVerified?.();
          }}
        />
      ) : (
        <button type="button" class="btn" onClick={() => setOpen(true)}>
          {t('verify.start')}
        </button>
      )}
    </div>
  );
}
