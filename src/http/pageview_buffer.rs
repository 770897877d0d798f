//! The page views waiting to be written (a background task writes them in batches, and the
//! buffer is flushed on shutdown so none is lost), and the cache of campaign ids page views
//! name.

use std::sync::{Arc, Mutex};

use crate::db::models::NewPageview;
use crate::db::{traffic, DbPool};
use crate::error::AppError;

#[derive(Clone, Default)]
pub struct Buffer {
    rows: Arc<Mutex<Vec<NewPageview>>>,
}

impl Buffer {
    pub fn push(&self, row: NewPageview) -> usize {
        let mut g = self.rows.lock().expect("buffer lock");
        g.push(row);
        g.len()
    }

    pub fn len(&self) -> usize {
        self.rows.lock().expect("buffer lock").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn take(&self) -> Vec<NewPageview> {
        std::mem::take(&mut *self.rows.lock().expect("buffer lock"))
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

/// Campaign id/slug → id, cached so a page view costs no database round trip.
#[derive(Clone, Default)]
pub struct CampaignIds {
    map: Arc<Mutex<std::collections::HashMap<String, String>>>,
}

impl CampaignIds {
    /// The id of the campaign `key` names, asking `lookup` (which reads the database) only
    /// the first time.
    pub async fn resolve<F, Fut>(&self, key: &str, lookup: F) -> Result<String, AppError>
    where
        F: FnOnce(String) -> Fut,
        Fut: std::future::Future<Output = Result<String, AppError>>,
    {
        if let Some(id) = self.map.lock().expect("cache lock").get(key) {
            return Ok(id.clone());
        }
        let id = lookup(key.to_string()).await?;
        let mut m = self.map.lock().expect("cache lock");
        if m.len() > 10_000 {
            m.clear();
        }
        m.insert(key.to_string(), id.clone());
        Ok(id)
    }
}
