//! Display devices: each has its own secret, computes its point's codes offline, and once
//! revoked its codes are refused — even ones computed offline after the revocation.

use reqwest::StatusCode;
use serde_json::json;

use crate::both;
use crate::support::*;

both!(revoked_display_codes_are_refused, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let p = app
        .point(
            &off,
            c["id"].as_str().unwrap(),
            json!({"rotating": true, "rotate_seconds": 30}),
        )
        .await;
    let pid = p["id"].as_str().unwrap().to_string();
    let mut displays = Vec::new();
    for _ in 0..2 {
        let (s, b) = app
            .post(&format!("/points/{pid}/devices"), Some(&off), json!({}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let (s, d) = app
            .post(
                "/devices/activate",
                None,
                json!({"setup_code": b["setup_code"]}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
        displays.push(d);
    }
    assert_ne!(
        displays[0]["secret"], displays[1]["secret"],
        "each display has its own secret"
    );
    // What the display page computes offline from its secret.
    let offline = |d: &serde_json::Value| {
        let secret = data_encoding::BASE32_NOPAD
            .decode(d["secret"].as_str().unwrap().as_bytes())
            .unwrap();
        let counter = chrono::Utc::now().timestamp() / 30;
        bairro::domain::payload::device_code_with_secret(
            d["kid"].as_str().unwrap(),
            &secret,
            d["pid"].as_str().unwrap(),
            d["did"].as_str().unwrap(),
            counter,
        )
    };
    let (_, v1) = app.visitor().await;
    let (s, b) = app.check_in(&v1, &offline(&displays[0]), json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    // The code the display fetches online is its own too.
    let (s, online) = app
        .get(
            &format!("/points/{pid}/code"),
            displays[0]["device_token"].as_str(),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{online}");
    assert!(
        online["payload"].as_str().unwrap().starts_with("B1:D:"),
        "{online}"
    );
    let (s, list) = app.get(&format!("/points/{pid}/devices"), Some(&off)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert!(list.as_array().unwrap().iter().all(|d| d["active"] == true));
    // Revoke the first display: its codes stop, the other's keep working.
    let did = displays[0]["device_id"].as_str().unwrap();
    let (s, b) = app
        .post(&format!("/devices/{did}/revoke"), Some(&off), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, v2) = app.visitor().await;
    let (s, b) = app.check_in(&v2, &offline(&displays[0]), json!({})).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_payload"),
        "{b}"
    );
    let (s, _) = app
        .get(
            &format!("/points/{pid}/code"),
            displays[0]["device_token"].as_str(),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, b) = app.check_in(&v2, &offline(&displays[1]), json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (_, list) = app.get(&format!("/points/{pid}/devices"), Some(&off)).await;
    let revoked = list
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == did)
        .unwrap();
    assert_eq!(revoked["active"], false);
    assert!(revoked["revoked_at"].is_string());
    // A display's code is only good at its own point.
    let other = app
        .point(&off, c["id"].as_str().unwrap(), json!({"rotating": true}))
        .await;
    let mut d = displays[1].clone();
    d["pid"] = json!(bairro::domain::payload::id_b32(
        uuid::Uuid::parse_str(other["id"].as_str().unwrap()).unwrap()
    ));
    let (_, v3) = app.visitor().await;
    let (s, b) = app.check_in(&v3, &offline(&d), json!({})).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_payload"),
        "{b}"
    );
});
