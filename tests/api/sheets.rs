//! CSV exports in their spreadsheet shape (`?shape=sheet`): one table, one header row, rates
//! in percent with one decimal, money in patacas, shops told apart, formulas neutralised; the
//! long shape stays the default.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::desk::{coupon, shop};
use crate::both;
use crate::support::*;

/// A CSV download as header and rows (byte-order mark dropped), checking it is CSV.
async fn table(app: &TestApp, path: &str, token: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let (s, body, headers) = app.raw(Method::GET, path, Some(token), None).await;
    assert_eq!(s, StatusCode::OK, "{path}: {body}");
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv"),
        "{path}"
    );
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(body.trim_start_matches('\u{feff}').as_bytes());
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// The row whose first cell is `first`.
fn row<'a>(rows: &'a [Vec<String>], first: &str) -> &'a Vec<String> {
    rows.iter()
        .find(|r| r[0] == first)
        .unwrap_or_else(|| panic!("no row {first:?} in {rows:?}"))
}

/// Every line has as many cells as the header (one table, nothing below it).
fn one_table(header: &[String], rows: &[Vec<String>]) {
    for r in rows {
        assert_eq!(r.len(), header.len(), "{header:?} / {r:?}");
    }
}

both!(every_export_has_a_spreadsheet_shape, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let p = app.point(&off, cid, json!({})).await;
    let o = app
        .offer(&off, cid, json!({"face_value_avos": 5000, "stock": 100}))
        .await;
    let oid = o["id"].as_str().unwrap();
    // Two shops of one name, told apart by number and address.
    let (a_id, a) = shop(&app, &off, cid, "利記咖啡", "Rua da Praia 1").await;
    let (b_id, b) = shop(&app, &off, cid, "利記咖啡", "Avenida Central 88").await;
    let (s, src) = app
        .post(
            &format!("/campaigns/{cid}/sources"),
            Some(&off),
            json!({"name": "=HYPERLINK(\"http://x\")", "platform": "instagram"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{src}");

    // A visitor from the source checks in and spends at shop A; two others claim, one spends at B.
    let (_, v) = app
        .post("/visitors", None, json!({"ref": src["code"]}))
        .await;
    let v = v["token"].as_str().unwrap().to_string();
    let (s, ci) = app
        .check_in(&v, p["payload"].as_str().unwrap(), json!({}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{ci}");
    let (s, cp) = app
        .post(&format!("/offers/{oid}/claim"), Some(&v), json!({}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{cp}");
    let (s, r) = app
        .redeem(&a, cp["code"].as_str().unwrap(), 12345, &key())
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let code_b = coupon(&app, oid).await;
    let (s, r) = app.redeem(&b, &code_b, 10000, &key()).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    coupon(&app, oid).await;
    let (s, _) = app
        .post(
            &format!("/campaigns/{cid}/survey"),
            Some(&a),
            json!({"came_because_of_campaign": true, "estimate_pct": 40, "comment": "+更多客人"}),
        )
        .await;
    assert!(s.is_success());
    let today = bairro::domain::time::macau_day(bairro::domain::time::now()).to_string();
    let (s, st) = app
        .post(
            &format!("/campaigns/{cid}/settlements"),
            Some(&off),
            json!({"from": today, "to": today}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{st}");
    let statement_a = st
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["merchant_id"] == a_id.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let no = |id: &str| bairro::domain::merchant_no::short_no(id);

    // The long shape stays the default.
    let (h, _) = table(&app, &format!("/campaigns/{cid}/stats.csv"), &off).await;
    assert_eq!(h, ["section", "key", "name", "metric", "value"]);

    // Statistics: a summary table, rates rounded, money in patacas.
    let base = format!("/campaigns/{cid}/stats.csv?shape=sheet");
    let (h, rows) = table(&app, &base, &off).await;
    assert_eq!(h, ["Figure", "Value"]);
    one_table(&h, &rows);
    assert_eq!(row(&rows, "Coupons issued")[1], "3");
    assert_eq!(row(&rows, "Redemption rate (%)")[1], "66.7");
    assert_eq!(row(&rows, "E-cash redeemed (MOP)")[1], "100.00");
    assert_eq!(row(&rows, "Spend (MOP)")[1], "223.45");
    assert_eq!(
        row(&rows, "Survey: came because of the campaign (%)")[1],
        "100.0"
    );
    let (h2, rows2) = table(&app, &format!("{base}&table=summary"), &off).await;
    assert_eq!((h2, rows2), (h, rows), "summary is the default table");

    let (h, rows) = table(&app, &format!("{base}&table=merchants"), &off).await;
    assert_eq!(
        h,
        [
            "Merchant",
            "Merchant no.",
            "Address",
            "Category",
            "Redemptions",
            "E-cash (MOP)",
            "Spend (MOP)"
        ]
    );
    one_table(&h, &rows);
    let shop_a = rows.iter().find(|r| r[1] == no(&a_id)).unwrap();
    let shop_b = rows.iter().find(|r| r[1] == no(&b_id)).unwrap();
    assert_eq!(shop_a[0], shop_b[0], "one name");
    assert_eq!(shop_a[2], "Rua da Praia 1");
    assert_eq!(shop_a[5..], ["50.00", "123.45"]);
    assert_eq!(shop_b[2], "Avenida Central 88");
    assert_eq!(shop_b[6], "100.00");

    let (h, rows) = table(&app, &format!("{base}&table=offers"), &off).await;
    one_table(&h, &rows);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][1..], ["100", "3", "2", "3.0", "66.7"]);

    let (h, rows) = table(&app, &format!("{base}&table=daily"), &off).await;
    assert_eq!(h[0], "Day");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][0], today);
    assert_eq!(rows[0][2..], ["1", "3", "2"]);

    let (h, rows) = table(&app, &format!("{base}&table=points"), &off).await;
    assert_eq!(h, ["Point", "Kind", "Check-ins", "Refused scans"]);
    assert_eq!(rows[0][1..], ["QR", "1", "0"]);

    // Promotion sources: the same table from the statistics and from the sources export; the
    // source's name is written so that a spreadsheet does not run it.
    let (h, rows) = table(&app, &format!("{base}&table=sources"), &off).await;
    one_table(&h, &rows);
    assert_eq!(h[0], "Source");
    assert_eq!(h.last().unwrap(), "Redemption rate (%)");
    let s0 = &rows[0];
    assert_eq!(s0[0], "'=HYPERLINK(\"http://x\")");
    assert_eq!(s0[5..], ["1", "1", "1", "100.0"]);
    assert_eq!(row(&rows, "(direct)")[7], "1");
    let same = table(
        &app,
        &format!("/campaigns/{cid}/sources.csv?shape=sheet"),
        &off,
    )
    .await;
    assert_eq!(same, (h, rows));
    let (h, _) = table(&app, &format!("/campaigns/{cid}/sources.csv"), &off).await;
    assert_eq!(h[0], "source", "long by default");

    // Open data: small counts read "<5", with a total line.
    let (h, rows) = table(
        &app,
        &format!("/campaigns/{cid}/export.csv?shape=sheet"),
        &off,
    )
    .await;
    assert_eq!(
        h,
        [
            "Day",
            "Page views",
            "Check-ins",
            "Coupons issued",
            "Coupons redeemed"
        ]
    );
    one_table(&h, &rows);
    assert_eq!(rows[0][0], today);
    assert_eq!(rows[0][2..], ["<5", "<5", "<5"]);
    assert_eq!(row(&rows, "Total")[2], "<5");

    // The statement: shop's name, number and address on every line, Macau time, a total.
    let (h, rows) = table(
        &app,
        &format!("/settlements/{statement_a}.csv?shape=sheet"),
        &off,
    )
    .await;
    assert_eq!(
        h,
        [
            "Merchant",
            "Merchant no.",
            "Address",
            "Redeemed at",
            "Coupon",
            "Spend (MOP)",
            "E-cash (MOP)"
        ]
    );
    one_table(&h, &rows);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0][..3], ["利記咖啡", &no(&a_id), "Rua da Praia 1"]);
    assert!(rows[0][3].starts_with(&today), "{rows:?}");
    assert_eq!(rows[0][3].len(), "2026-11-03 14:05".len());
    assert_eq!(rows[0][5..], ["123.45", "50.00"]);
    assert_eq!(rows[1][3..], ["Total", "1 redemptions", "123.45", "50.00"]);
    let (h, _) = table(&app, &format!("/settlements/{statement_a}.csv"), &off).await;
    assert_eq!(h[0], "statement_id");

    // Reconciliation: a line per figure, e-cash in patacas, balanced in words.
    let (h, rows) = table(
        &app,
        &format!("/campaigns/{cid}/reconciliation.csv?shape=sheet"),
        &off,
    )
    .await;
    assert_eq!(
        h,
        [
            "Item",
            "Figure",
            "Ledger",
            "Tables",
            "Difference",
            "Balanced"
        ]
    );
    one_table(&h, &rows);
    let redeemed = rows
        .iter()
        .find(|r| r[0] == "E-cash (MOP)" && r[1] == "Redeemed")
        .unwrap();
    assert_eq!(redeemed[2..], ["100.00", "100.00", "0.00", "yes"]);
    assert!(rows.iter().all(|r| r[5] == "yes"), "{rows:?}");

    // Survey answers: the shop told apart, the answer in words, the time in Macau time.
    let (h, rows) = table(
        &app,
        &format!("/campaigns/{cid}/survey/answers.csv?shape=sheet"),
        &off,
    )
    .await;
    one_table(&h, &rows);
    assert_eq!(h[..3], ["Merchant", "Merchant no.", "Address"]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][1], no(&a_id));
    assert_eq!(rows[0][4..7], ["yes", "40", "'+更多客人"]);
    assert!(rows[0][7].starts_with(&today));

    // The pledge report: the table alone, rates as numbers with one decimal.
    let (h, rows) = table(&app, "/pledges.csv?years=2022&shape=sheet", &off).await;
    assert_eq!(
        h,
        [
            "No.",
            "Service item",
            "Indicator",
            "2022 target (%)",
            "2022 actual (%)",
            "2022 applications"
        ]
    );
    one_table(&h, &rows);
    assert!(!rows.is_empty());
    for r in &rows {
        assert!(!r[1].is_empty(), "every line names its item: {r:?}");
        let (whole, frac) = r[3].split_once('.').expect("one decimal");
        assert!(whole.parse::<u32>().is_ok() && frac.len() == 1, "{r:?}");
    }

    // The merchant's own redemptions: Macau time, the offer, patacas, a total line.
    let (h, rows) = table(&app, "/merchant/redemptions.csv?shape=sheet", &a).await;
    assert_eq!(
        h,
        [
            "Redeemed at",
            "Coupon",
            "Offer",
            "Status",
            "Spend (MOP)",
            "Discount (MOP)",
            "E-cash (MOP)"
        ]
    );
    one_table(&h, &rows);
    assert_eq!(
        rows[0][2..],
        ["券（測試）", "Redeemed", "123.45", "50.00", "50.00"]
    );
    assert_eq!(row(&rows, "Total")[4..], ["123.45", "50.00", "50.00"]);

    // An unknown shape or table is refused as bad input.
    for q in ["shape=wide", "shape=sheet&table=everything"] {
        let (s, body, headers) = app
            .raw(
                Method::GET,
                &format!("/api/v1/campaigns/{cid}/stats.csv?{q}"),
                Some(&off),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{q}: {body}");
        assert!(headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/problem+json"));
        assert!(body.contains("validation_failed"), "{body}");
    }
});
