//! Figures kept while they are recounted (stale-while-revalidate, single flight). A first
//! request for a key counts it, and requests arriving meanwhile wait for that one count; after
//! that every request gets the kept figures at once, and when they are older than `fresh` one
//! background count (never two for the same key) replaces them. So however many officials
//! look at the same figures, at most one count of them runs at a time, and nobody waits for it
//! once the figures have been counted once. `clear` forgets everything (after a change made
//! through this process), and a count that started before it is not kept.

use std::collections::HashSet;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use moka::sync::Cache;

use super::{DbConn, DbPool};
use crate::error::AppError;

/// Figures and when they were counted.
pub struct Kept<V> {
    pub at: Instant,
    pub value: Arc<V>,
}

impl<V> Kept<V> {
    /// How old the figures are.
    pub fn age(&self) -> Duration {
        self.at.elapsed()
    }
}

/// A statistics page as it is served: its answer and that answer serialised once. The answer
/// is whatever typed view the page was built as (the cache does not know the views);
/// [`Page::answer`] gives it back as that type.
pub struct Page {
    answer: Box<dyn std::any::Any + Send + Sync>,
    pub body: actix_web::web::Bytes,
}

impl Page {
    pub fn new<T>(answer: T) -> Result<Page, AppError>
    where
        T: serde::Serialize + Send + Sync + 'static,
    {
        let body = serde_json::to_vec(&answer).map_err(|e| AppError::Internal(e.into()))?;
        Ok(Page {
            answer: Box::new(answer),
            body: body.into(),
        })
    }

    /// The answer the page was built as, if it is a `T`.
    pub fn answer<T: 'static>(&self) -> Result<&T, AppError> {
        self.answer.downcast_ref::<T>().ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!(
                "statistics page is not a {}",
                std::any::type_name::<T>()
            ))
        })
    }
}

type Load<V> = Arc<dyn Fn(&mut DbConn) -> Result<V, AppError> + Send + Sync>;

/// A stale-while-revalidate cache whose background counts take connections from `pool`.
pub struct Swr<K, V> {
    name: &'static str,
    kept: Cache<K, Arc<Kept<V>>>,
    refreshing: Arc<Mutex<HashSet<K>>>,
    generation: Arc<AtomicU64>,
    counts: Arc<AtomicU64>,
    pool: Option<DbPool>,
    fresh: Duration,
}

impl<K, V> Clone for Swr<K, V> {
    fn clone(&self) -> Self {
        Swr {
            name: self.name,
            kept: self.kept.clone(),
            refreshing: self.refreshing.clone(),
            generation: self.generation.clone(),
            counts: self.counts.clone(),
            pool: self.pool.clone(),
            fresh: self.fresh,
        }
    }
}

impl<K, V> Swr<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Send + Sync + 'static,
{
    /// `name` labels the recount counter (`bairro_statistics_recounts_total{figures=…}`);
    /// figures older than `fresh` are recounted in the background, and forgotten after
    /// `keep` without a request.
    pub fn new(name: &'static str, pool: Option<DbPool>, fresh: Duration, keep: Duration) -> Self {
        Swr {
            name,
            kept: Cache::builder()
                .max_capacity(1_000)
                .time_to_live(keep)
                .build(),
            refreshing: Default::default(),
            generation: Default::default(),
            counts: Default::default(),
            pool,
            fresh,
        }
    }

    /// How many times figures were counted (on a request or in the background).
    pub fn counts(&self) -> u64 {
        self.counts.load(Ordering::Relaxed)
    }

    fn counted(&self) {
        self.counts.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("bairro_statistics_recounts_total", "figures" => self.name).increment(1);
    }

    /// The kept figures of `key` if there are any (a background count replaces them when
    /// they are stale), without a connection.
    pub fn kept(
        &self,
        key: &K,
        load: impl Fn(&mut DbConn) -> Result<V, AppError> + Send + Sync + 'static,
    ) -> Option<Arc<Kept<V>>> {
        let kept = self.kept.get(key)?;
        if kept.age() > self.fresh {
            self.refresh(key.clone(), Arc::new(load));
        }
        Some(kept)
    }

    /// The kept figures of `key`, counted with `conn` when there are none yet.
    pub fn get(
        &self,
        conn: &mut DbConn,
        key: K,
        load: impl Fn(&mut DbConn) -> Result<V, AppError> + Send + Sync + 'static,
    ) -> Result<Arc<Kept<V>>, AppError> {
        if let Some(kept) = self.kept.get(&key) {
            if kept.age() > self.fresh {
                self.refresh(key, Arc::new(load));
            }
            return Ok(kept);
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let kept = self
            .kept
            .try_get_with(key.clone(), || {
                self.counted();
                load(conn).map(|v| {
                    Arc::new(Kept {
                        at: Instant::now(),
                        value: Arc::new(v),
                    })
                })
            })
            .map_err(|e: Arc<AppError>| match &*e {
                AppError::NotFound(m) => AppError::NotFound(m.clone()),
                AppError::Unavailable(m) => AppError::Unavailable(m.clone()),
                other => AppError::Internal(anyhow::anyhow!("statistics: {other}")),
            })?;
        if self.generation.load(Ordering::SeqCst) != generation {
            // Counted before a change made here: good for this request only.
            self.kept.invalidate(&key);
        }
        Ok(kept)
    }

    /// Keeps figures counted elsewhere (as fresh as they are now).
    pub fn put(&self, key: K, value: Arc<V>, generation: u64) {
        if self.generation.load(Ordering::SeqCst) == generation {
            self.kept.insert(
                key,
                Arc::new(Kept {
                    at: Instant::now(),
                    value,
                }),
            );
        }
    }

    /// The current generation (changes at every `clear`), for `put`.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Forgets everything; counts running now are not kept.
    pub fn clear(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.kept.invalidate_all();
    }

    fn refresh(&self, key: K, load: Load<V>) {
        let Some(pool) = self.pool.clone() else {
            return;
        };
        if !self
            .refreshing
            .lock()
            .expect("refresh set")
            .insert(key.clone())
        {
            return;
        }
        let this = self.clone();
        let generation = self.generation();
        std::thread::spawn(move || {
            this.counted();
            let counted = super::get(&pool).and_then(|mut c| load(&mut c));
            match counted {
                Ok(v) => this.put(key.clone(), Arc::new(v), generation),
                // Gone (or renamed, when kept by its slug): no longer served.
                Err(AppError::NotFound(_)) => this.kept.invalidate(&key),
                Err(e) => tracing::warn!(error = %e, "statistics recount failed"),
            }
            this.refreshing.lock().expect("refresh set").remove(&key);
        });
    }
}
