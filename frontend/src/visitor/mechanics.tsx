// Visitor: the personal wallet card (scanned at the till to record purchases), purchase stamp
// cards, and fair draws (entering, and each draw's outcome).
import { useEffect, useState } from 'preact/hooks';
import { api, ensureVisitor, type Coupon, type I18nName, type Offer } from '../api';
import { t, pick, fmtMoney, fmtDate, fmtDateTime } from '../i18n';
import { QrImage, describeError } from '../components';
import { offerValue } from './common';

interface StampCard {
  campaign: { id: string; slug: string; name: I18nName };
  count: number;
  stamps: { merchant_id: string; merchant_name?: I18nName | null; day: string; spend_avos: number }[];
  offers: { offer_id: string; offer: { name: I18nName }; every: number; min_spend_avos: number; stamps: number; coupons: number; per_visitor_limit: number }[];
}

interface DrawEntry {
  id: string;
  offer_id: string;
  outcome: 'pending' | 'won' | 'lost';
  note?: string;
  offer: Partial<Offer> & { name: I18nName };
  draw: { status: string; commitment: string; entries_close_at: string; draw_at: string };
  coupon?: Coupon;
}

/** The wallet's personal card, stamp cards and draw outcomes. */
export function WalletExtras() {
  const [card, setCard] = useState<string | null>(null);
  const [show, setShow] = useState(false);
  const [cards, setCards] = useState<StampCard[]>([]);
  const [draws, setDraws] = useState<DrawEntry[]>([]);
  useEffect(() => {
    (async () => {
      try {
        await ensureVisitor();
        const [c, s, d] = await Promise.all([
          api<{ payload: string }>('/me/card', { auth: 'visitor' }),
          api<StampCard[]>('/me/stamps', { auth: 'visitor' }),
          api<DrawEntry[]>('/me/draws', { auth: 'visitor' }),
        ]);
        setCard(c.payload);
        setCards(s || []);
        setDraws(d || []);
      } catch {
        // Offline: the coupons below still show from the saved wallet.
      }
    })();
  }, []);
  return (
    <>
      {card && (
        <section class="card" aria-labelledby="mycard-h" data-testid="my-card">
          <h2 id="mycard-h">{t('card.title')}</h2>
          <p class="muted">{t('card.hint')}</p>
          <button type="button" class="btn btn-primary" aria-expanded={show} onClick={() => setShow(!show)}>
            {show ? t('card.hide') : t('card.show')}
          </button>
          {show && (
            <div class="coupon-qr">
              <QrImage text={card} size={260} label={t('card.qr_label')} />
            </div>
          )}
        </section>
      )}
      {cards.map((c) => (
        <section key={c.campaign.id} class="card" aria-label={t('card.stamps_of', { campaign: pick(c.campaign.name) })} data-testid="purchase-stamps">
          <h2>{t('card.stamps_of', { campaign: pick(c.campaign.name) })}</h2>
          <p data-testid="purchase-stamp-count">{t('card.stamp_count', { n: c.count })}</p>
          <ol class="stamps">
            {c.stamps.map((s, i) => (
              <li key={i} class="stamp on" title={`${pick(s.merchant_name || {})} · ${fmtDate(s.day)} · ${fmtMoney(s.spend_avos)}`}>
                <span class="sr-only">{`${pick(s.merchant_name || {})} ${fmtDate(s.day)}`}</span>
                <span aria-hidden="true">★</span>
              </li>
            ))}
          </ol>
          <ul class="list">
            {c.offers.map((o) => (
              <li key={o.offer_id} class="list-row">
                <span>
                  <strong>{pick(o.offer.name)}</strong>
                  <br />
                  <span class="muted">
                    {o.min_spend_avos > 0
                      ? t('card.progress_min', { n: o.stamps % o.every, every: o.every, amount: fmtMoney(o.min_spend_avos) })
                      : t('card.progress', { n: o.stamps % o.every, every: o.every })}
                  </span>
                </span>
                <span class="muted">{t('card.earned', { n: o.coupons, limit: o.per_visitor_limit })}</span>
              </li>
            ))}
          </ul>
        </section>
      ))}
      {draws.length > 0 && (
        <section class="card" aria-labelledby="mydraws-h">
          <h2 id="mydraws-h">{t('draw.my_entries')}</h2>
          <ul class="list">
            {draws.map((d) => (
              <li key={d.id} class="list-row" data-testid="draw-entry">
                <span>
                  <strong>{pick(d.offer.name)}</strong> {offerValue(d.offer)}
                  <br />
                  <span class="muted">{t('draw.drawn_at', { when: fmtDateTime(d.draw.draw_at) })}</span>
                </span>
                <span data-testid="draw-outcome" data-outcome={d.outcome} class={d.outcome === 'won' ? 'badge badge-ok' : 'badge'}>
                  {t(`draw.outcome_${d.outcome}`)}
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}

/** The draw part of an offer on the campaign page: when, how many entered, enter. */
export function DrawOffer({ offer }: { offer: Offer }) {
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const tr = offer.trigger as Offer['trigger'] & { entries_close_at?: string; draw_at?: string };
  if (tr.type !== 'draw') return null;
  const open = !!tr.entries_close_at && Date.parse(tr.entries_close_at) > Date.now();
  const enter = async () => {
    try {
      await ensureVisitor();
      await api(`/offers/${offer.id}/entries`, { method: 'POST', auth: 'visitor' });
      setMsg({ ok: true, text: t('draw.entered') });
    } catch (e) {
      setMsg({ ok: false, text: describeError(e) });
    }
  };
  return (
    <div>
      {tr.entries_close_at && <p class="muted">{t('draw.closes_at', { when: fmtDateTime(tr.entries_close_at) })}</p>}
      {open && (
        <button type="button" class="btn btn-primary" onClick={enter} data-testid="draw-enter">
          {t('draw.enter')}
        </button>
      )}
      {msg && (
        <p class={msg.ok ? 'alert alert-ok' : 'alert alert-error'} role="status">
          {msg.text}
        </p>
      )}
    </div>
  );
}
