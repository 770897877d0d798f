//! Fraud signals for officials: the patterns voucher schemes have met, each with the rows that
//! show it, so an official can look before approving a settlement.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, NaiveDateTime};
use diesel::dsl::count_star;
use diesel::prelude::*;

use super::schema::*;
use super::stats::Range;
use super::DbConn;
use crate::error::AppError;
use crate::types::{
    CampaignId, MerchantId, PurchaseId, RedemptionId, RefusalId, SignalKind, UserId, VisitorId,
};

/// Thresholds of the signals.
pub const MIN_SPEND_SHARE: f64 = 0.6;
pub const MIN_SPEND_COUNT: usize = 5;
pub const BURST_WINDOW: Duration = Duration::seconds(60);
pub const BURST_COUNT: usize = 5;
pub const HOPPING_WINDOW: Duration = Duration::minutes(15);
pub const HOPPING_MERCHANTS: usize = 3;
pub const SAME_DEVICE_VISITORS: i64 = 10;
pub const REFUSALS_PER_VISITOR: i64 = 3;

/// One fraud signal: its kind, who it is about (a merchant, a till login, a visitor or a
/// device, as the kind has it), a sentence, and the rows that show it.
#[derive(Debug, Clone)]
pub struct Signal {
    pub kind: SignalKind,
    pub detail: String,
    pub merchant_id: Option<MerchantId>,
    pub user_id: Option<UserId>,
    pub visitor_id: Option<VisitorId>,
    pub device_hash: Option<String>,
    pub evidence: Evidence,
}

impl Signal {
    /// A signal of a kind, about no one yet and with no rows (each kind fills its own).
    fn of(kind: SignalKind, detail: String) -> Signal {
        Signal {
            kind,
            detail,
            merchant_id: None,
            user_id: None,
            visitor_id: None,
            device_hash: None,
            evidence: Evidence::default(),
        }
    }
}

/// The rows behind a signal (each kind fills its own).
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    pub redemption_ids: Option<Vec<RedemptionId>>,
    pub purchase_ids: Option<Vec<PurchaseId>>,
    pub merchant_ids: Option<Vec<MerchantId>>,
    pub visitor_ids: Option<Vec<VisitorId>>,
    pub refusals: Option<Vec<Refusal>>,
    /// When a burst began.
    pub from: Option<NaiveDateTime>,
}

/// A refused check-in.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub id: RefusalId,
    pub reason: String,
    pub at: NaiveDateTime,
}

/// id, merchant, till user, visitor, spend, minimum spend, time, offer kind.
type RedemptionFacts = (
    RedemptionId,
    MerchantId,
    UserId,
    VisitorId,
    i64,
    i64,
    NaiveDateTime,
    String,
);

/// The largest number of timestamps (sorted) inside any window of the given length, with them.
pub(crate) fn densest<T>(
    times: &[(NaiveDateTime, T)],
    window: Duration,
) -> (usize, &[(NaiveDateTime, T)]) {
    let (mut best, mut at, mut lo) = (0, 0, 0);
    for hi in 0..times.len() {
        while times[hi].0 - times[lo].0 > window {
            lo += 1;
        }
        if hi - lo + 1 > best {
            best = hi - lo + 1;
            at = lo;
        }
    }
    (best, &times[at..at + best])
}

/// The fraud signals of a campaign over a range of Macau days.
pub fn campaign(conn: &mut DbConn, cid: &CampaignId, r: Range) -> Result<Vec<Signal>, AppError> {
    let mut signals = Vec::new();
    // Redemptions in the range, with what each needed as a minimum spend.
    let rows: Vec<RedemptionFacts> = redemptions::table
        .inner_join(offers::table.on(offers::id.eq(redemptions::offer_id)))
        .inner_join(coupons::table.on(coupons::id.eq(redemptions::coupon_id)))
        .filter(redemptions::campaign_id.eq(cid))
        .filter(redemptions::status.eq("done"))
        .filter(redemptions::day.between(r.from, r.to))
        .order(redemptions::created_at.asc())
        .select((
            redemptions::id,
            redemptions::merchant_id,
            redemptions::user_id,
            coupons::visitor_id,
            redemptions::spend_avos,
            offers::min_spend_avos,
            redemptions::created_at,
            offers::kind,
        ))
        .load(conn)?;

    // 1. A merchant redeeming most coupons at exactly the minimum spend.
    let mut by_merchant: BTreeMap<&MerchantId, (usize, Vec<&RedemptionId>)> = BTreeMap::new();
    for (id, m, _, _, spend, min, _, _) in &rows {
        let e = by_merchant.entry(m).or_default();
        e.0 += 1;
        if *min > 0 && spend == min {
            e.1.push(id);
        }
    }
    for (m, (total, exact)) in &by_merchant {
        if exact.len() >= MIN_SPEND_COUNT && exact.len() as f64 / *total as f64 >= MIN_SPEND_SHARE {
            signals.push(Signal {
                merchant_id: Some((*m).clone()),
                evidence: Evidence {
                    redemption_ids: Some(exact.iter().map(|x| (*x).clone()).collect()),
                    ..Default::default()
                },
                ..Signal::of(
                    SignalKind::ExactMinimumSpend,
                    format!(
                        "{} of {} redemptions at exactly the minimum spend",
                        exact.len(),
                        total
                    ),
                )
            });
        }
    }
    // 2. Bursts of redemptions from one till (one login).
    let mut by_till: BTreeMap<&UserId, Vec<(NaiveDateTime, RedemptionId)>> = BTreeMap::new();
    for (id, _, u, _, _, _, t, _) in &rows {
        by_till.entry(u).or_default().push((*t, id.clone()));
    }
    for (u, times) in &by_till {
        let (n, window) = densest(times, BURST_WINDOW);
        if n >= BURST_COUNT {
            signals.push(Signal {
                user_id: Some((*u).clone()),
                evidence: Evidence {
                    redemption_ids: Some(window.iter().map(|x| x.1.clone()).collect()),
                    from: Some(window[0].0),
                    ..Default::default()
                },
                ..Signal::of(
                    SignalKind::TillBurst,
                    format!(
                        "{n} redemptions within {} seconds from one till",
                        BURST_WINDOW.num_seconds()
                    ),
                )
            });
        }
    }
    // 3. One visitor redeeming at many merchants within minutes.
    let mut by_visitor: BTreeMap<&VisitorId, Vec<(NaiveDateTime, &MerchantId, &RedemptionId)>> =
        BTreeMap::new();
    for (id, m, _, v, _, _, t, _) in &rows {
        by_visitor.entry(v).or_default().push((*t, m, id));
    }
    for (v, list) in &by_visitor {
        for (i, (t0, _, _)) in list.iter().enumerate() {
            let inside: Vec<_> = list[i..]
                .iter()
                .take_while(|(t, _, _)| *t - *t0 <= HOPPING_WINDOW)
                .collect();
            let shops: BTreeSet<&MerchantId> = inside.iter().map(|x| x.1).collect();
            if shops.len() >= HOPPING_MERCHANTS {
                signals.push(Signal {
                    visitor_id: Some((*v).clone()),
                    evidence: Evidence {
                        redemption_ids: Some(inside.iter().map(|x| x.2.clone()).collect()),
                        merchant_ids: Some(shops.iter().map(|x| (*x).clone()).collect()),
                        ..Default::default()
                    },
                    ..Signal::of(
                        SignalKind::MerchantHopping,
                        format!(
                            "one visitor redeemed at {} merchants within {} minutes",
                            shops.len(),
                            HOPPING_WINDOW.num_minutes()
                        ),
                    )
                });
                break;
            }
        }
    }
    // 4. Many visitors created from one device or address (keyed hashes, never addresses).
    let devices: Vec<(Option<String>, i64)> = visitors::table
        .filter(
            visitors::id.eq_any(
                checkins::table
                    .filter(checkins::campaign_id.eq(cid))
                    .filter(checkins::day.between(r.from, r.to))
                    .select(checkins::visitor_id),
            ),
        )
        .group_by(visitors::device_hash)
        .having(count_star().ge(SAME_DEVICE_VISITORS))
        .select((visitors::device_hash, count_star()))
        .load(conn)?;
    for (hash, n) in devices.into_iter().filter(|(h, _)| h.is_some()) {
        let ids: Vec<VisitorId> = visitors::table
            .filter(visitors::device_hash.eq(&hash))
            .select(visitors::id)
            .limit(200)
            .load(conn)?;
        signals.push(Signal {
            device_hash: hash,
            evidence: Evidence {
                visitor_ids: Some(ids),
                ..Default::default()
            },
            ..Signal::of(
                SignalKind::VisitorsFromOneDevice,
                format!("{n} visitors who checked in were created from one device or address"),
            )
        });
    }
    // 5. Visitors with repeated refused scans: outside the fence, stale or forged codes.
    let refused: Vec<(Option<VisitorId>, i64)> = checkin_refusals::table
        .filter(checkin_refusals::campaign_id.eq(cid))
        .filter(checkin_refusals::day.between(r.from, r.to))
        .filter(checkin_refusals::reason.eq_any([
            "outside_geofence",
            "payload_expired",
            "invalid_payload",
        ]))
        .group_by(checkin_refusals::visitor_id)
        .having(count_star().ge(REFUSALS_PER_VISITOR))
        .select((checkin_refusals::visitor_id, count_star()))
        .load(conn)?;
    for (v, n) in refused.into_iter().filter(|(v, _)| v.is_some()) {
        let evidence: Vec<(RefusalId, String, NaiveDateTime)> = checkin_refusals::table
            .filter(checkin_refusals::campaign_id.eq(cid))
            .filter(checkin_refusals::visitor_id.eq(&v))
            .order(checkin_refusals::created_at.asc())
            .select((
                checkin_refusals::id,
                checkin_refusals::reason,
                checkin_refusals::created_at,
            ))
            .limit(100)
            .load(conn)?;
        signals.push(Signal {
            visitor_id: v,
            evidence: Evidence {
                refusals: Some(
                    evidence
                        .into_iter()
                        .map(|(id, reason, at)| Refusal { id, reason, at })
                        .collect(),
                ),
                ..Default::default()
            },
            ..Signal::of(
                SignalKind::RefusedScans,
                format!("{n} check-ins refused for location, stale or forged codes"),
            )
        });
    }
    // 6. Bursts of purchases recorded from one till (scanned wallet cards).
    signals.extend(till_bursts(conn, cid, &r)?);
    Ok(signals)
}

/// Fraud signal: many card purchases recorded from one till (one login) within a minute —
/// stamps being farmed at a counter. Redemptions have their own burst signal.
pub fn till_bursts(
    conn: &mut DbConn,
    campaign_id: &CampaignId,
    r: &Range,
) -> Result<Vec<Signal>, AppError> {
    let rows: Vec<(PurchaseId, Option<UserId>, MerchantId, NaiveDateTime)> = purchases::table
        .filter(purchases::campaign_id.eq(campaign_id))
        .filter(purchases::redemption_id.is_null())
        .filter(purchases::day.between(r.from, r.to))
        .order(purchases::created_at.asc())
        .select((
            purchases::id,
            purchases::user_id,
            purchases::merchant_id,
            purchases::created_at,
        ))
        .load(conn)?;
    /// A till: the login and the shop it recorded for.
    type Till = (Option<UserId>, MerchantId);
    let mut by_till: BTreeMap<Till, Vec<(NaiveDateTime, PurchaseId)>> = BTreeMap::new();
    for (id, user, merchant, t) in rows {
        by_till.entry((user, merchant)).or_default().push((t, id));
    }
    let mut out = Vec::new();
    for ((user, merchant), times) in &by_till {
        let (n, window) = densest(times, BURST_WINDOW);
        if n >= BURST_COUNT {
            out.push(Signal {
                user_id: user.clone(),
                merchant_id: Some(merchant.clone()),
                evidence: Evidence {
                    purchase_ids: Some(window.iter().map(|x| x.1.clone()).collect()),
                    from: Some(window[0].0),
                    ..Default::default()
                },
                ..Signal::of(
                    SignalKind::TillPurchaseBurst,
                    format!(
                        "{n} purchases recorded within {} seconds from one till",
                        BURST_WINDOW.num_seconds()
                    ),
                )
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn densest_window() {
        let t0 = chrono::NaiveDate::from_ymd_opt(2022, 9, 30)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap();
        let times: Vec<_> = [0, 10, 20, 25, 30, 200, 400]
            .iter()
            .map(|s| (t0 + Duration::seconds(*s), s.to_string()))
            .collect();
        let (n, w) = densest(&times, Duration::seconds(60));
        assert_eq!(n, 5);
        assert_eq!(w[0].1, "0");
        assert_eq!(densest(&times[5..], Duration::seconds(60)).0, 1);
    }
}
