// The visitor's walk: a campaign's true state, the shops (map, near me, search, filters, which
// of my coupons each takes), where and when a coupon is spent, and the cashier's full screen.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, type Campaign, type Coupon, type Merchant, type Offer } from '../api';
import { t, tn, tData, pick, dataText, fmtDate, fmtDateTime, fmtDistance, fmtMoney } from '../i18n';
import { QrImage, MMark } from '../components';
import { PlaceMap, directionsUrl, type MapPlace } from '../map';
import { type Pos } from '../geo';
import { distanceM, groupCode, offerValue } from './common';

export type Phase = 'live' | 'upcoming' | 'ended' | 'draft';

/** Where a campaign stands for a visitor, by its status and its dates. */
export function campaignPhase(c: Pick<Campaign, 'status' | 'starts_at' | 'ends_at'>, now = Date.now()): Phase {
  if (c.status === 'draft') return 'draft';
  if (c.status === 'ended' || Date.parse(c.ends_at) <= now) return 'ended';
  if (Date.parse(c.starts_at) > now) return 'upcoming';
  return 'live';
}

/** The campaign's state in visitor words (never the officials' "published"). */
export function PhaseBadge({ c }: { c: Pick<Campaign, 'status' | 'starts_at' | 'ends_at'> }) {
  const p = campaignPhase(c);
  return (
    <span class={`badge phase phase-${p}`} data-phase={p}>
      {t(`phase.${p}`)}
    </span>
  );
}

/** What the visitor can do now, or why not. */
export function PhaseNotice({ c }: { c: Campaign }) {
  const p = campaignPhase(c);
  if (p === 'live') return null;
  return (
    <p class="alert alert-warn phase-notice" role="status" data-testid="phase-notice">
      {p === 'ended' ? t('phase.ended_notice', { when: fmtDate(c.ends_at) }) : t('phase.upcoming_notice', { when: fmtDateTime(c.starts_at) })}
    </p>
  );
}

/** Scan → stamps → coupon → spend, in four short steps. */
export function HowItWorks() {
  const steps = ['scan', 'stamps', 'coupon', 'spend'];
  return (
    <section class="how" aria-labelledby="how-h">
      <h2 id="how-h">{t('how.title')}</h2>
      <ol class="how-steps">
        {steps.map((s, i) => (
          <li key={s}>
            <span class="how-n" aria-hidden="true">
              {i + 1}
            </span>
            <strong>{t(`how.${s}`)}</strong>
            <span class="muted">{t(`how.${s}_text`)}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}

type OfferLike = { eligible_categories?: string[] | null } | null | undefined;

/** Whether a shop takes coupons of this offer (all shops of the campaign, or by category). */
export function shopTakes(o: OfferLike, m: Pick<Merchant, 'category'>): boolean {
  const cats = o?.eligible_categories || [];
  return cats.length === 0 || cats.includes(m.category);
}

/** "Spend at: food and drink shops (12)" or "Spend at: any of the 40 shops". */
export function whereText(o: OfferLike, shops: Merchant[]): string {
  const cats = o?.eligible_categories || [];
  const n = shops.filter((m) => shopTakes(o, m)).length;
  if (cats.length === 0) return tn('where.any_shop', n);
  return t('where.categories', { cats: cats.map((c) => tData('category', c)).join(t('where.list_sep')), n });
}

/** How long an offer's coupons stay valid. */
export function validityText(o: Pick<Offer, 'valid_days'> & { valid_until?: string }): string {
  const days = tn('where.valid_days', o.valid_days);
  return o.valid_until ? `${days} · ${t('where.valid_until', { when: fmtDate(o.valid_until) })}` : days;
}

function categoriesOf(shops: Merchant[]): string[] {
  return [...new Set(shops.map((m) => m.category))].sort();
}

/** Shops listed before "show all" (the map always shows every one that matches). */
const LIST_FIRST = 25;

/** The campaign's points and shops: map, near me, search, category and M-mark filters. */
export function ShopFinder({
  campaign,
  coupons,
  pos,
  ask,
  stamped,
  only,
}: {
  campaign: Campaign;
  coupons: Coupon[];
  pos: Pos | null;
  ask: () => void;
  stamped: Set<string>;
  /** Show only the shops that take this coupon (from the wallet's "where to spend"). */
  only?: Coupon | null;
}) {
  const shops = campaign.merchants || [];
  const points = campaign.points || [];
  const [q, setQ] = useState('');
  const [cat, setCat] = useState('');
  const [mOnly, setMOnly] = useState(false);
  const [asked, setAsked] = useState(false);
  const [selected, setSelected] = useState<string | null>(null);
  const [all, setAll] = useState(false);
  const listRef = useRef<HTMLUListElement>(null);
  const mine = coupons.filter((c) => c.campaign_id === campaign.id && c.status === 'issued' && Date.parse(c.expires_at) > Date.now());

  const shown = useMemo(() => {
    const needle = q.trim().toLowerCase();
    let list = shops.filter((m) => {
      if (cat && m.category !== cat) return false;
      if (mOnly && !m.m_mark) return false;
      if (only && !shopTakes(only.offer, m)) return false;
      if (!needle) return true;
      const hay = [pick(m.name), m.name['zh-Hant'], m.name.en, m.name.pt, m.address, dataText(m.address), tData('category', m.category)]
        .filter(Boolean)
        .join(' ')
        .toLowerCase();
      return hay.includes(needle);
    });
    if (pos) list = [...list].sort((a, b) => distanceM(pos, a) - distanceM(pos, b));
    return list;
  }, [shops, q, cat, mOnly, pos?.lat, pos?.lng, only?.id]);

  const places: MapPlace[] = useMemo(
    () => [
      ...points.map((p) => ({ id: p.id, lat: p.lat, lng: p.lng, kind: 'point' as const, label: pick(p.name), detail: t(`point.kind_${p.kind}`), done: stamped.has(p.id) })),
      ...shown.map((m) => ({ id: m.id, lat: m.lat, lng: m.lng, kind: 'shop' as const, label: pick(m.name), detail: `${tData('category', m.category)} · ${dataText(m.address)}` })),
    ],
    [points, shown, stamped.size],
  );

  useEffect(() => {
    if (!selected) return;
    if (!all && shown.findIndex((m) => m.id === selected) >= LIST_FIRST) setAll(true);
    listRef.current?.querySelector(`[data-shop-id="${selected}"]`)?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }, [selected, all]);

  const nearMe = () => {
    setAsked(true);
    ask();
  };

  return (
    <section aria-labelledby="shops-h" class="shop-finder">
      <h2 id="shops-h">{t('finder.title')}</h2>
      <PlaceMap places={places} me={pos} label={t('finder.map_label')} onSelect={setSelected} />
      <p class="muted map-legend">
        <span class="legend legend-point" aria-hidden="true">★</span> {t('finder.legend_points')} ·{' '}
        <span class="legend legend-shop" aria-hidden="true">●</span> {t('finder.legend_shops')}
      </p>
      <div class="finder-controls">
        <label for="shop-q">{t('finder.search')}</label>
        <input id="shop-q" type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} placeholder={t('finder.search_placeholder')} />
        <div class="finder-row">
          <span>
            <label for="shop-cat">{t('finder.category')}</label>
            <select id="shop-cat" value={cat} onChange={(e) => setCat(e.currentTarget.value)}>
              <option value="">{t('finder.all_categories')}</option>
              {categoriesOf(shops).map((c) => (
                <option key={c} value={c}>
                  {tData('category', c)}
                </option>
              ))}
            </select>
          </span>
          <label class="check">
            <input type="checkbox" checked={mOnly} onChange={(e) => setMOnly(e.currentTarget.checked)} /> {t('finder.m_only')}
          </label>
          <button type="button" class="btn" onClick={nearMe} aria-pressed={!!pos} data-testid="near-me">
            {pos ? t('finder.sorted_near') : t('finder.near_me')}
          </button>
        </div>
        {asked && !pos && <p class="muted">{t('finder.locating')}</p>}
        <p class="muted mmark-note">
          <MMark /> {t('finder.mmark_explained')}
        </p>
      </div>
      {only && (
        <p class="alert alert-ok" role="status">
          {t('finder.only_coupon', { name: pick(only.offer?.name) })} <a href={`#/c/${encodeURIComponent(campaign.slug)}`}>{t('finder.show_all')}</a>
        </p>
      )}
      <p class="muted" role="status" data-testid="shop-count">
        {tn('finder.count', shown.length)}
      </p>
      <ul class="list shop-list" ref={listRef} data-testid="shop-list">
        {(all || shown.length <= LIST_FIRST ? shown : shown.slice(0, LIST_FIRST)).map((m) => {
          const takes = mine.filter((c) => shopTakes(c.offer, m));
          return (
            <li key={m.id} class={`list-row shop-row${selected === m.id ? ' selected' : ''}`} data-shop-id={m.id} data-category={m.category}>
              {m.photo_url && <img class="shop-photo" src={m.photo_url} alt="" loading="lazy" width={96} height={72} />}
              <span class="shop-main">
                <strong class="shop-name">{pick(m.name)}</strong> {m.m_mark && <MMark />}
                <br />
                <span class="muted">
                  {tData('category', m.category)} · {dataText(m.address)}
                </span>
                {takes.length > 0 && (
                  <>
                    <br />
                    <span class="takes">{t('finder.takes_mine', { list: takes.map((c) => pick(c.offer?.name)).join(t('where.list_sep')) })}</span>
                  </>
                )}
              </span>
              <span class="shop-side">
                {pos && (
                  <span class="muted distance" data-m={Math.round(distanceM(pos, m))}>
                    {fmtDistance(distanceM(pos, m))}
                  </span>
                )}
                <a class="btn btn-small" href={directionsUrl(m, pick(m.name))} target="_blank" rel="noopener">
                  {t('map.directions')}
                  <span class="sr-only">: {pick(m.name)}</span>
                </a>
              </span>
            </li>
          );
        })}
        {shown.length === 0 && <li>{shops.length === 0 ? t('visitor.no_merchants') : t('finder.none_match')}</li>}
      </ul>
      {!all && shown.length > LIST_FIRST && (
        <button type="button" class="btn" onClick={() => setAll(true)} data-testid="show-all-shops">
          {t('finder.show_more', { n: shown.length })}
        </button>
      )}
    </section>
  );
}

/** Campaigns of the wallet's coupons, fetched once per visit (the wallet itself works offline). */
const campaignCache = new Map<string, Promise<Campaign | null>>();
export function useCampaigns(ids: string[]): Record<string, Campaign> {
  const [got, setGot] = useState<Record<string, Campaign>>({});
  const key = [...new Set(ids)].sort().join(',');
  useEffect(() => {
    let live = true;
    for (const id of new Set(ids)) {
      if (!campaignCache.has(id))
        campaignCache.set(
          id,
          api<Campaign>(`/campaigns/${encodeURIComponent(id)}`, { auth: 'visitor' }).catch(() => {
            campaignCache.delete(id);
            return null;
          }),
        );
      campaignCache.get(id)!.then((c) => {
        if (live && c) setGot((g) => ({ ...g, [id]: c }));
      });
    }
    return () => {
      live = false;
    };
  }, [key]);
  return got;
}

/** Where and when a coupon is spent: campaign, eligible shops (list and map link), validity. */
export function CouponWhere({ c, campaign }: { c: Coupon; campaign?: Campaign }) {
  const shops = campaign?.merchants || [];
  const accepting = shops.filter((m) => shopTakes(c.offer, m));
  const offer = campaign?.offers?.find((o) => o.id === c.offer_id);
  return (
    <div class="coupon-where">
      {campaign && (
        <p>
          <span class="muted">{t('where.campaign')}</span> <a href={`#/c/${encodeURIComponent(campaign.slug)}`}>{pick(campaign.name)}</a>
        </p>
      )}
      {campaign && <p data-testid="coupon-where">{whereText(c.offer, shops)}</p>}
      {offer && <p class="muted">{validityText(offer)}</p>}
      {accepting.length > 0 && (
        <details class="accepting" data-testid="accepting-shops">
          <summary>{tn('where.show_shops', accepting.length)}</summary>
          <ul class="list compact">
            {accepting.slice(0, 60).map((m) => (
              <li key={m.id} class="list-row">
                <span>
                  {pick(m.name)} {m.m_mark && <MMark />}
                  <br />
                  <span class="muted">{dataText(m.address)}</span>
                </span>
                <a class="btn btn-small" href={directionsUrl(m, pick(m.name))} target="_blank" rel="noopener">
                  {t('map.directions')}
                  <span class="sr-only">: {pick(m.name)}</span>
                </a>
              </li>
            ))}
          </ul>
          <a class="btn" href={`#/c/${encodeURIComponent(campaign!.slug)}?coupon=${encodeURIComponent(c.id)}`}>
            {t('where.on_map')}
          </a>
        </details>
      )}
    </div>
  );
}

/** After redemption: where, when and how much was saved. */
export function SpentNote({ c }: { c: Coupon }) {
  const r = c.redemption;
  if (!r) return null;
  return (
    <p class="spent" data-testid="coupon-spent">
      {t('where.spent', { shop: pick(r.merchant.name), when: fmtDateTime(r.redeemed_at), saved: fmtMoney(r.saved_avos), spend: fmtMoney(r.spend_avos) })}
    </p>
  );
}

type WakeLockLike = { release: () => Promise<void> };

/** The coupon filling the screen for the cashier: big code, big QR, screen kept on if allowed. */
export function CashierView({ c, onClose }: { c: Coupon; onClose: () => void }) {
  const closeRef = useRef<HTMLButtonElement>(null);
  const [awake, setAwake] = useState(false);
  useEffect(() => {
    let lock: WakeLockLike | null = null;
    let gone = false;
    const wl = (navigator as Navigator & { wakeLock?: { request: (k: 'screen') => Promise<WakeLockLike> } }).wakeLock;
    const ask = () =>
      wl
        ?.request('screen')
        .then((l) => {
          if (gone) void l.release();
          else {
            lock = l;
            setAwake(true);
          }
        })
        .catch(() => setAwake(false));
    void ask();
    const again = () => document.visibilityState === 'visible' && !gone && void ask();
    document.addEventListener('visibilitychange', again);
    const esc = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    document.addEventListener('keydown', esc);
    closeRef.current?.focus();
    document.body.classList.add('cashier-open');
    return () => {
      gone = true;
      document.removeEventListener('visibilitychange', again);
      document.removeEventListener('keydown', esc);
      document.body.classList.remove('cashier-open');
      void lock?.release().catch(() => {});
    };
  }, []);
  return (
    <div class="cashier" role="dialog" aria-modal="true" aria-labelledby="cashier-h" data-testid="cashier-view">
      <h2 id="cashier-h">{pick(c.offer?.name) || t('wallet.coupon')}</h2>
      <p class="cashier-value">{offerValue(c.offer)}</p>
      <div class="cashier-qr">
        <QrImage text={c.payload || c.code} size={300} label={t('wallet.qr_label')} />
      </div>
      <p class="cashier-code" data-testid="cashier-code">
        {groupCode(c.code)}
      </p>
      <p class="muted">{awake ? t('cashier.kept_on') : t('cashier.brightness')}</p>
      <button type="button" class="btn btn-primary" ref={closeRef} onClick={onClose}>
        {t('cashier.close')}
      </button>
    </div>
  );
}
