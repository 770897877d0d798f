//! The shared live-statistics feeds, one per watched campaign (see `live`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

/// The shared feeds, one per campaign with at least one subscriber.
#[derive(Default)]
pub struct Hub {
    pub(crate) feeds: Mutex<HashMap<String, watch::Sender<Option<Arc<String>>>>>,
    pub(crate) recounts: AtomicU64,
}

impl Hub {
    /// How many times any feed has counted (for tests and metrics).
    pub fn recounts(&self) -> u64 {
        self.recounts.load(Ordering::Relaxed)
    }

    /// How many campaigns have a running feed.
    pub fn feeds(&self) -> usize {
        self.feeds.lock().map(|f| f.len()).unwrap_or(0)
    }
}
