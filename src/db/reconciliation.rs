//! Reconciliation of a campaign: every figure recomputed by replaying the ledger, compared
//! with what the tables (coupons, redemptions, settlements) say, and every difference listed
//! with the rows behind it.
//!
//! Replay rules: `issue` puts a coupon in the wallet (its amount is the e-cash face value);
//! `redeem` applies it (amount: e-cash applied); `void` with a redemption undoes that
//! redemption (the coupon is back in the wallet); `void` without a redemption voids the
//! coupon itself; `expire` expires it; `settle` puts an amount on a statement; `pay` pays it.
//! `committed` is the face value of e-cash coupons issued and not void, as the public budget
//! counts it; `outstanding` the face value of those still in wallets.

use std::collections::{BTreeMap, HashMap};

use diesel::prelude::*;
use serde::Serialize;

use super::models::LedgerEntry;
use super::schema::*;
use super::DbConn;
use crate::domain::names::Names;
use crate::error::AppError;
use crate::types::{CampaignId, OfferId};

// The answer's types list their fields in alphabetical order: the order the answer has always
// had on the wire.

/// Coupons of an offer by state, as the ledger or the tables count them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Counts {
    pub expired: i64,
    pub issued: i64,
    pub outstanding: i64,
    pub redeemed: i64,
    pub void: i64,
}

/// A campaign's e-cash in avos, as the ledger or the tables count it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Ecash {
    pub committed: i64,
    pub outstanding: i64,
    pub paid: i64,
    pub redeemed: i64,
    pub settled: i64,
}

/// What one side (ledger or tables) says of a row.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Side {
    /// A state (`issued`, `done`, `absent`, `never issued`, …) or a ledger kind.
    State(String),
    /// An amount in avos.
    Amount(i64),
    /// A redemption the ledger never recorded.
    Redemption { ecash_avos: i64, status: String },
    /// A statement whose lines do not add up to its amount.
    Statement { amount_avos: i64, lines_avos: i64 },
    /// Nothing (a ledger row of an unknown kind has no table side).
    Nothing,
}

impl Side {
    fn state(s: impl Into<String>) -> Side {
        Side::State(s.into())
    }
}

/// One row whose ledger story and table state disagree.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RowDiff {
    /// coupon, redemption, settlement or ledger.
    pub entity: &'static str,
    pub field: &'static str,
    pub id: String,
    pub ledger: Side,
    /// The ledger rows of the row's story.
    pub ledger_rows: Vec<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub offer_id: Option<OfferId>,
    pub tables: Side,
}

/// A figure the ledger and the tables disagree on, with the rows behind it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Difference {
    /// issued, redeemed, expired, void, outstanding, issued_counter (offer); committed,
    /// redeemed, settled, paid, outstanding (ecash); rows (row differences no figure shows).
    pub figure: &'static str,
    /// Null for `rows`.
    pub ledger: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub offer_id: Option<OfferId>,
    pub rows: Vec<RowDiff>,
    /// offer, ecash or rows.
    pub scope: &'static str,
    /// Null for `rows`.
    pub tables: Option<i64>,
}

/// One offer's coupons, replayed from the ledger and counted in the tables.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OfferBalance {
    pub balanced: bool,
    pub expired: i64,
    pub face_value_avos: i64,
    pub issued: i64,
    /// ecash or discount.
    pub kind: String,
    pub ledger: Counts,
    pub name: Names,
    pub offer_id: OfferId,
    pub outstanding: i64,
    pub redeemed: i64,
    pub tables: Counts,
    pub void: i64,
}

/// The campaign's e-cash, replayed from the ledger and summed in the tables.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EcashBalance {
    pub balanced: bool,
    pub committed: i64,
    pub ledger: Ecash,
    pub outstanding: i64,
    pub paid: i64,
    pub redeemed: i64,
    pub settled: i64,
    pub tables: Ecash,
    /// Settled and not yet paid.
    pub unpaid: i64,
    /// Redeemed and not yet on a statement.
    pub unsettled: i64,
}

/// A campaign's reconciliation (`GET /campaigns/{id}/reconciliation`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Reconciliation {
    pub balanced: bool,
    pub campaign_id: CampaignId,
    pub differences: Vec<Difference>,
    pub ecash: EcashBalance,
    pub ledger_rows: usize,
    pub offers: Vec<OfferBalance>,
    /// Rows whose ledger story and table state disagree.
    pub row_differences: usize,
}

#[derive(Default)]
struct CouponStory {
    offer_id: OfferId,
    state: &'static str,
    face: i64,
    rows: Vec<i64>,
}

#[derive(Default)]
struct RedemptionStory {
    state: &'static str,
    amount: i64,
    rows: Vec<i64>,
}

#[derive(Default)]
struct SettlementStory {
    settled: i64,
    paid: i64,
    rows: Vec<i64>,
}

fn tally(states: impl Iterator<Item = &'static str>) -> Counts {
    let mut c = Counts::default();
    for s in states {
        c.issued += 1;
        match s {
            "redeemed" => c.redeemed += 1,
            "expired" => c.expired += 1,
            "void" => c.void += 1,
            _ => c.outstanding += 1,
        }
    }
    c
}

fn state_of(s: &str) -> &'static str {
    match s {
        "redeemed" => "redeemed",
        "expired" => "expired",
        "void" => "void",
        "issued" => "issued",
        _ => "other",
    }
}

pub fn reconcile(conn: &mut DbConn, campaign_id: &CampaignId) -> Result<Reconciliation, AppError> {
    let entries: Vec<LedgerEntry> = super::ledger::entries(conn, campaign_id)?;
    let offers: Vec<(OfferId, String, String, i64, i32)> = offers::table
        .filter(offers::campaign_id.eq(campaign_id))
        .order(offers::created_at.asc())
        .select((
            offers::id,
            offers::name,
            offers::kind,
            offers::face_value_avos,
            offers::issued,
        ))
        .load(conn)?;
    let coupons_t: Vec<(String, OfferId, String)> = coupons::table
        .filter(coupons::campaign_id.eq(campaign_id))
        .select((coupons::id, coupons::offer_id, coupons::status))
        .load(conn)?;
    let redemptions_t: Vec<(String, OfferId, String, i64)> = redemptions::table
        .filter(redemptions::campaign_id.eq(campaign_id))
        .select((
            redemptions::id,
            redemptions::offer_id,
            redemptions::status,
            redemptions::ecash_avos,
        ))
        .load(conn)?;
    let settlements_t: Vec<(String, String, i64)> = settlements::table
        .filter(settlements::campaign_id.eq(campaign_id))
        .select((
            settlements::id,
            settlements::status,
            settlements::amount_avos,
        ))
        .load(conn)?;
    let on_statements: Vec<(String, i64)> = redemptions::table
        .filter(redemptions::campaign_id.eq(campaign_id))
        .filter(redemptions::settlement_id.is_not_null())
        .select((
            redemptions::settlement_id.assume_not_null(),
            redemptions::ecash_avos,
        ))
        .load(conn)?;
    let face: HashMap<&str, (i64, bool)> = offers
        .iter()
        .map(|(id, _, kind, f, _)| (id.as_str(), (*f, kind == "ecash")))
        .collect();

    // Replay the ledger.
    let mut coupons_l: BTreeMap<String, CouponStory> = BTreeMap::new();
    let mut redemptions_l: BTreeMap<String, RedemptionStory> = BTreeMap::new();
    let mut settlements_l: BTreeMap<String, SettlementStory> = BTreeMap::new();
    let mut strange: Vec<RowDiff> = Vec::new();
    for e in &entries {
        let coupon = e.coupon_id.clone().unwrap_or_default().into_string();
        match (e.kind.as_str(), e.redemption_id.as_deref()) {
            ("issue", _) => {
                let c = coupons_l.entry(coupon).or_default();
                c.offer_id = e.offer_id.clone().unwrap_or_default();
                c.state = "issued";
                c.face = e.amount_avos;
                c.rows.push(e.id);
            }
            ("redeem", Some(r)) => {
                let c = coupons_l.entry(coupon).or_default();
                c.state = "redeemed";
                c.rows.push(e.id);
                let s = redemptions_l.entry(r.to_string()).or_default();
                s.state = "done";
                s.amount = e.amount_avos;
                s.rows.push(e.id);
            }
            ("void", Some(r)) => {
                let c = coupons_l.entry(coupon).or_default();
                c.state = "issued";
                c.rows.push(e.id);
                let s = redemptions_l.entry(r.to_string()).or_default();
                s.state = "void";
                s.rows.push(e.id);
            }
            ("void", None) | ("expire", _) => {
                let c = coupons_l.entry(coupon).or_default();
                c.state = if e.kind == "void" { "void" } else { "expired" };
                c.rows.push(e.id);
            }
            ("settle", _) | ("pay", _) => {
                let s = settlements_l
                    .entry(e.settlement_id.clone().unwrap_or_default().into_string())
                    .or_default();
                if e.kind == "settle" {
                    s.settled += e.amount_avos;
                } else {
                    s.paid += e.amount_avos;
                }
                s.rows.push(e.id);
            }
            (kind, _) => strange.push(RowDiff {
                entity: "ledger",
                id: e.id.to_string(),
                offer_id: e.offer_id.clone(),
                field: "kind",
                ledger: Side::state(kind),
                tables: Side::Nothing,
                ledger_rows: vec![e.id],
            }),
        }
    }

    // Row by row: coupons.
    let mut row_diffs: Vec<RowDiff> = Vec::new();
    let coupon_table: HashMap<&str, (&str, &str)> = coupons_t
        .iter()
        .map(|(id, o, s)| (id.as_str(), (o.as_str(), s.as_str())))
        .collect();
    for (id, story) in &coupons_l {
        let table = coupon_table.get(id.as_str());
        let table_state = table.map(|(_, s)| *s);
        if table_state != Some(story.state) {
            row_diffs.push(RowDiff {
                entity: "coupon",
                id: id.clone(),
                offer_id: Some(story.offer_id.clone()),
                field: "status",
                ledger: Side::state(if story.state.is_empty() {
                    "never issued"
                } else {
                    story.state
                }),
                tables: Side::state(table_state.unwrap_or("absent")),
                ledger_rows: story.rows.clone(),
            });
        }
    }
    for (id, offer_id, status) in &coupons_t {
        if !coupons_l.contains_key(id) {
            row_diffs.push(RowDiff {
                entity: "coupon",
                id: id.clone(),
                offer_id: Some(offer_id.clone()),
                field: "status",
                ledger: Side::state("absent"),
                tables: Side::state(status.as_str()),
                ledger_rows: vec![],
            });
        }
    }
    // Redemptions.
    let redemption_table: HashMap<&str, (&OfferId, &str, i64)> = redemptions_t
        .iter()
        .map(|(id, o, s, a)| (id.as_str(), (o, s.as_str(), *a)))
        .collect();
    for (id, story) in &redemptions_l {
        match redemption_table.get(id.as_str()) {
            None => row_diffs.push(RowDiff {
                entity: "redemption",
                id: id.clone(),
                offer_id: None,
                field: "status",
                ledger: Side::state(story.state),
                tables: Side::state("absent"),
                ledger_rows: story.rows.clone(),
            }),
            Some((offer, status, amount)) => {
                if *status != story.state {
                    row_diffs.push(RowDiff {
                        entity: "redemption",
                        id: id.clone(),
                        offer_id: Some((*offer).clone()),
                        field: "status",
                        ledger: Side::state(story.state),
                        tables: Side::state(*status),
                        ledger_rows: story.rows.clone(),
                    });
                }
                if *amount != story.amount {
                    row_diffs.push(RowDiff {
                        entity: "redemption",
                        id: id.clone(),
                        offer_id: Some((*offer).clone()),
                        field: "ecash_avos",
                        ledger: Side::Amount(story.amount),
                        tables: Side::Amount(*amount),
                        ledger_rows: story.rows.clone(),
                    });
                }
            }
        }
    }
    for (id, offer, status, amount) in &redemptions_t {
        if !redemptions_l.contains_key(id) {
            row_diffs.push(RowDiff {
                entity: "redemption",
                id: id.clone(),
                offer_id: Some(offer.clone()),
                field: "status",
                ledger: Side::state("absent"),
                tables: Side::Redemption {
                    ecash_avos: *amount,
                    status: status.clone(),
                },
                ledger_rows: vec![],
            });
        }
    }
    // Statements: the ledger's amounts, the statement's amount, and its lines.
    let mut lines: HashMap<&str, i64> = HashMap::new();
    for (sid, a) in &on_statements {
        *lines.entry(sid.as_str()).or_default() += a;
    }
    for (id, status, amount) in &settlements_t {
        let story = settlements_l.get(id);
        let (settled, paid, rows) =
            story.map_or((0, 0, vec![]), |s| (s.settled, s.paid, s.rows.clone()));
        if settled != *amount {
            row_diffs.push(RowDiff {
                entity: "settlement",
                id: id.clone(),
                offer_id: None,
                field: "amount_avos",
                ledger: Side::Amount(settled),
                tables: Side::Amount(*amount),
                ledger_rows: rows.clone(),
            });
        }
        let table_paid = if status == "paid" { *amount } else { 0 };
        if paid != table_paid {
            row_diffs.push(RowDiff {
                entity: "settlement",
                id: id.clone(),
                offer_id: None,
                field: "paid_avos",
                ledger: Side::Amount(paid),
                tables: Side::Amount(table_paid),
                ledger_rows: rows.clone(),
            });
        }
        let sum_lines = lines.get(id.as_str()).copied().unwrap_or(0);
        if sum_lines != *amount {
            row_diffs.push(RowDiff {
                entity: "settlement",
                id: id.clone(),
                offer_id: None,
                field: "lines_avos",
                ledger: Side::Amount(settled),
                tables: Side::Statement {
                    amount_avos: *amount,
                    lines_avos: sum_lines,
                },
                ledger_rows: rows,
            });
        }
    }
    for (id, story) in &settlements_l {
        if !settlements_t.iter().any(|(sid, _, _)| sid == id) {
            row_diffs.push(RowDiff {
                entity: "settlement",
                id: id.clone(),
                offer_id: None,
                field: "amount_avos",
                ledger: Side::Amount(story.settled),
                tables: Side::state("absent"),
                ledger_rows: story.rows.clone(),
            });
        }
    }
    row_diffs.extend(strange);

    // Figures per offer.
    let mut differences: Vec<Difference> = Vec::new();
    let mut offers_out = Vec::new();
    let mut all_balanced = true;
    for (oid, name, kind, face_value, counter) in &offers {
        let l = tally(
            coupons_l
                .values()
                .filter(|c| &c.offer_id == oid)
                .map(|c| c.state),
        );
        let t = tally(
            coupons_t
                .iter()
                .filter(|(_, o, _)| o == oid)
                .map(|(_, _, s)| state_of(s)),
        );
        let identity = l.issued == l.redeemed + l.expired + l.void + l.outstanding;
        let counter_ok = i64::from(*counter) == t.issued;
        let balanced = identity && l == t && counter_ok;
        all_balanced &= balanced;
        let rows: Vec<RowDiff> = row_diffs
            .iter()
            .filter(|d| d.offer_id.as_ref() == Some(oid) && d.entity == "coupon")
            .cloned()
            .collect();
        for (figure, lv, tv) in [
            ("issued", l.issued, t.issued),
            ("redeemed", l.redeemed, t.redeemed),
            ("expired", l.expired, t.expired),
            ("void", l.void, t.void),
            ("outstanding", l.outstanding, t.outstanding),
        ] {
            if lv != tv {
                differences.push(Difference {
                    figure,
                    ledger: Some(lv),
                    offer_id: Some(oid.clone()),
                    rows: rows.clone(),
                    scope: "offer",
                    tables: Some(tv),
                });
            }
        }
        if !counter_ok {
            differences.push(Difference {
                figure: "issued_counter",
                ledger: Some(l.issued),
                offer_id: Some(oid.clone()),
                rows,
                scope: "offer",
                tables: Some(i64::from(*counter)),
            });
        }
        offers_out.push(OfferBalance {
            balanced,
            expired: l.expired,
            face_value_avos: *face_value,
            issued: l.issued,
            kind: kind.clone(),
            ledger: l,
            name: Names::from_json(name),
            offer_id: oid.clone(),
            outstanding: l.outstanding,
            redeemed: l.redeemed,
            tables: t,
            void: l.void,
        });
    }

    // The campaign's e-cash, in avos.
    let ecash_face = |offer: &str| face.get(offer).filter(|(_, e)| *e).map_or(0, |(f, _)| *f);
    let mut l = Ecash::default();
    for c in coupons_l.values() {
        if matches!(c.state, "issued" | "redeemed" | "expired") {
            l.committed += c.face;
        }
        if c.state == "issued" {
            l.outstanding += c.face;
        }
    }
    l.redeemed = redemptions_l
        .values()
        .filter(|r| r.state == "done")
        .map(|r| r.amount)
        .sum();
    l.settled = settlements_l.values().map(|s| s.settled).sum();
    l.paid = settlements_l.values().map(|s| s.paid).sum();
    let mut t = Ecash::default();
    for (_, offer, status) in &coupons_t {
        if matches!(status.as_str(), "issued" | "redeemed" | "expired") {
            t.committed += ecash_face(offer);
        }
        if status == "issued" {
            t.outstanding += ecash_face(offer);
        }
    }
    t.redeemed = redemptions_t
        .iter()
        .filter(|r| r.2 == "done")
        .map(|r| r.3)
        .sum();
    t.settled = settlements_t.iter().map(|s| s.2).sum();
    t.paid = settlements_t
        .iter()
        .filter(|s| s.1 == "paid")
        .map(|s| s.2)
        .sum();
    for (figure, lv, tv, entities) in [
        ("committed", l.committed, t.committed, &["coupon"][..]),
        ("redeemed", l.redeemed, t.redeemed, &["redemption"][..]),
        ("settled", l.settled, t.settled, &["settlement"][..]),
        ("paid", l.paid, t.paid, &["settlement"][..]),
        ("outstanding", l.outstanding, t.outstanding, &["coupon"][..]),
    ] {
        if lv != tv {
            let rows: Vec<RowDiff> = row_diffs
                .iter()
                .filter(|d| entities.contains(&d.entity))
                .cloned()
                .collect();
            differences.push(Difference {
                figure,
                ledger: Some(lv),
                offer_id: None,
                rows,
                scope: "ecash",
                tables: Some(tv),
            });
        }
    }
    let ecash_balanced = l == t;
    // Row differences no figure shows (they cancel out, or lie inside a statement) are listed too.
    let shown: std::collections::HashSet<(&str, &str, &str)> = differences
        .iter()
        .flat_map(|d| d.rows.iter())
        .map(|r| (r.entity, r.id.as_str(), r.field))
        .collect();
    let unshown: Vec<RowDiff> = row_diffs
        .iter()
        .filter(|d| !shown.contains(&(d.entity, d.id.as_str(), d.field)))
        .cloned()
        .collect();
    if !unshown.is_empty() {
        differences.push(Difference {
            figure: "rows",
            ledger: None,
            offer_id: None,
            rows: unshown,
            scope: "rows",
            tables: None,
        });
    }
    let balanced = all_balanced && ecash_balanced && row_diffs.is_empty();
    Ok(Reconciliation {
        balanced,
        campaign_id: campaign_id.clone(),
        differences,
        ecash: EcashBalance {
            balanced: ecash_balanced,
            committed: l.committed,
            ledger: l,
            outstanding: l.outstanding,
            paid: l.paid,
            redeemed: l.redeemed,
            settled: l.settled,
            tables: t,
            unpaid: l.settled - l.paid,
            unsettled: l.redeemed - l.settled,
        },
        ledger_rows: entries.len(),
        offers: offers_out,
        row_differences: row_diffs.len(),
    })
}
