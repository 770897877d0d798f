//! Short-lived caches of what hot paths read on every request and officials rarely change:
//! a point with its campaign, a campaign's offers, a merchant with its enrolment, a staff
//! login's state, and a campaign's statistics. Entries live
//! two seconds, and a process drops them all when it changes those rows itself, so another
//! process sees a change within two seconds. Nothing that limits money is decided from here:
//! stock, limits and single redemption are enforced by the database.

use std::sync::Arc;
use std::time::Duration;

use diesel::prelude::*;
use moka::sync::Cache;

use chrono::NaiveDate;

use super::models::{Campaign, Merchant, Offer, Point};
use super::schema::*;
use super::stats::{Facts, Range};
use super::DbConn;
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
    users: Cache<String, bool>,
    facts: Cache<(String, NaiveDate, NaiveDate), Arc<Facts>>,
}

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
            users: build(),
            facts: build(),
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
        self.users.invalidate_all();
        self.facts.invalidate_all();
    }

    /// A campaign's statistics over a range, at most two seconds old. Requests arriving
    /// together while they are counted wait for that one count instead of repeating it.
    pub fn facts(&self, conn: &mut DbConn, cid: &str, r: Range) -> Result<Arc<Facts>, AppError> {
        self.facts
            .try_get_with((cid.to_string(), r.from, r.to), || {
                super::stats::facts(conn, cid, r).map(Arc::new)
            })
            .map_err(|e: Arc<AppError>| match &*e {
                AppError::NotFound(m) => AppError::NotFound(m.clone()),
                AppError::Unavailable(m) => AppError::Unavailable(m.clone()),
                other => AppError::Internal(anyhow::anyhow!("statistics: {other}")),
            })
    }

    /// Whether a staff login is still active, if known.
    pub fn user_active(&self, user_id: &str) -> Option<bool> {
        self.users.get(user_id)
    }

    pub fn set_user_active(&self, user_id: String, active: bool) {
        self.users.insert(user_id, active);
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
