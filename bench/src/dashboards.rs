//! Dashboards: officials' live statistics streams held open at once (what 200 open dashboards
//! cost the server over the one feed every campaign has), the dashboards' targets in the
//! results table, and `bairro-bench dashboards`, which runs only the statistics phases
//! (after a day's check-ins and page views) a few times and reports their medians.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;

use crate::report::Row;
use crate::runner::Server;
use crate::Ctx;

/// Open dashboards in the live-streams phase.
pub const DASHBOARDS: usize = 200;
/// The cost 200 open dashboards may add to one: a few percent of one core, a few megabytes.
pub const MAX_EXTRA_CPU_PCT: f64 = 5.0;
pub const MAX_EXTRA_RSS_MB: f64 = 20.0;

/// One open stream: its socket, and a reader thread counting what arrives.
struct Stream {
    sock: TcpStream,
    reader: std::thread::JoinHandle<()>,
}

/// What the streams received.
#[derive(Default)]
struct Received {
    events: AtomicU64,
    heartbeats: AtomicU64,
}

/// Opens a live statistics stream and waits for its first figures; returns it with the time
/// that took, or None when no figures came within 60 s.
fn open(
    port: u16,
    path: &str,
    token: &str,
    stop: Arc<AtomicBool>,
    got: Arc<Received>,
) -> anyhow::Result<(Stream, Option<Duration>)> {
    let t0 = Instant::now();
    let mut sock = TcpStream::connect(("127.0.0.1", port))?;
    write!(
        sock,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
    )?;
    sock.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut seen = String::new();
    let mut buf = [0u8; 8192];
    let first = loop {
        match sock.read(&mut buf) {
            Ok(0) | Err(_) => break None,
            Ok(n) => {
                seen.push_str(&String::from_utf8_lossy(&buf[..n]));
                if seen.contains("\ndata:") {
                    break Some(t0.elapsed());
                }
            }
        }
    };
    got.events
        .fetch_add(u64::from(first.is_some()), Ordering::Relaxed);
    let mut r = sock.try_clone()?;
    r.set_read_timeout(Some(Duration::from_millis(500)))?;
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while !stop.load(Ordering::Relaxed) {
            match r.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    let text = String::from_utf8_lossy(&buf[..n]);
                    got.events
                        .fetch_add(text.matches("data:").count() as u64, Ordering::Relaxed);
                    got.heartbeats
                        .fetch_add(text.matches(": alive").count() as u64, Ordering::Relaxed);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => break,
            }
        }
    });
    Ok((Stream { sock, reader }, first))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

/// `n` streams opened at once and held for `secs`: a row with the time to each one's first
/// figures (p50, p99), the server's CPU and peak RSS while they were open, and what arrived.
fn hold(
    backend: &str,
    srv: &Server,
    path: &str,
    token: &str,
    n: usize,
    secs: u64,
) -> anyhow::Result<Row> {
    srv.wait_idle();
    srv.reset_peak();
    let (_, rss_before) = srv.rss_kib();
    let stop = Arc::new(AtomicBool::new(false));
    let got = Arc::new(Received::default());
    let t0 = Instant::now();
    let openers: Vec<_> = (0..n)
        .map(|_| {
            let (path, token, stop, got) = (
                path.to_string(),
                token.to_string(),
                stop.clone(),
                got.clone(),
            );
            let port = srv.port;
            std::thread::spawn(move || open(port, &path, &token, stop, got))
        })
        .collect();
    let mut streams = Vec::new();
    let mut firsts = Vec::new();
    let mut failed = 0;
    for o in openers {
        match o.join().map_err(|_| anyhow::anyhow!("opener panicked"))? {
            Ok((s, Some(t))) => {
                firsts.push(t.as_secs_f64() * 1e3);
                streams.push(s);
            }
            Ok((s, None)) => {
                failed += 1;
                streams.push(s);
            }
            Err(_) => failed += 1,
        }
    }
    let opened_in = t0.elapsed();
    // Held open: what the server spends on them (feeds, heartbeats) over `secs`.
    let (cpu0, e0, h0, t1) = (
        srv.cpu_seconds(),
        got.events.load(Ordering::Relaxed),
        got.heartbeats.load(Ordering::Relaxed),
        Instant::now(),
    );
    std::thread::sleep(Duration::from_secs(secs));
    let wall = t1.elapsed().as_secs_f64();
    let cpu_pct = (srv.cpu_seconds() - cpu0) / wall * 100.0;
    let (peak_kib, rss_now) = srv.rss_kib();
    let events = got.events.load(Ordering::Relaxed) - e0;
    let heartbeats = got.heartbeats.load(Ordering::Relaxed) - h0;
    stop.store(true, Ordering::Relaxed);
    for s in streams {
        let _ = s.sock.shutdown(std::net::Shutdown::Both);
        let _ = s.reader.join();
    }
    firsts.sort_by(|a, b| a.total_cmp(b));
    let mb = |k: u64| k as f64 * 1024.0 / 1e6;
    println!(
        "  {n:>4} live streams: first figures p50 {:.1} ms p99 {:.1} ms (all open in {:.2} s), then over {wall:.0} s: CPU {cpu_pct:.1}%, resident {:.1} → {:.1} MB (peak {:.1}), {events} figures and {heartbeats} heartbeats received, {failed} without figures",
        percentile(&firsts, 0.5),
        percentile(&firsts, 0.99),
        opened_in.as_secs_f64(),
        mb(rss_before),
        mb(rss_now),
        mb(peak_kib)
    );
    Ok(Row {
        backend: backend.into(),
        workload: "live streams".into(),
        server: "bairro".into(),
        conns: n,
        rps: n as f64 / opened_in.as_secs_f64().max(1e-3),
        p50_ms: percentile(&firsts, 0.5),
        p99_ms: percentile(&firsts, 0.99),
        errors: failed,
        answers: format!("200×{n}"),
        ratio: None,
        peak_mb: mb(peak_kib),
        cpu_pct,
        ok: failed == 0,
        each_rps: vec![n as f64 / opened_in.as_secs_f64().max(1e-3)],
        note: format!(
            "{n} open at once (requests/s = streams opened per second; p50/p99 = time to the first figures); held {wall:.0} s: resident {:.1} → {:.1} MB, {heartbeats} heartbeats, {events} figure updates",
            mb(rss_before),
            mb(rss_now)
        ),
    })
}

/// The live-streams phase on a fresh server: one dashboard (the campaign's one feed), then
/// 200 at once; the difference is what the 199 more cost.
pub fn live_streams(
    ctx: &Ctx,
    url: &str,
    backend: &str,
    campaign: &str,
    token: &str,
) -> anyhow::Result<Vec<Row>> {
    let srv = crate::start_bairro(ctx, url, "bairro-live")?;
    let path = format!("/api/v1/campaigns/{campaign}/stats/stream");
    let one = hold(backend, &srv, &path, token, 1, ctx.secs)?;
    let many = hold(backend, &srv, &path, token, DASHBOARDS, ctx.secs)?;
    srv.kill();
    Ok(vec![one, many])
}

fn find<'a>(rows: &'a [Row], workload: &str, conns: usize) -> Option<&'a Row> {
    rows.iter()
        .find(|r| r.workload == workload && r.server == "bairro" && r.conns == conns)
}

/// Target cell: campaign statistics p99 < 100 ms at `conns` concurrent requests.
pub fn stats_target(rows: &[Row], conns: usize) -> String {
    match find(rows, "campaign stats", conns) {
        Some(r) => format!(
            "{} p50 {:.0} ms, p99 {:.0} ms",
            if r.p99_ms < 100.0 && r.ok {
                "✅"
            } else {
                "❌"
            },
            r.p50_ms,
            r.p99_ms
        ),
        None => "—".into(),
    }
}

/// Target cell: 200 open dashboards cost under 5% of a core and 20 MB more than one.
pub fn streams_target(rows: &[Row]) -> String {
    match (
        find(rows, "live streams", 1),
        find(rows, "live streams", DASHBOARDS),
    ) {
        (Some(one), Some(many)) => {
            let cpu = many.cpu_pct - one.cpu_pct;
            let rss = many.peak_mb - one.peak_mb;
            format!(
                "{} +{:.1}% CPU, +{:.1} MB ({:.1}% and {:.1} MB with {DASHBOARDS} open)",
                if many.ok && cpu < MAX_EXTRA_CPU_PCT && rss < MAX_EXTRA_RSS_MB {
                    "✅"
                } else {
                    "❌"
                },
                cpu,
                rss,
                many.cpu_pct,
                many.peak_mb
            )
        }
        _ => "—".into(),
    }
}

/// The targets' titles, beside the cells above.
pub fn stats_target_title(conns: usize) -> String {
    format!("campaign stats p99 < 100 ms at {conns} concurrent requests (after the write phases)")
}
pub const STREAMS_TARGET_TITLE: &str =
    "200 open live streams cost < 5% of a core and < 20 MB more than one";

#[derive(Args)]
pub struct DashboardArgs {
    /// SQLite database to create (sqlite://PATH; must not exist yet).
    #[arg(long)]
    pub sqlite: Option<String>,
    /// Empty PostgreSQL database (postgres://…).
    #[arg(long)]
    pub postgres: Option<String>,
    #[command(flatten)]
    pub sizes: crate::SizeArgs,
    /// How many times the statistics phases run (medians are reported).
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    #[arg(long, default_value = "target/release")]
    pub bin_dir: PathBuf,
    #[arg(long, default_value = "target/bench")]
    pub work_dir: PathBuf,
    #[arg(long, default_value = "bench/lua/replay.lua")]
    pub script: PathBuf,
    #[arg(long, default_value = "wrk")]
    pub wrk: String,
    /// Where the Markdown table goes.
    #[arg(long, default_value = "bench/results/dashboards.md")]
    pub out: PathBuf,
}

/// `bairro-bench dashboards`: seed, a day's check-ins and page views (as the full run has
/// before its statistics phases), then `repeat` times: campaign statistics at 64 connections
/// on a fresh server, and the live streams; medians of each figure.
pub fn run(a: DashboardArgs) -> anyhow::Result<()> {
    use crate::fixtures::{self, Secrets, Signer};
    let sizes = a.sizes.sizes();
    let ctx = Ctx {
        pg_url: std::cell::RefCell::new(None),
        wrk: crate::runner::Wrk {
            bin: a.wrk.clone(),
            script: a.script.clone(),
        },
        conns: 64,
        threads: 2,
        secs: a.sizes.duration(),
        work: a.work_dir.clone(),
        bin_dir: a.bin_dir.clone(),
        phases: None,
    };
    std::fs::create_dir_all(&ctx.work)?;
    let mut out = String::from("# Bairro benchmark: dashboards\n\n");
    for url in [a.sqlite.clone(), a.postgres.clone()].into_iter().flatten() {
        let (mut conn, backend) = crate::open(&url)?;
        let name = crate::label(backend);
        *ctx.pg_url.borrow_mut() =
            (backend == bairro::db::Backend::Postgres).then(|| url.to_string());
        println!("\n=== {name}: seeding");
        let mut sizes = sizes.clone();
        sizes.csv_dir = Some(ctx.work.join("csv"));
        sizes.pg_url = Some(url.to_string());
        let seeded = crate::seed::seed(&mut conn, backend, &sizes, name)?;
        let dir = ctx.work.join(name.to_lowercase());
        std::fs::create_dir_all(&dir)?;
        let secrets = Secrets {
            jwt: crate::SECRETS.0.into(),
            qr_kid: crate::SECRETS.1.into(),
            qr: crate::SECRETS.2.into(),
        };
        let mut signer = Signer::new(&secrets, seeded.visitors.len());
        let d = ctx.secs as usize;
        fixtures::checkins(
            &dir,
            &seeded,
            &mut signer,
            ctx.threads,
            crate::MAX_CHECKIN_RATE * d,
            crate::MAX_BARE_RATE * d,
        )?;
        fixtures::pageviews(&dir, &seeded, ctx.threads)?;
        fixtures::stats(&dir, &seeded, &signer, ctx.threads)?;
        let official = signer.official(&seeded.official_id);

        println!("=== {name}: a day's check-ins and page views");
        let srv = crate::start_bairro(&ctx, &url, "bairro")?;
        crate::wait_days_closed(&mut conn);
        for prefix in ["checkin-real", "pageview-real"] {
            crate::drive(&ctx, &[&srv], &[dir.join(prefix)], ctx.threads, ctx.conns)?;
        }
        srv.stop()?;

        let mut rows: Vec<Vec<Row>> = Vec::new();
        for i in 0..a.repeat {
            println!("=== {name}: statistics, run {} of {}", i + 1, a.repeat);
            let srv = crate::start_bairro(&ctx, &url, "bairro-stats")?;
            let m = crate::drive(
                &ctx,
                &[&srv],
                &[dir.join("stats-campaign")],
                ctx.threads,
                ctx.conns,
            )?;
            let ok = m.wrk.errors(&[200]) == 0;
            let note = format!("{} answers", m.wrk.count(&[200]));
            let stats = Row::new(
                name,
                "campaign stats",
                &srv.name,
                ctx.conns,
                &m,
                &[200],
                ok,
                note,
            );
            srv.kill();
            crate::quiesce_db(&ctx, true);
            let mut run = vec![stats];
            run.extend(live_streams(
                &ctx,
                &url,
                name,
                &seeded.campaign_id,
                &official,
            )?);
            rows.push(run);
        }
        out.push_str(&medians(name, &rows));
    }
    println!("\n{out}");
    if let Some(dir) = a.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&a.out, &out)?;
    println!("written to {}", a.out.display());
    Ok(())
}

/// A table of each run's figures and their medians, with the targets.
fn medians(name: &str, runs: &[Vec<Row>]) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(s, "## {name}\n");
    let _ = writeln!(
        s,
        "| workload | conns | run | requests/s | p50 ms | p99 ms | errors | peak RSS MB | server CPU |"
    );
    let _ = writeln!(s, "|---|---:|---|---:|---:|---:|---:|---:|---:|");
    let Some(first) = runs.first() else {
        return s;
    };
    let mut med: Vec<Row> = Vec::new();
    for i in 0..first.len() {
        for (k, run) in runs.iter().enumerate() {
            let r = &run[i];
            let _ = writeln!(
                s,
                "| {} | {} | {} | {:.0} | {:.1} | {:.1} | {} | {:.1} | {:.1}% |",
                r.workload,
                r.conns,
                k + 1,
                r.rps,
                r.p50_ms,
                r.p99_ms,
                r.errors,
                r.peak_mb,
                r.cpu_pct
            );
        }
        let same: Vec<&Row> = runs.iter().map(|r| &r[i]).collect();
        let m = crate::report::median_row(&same);
        let _ = writeln!(
            s,
            "| **{}** | {} | **median** | {:.0} | **{:.1}** | **{:.1}** | {} | {:.1} | {:.1}% |",
            m.workload, m.conns, m.rps, m.p50_ms, m.p99_ms, m.errors, m.peak_mb, m.cpu_pct
        );
        med.push(m);
    }
    let _ = writeln!(
        s,
        "\n| target (medians of {} runs) | {name} |\n|---|---|",
        runs.len()
    );
    let _ = writeln!(
        s,
        "| {} | {} |",
        stats_target_title(64),
        stats_target(&med, 64)
    );
    let _ = writeln!(
        s,
        "| {} | {} |\n",
        STREAMS_TARGET_TITLE,
        streams_target(&med)
    );
    s
}
