// Official: fraud signals of a campaign — patterns worth a look before approving a settlement.
import { useEffect, useState } from 'preact/hooks';
import { api, type Campaign, type Signal, type SignalsAnswer } from '../api';
import { t, tn, tData, pick, fmtDate, fmtDateTime, macauToday, rfc3339ToLocalInput } from '../i18n';
import { ErrorBox, Loading, useLoad } from '../components';
import { useAppState } from '../store';
import { CampaignTabs, DateRangeForm } from './common';
import { SignalActions } from './operations';

const KINDS = ['exact_minimum_spend', 'till_burst', 'merchant_hopping', 'visitors_from_one_device', 'refused_scans'];
const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** The Macau calendar day of an RFC 3339 time. */
const macauDay = (iso: string) => rfc3339ToLocalInput(iso).slice(0, 10);

export function SignalsPage({ id }: { id: string }) {
  useAppState();
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [q, setQ] = useState({ from: '', to: '' });
  const [c] = useLoad(() => api<Campaign>(`/campaigns/${id}`, { auth: 'staff' }), [id]);
  const [s, err, reload, loading] = useLoad(() => {
    const p = new URLSearchParams();
    if (q.from) p.set('from', q.from);
    if (q.to) p.set('to', q.to);
    const qs = p.toString();
    return api<SignalsAnswer>(`/campaigns/${id}/signals${qs ? `?${qs}` : ''}`, { auth: 'staff' });
  }, [id, q.from, q.to]);
  useEffect(() => {
    // Show the period the server used (the last 7 days unless asked otherwise).
    if (s && DAY.test(s.from) && !from) setFrom(s.from);
    if (s && DAY.test(s.to) && !to) setTo(s.to);
  }, [s]);
  const merchants = new Map((c?.merchants || []).map((m) => [m.id, pick(m.name)]));
  const signals = s?.signals || [];
  const order = (k: string) => (KINDS.indexOf(k) < 0 ? KINDS.length : KINDS.indexOf(k));
  const sorted = [...signals].sort((a, b) => order(a.kind) - order(b.kind));

  return (
    <main id="main" class="page page-wide">
      <p>
        <a href="#/official/campaigns">← {t('nav.campaigns')}</a>
      </p>
      <h1>
        {t('signals.title')}
        {c ? ` — ${pick(c.name)}` : ''}
      </h1>
      <CampaignTabs id={id} current="signals" />
      <p class="lead">{t('signals.lead')}</p>
      <DateRangeForm idPrefix="sg" from={from} to={to} setFrom={setFrom} setTo={setTo} onApply={() => setQ({ from, to })}>
        {c && (
          <button
            type="button"
            class="btn"
            onClick={() => {
              const f = macauDay(c.starts_at);
              const end = macauDay(c.ends_at) < macauToday() ? macauDay(c.ends_at) : macauToday();
              const tt = end < f ? f : end;
              setFrom(f);
              setTo(tt);
              setQ({ from: f, to: tt });
            }}
          >
            {t('signals.whole_campaign')}
          </button>
        )}
        <button type="button" class="btn" onClick={reload}>
          {t('common.refresh')}
        </button>
      </DateRangeForm>
      {loading && <Loading />}
      <ErrorBox error={err} />
      {s && !loading && (
        <p role="status" data-testid="signals-summary">
          {signals.length
            ? tn('signals.found', signals.length, { from: fmtDate(s.from), to: fmtDate(s.to) })
            : null}
        </p>
      )}
      {s && !loading && signals.length === 0 && (
        <div class="empty-state" data-testid="signals-none">
          <p class="empty-title">{t('signals.none_title')}</p>
          <p>{t('signals.none', { from: fmtDate(s.from), to: fmtDate(s.to) })}</p>
        </div>
      )}
      {s && (
        <ul class="cards signal-list">
          {sorted.map((sg, i) => (
            <SignalCard key={`${sg.kind}-${i}`} sg={sg} idx={i} merchants={merchants} reload={reload} />
          ))}
        </ul>
      )}
    </main>
  );
}

function MerchantRef({ id, merchants }: { id: string; merchants: Map<string, string> }) {
  const name = merchants.get(id);
  return name ? (
    <a href={`#/official/merchants?m=${encodeURIComponent(id)}`}>{name}</a>
  ) : (
    <code class="id">{id}</code>
  );
}

/** The translated sentence for a signal, built from its evidence rather than the server's English text. */
function sentence(sg: Signal): string {
  const ev = sg.evidence || {};
  const nRed = ev.redemption_ids?.length ?? 0;
  switch (sg.kind) {
    case 'exact_minimum_spend':
      return tn('signals.say.exact_minimum_spend', nRed);
    case 'till_burst':
      return ev.from
        ? tn('signals.say.till_burst_at', nRed, { when: fmtDateTime(ev.from) })
        : tn('signals.say.till_burst', nRed);
    case 'merchant_hopping':
      return tn('signals.say.merchant_hopping', ev.merchant_ids?.length ?? 0, { redemptions: nRed });
    case 'visitors_from_one_device':
      return tn('signals.say.visitors_from_one_device', ev.visitor_ids?.length ?? 0);
    case 'refused_scans':
      return tn('signals.say.refused_scans', ev.refusals?.length ?? 0);
    default:
      return sg.detail;
  }
}

function explanation(kind: string): string {
  switch (kind) {
    case 'exact_minimum_spend':
      return t('signals.why.exact_minimum_spend');
    case 'till_burst':
      return t('signals.why.till_burst');
    case 'merchant_hopping':
      return t('signals.why.merchant_hopping');
    case 'visitors_from_one_device':
      return t('signals.why.visitors_from_one_device');
    case 'refused_scans':
      return t('signals.why.refused_scans');
    default:
      return '';
  }
}

function SignalCard({ sg, idx, merchants, reload }: { sg: Signal; idx: number; merchants: Map<string, string>; reload: () => void }) {
  const ev = sg.evidence || {};
  const hid = `sg-${idx}-h`;
  const nEvidence = (ev.redemption_ids?.length ?? 0) + (ev.merchant_ids?.length ?? 0) + (ev.visitor_ids?.length ?? 0) + (ev.refusals?.length ?? 0);
  const reasons = new Map<string, number>();
  for (const r of ev.refusals || []) reasons.set(r.reason, (reasons.get(r.reason) || 0) + 1);
  return (
    <li class={`card signal signal-${sg.kind}`} data-testid="signal" data-kind={sg.kind}>
      <h2 id={hid}>{tData('signals.kind', sg.kind)}</h2>
      <p class="signal-say">{sentence(sg)}</p>
      <dl class="signal-who">
        {sg.merchant_id && (
          <>
            <dt>{t('signals.merchant')}</dt>
            <dd>
              <MerchantRef id={sg.merchant_id} merchants={merchants} />
            </dd>
          </>
        )}
        {sg.user_id && (
          <>
            <dt>{t('signals.till_user')}</dt>
            <dd>
              <code class="id">{sg.user_id}</code>
            </dd>
          </>
        )}
        {sg.visitor_id && (
          <>
            <dt>{t('signals.visitor')}</dt>
            <dd>
              <code class="id">{sg.visitor_id}</code>
            </dd>
          </>
        )}
        {sg.device_hash && (
          <>
            <dt>{t('signals.device')}</dt>
            <dd>
              <code class="id">{sg.device_hash.length > 16 ? `${sg.device_hash.slice(0, 16)}…` : sg.device_hash}</code>
            </dd>
          </>
        )}
        {reasons.size > 0 && (
          <>
            <dt>{t('signals.reasons')}</dt>
            <dd>
              {[...reasons].map(([r, n]) => `${tData('signals.reason', r)} × ${n}`).join(' · ')}
            </dd>
          </>
        )}
      </dl>
      {explanation(sg.kind) && <p class="muted">{explanation(sg.kind)}</p>}
      <SignalActions sg={sg} reload={reload} />
      <p class="signal-detail">
        <span class="muted">{t('signals.server_says')} </span>
        <span lang="en">{sg.detail}</span>
      </p>
      {nEvidence > 0 && (
        <details class="evidence">
          <summary>{tn('signals.evidence', nEvidence)}</summary>
          {ev.merchant_ids && ev.merchant_ids.length > 0 && (
            <>
              <h3>{t('signals.ev_merchants')}</h3>
              <ul class="id-list">
                {ev.merchant_ids.map((m) => (
                  <li key={m}>
                    <MerchantRef id={m} merchants={merchants} />
                  </li>
                ))}
              </ul>
            </>
          )}
          {ev.redemption_ids && ev.redemption_ids.length > 0 && (
            <>
              <h3>{t('signals.ev_redemptions')}</h3>
              <ul class="id-list">
                {ev.redemption_ids.map((r) => (
                  <li key={r}>
                    <code class="id">{r}</code>
                  </li>
                ))}
              </ul>
            </>
          )}
          {ev.visitor_ids && ev.visitor_ids.length > 0 && (
            <>
              <h3>{t('signals.ev_visitors')}</h3>
              <ul class="id-list">
                {ev.visitor_ids.map((v) => (
                  <li key={v}>
                    <code class="id">{v}</code>
                  </li>
                ))}
              </ul>
            </>
          )}
          {ev.refusals && ev.refusals.length > 0 && (
            <div class="table-wrap" tabIndex={0} role="region" aria-label={t('signals.ev_refusals')}>
              <table class="compact">
                <caption>{t('signals.ev_refusals')}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('history.time')}</th>
                    <th scope="col">{t('signals.reason_col')}</th>
                    <th scope="col">{t('signals.id')}</th>
                  </tr>
                </thead>
                <tbody>
                  {ev.refusals.map((r) => (
                    <tr key={r.id}>
                      <td>{fmtDateTime(r.at)}</td>
                      <td>{tData('signals.reason', r.reason)}</td>
                      <td>
                        <code class="id">{r.id}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </details>
      )}
    </li>
  );
}
