//! What the store knows about the health of its drive: whether writes are refused (and why),
//! whether a storage error means the open database must be reopened, and the last measured
//! free space.
//!
//! Invariant: while `problem` is set, no write job reaches redb (writes fail fast with 503
//! `storage_unavailable`); only a successful [`super::Store::reopen`] clears it. The drive
//! watch (`crate::drive`) sets and clears it; a redb failure on the request path sets it too, so
//! the first failing write already stops the ones behind it.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Kind, Result};

/// Free and total bytes of the file system holding the database, and whether it is read-only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Space {
    pub free: u64,
    pub total: u64,
    pub read_only: bool,
}

/// Stable error code for "too little free space for new orders" (HTTP 503).
pub const LOW_DISK_SPACE: &str = "low_disk_space";

#[derive(Default)]
pub struct DriveHealth {
    problem: Mutex<Option<String>>,
    /// A redb call failed with an IO error: redb refuses further writes on that handle
    /// (`PreviousIo`), so the database must be reopened even if the drive looks fine again.
    broken: AtomicBool,
    space: Mutex<Option<Space>>,
}

impl DriveHealth {
    /// Why writes are refused right now, if they are.
    pub fn problem(&self) -> Option<String> {
        match self.problem.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Set (or clear) the reason writes are refused. Returns true when this changed it.
    pub fn set_problem(&self, reason: Option<String>) -> bool {
        let mut g = match self.problem.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let changed = *g != reason;
        *g = reason;
        changed
    }

    /// Note the outcome of a redb call made on the request path.
    pub fn observe<T>(&self, r: &Result<T>) {
        if let Err(e) = r
            && e.kind == Kind::StorageUnavailable
            && e.code == "storage_unavailable"
        {
            self.broken.store(true, Ordering::SeqCst);
            if self.problem().is_none() {
                tracing::error!(CODE = e.code, "the data drive failed: {}", e.detail);
                self.set_problem(Some(e.detail.clone()));
            }
        }
    }

    pub fn is_broken(&self) -> bool {
        self.broken.load(Ordering::SeqCst)
    }

    pub(super) fn mark_healthy(&self) {
        self.broken.store(false, Ordering::SeqCst);
        self.set_problem(None);
    }

    /// Fail fast when writes are refused.
    pub fn check_writable(&self) -> Result<()> {
        match self.problem() {
            Some(reason) => Err(Error::storage(format!(
                "the data drive is unavailable ({reason}); nothing was saved. \
                 Check the USB drive; posd resumes by itself when it is back."
            ))),
            None => Ok(()),
        }
    }

    pub fn space(&self) -> Option<Space> {
        match self.space.lock() {
            Ok(g) => *g,
            Err(p) => *p.into_inner(),
        }
    }

    pub fn set_space(&self, s: Option<Space>) {
        match self.space.lock() {
            Ok(mut g) => *g = s,
            Err(p) => *p.into_inner() = s,
        }
    }

    /// Refuse new orders once free space is below `min_free` bytes, before the drive is full,
    /// so payments and closing tables (small writes) still fit.
    pub fn check_room(&self, min_free: u64) -> Result<()> {
        match self.space() {
            Some(s) if s.free < min_free => Err(Error::new(
                Kind::StorageUnavailable,
                LOW_DISK_SPACE,
                format!(
                    "the data drive is almost full ({} MiB free, at least {} MiB needed for new \
                     orders); payments still work. Free space or replace the drive.",
                    s.free >> 20,
                    min_free >> 20
                ),
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_storage_failure_refuses_later_writes_until_healthy() {
        let h = DriveHealth::default();
        assert!(h.check_writable().is_ok());
        h.observe::<()>(&Err(Error::new(Kind::Conflict, "x", "not storage")));
        assert!(h.check_writable().is_ok() && !h.is_broken());
        h.observe::<()>(&Err(Error::storage("EIO")));
        assert!(h.is_broken());
        assert_eq!(h.check_writable().unwrap_err().code, "storage_unavailable");
        h.mark_healthy();
        assert!(h.check_writable().is_ok() && !h.is_broken());
    }

    fn count(s: &super::super::Store) -> Option<Vec<u8>> {
        s.read_blocking(|r| {
            use crate::store::Reader;
            r.meta("probe")
        })
        .unwrap()
    }

    /// Closing (drive gone) refuses reads and writes; reopening the same file keeps every
    /// committed write and serves again.
    #[tokio::test]
    async fn close_then_reopen_keeps_the_data() {
        use crate::store::{Store, Writer};
        let d = tempfile::tempdir().unwrap();
        let s = Store::open(d.path()).unwrap();
        s.write(|w| w.set_meta("probe", b"1")).await.unwrap();
        s.close().unwrap();
        assert!(!s.is_open());
        let e = s.write(|w| w.set_meta("probe", b"2")).await.unwrap_err();
        assert_eq!(e.code, "storage_unavailable");
        s.reopen().unwrap();
        assert_eq!(count(&s), Some(b"1".to_vec()));
        s.write(|w| w.set_meta("probe", b"3")).await.unwrap();
        assert_eq!(count(&s), Some(b"3".to_vec()));
    }

    /// A drive without posd.redb (an empty stick) is never given a fresh database at runtime.
    #[test]
    fn reopen_never_creates_a_missing_database() {
        use crate::store::{DB_FILE, Store};
        let d = tempfile::tempdir().unwrap();
        let s = Store::open(d.path()).unwrap();
        s.close().unwrap();
        std::fs::remove_file(d.path().join(DB_FILE)).unwrap();
        let e = s.reopen().unwrap_err().to_string();
        assert!(e.contains("right data drive"), "{e}");
        assert!(!d.path().join(DB_FILE).exists());
    }

    /// While the drive is marked failed no write reaches redb, even one already queued.
    #[tokio::test]
    async fn a_marked_drive_refuses_writes_without_touching_the_file() {
        use crate::store::{Store, Writer};
        let d = tempfile::tempdir().unwrap();
        let s = Store::open(d.path()).unwrap();
        s.health().set_problem(Some("pulled".into()));
        let e = s.write(|w| w.set_meta("probe", b"x")).await.unwrap_err();
        assert!(e.detail.contains("pulled"), "{e}");
        assert_eq!(count(&s), None);
        s.reopen().unwrap();
        s.write(|w| w.set_meta("probe", b"x")).await.unwrap();
    }

    #[test]
    fn low_space_refuses_only_below_the_floor() {
        let h = DriveHealth::default();
        assert!(h.check_room(100).is_ok(), "unknown space never refuses");
        h.set_space(Some(Space {
            free: 150,
            total: 1000,
            read_only: false,
        }));
        assert!(h.check_room(100).is_ok());
        h.set_space(Some(Space {
            free: 50,
            total: 1000,
            read_only: false,
        }));
        assert_eq!(h.check_room(100).unwrap_err().code, LOW_DISK_SPACE);
    }
}
