//! Staff accounts from an empty database, through the API only: officials staff the bureau,
//! viewers read and change nothing, resets force a password change, disabled accounts and
//! lockouts hold on every server process — on SQLite and PostgreSQL.

use futures::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both;
use crate::support::*;

/// A second `bairro serve` process on the test's database (same secrets); killed on drop.
pub struct OtherProcess {
    child: std::process::Child,
    pub base: String,
}

impl Drop for OtherProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn other_process(app: &TestApp, extra: &[&str]) -> OtherProcess {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_bairro"))
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            &app.db_url,
        ])
        .args(extra)
        .env_remove("BAIRRO_NO_RATE_LIMITS")
        .env_remove("BAIRRO_TRUSTED_PROXIES")
        .env_remove("BAIRRO_METRICS_TOKEN")
        .env("BAIRRO_JWT_SECRET", app.settings.jwt_secrets[0].expose())
        .env(
            "BAIRRO_QR_KEYS",
            format!("A:{}", app.settings.qr_keys[0].1.expose()),
        )
        .env("BAIRRO_WORKERS", "2")
        .env("BAIRRO_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let p = OtherProcess {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let started = std::time::Instant::now();
    loop {
        if app
            .client
            .get(format!("{}/healthz", p.base))
            .send()
            .await
            .map(|r| r.status() == StatusCode::OK)
            .unwrap_or(false)
        {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "the second process did not start"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    p
}

/// One call to any server (the test's own or another process).
async fn call_at(
    app: &TestApp,
    base: &str,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value, reqwest::header::HeaderMap) {
    let mut rb = app.client.request(method, format!("{base}/api/v1{path}"));
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let r = rb.send().await.unwrap();
    let s = r.status();
    let h = r.headers().clone();
    let text = r.text().await.unwrap_or_default();
    (
        s,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
        h,
    )
}

/// A login on another process of the test's database.
async fn login_at(app: &TestApp, base: &str, user: &str, pw: &str) -> String {
    let (s, b, _) = call_at(
        app,
        base,
        Method::POST,
        "/auth/login",
        None,
        Some(json!({"username": user, "password": pw})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "login {user}: {b}");
    b["token"].as_str().unwrap().to_string()
}

async fn login_body(app: &TestApp, user: &str, pw: &str) -> (StatusCode, Value) {
    app.post(
        "/auth/login",
        None,
        json!({"username": user, "password": pw}),
    )
    .await
}

both!(a_bureau_staffs_itself_from_an_empty_database, |app| {
    let admin = app.official().await;
    let (s, list) = app.get("/staff", Some(&admin)).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 1, "only admin: {list}");
    assert_eq!(list[0]["username"], "admin");
    assert_eq!(list[0]["role"], "official");
    assert_eq!(list[0]["disabled"], false);
    assert_eq!(list[0]["must_change_password"], false);

    // Admin creates a second official and a viewer.
    let ana = app
        .staff(&admin, "Ana.Lima:two-officials-sign", "official", None)
        .await;
    let _viewer = app
        .staff(&admin, "viewer-1:read-only-colleague", "viewer", None)
        .await;
    // Usernames are compared without regard to case, at creation and at login.
    let (s, b) = app
        .post(
            "/staff",
            Some(&admin),
            json!({"username": "ana.LIMA", "password": "another-good-pass", "role": "viewer"}),
        )
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::CONFLICT, "username_taken"),
        "{b}"
    );
    let (s, b) = app
        .post(
            "/merchants",
            Some(&admin),
            json!({"name": names("店"), "category": "food",
            "address": "Rua 1", "lat": HERE.0, "lng": HERE.1, "m_mark": false,
            "username": "ADMIN", "password": "merchant-pw-123"}),
        )
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::CONFLICT, "username_taken"),
        "{b}"
    );
    // Weak passwords are refused with a message saying why.
    for (pw, why) in [
        ("short-pw", "at least 10"),
        ("password123", "commonly"),
        ("Qwerty12345!", "commonly"),
        ("1234567890", ""),
        ("zzzzzzzzzzzz", ""),
        ("i-am-new-person-42", "username"),
    ] {
        let (s, b) = app
            .post(
                "/staff",
                Some(&admin),
                json!({"username": "new-person", "password": pw, "role": "official"}),
            )
            .await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "weak_password"),
            "{pw}: {b}"
        );
        assert!(b["detail"].as_str().unwrap().contains(why), "{pw}: {b}");
    }
    // Other mistakes are validation failures.
    for body in [
        json!({"username": "x", "password": "fine-password-here", "role": "official"}),
        json!({"username": "someone", "password": "fine-password-here", "role": "boss"}),
        json!({"username": "someone", "password": "fine-password-here", "role": "merchant_cashier"}),
        json!({"username": "someone", "password": "fine-password-here", "role": "merchant_owner", "merchant_id": "nope"}),
    ] {
        let (s, b) = app.post("/staff", Some(&admin), body.clone()).await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            "{body}: {b}"
        );
    }
    let (s, b) = login_body(&app, "ANA.lima", "two-officials-sign").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["role"], "official");
    assert_eq!(b["must_change_password"], false);
    let second = b["token"].as_str().unwrap().to_string();

    // The first official generates statements; the second approves them (four eyes).
    let c = app.campaign(&admin).await;
    let cid = c["id"].as_str().unwrap();
    let offer = app.offer(&admin, cid, json!({})).await;
    let (mid, m) = app.merchant(&admin, Some(cid), "food").await;
    let (_, v) = app.visitor().await;
    let (_, k) = app
        .post(
            &format!("/offers/{}/claim", offer["id"].as_str().unwrap()),
            Some(&v),
            json!({}),
        )
        .await;
    let (s, r) = app
        .redeem(&m, k["code"].as_str().unwrap(), 10000, &key())
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let today = bairro::domain::time::macau_day(bairro::domain::time::now()).to_string();
    let (s, st) = app
        .post(
            &format!("/campaigns/{cid}/settlements"),
            Some(&admin),
            json!({"from": today, "to": today}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{st}");
    let sid = st[0]["id"].as_str().unwrap().to_string();
    let (s, b) = app
        .post(
            &format!("/settlements/{sid}/approve"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert!(
        s.is_client_error(),
        "whoever generated may not approve: {s} {b}"
    );
    let (s, b) = app
        .post(
            &format!("/settlements/{sid}/approve"),
            Some(&second),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["status"], "approved");

    // A merchant's owner login can be added and cut off by the bureau.
    let owner2 = app
        .staff(
            &admin,
            "owner-two:shop-owner-pass",
            "merchant_owner",
            Some(&mid),
        )
        .await;
    let o2 = app.login("owner-two", "shop-owner-pass").await;
    let (s, _) = app.get("/merchant/settlements", Some(&o2)).await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = app
        .post(
            &format!("/staff/{owner2}/disable"),
            Some(&second),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["disabled"], true);
    let (s, _) = app.get("/merchant/settlements", Some(&o2)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // The till's paths check the account on the connection their use case runs on: a
    // disabled login is refused there too, before any coupon or card is looked at.
    let till = [
        (
            "/redemptions",
            json!({"coupon": "NOPE", "spend_avos": 100, "idempotency_key": "k-1"}),
        ),
        (
            "/redemptions/preview",
            json!({"coupon": "NOPE", "spend_avos": 100}),
        ),
        // Text that is no coupon code at all: still the account's answer, not the coupon's.
        (
            "/redemptions",
            json!({"coupon": "¿?", "spend_avos": 100, "idempotency_key": "k-3"}),
        ),
        (
            "/redemptions/preview",
            json!({"coupon": "¿?", "spend_avos": 100}),
        ),
        (
            "/purchases",
            json!({"visitor": "NOPE", "spend_avos": 100, "idempotency_key": "k-2"}),
        ),
        ("/purchases/preview", json!({"visitor": "NOPE"})),
    ];
    for (path, body) in &till {
        let (s, b) = app.post(path, Some(&o2), body.clone()).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{path}: {b}");
    }

    // An official cannot disable themself; another can, at once.
    let (s, b) = app
        .post(&format!("/staff/{ana}/disable"), Some(&second), json!({}))
        .await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "cannot_disable_self"));
    let (s, _) = app
        .post(&format!("/staff/{ana}/disable"), Some(&admin), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = app.get("/stats/overview", Some(&second)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
    let (s, _) = login_body(&app, "ana.lima", "two-officials-sign").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, b) = app
        .post(&format!("/staff/{ana}/enable"), Some(&admin), json!({}))
        .await;
    assert_eq!((s, b["disabled"].as_bool()), (StatusCode::OK, Some(false)));
    app.login("ana.lima", "two-officials-sign").await;

    // The list shows everyone with their roles; the audit log has each change.
    let (_, list) = app.get("/staff", Some(&admin)).await;
    let roles: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["role"].as_str().unwrap())
        .collect();
    assert!(
        roles.contains(&"viewer") && roles.contains(&"merchant_owner"),
        "{list}"
    );
    assert!(app.count("audit_log", "entity = 'staff' AND action = 'disable'") >= 2);
});

/// Every write operation of the API document, for sweeping a role over all of them.
async fn write_operations(app: &TestApp) -> Vec<(Method, String)> {
    let (_, doc) = app.get("/openapi.json", None).await;
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["post", "put", "patch", "delete"].contains(&method.as_str()) {
                let p = path
                    .strip_prefix("/api/v1")
                    .unwrap()
                    .replace("{id}", "00000000-0000-4000-8000-000000000000")
                    .replace("{day}", "2030-01-01")
                    .replace("{indicator}", "enrolment_decision")
                    .replace("{year}", "2030");
                ops.push((
                    Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                    p,
                ));
            }
        }
    }
    ops.sort_by(|a, b| a.1.cmp(&b.1));
    ops
}

/// Writes open to anyone (or to any staff login for itself).
const NOT_OFFICIAL_ONLY: [&str; 5] = [
    "/auth/login",
    "/visitors",
    "/pageviews",
    "/devices/activate",
    "/me/password",
];

both!(a_viewer_reads_everything_and_changes_nothing, |app| {
    let admin = app.official().await;
    app.staff(&admin, "viewer-2:read-only-colleague", "viewer", None)
        .await;
    let (s, b) = login_body(&app, "viewer-2", "read-only-colleague").await;
    assert_eq!(
        (s, b["role"].as_str()),
        (StatusCode::OK, Some("viewer")),
        "{b}"
    );
    let viewer = b["token"].as_str().unwrap().to_string();
    let c = app.campaign(&admin).await;
    let cid = c["id"].as_str().unwrap().to_string();
    let draft = app.draft_campaign(&admin).await;
    let pt = app.point(&admin, &cid, json!({})).await;

    // Reads: statistics, exports, lists, reports, the staff list, drafts.
    for path in [
        "/stats/overview".to_string(),
        format!("/campaigns/{cid}/stats"),
        format!("/campaigns/{cid}/stats.csv"),
        format!("/campaigns/{cid}/signals"),
        format!("/campaigns/{cid}/enrolments"),
        format!("/points/{}", pt["id"].as_str().unwrap()),
        format!("/points/{}/qr.svg", pt["id"].as_str().unwrap()),
        "/merchants".into(),
        "/settlements".into(),
        "/enrolments".into(),
        "/audit".into(),
        "/pledges?year=2026".into(),
        "/pledges.csv?year=2026".into(),
        "/holidays".into(),
        "/staff".into(),
        format!("/campaigns/{}", draft["id"].as_str().unwrap()),
    ] {
        let (s, b) = app.get(&path, Some(&viewer)).await;
        assert_eq!(s, StatusCode::OK, "viewer reads {path}: {b}");
    }
    let (_, list) = app.get("/campaigns", Some(&viewer)).await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == draft["id"]),
        "a viewer sees drafts as officials do"
    );

    // Every write an official may make is refused to the viewer.
    let ops = write_operations(&app).await;
    let mut refused = 0;
    let mut wrong = Vec::new();
    for (m, path) in &ops {
        if NOT_OFFICIAL_ONLY.contains(&path.as_str()) {
            continue;
        }
        let (s, b) = app
            .call(m.clone(), path, Some(&viewer), Some(json!({})))
            .await;
        if s == StatusCode::FORBIDDEN {
            refused += 1;
        } else {
            wrong.push(format!("{m} {path}: {s} {b}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "writes not refused to a viewer: {wrong:#?}"
    );
    assert!(refused >= 25, "{refused} writes checked");
    println!("viewer: {refused} write operations refused with 403");
    // And nothing changed: the viewer's campaign creation left no row.
    assert_eq!(app.count("campaigns", "1 = 1"), 2);
});

both!(a_reset_forces_a_password_change, |app| {
    let admin = app.official().await;
    let id = app
        .staff(&admin, "forgetful:first-password-1", "official", None)
        .await;
    let old = app.login("forgetful", "first-password-1").await;
    let (s, b) = app
        .post(
            &format!("/staff/{id}/reset-password"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let temp = b["temporary_password"].as_str().unwrap().to_string();
    assert!(temp.len() >= 12);
    let (_, list) = app.get("/staff", Some(&admin)).await;
    let me = list
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(me["must_change_password"], true);

    // The old password is gone; the old token may only change the password.
    let (s, _) = login_body(&app, "forgetful", "first-password-1").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, b) = app.get("/stats/overview", Some(&old)).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::FORBIDDEN, "password_change_required")
    );
    let (s, b) = login_body(&app, "forgetful", &temp).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        b["must_change_password"], true,
        "the login says a change is due"
    );
    let tok = b["token"].as_str().unwrap().to_string();
    for (m, path) in [
        (Method::GET, "/stats/overview"),
        (Method::GET, "/staff"),
        (Method::GET, "/campaigns"),
        (Method::POST, "/campaigns"),
    ] {
        let (s, b) = app.call(m.clone(), path, Some(&tok), Some(json!({}))).await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::FORBIDDEN, "password_change_required"),
            "{m} {path}: {b}"
        );
    }
    // Wrong current password, weak or unchanged new one.
    let (s, b) = app
        .post(
            "/me/password",
            Some(&tok),
            json!({"current_password": "not-it-at-all", "new_password": "brand-new-secret-9"}),
        )
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNAUTHORIZED, "invalid_credentials")
    );
    let (s, b) = app
        .post(
            "/me/password",
            Some(&tok),
            json!({"current_password": temp, "new_password": "letmein123"}),
        )
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "weak_password"),
        "{b}"
    );
    let (s, b) = app
        .post(
            "/me/password",
            Some(&tok),
            json!({"current_password": temp, "new_password": temp}),
        )
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "weak_password"),
        "{b}"
    );
    let (s, b) = app
        .post(
            "/me/password",
            Some(&tok),
            json!({"current_password": temp, "new_password": "brand-new-secret-9"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    let (s, _) = app.get("/stats/overview", Some(&tok)).await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = login_body(&app, "forgetful", "brand-new-secret-9").await;
    assert_eq!(
        (s, b["must_change_password"].as_bool()),
        (StatusCode::OK, Some(false))
    );
    let (s, _) = login_body(&app, "forgetful", &temp).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Anyone with a staff login changes their own password the same way.
    let (_, m) = app.merchant(&admin, None, "food").await;
    let (s, b) = app
        .post(
            "/me/password",
            Some(&m),
            json!({"current_password": "merchant-pw-123", "new_password": "merchant-pw-456"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    assert!(app.count("audit_log", "action = 'reset_password'") == 1);
});

// Tokens issued before a password reset or change are refused, on every process; the token
// that made the owner's own change keeps working, every other one of the account is refused.
both!(tokens_before_a_password_change_are_refused, |app| {
    let admin = app.official().await;
    let id = app
        .staff(&admin, "rotating:first-password-1", "official", None)
        .await;
    let other = other_process(&app, &[]).await;
    let works = |s: StatusCode| s == StatusCode::OK;
    // Logins alternate between the processes: each limits logins per account on its own.
    let before_1 = app.login("rotating", "first-password-1").await;
    let before_2 = login_at(&app, &other.base, "rotating", "first-password-1").await;
    for t in [&before_1, &before_2] {
        let (s, b) = app.get("/stats/overview", Some(t)).await;
        assert!(works(s), "{s} {b}");
    }
    // A reset: until the password is changed every token of the account, earlier ones
    // included, may only change it (SPEC), here and on the other process.
    let (s, b) = app
        .post(
            &format!("/staff/{id}/reset-password"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let temp = b["temporary_password"].as_str().unwrap().to_string();
    for t in [&before_1, &before_2] {
        let (s, b) = app.get("/stats/overview", Some(t)).await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::FORBIDDEN, "password_change_required"),
            "{b}"
        );
        let (s, b, _) = call_at(&app, &other.base, Method::GET, "/staff", Some(t), None).await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::FORBIDDEN, "password_change_required"),
            "other process: {b}"
        );
    }
    // Two sessions with the temporary password; one changes it.
    let changing = app.login("rotating", &temp).await;
    let bystander = login_at(&app, &other.base, "rotating", &temp).await;
    let (s, b) = app.get("/stats/overview", Some(&bystander)).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::FORBIDDEN, "password_change_required")
    );
    let (s, b) = app
        .post(
            "/me/password",
            Some(&changing),
            json!({"current_password": temp, "new_password": "second-password-2"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    let (s, b) = app.get("/stats/overview", Some(&changing)).await;
    assert!(
        works(s),
        "the token that made the change keeps working: {s} {b}"
    );
    let (s, b) = app.get("/stats/overview", Some(&bystander)).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNAUTHORIZED, "unauthorized"),
        "{b}"
    );
    let (s, _, _) = call_at(
        &app,
        &other.base,
        Method::GET,
        "/staff",
        Some(&bystander),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    for t in [&before_1, &before_2] {
        let (s, _) = app.get("/stats/overview", Some(t)).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    // An owner's own change, no reset: the other session ends, a new login works.
    let fresh = login_at(&app, &other.base, "rotating", "second-password-2").await;
    let (s, _) = app.get("/stats/overview", Some(&fresh)).await;
    assert!(works(s));
    let (s, b) = app
        .post(
            "/me/password",
            Some(&fresh),
            json!({"current_password": "second-password-2", "new_password": "third-password-3"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    let (s, _) = app.get("/stats/overview", Some(&changing)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "the earlier session ends");
    let (s, _, _) = call_at(&app, &other.base, Method::GET, "/staff", Some(&fresh), None).await;
    assert!(
        works(s),
        "the changing token works on the other process too"
    );
    let newest = app.login("rotating", "third-password-3").await;
    let (s, _) = app.get("/stats/overview", Some(&newest)).await;
    assert!(works(s));
});

both!(a_disabled_official_is_refused_on_another_process, |app| {
    let admin = app.official().await;
    let id = app
        .staff(&admin, "leaving:bye-bye-official-1", "official", None)
        .await;
    let other = other_process(&app, &[]).await;
    let tok = app.login("leaving", "bye-bye-official-1").await;
    let (s, _, _) = call_at(
        &app,
        &other.base,
        Method::GET,
        "/stats/overview",
        Some(&tok),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "the token works on the other process");
    // Disabled through this process; the very next request on the other one is refused.
    let (s, _) = app
        .post(&format!("/staff/{id}/disable"), Some(&admin), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, b, _) = call_at(
        &app,
        &other.base,
        Method::GET,
        "/stats/overview",
        Some(&tok),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
    let (s, _, _) = call_at(
        &app,
        &other.base,
        Method::POST,
        "/campaigns",
        Some(&tok),
        Some(json!({})),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Enabled on the other process: back at once here.
    let (s, _, _) = call_at(
        &app,
        &other.base,
        Method::POST,
        &format!("/staff/{id}/enable"),
        Some(&admin),
        Some(json!({})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.get("/stats/overview", Some(&tok)).await;
    assert_eq!(s, StatusCode::OK);
    // A reset on one process forces the change on the other, for the earlier token and a new one.
    let (s, b) = app
        .post(
            &format!("/staff/{id}/reset-password"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let temp = b["temporary_password"].as_str().unwrap().to_string();
    let (s, b, _) = call_at(
        &app,
        &other.base,
        Method::GET,
        "/stats/overview",
        Some(&tok),
        None,
    )
    .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::FORBIDDEN, "password_change_required")
    );
    let after = app.login("leaving", &temp).await;
    let (s, b, _) = call_at(
        &app,
        &other.base,
        Method::GET,
        "/stats/overview",
        Some(&after),
        None,
    )
    .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::FORBIDDEN, "password_change_required")
    );
});

both!(the_lockout_holds_across_two_processes, |app| {
    let admin = app.official().await;
    let id = app
        .staff(&admin, "target:right-password-1", "official", None)
        .await;
    let other = other_process(&app, &[]).await;
    let bases = [app.base.clone(), other.base.clone()];
    // Twenty wrong passwords at once, spread over both processes: the database lets exactly
    // the allowance through to a password check, wherever they land.
    let results = join_all((0..20).map(|i| {
        call_at(
            &app,
            &bases[i % 2],
            Method::POST,
            "/auth/login",
            None,
            Some(json!({"username": "target", "password": format!("wrong-guess-{i}")})),
        )
    }))
    .await;
    let wrong = results
        .iter()
        .filter(|(s, _, _)| *s == StatusCode::UNAUTHORIZED)
        .count();
    let limited = results
        .iter()
        .filter(|(s, _, _)| *s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    println!(
        "lockout on {:?}: {wrong} answered 401, {limited} answered 429",
        app.backend
    );
    assert_eq!(wrong, bairro::db::staff::LOCK_AFTER as usize, "{results:?}");
    assert_eq!(wrong + limited, 20);
    // Locked on both processes, even for the right password, with a Retry-After.
    for base in &bases {
        let (s, b, h) = call_at(
            &app,
            base,
            Method::POST,
            "/auth/login",
            None,
            Some(json!({"username": "TARGET", "password": "right-password-1"})),
        )
        .await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            "{base}: {b}"
        );
        let retry: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
        assert!(retry > 60 && retry <= 15 * 60, "{retry}");
    }
    // An official lifts the lock (enable, or a reset). The per-process attempt limit may
    // still ask for a few seconds; the database lock of 15 minutes is gone.
    let (s, _) = app
        .post(&format!("/staff/{id}/enable"), Some(&admin), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let started = std::time::Instant::now();
    loop {
        let (s, b, h) = call_at(
            &app,
            &other.base,
            Method::POST,
            "/auth/login",
            None,
            Some(json!({"username": "target", "password": "right-password-1"})),
        )
        .await;
        if s == StatusCode::OK {
            break;
        }
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{b}");
        let retry: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
        assert!(
            retry <= 10,
            "only the short in-memory limit remains: {retry}"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(30));
        actix_web::rt::time::sleep(std::time::Duration::from_millis(500)).await;
    }
});

fn bairro_cli(app: &TestApp, args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_bairro"));
    cmd.arg("staff")
        .args(args)
        .args(["--database-url", &app.db_url])
        .env_remove("BAIRRO_STAFF_PASSWORD")
        .env("BAIRRO_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

both!(operators_rescue_accounts_at_the_command_line, |app| {
    // Without the per-process attempt limits, so the database lockout is what answers.
    let app = TestApp::spawn_with(app.backend, |s| s.rate_limits = false)
        .await
        .unwrap();
    let admin = app.official().await;
    // Every official login lost: the operator creates one at the command line.
    let (ok, out) = bairro_cli(
        &app,
        &["create", "--username", "Rescue", "--role", "official"],
        &[("BAIRRO_STAFF_PASSWORD", "save-us-please-7")],
    );
    assert!(ok, "{out}");
    let (s, b) = login_body(&app, "rescue", "save-us-please-7").await;
    assert_eq!(
        (s, b["must_change_password"].as_bool()),
        (StatusCode::OK, Some(false)),
        "{b}"
    );
    // The same rules as the API: names unique whatever the case, strong passwords.
    let (ok, out) = bairro_cli(
        &app,
        &["create", "--username", "RESCUE"],
        &[("BAIRRO_STAFF_PASSWORD", "another-good-one-8")],
    );
    assert!(!ok && out.contains("taken"), "{out}");
    let (ok, out) = bairro_cli(
        &app,
        &["create", "--username", "weakling"],
        &[("BAIRRO_STAFF_PASSWORD", "password1")],
    );
    assert!(!ok && out.contains("at least"), "{out}");
    // Without a password, a temporary one is printed and must be changed.
    let (ok, out) = bairro_cli(
        &app,
        &["create", "--username", "temp-one", "--role", "viewer"],
        &[],
    );
    assert!(ok, "{out}");
    let temp = out.rsplit(": ").next().unwrap().trim().to_string();
    let (s, b) = login_body(&app, "temp-one", &temp).await;
    assert_eq!(
        (s, b["must_change_password"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{b}"
    );

    // Disable cuts off a running server's tokens at once; reset-password prints a new
    // temporary password and lifts a lockout.
    let (ok, out) = bairro_cli(&app, &["disable", "--username", "ADMIN"], &[]);
    assert!(ok, "{out}");
    let (s, _) = app.get("/stats/overview", Some(&admin)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (ok, out) = bairro_cli(&app, &["enable", "--username", "admin"], &[]);
    assert!(ok, "{out}");
    let (s, _) = app.get("/stats/overview", Some(&admin)).await;
    assert_eq!(s, StatusCode::OK);
    for i in 0..bairro::db::staff::LOCK_AFTER {
        let (s, _) = login_body(&app, "rescue", &format!("wrong-password-{i}")).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, _) = login_body(&app, "rescue", "save-us-please-7").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "locked");
    let (ok, out) = bairro_cli(&app, &["reset-password", "--username", "rescue"], &[]);
    assert!(ok, "{out}");
    let temp = out.rsplit(": ").next().unwrap().trim().to_string();
    let (s, b) = login_body(&app, "rescue", &temp).await;
    assert_eq!(
        (s, b["must_change_password"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{b}"
    );
    let (ok, out) = bairro_cli(&app, &["list"], &[]);
    assert!(
        ok && out.contains("Rescue\tofficial\tactive, must change password"),
        "{out}"
    );
    let (ok, out) = bairro_cli(&app, &["disable", "--username", "nobody"], &[]);
    assert!(!ok && out.contains("no staff login"), "{out}");
    assert!(app.count("audit_log", "actor_role = 'system' AND entity = 'staff'") >= 5);
});

// An account whose hash was stored by an earlier version (Argon2id at 19 MiB, 2 passes, as
// the hash crate makes by default) logs in as before; the login stores the same password
// again under today's parameters, and neither the token it gave nor the next login suffer.
both!(
    a_login_stores_an_earlier_hash_again_under_todays_parameters,
    |app| {
        use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
        let off = app.official().await;
        let id = app
            .staff(&off, "earlier:kept-from-before-2021", "official", None)
            .await;
        let salt = SaltString::generate(&mut OsRng);
        let earlier = argon2::Argon2::default()
            .hash_password(b"kept-from-before-2021", &salt)
            .unwrap()
            .to_string();
        assert!(earlier.contains("m=19456,t=2,p=1"), "{earlier}");
        // Stands for an account stored before the parameters changed.
        app.execute(&format!(
            "UPDATE users SET password_hash = '{earlier}' WHERE id = '{id}'"
        ));
        let stored = |app: &TestApp| {
            app.text(&format!(
                "SELECT password_hash AS v FROM users WHERE id = '{id}'"
            ))
        };
        assert_eq!(stored(&app), earlier);

        let token = app.login("earlier", "kept-from-before-2021").await;
        let now = stored(&app);
        assert!(now.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{now}");
        assert_ne!(now, earlier);
        let (s, b) = app.get("/staff", Some(&token)).await;
        assert_eq!(s, StatusCode::OK, "the login's token still works: {b}");
        let again = app.login("earlier", "kept-from-before-2021").await;
        let (s, _) = app.get("/staff", Some(&again)).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(stored(&app), now, "a current hash is left as it is");
        let (s, b) = app
            .post(
                "/auth/login",
                None,
                json!({"username": "earlier", "password": "not-the-password"}),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
    }
);
