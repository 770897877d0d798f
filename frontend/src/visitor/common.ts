import { t, tn, fmtMoney, fmtDateTime } from '../i18n';
import type { Offer, Coupon } from '../api';

// Any offer-shaped answer (the wallet's coupons carry a brief of their offer whose kind is plain text).
type OfferLike = Partial<Pick<Offer, 'face_value_avos' | 'min_spend_avos' | 'percent_off' | 'max_discount_avos'>> & { kind?: string };

export function offerValue(o: OfferLike | undefined): string {
  if (!o) return '';
  if (o.kind === 'ecash') {
    const v = t('offer.ecash_value', { amount: fmtMoney(o.face_value_avos) });
    return o.min_spend_avos ? `${v} · ${t('offer.min_spend', { amount: fmtMoney(o.min_spend_avos) })}` : v;
  }
  const v = t('offer.discount_value', { pct: o.percent_off ?? 0 });
  return o.max_discount_avos ? `${v} · ${t('offer.cap', { amount: fmtMoney(o.max_discount_avos) })}` : v;
}

export function offerTrigger(o: Offer): string {
  const tr = o.trigger || { type: 'signup' };
  if (tr.type === 'checkins') return tn('offer.trigger_checkins', tr.count ?? 1);
  if (tr.type === 'claim') return tr.opens_at ? t('offer.trigger_claim_at', { when: fmtDateTime(tr.opens_at) }) : t('offer.trigger_claim');
  if (tr.type === 'purchases') {
    const every = tr.count ?? 1;
    return tr.min_spend_avos ? t('offer.trigger_purchases_min', { n: every, amount: fmtMoney(tr.min_spend_avos) }) : t('offer.trigger_purchases', { n: every });
  }
  if (tr.type === 'draw') return tr.draw_at ? t('offer.trigger_draw_at', { when: fmtDateTime(tr.draw_at) }) : t('offer.trigger_type_draw');
  return t('offer.trigger_signup');
}

export function groupCode(code: string): string {
  return (code || '').replace(/[\s-]/g, '').replace(/(.{4})(?=.)/g, '$1 ');
}

export function couponUsable(c: Coupon): boolean {
  return c.status === 'issued' && Date.parse(c.expires_at) > Date.now();
}

/** Great-circle distance in metres. */
export function distanceM(a: { lat: number; lng: number }, b: { lat: number; lng: number }): number {
  const R = 6371000;
  const toR = (x: number) => (x * Math.PI) / 180;
  const dLat = toR(b.lat - a.lat);
  const dLng = toR(b.lng - a.lng);
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(toR(a.lat)) * Math.cos(toR(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(s));
}
