//! The test application: the real server on port 0 against a fresh database (a SQLite file,
//! or a PostgreSQL database created for the test and dropped afterwards), with typed helpers.

use std::time::Duration;

use bairro::app::Application;
use bairro::config::Settings;
use diesel::{Connection, RunQueryDsl};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

pub use bairro::db::Backend;

pub fn pg_admin_url() -> String {
    std::env::var("BAIRRO_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A PostgreSQL database for one test; dropped when the guard is.
pub struct PgDb {
    pub name: String,
    pub url: String,
}

impl PgDb {
    pub fn create() -> Option<PgDb> {
        let admin = pg_admin_url();
        let mut conn = match diesel::PgConnection::establish(&admin) {
            Ok(c) => c,
            Err(e) => {
                if std::env::var("CI").map(|v| v == "true").unwrap_or(false) {
                    panic!("PostgreSQL is required in CI ({admin}): {e}");
                }
                eprintln!("PostgreSQL not reachable at {admin}: PostgreSQL variant skipped ({e})");
                return None;
            }
        };
        let name = format!("bairro_t_{}", uuid::Uuid::new_v4().simple());
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .expect("create test database");
        let base = admin
            .rsplit_once('/')
            .map(|(b, _)| b.to_string())
            .expect("admin URL has a database");
        // The test's server is on this machine: no TLS unless the admin URL asks for it.
        // libpq's OpenSSL state is torn down by the process's exit handlers while threads of
        // finished tests (statistics recounts, pools) may still be talking to the server,
        // which crashed the test binary after all its tests had passed.
        let tls = if admin.contains("sslmode=") {
            ""
        } else {
            "?sslmode=disable"
        };
        Some(PgDb {
            url: format!("{base}/{name}{tls}"),
            name,
        })
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        if let Ok(mut conn) = diesel::PgConnection::establish(&pg_admin_url()) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn);
        }
    }
}

/// Keeps the test's database alive until the app is dropped.
#[allow(dead_code)]
pub enum DbGuard {
    Sqlite(tempfile::TempDir),
    Pg(PgDb),
}

pub struct TestApp {
    pub base: String,
    /// The private metrics port, when the settings name a metrics address.
    pub metrics_port: Option<u16>,
    pub backend: Backend,
    pub db_url: String,
    pub client: reqwest::Client,
    pub pool: bairro::db::DbPool,
    /// The running server's state (for checks on in-process machinery such as live feeds).
    pub state: actix_web::web::Data<bairro::http::AppState>,
    pub settings: Settings,
    _db: DbGuard,
}

pub fn database(backend: Backend) -> Option<(String, DbGuard)> {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("bairro.db").display());
            Some((url, DbGuard::Sqlite(dir)))
        }
        Backend::Postgres => PgDb::create().map(|db| (db.url.clone(), DbGuard::Pg(db))),
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(
        backend: Backend,
        tweak: impl FnOnce(&mut Settings),
    ) -> Option<TestApp> {
        if std::env::var("BAIRRO_LOG").is_ok() {
            bairro::cli::init_tracing();
        }
        let (url, guard) = database(backend)?;
        let mut settings = Settings::for_tests(&url);
        tweak(&mut settings);
        let app = Application::build(settings.clone()).expect("app builds");
        let base = format!("http://127.0.0.1:{}", app.port);
        let metrics_port = app.metrics_port;
        let pool = app.pool.clone();
        let state = app.state.clone();
        actix_web::rt::spawn(app.run_until_stopped());
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(64)
            .build()
            .unwrap();
        Some(TestApp {
            base,
            metrics_port,
            backend,
            db_url: url,
            client,
            pool,
            state,
            settings,
            _db: guard,
        })
    }

    pub fn conn(&self) -> bairro::db::PooledConn {
        self.pool.get().expect("a connection")
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let (s, text, _) = self.raw(method, path, token, body).await;
        (
            s,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, String, reqwest::header::HeaderMap) {
        let url = if path.starts_with('/')
            && !path.starts_with("/api")
            && !path.starts_with("/healthz")
            && !path.starts_with("/metrics")
        {
            format!("{}/api/v1{}", self.base, path)
        } else {
            format!("{}{}", self.base, path)
        };
        let mut rb = self.client.request(method, url);
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.expect("request sent");
        let status = r.status();
        let headers = r.headers().clone();
        (status, r.text().await.unwrap_or_default(), headers)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let (s, b) = self
            .post(
                "/auth/login",
                None,
                json!({"username": username, "password": password}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "login {username}: {b}");
        b["token"].as_str().unwrap().to_string()
    }

    /// The first official, `admin`.
    pub async fn official(&self) -> String {
        self.login(
            "admin",
            self.settings.admin_password.as_ref().unwrap().expose(),
        )
        .await
    }

    /// A second official (for four-eyes approval), created by `admin` through `POST /staff`.
    pub async fn second_official(&self) -> String {
        let admin = self.official().await;
        self.staff(&admin, "official-two", "official", None).await;
        self.login("official-two", "second-official-pw").await
    }

    /// Creates a staff login through `POST /staff` (password `second-official-pw` unless the
    /// username is given with `:password`); returns its id.
    pub async fn staff(
        &self,
        official: &str,
        username: &str,
        role: &str,
        merchant_id: Option<&str>,
    ) -> String {
        let (user, pw) = username
            .split_once(':')
            .unwrap_or((username, "second-official-pw"));
        let (s, b) = self
            .post(
                "/staff",
                Some(official),
                json!({"username": user, "password": pw, "role": role, "merchant_id": merchant_id}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "create {role} {user}: {b}");
        b["id"].as_str().unwrap().to_string()
    }

    pub async fn visitor(&self) -> (String, String) {
        let (s, b) = self.post("/visitors", None, json!({"locale": "en"})).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        (
            b["visitor_id"].as_str().unwrap().into(),
            b["token"].as_str().unwrap().into(),
        )
    }

    /// A published campaign running from yesterday for 30 days.
    pub async fn campaign(&self, off: &str) -> Value {
        let c = self.draft_campaign(off).await;
        let (s, b) = self
            .post(
                &format!("/campaigns/{}/publish", c["id"].as_str().unwrap()),
                Some(off),
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        b
    }

    pub async fn draft_campaign(&self, off: &str) -> Value {
        let now = chrono::Utc::now();
        let slug = format!("c-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let (s, b) = self
            .post(
                "/campaigns",
                Some(off),
                json!({
                "slug": slug, "name": names("活動"), "district": "Taipa",
                "starts_at": (now - chrono::Duration::days(1)).to_rfc3339(),
                "ends_at": (now + chrono::Duration::days(30)).to_rfc3339()}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        b
    }

    pub async fn point(&self, off: &str, campaign: &str, body: Value) -> Value {
        let mut full = json!({"name": names("打卡點"), "kind": "qr", "lat": HERE.0, "lng": HERE.1, "radius_m": 100, "rotating": false});
        for (k, v) in body.as_object().unwrap() {
            full[k] = v.clone();
        }
        let (s, b) = self
            .post(&format!("/campaigns/{campaign}/points"), Some(off), full)
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        b
    }

    /// A merchant (category given) enrolled and approved in the campaign; returns (id, token).
    pub async fn merchant(
        &self,
        off: &str,
        campaign: Option<&str>,
        category: &str,
    ) -> (String, String) {
        let user = format!("m-{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
        let (s, b) = self
            .post("/merchants", Some(off), json!({
                "name": names("商戶"), "category": category, "address": "Rua do Cunha 1",
                "lat": HERE.0, "lng": HERE.1, "m_mark": true, "username": user, "password": "merchant-pw-123"}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let id = b["id"].as_str().unwrap().to_string();
        let token = self.login(&user, "merchant-pw-123").await;
        if let Some(c) = campaign {
            let (s, e) = self
                .post(
                    &format!("/campaigns/{c}/enrolments"),
                    Some(&token),
                    json!({}),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{e}");
            let (s, e) = self
                .post(
                    &format!("/enrolments/{}/approve", e["id"].as_str().unwrap()),
                    Some(off),
                    json!({}),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{e}");
        }
        (id, token)
    }

    pub async fn offer(&self, off: &str, campaign: &str, body: Value) -> Value {
        let mut full = json!({"name": names("券"), "kind": "ecash", "face_value_avos": 5000, "min_spend_avos": 0,
                              "stock": 100, "per_visitor_limit": 1, "valid_days": 30, "trigger": {"type": "claim"},
                              // anonymous visitors, unless a test asks for verified ones
                              "requires_verified": false});
        for (k, v) in body.as_object().unwrap() {
            full[k] = v.clone();
        }
        let (s, b) = self
            .post(&format!("/campaigns/{campaign}/offers"), Some(off), full)
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        b
    }

    pub async fn check_in(
        &self,
        visitor: &str,
        payload: &str,
        extra: Value,
    ) -> (StatusCode, Value) {
        let mut body = json!({"payload": payload, "method": "qr", "lat": HERE.0, "lng": HERE.1});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        self.post("/checkins", Some(visitor), body).await
    }

    pub async fn redeem(
        &self,
        merchant: &str,
        coupon: &str,
        spend: i64,
        key: &str,
    ) -> (StatusCode, Value) {
        self.post(
            "/redemptions",
            Some(merchant),
            json!({"coupon": coupon, "spend_avos": spend, "idempotency_key": key}),
        )
        .await
    }

    /// Starts `n` more `bairro serve` processes on this test's database (same secrets, no rate
    /// limits) and waits until each answers `/healthz`; returns them with their base URLs.
    pub async fn more_processes(&self, n: usize) -> (Vec<std::process::Child>, Vec<String>) {
        let mut procs = Vec::new();
        let mut bases = Vec::new();
        for _ in 0..n {
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
                    &self.db_url,
                    "--no-rate-limits",
                ])
                .env("BAIRRO_JWT_SECRET", self.settings.jwt_secrets[0].expose())
                .env(
                    "BAIRRO_QR_KEYS",
                    format!("A:{}", self.settings.qr_keys[0].1.expose()),
                )
                .env("BAIRRO_LOG", "warn")
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap();
            procs.push(child);
            bases.push(format!("http://127.0.0.1:{port}"));
        }
        for b in &bases {
            let started = std::time::Instant::now();
            while !self
                .client
                .get(format!("{b}/healthz"))
                .send()
                .await
                .map(|r| r.status() == StatusCode::OK)
                .unwrap_or(false)
            {
                assert!(
                    started.elapsed() < std::time::Duration::from_secs(60),
                    "server {b} did not start"
                );
                actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
        (procs, bases)
    }

    /// Runs SQL behind the server's back: only to simulate tampering or the passing of time.
    pub fn execute(&self, text: &str) {
        use diesel::connection::SimpleConnection;
        let mut c = self.conn();
        match &mut *c {
            bairro::db::DbConn::Sqlite(c) => c.batch_execute(text).unwrap(),
            bairro::db::DbConn::Pg(c) => c.batch_execute(text).unwrap(),
        }
    }

    /// The text in the first row's `v` column of a query (for checking what the database holds).
    pub fn text(&self, sql: &str) -> String {
        #[derive(diesel::QueryableByName)]
        struct V {
            #[diesel(sql_type = diesel::sql_types::Text)]
            v: String,
        }
        let mut c = self.conn();
        let r: Vec<V> = match &mut *c {
            bairro::db::DbConn::Sqlite(c) => diesel::sql_query(sql).load(c).unwrap(),
            bairro::db::DbConn::Pg(c) => diesel::sql_query(sql).load(c).unwrap(),
        };
        r.into_iter().next().expect("a row").v
    }

    /// Counts rows of a table with a SQL condition (for checking what the database holds).
    pub fn count(&self, table: &str, condition: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let sql = format!("SELECT COUNT(*) AS n FROM {table} WHERE {condition}");
        let mut c = self.conn();
        let r: Vec<N> = match &mut *c {
            bairro::db::DbConn::Sqlite(c) => diesel::sql_query(sql).load(c).unwrap(),
            bairro::db::DbConn::Pg(c) => diesel::sql_query(sql).load(c).unwrap(),
        };
        r[0].n
    }
}

pub const HERE: (f64, f64) = (22.1533, 113.5561);

pub fn names(word: &str) -> Value {
    json!({"zh-Hant": format!("{word}（測試）"), "pt": format!("{word} (teste)"), "en": format!("{word} (test)")})
}

pub fn code(v: &Value) -> &str {
    v["code"].as_str().unwrap_or("")
}

pub fn key() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Runs a test body on SQLite and on PostgreSQL (each on a fresh database).
#[macro_export]
macro_rules! both {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[actix_web::test]
            async fn sqlite() {
                let $app = $crate::support::TestApp::spawn($crate::support::Backend::Sqlite)
                    .await
                    .unwrap();
                $body
            }
            #[actix_web::test]
            async fn postgres() {
                let Some($app) =
                    $crate::support::TestApp::spawn($crate::support::Backend::Postgres).await
                else {
                    return;
                };
                $body
            }
        }
    };
}

/// JSON bodies posted to the SMS stub.
pub type Texts = std::sync::Arc<std::sync::Mutex<Vec<Value>>>;

/// A stand-in SMS gateway: records each `{to, text}` it is sent.
pub async fn sms_stub() -> (u16, Texts) {
    let texts: Texts = Default::default();
    let kept = texts.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = actix_web::HttpServer::new(move || {
        let kept = kept.clone();
        actix_web::App::new().route(
            "/send",
            actix_web::web::post().to(move |body: actix_web::web::Json<Value>| {
                let kept = kept.clone();
                async move {
                    kept.lock().unwrap().push(body.into_inner());
                    actix_web::HttpResponse::Ok().json(json!({"queued": true}))
                }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(server);
    (port, texts)
}

/// The code in a message: the six digits after "code: ".
pub fn six_digits(text: &str) -> String {
    let at = text
        .find("code: ")
        .unwrap_or_else(|| panic!("no code in {text}"))
        + 6;
    let code: String = text[at..].chars().take(6).collect();
    assert!(code.chars().all(|c| c.is_ascii_digit()), "{text}");
    code
}
