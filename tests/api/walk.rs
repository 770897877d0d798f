//! The visitor's walk: the web app's map settings, the participating shops a visitor can find,
//! and a spent coupon that says where, when and how much it saved.

use reqwest::StatusCode;
use serde_json::json;

use crate::both;
use crate::support::*;

both!(wallet_says_where_a_coupon_was_spent, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let (mid, till) = app.merchant(&off, Some(cid), "food").await;
    let offer = app
        .offer(&off, cid, json!({"kind": "discount", "face_value_avos": null, "percent_off": 10, "max_discount_avos": 3000}))
        .await;
    let (_, v) = app.visitor().await;
    let (s, cp) = app
        .post(
            &format!("/offers/{}/claim", offer["id"].as_str().unwrap()),
            Some(&v),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{cp}");
    let (_, before) = app.get("/me/coupons", Some(&v)).await;
    assert!(before[0].get("redemption").is_none());
    let (s, r) = app
        .redeem(&till, cp["code"].as_str().unwrap(), 12_000, &key())
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let (_, after) = app.get("/me/coupons", Some(&v)).await;
    let spent = &after[0]["redemption"];
    assert_eq!(after[0]["status"], "redeemed");
    assert_eq!(spent["merchant"]["id"], mid.as_str());
    assert_eq!(spent["merchant"]["name"]["en"], "商戶 (test)");
    assert_eq!(spent["merchant"]["address"], "Rua do Cunha 1");
    assert_eq!(spent["spend_avos"], 12_000);
    assert_eq!(spent["saved_avos"], 1_200);
    assert!(spent["redeemed_at"].is_string());
    // The shops a visitor sees with the campaign: where they are and what they sell.
    let (_, public) = app.get(&format!("/campaigns/{cid}"), Some(&v)).await;
    let shop = &public["merchants"][0];
    for k in ["id", "name", "category", "address", "lat", "lng", "m_mark"] {
        assert!(!shop[k].is_null(), "{k}");
    }
    assert!(shop.get("username").is_none());
});

#[actix_web::test]
async fn client_config_names_the_tile_source() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (s, b) = app.get("/client-config", None).await;
    assert_eq!(s, StatusCode::OK);
    let tiles = b["map"]["tiles"].as_str().unwrap();
    assert!(
        tiles.contains("{z}") && tiles.contains("{x}") && tiles.contains("{y}"),
        "{tiles}"
    );
}
