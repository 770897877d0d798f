//! The pledge report in the bureau's own form, cell by cell against a hand-written table: a
//! missed target with its footnote mark, a year without applications, a year whose
//! applications are all still pending, targets as written, the closing summary and the
//! footnote paragraph.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::both;
use crate::support::*;

/// The first Monday of June of a year, 10:00 Macau, in UTC.
fn june_monday(year: i32) -> chrono::NaiveDateTime {
    let mut d = NaiveDate::from_ymd_opt(year, 6, 1).unwrap();
    while d.weekday() != Weekday::Mon {
        d += Duration::days(1);
    }
    d.and_hms_opt(2, 0, 0).unwrap()
}

both!(pledge_report_matches_the_bureau_table, |app| {
    use bairro::db::schema::enrolments;
    use diesel::prelude::*;
    let off = app.official().await;
    let second = app.second_official().await;
    let this_year = bairro::db::pledges::current_year();
    let last_year = this_year - 1;

    // A statement approved and paid today (this year: 100%). Its merchant's enrolment is
    // moved out of both years so it does not count.
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let (mid, m) = app.merchant(&off, Some(cid), "food").await;
    let o = app.offer(&off, cid, json!({})).await;
    let (_, v) = app.visitor().await;
    let (_, k) = app
        .post(
            &format!("/offers/{}/claim", o["id"].as_str().unwrap()),
            Some(&v),
            json!({}),
        )
        .await;
    let (s, _) = app
        .redeem(&m, k["code"].as_str().unwrap(), 10000, &key())
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, st) = app
        .post(
            &format!("/campaigns/{cid}/settlements"),
            Some(&off),
            json!({"from": "2000-01-01", "to": "2100-01-01"}),
        )
        .await;
    let sid = st[0]["id"].as_str().unwrap();
    app.post(
        &format!("/settlements/{sid}/approve"),
        Some(&second),
        json!({}),
    )
    .await;
    let (s, _) = app
        .post(&format!("/settlements/{sid}/pay"), Some(&off), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let old = june_monday(this_year - 3);
    diesel::update(enrolments::table.filter(enrolments::merchant_id.eq(&mid)))
        .set((
            enrolments::submitted_at.eq(old),
            enrolments::decided_at.eq(Some(old)),
        ))
        .execute(&mut *app.conn())
        .unwrap();

    // Last year: three applications, one decided late (2 of 3 = 66.67%, target 90%).
    // This year: two applications, submitted today, not decided yet.
    let mut ids = Vec::new();
    for _ in 0..5 {
        let (_, m) = app.merchant(&off, None, "retail").await;
        let (s, e) = app
            .post(&format!("/campaigns/{cid}/enrolments"), Some(&m), json!({}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{e}");
        ids.push(e["id"].as_str().unwrap().to_string());
    }
    let submitted = june_monday(last_year);
    for (id, days) in ids[..3].iter().zip([0, 1, 40]) {
        diesel::update(enrolments::table.find(id))
            .set((
                enrolments::status.eq("approved"),
                enrolments::submitted_at.eq(submitted),
                enrolments::decided_at.eq(Some(submitted + Duration::days(days))),
            ))
            .execute(&mut *app.conn())
            .unwrap();
    }
    let (s, _) = app
        .call(
            Method::PUT,
            &format!("/pledges/enrolment_decision/footnotes/{last_year}"),
            Some(&off),
            Some(json!({"text": "系統升級期間審批延誤"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    let (s, csv, _) = app
        .raw(
            Method::GET,
            &format!("/api/v1/pledges.csv?years={last_year},{this_year}"),
            Some(&off),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let got: Vec<Vec<String>> = r
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect();
    let ly = last_year.to_string();
    let ty = this_year.to_string();
    let want: Vec<Vec<String>> = vec![
        vec![
            "序".into(),
            "服務項目".into(),
            "服務質量指標".into(),
            format!("{ly} 年 預設達標率"),
            format!("{ly} 年 實際達標率"),
            format!("{ty} 年 預設達標率"),
            format!("{ty} 年 實際達標率"),
        ],
        vec![
            "1".into(),
            "商戶參與活動申請".into(),
            "自收到完整申請起計5個工作日內完成審批".into(),
            "90%".into(),
            "66.67% ¹".into(),
            "90%".into(),
            "2 宗申請處理中".into(),
        ],
        vec![
            "2".into(),
            "電子現金券款項結算".into(),
            "結算單審批後10個工作日內向商戶付款".into(),
            "92%".into(),
            "沒有申請".into(),
            "92%".into(),
            "100%".into(),
        ],
        vec![format!(
            "本年度共有 2 項服務項目，合共 2 項服務質量指標已推出服務承諾。其中 1 項服務項目共 1 項服務質量指標達到目標比率。當中 1 項服務質量指標的達標比率為 100%；0 項服務質量指標於 {ty} 年沒有接收任何申請。另有 1 項服務質量指標於 {ty} 年收到的申請仍在處理中。"
        )],
        vec![format!(
            "1 商戶參與活動申請於 {ly} 年未能達標的原因：系統升級期間審批延誤。"
        )],
    ];
    assert_eq!(got.len(), want.len(), "{csv}");
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "line {i} of\n{csv}");
    }

    // The JSON carries the same, and the summary's figures.
    let (_, j) = app
        .get(
            &format!("/pledges?years={last_year},{this_year}"),
            Some(&off),
        )
        .await;
    let cells = &j["rows"][0]["years"];
    assert_eq!(cells[0]["status"], "missed");
    assert_eq!(cells[0]["footnote_mark"], "¹");
    assert_eq!(cells[1]["status"], "pending");
    assert_eq!(j["rows"][1]["years"][0]["status"], "no_applications");
    assert_eq!(j["summary"]["indicators_met"], 1);
    assert_eq!(j["footnote_groups"][0]["marks"], json!([1]));
    // A year with neither: both indicators without applications.
    let (_, j) = app
        .get(&format!("/pledges?year={}", this_year - 2), Some(&off))
        .await;
    assert!(j["summary"]["text"]["zh-Hant"]
        .as_str()
        .unwrap()
        .contains("其中 2 項服務項目共 2 項服務質量指標達到目標比率。當中 0 項服務質量指標的達標比率為 100%；2 項服務質量指標於"));

    // The printable page: the bureau's title, marks as superscripts, summary and footnote.
    let (s, html, h) = app
        .raw(
            Method::GET,
            &format!("/api/v1/pledges/print?years={last_year},{this_year}"),
            Some(&off),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(
        html.contains(&format!("服務質量指標的履行情況 ({ly} 年至 {ty} 年度)")),
        "{html}"
    );
    assert!(html.contains("66.67%<sup>1</sup>"), "{html}");
    assert!(html.contains("2 宗申請處理中") && html.contains("本年度共有 2 項服務項目"));
    assert!(html.contains("系統升級期間審批延誤"));
});
