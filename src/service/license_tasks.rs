//! The license's background work: loading (or, on a data drive's first start, creating) the
//! stored state before the server accepts requests, then keeping the clock high-water mark
//! persisted, picking up files dropped into the data drive's `license/` folder, and the
//! optional check-in with the vendor's `license_url`.
//!
//! Invariants: every file, from the folder or the check-in, goes through the same verify and
//! apply as `POST /api/system/license`, so a half-written, tampered or old file is refused and
//! never replaces a good license. Failures here are logged and never stop the daemon. File
//! and network IO run on the blocking pool, never on executor threads or the request path.
//! The tasks end (and the high-water mark is saved) in [`LicenseTasks::stop`].

use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use tokio::task::JoinHandle;

use super::license::{
    FileReport, apply_verified, current, keyring, load_or_create, persist_clock,
    persist_clock_blocking,
};
use crate::app::App;
use crate::error::{Error, Result};
use crate::events::Change;
use crate::license::{self, Applied, LicenseError, MAX_FILE_BYTES, VerifiedFile};

/// The folder on the data drive that license files are dropped into.
pub const FOLDER: &str = "license";
/// How often the folder listing is checked for changes.
pub const FOLDER_POLL: Duration = Duration::from_secs(2);
/// How often the clock high-water mark is saved.
pub const CLOCK_EVERY: Duration = Duration::from_secs(60);
/// How often the verdict is judged again, so that a trial or license running out with time
/// (not through a file) reaches the apps' live streams and the log. In-memory only.
pub const VERDICT_EVERY: Duration = Duration::from_secs(5);
/// How often the check-in URL is asked for a newer file (seed 000's heartbeat period).
pub const CHECKIN_EVERY: Duration = Duration::from_secs(6 * 3600);
/// Files beyond this many (in name order) are ignored.
const MAX_FILES: usize = 64;
/// A file modified this recently may still be being written; look again at the next poll
/// even if the listing looks the same (coarse FAT timestamps).
const SETTLE: Duration = Duration::from_secs(3);

/// The running background tasks; [`stop`](Self::stop) them when the server stops.
pub struct LicenseTasks {
    app: App,
    handles: Vec<JoinHandle<()>>,
}

impl LicenseTasks {
    /// Ends the tasks and saves the clock high-water mark.
    pub async fn stop(self) {
        for h in &self.handles {
            h.abort();
        }
        for h in self.handles {
            let _ = h.await;
        }
        let app = self.app;
        let saved = tokio::task::spawn_blocking(move || persist_clock_blocking(&app)).await;
        if let Ok(Err(e)) = saved {
            tracing::warn!(error = %e, "could not save the clock high-water mark");
        }
    }
}

/// Loads or creates the license state, applies what the `license/` folder holds, and starts
/// the background tasks. Refuses to start with unusable `license.extra_keys` or an
/// unreadable stored state (never silently replaced: the trial is once per data drive).
pub async fn start(app: &App) -> Result<LicenseTasks> {
    keyring(app)?;
    let now = app.now().as_second();
    let rng = app.rng.clone();
    let state = app
        .store
        .write(move |w| load_or_create(w, rng.as_ref(), now))
        .await?;
    app.license.set(state);
    if let Some((s, v)) = current(app) {
        tracing::info!(site_id = %s.site_id, verdict = v.code(), "license: {}", v.message(&s.site_id));
    }
    let mut watch = FolderWatch::new(app.config.data_dir.join(FOLDER));
    watch.create().await;
    watch.poll(app).await;
    let mut handles = Vec::new();
    let a = app.clone();
    handles.push(tokio::spawn(async move {
        let mut tick = tokio::time::interval(FOLDER_POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            watch.poll(&a).await;
        }
    }));
    let a = app.clone();
    handles.push(tokio::spawn(async move {
        let mut tick = tokio::time::interval(CLOCK_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(e) = persist_clock(&a).await {
                tracing::warn!(error = %e, "could not save the clock high-water mark");
            }
        }
    }));
    let a = app.clone();
    handles.push(tokio::spawn(async move {
        let mut last = current(&a).map(|(_, v)| v.code());
        let mut tick = tokio::time::interval(VERDICT_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            last = announce_change(&a, last);
        }
    }));
    if let Some(url) = app.config.license_url.clone() {
        let a = app.clone();
        handles.push(tokio::spawn(async move {
            loop {
                check_in(&a, &url).await;
                tokio::time::sleep(CHECKIN_EVERY).await;
            }
        }));
    }
    Ok(LicenseTasks {
        app: app.clone(),
        handles,
    })
}

/// Publishes a `license` event (and logs) when the verdict's code differs from `last`: a
/// trial ending, a license entering its grace period or expiring. Installs publish their own
/// event at once; this one may then repeat it (harmless: clients just re-read the status).
fn announce_change(app: &App, last: Option<&'static str>) -> Option<&'static str> {
    let (s, v) = current(app)?;
    let code = v.code();
    if last.is_some_and(|l| l != code) {
        tracing::warn!(site_id = %s.site_id, CODE = code, "license: {}", v.message(&s.site_id));
        app.publish(Change::License {
            state: code.to_string(),
        });
    }
    Some(code)
}

/// One directory entry as the listing sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    name: String,
    len: u64,
    modified: Option<SystemTime>,
}

/// Watches the `license/` folder by listing it (name, size, mtime): cheap, no inotify.
struct FolderWatch {
    dir: PathBuf,
    seen: Option<Vec<Entry>>,
    /// A file was modified within `SETTLE` of the last look: look again.
    unsettled: bool,
    /// Last outcome logged per file, so an unchanged refusal is logged once.
    logged: HashMap<String, String>,
    /// Last listing error logged.
    list_error: Option<String>,
}

impl FolderWatch {
    fn new(dir: PathBuf) -> FolderWatch {
        FolderWatch {
            dir,
            seen: None,
            unsettled: false,
            logged: HashMap::new(),
            list_error: None,
        }
    }

    /// Creates the folder so the sysadmin finds where files go; a failure is only logged.
    async fn create(&self) {
        let dir = self.dir.clone();
        let r = tokio::task::spawn_blocking(move || std::fs::create_dir_all(&dir)).await;
        if let Ok(Err(e)) = r {
            tracing::warn!(dir = %self.dir.display(), error = %e, "cannot create the license folder");
        }
    }

    async fn poll(&mut self, app: &App) {
        let dir = self.dir.clone();
        let listing = match tokio::task::spawn_blocking(move || list(&dir)).await {
            Ok(Ok(l)) => l,
            Ok(Err(e)) => {
                let msg = e.to_string();
                if self.list_error.as_ref() != Some(&msg) {
                    tracing::warn!(dir = %self.dir.display(), "cannot list the license folder: {msg}");
                    self.list_error = Some(msg);
                }
                self.seen = None;
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, "license folder listing task failed");
                return;
            }
        };
        self.list_error = None;
        if self.seen.as_ref() == Some(&listing) && !self.unsettled {
            return;
        }
        let settle_from = SystemTime::now()
            .checked_sub(SETTLE)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        self.unsettled = listing
            .iter()
            .any(|e| e.modified.is_none_or(|m| m > settle_from));
        self.seen = Some(listing.clone());
        let ring = match keyring(app) {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "license folder: no keyring");
                return;
            }
        };
        let dir = self.dir.clone();
        let read = tokio::task::spawn_blocking(move || {
            listing
                .into_iter()
                .map(|e| {
                    let r = license::cli::read_limited(&dir.join(&e.name), MAX_FILE_BYTES)
                        .and_then(|bytes| license::verify(&bytes, &ring));
                    (e.name, r)
                })
                .collect::<Vec<_>>()
        })
        .await;
        let files = match read {
            Ok(f) => f,
            Err(e) => {
                tracing::error!(error = %e, "license folder reading task failed");
                return;
            }
        };
        let report = apply_files(app, files).await;
        self.log(&report);
        app.license.set_folder_report(report);
    }

    fn log(&mut self, report: &[FileReport]) {
        self.logged
            .retain(|name, _| report.iter().any(|r| &r.file == name));
        for r in report {
            let line = format!("{}: {}", r.outcome, r.detail);
            if self.logged.get(&r.file) == Some(&line) {
                continue;
            }
            match r.outcome.as_str() {
                "applied" => {
                    tracing::info!(file = %r.file, "license folder: {}", r.detail)
                }
                "already_applied" => {
                    tracing::debug!(file = %r.file, "license folder: {}", r.detail)
                }
                "license_serial_not_newer" => {
                    tracing::info!(file = %r.file, "license folder: {}", r.detail)
                }
                code => {
                    tracing::warn!(file = %r.file, CODE = code, "license folder: {}", r.detail)
                }
            }
            self.logged.insert(r.file.clone(), line);
        }
    }
}

/// Regular, non-hidden files of `dir` in name order (at most `MAX_FILES`). A missing folder
/// is empty.
fn list(dir: &Path) -> std::io::Result<Vec<Entry>> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for e in rd {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let Ok(meta) = std::fs::metadata(e.path()) else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        out.push(Entry {
            name,
            len: meta.len(),
            modified: meta.modified().ok(),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out.truncate(MAX_FILES);
    Ok(out)
}

/// Applies the authentic files in serial order (older first, so a folder holding a whole
/// history ends at its newest file) and reports on every file.
async fn apply_files(
    app: &App,
    files: Vec<(String, std::result::Result<VerifiedFile, LicenseError>)>,
) -> Vec<FileReport> {
    let mut report = Vec::new();
    let mut good = Vec::new();
    for (name, r) in files {
        match r {
            Ok(v) => good.push((name, v)),
            Err(e) => report.push(FileReport {
                file: name,
                outcome: e.code().to_string(),
                detail: e.to_string(),
            }),
        }
    }
    good.sort_by(|(an, a), (bn, b)| {
        (a.claims().serial, an.as_str()).cmp(&(b.claims().serial, bn.as_str()))
    });
    for (name, v) in good {
        report.push(match apply_verified(app, v).await {
            Ok(Ok(done)) => FileReport {
                file: name,
                outcome: match done.applied {
                    Applied::AlreadyApplied { .. } => "already_applied".to_string(),
                    _ => "applied".to_string(),
                },
                detail: describe_applied(&done.applied),
            },
            Ok(Err(e)) => FileReport {
                file: name,
                outcome: e.code().to_string(),
                detail: e.to_string(),
            },
            Err(e) => FileReport {
                file: name,
                outcome: e.code.to_string(),
                detail: e.detail,
            },
        });
    }
    report.sort_by(|a, b| a.file.cmp(&b.file));
    report
}

/// One sentence for an `Applied`.
pub fn describe_applied(a: &Applied) -> String {
    match a {
        Applied::Licensed { serial, expires_at } => format!(
            "license serial {serial} installed, valid until {}",
            license::fmt_time(*expires_at)
        ),
        Applied::Locked { serial, reason } => {
            format!("lock serial {serial} applied: {reason}")
        }
        Applied::Unlocked { serial, was_locked } => format!(
            "unlock serial {serial} applied{}",
            if *was_locked {
                "; the lock is lifted"
            } else {
                " (there was no lock)"
            }
        ),
        Applied::AlreadyApplied { serial } => {
            format!("serial {serial} is already the last applied file")
        }
    }
}

/// One check-in: fetch a signed file from `url` and install it. Failures are only logged.
pub async fn check_in(app: &App, url: &str) {
    let Some(site_id) = app.license.state().map(|s| s.site_id) else {
        return;
    };
    let u = url.to_string();
    let fetched = tokio::task::spawn_blocking(move || fetch(&u, &site_id))
        .await
        .unwrap_or_else(|e| Err(format!("the check-in task failed: {e}")));
    let bytes = match fetched {
        Ok(Some(b)) => b,
        Ok(None) => {
            tracing::debug!(url, "license check-in: no newer file");
            return;
        }
        Err(e) => {
            tracing::warn!(url, "license check-in failed: {e}");
            return;
        }
    };
    let outcome = match keyring(app) {
        Ok(ring) => match license::verify(&bytes, &ring) {
            Ok(v) => apply_verified(app, v).await,
            Err(e) => Ok(Err(e)),
        },
        Err(e) => Err(e),
    };
    match outcome {
        Ok(Ok(done)) => match done.applied {
            Applied::AlreadyApplied { .. } => {
                tracing::debug!(url, "license check-in: already applied")
            }
            a => tracing::info!(url, "license check-in: {}", describe_applied(&a)),
        },
        Ok(Err(e)) => tracing::warn!(url, CODE = e.code(), "license check-in refused: {e}"),
        Err(Error { code, detail, .. }) => {
            tracing::warn!(url, CODE = code, "license check-in failed: {detail}")
        }
    }
}

/// GETs `url` with the site id in `X-Site-ID`. `Ok(None)` for 204/404 (nothing newer).
/// Short timeouts; the body is capped at `MAX_FILE_BYTES`.
fn fetch(url: &str, site_id: &str) -> std::result::Result<Option<Vec<u8>>, String> {
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(5))
        .timeout_read(Duration::from_secs(10))
        .timeout_write(Duration::from_secs(5))
        .timeout(Duration::from_secs(20))
        .redirects(3)
        .user_agent(concat!("posd/", env!("CARGO_PKG_VERSION")))
        .build();
    let resp = match agent.get(url).set("X-Site-ID", site_id).call() {
        Ok(r) => r,
        Err(ureq::Error::Status(404, _)) => return Ok(None),
        Err(ureq::Error::Status(code, _)) => return Err(format!("the server answered {code}")),
        Err(e) => return Err(e.to_string()),
    };
    if resp.status() == 204 {
        return Ok(None);
    }
    let mut body = Vec::new();
    resp.into_reader()
        .take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut body)
        .map_err(|e| format!("reading the answer failed: {e}"))?;
    if body.len() > MAX_FILE_BYTES {
        return Err(format!(
            "the answer is larger than {MAX_FILE_BYTES} bytes; not a license file"
        ));
    }
    Ok(Some(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hidden files, folders and a missing folder are not license files.
    #[test]
    fn listing_skips_hidden_files_and_folders() {
        let dir = tempfile::tempdir().unwrap();
        assert!(list(&dir.path().join("nope")).unwrap().is_empty());
        std::fs::write(dir.path().join("b.license"), "x").unwrap();
        std::fs::write(dir.path().join("a.license"), "yy").unwrap();
        std::fs::write(dir.path().join(".a.license.tmp"), "z").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let l = list(dir.path()).unwrap();
        let names: Vec<_> = l.iter().map(|e| (e.name.as_str(), e.len)).collect();
        assert_eq!(names, vec![("a.license", 2), ("b.license", 1)]);
    }
}
