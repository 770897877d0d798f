//! Statistics for officials. A campaign's figures are the sum of per-day "facts": days that can
//! no longer change (before yesterday, Macau time) are computed once and kept in `stats_days`;
//! yesterday and today are counted live from the event tables by their `(campaign_id, day)`
//! indexes. So the answer is exact at every moment and costs the same at 3 million check-ins.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use diesel::dsl::count_star;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::schema::*;
use super::DbConn;
use crate::domain::time::{macau_day, now};
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

/// What happened in a campaign over some days; facts of separate days add up.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    pub page_views: i64,
    /// First page view of a (hashed) visitor in the campaign.
    pub page_visitors: i64,
    /// Visitors whose first check-in in the campaign falls in these days.
    pub visitors: i64,
    pub checkins: i64,
    pub issued: i64,
    pub redeemed: i64,
    pub ecash_avos: i64,
    pub spend_avos: i64,
    /// day → [page views, check-ins, coupons issued, redeemed]
    pub daily: BTreeMap<NaiveDate, [i64; 4]>,
    /// point → check-ins
    pub points: BTreeMap<String, i64>,
    /// point → reason → refused scans
    pub refused: BTreeMap<String, BTreeMap<String, i64>>,
    /// offer → [issued, redeemed]
    pub offers: BTreeMap<String, [i64; 2]>,
    /// merchant → [redemptions, e-cash, spend]
    pub merchants: BTreeMap<String, [i64; 3]>,
    /// ref → [page views, visitors, check-ins, coupons issued, redemptions]
    pub refs: BTreeMap<String, [i64; 5]>,
    /// Purchases (a redemption is one) and their spend.
    #[serde(default)]
    pub purchases: i64,
    #[serde(default)]
    pub purchase_spend_avos: i64,
    /// Purchases that made the visitor's stamp of the day at the shop.
    #[serde(default)]
    pub purchase_stamps: i64,
    /// Visitors whose first purchase in the campaign falls in these days.
    #[serde(default)]
    pub buyers: i64,
}

fn add_arr<const N: usize>(a: &mut [i64; N], b: &[i64; N]) {
    for i in 0..N {
        a[i] += b[i];
    }
}

impl Facts {
    pub fn add(&mut self, o: &Facts) {
        self.page_views += o.page_views;
        self.page_visitors += o.page_visitors;
        self.visitors += o.visitors;
        self.checkins += o.checkins;
        self.issued += o.issued;
        self.redeemed += o.redeemed;
        self.ecash_avos += o.ecash_avos;
        self.spend_avos += o.spend_avos;
        self.purchases += o.purchases;
        self.purchase_spend_avos += o.purchase_spend_avos;
        self.purchase_stamps += o.purchase_stamps;
        self.buyers += o.buyers;
        for (k, v) in &o.daily {
            add_arr(self.daily.entry(*k).or_default(), v);
        }
        for (k, v) in &o.points {
            *self.points.entry(k.clone()).or_default() += v;
        }
        for (k, m) in &o.refused {
            let e = self.refused.entry(k.clone()).or_default();
            for (r, n) in m {
                *e.entry(r.clone()).or_default() += n;
            }
        }
        for (k, v) in &o.offers {
            add_arr(self.offers.entry(k.clone()).or_default(), v);
        }
        for (k, v) in &o.merchants {
            add_arr(self.merchants.entry(k.clone()).or_default(), v);
        }
        for (k, v) in &o.refs {
            add_arr(self.refs.entry(k.clone()).or_default(), v);
        }
    }
}

fn sum_bigint(
    col: &'static str,
) -> diesel::expression::SqlLiteral<diesel::sql_types::Nullable<diesel::sql_types::BigInt>> {
    diesel::dsl::sql(col)
}

fn ref_key(r: Option<String>) -> String {
    r.unwrap_or_else(|| "(direct)".into())
}

/// Counts the facts of some days straight from the event tables: one grouped scan of each
/// table's `(campaign_id, day)` range.
pub fn live_facts(
    conn: &mut DbConn,
    cid: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Facts, AppError> {
    let mut f = Facts::default();
    if to < from {
        return Ok(f);
    }
    for (d, r, n) in pageviews::table
        .filter(pageviews::campaign_id.eq(cid))
        .filter(pageviews::day.between(from, to))
        .group_by((pageviews::day, pageviews::ref_))
        .select((pageviews::day, pageviews::ref_, count_star()))
        .load::<(NaiveDate, Option<String>, i64)>(conn)?
    {
        f.daily.entry(d).or_default()[0] += n;
        f.refs.entry(ref_key(r)).or_default()[0] += n;
        f.page_views += n;
    }
    f.page_visitors = page_visitors::table
        .filter(page_visitors::campaign_id.eq(cid))
        .filter(page_visitors::day.between(from, to))
        .count()
        .get_result(conn)?;
    for (d, p, first, r, n) in checkins::table
        .filter(checkins::campaign_id.eq(cid))
        .filter(checkins::day.between(from, to))
        .group_by((
            checkins::day,
            checkins::point_id,
            checkins::first_visit,
            checkins::ref_,
        ))
        .select((
            checkins::day,
            checkins::point_id,
            checkins::first_visit,
            checkins::ref_,
            count_star(),
        ))
        .load::<(NaiveDate, String, bool, Option<String>, i64)>(conn)?
    {
        f.daily.entry(d).or_default()[1] += n;
        *f.points.entry(p).or_default() += n;
        f.checkins += n;
        let e = f.refs.entry(ref_key(r)).or_default();
        e[2] += n;
        if first {
            f.visitors += n;
            e[1] += n;
        }
    }
    for (p, reason, n) in checkin_refusals::table
        .filter(checkin_refusals::campaign_id.eq(cid))
        .filter(checkin_refusals::day.between(from, to))
        .group_by((checkin_refusals::point_id, checkin_refusals::reason))
        .select((
            checkin_refusals::point_id,
            checkin_refusals::reason,
            count_star(),
        ))
        .load::<(Option<String>, String, i64)>(conn)?
    {
        *f.refused
            .entry(p.unwrap_or_default())
            .or_default()
            .entry(reason)
            .or_default() += n;
    }
    for (d, o, r, n) in coupons::table
        .filter(coupons::campaign_id.eq(cid))
        .filter(coupons::day.between(from, to))
        .group_by((coupons::day, coupons::offer_id, coupons::ref_))
        .select((coupons::day, coupons::offer_id, coupons::ref_, count_star()))
        .load::<(NaiveDate, String, Option<String>, i64)>(conn)?
    {
        f.daily.entry(d).or_default()[2] += n;
        f.offers.entry(o).or_default()[0] += n;
        f.refs.entry(ref_key(r)).or_default()[3] += n;
        f.issued += n;
    }
    for (d, o, m, r, n, ecash, spend) in redemptions::table
        .filter(redemptions::campaign_id.eq(cid))
        .filter(redemptions::status.eq("done"))
        .filter(redemptions::day.between(from, to))
        .group_by((
            redemptions::day,
            redemptions::offer_id,
            redemptions::merchant_id,
            redemptions::ref_,
        ))
        .select((
            redemptions::day,
            redemptions::offer_id,
            redemptions::merchant_id,
            redemptions::ref_,
            count_star(),
            sum_bigint("CAST(SUM(redemptions.ecash_avos) AS BIGINT)"),
            sum_bigint("CAST(SUM(redemptions.spend_avos) AS BIGINT)"),
        ))
        .load::<(
            NaiveDate,
            String,
            String,
            Option<String>,
            i64,
            Option<i64>,
            Option<i64>,
        )>(conn)?
    {
        let (ecash, spend) = (ecash.unwrap_or(0), spend.unwrap_or(0));
        f.daily.entry(d).or_default()[3] += n;
        f.offers.entry(o).or_default()[1] += n;
        add_arr(f.merchants.entry(m).or_default(), &[n, ecash, spend]);
        f.refs.entry(ref_key(r)).or_default()[4] += n;
        f.redeemed += n;
        f.ecash_avos += ecash;
        f.spend_avos += spend;
    }
    let (n, spend, stamped) = purchases::table
        .filter(purchases::campaign_id.eq(cid))
        .filter(purchases::day.between(from, to))
        .select((
            count_star(),
            sum_bigint("CAST(SUM(purchases.spend_avos) AS BIGINT)"),
            sum_bigint("CAST(SUM(CASE WHEN purchases.stamped THEN 1 ELSE 0 END) AS BIGINT)"),
        ))
        .first::<(i64, Option<i64>, Option<i64>)>(conn)?;
    f.purchases = n;
    f.purchase_spend_avos = spend.unwrap_or(0);
    f.purchase_stamps = stamped.unwrap_or(0);
    if n > 0 {
        // A buyer is counted on the day of their first purchase in the campaign, so the
        // counts of separate days add up to the campaign's buyers.
        #[derive(QueryableByName)]
        struct Buyers {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let b: Buyers = crate::fixed!(
            "SELECT COUNT(DISTINCT p.visitor_id) AS n FROM purchases p \
             WHERE p.campaign_id = ? AND p.day BETWEEN ? AND ? AND NOT EXISTS \
             (SELECT 1 FROM purchases e WHERE e.visitor_id = p.visitor_id \
             AND e.campaign_id = p.campaign_id AND e.day < ?)"
        )
        .bind::<diesel::sql_types::Text, _>(cid)
        .bind::<diesel::sql_types::Date, _>(from)
        .bind::<diesel::sql_types::Date, _>(to)
        .bind::<diesel::sql_types::Date, _>(from)
        .get_result(conn)?;
        f.buyers = b.n;
    }
    Ok(f)
}

/// The last day that can no longer change. Check-ins may be uploaded up to six hours late and
/// redemptions undone for ten minutes, so a day is final from 06:15 (Macau) the day after.
pub fn last_closed_day() -> NaiveDate {
    let settled = now() - (crate::domain::checkin::MAX_OFFLINE_UPLOAD + Duration::minutes(15));
    macau_day(settled) - Duration::days(1)
}

/// Calls `$each!` with every table of a campaign's dated events (`campaign_id`, `day`): the
/// days the statistics look at (a card purchase may be the only event of its day).
macro_rules! event_tables {
    ($each:ident) => {
        $each!(
            checkins,
            coupons,
            redemptions,
            pageviews,
            checkin_refusals,
            purchases
        )
    };
}

/// The campaign's first day with anything to count (history may predate the campaign's
/// creation when it was imported).
fn first_day(conn: &mut DbConn, cid: &str) -> Result<NaiveDate, AppError> {
    use diesel::dsl::min;
    let (created, starts): (chrono::NaiveDateTime, chrono::NaiveDateTime) = campaigns::table
        .find(cid)
        .select((campaigns::created_at, campaigns::starts_at))
        .first(conn)?;
    // Never before the campaign existed (a start mistyped years early must not make the
    // statistics job keep centuries of empty days).
    let _ = starts;
    let mut first = macau_day(created);
    macro_rules! earliest {
        ($($t:ident),*) => {
            [$($t::table
                .filter($t::campaign_id.eq(cid))
                .select(min($t::day))
                .first::<Option<NaiveDate>>(conn)?),*]
        };
    }
    let earliest = event_tables!(earliest);
    for d in earliest.into_iter().flatten() {
        first = first.min(d);
    }
    Ok(first)
}

/// Computes and keeps the facts of closed days not kept yet (up to `until`). Two processes
/// doing it at once write the same rows; the second insert is ignored.
pub fn close_days(conn: &mut DbConn, cid: &str, until: NaiveDate) -> Result<usize, AppError> {
    let first = first_day(conn, cid)?;
    let until = until.min(last_closed_day());
    if until < first {
        return Ok(0);
    }
    let kept: std::collections::HashSet<NaiveDate> = stats_days::table
        .filter(stats_days::campaign_id.eq(cid))
        .filter(stats_days::day.between(first, until))
        .select(stats_days::day)
        .load::<NaiveDate>(conn)?
        .into_iter()
        .collect();
    // Only the days not kept yet are looked at; usually there are none.
    let missing: Vec<NaiveDate> = first
        .iter_days()
        .take_while(|d| *d <= until)
        .filter(|d| !kept.contains(d))
        .collect();
    let (Some(&lo), Some(&hi)) = (missing.first(), missing.last()) else {
        return Ok(0);
    };
    // Days with nothing in them are kept as empty facts without counting anything.
    let mut busy: std::collections::HashSet<NaiveDate> = std::collections::HashSet::new();
    let span = |q: Vec<NaiveDate>| q.into_iter().filter(|d| !kept.contains(d));
    macro_rules! days_with_events {
        ($($t:ident),*) => {
            $(busy.extend(span(
                $t::table
                    .filter($t::campaign_id.eq(cid))
                    .filter($t::day.between(lo, hi))
                    .select($t::day)
                    .distinct()
                    .load(conn)?,
            ));)*
        };
    }
    event_tables!(days_with_events);
    let empty =
        serde_json::to_string(&Facts::default()).map_err(|e| AppError::Internal(e.into()))?;
    let t = now();
    let mut rows = Vec::new();
    let mut day = first;
    while day <= until {
        if !kept.contains(&day) {
            let facts = if busy.contains(&day) {
                serde_json::to_string(&live_facts(conn, cid, day, day)?)
                    .map_err(|e| AppError::Internal(e.into()))?
            } else {
                empty.clone()
            };
            rows.push((
                stats_days::campaign_id.eq(cid.to_string()),
                stats_days::day.eq(day),
                stats_days::facts.eq(facts),
                stats_days::computed_at.eq(t),
            ));
        }
        day += Duration::days(1);
    }
    for chunk in rows.chunks(200) {
        match &mut *conn {
            DbConn::Sqlite(c) => diesel::insert_into(stats_days::table)
                .values(chunk)
                .on_conflict_do_nothing()
                .execute(c)?,
            DbConn::Pg(c) => diesel::insert_into(stats_days::table)
                .values(chunk)
                .on_conflict_do_nothing()
                .execute(c)?,
        };
    }
    Ok(rows.len())
}

/// The e-cash a campaign's redemptions paid (not undone; the budget's `redeemed_avos`), in one
/// statement (one snapshot): the closed days' kept facts (a day can no longer change once
/// closed, see [`last_closed_day`]) plus the redemptions of the days before and after the kept
/// ones ([`close_days`] keeps days without a gap from the campaign's first day). At the real
/// campaigns' scale a few ms, where summing every redemption took 0.2–0.5 s on every campaign
/// list, which visitors load too.
pub fn ecash_redeemed(conn: &mut DbConn, campaign_id: &str) -> Result<i64, AppError> {
    #[derive(QueryableByName)]
    struct Sum {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    macro_rules! redeemed {
        ($kept_ecash:literal) => {
            crate::fixed!(concat!(
                "SELECT CAST(COALESCE((SELECT SUM(",
                $kept_ecash,
                ") FROM stats_days k WHERE k.campaign_id = ?), 0) \
                 + COALESCE((SELECT SUM(r.ecash_avos) FROM redemptions r \
                 WHERE r.campaign_id = ? AND r.status = 'done' AND r.day < COALESCE(\
                 (SELECT MIN(k.day) FROM stats_days k WHERE k.campaign_id = ?), '9999-12-31')), 0) \
                 + COALESCE((SELECT SUM(r.ecash_avos) FROM redemptions r \
                 WHERE r.campaign_id = ? AND r.status = 'done' AND r.day > COALESCE(\
                 (SELECT MAX(k.day) FROM stats_days k WHERE k.campaign_id = ?), '9999-12-31')), 0) \
                 AS BIGINT) AS n"
            ))
        };
    }
    let q = match conn {
        DbConn::Sqlite(_) => redeemed!("CAST(json_extract(k.facts, '$.ecash_avos') AS INTEGER)"),
        DbConn::Pg(_) => redeemed!("CAST(CAST(k.facts AS json) ->> 'ecash_avos' AS BIGINT)"),
    };
    let sum: Sum = q
        .bind::<diesel::sql_types::Text, _>(campaign_id)
        .bind::<diesel::sql_types::Text, _>(campaign_id)
        .bind::<diesel::sql_types::Text, _>(campaign_id)
        .bind::<diesel::sql_types::Text, _>(campaign_id)
        .bind::<diesel::sql_types::Text, _>(campaign_id)
        .get_result(conn)?;
    Ok(sum.n)
}

/// Closes the finished days of every campaign (run in the background).
pub fn close_all(conn: &mut DbConn) -> Result<usize, AppError> {
    let ids: Vec<String> = campaigns::table.select(campaigns::id).load(conn)?;
    let mut n = 0;
    for id in ids {
        n += close_days(conn, &id, last_closed_day())?;
    }
    Ok(n)
}

/// The facts of a campaign over a range: kept days plus live days. With `keep_days` the
/// closed days not kept yet are computed and kept first; without (on a read replica, which
/// cannot write) days not kept yet are counted live like today.
pub fn facts(conn: &mut DbConn, cid: &str, r: Range, keep_days: bool) -> Result<Facts, AppError> {
    let closed_to = r.to.min(last_closed_day());
    let mut f = Facts::default();
    let mut live_from = r.from;
    if r.from <= closed_to {
        if keep_days {
            close_days(conn, cid, closed_to)?;
        }
        let mut next = r.from;
        for (day, json) in stats_days::table
            .filter(stats_days::campaign_id.eq(cid))
            .filter(stats_days::day.between(r.from, closed_to))
            .order(stats_days::day.asc())
            .select((stats_days::day, stats_days::facts))
            .load::<(NaiveDate, String)>(conn)?
        {
            if !keep_days && day > next {
                f.add(&live_facts(conn, cid, next, day - Duration::days(1))?);
            }
            let kept: Facts =
                serde_json::from_str(&json).map_err(|e| AppError::Internal(e.into()))?;
            f.add(&kept);
            next = day + Duration::days(1);
        }
        live_from = if keep_days {
            closed_to + Duration::days(1)
        } else {
            next
        };
    }
    f.add(&live_facts(conn, cid, live_from.max(r.from), r.to)?);
    Ok(f)
}

/// The rows the campaign dashboard shows beside the facts: the campaign's points and offers
/// (oldest first), the merchants that redeemed (in no particular order), how many merchants
/// are enrolled, and the merchants' survey.
#[derive(Debug, Clone, Default)]
pub struct CampaignRows {
    /// id, names (JSON), kind
    pub points: Vec<(String, String, String)>,
    /// id, names (JSON), kind, stock, issued since the offer began
    pub offers: Vec<(String, String, String, i32, i32)>,
    /// id, names (JSON), category, address
    pub merchants: Vec<(String, String, String, String)>,
    pub merchants_enrolled: i64,
    pub survey: SurveyCount,
}

/// How many merchants answered the survey, and how many said the campaign brought customers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SurveyCount {
    pub responses: i64,
    pub yes: i64,
}

impl SurveyCount {
    fn of(answers: &[bool]) -> SurveyCount {
        SurveyCount {
            responses: answers.len() as i64,
            yes: answers.iter().filter(|b| **b).count() as i64,
        }
    }
}

/// Reads what the campaign dashboard shows beside the facts `f` (the merchants redeeming in
/// them).
pub fn campaign_rows(conn: &mut DbConn, f: &Facts, cid: &str) -> Result<CampaignRows, AppError> {
    let points = points::table
        .filter(points::campaign_id.eq(cid))
        .order(points::created_at.asc())
        .select((points::id, points::name, points::kind))
        .load(conn)?;
    let offers = offers::table
        .filter(offers::campaign_id.eq(cid))
        .order(offers::created_at.asc())
        .select((
            offers::id,
            offers::name,
            offers::kind,
            offers::stock,
            offers::issued,
        ))
        .load(conn)?;
    let merchants = merchants::table
        .filter(merchants::id.eq_any(f.merchants.keys().cloned().collect::<Vec<_>>()))
        .select((
            merchants::id,
            merchants::name,
            merchants::category,
            merchants::address,
        ))
        .load(conn)?;
    let merchants_enrolled: i64 = enrolments::table
        .filter(enrolments::campaign_id.eq(cid))
        .filter(enrolments::status.eq("approved"))
        .count()
        .get_result(conn)?;
    let survey: Vec<bool> = survey_answers::table
        .filter(survey_answers::campaign_id.eq(cid))
        .select(survey_answers::came_because_of_campaign)
        .load(conn)?;
    Ok(CampaignRows {
        points,
        offers,
        merchants,
        merchants_enrolled,
        survey: SurveyCount::of(&survey),
    })
}

/// The campaigns statistics are shown for (drafts excluded), newest first.
pub fn shown_campaigns(conn: &mut DbConn) -> Result<Vec<String>, AppError> {
    Ok(campaigns::table
        .filter(campaigns::status.ne("draft"))
        .order(campaigns::created_at.desc())
        .select(campaigns::id)
        .load(conn)?)
}

/// Gives a campaign's facts (from the kept statistics).
pub type FactsOf<'a> = dyn Fn(&mut DbConn, &str) -> Result<std::sync::Arc<Facts>, AppError> + 'a;

/// What the overview counts over all campaigns (their drafts excluded).
#[derive(Debug, Clone, Default)]
pub struct OverviewRows {
    /// Campaigns shown.
    pub campaigns: i64,
    /// Merchants approved in at least one campaign.
    pub merchants: i64,
    /// Visitors' wallets.
    pub visitors: i64,
    /// The facts of every campaign shown, added up.
    pub facts: Facts,
    pub survey: SurveyCount,
}

/// Counts over all campaigns (their drafts excluded); `facts_of` gives a campaign's facts.
pub fn overview_rows(conn: &mut DbConn, facts_of: &FactsOf) -> Result<OverviewRows, AppError> {
    let ids = shown_campaigns(conn)?;
    let mut f = Facts::default();
    for id in &ids {
        f.add(&*facts_of(conn, id)?);
    }
    let merchants: i64 = enrolments::table
        .filter(enrolments::status.eq("approved"))
        .select(diesel::dsl::count(enrolments::merchant_id).aggregate_distinct())
        .first(conn)?;
    let visitors: i64 = visitors::table.count().get_result(conn)?;
    let survey: Vec<bool> = survey_answers::table
        .select(survey_answers::came_because_of_campaign)
        .load(conn)?;
    Ok(OverviewRows {
        campaigns: ids.len() as i64,
        merchants,
        visitors,
        facts: f,
        survey: SurveyCount::of(&survey),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_of_days_add_up() {
        let d = NaiveDate::from_ymd_opt(2022, 9, 30).unwrap();
        let mut a = Facts {
            checkins: 2,
            ..Default::default()
        };
        a.daily.insert(d, [1, 2, 0, 0]);
        a.points.insert("p".into(), 2);
        a.refs.insert("kol".into(), [1, 1, 2, 0, 0]);
        let mut b = Facts {
            checkins: 3,
            redeemed: 1,
            ..Default::default()
        };
        b.daily.insert(d, [0, 3, 0, 1]);
        b.points.insert("p".into(), 3);
        b.merchants.insert("m".into(), [1, 5000, 20000]);
        a.add(&b);
        assert_eq!(a.checkins, 5);
        assert_eq!(a.daily[&d], [1, 5, 0, 1]);
        assert_eq!(a.points["p"], 5);
        assert_eq!(a.merchants["m"], [1, 5000, 20000]);
        let round: Facts = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        assert_eq!(round, a);
    }
}
