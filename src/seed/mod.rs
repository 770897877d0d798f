//! The row factory: writes campaigns and their history (visitors, check-ins, coupons,
//! redemptions, statements, page views) straight into the database in bulk. Used by
//! `bairro serve --demo` and by the benchmark's seeder, so both always hold rows the server
//! itself would have written:
//!
//! - ids are UUIDs of version 4, coupon and short codes come from the server's generators
//!   (`domain::codes`, `domain::short_code`);
//! - a coupon expires as `Offer::coupon_expiry` says, stamps earn coupons by
//!   `domain::checkin::entitled_by_checkins`, money at the till is `domain::money::apply`;
//! - stock, per-visitor limits and the campaign's budget hold as in the issuing transaction,
//!   and offers' `issued` counters and campaigns' committed budget (total and per Macau day)
//!   are written to match the coupons;
//! - a redemption is also the visitor's purchase at the shop, with the day's stamp there
//!   (one per visitor, shop and Macau day, holding the day's highest spend), as the till
//!   records it;
//! - every issue, redemption, expiry, statement and payment has its ledger row, chained by
//!   `db::ledger`, so `GET /integrity/verify` and each campaign's reconciliation balance.
//!
//! Big tables are buffered and written in multi-row statements, one transaction per chunk,
//! through a [`Sink`] ([`Insert`] by default; the benchmark loads PostgreSQL with `COPY`).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::db::ledger::{self, ChainedRow};
use crate::db::models::*;
use crate::db::purchases::{Purchase, PurchaseStamp};
use crate::db::schema::*;
use crate::db::DbConn;
use crate::domain::time::{macau_day, now};
use crate::domain::{codes, money, short_code};
use crate::error::AppError;
use crate::types::{CheckinId, CouponId, CouponStatus, OfferKind, TriggerType};

/// Rows written so far, per table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub visitors: usize,
    pub checkins: usize,
    pub refusals: usize,
    pub coupons: usize,
    pub redemptions: usize,
    pub purchases: usize,
    pub stamps: usize,
    pub ledger: usize,
    pub pageviews: usize,
    pub page_visitors: usize,
    pub settlements: usize,
}

impl Counts {
    pub fn total(&self) -> usize {
        self.visitors
            + self.checkins
            + self.refusals
            + self.coupons
            + self.redemptions
            + self.purchases
            + self.stamps
            + self.ledger
            + self.pageviews
            + self.page_visitors
            + self.settlements
    }
}

/// A first page view of a hashed page visitor in a campaign (`page_visitors`).
#[derive(Debug, Clone)]
pub struct PageVisitor {
    pub campaign_id: String,
    pub visitor_hash: String,
    pub day: NaiveDate,
}

/// Rows waiting to be written, in the order their foreign keys need.
#[derive(Debug, Default)]
pub struct Batch {
    pub visitors: Vec<Visitor>,
    pub checkins: Vec<Checkin>,
    pub refusals: Vec<CheckinRefusal>,
    pub coupons: Vec<Coupon>,
    pub redemptions: Vec<Redemption>,
    pub purchases: Vec<Purchase>,
    pub stamps: Vec<PurchaseStamp>,
    pub ledger: Vec<ChainedRow>,
    pub pageviews: Vec<NewPageview>,
    pub page_visitors: Vec<PageVisitor>,
}

impl Batch {
    fn len(&self) -> usize {
        self.visitors.len()
            + self.checkins.len()
            + self.refusals.len()
            + self.coupons.len()
            + self.redemptions.len()
            + self.purchases.len()
            + self.stamps.len()
            + self.ledger.len()
            + self.pageviews.len()
            + self.page_visitors.len()
    }
}

/// Where a batch goes. Called inside the chunk's transaction, after the ledger rows were
/// chained (the chain's head is written after the sink returns).
pub trait Sink {
    fn write(&mut self, conn: &mut DbConn, batch: &Batch) -> Result<(), AppError>;
}

/// Multi-row `INSERT`s, under both databases' limits on bound parameters.
pub struct Insert;

/// Rows per statement for a table of `columns` columns (PostgreSQL takes 65,535 parameters,
/// SQLite 32,766).
pub fn chunk_rows(columns: usize) -> usize {
    (30_000 / columns).min(5_000)
}

/// Writes rows in multi-row statements as tuples of `column.eq(value)`: an `Insertable`
/// struct's `None` means `DEFAULT`, which makes diesel write SQLite batches one row at a time.
macro_rules! insert_tuples {
    ($conn:expr, $table:expr, $rows:expr, $cols:expr, |$r:ident| $tuple:expr) => {{
        for chunk in $rows.chunks(chunk_rows($cols)) {
            let values: Vec<_> = chunk.iter().map(|$r| $tuple).collect();
            $crate::insert_rows!(&mut *$conn, $table, &values)?;
        }
    }};
}

impl Sink for Insert {
    fn write(&mut self, conn: &mut DbConn, b: &Batch) -> Result<(), AppError> {
        use crate::db::schema::{
            checkin_refusals as cr, checkins as ci, coupons as co, page_visitors as pvs,
            pageviews as pv, purchase_stamps as ps, purchases as pu, redemptions as re,
            visitors as vi,
        };
        insert_tuples!(conn, vi::table, b.visitors, 6, |r| (
            vi::id.eq(&r.id),
            vi::locale.eq(&r.locale),
            vi::ref_.eq(&r.ref_),
            vi::device_hash.eq(&r.device_hash),
            vi::created_at.eq(r.created_at),
            vi::last_seen_at.eq(r.last_seen_at),
        ));
        insert_tuples!(conn, ci::table, b.checkins, 13, |r| (
            (
                ci::id.eq(&r.id),
                ci::visitor_id.eq(&r.visitor_id),
                ci::point_id.eq(&r.point_id),
                ci::campaign_id.eq(&r.campaign_id),
                ci::method.eq(&r.method),
                ci::day.eq(r.day),
                ci::scanned_at.eq(r.scanned_at),
            ),
            (
                ci::received_at.eq(r.received_at),
                ci::lat.eq(r.lat),
                ci::lng.eq(r.lng),
                ci::nonce.eq(&r.nonce),
                ci::ref_.eq(&r.ref_),
                ci::first_visit.eq(r.first_visit),
            ),
        ));
        insert_tuples!(conn, cr::table, b.refusals, 10, |r| (
            cr::id.eq(&r.id),
            cr::visitor_id.eq(&r.visitor_id),
            cr::point_id.eq(&r.point_id),
            cr::campaign_id.eq(&r.campaign_id),
            cr::reason.eq(&r.reason),
            cr::method.eq(&r.method),
            cr::lat.eq(r.lat),
            cr::lng.eq(r.lng),
            cr::day.eq(r.day),
            cr::created_at.eq(r.created_at),
        ));
        insert_tuples!(conn, co::table, b.coupons, 12, |r| (
            (
                co::id.eq(&r.id),
                co::code.eq(&r.code),
                co::offer_id.eq(&r.offer_id),
                co::campaign_id.eq(&r.campaign_id),
                co::visitor_id.eq(&r.visitor_id),
                co::seq.eq(r.seq),
            ),
            (
                co::status.eq(&r.status),
                co::issued_at.eq(r.issued_at),
                co::expires_at.eq(r.expires_at),
                co::day.eq(r.day),
                co::checkin_id.eq(&r.checkin_id),
                co::ref_.eq(&r.ref_),
            ),
        ));
        insert_tuples!(conn, re::table, b.redemptions, 15, |r| (
            (
                re::id.eq(&r.id),
                re::coupon_id.eq(&r.coupon_id),
                re::offer_id.eq(&r.offer_id),
                re::campaign_id.eq(&r.campaign_id),
                re::merchant_id.eq(&r.merchant_id),
                re::user_id.eq(&r.user_id),
                re::spend_avos.eq(r.spend_avos),
                re::discount_avos.eq(r.discount_avos),
            ),
            (
                re::ecash_avos.eq(r.ecash_avos),
                re::status.eq(&r.status),
                re::day.eq(r.day),
                re::created_at.eq(r.created_at),
                re::voided_at.eq(r.voided_at),
                re::settlement_id.eq(&r.settlement_id),
                re::ref_.eq(&r.ref_),
            ),
        ));
        insert_tuples!(conn, pu::table, b.purchases, 10, |r| (
            pu::id.eq(&r.id),
            pu::campaign_id.eq(&r.campaign_id),
            pu::merchant_id.eq(&r.merchant_id),
            pu::visitor_id.eq(&r.visitor_id),
            pu::user_id.eq(&r.user_id),
            pu::spend_avos.eq(r.spend_avos),
            pu::redemption_id.eq(&r.redemption_id),
            pu::stamped.eq(r.stamped),
            pu::day.eq(r.day),
            pu::created_at.eq(r.created_at),
        ));
        insert_tuples!(conn, ps::table, b.stamps, 7, |r| (
            ps::campaign_id.eq(&r.campaign_id),
            ps::visitor_id.eq(&r.visitor_id),
            ps::merchant_id.eq(&r.merchant_id),
            ps::day.eq(r.day),
            ps::spend_avos.eq(r.spend_avos),
            ps::purchase_id.eq(&r.purchase_id),
            ps::created_at.eq(r.created_at),
        ));
        ledger::insert_chained(conn, &b.ledger)?;
        insert_tuples!(conn, pv::table, b.pageviews, 6, |r| (
            pv::campaign_id.eq(&r.campaign_id),
            pv::path.eq(&r.path),
            pv::ref_.eq(&r.ref_),
            pv::visitor_hash.eq(&r.visitor_hash),
            pv::day.eq(r.day),
            pv::created_at.eq(r.created_at),
        ));
        insert_tuples!(conn, pvs::table, b.page_visitors, 3, |r| (
            pvs::campaign_id.eq(&r.campaign_id),
            pvs::visitor_hash.eq(&r.visitor_hash),
            pvs::day.eq(r.day),
        ));
        Ok(())
    }
}

/// What happens to a coupon after it is issued.
#[derive(Debug, Clone)]
pub enum Fate {
    /// Stays in the wallet (and expires, if its expiry has passed by now).
    Keep,
    /// Spent at a shop, if the rules allow it at that time (after issue, before expiry,
    /// before now); otherwise it is kept.
    Redeem {
        merchant_id: String,
        user_id: String,
        spend_avos: i64,
        at: NaiveDateTime,
    },
}

/// A coupon the factory issued.
#[derive(Debug, Clone)]
pub struct Issued {
    pub id: String,
    pub code: String,
    /// `issued`, `redeemed` or `expired`.
    pub status: &'static str,
    pub expires_at: NaiveDateTime,
    /// The redemption's e-cash, when redeemed.
    pub ecash_avos: i64,
}

/// A coupon a visitor earned by a check-in, to be issued with [`Factory::coupon`].
#[derive(Debug, Clone)]
pub struct Earned {
    pub offer_id: String,
    pub seq: i32,
    pub checkin_id: String,
    pub at: NaiveDateTime,
}

/// How a campaign's redemptions are settled: those before `before` go on one statement per
/// merchant, approved and paid.
#[derive(Debug, Clone)]
pub struct StatementPlan {
    pub before: NaiveDateTime,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub created_at: NaiveDateTime,
    pub created_by: String,
    /// Approves and pays (someone other than who generated the statement).
    pub approved_by: String,
    pub approved_after: Duration,
    /// Days from approval to payment: most in this range, one in twenty late (20 days).
    pub paid_after_days: (i64, i64),
}

struct Statement {
    id: String,
    merchant_id: String,
    amount: i64,
    count: i32,
    created_at: NaiveDateTime,
    paid_at: NaiveDateTime,
}

#[derive(Default)]
struct Budget {
    cap: Option<i64>,
    daily_cap: Option<i64>,
    committed: i64,
    days: BTreeMap<NaiveDate, i64>,
}

/// Hears the rows written so far, after each chunk.
type Progress<'c> = Box<dyn FnMut(&Counts) + 'c>;

pub struct Factory<'c> {
    conn: &'c mut DbConn,
    pub rng: StdRng,
    now: NaiveDateTime,
    next_id: u64,
    sink: Box<dyn Sink + 'c>,
    batch: Batch,
    pending_ledger: Vec<NewLedgerEntry>,
    offers: HashMap<String, Offer>,
    /// Check-in offers per campaign, in the order they were added.
    checkin_offers: HashMap<String, Vec<String>>,
    budgets: HashMap<String, Budget>,
    categories: HashMap<String, String>,
    plans: HashMap<String, StatementPlan>,
    statements: BTreeMap<(String, String), Statement>,
    short_codes: HashSet<String>,
    /// The day's highest spend of each stamp written (by [`stamp_key`]).
    stamped: HashMap<u128, i64>,
    /// Where the stamps of the batch not yet written are in it (by [`stamp_key`]).
    stamp_in_batch: HashMap<u128, usize>,
    /// Stamps already written whose day's spend rose since: raised at `finish`.
    raised: HashMap<u128, PurchaseStamp>,
    written: Counts,
    flush_at: usize,
    progress: Option<Progress<'c>>,
}

impl<'c> Factory<'c> {
    /// A factory writing through `sink`, its random choices drawn from `seed`.
    pub fn new(conn: &'c mut DbConn, seed: u64, sink: Box<dyn Sink + 'c>) -> Factory<'c> {
        Factory {
            conn,
            rng: StdRng::seed_from_u64(seed),
            now: now(),
            next_id: 0x2b1c_0000_0000,
            sink,
            batch: Batch::default(),
            pending_ledger: Vec::new(),
            offers: HashMap::new(),
            checkin_offers: HashMap::new(),
            budgets: HashMap::new(),
            categories: HashMap::new(),
            plans: HashMap::new(),
            statements: BTreeMap::new(),
            short_codes: HashSet::new(),
            stamped: HashMap::new(),
            stamp_in_batch: HashMap::new(),
            raised: HashMap::new(),
            written: Counts::default(),
            flush_at: 40_000,
            progress: None,
        }
    }

    /// Called after every chunk written, with the rows written so far.
    pub fn on_progress(&mut self, f: impl FnMut(&Counts) + 'c) {
        self.progress = Some(Box::new(f));
    }

    /// The moment the factory treats as now (coupons past their expiry are expired).
    pub fn now(&self) -> NaiveDateTime {
        self.now
    }

    pub fn conn(&mut self) -> &mut DbConn {
        self.conn
    }

    pub fn written(&self) -> &Counts {
        &self.written
    }

    /// A new id: a version-4 UUID whose first 48 bits count up, so rows written in id order
    /// append to the primary-key indexes instead of landing all over them (the bulk load
    /// stays fast on both databases); the other 74 bits are random, as in the server's ids.
    pub fn id(&mut self) -> String {
        let n = self.next_id;
        self.next_id += 1;
        let mut b: [u8; 16] = self.rng.gen();
        b[..6].copy_from_slice(&n.to_be_bytes()[2..]);
        uuid::Builder::from_random_bytes(b).into_uuid().to_string()
    }

    pub fn coupon_code(&mut self) -> String {
        codes::generate_with(&mut self.rng)
    }

    // ----- Reference rows: written at once.

    pub fn campaign(&mut self, c: &Campaign) -> Result<(), AppError> {
        diesel::insert_into(campaigns::table)
            .values(c)
            .execute(self.conn)?;
        self.budgets.insert(c.id.to_string(), Budget::default());
        Ok(())
    }

    /// Sets a campaign's budgets (as `PATCH /campaigns/{id}` would) before its coupons.
    pub fn budget(
        &mut self,
        campaign_id: &str,
        cap: Option<i64>,
        daily: Option<i64>,
    ) -> Result<(), AppError> {
        crate::db::budget::set(self.conn, campaign_id, cap, daily)?;
        let b = self.budgets.entry(campaign_id.into()).or_default();
        b.cap = cap;
        b.daily_cap = daily;
        Ok(())
    }

    /// Check-in points; static ones get a short code, as the server gives them.
    pub fn points(&mut self, points: &[Point]) -> Result<(), AppError> {
        for c in points.chunks(1000) {
            crate::insert_rows!(&mut *self.conn, points::table, c)?;
        }
        for p in points.iter().filter(|p| !p.rotating) {
            let code = loop {
                let c = short_code::generate_with(&mut self.rng);
                if self.short_codes.insert(c.clone()) {
                    break c;
                }
            };
            diesel::insert_into(point_short_codes::table)
                .values((
                    point_short_codes::code.eq(code),
                    point_short_codes::point_id.eq(&p.id),
                    point_short_codes::created_at.eq(p.created_at),
                ))
                .execute(self.conn)?;
        }
        Ok(())
    }

    pub fn merchants(&mut self, merchants: &[Merchant]) -> Result<(), AppError> {
        for c in merchants.chunks(1000) {
            crate::insert_rows!(&mut *self.conn, merchants::table, c)?;
        }
        for m in merchants {
            self.categories.insert(m.id.to_string(), m.category.clone());
        }
        Ok(())
    }

    /// Logins (their password hashes made by the caller).
    pub fn users(&mut self, users: &[User]) -> Result<(), AppError> {
        for u in users {
            crate::db::catalog::insert_user(self.conn, u)?;
        }
        Ok(())
    }

    pub fn enrolments(&mut self, rows: &[Enrolment]) -> Result<(), AppError> {
        for c in rows.chunks(1000) {
            crate::insert_rows!(&mut *self.conn, enrolments::table, c)?;
        }
        Ok(())
    }

    /// Offers, written with nothing issued; their counters follow the coupons at `finish`.
    pub fn offers(&mut self, offers: &[Offer]) -> Result<(), AppError> {
        let rows: Vec<Offer> = offers
            .iter()
            .cloned()
            .map(|mut o| {
                o.issued = 0;
                o
            })
            .collect();
        for c in rows.chunks(500) {
            crate::insert_rows!(&mut *self.conn, offers::table, c)?;
        }
        for o in rows {
            if o.trigger_type == TriggerType::Checkins {
                self.checkin_offers
                    .entry(o.campaign_id.to_string())
                    .or_default()
                    .push(o.id.to_string());
            }
            self.offers.insert(o.id.to_string(), o);
        }
        Ok(())
    }

    /// Coupons issued so far of an offer.
    pub fn issued(&self, offer_id: &str) -> i32 {
        self.offers.get(offer_id).map_or(0, |o| o.issued)
    }

    pub fn plan_statements(&mut self, campaign_id: &str, plan: StatementPlan) {
        self.plans.insert(campaign_id.into(), plan);
    }

    // ----- History: buffered.

    pub fn visitor(&mut self, v: Visitor) -> Result<(), AppError> {
        self.batch.visitors.push(v);
        self.maybe_flush()
    }

    pub fn pageview(&mut self, p: NewPageview) -> Result<(), AppError> {
        self.batch.pageviews.push(p);
        self.maybe_flush()
    }

    /// The first page view of a hashed page visitor in a campaign (once per pair).
    pub fn page_visitor(
        &mut self,
        campaign_id: &str,
        visitor_hash: &str,
        day: NaiveDate,
    ) -> Result<(), AppError> {
        self.batch.page_visitors.push(PageVisitor {
            campaign_id: campaign_id.into(),
            visitor_hash: visitor_hash.into(),
            day,
        });
        self.maybe_flush()
    }

    pub fn refusal(&mut self, r: CheckinRefusal) -> Result<(), AppError> {
        self.batch.refusals.push(r);
        self.maybe_flush()
    }

    /// A visitor's check-ins in one campaign, all of them, in time order (at most one per
    /// point and Macau day). Marks the first visit and returns the coupons they earn by the
    /// server's stamp rule — each check-in offer's coupons for the distinct points visited,
    /// up to its per-visitor limit — for the caller to issue with [`Factory::coupon`].
    /// Offers that need a verified visitor are not earned (the factory's visitors are not).
    pub fn checkins(&mut self, rows: Vec<Checkin>) -> Result<Vec<Earned>, AppError> {
        let Some(first) = rows.first() else {
            return Ok(Vec::new());
        };
        let offer_ids = self
            .checkin_offers
            .get(first.campaign_id.as_str())
            .cloned()
            .unwrap_or_default();
        let mut distinct: HashSet<String> = HashSet::new();
        let mut have: HashMap<&str, i64> = HashMap::new();
        let mut earned = Vec::new();
        for (k, mut row) in rows.into_iter().enumerate() {
            row.first_visit = k == 0;
            distinct.insert(row.point_id.to_string());
            for oid in &offer_ids {
                let o = &self.offers[oid];
                if o.requires_verified || o.valid_until <= row.received_at {
                    continue;
                }
                let entitled = crate::domain::issuance::entitled_by_count(
                    distinct.len() as i64,
                    i64::from(o.trigger_count.unwrap_or(1)),
                    i64::from(o.per_visitor_limit),
                );
                let h = have.entry(oid.as_str()).or_default();
                while *h < entitled {
                    *h += 1;
                    earned.push(Earned {
                        offer_id: oid.clone(),
                        seq: *h as i32,
                        checkin_id: row.id.to_string(),
                        at: row.received_at,
                    });
                }
            }
            self.batch.checkins.push(row);
        }
        self.maybe_flush()?;
        Ok(earned)
    }

    /// Issues a coupon of an offer to a visitor at `at`, with its ledger row, if the server
    /// would (stock, budget, opening time, validity, verification; else `None`),
    /// and plays its fate: redeemed at a shop (on the campaign's statement when planned),
    /// kept, or expired by now.
    #[allow(clippy::too_many_arguments)]
    pub fn coupon(
        &mut self,
        offer_id: &str,
        visitor_id: &str,
        seq: i32,
        at: NaiveDateTime,
        checkin_id: Option<String>,
        ref_: Option<String>,
        fate: Fate,
    ) -> Result<Option<Issued>, AppError> {
        let Some(o) = self.offers.get(offer_id) else {
            return Err(AppError::Internal(anyhow::anyhow!(
                "unknown offer {offer_id}"
            )));
        };
        // The factory's visitors have verified no phone or e-mail; a `claim` offer opens at
        // its opening time; nothing is issued once the offer's validity has passed.
        if o.issued >= o.stock
            || o.requires_verified
            || o.valid_until <= at
            || (o.trigger_type == TriggerType::Claim && o.opens_at.is_some_and(|t| at < t))
        {
            return Ok(None);
        }
        let face = if o.kind == OfferKind::Ecash {
            o.face_value_avos
        } else {
            0
        };
        let day = macau_day(at);
        let budget = self.budgets.entry(o.campaign_id.to_string()).or_default();
        if face > 0 {
            let today = budget.days.get(&day).copied().unwrap_or(0);
            if budget.cap.is_some_and(|c| budget.committed + face > c)
                || budget.daily_cap.is_some_and(|c| today + face > c)
            {
                return Ok(None);
            }
            budget.committed += face;
            *budget.days.entry(day).or_default() += face;
        }
        let o = self.offers.get_mut(offer_id).expect("offer is known");
        o.issued += 1;
        let o = o.clone();
        let expires_at = o.coupon_expiry(at);
        let id = self.id();
        let code = self.coupon_code();
        let mut coupon = Coupon {
            id: CouponId::from(&id),
            code: code.clone(),
            offer_id: o.id.clone(),
            campaign_id: o.campaign_id.clone(),
            visitor_id: visitor_id.into(),
            seq,
            status: CouponStatus::Issued,
            issued_at: at,
            expires_at,
            day,
            checkin_id: checkin_id.map(CheckinId::from),
            ref_,
        };
        self.ledger_row(
            &o.campaign_id,
            "issue",
            Some(&o.id),
            Some(&id),
            None,
            None,
            None,
            face,
            at,
        );
        let mut ecash = 0;
        let redeem = match fate {
            Fate::Redeem {
                merchant_id,
                user_id,
                spend_avos,
                at: r_at,
            } if r_at > at && r_at < expires_at && r_at < self.now => {
                Some((merchant_id, user_id, spend_avos, r_at))
            }
            _ => None,
        };
        if let Some((merchant_id, user_id, spend_avos, r_at)) = redeem {
            let cats = o.categories();
            let category = self
                .categories
                .get(&merchant_id)
                .cloned()
                .unwrap_or_default();
            if !cats.is_empty() && !cats.contains(&category) {
                return Err(AppError::Internal(anyhow::anyhow!(
                    "offer {} is not for shops of category {category}",
                    o.id
                )));
            }
            let applied = money::apply(o.value(), spend_avos)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("redemption refused: {e:?}")))?;
            ecash = applied.ecash_avos;
            let rid = self.id();
            let settlement_id = self.statement_line(&o.campaign_id, &merchant_id, ecash, r_at)?;
            self.batch.redemptions.push(Redemption {
                id: rid.clone().into(),
                coupon_id: id.clone().into(),
                offer_id: o.id.clone(),
                campaign_id: o.campaign_id.clone(),
                merchant_id: merchant_id.clone().into(),
                user_id: user_id.clone().into(),
                spend_avos,
                discount_avos: applied.discount_avos,
                ecash_avos: ecash,
                status: crate::types::RedemptionStatus::Done,
                day: macau_day(r_at),
                created_at: r_at,
                voided_at: None,
                settlement_id: settlement_id.map(Into::into),
                ref_: coupon.ref_.clone(),
            });
            self.ledger_row(
                &o.campaign_id,
                "redeem",
                Some(&o.id),
                Some(&id),
                Some(&rid),
                Some(&merchant_id),
                None,
                ecash,
                r_at,
            );
            self.purchase(&coupon, &merchant_id, &user_id, spend_avos, &rid, r_at)?;
            coupon.status = CouponStatus::Redeemed;
        } else if expires_at <= self.now {
            // What the expiry sweep writes once the coupon's time is up.
            self.ledger_row(
                &o.campaign_id,
                "expire",
                Some(&o.id),
                Some(&id),
                None,
                None,
                None,
                face,
                expires_at,
            );
            coupon.status = CouponStatus::Expired;
        }
        let status = match coupon.status.as_str() {
            "redeemed" => "redeemed",
            "expired" => "expired",
            _ => "issued",
        };
        self.batch.coupons.push(coupon);
        self.maybe_flush()?;
        Ok(Some(Issued {
            id,
            code,
            status,
            expires_at,
            ecash_avos: ecash,
        }))
    }

    /// The purchase a redemption records, with the visitor's stamp at the shop for the day
    /// (`db::purchases::record_in_tx`): the day's first purchase there makes the stamp, a
    /// later one with a higher spend raises it. Purchases pay out no coupons here: a campaign
    /// with a `purchases` offer is refused.
    fn purchase(
        &mut self,
        coupon: &Coupon,
        merchant_id: &str,
        user_id: &str,
        spend_avos: i64,
        redemption_id: &str,
        at: NaiveDateTime,
    ) -> Result<(), AppError> {
        if self.offers.values().any(|o| {
            o.campaign_id == coupon.campaign_id && o.trigger_type == TriggerType::Purchases
        }) {
            return Err(AppError::Internal(anyhow::anyhow!(
                "the row factory does not pay out purchase offers (campaign {})",
                coupon.campaign_id
            )));
        }
        let id = self.id();
        let day = macau_day(at);
        let key = stamp_key(
            coupon.campaign_id.as_str(),
            coupon.visitor_id.as_str(),
            merchant_id,
            day,
        );
        let stamp = PurchaseStamp {
            campaign_id: coupon.campaign_id.clone(),
            visitor_id: coupon.visitor_id.clone(),
            merchant_id: merchant_id.into(),
            day,
            spend_avos,
            purchase_id: id.clone().into(),
            created_at: at,
        };
        let stamped = match self.stamped.get(&key).copied() {
            None => {
                self.stamped.insert(key, spend_avos);
                self.stamp_in_batch.insert(key, self.batch.stamps.len());
                self.batch.stamps.push(stamp);
                true
            }
            Some(highest) => {
                if spend_avos > highest {
                    self.stamped.insert(key, spend_avos);
                    match self.stamp_in_batch.get(&key) {
                        Some(&i) => self.batch.stamps[i].spend_avos = spend_avos,
                        None => {
                            self.raised.insert(key, stamp);
                        }
                    }
                }
                false
            }
        };
        self.batch.purchases.push(Purchase {
            id: id.into(),
            campaign_id: coupon.campaign_id.clone(),
            merchant_id: merchant_id.into(),
            visitor_id: coupon.visitor_id.clone(),
            user_id: Some(user_id.into()),
            spend_avos,
            redemption_id: Some(redemption_id.into()),
            stamped,
            day,
            created_at: at,
        });
        Ok(())
    }

    /// The statement a redemption goes on, when its campaign's plan settles it.
    fn statement_line(
        &mut self,
        campaign_id: &str,
        merchant_id: &str,
        ecash: i64,
        at: NaiveDateTime,
    ) -> Result<Option<String>, AppError> {
        let Some(plan) = self.plans.get(campaign_id) else {
            return Ok(None);
        };
        if ecash <= 0 || at >= plan.before {
            return Ok(None);
        }
        let key = (campaign_id.to_string(), merchant_id.to_string());
        if !self.statements.contains_key(&key) {
            let plan = plan.clone();
            let id = self.id();
            let approved = plan.created_at + plan.approved_after;
            let days = if self.rng.gen_bool(0.05) {
                20
            } else {
                self.rng
                    .gen_range(plan.paid_after_days.0..=plan.paid_after_days.1)
            };
            let paid = approved + Duration::days(days);
            // Written now (redemptions refer to it); its amount is set at `finish`.
            diesel::insert_into(settlements::table)
                .values(Settlement {
                    id: id.clone().into(),
                    campaign_id: campaign_id.into(),
                    merchant_id: merchant_id.into(),
                    period_from: plan.period_from,
                    period_to: plan.period_to,
                    amount_avos: 0,
                    redemptions_count: 0,
                    status: crate::types::SettlementStatus::Paid,
                    created_by: plan.created_by.clone().into(),
                    created_at: plan.created_at,
                    approved_by: Some(plan.approved_by.clone().into()),
                    approved_at: Some(approved),
                    paid_by: Some(plan.approved_by.clone().into()),
                    paid_at: Some(paid),
                })
                .execute(self.conn)?;
            self.written.settlements += 1;
            self.statements.insert(
                key.clone(),
                Statement {
                    id,
                    merchant_id: merchant_id.into(),
                    amount: 0,
                    count: 0,
                    created_at: plan.created_at,
                    paid_at: paid,
                },
            );
        }
        let s = self.statements.get_mut(&key).expect("statement exists");
        s.amount += ecash;
        s.count += 1;
        Ok(Some(s.id.clone()))
    }

    #[allow(clippy::too_many_arguments)]
    fn ledger_row(
        &mut self,
        campaign_id: &str,
        kind: &str,
        offer: Option<&str>,
        coupon: Option<&str>,
        redemption: Option<&str>,
        merchant: Option<&str>,
        settlement: Option<&str>,
        amount_avos: i64,
        at: NaiveDateTime,
    ) {
        self.pending_ledger.push(NewLedgerEntry {
            campaign_id: campaign_id.into(),
            kind: crate::types::LedgerKind::parse(kind).expect("a ledger kind"),
            offer_id: offer.map(Into::into),
            coupon_id: coupon.map(Into::into),
            redemption_id: redemption.map(Into::into),
            merchant_id: merchant.map(Into::into),
            settlement_id: settlement.map(Into::into),
            amount_avos,
            created_at: at,
        });
    }

    fn maybe_flush(&mut self) -> Result<(), AppError> {
        if self.batch.len() + self.pending_ledger.len() >= self.flush_at {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes what is buffered in one transaction: the sink's rows, then the chain's head.
    pub fn flush(&mut self) -> Result<(), AppError> {
        let pending = std::mem::take(&mut self.pending_ledger);
        let mut batch = std::mem::take(&mut self.batch);
        if batch.len() + pending.len() == 0 {
            return Ok(());
        }
        self.stamp_in_batch.clear();
        let sink = &mut self.sink;
        self.conn.transaction(|c| -> Result<(), AppError> {
            let mut head = ledger::lock_head(c)?;
            batch.ledger = ledger::chain(&mut head, pending);
            sink.write(c, &batch)?;
            ledger::set_head(c, &head)
        })?;
        let w = &mut self.written;
        w.visitors += batch.visitors.len();
        w.checkins += batch.checkins.len();
        w.refusals += batch.refusals.len();
        w.coupons += batch.coupons.len();
        w.redemptions += batch.redemptions.len();
        w.purchases += batch.purchases.len();
        w.stamps += batch.stamps.len();
        w.ledger += batch.ledger.len();
        w.pageviews += batch.pageviews.len();
        w.page_visitors += batch.page_visitors.len();
        if let Some(p) = self.progress.as_mut() {
            p(&self.written);
        }
        Ok(())
    }

    /// Writes the rest: buffered rows; offers' `issued` counters; campaigns' committed
    /// budget, in total and per Macau day; statements' amounts with their `settle` and `pay`
    /// ledger rows. Returns the rows written.
    pub fn finish(mut self) -> Result<Counts, AppError> {
        let statements = std::mem::take(&mut self.statements);
        for ((campaign_id, _), s) in &statements {
            for (kind, when) in [("settle", s.created_at), ("pay", s.paid_at)] {
                self.ledger_row(
                    campaign_id,
                    kind,
                    None,
                    None,
                    None,
                    Some(&s.merchant_id),
                    Some(&s.id),
                    s.amount,
                    when,
                );
            }
        }
        self.flush()?;
        let offers: Vec<(String, i32)> = self
            .offers
            .values()
            .map(|o| (o.id.to_string(), o.issued))
            .collect();
        let budgets = std::mem::take(&mut self.budgets);
        let raised = std::mem::take(&mut self.raised);
        self.conn.transaction(|c| -> Result<(), AppError> {
            for (id, n) in &offers {
                diesel::update(offers::table.find(id))
                    .set(offers::issued.eq(n))
                    .execute(c)?;
            }
            for (id, b) in &budgets {
                diesel::update(campaigns::table.find(id))
                    .set(campaigns::committed_avos.eq(b.committed))
                    .execute(c)?;
                let days: Vec<_> = b
                    .days
                    .iter()
                    .map(|(d, a)| {
                        (
                            campaign_budget_days::campaign_id.eq(id),
                            campaign_budget_days::day.eq(*d),
                            campaign_budget_days::committed_avos.eq(*a),
                        )
                    })
                    .collect();
                for chunk in days.chunks(chunk_rows(3)) {
                    crate::insert_rows!(&mut *c, campaign_budget_days::table, chunk)?;
                }
            }
            for s in raised.values() {
                diesel::update(
                    purchase_stamps::table
                        .filter(purchase_stamps::campaign_id.eq(&s.campaign_id))
                        .filter(purchase_stamps::visitor_id.eq(&s.visitor_id))
                        .filter(purchase_stamps::merchant_id.eq(&s.merchant_id))
                        .filter(purchase_stamps::day.eq(s.day))
                        .filter(purchase_stamps::spend_avos.lt(s.spend_avos)),
                )
                .set(purchase_stamps::spend_avos.eq(s.spend_avos))
                .execute(c)?;
            }
            for s in statements.values() {
                if s.count == 0 {
                    continue;
                }
                diesel::update(settlements::table.find(&s.id))
                    .set((
                        settlements::amount_avos.eq(s.amount),
                        settlements::redemptions_count.eq(s.count),
                    ))
                    .execute(c)?;
            }
            Ok(())
        })?;
        Ok(self.written)
    }
}

/// A stamp's key (campaign, visitor, shop, Macau day) as 128 bits: two independent 64-bit
/// hashes, so a million stamps are told apart without keeping their texts.
fn stamp_key(campaign_id: &str, visitor_id: &str, merchant_id: &str, day: NaiveDate) -> u128 {
    use std::hash::{Hash, Hasher};
    let half = |salt: u8| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (salt, campaign_id, visitor_id, merchant_id, day).hash(&mut h);
        h.finish()
    };
    (u128::from(half(0)) << 64) | u128::from(half(1))
}
