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

both!(covers_and_shop_photos_are_resized_and_cached, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let (mid, till) = app.merchant(&off, Some(cid), "food").await;
    let png = {
        let img = image::RgbImage::from_fn(1600, 1600, |x, y| {
            image::Rgb([(x / 7) as u8, (y / 7) as u8, 120])
        });
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    };
    let data_url = format!(
        "data:image/png;base64,{}",
        data_encoding::BASE64.encode(&png)
    );
    // Only officials upload; junk is refused with the field named.
    let put = |path: String, token: String, image: String| {
        let app = &app;
        async move {
            app.raw(
                reqwest::Method::PUT,
                &path,
                Some(&token),
                Some(json!({ "image": image })),
            )
            .await
        }
    };
    let (s, _, _) = put(
        format!("/campaigns/{cid}/cover"),
        till.clone(),
        data_url.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, b, _) = put(
        format!("/campaigns/{cid}/cover"),
        off.clone(),
        "bm90IGFuIGltYWdl".into(),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let (s, b, _) = put(
        format!("/campaigns/{cid}/cover"),
        off.clone(),
        data_url.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b, _) = put(
        format!("/merchants/{mid}/photo"),
        off.clone(),
        data_url.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");

    // The answers carry the URLs; anyone fetches them, as cached JPEGs of the right size.
    let (_, v) = app.visitor().await;
    let (_, list) = app.get("/campaigns", Some(&v)).await;
    let cover_url = list
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == cid)
        .unwrap()["cover_url"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, full) = app.get(&format!("/campaigns/{cid}"), Some(&v)).await;
    assert_eq!(full["cover_url"], cover_url.as_str());
    let photo_url = full["merchants"][0]["photo_url"]
        .as_str()
        .unwrap()
        .to_string();
    for (url, size) in [(cover_url, (1200, 675)), (photo_url, (480, 360))] {
        let r = reqwest::get(format!("{}{url}", app.base)).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["content-type"], "image/jpeg");
        assert!(r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age"));
        let etag = r.headers()["etag"].to_str().unwrap().to_string();
        let bytes = r.bytes().await.unwrap();
        let img = image::load_from_memory(&bytes).unwrap();
        assert_eq!((img.width(), img.height()), size);
        let again = reqwest::Client::new()
            .get(format!("{}{url}", app.base))
            .header("if-none-match", etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    }
    let (s, _) = app
        .get(
            "/merchants/00000000-0000-0000-0000-000000000000/photo",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
});
