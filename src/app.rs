//! The shared handle every handler and background task holds: config, store, clock,
//! randomness, hasher, throttle, live events. Cheap to clone (one `Arc`).

use std::sync::Arc;
use std::time::Instant;

use jiff::Timestamp;

use crate::auth::{PinHasher, Throttle};
use crate::clock::{Clock, Random};
use crate::config::Config;
use crate::domain::reports::DayRule;
use crate::events::{Change, Hub};
use crate::store::Store;

#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

pub struct Inner {
    pub config: Config,
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub rng: Arc<dyn Random>,
    pub hasher: PinHasher,
    pub throttle: Throttle,
    pub events: Hub,
    pub started: Instant,
    pub started_at: Timestamp,
    /// Wakes the print spool when jobs were queued.
    pub spool_wake: tokio::sync::Notify,
    /// The license state every request is judged by (loaded by `license_tasks::start`).
    pub license: crate::service::license::LicenseCache,
}

impl std::ops::Deref for App {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.inner
    }
}

impl App {
    pub fn new(
        config: Config,
        store: Store,
        clock: Arc<dyn Clock>,
        rng: Arc<dyn Random>,
        hasher: PinHasher,
    ) -> App {
        let started_at = clock.now();
        let boot = u64::from_le_bytes(crate::clock::random_bytes::<8>(rng.as_ref())) >> 12;
        App {
            inner: Arc::new(Inner {
                config,
                store,
                clock,
                rng,
                hasher,
                throttle: Throttle::default(),
                events: Hub::new(boot),
                started: Instant::now(),
                started_at,
                spool_wake: tokio::sync::Notify::new(),
                license: Default::default(),
            }),
        }
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    pub fn day_rule(&self) -> DayRule {
        DayRule {
            tz: self.config.tz.clone(),
            cutoff_hour: self.config.day_cutoff_hour,
        }
    }

    pub fn publish(&self, c: Change) {
        self.events.publish(c);
    }
}
