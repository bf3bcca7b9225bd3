//! License use cases: the appliance's stored license state, the in-memory copy every request
//! is judged by, installing signed files, and the limits a license sets.
//!
//! Invariants: the stored state (META `license`) is created once per data drive and never
//! recreated. Every change to it is one write transaction that reads the stored state, applies
//! the pure rules of `crate::license` and writes it back, serialised by one mutex with the
//! update of the in-memory copy, so the copy is never older than a committed install and never
//! ahead of one. Verdicts are judged at `max(clock, high-water mark)`, where the in-memory
//! high-water mark rises with every verdict taken (persisted every minute by
//! `license_tasks`), so setting the clock back never extends a license or a trial.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, RwLock};

use crate::app::App;
use crate::clock::{Random, random_bytes};
use crate::domain::printers::Printer;
use crate::domain::staff::{Role, User};
use crate::error::{Error, Kind, Result};
use crate::events::Change;
use crate::license::{
    self, Applied, Keyring, LicenseError, LicenseState, Limits, Verdict, VerifiedFile,
    effective_now, new_site_id, observe_clock,
};
use crate::store::license_records::LICENSE_KEY;
use crate::store::tables::{PRINTERS, USERS};
use crate::store::{Reader, Record, Writer};

/// The in-memory license state held by the app handle.
#[derive(Default)]
pub struct LicenseCache {
    state: RwLock<Option<LicenseState>>,
    /// Latest clock reading seen by any verdict (unix seconds); only grows.
    high_water: AtomicI64,
    /// Serialises every change of the stored state with the update of `state`.
    apply: tokio::sync::Mutex<()>,
    /// What the last scan of the `license/` folder made of each file.
    folder: Mutex<Vec<FileReport>>,
}

/// One file of the `license/` folder and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    pub file: String,
    /// `applied`, `already_applied` or a `LicenseError` code.
    pub outcome: String,
    pub detail: String,
}

impl LicenseCache {
    /// A copy of the state, if loaded (it is loaded before the server accepts requests).
    pub fn state(&self) -> Option<LicenseState> {
        match self.state.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    pub(crate) fn set(&self, s: LicenseState) {
        self.high_water
            .fetch_max(s.clock_high_water, Ordering::SeqCst);
        match self.state.write() {
            Ok(mut g) => *g = Some(s),
            Err(p) => *p.into_inner() = Some(s),
        }
    }

    /// Raises the in-memory high-water mark to `now`; returns the mark.
    pub fn observe(&self, now: i64) -> i64 {
        self.high_water.fetch_max(now, Ordering::SeqCst).max(now)
    }

    pub(crate) async fn lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.apply.lock().await
    }

    pub fn folder_report(&self) -> Vec<FileReport> {
        match self.folder.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    pub(crate) fn set_folder_report(&self, r: Vec<FileReport>) {
        match self.folder.lock() {
            Ok(mut g) => *g = r,
            Err(p) => *p.into_inner() = r,
        }
    }
}

/// The stored state, if this data drive has one yet.
pub fn load<R: Reader>(r: &R) -> Result<Option<LicenseState>> {
    r.meta(LICENSE_KEY)?
        .map(|b| LicenseState::decode(&b))
        .transpose()
}

pub fn save<W: Writer>(w: &W, s: &LicenseState) -> Result<()> {
    w.set_meta(LICENSE_KEY, &s.encode())
}

/// The stored state, created on the first start of a data drive (new site id, trial from
/// `now`); marked demo when the store holds demo data; clock high-water raised to `now`.
/// Writes only what changed. This is the only place a state is ever created.
pub fn load_or_create<W: Writer>(w: &W, rng: &dyn Random, now: i64) -> Result<LicenseState> {
    let (mut s, mut dirty) = match load(w)? {
        Some(s) => (s, false),
        None => {
            let s = LicenseState::new(new_site_id(&random_bytes::<10>(rng)), now);
            tracing::info!(site_id = %s.site_id, "first start on this data drive: site id created");
            (s, true)
        }
    };
    if !s.demo && crate::demo::is_demo(w)? {
        s.demo = true;
        dirty = true;
    }
    dirty |= observe_clock(&mut s, now);
    if dirty {
        save(w, &s)?;
    }
    Ok(s)
}

/// The trusted keys: compiled-in vendor keys plus `license.extra_keys` from the config.
pub fn keyring(app: &App) -> Result<Keyring> {
    Keyring::with_extra(&app.config.extra_keys)
        .map_err(|e| Error::internal(format!("the config's license.extra_keys is unusable: {e}")))
}

/// The state and its verdict now, judged at `max(clock, high-water mark)`. `None` only
/// before `license_tasks::start` loaded the state.
pub fn current(app: &App) -> Option<(LicenseState, Verdict)> {
    judge(app, |s, v| (s.clone(), v))
}

/// Runs `f` on the state and its verdict now, under the read lock (no copy of the state).
fn judge<T>(app: &App, f: impl FnOnce(&LicenseState, Verdict) -> T) -> Option<T> {
    let now = app.now().as_second();
    let high = app.license.observe(now);
    let guard = match app.license.state.read() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    let s = guard.as_ref()?;
    let at = effective_now(now, high.max(s.clock_high_water));
    let v = license::verdict(s, at, app.config.trial_days, app.config.grace_hours);
    Some(f(s, v))
}

/// The request gate: `Err` with 402 (`PaymentRequired`) or 423 (`Locked`) when the verdict
/// blocks service; the detail says what is wrong and what to do.
pub fn gate(app: &App) -> Result<()> {
    let refusal = judge(app, |s, v| {
        let kind = match v.blocking_status()? {
            423 => Kind::Locked,
            _ => Kind::PaymentRequired,
        };
        Some(Error::new(kind, v.code(), v.message(&s.site_id)))
    });
    match refusal {
        Some(None) => Ok(()),
        Some(Some(e)) => Err(e),
        None => Err(Error::storage(
            "posd is still starting (the license state is not loaded yet); try again",
        )),
    }
}

/// Limits in force now (trial and demo: none).
pub fn limits(app: &App) -> Limits {
    judge(app, |_, v| v.limits()).unwrap_or_default()
}

fn limit_error(what: &str, max: u32, fix: &str) -> Error {
    Error::conflict(
        "license_limit",
        format!(
            "the license allows at most {max} {what}; {fix}, or ask the vendor for a license \
             with a higher limit"
        ),
    )
    .with("limit", i64::from(max))
}

/// Before adding a waiter (or making a user one): the license's `max_waiters`, counting
/// waiters that are not deleted.
pub fn check_waiter_limit<R: Reader>(r: &R, limits: &Limits) -> Result<()> {
    let Some(max) = limits.max_waiters else {
        return Ok(());
    };
    let n = r
        .all::<User>(USERS)?
        .iter()
        .filter(|u| u.role == Role::Waiter && !u.deleted)
        .count();
    if n >= max as usize {
        return Err(limit_error("waiters", max, "delete a waiter first"));
    }
    Ok(())
}

/// Before adding or activating a printer: the license's `max_printers`, counting active
/// printers other than `except`.
pub fn check_printer_limit<R: Reader>(r: &R, limits: &Limits, except: Option<u64>) -> Result<()> {
    let Some(max) = limits.max_printers else {
        return Ok(());
    };
    let n = r
        .all::<Printer>(PRINTERS)?
        .iter()
        .filter(|p| p.active && Some(p.id) != except)
        .count();
    if n >= max as usize {
        return Err(limit_error("printers", max, "deactivate a printer first"));
    }
    Ok(())
}

/// The HTTP-facing error for a refused file: 413 too large, 409 not newer, 422 otherwise.
pub fn refusal(e: &LicenseError) -> Error {
    let kind = match e {
        LicenseError::TooLarge { .. } => Kind::PayloadTooLarge,
        LicenseError::SerialNotNewer { .. } => Kind::Conflict,
        LicenseError::BadTrustedKey { .. }
        | LicenseError::Io { .. }
        | LicenseError::NeedsStore { .. } => Kind::Internal,
        _ => Kind::Invalid,
    };
    Error::new(kind, e.code(), e.to_string())
}

/// Which kind of file an endpoint takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Any,
    Lock,
    Unlock,
}

/// A successful install: what it did, and the state and verdict after it.
#[derive(Debug, Clone)]
pub struct Installed {
    pub applied: Applied,
    pub state: LicenseState,
    pub verdict: Verdict,
}

/// Verifies and applies a license, lock or unlock file (the `POST /api/system/license`,
/// `/lock` and `/unlock` use case). One write transaction; on refusal nothing changes.
pub async fn install(app: &App, input: &[u8], expect: Expect) -> Result<Installed> {
    let verified = license::verify(input, &keyring(app)?).map_err(|e| refusal(&e))?;
    let kind_ok = matches!(
        (expect, &verified.claims().kind),
        (Expect::Any, _)
            | (Expect::Lock, license::Kind::Lock { .. })
            | (Expect::Unlock, license::Kind::Unlock)
    );
    if !kind_ok {
        let (want, found) = (
            if expect == Expect::Lock {
                "lock"
            } else {
                "unlock"
            },
            kind_name(&verified.claims().kind),
        );
        return Err(Error::invalid(
            "license_wrong_kind",
            format!(
                "this endpoint takes a signed {want} file, but this is a {found} file; \
                 POST it to /api/system/license"
            ),
        ));
    }
    apply_verified(app, verified)
        .await?
        .map_err(|e| refusal(&e))
}

pub fn kind_name(k: &license::Kind) -> &'static str {
    match k {
        license::Kind::License => "license",
        license::Kind::Lock { .. } => "lock",
        license::Kind::Unlock => "unlock",
    }
}

/// Applies an authentic file in one write transaction and refreshes the in-memory state.
/// Outer `Err`: the store failed. Inner `Err`: the file was refused; nothing changed.
pub async fn apply_verified(
    app: &App,
    verified: VerifiedFile,
) -> Result<std::result::Result<Installed, LicenseError>> {
    let _serial = app.license.lock().await;
    let now = app.now().as_second();
    let high = app.license.observe(now);
    // A dry run on the in-memory copy (exact: it is never older than the store while the
    // lock is held) settles refusals and re-offers without a write transaction.
    if let Some(mut dry) = app.license.state() {
        let at = effective_now(now, high.max(dry.clock_high_water));
        match license::apply(&mut dry, verified.clone(), at) {
            Err(e) => return Ok(Err(e)),
            Ok(applied @ Applied::AlreadyApplied { .. }) => {
                let (state, verdict) =
                    current(app).ok_or_else(|| Error::internal("the license state vanished"))?;
                return Ok(Ok(Installed {
                    applied,
                    state,
                    verdict,
                }));
            }
            Ok(_) => {}
        }
    }
    let outcome = app
        .store
        .write(move |w| {
            let mut s = load(w)?
                .ok_or_else(|| Error::internal("the license state is missing from the store"))?;
            let changed_clock = observe_clock(&mut s, high);
            let at = effective_now(now, s.clock_high_water);
            match license::apply(&mut s, verified, at) {
                Ok(applied) => {
                    if changed_clock || !matches!(applied, Applied::AlreadyApplied { .. }) {
                        save(w, &s)?;
                    }
                    Ok(Ok((applied, s)))
                }
                Err(e) => Ok(Err(e)),
            }
        })
        .await?;
    let (applied, state) = match outcome {
        Ok(x) => x,
        Err(e) => return Ok(Err(e)),
    };
    app.license.set(state.clone());
    let verdict = current(app)
        .map(|(_, v)| v)
        .ok_or_else(|| Error::internal("the license state vanished"))?;
    if !matches!(applied, Applied::AlreadyApplied { .. }) {
        tracing::info!(
            site_id = %state.site_id,
            outcome = ?applied,
            verdict = verdict.code(),
            "license file applied"
        );
        app.publish(Change::License {
            state: verdict.code().to_string(),
        });
    }
    Ok(Ok(Installed {
        applied,
        state,
        verdict,
    }))
}

/// Persists the in-memory clock high-water mark if it rose above the stored one.
pub async fn persist_clock(app: &App) -> Result<()> {
    let _serial = app.license.lock().await;
    let Some(high) = clock_to_save(app) else {
        return Ok(());
    };
    let s = app.store.write(move |w| raise_clock(w, high)).await?;
    app.license.set(s);
    Ok(())
}

/// The same for the moment posd stops, on the calling (blocking) thread: nothing else
/// writes any more, and the transaction and its hold on the database file are over when
/// this returns (a job on the writer thread lets go of the file only after answering), so
/// the data folder can be reopened at once.
pub fn persist_clock_blocking(app: &App) -> Result<()> {
    let _serial = app.license.apply.blocking_lock();
    let Some(high) = clock_to_save(app) else {
        return Ok(());
    };
    let s = app.store.write_blocking(|w| raise_clock(w, high))?;
    app.license.set(s);
    Ok(())
}

/// The in-memory high-water mark, if it is above the stored one.
fn clock_to_save(app: &App) -> Option<i64> {
    let high = app.license.observe(app.now().as_second());
    let stored = app.license.state().map(|s| s.clock_high_water);
    stored.is_none_or(|s| s < high).then_some(high)
}

fn raise_clock<W: Writer>(w: &W, high: i64) -> Result<LicenseState> {
    let mut s =
        load(w)?.ok_or_else(|| Error::internal("the license state is missing from the store"))?;
    if observe_clock(&mut s, high) {
        save(w, &s)?;
    }
    Ok(s)
}

/// Summary figures of a state and verdict for status pages.
#[derive(Debug, Clone)]
pub struct Summary {
    pub expires_at: Option<i64>,
    pub grace_ends_at: Option<i64>,
    pub trial_ends_at: Option<i64>,
}

pub fn summary(app: &App, s: &LicenseState) -> Summary {
    let trial_ends_at = match (s.active.is_none(), s.trial_started_at) {
        (true, Some(start)) if app.config.trial_days > 0 => {
            Some(start.saturating_add(i64::from(app.config.trial_days) * 86_400))
        }
        _ => None,
    };
    Summary {
        expires_at: s.active.as_ref().map(|l| l.expires_at),
        grace_ends_at: s
            .active
            .as_ref()
            .map(|l| l.expires_at + i64::from(app.config.grace_hours) * 3600),
        trial_ends_at,
    }
}
