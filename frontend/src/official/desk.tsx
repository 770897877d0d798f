// The bureau's desk: what tells shops apart, confirmations, and the survey answers page.
import { useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { api, type Campaign, type I18nName } from '../api';
import { t, pick, fmtDateTime, fmtPct, fmtNumber } from '../i18n';
import { CsvButtons, ErrorBox, Loading, QrImage, useLoad } from '../components';
import { useAppState } from '../store';
import { CampaignTabs } from './common';

/** "M-3F2A1C · Rua da Praia 1": the line under a shop's name that tells same-named shops apart. */
export function merchantLine(no?: string | null, address?: string | null): string {
  return [no, address].filter((x) => !!x).join(' · ');
}

/** A shop's name with its distinguishing line under it. */
export function MerchantName({ name, no, address }: { name?: I18nName; no?: string | null; address?: string | null }) {
  const line = merchantLine(no, address);
  return (
    <span class="merchant-name">
      <span>{pick(name) || '—'}</span>
      {line && (
        <span class="muted merchant-line" data-testid="merchant-line">
          {line}
        </span>
      )}
    </span>
  );
}

/** A shop's name and line in one string (chart legends, option lists). */
export function merchantLabel(name?: I18nName, no?: string | null, address?: string | null): string {
  const line = merchantLine(no, address);
  return line ? `${pick(name)} (${line})` : pick(name);
}

/**
 * A button that asks before it acts: the first press shows what will happen and a confirm and
 * a cancel button; only the confirm does it.
 */
export function ConfirmButton({
  label,
  question,
  confirmLabel,
  onConfirm,
  danger,
  small = true,
  children,
  testId,
}: {
  label: string;
  question: string;
  confirmLabel?: string;
  onConfirm: () => Promise<void> | void;
  danger?: boolean;
  small?: boolean;
  children?: ComponentChildren;
  testId?: string;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const cls = `btn${small ? ' btn-small' : ''}${danger ? ' btn-danger' : ' btn-primary'}`;
  if (!asking)
    return (
      <button type="button" class={cls} onClick={() => setAsking(true)} data-testid={testId}>
        {label}
      </button>
    );
  return (
    <span class="confirm-inline" role="group" aria-label={label} data-testid={testId ? `${testId}-confirm` : undefined}>
      <span class="confirm-q" role="alert">
        {question}
      </span>
      {children}
      <button
        type="button"
        class={cls}
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          try {
            await onConfirm();
          } finally {
            setBusy(false);
            setAsking(false);
          }
        }}
      >
        {confirmLabel || t('common.confirm')}
      </button>
      <button type="button" class={`btn${small ? ' btn-small' : ''}`} onClick={() => setAsking(false)}>
        {t('common.cancel')}
      </button>
    </span>
  );
}

interface SurveyAnswer {
  merchant_id: string;
  merchant_name: I18nName;
  merchant_no: string;
  address: string;
  category: string;
  came_because_of_campaign: boolean;
  estimate_pct: number | null;
  comment: string | null;
  answered_at: string;
}

interface SurveyAnswers {
  responses: number;
  yes: number;
  share: number | null;
  estimate_avg: number | null;
  comments: number;
  answers: SurveyAnswer[];
}

/** Every merchant's survey answer for a campaign, with comments and estimates (and a CSV). */
export function SurveyAnswersPage({ id }: { id: string }) {
  useAppState();
  const [c] = useLoad(() => api<Campaign>(`/campaigns/${id}`, { auth: 'staff' }), [id]);
  const [d, err, , loading] = useLoad(() => api<SurveyAnswers>(`/campaigns/${id}/survey/answers`, { auth: 'staff' }), [id]);
  const [only, setOnly] = useState(false);
  const [dlErr, setDlErr] = useState<unknown>(null);
  const shown = (d?.answers || []).filter((a) => !only || !!a.comment);
  return (
    <main id="main" class="page page-wide">
      <p>
        <a href="#/official/campaigns">← {t('nav.campaigns')}</a>
      </p>
      <h1>
        {t('survey.answers_title')}
        {c ? ` — ${pick(c.name)}` : ''}
      </h1>
      <CampaignTabs id={id} current="survey" />
      {loading && !d && <Loading />}
      <ErrorBox error={err || dlErr} />
      {d && (
        <>
          <p class="kpis">
            <span>{t('survey.responses', { n: fmtNumber(d.responses) })}</span>
            {' · '}
            <span>{t('survey.yes_share', { pct: d.share === null ? '—' : fmtPct(d.share) })}</span>
            {' · '}
            <span>{t('survey.estimate_avg', { pct: d.estimate_avg === null ? '—' : fmtPct(d.estimate_avg / 100) })}</span>
          </p>
          <div class="row">
            <label>
              <input type="checkbox" checked={only} onChange={(e) => setOnly(e.currentTarget.checked)} /> {t('survey.only_comments')}
            </label>
            <CsvButtons path={`/campaigns/${id}/survey/answers.csv`} filename={`survey-${c?.slug || 'campaign'}.csv`} onError={setDlErr} />
          </div>
          {shown.length === 0 ? (
            <p>{t('common.none')}</p>
          ) : (
            <div class="table-wrap" tabIndex={0}>
              <table data-testid="survey-answers">
                <thead>
                  <tr>
                    <th scope="col">{t('enrol.merchant')}</th>
                    <th scope="col">{t('survey.question_short')}</th>
                    <th scope="col" class="num">{t('survey.estimate_short')}</th>
                    <th scope="col">{t('survey.comment')}</th>
                    <th scope="col">{t('survey.answered_at')}</th>
                  </tr>
                </thead>
                <tbody>
                  {shown.map((a) => (
                    <tr key={a.merchant_id}>
                      <td>
                        <MerchantName name={a.merchant_name} no={a.merchant_no} address={a.address} />
                      </td>
                      <td>{a.came_because_of_campaign ? t('common.yes') : t('common.no')}</td>
                      <td class="num">{a.estimate_pct === null ? '—' : fmtPct(a.estimate_pct / 100)}</td>
                      <td class="comment" data-testid="survey-comment">
                        {a.comment || '—'}
                      </td>
                      <td>{fmtDateTime(a.answered_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </main>
  );
}

interface Preflight {
  ready: boolean;
  checks: { check: string; ok: boolean; severity: 'blocking' | 'warning' | 'info'; count?: number | null }[];
  starts_at: string;
  ends_at: string;
}

/**
 * What a campaign has before it is published: points, offers, approved shops, stock and dates.
 * Missing essentials are listed as problems, with a warning that publishing makes the campaign
 * public as it is (shown inside the publish confirmation).
 */
export function PreflightChecklist({ campaignId }: { campaignId: string }) {
  const [pf, err] = useLoad(() => api<Preflight>(`/campaigns/${campaignId}/preflight`, { auth: 'staff' }), [campaignId]);
  if (err) return <ErrorBox error={err} />;
  if (!pf) return <Loading />;
  const problems = pf.checks.filter((c) => !c.ok && c.severity !== 'info');
  return (
    <section class="preflight" aria-labelledby="pf-h" data-testid="preflight">
      <h4 id="pf-h">{t('preflight.title')}</h4>
      <ul class="checklist">
        {pf.checks.map((c) => (
          <li key={c.check} class={c.ok ? 'ok' : c.severity === 'info' ? 'info' : 'bad'} data-testid={`preflight-${c.check}`}>
            <span aria-hidden="true">{c.ok ? '✓' : c.severity === 'info' ? 'ℹ' : '⚠'}</span>{' '}
            {t(`preflight.${c.check}_${c.ok ? 'ok' : 'bad'}`, { n: fmtNumber(c.count ?? 0) })}
          </li>
        ))}
      </ul>
      {problems.length > 0 ? (
        <p class="alert alert-warn" role="alert" data-testid="preflight-warning">
          {t('preflight.warning', { n: problems.length })}
        </p>
      ) : (
        <p class="alert alert-ok">{t('preflight.ready')}</p>
      )}
    </section>
  );
}

const PLATFORMS = ['instagram', 'facebook', 'xiaohongshu', 'wechat', 'youtube', 'douyin', 'website', 'print', 'broadcast', 'other'];

interface Figures {
  page_views: number;
  visitors: number;
  checkins: number;
  coupons_issued: number;
  redemptions: number;
}

interface PromotionSource {
  id: string;
  code: string;
  name: string;
  platform: string;
  note: string | null;
  link: string;
  created_at: string;
  figures: Figures;
}

interface SourcesAnswer {
  sources: PromotionSource[];
  direct: Figures;
  other: Figures;
  other_refs: number;
}

function FigureCells({ f }: { f: Figures }) {
  return (
    <>
      <td class="num">{fmtNumber(f.page_views)}</td>
      <td class="num">{fmtNumber(f.visitors)}</td>
      <td class="num">{fmtNumber(f.checkins)}</td>
      <td class="num">{fmtNumber(f.coupons_issued)}</td>
      <td class="num">{fmtNumber(f.redemptions)}</td>
    </>
  );
}

/** The bureau's promotions (influencers, channels): register one, hand out its link and QR, see what it brought. */
export function SourcesPage({ id }: { id: string }) {
  useAppState();
  const [c] = useLoad(() => api<Campaign>(`/campaigns/${id}`, { auth: 'staff' }), [id]);
  const [d, err, reload, loading] = useLoad(() => api<SourcesAnswer>(`/campaigns/${id}/sources`, { auth: 'staff' }), [id]);
  const [f, setF] = useState({ name: '', platform: 'instagram', note: '' });
  const [fErr, setFErr] = useState<unknown>(null);
  const [dlErr, setDlErr] = useState<unknown>(null);
  const [qrFor, setQrFor] = useState<string | null>(null);
  const add = async (e: Event) => {
    e.preventDefault();
    try {
      await api(`/campaigns/${id}/sources`, { method: 'POST', auth: 'staff', body: { name: f.name.trim(), platform: f.platform, note: f.note.trim() || null } });
      setF({ name: '', platform: f.platform, note: '' });
      setFErr(null);
      reload();
    } catch (e2) {
      setFErr(e2);
    }
  };
  const full = (link: string) => `${location.origin}${link}`;
  return (
    <main id="main" class="page page-wide">
      <p>
        <a href="#/official/campaigns">← {t('nav.campaigns')}</a>
      </p>
      <h1>
        {t('sources.title')}
        {c ? ` — ${pick(c.name)}` : ''}
      </h1>
      <CampaignTabs id={id} current="sources" />
      <p class="lead">{t('sources.lead')}</p>
      <form class="card form-grid" onSubmit={add}>
        <div class="field">
          <label for="src-name">{t('sources.name')}</label>
          <input id="src-name" type="text" required maxLength={100} value={f.name} onInput={(e) => setF({ ...f, name: e.currentTarget.value })} />
        </div>
        <div class="field">
          <label for="src-platform">{t('sources.platform')}</label>
          <select id="src-platform" value={f.platform} onChange={(e) => setF({ ...f, platform: e.currentTarget.value })}>
            {PLATFORMS.map((p) => (
              <option key={p} value={p}>
                {t(`sources.p.${p}`)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="src-note">{t('sources.note')}</label>
          <input id="src-note" type="text" maxLength={500} value={f.note} onInput={(e) => setF({ ...f, note: e.currentTarget.value })} />
        </div>
        <ErrorBox error={fErr} />
        <div class="row">
          <button type="submit" class="btn btn-primary">
            {t('sources.add')}
          </button>
        </div>
      </form>
      {loading && !d && <Loading />}
      <ErrorBox error={err || dlErr} />
      {d && (
        <>
          <div class="row">
            <CsvButtons path={`/campaigns/${id}/sources.csv`} filename={`sources-${c?.slug || 'campaign'}.csv`} onError={setDlErr} />
          </div>
          <div class="table-wrap" tabIndex={0}>
            <table data-testid="sources-table">
              <thead>
                <tr>
                  <th scope="col">{t('sources.name')}</th>
                  <th scope="col">{t('sources.platform')}</th>
                  <th scope="col">{t('sources.link')}</th>
                  <th scope="col" class="num">{t('stats.page_views')}</th>
                  <th scope="col" class="num">{t('stats.visitors')}</th>
                  <th scope="col" class="num">{t('stats.checkins')}</th>
                  <th scope="col" class="num">{t('stats.coupons_issued')}</th>
                  <th scope="col" class="num">{t('stats.redemptions')}</th>
                </tr>
              </thead>
              <tbody>
                {d.sources.map((s) => (
                  <tr key={s.id} data-testid="source-row">
                    <td>
                      <strong>{s.name}</strong>
                      {s.note && <div class="muted">{s.note}</div>}
                    </td>
                    <td>{t(`sources.p.${s.platform}`)}</td>
                    <td>
                      <a href={s.link} class="code">
                        {full(s.link)}
                      </a>{' '}
                      <button type="button" class="btn btn-small" aria-expanded={qrFor === s.id} onClick={() => setQrFor(qrFor === s.id ? null : s.id)}>
                        {t('sources.qr')}
                      </button>
                      {qrFor === s.id && <QrImage text={full(s.link)} size={200} label={t('sources.qr_label', { name: s.name })} />}
                    </td>
                    <FigureCells f={s.figures} />
                  </tr>
                ))}
                <tr>
                  <td colSpan={3}>{t('sources.direct')}</td>
                  <FigureCells f={d.direct} />
                </tr>
                <tr>
                  <td colSpan={3}>{t('sources.other', { n: fmtNumber(d.other_refs) })}</td>
                  <FigureCells f={d.other} />
                </tr>
              </tbody>
            </table>
          </div>
        </>
      )}
    </main>
  );
}

/** The statistics page's view of traffic by registered promotion source. */
export function SourcesSummary({ id, version }: { id: string; version?: number }) {
  const [d] = useLoad(() => api<SourcesAnswer>(`/campaigns/${id}/sources`, { auth: 'staff' }), [id, version]);
  if (!d) return null;
  return (
    <>
      <h2>{t('sources.by_source')}</h2>
      <div class="table-wrap" tabIndex={0}>
        <table data-testid="stats-sources">
          <thead>
            <tr>
              <th scope="col">{t('sources.name')}</th>
              <th scope="col" class="num">{t('stats.page_views')}</th>
              <th scope="col" class="num">{t('stats.visitors')}</th>
              <th scope="col" class="num">{t('stats.checkins')}</th>
              <th scope="col" class="num">{t('stats.coupons_issued')}</th>
              <th scope="col" class="num">{t('stats.redemptions')}</th>
            </tr>
          </thead>
          <tbody>
            {d.sources.map((s) => (
              <tr key={s.id}>
                <td>
                  {s.name} <span class="muted">· {t(`sources.p.${s.platform}`)}</span>
                </td>
                <FigureCells f={s.figures} />
              </tr>
            ))}
            <tr>
              <td>{t('sources.direct')}</td>
              <FigureCells f={d.direct} />
            </tr>
            <tr>
              <td>{t('sources.other', { n: fmtNumber(d.other_refs) })}</td>
              <FigureCells f={d.other} />
            </tr>
          </tbody>
        </table>
      </div>
      <p>
        <a href={`#/official/campaigns/${id}/sources`}>{t('sources.manage')}</a>
      </p>
    </>
  );
}
