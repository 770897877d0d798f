//! `bairro-bench`: seeds a campaign at scale, drives Bairro's hot paths and a bare reference
//! server with wrk, checks the rows after every phase and writes the results table.
//!
//! `bench/run.sh` is the entry point (it builds, prepares the databases and cleans up);
//! `bairro-bench run --sqlite URL --postgres URL` does the work.

mod dashboards;
mod fixtures;
mod pageviews;
mod report;
mod runner;
mod seed;
mod soak;
mod verify;

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};

use bairro::db::{self, Backend, DbConn};
use bairro::domain::time::{macau_day, now};

use crate::fixtures::{Secrets, Signer, STORM_VISITORS};
use crate::report::{Row, Run};
use crate::runner::{free_port, Server, Wrk, WrkResult};
use crate::seed::Sizes;

#[derive(Parser)]
#[command(
    name = "bairro-bench",
    about = "Benchmark harness for Bairro (see bench/README.md)"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Seed, drive, verify and report on each database given.
    Run(RunArgs),
    /// Only the dashboards: seed, a day's check-ins and page views, then campaign statistics at
    /// 64 connections and 200 open live streams, repeated; medians (bench/results/dashboards.md).
    Dashboards(dashboards::DashboardArgs),
    /// Mixed load against one `bairro serve` for a long time, its resident memory sampled
    /// (bench/soak.sh; see src/soak.rs).
    Soak(soak::SoakArgs),
    /// The page-view phase alone, Bairro and bare alternating, medians of several runs.
    Pageviews(pageviews::PageviewArgs),
    /// Only seed an empty database (for looking at the data or timing the seeder).
    Seed {
        #[arg(long)]
        database_url: String,
        #[command(flatten)]
        sizes: SizeArgs,
    },
}

#[derive(Args, Clone)]
struct SizeArgs {
    /// Small sizes and short phases: a smoke run.
    #[arg(long)]
    quick: bool,
    #[arg(long)]
    points: Option<usize>,
    #[arg(long)]
    merchants: Option<usize>,
    #[arg(long)]
    visitors: Option<usize>,
    /// Past check-ins.
    #[arg(long)]
    checkins: Option<usize>,
    /// Coupons issued (past), including those left for the redemption phases.
    #[arg(long)]
    coupons: Option<usize>,
    /// Past redemptions (of the issued coupons).
    #[arg(long)]
    redemptions: Option<usize>,
    /// Past page views.
    #[arg(long)]
    pageviews: Option<usize>,
    /// Seconds per load phase.
    #[arg(long)]
    duration: Option<u64>,
}

#[derive(Args)]
struct RunArgs {
    /// SQLite database to create (sqlite://PATH; must not exist yet).
    #[arg(long)]
    sqlite: Option<String>,
    /// Empty PostgreSQL database (postgres://…).
    #[arg(long)]
    postgres: Option<String>,
    #[command(flatten)]
    sizes: SizeArgs,
    /// Connections per load phase.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// wrk threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Folder of bairro and bare binaries.
    #[arg(long, default_value = "target/release")]
    bin_dir: PathBuf,
    /// Scratch folder for request files and server logs.
    #[arg(long, default_value = "target/bench")]
    work_dir: PathBuf,
    /// The wrk Lua script.
    #[arg(long, default_value = "bench/lua/replay.lua")]
    script: PathBuf,
    #[arg(long, default_value = "wrk")]
    wrk: String,
    /// Where the Markdown table goes.
    #[arg(long, default_value = "bench/results/latest.md")]
    out: PathBuf,
    /// The command line to quote in the report.
    #[arg(long, default_value = "bench/run.sh")]
    command_line: String,
    /// Unix time the whole benchmark started (run.sh passes it, so the build counts too).
    #[arg(long)]
    started_at: Option<u64>,
    /// Only these phases, comma-separated (stats, checkin, redemption, storm, pageview,
    /// streams); all when absent. Seeding and the servers' start-up always run.
    #[arg(long, value_delimiter = ',')]
    phases: Option<Vec<String>>,
    /// Runs per database, each on a freshly seeded database; the report gives medians.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=9))]
    runs: u16,
}

impl SizeArgs {
    fn duration(&self) -> u64 {
        self.duration.unwrap_or(if self.quick { 2 } else { 10 })
    }

    fn sizes(&self) -> Sizes {
        let q = self.quick;
        let d = self.duration() as usize;
        let rounds = |rate: usize| (rate * d).div_ceil(STORM_VISITORS) + 1;
        Sizes {
            points: self.points.unwrap_or(if q { 12 } else { 40 }),
            merchants: self.merchants.unwrap_or(if q { 20 } else { 120 }),
            visitors: self.visitors.unwrap_or(if q { 12_000 } else { 100_000 }),
            checkins: self.checkins.unwrap_or(if q { 60_000 } else { 3_000_000 }),
            coupons: self.coupons.unwrap_or(if q { 60_000 } else { 1_200_000 }),
            redemptions: self
                .redemptions
                .unwrap_or(if q { 30_000 } else { 1_000_000 }),
            pageviews: self.pageviews.unwrap_or(if q { 20_000 } else { 1_000_000 }),
            storm_rounds: vec![
                ("claim-real".into(), rounds(MAX_CLAIM_RATE)),
                ("claim-bare".into(), rounds(MAX_BARE_RATE)),
                ("claim-two".into(), rounds(MAX_CLAIM_RATE)),
            ],
            storm_stock: 1_000,
            csv_dir: None,
            pg_url: None,
        }
    }
}

/// Request lists are sized for these rates; a phase that runs out says so (`wrapped`).
const MAX_CHECKIN_RATE: usize = 8_000;
/// The bare server running Bairro's own statement (`/checkin-same`) or writing Bairro's own
/// redemption rows (`/redeem-same`), as named in the results.
pub const SAME: &str = "bare, same statement";
const MAX_REDEEM_RATE: usize = 10_000;
const MAX_CLAIM_RATE: usize = 12_000;
const MAX_BARE_RATE: usize = 30_000;

const SECRETS: (&str, &str, &str) = (
    "bench-jwt-secret-0123456789abcdef0123456789",
    "A",
    "bench-qr-secret-0123456789abcdef0123456789",
);
const ADMIN_PASSWORD: &str = "bench-admin-password";

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Cmd::Seed {
            database_url,
            sizes,
        } => {
            let (mut conn, backend) = open(&database_url)?;
            let mut sizes = sizes.sizes();
            sizes.csv_dir = Some(std::env::temp_dir().join("bairro-bench-csv"));
            sizes.pg_url = Some(database_url.clone());
            seed::seed(&mut conn, backend, &sizes, label(backend))?;
            Ok(())
        }
        Cmd::Run(a) => run(a),
        Cmd::Dashboards(a) => dashboards::run(a),
        Cmd::Soak(a) => soak::run(a),
        Cmd::Pageviews(a) => pageviews::run(a),
    }
}

fn label(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    }
}

fn open(url: &str) -> anyhow::Result<(db::PooledConn, Backend)> {
    let (pool, backend) = db::connect(url, Some(1))?;
    let mut conn = pool.get()?;
    db::migrate(&mut conn)?;
    Ok((conn, backend))
}

struct Ctx {
    /// The PostgreSQL database under test, to wait for its queries between phases.
    pg_url: std::cell::RefCell<Option<String>>,
    wrk: Wrk,
    conns: usize,
    threads: usize,
    secs: u64,
    work: PathBuf,
    bin_dir: PathBuf,
    /// The phases to run (`--phases`); `None` runs them all.
    phases: Option<Vec<String>>,
}

impl Ctx {
    fn wants(&self, phase: &str) -> bool {
        self.phases
            .as_ref()
            .is_none_or(|p| p.iter().any(|x| x == phase))
    }
}

fn run(a: RunArgs) -> anyhow::Result<()> {
    let t0 = Instant::now();
    let sizes = a.sizes.sizes();
    let ctx = Ctx {
        pg_url: std::cell::RefCell::new(None),
        wrk: Wrk {
            bin: a.wrk.clone(),
            script: a.script.clone(),
        },
        conns: a.connections,
        threads: a.threads,
        secs: a.sizes.duration(),
        work: a.work_dir.clone(),
        bin_dir: a.bin_dir.clone(),
        phases: a.phases.clone(),
    };
    std::fs::create_dir_all(&ctx.work)?;
    let mut runs = Vec::new();
    for url in [a.sqlite.clone(), a.postgres.clone()].into_iter().flatten() {
        let mut each = Vec::new();
        for k in 0..a.runs {
            if k > 0 {
                fresh_database(&url)?;
            }
            if a.runs > 1 {
                println!("\n##### run {} of {}", k + 1, a.runs);
            }
            each.push(bench_backend(&ctx, &url, &sizes)?);
        }
        runs.push(report::median_run(each));
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let total = a.started_at.map(|s| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(s);
        now.saturating_sub(s) as f64
    });
    let md = report::markdown(
        &report::Meta {
            command: a.command_line.clone(),
            quick: a.sizes.quick,
            conns: ctx.conns,
            threads: ctx.threads,
            secs: ctx.secs,
            bench_seconds: elapsed,
            total_seconds: total,
            sizes: sizes.clone(),
            git: git_describe(),
            runs: a.runs.into(),
        },
        &runs,
    );
    println!("\n{md}");
    if let Some(dir) = a.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&a.out, &md)?;
    println!("written to {}", a.out.display());
    Ok(())
}

/// Empties a database for another run: the SQLite file removed (it is created again), or
/// the PostgreSQL database dropped and created again through the server's `postgres` one.
fn fresh_database(url: &str) -> anyhow::Result<()> {
    use diesel::{Connection, RunQueryDsl};
    if url.starts_with("postgres") {
        let (base, rest) = url
            .rsplit_once('/')
            .ok_or_else(|| anyhow::anyhow!("no database name in {url}"))?;
        let name = rest.split('?').next().unwrap_or(rest);
        let mut admin = diesel::PgConnection::establish(&format!("{base}/postgres"))?;
        diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .execute(&mut admin)?;
        diesel::sql_query(format!("CREATE DATABASE \"{name}\"")).execute(&mut admin)?;
    } else {
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        for suffix in ["", "-wal", "-shm"] {
            match std::fs::remove_file(format!("{path}{suffix}")) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                _ => {}
            }
        }
    }
    Ok(())
}

fn git_describe() -> String {
    let rev = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output();
    let dirty = Command::new("git")
        .args([
            "status",
            "--porcelain",
            "--",
            "src",
            "migrations",
            "Cargo.toml",
        ])
        .output();
    match (rev, dirty) {
        (Ok(r), Ok(d)) => {
            let r = String::from_utf8_lossy(&r.stdout).trim().to_string();
            if d.stdout.is_empty() {
                r
            } else {
                format!("{r} + uncommitted changes in src/")
            }
        }
        _ => "unknown".into(),
    }
}

fn server_env(cmd: &mut Command) {
    cmd.env("BAIRRO_JWT_SECRET", SECRETS.0)
        .env("BAIRRO_QR_KEYS", format!("{}:{}", SECRETS.1, SECRETS.2))
        .env("BAIRRO_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("BAIRRO_LOG", "warn")
        .env_remove("DATABASE_URL")
        .env_remove("BAIRRO_BIND")
        .env_remove("BAIRRO_POOL_SIZE")
        .env_remove("BAIRRO_WORKERS");
}

fn start_bairro(ctx: &Ctx, url: &str, name: &str) -> anyhow::Result<Server> {
    let port = free_port()?;
    let mut cmd = Command::new(ctx.bin_dir.join("bairro"));
    cmd.args([
        "serve",
        "--bind",
        &format!("127.0.0.1:{port}"),
        "--database-url",
        url,
        "--no-rate-limits",
    ]);
    server_env(&mut cmd);
    Server::start(name, cmd, port, &ctx.work.join(format!("{name}.log")))
}

fn start_bare(ctx: &Ctx, url: &str) -> anyhow::Result<Server> {
    let port = free_port()?;
    let mut cmd = Command::new(ctx.bin_dir.join("bare"));
    cmd.args([
        "--bind",
        &format!("127.0.0.1:{port}"),
        "--database-url",
        url,
    ]);
    server_env(&mut cmd);
    Server::start("bare", cmd, port, &ctx.work.join("bare.log"))
}

fn bench_backend(ctx: &Ctx, url: &str, sizes: &Sizes) -> anyhow::Result<Run> {
    let (mut conn, backend) = open(url)?;
    let name = label(backend);
    *ctx.pg_url.borrow_mut() = (backend == Backend::Postgres).then(|| url.to_string());
    println!("\n=== {name}: seeding");
    let mut sizes = sizes.clone();
    sizes.csv_dir = Some(ctx.work.join("csv"));
    sizes.pg_url = Some(url.to_string());
    let seeded = seed::seed(&mut conn, backend, &sizes, name)?;
    let version = db_version(&mut conn, backend);

    println!("=== {name}: request files");
    let t = Instant::now();
    let dir = ctx.work.join(name.to_lowercase());
    std::fs::create_dir_all(&dir)?;
    let secrets = Secrets {
        jwt: SECRETS.0.into(),
        qr_kid: SECRETS.1.into(),
        qr: SECRETS.2.into(),
    };
    let mut signer = Signer::new(&secrets, seeded.visitors.len());
    let d = ctx.secs as usize;
    let lanes = ctx.threads;
    let (ci_real, ci_bare) = fixtures::checkins(
        &dir,
        &seeded,
        &mut signer,
        lanes,
        MAX_CHECKIN_RATE * d,
        MAX_BARE_RATE * d,
    )?;
    let (rd_real, rd_bare, rd_same) = fixtures::redemptions(
        &dir,
        &seeded,
        &signer,
        lanes,
        MAX_REDEEM_RATE * d,
        MAX_BARE_RATE * d,
    )?;
    let storm = |phase: &str| -> Vec<String> {
        seeded
            .storms
            .iter()
            .find(|s| s.0 == phase)
            .map(|s| s.1.clone())
            .unwrap_or_default()
    };
    fixtures::claims(
        &dir,
        "claim-real",
        &seeded,
        &mut signer,
        &storm("claim-real"),
        1,
        lanes,
        false,
    )?;
    fixtures::claims(
        &dir,
        "claim-bare",
        &seeded,
        &mut signer,
        &storm("claim-bare"),
        1,
        lanes,
        true,
    )?;
    if backend == Backend::Postgres {
        fixtures::claims(
            &dir,
            "claim-two",
            &seeded,
            &mut signer,
            &storm("claim-two"),
            2,
            1,
            false,
        )?;
    }
    fixtures::pageviews(&dir, &seeded, lanes)?;
    fixtures::stats(&dir, &seeded, &signer, lanes)?;
    println!(
        "  check-ins {ci_real} + {ci_bare} (bare), redemptions {rd_real} + {rd_bare} (bare) + {rd_same} (same rows), in {:.1}s",
        t.elapsed().as_secs_f64()
    );

    println!("=== {name}: servers");
    let real = start_bairro(ctx, url, "bairro")?;
    let startup_first = real.started_in;
    let (_, rss_idle) = real.rss_kib();
    let bare = start_bare(ctx, url)?;
    println!(
        "  bairro serve answered /healthz {:.0} ms after spawn ({} MiB resident); bare {:.0} ms",
        startup_first.as_secs_f64() * 1e3,
        rss_idle / 1024,
        bare.started_in.as_secs_f64() * 1e3
    );

    let mut rows: Vec<Row> = Vec::new();
    let today = macau_day(now());
    let campaign = seeded.campaign_id.clone();
    let conns = ctx.conns;

    // Officials' statistics, on the seeded data. The server keeps the figures of closed days
    // in a background task right after start-up: wait for it (and time it), then time the
    // first request of each, then one request at a time for a fixed time (the latency target).
    // The same at 64 connections comes last, because it leaves a queue behind.
    // Every phase waits for that task: it reads the whole seeded history (hundreds of
    // thousands of rows a second for half a minute), and a write phase run beside it would
    // measure the two together (a `--phases checkin,redemption` run did: Bairro's check-ins
    // ran at 29% of bare instead of about 50%).
    let official = signer.official(&seeded.official_id);
    let mut first_requests = Vec::new();
    let (close_s, close_days) = wait_days_closed(&mut conn);
    println!("  background closing of past days' statistics: {close_days} days kept, {close_s:.1} s after start-up");
    first_requests.push((
        format!("statistics of {close_days} closed days kept by the server's background task"),
        0,
        close_s * 1e3,
    ));
    real.wait_idle();
    quiesce_db(ctx, false);
    if ctx.wants("stats") {
        for (workload, path) in [
            (
                "campaign stats",
                format!("/api/v1/campaigns/{}/stats", seeded.campaign_id),
            ),
            ("stats overview", "/api/v1/stats/overview".to_string()),
        ] {
            real.wait_idle();
            quiesce_db(ctx, false);
            let (status, ms) = runner::timed_get(real.port, &path, &official)?;
            println!("  first {workload} request: HTTP {status} in {ms:.0} ms");
            first_requests.push((format!("first {workload} request"), status, ms));
        }
        for (workload, prefix) in [
            ("campaign stats", "stats-campaign"),
            ("stats overview", "stats-overview"),
        ] {
            let m = drive(ctx, &[&real], &[dir.join(prefix)], 1, 1)?;
            let ok = m.wrk.errors(&[200]) == 0;
            let note = format!("{} answers, one at a time", m.wrk.count(&[200]));
            rows.push(Row::new(
                name,
                workload,
                &real.name,
                1,
                &m,
                &[200],
                ok,
                note,
            ));
        }
    }

    // Check-ins: each request a new visitor × point pair.
    for (srv, prefix, server) in [
        (&real, "checkin-real", real.name.as_str()),
        (&bare, "checkin-bare", bare.name.as_str()),
        (&bare, "checkin-same", SAME),
    ] {
        if !ctx.wants("checkin") {
            break;
        }
        let before = verify::checkins_since(&mut conn, &campaign, today)?;
        let m = drive(ctx, &[srv], &[dir.join(prefix)], ctx.threads, conns)?;
        let after = verify::settle(|| verify::checkins_since(&mut conn, &campaign, today))?;
        let (ok, note) =
            verify::judge_rows("check-ins", after - before, m.wrk.count(&[201]), conns);
        rows.push(Row::new(
            name,
            "check-in",
            server,
            conns,
            &m,
            &[201],
            ok,
            note,
        ));
    }

    // Redemptions: each request a coupon still issued.
    for (srv, prefix, server) in [
        (&real, "redeem-real", real.name.as_str()),
        (&bare, "redeem-bare", bare.name.as_str()),
        (&bare, "redeem-same", SAME),
    ] {
        if !ctx.wants("redemption") {
            break;
        }
        let before = verify::redemptions_since(&mut conn, &campaign, today)?;
        let before_c = verify::coupons_redeemed(&mut conn)?;
        let m = drive(ctx, &[srv], &[dir.join(prefix)], ctx.threads, conns)?;
        let after = verify::settle(|| verify::redemptions_since(&mut conn, &campaign, today))?;
        let after_c = verify::coupons_redeemed(&mut conn)?;
        let doubles = verify::double_redemptions(&mut conn, today)?;
        let (mut ok, mut note) =
            verify::judge_rows("redemptions", after - before, m.wrk.count(&[201]), conns);
        if after_c - before_c != after - before {
            ok = false;
            note.push_str(&format!(
                "; MISMATCH: {} coupons marked redeemed",
                after_c - before_c
            ));
        }
        if doubles > 0 {
            ok = false;
            note.push_str(&format!(
                "; DOUBLE: {doubles} coupons with two live redemptions"
            ));
        } else {
            note.push_str("; no double redemption");
        }
        rows.push(Row::new(
            name,
            "redemption",
            server,
            conns,
            &m,
            &[201],
            ok,
            note,
        ));
    }

    // Claim storms: rounds of 10,000 visitors racing for 1,000 coupons.
    let storm_row = |conn: &mut DbConn,
                     m: Measure,
                     srv: &str,
                     phase: &str,
                     lanes: usize,
                     lane_of: &dyn Fn(usize) -> usize|
     -> anyhow::Result<Row> {
        let offers = storm(phase);
        let stock = verify::stock(conn, &offers)?;
        let claimed: i64 = stock.iter().map(|s| s.coupons).sum();
        let (mut ok, mut note) = verify::judge_rows("coupons", claimed, m.wrk.count(&[201]), conns);
        // Lines g = lane + k * lanes; a round is fully sent once every lane passed it.
        let done = (0..lanes)
            .map(|l| m.wrk.sent.get(lane_of(l)).copied().unwrap_or(0) as usize * lanes + l)
            .min()
            .unwrap_or(0);
        let full = (done / STORM_VISITORS).min(offers.len());
        let mut exact = 0;
        for (r, s) in stock.iter().enumerate() {
            if s.issued != s.coupons || s.coupons > s.stock || s.doubles > 0 {
                ok = false;
                note.push_str(&format!(
                    "; OFFER {}: issued {} coupons {} stock {} doubles {}",
                    s.offer, s.issued, s.coupons, s.stock, s.doubles
                ));
            }
            if r < full {
                if s.coupons == s.stock {
                    exact += 1;
                } else {
                    ok = false;
                    note.push_str(&format!(
                        "; round {} ended with {} of {} coupons",
                        r + 1,
                        s.coupons,
                        s.stock
                    ));
                }
            }
        }
        note.push_str(&format!("; {full} full rounds, {exact} sold exactly {} (issued = coupons ≤ stock on every offer)", sizes.storm_stock));
        Ok(Row::new(
            name,
            "claim storm",
            srv,
            conns,
            &m,
            &[201, 410],
            ok,
            note,
        ))
    };
    if ctx.wants("storm") {
        let m = drive(
            ctx,
            &[&real],
            &[dir.join("claim-real-0")],
            ctx.threads,
            conns,
        )?;
        std::thread::sleep(std::time::Duration::from_millis(500));
        rows.push(storm_row(
            &mut conn,
            m,
            &real.name,
            "claim-real",
            ctx.threads,
            &|l| l,
        )?);
        let m = drive(
            ctx,
            &[&bare],
            &[dir.join("claim-bare-0")],
            ctx.threads,
            conns,
        )?;
        std::thread::sleep(std::time::Duration::from_millis(500));
        rows.push(storm_row(
            &mut conn,
            m,
            &bare.name,
            "claim-bare",
            ctx.threads,
            &|l| l,
        )?);
    }

    // Page views.
    for (srv, prefix) in [(&real, "pageview-real"), (&bare, "pageview-bare")] {
        if !ctx.wants("pageview") {
            break;
        }
        let before = verify::pageviews_since(&mut conn, &campaign, today)?;
        let m = drive(ctx, &[srv], &[dir.join(prefix)], ctx.threads, conns)?;
        std::thread::sleep(std::time::Duration::from_millis(700));
        let after = verify::settle(|| verify::pageviews_since(&mut conn, &campaign, today))?;
        let (ok, note) =
            verify::judge_rows("page views", after - before, m.wrk.count(&[202]), conns);
        rows.push(Row::new(
            name,
            "page view",
            &srv.name,
            conns,
            &m,
            &[202],
            ok,
            note,
        ));
    }

    bare.stop()?;

    // Two bairro processes on one PostgreSQL database, racing for the same storms.
    if backend == Backend::Postgres && ctx.wants("storm") {
        let second = start_bairro(ctx, url, "bairro-2")?;
        let m = drive(
            ctx,
            &[&real, &second],
            &[dir.join("claim-two-0"), dir.join("claim-two-1")],
            1,
            conns / 2,
        )?;
        std::thread::sleep(std::time::Duration::from_millis(500));
        rows.push(storm_row(
            &mut conn,
            m,
            "bairro ×2",
            "claim-two",
            2,
            &|l| l,
        )?);
        second.stop()?;
    }
    real.stop()?;

    // Statistics at 64 connections, last: requests still queued when wrk stops keep a server
    // and the database busy for long, so each runs on a fresh server that is then killed,
    // with its leftover queries cancelled.
    for (workload, prefix) in [
        ("campaign stats", "stats-campaign"),
        ("stats overview", "stats-overview"),
    ] {
        if !ctx.wants("stats") {
            break;
        }
        let srv = start_bairro(ctx, url, "bairro-stats")?;
        let m = drive(ctx, &[&srv], &[dir.join(prefix)], ctx.threads, conns)?;
        let ok = m.wrk.errors(&[200]) == 0;
        let note = format!("{} answers (after the write phases)", m.wrk.count(&[200]));
        rows.push(Row::new(
            name,
            workload,
            &srv.name,
            conns,
            &m,
            &[200],
            ok,
            note,
        ));
        srv.kill();
        quiesce_db(ctx, true);
    }

    // 200 officials' dashboards open at once on the live statistics stream.
    if ctx.wants("streams") {
        rows.extend(dashboards::live_streams(
            ctx, url, name, &campaign, &official,
        )?);
    }

    // Start-up again, now on a database that has seen the whole load.
    let again = start_bairro(ctx, url, "bairro-restart")?;
    let startup_again = again.started_in;
    again.stop()?;
    report::ratios(&mut rows);
    Ok(Run {
        backend: name.to_string(),
        version,
        seeded,
        rows,
        startup_ms: vec![
            startup_first.as_secs_f64() * 1e3,
            startup_again.as_secs_f64() * 1e3,
        ],
        rss_idle_kib: rss_idle,
        first_requests,
    })
}

pub struct Measure {
    pub wrk: WrkResult,
    pub peak_kib: u64,
    pub cpu_pct: f64,
}

/// One load phase against one or more servers (one wrk per server), with the servers' peak
/// RSS and CPU over the phase.
fn drive(
    ctx: &Ctx,
    servers: &[&Server],
    prefixes: &[PathBuf],
    threads: usize,
    conns: usize,
) -> anyhow::Result<Measure> {
    for s in servers {
        s.wait_idle();
    }
    quiesce_db(ctx, false);
    for s in servers {
        s.reset_peak();
    }
    let cpu0: f64 = servers.iter().map(|s| s.cpu_seconds()).sum();
    let t = Instant::now();
    let wrk = if servers.len() == 1 {
        ctx.wrk
            .run(servers[0].port, threads, conns, ctx.secs, &prefixes[0])?
    } else {
        let targets: Vec<(u16, PathBuf)> = servers
            .iter()
            .zip(prefixes)
            .map(|(s, p)| (s.port, p.clone()))
            .collect();
        ctx.wrk.run_many(&targets, threads, conns, ctx.secs)?
    };
    let wall = t.elapsed().as_secs_f64();
    let cpu1: f64 = servers.iter().map(|s| s.cpu_seconds()).sum();
    let peak_kib = servers.iter().map(|s| s.rss_kib().0).max().unwrap_or(0);
    let m = Measure {
        cpu_pct: (cpu1 - cpu0) / wall.max(0.001) * 100.0,
        peak_kib,
        wrk,
    };
    println!(
        "  {:<28} {:>9.0} req/s  p50 {:>7.2} ms  p99 {:>8.2} ms  statuses {:?}  sockets err {}  peak RSS {} MiB  CPU {:.0}%{}",
        format!("{} {}", servers.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join("+"), prefixes[0].file_name().map(|f| f.to_string_lossy().to_string()).unwrap_or_default()),
        m.wrk.rps(),
        m.wrk.p50_us as f64 / 1e3,
        m.wrk.p99_us as f64 / 1e3,
        m.wrk.statuses,
        m.wrk.connect + m.wrk.read + m.wrk.write + m.wrk.timeout,
        m.peak_kib / 1024,
        m.cpu_pct,
        if m.wrk.wrapped > 0 { "  (request list WRAPPED)" } else { "" }
    );
    Ok(m)
}

/// Waits until the PostgreSQL database under test runs no query but ours (a server keeps
/// executing requests wrk gave up on); after 60 s, or at once with `cancel`, cancels them.
fn quiesce_db(ctx: &Ctx, cancel: bool) {
    use diesel::prelude::*;
    let Some(url) = ctx.pg_url.borrow().clone() else {
        return;
    };
    let Ok(mut c) = diesel::PgConnection::establish(&url) else {
        return;
    };
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let others =
        "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() \
                  AND state = 'active' AND backend_type = 'client backend'";
    let t0 = Instant::now();
    loop {
        let n = diesel::sql_query(format!("SELECT COUNT(*) AS n {others}"))
            .get_result::<N>(&mut c)
            .map(|r| r.n)
            .unwrap_or(0);
        if n == 0 {
            return;
        }
        if cancel || t0.elapsed().as_secs() >= 60 {
            println!("  cancelling {n} leftover queries");
            let _ = diesel::sql_query(format!(
                "SELECT COUNT(pg_cancel_backend(pid)) AS n {others}"
            ))
            .get_result::<N>(&mut c);
            std::thread::sleep(std::time::Duration::from_millis(300));
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// Waits until the server's background task has kept the closed days' statistics (the row
/// count of `stats_days` stops growing); returns (seconds, days).
fn wait_days_closed(conn: &mut DbConn) -> (f64, i64) {
    use diesel::prelude::*;
    let t0 = Instant::now();
    let count = |c: &mut DbConn| -> i64 {
        bairro::db::schema::stats_days::table
            .count()
            .get_result(c)
            .unwrap_or(-1)
    };
    let mut last = count(conn);
    let mut stable_since = Instant::now();
    while t0.elapsed().as_secs() < 240 {
        std::thread::sleep(std::time::Duration::from_millis(250));
        let n = count(conn);
        if n != last {
            last = n;
            stable_since = Instant::now();
        } else if n > 0 && stable_since.elapsed().as_secs_f64() >= 3.0 {
            return ((stable_since - t0).as_secs_f64(), n);
        }
    }
    (t0.elapsed().as_secs_f64(), last)
}

fn db_version(conn: &mut DbConn, backend: Backend) -> String {
    use diesel::prelude::*;
    #[derive(diesel::QueryableByName)]
    struct V {
        #[diesel(sql_type = diesel::sql_types::Text)]
        v: String,
    }
    let q = match backend {
        Backend::Sqlite => "SELECT 'SQLite ' || sqlite_version() AS v",
        Backend::Postgres => "SELECT split_part(version(), ' on ', 1) AS v",
    };
    diesel::sql_query(q)
        .get_result::<V>(conn)
        .map(|v| v.v)
        .unwrap_or_else(|_| "?".into())
}
