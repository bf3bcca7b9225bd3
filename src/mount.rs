//! The USB data drive as a mount point: is it there, is it the right stick, how full is it.
//!
//! Invariant: posd never opens (or creates) its database in the mount-point folder unless that
//! folder is a real mount, that is, it lives on a different device than its parent (checked
//! with `stat`), and, when a marker file is configured, the marker exists on it. Otherwise the
//! database would land on the SD card's empty folder and the restaurant would silently start
//! from nothing.

use std::path::Path;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::stat::stat;
use nix::sys::statvfs::{FsFlags, statvfs};
use nix::unistd::{AccessFlags, access};

use crate::config::MountConfig;
use crate::store::Space;

/// How often the start-up wait looks at the mount point (READY follows a mount within this).
pub const POLL: Duration = Duration::from_millis(100);

/// What the mount point looks like right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// A real mount, with the marker if one is configured.
    Ready,
    /// Nothing mounted there (or the folder does not exist).
    NotMounted(String),
    /// Something is mounted, but it is not our drive: refuse it.
    WrongDrive(String),
    /// Our drive is mounted, but posd may not write to it (read-only, or still owned by
    /// root until `posd-drive.service` hands it over): opening the store would fail.
    NotWritable(String),
}

/// Is `path` a mount point: a different device than its parent (or the root itself)?
pub fn is_mount_point(path: &Path) -> std::io::Result<bool> {
    let me = stat(path).map_err(std::io::Error::from)?;
    let parent = stat(&path.join("..")).map_err(std::io::Error::from)?;
    Ok(me.st_dev != parent.st_dev || me.st_ino == parent.st_ino)
}

/// Look at the mount point once.
pub fn probe(m: &MountConfig) -> Probe {
    let where_ = m.path.display();
    match is_mount_point(&m.path) {
        Ok(true) => {}
        Ok(false) => {
            return Probe::NotMounted(format!(
                "no drive is mounted at {where_} (expected the USB drive labelled {})",
                m.label
            ));
        }
        Err(e) => {
            return Probe::NotMounted(format!("{where_} is not there ({e})"));
        }
    }
    if let Some(marker) = &m.marker
        && !m.path.join(marker).is_file()
    {
        return Probe::WrongDrive(format!(
            "the drive mounted at {where_} has no marker file {marker:?}: it is not the posd \
             data drive {}; refusing to use it",
            m.label
        ));
    }
    match access(&m.path, AccessFlags::W_OK) {
        Ok(()) => Probe::Ready,
        Err(Errno::EROFS) => Probe::NotWritable(format!(
            "the drive mounted at {where_} is read-only (a file-system error or a locked \
             stick); check it on a computer"
        )),
        Err(e) => Probe::NotWritable(format!(
            "posd may not write to the drive mounted at {where_} ({e}); posd-drive.service \
             hands a new drive to the posd user when it is mounted"
        )),
    }
}

/// Free/total bytes and the read-only flag of the file system holding `path`.
pub fn space(path: &Path) -> std::io::Result<Space> {
    let v = statvfs(path).map_err(std::io::Error::from)?;
    let frag = v.fragment_size().max(1) as u64;
    Ok(Space {
        // Blocks available to unprivileged users: what posd (user posd) can actually use.
        free: (v.blocks_available() as u64).saturating_mul(frag),
        total: (v.blocks() as u64).saturating_mul(frag),
        read_only: v.flags().contains(FsFlags::ST_RDONLY),
    })
}

/// The device id of the file system holding `path` (to notice a swapped drive).
pub fn device_of(path: &Path) -> Option<u64> {
    stat(path).ok().map(|s| s.st_dev)
}

/// Why the start-up wait gave up.
#[derive(Debug)]
pub struct WaitError(pub String);

impl std::fmt::Display for WaitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for WaitError {}

/// How often [`wait_for_drive`] says it is still alive while it waits (systemd's start
/// timeout is extended by [`ALIVE_FOR`] each time, so a posd that hangs before READY is still
/// caught, while one that waits for its drive all night is not killed).
pub const ALIVE_EVERY: Duration = Duration::from_secs(10);
/// How long each keep-alive extends the start timeout.
pub const ALIVE_FOR: Duration = Duration::from_secs(30);

/// Wait until the data drive is mounted (and carries the marker) and posd may write to it,
/// telling `status` what is going on in words whenever that changes, and calling `alive` at
/// once and then every [`ALIVE_EVERY`] while it waits. Gives up after `m.wait` if set.
pub async fn wait_for_drive(
    m: &MountConfig,
    status: impl Fn(&str),
    alive: impl Fn(),
) -> Result<(), WaitError> {
    let started = Instant::now();
    let mut last: Option<Probe> = None;
    let mut alive_at: Option<Instant> = None;
    loop {
        let p = probe(m);
        if last.as_ref() != Some(&p) {
            match &p {
                Probe::Ready => {
                    if last.is_some() {
                        tracing::info!(
                            path = %m.path.display(),
                            waited_ms = started.elapsed().as_millis() as u64,
                            "the data drive is mounted"
                        );
                    }
                    return Ok(());
                }
                Probe::NotMounted(why) => {
                    tracing::warn!(CODE = "drive_missing", "waiting for the data drive: {why}");
                    status(&format!(
                        "Waiting for USB drive {} at {}",
                        m.label,
                        m.path.display()
                    ));
                }
                Probe::WrongDrive(why) => {
                    tracing::error!(CODE = "wrong_drive", "{why}");
                    status(&format!("Wrong USB drive: {why}"));
                }
                Probe::NotWritable(why) => {
                    tracing::warn!(CODE = "drive_not_writable", "{why}");
                    status(&format!("USB drive {} not writable: {why}", m.label));
                }
            }
            last = Some(p.clone());
        }
        if alive_at.is_none_or(|t| t.elapsed() >= ALIVE_EVERY) {
            alive();
            alive_at = Some(Instant::now());
        }
        if let Some(limit) = m.wait
            && started.elapsed() >= limit
        {
            let why = match p {
                Probe::NotMounted(w) | Probe::WrongDrive(w) | Probe::NotWritable(w) => w,
                Probe::Ready => String::new(),
            };
            return Err(WaitError(format!(
                "gave up waiting for the data drive after {}s: {why}",
                limit.as_secs()
            )));
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(path: &Path, marker: Option<&str>) -> MountConfig {
        MountConfig {
            path: path.to_path_buf(),
            label: "POSDATA".into(),
            marker: marker.map(String::from),
            wait: Some(Duration::from_millis(300)),
        }
    }

    #[test]
    fn a_plain_folder_is_not_a_mount_and_proc_is() {
        let d = tempfile::tempdir().unwrap();
        assert!(!is_mount_point(d.path()).unwrap());
        // /proc rather than /: under qemu-user (the aarch64 CI leg) "/" resolves into the
        // emulator's sysroot, which is a plain folder.
        assert!(is_mount_point(Path::new("/proc")).unwrap());
        assert!(matches!(probe(&cfg(d.path(), None)), Probe::NotMounted(_)));
        assert!(matches!(
            probe(&cfg(&d.path().join("absent"), None)),
            Probe::NotMounted(_)
        ));
    }

    #[tokio::test]
    async fn waiting_gives_up_after_the_limit_and_says_why() {
        let d = tempfile::tempdir().unwrap();
        let said = std::sync::Mutex::new(Vec::new());
        let alive = std::sync::atomic::AtomicUsize::new(0);
        let e = wait_for_drive(
            &cfg(d.path(), None),
            |s| said.lock().unwrap().push(s.to_string()),
            || {
                alive.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            },
        )
        .await
        .unwrap_err();
        assert!(e.0.contains("gave up"), "{e}");
        assert!(said.lock().unwrap()[0].starts_with("Waiting for USB drive POSDATA"));
        // Said at once (systemd's start timeout is extended from the first look on).
        assert_eq!(alive.load(std::sync::atomic::Ordering::Relaxed), 1);
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 0);
    }

    #[test]
    fn space_reports_the_file_system() {
        let s = space(Path::new("/")).unwrap();
        assert!(s.total > 0 && s.free <= s.total);
    }
}
