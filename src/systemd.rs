//! systemd integration through `sd_notify`: `STATUS=` in words, `READY=1` once the store is
//! open and the listener bound, `WATCHDOG=1` only while a real health check passes, and
//! `STOPPING=1` on shutdown. Without `NOTIFY_SOCKET` (development, tests) all of it is a no-op.
//!
//! Invariant: a watchdog ping is sent only right after [`check`] passed: the executor runs a
//! freshly spawned task promptly, the writer thread is not stuck in one job, and (unless the
//! drive is already known to be gone, which a restart cannot fix) a read transaction answers.
//! So a hung writer or a starved runtime stops the pings and systemd restarts posd.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use sd_notify::NotifyState;

use crate::app::App;
use crate::drive::{self, Verdict};

/// A spawned task must start within this, or the executor counts as unresponsive.
const EXECUTOR_LIMIT: Duration = Duration::from_millis(500);
/// A read transaction must answer within this.
const READ_LIMIT: Duration = Duration::from_secs(2);
/// STATUS refresh period when systemd asked for no watchdog.
const STATUS_EVERY: Duration = Duration::from_secs(2);
/// Set to 1 to enable fault injection (SIGUSR2 hangs the store writer). Tests only.
pub const DEBUG_HOOKS_ENV: &str = "POSD_DEBUG_HOOKS";

fn send(states: &[NotifyState]) {
    if std::env::var_os("NOTIFY_SOCKET").is_none() {
        return;
    }
    if let Err(e) = sd_notify::notify(false, states) {
        tracing::debug!(error = %e, "sd_notify failed");
    }
}

/// Tell systemd what posd is doing, in words (`systemctl status posd` shows it).
pub fn status(words: &str) {
    send(&[NotifyState::Status(words)]);
}

/// Still starting and alive (waiting for the drive): systemd's start timeout runs out only
/// if no such message follows within `by` (`EXTEND_TIMEOUT_USEC`, systemd 236+).
pub fn extend_start(by: Duration) {
    let usec = u32::try_from(by.as_micros()).unwrap_or(u32::MAX);
    send(&[NotifyState::ExtendTimeoutUsec(usec)]);
}

pub fn ready(words: &str) {
    send(&[NotifyState::Ready, NotifyState::Status(words)]);
}

pub fn stopping() {
    send(&[NotifyState::Stopping, NotifyState::Status("Stopping")]);
}

/// The watchdog period systemd asked for (`WatchdogSec=`), if any.
pub fn watchdog_period() -> Option<Duration> {
    let mut usec = 0u64;
    sd_notify::watchdog_enabled(false, &mut usec).then(|| Duration::from_micros(usec))
}

/// How long one write job may run before the writer counts as hung.
pub fn writer_limit(period: Duration) -> Duration {
    (period / 2).max(Duration::from_secs(1))
}

/// The health check behind every watchdog ping. `Err` says what is wrong, in words.
pub async fn check(app: &App, writer_limit: Duration) -> Result<(), String> {
    let t0 = Instant::now();
    let lag = tokio::time::timeout(EXECUTOR_LIMIT, tokio::spawn(async move { t0.elapsed() }))
        .await
        .map_err(|_| format!("the executor did not run a task within {EXECUTOR_LIMIT:?}"))?
        .map_err(|e| format!("the probe task failed: {e}"))?;
    if lag > EXECUTOR_LIMIT {
        return Err(format!("the executor took {lag:?} to run a task"));
    }
    if app.store.writer_stuck(writer_limit) {
        return Err(format!(
            "the store writer has been stuck in one write for over {writer_limit:?}"
        ));
    }
    if app.store.health().problem().is_none() {
        tokio::time::timeout(READ_LIMIT, app.store.read(|_| Ok(())))
            .await
            .map_err(|_| format!("a read transaction did not answer within {READ_LIMIT:?}"))?
            .map_err(|e| format!("a read transaction failed: {}", e.detail))?;
    }
    Ok(())
}

/// Words for `STATUS=` from the drive verdict and the open connections.
pub fn describe(app: &App) -> String {
    match drive::verdict(&app.store, app.config.min_free_bytes) {
        Verdict::Healthy => {
            let n = app.connections.load(Ordering::Relaxed);
            format!("Serving {n} connection{}", if n == 1 { "" } else { "s" })
        }
        Verdict::Degraded(why) => format!("Degraded: {why}"),
    }
}

/// Run until dropped/aborted: health check, `WATCHDOG=1` while it passes, `STATUS=` on change.
pub async fn supervise(app: App) {
    if std::env::var_os("NOTIFY_SOCKET").is_none() {
        return;
    }
    let period = watchdog_period();
    let every = period.map(|p| p / 3).unwrap_or(STATUS_EVERY);
    let limit = writer_limit(period.unwrap_or(Duration::from_secs(30)));
    let mut said = String::new();
    let mut failing = false;
    loop {
        let words = match check(&app, limit).await {
            Ok(()) => {
                if failing {
                    tracing::info!("the health check passes again");
                    failing = false;
                }
                if period.is_some() {
                    send(&[NotifyState::Watchdog]);
                }
                describe(&app)
            }
            Err(why) => {
                if !failing {
                    tracing::error!(
                        CODE = "health_check_failed",
                        "health check failed, watchdog pings stop: {why}"
                    );
                    failing = true;
                }
                format!("Unhealthy: {why}")
            }
        };
        if words != said {
            status(&words);
            said = words;
        }
        tokio::time::sleep(every).await;
    }
}

/// With `POSD_DEBUG_HOOKS=1`, SIGUSR2 hangs the store writer (to test the watchdog).
pub async fn debug_hooks(app: App) {
    if std::env::var(DEBUG_HOOKS_ENV).as_deref() != Ok("1") {
        return;
    }
    let Ok(mut sig) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::user_defined2())
    else {
        return;
    };
    tracing::warn!("{DEBUG_HOOKS_ENV}=1: SIGUSR2 hangs the store writer");
    while sig.recv().await.is_some() {
        app.store.hang_writer();
    }
}
