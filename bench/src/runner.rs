//! Processes: the servers under test (spawned, health-checked, measured through /proc,
//! stopped with SIGTERM) and wrk runs (spawned, their `BENCH-JSON` line parsed).

use std::fs::File;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

pub struct Server {
    pub name: String,
    pub port: u16,
    child: Child,
    pub started_in: Duration,
}

impl Server {
    /// Spawns and waits until `GET /healthz` answers 200; the wait is the start-up time.
    pub fn start(name: &str, mut cmd: Command, port: u16, log: &Path) -> anyhow::Result<Server> {
        let out = File::create(log)?;
        let err = out.try_clone()?;
        let t0 = Instant::now();
        let child = cmd
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()?;
        let mut s = Server {
            name: name.to_string(),
            port,
            child,
            started_in: Duration::ZERO,
        };
        loop {
            if let Some(status) = s.child.try_wait()? {
                anyhow::bail!(
                    "{name} exited during start-up ({status}); see {}",
                    log.display()
                );
            }
            if http_status(port, "/healthz").ok() == Some(200) {
                break;
            }
            if t0.elapsed() > Duration::from_secs(60) {
                anyhow::bail!(
                    "{name} did not answer /healthz within 60 s; see {}",
                    log.display()
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        s.started_in = t0.elapsed();
        Ok(s)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resets the peak resident set size (VmHWM) so the next phase measures its own peak.
    pub fn reset_peak(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.pid()), "5");
    }

    /// (peak RSS, current RSS) in KiB.
    pub fn rss_kib(&self) -> (u64, u64) {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        let field = |k: &str| {
            s.lines()
                .find(|l| l.starts_with(k))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        (field("VmHWM:"), field("VmRSS:"))
    }

    /// User + system CPU time so far, in seconds.
    pub fn cpu_seconds(&self) -> f64 {
        let s = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
        let after = s.rsplit_once(')').map(|x| x.1).unwrap_or("");
        let f: Vec<&str> = after.split_whitespace().collect();
        let tick = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
        let get = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        // After the command name: state is field 0, utime 11, stime 12.
        (get(11) + get(12)) / tick.max(1.0)
    }

    /// Waits until the server is idle (under 5% of a core over 250 ms): requests wrk gave up
    /// on are still being served after it stops, and must not spill into the next phase.
    pub fn wait_idle(&self) {
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(60) {
            let a = self.cpu_seconds();
            std::thread::sleep(Duration::from_millis(250));
            if self.cpu_seconds() - a < 0.0125 {
                return;
            }
        }
    }

    /// SIGKILL: for a server left with a queue of slow requests.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits for a graceful stop (the server flushes buffered page views).
    pub fn stop(mut self) -> anyhow::Result<()> {
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(20) {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!("  {} did not stop within 20 s; killing it", self.name);
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

/// A bare-bones HTTP/1.1 GET, enough for a health check.
pub fn http_status(port: u16, path: &str) -> anyhow::Result<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )?;
    let mut buf = [0u8; 32];
    let n = s.read(&mut buf)?;
    let head = std::str::from_utf8(&buf[..n]).unwrap_or("");
    Ok(head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0))
}

/// A GET with a bearer token, read to the end: (status, milliseconds).
pub fn timed_get(port: u16, path: &str, token: &str) -> anyhow::Result<(u16, f64)> {
    let t = Instant::now();
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(300)))?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n")?;
    let mut body = Vec::new();
    s.read_to_end(&mut body)?;
    let head = String::from_utf8_lossy(&body[..body.len().min(32)]).to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok((status, t.elapsed().as_secs_f64() * 1e3))
}

pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct WrkResult {
    pub duration_us: u64,
    pub requests: u64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
    pub mean_us: f64,
    pub connect: u64,
    pub read: u64,
    pub write: u64,
    pub timeout: u64,
    pub wrapped: u64,
    pub sent: Vec<u64>,
    pub statuses: std::collections::BTreeMap<String, u64>,
}

impl WrkResult {
    pub fn rps(&self) -> f64 {
        self.requests as f64 / (self.duration_us as f64 / 1e6).max(1e-9)
    }

    pub fn count(&self, statuses: &[u16]) -> u64 {
        statuses
            .iter()
            .map(|s| self.statuses.get(&s.to_string()).copied().unwrap_or(0))
            .sum()
    }

    /// Answers with a status not in `ok`, plus socket errors and timeouts.
    pub fn errors(&self, ok: &[u16]) -> u64 {
        let answered: u64 = self.statuses.values().sum();
        answered - self.count(ok) + self.connect + self.read + self.write + self.timeout
    }

    /// Merges concurrent runs (two load generators against two servers).
    pub fn merge(runs: &[WrkResult]) -> WrkResult {
        let mut m = WrkResult::default();
        for r in runs {
            m.duration_us = m.duration_us.max(r.duration_us);
            m.requests += r.requests;
            m.p50_us = m.p50_us.max(r.p50_us);
            m.p90_us = m.p90_us.max(r.p90_us);
            m.p99_us = m.p99_us.max(r.p99_us);
            m.max_us = m.max_us.max(r.max_us);
            m.mean_us += r.mean_us / runs.len() as f64;
            m.connect += r.connect;
            m.read += r.read;
            m.write += r.write;
            m.timeout += r.timeout;
            m.wrapped += r.wrapped;
            m.sent.extend(r.sent.iter().copied());
            for (k, v) in &r.statuses {
                *m.statuses.entry(k.clone()).or_insert(0) += v;
            }
        }
        m
    }
}

pub struct Wrk {
    pub bin: String,
    pub script: PathBuf,
}

impl Wrk {
    pub fn command(
        &self,
        port: u16,
        threads: usize,
        conns: usize,
        secs: u64,
        prefix: &Path,
    ) -> Command {
        let mut c = Command::new(&self.bin);
        c.args([
            "-t",
            &threads.to_string(),
            "-c",
            &conns.to_string(),
            "-d",
            &format!("{secs}s"),
            "--timeout",
            "30s",
            "-s",
        ])
        .arg(&self.script)
        .arg(format!("http://127.0.0.1:{port}"))
        .arg("--")
        .arg(prefix);
        c
    }

    pub fn run(
        &self,
        port: u16,
        threads: usize,
        conns: usize,
        secs: u64,
        prefix: &Path,
    ) -> anyhow::Result<WrkResult> {
        let out = self.command(port, threads, conns, secs, prefix).output()?;
        parse(&out)
    }

    /// Several wrk processes at once (one per server), merged.
    pub fn run_many(
        &self,
        targets: &[(u16, PathBuf)],
        threads: usize,
        conns: usize,
        secs: u64,
    ) -> anyhow::Result<WrkResult> {
        let mut children = Vec::new();
        for (port, prefix) in targets {
            children.push(
                self.command(*port, threads, conns, secs, prefix)
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()?,
            );
        }
        let mut results = Vec::new();
        for c in children {
            results.push(parse(&c.wait_with_output()?)?);
        }
        Ok(WrkResult::merge(&results))
    }
}

fn parse(out: &std::process::Output) -> anyhow::Result<WrkResult> {
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("BENCH-JSON "))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "wrk printed no result: {}\n{}",
                text,
                String::from_utf8_lossy(&out.stderr)
            )
        })?;
    Ok(serde_json::from_str(line)?)
}
