//! Bulk operations: the merchant import (all or nothing, every bad row listed), bulk enrolment
//! decisions, bulk approval and payment of statements.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both;
use crate::support::*;

const HEADER: &str =
    "username,password,name_zh_hant,name_zh_hans,name_pt,name_en,category,address,lat,lng,m_mark";

fn row(i: usize) -> String {
    let cats = ["food", "retail", "services", "culture", "lodging", "other"];
    format!(
        "shop-{i:03},import-password-{i},店舖{i},店铺{i},Loja {i},\"Shop {i}, Taipa\",{},\"Rua do Cunha {i}, Taipa\",{:.4},{:.4},{}",
        cats[i % cats.len()],
        22.15 + (i as f64) / 10_000.0,
        113.55 + (i as f64) / 10_000.0,
        if i.is_multiple_of(3) { "true" } else { "no" }
    )
}

async fn import(app: &TestApp, off: &str, csv: String, dry_run: bool) -> (StatusCode, Value) {
    let r = app
        .client
        .post(format!(
            "{}/api/v1/merchants/import?dry_run={dry_run}",
            app.base
        ))
        .bearer_auth(off)
        .header("Content-Type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap())
}

both!(importing_126_merchants, |app| {
    let off = app.official().await;
    let before = app.count("merchants", "1 = 1");
    let csv = std::iter::once(HEADER.to_string())
        .chain((1..=126).map(row))
        .collect::<Vec<_>>()
        .join("\r\n");
    let (s, b) = import(&app, &off, csv.clone(), true).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        (b["would_create"].clone(), b["created"].clone()),
        (json!(126), json!(0))
    );
    assert_eq!(
        app.count("merchants", "1 = 1"),
        before,
        "a dry run creates nothing"
    );
    let (s, b) = import(&app, &off, csv.clone(), false).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["created"], 126);
    assert_eq!(b["errors"], json!([]));
    assert_eq!(app.count("merchants", "1 = 1"), before + 126);
    assert_eq!(
        app.count("audit_log", "action = 'import' AND entity = 'merchant'"),
        126
    );
    let shop = app.login("shop-042", "import-password-42").await;
    let (s, me) = app.get("/merchant/me", Some(&shop)).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    // The same file again: every username is taken now, nothing is created.
    let (s, b) = import(&app, &off, csv, false).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "import_invalid")
    );
    assert_eq!(b["errors"].as_array().unwrap().len(), 126);
    assert_eq!(app.count("merchants", "1 = 1"), before + 126);
});

both!(one_bad_row_creates_nothing, |app| {
    let off = app.official().await;
    let before = app.count("merchants", "1 = 1");
    let mut lines: Vec<String> = std::iter::once(HEADER.to_string())
        .chain((1..=10).map(row))
        .collect();
    lines[5] = lines[5].replace(",22.1505,", ",222.5,");
    let (s, b) = import(&app, &off, lines.join("\n"), false).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "import_invalid"),
        "{b}"
    );
    assert_eq!(
        b["errors"],
        json!([{"row": 6, "field": "lat", "message": "a latitude between −90 and 90"}])
    );
    assert_eq!(app.count("merchants", "1 = 1"), before, "nothing created");
    // Every kind of problem, each listed with its row.
    let mut lines: Vec<String> = std::iter::once(HEADER.to_string())
        .chain((1..=6).map(row))
        .collect();
    lines[2] = lines[2].replace("shop-002", "shop-001"); // duplicate username
    lines[3] = lines[3].replace(",culture,", ",spaceships,"); // unknown category
    lines[4] = lines[4].replace("import-password-4", "short"); // weak password
    lines[5] = lines[5].replace(",113.5505,", ",999,"); // bad longitude
    let (s, b) = import(&app, &off, lines.join("\n"), true).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "import_invalid"),
        "{b}"
    );
    let got: Vec<(i64, String)> = b["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap(),
                e["field"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (3, "username".to_string()),
            (4, "category".to_string()),
            (5, "password".to_string()),
            (6, "lng".to_string())
        ],
        "{b}"
    );
    assert_eq!(app.count("merchants", "1 = 1"), before);
    // A missing column is named.
    let (s, b) = import(&app, &off, "username,password\nx,y".into(), false).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "import_invalid")
    );
    assert!(b["errors"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["field"] == "category"));
});

both!(bulk_enrolments_and_statements, |app| {
    let off = app.official().await;
    let off2 = app.second_official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap().to_string();
    let mut ids = Vec::new();
    let mut shops = Vec::new();
    for cat in ["food", "retail", "services"] {
        let (_, m) = app.merchant(&off, None, cat).await;
        let (s, e) = app
            .post(&format!("/campaigns/{cid}/enrolments"), Some(&m), json!({}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{e}");
        ids.push(e["id"].as_str().unwrap().to_string());
        shops.push(m);
    }
    let bogus = uuid::Uuid::new_v4().to_string();
    let (s, b) = app
        .post(
            "/enrolments/decide",
            Some(&off),
            json!({"ids": [ids[0], ids[1], bogus], "decision": "approve"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b[0], json!({"id": ids[0], "status": "approved"}));
    assert_eq!(b[1]["status"], "approved");
    assert_eq!(
        (b[2]["id"].as_str(), code(&b[2])),
        (Some(bogus.as_str()), "not_found")
    );
    let (s, b) = app
        .post("/enrolments/decide", Some(&off),
            json!({"ids": [ids[2], ids[0]], "decision": "reject", "reason": "outside the district"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b[0]["status"], "rejected");
    assert_eq!(code(&b[1]), "invalid_state");
    let (s, b) = app
        .post(
            "/enrolments/decide",
            Some(&off),
            json!({"ids": [], "decision": "maybe"}),
        )
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    );
    // Two approved shops redeem; their statements are approved and paid in bulk.
    let offer = app.offer(&off, &cid, json!({"per_visitor_limit": 2})).await;
    let oid = offer["id"].as_str().unwrap();
    for m in &shops[..2] {
        let (_, v) = app.visitor().await;
        let (_, k) = app
            .post(&format!("/offers/{oid}/claim"), Some(&v), json!({}))
            .await;
        let (s, r) = app
            .redeem(m, k["code"].as_str().unwrap(), 10000, &key())
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
    }
    let today = bairro::domain::time::macau_day(bairro::domain::time::now()).to_string();
    let (s, st) = app
        .post(
            &format!("/campaigns/{cid}/settlements"),
            Some(&off),
            json!({"from": today, "to": today}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{st}");
    let sids: Vec<String> = st
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(sids.len(), 2);
    // Four eyes per statement: whoever issued them cannot approve them.
    let (s, b) = app
        .post("/settlements/approve", Some(&off), json!({"ids": sids}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert!(
        b.as_array()
            .unwrap()
            .iter()
            .all(|r| r["code"].is_string() && r["status"].is_null()),
        "{b}"
    );
    let (s, b) = app
        .post("/settlements/approve", Some(&off2), json!({"ids": sids}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert!(
        b.as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "approved"),
        "{b}"
    );
    let (s, b) = app
        .post(
            "/settlements/pay",
            Some(&off2),
            json!({"ids": [sids[0], sids[1], "nope"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b[0]["status"], "paid");
    assert_eq!(b[1]["status"], "paid");
    assert_eq!(code(&b[2]), "not_found");
    assert_eq!(
        app.count("audit_log", "entity = 'settlement' AND action = 'pay'"),
        2
    );
});
