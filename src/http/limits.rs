//! Per-key rate limits (in memory, per process) of sign-in, sign-up, check-ins, claims and
//! page views.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::{clock::DefaultClock, state::keyed::DefaultKeyedStateStore, Quota, RateLimiter};

use crate::error::AppError;

type Keyed<K> = Arc<RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>>;

/// Per-key rate limits (in memory, per process).
#[derive(Clone)]
pub struct Limits {
    pub enabled: bool,
    pub checkins: Keyed<crate::types::VisitorId>,
    pub claims: Keyed<crate::types::VisitorId>,
    pub login_account: Keyed<String>,
    pub login_ip: Keyed<IpAddr>,
    pub signup_ip: Keyed<IpAddr>,
    pub pageviews_ip: Keyed<IpAddr>,
}

fn quota(per_minute: u32, burst: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(per_minute).unwrap())
        .allow_burst(NonZeroU32::new(burst).unwrap())
}

impl Limits {
    pub fn new(enabled: bool) -> Limits {
        Limits {
            enabled,
            checkins: Arc::new(RateLimiter::keyed(quota(20, 10))),
            claims: Arc::new(RateLimiter::keyed(quota(30, 10))),
            login_account: Arc::new(RateLimiter::keyed(quota(10, 5))),
            login_ip: Arc::new(RateLimiter::keyed(quota(60, 20))),
            signup_ip: Arc::new(RateLimiter::keyed(quota(120, 60))),
            pageviews_ip: Arc::new(RateLimiter::keyed(quota(600, 200))),
        }
    }

    /// Forgets keys whose quota is full again (their state says nothing), and gives the
    /// memory back: without this, every visitor, address and username ever seen stays.
    pub fn housekeep(&self) -> usize {
        fn prune<K: std::hash::Hash + Eq + Clone>(l: &Keyed<K>) -> usize {
            l.retain_recent();
            l.shrink_to_fit();
            l.len()
        }
        prune(&self.checkins)
            + prune(&self.claims)
            + prune(&self.login_account)
            + prune(&self.login_ip)
            + prune(&self.signup_ip)
            + prune(&self.pageviews_ip)
    }

    pub fn check<K: std::hash::Hash + Eq + Clone>(
        &self,
        limiter: &Keyed<K>,
        key: &K,
    ) -> Result<(), AppError> {
        if !self.enabled {
            return Ok(());
        }
        let verdict = limiter.check_key(key);
        crate::memory::prune_if_crowded(limiter);
        verdict.map_err(|not_until| {
            let wait =
                not_until.wait_time_from(governor::clock::Clock::now(&DefaultClock::default()));
            AppError::RateLimited {
                retry_after_secs: wait.as_secs().max(1),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_state_is_pruned() {
        let l = Limits::new(true);
        for i in 0..20_000u32 {
            let ip = IpAddr::from(i.to_be_bytes());
            l.check(&l.pageviews_ip, &ip).unwrap();
        }
        assert_eq!(l.pageviews_ip.len(), 20_000);
        // One page view uses a tenth of a second of quota: the keys are idle again soon.
        let t = std::time::Instant::now();
        while l.housekeep() > 0 {
            assert!(
                t.elapsed() < std::time::Duration::from_secs(10),
                "keys pruned"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert_eq!(l.pageviews_ip.len(), 0);
    }
}
