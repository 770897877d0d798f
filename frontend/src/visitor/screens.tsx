// Visitor screens: campaign list, campaign page, scan, wallet.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ensureVisitor, pageView, ApiError, type Campaign, type Checkin, type Coupon, type Offer } from '../api';
import { t, tn, pick, dataText, fmtDate, fmtDateTime, fmtDistance, errorText } from '../i18n';
import { ErrorBox, Loading, Notice, QrImage, StatusBadge, useLoad, useNow, fmtCountdown, describeError } from '../components';
import { campaignPhase, PhaseBadge, PhaseNotice, HowItWorks, ShopFinder, whereText, validityText, useCampaigns, CouponWhere, SpentNote, CashierView } from './walk';
import { directionsUrl } from '../map';
import { Scanner, drawArtwork, type ScannerHandle } from '../scanner';
import { useGeo, currentPosition } from '../geo';
import { offerValue, offerTrigger, groupCode, couponUsable, distanceM } from './common';
import {
  submitCheckin,
  newCheckin,
  queued,
  failedOffline,
  clearFailed,
  onQueueChange,
  cachedWallet,
  saveWallet,
  mergeWallet,
  type SubmitOutcome,
} from '../offline';
import { navigate } from '../router';
import { WalletExtras, DrawOffer } from './mechanics';
import { VerifyPanel, VerifiedState, verificationStatus } from './verify';

function CampaignDates({ c }: { c: Campaign }) {
  return (
    <span>
      {fmtDate(c.starts_at)} – {fmtDate(c.ends_at)}
    </span>
  );
}

export function CampaignList() {
  const [list, err, , loading] = useLoad(() => api<Campaign[]>('/campaigns', { auth: 'visitor' }), []);
  useEffect(() => {
    void ensureVisitor().catch(() => {});
  }, []);
  const visible = (list || []).filter((c) => c.status !== 'draft');
  const rank: Record<string, number> = { live: 0, upcoming: 1, ended: 2, draft: 3 };
  const ordered = [...visible].sort(
    (a, b) => rank[campaignPhase(a)] - rank[campaignPhase(b)] || Date.parse(b.starts_at) - Date.parse(a.starts_at),
  );
  const current = ordered.filter((c) => campaignPhase(c) !== 'ended');
  const past = ordered.filter((c) => campaignPhase(c) === 'ended');
  const card = (c: Campaign) => (
    <li key={c.id} class={`card campaign-card phase-card-${campaignPhase(c)}`} data-phase={campaignPhase(c)}>
      {c.cover_url && <img class="cover" src={c.cover_url} alt="" loading="lazy" width={1200} height={675} />}
      <h3>
        <a href={`#/c/${encodeURIComponent(c.slug)}`}>{pick(c.name)}</a>
      </h3>
      <p class="muted">
        {dataText(c.district)} · <CampaignDates c={c} />
      </p>
      <PhaseBadge c={c} />
    </li>
  );
  return (
    <main id="main" class="page page-phone">
      <h1>{t('visitor.campaigns_title')}</h1>
      <p class="lead">{t('visitor.campaigns_lead')}</p>
      <p class="cta-row">
        <a class="btn btn-primary" href="#/scan">
          {t('visitor.scan_cta')}
        </a>
        <a class="btn" href="#/wallet">
          {t('nav.wallet')}
        </a>
      </p>
      {loading && <Loading />}
      <ErrorBox error={err} />
      {!loading && !err && visible.length === 0 && <p>{t('visitor.no_campaigns')}</p>}
      {current.length > 0 && (
        <section aria-labelledby="live-h">
          <h2 id="live-h">{t('visitor.live_now')}</h2>
          <ul class="cards">{current.map(card)}</ul>
        </section>
      )}
      <HowItWorks />
      {past.length > 0 && (
        <section aria-labelledby="past-h">
          <h2 id="past-h">{t('visitor.past_campaigns')}</h2>
          <ul class="cards cards-past">{past.map(card)}</ul>
        </section>
      )}
    </main>
  );
}

export function CampaignPage({ slug, couponId }: { slug: string; couponId?: string }) {
  const [c, err, , loading] = useLoad(() => api<Campaign>(`/campaigns/${encodeURIComponent(slug)}`, { auth: 'visitor' }), [slug]);
  const [mine, setMine] = useState<Checkin[]>([]);
  const [coupons, setCoupons] = useState<Coupon[]>(cachedWallet());
  const { pos, ask } = useGeo(false);
  const [claimMsg, setClaimMsg] = useState<{ id: string; ok: boolean; text: string } | null>(null);
  // The offer whose claim waits for the visitor to confirm a phone number or e-mail.
  const [verifyFor, setVerifyFor] = useState<string | null>(null);

  useEffect(() => {
    if (!c) return;
    pageView(c.slug, `/c/${c.slug}`);
    ensureVisitor()
      .then(() => api<Checkin[]>('/me/checkins', { auth: 'visitor' }))
      .then((l) => setMine((l || []).filter((x) => x.campaign_id === c.id)))
      .catch(() => {});
    api<Coupon[]>('/me/coupons', { auth: 'visitor' })
      .then((l) => {
        saveWallet(l);
        setCoupons(l);
      })
      .catch(() => {});
  }, [c?.id]);

  if (loading) return <main id="main" class="page page-phone"><Loading /></main>;
  if (err || !c)
    return (
      <main id="main" class="page page-phone">
        <ErrorBox error={err} />
      </main>
    );

  const phase = campaignPhase(c);
  const live = phase === 'live';
  const points = c.points || [];
  const shops = c.merchants || [];
  const stamped = new Set(mine.map((m) => m.point_id));
  const stampGoal = Math.max(points.length, ...(c.offers || []).map((o) => (o.trigger?.type === 'checkins' ? o.trigger.count || 0 : 0)));
  const only = couponId ? coupons.find((x) => x.id === couponId) || null : null;

  // `verified`: the claim that follows a confirmation, whose notice stays on screen with the
  // claim's result below it (it used to vanish as soon as the claim came back).
  const claim = async (o: Offer, verified = false) => {
    try {
      await ensureVisitor();
      // E-cash is one per person: ask for a phone number or e-mail before the first one.
      if (o.requires_verified && !(await verificationStatus().catch(() => null))?.verified) {
        setClaimMsg(null);
        setVerifyFor(o.id);
        return;
      }
      const cp = await api<Coupon>(`/offers/${o.id}/claim`, { method: 'POST', auth: 'visitor' });
      mergeWallet([cp]);
      setCoupons(cachedWallet());
      if (!verified) setVerifyFor(null);
      setClaimMsg({ id: o.id, ok: true, text: t('offer.claimed') });
    } catch (e) {
      if (e instanceof ApiError && e.code === 'verification_required') {
        setVerifyFor(o.id);
        return;
      }
      setClaimMsg({ id: o.id, ok: false, text: describeError(e) });
    }
  };
  const heldBack = (c.offers || []).some((o) => o.requires_verified && o.trigger?.type !== 'claim');

  return (
    <main id="main" class="page page-phone">
      <p>
        <a href="#/">← {t('visitor.all_campaigns')}</a>
      </p>
      {c.cover_url && <img class="cover cover-page" src={c.cover_url} alt="" width={1200} height={675} />}
      <h1>{pick(c.name)}</h1>
      <p class="muted">
        {t('campaign.district')}: {dataText(c.district)} · <CampaignDates c={c} /> <PhaseBadge c={c} />
      </p>
      <PhaseNotice c={c} />
      {c.description && <p class="description">{dataText(c.description)}</p>}

      <section class="card" aria-labelledby="stamps-h">
        <h2 id="stamps-h">{t('visitor.stamp_card')}</h2>
        <p>{t('visitor.stamps_progress', { n: stamped.size, total: stampGoal })}</p>
        <ol class="stamps" aria-label={t('visitor.stamp_card')}>
          {Array.from({ length: Math.max(stampGoal, 1) }, (_, i) => (
            <li key={i} class={i < stamped.size ? 'stamp on' : 'stamp'}>
              <span class="sr-only">{i < stamped.size ? t('visitor.stamp_done') : t('visitor.stamp_todo')}</span>
              <span aria-hidden="true">{i < stamped.size ? '★' : i + 1}</span>
            </li>
          ))}
        </ol>
        {live && (
          <a class="btn btn-primary" href={`#/scan?c=${encodeURIComponent(c.slug)}`} data-testid="scan-cta">
            {t('visitor.scan_cta')}
          </a>
        )}
      </section>

      <section aria-labelledby="points-h">
        <h2 id="points-h">{t('visitor.points')}</h2>
        <ul class="list">
          {points.map((p) => (
            <li key={p.id} class="list-row">
              <span>
                {stamped.has(p.id) ? '✓ ' : ''}
                {pick(p.name)} <span class="tag">{t(`point.kind_${p.kind}`)}</span>
                {pos && <span class="muted"> · {fmtDistance(distanceM(pos, p))}</span>}
              </span>
              <a class="btn btn-small" href={directionsUrl(p, pick(p.name))} target="_blank" rel="noopener">
                {t('map.directions')}
                <span class="sr-only">: {pick(p.name)}</span>
              </a>
            </li>
          ))}
          {points.length === 0 && <li>{t('visitor.no_points')}</li>}
        </ul>
      </section>

      <section aria-labelledby="offers-h">
        <h2 id="offers-h">{t('visitor.offers')}</h2>
        {heldBack && <VerifiedState reason={t('verify.held_back')} />}
        <ul class="cards">
          {(c.offers || []).map((o) => {
            const notOpen = !!o.trigger?.opens_at && Date.parse(o.trigger.opens_at) > Date.now();
            return (
              <li key={o.id} class="card offer-card">
                <h3>{pick(o.name)}</h3>
                <p>{offerValue(o)}</p>
                <p class="muted">{offerTrigger(o)}</p>
                <p data-testid="offer-where">{whereText(o, shops)}</p>
                <p class="muted">{validityText(o)}</p>
                <p class="muted">{t('offer.left', { n: Math.max(0, o.stock - o.issued), stock: o.stock })}</p>
                {o.requires_verified && <p class="tag">{t('verify.needed_offer')}</p>}
                {o.trigger?.type === 'claim' && live && (
                  <button type="button" class="btn btn-primary" onClick={() => claim(o)} disabled={o.issued >= o.stock || notOpen}>
                    {o.issued >= o.stock ? t('offer.sold_out') : t('offer.claim')}
                  </button>
                )}
                <DrawOffer offer={o} />
                {verifyFor === o.id && <VerifyPanel reason={t('verify.why_ecash')} onDone={() => void claim(o, true)} />}
                {claimMsg?.id === o.id && (
                  <p class={claimMsg.ok ? 'alert alert-ok' : 'alert alert-error'} role="status">
                    {claimMsg.text}
                  </p>
                )}
              </li>
            );
          })}
          {(c.offers || []).length === 0 && <li>{t('visitor.no_offers')}</li>}
        </ul>
      </section>

      <ShopFinder campaign={c} coupons={coupons} pos={pos} ask={ask} stamped={stamped} only={only} />
    </main>
  );
}

type ScanResult = { ok: true; outcome: SubmitOutcome } | { ok: false; code: string; detail?: string };

export function ScanPage({ campaignSlug, initialMode }: { campaignSlug?: string; initialMode?: 'qr' | 'ar' }) {
  const [mode, setMode] = useState<'qr' | 'ar'>(initialMode || 'qr');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ScanResult | null>(null);
  const [typed, setTyped] = useState('');
  const [photo, setPhoto] = useState<{ url: string; blob: Blob } | null>(null);
  const [campaign, setCampaign] = useState<Campaign | null>(null);
  const [pending, setPending] = useState(queued().length);
  const [failed, setFailed] = useState(failedOffline());
  const handle = useRef<ScannerHandle | null>(null);
  const sent = useRef(new Set<string>());
  useGeo(true);

  useEffect(() => {
    void ensureVisitor().catch(() => {});
    if (campaignSlug)
      api<Campaign>(`/campaigns/${encodeURIComponent(campaignSlug)}`, { auth: 'visitor' })
        .then(setCampaign)
        .catch(() => {});
    return onQueueChange(() => {
      setPending(queued().length);
      setFailed(failedOffline());
    });
  }, [campaignSlug]);

  const send = async (payload: string, method: 'qr' | 'ar') => {
    const p = payload.trim();
    if (!p || busy) return;
    if (sent.current.has(`${method}:${p}`)) return;
    sent.current.add(`${method}:${p}`);
    if (/^B1:C:/i.test(p)) {
      setResult({ ok: false, code: 'is_coupon' });
      return;
    }
    setBusy(true);
    try {
      const pos = await currentPosition(1500);
      let outcome: SubmitOutcome;
      try {
        outcome = await submitCheckin(newCheckin(p, method, pos ?? undefined));
      } catch (e) {
        // A QR stand read while the screen was in AR mode is still that stand: count it as a QR scan.
        if (method === 'ar' && e instanceof ApiError && e.code === 'invalid_payload' && /^B1:[PR]:/i.test(p))
          outcome = await submitCheckin(newCheckin(p, 'qr', pos ?? undefined));
        else throw e;
      }
      setResult({ ok: true, outcome });
    } catch (e) {
      setResult({ ok: false, code: e instanceof ApiError ? e.code : 'internal', detail: e instanceof ApiError ? e.detail : undefined });
    } finally {
      setBusy(false);
    }
  };

  const artworkTitle = campaign ? pick(campaign.name) : 'Bairro';

  const takePhoto = async () => {
    const b = await handle.current?.capture();
    if (!b) return;
    if (photo) URL.revokeObjectURL(photo.url);
    setPhoto({ blob: b, url: URL.createObjectURL(b) });
  };

  const sharePhoto = async () => {
    if (!photo) return;
    const file = new File([photo.blob], 'bairro-ar.png', { type: 'image/png' });
    try {
      await navigator.share({ files: [file], title: artworkTitle });
    } catch {
      /* cancelled */
    }
  };
  const canShare =
    !!photo && typeof navigator.canShare === 'function' && navigator.canShare({ files: [new File([photo.blob], 'x.png', { type: 'image/png' })] });

  if (campaign && campaignPhase(campaign) !== 'live')
    return (
      <main id="main" class="page page-phone">
        <h1>{t('scan.title')}</h1>
        <p>
          <a href={`#/c/${encodeURIComponent(campaign.slug)}`}>← {pick(campaign.name)}</a>
        </p>
        <PhaseNotice c={campaign} />
      </main>
    );

  return (
    <main id="main" class="page page-phone">
      <h1>{t('scan.title')}</h1>
      <fieldset class="toggle">
        <legend>{t('scan.mode')}</legend>
        <label>
          <input type="radio" name="mode" value="qr" checked={mode === 'qr'} onChange={() => setMode('qr')} />
          {t('scan.mode_qr')}
        </label>
        <label>
          <input type="radio" name="mode" value="ar" checked={mode === 'ar'} onChange={() => setMode('ar')} />
          {t('scan.mode_ar')}
        </label>
      </fieldset>
      <p class="hint">{mode === 'ar' ? t('scan.hint_ar') : t('scan.hint_qr')}</p>

      <Scanner
        label={t('scan.camera_label')}
        onCode={(text) => void send(text, mode)}
        drawOverlay={mode === 'ar' ? (ctx, loc, w) => drawArtwork(ctx, loc, artworkTitle, w) : undefined}
        onHandle={(h) => (handle.current = h)}
      />

      {mode === 'ar' && (
        <div class="photo-tools">
          <button type="button" class="btn" onClick={takePhoto}>
            {t('scan.take_photo')}
          </button>
          {photo && (
            <div class="photo">
              <img src={photo.url} alt={t('scan.photo_alt')} />
              <a class="btn" href={photo.url} download="bairro-ar.png">
                {t('scan.download_photo')}
              </a>
              {canShare && (
                <button type="button" class="btn" onClick={sharePhoto}>
                  {t('scan.share_photo')}
                </button>
              )}
            </div>
          )}
        </div>
      )}

      <div aria-live="polite" class="scan-result">
        {busy && <Loading />}
        {result && <CheckinResultView r={result} />}
        {result && (
          <button
            type="button"
            class="btn"
            onClick={() => {
              setResult(null);
              sent.current.clear();
            }}
          >
            {t('scan.scan_again')}
          </button>
        )}
      </div>

      <form
        class="card typed"
        onSubmit={(e) => {
          e.preventDefault();
          // A typed poster code names its point whatever the mode; a typed long QR text is a QR.
          const method = /^B1:/i.test(typed.trim()) ? 'qr' : mode;
          sent.current.delete(`${method}:${typed.trim()}`);
          void send(typed, method);
        }}
      >
        <h2>{t('scan.typed_title')}</h2>
        <label for="typed-code">{t('scan.typed_label')}</label>
        <input id="typed-code" type="text" autoComplete="off" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
        <button type="submit" class="btn btn-primary" disabled={!typed.trim() || busy}>
          {t('scan.typed_submit')}
        </button>
      </form>

      {pending > 0 && <Notice kind="warn">{tn('scan.pending', pending)}</Notice>}
      {failed.length > 0 && (
        <div class="alert alert-error" role="status">
          <p>{t('scan.failed_offline')}</p>
          <ul>
            {failed.map((f) => (
              <li key={f.nonce}>
                {fmtDateTime(f.scanned_at)}: {errorText(f.code)}
              </li>
            ))}
          </ul>
          <button type="button" class="btn" onClick={clearFailed}>
            {t('common.dismiss')}
          </button>
        </div>
      )}
    </main>
  );
}

function CheckinResultView({ r }: { r: ScanResult }) {
  if (!r.ok)
    return (
      <div class="alert alert-error result" role="alert" data-code={r.code}>
        {r.code === 'is_coupon' ? (
          t('scan.is_coupon')
        ) : (
          <>
            <strong>{t('scan.refused')}</strong> {errorText(r.code)}
          </>
        )}
      </div>
    );
  if (r.outcome.kind === 'queued')
    return (
      <div class="alert alert-warn result" role="status">
        {t('scan.queued')}
      </div>
    );
  const res = r.outcome.result;
  return (
    <div class="alert alert-ok result" role="status" data-testid="checkin-ok">
      <p>
        <strong>{t('scan.success')}</strong>
      </p>
      <p class="stamp-count">{tn('scan.stamps', res.stamps?.count ?? 0)}</p>
      {res.stamps?.next_reward_at ? <p>{tn('scan.next_reward', res.stamps.next_reward_at)}</p> : null}
      {res.coupons?.length > 0 && (
        <div>
          <p>{tn('scan.coupons_earned', res.coupons.length)}</p>
          <ul>
            {res.coupons.map((c) => (
              <li key={c.id}>
                {pick(c.offer?.name)} — {offerValue(c.offer)}
              </li>
            ))}
          </ul>
          <a class="btn btn-primary" href="#/wallet">
            {t('nav.wallet')}
          </a>
        </div>
      )}
    </div>
  );
}

export function WalletPage() {
  const [coupons, setCoupons] = useState<Coupon[]>(cachedWallet());
  const [offline, setOffline] = useState(false);
  const [err, setErr] = useState<unknown>(null);
  const [loaded, setLoaded] = useState(false);
  const now = useNow(1000);

  useEffect(() => {
    (async () => {
      try {
        await ensureVisitor();
        const list = await api<Coupon[]>('/me/coupons', { auth: 'visitor' });
        saveWallet(list);
        setCoupons(list);
        setOffline(false);
      } catch (e) {
        if (e instanceof ApiError) setErr(e);
        else setOffline(true);
      } finally {
        setLoaded(true);
      }
    })();
  }, []);

  const campaigns = useCampaigns(coupons.map((c) => c.campaign_id));
  const [cashier, setCashier] = useState<Coupon | null>(null);
  const order = (c: Coupon) => (couponUsable(c) ? 0 : c.status === 'redeemed' ? 1 : 2);
  const sorted = [...coupons].sort((a, b) => order(a) - order(b) || Date.parse(a.expires_at) - Date.parse(b.expires_at));

  return (
    <main id="main" class="page page-phone">
      <h1>{t('wallet.title')}</h1>
      <VerifiedState
        onVerified={() => {
          api<Coupon[]>('/me/coupons', { auth: 'visitor' })
            .then((list) => {
              saveWallet(list);
              setCoupons(list);
            })
            .catch(() => {});
        }}
      />
      {offline && <Notice kind="warn">{t('wallet.offline')}</Notice>}
      <WalletExtras />
      <ErrorBox error={err} />
      {!loaded && coupons.length === 0 && <Loading />}
      {loaded && coupons.length === 0 && (
        <p>
          {t('wallet.empty')} <a href="#/">{t('visitor.all_campaigns')}</a>
        </p>
      )}
      <ul class="cards">
        {sorted.map((c) => {
          const expired = c.status === 'issued' && Date.parse(c.expires_at) <= now;
          const status = expired ? 'expired' : c.status;
          return (
            <li key={c.id} class={`card coupon coupon-${status}`}>
              <h2>{pick(c.offer?.name) || t('wallet.coupon')}</h2>
              <p class="coupon-value">{offerValue(c.offer)}</p>
              <StatusBadge status={status} />
              {status === 'issued' && (
                <>
                  <div class="coupon-qr">
                    <QrImage text={c.payload || c.code} size={260} label={t('wallet.qr_label')} />
                  </div>
                  <p class="coupon-code">
                    <span class="muted">{t('wallet.code')}</span>
                    <br />
                    <span class="code" data-testid="coupon-code">
                      {groupCode(c.code)}
                    </span>
                  </p>
                  <p>
                    {t('wallet.expires_in', { left: fmtCountdown(Date.parse(c.expires_at) - now) })}{' '}
                    <span class="muted">({fmtDateTime(c.expires_at)})</span>
                  </p>
                  <button type="button" class="btn btn-primary" onClick={() => setCashier(c)} data-testid="show-cashier">
                    {t('cashier.show')}
                  </button>
                  <CouponWhere c={c} campaign={campaigns[c.campaign_id]} />
                </>
              )}
              {status === 'redeemed' && <SpentNote c={c} />}
              {status !== 'issued' && status !== 'redeemed' && <p class="muted">{t('wallet.expires_at', { when: fmtDateTime(c.expires_at) })}</p>}
            </li>
          );
        })}
      </ul>
      {cashier && <CashierView c={cashier} onClose={() => setCashier(null)} />}
      <p>
        <button type="button" class="btn" onClick={() => navigate('/scan')}>
          {t('visitor.scan_cta')}
        </button>
      </p>
    </main>
  );
}
