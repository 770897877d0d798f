//! Statistics use cases: a campaign's statistics, the overview, a campaign's open data and
//! the audit log. The figures are counted in `db::stats` (facts and the rows beside them) and
//! `db::purchases`; the answers are built from them here, and only here.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::db::cache::Caches;
use crate::db::stats::{self, Range};
use crate::db::{audit, catalog, DbConn};
use crate::domain::merchant_no::short_no;
use crate::domain::names::Names;
use crate::domain::open_data::suppressed;
use crate::domain::time::to_rfc3339;
use crate::error::AppError;
use crate::views::stats::{
    AuditEntry, CampaignStats, DailyFigures, Funnel, MerchantFigures, OfferFigures, OpenCampaign,
    OpenData, OpenDay, OpenOffer, OpenPoint, OpenRef, OpenTotals, Overview, PointFigures,
    PurchaseTotals, RefFigures,
};

/// `a / b`, 0 when nothing was counted in `b`.
fn rate(a: i64, b: i64) -> f64 {
    if b > 0 {
        a as f64 / b as f64
    } else {
        0.0
    }
}

/// Everything the campaign dashboard shows (`key`: the campaign's id or slug), its facts
/// counted now and kept for the other statistics of the campaign.
pub fn campaign(
    c: &mut DbConn,
    caches: &Caches,
    key: &str,
    r: Range,
) -> Result<CampaignStats, AppError> {
    let cid = catalog::find_campaign(c, key)?.id;
    let f = caches.count_facts(c, &cid, r)?;
    let rows = stats::campaign_rows(c, &f, &cid)?;
    let no_refusals = BTreeMap::new();
    let points = rows
        .points
        .iter()
        .map(|(id, name, kind)| PointFigures {
            point_id: id.clone(),
            name: Names::from_json(name),
            kind: kind.clone(),
            checkins: f.points.get(id).copied().unwrap_or(0),
            refused: f.refused.get(id).unwrap_or(&no_refusals).clone(),
        })
        .collect();
    let offers = rows
        .offers
        .iter()
        .map(|(id, name, kind, stock, all_issued)| {
            let [issued, redeemed] = f.offers.get(id).copied().unwrap_or_default();
            OfferFigures {
                offer_id: id.clone(),
                name: Names::from_json(name),
                kind: kind.clone(),
                stock: i64::from(*stock),
                issued_total: i64::from(*all_issued),
                issued,
                redeemed,
                redemption_rate: rate(redeemed, issued),
            }
        })
        .collect();
    let mut merchants: Vec<MerchantFigures> = rows
        .merchants
        .iter()
        .map(|(id, name, category, address)| {
            let [n, ecash, spend] = f.merchants.get(id).copied().unwrap_or_default();
            MerchantFigures {
                merchant_id: id.clone(),
                name: Names::from_json(name),
                category: category.clone(),
                redemptions: n,
                ecash_avos: ecash,
                spend_avos: spend,
                address: address.clone(),
                merchant_no: short_no(id),
            }
        })
        .collect();
    // Most redemptions first (a stable sort: ties stay in the order they were read).
    merchants.sort_by_key(|m| std::cmp::Reverse(m.redemptions));
    Ok(CampaignStats {
        campaign_id: cid.to_string(),
        from: r.from.to_string(),
        to: r.to.to_string(),
        funnel: Funnel {
            page_views: f.page_views,
            unique_visitors: f.page_visitors,
            visitors: f.visitors,
            checkins: f.checkins,
            coupons_issued: f.issued,
            coupons_redeemed: f.redeemed,
            purchases: f.purchases,
            purchase_spend_avos: f.purchase_spend_avos,
        },
        redemption_rate: rate(f.redeemed, f.issued),
        ecash_redeemed_avos: f.ecash_avos,
        spend_avos: f.spend_avos,
        merchants_enrolled: rows.merchants_enrolled,
        merchants_redeeming: f.merchants.len() as i64,
        daily: f
            .daily
            .iter()
            .map(|(d, v)| DailyFigures {
                day: d.to_string(),
                page_views: v[0],
                checkins: v[1],
                issued: v[2],
                redeemed: v[3],
            })
            .collect(),
        points,
        offers,
        merchants,
        refs: f
            .refs
            .iter()
            .map(|(k, v)| RefFigures {
                ref_: k.clone(),
                page_views: v[0],
                visitors: v[1],
                checkins: v[2],
                coupons_issued: v[3],
                redemptions: v[4],
            })
            .collect(),
        survey: rows.survey.into(),
        purchases: PurchaseTotals::from(&*f),
    })
}

/// Totals over every campaign (drafts excluded), each campaign's facts counted now over all
/// days and kept.
pub fn overview(c: &mut DbConn, caches: &Caches) -> Result<Overview, AppError> {
    let all = Range::all();
    let o = stats::overview_rows(c, &|c, id| caches.count_facts(c, id, all))?;
    let f = &o.facts;
    let (purchases, purchase_spend_avos) = (f.purchases, f.purchase_spend_avos);
    Ok(Overview {
        campaigns: o.campaigns,
        merchants: o.merchants,
        page_views: f.page_views,
        unique_visitors: f.page_visitors,
        visitors: o.visitors,
        checkin_visitors: f.visitors,
        checkins: f.checkins,
        coupons_issued: f.issued,
        coupons_redeemed: f.redeemed,
        redemption_rate: rate(f.redeemed, f.issued),
        ecash_redeemed_avos: f.ecash_avos,
        spend_avos: f.spend_avos,
        survey: o.survey.into(),
        summary: crate::domain::summary::overview(o.campaigns, o.merchants, f.page_views, f.issued),
        purchases,
        purchase_spend_avos,
    })
}

/// The open-data view of a campaign: aggregates per Macau day and totals per point, offer and
/// traffic source; no visitor, coupon or merchant-login ids; small counts suppressed. A draft
/// is shown only to the bureau (`official`).
pub fn open_data(
    c: &mut DbConn,
    caches: &Caches,
    key: &str,
    r: Range,
    official: bool,
) -> Result<OpenData, AppError> {
    let camp = catalog::find_campaign(c, key)?;
    if camp.status == crate::types::CampaignStatus::Draft && !official {
        return Err(AppError::NotFound(format!("no campaign '{key}'")));
    }
    let f = caches.facts(c, &camp.id, r)?;
    let points = catalog::points_of(c, &camp.id)?;
    let offers = catalog::offers_of(c, &camp.id)?;
    let names = |n: &str| crate::domain::names::Names::from_json(n);
    Ok(OpenData {
        campaign: OpenCampaign {
            id: camp.id.to_string(),
            slug: camp.slug.clone(),
            name: names(&camp.name),
            district: camp.district.clone(),
            starts_at: to_rfc3339(camp.starts_at),
            ends_at: to_rfc3339(camp.ends_at),
        },
        licence: "Aggregated figures; counts from 1 to 4 are given as null.".into(),
        totals: OpenTotals {
            page_views: suppressed(f.page_views),
            unique_visitors: suppressed(f.page_visitors),
            visitors: suppressed(f.visitors),
            checkins: suppressed(f.checkins),
            coupons_issued: suppressed(f.issued),
            coupons_redeemed: suppressed(f.redeemed),
            ecash_redeemed_avos: f.ecash_avos,
            spend_avos: f.spend_avos,
            merchants_redeeming: f.merchants.len() as i64,
        },
        days: f
            .daily
            .iter()
            .map(|(d, v)| OpenDay {
                day: d.to_string(),
                page_views: suppressed(v[0]),
                checkins: suppressed(v[1]),
                coupons_issued: suppressed(v[2]),
                coupons_redeemed: suppressed(v[3]),
            })
            .collect(),
        points: points
            .iter()
            .map(|p| OpenPoint {
                name: names(&p.name),
                kind: p.kind.to_string(),
                lat: p.lat,
                lng: p.lng,
                checkins: suppressed(f.points.get(p.id.as_str()).copied().unwrap_or(0)),
            })
            .collect(),
        offers: offers
            .iter()
            .map(|o| {
                let v = f.offers.get(o.id.as_str()).copied().unwrap_or_default();
                OpenOffer {
                    name: names(&o.name),
                    kind: o.kind.to_string(),
                    face_value_avos: o.face_value_avos,
                    percent_off: o.percent_off,
                    stock: o.stock,
                    issued: suppressed(v[0]),
                    redeemed: suppressed(v[1]),
                }
            })
            .collect(),
        refs: f
            .refs
            .iter()
            .map(|(k, v)| OpenRef {
                ref_: k.to_string(),
                page_views: suppressed(v[0]),
                visitors: suppressed(v[1]),
                checkins: suppressed(v[2]),
                coupons_issued: suppressed(v[3]),
                redemptions: suppressed(v[4]),
            })
            .collect(),
    })
}

/// The audit log, newest first, with the actors' login names and readable entity names.
pub fn audit_log(
    c: &mut DbConn,
    entity: Option<&str>,
    entity_id: Option<&str>,
    limit: i64,
) -> Result<Vec<AuditEntry>, AppError> {
    let rows = audit::list(c, entity, entity_id, limit)?;
    let mut ids: Vec<String> = rows.iter().filter_map(|r| r.actor_id.clone()).collect();
    ids.sort();
    ids.dedup();
    let actors = crate::db::audit_names::user_names(c, &ids)?;
    let mut wanted: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r.entity.clone(), r.entity_id.clone()))
        .collect();
    wanted.sort();
    wanted.dedup();
    let entities = crate::db::audit_names::entity_names(c, &wanted)?;
    let parse = |s: &Option<String>| {
        s.as_deref()
            .and_then(|t| serde_json::from_str::<Value>(t).ok())
    };
    Ok(rows
        .iter()
        .map(|r| AuditEntry {
            id: r.id,
            actor_id: r.actor_id.clone(),
            actor_role: r.actor_role.clone(),
            actor_name: r.actor_id.as_ref().and_then(|a| actors.get(a)).cloned(),
            action: r.action.clone(),
            entity: r.entity.clone(),
            entity_id: r.entity_id.clone(),
            entity_label: entities
                .get(&(r.entity.clone(), r.entity_id.clone()))
                .cloned(),
            before: parse(&r.before),
            after: parse(&r.after),
            at: to_rfc3339(r.created_at),
        })
        .collect())
}
