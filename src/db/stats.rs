//! Statistics for officials, read from the event tables by their `(campaign_id, day)` indexes.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::dsl::count_star;
use diesel::prelude::*;
use serde_json::{json, Value};

use super::schema::*;
use super::DbConn;
use crate::domain::names::Names;
use crate::error::AppError;

#[derive(Debug, Clone, Copy)]
pub struct Range {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Range {
    pub fn all() -> Range {
        Range {
            from: NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2999, 12, 31).unwrap(),
        }
    }
}

fn add(map: &mut BTreeMap<NaiveDate, [i64; 4]>, day: NaiveDate, i: usize, n: i64) {
    map.entry(day).or_insert([0; 4])[i] += n;
}

/// id, name, category, redemptions, e-cash, spend.
type MerchantTotals = (String, String, String, i64, Option<i64>, Option<i64>);

/// Everything the campaign dashboard shows.
pub fn campaign(conn: &mut DbConn, campaign_id: &str, r: Range) -> Result<Value, AppError> {
    let pv_by_day: Vec<(NaiveDate, i64)> = pageviews::table
        .filter(pageviews::campaign_id.eq(campaign_id))
        .filter(pageviews::day.between(r.from, r.to))
        .group_by(pageviews::day)
        .select((pageviews::day, count_star()))
        .load(conn)?;
    let unique_visitors: i64 = pageviews::table
        .filter(pageviews::campaign_id.eq(campaign_id))
        .filter(pageviews::day.between(r.from, r.to))
        .select(diesel::dsl::count(pageviews::visitor_hash).aggregate_distinct())
        .first(conn)?;
    let ci_by_day: Vec<(NaiveDate, i64)> = checkins::table
        .filter(checkins::campaign_id.eq(campaign_id))
        .filter(checkins::day.between(r.from, r.to))
        .group_by(checkins::day)
        .select((checkins::day, count_star()))
        .load(conn)?;
    let checkin_visitors: i64 = checkins::table
        .filter(checkins::campaign_id.eq(campaign_id))
        .filter(checkins::day.between(r.from, r.to))
        .select(diesel::dsl::count(checkins::visitor_id).aggregate_distinct())
        .first(conn)?;
    let issued_by_day: Vec<(NaiveDate, i64)> = coupons::table
        .filter(coupons::campaign_id.eq(campaign_id))
        .filter(coupons::day.between(r.from, r.to))
        .group_by(coupons::day)
        .select((coupons::day, count_star()))
        .load(conn)?;
    let red_by_day: Vec<(NaiveDate, i64)> = redemptions::table
        .filter(redemptions::campaign_id.eq(campaign_id))
        .filter(redemptions::status.eq("done"))
        .filter(redemptions::day.between(r.from, r.to))
        .group_by(redemptions::day)
        .select((redemptions::day, count_star()))
        .load(conn)?;
    let mut daily: BTreeMap<NaiveDate, [i64; 4]> = BTreeMap::new();
    for (d, n) in &pv_by_day {
        add(&mut daily, *d, 0, *n);
    }
    for (d, n) in &ci_by_day {
        add(&mut daily, *d, 1, *n);
    }
    for (d, n) in &issued_by_day {
        add(&mut daily, *d, 2, *n);
    }
    for (d, n) in &red_by_day {
        add(&mut daily, *d, 3, *n);
    }
    let total = |v: &[(NaiveDate, i64)]| v.iter().map(|x| x.1).sum::<i64>();
    let (page_views, checkins_n, issued, redeemed) = (
        total(&pv_by_day),
        total(&ci_by_day),
        total(&issued_by_day),
        total(&red_by_day),
    );

    // Per point, with refusals by reason.
    let pts: Vec<(String, String, String)> = points::table
        .filter(points::campaign_id.eq(campaign_id))
        .order(points::created_at.asc())
        .select((points::id, points::name, points::kind))
        .load(conn)?;
    let per_point: BTreeMap<String, i64> = checkins::table
        .filter(checkins::campaign_id.eq(campaign_id))
        .filter(checkins::day.between(r.from, r.to))
        .group_by(checkins::point_id)
        .select((checkins::point_id, count_star()))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    let refusals: Vec<(Option<String>, String, i64)> = checkin_refusals::table
        .filter(checkin_refusals::campaign_id.eq(campaign_id))
        .filter(checkin_refusals::day.between(r.from, r.to))
        .group_by((checkin_refusals::point_id, checkin_refusals::reason))
        .select((
            checkin_refusals::point_id,
            checkin_refusals::reason,
            count_star(),
        ))
        .load(conn)?;
    let points_json: Vec<Value> = pts
        .iter()
        .map(|(id, name, kind)| {
            let refused: BTreeMap<&str, i64> = refusals
                .iter()
                .filter(|(p, _, _)| p.as_deref() == Some(id))
                .map(|(_, reason, n)| (reason.as_str(), *n))
                .collect();
            json!({"point_id": id, "name": Names::from_json(name), "kind": kind,
                   "checkins": per_point.get(id).copied().unwrap_or(0), "refused": refused})
        })
        .collect();

    // Per offer.
    let offers_rows: Vec<(String, String, String, i32, i32)> = offers::table
        .filter(offers::campaign_id.eq(campaign_id))
        .order(offers::created_at.asc())
        .select((
            offers::id,
            offers::name,
            offers::kind,
            offers::stock,
            offers::issued,
        ))
        .load(conn)?;
    let red_by_offer: BTreeMap<String, i64> = redemptions::table
        .filter(redemptions::campaign_id.eq(campaign_id))
        .filter(redemptions::status.eq("done"))
        .filter(redemptions::day.between(r.from, r.to))
        .group_by(redemptions::offer_id)
        .select((redemptions::offer_id, count_star()))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    let issued_by_offer: BTreeMap<String, i64> = coupons::table
        .filter(coupons::campaign_id.eq(campaign_id))
        .filter(coupons::day.between(r.from, r.to))
        .group_by(coupons::offer_id)
        .select((coupons::offer_id, count_star()))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    let offers_json: Vec<Value> = offers_rows
        .iter()
        .map(|(id, name, kind, stock, all_issued)| {
            json!({"offer_id": id, "name": Names::from_json(name), "kind": kind, "stock": stock,
                   "issued_total": all_issued,
                   "issued": issued_by_offer.get(id).copied().unwrap_or(0),
                   "redeemed": red_by_offer.get(id).copied().unwrap_or(0)})
        })
        .collect();

    // Per merchant.
    let per_merchant: Vec<MerchantTotals> = redemptions::table
        .inner_join(merchants::table.on(merchants::id.eq(redemptions::merchant_id)))
        .filter(redemptions::campaign_id.eq(campaign_id))
        .filter(redemptions::status.eq("done"))
        .filter(redemptions::day.between(r.from, r.to))
        .group_by((merchants::id, merchants::name, merchants::category))
        .select((
            merchants::id,
            merchants::name,
            merchants::category,
            count_star(),
            diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::BigInt>>(
                "CAST(SUM(redemptions.ecash_avos) AS BIGINT)",
            ),
            diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::BigInt>>(
                "CAST(SUM(redemptions.spend_avos) AS BIGINT)",
            ),
        ))
        .load(conn)?;
    let mut merchants_json: Vec<Value> = per_merchant
        .iter()
        .map(|(id, name, cat, n, ecash, spend)| {
            json!({"merchant_id": id, "name": Names::from_json(name), "category": cat, "redemptions": n,
                   "ecash_avos": ecash.unwrap_or(0), "spend_avos": spend.unwrap_or(0)})
        })
        .collect();
    merchants_json.sort_by_key(|m| std::cmp::Reverse(m["redemptions"].as_i64().unwrap_or(0)));
    let ecash_redeemed: i64 = per_merchant.iter().map(|m| m.4.unwrap_or(0)).sum();
    let spend: i64 = per_merchant.iter().map(|m| m.5.unwrap_or(0)).sum();
    let merchants_enrolled: i64 = enrolments::table
        .filter(enrolments::campaign_id.eq(campaign_id))
        .filter(enrolments::status.eq("approved"))
        .count()
        .get_result(conn)?;

    // Per traffic source, down the funnel.
    let mut refs: BTreeMap<String, [i64; 5]> = BTreeMap::new();
    let key = |r: Option<String>| r.unwrap_or_else(|| "(direct)".into());
    for (rf, n) in pageviews::table
        .filter(pageviews::campaign_id.eq(campaign_id))
        .filter(pageviews::day.between(r.from, r.to))
        .group_by(pageviews::ref_)
        .select((pageviews::ref_, count_star()))
        .load::<(Option<String>, i64)>(conn)?
    {
        refs.entry(key(rf)).or_insert([0; 5])[0] += n;
    }
    for (rf, n, v) in checkins::table
        .inner_join(visitors::table.on(visitors::id.eq(checkins::visitor_id)))
        .filter(checkins::campaign_id.eq(campaign_id))
        .filter(checkins::day.between(r.from, r.to))
        .group_by(visitors::ref_)
        .select((
            visitors::ref_,
            count_star(),
            diesel::dsl::count(visitors::id).aggregate_distinct(),
        ))
        .load::<(Option<String>, i64, i64)>(conn)?
    {
        let e = refs.entry(key(rf)).or_insert([0; 5]);
        e[1] += v;
        e[2] += n;
    }
    for (rf, n) in coupons::table
        .inner_join(visitors::table.on(visitors::id.eq(coupons::visitor_id)))
        .filter(coupons::campaign_id.eq(campaign_id))
        .filter(coupons::day.between(r.from, r.to))
        .group_by(visitors::ref_)
        .select((visitors::ref_, count_star()))
        .load::<(Option<String>, i64)>(conn)?
    {
        refs.entry(key(rf)).or_insert([0; 5])[3] += n;
    }
    for (rf, n) in redemptions::table
        .inner_join(coupons::table.on(coupons::id.eq(redemptions::coupon_id)))
        .inner_join(visitors::table.on(visitors::id.eq(coupons::visitor_id)))
        .filter(redemptions::campaign_id.eq(campaign_id))
        .filter(redemptions::status.eq("done"))
        .filter(redemptions::day.between(r.from, r.to))
        .group_by(visitors::ref_)
        .select((visitors::ref_, count_star()))
        .load::<(Option<String>, i64)>(conn)?
    {
        refs.entry(key(rf)).or_insert([0; 5])[4] += n;
    }
    let refs_json: Vec<Value> = refs
        .iter()
        .map(|(k, v)| json!({"ref": k, "page_views": v[0], "visitors": v[1], "checkins": v[2], "coupons_issued": v[3], "redemptions": v[4]}))
        .collect();

    let survey: Vec<bool> = survey_answers::table
        .filter(survey_answers::campaign_id.eq(campaign_id))
        .select(survey_answers::came_because_of_campaign)
        .load(conn)?;
    let yes = survey.iter().filter(|b| **b).count() as i64;

    Ok(json!({
        "campaign_id": campaign_id,
        "from": r.from.to_string(),
        "to": r.to.to_string(),
        "funnel": {"page_views": page_views, "unique_visitors": unique_visitors, "visitors": checkin_visitors,
                   "checkins": checkins_n, "coupons_issued": issued, "coupons_redeemed": redeemed},
        "redemption_rate": if issued > 0 { redeemed as f64 / issued as f64 } else { 0.0 },
        "ecash_redeemed_avos": ecash_redeemed,
        "spend_avos": spend,
        "merchants_enrolled": merchants_enrolled,
        "merchants_redeeming": per_merchant.len(),
        "daily": daily.iter().map(|(d, v)| json!({"day": d.to_string(), "page_views": v[0], "checkins": v[1], "issued": v[2], "redeemed": v[3]})).collect::<Vec<_>>(),
        "points": points_json,
        "offers": offers_json,
        "merchants": merchants_json,
        "refs": refs_json,
        "survey": {"responses": survey.len(), "yes": yes,
                   "share": if survey.is_empty() { Value::Null } else { json!(yes as f64 / survey.len() as f64) }},
    }))
}

/// Totals over all campaigns.
pub fn overview(conn: &mut DbConn) -> Result<Value, AppError> {
    let campaigns_n: i64 = campaigns::table
        .filter(campaigns::status.ne("draft"))
        .count()
        .get_result(conn)?;
    let merchants_n: i64 = enrolments::table
        .filter(enrolments::status.eq("approved"))
        .select(diesel::dsl::count(enrolments::merchant_id).aggregate_distinct())
        .first(conn)?;
    let page_views: i64 = pageviews::table.count().get_result(conn)?;
    let unique: i64 = pageviews::table
        .select(diesel::dsl::count(pageviews::visitor_hash).aggregate_distinct())
        .first(conn)?;
    let visitors_n: i64 = visitors::table.count().get_result(conn)?;
    let checkins_n: i64 = checkins::table.count().get_result(conn)?;
    let issued: i64 = coupons::table.count().get_result(conn)?;
    let (redeemed, ecash, spend): (i64, Option<i64>, Option<i64>) = redemptions::table
        .filter(redemptions::status.eq("done"))
        .select((
            count_star(),
            diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::BigInt>>(
                "CAST(SUM(redemptions.ecash_avos) AS BIGINT)",
            ),
            diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::BigInt>>(
                "CAST(SUM(redemptions.spend_avos) AS BIGINT)",
            ),
        ))
        .first(conn)?;
    let survey: Vec<bool> = survey_answers::table
        .select(survey_answers::came_because_of_campaign)
        .load(conn)?;
    let yes = survey.iter().filter(|b| **b).count();
    Ok(json!({
        "campaigns": campaigns_n,
        "merchants": merchants_n,
        "page_views": page_views,
        "unique_visitors": unique,
        "visitors": visitors_n,
        "checkins": checkins_n,
        "coupons_issued": issued,
        "coupons_redeemed": redeemed,
        "ecash_redeemed_avos": ecash.unwrap_or(0),
        "spend_avos": spend.unwrap_or(0),
        "survey": {"responses": survey.len(), "yes": yes},
        "summary": crate::domain::summary::overview(campaigns_n, merchants_n, page_views, issued),
    }))
}
