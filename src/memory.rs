//! Keeps the process's memory bounded under hostile or long-running load.
//!
//! - Password hashing (Argon2id, 7 MiB of working memory per hash: `service::passwords`)
//!   takes turns within a memory budget ([`HASHING_BUDGET_BYTES`]: one hash at a time),
//!   instead of one per blocking thread (up to 512). The hour-long soak found two hashes at
//!   once (then 19 MiB each) on top of the steady ~75 MB took the peak past 100 MB.
//! - Large blocks are given back to the system when freed (a fixed mmap threshold), so a burst
//!   of hashes does not stay resident in malloc's arenas.
//! - Per-key rate-limiter state is pruned of keys that are back to a full quota, every minute
//!   ([`crate::http::visitors::Limits::housekeep`], `Wallets::housekeep`) and at once when a
//!   limiter holds more than [`LIMITER_PRUNE_AT`] keys ([`prune_if_crowded`]), so a flood of
//!   new addresses between two housekeepings keeps only the keys still being limited.
//! - SQLite's page caches and statements stay within [`SQLITE_HEAP_LIMIT_BYTES`] for the
//!   whole process (its soft heap limit).
//! - Caches have a maximum capacity (`db::cache`); the page-view buffer refuses (503) beyond
//!   [`MAX_BUFFERED_PAGEVIEWS`].
//! - Latency samples are folded into the histograms' buckets every
//!   [`crate::http::metrics::SAMPLES_PER_UPKEEP`] requests, not only when `/metrics` is read
//!   (a server nobody scrapes would otherwise keep every sample it ever took).

use std::cell::Cell;
use std::sync::{Condvar, Mutex, OnceLock};

use governor::{clock::DefaultClock, state::keyed::DefaultKeyedStateStore, RateLimiter};

/// SQLite's memory for the whole process (page caches and statements of every pooled
/// connection, sorts): its soft heap limit, past which it recycles cached pages rather than
/// allocate more. Without it the eight connections' caches and one statistics recount reached
/// 29.6 MB in a few minutes of the soak.
pub const SQLITE_HEAP_LIMIT_BYTES: i64 = 16 * 1024 * 1024;

/// Page views held in memory while the database is unreachable; beyond this, 503.
pub const MAX_BUFFERED_PAGEVIEWS: usize = 100_000;

/// A limiter holding more keys than this is pruned of the keys back at a full quota right away.
pub const LIMITER_PRUNE_AT: usize = 50_000;

/// Working memory of one password hash in KiB (Argon2id's `m`, used by `service::passwords`).
pub const HASH_MEMORY_KIB: u32 = 7 * 1024;

/// Working memory of one password hash in bytes.
pub const HASH_MEMORY_BYTES: usize = HASH_MEMORY_KIB as usize * 1024;

/// Resident memory password hashing may hold at once: one hash's worth, so a burst of logins
/// adds at most ~8 MB to the process whatever the number of cores (a hash stored before the
/// 7 MiB parameters is verified with its own 19 MiB, still one at a time).
pub const HASHING_BUDGET_BYTES: usize = 8 * 1024 * 1024;

/// How many password hashes may run at once: as many as fit in [`HASHING_BUDGET_BYTES`]
/// (at least one).
pub fn hashing_turns() -> usize {
    (HASHING_BUDGET_BYTES / HASH_MEMORY_BYTES).max(1)
}

/// An in-memory per-key rate limiter.
pub type KeyedLimiter<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>;

/// Called after each check of a keyed limiter: every 64th call on a thread, when the limiter
/// holds more than [`LIMITER_PRUNE_AT`] keys, forgets those whose quota is full again. What
/// stays is only the keys limited right now (at most the rate of new keys times the quota's
/// refill interval), whatever the number of addresses or visitors seen.
pub fn prune_if_crowded<K: std::hash::Hash + Eq + Clone>(l: &KeyedLimiter<K>) {
    thread_local!(static CALLS: Cell<u32> = const { Cell::new(0) });
    let n = CALLS.with(|c| {
        let n = c.get().wrapping_add(1);
        c.set(n);
        n
    });
    if n.is_multiple_of(64) && l.len() > LIMITER_PRUNE_AT {
        l.retain_recent();
    }
}

struct Gate {
    free: Mutex<usize>,
    turn: Condvar,
}

fn gate() -> &'static Gate {
    static G: OnceLock<Gate> = OnceLock::new();
    G.get_or_init(|| Gate {
        free: Mutex::new(hashing_turns()),
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

/// Malloc arenas the process may use: one per core. glibc's default (eight per core) gives
/// every busy thread (HTTP workers, blocking database threads) an arena of its own, each
/// keeping its freed memory: under an hour of mixed load that alone was 60 MB resident.
pub fn arena_limit() -> i32 {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(2, 16) as i32
}

/// Large allocations (≥ 1 MiB) are mapped and unmapped on their own rather than kept in
/// malloc's arenas after the first free (glibc otherwise raises its threshold as it goes), and
/// the arenas are limited to [`arena_limit`]. Returns whether the allocator took both settings.
pub fn limit_heap_growth() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        const M_MMAP_THRESHOLD: i32 = -3;
        const M_ARENA_MAX: i32 = -8;
        // SAFETY: mallopt only sets allocator parameters; called at start-up.
        unsafe {
            mallopt(M_MMAP_THRESHOLD, 1 << 20) == 1 && mallopt(M_ARENA_MAX, arena_limit()) == 1
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

/// Gives the free memory inside malloc's arenas back to the system (run every minute by the
/// server's upkeep), so a burst's high-water mark does not stay resident.
pub fn give_back_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: malloc_trim only returns free pages to the system.
        unsafe {
            malloc_trim(0);
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
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn freed_memory_goes_back_to_the_system() {
        assert!(limit_heap_growth(), "the allocator takes both settings");
        // 64 MB in small blocks, all freed: trimming gives (most of) it back.
        let before = resident_kib().unwrap();
        let blocks: Vec<Vec<u8>> = (0..64 * 1024).map(|i| vec![i as u8; 1000]).collect();
        let full = resident_kib().unwrap();
        drop(blocks);
        give_back_free_memory();
        let after = resident_kib().unwrap();
        assert!(full > before + 40 * 1024, "{before} → {full} KiB");
        assert!(
            after < full - 40 * 1024,
            "resident after trimming: {after} KiB (was {full})"
        );
    }

    #[test]
    fn a_crowded_limiter_is_pruned_between_housekeepings() {
        use governor::Quota;
        use std::num::NonZeroU32;
        // A quota that is full again a microsecond after each use: every key is prunable.
        let l: KeyedLimiter<u32> =
            RateLimiter::keyed(Quota::per_second(NonZeroU32::new(1_000_000).unwrap()));
        for k in 0..(LIMITER_PRUNE_AT as u32 * 3) {
            l.check_key(&k).unwrap();
            prune_if_crowded(&l);
        }
        assert!(
            l.len() <= LIMITER_PRUNE_AT + 64,
            "{} keys kept, bound {}",
            l.len(),
            LIMITER_PRUNE_AT + 64
        );
        // Keys still limited are kept: pruning never hands out a fresh quota early.
        let strict: KeyedLimiter<u32> =
            RateLimiter::keyed(Quota::per_hour(NonZeroU32::new(1).unwrap()));
        for k in 0..(LIMITER_PRUNE_AT as u32 + 128) {
            strict.check_key(&k).unwrap();
            prune_if_crowded(&strict);
        }
        assert!(strict.check_key(&0).is_err(), "key 0 is still limited");
    }

    #[test]
    fn hashing_takes_turns_within_its_memory_budget() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        // The budget holds one hash: two at once (one per core on the soak's machine) took
        // the server's peak past 100 MB.
        assert_eq!(hashing_turns(), 1);
        assert!(hashing_turns() * HASH_MEMORY_BYTES <= HASHING_BUDGET_BYTES);
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
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
        assert_eq!(most.load(Ordering::SeqCst), hashing_turns());
    }
}
