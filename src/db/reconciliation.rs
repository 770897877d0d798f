//! The rows a campaign's reconciliation compares, aggregated in SQL: each coupon's and each
//! redemption's story replayed from the ledger (its last entry decides its state) joined with
//! its table row, grouped into a handful of tallies; the rows whose story and table disagree
//! are read one by one only when there are any. The comparison itself (figures, balances,
//! differences) is in [`crate::service::reconciliation`].
//!
//! Replay rules: `issue` puts a coupon in the wallet (its amount is the e-cash face value);
//! `redeem` applies it (amount: e-cash applied); `void` with a redemption undoes that
//! redemption (the coupon is back in the wallet); `void` without a redemption voids the
//! coupon itself; `expire` expires it; `settle` puts an amount on a statement; `pay` pays it.
//! A coupon's state is that of its last entry, its offer and face value those of its last
//! `issue`; a redemption's state is that of its last entry, its amount that of its last
//! `redeem`.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use super::schema::*;
use super::DbConn;
use crate::error::AppError;

/// Ledger entries that tell a coupon's story.
const COUPON_EVENTS: &str = "(kind IN ('issue', 'void', 'expire') \
     OR (kind = 'redeem' AND redemption_id IS NOT NULL))";

/// Each coupon's story from the ledger (`id` is `''` for entries without a coupon, as in
/// the replay), full-joined with the campaign's coupons (`t`).
const COUPON_STORIES: &str = "WITH ev AS ( \
       SELECT coupon_id, id, kind FROM ledger WHERE campaign_id = $1 AND {EVENTS} \
     ), last AS ( \
       SELECT coupon_id, MAX(id) AS last_id, \
              MAX(CASE WHEN kind = 'issue' THEN id END) AS issue_id \
       FROM ev GROUP BY coupon_id \
     ), story AS ( \
       SELECT COALESCE(last.coupon_id, '') AS id, \
              CASE e.kind WHEN 'issue' THEN 'issued' WHEN 'redeem' THEN 'redeemed' \
                WHEN 'expire' THEN 'expired' \
                ELSE (CASE WHEN e.redemption_id IS NULL THEN 'void' ELSE 'issued' END) END AS state, \
              COALESCE(i.offer_id, '') AS offer_id, COALESCE(i.amount_avos, 0) AS face \
       FROM last JOIN ledger e ON e.id = last.last_id \
       LEFT JOIN ledger i ON i.id = last.issue_id \
     ), t AS ( \
       SELECT id, offer_id, status FROM coupons WHERE campaign_id = $1 \
     )";

/// Each redemption's story from the ledger, full-joined with the campaign's redemptions.
const REDEMPTION_STORIES: &str = "WITH ev AS ( \
       SELECT redemption_id, id, kind FROM ledger WHERE campaign_id = $1 \
         AND redemption_id IS NOT NULL AND kind IN ('redeem', 'void') \
     ), last AS ( \
       SELECT redemption_id, MAX(id) AS last_id, \
              MAX(CASE WHEN kind = 'redeem' THEN id END) AS redeem_id \
       FROM ev GROUP BY redemption_id \
     ), story AS ( \
       SELECT last.redemption_id AS id, \
              CASE e.kind WHEN 'redeem' THEN 'done' ELSE 'void' END AS state, \
              COALESCE(r.amount_avos, 0) AS amount \
       FROM last JOIN ledger e ON e.id = last.last_id \
       LEFT JOIN ledger r ON r.id = last.redeem_id \
     ), t AS ( \
       SELECT id, offer_id, status, ecash_avos FROM redemptions WHERE campaign_id = $1 \
     )";

/// Coupons grouped by their story (ledger offer and state; none when the ledger never
/// mentions them) and their table row (offer and status; none when absent).
#[derive(Debug, Clone, QueryableByName)]
pub struct CouponTally {
    #[diesel(sql_type = Nullable<Text>)]
    pub l_offer: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub l_state: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub t_offer: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub t_status: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
    /// Sum of the ledger's face values (issue amounts).
    #[diesel(sql_type = BigInt)]
    pub face: i64,
}

/// One coupon whose story and table row disagree.
#[derive(Debug, Clone, QueryableByName)]
pub struct CouponDiff {
    #[diesel(sql_type = Nullable<Text>)]
    pub l_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub l_offer: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub l_state: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub t_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub t_offer: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub t_status: Option<String>,
}

/// Redemptions grouped by their story's state and their table status, with whether the
/// amounts agree.
#[derive(Debug, Clone, QueryableByName)]
pub struct RedemptionTally {
    #[diesel(sql_type = Nullable<Text>)]
    pub l_state: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub t_status: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub same_amount: i64,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
    /// Sum of the ledger's amounts (last `redeem`).
    #[diesel(sql_type = BigInt)]
    pub l_amount: i64,
    /// Sum of the table's `ecash_avos`.
    #[diesel(sql_type = BigInt)]
    pub t_amount: i64,
}

/// One redemption whose story and table row disagree (state, amount or presence).
#[derive(Debug, Clone, QueryableByName)]
pub struct RedemptionDiff {
    #[diesel(sql_type = Nullable<Text>)]
    pub l_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub l_state: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub l_amount: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub t_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub t_offer: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub t_status: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub t_amount: Option<i64>,
}

#[derive(Debug, Clone, QueryableByName)]
struct KeyedId {
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Runs `sql` (its one parameter `$1`, which SQLite reads as a named parameter) on either
/// database.
fn load<T>(conn: &mut DbConn, sql: &str, campaign_id: &str) -> Result<Vec<T>, AppError>
where
    T: QueryableByName<diesel::pg::Pg> + QueryableByName<diesel::sqlite::Sqlite> + 'static,
{
    let q = diesel::sql_query(sql).bind::<Text, _>(campaign_id);
    Ok(match conn {
        DbConn::Pg(c) => q.load::<T>(c)?,
        DbConn::Sqlite(c) => q.load::<T>(c)?,
    })
}

fn coupon_stories() -> String {
    COUPON_STORIES.replace("{EVENTS}", COUPON_EVENTS)
}

/// How many ledger rows the campaign has.
pub fn ledger_rows(conn: &mut DbConn, campaign_id: &str) -> Result<i64, AppError> {
    Ok(ledger::table
        .filter(ledger::campaign_id.eq(campaign_id))
        .count()
        .get_result(conn)?)
}

/// The campaign's coupons, grouped (see [`CouponTally`]).
pub fn coupon_tallies(conn: &mut DbConn, campaign_id: &str) -> Result<Vec<CouponTally>, AppError> {
    let sql = format!(
        "{} SELECT s.offer_id AS l_offer, s.state AS l_state, t.offer_id AS t_offer, \
           t.status AS t_status, COUNT(*) AS n, CAST(COALESCE(SUM(s.face), 0) AS BIGINT) AS face \
         FROM story s FULL OUTER JOIN t ON t.id = s.id \
         GROUP BY s.offer_id, s.state, t.offer_id, t.status",
        coupon_stories()
    );
    load(conn, &sql, campaign_id)
}

/// The coupons whose story and table row disagree, by id.
pub fn coupon_diffs(conn: &mut DbConn, campaign_id: &str) -> Result<Vec<CouponDiff>, AppError> {
    let sql = format!(
        "{} SELECT s.id AS l_id, s.offer_id AS l_offer, s.state AS l_state, t.id AS t_id, \
           t.offer_id AS t_offer, t.status AS t_status \
         FROM story s FULL OUTER JOIN t ON t.id = s.id \
         WHERE s.id IS NULL OR t.id IS NULL OR s.state <> t.status \
         ORDER BY s.id IS NULL, COALESCE(s.id, t.id)",
        coupon_stories()
    );
    load(conn, &sql, campaign_id)
}

/// The ledger rows of each coupon's story (`''` for entries without a coupon), in order.
pub fn coupon_entries(
    conn: &mut DbConn,
    campaign_id: &str,
) -> Result<Vec<(String, i64)>, AppError> {
    let sql = format!(
        "SELECT COALESCE(coupon_id, '') AS key, id FROM ledger \
         WHERE campaign_id = $1 AND {COUPON_EVENTS} ORDER BY id"
    );
    Ok(load::<KeyedId>(conn, &sql, campaign_id)?
        .into_iter()
        .map(|r| (r.key, r.id))
        .collect())
}

/// The campaign's redemptions, grouped (see [`RedemptionTally`]).
pub fn redemption_tallies(
    conn: &mut DbConn,
    campaign_id: &str,
) -> Result<Vec<RedemptionTally>, AppError> {
    let sql = format!(
        "{REDEMPTION_STORIES} SELECT s.state AS l_state, t.status AS t_status, \
           CAST(CASE WHEN s.amount = t.ecash_avos THEN 1 ELSE 0 END AS BIGINT) AS same_amount, \
           COUNT(*) AS n, CAST(COALESCE(SUM(s.amount), 0) AS BIGINT) AS l_amount, \
           CAST(COALESCE(SUM(t.ecash_avos), 0) AS BIGINT) AS t_amount \
         FROM story s FULL OUTER JOIN t ON t.id = s.id \
         GROUP BY s.state, t.status, CASE WHEN s.amount = t.ecash_avos THEN 1 ELSE 0 END"
    );
    load(conn, &sql, campaign_id)
}

/// The redemptions whose story and table row disagree, by id.
pub fn redemption_diffs(
    conn: &mut DbConn,
    campaign_id: &str,
) -> Result<Vec<RedemptionDiff>, AppError> {
    let sql = format!(
        "{REDEMPTION_STORIES} SELECT s.id AS l_id, s.state AS l_state, s.amount AS l_amount, \
           t.id AS t_id, t.offer_id AS t_offer, t.status AS t_status, t.ecash_avos AS t_amount \
         FROM story s FULL OUTER JOIN t ON t.id = s.id \
         WHERE s.id IS NULL OR t.id IS NULL OR s.state <> t.status OR s.amount <> t.ecash_avos \
         ORDER BY s.id IS NULL, COALESCE(s.id, t.id)"
    );
    load(conn, &sql, campaign_id)
}

/// The ledger rows of each redemption's story, in order.
pub fn redemption_entries(
    conn: &mut DbConn,
    campaign_id: &str,
) -> Result<Vec<(String, i64)>, AppError> {
    Ok(ledger::table
        .filter(ledger::campaign_id.eq(campaign_id))
        .filter(ledger::redemption_id.is_not_null())
        .filter(ledger::kind.eq_any(["redeem", "void"]))
        .order(ledger::id.asc())
        .select((ledger::redemption_id.assume_not_null(), ledger::id))
        .load(conn)?)
}

/// A `settle` or `pay` ledger entry.
#[derive(Debug, Clone, Queryable)]
pub struct StatementEntry {
    pub id: i64,
    pub kind: String,
    pub settlement_id: Option<String>,
    pub amount_avos: i64,
}

/// The campaign's `settle` and `pay` entries, in order.
pub fn statement_entries(
    conn: &mut DbConn,
    campaign_id: &str,
) -> Result<Vec<StatementEntry>, AppError> {
    Ok(ledger::table
        .filter(ledger::campaign_id.eq(campaign_id))
        .filter(ledger::kind.eq_any(["settle", "pay"]))
        .order(ledger::id.asc())
        .select((
            ledger::id,
            ledger::kind,
            ledger::settlement_id,
            ledger::amount_avos,
        ))
        .load(conn)?)
}

/// Entries the replay does not know (`redeem` without a redemption, or an unknown kind):
/// id, kind, offer.
pub fn strange_entries(
    conn: &mut DbConn,
    campaign_id: &str,
) -> Result<Vec<(i64, String, Option<String>)>, AppError> {
    Ok(ledger::table
        .filter(ledger::campaign_id.eq(campaign_id))
        .filter(
            ledger::kind
                .ne_all(["issue", "void", "expire", "settle", "pay", "redeem"])
                .or(ledger::kind
                    .eq("redeem")
                    .and(ledger::redemption_id.is_null())),
        )
        .order(ledger::id.asc())
        .select((ledger::id, ledger::kind, ledger::offer_id))
        .load(conn)?)
}

/// The campaign's offers: id, names (JSON), kind, face value, `issued` counter.
pub fn offers(
    conn: &mut DbConn,
    campaign_id: &str,
) -> Result<Vec<(String, String, String, i64, i32)>, AppError> {
    Ok(offers::table
        .filter(offers::campaign_id.eq(campaign_id))
        .order(offers::created_at.asc())
        .select((
            offers::id,
            offers::name,
            offers::kind,
            offers::face_value_avos,
            offers::issued,
        ))
        .load(conn)?)
}

/// The campaign's statements: id, status, amount.
pub fn settlements(
    conn: &mut DbConn,
    campaign_id: &str,
) -> Result<Vec<(String, String, i64)>, AppError> {
    Ok(settlements::table
        .filter(settlements::campaign_id.eq(campaign_id))
        .select((
            settlements::id,
            settlements::status,
            settlements::amount_avos,
        ))
        .load(conn)?)
}

/// The e-cash of the redemptions on each statement: statement, sum.
pub fn statement_lines(
    conn: &mut DbConn,
    campaign_id: &str,
) -> Result<Vec<(String, i64)>, AppError> {
    let rows: Vec<(Option<String>, Option<i64>)> = redemptions::table
        .filter(redemptions::campaign_id.eq(campaign_id))
        .filter(redemptions::settlement_id.is_not_null())
        .group_by(redemptions::settlement_id)
        .select((
            redemptions::settlement_id,
            diesel::dsl::sql::<Nullable<BigInt>>("CAST(SUM(redemptions.ecash_avos) AS BIGINT)"),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(s, a)| s.map(|s| (s, a.unwrap_or(0))))
        .collect())
}
