//! Short-lived caches of what hot paths read on every request and officials rarely change:
//! a point with its campaign, a campaign's offers, a merchant with its enrolment, and a
//! campaign's statistics (a staff login's state is never cached). Entries live
//! two seconds, and a process drops them all when it changes those rows itself, so another
//! process sees a change within two seconds. Nothing that limits money is decided from here:
//! stock, limits and single redemption are enforced by the database.

use std::sync::Arc;
use std::time::Duration;

use diesel::prelude::*;
use moka::sync::Cache;

use chrono::NaiveDate;

use super::figures::{Kept, Page, Swr};
use super::models::{Campaign, Merchant, Offer, Point};
use super::schema::*;
use super::stats::{Facts, Range};
use super::{DbConn, DbPool};
use crate::error::AppError;
use crate::types::{CampaignId, EnrolmentStatus, MerchantId, OfferId, PointId};

/// A merchant and its enrolment status in one campaign.
pub type Shop = Arc<(Merchant, Option<EnrolmentStatus>)>;

const TTL: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct Caches {
    points: Cache<PointId, Option<Arc<(Point, Campaign)>>>,
    offers: Cache<CampaignId, Arc<Vec<Offer>>>,
    offer: Cache<OfferId, Option<Arc<(Offer, Campaign)>>>,
    shops: Cache<(MerchantId, CampaignId), Shop>,
    facts: Swr<FactsKey, Facts>,
    pages: Swr<FactsKey, Page>,
    /// Counts may keep the facts of closed days (false on a read replica).
    keeps_days: bool,
}

/// A campaign (or `*`, all of them) and a range of days.
pub type FactsKey = (String, NaiveDate, NaiveDate);

/// Statistics younger than this are served as they are; older ones are served once more while
/// one background count replaces them.
const FACTS_FRESH: Duration = Duration::from_secs(2);
/// Statistics nobody asked for in this long are forgotten.
const FACTS_KEEP: Duration = Duration::from_secs(300);

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
        Caches::new(None, true)
    }
}

impl Caches {
    fn new(pool: Option<DbPool>, keeps_days: bool) -> Caches {
        Caches {
            points: build(),
            offers: build(),
            offer: build(),
            shops: build(),
            facts: Swr::new("facts", pool.clone(), FACTS_FRESH, FACTS_KEEP),
            pages: Swr::new("pages", pool, FACTS_FRESH, FACTS_KEEP),
            keeps_days,
        }
    }

    /// Forgets everything (after an official's or merchant's change in this process).
    pub fn clear(&self) {
        self.points.invalidate_all();
        self.offers.invalidate_all();
        self.offer.invalidate_all();
        self.shops.invalidate_all();
        self.facts.clear();
        self.pages.clear();
    }

    /// Caches that count statistics in the background with their own connections from `pool`
    /// (the read replica's when there is one: then they never write the closed days' facts,
    /// which the primary keeps).
    pub fn with_pool(pool: DbPool, replica: bool) -> Caches {
        Caches::new(Some(pool), !replica)
    }

    /// How many times statistics were counted, facts and pages (for tests and metrics).
    pub fn recounts(&self) -> (u64, u64) {
        (self.facts.counts(), self.pages.counts())
    }

    /// Counts a campaign's facts now and keeps them for [`Caches::facts`].
    pub fn count_facts(
        &self,
        conn: &mut DbConn,
        cid: &str,
        r: Range,
    ) -> Result<Arc<Facts>, AppError> {
        let generation = self.facts.generation();
        let f = Arc::new(super::stats::facts(conn, cid, r, self.keeps_days)?);
        self.facts
            .put((cid.to_string(), r.from, r.to), f.clone(), generation);
        Ok(f)
    }

    /// A campaign's statistics over a range. A first request counts them (requests arriving
    /// meanwhile wait for that one count); later ones get the kept count at once, and when it
    /// is over two seconds old one background count replaces it — so answers are never more
    /// than a few seconds old, and no request waits for a recount.
    pub fn facts(&self, conn: &mut DbConn, cid: &str, r: Range) -> Result<Arc<Facts>, AppError> {
        let (id, keeps_days) = (cid.to_string(), self.keeps_days);
        let kept = self.facts.get(conn, (id.clone(), r.from, r.to), move |c| {
            super::stats::facts(c, &id, r, keeps_days)
        })?;
        Ok(kept.value.clone())
    }

    /// A statistics page (`key`: a campaign id or `*`, and a range), built by `build` and kept
    /// like the facts: at most one build of a page runs at a time, and it is served as it was
    /// built (with its age) while the next one is built.
    pub fn page<T>(
        &self,
        conn: &mut DbConn,
        key: FactsKey,
        build: impl Fn(&mut DbConn) -> Result<T, AppError> + Send + Sync + 'static,
    ) -> Result<Arc<Kept<Page>>, AppError>
    where
        T: serde::Serialize + Send + Sync + 'static,
    {
        self.pages.get(conn, key, move |c| Page::new(build(c)?))
    }

    /// A kept statistics page, if there is one (see [`Caches::page`]); no connection needed.
    pub fn kept_page<T>(
        &self,
        key: &FactsKey,
        build: impl Fn(&mut DbConn) -> Result<T, AppError> + Send + Sync + 'static,
    ) -> Option<Arc<Kept<Page>>>
    where
        T: serde::Serialize + Send + Sync + 'static,
    {
        self.pages.kept(key, move |c| Page::new(build(c)?))
    }

    pub fn point(
        &self,
        conn: &mut DbConn,
        id: &PointId,
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
        self.points.insert(id.clone(), v.clone());
        Ok(v)
    }

    /// A campaign's offers (their `issued` counters may be two seconds old).
    pub fn offers(
        &self,
        conn: &mut DbConn,
        campaign_id: &CampaignId,
    ) -> Result<Arc<Vec<Offer>>, AppError> {
        if let Some(v) = self.offers.get(campaign_id) {
            return Ok(v);
        }
        let v = Arc::new(super::catalog::offers_of(conn, campaign_id)?);
        self.offers.insert(campaign_id.clone(), v.clone());
        Ok(v)
    }

    pub fn offer(
        &self,
        conn: &mut DbConn,
        id: &OfferId,
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
        self.offer.insert(id.clone(), v.clone());
        Ok(v)
    }

    /// A merchant and its enrolment status in a campaign.
    pub fn shop(
        &self,
        conn: &mut DbConn,
        merchant_id: &MerchantId,
        campaign_id: &CampaignId,
    ) -> Result<Shop, AppError> {
        let key = (merchant_id.clone(), campaign_id.clone());
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
