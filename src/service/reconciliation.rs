//! A campaign's reconciliation: every figure recomputed by replaying the ledger, compared
//! with what the tables (coupons, redemptions, settlements) say, and every difference listed
//! with the rows behind it. The replay of the many coupons and redemptions is aggregated by
//! the database ([`crate::db::reconciliation`]); statements are few and replayed here.
//!
//! `committed` is the face value of e-cash coupons issued and not void, as the public budget
//! counts it; `outstanding` the face value of those still in wallets.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{json, Value};

use crate::db::reconciliation as rows;
use crate::db::DbConn;
use crate::domain::names::Names;
use crate::error::AppError;
use crate::views::reconciliation::{
    Counts, Difference, Ecash, EcashReconciliation, OfferReconciliation, Reconciliation, RowDiff,
};

#[derive(Default)]
struct SettlementStory {
    settled: i64,
    paid: i64,
    rows: Vec<i64>,
}

/// A table status as the tallies count it.
fn state_of(s: &str) -> &'static str {
    match s {
        "redeemed" => "redeemed",
        "expired" => "expired",
        "void" => "void",
        "issued" => "issued",
        _ => "other",
    }
}

fn count(c: &mut Counts, state: &str, n: i64) {
    c.issued += n;
    match state {
        "redeemed" => c.redeemed += n,
        "expired" => c.expired += n,
        "void" => c.void += n,
        _ => c.outstanding += n,
    }
}

/// The ledger rows of each story whose key is in `wanted`.
fn stories(entries: Vec<(String, i64)>, wanted: &HashSet<&str>) -> HashMap<String, Vec<i64>> {
    let mut out: HashMap<String, Vec<i64>> = HashMap::new();
    for (k, id) in entries {
        if wanted.contains(k.as_str()) {
            out.entry(k).or_default().push(id);
        }
    }
    out
}

pub fn reconcile(conn: &mut DbConn, campaign_id: &str) -> Result<Reconciliation, AppError> {
    let ledger_rows = rows::ledger_rows(conn, campaign_id)?;
    let offers = rows::offers(conn, campaign_id)?;
    let coupon_tallies = rows::coupon_tallies(conn, campaign_id)?;
    let redemption_tallies = rows::redemption_tallies(conn, campaign_id)?;
    let settlements_t = rows::settlements(conn, campaign_id)?;
    let lines: HashMap<String, i64> = rows::statement_lines(conn, campaign_id)?
        .into_iter()
        .collect();
    let face: HashMap<&str, (i64, bool)> = offers
        .iter()
        .map(|(id, _, kind, f, _)| (id.as_str(), (*f, kind == "ecash")))
        .collect();

    let mut row_diffs: Vec<RowDiff> = Vec::new();

    // Coupons: read one by one only when some disagree.
    let coupons_differ = coupon_tallies
        .iter()
        .any(|t| match (&t.l_state, &t.t_status) {
            (Some(l), Some(s)) => l != s,
            _ => true,
        });
    if coupons_differ {
        let diffs = rows::coupon_diffs(conn, campaign_id)?;
        let wanted: HashSet<&str> = diffs.iter().filter_map(|d| d.l_id.as_deref()).collect();
        let mut story_rows = stories(rows::coupon_entries(conn, campaign_id)?, &wanted);
        for d in &diffs {
            match &d.l_id {
                Some(id) => row_diffs.push(RowDiff {
                    entity: "coupon",
                    id: id.clone(),
                    offer_id: Some(d.l_offer.clone().unwrap_or_default()),
                    field: "status",
                    ledger: json!(d.l_state.as_deref().unwrap_or("never issued")),
                    tables: d.t_status.as_deref().map_or(json!("absent"), |s| json!(s)),
                    ledger_rows: story_rows.remove(id).unwrap_or_default(),
                }),
                None => row_diffs.push(RowDiff {
                    entity: "coupon",
                    id: d.t_id.clone().unwrap_or_default(),
                    offer_id: Some(d.t_offer.clone().unwrap_or_default()),
                    field: "status",
                    ledger: json!("absent"),
                    tables: json!(d.t_status),
                    ledger_rows: vec![],
                }),
            }
        }
    }

    // Redemptions.
    let redemptions_differ = redemption_tallies.iter().any(|t| {
        t.same_amount == 0
            || match (&t.l_state, &t.t_status) {
                (Some(l), Some(s)) => l != s,
                _ => true,
            }
    });
    if redemptions_differ {
        let diffs = rows::redemption_diffs(conn, campaign_id)?;
        let wanted: HashSet<&str> = diffs.iter().filter_map(|d| d.l_id.as_deref()).collect();
        let story_rows = stories(rows::redemption_entries(conn, campaign_id)?, &wanted);
        for d in &diffs {
            let rows_of = |id: &str| story_rows.get(id).cloned().unwrap_or_default();
            match (&d.l_id, &d.t_id) {
                (Some(id), None) => row_diffs.push(RowDiff {
                    entity: "redemption",
                    id: id.clone(),
                    offer_id: None,
                    field: "status",
                    ledger: json!(d.l_state),
                    tables: json!("absent"),
                    ledger_rows: rows_of(id),
                }),
                (Some(id), Some(_)) => {
                    if d.l_state != d.t_status {
                        row_diffs.push(RowDiff {
                            entity: "redemption",
                            id: id.clone(),
                            offer_id: d.t_offer.clone(),
                            field: "status",
                            ledger: json!(d.l_state),
                            tables: json!(d.t_status),
                            ledger_rows: rows_of(id),
                        });
                    }
                    if d.l_amount != d.t_amount {
                        row_diffs.push(RowDiff {
                            entity: "redemption",
                            id: id.clone(),
                            offer_id: d.t_offer.clone(),
                            field: "ecash_avos",
                            ledger: json!(d.l_amount),
                            tables: json!(d.t_amount),
                            ledger_rows: rows_of(id),
                        });
                    }
                }
                (None, _) => row_diffs.push(RowDiff {
                    entity: "redemption",
                    id: d.t_id.clone().unwrap_or_default(),
                    offer_id: d.t_offer.clone(),
                    field: "status",
                    ledger: json!("absent"),
                    tables: json!({"status": d.t_status, "ecash_avos": d.t_amount}),
                    ledger_rows: vec![],
                }),
            }
        }
    }

    // Statements: the ledger's amounts, the statement's amount, and its lines.
    let mut settlements_l: BTreeMap<String, SettlementStory> = BTreeMap::new();
    for e in rows::statement_entries(conn, campaign_id)? {
        let s = settlements_l
            .entry(e.settlement_id.unwrap_or_default())
            .or_default();
        if e.kind == "settle" {
            s.settled += e.amount_avos;
        } else {
            s.paid += e.amount_avos;
        }
        s.rows.push(e.id);
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
    let table_ids: HashSet<&str> = settlements_t.iter().map(|(id, _, _)| id.as_str()).collect();
    for (id, story) in &settlements_l {
        if !table_ids.contains(id.as_str()) {
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
    for (id, kind, offer_id) in rows::strange_entries(conn, campaign_id)? {
        row_diffs.push(RowDiff {
            entity: "ledger",
            id: id.to_string(),
            offer_id,
            field: "kind",
            ledger: json!(kind),
            tables: Value::Null,
            ledger_rows: vec![id],
        });
    }

    // Figures per offer, and the e-cash, from the tallies.
    let mut ledger_counts: HashMap<&str, Counts> = HashMap::new();
    let mut table_counts: HashMap<&str, Counts> = HashMap::new();
    let mut l = Ecash::default();
    let mut t = Ecash::default();
    let ecash_face = |offer: &str| face.get(offer).filter(|(_, e)| *e).map_or(0, |(f, _)| *f);
    for g in &coupon_tallies {
        if let (Some(offer), Some(state)) = (&g.l_offer, &g.l_state) {
            count(ledger_counts.entry(offer).or_default(), state, g.n);
            if matches!(state.as_str(), "issued" | "redeemed" | "expired") {
                l.committed += g.face;
            }
            if state == "issued" {
                l.outstanding += g.face;
            }
        }
        if let (Some(offer), Some(status)) = (&g.t_offer, &g.t_status) {
            count(
                table_counts.entry(offer).or_default(),
                state_of(status),
                g.n,
            );
            if matches!(status.as_str(), "issued" | "redeemed" | "expired") {
                t.committed += ecash_face(offer) * g.n;
            }
            if status == "issued" {
                t.outstanding += ecash_face(offer) * g.n;
            }
        }
    }
    for g in &redemption_tallies {
        if g.l_state.as_deref() == Some("done") {
            l.redeemed += g.l_amount;
        }
        if g.t_status.as_deref() == Some("done") {
            t.redeemed += g.t_amount;
        }
    }
    l.settled = settlements_l.values().map(|s| s.settled).sum();
    l.paid = settlements_l.values().map(|s| s.paid).sum();
    t.settled = settlements_t.iter().map(|s| s.2).sum();
    t.paid = settlements_t
        .iter()
        .filter(|s| s.1 == "paid")
        .map(|s| s.2)
        .sum();

    let mut differences: Vec<Difference> = Vec::new();
    let mut offers_out = Vec::new();
    let mut all_balanced = true;
    for (oid, name, kind, face_value, counter) in &offers {
        let l = ledger_counts.get(oid.as_str()).copied().unwrap_or_default();
        let t = table_counts.get(oid.as_str()).copied().unwrap_or_default();
        let identity = l.issued == l.redeemed + l.expired + l.void + l.outstanding;
        let counter_ok = i64::from(*counter) == t.issued;
        let balanced = identity && l == t && counter_ok;
        all_balanced &= balanced;
        let rows: Vec<RowDiff> = row_diffs
            .iter()
            .filter(|d| d.offer_id.as_deref() == Some(oid) && d.entity == "coupon")
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
                    scope: "offer",
                    offer_id: Some(oid.clone()),
                    figure,
                    ledger: Some(lv),
                    tables: Some(tv),
                    rows: rows.clone(),
                });
            }
        }
        if !counter_ok {
            differences.push(Difference {
                scope: "offer",
                offer_id: Some(oid.clone()),
                figure: "issued_counter",
                ledger: Some(l.issued),
                tables: Some(i64::from(*counter)),
                rows: rows.clone(),
            });
        }
        offers_out.push(OfferReconciliation {
            offer_id: oid.clone(),
            name: Names::from_json(name),
            kind: kind.clone(),
            face_value_avos: *face_value,
            issued: l.issued,
            redeemed: l.redeemed,
            expired: l.expired,
            void: l.void,
            outstanding: l.outstanding,
            balanced,
            ledger: l,
            tables: t,
        });
    }

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
                scope: "ecash",
                offer_id: None,
                figure,
                ledger: Some(lv),
                tables: Some(tv),
                rows,
            });
        }
    }
    let ecash_balanced = l == t;
    // Row differences no figure shows (they cancel out, or lie inside a statement) are listed too.
    let shown: HashSet<(&str, &str, &str)> = differences
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
            scope: "rows",
            offer_id: None,
            figure: "rows",
            ledger: None,
            tables: None,
            rows: unshown,
        });
    }
    let balanced = all_balanced && ecash_balanced && row_diffs.is_empty();
    Ok(Reconciliation {
        campaign_id: campaign_id.to_string(),
        ledger_rows,
        balanced,
        offers: offers_out,
        ecash: EcashReconciliation {
            committed: l.committed,
            redeemed: l.redeemed,
            settled: l.settled,
            paid: l.paid,
            outstanding: l.outstanding,
            unsettled: l.redeemed - l.settled,
            unpaid: l.settled - l.paid,
            balanced: ecash_balanced,
            ledger: l,
            tables: t,
        },
        differences,
        row_differences: row_diffs.len(),
    })
}
