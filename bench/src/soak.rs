//! `bairro-bench soak`: one `bairro serve` under mixed load for a long time, its resident
//! memory sampled every few seconds. Fails when the peak passes the limit (100 MB), when any
//! answer is a 5xx, or when a page view answered 202 is missing from the database after the
//! server stopped.
//!
//! The load goes through the HTTP API only, like users: an official sets up a campaign (points,
//! offers open to unverified visitors, four enrolled merchants); then `--connections` clients
//! loop over a weighted mix of page views, visitor journeys (sign-up, check-ins, a claim, the
//! merchant redeeming the coupon, sometimes a replay of the same key or a void then a replay),
//! officials' statistics and exports, and junk a schema fuzzer sends (unknown routes and
//! methods, malformed and oversized bodies, control characters, out-of-range numbers and
//! dates, forged tokens). A separate clock logs staff in (and strangers fail to) every two seconds.
//! Rate limits are on, and every client request carries a random `X-Forwarded-For` address
//! (the server trusts 127.0.0.1 as its proxy), so the per-address limiter state sees millions
//! of addresses as it would on the internet.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;
use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::{json, Value};

use crate::runner::{free_port, Server};

#[derive(Args)]
pub struct SoakArgs {
    /// The database: sqlite://PATH (created) or an empty postgres://… database.
    #[arg(long)]
    database_url: String,
    /// Minutes of load.
    #[arg(long, default_value_t = 60.0)]
    minutes: f64,
    /// Concurrent clients.
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// Requests per second in all (0: as fast as the clients go).
    #[arg(long, default_value_t = 0)]
    rate: u32,
    /// Seconds between two RSS samples.
    #[arg(long, default_value_t = 5)]
    sample_seconds: u64,
    /// Resident memory the server must stay under, MB (10^6 bytes).
    #[arg(long, default_value_t = 100.0)]
    limit_mb: f64,
    #[arg(long, default_value = "target/release")]
    bin_dir: PathBuf,
    #[arg(long, default_value = "target/soak")]
    work_dir: PathBuf,
    /// Where the Markdown report goes.
    #[arg(long, default_value = "bench/results/soak.md")]
    out: PathBuf,
    /// The command line to quote in the report.
    #[arg(long, default_value = "bench/soak.sh")]
    command_line: String,
}

const MERCHANT_PASSWORD: &str = "soak-merchant-password-7";

/// What the clients need to know about the campaign they load.
struct Setup {
    campaign_id: String,
    slug: String,
    points: Vec<(String, f64, f64)>,
    claim_offers: Vec<String>,
    merchants: Vec<(String, String)>,
    official: String,
}

/// Answers by kind of request and status.
#[derive(Default)]
struct Tally {
    by_kind: BTreeMap<&'static str, BTreeMap<u16, u64>>,
    /// Page views answered 202.
    pageviews: u64,
    /// Transport errors (connection refused, timeouts) by kind.
    failed: BTreeMap<&'static str, u64>,
    /// The first few 5xx, to quote.
    server_errors: Vec<String>,
}

impl Tally {
    fn total(&self) -> u64 {
        self.by_kind.values().flat_map(|m| m.values()).sum::<u64>()
            + self.failed.values().sum::<u64>()
    }

    fn fivexx(&self) -> u64 {
        self.by_kind
            .values()
            .flat_map(|m| m.iter())
            .filter(|(s, _)| **s >= 500)
            .map(|(_, n)| n)
            .sum()
    }
}

#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    base: String,
    tally: Arc<Mutex<Tally>>,
}

struct Answer {
    status: u16,
    body: Value,
}

fn random_ip(r: &mut impl Rng) -> String {
    if r.gen_bool(0.2) {
        format!(
            "2001:db8:{:x}:{:x}::{:x}",
            r.gen::<u16>(),
            r.gen::<u16>(),
            r.gen::<u16>()
        )
    } else {
        format!(
            "{}.{}.{}.{}",
            r.gen_range(1..224),
            r.gen::<u8>(),
            r.gen::<u8>(),
            r.gen_range(1..255)
        )
    }
}

impl Client {
    /// One request; the answer is tallied under `kind`.
    async fn call(
        &self,
        kind: &'static str,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Body>,
        ip: &str,
    ) -> Option<Answer> {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut rq = self
            .http
            .request(m, format!("{}{path}", self.base))
            .header("X-Forwarded-For", ip);
        if let Some(t) = token {
            rq = rq.bearer_auth(t);
        }
        rq = match body {
            Some(Body::Json(v)) => rq.json(&v),
            Some(Body::Raw(b)) => rq.header("Content-Type", "application/json").body(b),
            None => rq,
        };
        match rq.send().await {
            Ok(res) => {
                let status = res.status().as_u16();
                let bytes = res.bytes().await.unwrap_or_default();
                let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                let mut t = self.tally.lock().expect("tally");
                *t.by_kind
                    .entry(kind)
                    .or_default()
                    .entry(status)
                    .or_default() += 1;
                if status == 202 && kind == "page view" {
                    t.pageviews += 1;
                }
                if status >= 500 && t.server_errors.len() < 20 {
                    t.server_errors.push(format!(
                        "{status} {method} {path}: {}",
                        String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
                    ));
                }
                Some(Answer { status, body })
            }
            Err(_) => {
                *self
                    .tally
                    .lock()
                    .expect("tally")
                    .failed
                    .entry(kind)
                    .or_default() += 1;
                None
            }
        }
    }
}

enum Body {
    Json(Value),
    Raw(Vec<u8>),
}

fn names(s: &str) -> Value {
    json!({"zh-Hant": format!("{s}（測試）"), "pt": format!("{s} (teste)"), "en": s})
}

async fn must(c: &Client, method: &str, path: &str, token: Option<&str>, body: Value) -> Value {
    let a = c
        .call(
            "setup",
            method,
            path,
            token,
            Some(Body::Json(body)),
            "127.0.0.1",
        )
        .await
        .unwrap_or_else(|| panic!("{method} {path}: no answer"));
    assert!(
        a.status < 300,
        "setup {method} {path}: HTTP {} {}",
        a.status,
        a.body
    );
    a.body
}

async fn setup(c: &Client, admin_password: &str) -> Setup {
    let off = must(
        c,
        "POST",
        "/api/v1/auth/login",
        None,
        json!({"username": "admin", "password": admin_password}),
    )
    .await["token"]
        .as_str()
        .expect("official token")
        .to_string();
    let now = chrono::Utc::now();
    let slug = format!("soak-{}", std::process::id());
    let camp = must(
        c,
        "POST",
        "/api/v1/campaigns",
        Some(&off),
        json!({"slug": slug, "name": names("Soak"), "district": "Taipa",
               "starts_at": (now - chrono::Duration::days(1)).to_rfc3339(),
               "ends_at": (now + chrono::Duration::days(30)).to_rfc3339()}),
    )
    .await;
    let cid = camp["id"].as_str().expect("campaign id").to_string();
    let mut points = Vec::new();
    for i in 0..6 {
        let (lat, lng) = (
            22.153 + f64::from(i) * 0.0007,
            113.556 + f64::from(i) * 0.0005,
        );
        let p = must(
            c,
            "POST",
            &format!("/api/v1/campaigns/{cid}/points"),
            Some(&off),
            json!({"name": names(&format!("Point {i}")), "kind": "qr", "lat": lat, "lng": lng, "radius_m": 80}),
        )
        .await;
        points.push((
            p["payload"].as_str().expect("payload").to_string(),
            lat,
            lng,
        ));
    }
    let mut claim_offers = Vec::new();
    for (kind, extra) in [
        (
            "ecash",
            json!({"face_value_avos": 2000, "min_spend_avos": 0}),
        ),
        (
            "discount",
            json!({"percent_off": 10, "max_discount_avos": 3000, "min_spend_avos": 0}),
        ),
    ] {
        let mut o = json!({"name": names(&format!("Claim {kind}")), "kind": kind, "stock": 1_000_000,
            "per_visitor_limit": 1, "valid_days": 30, "trigger": {"type": "claim"}, "requires_verified": false});
        for (k, v) in extra.as_object().expect("fields") {
            o[k] = v.clone();
        }
        let o = must(
            c,
            "POST",
            &format!("/api/v1/campaigns/{cid}/offers"),
            Some(&off),
            o,
        )
        .await;
        claim_offers.push(o["id"].as_str().expect("offer id").to_string());
    }
    must(
        c,
        "POST",
        &format!("/api/v1/campaigns/{cid}/offers"),
        Some(&off),
        json!({"name": names("Two stamps"), "kind": "discount", "percent_off": 5, "max_discount_avos": 1000,
               "min_spend_avos": 0, "stock": 1_000_000, "per_visitor_limit": 1, "valid_days": 30,
               "trigger": {"type": "checkins", "count": 2}, "requires_verified": false}),
    )
    .await;
    must(
        c,
        "POST",
        &format!("/api/v1/campaigns/{cid}/publish"),
        Some(&off),
        json!({}),
    )
    .await;
    let mut merchants = Vec::new();
    for i in 0..4 {
        let user = format!("soak-merchant-{i}");
        must(
            c,
            "POST",
            "/api/v1/merchants",
            Some(&off),
            json!({"name": names(&format!("Shop {i}")), "category": "food", "address": format!("Rua do Cunha {i}"),
                   "lat": 22.153, "lng": 113.556, "username": user, "password": MERCHANT_PASSWORD}),
        )
        .await;
        let tok = must(
            c,
            "POST",
            "/api/v1/auth/login",
            None,
            json!({"username": user, "password": MERCHANT_PASSWORD}),
        )
        .await["token"]
            .as_str()
            .expect("merchant token")
            .to_string();
        let e = must(
            c,
            "POST",
            &format!("/api/v1/campaigns/{cid}/enrolments"),
            Some(&tok),
            json!({}),
        )
        .await;
        must(
            c,
            "POST",
            &format!(
                "/api/v1/enrolments/{}/approve",
                e["id"].as_str().expect("id")
            ),
            Some(&off),
            json!({}),
        )
        .await;
        merchants.push((user, tok));
    }
    Setup {
        campaign_id: cid,
        slug,
        points,
        claim_offers,
        merchants,
        official: off,
    }
}

const REFS: [&str; 8] = [
    "ig-macau",
    "fb_page",
    "kol.ana",
    "新聞",
    "wechat-1",
    "poster~a6",
    "radio",
    "bus-stop",
];

/// A visitor's whole visit: sign-up, check-ins, a claim, the coupon redeemed at a shop, and
/// sometimes the till's retry with the same key, or a void and then the retry.
async fn journey(c: &Client, s: &Setup, r: &mut rand::rngs::StdRng) {
    let ip = random_ip(r);
    let reff = REFS.choose(r).copied();
    let Some(a) = c
        .call(
            "sign-up",
            "POST",
            "/api/v1/visitors",
            None,
            Some(Body::Json(json!({"ref": reff, "locale": "pt"}))),
            &ip,
        )
        .await
    else {
        return;
    };
    let Some(v) = a.body["token"].as_str().map(str::to_string) else {
        return;
    };
    let mut pts: Vec<_> = s.points.iter().collect();
    pts.shuffle(r);
    for (payload, lat, lng) in pts.iter().take(r.gen_range(1..=3)) {
        c.call(
            "check-in",
            "POST",
            "/api/v1/checkins",
            Some(&v),
            Some(Body::Json(
                json!({"payload": payload, "method": "qr", "lat": lat, "lng": lng,
                "nonce": uuid::Uuid::new_v4().to_string()}),
            )),
            &ip,
        )
        .await;
    }
    let offer = s.claim_offers.choose(r).expect("offer");
    let Some(a) = c
        .call(
            "claim",
            "POST",
            &format!("/api/v1/offers/{offer}/claim"),
            Some(&v),
            None,
            &ip,
        )
        .await
    else {
        return;
    };
    if r.gen_bool(0.2) {
        c.call("wallet", "GET", "/api/v1/me/coupons", Some(&v), None, &ip)
            .await;
    }
    let Some(code) = a.body["code"].as_str().map(str::to_string) else {
        return;
    };
    let (_, m) = s.merchants.choose(r).expect("merchant");
    let key = uuid::Uuid::new_v4().to_string();
    let body =
        json!({"coupon": code, "spend_avos": r.gen_range(5_000..60_000), "idempotency_key": key});
    let Some(a) = c
        .call(
            "redemption",
            "POST",
            "/api/v1/redemptions",
            Some(m),
            Some(Body::Json(body.clone())),
            &ip,
        )
        .await
    else {
        return;
    };
    if a.status != 201 {
        return;
    }
    if r.gen_bool(0.05) {
        if let Some(id) = a.body["redemption"]["id"].as_str() {
            c.call(
                "void",
                "POST",
                &format!("/api/v1/redemptions/{id}/void"),
                Some(m),
                None,
                &ip,
            )
            .await;
        }
        c.call(
            "replay",
            "POST",
            "/api/v1/redemptions",
            Some(m),
            Some(Body::Json(body)),
            &ip,
        )
        .await;
    } else if r.gen_bool(0.1) {
        c.call(
            "replay",
            "POST",
            "/api/v1/redemptions",
            Some(m),
            Some(Body::Json(body)),
            &ip,
        )
        .await;
    }
}

async fn pageview(c: &Client, s: &Setup, r: &mut rand::rngs::StdRng) {
    let campaign = if r.gen_bool(0.5) {
        &s.slug
    } else {
        &s.campaign_id
    };
    let path = format!(
        "/c/{}/{}",
        s.slug,
        ["", "map", "offers", "shops"]
            .choose(r)
            .copied()
            .unwrap_or("")
    );
    let reff = if r.gen_bool(0.7) {
        REFS.choose(r).map(|x| Value::from(*x))
    } else {
        None
    };
    c.call(
        "page view",
        "POST",
        "/api/v1/pageviews",
        None,
        Some(Body::Json(
            json!({"campaign": campaign, "path": path, "ref": reff}),
        )),
        &random_ip(r),
    )
    .await;
}

async fn statistics(c: &Client, s: &Setup, r: &mut rand::rngs::StdRng) {
    let cid = &s.campaign_id;
    let paths = [
        format!("/api/v1/campaigns/{cid}/stats"),
        "/api/v1/stats/overview".to_string(),
        format!("/api/v1/campaigns/{cid}/stats.csv"),
        "/api/v1/campaigns".to_string(),
        format!("/api/v1/campaigns/{}", s.slug),
        "/api/v1/audit".to_string(),
    ];
    let p = paths.choose(r).expect("path");
    c.call("statistics", "GET", p, Some(&s.official), None, "127.0.0.1")
        .await;
}

/// What a schema fuzzer or a careless client sends.
async fn junk(c: &Client, s: &Setup, r: &mut rand::rngs::StdRng) {
    let ip = random_ip(r);
    let (_, m) = s.merchants.choose(r).expect("merchant");
    let word: String = (0..r.gen_range(1..24))
        .map(|_| char::from(r.gen_range(b'a'..=b'z')))
        .collect();
    let cid = &s.campaign_id;
    match r.gen_range(0..14) {
        0 => {
            c.call("junk", "GET", &format!("/api/v1/{word}/{}", uuid::Uuid::new_v4()), None, None, &ip)
                .await
        }
        1 => {
            let method = ["FOO", "BREW", "PROPFIND", "X-ANY"].choose(r).copied().unwrap_or("FOO");
            c.call("junk", method, "/api/v1/campaigns", None, None, &ip).await
        }
        2 => {
            c.call(
                "junk",
                "GET",
                &format!("/api/v1/merchant/redemptions?page={}&per_page={}", i64::MAX, r.gen::<i32>()),
                Some(m),
                None,
                &ip,
            )
            .await
        }
        3 => {
            c.call(
                "junk",
                "POST",
                &format!("/api/v1/campaigns/{cid}/settlements"),
                Some(&s.official),
                Some(Body::Json(json!({"from": "-262143-01-01", "to": "+262142-12-31"}))),
                &ip,
            )
            .await
        }
        4 => {
            let len = r.gen_range(1..200_000);
            let raw: Vec<u8> = (0..len).map(|_| r.gen()).collect();
            c.call("junk", "POST", "/api/v1/checkins", None, Some(Body::Raw(raw)), &ip)
                .await
        }
        5 => {
            c.call(
                "junk",
                "POST",
                "/api/v1/pageviews",
                None,
                Some(Body::Json(json!({"campaign": s.slug, "path": "/x", "ref": format!("=HYPERLINK(\"{word}\")\u{0}")}))),
                &ip,
            )
            .await
        }
        6 => {
            c.call(
                "junk",
                "POST",
                "/api/v1/pageviews",
                None,
                Some(Body::Json(json!({"campaign": uuid::Uuid::new_v4().to_string(), "path": "/"}))),
                &ip,
            )
            .await
        }
        7 => {
            c.call(
                "junk",
                "GET",
                "/api/v1/me/coupons",
                Some(&format!("ey{word}.ey{word}.{word}")),
                None,
                &ip,
            )
            .await
        }
        8 => {
            c.call(
                "junk",
                "GET",
                &format!("/api/v1/campaigns?page=-1&per_page={word}&status=%00{word}"),
                None,
                None,
                &ip,
            )
            .await
        }
        9 => {
            c.call("junk", "GET", &format!("/s/{word}"), None, None, &ip)
                .await
        }
        10 => {
            c.call("junk", "GET", &format!("/{word}/{word}?q={word}"), None, None, &ip)
                .await
        }
        11 => {
            c.call(
                "junk",
                "POST",
                "/api/v1/redemptions",
                Some(m),
                Some(Body::Json(json!({"coupon": word, "spend_avos": -1, "idempotency_key": "\u{7}"}))),
                &ip,
            )
            .await
        }
        12 => {
            c.call(
                "junk",
                "POST",
                &format!("/api/v1/campaigns/{cid}/points"),
                Some(&s.official),
                Some(Body::Json(json!({"name": {"en": word}, "kind": "qr", "lat": 1e308, "lng": f64::MIN_POSITIVE}))),
                &ip,
            )
            .await
        }
        _ => {
            c.call(
                "junk",
                "POST",
                "/api/v1/visitors/verification",
                None,
                Some(Body::Json(json!({"channel": "sms", "address": format!("+853{}", r.gen_range(60_000_000..69_999_999))}))),
                &ip,
            )
            .await
        }
    };
}

/// Staff logins on their own clock: a good login every two seconds, in turn over the
/// merchants (under the per-account allowance), and a stranger's failed login with each.
async fn logins(c: Client, merchants: Vec<String>, stop: Arc<AtomicBool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    let mut i = 0usize;
    let mut r = rand::rngs::StdRng::from_entropy();
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        let user = &merchants[i % merchants.len()];
        i += 1;
        let ip = random_ip(&mut r);
        c.call(
            "login",
            "POST",
            "/api/v1/auth/login",
            None,
            Some(Body::Json(
                json!({"username": user, "password": MERCHANT_PASSWORD}),
            )),
            &ip,
        )
        .await;
        c.call(
            "login (wrong)",
            "POST",
            "/api/v1/auth/login",
            None,
            Some(Body::Json(json!({"username": format!("nobody-{}", r.gen::<u32>()), "password": "not-the-password"}))),
            &ip,
        )
        .await;
    }
}

use rand::SeedableRng;

async fn client_loop(c: Client, s: Arc<Setup>, stop: Arc<AtomicBool>, pace: Option<Duration>) {
    let mut r = rand::rngs::StdRng::from_entropy();
    let mut tick = pace.map(|p| {
        let mut t = tokio::time::interval(p);
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        t
    });
    while !stop.load(Ordering::Relaxed) {
        if let Some(t) = tick.as_mut() {
            t.tick().await;
        }
        match r.gen_range(0..100) {
            0..=44 => pageview(&c, &s, &mut r).await,
            45..=59 => journey(&c, &s, &mut r).await,
            60..=71 => statistics(&c, &s, &mut r).await,
            _ => junk(&c, &s, &mut r).await,
        }
    }
}

fn mb(kib: u64) -> f64 {
    kib as f64 * 1024.0 / 1e6
}

pub fn run(a: SoakArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&a.work_dir)?;
    let admin_password = crate::ADMIN_PASSWORD;
    let port = free_port()?;
    let mut cmd = Command::new(a.bin_dir.join("bairro"));
    cmd.args([
        "serve",
        "--bind",
        &format!("127.0.0.1:{port}"),
        "--database-url",
        &a.database_url,
        "--trusted-proxies",
        "127.0.0.1",
    ]);
    crate::server_env(&mut cmd);
    let log = a.work_dir.join("soak-server.log");
    let server = Server::start("bairro", cmd, port, &log)?;
    let (_, rss_start) = server.rss_kib();
    println!(
        "== bairro serve on 127.0.0.1:{port} (pid {}), {:.1} MB resident after start-up",
        server.pid(),
        mb(rss_start)
    );

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let client = Client {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(a.connections + 2)
            .build()?,
        base: format!("http://127.0.0.1:{port}"),
        tally: Default::default(),
    };
    let s = Arc::new(rt.block_on(setup(&client, admin_password)));
    println!(
        "== campaign {} ({} points, {} claim offers, {} merchants); load for {} min with {} clients{}",
        s.slug,
        s.points.len(),
        s.claim_offers.len(),
        s.merchants.len(),
        a.minutes,
        a.connections,
        if a.rate > 0 {
            format!(" at about {} requests/s", a.rate)
        } else {
            String::new()
        }
    );

    let stop = Arc::new(AtomicBool::new(false));
    let pid = server.pid();
    let samples: Arc<Mutex<Vec<(f64, u64)>>> = Default::default();
    let t0 = Instant::now();
    let total = Duration::from_secs_f64(a.minutes * 60.0);
    let pace =
        (a.rate > 0).then(|| Duration::from_secs_f64(a.connections as f64 / f64::from(a.rate)));
    let crashed = rt.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..a.connections {
            tasks.push(tokio::spawn(client_loop(
                client.clone(),
                s.clone(),
                stop.clone(),
                pace,
            )));
        }
        tasks.push(tokio::spawn(logins(
            client.clone(),
            s.merchants.iter().map(|m| m.0.clone()).collect(),
            stop.clone(),
        )));
        let mut tick = tokio::time::interval(Duration::from_secs(a.sample_seconds));
        let mut last_print = 0u64;
        let mut crashed = false;
        while t0.elapsed() < total {
            tick.tick().await;
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            let rss = status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok());
            let Some(rss) = rss else {
                crashed = true;
                break;
            };
            let t = t0.elapsed().as_secs_f64();
            samples.lock().expect("samples").push((t, rss));
            if t as u64 / 60 != last_print {
                last_print = t as u64 / 60;
                let n = client.tally.lock().expect("tally").total();
                println!(
                    "  {:>5.1} min  RSS {:>6.1} MB  {} requests ({:.0}/s)",
                    t / 60.0,
                    mb(rss),
                    n,
                    n as f64 / t
                );
            }
        }
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            let _ = tokio::time::timeout(Duration::from_secs(60), t).await;
        }
        crashed
    });
    let elapsed = t0.elapsed().as_secs_f64();
    let (hwm, rss_final) = server.rss_kib();
    if crashed {
        anyhow::bail!("the server exited during the soak; see {}", log.display());
    }
    server.stop()?;

    // Every page view answered 202 must be in the database after the graceful stop.
    let (pool, _) = bairro::db::connect(&a.database_url, Some(1))?;
    let mut conn = pool.get()?;
    let rows = crate::verify::pageviews_since(
        &mut conn,
        &s.campaign_id,
        chrono::NaiveDate::from_ymd_opt(2000, 1, 1).expect("date"),
    )?;
    let doubles = crate::verify::double_redemptions(
        &mut conn,
        chrono::NaiveDate::from_ymd_opt(2000, 1, 1).expect("date"),
    )?;

    let samples = samples.lock().expect("samples").clone();
    let tally = client.tally.lock().expect("tally");
    let peak = samples.iter().map(|s| s.1).max().unwrap_or(0).max(hwm);
    let limit_kib = (a.limit_mb * 1e6 / 1024.0) as u64;
    let fivexx = tally.fivexx();
    let ok_mem = peak <= limit_kib;
    let ok_pv = rows as u64 == tally.pageviews;
    let ok = ok_mem && fivexx == 0 && ok_pv && doubles == 0;

    let md = report(
        &a,
        &tally,
        &samples,
        Report {
            elapsed,
            rss_start,
            peak,
            rss_final,
            pageview_rows: rows,
            doubles,
            ok_mem,
            ok_pv,
        },
    );
    println!("\n{md}");
    if let Some(d) = a.out.parent() {
        std::fs::create_dir_all(d)?;
    }
    std::fs::write(&a.out, &md)?;
    if !ok {
        anyhow::bail!(
            "soak failed: peak RSS {:.1} MB (limit {} MB), {fivexx} answers 5xx, page views {rows} rows for {} answered 202, {doubles} double redemptions",
            mb(peak),
            a.limit_mb,
            tally.pageviews
        );
    }
    Ok(())
}

struct Report {
    elapsed: f64,
    rss_start: u64,
    peak: u64,
    rss_final: u64,
    pageview_rows: i64,
    doubles: i64,
    ok_mem: bool,
    ok_pv: bool,
}

fn report(a: &SoakArgs, t: &Tally, samples: &[(f64, u64)], r: Report) -> String {
    use std::fmt::Write;
    let mut md = String::new();
    let backend = if a.database_url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let _ = writeln!(md, "# Bairro memory soak: latest results\n");
    let _ = writeln!(md, "- command: `{}`", a.command_line);
    let _ = writeln!(
        md,
        "- date: {}; code: {}",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        crate::git_describe()
    );
    let _ = writeln!(
        md,
        "- {backend}; one `bairro serve` (release, rate limits on, 127.0.0.1 trusted as proxy, a random client address per visitor); {} clients{}; {cores} cores shared with the clients and the database",
        a.connections,
        if a.rate > 0 { format!(", paced at about {} requests/s", a.rate) } else { ", unpaced".into() }
    );
    let total = t.total();
    let _ = writeln!(
        md,
        "- {:.1} minutes of load, {} requests ({:.0}/s), RSS sampled every {} s\n",
        r.elapsed / 60.0,
        total,
        total as f64 / r.elapsed.max(1.0),
        a.sample_seconds
    );
    let verdict = |b: bool| if b { "✅" } else { "❌" };
    let _ = writeln!(md, "| resident memory (VmRSS) | MB |\n|---|---:|");
    let _ = writeln!(md, "| after start-up | {:.1} |", mb(r.rss_start));
    for minute in [1.0, 5.0, 10.0, 20.0, 30.0, 40.0, 50.0] {
        if let Some(s) = samples.iter().find(|s| s.0 >= minute * 60.0) {
            let _ = writeln!(md, "| after {minute:.0} min | {:.1} |", mb(s.1));
        }
    }
    let _ = writeln!(md, "| final (end of load) | {:.1} |", mb(r.rss_final));
    let _ = writeln!(
        md,
        "| **peak** (highest sample or VmHWM) | **{:.1}** {} limit {} |",
        mb(r.peak),
        verdict(r.ok_mem),
        a.limit_mb
    );
    // Growth over the second half: what a leak would show.
    let half = r.elapsed / 2.0;
    let second: Vec<_> = samples.iter().filter(|s| s.0 >= half).collect();
    if let (Some(f), Some(l)) = (second.first(), second.last()) {
        let _ = writeln!(
            md,
            "| change over the second half ({:.0} → {:.0} min) | {:+.1} |",
            f.0 / 60.0,
            l.0 / 60.0,
            mb(l.1) - mb(f.1)
        );
    }
    let _ = writeln!(
        md,
        "\n| requests | answers by status | transport errors |\n|---|---|---:|"
    );
    for (kind, m) in &t.by_kind {
        let answers = m
            .iter()
            .map(|(s, n)| format!("{s}×{n}"))
            .collect::<Vec<_>>()
            .join(" ");
        let _ = writeln!(
            md,
            "| {kind} | {answers} | {} |",
            t.failed.get(kind).copied().unwrap_or(0)
        );
    }
    let _ = writeln!(md, "\n| check | result |\n|---|---|");
    let _ = writeln!(
        md,
        "| no 5xx answer | {} {} |",
        verdict(t.fivexx() == 0),
        t.fivexx()
    );
    let _ = writeln!(
        md,
        "| page views answered 202 = rows after the graceful stop | {} {} rows for {} |",
        verdict(r.ok_pv),
        r.pageview_rows,
        t.pageviews
    );
    let _ = writeln!(
        md,
        "| no coupon with two live redemptions | {} {} |",
        verdict(r.doubles == 0),
        r.doubles
    );
    if !t.server_errors.is_empty() {
        let _ = writeln!(md, "\nFirst server errors:\n");
        for e in &t.server_errors {
            let _ = writeln!(md, "- `{e}`");
        }
    }
    md
}
