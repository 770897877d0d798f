// Official: campaign statistics with charts and CSV.
import { useEffect, useRef, useState } from 'preact/hooks';
import {
  Chart,
  BarController,
  BarElement,
  LineController,
  LineElement,
  PointElement,
  CategoryScale,
  LinearScale,
  Legend,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import { api, type Campaign, type Stats } from '../api';
import { t, tData, pick, fmtMoney, fmtNumber, fmtPct, fmtDate } from '../i18n';
import { CsvButtons, ErrorBox, Loading, useLoad } from '../components';
import { useAppState } from '../store';
import { Kpi } from './campaigns';
import { CampaignTabs, DateRangeForm } from './common';
import { LiveBadge, useLiveStats } from './live';
import { MerchantName, merchantLabel, SourcesSummary } from './desk';
import { macauToday } from '../i18n';

type MerchantExtra = { merchant_no?: string; address?: string };

Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Legend, Tooltip);

const C1 = '#8a2c1b';
const C2 = '#1f6f8b';
const C3 = '#b8860b';
const C4 = '#3d7a3a';

function ChartBox({ config, label, id }: { config: ChartConfiguration; label: string; id: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!ref.current) return;
    const ch = new Chart(ref.current, { ...config, options: { responsive: true, maintainAspectRatio: false, animation: false, ...(config.options || {}) } });
    return () => ch.destroy();
  }, [JSON.stringify(config.data), label]);
  return (
    <figure class="chart">
      <figcaption id={`${id}-cap`}>{label}</figcaption>
      <div class="chart-box">
        <canvas ref={ref} role="img" aria-labelledby={`${id}-cap`} data-testid={id} />
      </div>
    </figure>
  );
}

/** The tables of the statistics' spreadsheet download, with their names on the page. */
const SHEET_TABLES: [string, string][] = [
  ['summary', 'stats.sheet_summary'],
  ['daily', 'stats.daily'],
  ['points', 'stats.per_point'],
  ['offers', 'stats.per_offer'],
  ['merchants', 'stats.per_merchant'],
  ['sources', 'stats.per_ref'],
];

function rangeQuery(q: { from: string; to: string }): string {
  const p = new URLSearchParams();
  if (q.from) p.set('from', q.from);
  if (q.to) p.set('to', q.to);
  return p.toString();
}

export function StatsPage({ id }: { id: string }) {
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
    return api<Stats>(`/campaigns/${id}/stats${qs ? `?${qs}` : ''}`, { auth: 'staff' });
  }, [id, q.from, q.to]);
  const [dlErr, setDlErr] = useState<unknown>(null);
  const [sheetTable, setSheetTable] = useState('summary');
  // Live: when the campaign's figures change and the period shown reaches today, count again.
  const lastLive = useRef<string | null>(null);
  const [liveVersion, setLiveVersion] = useState(0);
  const includesToday = !q.to || q.to >= macauToday();
  const live = useLiveStats(id, (v) => {
    const key = JSON.stringify(v);
    if (lastLive.current !== null && lastLive.current !== key && includesToday) {
      reload();
      setLiveVersion((n) => n + 1);
    }
    lastLive.current = key;
  });
  useEffect(() => {
    // Show the period the server used when none was asked for.
    const r = s as unknown as { from?: string; to?: string } | undefined;
    const sane = (d?: string) => !!d && /^\d{4}-\d{2}-\d{2}$/.test(d) && +d.slice(0, 4) >= 2010 && +d.slice(0, 4) <= 2100;
    if (sane(r?.from) && !from) setFrom(r!.from!);
    if (sane(r?.to) && !to) setTo(r!.to!);
  }, [s]);

  return (
    <main id="main" class="page page-wide">
      <p>
        <a href="#/official/campaigns">← {t('nav.campaigns')}</a>
      </p>
      <h1>
        {t('stats.title')}
        {c ? ` — ${pick(c.name)}` : ''}
      </h1>
      <CampaignTabs id={id} current="stats" />
      {includesToday && <LiveBadge at={live.at} connected={live.connected} />}
      <DateRangeForm idPrefix="st" from={from} to={to} setFrom={setFrom} setTo={setTo} onApply={() => setQ({ from, to })}>
        <button type="button" class="btn" onClick={reload}>
          {t('common.refresh')}
        </button>
        <select id="st-sheet-table" aria-label={t('stats.sheet_table')} value={sheetTable} onChange={(e) => setSheetTable(e.currentTarget.value)}>
          {SHEET_TABLES.map(([v, k]) => (
            <option key={v} value={v}>
              {t(k)}
            </option>
          ))}
        </select>
        <CsvButtons path={`/campaigns/${id}/stats.csv?${rangeQuery(q)}`} filename={`stats-${c?.slug || id}.csv`} onError={setDlErr} sheetQuery={`table=${sheetTable}`} />
      </DateRangeForm>
      {loading && !s && <Loading />}
      <ErrorBox error={err || dlErr} />
      {s && <StatsBody s={s} />}
      {s && <SourcesSummary id={id} version={liveVersion} />}
    </main>
  );
}

function StatsBody({ s }: { s: Stats }) {
  const f = s.funnel;
  const funnelLabels = [
    t('stats.page_views'),
    t('stats.unique_visitors'),
    t('stats.visitors'),
    t('stats.checkins'),
    t('stats.coupons_issued'),
    t('stats.coupons_redeemed'),
  ];
  return (
    <>
      <div class="kpi-grid">
        <Kpi label={t('stats.page_views')} value={fmtNumber(f.page_views)} />
        <Kpi label={t('stats.unique_visitors')} value={fmtNumber(f.unique_visitors)} />
        <Kpi label={t('stats.checkins')} value={fmtNumber(f.checkins)} />
        <Kpi label={t('stats.coupons_issued')} value={fmtNumber(f.coupons_issued)} />
        <Kpi label={t('stats.coupons_redeemed')} value={fmtNumber(f.coupons_redeemed)} />
        <Kpi label={t('stats.redemption_rate')} value={fmtPct(s.redemption_rate)} />
        <Kpi label={t('stats.ecash_redeemed')} value={fmtMoney(s.ecash_redeemed_avos)} />
        <Kpi label={t('stats.spend')} value={fmtMoney(s.spend_avos)} />
        <Kpi label={t('stats.merchants_enrolled')} value={fmtNumber(s.merchants_enrolled)} />
        <Kpi label={t('stats.merchants_redeeming')} value={fmtNumber(s.merchants_redeeming)} />
        <Kpi label={t('stats.survey_share')} value={s.survey?.responses ? `${fmtPct(s.survey.share)} (${fmtNumber(s.survey.responses)})` : '—'} />
      </div>
      <div class="chart-grid">
        <ChartBox
          id="chart-funnel"
          label={t('stats.funnel')}
          config={{
            type: 'bar',
            data: {
              labels: funnelLabels,
              datasets: [
                {
                  label: t('stats.count'),
                  data: [f.page_views, f.unique_visitors, f.visitors, f.checkins, f.coupons_issued, f.coupons_redeemed],
                  backgroundColor: [C1, C1, C2, C2, C3, C4],
                },
              ],
            },
            options: { plugins: { legend: { display: false } } },
          }}
        />
        <ChartBox
          id="chart-daily"
          label={t('stats.daily')}
          config={{
            type: 'line',
            data: {
              labels: (s.daily || []).map((d) => fmtDate(d.day)),
              datasets: [
                { label: t('stats.page_views'), data: (s.daily || []).map((d) => d.page_views), borderColor: C1, backgroundColor: C1 },
                { label: t('stats.checkins'), data: (s.daily || []).map((d) => d.checkins), borderColor: C2, backgroundColor: C2 },
                { label: t('stats.coupons_issued'), data: (s.daily || []).map((d) => d.issued), borderColor: C3, backgroundColor: C3 },
                { label: t('stats.coupons_redeemed'), data: (s.daily || []).map((d) => d.redeemed), borderColor: C4, backgroundColor: C4 },
              ],
            },
          }}
        />
        <ChartBox
          id="chart-points"
          label={t('stats.per_point')}
          config={{
            type: 'bar',
            data: {
              labels: (s.points || []).map((p) => pick(p.name)),
              datasets: [{ label: t('stats.checkins'), data: (s.points || []).map((p) => p.checkins), backgroundColor: C2 }],
            },
            options: { indexAxis: 'y', plugins: { legend: { display: false } } },
          }}
        />
        <ChartBox
          id="chart-merchants"
          label={t('stats.per_merchant')}
          config={{
            type: 'bar',
            data: {
              labels: (s.merchants || []).slice(0, 15).map((m) => merchantLabel(m.name, (m as MerchantExtra).merchant_no)),
              datasets: [{ label: t('stats.redemptions'), data: (s.merchants || []).slice(0, 15).map((m) => m.redemptions), backgroundColor: C4 }],
            },
            options: { indexAxis: 'y', plugins: { legend: { display: false } } },
          }}
        />
      </div>

      <h2>{t('stats.per_point')}</h2>
      <div class="table-wrap" tabIndex={0}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('common.name')}</th>
              <th scope="col">{t('point.kind')}</th>
              <th scope="col" class="num">
                {t('stats.checkins')}
              </th>
              <th scope="col">{t('stats.refused')}</th>
            </tr>
          </thead>
          <tbody>
            {(s.points || []).map((p) => (
              <tr key={p.point_id}>
                <td>{pick(p.name)}</td>
                <td>{t(`point.kind_${p.kind}`)}</td>
                <td class="num" data-testid="point-checkins">
                  {fmtNumber(p.checkins)}
                </td>
                <td>
                  {Object.entries(p.refused || {})
                    .map(([code, n]) => `${tData('refusal', code)}: ${fmtNumber(n)}`)
                    .join('; ') || '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <h2>{t('stats.per_offer')}</h2>
      <div class="table-wrap" tabIndex={0}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('common.name')}</th>
              <th scope="col" class="num">{t('offer.stock')}</th>
              <th scope="col" class="num">{t('stats.coupons_issued')}</th>
              <th scope="col" class="num">{t('stats.coupons_redeemed')}</th>
            </tr>
          </thead>
          <tbody>
            {(s.offers || []).map((o) => (
              <tr key={o.offer_id}>
                <td>{pick(o.name)}</td>
                <td class="num">{fmtNumber(o.stock)}</td>
                <td class="num">{fmtNumber(o.issued)}</td>
                <td class="num">{fmtNumber(o.redeemed)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <h2>{t('stats.per_merchant')}</h2>
      <div class="table-wrap" tabIndex={0}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('enrol.merchant')}</th>
              <th scope="col">{t('merchant.category')}</th>
              <th scope="col" class="num">{t('stats.redemptions')}</th>
              <th scope="col" class="num">{t('stats.ecash_redeemed')}</th>
              <th scope="col" class="num">{t('stats.spend')}</th>
            </tr>
          </thead>
          <tbody>
            {(s.merchants || []).map((m) => (
              <tr key={m.merchant_id}>
                <td>
                  <MerchantName name={m.name} no={(m as MerchantExtra).merchant_no} address={(m as MerchantExtra).address} />
                </td>
                <td>{tData("category", m.category)}</td>
                <td class="num" data-testid="merchant-redemptions">
                  {fmtNumber(m.redemptions)}
                </td>
                <td class="num">{fmtMoney(m.ecash_avos)}</td>
                <td class="num">{fmtMoney(m.spend_avos)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <h2>{t('stats.per_ref')}</h2>
      <div class="table-wrap" tabIndex={0}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('stats.ref')}</th>
              <th scope="col" class="num">{t('stats.page_views')}</th>
              <th scope="col" class="num">{t('stats.visitors')}</th>
              <th scope="col" class="num">{t('stats.checkins')}</th>
              <th scope="col" class="num">{t('stats.coupons_issued')}</th>
              <th scope="col" class="num">{t('stats.redemptions')}</th>
            </tr>
          </thead>
          <tbody>
            {(s.refs || []).map((r) => (
              <tr key={r.ref}>
                <td>{r.ref || t('stats.direct')}</td>
                <td class="num">{fmtNumber(r.page_views)}</td>
                <td class="num">{fmtNumber(r.visitors)}</td>
                <td class="num">{fmtNumber(r.checkins)}</td>
                <td class="num">{fmtNumber(r.coupons_issued)}</td>
                <td class="num">{fmtNumber(r.redemptions)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {(s.refs || []).length === 0 && <p>{t('common.none')}</p>}
      </div>
    </>
  );
}
