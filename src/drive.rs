//! The runtime watch over the data drive: notices a pulled, swapped or read-only drive within
//! [`TICK`], makes writes fail fast (503 `storage_unavailable`) while it lasts, keeps the free
//! space figure fresh for the low-space floor, and reopens the database in-process once the
//! drive is back.
//!
//! Invariant: the store is reopened only when the mount point is a real mount again (with the
//! marker, if configured), writable, and already holds `posd.redb`; a missing file is never
//! created here. See ARCHITECTURE.md ("drive failures") for why posd reopens instead of
//! exiting.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::config::{Config, MountConfig};
use crate::mount::{self, Probe};
use crate::store::{DB_FILE, Space, Store};

/// How often the drive is looked at.
pub const TICK: Duration = Duration::from_millis(200);
/// A look that takes longer than this means the drive does not answer (hung USB device).
const LOOK_LIMIT: Duration = Duration::from_secs(2);
/// Reopen attempts on a drive that looks fine but fails to open are spaced this far apart.
const RETRY: Duration = Duration::from_secs(1);

/// What `/api/system/health` and systemd's STATUS say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Healthy,
    Degraded(String),
}

/// Healthy, or degraded with the reason (drive problem first, then low space).
pub fn verdict(store: &Store, min_free: u64) -> Verdict {
    if let Some(p) = store.health().problem() {
        return Verdict::Degraded(p);
    }
    match store.health().check_room(min_free) {
        Ok(()) => Verdict::Healthy,
        Err(e) => Verdict::Degraded(e.detail),
    }
}

/// One look at the drive: its space and device, or why it cannot be used.
fn look(data_dir: &Path, m: Option<&MountConfig>) -> Result<(Space, Option<u64>), String> {
    if let Some(m) = m {
        match mount::probe(m) {
            Probe::Ready => {}
            Probe::NotMounted(why) | Probe::WrongDrive(why) | Probe::NotWritable(why) => {
                return Err(why);
            }
        }
    }
    let space = mount::space(data_dir)
        .map_err(|e| format!("cannot look at the data drive {}: {e}", data_dir.display()))?;
    if space.read_only {
        return Err(format!(
            "the data drive at {} is read-only (a file-system error or a locked stick); \
             check it on a computer",
            data_dir.display()
        ));
    }
    if !data_dir.join(DB_FILE).is_file() {
        return Err(format!(
            "{DB_FILE} is missing on the data drive at {}; is it the right drive?",
            data_dir.display()
        ));
    }
    Ok((space, mount::device_of(data_dir)))
}

/// Watch the drive until the task is dropped. Spawn once, after the store is open.
pub async fn watch(store: Store, config: Config) {
    let data_dir: PathBuf = config.data_dir.clone();
    let m = config.mount.clone();
    let mut device = mount::device_of(&data_dir);
    let mut next_reopen = Instant::now();
    loop {
        let (d, mc) = (data_dir.clone(), m.clone());
        let seen = tokio::time::timeout(
            LOOK_LIMIT,
            tokio::task::spawn_blocking(move || look(&d, mc.as_ref())),
        )
        .await;
        let seen = match seen {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => Err(format!("the drive check failed: {e}")),
            Err(_) => Err(format!(
                "the data drive at {} does not answer",
                data_dir.display()
            )),
        };
        let h = store.health();
        match seen {
            Err(why) => {
                h.set_space(None);
                if h.set_problem(Some(why.clone())) {
                    tracing::error!(CODE = "drive_unavailable", "writes refused: {why}");
                }
                // Let go of the dead drive: the kernel (and systemd's unmount) can release it,
                // and not one more byte goes to it.
                if store.is_open() {
                    let s = store.clone();
                    match tokio::task::spawn_blocking(move || s.close()).await {
                        Ok(Ok(())) => tracing::warn!("database closed until the drive is back"),
                        Ok(Err(e)) => tracing::error!(error = %e, "could not close the database"),
                        Err(e) => tracing::error!(error = %e, "the close task failed"),
                    }
                }
            }
            Ok((space, dev)) => {
                h.set_space(Some(space));
                let swapped = dev != device;
                if (h.problem().is_some() || h.is_broken() || swapped)
                    && Instant::now() >= next_reopen
                {
                    let s = store.clone();
                    let started = Instant::now();
                    match tokio::task::spawn_blocking(move || s.reopen()).await {
                        Ok(Ok(())) => {
                            device = dev;
                            tracing::info!(
                                CODE = "drive_back",
                                reopen_ms = started.elapsed().as_millis() as u64,
                                "the data drive is back; the database was reopened"
                            );
                        }
                        Ok(Err(e)) => {
                            next_reopen = Instant::now() + RETRY;
                            let why = format!("the data drive is mounted but unusable: {e}");
                            if h.set_problem(Some(why.clone())) {
                                tracing::error!(CODE = "reopen_failed", "{why}");
                            }
                        }
                        Err(e) => {
                            next_reopen = Instant::now() + RETRY;
                            tracing::error!(error = %e, "the reopen task failed");
                        }
                    }
                }
            }
        }
        tokio::time::sleep(TICK).await;
    }
}
