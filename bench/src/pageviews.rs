//! `bairro-bench pageviews`: the page-view phase alone, several short runs alternating Bairro
//! and the bare server on one small seeded database, with the median of each and their ratio.
//! For measuring a change to the page-view path without the whole benchmark; the rows are
//! checked after every run as in the full benchmark.

use std::path::PathBuf;

use clap::Args;

use bairro::domain::time::{macau_day, now};

use crate::report::median;
use crate::runner::{Wrk, WrkResult};

#[derive(Args)]
pub struct PageviewArgs {
    /// A database to create and seed (sqlite://PATH that does not exist yet, or an empty
    /// postgres://… database).
    #[arg(long)]
    database_url: String,
    /// Runs of each server (alternating); the medians are reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Seconds per run.
    #[arg(long, default_value_t = 5)]
    duration: u64,
    #[arg(long, default_value_t = 64)]
    connections: usize,
    #[arg(long, default_value_t = 2)]
    threads: usize,
    #[arg(long, default_value = "target/release")]
    bin_dir: PathBuf,
    #[arg(long, default_value = "target/bench-pageviews")]
    work_dir: PathBuf,
    #[arg(long, default_value = "bench/lua/replay.lua")]
    script: PathBuf,
}

pub fn run(a: PageviewArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&a.work_dir)?;
    let (mut conn, backend) = crate::open(&a.database_url)?;
    let sizes = crate::SizeArgs {
        quick: true,
        points: None,
        merchants: None,
        visitors: Some(2_000),
        checkins: Some(2_000),
        coupons: Some(2_000),
        redemptions: Some(1_000),
        pageviews: Some(20_000),
        duration: Some(1),
    };
    let mut sizes = sizes.sizes();
    sizes.csv_dir = Some(a.work_dir.join("csv"));
    sizes.pg_url = Some(a.database_url.clone());
    let name = crate::label(backend);
    let seeded = crate::seed::seed(&mut conn, backend, &sizes, name)?;
    let dir = a.work_dir.join(name.to_lowercase());
    std::fs::create_dir_all(&dir)?;
    crate::fixtures::pageviews(&dir, &seeded, a.threads)?;
    let ctx = crate::Ctx {
        pg_url: std::cell::RefCell::new(
            (backend == bairro::db::Backend::Postgres).then(|| a.database_url.clone()),
        ),
        wrk: Wrk {
            bin: "wrk".into(),
            script: a.script.clone(),
        },
        conns: a.connections,
        threads: a.threads,
        secs: a.duration,
        work: a.work_dir.clone(),
        bin_dir: a.bin_dir.clone(),
        phases: None,
    };
    let real = crate::start_bairro(&ctx, &a.database_url, "bairro")?;
    let bare = crate::start_bare(&ctx, &a.database_url)?;
    let today = macau_day(now());
    let mut figures: Vec<(&str, Vec<WrkResult>)> = vec![("bairro", vec![]), ("bare", vec![])];
    let mut all_ok = true;
    for run in 0..a.runs {
        for (i, (srv, prefix)) in [(&real, "pageview-real"), (&bare, "pageview-bare")]
            .into_iter()
            .enumerate()
        {
            let before = crate::verify::pageviews_since(&mut conn, &seeded.campaign_id, today)?;
            let m = crate::drive(&ctx, &[srv], &[dir.join(prefix)], a.threads, a.connections)?;
            let after = crate::verify::settle(|| {
                crate::verify::pageviews_since(&mut conn, &seeded.campaign_id, today)
            })?;
            let (ok, note) = crate::verify::judge_rows(
                "page views",
                after - before,
                m.wrk.count(&[202]),
                a.connections,
            );
            all_ok &= ok && m.wrk.errors(&[202]) == 0;
            println!(
                "  run {} {:<6} {:>8.0}/s p50 {:.2} ms p99 {:.2} ms; {}",
                run + 1,
                srv.name,
                m.wrk.rps(),
                m.wrk.p50_us as f64 / 1e3,
                m.wrk.p99_us as f64 / 1e3,
                note
            );
            figures[i].1.push(m.wrk);
        }
    }
    real.stop()?;
    bare.stop()?;
    let med = |w: &[WrkResult], f: &dyn Fn(&WrkResult) -> f64| median(w.iter().map(f).collect());
    let (rb, rr) = (
        med(&figures[0].1, &|w| w.rps()),
        med(&figures[1].1, &|w| w.rps()),
    );
    println!(
        "\n{name} page views, {} runs of {} s at {} connections (medians):",
        a.runs, a.duration, a.connections
    );
    for (who, w) in &figures {
        println!(
            "  {who:<6} {:>8.0}/s  p50 {:.2} ms  p99 {:.2} ms  (runs: {})",
            med(w, &|w| w.rps()),
            med(w, &|w| w.p50_us as f64 / 1e3),
            med(w, &|w| w.p99_us as f64 / 1e3),
            w.iter()
                .map(|w| format!("{:.0}", w.rps()))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    println!(
        "  ratio to bare {:.0}%; rows check {}",
        rb / rr.max(1.0) * 100.0,
        if all_ok { "✅ every run" } else { "❌" }
    );
    if !all_ok {
        anyhow::bail!("a page view was lost, doubled or refused");
    }
    Ok(())
}
