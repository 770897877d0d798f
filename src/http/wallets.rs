//! What verification needs at hand: the code senders, the key under which addresses are
//! hashed, the sending limits, and the visitors known to exist.

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
    pub(super) address_key: Vec<u8>,
    limits_on: bool,
    pub(super) per_address: Keyed,
    pub(super) per_visitor: Keyed,
    pub(super) confirms: Keyed,
    /// Visitors known to exist, remembered for a minute.
    pub(super) known: Cache<String, ()>,
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

    pub(super) fn limit(&self, limiter: &Keyed, key: &str) -> Result<(), AppError> {
        if !self.limits_on {
            return Ok(());
        }
        limiter.check_key(&key.to_string()).map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(
                &governor::clock::DefaultClock::default(),
            ));
            AppError::RateLimited {
                retry_after_secs: wait.as_secs().max(1),
            }
        })
    }

    pub(super) fn key_of(&self, a: &Address) -> AddressKey {
        AddressKey {
            hash: a.keyed_hash(&self.address_key),
            channel: a.channel.as_str(),
            hint: a.hint(),
        }
    }
}
