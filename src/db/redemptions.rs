//! Rows of redemptions and of the idempotency keys of the till. Exactly once per coupon: the
//! coupon moves `issued → redeemed` by one conditional update, and a partial unique index
//! allows one live redemption per coupon. The use case is `service::redemptions`.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::models::*;
use super::schema::*;
use super::DbConn;
use crate::domain::time::{macau_day, now};
use crate::error::AppError;
use crate::types::{
    CampaignId, CouponId, MerchantId, PurchaseId, RedemptionId, RedemptionStatus, SettlementId,
    UserId, VisitorId,
};

/// The answer stored for a merchant's idempotency key, if the key was used.
pub fn stored_answer(
    conn: &mut DbConn,
    merchant_id: &MerchantId,
    key: &str,
) -> Result<Option<IdempotencyKey>, AppError> {
    Ok(idempotency_keys::table
        .filter(idempotency_keys::merchant_id.eq(merchant_id))
        .filter(idempotency_keys::key.eq(key))
        .select(IdempotencyKey::as_select())
        .first(conn)
        .optional()?)
}

/// Stores the answer of a key (the unique key makes a concurrent second use fail).
pub fn store_answer(conn: &mut DbConn, row: &IdempotencyKey) -> Result<(), AppError> {
    diesel::insert_into(idempotency_keys::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConn, id: &RedemptionId) -> Result<Option<Redemption>, AppError> {
    Ok(redemptions::table
        .find(id)
        .select(Redemption::as_select())
        .first(conn)
        .optional()?)
}

/// A redemption made at the given merchant.
pub fn find_at(
    conn: &mut DbConn,
    id: &RedemptionId,
    merchant_id: &MerchantId,
) -> Result<Option<Redemption>, AppError> {
    Ok(redemptions::table
        .find(id)
        .filter(redemptions::merchant_id.eq(merchant_id))
        .select(Redemption::as_select())
        .first(conn)
        .optional()?)
}

/// What the till needs to judge a coupon, read in one statement ([`at_till`]).
pub struct AtTill {
    /// The standing of the account at the till (`None`: no such account).
    pub standing: Option<super::staff::Standing>,
    /// The coupon with this code and its offer, if there is one.
    pub found: Option<(Coupon, Offer)>,
    /// Since when the merchant at the till has been suspended (`None`: not suspended).
    pub suspended_at: Option<NaiveDateTime>,
}

/// Reads, in one statement, the standing of the account at the till, the coupon with the code
/// and its offer, and whether the merchant is suspended.
pub fn at_till(
    conn: &mut DbConn,
    code: &str,
    merchant_id: &MerchantId,
    user_id: &UserId,
) -> Result<AtTill, AppError> {
    type Row = (
        super::staff::Standing,
        Option<NaiveDateTime>,
        Option<Coupon>,
        Option<Offer>,
    );
    // A join's bound values are owned (diesel keeps them in the query's type).
    let row: Option<Row> = users::table
        .left_join(merchants::table.on(merchants::id.eq(merchant_id.clone())))
        .left_join(coupons::table.on(coupons::code.eq(code.to_string())))
        .left_join(offers::table.on(offers::id.eq(coupons::offer_id)))
        .filter(users::id.eq(user_id))
        .select((
            super::staff::Standing::as_select(),
            merchants::suspended_at.nullable(),
            Option::<Coupon>::as_select(),
            Option::<Offer>::as_select(),
        ))
        .first(conn)
        .optional()?;
    Ok(match row {
        Some((standing, suspended_at, c, o)) => AtTill {
            standing: Some(standing),
            found: c.zip(o),
            suspended_at,
        },
        None => AtTill {
            standing: None,
            found: None,
            suspended_at: None,
        },
    })
}

/// The live (not undone) redemption of a coupon, with its merchant's name (JSON names).
pub fn live_of_coupon(
    conn: &mut DbConn,
    coupon_id: &CouponId,
) -> Result<Option<(Redemption, String)>, AppError> {
    Ok(redemptions::table
        .inner_join(merchants::table.on(merchants::id.eq(redemptions::merchant_id)))
        .filter(redemptions::coupon_id.eq(coupon_id))
        .filter(redemptions::status.eq(RedemptionStatus::Done))
        .select((Redemption::as_select(), merchants::name))
        .first(conn)
        .optional()?)
}

/// Moves an issued, unexpired coupon to redeemed; false when it was not (any more).
pub fn take_coupon(
    conn: &mut DbConn,
    coupon_id: &CouponId,
    t: NaiveDateTime,
) -> Result<bool, AppError> {
    let moved = crate::fixed!(
        "UPDATE coupons SET status = 'redeemed' WHERE id = ? AND status = 'issued' \
         AND expires_at > ?"
    )
    .bind::<diesel::sql_types::Text, _>(coupon_id.as_str())
    .bind::<diesel::sql_types::Timestamp, _>(t)
    .execute(conn)?;
    Ok(moved > 0)
}

/// Gives a redeemed coupon back to its visitor (after the redemption was undone).
pub fn give_back_coupon(conn: &mut DbConn, coupon_id: &CouponId) -> Result<(), AppError> {
    diesel::update(
        coupons::table
            .find(coupon_id)
            .filter(coupons::status.eq("redeemed")),
    )
    .set(coupons::status.eq("issued"))
    .execute(conn)?;
    Ok(())
}

/// PostgreSQL: the start of a redemption's statement, a data-modifying CTE: `taken` moves
/// the coupon `issued → redeemed` (if it still is, and unexpired at the redemption's time),
/// `red` inserts the redemption when it did. Its values are bound by [`bind_taken!`].
macro_rules! taken_and_inserted {
    () => {
        "WITH taken AS (UPDATE coupons SET status = 'redeemed' WHERE id = ? \
         AND status = 'issued' AND expires_at > ? RETURNING id), \
         red AS (INSERT INTO redemptions (id, coupon_id, offer_id, campaign_id, merchant_id, \
         user_id, spend_avos, discount_avos, ecash_avos, status, day, created_at, ref) \
         SELECT ?, taken.id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM taken RETURNING id)"
    };
}

/// Binds the values of [`taken_and_inserted!`] for a redemption, in order.
macro_rules! bind_taken {
    ($q:expr, $r:expr) => {{
        use diesel::sql_types::{BigInt, Date, Nullable, Text, Timestamp};
        let r: &Redemption = $r;
        $q.bind::<Text, _>(r.coupon_id.as_str())
            .bind::<Timestamp, _>(r.created_at)
            .bind::<Text, _>(r.id.as_str())
            .bind::<Text, _>(r.offer_id.as_str())
            .bind::<Text, _>(r.campaign_id.as_str())
            .bind::<Text, _>(r.merchant_id.as_str())
            .bind::<Text, _>(r.user_id.as_str())
            .bind::<BigInt, _>(r.spend_avos)
            .bind::<BigInt, _>(r.discount_avos)
            .bind::<BigInt, _>(r.ecash_avos)
            .bind::<Text, _>(r.status.as_str())
            .bind::<Date, _>(r.day)
            .bind::<Timestamp, _>(r.created_at)
            .bind::<Nullable<Text>, _>(r.ref_.as_deref())
    }};
}

/// How many rows a PostgreSQL statement that ends `SELECT COUNT(*) AS n …` counted.
#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Moves the coupon `issued → redeemed` (if it still is, and unexpired at the redemption's
/// time) and inserts the redemption; false, with nothing written, when the coupon had changed.
/// PostgreSQL does both in one statement (a data-modifying CTE); SQLite, whose writer holds
/// the database, in two.
pub fn redeem_coupon(conn: &mut DbConn, r: &Redemption) -> Result<bool, AppError> {
    let DbConn::Pg(pg) = conn else {
        if !take_coupon(conn, &r.coupon_id, r.created_at)? {
            return Ok(false);
        }
        insert(conn, r)?;
        return Ok(true);
    };
    let q = crate::fixed!(concat!(
        taken_and_inserted!(),
        " SELECT COUNT(*) AS n FROM red"
    ));
    let counted: Counted = bind_taken!(q, r).get_result(pg)?;
    Ok(counted.n == 1)
}

/// A redemption's purchase, for [`redeem_at_once`]: the visitor's stamp and purchase rows.
pub struct AtOnce<'a> {
    pub redemption: &'a Redemption,
    pub visitor_id: &'a VisitorId,
    pub purchase_id: &'a PurchaseId,
    /// The stored answer of the idempotency key; its `stamps.count` is filled in by the
    /// statement, which is the one that counts them.
    pub answer: &'a IdempotencyKey,
}

/// PostgreSQL, when no offer of the campaign pays out for purchases: the whole redemption as
/// one statement, so one round trip and no transaction of several. It takes the coupon
/// (`issued → redeemed`, unexpired), inserts the redemption, leaves the ledger's `redeem` row
/// for the sealer, stamps the visitor's card for the shop and day (or raises the day's
/// spend), records the purchase and stores the till's answer under its idempotency key.
/// Returns the visitor's stamps in the campaign (this one included), or `None` with nothing
/// written when the coupon had changed; a used key fails the whole statement (unique key).
/// With no purchase offer to pay out, nothing here needs the visitor's lock: the stamp is
/// kept once per shop and day by its key, and the count is the answer's information only.
pub fn redeem_at_once(
    pg: &mut diesel::PgConnection,
    w: &AtOnce<'_>,
) -> Result<Option<i64>, AppError> {
    use diesel::sql_types::{BigInt, Date, Nullable, Text, Timestamp};
    #[derive(QueryableByName)]
    struct Stamps {
        #[diesel(sql_type = BigInt)]
        stamps: i64,
    }
    let r = w.redemption;
    let k = w.answer;
    let q = crate::fixed!(concat!(
        taken_and_inserted!(),
        ", pending AS (INSERT INTO ledger_pending (campaign_id, kind, offer_id, coupon_id, \
         redemption_id, merchant_id, amount_avos, created_at) \
         SELECT ?, 'redeem', ?, ?, red.id, ?, ?, ? FROM red), \
         stamp AS (INSERT INTO purchase_stamps (campaign_id, visitor_id, merchant_id, day, \
         spend_avos, purchase_id, created_at) SELECT ?, ?, ?, ?, ?, ?, ? FROM red \
         ON CONFLICT (campaign_id, visitor_id, merchant_id, day) DO UPDATE \
         SET spend_avos = EXCLUDED.spend_avos \
         WHERE purchase_stamps.spend_avos < EXCLUDED.spend_avos \
         RETURNING (xmax = 0) AS made), \
         counted AS (SELECT 1 + COUNT(*) AS stamps FROM purchase_stamps o \
         WHERE o.campaign_id = ? AND o.visitor_id = ? AND o.spend_avos >= 0 \
         AND NOT (o.merchant_id = ? AND o.day = ?)), \
         bought AS (INSERT INTO purchases (id, campaign_id, merchant_id, visitor_id, user_id, \
         spend_avos, redemption_id, stamped, day, created_at) \
         SELECT ?, ?, ?, ?, ?, ?, red.id, COALESCE((SELECT made FROM stamp), FALSE), ?, ? \
         FROM red), \
         kept AS (INSERT INTO idempotency_keys (merchant_id, key, request_hash, status_code, \
         response, created_at) SELECT ?, ?, ?, ?, \
         jsonb_set(CAST(? AS jsonb), '{stamps,count}', to_jsonb(counted.stamps))::text, ? \
         FROM red, counted) \
         SELECT counted.stamps FROM red, counted"
    ));
    let made: Vec<Stamps> = bind_taken!(q, r)
        // pending (the ledger's row)
        .bind::<Text, _>(r.campaign_id.as_str())
        .bind::<Text, _>(r.offer_id.as_str())
        .bind::<Text, _>(r.coupon_id.as_str())
        .bind::<Text, _>(r.merchant_id.as_str())
        .bind::<BigInt, _>(r.ecash_avos)
        .bind::<Timestamp, _>(r.created_at)
        // stamp
        .bind::<Text, _>(r.campaign_id.as_str())
        .bind::<Text, _>(w.visitor_id.as_str())
        .bind::<Text, _>(r.merchant_id.as_str())
        .bind::<Date, _>(r.day)
        .bind::<BigInt, _>(r.spend_avos)
        .bind::<Text, _>(w.purchase_id.as_str())
        .bind::<Timestamp, _>(r.created_at)
        // counted
        .bind::<Text, _>(r.campaign_id.as_str())
        .bind::<Text, _>(w.visitor_id.as_str())
        .bind::<Text, _>(r.merchant_id.as_str())
        .bind::<Date, _>(r.day)
        // bought
        .bind::<Text, _>(w.purchase_id.as_str())
        .bind::<Text, _>(r.campaign_id.as_str())
        .bind::<Text, _>(r.merchant_id.as_str())
        .bind::<Text, _>(w.visitor_id.as_str())
        .bind::<Nullable<Text>, _>(Some(r.user_id.as_str()))
        .bind::<BigInt, _>(r.spend_avos)
        .bind::<Date, _>(r.day)
        .bind::<Timestamp, _>(r.created_at)
        // kept
        .bind::<Text, _>(k.merchant_id.as_str())
        .bind::<Text, _>(&k.key)
        .bind::<Text, _>(&k.request_hash)
        .bind::<diesel::sql_types::Integer, _>(k.status_code)
        .bind::<Text, _>(&k.response)
        .bind::<Timestamp, _>(k.created_at)
        .load(pg)?;
    Ok(made.first().map(|m| m.stamps))
}

pub fn insert(conn: &mut DbConn, r: &Redemption) -> Result<(), AppError> {
    diesel::insert_into(redemptions::table)
        .values(r)
        .execute(conn)?;
    Ok(())
}

/// Marks a live redemption that is on no statement void; false when it was not.
pub fn mark_void(conn: &mut DbConn, id: &RedemptionId, t: NaiveDateTime) -> Result<bool, AppError> {
    let n = diesel::update(
        redemptions::table
            .find(id)
            .filter(redemptions::status.eq(RedemptionStatus::Done))
            .filter(redemptions::settlement_id.is_null()),
    )
    .set((
        redemptions::status.eq(RedemptionStatus::Void),
        redemptions::voided_at.eq(Some(t)),
    ))
    .execute(conn)?;
    Ok(n > 0)
}

/// The statement that claimed a redemption, if any.
pub fn settlement_of(
    conn: &mut DbConn,
    id: &RedemptionId,
) -> Result<Option<SettlementId>, AppError> {
    Ok(redemptions::table
        .find(id)
        .select(redemptions::settlement_id)
        .first(conn)?)
}

#[derive(Debug, Default)]
pub struct Filter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub campaign_id: Option<CampaignId>,
    pub page: i64,
    pub per_page: i64,
}

/// A redemption with its coupon's code and its offer's name (JSON names).
pub type HistoryRow = (Redemption, String, String);

pub fn list_for_merchant(
    conn: &mut DbConn,
    merchant_id: &MerchantId,
    f: &Filter,
) -> Result<(Vec<HistoryRow>, i64), AppError> {
    let build = || {
        let mut q = redemptions::table
            .inner_join(coupons::table.on(coupons::id.eq(redemptions::coupon_id)))
            .inner_join(offers::table.on(offers::id.eq(redemptions::offer_id)))
            .filter(redemptions::merchant_id.eq(merchant_id.clone()))
            .into_boxed();
        if let Some(d) = f.from {
            q = q.filter(redemptions::day.ge(d));
        }
        if let Some(d) = f.to {
            q = q.filter(redemptions::day.le(d));
        }
        if let Some(c) = &f.campaign_id {
            q = q.filter(redemptions::campaign_id.eq(c.clone()));
        }
        q
    };
    let total: i64 = build().count().get_result(conn)?;
    let rows = build()
        .order(redemptions::created_at.desc())
        .limit(f.per_page)
        .offset(f.page.max(0) * f.per_page)
        .select((Redemption::as_select(), coupons::code, offers::name))
        .load(conn)?;
    Ok((rows, total))
}

/// Per Macau day (newest first): the count, discount and spend of a merchant's live (not
/// undone) redemptions on the given days, within the filter's campaign.
pub fn day_totals(
    conn: &mut DbConn,
    merchant_id: &MerchantId,
    campaign_id: Option<&CampaignId>,
    days: &[NaiveDate],
) -> Result<Vec<(NaiveDate, i64, i64, i64)>, AppError> {
    if days.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = redemptions::table
        .filter(redemptions::merchant_id.eq(merchant_id.clone()))
        .filter(redemptions::status.eq(RedemptionStatus::Done))
        .filter(redemptions::day.eq_any(days.to_vec()))
        .into_boxed();
    if let Some(c) = campaign_id {
        q = q.filter(redemptions::campaign_id.eq(c.clone()));
    }
    let rows: Vec<(NaiveDate, i64, i64)> = q
        .select((
            redemptions::day,
            redemptions::discount_avos,
            redemptions::spend_avos,
        ))
        .load(conn)?;
    let mut by_day: std::collections::BTreeMap<NaiveDate, (i64, i64, i64)> = Default::default();
    for (d, disc, spend) in rows {
        let e = by_day.entry(d).or_default();
        e.0 += 1;
        e.1 += disc;
        e.2 += spend;
    }
    Ok(by_day
        .into_iter()
        .rev()
        .map(|(d, (n, disc, spend))| (d, n, disc, spend))
        .collect())
}

/// Today's (Macau day) count, discount and spend totals of a merchant's live redemptions.
pub fn today_totals(
    conn: &mut DbConn,
    merchant_id: &MerchantId,
) -> Result<(i64, i64, i64), AppError> {
    let rows: Vec<(i64, i64)> = redemptions::table
        .filter(redemptions::merchant_id.eq(merchant_id))
        .filter(redemptions::day.eq(macau_day(now())))
        .filter(redemptions::status.eq(RedemptionStatus::Done))
        .select((redemptions::discount_avos, redemptions::spend_avos))
        .load(conn)?;
    Ok((
        rows.len() as i64,
        rows.iter().map(|r| r.0).sum(),
        rows.iter().map(|r| r.1).sum(),
    ))
}
