//! Public-money integrity: the ledger's hash chain finds a changed or removed row (CLI and
//! API), reconciliation balances the demo to the avo and shows a planted difference,
//! settlement runs stay exact under concurrency, payout files add up to their batch.

use diesel::connection::SimpleConnection;
use futures::future::{join_all, BoxFuture};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both;
use crate::support::*;

/// Runs `bairro ledger verify` against the test's database: (exit code, output).
fn cli_verify(app: &TestApp) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bairro"))
        .args(["ledger", "verify", "--database-url", &app.db_url])
        .env_remove("DATABASE_URL")
        .output()
        .expect("bairro runs");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Runs SQL behind the server's back (only to simulate tampering).
fn sql(app: &TestApp, text: &str) {
    app.execute(text)
}

/// Lifts the append-only protection, as someone tampering with the database would.
fn lift_protection(app: &TestApp) {
    match app.backend {
        Backend::Sqlite => sql(
            app,
            "DROP TRIGGER ledger_no_update; DROP TRIGGER ledger_no_delete;",
        ),
        Backend::Postgres => sql(app, "ALTER TABLE ledger DISABLE TRIGGER USER;"),
    }
}

/// A campaign with some money movement: issues, redemptions, a void, a statement.
async fn activity(app: &TestApp) -> (String, String, String) {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap().to_string();
    let (_, m) = app.merchant(&off, Some(&cid), "food").await;
    let mut rids = Vec::new();
    for i in 0..4 {
        let o = app
            .offer(&off, &cid, json!({"face_value_avos": 1000 * (i + 1)}))
            .await;
        let (_, v) = app.visitor().await;
        let (s, k) = app
            .post(
                &format!("/offers/{}/claim", o["id"].as_str().unwrap()),
                Some(&v),
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{k}");
        let (s, r) = app
            .redeem(&m, k["code"].as_str().unwrap(), 50000, &key())
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        rids.push(r["redemption"]["id"].as_str().unwrap().to_string());
    }
    let (s, _) = app
        .post(
            &format!("/redemptions/{}/void", rids[0]),
            Some(&m),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, st) = app
        .post(
            &format!("/campaigns/{cid}/settlements"),
            Some(&off),
            json!({"from": "2000-01-01", "to": "2100-01-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{st}");
    (off, cid, m)
}

both!(ledger_chain_finds_a_changed_row, |app| {
    let (off, cid, _) = activity(&app).await;
    let (s, v) = app.get("/ledger/verify", Some(&off)).await;
    assert_eq!(s, StatusCode::OK);
    // 4 issues, 4 redemptions, 1 void, 1 statement.
    assert_eq!(v, json!({"rows": 10, "ok": true}));
    let (code, out) = cli_verify(&app);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("10 rows"), "{out}");
    // The database itself refuses to change the ledger.
    for attempt in [
        "UPDATE ledger SET amount_avos = 1 WHERE id = 5",
        "DELETE FROM ledger WHERE id = 5",
    ] {
        let mut c = app.conn();
        let r = match &mut *c {
            bairro::db::DbConn::Sqlite(c) => c.batch_execute(attempt),
            bairro::db::DbConn::Pg(c) => c.batch_execute(attempt),
        };
        assert!(r.is_err(), "{attempt} was allowed");
    }
    if app.backend == Backend::Postgres {
        let mut c = app.conn();
        let bairro::db::DbConn::Pg(c) = &mut *c else {
            unreachable!()
        };
        assert!(
            c.batch_execute("TRUNCATE ledger").is_err(),
            "TRUNCATE was allowed"
        );
    }
    // Someone with database access lifts the protection and changes one amount.
    lift_protection(&app);
    sql(
        &app,
        "UPDATE ledger SET amount_avos = amount_avos + 100 WHERE id = 6",
    );
    let (code, out) = cli_verify(&app);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("row 6"), "{out}");
    let (s, v) = app.get("/ledger/verify", Some(&off)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["ok"], false);
    assert_eq!(v["first_bad_row"], 6);
    // Recomputing that row's own hash does not help: the next row still names the old one.
    let (mut e,): (bairro::db::models::LedgerEntry,) = {
        use bairro::db::schema::ledger;
        use diesel::prelude::*;
        (ledger::table
            .find(6i64)
            .select(bairro::db::models::LedgerEntry::as_select())
            .first(&mut *app.conn())
            .unwrap(),)
    };
    let prev = e.prev_hash.take().unwrap();
    let forged = bairro::db::ledger::row_hash(&e, &prev);
    sql(
        &app,
        &format!("UPDATE ledger SET hash = '{forged}' WHERE id = 6"),
    );
    let (_, v) = app.get("/ledger/verify", Some(&off)).await;
    assert_eq!(v["ok"], false);
    assert_eq!(v["first_bad_row"], 7, "{v}");
    // Only officials read it.
    let (s, _) = app.get("/ledger/verify", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let _ = cid;
});

both!(ledger_chain_finds_a_removed_row, |app| {
    let (off, _, _) = activity(&app).await;
    lift_protection(&app);
    sql(&app, "DELETE FROM ledger WHERE id = 4");
    let (code, out) = cli_verify(&app);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("row 4"), "{out}");
    let (_, v) = app.get("/ledger/verify", Some(&off)).await;
    assert_eq!(
        (v["ok"].clone(), v["first_bad_row"].clone()),
        (json!(false), json!(4)),
        "{v}"
    );
    // The last row removed is found too (the chain's head remembers it).
    let (_, app2_off, app2) = {
        let app2 = TestApp::spawn(app.backend).await.unwrap();
        let (off2, _, _) = activity(&app2).await;
        ((), off2, app2)
    };
    lift_protection(&app2);
    sql(&app2, "DELETE FROM ledger WHERE id = 10");
    let (_, v) = app2.get("/ledger/verify", Some(&app2_off)).await;
    assert_eq!(
        (v["ok"].clone(), v["first_bad_row"].clone()),
        (json!(false), json!(10)),
        "{v}"
    );
    let (code, out) = cli_verify(&app2);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("row 10"), "{out}");
});

both!(ledger_appends_never_fork_under_concurrency, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let offers: Vec<String> = join_all((0..4).map(|_| app.offer(&off, cid, json!({"stock": 100}))))
        .await
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    let visitors = join_all((0..12).map(|_| app.visitor())).await;
    let paths: Vec<(String, String)> = visitors
        .iter()
        .flat_map(|(_, v)| {
            offers
                .iter()
                .map(move |o| (format!("/offers/{o}/claim"), v.clone()))
        })
        .collect();
    let app = &app;
    let claims = join_all(
        paths
            .iter()
            .map(|(p, v)| async move { app.post(p, Some(v), json!({})).await }),
    )
    .await;
    assert!(claims.iter().all(|(s, _)| *s == StatusCode::CREATED));
    let (_, v) = app.get("/ledger/verify", Some(&off)).await;
    assert_eq!(v, json!({"rows": 48, "ok": true}));
    assert_eq!(app.count("ledger", "1 = 1"), 48);
});

/// Redeems `n` e-cash coupons of `face` at a merchant; returns the redemption ids.
async fn redeem_many(
    app: &TestApp,
    off: &str,
    cid: &str,
    merchant: &str,
    n: usize,
    face: i64,
) -> Vec<String> {
    let o = app
        .offer(off, cid, json!({"face_value_avos": face, "stock": 1000}))
        .await;
    let mut out = Vec::new();
    for _ in 0..n {
        let (_, v) = app.visitor().await;
        let (s, k) = app
            .post(
                &format!("/offers/{}/claim", o["id"].as_str().unwrap()),
                Some(&v),
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{k}");
        let (s, r) = app
            .redeem(merchant, k["code"].as_str().unwrap(), 100000, &key())
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        out.push(r["redemption"]["id"].as_str().unwrap().to_string());
    }
    out
}

both!(settlement_runs_are_exact_under_concurrency, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap().to_string();
    let mut merchants = Vec::new();
    for (i, cat) in ["food", "retail", "services"].iter().enumerate() {
        let (mid, m) = app.merchant(&off, Some(&cid), cat).await;
        let rids = redeem_many(&app, &off, &cid, &m, 4, 1000 * (i as i64 + 1)).await;
        merchants.push((mid, m, rids));
    }
    // Ten runs at once, while each merchant undoes two of its redemptions.
    type Outcome = (StatusCode, Value, Option<String>);
    let mut all: Vec<BoxFuture<'_, Outcome>> = Vec::new();
    let app = &app;
    let void_list: Vec<(String, String)> = merchants
        .iter()
        .flat_map(|(_, m, rids)| rids[..2].iter().map(move |r| (m.clone(), r.clone())))
        .collect();
    for i in 0..10 {
        let (cid, off) = (cid.clone(), off.clone());
        all.push(Box::pin(async move {
            let (s, b) = app
                .post(
                    &format!("/campaigns/{cid}/settlements"),
                    Some(&off),
                    json!({"from": "2000-01-01", "to": "2100-01-01"}),
                )
                .await;
            (s, b, None)
        }));
        if let Some((m, r)) = void_list.get(i).cloned() {
            all.push(Box::pin(async move {
                let (s, b) = app
                    .post(&format!("/redemptions/{r}/void"), Some(&m), json!({}))
                    .await;
                (s, b, Some(r))
            }));
        }
    }
    let results = join_all(all).await;
    let mut voided = std::collections::HashSet::new();
    let mut statements: Vec<Value> = Vec::new();
    for (s, b, rid) in results {
        match rid {
            Some(r) => match s {
                StatusCode::OK => {
                    voided.insert(r);
                }
                StatusCode::CONFLICT => assert_eq!(code(&b), "void_window_passed", "{b}"),
                other => panic!("void answered {other}: {b}"),
            },
            None => {
                assert_eq!(s, StatusCode::CREATED, "{b}");
                statements.extend(b.as_array().unwrap().iter().cloned());
            }
        }
    }
    // One statement per merchant, none empty, and each matches its merchant's live redemptions.
    let (_, listed) = app
        .get(&format!("/settlements?campaign={cid}"), Some(&off))
        .await;
    let listed = listed.as_array().unwrap().clone();
    assert_eq!(listed.len(), 3, "{listed:#?}");
    assert_eq!(
        statements.len(),
        3,
        "the runs together made three statements"
    );
    for (i, (mid, _, rids)) in merchants.iter().enumerate() {
        let mine: Vec<&Value> = listed.iter().filter(|s| s["merchant_id"] == *mid).collect();
        assert_eq!(mine.len(), 1, "one statement for merchant {i}");
        let s = mine[0];
        let live: Vec<&String> = rids.iter().filter(|r| !voided.contains(*r)).collect();
        let face = 1000 * (i as i64 + 1);
        assert_eq!(s["redemptions"], live.len() as i64, "{s}");
        assert_eq!(s["amount_avos"], face * live.len() as i64, "{s}");
        assert!(s["amount_avos"].as_i64().unwrap() > 0);
        let (_, full) = app
            .get(
                &format!("/settlements/{}", s["id"].as_str().unwrap()),
                Some(&off),
            )
            .await;
        let lines: Vec<&str> = full["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["redemption_id"].as_str().unwrap())
            .collect();
        let mut want: Vec<&str> = live.iter().map(|s| s.as_str()).collect();
        let mut got = lines.clone();
        want.sort();
        got.sort();
        assert_eq!(got, want, "exactly the merchant's live redemptions");
    }
    assert_eq!(
        app.count("settlements", "amount_avos = 0 OR redemptions_count = 0"),
        0
    );
    assert_eq!(
        app.count(
            "redemptions",
            "status = 'void' AND settlement_id IS NOT NULL"
        ),
        0
    );
    // Once settled, a redemption can no longer be undone.
    let on_statement = merchants[0]
        .2
        .iter()
        .find(|r| !voided.contains(*r))
        .unwrap();
    let (s, b) = app
        .post(
            &format!("/redemptions/{on_statement}/void"),
            Some(&merchants[0].1),
            json!({}),
        )
        .await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "void_window_passed"));
    // Another run finds nothing to settle: no empty statement.
    let (s, b) = app
        .post(
            &format!("/campaigns/{cid}/settlements"),
            Some(&off),
            json!({"from": "2000-01-01", "to": "2100-01-01"}),
        )
        .await;
    assert_eq!((s, b), (StatusCode::CREATED, json!([])));
    let (_, r) = app
        .get(&format!("/campaigns/{cid}/reconciliation"), Some(&off))
        .await;
    assert_eq!(r["balanced"], true, "{r:#}");
});

both!(
    reconciliation_balances_and_shows_a_planted_difference,
    |app| {
        let (off, cid, _) = activity(&app).await;
        let (s, r) = app
            .get(&format!("/campaigns/{cid}/reconciliation"), Some(&off))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(r["balanced"], true, "{r:#}");
        assert_eq!(r["differences"], json!([]));
        // Four e-cash coupons of 10, 20, 30, 40 MOP; the first redemption undone, so that coupon
        // is back in the wallet; the other three on one statement.
        assert_eq!(
            r["ecash"]["ledger"],
            json!({"committed": 10000, "redeemed": 9000, "settled": 9000, "paid": 0, "outstanding": 1000})
        );
        assert_eq!(r["ecash"]["ledger"], r["ecash"]["tables"]);
        let offers = r["offers"].as_array().unwrap();
        assert_eq!(offers.len(), 4);
        assert_eq!(
            (
                offers[0]["issued"].clone(),
                offers[0]["redeemed"].clone(),
                offers[0]["outstanding"].clone()
            ),
            (json!(1), json!(0), json!(1))
        );
        assert!(offers.iter().all(|o| o["balanced"] == true));
        // Someone changes a redemption's e-cash in the table, by one avo.
        let rid: String = {
            use bairro::db::schema::redemptions;
            use diesel::prelude::*;
            redemptions::table
                .filter(redemptions::campaign_id.eq(&cid))
                .filter(redemptions::status.eq("done"))
                .select(redemptions::id)
                .first(&mut *app.conn())
                .unwrap()
        };
        sql(
            &app,
            &format!("UPDATE redemptions SET ecash_avos = ecash_avos + 1 WHERE id = '{rid}'"),
        );
        let (_, r) = app
            .get(&format!("/campaigns/{cid}/reconciliation"), Some(&off))
            .await;
        assert_eq!(r["balanced"], false);
        let d = r["differences"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["figure"] == "redeemed" && d["scope"] == "ecash")
            .unwrap_or_else(|| panic!("no redeemed difference: {r:#}"));
        assert_eq!(
            d["tables"].as_i64().unwrap() - d["ledger"].as_i64().unwrap(),
            1
        );
        let row = d["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == rid.as_str())
            .unwrap_or_else(|| panic!("the row behind it: {d:#}"));
        assert_eq!(row["field"], "ecash_avos");
        assert!(!row["ledger_rows"].as_array().unwrap().is_empty());
        let (s, csv, _) = app
            .raw(
                Method::GET,
                &format!("/api/v1/campaigns/{cid}/reconciliation.csv"),
                Some(&off),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(csv.contains(&rid), "{csv}");
        assert!(csv.contains("ecash_avos,,,redeemed"), "{csv}");
        // Officials only.
        let (_, m) = app.merchant(&off, None, "food").await;
        let (s, _) = app
            .get(&format!("/campaigns/{cid}/reconciliation"), Some(&m))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
);

both!(demo_reconciles_to_the_avo, |app| {
    let app = TestApp::spawn_with(app.backend, |s| s.demo = true)
        .await
        .unwrap();
    let off = app.login("official", "official-demo").await;
    let (_, v) = app.get("/ledger/verify", Some(&off)).await;
    assert_eq!(v["ok"], true, "{v}");
    assert!(v["rows"].as_i64().unwrap() > 1000, "{v}");
    let (code, out) = cli_verify(&app);
    assert_eq!(code, 0, "{out}");
    let (_, cs) = app.get("/campaigns", Some(&off)).await;
    let cs = cs.as_array().unwrap().clone();
    assert_eq!(cs.len(), 3);
    for c in &cs {
        let (s, r) = app
            .get(
                &format!("/campaigns/{}/reconciliation", c["id"].as_str().unwrap()),
                Some(&off),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(r["balanced"], true, "{}: {:#}", c["slug"], r["differences"]);
        assert!(r["ecash"]["redeemed"].as_i64().unwrap() > 0);
        for o in r["offers"].as_array().unwrap() {
            assert_eq!(
                o["issued"].as_i64().unwrap(),
                ["redeemed", "expired", "void", "outstanding"]
                    .iter()
                    .map(|k| o[k].as_i64().unwrap())
                    .sum::<i64>()
            );
        }
    }
    // A statement's amount changed in the table shows up, with that statement.
    let cid = cs[0]["id"].as_str().unwrap();
    let sid: String = {
        use bairro::db::schema::settlements;
        use diesel::prelude::*;
        settlements::table
            .filter(settlements::campaign_id.eq(cid))
            .select(settlements::id)
            .first(&mut *app.conn())
            .unwrap()
    };
    sql(
        &app,
        &format!("UPDATE settlements SET amount_avos = amount_avos - 1 WHERE id = '{sid}'"),
    );
    let (_, r) = app
        .get(&format!("/campaigns/{cid}/reconciliation"), Some(&off))
        .await;
    assert_eq!(r["balanced"], false);
    let figures: Vec<&str> = r["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["figure"].as_str().unwrap())
        .collect();
    assert!(figures.contains(&"settled"), "{figures:?}");
    let text = r["differences"].to_string();
    assert!(text.contains(&sid), "{text}");
});

both!(payout_batches_pay_verified_accounts_and_add_up, |app| {
    let off = app.official().await;
    let second = app.second_official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap().to_string();
    let (m1_id, m1) = app.merchant(&off, Some(&cid), "food").await;
    let (m2_id, m2) = app.merchant(&off, Some(&cid), "retail").await;
    redeem_many(&app, &off, &cid, &m1, 3, 1234).await;
    redeem_many(&app, &off, &cid, &m2, 2, 5005).await;
    let (_, st) = app
        .post(
            &format!("/campaigns/{cid}/settlements"),
            Some(&off),
            json!({"from": "2000-01-01", "to": "2100-01-01"}),
        )
        .await;
    let ids: Vec<String> = st
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 2);
    // Draft statements cannot be paid out.
    let (s, b) = app
        .post("/payouts", Some(&off), json!({"statement_ids": ids}))
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::CONFLICT, "invalid_state"),
        "{b}"
    );
    for id in &ids {
        let (s, _) = app
            .post(
                &format!("/settlements/{id}/approve"),
                Some(&second),
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
    }
    // Nobody has bank details yet.
    let (s, b) = app.get("/merchant/bank-account", Some(&m1)).await;
    assert_eq!((s, b), (StatusCode::OK, Value::Null));
    let (s, b) = app
        .post("/payouts", Some(&off), json!({"statement_ids": ids}))
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::CONFLICT, "bank_account_not_verified"),
        "{b}"
    );
    // Owners enter them; bad input is refused.
    let (s, b) = app
        .call(
            Method::PUT,
            "/merchant/bank-account",
            Some(&m1),
            Some(json!({"account_name": "=HYPERLINK(1)", "bank": "", "account_number": "12"})),
        )
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    );
    for (m, name, number) in [
        (&m1, "Casa de Chá Lou, Lda", "9001-234-567890"),
        (&m2, "澳門雜貨店", "12 3456 7890"),
    ] {
        let (s, b) = app
            .call(
                Method::PUT,
                "/merchant/bank-account",
                Some(m),
                Some(json!({"account_name": name, "bank": "Banco Nacional Ultramarino", "account_number": number})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["verified"], false);
    }
    // Entered but not verified is not enough.
    let (s, b) = app
        .post("/payouts", Some(&off), json!({"statement_ids": ids}))
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::CONFLICT, "bank_account_not_verified")
    );
    for mid in [&m1_id, &m2_id] {
        let (s, b) = app
            .post(
                &format!("/merchants/{mid}/bank-account/verify"),
                Some(&off),
                json!({}),
            )
            .await;
        assert_eq!(
            (s, b["verified"].clone()),
            (StatusCode::OK, json!(true)),
            "{b}"
        );
    }
    // A change un-verifies, and is in the audit log with before and after.
    let (_, b) = app
        .call(
            Method::PUT,
            "/merchant/bank-account",
            Some(&m2),
            Some(json!({"account_name": "澳門雜貨店", "bank": "Banco Nacional Ultramarino", "account_number": "12-3456-7899"})),
        )
        .await;
    assert_eq!(b["verified"], false);
    let (s, b) = app
        .post("/payouts", Some(&off), json!({"statement_ids": ids}))
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::CONFLICT, "bank_account_not_verified")
    );
    assert!(b["statement_id"].as_str().is_some());
    let (_, audit) = app
        .get(
            &format!("/audit?entity=bank_account&entity_id={m2_id}"),
            Some(&off),
        )
        .await;
    let audit_text = audit.to_string();
    assert!(
        audit_text.contains("1234567890") && audit_text.contains("12-3456-7899"),
        "{audit_text}"
    );
    let (s, _) = app
        .post(
            &format!("/merchants/{m2_id}/bank-account/verify"),
            Some(&off),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, accounts) = app.get("/bank-accounts", Some(&off)).await;
    assert!(accounts
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["merchant_id"] == m1_id.as_str() || a["merchant_id"] == m2_id.as_str())
        .all(|a| a["account"]["verified"] == true));

    // The batch, its file, and the transfer confirmed.
    let (s, batch) = app
        .post("/payouts", Some(&off), json!({"statement_ids": ids}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{batch}");
    assert_eq!(batch["total_avos"], 3 * 1234 + 2 * 5005);
    assert_eq!(batch["status"], "open");
    let pid = batch["id"].as_str().unwrap();
    let (s, b) = app
        .post("/payouts", Some(&off), json!({"statement_ids": [ids[0]]}))
        .await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "already_in_batch"));
    let (s, b) = app
        .post(
            &format!("/settlements/{}/pay", ids[0]),
            Some(&off),
            json!({}),
        )
        .await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "in_payout_batch"));
    let (s, csv, h) = app
        .raw(
            Method::GET,
            &format!("/api/v1/payouts/{pid}.csv"),
            Some(&off),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        ["payee", "bank", "account", "amount", "reference"]
    );
    let mut total = 0i64;
    let mut payees = Vec::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        let (mop, avos) = rec[3].split_once('.').unwrap();
        total += mop.parse::<i64>().unwrap() * 100 + avos.parse::<i64>().unwrap();
        payees.push((rec[0].to_string(), rec[2].to_string()));
        assert!(rec[4].starts_with("BAIRRO"), "{csv}");
    }
    assert_eq!(total, batch["total_avos"].as_i64().unwrap(), "{csv}");
    assert_eq!(
        h["x-payout-total-avos"],
        batch["total_avos"].to_string().as_str()
    );
    payees.sort();
    assert_eq!(
        payees,
        [
            (
                "Casa de Chá Lou, Lda".to_string(),
                "9001-234-567890".to_string()
            ),
            ("澳門雜貨店".to_string(), "12-3456-7899".to_string())
        ]
    );
    // Not paid until an official confirms the transfer.
    for id in &ids {
        let (_, s) = app.get(&format!("/settlements/{id}"), Some(&off)).await;
        assert_eq!(s["status"], "approved");
    }
    let (s, b) = app
        .post(&format!("/payouts/{pid}/confirm"), Some(&off), json!({}))
        .await;
    assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, "four_eyes_required"));
    let (s, b) = app
        .post(
            &format!("/payouts/{pid}/confirm"),
            Some(&second),
            json!({"bank_reference": "BNU-TRF-0001"}),
        )
        .await;
    assert_eq!(
        (s, b["status"].clone()),
        (StatusCode::OK, json!("paid")),
        "{b}"
    );
    let (s, b) = app
        .post(&format!("/payouts/{pid}/confirm"), Some(&second), json!({}))
        .await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "invalid_state"));
    for id in &ids {
        let (_, s) = app.get(&format!("/settlements/{id}"), Some(&off)).await;
        assert_eq!(s["status"], "paid");
    }
    let (_, m1s) = app.get("/merchant/settlements", Some(&m1)).await;
    assert_eq!(m1s[0]["status"], "paid");
    let (_, list) = app.get("/payouts", Some(&off)).await;
    assert_eq!(list[0]["status"], "paid");
    let (_, r) = app
        .get(&format!("/campaigns/{cid}/reconciliation"), Some(&off))
        .await;
    assert_eq!(r["balanced"], true, "{r:#}");
    assert_eq!(r["ecash"]["paid"], batch["total_avos"]);
    let (_, v) = app.get("/ledger/verify", Some(&off)).await;
    assert_eq!(v["ok"], true);
    // Cashiers and other merchants see nothing of this.
    let (s, _) = app.get(&format!("/payouts/{pid}"), Some(&m1)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
});

/// A database from before the chain: its ledger rows get their place in it when migrated.
fn legacy_rows_are_chained(backend: Backend) {
    use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
    const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
    const PG: EmbeddedMigrations = embed_migrations!("migrations/postgres");
    let Some((url, _guard)) = database(backend) else {
        return;
    };
    let (pool, _) = bairro::db::connect(&url, Some(1)).unwrap();
    let mut conn = pool.get().unwrap();
    // Only the first migration, as an older version left the database.
    match &mut *conn {
        bairro::db::DbConn::Sqlite(c) => {
            c.run_next_migration(SQLITE).unwrap();
        }
        bairro::db::DbConn::Pg(c) => {
            c.run_next_migration(PG).unwrap();
        }
    }
    let rows = "INSERT INTO ledger (campaign_id, kind, offer_id, coupon_id, amount_avos, created_at) VALUES \
        ('c1', 'issue', 'o1', 'k1', 5000, '2022-09-01 10:00:00.123456'), \
        ('c1', 'issue', 'o1', 'k2', 5000, '2022-09-01 10:05:00'), \
        ('c1', 'redeem', 'o1', 'k1', 5000, '2022-09-02 12:00:00');";
    match &mut *conn {
        bairro::db::DbConn::Sqlite(c) => c.batch_execute(rows).unwrap(),
        bairro::db::DbConn::Pg(c) => c.batch_execute(rows).unwrap(),
    }
    bairro::db::migrate(&mut conn).unwrap();
    let v = bairro::db::ledger::verify(&mut conn).unwrap();
    assert!(v.ok, "{v:?}");
    assert_eq!(v.rows, 3);
    // New rows chain after them, and the seal cannot be redone.
    bairro::db::ledger::append(
        &mut conn,
        &"c1".into(),
        "expire",
        bairro::db::ledger::Refs {
            offer: Some(&"o1".into()),
            coupon: Some(&"k2".into()),
            ..Default::default()
        },
        5000,
        chrono::Utc::now().naive_utc(),
    )
    .unwrap();
    let v = bairro::db::ledger::verify(&mut conn).unwrap();
    assert_eq!((v.ok, v.rows), (true, 4), "{v:?}");
    let again = "UPDATE ledger SET hash = 'x' WHERE id = 1";
    let r = match &mut *conn {
        bairro::db::DbConn::Sqlite(c) => c.batch_execute(again),
        bairro::db::DbConn::Pg(c) => c.batch_execute(again),
    };
    assert!(r.is_err(), "a sealed row was changed");
}

#[test]
fn legacy_ledger_rows_are_chained_on_sqlite() {
    legacy_rows_are_chained(Backend::Sqlite);
}

#[test]
fn legacy_ledger_rows_are_chained_on_postgres() {
    legacy_rows_are_chained(Backend::Postgres);
}

// An answer that says a coupon was issued or redeemed finds its ledger row already in the
// chain, with many at once (on PostgreSQL the rows are sealed after the commit, and the
// request answers only then), and nothing is left waiting.
both!(every_answer_finds_its_rows_in_the_chain, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap().to_string();
    let (_, m) = app.merchant(&off, Some(&cid), "food").await;
    let o = app.offer(&off, &cid, json!({"stock": 100})).await;
    let claim = format!("/offers/{}/claim", o["id"].as_str().unwrap());
    let visitors = join_all((0..24).map(|_| app.visitor())).await;
    let app = &app;
    let coupons = join_all(visitors.iter().map(|(_, v)| {
        let claim = claim.clone();
        async move { app.post(&claim, Some(v), json!({})).await }
    }))
    .await;
    for (s, k) in &coupons {
        assert_eq!(*s, StatusCode::CREATED, "{k}");
    }
    assert_eq!(app.count("ledger", "kind = 'issue'"), 24);
    assert_eq!(app.count("ledger_pending", "1 = 1"), 0);
    let redeemed = join_all(coupons.iter().map(|(_, k)| {
        let m = m.clone();
        async move {
            app.redeem(&m, k["code"].as_str().unwrap(), 50000, &key())
                .await
        }
    }))
    .await;
    for (s, r) in &redeemed {
        assert_eq!(*s, StatusCode::CREATED, "{r}");
        let rid = r["redemption"]["id"].as_str().unwrap();
        assert_eq!(
            app.count(
                "ledger",
                &format!("kind = 'redeem' AND redemption_id = '{rid}'")
            ),
            1
        );
    }
    assert_eq!(app.count("ledger_pending", "1 = 1"), 0);
    let (_, v) = app.get("/ledger/verify", Some(&off)).await;
    assert_eq!(v, json!({"rows": 48, "ok": true}));
});

/// Rows a process committed and did not live to seal (PostgreSQL) are sealed without any
/// request asking, by a running server's regular run.
#[actix_web::test]
async fn rows_left_waiting_are_sealed_by_a_running_server_on_postgres() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    let (off, cid, _) = activity(&app).await;
    sql(&app, &left_waiting(&cid));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while app.count("ledger_pending", "1 = 1") > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "waiting rows not sealed"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(app.count("ledger", "kind = 'pay'"), 2);
    let (_, v) = app.get("/ledger/verify", Some(&off)).await;
    assert_eq!(v, json!({"rows": 12, "ok": true}));
}

/// Two ledger rows as a process leaves them when it stops between its commit and the seal.
fn left_waiting(campaign: &str) -> String {
    format!(
        "INSERT INTO ledger_pending (campaign_id, kind, amount_avos, created_at) VALUES \
         ('{campaign}', 'pay', 0, '2022-09-01 10:00:00'), \
         ('{campaign}', 'pay', 0, '2022-09-01 10:00:01')"
    )
}

/// With no server running, the next start (its migration step) seals what was left waiting.
#[test]
fn rows_left_waiting_are_sealed_at_the_next_start_on_postgres() {
    let Some((url, _guard)) = database(Backend::Postgres) else {
        return;
    };
    let (pool, _) = bairro::db::connect(&url, Some(1)).unwrap();
    let mut conn = pool.get().unwrap();
    bairro::db::migrate(&mut conn).unwrap();
    let bairro::db::DbConn::Pg(c) = &mut *conn else {
        unreachable!()
    };
    c.batch_execute(&left_waiting("c1")).unwrap();
    bairro::db::migrate(&mut conn).unwrap();
    let v = bairro::db::ledger::head(&mut conn).unwrap();
    assert_eq!((v.last_id, v.rows_count), (2, 2));
    let v = bairro::db::ledger::verify(&mut conn).unwrap();
    assert_eq!((v.ok, v.rows), (true, 2), "{v:?}");
}
