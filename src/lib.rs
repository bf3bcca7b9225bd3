//! posd: the restaurant point-of-sale appliance daemon.
//!
//! Code map (see ARCHITECTURE.md for the invariants of each part):
//! - [`config`]: file + flags → one immutable [`config::Config`].
//! - [`clock`]: injected wall clock and randomness.
//! - [`error`]: the error every operation returns (kind, stable code, detail).
//! - [`domain`]: pure business rules, no IO.
//! - [`store`]: redb on the data drive, versioned postcard records, the writer thread.
//! - [`auth`]: PIN hashing, sessions, lockouts, throttling.
//! - [`service`]: one function per use case: domain rules inside one store transaction.
//! - [`http`]: the hyper server, router, handlers, JSON, SSE. The only part that knows HTTP.
//! - [`app`]: the shared handle passed to every handler.
//! - [`print`]: code pages, ticket rendering, printer status and transport.
//! - [`license`]: signed offline license files and their enforcement rules.

pub mod app;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod discovery;
pub mod domain;
pub mod drive;
pub mod error;
pub mod events;
pub mod http;
pub mod license;
pub mod logging;
pub mod mount;
pub mod print;
pub mod service;
pub mod store;
pub mod systemd;

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;

/// What `run` needs besides config: the injectable clock, randomness and PIN hasher.
pub struct Parts {
    pub clock: Arc<dyn clock::Clock>,
    pub rng: Arc<dyn clock::Random>,
    pub hasher: auth::PinHasher,
}

impl Default for Parts {
    fn default() -> Self {
        Parts {
            clock: Arc::new(clock::SystemClock),
            rng: Arc::new(clock::OsRandom),
            hasher: auth::PinHasher::pi4(),
        }
    }
}

/// Why the daemon could not start.
#[derive(Debug)]
pub enum RunError {
    Store(store::OpenError),
    /// The data drive did not appear in time (or the wrong one did).
    Drive(mount::WaitError),
    Seed(error::Error),
    Io(std::io::Error),
    /// The license state could not be loaded or created, or the trusted keys are unusable.
    License(error::Error),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Store(e) => write!(f, "{e}"),
            RunError::Drive(e) => write!(f, "{e}"),
            RunError::Seed(e) => write!(f, "could not seed the demo restaurant: {e}"),
            RunError::Io(e) => write!(f, "{e}"),
            RunError::License(e) => write!(f, "license: {e}"),
        }
    }
}
impl std::error::Error for RunError {}

/// Open the store in `config.data_dir` (creating the folder), seeding the demo if asked.
pub async fn open_store(config: &config::Config, parts: &Parts) -> Result<store::Store, RunError> {
    let dir = config.data_dir.clone();
    let demo = config.demo;
    let hasher = parts.hasher.clone();
    let rng = parts.rng.clone();
    let now = parts.clock.now();
    tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(&dir).map_err(RunError::Io)?;
        let s = store::Store::open(&dir).map_err(RunError::Store)?;
        if demo {
            demo::seed(&s, &hasher, rng.as_ref(), now).map_err(RunError::Seed)?;
        }
        Ok(s)
    })
    .await
    .map_err(|e| RunError::Io(std::io::Error::other(e)))?
}

/// How long opening the store (with a redb repair after a power cut) and the rest of the
/// start may take once the drive is there, before systemd kills posd as hung.
pub const STORE_OPEN_BUDGET: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// Run the daemon on `listener` until `shutdown` resolves, then drain in-flight requests.
pub async fn run(
    config: config::Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
    parts: Parts,
) -> Result<(), RunError> {
    if let Some(m) = &config.mount {
        mount::wait_for_drive(m, systemd::status, || {
            systemd::extend_start(mount::ALIVE_FOR)
        })
        .await
        .map_err(RunError::Drive)?;
    }
    // Opening may repair the database after a power cut, on a slow stick: give it a bounded
    // budget of its own, whenever the drive came (the keep-alives stopped with the wait).
    systemd::extend_start(STORE_OPEN_BUDGET);
    systemd::status("Opening the store");
    let store = open_store(&config, &parts).await?;
    let app = app::App::new(config, store, parts.clock, parts.rng, parts.hasher);
    let (stopping, _) = tokio::sync::watch::channel(false);
    let shutdown = print::spool::start(app.clone(), shutdown);
    let addr = listener.local_addr().map_err(RunError::Io)?;
    let license = service::license_tasks::start(&app)
        .await
        .map_err(RunError::License)?;
    let drive_watch = tokio::spawn(drive::watch(app.store.clone(), app.config.clone()));
    let discovery = app.config.mdns.as_deref().and_then(|host| {
        discovery::Discovery::start(host, &app.config.restaurant_name, addr.port())
            .map_err(|e| tracing::error!(CODE = "mdns_failed", "mDNS is off: {e}"))
            .ok()
    });
    tracing::info!(%addr, "posd is serving");
    systemd::ready(&systemd::describe(&app));
    let background = [
        drive_watch,
        tokio::spawn(systemd::supervise(app.clone())),
        tokio::spawn(systemd::debug_hooks(app.clone())),
    ];
    let shutdown = async {
        shutdown.await;
        systemd::stopping();
    };
    http::server::serve(app, listener, shutdown, stopping).await;
    license.stop().await;
    drop(discovery);
    // Abort the background tasks and wait until they are gone: each holds the store, and the
    // database file must be closed when `run` returns (a restart may reopen it at once).
    for t in background {
        t.abort();
        let _ = t.await;
    }
    tracing::info!("posd stopped");
    Ok(())
}
pub mod ui;
