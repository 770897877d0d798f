// Official: dashboard, campaigns, points, offers, enrolments of a campaign.
import { useEffect, useRef, useState } from 'preact/hooks';
import { LiveBadge, useLiveStats, type LiveTotals } from './live';
import { MerchantName, PreflightChecklist } from './desk';
import { MapPicker } from './mappicker';
import { ImageUpload } from './imagery';
import {
  api,
  downloadFile,
  openBlobInTab,
  type Campaign,
  type Enrolment,
  type I18nName,
  type Offer,
  type Overview,
  type Point,
} from '../api';
import { t, tData, pick, fmtDate, fmtDateTime, fmtMoney, fmtNumber, localInputToRfc3339, rfc3339ToLocalInput, parseMop, macauToday } from '../i18n';
import { DateTimeField, ErrorBox, Field, Loading, Notice, QrImage, StatusBadge, useLoad, describeError } from '../components';
import { useAppState, canWrite } from '../store';
import { navigate } from '../router';
import { NameFields, cleanName, CATEGORIES, CampaignTabs } from './common';
import { offerValue, offerTrigger } from '../visitor/common';
import { BudgetCell, BudgetPanel, ConfirmBox, LiveEdit, OfferOps, ParticipantsSection, PointOps } from './operations';

export function Dashboard() {
  const st = useAppState();
  const [ov, err, reloadOv, loading] = useLoad(() => api<Overview>('/stats/overview', { auth: 'staff' }), []);
  const [list] = useLoad(() => api<Campaign[]>('/campaigns', { auth: 'staff' }), []);
  const summary = ov?.summary ? pick(ov.summary) : '';
  const [links, setLinks] = useState<Record<string, { at: number | null; connected: boolean }>>({});
  const linkList = Object.values(links);
  const live = { at: linkList.reduce<number | null>((a, l) => (l.at && (!a || l.at > a) ? l.at : a), null), connected: linkList.length > 0 && linkList.every((l) => l.connected) };
  const seen = useRef<Record<string, string>>({});
  // Running campaigns are followed live (a few at most: each is one open connection).
  const running = (list || []).filter((c) => c.status === 'published').slice(0, 4);
  const onLive = (v: LiveTotals) => {
    const key = JSON.stringify(v);
    const before = seen.current[v.campaign_id];
    seen.current[v.campaign_id] = key;
    // The overview covers every campaign: count it again when one of them changed.
    if (before !== undefined && before !== key) reloadOv();
  };
  return (
    <main id="main" class="page page-wide">
      <h1>{t('dash.title')}</h1>
      {running.length > 0 && <LiveBadge at={live.at} connected={live.connected} />}
      {loading && !ov && <Loading />}
      <ErrorBox error={err} />
      {ov && (
        <>
          {summary && (
            <p class="summary" lang={st.locale === 'zh-Hans' ? 'zh-Hant' : undefined}>
              {summary}
            </p>
          )}
          <div class="kpi-grid">
            <Kpi label={t('stats.campaigns')} value={fmtNumber(ov.campaigns)} />
            <Kpi label={t('stats.merchants')} value={fmtNumber(ov.merchants)} />
            <Kpi label={t('stats.page_views')} value={fmtNumber(ov.page_views)} />
            <Kpi label={t('stats.visitors')} value={fmtNumber(ov.visitors)} />
            <Kpi label={t('stats.checkins')} value={fmtNumber(ov.checkins)} />
            <Kpi label={t('stats.coupons_issued')} value={fmtNumber(ov.coupons_issued)} />
            <Kpi label={t('stats.coupons_redeemed')} value={fmtNumber(ov.coupons_redeemed)} />
            <Kpi label={t('stats.ecash_redeemed')} value={fmtMoney(ov.ecash_redeemed_avos)} />
          </div>
        </>
      )}
      <h2>{t('nav.campaigns')}</h2>
      <CampaignTable list={list || []} />
      {running.length > 0 && (
        <>
          <h2>{t('live.title')}</h2>
          <div class="table-wrap" tabIndex={0}>
            <table data-testid="live-table">
              <thead>
                <tr>
                  <th scope="col">{t('common.name')}</th>
                  <th scope="col" class="num">{t('stats.page_views')}</th>
                  <th scope="col" class="num">{t('stats.checkins')}</th>
                  <th scope="col" class="num">{t('stats.coupons_issued')}</th>
                  <th scope="col" class="num">{t('stats.coupons_redeemed')}</th>
                  <th scope="col" class="num">{t('stats.ecash_redeemed')}</th>
                </tr>
              </thead>
              <tbody>
                {running.map((c) => (
                  <LiveRow key={c.id} c={c} onData={onLive} onState={(at, connected) => setLinks((m) => ({ ...m, [c.id]: { at, connected } }))} />
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </main>
  );
}

function LiveRow({ c, onData, onState }: { c: Campaign; onData: (v: LiveTotals) => void; onState: (at: number | null, connected: boolean) => void }) {
  const [v, setV] = useState<LiveTotals | null>(null);
  const st = useLiveStats(c.id, (x) => {
    setV(x);
    onData(x);
  });
  useEffect(() => onState(st.at, st.connected), [st.at, st.connected]);
  const f = v?.funnel;
  return (
    <tr data-testid={`live-${c.slug}`}>
      <td>
        <a href={`#/official/campaigns/${c.id}/stats`}>{pick(c.name)}</a>
      </td>
      <td class="num">{f ? fmtNumber(f.page_views) : '…'}</td>
      <td class="num" data-testid="live-checkins">{f ? fmtNumber(f.checkins) : '…'}</td>
      <td class="num">{f ? fmtNumber(f.coupons_issued) : '…'}</td>
      <td class="num">{f ? fmtNumber(f.coupons_redeemed) : '…'}</td>
      <td class="num">{v ? fmtMoney(v.ecash_redeemed_avos) : '…'}</td>
    </tr>
  );
}

export function Kpi({ label, value }: { label: string; value: string }) {
  return (
    <div class="kpi">
      <div class={value.length > 11 ? 'kpi-value long' : 'kpi-value'}>{value}</div>
      <div class="kpi-label">{label}</div>
    </div>
  );
}

function CampaignTable({ list }: { list: Campaign[] }) {
  if (!list.length) return <p>{t('common.none')}</p>;
  return (
    <div class="table-wrap" tabIndex={0}>
      <table>
        <thead>
          <tr>
            <th scope="col">{t('common.name')}</th>
            <th scope="col">{t('campaign.district')}</th>
            <th scope="col">{t('campaign.starts_at')}</th>
            <th scope="col">{t('campaign.ends_at')}</th>
            <th scope="col">{t('campaign.status')}</th>
            <th scope="col">{t('ops.budget')}</th>
            <th scope="col">{t('common.actions')}</th>
          </tr>
        </thead>
        <tbody>
          {list.map((c) => (
            <tr key={c.id}>
              <td class="campaign-name">
                <a href={`#/official/campaigns/${c.id}`}>{pick(c.name)}</a>
              </td>
              <td>{c.district}</td>
              <td class="nowrap">{fmtDate(c.starts_at)}</td>
              <td class="nowrap">{fmtDate(c.ends_at)}</td>
              <td class="nowrap">
                <StatusBadge status={c.status} />
              </td>
              <td>
                <BudgetCell c={c} />
              </td>
              <td class="nowrap">
                <a href={`#/official/campaigns/${c.id}/stats`}>{t('nav.stats')}</a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

interface CampaignForm {
  slug: string;
  name: I18nName;
  district: string;
  description: string;
  starts_at: string;
  ends_at: string;
}

function CampaignFormView({ initial, onSaved, submitLabel, existingId }: { initial: CampaignForm; onSaved: (c: Campaign) => void; submitLabel: string; existingId?: string }) {
  const [f, setF] = useState<CampaignForm>(initial);
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      const body = {
        slug: f.slug.trim(),
        name: cleanName(f.name),
        district: f.district.trim(),
        description: f.description.trim() || null,
        starts_at: localInputToRfc3339(f.starts_at),
        ends_at: localInputToRfc3339(f.ends_at),
      };
      const c = existingId
        ? await api<Campaign>(`/campaigns/${existingId}`, { method: 'PATCH', auth: 'staff', body })
        : await api<Campaign>('/campaigns', { method: 'POST', auth: 'staff', body });
      setErr(null);
      onSaved(c);
    } catch (e2) {
      setErr(e2);
    } finally {
      setBusy(false);
    }
  };
  const idp = existingId ? 'edit' : 'new';
  return (
    <form class="card form-grid" onSubmit={submit}>
      <Field id={`${idp}-slug`} label={t('campaign.slug')} hint={t('campaign.slug_hint')}>
        <input
          id={`${idp}-slug`}
          type="text"
          required
          pattern="[a-z0-9][a-z0-9\-]*"
          aria-describedby={`${idp}-slug-hint`}
          value={f.slug}
          onInput={(e) => setF({ ...f, slug: e.currentTarget.value })}
        />
      </Field>
      <Field id={`${idp}-district`} label={t('campaign.district')}>
        <input id={`${idp}-district`} type="text" required value={f.district} onInput={(e) => setF({ ...f, district: e.currentTarget.value })} />
      </Field>
      <NameFields idPrefix={`${idp}-name`} value={f.name} onChange={(name) => setF({ ...f, name })} />
      <div class="field wide">
        <label for={`${idp}-desc`}>
          {t('campaign.description')} ({t('common.optional')})
        </label>
        <textarea id={`${idp}-desc`} rows={3} value={f.description} onInput={(e) => setF({ ...f, description: e.currentTarget.value })} />
      </div>
      <Field id={`${idp}-starts`} label={t('campaign.starts_at_macau')}>
        <DateTimeField id={`${idp}-starts`} required value={f.starts_at} onChange={(v) => setF({ ...f, starts_at: v })} />
      </Field>
      <Field id={`${idp}-ends`} label={t('campaign.ends_at_macau')}>
        <DateTimeField id={`${idp}-ends`} required value={f.ends_at} onChange={(v) => setF({ ...f, ends_at: v })} />
      </Field>
      <ErrorBox error={err} />
      <div class="row">
        <button type="submit" class="btn btn-primary" disabled={busy}>
          {submitLabel}
        </button>
      </div>
    </form>
  );
}

export function CampaignsPage() {
  const [list, err, reload, loading] = useLoad(() => api<Campaign[]>('/campaigns', { auth: 'staff' }), []);
  const [creating, setCreating] = useState(false);
  return (
    <main id="main" class="page page-wide">
      <h1>{t('nav.campaigns')}</h1>
      {canWrite() && (
        <button type="button" class="btn btn-primary" aria-expanded={creating} onClick={() => setCreating(!creating)}>
          {t('campaign.new')}
        </button>
      )}
      {creating && canWrite() && (
        <CampaignFormView
          initial={{ slug: '', name: {}, district: '', description: '', starts_at: `${macauToday()}T10:00`, ends_at: `${macauToday(30)}T22:00` }}
          submitLabel={t('campaign.create')}
          onSaved={(c) => {
            reload();
            navigate(`/official/campaigns/${c.id}`);
          }}
        />
      )}
      {loading && <Loading />}
      <ErrorBox error={err} />
      <CampaignTable list={list || []} />
    </main>
  );
}

export function CampaignDetail({ id }: { id: string }) {
  const [c, err, reload, loading] = useLoad(() => api<Campaign>(`/campaigns/${id}`, { auth: 'staff' }), [id]);
  const [actErr, setActErr] = useState<unknown>(null);
  const [editing, setEditing] = useState(false);
  const [asking, setAsking] = useState<'publish' | 'end' | null>(null);
  if (loading && !c) return <main id="main" class="page page-wide"><Loading /></main>;
  if (!c)
    return (
      <main id="main" class="page page-wide">
        <ErrorBox error={err} />
      </main>
    );
  const act = async (what: 'publish' | 'end') => {
    setAsking(null);
    try {
      await api(`/campaigns/${c.id}/${what}`, { method: 'POST', auth: 'staff' });
      setActErr(null);
      reload();
    } catch (e) {
      setActErr(e);
    }
  };
  return (
    <main id="main" class="page page-wide">
      <p>
        <a href="#/official/campaigns">← {t('nav.campaigns')}</a>
      </p>
      <h1>
        {pick(c.name)} <StatusBadge status={c.status} />
      </h1>
      <p class="muted">
        {c.slug} · {c.district} · {fmtDateTime(c.starts_at)} – {fmtDateTime(c.ends_at)}
      </p>
      <CampaignTabs id={c.id} current="detail" />
      <div class="row">
        {c.status === 'draft' && canWrite() && (
          <>
            <button type="button" class="btn btn-primary" onClick={() => setAsking('publish')}>
              {t('campaign.publish')}
            </button>
            <button type="button" class="btn" aria-expanded={editing} onClick={() => setEditing(!editing)}>
              {t('common.edit')}
            </button>
          </>
        )}
        {c.status === 'published' && canWrite() && (
          <>
            <button type="button" class="btn" aria-expanded={editing} onClick={() => setEditing(!editing)}>
              {t('common.edit')}
            </button>
            <button type="button" class="btn btn-danger" onClick={() => setAsking('end')}>
              {t('campaign.end')}
            </button>
          </>
        )}
        <a class="btn" href={`#/c/${encodeURIComponent(c.slug)}`}>
          {t('campaign.visitor_page')}
        </a>
      </div>
      {asking && (
        <ConfirmBox title={t(asking === 'end' ? 'campaign.confirm_end' : 'ops.publish_q')} danger={asking === 'end'} onConfirm={() => act(asking)} onCancel={() => setAsking(null)}>
          <p>
            {pick(c.name)} · {fmtDateTime(c.starts_at)} – {fmtDateTime(c.ends_at)} · {t('ops.offers_points', { offers: (c.offers || []).length, points: (c.points || []).length })}
          </p>
          {asking === 'publish' && <PreflightChecklist campaignId={c.id} />}
        </ConfirmBox>
      )}
      <ErrorBox error={actErr} />
      <ImageUpload kind="cover" ownerId={c.id} current={c.cover_url} label={c.cover_url ? t('image.replace_cover') : t('image.upload_cover')} />
      {editing && c.status === 'published' && (
        <LiveEdit
          c={c}
          onSaved={() => {
            setEditing(false);
            reload();
          }}
        />
      )}
      <BudgetPanel c={c} reload={reload} />
      {editing && c.status === 'draft' && (
        <CampaignFormView
          existingId={c.id}
          initial={{ slug: c.slug, name: c.name, district: c.district, description: c.description || '', starts_at: rfc3339ToLocalInput(c.starts_at), ends_at: rfc3339ToLocalInput(c.ends_at) }}
          submitLabel={t('common.save')}
          onSaved={() => {
            setEditing(false);
            reload();
          }}
        />
      )}
      <PointsSection c={c} reload={reload} />
      <OffersSection c={c} reload={reload} />
      <EnrolmentsSection campaignId={c.id} />
      <ParticipantsSection campaignId={c.id} ended={c.status === 'ended'} />
    </main>
  );
}

function PointsSection({ c, reload }: { c: Campaign; reload: () => void }) {
  const [open, setOpen] = useState(false);
  const [f, setF] = useState({ name: {} as I18nName, kind: 'qr' as 'qr' | 'ar', lat: '22.1987', lng: '113.5439', radius_m: '100', rotating: false, rotate_seconds: '30', require_location: true });
  const [err, setErr] = useState<unknown>(null);
  const [msg, setMsg] = useState<Record<string, string>>({});
  const [created, setCreated] = useState<Point | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      const body: Record<string, unknown> = {
        name: cleanName(f.name),
        kind: f.kind,
        lat: Number(f.lat),
        lng: Number(f.lng),
        radius_m: Number(f.radius_m),
        rotating: f.rotating,
        require_location: f.require_location,
      };
      if (f.rotating) body.rotate_seconds = Number(f.rotate_seconds) || 30;
      const p = await api<Point>(`/campaigns/${c.id}/points`, { method: 'POST', auth: 'staff', body });
      setCreated(p);
      setErr(null);
      setOpen(false);
      setF({ ...f, name: {} });
      reload();
    } catch (e2) {
      setErr(e2);
    }
  };
  const provision = async (p: Point) => {
    try {
      const r = await api<{ setup_code: string }>(`/points/${p.id}/devices`, { method: 'POST', auth: 'staff', body: {} });
      setMsg({ ...msg, [p.id]: t('point.setup_code', { code: r.setup_code }) });
    } catch (e2) {
      setMsg({ ...msg, [p.id]: describeError(e2) });
    }
  };
  const fail = (p: Point) => (e2: unknown) => setMsg({ ...msg, [p.id]: describeError(e2) });
  return (
    <section class="section" aria-labelledby="points-h">
      <h2 id="points-h">{t('visitor.points')}</h2>
      {canWrite() && (
        <button type="button" class="btn" aria-expanded={open} onClick={() => setOpen(!open)}>
          {t('point.new')}
        </button>
      )}
      {open && canWrite() && (
        <form class="card form-grid" onSubmit={submit}>
          <NameFields idPrefix="pt-name" value={f.name} onChange={(name) => setF({ ...f, name })} />
          <Field id="pt-kind" label={t('point.kind')}>
            <select id="pt-kind" value={f.kind} onChange={(e) => setF({ ...f, kind: e.currentTarget.value as 'qr' | 'ar' })}>
              <option value="qr">{t('point.kind_qr')}</option>
              <option value="ar">{t('point.kind_ar')}</option>
            </select>
          </Field>
          <Field id="pt-lat" label={t('point.lat')}>
            <input id="pt-lat" type="number" step="any" required value={f.lat} onInput={(e) => setF({ ...f, lat: e.currentTarget.value })} />
          </Field>
          <Field id="pt-lng" label={t('point.lng')}>
            <input id="pt-lng" type="number" step="any" required value={f.lng} onInput={(e) => setF({ ...f, lng: e.currentTarget.value })} />
          </Field>
          <MapPicker
            id="pt-map"
            lat={Number(f.lat)}
            lng={Number(f.lng)}
            onPick={(lat, lng) => setF((x) => ({ ...x, lat: String(lat), lng: String(lng) }))}
            dots={(c.points || []).map((p) => ({ lat: p.lat, lng: p.lng, label: pick(p.name) }))}
          />
          <Field id="pt-radius" label={t('point.radius')}>
            <input id="pt-radius" type="number" min="1" required value={f.radius_m} onInput={(e) => setF({ ...f, radius_m: e.currentTarget.value })} />
          </Field>
          <div class="field">
            <label>
              <input type="checkbox" checked={f.rotating} onChange={(e) => setF({ ...f, rotating: e.currentTarget.checked })} /> {t('point.rotating')}
            </label>
          </div>
          <div class="field">
            <label>
              <input type="checkbox" checked={f.require_location} onChange={(e) => setF({ ...f, require_location: e.currentTarget.checked })} />{' '}
              {t('point.require_location')}
            </label>
          </div>
          {f.rotating && (
            <Field id="pt-rot" label={t('point.rotate_seconds')}>
              <input id="pt-rot" type="number" min="10" value={f.rotate_seconds} onInput={(e) => setF({ ...f, rotate_seconds: e.currentTarget.value })} />
            </Field>
          )}
          <ErrorBox error={err} />
          <div class="row">
            <button type="submit" class="btn btn-primary">
              {t('point.create')}
            </button>
          </div>
        </form>
      )}
      {created && <Notice kind="ok">{t('point.created', { name: pick(created.name) })}</Notice>}
      <div class="table-wrap" tabIndex={0}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('common.name')}</th>
              <th scope="col">{t('point.kind')}</th>
              <th scope="col">{t('point.where')}</th>
              <th scope="col">{t('point.code')}</th>
              <th scope="col">{t('common.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {(c.points || []).map((p) => (
              <tr key={p.id}>
                <td>{pick(p.name)}</td>
                <td>
                  {t(`point.kind_${p.kind}`)}
                  {p.rotating ? ` · ${t('point.rotating_every', { n: p.rotate_seconds ?? 30 })}` : ''}
                </td>
                <td>
                  {p.lat.toFixed(5)}, {p.lng.toFixed(5)} · {t('unit.metres', { n: p.radius_m })}
                </td>
                <td>
                  {p.payload ? <QrImage text={p.payload} size={72} label={t('point.qr_of', { name: pick(p.name) })} /> : '—'}
                  {p.short_code && <div class="code">{p.short_code}</div>}
                </td>
                <td class="actions">
                  <button type="button" class="btn btn-small" onClick={() => downloadFile(`/points/${p.id}/qr.svg`, `point-${p.id}.svg`).catch(fail(p))}>
                    {t('point.download_svg')}
                  </button>
                  <button type="button" class="btn btn-small" onClick={() => downloadFile(`/points/${p.id}/qr.png`, `point-${p.id}.png`).catch(fail(p))}>
                    {t('point.download_png')}
                  </button>
                  <button type="button" class="btn btn-small" onClick={() => openBlobInTab(`/points/${p.id}/poster`).catch(fail(p))}>
                    {t('point.poster')}
                  </button>
                  {p.rotating && (
                    <>
                      {canWrite() && (
                        <button type="button" class="btn btn-small" onClick={() => provision(p)}>
                          {t('point.provision')}
                        </button>
                      )}
                      <a class="btn btn-small" href={`#/display/${p.id}`}>
                        {t('point.display')}
                      </a>
                    </>
                  )}
                  <PointOps p={p} reload={reload} ended={c.status === 'ended'} />
                  {msg[p.id] && (
                    <p class="muted" role="status">
                      {msg[p.id]}
                    </p>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {(c.points || []).length === 0 && <p>{t('visitor.no_points')}</p>}
      </div>
    </section>
  );
}

function OffersSection({ c, reload }: { c: Campaign; reload: () => void }) {
  const [open, setOpen] = useState(false);
  const [f, setF] = useState({
    name: {} as I18nName,
    kind: 'ecash' as 'ecash' | 'discount',
    face: '50',
    min: '150',
    pct: '10',
    cap: '30',
    stock: '1000',
    limit: '1',
    valid_days: '14',
    trigger: 'checkins' as Offer['trigger']['type'],
    count: '1',
    opens_at: '',
    stamp_min: '',
    entries_close_at: '',
    draw_at: '',
    categories: [] as string[],
    /** Only verified visitors (one per person); unset follows the kind (e-cash: yes). */
    verified: null as boolean | null,
  });
  const needsVerified = f.verified ?? f.kind === 'ecash';
  const [err, setErr] = useState<unknown>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    const body: Record<string, unknown> = {
      name: cleanName(f.name),
      kind: f.kind,
      stock: Number(f.stock),
      per_visitor_limit: Number(f.limit),
      valid_days: Number(f.valid_days),
      trigger: { type: f.trigger } as Record<string, unknown>,
    };
    if (f.kind === 'ecash') {
      body.face_value_avos = parseMop(f.face) ?? 0;
      body.min_spend_avos = parseMop(f.min || '0') ?? 0;
    } else {
      body.percent_off = Number(f.pct);
      if (f.cap.trim()) body.max_discount_avos = parseMop(f.cap) ?? 0;
      if (f.min.trim()) body.min_spend_avos = parseMop(f.min) ?? 0;
    }
    const tr = body.trigger as Record<string, unknown>;
    if (f.trigger === 'checkins') tr.count = Number(f.count) || 1;
    if (f.trigger === 'claim' && f.opens_at) tr.opens_at = localInputToRfc3339(f.opens_at);
    if (f.trigger === 'purchases') {
      tr.count = Number(f.count) || 1;
      if (f.stamp_min.trim()) tr.min_spend_avos = parseMop(f.stamp_min) ?? 0;
    }
    if (f.trigger === 'draw') {
      if (f.entries_close_at) tr.entries_close_at = localInputToRfc3339(f.entries_close_at);
      if (f.draw_at) tr.draw_at = localInputToRfc3339(f.draw_at);
    }
    if (f.categories.length) body.eligible_categories = f.categories;
    body.requires_verified = needsVerified;
    try {
      await api<Offer>(`/campaigns/${c.id}/offers`, { method: 'POST', auth: 'staff', body });
      setErr(null);
      setOpen(false);
      reload();
    } catch (e2) {
      setErr(e2);
    }
  };
  const num = (id: string, label: string, key: keyof typeof f, extra: Record<string, string> = {}) => (
    <Field id={id} label={label}>
      <input id={id} type="text" inputMode="decimal" value={f[key] as string} onInput={(e) => setF({ ...f, [key]: e.currentTarget.value })} {...extra} />
    </Field>
  );
  return (
    <section class="section" aria-labelledby="offers-h">
      <h2 id="offers-h">{t('visitor.offers')}</h2>
      {canWrite() && (
        <button type="button" class="btn" aria-expanded={open} onClick={() => setOpen(!open)}>
          {t('offer.new')}
        </button>
      )}
      {open && canWrite() && (
        <form class="card form-grid" onSubmit={submit}>
          <NameFields idPrefix="of-name" value={f.name} onChange={(name) => setF({ ...f, name })} />
          <Field id="of-kind" label={t('offer.kind')}>
            <select id="of-kind" value={f.kind} onChange={(e) => setF({ ...f, kind: e.currentTarget.value as 'ecash' | 'discount' })}>
              <option value="ecash">{t('offer.kind_ecash')}</option>
              <option value="discount">{t('offer.kind_discount')}</option>
            </select>
          </Field>
          {f.kind === 'ecash' ? num('of-face', t('offer.face_value_mop'), 'face') : num('of-pct', t('offer.percent_off'), 'pct')}
          {f.kind === 'discount' && num('of-cap', t('offer.max_discount_mop'), 'cap')}
          {num('of-min', t('offer.min_spend_mop'), 'min')}
          {num('of-stock', t('offer.stock'), 'stock')}
          {num('of-limit', t('offer.per_visitor_limit'), 'limit')}
          {num('of-valid', t('offer.valid_days'), 'valid_days')}
          <Field id="of-trigger" label={t('offer.trigger')}>
            <select id="of-trigger" value={f.trigger} onChange={(e) => setF({ ...f, trigger: e.currentTarget.value as Offer['trigger']['type'] })}>
              <option value="signup">{t('offer.trigger_type_signup')}</option>
              <option value="checkins">{t('offer.trigger_type_checkins')}</option>
              <option value="claim">{t('offer.trigger_type_claim')}</option>
              <option value="purchases">{t('offer.trigger_type_purchases')}</option>
              <option value="draw">{t('offer.trigger_type_draw')}</option>
            </select>
          </Field>
          {f.trigger === 'purchases' && num('of-stamps', t('offer.trigger_stamps'), 'count')}
          {f.trigger === 'purchases' && num('of-stamp-min', t('offer.stamp_min_spend_mop'), 'stamp_min')}
          {f.trigger === 'draw' && (
            <>
              <Field id="of-close" label={t('offer.entries_close_at')}>
                <DateTimeField id="of-close" value={f.entries_close_at} onChange={(v) => setF({ ...f, entries_close_at: v })} />
              </Field>
              <Field id="of-draw" label={t('offer.draw_at')}>
                <DateTimeField id="of-draw" value={f.draw_at} onChange={(v) => setF({ ...f, draw_at: v })} />
              </Field>
            </>
          )}
          {f.trigger === 'checkins' && num('of-count', t('offer.trigger_count'), 'count')}
          {f.trigger === 'claim' && (
            <Field id="of-opens" label={t('offer.opens_at')}>
              <DateTimeField id="of-opens" value={f.opens_at} onChange={(v) => setF({ ...f, opens_at: v })} />
            </Field>
          )}
          <div class="field">
            <label>
              <input id="of-verified" type="checkbox" checked={needsVerified} onChange={(e) => setF({ ...f, verified: e.currentTarget.checked })} />{' '}
              {t('offer.requires_verified')}
            </label>
          </div>
          <fieldset class="checks">
            <legend>{t('offer.eligible_categories')}</legend>
            {CATEGORIES.map((cat) => (
              <label key={cat}>
                <input
                  type="checkbox"
                  checked={f.categories.includes(cat)}
                  onChange={(e) =>
                    setF({ ...f, categories: e.currentTarget.checked ? [...f.categories, cat] : f.categories.filter((x) => x !== cat) })
                  }
                />{' '}
                {tData("category", cat)}
              </label>
            ))}
            <small class="hint">{t('offer.all_categories_hint')}</small>
          </fieldset>
          <ErrorBox error={err} />
          <div class="row">
            <button type="submit" class="btn btn-primary">
              {t('offer.create')}
            </button>
          </div>
        </form>
      )}
      <div class="table-wrap" tabIndex={0}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('common.name')}</th>
              <th scope="col">{t('offer.value')}</th>
              <th scope="col">{t('offer.trigger')}</th>
              <th scope="col" class="num">
                {t('offer.issued_stock')}
              </th>
              <th scope="col">{t('common.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {(c.offers || []).map((o) => (
              <tr key={o.id}>
                <td>{pick(o.name)}</td>
                <td>{offerValue(o)}</td>
                <td>
                  {offerTrigger(o)}
                  {o.draw && (
                    <>
                      <br />
                      <span class="muted" data-testid="draw-info">
                        {t('offer.draw_info', { n: o.draw.entries, status: t(`draw.status_${o.draw.status}`) })}
                      </span>
                    </>
                  )}
                  {o.stamps !== undefined && (
                    <>
                      <br />
                      <span class="muted">{t('offer.stamps_info', { n: o.stamps })}</span>
                    </>
                  )}
                </td>
                <td class="num">
                  {fmtNumber(o.issued)} / {fmtNumber(o.stock)}
                  {(o as { paused?: boolean }).paused ? (
                    <div>
                      <span class="badge badge-draft" data-testid="offer-paused">
                        {t('ops.paused')}
                      </span>
                    </div>
                  ) : null}
                </td>
                <td class="actions">
                  <OfferOps o={o} reload={reload} ended={c.status === 'ended'} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {(c.offers || []).length === 0 && <p>{t('visitor.no_offers')}</p>}
      </div>
    </section>
  );
}

export function EnrolmentList({ list, onChange, showCampaign }: { list: Enrolment[]; onChange: () => void; showCampaign?: Map<string, string> }) {
  const [reasons, setReasons] = useState<Record<string, string>>({});
  const [err, setErr] = useState<unknown>(null);
  const decide = async (e: Enrolment, what: 'approve' | 'reject') => {
    try {
      await api(`/enrolments/${e.id}/${what}`, { method: 'POST', auth: 'staff', body: what === 'reject' ? { reason: reasons[e.id] || '' } : {} });
      setErr(null);
      onChange();
    } catch (e2) {
      setErr(e2);
    }
  };
  if (!list.length) return <p>{t('common.none')}</p>;
  return (
    <div class="table-wrap" tabIndex={0}>
      <ErrorBox error={err} />
      <table>
        <thead>
          <tr>
            <th scope="col">{t('enrol.merchant')}</th>
            {showCampaign && <th scope="col">{t('history.campaign')}</th>}
            <th scope="col">{t('enrol.submitted')}</th>
            <th scope="col">{t('enrol.status')}</th>
            <th scope="col">{t('common.actions')}</th>
          </tr>
        </thead>
        <tbody>
          {list.map((e) => (
            <tr key={e.id}>
              <td>
                <MerchantName name={e.merchant_name} no={e.merchant_no} address={e.merchant_address} />
              </td>
              {showCampaign && <td>{showCampaign.get(e.campaign_id) || e.campaign_id}</td>}
              <td>{fmtDateTime(e.submitted_at)}</td>
              <td>
                <StatusBadge status={e.status} />
                {e.reason ? <span class="muted"> — {e.reason}</span> : null}
              </td>
              <td class="actions">
                {e.status === 'pending' && canWrite() && (
                  <>
                    <button type="button" class="btn btn-small btn-primary" onClick={() => decide(e, 'approve')}>
                      {t('enrol.approve')}
                    </button>
                    <label class="sr-only" for={`reason-${e.id}`}>
                      {t('enrol.reason')}
                    </label>
                    <input
                      id={`reason-${e.id}`}
                      type="text"
                      placeholder={t('enrol.reason')}
                      value={reasons[e.id] || ''}
                      onInput={(ev) => setReasons({ ...reasons, [e.id]: ev.currentTarget.value })}
                    />
                    <button type="button" class="btn btn-small btn-danger" onClick={() => decide(e, 'reject')}>
                      {t('enrol.reject')}
                    </button>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function EnrolmentsSection({ campaignId }: { campaignId: string }) {
  const [list, err, reload] = useLoad(
    () => api<Enrolment[]>(`/enrolments?status=pending`, { auth: 'staff' }).then((l) => (l || []).filter((e) => e.campaign_id === campaignId)),
    [campaignId],
  );
  return (
    <section class="section" aria-labelledby="enrol-h">
      <h2 id="enrol-h">{t('enrol.pending_title')}</h2>
      <ErrorBox error={err} />
      <EnrolmentList list={list || []} onChange={reload} />
    </section>
  );
}
