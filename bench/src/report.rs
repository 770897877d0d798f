//! The results: one row per phase, ratios to the bare server, the targets, as Markdown.

use std::fmt::Write;

use crate::seed::{Seeded, Sizes};
use crate::Measure;

pub struct Row {
    pub backend: String,
    pub workload: String,
    pub server: String,
    pub conns: usize,
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: u64,
    pub answers: String,
    pub ratio: Option<f64>,
    pub peak_mb: f64,
    pub cpu_pct: f64,
    pub ok: bool,
    pub note: String,
    /// Requests/s of each run this row is the median of (one entry for a single run).
    pub each_rps: Vec<f64>,
}

impl Row {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        backend: &str,
        workload: &str,
        server: &str,
        conns: usize,
        m: &Measure,
        ok_statuses: &[u16],
        ok: bool,
        note: String,
    ) -> Row {
        let w = &m.wrk;
        // Check-ins, redemptions and claims must each be new; page views and statistics repeat.
        let unique = ["check-in", "redemption", "claim storm"].contains(&workload);
        let wrapped = unique && w.wrapped > 0;
        let errors = w.errors(ok_statuses);
        let mut answers: Vec<String> = w.statuses.iter().map(|(k, v)| format!("{k}×{v}")).collect();
        let sock = w.connect + w.read + w.write + w.timeout;
        if sock > 0 {
            answers.push(format!("socket errors×{sock}"));
        }
        let server = if server.starts_with("bairro-") || server == "bairro" {
            "bairro"
        } else {
            server
        };
        Row {
            backend: backend.into(),
            workload: workload.into(),
            server: server.into(),
            conns,
            rps: w.rps(),
            p50_ms: w.p50_us as f64 / 1e3,
            p99_ms: w.p99_us as f64 / 1e3,
            errors,
            answers: answers.join(" "),
            ratio: None,
            peak_mb: m.peak_kib as f64 * 1024.0 / 1e6,
            cpu_pct: m.cpu_pct,
            // A unique-request list that ran out would measure refusals, not the hot path.
            ok: ok && errors == 0 && !wrapped,
            note: if wrapped {
                format!("{note}; REQUEST LIST RAN OUT")
            } else {
                note
            },
            each_rps: vec![w.rps()],
        }
    }
}

/// The middle value (the upper of the two middle ones for an even count).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// One phase measured in several runs: throughput, latency and CPU are the runs' medians,
/// the peak RSS is the highest of them, errors add up, and the phase is good only if every
/// run was. The answers and notes of each run are kept, run by run.
pub fn median_row(rows: &[&Row]) -> Row {
    let col = |f: &dyn Fn(&Row) -> f64| median(rows.iter().map(|r| f(r)).collect());
    let per_run = |f: &dyn Fn(&Row) -> &str| {
        if rows.len() == 1 {
            return f(rows[0]).to_string();
        }
        rows.iter()
            .enumerate()
            .map(|(i, r)| format!("run {}: {}", i + 1, f(r)))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let first = rows[0];
    Row {
        backend: first.backend.clone(),
        workload: first.workload.clone(),
        server: first.server.clone(),
        conns: first.conns,
        rps: col(&|r| r.rps),
        p50_ms: col(&|r| r.p50_ms),
        p99_ms: col(&|r| r.p99_ms),
        errors: rows.iter().map(|r| r.errors).sum(),
        answers: per_run(&|r| &r.answers),
        ratio: None,
        peak_mb: rows.iter().map(|r| r.peak_mb).fold(0.0, f64::max),
        cpu_pct: col(&|r| r.cpu_pct),
        ok: rows.iter().all(|r| r.ok),
        note: per_run(&|r| &r.note),
        each_rps: rows
            .iter()
            .flat_map(|r| r.each_rps.iter().copied())
            .collect(),
    }
}

/// Several runs on one database (each seeded afresh) as one: each phase's median row, the
/// ratios taken again from the medians, start-up times and first requests by their medians.
pub fn median_run(mut runs: Vec<Run>) -> Run {
    if runs.len() <= 1 {
        return runs.pop().expect("at least one run");
    }
    let mut rows: Vec<Row> = runs[0]
        .rows
        .iter()
        .map(|r0| {
            let same: Vec<&Row> = runs
                .iter()
                .filter_map(|run| {
                    run.rows.iter().find(|r| {
                        r.workload == r0.workload && r.server == r0.server && r.conns == r0.conns
                    })
                })
                .collect();
            median_row(&same)
        })
        .collect();
    ratios(&mut rows);
    let nth = |f: &dyn Fn(&Run) -> Option<f64>| median(runs.iter().filter_map(f).collect());
    let startup_ms = (0..runs[0].startup_ms.len())
        .map(|i| nth(&|r| r.startup_ms.get(i).copied()))
        .collect();
    let rss_idle_kib = nth(&|r| Some(r.rss_idle_kib as f64)) as u64;
    let first_requests = runs[0]
        .first_requests
        .iter()
        .enumerate()
        .map(|(i, (w, status, _))| {
            let ms = nth(&|r| r.first_requests.get(i).map(|f| f.2));
            (w.clone(), *status, ms)
        })
        .collect();
    let seed_seconds = nth(&|r| Some(r.seeded.seconds));
    let mut base = runs.swap_remove(0);
    base.rows = rows;
    base.startup_ms = startup_ms;
    base.rss_idle_kib = rss_idle_kib;
    base.first_requests = first_requests;
    base.seeded.seconds = seed_seconds;
    base
}

/// Each Bairro row at 64 connections gets its throughput over the bare server's.
pub fn ratios(rows: &mut [Row]) {
    let bare: Vec<(String, usize, f64)> = rows
        .iter()
        .filter(|r| r.server == "bare")
        .map(|r| (r.workload.clone(), r.conns, r.rps))
        .collect();
    for r in rows.iter_mut().filter(|r| r.server != "bare") {
        if let Some((_, _, b)) = bare
            .iter()
            .find(|(w, c, _)| *w == r.workload && *c == r.conns)
        {
            r.ratio = Some(r.rps / b);
        }
    }
}

pub struct Run {
    pub backend: String,
    pub version: String,
    pub seeded: Seeded,
    pub rows: Vec<Row>,
    pub startup_ms: Vec<f64>,
    pub rss_idle_kib: u64,
    /// (workload, HTTP status, ms) of the first statistics requests after start-up.
    pub first_requests: Vec<(String, u16, f64)>,
}

pub struct Meta {
    pub command: String,
    pub quick: bool,
    pub conns: usize,
    pub threads: usize,
    pub secs: u64,
    pub bench_seconds: f64,
    pub total_seconds: Option<f64>,
    pub sizes: Sizes,
    pub git: String,
    /// How many times each database was seeded and measured (figures are medians).
    pub runs: usize,
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "?".into());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map(|kib| format!("{:.1} GiB", kib / 1024.0 / 1024.0))
        .unwrap_or_else(|| "?".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{cores} cores ({cpu}), {mem} memory, Linux {}",
        kernel.trim()
    )
}

fn wrk_version() -> String {
    std::process::Command::new("wrk")
        .arg("--version")
        .output()
        .ok()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .split_whitespace()
                .nth(1)
                .unwrap_or("?")
                .to_string()
        })
        .unwrap_or_else(|| "?".into())
}

fn n(x: usize) -> String {
    let s = x.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn yes(b: bool) -> &'static str {
    if b {
        "✅"
    } else {
        "❌"
    }
}

fn find<'a>(run: &'a Run, workload: &str, server: &str, conns: usize) -> Option<&'a Row> {
    run.rows
        .iter()
        .find(|r| r.workload == workload && r.server == server && r.conns == conns)
}

pub fn markdown(meta: &Meta, runs: &[Run]) -> String {
    let mut s = String::new();
    let now = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC");
    let _ = writeln!(s, "# Bairro benchmark: latest results\n");
    let _ = writeln!(
        s,
        "- command: `{}`{}",
        meta.command,
        if meta.quick {
            " (quick smoke run: small sizes, short phases; not the full benchmark)"
        } else {
            ""
        }
    );
    let _ = writeln!(s, "- date: {now}; code: {}", meta.git);
    let _ = writeln!(s, "- machine: {}", machine());
    let _ = writeln!(
        s,
        "- databases: {}",
        runs.iter()
            .map(|r| r.version.clone())
            .collect::<Vec<_>>()
            .join("; ")
    );
    let _ = writeln!(
        s,
        "- load: wrk {} with {} threads on the same machine, {} connections, {} s per phase; release builds; `bairro serve --no-rate-limits` with default pool and workers",
        wrk_version(),
        meta.threads,
        meta.conns,
        meta.secs
    );
    let total = meta
        .total_seconds
        .map(|t| format!("{t:.0} s in all (build included), "))
        .unwrap_or_default();
    if meta.runs > 1 {
        let _ = writeln!(
            s,
            "- runs: {} per database, each on a freshly seeded database; every figure below is the median of the runs (peak RSS: the highest), each run's requests/s are listed after the table",
            meta.runs
        );
    }
    let _ = writeln!(
        s,
        "- time: {total}{:.0} s seeding and measuring\n",
        meta.bench_seconds
    );

    let _ = writeln!(
        s,
        "## Seeded campaign (one published campaign, written directly to the database)\n"
    );
    let _ = writeln!(s, "| database | points | merchants | visitors | past check-ins | coupons issued | past redemptions | past page views | seed time |");
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in runs {
        let c = &r.seeded.counts;
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {:.0} s |",
            r.backend,
            c.points,
            c.merchants,
            n(c.visitors),
            n(c.checkins),
            n(c.coupons),
            n(c.redemptions),
            n(c.pageviews),
            r.seeded.seconds
        );
    }
    let _ = writeln!(
        s,
        "\nStorm offers: stock {} each, per-visitor limit 1, rounds of 10,000 distinct visitors.\n",
        meta.sizes.storm_stock
    );

    let _ = writeln!(s, "## Results\n");
    let _ = writeln!(s, "Ratio = Bairro's requests/s over the bare server's for the same SQL on the same database in the same run (for the rows “bare, same statement”: the bare server running Bairro's own check-in statement, or writing Bairro's own redemption rows with its own function, over its plain handler). Peak RSS = VmHWM of the server process during that phase. CPU = the server process's CPU time over the phase (200% = both cores).\n");
    let _ = writeln!(s, "| database | workload | server | conns | requests/s | p50 ms | p99 ms | errors | ratio to bare | peak RSS MB | server CPU | answers | rows check |");
    let _ = writeln!(
        s,
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
    );
    for run in runs {
        for r in &run.rows {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {:.0} | {:.1} | {:.1} | {} | {} | {:.1} | {:.0}% | {} | {} {} |",
                r.backend,
                r.workload,
                r.server,
                r.conns,
                r.rps,
                r.p50_ms,
                r.p99_ms,
                r.errors,
                r.ratio.map(|x| format!("{:.0}%", x * 100.0)).unwrap_or_else(|| "—".into()),
                r.peak_mb,
                r.cpu_pct,
                r.answers,
                yes(r.ok),
                r.note
            );
        }
    }
    let _ = writeln!(s);
    if meta.runs > 1 {
        let _ = writeln!(s, "Each run's requests/s (the table shows their median):\n");
        let _ = writeln!(s, "| database | workload | server | conns | runs |");
        let _ = writeln!(s, "|---|---|---|---:|---|");
        for run in runs {
            for r in &run.rows {
                let each: Vec<String> = r.each_rps.iter().map(|x| format!("{x:.0}")).collect();
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} |",
                    r.backend,
                    r.workload,
                    r.server,
                    r.conns,
                    each.join(", ")
                );
            }
        }
        let _ = writeln!(s);
    }
    for run in runs {
        let _ = writeln!(
            s,
            "{}: `bairro serve` start-up on the existing database (spawn → `/healthz` 200): {} ms; resident after start-up {:.1} MB.",
            run.backend,
            run.startup_ms.iter().map(|m| format!("{m:.0}")).collect::<Vec<_>>().join(" ms (first start after seeding), then ") + " (restart after the load)",
            run.rss_idle_kib as f64 * 1024.0 / 1e6
        );
    }
    for run in runs {
        for (w, status, ms) in &run.first_requests {
            if *status == 0 {
                let _ = writeln!(s, "{}: {w}: {:.1} s after start-up.", run.backend, ms / 1e3);
            } else {
                let _ = writeln!(
                    s,
                    "{}: {w} after that: HTTP {status} in {ms:.0} ms.",
                    run.backend
                );
            }
        }
    }
    let _ = writeln!(s);

    let _ = writeln!(s, "## Targets\n");
    let names: Vec<&str> = runs.iter().map(|r| r.backend.as_str()).collect();
    let _ = writeln!(s, "| target | {} |", names.join(" | "));
    let _ = writeln!(
        s,
        "|---|{}|",
        names.iter().map(|_| "---").collect::<Vec<_>>().join("|")
    );
    let line = |s: &mut String, title: &str, f: &dyn Fn(&Run) -> String| {
        let cells: Vec<String> = runs.iter().map(f).collect();
        let _ = writeln!(s, "| {title} | {} |", cells.join(" | "));
    };
    let c = meta.conns;
    let ratio_cell = |w: &'static str, goal: f64| {
        move |run: &Run| match find(run, w, "bairro", c).and_then(|r| r.ratio) {
            Some(x) => format!("{} {:.0}%", yes(x >= goal), x * 100.0),
            None => "—".into(),
        }
    };
    line(
        &mut s,
        "check-in ≥ 50% of the bare handler (one insert per request)",
        &ratio_cell("check-in", 0.5),
    );
    let same_cell = |w: &'static str| {
        move |run: &Run| match (find(run, w, "bairro", c), find(run, w, crate::SAME, c)) {
            (Some(r), Some(b)) if b.rps > 0.0 => {
                let x = r.rps / b.rps;
                format!("{} {:.0}%", yes(x >= 0.85), x * 100.0)
            }
            _ => "—".into(),
        }
    };
    line(
        &mut s,
        "check-in ≥ 85% of the bare handler running Bairro's own statement",
        &same_cell("check-in"),
    );
    line(
        &mut s,
        "redemption ≥ 50% of the bare handler (one conditional update and one insert)",
        &ratio_cell("redemption", 0.5),
    );
    line(
        &mut s,
        "redemption ≥ 85% of the bare handler writing Bairro's own redemption rows",
        &same_cell("redemption"),
    );
    line(
        &mut s,
        "page views ≥ 80% of the bare handler (same batching)",
        &ratio_cell("page view", 0.8),
    );
    line(
        &mut s,
        &format!("p99 < 50 ms at {c} connections (check-in, redemption, claim, page view)"),
        &|run| {
            let rows: Vec<&Row> = run
                .rows
                .iter()
                .filter(|r| {
                    r.server == "bairro"
                        && r.conns == c
                        && ["check-in", "redemption", "claim storm", "page view"]
                            .contains(&r.workload.as_str())
                })
                .collect();
            let worst = rows.iter().map(|r| r.p99_ms).fold(0.0, f64::max);
            let slow: Vec<String> = rows
                .iter()
                .filter(|r| r.p99_ms >= 50.0)
                .map(|r| format!("{} {:.0} ms", r.workload, r.p99_ms))
                .collect();
            if slow.is_empty() {
                format!("✅ worst {worst:.1} ms")
            } else {
                format!("❌ {}", slow.join(", "))
            }
        },
    );
    line(
        &mut s,
        "claim storm exact (stock, issued counter, coupons, one per visitor)",
        &|run| {
            let rows: Vec<&Row> = run
                .rows
                .iter()
                .filter(|r| r.workload == "claim storm" && r.server.starts_with("bairro"))
                .collect();
            // Each row may be the median of several runs: every run's storm was checked.
            format!(
                "{} {} storms checked",
                yes(!rows.is_empty() && rows.iter().all(|r| r.ok)),
                rows.iter().map(|r| r.each_rps.len()).sum::<usize>()
            )
        },
    );
    line(
        &mut s,
        "claim storm ≥ 2,000 claims/s (PostgreSQL; answers/s incl. sold out)",
        &|run| match find(run, "claim storm", "bairro", c) {
            Some(r) if run.backend == "PostgreSQL" => {
                format!("{} {:.0}/s", yes(r.rps >= 2000.0), r.rps)
            }
            Some(r) => format!("({:.0}/s)", r.rps),
            None => "—".into(),
        },
    );
    line(
        &mut s,
        "two `bairro serve` on one PostgreSQL (claim storm)",
        &|run| match (
            run.rows.iter().find(|r| r.server == "bairro ×2"),
            find(run, "claim storm", "bairro", c),
        ) {
            (Some(two), Some(one)) => format!(
                "{} {:.0}/s = {:.2}× one process",
                yes(two.ok),
                two.rps,
                two.rps / one.rps
            ),
            _ => "—".into(),
        },
    );
    line(
        &mut s,
        "page views ≥ 20,000/s",
        &|run| match find(run, "page view", "bairro", c) {
            Some(r) => format!("{} {:.0}/s", yes(r.rps >= 20_000.0), r.rps),
            None => "—".into(),
        },
    );
    for w in ["campaign stats", "stats overview"] {
        line(
            &mut s,
            &format!("{w} < 100 ms (one at a time, p99)"),
            &|run| match find(run, w, "bairro", 1) {
                Some(r) => format!(
                    "{} p50 {:.0} ms, p99 {:.0} ms",
                    yes(r.p99_ms < 100.0 && r.ok),
                    r.p50_ms,
                    r.p99_ms
                ),
                None => "—".into(),
            },
        );
    }
    line(&mut s, &crate::dashboards::stats_target_title(c), &|run| {
        crate::dashboards::stats_target(&run.rows, c)
    });
    line(&mut s, crate::dashboards::STREAMS_TARGET_TITLE, &|run| {
        crate::dashboards::streams_target(&run.rows)
    });
    line(
        &mut s,
        "peak RSS of bairro serve under load < 100 MB",
        &|run| {
            let peak = run
                .rows
                .iter()
                .filter(|r| r.server == "bairro")
                .map(|r| r.peak_mb)
                .fold(0.0, f64::max);
            format!("{} {peak:.1} MB", yes(peak < 100.0))
        },
    );
    line(&mut s, "start-up on an existing database < 1 s", &|run| {
        let worst = run.startup_ms.iter().copied().fold(0.0, f64::max);
        format!("{} {worst:.0} ms", yes(worst < 1000.0))
    });
    line(
        &mut s,
        "rows check after every phase (no lost check-in, no double redemption)",
        &|run| {
            let bad: Vec<String> = run
                .rows
                .iter()
                .filter(|r| !r.ok)
                .map(|r| format!("{} ({})", r.workload, r.server))
                .collect();
            if bad.is_empty() {
                "✅ all phases".into()
            } else {
                format!("❌ {}", bad.join(", "))
            }
        },
    );
    if let Some(t) = meta.total_seconds {
        let _ = writeln!(s, "\nWhole benchmark, both databases, build included: {t:.0} s ({} the 10-minute budget).", if t < 600.0 { "within" } else { "over" });
    }
    s
}
