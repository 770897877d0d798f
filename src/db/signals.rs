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
use crate::types::CampaignId;

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
#[derive(Debug, Clone, Default)]
pub struct Signal {
    /// `exact_minimum_spend`, `till_burst`, `merchant_hopping`, `visitors_from_one_device`,
    /// `refused_scans` or `till_purchase_burst`.
    pub kind: &'static str,
    pub detail: String,
    pub merchant_id: Option<String>,
    pub user_id: Option<String>,
    pub visitor_id: Option<String>,
    pub device_hash: Option<String>,
    pub evidence: Evidence,
}

/// The rows behind a signal (each kind fills its own).
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    pub redemption_ids: Option<Vec<String>>,
    pub purchase_ids: Option<Vec<String>>,
    pub merchant_ids: Option<Vec<String>>,
    pub visitor_ids: Option<Vec<String>>,
    pub refusals: Option<Vec<Refusal>>,
    /// When a burst began.
    pub from: Option<NaiveDateTime>,
}

/// A refused check-in.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub id: String,
    pub reason: String,
    pub at: NaiveDateTime,
}

/// id, merchant, till user, visitor, spend, minimum spend, time, offer kind.
type RedemptionFacts = (
    String,
    String,
    String,
    String,
    i64,
    i64,
    NaiveDateTime,
    String,
);

/// The largest number of timestamps (sorted) inside any window of the given length, with them.
pub(crate) fn densest(
    times: &[(NaiveDateTime, String)],
    window: Duration,
) -> (usize, &[(NaiveDateTime, String)]) {
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
    let mut by_merchant: BTreeMap<&str, (usize, Vec<&str>)> = BTreeMap::new();
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
                kind: "exact_minimum_spend",
                merchant_id: Some(m.to_string()),
                detail: format!(
                    "{} of {} redemptions at exactly the minimum spend",
                    exact.len(),
                    total
                ),
                evidence: Evidence {
                    redemption_ids: Some(exact.iter().map(|x| x.to_string()).collect()),
                    ..Default::default()
                },
                ..Default::default()
            });
        }
    }
    // 2. Bursts of redemptions from one till (one login).
    let mut by_till: BTreeMap<&str, Vec<(NaiveDateTime, String)>> = BTreeMap::new();
    for (id, _, u, _, _, _, t, _) in &rows {
        by_till.entry(u).or_default().push((*t, id.clone()));
    }
    for (u, times) in &by_till {
        let (n, window) = densest(times, BURST_WINDOW);
        if n >= BURST_COUNT {
            signals.push(Signal {
                kind: "till_burst",
                user_id: Some(u.to_string()),
                detail: format!(
                    "{n} redemptions within {} seconds from one till",
                    BURST_WINDOW.num_seconds()
                ),
                evidence: Evidence {
                    redemption_ids: Some(window.iter().map(|x| x.1.clone()).collect()),
                    from: Some(window[0].0),
                    ..Default::default()
                },
                ..Default::default()
            });
        }
    }
    // 3. One visitor redeeming at many merchants within minutes.
    let mut by_visitor: BTreeMap<&str, Vec<(NaiveDateTime, &str, &str)>> = BTreeMap::new();
    for (id, m, _, v, _, _, t, _) in &rows {
        by_visitor.entry(v).or_default().push((*t, m, id));
    }
    for (v, list) in &by_visitor {
        for (i, (t0, _, _)) in list.iter().enumerate() {
            let inside: Vec<_> = list[i..]
                .iter()
                .take_while(|(t, _, _)| *t - *t0 <= HOPPING_WINDOW)
                .collect();
            let shops: BTreeSet<&str> = inside.iter().map(|x| x.1).collect();
            if shops.len() >= HOPPING_MERCHANTS {
                signals.push(Signal {
                    kind: "merchant_hopping",
                    visitor_id: Some(v.to_string()),
                    detail: format!(
                        "one visitor redeemed at {} merchants within {} minutes",
                        shops.len(),
                        HOPPING_WINDOW.num_minutes()
                    ),
                    evidence: Evidence {
                        redemption_ids: Some(inside.iter().map(|x| x.2.to_string()).collect()),
                        merchant_ids: Some(shops.iter().map(|x| x.to_string()).collect()),
                        ..Default::default()
                    },
                    ..Default::default()
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
        let ids: Vec<String> = visitors::table
            .filter(visitors::device_hash.eq(&hash))
            .select(visitors::id)
            .limit(200)
            .load(conn)?;
        signals.push(Signal {
            kind: "visitors_from_one_device",
            device_hash: hash,
            detail: format!("{n} visitors who checked in were created from one device or address"),
            evidence: Evidence {
                visitor_ids: Some(ids),
                ..Default::default()
            },
            ..Default::default()
        });
    }
    // 5. Visitors with repeated refused scans: outside the fence, stale or forged codes.
    let refused: Vec<(Option<String>, i64)> = checkin_refusals::table
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
        let evidence: Vec<(String, String, NaiveDateTime)> = checkin_refusals::table
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
            kind: "refused_scans",
            visitor_id: v,
            detail: format!("{n} check-ins refused for location, stale or forged codes"),
            evidence: Evidence {
                refusals: Some(
                    evidence
                        .into_iter()
                        .map(|(id, reason, at)| Refusal { id, reason, at })
                        .collect(),
                ),
                ..Default::default()
            },
            ..Default::default()
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
    let rows: Vec<(String, Option<String>, String, NaiveDateTime)> = purchases::table
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
    let mut by_till: std::collections::BTreeMap<(String, String), Vec<(NaiveDateTime, String)>> =
        Default::default();
    for (id, user, merchant, t) in rows {
        by_till
            .entry((user.unwrap_or_default(), merchant))
            .or_default()
            .push((t, id));
    }
    let mut out = Vec::new();
    for ((user, merchant), times) in &by_till {
        let (n, window) = densest(times, BURST_WINDOW);
        if n >= BURST_COUNT {
            out.push(Signal {
                kind: "till_purchase_burst",
                user_id: Some(user.clone()),
                merchant_id: Some(merchant.clone()),
                detail: format!(
                    "{n} purchases recorded within {} seconds from one till",
                    BURST_WINDOW.num_seconds()
                ),
                evidence: Evidence {
                    purchase_ids: Some(window.iter().map(|x| x.1.clone()).collect()),
                    from: Some(window[0].0),
                    ..Default::default()
                },
                ..Default::default()
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
