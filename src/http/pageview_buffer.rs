//! The page views waiting to be written (a background task writes them in batches, and the
//! buffer is flushed on shutdown so none is lost), and the cache of campaign ids page views
//! name.

use std::sync::{Arc, Mutex};

use crate::db::models::NewPageview;
use crate::db::{traffic, DbPool};
use crate::error::AppError;

/// Rows per batch: the writer is woken as soon as this many wait, without waiting for its tick.
pub const BATCH: usize = 2000;

#[derive(Clone, Default)]
pub struct Buffer {
    rows: Arc<Mutex<Vec<NewPageview>>>,
    batch_ready: Arc<tokio::sync::Notify>,
}

impl Buffer {
    /// Adds a row, in one short lock, unless [`crate::memory::MAX_BUFFERED_PAGEVIEWS`] are
    /// waiting already (then the row comes back). Each full batch wakes the writer; the request
    /// never waits for the database.
    pub fn push(&self, row: NewPageview) -> Result<(), NewPageview> {
        let n = {
            let mut g = self.rows.lock().expect("buffer lock");
            if g.len() >= crate::memory::MAX_BUFFERED_PAGEVIEWS {
                return Err(row);
            }
            g.push(row);
            g.len()
        };
        if n % BATCH == 0 {
            self.batch_ready.notify_one();
        }
        Ok(())
    }

    /// Waits until a full batch is buffered (or returns at once if one was since the last
    /// call).
    pub async fn batch_ready(&self) {
        self.batch_ready.notified().await
    }

    pub fn len(&self) -> usize {
        self.rows.lock().expect("buffer lock").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Everything buffered; the buffer starts again with room for a batch.
    pub fn take(&self) -> Vec<NewPageview> {
        let mut g = self.rows.lock().expect("buffer lock");
        if g.is_empty() {
            return Vec::new();
        }
        std::mem::replace(&mut *g, Vec::with_capacity(BATCH))
    }

    /// Writes what is buffered; on failure the rows go back into the buffer.
    pub fn flush(&self, pool: &DbPool) -> Result<usize, AppError> {
        let rows = self.take();
        if rows.is_empty() {
            return Ok(0);
        }
        let result =
            crate::db::get(pool).and_then(|mut c| traffic::insert_pageviews(&mut c, &rows));
        match result {
            Ok(n) => {
                crate::telemetry::count("bairro_pageviews_total", n);
                Ok(n)
            }
            Err(e) => {
                self.rows.lock().expect("buffer lock").extend(rows);
                Err(e)
            }
        }
    }
}

/// Campaign id/slug → id, cached so a page view costs no database round trip (read under a
/// shared lock: page views on every worker look up at once).
#[derive(Clone, Default)]
pub struct CampaignIds {
    map: Arc<std::sync::RwLock<std::collections::HashMap<String, String>>>,
}

impl CampaignIds {
    /// The id of the campaign `key` names, asking `lookup` (which reads the database) only
    /// the first time.
    pub async fn resolve<F, Fut>(&self, key: &str, lookup: F) -> Result<String, AppError>
    where
        F: FnOnce(String) -> Fut,
        Fut: std::future::Future<Output = Result<String, AppError>>,
    {
        if let Some(id) = self.map.read().expect("cache lock").get(key) {
            return Ok(id.clone());
        }
        let id = lookup(key.to_string()).await?;
        let mut m = self.map.write().expect("cache lock");
        if m.len() > 10_000 {
            m.clear();
        }
        m.insert(key.to_string(), id.clone());
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::{macau_day, now};

    fn row(i: usize) -> NewPageview {
        let t = now();
        NewPageview {
            campaign_id: "c".into(),
            path: format!("/p/{i}"),
            ref_: None,
            visitor_hash: "h".into(),
            day: macau_day(t),
            created_at: t,
        }
    }

    #[test]
    fn the_buffer_is_bounded_and_wakes_the_writer_per_batch() {
        let b = Buffer::default();
        for i in 0..crate::memory::MAX_BUFFERED_PAGEVIEWS {
            assert!(b.push(row(i)).is_ok());
        }
        assert!(b.push(row(0)).is_err(), "full: the row comes back");
        assert_eq!(b.len(), crate::memory::MAX_BUFFERED_PAGEVIEWS);
        // A full batch left a wake-up for the writer.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(async {
            tokio::time::timeout(std::time::Duration::from_secs(5), b.batch_ready())
                .await
                .expect("woken");
        });
        assert_eq!(b.take().len(), crate::memory::MAX_BUFFERED_PAGEVIEWS);
        assert!(b.is_empty());
        assert!(b.push(row(1)).is_ok(), "room again once written");
    }
}
