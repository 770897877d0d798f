//! Helpers for the tests that run the real `bairro` binary: start it on a free port against a
//! given database, capture its log, kill it (SIGKILL) or stop it (SIGTERM), and count rows in
//! the database it used.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::RunQueryDsl;
use reqwest::StatusCode;
use serde_json::{json, Value};

pub const JWT: &str = "reliability-jwt-secret-0123456789abcdef";
pub const QR_A: &str = "reliability-qr-secret-A-0123456789abcdef";
pub const ADMIN_PW: &str = "reliability-admin-pw-42";

/// A free TCP port on 127.0.0.1 (bound and released; good enough for a test).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Server {
    child: Option<Child>,
    pub base: String,
    log: Arc<Mutex<String>>,
}

/// Environment of a run: the three secrets, and anything else the test wants.
pub fn env(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = vec![
        ("BAIRRO_JWT_SECRET".into(), JWT.into()),
        ("BAIRRO_QR_KEYS".into(), format!("A:{QR_A}")),
        ("BAIRRO_ADMIN_PASSWORD".into(), ADMIN_PW.into()),
    ];
    for (k, val) in extra {
        v.retain(|(kk, _)| kk != k);
        v.push((k.to_string(), val.to_string()));
    }
    v
}

impl Server {
    /// Starts `bairro serve` and waits until `/healthz` answers 200 (30 s at most).
    pub async fn start(db_url: &str, env: &[(String, String)], extra_args: &[&str]) -> Server {
        let port = free_port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_bairro"));
        cmd.args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            db_url,
        ])
        .args(extra_args);
        for k in [
            "DATABASE_URL",
            "BAIRRO_BIND",
            "BAIRRO_JWT_SECRET",
            "BAIRRO_JWT_PREVIOUS_SECRETS",
            "BAIRRO_QR_KEYS",
            "BAIRRO_ADMIN_PASSWORD",
            "BAIRRO_LOG",
            "BAIRRO_NO_RATE_LIMITS",
        ] {
            cmd.env_remove(k);
        }
        cmd.env("BAIRRO_WORKERS", "2");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("bairro starts");
        let log = Arc::new(Mutex::new(String::new()));
        for mut pipe in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    log.lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            });
        }
        let mut s = Server {
            child: Some(child),
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap();
        let started = Instant::now();
        loop {
            if let Ok(r) = client.get(format!("{}/healthz", s.base)).send().await {
                if r.status() == StatusCode::OK {
                    break;
                }
            }
            if let Some(status) = s.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("bairro exited with {status}: {}", s.logs());
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "bairro did not answer /healthz within 30 s: {}",
                s.logs()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        s
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().unwrap().id() as i32
    }

    pub fn logs(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// SIGKILL, then reap.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM without waiting.
    pub fn term(&self) {
        let pid = self.pid();
        // SAFETY: signalling our own child process by its id.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
    }

    /// Waits for the process to exit (after `term`), at most `limit`; returns whether it did.
    pub async fn wait_exit(&mut self, limit: Duration) -> bool {
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Some(c) = self.child.as_mut() {
                if c.try_wait().unwrap().is_some() {
                    self.child = None;
                    // Let the reader threads take the last lines.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    return true;
                }
            } else {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        false
    }

    /// Stops gracefully (SIGTERM) and waits for the exit.
    pub async fn stop(&mut self) {
        self.term();
        assert!(
            self.wait_exit(Duration::from_secs(20)).await,
            "bairro did not stop within 20 s of SIGTERM"
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A small HTTP client for a running server.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub client: reqwest::Client,
}

impl Api {
    pub fn new(base: &str) -> Api {
        Api {
            base: base.to_string(),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .pool_max_idle_per_host(64)
                .build()
                .unwrap(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("/healthz") || path.starts_with("/api") {
            format!("{}{path}", self.base)
        } else {
            format!("{}/api/v1{path}", self.base)
        }
    }

    /// `Err` when no answer came (connection refused or reset, timeout).
    pub async fn try_call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Result<(StatusCode, Value), String> {
        let mut rb = self.client.request(method, self.url(path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.map_err(|e| e.to_string())?;
        let s = r.status();
        let text = r.text().await.map_err(|e| e.to_string())?;
        Ok((
            s,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        ))
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.try_call(reqwest::Method::POST, path, token, Some(body))
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.try_call(reqwest::Method::GET, path, token, None)
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    pub async fn login(&self, user: &str, pw: &str) -> String {
        let (s, b) = self
            .post(
                "/auth/login",
                None,
                json!({"username": user, "password": pw}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "login {user}: {b}");
        b["token"].as_str().unwrap().to_string()
    }

    pub async fn visitor(&self) -> (String, String) {
        let (s, b) = self.post("/visitors", None, json!({"locale": "en"})).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        (
            b["visitor_id"].as_str().unwrap().into(),
            b["token"].as_str().unwrap().into(),
        )
    }

    /// Expects `want`, returns the body.
    pub async fn ok(&self, path: &str, token: &str, body: Value, want: StatusCode) -> Value {
        let (s, b) = self.post(path, Some(token), body).await;
        assert_eq!(s, want, "POST {path}: {b}");
        b
    }
}

/// A published campaign, `points` static points, an offer (claim) of `stock`, and a merchant
/// enrolled and approved; returns (campaign id, point payloads, offer id, merchant token).
pub struct World {
    pub official: String,
    pub campaign: String,
    pub payloads: Vec<String>,
    pub offer: String,
    pub merchant: String,
}

pub async fn world(api: &Api, points: usize, stock: i64) -> World {
    use crate::support::{names, HERE};
    let off = api.login("admin", ADMIN_PW).await;
    let now = chrono::Utc::now();
    let slug = format!("r-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let c = api
        .ok(
            "/campaigns",
            &off,
            json!({"slug": slug, "name": names("活動"), "district": "Taipa",
                   "starts_at": (now - chrono::Duration::days(1)).to_rfc3339(),
                   "ends_at": (now + chrono::Duration::days(30)).to_rfc3339()}),
            StatusCode::CREATED,
        )
        .await;
    let cid = c["id"].as_str().unwrap().to_string();
    api.ok(
        &format!("/campaigns/{cid}/publish"),
        &off,
        json!({}),
        StatusCode::OK,
    )
    .await;
    let mut payloads = Vec::new();
    for _ in 0..points {
        let p = api
            .ok(
                &format!("/campaigns/{cid}/points"),
                &off,
                json!({"name": names("打卡點"), "kind": "qr", "lat": HERE.0, "lng": HERE.1, "radius_m": 100, "rotating": false}),
                StatusCode::CREATED,
            )
            .await;
        payloads.push(p["payload"].as_str().unwrap().to_string());
    }
    let o = api
        .ok(
            &format!("/campaigns/{cid}/offers"),
            &off,
            json!({"name": names("券"), "kind": "ecash", "face_value_avos": 5000, "min_spend_avos": 0,
                   "stock": stock, "per_visitor_limit": 1, "valid_days": 30, "trigger": {"type": "claim"},
                   "requires_verified": false}),
            StatusCode::CREATED,
        )
        .await;
    let user = format!("m-{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    api.ok(
        "/merchants",
        &off,
        json!({"name": names("商戶"), "category": "food", "address": "Rua do Cunha 1",
               "lat": HERE.0, "lng": HERE.1, "m_mark": true, "username": user, "password": "merchant-pw-123"}),
        StatusCode::CREATED,
    )
    .await;
    let m = api.login(&user, "merchant-pw-123").await;
    let e = api
        .ok(
            &format!("/campaigns/{cid}/enrolments"),
            &m,
            json!({}),
            StatusCode::CREATED,
        )
        .await;
    api.ok(
        &format!("/enrolments/{}/approve", e["id"].as_str().unwrap()),
        &off,
        json!({}),
        StatusCode::OK,
    )
    .await;
    World {
        official: off,
        campaign: cid,
        payloads,
        offer: o["id"].as_str().unwrap().to_string(),
        merchant: m,
    }
}

/// Runs one `SELECT COUNT(*) AS n …` style query (the SQL must name its count `n`).
pub fn count_sql(db_url: &str, sql: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let (pool, _) = bairro::db::connect(db_url, Some(1)).expect("database opens");
    let mut c = pool.get().expect("a connection");
    let r: Vec<N> = match &mut *c {
        bairro::db::DbConn::Sqlite(c) => diesel::sql_query(sql).load(c).unwrap(),
        bairro::db::DbConn::Pg(c) => diesel::sql_query(sql).load(c).unwrap(),
    };
    r[0].n
}

pub fn count(db_url: &str, table: &str, cond: &str) -> i64 {
    count_sql(
        db_url,
        &format!("SELECT COUNT(*) AS n FROM {table} WHERE {cond}"),
    )
}

/// Whether a response is a problem document with the given code.
pub fn is_problem(b: &Value, code: &str) -> bool {
    b["code"].as_str() == Some(code) && b["status"].is_number() && b["title"].is_string()
}
