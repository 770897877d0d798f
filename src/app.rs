//! Builds and runs the application exactly as `bairro serve` does, so tests start it the same
//! way (on port 0) against their own database.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{from_fn, Compress, DefaultHeaders};
use actix_web::{web, App, HttpResponse, HttpServer};
use tracing_actix_web::TracingLogger;

use crate::config::Settings;
use crate::db::{self, Backend, DbPool};
use crate::domain::payload::KeyRing;
use crate::error::{self, AppError};
use crate::http::{self, auth::JwtKeys, AppState};

pub struct Application {
    pub port: u16,
    /// The port of the private metrics address, when `metrics_bind` is set.
    pub metrics_port: Option<u16>,
    metrics_server: Option<Server>,
    pub pool: DbPool,
    pub backend: Backend,
    pub state: web::Data<AppState>,
    server: Server,
}

/// Opens the database, applies migrations and loads reference data.
pub fn prepare_database(settings: &Settings) -> anyhow::Result<(DbPool, Backend)> {
    let (pool, backend) = db::connect(&settings.database_url, settings.pool_size)?;
    let mut conn = pool
        .get()
        .map_err(|e| anyhow::anyhow!("cannot connect to the database: {e}"))?;
    let applied = db::migrate(&mut conn)?;
    for m in &applied {
        tracing::info!(migration = %m, "applied migration");
    }
    db::pledges::ensure_reference_data(&mut conn)
        .map_err(|e| anyhow::anyhow!("reference data: {e}"))?;
    Ok((pool, backend))
}

/// The server's state; `replica` is the read replica's pool (`--replica-url`), if any.
pub fn state(
    settings: &Settings,
    pool: DbPool,
    replica: Option<DbPool>,
    backend: Backend,
) -> AppState {
    let secrets: Vec<&str> = settings.jwt_secrets.iter().map(|s| s.expose()).collect();
    let qr: Vec<(String, Vec<u8>)> = settings
        .qr_keys
        .iter()
        .map(|(k, s)| (k.clone(), s.expose().as_bytes().to_vec()))
        .collect();
    let read_pool = replica.clone().unwrap_or_else(|| pool.clone());
    AppState {
        pool: pool.clone(),
        read_pool: read_pool.clone(),
        backend,
        jwt: JwtKeys::new(&secrets),
        qr: KeyRing::new(&qr),
        settings: settings.clone(),
        pageviews: Default::default(),
        campaign_ids: Default::default(),
        caches: crate::db::cache::Caches::with_pool(read_pool, replica.is_some()),
        limits: http::limits::Limits::new(settings.rate_limits),
        wallets: std::sync::Arc::new(http::wallets::Wallets::new(settings)),
        live: Default::default(),
        sealer: Default::default(),
        writer: crate::db::Writer::of(&settings.database_url),
    }
}

/// Everything the server answers: the API, health, metrics, API docs and the front end.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(64 * 1024)
            .error_handler(error::json_error),
    )
    .app_data(web::QueryConfig::default().error_handler(error::query_error))
    .app_data(web::PathConfig::default().error_handler(error::path_error))
    .route("/healthz", web::get().to(healthz))
    .route("/metrics", web::get().to(http::metrics::render))
    .route("/api/docs", web::get().to(http::openapi::page))
    .route("/s/{code}", web::get().to(http::sources::short_link))
    .configure(http::api)
    .default_service(web::to(http::frontend::serve));
}

async fn healthz(state: http::State) -> Result<HttpResponse, AppError> {
    state
        .db(|c| {
            use diesel::connection::SimpleConnection;
            c.batch_execute("SELECT 1").map_err(AppError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"status": "ok", "database": format!("{:?}", state.backend).to_lowercase()})))
}

/// After a change made through this process (campaigns, points, offers, enrolments…), the
/// short-lived caches are dropped, so the change is seen at once here and within two seconds
/// by other processes. The hot paths (check-ins, claims, redemptions, page views) change none
/// of the cached rows and keep them.
async fn forget_cached_rows(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let hot = req.method() == actix_web::http::Method::GET
        || matches!(
            req.path(),
            "/api/v1/checkins"
                | "/api/v1/redemptions"
                | "/api/v1/pageviews"
                | "/api/v1/visitors"
                | "/api/v1/auth/login"
        )
        || req.path().ends_with("/claim");
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let res = next.call(req).await?;
    if !hot && res.status().is_success() {
        if let Some(s) = state {
            s.caches.clear();
        }
    }
    Ok(res)
}

impl Application {
    pub fn build(settings: Settings) -> anyhow::Result<Application> {
        if !crate::memory::limit_heap_growth() {
            tracing::debug!("the allocator's memory limits are not available here");
        }
        let (pool, backend) = prepare_database(&settings)?;
        if settings.demo {
            crate::demo::load_if_empty(&pool, &settings)?;
        }
        crate::bootstrap::ensure_admin(&pool, &settings)?;
        let listener = TcpListener::bind(&settings.bind)
            .map_err(|e| anyhow::anyhow!("cannot bind {}: {e}", settings.bind))?;
        let port = listener.local_addr()?.port();
        http::metrics::handle();
        let replica = match &settings.replica_url {
            Some(url) => {
                let r = db::connect_replica(url, settings.pool_size)?;
                tracing::info!(replica = %db::redact_url(url), "statistics and exports read from the replica");
                Some(r)
            }
            None => None,
        };
        let mut app_state = state(&settings, pool.clone(), replica, backend);
        if backend == Backend::Postgres {
            // The sealer's own connection, so it never waits behind requests for the pool.
            let (own, _) = db::connect(&settings.database_url, Some(1))?;
            app_state.sealer = std::sync::Arc::new(http::ledger_sealer::Sealer::new(Some(own)));
        }
        let state = web::Data::new(app_state);
        let data = state.clone();
        let workers = settings.workers.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
        });
        let server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(http::input::refuse_control_characters))
                .wrap(from_fn(forget_cached_rows))
                .wrap(from_fn(http::metrics::track))
                .wrap(Compress::default())
                .wrap(
                    DefaultHeaders::new()
                        .add(("X-Content-Type-Options", "nosniff"))
                        .add(("Referrer-Policy", "same-origin")),
                )
                .wrap(TracingLogger::<http::request_log::RequestLine>::new())
                .app_data(data.clone())
                .configure(configure)
        })
        .workers(workers)
        .shutdown_timeout(10)
        .listen(listener)?
        .run();
        let (metrics_port, metrics_server) = match &settings.metrics_bind {
            Some(bind) => {
                let l = TcpListener::bind(bind)
                    .map_err(|e| anyhow::anyhow!("cannot bind the metrics address {bind}: {e}"))?;
                let p = l.local_addr()?.port();
                let data = state.clone();
                let s = HttpServer::new(move || {
                    App::new()
                        .app_data(data.clone())
                        .route("/metrics", web::get().to(http::metrics::render_private))
                })
                .workers(1)
                .disable_signals()
                .listen(l)?
                .run();
                (Some(p), Some(s))
            }
            None => (None, None),
        };
        Ok(Application {
            port,
            metrics_port,
            metrics_server,
            pool,
            backend,
            state,
            server,
        })
    }

    /// Runs until stopped; background tasks write buffered page views and expire coupons, and
    /// the page-view buffer is flushed once more after the last request.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let st = self.state.clone();
        let flusher = actix_web::rt::spawn(async move {
            loop {
                // Every half second, or as soon as a full batch waits.
                let _ = actix_web::rt::time::timeout(
                    Duration::from_millis(500),
                    st.pageviews.batch_ready(),
                )
                .await;
                let s = st.clone();
                let _ = web::block(move || {
                    if let Err(e) = s.pageviews.flush(&s.pool) {
                        tracing::warn!(error = %e, "page views not written yet");
                    }
                })
                .await;
            }
        });
        // The statistics of the campaigns shown, counted once now (in the background).
        let st = self.state.clone();
        let warm = actix_web::rt::spawn(async move {
            if let Err(e) = http::stats::warm_up(&st).await {
                tracing::warn!(error = %e, "statistics not counted at start-up");
            }
        });
        // Upkeep on its own clock, so a long count never holds up the page-view writer:
        // keep the statistics of finished days, and mark expired coupons.
        let st = self.state.clone();
        let upkeep = actix_web::rt::spawn(async move {
            let mut tick = actix_web::rt::time::interval(Duration::from_secs(60));
            actix_web::rt::time::sleep(Duration::from_secs(1)).await;
            loop {
                tick.tick().await;
                let s = st.clone();
                let _ = web::block(move || {
                    s.limits.housekeep();
                    s.wallets.housekeep();
                    crate::memory::give_back_free_memory();
                    if let Ok(mut c) = db::get(&s.pool) {
                        if let Err(e) = db::stats::close_all(&mut c) {
                            tracing::warn!(error = %e, "closing statistics days failed");
                        }
                        match db::coupons::sweep_expired(&mut c, 5000) {
                            Ok(k) if k > 0 => tracing::info!(expired = k, "coupons expired"),
                            Err(e) => tracing::warn!(error = %e, "expiry sweep failed"),
                            _ => {}
                        }
                    }
                })
                .await;
            }
        });
        // SQLite: the writer's pages copied from the log into the database, off its turn.
        let writer = self.state.writer.clone();
        let checkpointer = actix_web::rt::spawn(async move {
            let mut tick = actix_web::rt::time::interval(db::CHECKPOINT_EVERY);
            loop {
                tick.tick().await;
                let w = writer.clone();
                match web::block(move || w.checkpoint()).await {
                    Ok(Ok(None)) => return,
                    Ok(Err(e)) => tracing::warn!(error = %e, "checkpoint failed"),
                    _ => {}
                }
            }
        });
        // The ledger's sealer (PostgreSQL; see `http::ledger_sealer`).
        let sealer = actix_web::rt::spawn(self.state.sealer.clone().run());
        // Fair draws: finish the draws that are due (any process may; one claims each).
        let st = self.state.clone();
        let drawer = actix_web::rt::spawn(async move {
            let mut tick = actix_web::rt::time::interval(Duration::from_secs(2));
            loop {
                tick.tick().await;
                let s = st.clone();
                let _ = web::block(move || {
                    if let Ok(mut c) = db::get(&s.pool) {
                        if let Err(e) = db::draws::run_due(&mut c) {
                            tracing::warn!(error = %e, "draws not finished yet");
                        }
                    }
                })
                .await;
            }
        });
        let metrics = self.metrics_server.map(|m| {
            let handle = m.handle();
            actix_web::rt::spawn(m);
            handle
        });
        let result = self.server.await;
        drawer.abort();
        checkpointer.abort();
        if let Some(m) = metrics {
            m.stop(false).await;
        }
        flusher.abort();
        upkeep.abort();
        warm.abort();
        let st = self.state.clone();
        let written = web::block(move || st.pageviews.flush(&st.pool)).await;
        tracing::info!(?written, "stopped; page views flushed");
        sealer.abort();
        let st = self.state.clone();
        if let Ok(Err(e)) = web::block(move || st.sealer.seal_now()).await {
            tracing::warn!(error = %e, "ledger rows left to seal at the next start");
        }
        result.map_err(Into::into)
    }
}
