//! Authorisation everywhere: every endpoint of the OpenAPI document × every role (anonymous,
//! visitor, another visitor, merchant owner, another merchant, cashier, official, display
//! device). Who may gets 2xx, who may not gets 401/403/404, and no answer leaks another
//! visitor's or merchant's data. An endpoint without an entry here fails the test.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::*;

const ROLES: [&str; 8] = [
    "anonymous",
    "visitor",
    "other visitor",
    "merchant owner",
    "other merchant",
    "cashier",
    "official",
    "device",
];

/// What a bureau `viewer` may do with an operation (A = 2xx, F = 403, X = 403 or 404): it
/// reads whatever officials read and changes nothing; public operations stay public.
fn viewer_expects(method: &str, path: &str) -> char {
    let p = path.strip_prefix("/api/v1").unwrap_or(path);
    if (method, p) == ("post", "/me/password") {
        return 'A';
    }
    let row: Vec<char> = matrix(method, path)
        .expect("in the matrix")
        .chars()
        .collect();
    if row[0] == 'A' {
        'A'
    } else if row[6] == 'A' {
        if method == "get" {
            'A'
        } else {
            'F'
        }
    } else {
        'X'
    }
}

/// The body of `POST /me/password` for a role of `ROLES` (its current password, changed).
fn me_password_body(role: usize) -> Option<Value> {
    let current = match role {
        3 | 4 => "merchant-pw-123",
        5 => "matrix-password-1",
        6 => "admin-test-password",
        _ => "whatever-it-is-1",
    };
    Some(json!({"current_password": current, "new_password": format!("matrix-{role}-changed")}))
}

/// Expected outcome per role, in the order of `ROLES`: A = 2xx, U = 401, F = 403, N = 404,
/// X = 403 or 404.
fn matrix(method: &str, path: &str) -> Option<&'static str> {
    let p = path.strip_prefix("/api/v1").unwrap_or(path);
    Some(match (method, p) {
        ("post", "/auth/login") => "AAAAAAAA",
        ("post", "/visitors") => "AAAAAAAA",
        ("get", "/me/coupons") | ("get", "/me/checkins") => "UAAFFFFF",
        ("get", "/coupons/{id}/qr.svg") => "UANFFFFF",
        ("get", "/campaigns") | ("get", "/campaigns/{id}") => "AAAAAAAA",
        ("post", "/campaigns") | ("patch", "/campaigns/{id}") => "UFFFFFAF",
        ("post", "/campaigns/{id}/publish") | ("post", "/campaigns/{id}/end") => "UFFFFFAF",
        ("post", "/campaigns/{id}/offers") | ("post", "/campaigns/{id}/points") => "UFFFFFAF",
        ("post", "/campaigns/{id}/enrolments") => "UFFAAFFF",
        ("get", "/campaigns/{id}/enrolments") | ("get", "/enrolments") => "UFFFFFAF",
        ("post", "/enrolments/{id}/approve") | ("post", "/enrolments/{id}/reject") => "UFFFFFAF",
        ("get", "/points/{id}")
        | ("get", "/points/{id}/qr.svg")
        | ("get", "/points/{id}/qr.png")
        | ("get", "/points/{id}/poster") => "UFFFFFAF",
        ("get", "/points/{id}/code") => "UFFFFFAA",
        ("post", "/points/{id}/devices") | ("post", "/devices/{id}/revoke") => "UFFFFFAF",
        ("post", "/devices/activate") => "AAAAAAAA",
        ("get", "/client-config") => "AAAAAAAA",
        ("get", "/campaigns/{id}/cover") | ("get", "/merchants/{id}/photo") => "AAAAAAAA",
        ("put", "/campaigns/{id}/cover") | ("put", "/merchants/{id}/photo") => "UFFFFFAF",
        ("post", "/merchants") | ("get", "/merchants") => "UFFFFFAF",
        ("get", "/merchant/me") => "UFFAAAFF",
        ("get", "/merchant/users") | ("post", "/merchant/users") => "UFFAAFFF",
        ("post", "/merchant/users/{id}/disable") => "UFFANFFF",
        ("post", "/campaigns/{id}/survey") => "UFFAAFFF",
        ("post", "/checkins") | ("post", "/offers/{id}/claim") => "UAAFFFFF",
        ("post", "/redemptions") | ("post", "/redemptions/preview") => "UFFAAAFF",
        ("get", "/campaigns/{id}/export.json") | ("get", "/campaigns/{id}/export.csv") => {
            "AAAAAAAA"
        }
        ("post", "/redemptions/{id}/void") => "UFFAXAFF",
        ("get", "/merchant/redemptions") => "UFFAAAFF",
        ("get", "/merchant/redemptions.csv") => "UFFAAFFF",
        ("post", "/campaigns/{id}/settlements") | ("get", "/settlements") => "UFFFFFAF",
        ("get", "/merchant/settlements") => "UFFAAFFF",
        ("get", "/settlements/{id}")
        | ("get", "/settlements/{id}.csv")
        | ("get", "/settlements/{id}/print") => "UFFANNAF",
        ("post", "/settlements/{id}/approve") | ("post", "/settlements/{id}/pay") => "UFFFFFAF",
        ("post", "/pageviews") => "AAAAAAAA",
        ("get", "/stats/overview")
        | ("get", "/campaigns/{id}/stats")
        | ("get", "/campaigns/{id}/stats.csv")
        | ("get", "/audit") => "UFFFFFAF",
        ("get", "/campaigns/{id}/signals") => "UFFFFFAF",
        ("get", "/campaigns/{id}/stats/stream") => "UFFFFFAF",
        ("get", "/campaigns/{id}/survey/answers")
        | ("get", "/campaigns/{id}/survey/answers.csv")
        | ("get", "/campaigns/{id}/preflight") => "UFFFFFAF",
        ("post", "/campaigns/{id}/sources")
        | ("get", "/campaigns/{id}/sources")
        | ("get", "/campaigns/{id}/sources.csv") => "UFFFFFAF",
        ("get", "/openapi.json") => "AAAAAAAA",
        ("get", "/pledges")
        | ("get", "/pledges.csv")
        | ("put", "/pledges/{indicator}/footnotes/{year}") => "UFFFFFAF",
        ("get", "/holidays") | ("post", "/holidays") | ("delete", "/holidays/{day}") => "UFFFFFAF",
        ("get", "/staff")
        | ("post", "/staff")
        | ("post", "/staff/{id}/disable")
        | ("post", "/staff/{id}/enable")
        | ("post", "/staff/{id}/reset-password") => "UFFFFFAF",
        ("post", "/me/password") => "UFFAAAAF",
        ("get", "/pledges/print") => "UFFFFFAF",
        ("get", "/ledger/verify")
        | ("get", "/campaigns/{id}/reconciliation")
        | ("get", "/campaigns/{id}/reconciliation.csv") => "UFFFFFAF",
        ("get", "/merchant/bank-account") | ("put", "/merchant/bank-account") => "UFFAAFFF",
        ("get", "/bank-accounts") | ("post", "/merchants/{id}/bank-account/verify") => "UFFFFFAF",
        ("get", "/payouts")
        | ("post", "/payouts")
        | ("get", "/payouts/{id}")
        | ("get", "/payouts/{id}.csv")
        | ("post", "/payouts/{id}/confirm") => "UFFFFFAF",
        ("get", "/me/card")
        | ("get", "/me/card/qr.svg")
        | ("get", "/me/stamps")
        | ("get", "/me/draws")
        | ("post", "/offers/{id}/entries") => "UAAFFFFF",
        ("post", "/purchases")
        | ("post", "/purchases/preview")
        | ("get", "/merchant/purchases") => "UFFAAAFF",
        ("get", "/offers/{id}/draw") => "AAAAAAAA",
        ("get", "/visitors/verification")
        | ("post", "/visitors/verification")
        | ("post", "/visitors/verification/confirm") => "UAAFFFFF",
        // Running a live campaign (officials only).
        ("patch", "/offers/{id}")
        | ("post", "/offers/{id}/pause")
        | ("post", "/offers/{id}/resume")
        | ("patch", "/points/{id}")
        | ("post", "/points/{id}/retire")
        | ("get", "/points/{id}/devices")
        | ("patch", "/merchants/{id}")
        | ("post", "/merchants/{id}/suspend")
        | ("post", "/merchants/{id}/reinstate")
        | ("post", "/enrolments/{id}/withdraw")
        | ("post", "/coupons/{id}/void")
        | ("post", "/visitors/{id}/ban")
        | ("post", "/visitors/{id}/unban")
        | ("get", "/visitors/{id}") => "UFFFFFAF",
        ("post", "/merchants/import")
        | ("post", "/enrolments/decide")
        | ("post", "/settlements/approve")
        | ("post", "/settlements/pay") => "UFFFFFAF",
        _ => return None,
    })
}

struct Fx {
    off: String,
    campaign: String,
    point: String,
    rotating_point: String,
    tokens: [Option<String>; 8],
    owner: String,
    coupon_v: (String, String),
    checkin_v: String,
    redemption_a: String,
    statement_a: String,
    cashier_a: String,
    today: String,
    viewer: String,
}

async fn fresh_campaign(app: &TestApp, off: &str, publish: bool) -> String {
    let c = if publish {
        app.campaign(off).await
    } else {
        app.draft_campaign(off).await
    };
    c["id"].as_str().unwrap().to_string()
}

async fn fresh_offer(app: &TestApp, fx: &Fx) -> String {
    app.offer(&fx.off, &fx.campaign, json!({"stock": 10})).await["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn fresh_coupon(app: &TestApp, fx: &Fx) -> String {
    let o = fresh_offer(app, fx).await;
    let (s, b) = app
        .post(
            &format!("/offers/{o}/claim"),
            fx.tokens[1].as_deref(),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["code"].as_str().unwrap().to_string()
}

async fn fresh_device(app: &TestApp, fx: &Fx) -> (String, String) {
    let (s, b) = app
        .post(
            &format!("/points/{}/devices", fx.rotating_point),
            Some(&fx.off),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let code = b["setup_code"].as_str().unwrap().to_string();
    (code, String::new())
}

async fn activate(app: &TestApp, code: &str) -> Value {
    let (s, b) = app
        .post("/devices/activate", None, json!({"setup_code": code}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b
}

/// A 4×4 PNG, for the picture uploads.
const TINY_PNG: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAEElEQVR4nGM4EaABRwzEcQASUhQBFGG4BQAAAABJRU5ErkJggg==";

/// The fixture's campaign cover, or the owner's shop photo.
async fn picture_path(app: &TestApp, fx: &Fx, p: &str) -> String {
    if p.starts_with("/campaigns/") {
        return p.replace("{id}", &fx.campaign);
    }
    let (s, me) = app.get("/merchant/me", Some(&fx.owner)).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    let id = me["merchant"]["id"]
        .as_str()
        .expect("the owner's merchant id")
        .to_string();
    p.replace("{id}", &id)
}

fn rnd() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..10].to_string()
}

/// The concrete request for an operation, with fresh objects where calling it changes state.
async fn request(app: &TestApp, fx: &Fx, method: &str, tmpl: &str) -> (String, Option<Value>) {
    let p = tmpl.strip_prefix("/api/v1").unwrap();
    let now = chrono::Utc::now();
    let campaign_body = || {
        json!({"slug": format!("m-{}", rnd()), "name": names("矩陣"), "district": "Taipa",
        "starts_at": (now - chrono::Duration::days(1)).to_rfc3339(), "ends_at": (now + chrono::Duration::days(9)).to_rfc3339()})
    };
    let c = &fx.campaign;
    let (path, body): (String, Option<Value>) = match (method, p) {
        ("post", "/auth/login") => (
            p.into(),
            Some(json!({"username": "admin", "password": "admin-test-password"})),
        ),
        ("post", "/visitors") => (p.into(), Some(json!({}))),
        ("get", "/coupons/{id}/qr.svg") => (format!("/coupons/{}/qr.svg", fx.coupon_v.0), None),
        ("post", "/campaigns") => (p.into(), Some(campaign_body())),
        ("patch", "/campaigns/{id}") => (
            format!("/campaigns/{}", fresh_campaign(app, &fx.off, false).await),
            Some(campaign_body()),
        ),
        ("post", "/campaigns/{id}/publish") => (
            format!(
                "/campaigns/{}/publish",
                fresh_campaign(app, &fx.off, false).await
            ),
            Some(json!({})),
        ),
        ("post", "/campaigns/{id}/end") => (
            format!(
                "/campaigns/{}/end",
                fresh_campaign(app, &fx.off, true).await
            ),
            Some(json!({})),
        ),
        ("post", "/campaigns/{id}/sources") => (
            format!("/campaigns/{c}/sources"),
            Some(json!({"name": "Matrix KOL", "platform": "instagram"})),
        ),
        ("post", "/campaigns/{id}/offers") => (
            format!("/campaigns/{c}/offers"),
            Some(
                json!({"name": names("券"), "kind": "ecash", "face_value_avos": 100,
            "min_spend_avos": 0, "stock": 5, "per_visitor_limit": 1, "valid_days": 3, "trigger": {"type": "claim"}}),
            ),
        ),
        ("post", "/campaigns/{id}/points") => (
            format!("/campaigns/{c}/points"),
            Some(
                json!({"name": names("點"), "kind": "qr", "lat": HERE.0, "lng": HERE.1, "radius_m": 100}),
            ),
        ),
        ("post", "/campaigns/{id}/enrolments") => (
            format!(
                "/campaigns/{}/enrolments",
                fresh_campaign(app, &fx.off, true).await
            ),
            Some(json!({})),
        ),
        ("post", "/enrolments/{id}/approve") | ("post", "/enrolments/{id}/reject") => {
            let fresh = fresh_campaign(app, &fx.off, true).await;
            let (s, e) = app
                .post(
                    &format!("/campaigns/{fresh}/enrolments"),
                    Some(&fx.owner),
                    json!({}),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{e}");
            (
                p.replace("{id}", e["id"].as_str().unwrap()),
                Some(json!({"reason": "matrix"})),
            )
        }
        ("get", "/campaigns/{id}/enrolments")
        | ("get", "/campaigns/{id}/survey/answers")
        | ("get", "/campaigns/{id}/survey/answers.csv")
        | ("get", "/campaigns/{id}/preflight")
        | ("get", "/campaigns/{id}/sources")
        | ("get", "/campaigns/{id}/sources.csv")
        | ("get", "/campaigns/{id}/reconciliation")
        | ("get", "/campaigns/{id}/reconciliation.csv")
        | ("get", "/campaigns/{id}/stats")
        | ("get", "/campaigns/{id}/stats.csv")
        | ("get", "/campaigns/{id}/signals")
        | ("get", "/campaigns/{id}/export.json")
        | ("get", "/campaigns/{id}/export.csv") => (p.replace("{id}", c), None),
        ("post", "/redemptions/preview") => (
            p.into(),
            Some(json!({"coupon": fresh_coupon(app, fx).await, "spend_avos": 10000})),
        ),
        ("get", "/campaigns/{id}") => (p.replace("{id}", c), None),
        // One event, then the stream closes (an open stream would never end the call).
        ("get", "/campaigns/{id}/stats/stream") => {
            (format!("{}?once=true", p.replace("{id}", c)), None)
        }
        ("post", "/purchases") | ("post", "/purchases/preview") => {
            let (s, card) = app.get("/me/card", fx.tokens[1].as_deref()).await;
            assert_eq!(s, StatusCode::OK, "{card}");
            (
                p.into(),
                Some(
                    json!({"visitor": card["payload"], "spend_avos": 5000, "idempotency_key": key()}),
                ),
            )
        }
        ("post", "/offers/{id}/entries") | ("get", "/offers/{id}/draw") => {
            let now = chrono::Utc::now();
            let o = app
                .offer(
                    &fx.off,
                    c,
                    json!({"stock": 3, "trigger": {"type": "draw",
                        "entries_close_at": (now + chrono::Duration::hours(1)).to_rfc3339(),
                        "draw_at": (now + chrono::Duration::hours(2)).to_rfc3339()}}),
                )
                .await;
            (
                p.replace("{id}", o["id"].as_str().unwrap()),
                (method == "post").then(|| json!({})),
            )
        }
        ("patch", "/offers/{id}") => (
            p.replace("{id}", &fresh_offer(app, fx).await),
            Some(json!({"stock": 20})),
        ),
        ("post", "/offers/{id}/pause") | ("post", "/offers/{id}/resume") => (
            p.replace("{id}", &fresh_offer(app, fx).await),
            Some(json!({})),
        ),
        ("patch", "/points/{id}") | ("post", "/points/{id}/retire") => {
            let pt = app.point(&fx.off, c, json!({})).await;
            (
                p.replace("{id}", pt["id"].as_str().unwrap()),
                Some(json!({"radius_m": 120})),
            )
        }
        ("patch", "/merchants/{id}")
        | ("post", "/merchants/{id}/suspend")
        | ("post", "/merchants/{id}/reinstate") => {
            let (mid, _) = app.merchant(&fx.off, None, "retail").await;
            (
                p.replace("{id}", &mid),
                Some(json!({"reason": "matrix", "address": "Rua 2"})),
            )
        }
        ("post", "/enrolments/{id}/withdraw") => {
            let fresh = fresh_campaign(app, &fx.off, true).await;
            let (s, e) = app
                .post(
                    &format!("/campaigns/{fresh}/enrolments"),
                    Some(&fx.owner),
                    json!({}),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{e}");
            (
                p.replace("{id}", e["id"].as_str().unwrap()),
                Some(json!({"reason": "matrix"})),
            )
        }
        ("post", "/coupons/{id}/void") => {
            let o = fresh_offer(app, fx).await;
            let (_, v) = app.visitor().await;
            let (s, k) = app
                .post(&format!("/offers/{o}/claim"), Some(&v), json!({}))
                .await;
            assert_eq!(s, StatusCode::CREATED, "{k}");
            (
                p.replace("{id}", k["id"].as_str().unwrap()),
                Some(json!({"reason": "matrix"})),
            )
        }
        ("post", "/visitors/{id}/ban")
        | ("post", "/visitors/{id}/unban")
        | ("get", "/visitors/{id}") => {
            let (vid, _) = app.visitor().await;
            (
                p.replace("{id}", &vid),
                (method == "post").then(|| json!({"reason": "matrix"})),
            )
        }
        ("post", "/merchants/import") => (format!("{p}?dry_run=true"), None),
        ("post", "/enrolments/decide") => {
            (p.into(), Some(json!({"ids": [], "decision": "approve"})))
        }
        ("post", "/settlements/approve") | ("post", "/settlements/pay") => {
            (p.into(), Some(json!({"ids": []})))
        }
        ("get", "/points/{id}/code") => (p.replace("{id}", &fx.rotating_point), None),
        ("get", _) if p.starts_with("/points/{id}") => (p.replace("{id}", &fx.point), None),
        ("post", "/points/{id}/devices") => (p.replace("{id}", &fx.point), Some(json!({}))),
        ("post", "/devices/activate") => (
            p.into(),
            Some(json!({"setup_code": fresh_device(app, fx).await.0})),
        ),
        ("post", "/devices/{id}/revoke") => {
            let d = activate(app, &fresh_device(app, fx).await.0).await;
            (
                p.replace("{id}", d["device_id"].as_str().unwrap()),
                Some(json!({})),
            )
        }
        ("post", "/merchants") => (
            p.into(),
            Some(
                json!({"name": names("店"), "category": "retail", "address": "Rua 1", "lat": HERE.0, "lng": HERE.1,
            "m_mark": false, "username": format!("mx-{}", rnd()), "password": "matrix-password-1"}),
            ),
        ),
        ("post", "/merchant/users") => (
            p.into(),
            Some(json!({"username": format!("cx-{}", rnd()), "password": "matrix-password-1"})),
        ),
        ("post", "/merchant/users/{id}/disable") => {
            let (s, u) = app
                .post(
                    "/merchant/users",
                    Some(&fx.owner),
                    json!({"username": format!("cd-{}", rnd()), "password": "matrix-password-1"}),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{u}");
            (
                p.replace("{id}", u["id"].as_str().unwrap()),
                Some(json!({})),
            )
        }
        ("post", "/campaigns/{id}/survey") => (
            p.replace("{id}", c),
            Some(json!({"came_because_of_campaign": true, "estimate_pct": 40})),
        ),
        ("post", "/checkins") => {
            let pt = app.point(&fx.off, c, json!({})).await;
            (
                p.into(),
                Some(
                    json!({"payload": pt["payload"], "method": "qr", "lat": HERE.0, "lng": HERE.1}),
                ),
            )
        }
        ("post", "/offers/{id}/claim") => (
            p.replace("{id}", &fresh_offer(app, fx).await),
            Some(json!({})),
        ),
        ("post", "/redemptions") => (
            p.into(),
            Some(
                json!({"coupon": fresh_coupon(app, fx).await, "spend_avos": 10000, "idempotency_key": key()}),
            ),
        ),
        ("post", "/redemptions/{id}/void") => {
            let code = fresh_coupon(app, fx).await;
            let (s, r) = app.redeem(&fx.owner, &code, 10000, &key()).await;
            assert_eq!(s, StatusCode::CREATED, "{r}");
            (
                p.replace("{id}", r["redemption"]["id"].as_str().unwrap()),
                Some(json!({})),
            )
        }
        ("post", "/campaigns/{id}/settlements") => (
            p.replace("{id}", c),
            Some(json!({"from": fx.today, "to": fx.today})),
        ),
        (_, _) if p.starts_with("/settlements/{id}") => (
            p.replace("{id}", &fx.statement_a),
            (method == "post").then(|| json!({})),
        ),
        ("post", "/pageviews") => (p.into(), Some(json!({"campaign": c, "path": "/matrix"}))),
        ("post", "/visitors/verification") => (
            p.into(),
            Some(json!({"channel": "sms", "address": fresh_phone()})),
        ),
        ("post", "/visitors/verification/confirm") => (
            p.into(),
            Some(json!({"address": "+85360000000", "code": "000000"})),
        ),
        ("put", "/pledges/{indicator}/footnotes/{year}") => (
            "/pledges/enrolment_decision/footnotes/2024".into(),
            Some(json!({"text": "matrix"})),
        ),
        ("post", "/holidays") => (
            p.into(),
            Some(
                json!({"day": format!("2040-{:02}-{:02}", 1 + rand_u(12), 1 + rand_u(28)), "name": "Matrix day"}),
            ),
        ),
        ("delete", "/holidays/{day}") => {
            let day = format!("2041-{:02}-{:02}", 1 + rand_u(12), 1 + rand_u(28));
            let (s, b) = app
                .post(
                    "/holidays",
                    Some(&fx.off),
                    json!({"day": day, "name": "Matrix day"}),
                )
                .await;
            assert!(s.is_success(), "{b}");
            (format!("/holidays/{day}"), None)
        }
        ("post", "/staff") => (
            p.into(),
            Some(
                json!({"username": format!("sx-{}", rnd()), "password": "matrix-password-1", "role": "viewer"}),
            ),
        ),
        ("post", _) if p.starts_with("/staff/{id}/") => {
            let (s, u) = app
                .post(
                    "/staff",
                    Some(&fx.off),
                    json!({"username": format!("sd-{}", rnd()), "password": "matrix-password-1", "role": "viewer"}),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{u}");
            (
                p.replace("{id}", u["id"].as_str().unwrap()),
                Some(json!({})),
            )
        }
        ("put", "/merchant/bank-account") => (
            p.into(),
            Some(
                json!({"account_name": "Matrix Lda", "bank": "Banco Matrix", "account_number": "1234-5678-90"}),
            ),
        ),
        ("post", "/merchants/{id}/bank-account/verify") => (
            p.replace("{id}", &owner_with_account(app, fx).await),
            Some(json!({})),
        ),
        ("post", "/payouts") => (
            p.into(),
            Some(json!({"statement_ids": [fresh_approved_statement(app, fx).await]})),
        ),
        (_, _) if p.starts_with("/payouts/{id}") => {
            // Made by the second official, so the first may confirm it (four eyes).
            let sid = fresh_approved_statement(app, fx).await;
            let second = app.login("official-two", "second-official-pw").await;
            let (s, b) = app
                .post("/payouts", Some(&second), json!({"statement_ids": [sid]}))
                .await;
            assert_eq!(s, StatusCode::CREATED, "{b}");
            (
                p.replace("{id}", b["id"].as_str().unwrap()),
                (method == "post").then(|| json!({})),
            )
        }
        ("get", "/campaigns/{id}/cover") | ("get", "/merchants/{id}/photo") => {
            let path = picture_path(app, fx, p).await;
            let (s, b, _) = app
                .raw(
                    Method::PUT,
                    &path,
                    Some(&fx.off),
                    Some(json!({"image": TINY_PNG})),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{b}");
            (path, None)
        }
        ("put", "/campaigns/{id}/cover") | ("put", "/merchants/{id}/photo") => (
            picture_path(app, fx, p).await,
            Some(json!({"image": TINY_PNG})),
        ),
        ("get", _) => (p.into(), None),
        _ => (p.into(), Some(json!({}))),
    };
    (path, body)
}

/// The owner's merchant, with bank details entered (not yet verified); returns its id.
async fn owner_with_account(app: &TestApp, fx: &Fx) -> String {
    let (s, b) = app
        .call(
            Method::PUT,
            "/merchant/bank-account",
            Some(&fx.owner),
            Some(json!({"account_name": "Matrix Lda", "bank": "Banco Matrix", "account_number": "1234-5678-90"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["merchant_id"].as_str().unwrap().to_string()
}

/// A new approved statement of the owner's, whose bank account is verified.
async fn fresh_approved_statement(app: &TestApp, fx: &Fx) -> String {
    let mid = owner_with_account(app, fx).await;
    let (s, b) = app
        .post(
            &format!("/merchants/{mid}/bank-account/verify"),
            Some(&fx.off),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let code = fresh_coupon(app, fx).await;
    let (s, r) = app.redeem(&fx.owner, &code, 10000, &key()).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let (s, st) = app
        .post(
            &format!("/campaigns/{}/settlements", fx.campaign),
            Some(&fx.off),
            json!({"from": fx.today, "to": fx.today}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{st}");
    let sid = st
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["merchant_id"] == mid.as_str())
        .expect("the owner's statement")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let second = app.login("official-two", "second-official-pw").await;
    let (s, b) = app
        .post(
            &format!("/settlements/{sid}/approve"),
            Some(&second),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    sid
}

fn fresh_phone() -> String {
    format!("+8536{:07}", rand_u(10_000_000))
}

/// A visitor's own code for a fresh phone, read from the SMS stub, so its confirmation may pass.
async fn own_confirmation(app: &TestApp, token: &str, texts: &Texts) -> Value {
    let phone = fresh_phone();
    let (s, b) = app
        .post(
            "/visitors/verification",
            Some(token),
            json!({"channel": "sms", "address": phone}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let text = loop {
        let found = texts
            .lock()
            .unwrap()
            .iter()
            .rev()
            .find(|m| m["to"] == phone.as_str())
            .cloned();
        if let Some(m) = found {
            break m["text"].as_str().unwrap().to_string();
        }
        assert!(std::time::Instant::now() < deadline, "no text to {phone}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    json!({"address": phone, "code": six_digits(&text)})
}

fn rand_u(n: u32) -> u32 {
    uuid::Uuid::new_v4().as_u128() as u32 % n
}

async fn fixture(app: &TestApp) -> Fx {
    let off = app.official().await;
    let off2 = app.second_official().await;
    let c = app.campaign(&off).await;
    let campaign = c["id"].as_str().unwrap().to_string();
    let point = app.point(&off, &campaign, json!({})).await;
    let rot = app
        .point(
            &off,
            &campaign,
            json!({"rotating": true, "rotate_seconds": 30}),
        )
        .await;
    let rotating_point = rot["id"].as_str().unwrap().to_string();
    let (_, owner) = app.merchant(&off, Some(&campaign), "food").await;
    let (_, other) = app.merchant(&off, Some(&campaign), "food").await;
    let (s, u) = app
        .post(
            "/merchant/users",
            Some(&owner),
            json!({"username": "matrix-cashier", "password": "matrix-password-1"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{u}");
    let cashier_a = u["id"].as_str().unwrap().to_string();
    let cashier = app.login("matrix-cashier", "matrix-password-1").await;
    let (_, v) = app.visitor().await;
    let (_, v2) = app.visitor().await;
    let (s, ci) = app
        .check_in(&v, point["payload"].as_str().unwrap(), json!({}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{ci}");
    let o1 = app.offer(&off, &campaign, json!({})).await;
    let (s, k1) = app
        .post(
            &format!("/offers/{}/claim", o1["id"].as_str().unwrap()),
            Some(&v),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{k1}");
    let o2 = app.offer(&off, &campaign, json!({})).await;
    let (_, k2) = app
        .post(
            &format!("/offers/{}/claim", o2["id"].as_str().unwrap()),
            Some(&v),
            json!({}),
        )
        .await;
    let (s, r) = app
        .redeem(&owner, k2["code"].as_str().unwrap(), 10000, &key())
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let today = bairro::domain::time::macau_day(bairro::domain::time::now()).to_string();
    let (s, st) = app
        .post(
            &format!("/campaigns/{campaign}/settlements"),
            Some(&off2),
            json!({"from": today, "to": today}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{st}");
    assert_eq!(
        st.as_array().unwrap().len(),
        1,
        "one statement, the owner's: {st}"
    );
    let (s, b) = app
        .post(
            &format!("/points/{rotating_point}/devices"),
            Some(&off),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let d = activate(app, b["setup_code"].as_str().unwrap()).await;
    app.staff(&off, "matrix-viewer:bureau-reader-pw-9", "viewer", None)
        .await;
    let viewer = app.login("matrix-viewer", "bureau-reader-pw-9").await;
    Fx {
        viewer,
        tokens: [
            None,
            Some(v),
            Some(v2),
            Some(owner.clone()),
            Some(other),
            Some(cashier),
            Some(off.clone()),
            Some(d["device_token"].as_str().unwrap().to_string()),
        ],
        off,
        campaign,
        point: point["id"].as_str().unwrap().to_string(),
        rotating_point,
        owner,
        coupon_v: (
            k1["id"].as_str().unwrap().to_string(),
            k1["code"].as_str().unwrap().to_string(),
        ),
        checkin_v: ci["checkin"]["id"].as_str().unwrap().to_string(),
        redemption_a: r["redemption"]["id"].as_str().unwrap().to_string(),
        statement_a: st[0]["id"].as_str().unwrap().to_string(),
        cashier_a,
        today,
    }
}

crate::both!(every_endpoint_every_role, |app| {
    // Codes go to an SMS stub, so visitors can verify.
    let (sms, texts) = sms_stub().await;
    let app = TestApp::spawn_with(app.backend, |s| {
        s.rate_limits = false;
        s.verification.sms_webhook = Some(bairro::config::Secret::new(format!(
            "http://127.0.0.1:{sms}/send"
        )));
    })
    .await
    .unwrap();
    let fx = fixture(&app).await;
    let (s, doc) = app.get("/openapi.json", None).await;
    assert_eq!(s, StatusCode::OK);
    let mut ops: Vec<(String, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                ops.push((path.clone(), method.clone()));
            }
        }
    }
    ops.sort();
    let missing: Vec<String> = ops
        .iter()
        .filter(|(p, m)| matrix(m, p).is_none())
        .map(|(p, m)| format!("{} {p}", m.to_uppercase()))
        .collect();
    assert!(
        missing.is_empty(),
        "endpoints without an authorisation matrix entry: {missing:#?}"
    );

    // What each role must never see in an answer: the other visitor's and the other
    // merchant's private records.
    let v_private = [
        fx.coupon_v.0.clone(),
        fx.coupon_v.1.clone(),
        bairro::domain::codes::display(&fx.coupon_v.1),
        fx.checkin_v.clone(),
    ];
    let a_private = [
        fx.redemption_a.clone(),
        fx.statement_a.clone(),
        fx.cashier_a.clone(),
    ];
    let mut failures = Vec::new();
    let mut calls = 0;
    // First the bureau's viewer: every official read, no write; public operations as for anyone.
    for (path, method) in &ops {
        let want = viewer_expects(method, path);
        let (url, body) = request(&app, &fx, method, path).await;
        let body = if path == "/api/v1/me/password" {
            Some(
                json!({"current_password": "bureau-reader-pw-9", "new_password": "bureau-reader-pw-10"}),
            )
        } else {
            body
        };
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let (s, text, _) = app
            .raw(m, &format!("/api/v1{url}"), Some(&fx.viewer), body)
            .await;
        calls += 1;
        let ok = match want {
            'A' => s.is_success(),
            'F' => s == StatusCode::FORBIDDEN,
            _ => s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
        };
        if !ok {
            failures.push(format!(
                "{} {url} as viewer: {s}, expected {want} — {}",
                method.to_uppercase(),
                &text[..text.len().min(200)]
            ));
        }
    }
    for (path, method) in &ops {
        let want: Vec<char> = matrix(method, path).unwrap().chars().collect();
        // Refusals first, then the roles that may: a call that changes state comes last.
        let mut order: Vec<usize> = (0..8).filter(|i| want[*i] != 'A').collect();
        order.extend((0..8).filter(|i| want[*i] == 'A'));
        for role in order {
            let (url, mut body) = request(&app, &fx, method, path).await;
            if path == "/api/v1/me/password" {
                body = me_password_body(role);
            }
            if url == "/visitors/verification/confirm" && want[role] == 'A' {
                body =
                    Some(own_confirmation(&app, fx.tokens[role].as_deref().unwrap(), &texts).await);
            }
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let (s, text, h) = app
                .raw(
                    m,
                    &format!("/api/v1{url}"),
                    fx.tokens[role].as_deref(),
                    body,
                )
                .await;
            calls += 1;
            let ok = match want[role] {
                'A' => s.is_success(),
                'U' => s == StatusCode::UNAUTHORIZED,
                'F' => s == StatusCode::FORBIDDEN,
                'N' => s == StatusCode::NOT_FOUND,
                _ => s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
            };
            if !ok {
                failures.push(format!(
                    "{} {url} as {}: {s}, expected {} — {}",
                    method.to_uppercase(),
                    ROLES[role],
                    want[role],
                    &text[..text.len().min(200)]
                ));
                continue;
            }
            if !s.is_success() {
                let problem = h
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.starts_with("application/problem+json"));
                if !problem {
                    failures.push(format!(
                        "{} {url} as {}: refusal is not problem+json",
                        method.to_uppercase(),
                        ROLES[role]
                    ));
                }
                continue;
            }
            let mut hidden: Vec<&String> = Vec::new();
            if role != 1 && role != 6 && !url.contains("qr.svg") {
                hidden.extend(v_private.iter());
            }
            if ![3, 5, 6].contains(&role) {
                hidden.extend(a_private.iter());
            }
            for secret in hidden {
                if text.contains(secret.as_str()) {
                    failures.push(format!(
                        "{} {url} as {} leaks {secret}",
                        method.to_uppercase(),
                        ROLES[role]
                    ));
                }
            }
        }
    }
    // A device reads only its own point's code.
    let (s, _) = app
        .get(
            &format!("/points/{}/code", fx.point),
            fx.tokens[7].as_deref(),
        )
        .await;
    if s != StatusCode::FORBIDDEN {
        failures.push(format!("device reading another point's code: {s}"));
    }
    println!("authorisation matrix on {:?}: {} operations from the OpenAPI document × {} roles = {calls} calls, {} failures",
        app.backend, ops.len(), ROLES.len(), failures.len());
    assert!(failures.is_empty(), "{failures:#?}");
});
