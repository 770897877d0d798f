//! Keeps the process's memory bounded under hostile or long-running load.
//!
//! - Password hashing (Argon2, 19 MiB of working memory per hash) takes turns: at most one
//!   hash per core at a time, instead of one per blocking thread (up to 512).
//! - Large blocks are given back to the system when freed (a fixed mmap threshold), so a burst
//!   of hashes does not stay resident in malloc's arenas.
//! - Per-key rate-limiter state is pruned of keys that are back to a full quota
//!   ([`crate::http::visitors::Limits::housekeep`]); caches have a maximum capacity
//!   (`db::cache`); the page-view buffer refuses (503) beyond [`MAX_BUFFERED_PAGEVIEWS`].

use std::sync::{Condvar, Mutex, OnceLock};

/// Page views held in memory while the database is unreachable; beyond this, 503.
pub const MAX_BUFFERED_PAGEVIEWS: usize = 100_000;

struct Gate {
    free: Mutex<usize>,
    turn: Condvar,
}

fn gate() -> &'static Gate {
    static G: OnceLock<Gate> = OnceLock::new();
    G.get_or_init(|| Gate {
        free: Mutex::new(
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
        ),
        turn: Condvar::new(),
    })
}

/// A turn at password hashing; released when dropped.
pub struct HashingTurn(());

impl Drop for HashingTurn {
    fn drop(&mut self) {
        let g = gate();
        *g.free.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        g.turn.notify_one();
    }
}

/// Waits for a turn at password hashing (call on a blocking thread).
pub fn hashing_turn() -> HashingTurn {
    let g = gate();
    let mut free = g.free.lock().unwrap_or_else(|p| p.into_inner());
    while *free == 0 {
        free = g.turn.wait(free).unwrap_or_else(|p| p.into_inner());
    }
    *free -= 1;
    HashingTurn(())
}

/// Large allocations (≥ 1 MiB) are mapped and unmapped on their own rather than kept in
/// malloc's arenas after the first free (glibc otherwise raises its threshold as it goes).
pub fn limit_heap_growth() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        const M_MMAP_THRESHOLD: i32 = -3;
        // SAFETY: mallopt only sets an allocator parameter; called once at start-up.
        unsafe {
            mallopt(M_MMAP_THRESHOLD, 1 << 20);
        }
    }
}

/// Resident memory of this process in KiB (Linux), for tests and the benchmark report.
pub fn resident_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashing_takes_turns() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..cores * 4)
            .map(|_| {
                let (inside, most) = (inside.clone(), most.clone());
                std::thread::spawn(move || {
                    let _t = hashing_turn();
                    let n = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(n, Ordering::SeqCst);
                    // Work while holding the turn (not a hash: that takes a turn itself).
                    let mut x = 0u64;
                    for i in 0..2_000_000u64 {
                        x = x.wrapping_mul(31).wrapping_add(i);
                    }
                    std::hint::black_box(x);
                    inside.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert!(most.load(Ordering::SeqCst) <= cores);
    }
}
