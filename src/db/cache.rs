//! Short-lived caches of what hot paths read on every request and officials rarely change:
//! a point with its campaign, a campaign's offers, a merchant with its enrolment, and a
//! campaign's statistics (a staff login's state is never cached). Entries live
//! two seconds, and a process drops them all when it changes those rows itself, so another
//! process sees a change within two seconds. Nothing that limits money is decided from here:
//! stock, limits and single redemption are enforced by the database.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use moka::sync::Cache;

use chrono::NaiveDate;

use super::models::{Campaign, Merchant, Offer, Point};
use super::schema::*;
use super::stats::{Facts, Range};
use super::{DbConn, DbPool};
use crate::error::AppError;

/// A merchant and its enrolment status in one campaign.
pub type Shop = Arc<(Merchant, Option<String>)>;

const TTL: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct Caches {
    points: Cache<String, Option<Arc<(Point, Campaign)>>>,
    offers: Cache<String, Arc<Vec<Offer>>>,
    offer: Cache<String, Option<Arc<(Offer, Campaign)>>>,
    shops: Cache<(String, String), Shop>,
    facts: Cache<FactsKey, Arc<(Instant, Arc<Facts>)>>,
    refreshing: Arc<Mutex<HashSet<FactsKey>>>,
    pool: Option<DbPool>,
}

type FactsKey = (String, NaiveDate, NaiveDate);

/// Statistics younger than this are served as they are; older ones are served once more while
/// one background count replaces them.
const FACTS_FRESH: Duration = Duration::from_secs(2);

fn build<K, V>() -> Cache<K, V>
where
    K: std::hash::Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    Cache::builder()
        .max_capacity(10_000)
        .time_to_live(TTL)
        .build()
}

impl Default for Caches {
    fn default() -> Self {
        Caches {
            points: build(),
            offers: build(),
            offer: build(),
            shops: build(),
            facts: Cache::builder()
                .max_capacity(1_000)
                .time_to_live(Duration::from_secs(300))
                .build(),
            refreshing: Default::default(),
            pool: None,
        }
    }
}

impl Caches {
    /// Forgets everything (after an official's or merchant's change in this process).
    pub fn clear(&self) {
        self.points.invalidate_all();
        self.offers.invalidate_all();
        self.offer.invalidate_all();
        self.shops.invalidate_all();
        self.facts.invalidate_all();
    }

    /// Caches that can count statistics in the background with their own connection.
    pub fn with_pool(pool: DbPool) -> Caches {
        Caches {
            pool: Some(pool),
            ..Caches::default()
        }
    }

    /// A campaign's statistics over a range. A first request counts them (requests arriving
    /// meanwhile wait for that one count); later ones get the kept count at once, and when it
    /// is over two seconds old one background count replaces it — so answers are never more
    /// than a few seconds old, and no request waits for a recount.
    pub fn facts(&self, conn: &mut DbConn, cid: &str, r: Range) -> Result<Arc<Facts>, AppError> {
        let key: FactsKey = (cid.to_string(), r.from, r.to);
        if let Some(kept) = self.facts.get(&key) {
            if kept.0.elapsed() > FACTS_FRESH {
                self.refresh(key);
            }
            return Ok(kept.1.clone());
        }
        let kept = self
            .facts
            .try_get_with(key, || {
                super::stats::facts(conn, cid, r).map(|f| Arc::new((Instant::now(), Arc::new(f))))
            })
            .map_err(|e: Arc<AppError>| match &*e {
                AppError::NotFound(m) => AppError::NotFound(m.clone()),
                AppError::Unavailable(m) => AppError::Unavailable(m.clone()),
                other => AppError::Internal(anyhow::anyhow!("statistics: {other}")),
            })?;
        Ok(kept.1.clone())
    }

    fn refresh(&self, key: FactsKey) {
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
        let (facts, refreshing) = (self.facts.clone(), self.refreshing.clone());
        std::thread::spawn(move || {
            let counted = pool.get().ok().and_then(|mut c| {
                super::stats::facts(
                    &mut c,
                    &key.0,
                    Range {
                        from: key.1,
                        to: key.2,
                    },
                )
                .ok()
            });
            if let Some(f) = counted {
                facts.insert(key.clone(), Arc::new((Instant::now(), Arc::new(f))));
            }
            refreshing.lock().expect("refresh set").remove(&key);
        });
    }

    pub fn point(
        &self,
        conn: &mut DbConn,
        id: &str,
    ) -> Result<Option<Arc<(Point, Campaign)>>, AppError> {
        if let Some(v) = self.points.get(id) {
            return Ok(v);
        }
        let v = points::table
            .inner_join(campaigns::table.on(campaigns::id.eq(points::campaign_id)))
            .filter(points::id.eq(id))
            .select((Point::as_select(), Campaign::as_select()))
            .first::<(Point, Campaign)>(conn)
            .optional()?
            .map(Arc::new);
        self.points.insert(id.to_string(), v.clone());
        Ok(v)
    }

    /// A campaign's offers (their `issued` counters may be two seconds old).
    pub fn offers(
        &self,
        conn: &mut DbConn,
        campaign_id: &str,
    ) -> Result<Arc<Vec<Offer>>, AppError> {
        if let Some(v) = self.offers.get(campaign_id) {
            return Ok(v);
        }
        let v = Arc::new(super::catalog::offers_of(conn, campaign_id)?);
        self.offers.insert(campaign_id.to_string(), v.clone());
        Ok(v)
    }

    pub fn offer(
        &self,
        conn: &mut DbConn,
        id: &str,
    ) -> Result<Option<Arc<(Offer, Campaign)>>, AppError> {
        if let Some(v) = self.offer.get(id) {
            return Ok(v);
        }
        let v = offers::table
            .inner_join(campaigns::table.on(campaigns::id.eq(offers::campaign_id)))
            .filter(offers::id.eq(id))
            .select((Offer::as_select(), Campaign::as_select()))
            .first::<(Offer, Campaign)>(conn)
            .optional()?
            .map(Arc::new);
        self.offer.insert(id.to_string(), v.clone());
        Ok(v)
    }

    /// A merchant and its enrolment status in a campaign.
    pub fn shop(
        &self,
        conn: &mut DbConn,
        merchant_id: &str,
        campaign_id: &str,
    ) -> Result<Shop, AppError> {
        let key = (merchant_id.to_string(), campaign_id.to_string());
        if let Some(v) = self.shops.get(&key) {
            return Ok(v);
        }
        let m = super::catalog::find_merchant(conn, merchant_id)?;
        let status = super::catalog::enrolment_status(conn, campaign_id, merchant_id)?;
        let v = Arc::new((m, status));
        self.shops.insert(key, v.clone());
        Ok(v)
    }
}
