// Official: merchants, enrolments, settlements, pledge report, holidays.
import { useEffect, useState } from 'preact/hooks';
import { ImageUpload } from './imagery';
import { api, openBlobInTab, type Campaign, type Enrolment, type Holiday, type I18nName, type Merchant, type Settlement } from '../api';
import { t, tn, tData, pick, fmtDate, fmtDateTime, fmtMoney, fmtPct, fmtNumber, macauToday } from '../i18n';
import { CsvButtons, DateField, ErrorBox, Field, Loading, MMark, Notice, StatusBadge, useLoad } from '../components';
import { canWrite, useAppState } from '../store';
import { useRoute } from '../router';
import { NameFields, cleanName, CATEGORIES } from './common';
import { EnrolmentList } from './campaigns';
import { BulkEnrolments, BulkSettlements, ConfirmBox, ImportMerchants, MerchantOps } from './operations';
import { MerchantName, ConfirmButton, merchantLabel } from './desk';
import { MapPicker } from './mappicker';

/** The Macau calendar day of an RFC 3339 time, as YYYY-MM-DD. */
function fmtMacauDay(iso: string): string {
  const d = new Date(iso);
  return isNaN(d.getTime()) ? '' : new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

export function MerchantsPage() {
  const [list, err, reload, loading] = useLoad(() => api<Merchant[]>('/merchants', { auth: 'staff' }), []);
  // `?m={id}` (from a fraud signal) marks that merchant's row and scrolls to it.
  const focusId = useRoute().query.get('m');
  useEffect(() => {
    if (focusId && list) document.getElementById(`merchant-${focusId}`)?.scrollIntoView({ block: 'center' });
  }, [focusId, list]);
  const [open, setOpen] = useState(false);
  const [importing, setImporting] = useState(false);
  const [search, setSearch] = useState('');
  const [cat, setCat] = useState('');
  const needle = search.trim().toLowerCase();
  const shown = (list || []).filter(
    (m) =>
      (!cat || m.category === cat) &&
      (!needle ||
        [...Object.values(m.name || {}), m.address, m.merchant_no || ''].some((x) => (x || '').toLowerCase().includes(needle))),
  );
  const empty = { name: {} as I18nName, category: 'food', address: '', lat: '22.1987', lng: '113.5439', m_mark: false, username: '', password: '' };
  const [f, setF] = useState(empty);
  const [fErr, setFErr] = useState<unknown>(null);
  const [ok, setOk] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      const m = await api<Merchant>('/merchants', {
        method: 'POST',
        auth: 'staff',
        body: { ...f, name: cleanName(f.name), lat: Number(f.lat), lng: Number(f.lng) },
      });
      setOk(t('merchant.created', { name: pick(m.name) || pick(f.name) }));
      setF(empty);
      setFErr(null);
      setOpen(false);
      reload();
    } catch (e2) {
      setFErr(e2);
    }
  };
  return (
    <main id="main" class="page page-wide">
      <h1>{t('nav.merchants')}</h1>
      {canWrite() && (
        <>
          <button type="button" class="btn btn-primary" aria-expanded={open} onClick={() => setOpen(!open)}>
            {t('merchant.new')}
          </button>
          {' '}
          <button type="button" class="btn" aria-expanded={importing} onClick={() => setImporting(!importing)}>
            {t('ops.import')}
          </button>
        </>
      )}
      {ok && <Notice kind="ok">{ok}</Notice>}
      {importing && canWrite() && <ImportMerchants onDone={reload} />}
      {open && canWrite() && (
        <form class="card form-grid" onSubmit={submit}>
          <NameFields idPrefix="m-name" value={f.name} onChange={(name) => setF({ ...f, name })} />
          <Field id="m-cat" label={t('merchant.category')}>
            <select id="m-cat" value={f.category} onChange={(e) => setF({ ...f, category: e.currentTarget.value })}>
              {CATEGORIES.map((c) => (
                <option key={c} value={c}>
                  {tData("category", c)}
                </option>
              ))}
            </select>
          </Field>
          <Field id="m-addr" label={t('merchant.address')}>
            <input id="m-addr" type="text" required value={f.address} onInput={(e) => setF({ ...f, address: e.currentTarget.value })} />
          </Field>
          <Field id="m-lat" label={t('point.lat')}>
            <input id="m-lat" type="number" step="any" value={f.lat} onInput={(e) => setF({ ...f, lat: e.currentTarget.value })} />
          </Field>
          <Field id="m-lng" label={t('point.lng')}>
            <input id="m-lng" type="number" step="any" value={f.lng} onInput={(e) => setF({ ...f, lng: e.currentTarget.value })} />
          </Field>
          <MapPicker
            id="m-map"
            lat={Number(f.lat)}
            lng={Number(f.lng)}
            onPick={(lat, lng) => setF((x) => ({ ...x, lat: String(lat), lng: String(lng) }))}
            dots={(list || []).map((m) => ({ lat: m.lat, lng: m.lng, label: pick(m.name) }))}
          />
          <div class="field">
            <label>
              <input type="checkbox" checked={f.m_mark} onChange={(e) => setF({ ...f, m_mark: e.currentTarget.checked })} /> {t('merchant.m_mark_field')}
            </label>
          </div>
          <Field id="m-user" label={t('login.username')}>
            <input id="m-user" type="text" required autoComplete="off" value={f.username} onInput={(e) => setF({ ...f, username: e.currentTarget.value })} />
          </Field>
          <Field id="m-pass" label={t('login.password')} hint={t('merchant.password_hint')}>
            <input
              id="m-pass"
              type="password"
              required
              minLength={8}
              autoComplete="new-password"
              aria-describedby="m-pass-hint"
              value={f.password}
              onInput={(e) => setF({ ...f, password: e.currentTarget.value })}
            />
          </Field>
          <ErrorBox error={fErr} />
          <div class="row">
            <button type="submit" class="btn btn-primary">
              {t('merchant.create')}
            </button>
          </div>
        </form>
      )}
      {loading && <Loading />}
      <ErrorBox error={err} />
      <form class="card filters row" role="search" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="m-search">{t('merchant.search')}</label>
          <input id="m-search" type="search" value={search} placeholder={t('merchant.search_hint')} onInput={(e) => setSearch(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="m-filter-cat">{t('merchant.category')}</label>
          <select id="m-filter-cat" value={cat} onChange={(e) => setCat(e.currentTarget.value)}>
            <option value="">{t('merchant.all_categories')}</option>
            {CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {tData('category', c)}
              </option>
            ))}
          </select>
        </div>
        <p class="muted" aria-live="polite">
          {t('merchant.shown', { n: fmtNumber(shown.length), total: fmtNumber((list || []).length) })}
        </p>
      </form>
      <div class="table-wrap" tabIndex={0}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('common.name')}</th>
              <th scope="col">{t('merchant.number')}</th>
              <th scope="col">{t('merchant.category')}</th>
              <th scope="col">{t('merchant.address')}</th>
              <th scope="col">{t('merchant.mmark')}</th>
              <th scope="col">{t('common.actions')}</th>
              <th scope="col">{t('image.shop_photo')}</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((m) => (
              <tr key={m.id} id={`merchant-${m.id}`} class={m.id === focusId ? 'hl' : undefined} aria-current={m.id === focusId ? 'true' : undefined}>
                <td>{pick(m.name)}</td>
                <td class="code">{m.merchant_no || '—'}</td>
                <td>{tData("category", m.category)}</td>
                <td>{m.address}</td>
                <td>{m.m_mark ? <MMark /> : '—'}</td>
                <td class="actions">
                  <MerchantOps m={m} reload={reload} />
                </td>
                <td>
                  <ImageUpload kind="photo" ownerId={m.id} current={m.photo_url} label={t('image.shop_photo')} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </main>
  );
}

export function EnrolmentsPage() {
  const [list, err, reload, loading] = useLoad(() => api<Enrolment[]>('/enrolments?status=pending', { auth: 'staff' }), []);
  const [campaigns, campaignsErr, , campaignsLoading] = useLoad(() => api<Campaign[]>('/campaigns', { auth: 'staff' }), []);
  useAppState();
  const names = new Map((campaigns || []).map((c) => [c.id, pick(c.name)]));
  // The list waits for the campaigns' names too, so a row never shows a campaign's id.
  const ready = list && campaigns;
  return (
    <main id="main" class="page page-wide">
      <h1>{t('enrol.pending_title')}</h1>
      {(loading || campaignsLoading) && <Loading />}
      <ErrorBox error={err || campaignsErr} />
      {ready && <EnrolmentList list={list} onChange={reload} showCampaign={names} />}
      {ready && <BulkEnrolments list={list} onDone={reload} campaigns={names} />}
    </main>
  );
}

export function SettlementsPage() {
  const [campaigns] = useLoad(() => api<Campaign[]>('/campaigns', { auth: 'staff' }), []);
  const [campaign, setCampaign] = useState('');
  const [from, setFrom] = useState(macauToday(-7));
  const [to, setTo] = useState(macauToday(-1));
  const [list, err, reload, loading] = useLoad(
    () => api<Settlement[]>(`/settlements${campaign ? `?campaign=${encodeURIComponent(campaign)}` : ''}`, { auth: 'staff' }),
    [campaign],
  );
  // A new period starts the day after the campaign's last statement, so no day is left out.
  useEffect(() => {
    if (!campaign || !list) return;
    const last = list.filter((s) => s.campaign_id === campaign).reduce((a, s) => (s.period_to > a ? s.period_to : a), '');
    const yesterday = macauToday(-1);
    if (last) {
      const next = new Date(`${last}T12:00:00Z`);
      next.setUTCDate(next.getUTCDate() + 1);
      const f = next.toISOString().slice(0, 10);
      setFrom(f);
      setTo(f > yesterday ? macauToday() : yesterday);
    } else {
      const c = (campaigns || []).find((x) => x.id === campaign);
      if (c) setFrom(fmtMacauDay(c.starts_at));
      setTo(yesterday);
    }
  }, [campaign, list]);
  const [actErr, setActErr] = useState<unknown>(null);
  const [msg, setMsg] = useState('');
  const names = new Map((campaigns || []).map((c) => [c.id, pick(c.name)]));
  const generate = async (e: Event) => {
    e.preventDefault();
    if (!campaign) return;
    try {
      const r = await api<Settlement[]>(`/campaigns/${campaign}/settlements`, { method: 'POST', auth: 'staff', body: { from, to } });
      setMsg(tn('settlement.generated', (r || []).length));
      setActErr(null);
      reload();
    } catch (e2) {
      setActErr(e2);
    }
  };
  const [paying, setPaying] = useState<Settlement | null>(null);
  const act = async (s: Settlement, what: 'approve' | 'pay') => {
    setPaying(null);
    try {
      await api(`/settlements/${s.id}/${what}`, { method: 'POST', auth: 'staff' });
      setActErr(null);
      reload();
    } catch (e2) {
      setActErr(e2);
    }
  };
  const total = (list || []).reduce((a, s) => a + s.amount_avos, 0);
  return (
    <main id="main" class="page page-wide">
      <h1>{t('settlement.title')}</h1>
      <form class="card filters row" onSubmit={generate}>
        <div class="field">
          <label for="se-campaign">{t('history.campaign')}</label>
          <select id="se-campaign" value={campaign} onChange={(e) => setCampaign(e.currentTarget.value)}>
            <option value="">{t('history.all_campaigns')}</option>
            {(campaigns || []).map((c) => (
              <option key={c.id} value={c.id}>
                {pick(c.name)}
              </option>
            ))}
          </select>
        </div>
        {canWrite() && (
          <>
            <div class="field">
              <label for="se-from">{t('common.from')}</label>
              <DateField id="se-from" value={from} onChange={setFrom} />
            </div>
            <div class="field">
              <label for="se-to">{t('common.to')}</label>
              <DateField id="se-to" value={to} onChange={setTo} />
            </div>
            <button type="submit" class="btn btn-primary" disabled={!campaign}>
              {t('settlement.generate')}
            </button>
          </>
        )}
      </form>
      {!campaign && canWrite() && <p class="hint">{t('settlement.choose_campaign')}</p>}
      {msg && <Notice kind="ok">{msg}</Notice>}
      {paying && (
        <ConfirmBox title={t('ops.pay_one_q', { name: merchantLabel(paying.merchant_name, paying.merchant_no, paying.merchant_address), total: fmtMoney(paying.amount_avos) })} danger onConfirm={() => act(paying, 'pay')} onCancel={() => setPaying(null)} />
      )}
      <ErrorBox error={err || actErr} />
      {loading && <Loading />}
      <div class="table-wrap" tabIndex={0}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('enrol.merchant')}</th>
              <th scope="col">{t('history.campaign')}</th>
              <th scope="col">{t('settlement.period')}</th>
              <th scope="col" class="num">{t('stats.redemptions')}</th>
              <th scope="col" class="num">{t('settlement.amount')}</th>
              <th scope="col">{t('history.status')}</th>
              <th scope="col">{t('common.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {(list || []).map((s) => (
              <tr key={s.id}>
                <td>
                  <MerchantName name={s.merchant_name} no={s.merchant_no} address={s.merchant_address} />
                </td>
                <td>{names.get(s.campaign_id) || '—'}</td>
                <td>
                  {fmtDate(s.period_from)} – {fmtDate(s.period_to)}
                </td>
                <td class="num">{fmtNumber(s.redemptions)}</td>
                <td class="num">{fmtMoney(s.amount_avos)}</td>
                <td>
                  <StatusBadge status={s.status} />
                  {s.paid_at ? <div class="muted">{fmtDateTime(s.paid_at)}</div> : null}
                </td>
                <td class="actions">
                  {s.status === 'draft' && canWrite() && (
                    <ConfirmButton
                      label={t('settlement.approve')}
                      question={t('settlement.approve_q', { amount: fmtMoney(s.amount_avos), merchant: pick(s.merchant_name), line: [s.merchant_no, s.merchant_address].filter(Boolean).join(' · ') })}
                      onConfirm={() => act(s, 'approve')}
                      testId="approve"
                    />
                  )}
                  {s.status === 'approved' && canWrite() && (
                    <button type="button" class="btn btn-small btn-primary" onClick={() => setPaying(s)}>
                      {t('settlement.pay')}
                    </button>
                  )}
                  <CsvButtons small path={`/settlements/${s.id}.csv`} filename={`statement-${s.merchant_no || 'merchant'}-${s.period_from}.csv`} onError={setActErr} />
                  <button type="button" class="btn btn-small" onClick={() => openBlobInTab(`/settlements/${s.id}/print`).catch(setActErr)}>
                    {t('settlement.print')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
          {(list || []).length > 0 && (
            <tfoot>
              <tr>
                <th scope="row" colSpan={4}>
                  {t('settlement.total')}
                </th>
                <td class="num">{fmtMoney(total)}</td>
                <td colSpan={2} />
              </tr>
            </tfoot>
          )}
        </table>
        {list && list.length === 0 && <p>{t('common.none')}</p>}
      </div>
      {list && <BulkSettlements list={list} onDone={reload} />}
    </main>
  );
}

const SUPERSCRIPTS = ['¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
const mark = (n: number) => SUPERSCRIPTS[n - 1] || `(${n})`;

interface PledgeYear {
  year: number;
  target_pct: number;
  target_label?: string;
  actual_label?: I18nName;
  footnote_mark?: string | null;
  status?: 'met' | 'missed' | 'no_applications' | 'pending';
  actual_pct: number | null;
  received?: number;
  met_target?: boolean | null;
  footnote?: number | null;
}
interface PledgeRowN {
  no: number | string;
  indicator_id?: string;
  service_item: I18nName;
  indicator: I18nName;
  target_pct: number;
  actual_pct: number | null;
  footnote?: number | string | null;
  years?: PledgeYear[];
}
interface PledgeDoc {
  years?: number[];
  rows: PledgeRowN[];
  footnotes?: { mark: number; indicator_id?: string; year: number; text: string }[];
  footnote_groups?: { year: number; marks: number[]; text: I18nName }[];
  summary?: { year: number; text: I18nName } | null;
}

export function PledgesPage() {
  useAppState();
  const thisYear = Number(macauToday().slice(0, 4));
  const [last, setLast] = useState(thisYear);
  const years = [last - 2, last - 1, last];
  const [doc, err, reload, loading] = useLoad(() => api<PledgeDoc>(`/pledges?years=${years.join(',')}`, { auth: 'staff' }), [last]);
  const [dlErr, setDlErr] = useState<unknown>(null);
  const [note, setNote] = useState({ key: '', text: '' });
  const [noteErr, setNoteErr] = useState<unknown>(null);

  const pct = (x: number) => fmtPct(x / 100, 2);
  const rows = doc?.rows || [];
  const footnotes = doc?.footnotes || [];
  const missed = rows.flatMap((r) => (r.years || []).filter((y) => y.met_target === false).map((y) => ({ r, y })));

  const saveNote = async (e: Event) => {
    e.preventDefault();
    const [ind, year] = note.key.split('|');
    if (!ind || !note.text.trim()) return;
    try {
      await api(`/pledges/${encodeURIComponent(ind)}/footnotes/${year}`, { method: 'PUT', auth: 'staff', body: { text: note.text.trim() } });
      setNote({ key: '', text: '' });
      setNoteErr(null);
      reload();
    } catch (e2) {
      setNoteErr(e2);
    }
  };

  return (
    <main id="main" class="page page-wide">
      <h1>{t('pledge.title')}</h1>
      <form class="card filters row" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="pl-year">{t('pledge.up_to_year')}</label>
          <select id="pl-year" value={String(last)} onChange={(e) => setLast(Number(e.currentTarget.value))}>
            {Array.from({ length: Math.max(1, thisYear - 2019) }, (_, i) => thisYear - i).map((y) => (
              <option key={y} value={String(y)}>
                {y}
              </option>
            ))}
          </select>
        </div>
        <CsvButtons path={`/pledges.csv?years=${years.join(',')}`} filename={`pledges-${years[0]}-${last}.csv`} onError={setDlErr} />
        <button type="button" class="btn" onClick={() => openBlobInTab(`/pledges/print?years=${years.join(',')}`).catch(setDlErr)}>
          {t('pledge.print')}
        </button>
      </form>
      {loading && <Loading />}
      <ErrorBox error={err || dlErr} />
      <div class="table-wrap" tabIndex={0}>
        <table class="pledge">
          <caption>{t('pledge.caption', { from: years[0], to: years[2] })}</caption>
          <thead>
            <tr>
              <th scope="col" rowSpan={2}>
                {t('pledge.no')}
              </th>
              <th scope="col" rowSpan={2}>
                {t('pledge.service_item')}
              </th>
              <th scope="col" rowSpan={2}>
                {t('pledge.indicator')}
              </th>
              {years.map((y) => (
                <th scope="colgroup" colSpan={2} key={y}>
                  {t('pledge.year', { year: y })}
                </th>
              ))}
            </tr>
            <tr>
              {years.map((y) => [
                <th scope="col" key={`${y}t`}>
                  {t('pledge.target')}
                </th>,
                <th scope="col" key={`${y}a`}>
                  {t('pledge.actual')}
                </th>,
              ])}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={String(r.no)}>
                <td>{r.no}</td>
                <td>{pick(r.service_item)}</td>
                <td>{pick(r.indicator)}</td>
                {years.map((y) => {
                  const c = (r.years || []).find((x) => x.year === y);
                  return [
                    <td class="num" key={`${y}t`}>
                      {!c ? '—' : c.target_label || pct(c.target_pct)}
                    </td>,
                    <td class={`num${c?.met_target === false ? ' missed' : ''}`} key={`${y}a`}>
                      {!c
                        ? '—'
                        : c.actual_label
                          ? pick(c.actual_label).replace(` ${c.footnote_mark || ''}`, '').trim()
                          : c.actual_pct === null || c.actual_pct === undefined
                            ? t('pledge.no_applications')
                            : pct(c.actual_pct)}
                      {c?.footnote ? <sup>{mark(Number(c.footnote))}</sup> : null}
                    </td>,
                  ];
                })}
              </tr>
            ))}
          </tbody>
        </table>
        {doc && rows.length === 0 && <p>{t('common.none')}</p>}
      </div>
      {doc?.summary && (
        <section aria-label={t('pledge.summary')}>
          <p class="pledge-summary">{pick(doc.summary.text)}</p>
        </section>
      )}
      {(doc?.footnote_groups || []).length > 0 ? (
        <div class="footnotes" aria-label={t('pledge.footnotes')}>
          {(doc?.footnote_groups || []).map((g) => (
            <p key={`${g.year}`}>{pick(g.text)}</p>
          ))}
        </div>
      ) : footnotes.length > 0 && (
        <ol class="footnotes" aria-label={t('pledge.footnotes')}>
          {footnotes.map((n) => (
            <li key={`${n.mark}`}>
              <span aria-hidden="true">{mark(n.mark)} </span>
              {t('pledge.year', { year: n.year })}: {n.text}
            </li>
          ))}
        </ol>
      )}
      <p class="hint">{t('pledge.working_days_note')}</p>
      {missed.length > 0 && canWrite() && (
        <form class="card" onSubmit={saveNote}>
          <h2>{t('pledge.footnote_title')}</h2>
          <Field id="pl-which" label={t('pledge.footnote_which')}>
            <select
              id="pl-which"
              value={note.key}
              onChange={(e) => {
                const key = e.currentTarget.value;
                const [ind, yr] = key.split('|');
                const existing = footnotes.find((f) => f.indicator_id === ind && String(f.year) === yr);
                setNote({ key, text: existing?.text || '' });
              }}
            >
              <option value="">—</option>
              {missed.map(({ r, y }) => (
                <option key={`${r.indicator_id}|${y.year}`} value={`${r.indicator_id}|${y.year}`}>
                  {r.no}. {pick(r.indicator)} — {y.year}
                </option>
              ))}
            </select>
          </Field>
          <Field id="pl-text" label={t('pledge.footnote_text')}>
            <textarea id="pl-text" rows={3} value={note.text} onInput={(e) => setNote({ ...note, text: e.currentTarget.value })} />
          </Field>
          <ErrorBox error={noteErr} />
          <button type="submit" class="btn btn-primary" disabled={!note.key || !note.text.trim()}>
            {t('common.save')}
          </button>
        </form>
      )}
    </main>
  );
}

export function HolidaysPage() {
  const [year, setYear] = useState(Number(macauToday().slice(0, 4)));
  const [list, err, reload, loading] = useLoad(() => api<Holiday[]>(`/holidays?year=${year}`, { auth: 'staff' }), [year]);
  const [day, setDay] = useState('');
  const [name, setName] = useState('');
  const [fErr, setFErr] = useState<unknown>(null);
  const add = async (e: Event) => {
    e.preventDefault();
    try {
      await api('/holidays', { method: 'POST', auth: 'staff', body: { day, name } });
      setDay('');
      setName('');
      setFErr(null);
      if (day.startsWith(String(year))) reload();
      else setYear(Number(day.slice(0, 4)));
    } catch (e2) {
      setFErr(e2);
    }
  };
  const remove = async (d: string) => {
    try {
      await api(`/holidays/${d}`, { method: 'DELETE', auth: 'staff' });
      setFErr(null);
      reload();
    } catch (e2) {
      setFErr(e2);
    }
  };
  return (
    <main id="main" class="page page-wide">
      <h1>{t('holiday.title')}</h1>
      <p class="lead">{t('holiday.lead')}</p>
      <div class="row">
        <button type="button" class="btn" onClick={() => setYear(year - 1)}>
          {t('common.prev')}
        </button>
        <strong>{year}</strong>
        <button type="button" class="btn" onClick={() => setYear(year + 1)}>
          {t('common.next')}
        </button>
      </div>
      {canWrite() && (
      <form class="card filters row" onSubmit={add}>
        <div class="field">
          <label for="ho-day">{t('holiday.day')}</label>
          <DateField id="ho-day" required value={day} onChange={setDay} />
        </div>
        <div class="field">
          <label for="ho-name">{t('holiday.name')}</label>
          <input id="ho-name" type="text" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </div>
        <button type="submit" class="btn btn-primary">
          {t('holiday.add')}
        </button>
      </form>
      )}
      <ErrorBox error={err || fErr} />
      {loading && <Loading />}
      <div class="table-wrap" tabIndex={0}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('holiday.day')}</th>
              <th scope="col">{t('holiday.name')}</th>
              <th scope="col">{t('common.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {(list || []).map((h) => (
              <tr key={h.day}>
                <td>{fmtDate(h.day)}</td>
                <td>{pick(h.name)}</td>
                <td>
                  {canWrite() && (
                    <button type="button" class="btn btn-small btn-danger" onClick={() => remove(h.day)}>
                      {t('holiday.remove')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {list && list.length === 0 && <p>{t('common.none')}</p>}
      </div>
    </main>
  );
}
