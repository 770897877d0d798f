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
use serde_json::{json, Value};

use super::models::LedgerEntry;
use super::schema::*;
use super::DbConn;
use crate::domain::names::Names;
use crate::error::AppError;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub issued: i64,
    pub redeemed: i64,
    pub expired: i64,
    pub void: i64,
    pub outstanding: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Ecash {
    pub committed: i64,
    pub redeemed: i64,
    pub settled: i64,
    pub paid: i64,
    pub outstanding: i64,
}

/// One row whose ledger story and table state disagree.
#[derive(Debug, Clone, Serialize)]
pub struct RowDiff {
    pub entity: &'static str,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offer_id: Option<String>,
    pub field: &'static str,
    pub ledger: Value,
    pub tables: Value,
    pub ledger_rows: Vec<i64>,
}

#[derive(Default)]
struct CouponStory {
    offer_id: String,
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

pub fn reconcile(conn: &mut DbConn, campaign_id: &str) -> Result<Value, AppError> {
    let entries: Vec<LedgerEntry> = super::ledger::entries(conn, campaign_id)?;
    let offers: Vec<(String, String, String, i64, i32)> = offers::table
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
    let coupons_t: Vec<(String, String, String)> = coupons::table
        .filter(coupons::campaign_id.eq(campaign_id))
        .select((coupons::id, coupons::offer_id, coupons::status))
        .load(conn)?;
    let redemptions_t: Vec<(String, String, String, i64)> = redemptions::table
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
        let coupon = e.coupon_id.clone().unwrap_or_default();
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
                    .entry(e.settlement_id.clone().unwrap_or_default())
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
                ledger: json!(kind),
                tables: Value::Null,
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
                ledger: json!(if story.state.is_empty() {
                    "never issued"
                } else {
                    story.state
                }),
                tables: table_state.map_or(json!("absent"), |s| json!(s)),
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
                ledger: json!("absent"),
                tables: json!(status),
                ledger_rows: vec![],
            });
        }
    }
    // Redemptions.
    let redemption_table: HashMap<&str, (&str, &str, i64)> = redemptions_t
        .iter()
        .map(|(id, o, s, a)| (id.as_str(), (o.as_str(), s.as_str(), *a)))
        .collect();
    for (id, story) in &redemptions_l {
        match redemption_table.get(id.as_str()) {
            None => row_diffs.push(RowDiff {
                entity: "redemption",
                id: id.clone(),
                offer_id: None,
                field: "status",
                ledger: json!(story.state),
                tables: json!("absent"),
                ledger_rows: story.rows.clone(),
            }),
            Some((offer, status, amount)) => {
                if *status != story.state {
                    row_diffs.push(RowDiff {
                        entity: "redemption",
                        id: id.clone(),
                        offer_id: Some(offer.to_string()),
                        field: "status",
                        ledger: json!(story.state),
                        tables: json!(status),
                        ledger_rows: story.rows.clone(),
                    });
                }
                if *amount != story.amount {
                    row_diffs.push(RowDiff {
                        entity: "redemption",
                        id: id.clone(),
                        offer_id: Some(offer.to_string()),
                        field: "ecash_avos",
                        ledger: json!(story.amount),
                        tables: json!(amount),
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
                ledger: json!("absent"),
                tables: json!({"status": status, "ecash_avos": amount}),
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
                ledger: json!(settled),
                tables: json!(amount),
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
                ledger: json!(paid),
                tables: json!(table_paid),
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
                ledger: json!(settled),
                tables: json!({"amount_avos": amount, "lines_avos": sum_lines}),
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
                ledger: json!(story.settled),
                tables: json!("absent"),
                ledger_rows: story.rows.clone(),
            });
        }
    }
    row_diffs.extend(strange);

    // Figures per offer.
    let mut differences: Vec<Value> = Vec::new();
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
        let rows: Vec<&RowDiff> = row_diffs
            .iter()
            .filter(|d| d.offer_id.as_deref() == Some(oid) && d.entity == "coupon")
            .collect();
        for (figure, lv, tv) in [
            ("issued", l.issued, t.issued),
            ("redeemed", l.redeemed, t.redeemed),
            ("expired", l.expired, t.expired),
            ("void", l.void, t.void),
            ("outstanding", l.outstanding, t.outstanding),
        ] {
            if lv != tv {
                differences.push(json!({"scope": "offer", "offer_id": oid, "figure": figure,
                    "ledger": lv, "tables": tv, "rows": rows}));
            }
        }
        if !counter_ok {
            differences.push(
                json!({"scope": "offer", "offer_id": oid, "figure": "issued_counter",
                "ledger": l.issued, "tables": counter, "rows": rows}),
            );
        }
        offers_out.push(json!({
            "offer_id": oid,
            "name": Names::from_json(name),
            "kind": kind,
            "face_value_avos": face_value,
            "issued": l.issued, "redeemed": l.redeemed, "expired": l.expired,
            "void": l.void, "outstanding": l.outstanding,
            "balanced": balanced,
            "ledger": l,
            "tables": t,
        }));
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
            let rows: Vec<&RowDiff> = row_diffs
                .iter()
                .filter(|d| entities.contains(&d.entity))
                .collect();
            differences.push(json!({"scope": "ecash", "figure": figure, "ledger": lv, "tables": tv, "rows": rows}));
        }
    }
    let ecash_balanced = l == t;
    // Row differences no figure shows (they cancel out, or lie inside a statement) are listed too.
    let shown: std::collections::HashSet<(String, String, String)> = differences
        .iter()
        .flat_map(|d| d["rows"].as_array().cloned().unwrap_or_default())
        .map(|r| {
            let f = |k: &str| r[k].as_str().unwrap_or("").to_string();
            (f("entity"), f("id"), f("field"))
        })
        .collect();
    let unshown: Vec<&RowDiff> = row_diffs
        .iter()
        .filter(|d| !shown.contains(&(d.entity.to_string(), d.id.clone(), d.field.to_string())))
        .collect();
    if !unshown.is_empty() {
        differences.push(
            json!({"scope": "rows", "figure": "rows", "ledger": Value::Null,
            "tables": Value::Null, "rows": unshown}),
        );
    }
    let balanced = all_balanced && ecash_balanced && row_diffs.is_empty();
    Ok(json!({
        "campaign_id": campaign_id,
        "ledger_rows": entries.len(),
        "balanced": balanced,
        "offers": offers_out,
        "ecash": {
            "committed": l.committed, "redeemed": l.redeemed, "settled": l.settled,
            "paid": l.paid, "outstanding": l.outstanding,
            "unsettled": l.redeemed - l.settled, "unpaid": l.settled - l.paid,
            "balanced": ecash_balanced,
            "ledger": l, "tables": t,
        },
        "differences": differences,
        "row_differences": row_diffs.len(),
    }))
}
