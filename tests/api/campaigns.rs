//! Setting up a campaign: campaigns, points and their signed codes, merchants, enrolment,
//! offers and the audit log.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::both;
use crate::support::*;

fn decode_png(png: &[u8]) -> String {
    let img = image::load_from_memory(png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().unwrap().1
}

both!(campaign_lifecycle, |app| {
    let off = app.official().await;
    let c = app.draft_campaign(&off).await;
    let id = c["id"].as_str().unwrap();
    assert_eq!(c["status"], "draft");
    // Drafts are for officials only.
    let (s, list) = app.get("/campaigns", None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(list.as_array().unwrap().iter().all(|x| x["id"] != id));
    let (s, _) = app.get(&format!("/campaigns/{id}"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list) = app.get("/campaigns", Some(&off)).await;
    assert!(list.as_array().unwrap().iter().any(|x| x["id"] == id));
    // Edit while draft.
    let (s, b) = app
        .call(
            Method::PATCH,
            &format!("/campaigns/{id}"),
            Some(&off),
            Some(json!({"district": "Coloane"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["district"], "Coloane");
    let (s, b) = app
        .post(&format!("/campaigns/{id}/publish"), Some(&off), json!({}))
        .await;
    assert_eq!(
        (s, b["status"].as_str()),
        (StatusCode::OK, Some("published"))
    );
    let (s, b) = app
        .call(
            Method::PATCH,
            &format!("/campaigns/{id}"),
            Some(&off),
            Some(json!({"district": "X"})),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::CONFLICT, Some("not_draft"))
    );
    // Public by id and by slug.
    let (s, b) = app
        .get(&format!("/campaigns/{}", c["slug"].as_str().unwrap()), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["id"], id);
    // The slug is unique.
    let (s, b) = app
        .post(
            "/campaigns",
            Some(&off),
            json!({"slug": c["slug"], "name": names("x"), "district": "d",
        "starts_at": "2030-01-01T00:00:00+08:00", "ends_at": "2030-02-01T00:00:00+08:00"}),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_failed"))
    );
    let (s, b) = app
        .post(&format!("/campaigns/{id}/end"), Some(&off), json!({}))
        .await;
    assert_eq!((s, b["status"].as_str()), (StatusCode::OK, Some("ended")));
    let (s, b) = app
        .post(&format!("/campaigns/{id}/publish"), Some(&off), json!({}))
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::CONFLICT, Some("invalid_state"))
    );
    // Every change is in the audit log.
    let (s, log) = app
        .get(
            &format!("/audit?entity=campaign&entity_id={id}"),
            Some(&off),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["ended", "published", "edit", "create"]);
    let edit = &log.as_array().unwrap()[2];
    assert_eq!(edit["before"]["district"], "Taipa");
    assert_eq!(edit["after"]["district"], "Coloane");
});

both!(static_point_qr_decodes_to_its_payload, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let p = app.point(&off, c["id"].as_str().unwrap(), json!({})).await;
    let payload = p["payload"].as_str().unwrap();
    assert!(
        payload.starts_with("B1:P:") && payload.len() < 64,
        "{payload}"
    );
    let r = app
        .client
        .get(format!(
            "{}/api/v1/points/{}/qr.png",
            app.base,
            p["id"].as_str().unwrap()
        ))
        .bearer_auth(&off)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(decode_png(&r.bytes().await.unwrap()), payload);
    let (s, svg, _) = app
        .raw(
            Method::GET,
            &format!("/api/v1/points/{}/qr.svg", p["id"].as_str().unwrap()),
            Some(&off),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(svg.contains("<svg"));
    let (s, poster, _) = app
        .raw(
            Method::GET,
            &format!("/api/v1/points/{}/poster", p["id"].as_str().unwrap()),
            Some(&off),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        poster.contains("打卡點（測試）")
            && poster.contains("打卡點 (teste)")
            && poster.contains("打卡點 (test)")
    );
    // Only officials print codes.
    let (_, v) = app.visitor().await;
    let (s, _, _) = app
        .raw(
            Method::GET,
            &format!("/api/v1/points/{}/qr.png", p["id"].as_str().unwrap()),
            Some(&v),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
});

both!(rotating_point_devices, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let p = app
        .point(
            &off,
            c["id"].as_str().unwrap(),
            json!({"rotating": true, "rotate_seconds": 30}),
        )
        .await;
    let pid = p["id"].as_str().unwrap();
    assert!(
        p.get("payload").is_none(),
        "a rotating point has no printable payload"
    );
    let (s, code) = app.get(&format!("/points/{pid}/code"), Some(&off)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(code["payload"].as_str().unwrap().starts_with("B1:R:"));
    assert!(code["valid_until"].is_string());
    // Provision a display: one-time setup code → device credential.
    let (s, setup) = app
        .post(&format!("/points/{pid}/devices"), Some(&off), json!({}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, dev) = app
        .post(
            "/devices/activate",
            None,
            json!({"setup_code": setup["setup_code"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{dev}");
    let device = dev["device_token"].as_str().unwrap();
    let (s, again) = app
        .post(
            "/devices/activate",
            None,
            json!({"setup_code": setup["setup_code"]}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "a setup code works once: {again}"
    );
    let (s, code2) = app.get(&format!("/points/{pid}/code"), Some(device)).await;
    assert_eq!(s, StatusCode::OK);
    // The device can compute the same code offline from its own secret (`B1:D:` codes name the
    // device, so revoking it stops them).
    let secret = data_encoding::BASE32_NOPAD
        .decode(dev["secret"].as_str().unwrap().as_bytes())
        .unwrap();
    let counter: i64 = code2["payload"]
        .as_str()
        .unwrap()
        .split(':')
        .nth(5)
        .unwrap()
        .parse()
        .unwrap();
    let offline = bairro::domain::payload::device_code_with_secret(
        dev["kid"].as_str().unwrap(),
        &secret,
        dev["pid"].as_str().unwrap(),
        dev["did"].as_str().unwrap(),
        counter,
    );
    assert_eq!(offline, code2["payload"].as_str().unwrap());
    // A device cannot read another point, a device token is not an official, and revoking works.
    let other = app
        .point(&off, c["id"].as_str().unwrap(), json!({"rotating": true}))
        .await;
    let (s, _) = app
        .get(
            &format!("/points/{}/code", other["id"].as_str().unwrap()),
            Some(device),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.post("/campaigns", Some(device), json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .post(
            &format!("/devices/{}/revoke", dev["device_id"].as_str().unwrap()),
            Some(&off),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.get(&format!("/points/{pid}/code"), Some(device)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
});

both!(merchants_enrol_and_officials_decide, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let (mid, m) = app.merchant(&off, None, "food").await;
    let (s, e) = app
        .post(&format!("/campaigns/{cid}/enrolments"), Some(&m), json!({}))
        .await;
    assert_eq!(
        (s, e["status"].as_str()),
        (StatusCode::CREATED, Some("pending"))
    );
    assert!(e["submitted_at"].is_string());
    let (s, again) = app
        .post(&format!("/campaigns/{cid}/enrolments"), Some(&m), json!({}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{again}");
    let (_, pending) = app.get("/enrolments?status=pending", Some(&off)).await;
    assert!(pending
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["merchant_id"] == mid.as_str()));
    // Merchants cannot approve themselves.
    let (s, _) = app
        .post(
            &format!("/enrolments/{}/approve", e["id"].as_str().unwrap()),
            Some(&m),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, d) = app
        .post(
            &format!("/enrolments/{}/reject", e["id"].as_str().unwrap()),
            Some(&off),
            json!({"reason": "outside the district"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(d["status"], "rejected");
    assert_eq!(d["reason"], "outside the district");
    assert!(d["decided_at"].is_string());
    let (s, d) = app
        .post(
            &format!("/enrolments/{}/approve", e["id"].as_str().unwrap()),
            Some(&off),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, d["code"].as_str()),
        (StatusCode::CONFLICT, Some("invalid_state"))
    );
    // Merchant validation.
    let (s, b) = app
        .post(
            "/merchants",
            Some(&off),
            json!({"name": names("x"), "category": "weapons", "address": "", "lat": 99, "lng": 0,
        "m_mark": false, "username": "a", "password": "short"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = b["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        vec!["category", "address", "lat", "username", "password"]
    );
});

both!(offers_are_validated, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let (s, b) = app
        .post(
            &format!("/campaigns/{cid}/offers"),
            Some(&off),
            json!({"name": names("x"), "kind": "ecash", "stock": 0,
        "per_visitor_limit": 1, "valid_days": 30, "trigger": {"type": "checkins"}}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = b["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["face_value_avos", "stock", "trigger.count"]);
    let o = app.offer(&off, cid, json!({"kind": "discount", "percent_off": 15, "max_discount_avos": 3000, "eligible_categories": ["food"],
        "trigger": {"type": "checkins", "count": 3}})).await;
    assert_eq!(o["issued"], 0);
    assert_eq!(o["stock"], 100);
    assert_eq!(o["trigger"]["count"], 3);
    let (_, full) = app.get(&format!("/campaigns/{cid}"), None).await;
    assert_eq!(full["offers"].as_array().unwrap().len(), 1);
    assert!(full["points"].as_array().unwrap().is_empty());
});
