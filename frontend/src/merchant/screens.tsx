// Merchant screens: redeem at the till, history, statements, campaigns (enrolment and survey).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, openBlobInTab, ApiError, NetworkError, type Campaign, type Coupon, type I18nName, type Redemption, type RedemptionPreview, type Schemas, type Settlement } from '../api';
import { t, tn, tData, pick, fmtMoney, fmtDateTime, fmtDate, fmtTime, fmtShortDateTime, macauToday, parseMop } from '../i18n';
import { CsvButtons, DateField, ErrorBox, Field, Loading, StatusBadge, useLoad, useNow, fmtCountdown, describeError, Notice } from '../components';
import { Scanner } from '../scanner';
import { uuid, getState } from '../store';
import { offerValue } from '../visitor/common';

interface RedeemAnswer {
  redemption: Redemption;
  discount_avos: number;
  coupon: Coupon;
}

interface HistoryItem extends Redemption {
  coupon_code?: string;
  offer_name?: I18nName;
  day?: string;
}

interface DayTotal {
  day: string;
  count: number;
  discount_avos: number;
  spend_avos: number;
}

interface RedemptionPage {
  items: HistoryItem[];
  total: number;
  page?: number;
  pages?: number;
  days?: DayTotal[];
  per_page?: number;
  today_count?: number;
  today_discount_avos?: number;
}

type MerchantMe = Schemas['MerchantMe'];

const VOID_WINDOW_MS = 10 * 60 * 1000;

/** The coupon's 16-character code in groups of four, read from the scanned QR text (`B1:C:kid:CODE:sig`). */
export function friendlyCode(text: string): string {
  const parts = text.trim().split(':');
  const code = parts.length === 5 && parts[0] === 'B1' && parts[1] === 'C' ? parts[3] : null;
  if (!code) return text;
  return code.match(/.{1,4}/g)?.join('-') || code;
}

export function RedeemPage() {
  const [coupon, setCoupon] = useState('');
  const [spend, setSpend] = useState('');
  const [camera, setCamera] = useState(true);
  // After a read the camera rests until this sale is done (or dropped), so it cannot refill the field.
  const [paused, setPaused] = useState(false);
  const [busy, setBusy] = useState<'' | 'preview' | 'confirm'>('');
  const [err, setErr] = useState<unknown>(null);
  const [preview, setPreview] = useState<{ p: RedemptionPreview; sig: string } | null>(null);
  const [done, setDone] = useState<RedeemAnswer | null>(null);
  const [voided, setVoided] = useState<string | null>(null);
  const [voidErr, setVoidErr] = useState<unknown>(null);
  const key = useRef<{ k: string; sig: string } | null>(null);
  // The scanned QR text behind the friendly code shown in the field (sent as scanned: it is signed).
  const scanned = useRef<{ shown: string; text: string } | null>(null);
  // The QR just redeemed: the camera may still see it and must not offer it again.
  const lastDone = useRef<string | null>(null);
  const spendRef = useRef<HTMLInputElement>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const [today, , reloadToday] = useLoad(
    () => api<RedemptionPage>(`/merchant/redemptions?from=${macauToday()}&to=${macauToday()}`, { auth: 'staff' }),
    [],
  );
  const now = useNow(1000);

  const spendAvos = parseMop(spend);
  const couponText = () => (scanned.current && scanned.current.shown === coupon ? scanned.current.text : coupon.trim());
  const sig = `${coupon.trim()}|${spendAvos}`;
  // A preview only stands for the coupon and amount it was made for.
  const shown = preview && preview.sig === sig ? preview.p : null;

  useEffect(() => {
    if (shown) confirmRef.current?.focus();
  }, [shown]);

  /** A new coupon: the last sale's result, any error and preview make way for it. */
  const startNew = () => {
    setDone(null);
    setVoided(null);
    setVoidErr(null);
    setErr(null);
    setPreview(null);
    key.current = null;
  };

  const onScan = (text: string) => {
    if (busy || paused || text === lastDone.current) return;
    const shownCode = friendlyCode(text);
    if (shownCode === coupon) return;
    startNew();
    scanned.current = { shown: shownCode, text };
    setCoupon(shownCode);
    setPaused(true);
    spendRef.current?.focus();
  };

  /** Drop the coupon in the field (the customer changed their mind) and scan again. */
  const clearSale = () => {
    startNew();
    scanned.current = null;
    setCoupon('');
    setSpend('');
    setPaused(false);
  };

  /** Step 1: ask the server what the coupon gives for this spend; nothing is redeemed. */
  const check = async (e: Event) => {
    e.preventDefault();
    if (!coupon.trim() || spendAvos === null) {
      setErr(new ApiError(422, 'validation_failed', t('redeem.check_fields')));
      setPreview(null);
      return;
    }
    setBusy('preview');
    setErr(null);
    setPreview(null);
    setDone(null);
    setVoided(null);
    setVoidErr(null);
    try {
      const p = await api<RedemptionPreview>('/redemptions/preview', {
        method: 'POST',
        auth: 'staff',
        body: { coupon: couponText(), spend_avos: spendAvos },
      });
      setPreview({ p, sig });
    } catch (e2) {
      setErr(e2);
    } finally {
      setBusy('');
    }
  };

  /** Step 2: redeem. One idempotency key per attempt, reused when retrying the same coupon and spend. */
  const confirmRedeem = async () => {
    if (!shown || spendAvos === null) return;
    if (!key.current || key.current.sig !== sig) key.current = { k: uuid(), sig };
    setBusy('confirm');
    setErr(null);
    try {
      const r = await api<RedeemAnswer>('/redemptions', {
        method: 'POST',
        auth: 'staff',
        body: { coupon: couponText(), spend_avos: spendAvos, idempotency_key: key.current.k },
      });
      lastDone.current = scanned.current?.text ?? null;
      scanned.current = null;
      setPaused(false);
      setDone(r);
      setVoided(null);
      setVoidErr(null);
      setPreview(null);
      key.current = null;
      setCoupon('');
      setSpend('');
      reloadToday();
    } catch (e2) {
      setErr(e2);
      // A lost answer may have redeemed: keep the key (and the preview) so the retry is the same attempt.
      if (!(e2 instanceof NetworkError)) {
        key.current = null;
        setPreview(null);
      }
    } finally {
      setBusy('');
    }
  };

  const undo = async () => {
    if (!done) return;
    try {
      await api(`/redemptions/${done.redemption.id}/void`, { method: 'POST', auth: 'staff' });
      setVoided(done.redemption.id);
      reloadToday();
    } catch (e2) {
      setVoidErr(e2);
    }
  };

  const doneSpend = done ? done.redemption.spend_avos : 0;
  const left = done ? (done.redemption.void_until ? Date.parse(done.redemption.void_until) : Date.parse(done.redemption.created_at) + VOID_WINDOW_MS) - now : 0;

  return (
    <main id="main" class="page page-phone">
      <h1>{t('redeem.title')}</h1>
      <section class="card today" aria-labelledby="today-h">
        <h2 id="today-h">{t('redeem.today')}</h2>
        <p class="kpis">
          <span>
            <strong data-testid="today-count">{today?.today_count ?? today?.total ?? 0}</strong> {t('redeem.today_count')}
          </span>
          <span>
            <strong>{fmtMoney(today?.today_discount_avos ?? 0)}</strong> {t('redeem.today_discount')}
          </span>
        </p>
      </section>

      <button type="button" class="btn" aria-pressed={camera} onClick={() => setCamera(!camera)}>
        {camera ? t('redeem.camera_off') : t('redeem.camera_on')}
      </button>
      {camera && !paused && <Scanner label={t('redeem.camera_label')} onCode={onScan} />}
      {camera && paused && (
        <p class="camera-paused" data-testid="camera-paused">
          {t('redeem.camera_paused')}{' '}
          <button type="button" class="btn btn-small" onClick={clearSale}>
            {t('redeem.scan_another')}
          </button>
        </p>
      )}

      <form class="card" onSubmit={check}>
        <Field id="coupon" label={t('redeem.coupon_label')} hint={t('redeem.coupon_hint')}>
          <input
            id="coupon"
            type="text"
            autoComplete="off"
            autoCapitalize="characters"
            aria-describedby="coupon-hint"
            value={coupon}
            onInput={(e) => {
              const v = e.currentTarget.value;
              // A scanner gun types the QR text: show its code instead.
              const f = friendlyCode(v);
              if (f !== v) scanned.current = { shown: f, text: v.trim() };
              if (v !== coupon) startNew();
              setCoupon(f);
            }}
          />
        </Field>
        <Field id="spend" label={t('redeem.spend_label')}>
          <input
            id="spend"
            ref={spendRef}
            type="text"
            inputMode="decimal"
            autoComplete="off"
            placeholder="0.00"
            value={spend}
            onInput={(e) => setSpend(e.currentTarget.value)}
          />
        </Field>
        <button type="submit" class={shown ? 'btn btn-big' : 'btn btn-primary btn-big'} disabled={!!busy}>
          {t('redeem.check')}
        </button>
      </form>
      <div aria-live="polite">
        {busy && <Loading />}
        {err ? (
          <div class="alert alert-error" role="alert" data-testid="redeem-error">
            {describeError(err)}
          </div>
        ) : null}
        {shown && (
          <section class="card preview" aria-labelledby="preview-h" data-testid="redeem-preview">
            <h2 id="preview-h">{t('redeem.preview_title')}</h2>
            {typeof shown.coupon === 'object' && shown.coupon?.offer && (
              <p>
                {pick(shown.coupon.offer.name)} {offerValue(shown.coupon.offer)}
              </p>
            )}
            <p class="preview-line" data-testid="preview-line">
              {t('redeem.preview_line', { discount: fmtMoney(shown.discount_avos), pay: fmtMoney(shown.to_pay_avos) })}
            </p>
            <dl class="sums">
              <dt>{t('redeem.spend')}</dt>
              <dd>{fmtMoney(shown.spend_avos)}</dd>
              <dt>{t('redeem.discount')}</dt>
              <dd data-testid="preview-discount">{fmtMoney(shown.discount_avos)}</dd>
              <dt>{t('redeem.to_pay')}</dt>
              <dd>
                <strong data-testid="preview-to-pay">{fmtMoney(shown.to_pay_avos)}</strong>
              </dd>
            </dl>
            {shown.capped && shown.max_discount_avos ? (
              <p class="alert alert-warn" data-testid="preview-capped">
                {t('redeem.capped', { cap: fmtMoney(shown.max_discount_avos) })}
              </p>
            ) : null}
            <p class="muted">
              {shown.min_spend_avos ? `${t('redeem.min_spend_note', { min: fmtMoney(shown.min_spend_avos) })} ` : ''}
              {shown.expires_at ? t('redeem.expires_note', { when: fmtDateTime(shown.expires_at) }) : ''}
            </p>
            <p class="muted">{t('redeem.preview_hint')}</p>
            <div class="row">
              <button ref={confirmRef} type="button" class="btn btn-primary btn-big" disabled={!!busy} onClick={confirmRedeem}>
                {t('redeem.submit')}
              </button>
              <button
                type="button"
                class="btn"
                disabled={!!busy}
                onClick={clearSale}
              >
                {t('redeem.cancel')}
              </button>
            </div>
          </section>
        )}
        {done && (
          <div class={voided ? 'alert alert-warn' : 'alert alert-ok'} role="status" data-testid="redeem-ok">
            {voided ? (
              <p>
                <strong>{t('redeem.voided')}</strong>
              </p>
            ) : (
              <p>
                <strong>{t('redeem.success')}</strong>
              </p>
            )}
            <p>
              {pick(done.coupon?.offer?.name)} {offerValue(done.coupon?.offer)}
            </p>
            <dl class="sums">
              <dt>{t('redeem.spend')}</dt>
              <dd>{fmtMoney(doneSpend)}</dd>
              <dt>{t('redeem.discount')}</dt>
              <dd data-testid="discount">{fmtMoney(done.discount_avos)}</dd>
              <dt>{t('redeem.to_pay')}</dt>
              <dd>
                <strong>{fmtMoney(Math.max(0, doneSpend - done.discount_avos))}</strong>
              </dd>
            </dl>
            {!voided && left > 0 && (
              <button type="button" class="btn" onClick={undo}>
                {t('redeem.undo', { left: fmtCountdown(left) })}
              </button>
            )}
            <ErrorBox error={voidErr} />
          </div>
        )}
      </div>

      <section aria-labelledby="todaylist-h">
        <h2 id="todaylist-h">{t('redeem.today_list')}</h2>
        <RedemptionTable items={today?.items || []} timeOnly />
      </section>
    </main>
  );
}

function RedemptionTable({ items, timeOnly }: { items: Redemption[]; timeOnly?: boolean }) {
  if (!items.length) return <p class="muted">{t('common.none')}</p>;
  return (
    <div class="table-wrap" tabIndex={0}>
      <table class="compact">
        <thead>
          <tr>
            <th scope="col">{t('history.time')}</th>
            <th scope="col" class="num">
              {t('redeem.spend')}
            </th>
            <th scope="col" class="num">
              {t('redeem.discount')}
            </th>
            <th scope="col">{t('history.status')}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((r) => (
            <tr key={r.id}>
              <td>{timeOnly ? fmtTime(r.created_at) : fmtShortDateTime(r.created_at)}</td>
              <td class="num">{fmtMoney(r.spend_avos)}</td>
              <td class="num">{fmtMoney(r.discount_avos)}</td>
              <td>
                <StatusBadge status={r.status || 'done'} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The history: one group per Macau day (newest first), each headed by the day's totals. */
function HistoryTable({ items, days }: { items: HistoryItem[]; days: DayTotal[] }) {
  if (!items.length) return <p class="muted">{t('common.none')}</p>;
  const totals = new Map(days.map((d) => [d.day, d]));
  const groups: { day: string; rows: HistoryItem[] }[] = [];
  for (const r of items) {
    const day = r.day || r.created_at.slice(0, 10);
    const last = groups[groups.length - 1];
    if (last && last.day === day) last.rows.push(r);
    else groups.push({ day, rows: [r] });
  }
  return (
    <div class="table-wrap" tabIndex={0}>
      <table class="compact history" data-testid="history-table">
        <thead>
          <tr>
            <th scope="col">{t('history.time')}</th>
            <th scope="col">{t('history.coupon')}</th>
            <th scope="col">{t('history.offer')}</th>
            <th scope="col" class="num">
              {t('redeem.spend')}
            </th>
            <th scope="col" class="num">
              {t('redeem.discount')}
            </th>
            <th scope="col">{t('history.status')}</th>
          </tr>
        </thead>
        {groups.map((g) => {
          const tot = totals.get(g.day);
          return (
            <tbody key={g.day}>
              <tr class="day-row" data-testid="history-day">
                <th scope="rowgroup" colSpan={3}>
                  {fmtDate(g.day)}
                </th>
                <td colSpan={3} class="num">
                  {tot ? t('history.day_total', { n: tot.count, spend: fmtMoney(tot.spend_avos), discount: fmtMoney(tot.discount_avos) }) : ''}
                </td>
              </tr>
              {g.rows.map((r) => (
                <tr key={r.id} data-testid="history-row">
                  <td>{fmtTime(r.created_at)}</td>
                  <td class="code">{r.coupon_code || '—'}</td>
                  <td>{r.offer_name ? pick(r.offer_name) : '—'}</td>
                  <td class="num">{fmtMoney(r.spend_avos)}</td>
                  <td class="num">{fmtMoney(r.discount_avos)}</td>
                  <td>
                    <StatusBadge status={r.status || 'done'} />
                  </td>
                </tr>
              ))}
            </tbody>
          );
        })}
      </table>
    </div>
  );
}

function useMyCampaigns() {
  return useLoad(async () => {
    const [me, all] = await Promise.all([
      api<MerchantMe>('/merchant/me', { auth: 'staff' }).catch(() => null),
      api<Campaign[]>('/campaigns', { auth: 'staff' }),
    ]);
    return { me, all: all || [] };
  }, []);
}

export function HistoryPage() {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState(macauToday());
  const [campaign, setCampaign] = useState('');
  const [page, setPage] = useState(1);
  const [q, setQ] = useState({ from, to, campaign, page });
  const [data, err, , loading] = useLoad(() => {
    // The page shown counts from 1; the API counts from 0.
    const p = new URLSearchParams({ page: String(q.page - 1) });
    if (q.from) p.set('from', q.from);
    if (q.to) p.set('to', q.to);
    if (q.campaign) p.set('campaign', q.campaign);
    return api<RedemptionPage>(`/merchant/redemptions?${p}`, { auth: 'staff' });
  }, [q.from, q.to, q.campaign, q.page]);
  const [mc] = useMyCampaigns();
  const [dlErr, setDlErr] = useState<unknown>(null);
  const campaigns = mc?.all || [];
  const qs = () => {
    const p = new URLSearchParams();
    if (q.from) p.set('from', q.from);
    if (q.to) p.set('to', q.to);
    if (q.campaign) p.set('campaign', q.campaign);
    return p.toString();
  };
  const pageSize = data?.per_page || 50;
  return (
    <main id="main" class="page page-phone">
      <h1>{t('history.title')}</h1>
      <form
        class="card filters"
        onSubmit={(e) => {
          e.preventDefault();
          setPage(1);
          setQ({ from, to, campaign, page: 1 });
        }}
      >
        <Field id="h-from" label={t('common.from')}>
          <DateField id="h-from" value={from} onChange={setFrom} />
        </Field>
        <Field id="h-to" label={t('common.to')}>
          <DateField id="h-to" value={to} onChange={setTo} />
        </Field>
        <Field id="h-campaign" label={t('history.campaign')}>
          <select id="h-campaign" value={campaign} onChange={(e) => setCampaign(e.currentTarget.value)}>
            <option value="">{t('history.all_campaigns')}</option>
            {campaigns.map((c) => (
              <option key={c.id} value={c.id}>
                {pick(c.name)}
              </option>
            ))}
          </select>
        </Field>
        <div class="row">
          <button type="submit" class="btn btn-primary">
            {t('common.apply')}
          </button>
          {getState().staff?.merchant_role !== 'cashier' && (
            <CsvButtons path={`/merchant/redemptions.csv?${qs()}`} filename={`redemptions-${q.from || 'all'}-${q.to || macauToday()}.csv`} onError={setDlErr} />
          )}
        </div>
      </form>
      <ErrorBox error={err || dlErr} />
      {loading && <Loading />}
      {data && (
        <>
          <p>{tn('history.total', data.total)}</p>
          <HistoryTable items={data.items} days={data.days || []} />
          <div class="row pager">
            <button type="button" class="btn" disabled={q.page <= 1} onClick={() => setQ({ ...q, page: q.page - 1 })}>
              {t('common.prev')}
            </button>
            <span data-testid="history-page">{t('history.page_of', { n: q.page, pages: Math.max(1, data.pages ?? Math.ceil(data.total / pageSize)) })}</span>
            <button
              type="button"
              class="btn"
              disabled={q.page * pageSize >= data.total}
              onClick={() => setQ({ ...q, page: q.page + 1 })}
            >
              {t('common.next')}
            </button>
          </div>
        </>
      )}
    </main>
  );
}

export function MerchantSettlementsPage() {
  const [list, err, , loading] = useLoad(() => api<Settlement[]>('/merchant/settlements', { auth: 'staff' }), []);
  return (
    <main id="main" class="page page-phone">
      <h1>{t('settlement.title')}</h1>
      <p class="lead">{t('settlement.merchant_lead')}</p>
      {loading && <Loading />}
      <ErrorBox error={err} />
      {list && list.length === 0 && <p>{t('common.none')}</p>}
      <ul class="cards">
        {(list || []).map((s) => (
          <li key={s.id} class="card">
            <h2>
              {fmtDate(s.period_from)} – {fmtDate(s.period_to)}
            </h2>
            <p class="big-number">{fmtMoney(s.amount_avos)}</p>
            <p>{tn('settlement.redemptions', s.redemptions)}</p>
            <StatusBadge status={s.status} />
            {s.paid_at && <p class="muted">{t('settlement.paid_at', { when: fmtDateTime(s.paid_at) })}</p>}
            <p>
              <button type="button" class="btn btn-small" onClick={() => openBlobInTab(`/settlements/${s.id}/print`).catch(() => {})}>
                {t('settlement.print')}
              </button>
            </p>
          </li>
        ))}
      </ul>
    </main>
  );
}

export function MerchantCampaignsPage() {
  const [mc, err, reload, loading] = useMyCampaigns();
  const [msg, setMsg] = useState<{ id: string; text: string; ok: boolean } | null>(null);
  const [surveyFor, setSurveyFor] = useState<string | null>(null);
  const enrolByCampaign = new Map((mc?.me?.enrolments || []).map((e) => [e.campaign_id, e]));
  const apply = async (c: Campaign) => {
    try {
      await api(`/campaigns/${c.id}/enrolments`, { method: 'POST', auth: 'staff', body: {} });
      setMsg({ id: c.id, ok: true, text: t('enrol.applied') });
      reload();
    } catch (e) {
      setMsg({ id: c.id, ok: false, text: describeError(e) });
    }
  };
  const shown = (mc?.all || []).filter((c) => c.status !== 'draft');
  return (
    <main id="main" class="page page-phone">
      <h1>{t('mcampaigns.title')}</h1>
      {mc?.me?.merchant && (
        <p class="lead">
          {pick(mc.me.merchant.name)} · {tData("category", mc.me.merchant.category)}
        </p>
      )}
      {loading && <Loading />}
      <ErrorBox error={err} />
      <ul class="cards">
        {shown.map((c) => {
          const e = enrolByCampaign.get(c.id);
          return (
            <li key={c.id} class="card">
              <h2>{pick(c.name)}</h2>
              <p class="muted">
                {c.district} · {fmtDate(c.starts_at)} – {fmtDate(c.ends_at)} <StatusBadge status={c.status} />
              </p>
              {e ? (
                <p>
                  {t('enrol.status')}: <StatusBadge status={e.status} />
                  {e.reason ? <span class="muted"> — {e.reason}</span> : null}
                </p>
              ) : (
                c.status === 'published' && (
                  <button type="button" class="btn btn-primary" onClick={() => apply(c)}>
                    {t('enrol.apply')}
                  </button>
                )
              )}
              {e?.status === 'approved' && (
                <button type="button" class="btn" onClick={() => setSurveyFor(surveyFor === c.id ? null : c.id)} aria-expanded={surveyFor === c.id}>
                  {t('survey.open')}
                </button>
              )}
              {msg?.id === c.id && <p class={msg.ok ? 'alert alert-ok' : 'alert alert-error'} role="status">{msg.text}</p>}
              {surveyFor === c.id && <SurveyForm campaign={c} />}
            </li>
          );
        })}
      </ul>
      {!loading && shown.length === 0 && <p>{t('visitor.no_campaigns')}</p>}
    </main>
  );
}

function SurveyForm({ campaign }: { campaign: Campaign }) {
  const [yes, setYes] = useState<'' | 'yes' | 'no'>('');
  const [pct, setPct] = useState('');
  const [comment, setComment] = useState('');
  const [err, setErr] = useState<unknown>(null);
  const [ok, setOk] = useState(false);
  useEffect(() => setOk(false), [campaign.id]);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!yes) {
      setErr(new ApiError(422, 'validation_failed'));
      return;
    }
    const body: Record<string, unknown> = { came_because_of_campaign: yes === 'yes' };
    if (pct.trim()) body.estimate_pct = Math.round(Math.max(0, Math.min(100, Number(pct))));
    if (comment.trim()) body.comment = comment.trim();
    try {
      await api(`/campaigns/${campaign.id}/survey`, { method: 'POST', auth: 'staff', body });
      setOk(true);
      setErr(null);
    } catch (e2) {
      setErr(e2);
    }
  };
  if (ok) return <Notice kind="ok">{t('survey.thanks')}</Notice>;
  return (
    <form class="survey" onSubmit={submit}>
      <fieldset class="choices">
        <legend>{t('survey.question')}</legend>
        <div class="choice-row">
          <label class="choice" for={`came-yes-${campaign.id}`}>
            <input id={`came-yes-${campaign.id}`} type="radio" name={`came-${campaign.id}`} value="yes" checked={yes === 'yes'} onChange={() => setYes('yes')} />
            <span>{t('common.yes')}</span>
          </label>
          <label class="choice" for={`came-no-${campaign.id}`}>
            <input id={`came-no-${campaign.id}`} type="radio" name={`came-${campaign.id}`} value="no" checked={yes === 'no'} onChange={() => setYes('no')} />
            <span>{t('common.no')}</span>
          </label>
        </div>
      </fieldset>
      <Field id={`pct-${campaign.id}`} label={t('survey.estimate')}>
        <input id={`pct-${campaign.id}`} type="number" min="0" max="100" value={pct} onInput={(e) => setPct(e.currentTarget.value)} />
      </Field>
      <Field id={`comment-${campaign.id}`} label={t('survey.comment')}>
        <textarea id={`comment-${campaign.id}`} rows={3} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
      </Field>
      <ErrorBox error={err} />
      <button type="submit" class="btn btn-primary">
        {t('survey.submit')}
      </button>
    </form>
  );
}

type StaffUser = Schemas['MerchantLogin'];

/** The owner's list of logins: add a cashier for the till, disable one that left. */
export function MerchantStaffPage() {
  const [list, err, reload, loading] = useLoad(() => api<StaffUser[]>('/merchant/users', { auth: 'staff' }), []);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [fErr, setFErr] = useState<unknown>(null);
  const add = async (e: Event) => {
    e.preventDefault();
    try {
      await api('/merchant/users', { method: 'POST', auth: 'staff', body: { username: username.trim(), password } });
      setUsername('');
      setPassword('');
      setFErr(null);
      reload();
    } catch (e2) {
      setFErr(e2);
    }
  };
  const disable = async (u: StaffUser) => {
    try {
      await api(`/merchant/users/${u.id}/disable`, { method: 'POST', auth: 'staff' });
      setFErr(null);
      reload();
    } catch (e2) {
      setFErr(e2);
    }
  };
  return (
    <main id="main" class="page page-phone">
      <h1>{t('staff.title')}</h1>
      <p class="lead">{t('staff.lead')}</p>
      {loading && <Loading />}
      <ErrorBox error={err || fErr} />
      <ul class="list">
        {(list || []).map((u) => (
          <li key={u.id} class="list-row">
            <span>
              <strong>{u.username}</strong> <span class="tag">{t(u.role === 'owner' ? 'staff.owner' : 'staff.cashier')}</span>
              {!u.active && <span class="badge badge-void">{t('staff.disabled')}</span>}
            </span>
            {u.active && u.role !== 'owner' && (
              <button type="button" class="btn btn-small btn-danger" onClick={() => disable(u)}>
                {t('staff.disable')}
              </button>
            )}
          </li>
        ))}
      </ul>
      <form class="card" onSubmit={add}>
        <h2>{t('staff.add')}</h2>
        <Field id="st-user" label={t('login.username')}>
          <input id="st-user" type="text" autoComplete="off" required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        </Field>
        <Field id="st-pass" label={t('login.password')} hint={t('merchant.password_hint')}>
          <input
            id="st-pass"
            type="password"
            autoComplete="new-password"
            required
            minLength={8}
            aria-describedby="st-pass-hint"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </Field>
        <button type="submit" class="btn btn-primary">
          {t('staff.add')}
        </button>
      </form>
    </main>
  );
}
