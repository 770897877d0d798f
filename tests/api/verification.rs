//! One person, one wallet, and check-in integrity: codes really go out (to an SMTP sink and an
//! SMS webhook stub started here), and the tests read them where a visitor would.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::both;
use crate::support::*;

/// Messages received by the SMTP sink: (recipients, whole message).
type Mail = Arc<Mutex<Vec<(Vec<String>, String)>>>;

/// A small SMTP server that accepts every message and keeps it.
async fn smtp_sink() -> (u16, Mail) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mail: Mail = Default::default();
    let kept = mail.clone();
    actix_web::rt::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let kept = kept.clone();
            actix_web::rt::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut r = BufReader::new(r);
                let _ = w.write_all(b"220 sink ESMTP\r\n").await;
                let mut rcpt = Vec::new();
                let mut line = String::new();
                loop {
                    line.clear();
                    if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let cmd = line.trim_end().to_ascii_uppercase();
                    let reply: &[u8] = if cmd.starts_with("EHLO") {
                        b"250-sink\r\n250 8BITMIME\r\n"
                    } else if cmd.starts_with("HELO")
                        || cmd.starts_with("MAIL")
                        || cmd.starts_with("RSET")
                        || cmd.starts_with("NOOP")
                    {
                        b"250 ok\r\n"
                    } else if cmd.starts_with("RCPT") {
                        rcpt.push(
                            line.trim_end()[8..]
                                .trim()
                                .trim_matches(|c| c == '<' || c == '>')
                                .to_string(),
                        );
                        b"250 ok\r\n"
                    } else if cmd.starts_with("DATA") {
                        let _ = w.write_all(b"354 go on\r\n").await;
                        let mut body = String::new();
                        loop {
                            line.clear();
                            if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                                return;
                            }
                            if line == ".\r\n" || line == ".\n" {
                                break;
                            }
                            body.push_str(&line);
                        }
                        kept.lock().unwrap().push((std::mem::take(&mut rcpt), body));
                        b"250 kept\r\n"
                    } else if cmd.starts_with("QUIT") {
                        let _ = w.write_all(b"221 bye\r\n").await;
                        return;
                    } else {
                        b"502 not here\r\n"
                    };
                    if w.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, mail)
}

pub struct Sinks {
    pub mail: Mail,
    pub texts: Texts,
}

impl Sinks {
    /// Waits (a condition, not a fixed time) for the `n`th text to arrive and gives its code.
    pub async fn text_code(&self, n: usize, to: &str) -> String {
        let m = wait_for(|| self.texts.lock().unwrap().get(n).cloned()).await;
        assert_eq!(m["to"], to, "{m}");
        six_digits(m["text"].as_str().unwrap())
    }

    pub async fn mail_code(&self, n: usize, to: &str) -> String {
        let (rcpt, body) = wait_for(|| self.mail.lock().unwrap().get(n).cloned()).await;
        assert_eq!(rcpt, vec![to.to_string()]);
        six_digits(&body)
    }
}

async fn wait_for<T>(mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(std::time::Instant::now() < deadline, "no message arrived");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub async fn spawn_verifying(backend: Backend, rate_limits: bool) -> Option<(TestApp, Sinks)> {
    let (smtp, mail) = smtp_sink().await;
    let (sms, texts) = sms_stub().await;
    let app = TestApp::spawn_with(backend, |s| {
        s.rate_limits = rate_limits;
        s.verification.smtp_url = Some(bairro::config::Secret::new(format!(
            "smtp://127.0.0.1:{smtp}"
        )));
        s.verification.sms_webhook = Some(bairro::config::Secret::new(format!(
            "http://127.0.0.1:{sms}/send"
        )));
    })
    .await?;
    Some((app, Sinks { mail, texts }))
}

/// Runs a test body on SQLite and PostgreSQL with the SMTP sink and SMS stub in place.
macro_rules! verifying {
    ($name:ident, $limits:expr, |$app:ident, $sinks:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[actix_web::test]
            async fn sqlite() {
                let ($app, $sinks) = spawn_verifying(Backend::Sqlite, $limits).await.unwrap();
                $body
            }
            #[actix_web::test]
            async fn postgres() {
                let Some(($app, $sinks)) = spawn_verifying(Backend::Postgres, $limits).await else {
                    return;
                };
                $body
            }
        }
    };
}

async fn visitor_in(app: &TestApp, locale: &str) -> (String, String, Value) {
    let (s, b) = app.post("/visitors", None, json!({"locale": locale})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    (
        b["visitor_id"].as_str().unwrap().into(),
        b["token"].as_str().unwrap().into(),
        b,
    )
}

async fn send(app: &TestApp, token: &str, channel: &str, address: &str) -> (StatusCode, Value) {
    app.post(
        "/visitors/verification",
        Some(token),
        json!({"channel": channel, "address": address}),
    )
    .await
}

async fn confirm(app: &TestApp, token: &str, address: &str, code: &str) -> (StatusCode, Value) {
    app.post(
        "/visitors/verification/confirm",
        Some(token),
        json!({"address": address, "code": code}),
    )
    .await
}

verifying!(
    a_second_device_joins_the_wallet_of_its_phone,
    true,
    |app, sinks| {
        let off = app.official().await;
        let c = app.campaign(&off).await;
        let cid = c["id"].as_str().unwrap();
        let signup = app
            .offer(
                &off,
                cid,
                json!({"trigger": {"type": "signup"}, "requires_verified": true}),
            )
            .await;
        assert_eq!(signup["requires_verified"], true);
        let p1 = app.point(&off, cid, json!({})).await;
        let p2 = app.point(&off, cid, json!({})).await;
        let p3 = app.point(&off, cid, json!({})).await;

        // First phone: signs up (the e-cash sign-up coupon waits), verifies, receives it.
        let (a, ta, b) = visitor_in(&app, "en").await;
        assert_eq!(
            b["coupons"].as_array().unwrap().len(),
            0,
            "held until verified: {b}"
        );
        let (s, _) = app
            .check_in(&ta, p1["payload"].as_str().unwrap(), json!({}))
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let (s, b) = send(&app, &ta, "sms", "+853 6612 3456").await;
        assert_eq!(s, StatusCode::ACCEPTED, "{b}");
        assert_eq!(b["sent_to"], "•••• 3456");
        let otp = sinks.text_code(0, "+85366123456").await;
        let (s, b) = confirm(&app, &ta, "+853 6612 3456", &otp).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(
            (b["visitor_id"].as_str(), b["verified"].as_bool()),
            (Some(a.as_str()), Some(true))
        );
        assert_eq!(b["joined"], false);
        assert_eq!(b["coupons"].as_array().unwrap().len(), 1, "{b}");
        assert_eq!(b["coupons"][0]["offer_id"], signup["id"]);
        let (_, st) = app.get("/visitors/verification", Some(&ta)).await;
        assert_eq!(st["verified"], true);
        assert_eq!(st["addresses"][0]["hint"], "•••• 3456");
        // Only the keyed hash and the last digits are kept.
        assert_eq!(
            app.count(
                "visitor_addresses",
                "hint LIKE '%3456' AND address_hash NOT LIKE '%6612%'"
            ),
            1
        );

        // Storage cleared (a new device): a fresh sign-up gets nothing, and it checks in once.
        let (b_id, tb, b) = visitor_in(&app, "en").await;
        assert_ne!(b_id, a);
        assert_eq!(b["coupons"].as_array().unwrap().len(), 0);
        let (s, _) = app
            .check_in(&tb, p2["payload"].as_str().unwrap(), json!({}))
            .await;
        assert_eq!(s, StatusCode::CREATED);
        // Same phone, written another way: the device joins the first wallet.
        let (s, _) = send(&app, &tb, "sms", "66123456").await;
        assert_eq!(s, StatusCode::ACCEPTED);
        let otp = sinks.text_code(1, "+85366123456").await;
        let (s, b) = confirm(&app, &tb, "6612-3456", &otp).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(
            b["visitor_id"],
            a.as_str(),
            "the token is the first wallet's"
        );
        assert_eq!(b["joined"], true);
        assert_eq!(
            b["coupons"].as_array().unwrap().len(),
            0,
            "no second sign-up coupon"
        );
        let joined = b["token"].as_str().unwrap().to_string();
        let (_, mine) = app.get("/me/coupons", Some(&joined)).await;
        assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
        assert_eq!(
            app.count(
                "coupons",
                &format!("offer_id = '{}'", signup["id"].as_str().unwrap())
            ),
            1
        );
        // The stamps of both devices are in the wallet.
        let (_, checkins) = app.get("/me/checkins", Some(&joined)).await;
        assert_eq!(checkins.as_array().unwrap().len(), 2, "{checkins}");
        // and the wallet's stamps count on from both: a third point is its third stamp.
        let (s, b) = app
            .check_in(&joined, p3["payload"].as_str().unwrap(), json!({}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        assert_eq!(b["stamps"]["count"], 3, "{b}");
        // One wallet for the phone.
        assert_eq!(app.count("visitor_addresses", "1 = 1"), 1);

        // Sending is limited per address (three at once).
        let (_, tc, _) = visitor_in(&app, "en").await;
        for _ in 0..2 {
            let (s, b) = send(&app, &tc, "email", "ana@example.mo").await;
            assert_eq!(s, StatusCode::ACCEPTED, "{b}");
        }
        let (_, td, _) = visitor_in(&app, "en").await;
        let (s, _) = send(&app, &td, "email", "Ana@Example.mo").await;
        assert_eq!(s, StatusCode::ACCEPTED);
        let (s, b, h) = app
            .raw(
                reqwest::Method::POST,
                "/visitors/verification",
                Some(&td),
                Some(json!({"channel": "email", "address": "ana@example.mo"})),
            )
            .await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{b}");
        assert!(h.get("retry-after").is_some());
        // Addresses that are not ones.
        for (ch, addr) in [
            ("sms", "12345"),
            ("sms", "call me"),
            ("email", "ana@"),
            ("email", "not an address"),
        ] {
            let (s, b) = send(&app, &td, ch, addr).await;
            assert_eq!(
                (s, code(&b)),
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid_address"),
                "{addr}"
            );
        }
    }
);

verifying!(
    racing_confirmations_of_one_address_open_one_wallet,
    false,
    |app, sinks| {
        let off = app.official().await;
        let c = app.campaign(&off).await;
        app.offer(
            &off,
            c["id"].as_str().unwrap(),
            json!({"trigger": {"type": "signup"}, "requires_verified": true}),
        )
        .await;
        // A hundred devices each ask for a code for the same phone...
        let mut devices = Vec::new();
        for i in 0..100 {
            let (_, t, _) = visitor_in(&app, "en").await;
            let (s, b) = send(&app, &t, "sms", "+853 6280 0001").await;
            assert_eq!(s, StatusCode::ACCEPTED, "{b}");
            let otp = sinks.text_code(i, "+85362800001").await;
            devices.push((t, otp));
        }
        // ...and all confirm at once.
        let answers = futures::future::join_all(
            devices
                .iter()
                .map(|(t, otp)| confirm(&app, t, "+85362800001", otp)),
        )
        .await;
        let mut wallets = std::collections::HashSet::new();
        for (s, b) in &answers {
            assert_eq!(*s, StatusCode::OK, "{b}");
            wallets.insert(b["visitor_id"].as_str().unwrap().to_string());
        }
        assert_eq!(wallets.len(), 1, "one wallet: {wallets:?}");
        assert_eq!(app.count("visitor_addresses", "1 = 1"), 1);
        assert_eq!(
            answers.iter().filter(|(_, b)| b["joined"] == false).count(),
            1
        );
        let wallet = wallets.into_iter().next().unwrap();
        assert_eq!(
            app.count("coupons", &format!("visitor_id = '{wallet}'")),
            1,
            "one sign-up coupon"
        );
        assert_eq!(app.count("coupons", "1 = 1"), 1);
    }
);

verifying!(
    wrong_codes_lock_after_five_and_codes_expire,
    true,
    |app, sinks| {
        let (_, t, _) = visitor_in(&app, "en").await;
        let (s, b) = send(&app, &t, "email", "Lei.Ana@Example.MO").await;
        assert_eq!(s, StatusCode::ACCEPTED, "{b}");
        assert_eq!(b["sent_to"], "l•••@example.mo");
        let right = sinks.mail_code(0, "lei.ana@example.mo").await;
        let wrong = if right == "000000" {
            "111111"
        } else {
            "000000"
        };
        for i in 0..5 {
            let (s, b) = confirm(&app, &t, "lei.ana@example.mo", wrong).await;
            assert_eq!(
                (s, code(&b)),
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid_code"),
                "try {i}: {b}"
            );
        }
        // The sixth try is refused even with the right code; the count is in the database.
        let (s, b, h) = app
            .raw(
                reqwest::Method::POST,
                "/visitors/verification/confirm",
                Some(&t),
                Some(json!({"address": "lei.ana@example.mo", "code": right})),
            )
            .await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{b}");
        assert!(h.get("retry-after").is_some());
        assert_eq!(
            app.count("verification_locks", "locked_until IS NOT NULL"),
            1
        );
        assert_eq!(app.count("visitor_addresses", "1 = 1"), 0);
        // Sending again is refused while locked.
        let (s, _) = send(&app, &t, "email", "lei.ana@example.mo").await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);

        // An expired code (time moved on: the code's row is aged).
        let (_, t2, _) = visitor_in(&app, "en").await;
        let (s, _) = send(&app, &t2, "sms", "+852 9123 4567").await;
        assert_eq!(s, StatusCode::ACCEPTED);
        let right = sinks.text_code(0, "+85291234567").await;
        let (s, b) = confirm(&app, &t2, "+85291234567", "12345").await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_code")
        );
        {
            use diesel::RunQueryDsl;
            let past = (chrono::Utc::now() - chrono::Duration::minutes(1)).naive_utc();
            let mut c = app.conn();
            let sql = "UPDATE verification_codes SET expires_at = ";
            match &mut *c {
                bairro::db::DbConn::Sqlite(c) => {
                    diesel::sql_query(format!("{sql}'{}'", past.format("%Y-%m-%d %H:%M:%S")))
                        .execute(c)
                        .unwrap()
                }
                bairro::db::DbConn::Pg(c) => {
                    diesel::sql_query(format!("{sql}'{}'", past.format("%Y-%m-%d %H:%M:%S")))
                        .execute(c)
                        .unwrap()
                }
            };
        }
        let (s, b) = confirm(&app, &t2, "+85291234567", &right).await;
        assert_eq!((s, code(&b)), (StatusCode::GONE, "code_expired"), "{b}");
    }
);

verifying!(
    ecash_waits_for_verification_and_arrives_with_it,
    true,
    |app, sinks| {
        let off = app.official().await;
        let c = app.campaign(&off).await;
        let cid = c["id"].as_str().unwrap();
        // E-cash requires a verified visitor by default; a discount does not.
        let claim = {
            let (s, b) = app
            .post(&format!("/campaigns/{cid}/offers"), Some(&off), json!({"name": names("券"), "kind": "ecash", "face_value_avos": 5000,
                "stock": 10, "per_visitor_limit": 1, "valid_days": 30, "trigger": {"type": "claim"}}))
            .await;
            assert_eq!(s, StatusCode::CREATED, "{b}");
            assert_eq!(b["requires_verified"], true);
            b
        };
        let discount = app
        .offer(&off, cid, json!({"kind": "discount", "percent_off": 10, "trigger": {"type": "claim"}, "requires_verified": null}))
        .await;
        assert_eq!(discount["requires_verified"], false);
        let earned = app
        .offer(&off, cid, json!({"trigger": {"type": "checkins", "count": 1}, "stock": 1, "requires_verified": true}))
        .await;
        let p = app.point(&off, cid, json!({})).await;

        let (_, t, _) = visitor_in(&app, "en").await;
        let (s, b) = app
            .post(
                &format!("/offers/{}/claim", claim["id"].as_str().unwrap()),
                Some(&t),
                json!({}),
            )
            .await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::FORBIDDEN, "verification_required")
        );
        let (s, b) = app
            .post(
                &format!("/offers/{}/claim", discount["id"].as_str().unwrap()),
                Some(&t),
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let (s, b) = app
            .check_in(&t, p["payload"].as_str().unwrap(), json!({}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        assert_eq!(b["coupons"].as_array().unwrap().len(), 0, "held back: {b}");
        // A second unverified visitor earns it too; only one coupon is in stock.
        let (_, t2, _) = visitor_in(&app, "en").await;
        let (s, _) = app
            .check_in(&t2, p["payload"].as_str().unwrap(), json!({}))
            .await;
        assert_eq!(s, StatusCode::CREATED);

        let (s, _) = send(&app, &t, "email", "first@example.mo").await;
        assert_eq!(s, StatusCode::ACCEPTED);
        let code1 = sinks.mail_code(0, "first@example.mo").await;
        let (s, b) = confirm(&app, &t, "first@example.mo", &code1).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let coupons = b["coupons"].as_array().unwrap();
        assert_eq!(
            coupons.len(),
            1,
            "the earned coupon arrives at verification: {b}"
        );
        assert_eq!(coupons[0]["offer_id"], earned["id"]);
        let t = b["token"].as_str().unwrap().to_string();
        let (s, b) = app
            .post(
                &format!("/offers/{}/claim", claim["id"].as_str().unwrap()),
                Some(&t),
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");

        // The second verifies after the stock is gone: nothing is issued past it.
        let (s, _) = send(&app, &t2, "sms", "+853 6555 0000").await;
        assert_eq!(s, StatusCode::ACCEPTED);
        let code2 = sinks.text_code(0, "+85365550000").await;
        let (s, b) = confirm(&app, &t2, "+85365550000", &code2).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["coupons"].as_array().unwrap().len(), 0);
        assert_eq!(
            app.count(
                "coupons",
                &format!("offer_id = '{}'", earned["id"].as_str().unwrap())
            ),
            1
        );
    }
);

both!(verification_needs_a_sender, |app| {
    // This server has no SMTP and no SMS gateway, and is not a demo.
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let body = json!({"name": names("券"), "kind": "ecash", "face_value_avos": 5000, "stock": 10,
        "per_visitor_limit": 1, "valid_days": 30, "trigger": {"type": "claim"}});
    let (s, b) = app
        .post(
            &format!("/campaigns/{cid}/offers"),
            Some(&off),
            body.clone(),
        )
        .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "verification_unavailable"),
        "{b}"
    );
    assert!(b["detail"].as_str().unwrap().contains("BAIRRO_SMTP_URL"));
    let mut open = body;
    open["requires_verified"] = json!(false);
    let (s, b) = app
        .post(&format!("/campaigns/{cid}/offers"), Some(&off), open)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (_, v) = app.visitor().await;
    let (s, b) = send(&app, &v, "sms", "66123456").await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "verification_unavailable")
    );
    let (_, st) = app.get("/visitors/verification", Some(&v)).await;
    assert_eq!(
        st,
        json!({"verified": false, "addresses": [], "channels": []})
    );
});

both!(a_token_for_a_visitor_not_held_is_refused, |app| {
    // As after restoring an older backup: a validly signed token names a visitor the
    // database does not hold.
    let keys = bairro::http::auth::JwtKeys::new(&[app.settings.jwt_secrets[0].expose()]);
    let (ghost, _) = keys.issue(
        bairro::http::auth::visitor_claims(&uuid::Uuid::new_v4().to_string()),
        chrono::Duration::days(1),
    );
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let p = app.point(&off, c["id"].as_str().unwrap(), json!({})).await;
    let (s, _) = app
        .check_in(&ghost, p["payload"].as_str().unwrap(), json!({}))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Also a scan that would be refused: no refusal is kept for a visitor not held.
    let (s, b) = app.check_in(&ghost, "not a code", json!({})).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNAUTHORIZED, "unauthorized"),
        "{b}"
    );
    assert_eq!(app.count("checkin_refusals", "1=1"), 0);
    assert_eq!(app.count("checkins", "1=1"), 0);
    for path in ["/me/coupons", "/me/checkins", "/visitors/verification"] {
        let (s, b) = app.get(path, Some(&ghost)).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{path}: {b}");
    }
    let (s, _) = send(&app, &ghost, "sms", "66123456").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
});

both!(check_in_integrity, |app| {
    let off = app.official().await;
    let c = app.campaign(&off).await;
    let cid = c["id"].as_str().unwrap();
    let (_, v) = app.visitor().await;

    // A rotating code two periods old is refused whatever scan time the phone claims.
    let p = app
        .point(&off, cid, json!({"rotating": true, "rotate_seconds": 30}))
        .await;
    let pid = uuid::Uuid::parse_str(p["id"].as_str().unwrap()).unwrap();
    let ring = bairro::domain::payload::KeyRing::new(&[(
        "A".into(),
        app.settings.qr_keys[0].1.expose().as_bytes().to_vec(),
    )]);
    let now = chrono::Utc::now();
    let counter = now.timestamp() / 30;
    let old = ring.rotating_point(pid, counter - 2);
    let claims = [
        None,
        Some(now),
        Some(now - chrono::Duration::seconds(45)),
        Some(now - chrono::Duration::minutes(5)),
        Some(now - chrono::Duration::hours(2)),
    ];
    for claimed in claims {
        let extra = match claimed {
            Some(t) => json!({"scanned_at": t.to_rfc3339()}),
            None => json!({}),
        };
        let (s, b) = app.check_in(&v, &old, extra).await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::GONE, "payload_expired"),
            "claimed {claimed:?}: {b}"
        );
    }
    // Scanned offline and sent late: the visitor is told why.
    let (_, b) = app
        .check_in(
            &v,
            &old,
            json!({"scanned_at": (now - chrono::Duration::seconds(61)).to_rfc3339()}),
        )
        .await;
    assert!(b["detail"].as_str().unwrap().contains("offline"), "{b}");
    assert_eq!(b["reason"], "offline_scan_too_late");
    // The code of the period before is still good.
    let fresh = ring.rotating_point(pid, chrono::Utc::now().timestamp() / 30 - 1);
    let (s, b) = app.check_in(&v, &fresh, json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");

    // New points require a location unless told otherwise.
    let strict = app.point(&off, cid, json!({})).await;
    assert_eq!(strict["requires_location"], true);
    let body = json!({"payload": strict["payload"], "method": "qr"});
    let (s, b) = app.post("/checkins", Some(&v), body).await;
    assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, "location_required"));
    let lax = app
        .point(&off, cid, json!({"requires_location": false}))
        .await;
    assert_eq!(lax["requires_location"], false);
    let (s, b) = app
        .post(
            "/checkins",
            Some(&v),
            json!({"payload": lax["payload"], "method": "qr"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");

    // A nonce answers again for the same code, and is refused with another.
    let (_, v2) = app.visitor().await;
    let (s1, b1) = app
        .check_in(
            &v2,
            strict["payload"].as_str().unwrap(),
            json!({"nonce": "scan-1"}),
        )
        .await;
    assert_eq!(s1, StatusCode::CREATED, "{b1}");
    let (s2, b2) = app
        .check_in(
            &v2,
            strict["payload"].as_str().unwrap(),
            json!({"nonce": "scan-1"}),
        )
        .await;
    assert_eq!(s2, StatusCode::CREATED);
    assert_eq!(b1["checkin"]["id"], b2["checkin"]["id"]);
    let (s, b) = app
        .check_in(
            &v2,
            lax["payload"].as_str().unwrap(),
            json!({"nonce": "scan-1"}),
        )
        .await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "nonce_reused"), "{b}");
    let (s, b) = app
        .check_in(&v2, "not a code", json!({"nonce": "scan-1"}))
        .await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "nonce_reused"), "{b}");
    assert_eq!(app.count("checkins", "nonce = 'scan-1'"), 1);
});

// A device joining its owner's wallet brings its check-ins, but the person still made one
// first visit: exactly one check-in of the wallet counts as `first_visit` (and the visitors
// figure of the statistics counts the person once).
verifying!(
    a_joined_wallet_keeps_one_first_visit,
    false,
    |app, sinks| {
        let off = app.official().await;
        let c = app.campaign(&off).await;
        let cid = c["id"].as_str().unwrap();
        let p1 = app.point(&off, cid, json!({})).await;
        let p2 = app.point(&off, cid, json!({})).await;
        // The first phone checks in at one point and verifies.
        let (a, ta, _) = visitor_in(&app, "en").await;
        let (s, b) = app
            .check_in(&ta, p1["payload"].as_str().unwrap(), json!({}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let (s, _) = send(&app, &ta, "sms", "+853 6688 1234").await;
        assert_eq!(s, StatusCode::ACCEPTED);
        let otp = sinks.text_code(0, "+85366881234").await;
        let (s, b) = confirm(&app, &ta, "+853 6688 1234", &otp).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        // A second device of the same person checks in at another point (its own first visit
        // while it was a stranger), then joins the wallet.
        let (d, td, _) = visitor_in(&app, "en").await;
        let (s, b) = app
            .check_in(&td, p2["payload"].as_str().unwrap(), json!({}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let (s, _) = send(&app, &td, "sms", "+853 6688 1234").await;
        assert_eq!(s, StatusCode::ACCEPTED);
        let otp = sinks.text_code(1, "+85366881234").await;
        let (s, b) = confirm(&app, &td, "+853 6688 1234", &otp).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(
            (b["visitor_id"].as_str(), b["joined"].as_bool()),
            (Some(a.as_str()), Some(true))
        );
        let joined = b["token"].as_str().unwrap().to_string();
        let (_, checkins) = app.get("/me/checkins", Some(&joined)).await;
        assert_eq!(checkins.as_array().unwrap().len(), 2, "{checkins}");
        assert_eq!(
            app.count("checkins", &format!("visitor_id = '{a}' AND first_visit")),
            1,
            "one first visit in the wallet"
        );
        assert_eq!(
            app.count(
                "checkins",
                &format!("campaign_id = '{cid}' AND first_visit AND visitor_id IN ('{a}', '{d}')")
            ),
            1,
            "one first visit for the person"
        );
        let (s, st) = app
            .get(&format!("/campaigns/{cid}/stats"), Some(&off))
            .await;
        assert_eq!(s, StatusCode::OK, "{st}");
        assert_eq!(st["funnel"]["visitors"], 1, "{st}");
        assert_eq!(st["funnel"]["checkins"], 2, "{st}");
    }
);

verifying!(
    a_wallet_checking_in_while_a_device_joins_it_counts_each_point_once,
    false,
    |app, sinks| {
        let off = app.official().await;
        let c = app.campaign(&off).await;
        let cid = c["id"].as_str().unwrap();
        let (a, ta, _) = visitor_in(&app, "en").await;
        let (s, _) = send(&app, &ta, "sms", "+853 6677 4321").await;
        assert_eq!(s, StatusCode::ACCEPTED);
        let otp = sinks.text_code(0, "+85366774321").await;
        let (s, b) = confirm(&app, &ta, "+853 6677 4321", &otp).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let mut points_so_far = 0usize;
        // Several rounds, each with fresh points: a new device of the same person checks in at
        // all of them, then joins the wallet while the wallet checks in at the same points.
        for round in 0..4usize {
            let mut payloads = Vec::new();
            for _ in 0..10 {
                let p = app.point(&off, cid, json!({})).await;
                payloads.push(p["payload"].as_str().unwrap().to_string());
            }
            let (d, td, _) = visitor_in(&app, "en").await;
            for p in &payloads {
                let (s, b) = app.check_in(&td, p, json!({})).await;
                assert_eq!(s, StatusCode::CREATED, "{b}");
            }
            let (s, _) = send(&app, &td, "sms", "66774321").await;
            assert_eq!(s, StatusCode::ACCEPTED);
            let otp = sinks.text_code(round + 1, "+85366774321").await;
            let (joined, scans) = tokio::join!(
                confirm(&app, &td, "6677 4321", &otp),
                futures::future::join_all(payloads.iter().map(|p| app.check_in(&ta, p, json!({}))))
            );
            assert_eq!(joined.0, StatusCode::OK, "{}", joined.1);
            assert_eq!(joined.1["joined"], true, "{}", joined.1);
            let mut stamped = 0;
            for (s, b) in &scans {
                match *s {
                    StatusCode::CREATED => stamped += 1,
                    StatusCode::CONFLICT => assert_eq!(code(b), "already_checked_in", "{b}"),
                    other => panic!("round {round}: a check-in answered {other}: {b}"),
                }
            }
            // Each point once in the wallet: scanned by the wallet itself or moved in with the
            // device; what the wallet already had stays behind with the device.
            points_so_far += payloads.len();
            assert_eq!(
                app.count("checkins", &format!("visitor_id = '{a}'")),
                points_so_far as i64,
                "round {round}"
            );
            assert_eq!(
                app.count("checkins", &format!("visitor_id = '{d}'")),
                stamped,
                "round {round}: the device keeps the check-ins the wallet made itself"
            );
            assert_eq!(
                app.count("checkins", &format!("visitor_id = '{a}' AND first_visit")),
                1,
                "round {round}"
            );
            if app.backend == Backend::Postgres {
                assert_eq!(
                    app.text(&format!(
                        "SELECT cardinality(points)::text AS v FROM stamp_cards \
                         WHERE visitor_id = '{a}' AND campaign_id = '{cid}'"
                    )),
                    points_so_far.to_string(),
                    "round {round}: the wallet's card"
                );
            }
        }
        // The wallet's next stamp counts on from all of them.
        let p = app.point(&off, cid, json!({})).await;
        let (s, b) = app
            .check_in(&ta, p["payload"].as_str().unwrap(), json!({}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        assert_eq!(b["stamps"]["count"], points_so_far as i64 + 1, "{b}");
    }
);
