//! What verifying visitors needs in memory: the code senders, the key of the addresses'
//! keyed hashes, the sending limits, and the visitors known to exist.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use governor::{Quota, RateLimiter};
use moka::sync::Cache;

use crate::config::Settings;
use crate::db::verification::AddressKey;
use crate::domain::verification::Address;
use crate::error::AppError;
use crate::notify::Senders;

type Keyed = Arc<
    RateLimiter<
        String,
        governor::state::keyed::DefaultKeyedStateStore<String>,
        governor::clock::DefaultClock,
    >,
>;

/// Senders, the address key, the sending limits, and the visitors known to exist.
pub struct Wallets {
    pub senders: Senders,
    pub(crate) address_key: Vec<u8>,
    limits_on: bool,
    pub(crate) per_address: Keyed,
    pub(crate) per_visitor: Keyed,
    pub(crate) confirms: Keyed,
    /// Visitors known to exist (remembered for a minute).
    pub(crate) known: Cache<crate::types::VisitorId, ()>,
}

impl Wallets {
    pub fn new(settings: &Settings) -> Wallets {
        let every = |secs: u64, burst: u32| {
            Arc::new(RateLimiter::keyed(
                Quota::with_period(StdDuration::from_secs(secs))
                    .expect("a period")
                    .allow_burst(NonZeroU32::new(burst).expect("a burst")),
            ))
        };
        Wallets {
            senders: Senders::new(&settings.verification, settings.demo),
            address_key: settings
                .verification
                .address_key
                .expose()
                .as_bytes()
                .to_vec(),
            limits_on: settings.rate_limits,
            // Three codes to one address at once, then one every two minutes.
            per_address: every(120, 3),
            // Five codes from one visitor at once, then one a minute.
            per_visitor: every(60, 5),
            // Ten tries from one visitor at once, then one every ten seconds (wrong codes are
            // also counted per address in the database).
            confirms: every(10, 10),
            known: Cache::builder()
                .max_capacity(200_000)
                .time_to_live(StdDuration::from_secs(60))
                .build(),
        }
    }

    /// Forgets the addresses and visitors whose sending and confirming quotas are full again
    /// (run every minute with the other limiters' housekeeping); returns the keys kept.
    pub fn housekeep(&self) -> usize {
        [&self.per_address, &self.per_visitor, &self.confirms]
            .iter()
            .map(|l| {
                l.retain_recent();
                l.shrink_to_fit();
                l.len()
            })
            .sum()
    }

    pub(crate) fn limit(&self, limiter: &Keyed, key: &str) -> Result<(), AppError> {
        if !self.limits_on {
            return Ok(());
        }
        let verdict = limiter.check_key(&key.to_string());
        crate::memory::prune_if_crowded(limiter);
        verdict.map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(
                &governor::clock::DefaultClock::default(),
            ));
            AppError::RateLimited {
                retry_after_secs: wait.as_secs().max(1),
            }
        })
    }

    pub(crate) fn key_of(&self, a: &Address) -> AddressKey {
        AddressKey {
            hash: a.keyed_hash(&self.address_key),
            channel: a.channel.as_str(),
            hint: a.hint(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sending_and_confirming_limits_forget_idle_keys() {
        let mut settings = Settings::for_tests("sqlite://unused.db");
        settings.rate_limits = true;
        let w = Wallets::new(&settings);
        for i in 0..2_000 {
            w.limit(&w.confirms, &format!("visitor-{i}")).unwrap();
        }
        // Just used: each key is still owed part of its quota, so it is kept.
        assert_eq!(w.housekeep(), 2_000);
        // Ten seconds later the quota of a single try is full again and nothing is kept.
        let t = std::time::Instant::now();
        while w.housekeep() > 0 {
            assert!(t.elapsed() < StdDuration::from_secs(30), "keys pruned");
            std::thread::sleep(StdDuration::from_millis(200));
        }
    }
}
