// Merchant: record a purchase by scanning the visitor's wallet card (consumption stamps).
import { useRef, useState } from 'preact/hooks';
import { api, ApiError, NetworkError, type Coupon } from '../api';
import { t, pick, fmtMoney, fmtTime, parseMop } from '../i18n';
import { Field, Loading, useLoad, describeError } from '../components';
import { Scanner } from '../scanner';
import { uuid } from '../store';

interface Purchase {
  id: string;
  spend_avos: number;
  stamped: boolean;
  created_at: string;
}

interface PurchaseAnswer {
  purchase: Purchase;
  stamps: { count: number; next_reward_at?: number };
  coupons: Coupon[];
}

export function PurchasePage() {
  const [card, setCard] = useState('');
  const [spend, setSpend] = useState('');
  const [camera, setCamera] = useState(true);
  const [seen, setSeen] = useState<{ stamps: { count: number }; stamped_here_today: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<unknown>(null);
  const [done, setDone] = useState<PurchaseAnswer | null>(null);
  const key = useRef<{ k: string; sig: string } | null>(null);
  const spendRef = useRef<HTMLInputElement>(null);
  const [list, , reload] = useLoad(() => api<Purchase[]>('/merchant/purchases', { auth: 'staff' }), []);

  const onScan = async (text: string) => {
    if (busy || text === card) return;
    setCard(text);
    setErr(null);
    setSeen(null);
    spendRef.current?.focus();
    try {
      setSeen(await api('/purchases/preview', { method: 'POST', auth: 'staff', body: { visitor: text } }));
    } catch (e) {
      setErr(e);
    }
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    const spendAvos = parseMop(spend);
    if (!card.trim() || spendAvos === null) {
      setErr(new ApiError(422, 'validation_failed', t('purchase.check_fields')));
      return;
    }
    const sig = `${card.trim()}|${spendAvos}`;
    if (!key.current || key.current.sig !== sig) key.current = { k: uuid(), sig };
    setBusy(true);
    setErr(null);
    try {
      const r = await api<PurchaseAnswer>('/purchases', {
        method: 'POST',
        auth: 'staff',
        body: { visitor: card.trim(), spend_avos: spendAvos, idempotency_key: key.current.k },
      });
      setDone(r);
      key.current = null;
      setCard('');
      setSpend('');
      setSeen(null);
      reload();
    } catch (e2) {
      setErr(e2);
      // A lost answer may have recorded it: the retry keeps the same key.
      if (!(e2 instanceof NetworkError)) key.current = null;
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="page page-phone">
      <h1>{t('purchase.title')}</h1>
      <p class="lead">{t('purchase.lead')}</p>
      <button type="button" class="btn" aria-pressed={camera} onClick={() => setCamera(!camera)}>
        {camera ? t('redeem.camera_off') : t('redeem.camera_on')}
      </button>
      {camera && <Scanner label={t('purchase.camera_label')} onCode={onScan} />}
      <form class="card" onSubmit={submit}>
        <Field id="card" label={t('purchase.card_label')}>
          <input id="card" type="text" autoComplete="off" value={card} onInput={(e) => setCard(e.currentTarget.value)} />
        </Field>
        {seen && (
          <p data-testid="till-stamps" role="status">
            {t('purchase.visitor_stamps', { n: seen.stamps.count })}
            {seen.stamped_here_today ? ` · ${t('purchase.stamped_today')}` : ''}
          </p>
        )}
        <Field id="pspend" label={t('redeem.spend_label')}>
          <input
            id="pspend"
            ref={spendRef}
            type="text"
            inputMode="decimal"
            autoComplete="off"
            placeholder="0.00"
            value={spend}
            onInput={(e) => setSpend(e.currentTarget.value)}
          />
        </Field>
        <button type="submit" class="btn btn-primary btn-big" disabled={busy}>
          {t('purchase.submit')}
        </button>
      </form>
      <div aria-live="polite">
        {busy && <Loading />}
        {err ? (
          <div class="alert alert-error" role="alert" data-testid="purchase-error">
            {describeError(err)}
          </div>
        ) : null}
        {done && (
          <div class="alert alert-ok" role="status" data-testid="purchase-ok">
            <p>
              <strong>{done.purchase.stamped ? t('purchase.stamped') : t('purchase.recorded_no_stamp')}</strong>
            </p>
            <p data-testid="purchase-stamps">{t('purchase.visitor_stamps', { n: done.stamps.count })}</p>
            {done.coupons.map((c) => (
              <p key={c.id}>{t('purchase.earned', { offer: pick(c.offer?.name) })}</p>
            ))}
          </div>
        )}
      </div>
      <section aria-labelledby="plist-h">
        <h2 id="plist-h">{t('purchase.recent')}</h2>
        {(list || []).length === 0 ? (
          <p class="muted">{t('common.none')}</p>
        ) : (
          <div class="table-wrap" tabIndex={0}>
            <table class="compact">
              <thead>
                <tr>
                  <th scope="col">{t('history.time')}</th>
                  <th scope="col" class="num">
                    {t('redeem.spend')}
                  </th>
                  <th scope="col">{t('purchase.stamp')}</th>
                </tr>
              </thead>
              <tbody>
                {(list || []).map((p) => (
                  <tr key={p.id}>
                    <td>{fmtTime(p.created_at)}</td>
                    <td class="num">{fmtMoney(p.spend_avos)}</td>
                    <td>{p.stamped ? '★' : '–'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </main>
  );
}
