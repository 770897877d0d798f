//! The ledger's sealer (PostgreSQL). Issuing and redeeming transactions leave their ledger
//! rows in `ledger_pending` and commit side by side; the sealer moves them into the hash chain
//! ([`ledger::seal_pending`]), many at a time, on a connection of its own so it never queues
//! behind requests for the pool. A request whose transaction left rows asks for a run that
//! starts after its commit and answers when that run has ended, so an answer that says
//! "issued" or "redeemed" finds its rows in the chain. A run also comes every second, for rows
//! other processes or background jobs left. SQLite chains rows inside each transaction and
//! needs no sealer.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use tokio::sync::{watch, Notify};

use crate::db::{self, ledger, DbPool};
use crate::error::AppError;

/// How long a request waits for its rows to be sealed before answering anyway (its rows are
/// committed and are sealed by a later run).
const WAIT: Duration = Duration::from_secs(5);
/// A run comes at least this often.
const TICK: Duration = Duration::from_secs(1);

pub struct Sealer {
    /// The sealer's own connection; `None` on SQLite.
    pool: Option<DbPool>,
    wanted: Notify,
    /// Runs started, and (watched) runs ended.
    started: AtomicU64,
    ended: watch::Sender<u64>,
}

impl Default for Sealer {
    /// A sealer with nothing to seal (SQLite).
    fn default() -> Self {
        Sealer::new(None)
    }
}

impl Sealer {
    pub fn new(pool: Option<DbPool>) -> Sealer {
        Sealer {
            pool,
            wanted: Notify::new(),
            started: AtomicU64::new(0),
            ended: watch::channel(0).0,
        }
    }

    /// Called after a commit that left ledger rows waiting: returns once a run that started
    /// after the commit has ended (or after [`WAIT`]).
    pub async fn sealed(&self) {
        if self.pool.is_none() {
            return;
        }
        // A run counted as started after this load started after the commit, so it sees the
        // committed rows.
        let target = self.started.load(Ordering::SeqCst) + 1;
        let mut ended = self.ended.subscribe();
        self.wanted.notify_one();
        if tokio::time::timeout(WAIT, ended.wait_for(|e| *e >= target))
            .await
            .is_err()
        {
            tracing::warn!("ledger rows not sealed in time; a later run seals them");
        }
    }

    /// The sealer's loop (returns at once on SQLite).
    pub async fn run(self: Arc<Self>) {
        let Some(pool) = self.pool.clone() else {
            return;
        };
        loop {
            let _ = tokio::time::timeout(TICK, self.wanted.notified()).await;
            let run = self.started.fetch_add(1, Ordering::SeqCst) + 1;
            let p = pool.clone();
            match web::block(move || seal(&p)).await {
                Ok(Ok(n)) if n > 0 => tracing::debug!(rows = n, "ledger rows sealed"),
                Ok(Err(e)) => tracing::warn!(error = %e, "ledger rows not sealed yet"),
                _ => {}
            }
            self.ended.send_replace(run);
        }
    }

    /// Seals what waits now (at shutdown, after the last request).
    pub fn seal_now(&self) -> Result<usize, AppError> {
        match &self.pool {
            Some(p) => seal(p),
            None => Ok(0),
        }
    }
}

fn seal(pool: &DbPool) -> Result<usize, AppError> {
    let mut conn = db::get(pool)?;
    let r = ledger::seal_pending(&mut conn);
    if matches!(r, Err(AppError::Unavailable(_))) {
        db::discard(&mut conn);
    }
    r
}
