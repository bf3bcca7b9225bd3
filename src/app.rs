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
    /// Live printer states kept by the print spool.
    pub spool: crate::print::spool::Board,
    /// The rendered waiters' menu, reused until the menu changes.
    pub menu_cache: MenuCache,
    /// Open HTTP connections (for systemd's STATUS line).
    pub connections: std::sync::atomic::AtomicUsize,
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
                spool: Default::default(),
                connections: Default::default(),
                menu_cache: Default::default(),
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
        if c == Change::Menu {
            self.menu_cache.invalidate();
        }
        self.events.publish(c);
    }
}

/// The last rendered menu (opaque bytes) and the menu version it was rendered from. Every
/// waiter's phone asks for the whole menu; it only changes when a manager edits it.
#[derive(Default)]
pub struct MenuCache {
    version: std::sync::atomic::AtomicU64,
    slot: std::sync::Mutex<Option<(u64, bytes::Bytes)>>,
}

impl MenuCache {
    /// The version to render against: read it before reading the store.
    pub fn version(&self) -> u64 {
        self.version.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn get(&self) -> Option<bytes::Bytes> {
        let v = self.version();
        let g = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        g.as_ref()
            .filter(|(at, _)| *at == v)
            .map(|(_, b)| b.clone())
    }

    /// Keep `bytes` rendered at `version`, unless the menu changed meanwhile.
    pub fn put(&self, version: u64, bytes: bytes::Bytes) {
        let mut g = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        if self.version() == version {
            *g = Some((version, bytes));
        }
    }

    fn invalidate(&self) {
        self.version
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        *self.slot.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}
