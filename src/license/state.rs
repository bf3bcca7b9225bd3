//! The appliance's license state and the pure enforcement state machine.
//!
//! Invariants: no IO and no clock reads here, time is always a parameter (unix seconds).
//! `last_serial` only grows, and only a verified file for this site with a serial above it (or
//! the very file applied last, as a no-op) is accepted, whatever its kind: an old unlock
//! replayed after a lock, or an older license after a newer one, changes nothing. `apply`
//! either changes the state completely or not at all. The clock high-water mark only grows,
//! so setting the system clock back never extends a license or a trial.

use serde::{Deserialize, Serialize};

use super::{Claims, KeyId, Kind, LicenseError, Limits, VerifiedFile, fmt_time};

/// The license currently granted to this site (from the newest applied `license` file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct License {
    pub site_name: String,
    pub key_id: KeyId,
    pub issued_at: i64,
    pub not_before: i64,
    pub expires_at: i64,
    pub serial: u64,
    pub limits: Limits,
}

/// A lock in force (from the newest applied `lock` file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    pub reason: String,
    pub serial: u64,
    /// Effective time at which the lock was applied.
    pub at: i64,
}

/// Persisted license state of one appliance (one data drive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseState {
    /// Created on first start; the vendor signs files for it.
    pub site_id: String,
    pub active: Option<License>,
    pub locked: Option<LockInfo>,
    /// Serial of the last applied file of any kind; 0 before the first.
    pub last_serial: u64,
    /// SHA-256 of the last applied payload, so re-installing that same file is a no-op.
    pub last_digest: Option<[u8; 32]>,
    /// Effective time of the first start; the trial counts from here, once per data drive.
    pub trial_started_at: Option<i64>,
    /// Latest wall-clock time seen (unix seconds).
    pub clock_high_water: i64,
    /// Demo data: always serves.
    pub demo: bool,
}

/// What applying a file did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// A license file became the active license.
    Licensed { serial: u64, expires_at: i64 },
    /// A lock file locked the site.
    Locked { serial: u64, reason: String },
    /// An unlock file was applied; `was_locked` tells whether a lock was lifted.
    Unlocked { serial: u64, was_locked: bool },
    /// The file is the one applied last; nothing changed.
    AlreadyApplied { serial: u64 },
}

/// Why requests are refused with 402 when no license applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unlicensed {
    /// No license and no trial (trial disabled).
    NoLicense,
    /// No license and the trial is over.
    TrialEnded { ended_at: i64 },
    /// The stored license starts later than now (only if the state was altered by hand).
    NotYetValid { not_before: i64 },
}

/// The enforcement decision for one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Licensed {
        expires_at: i64,
        limits: Limits,
    },
    /// Expired, but inside the grace period: still serves.
    Grace {
        expired_at: i64,
        grace_ends: i64,
        limits: Limits,
    },
    Trial {
        ends_at: i64,
    },
    Demo,
    /// HTTP 402.
    Unlicensed(Unlicensed),
    /// Expired beyond the grace period: HTTP 402.
    Expired {
        expired_at: i64,
    },
    /// HTTP 423.
    Locked {
        reason: String,
        since: i64,
    },
}

impl Verdict {
    /// `None` when requests are served; otherwise the HTTP status to refuse them with.
    pub fn blocking_status(&self) -> Option<u16> {
        match self {
            Self::Licensed { .. } | Self::Grace { .. } | Self::Trial { .. } | Self::Demo => None,
            Self::Unlicensed(_) | Self::Expired { .. } => Some(402),
            Self::Locked { .. } => Some(423),
        }
    }

    /// Stable machine-readable code for status pages and error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Licensed { .. } => "licensed",
            Self::Grace { .. } => "license_grace",
            Self::Trial { .. } => "trial",
            Self::Demo => "demo",
            Self::Unlicensed(Unlicensed::NoLicense) => "license_missing",
            Self::Unlicensed(Unlicensed::TrialEnded { .. }) => "trial_ended",
            Self::Unlicensed(Unlicensed::NotYetValid { .. }) => "license_not_yet_valid",
            Self::Expired { .. } => "license_expired",
            Self::Locked { .. } => "locked",
        }
    }

    /// Limits in force; trial and demo are unlimited.
    pub fn limits(&self) -> Limits {
        match self {
            Self::Licensed { limits, .. } | Self::Grace { limits, .. } => *limits,
            _ => Limits::default(),
        }
    }

    /// One or two sentences: what the state is and, when blocked, what to do.
    pub fn message(&self, site_id: &str) -> String {
        let get = format!(
            "Ask your vendor for a license file for site {site_id} and install it \
             (POST /api/system/license, or put it in the data drive's license/ folder)."
        );
        match self {
            Self::Licensed { expires_at, .. } => {
                format!("Licensed until {}.", fmt_time(*expires_at))
            }
            Self::Grace {
                expired_at,
                grace_ends,
                ..
            } => format!(
                "The license expired at {}; service continues until {}. {get}",
                fmt_time(*expired_at),
                fmt_time(*grace_ends)
            ),
            Self::Trial { ends_at } => format!("Trial until {}. {get}", fmt_time(*ends_at)),
            Self::Demo => "Demo data: no license needed.".to_string(),
            Self::Unlicensed(Unlicensed::NoLicense) => format!("No license installed. {get}"),
            Self::Unlicensed(Unlicensed::TrialEnded { ended_at }) => format!(
                "The trial ended at {} and no license is installed. {get}",
                fmt_time(*ended_at)
            ),
            Self::Unlicensed(Unlicensed::NotYetValid { not_before }) => format!(
                "The installed license is valid only from {}; check the appliance clock. {get}",
                fmt_time(*not_before)
            ),
            Self::Expired { expired_at } => format!(
                "The license expired at {} and the grace period is over. {get}",
                fmt_time(*expired_at)
            ),
            Self::Locked { reason, .. } => format!(
                "This appliance is locked by the vendor: {reason}. Contact your vendor; a \
                 signed unlock file (POST /api/system/license) lifts the lock."
            ),
        }
    }
}

impl LicenseState {
    /// State of a brand-new data drive: the trial starts now (effective time).
    pub fn new(site_id: String, now_effective: i64) -> LicenseState {
        LicenseState {
            site_id,
            active: None,
            locked: None,
            last_serial: 0,
            last_digest: None,
            trial_started_at: Some(now_effective),
            clock_high_water: now_effective,
            demo: false,
        }
    }
}

/// The time to judge expiry by: the later of the system clock and the high-water mark.
pub fn effective_now(system_now: i64, high_water: i64) -> i64 {
    system_now.max(high_water)
}

/// Raises the high-water mark to `system_now` if later; returns true if it changed (persist).
pub fn observe_clock(state: &mut LicenseState, system_now: i64) -> bool {
    if system_now > state.clock_high_water {
        state.clock_high_water = system_now;
        true
    } else {
        false
    }
}

/// Applies a verified file. On error the state is unchanged. The high-water mark is raised to
/// the file's `issued_at`, which the vendor's signature vouches is a time already reached.
pub fn apply(
    state: &mut LicenseState,
    verified: VerifiedFile,
    now_effective: i64,
) -> Result<Applied, LicenseError> {
    let digest = verified.digest();
    let key_id = verified.key_id();
    let c: Claims = verified.into_claims();
    if c.site_id != state.site_id {
        return Err(LicenseError::WrongSite {
            expected: state.site_id.clone(),
            found: c.site_id,
        });
    }
    if c.serial == state.last_serial && state.last_digest == Some(digest) {
        return Ok(Applied::AlreadyApplied { serial: c.serial });
    }
    if c.serial <= state.last_serial {
        return Err(LicenseError::SerialNotNewer {
            serial: c.serial,
            last_serial: state.last_serial,
        });
    }
    if now_effective < c.not_before {
        return Err(LicenseError::NotYetValid {
            not_before: c.not_before,
            now: now_effective,
        });
    }
    if now_effective >= c.expires_at {
        return Err(LicenseError::Expired {
            expires_at: c.expires_at,
            now: now_effective,
        });
    }
    state.last_serial = c.serial;
    state.last_digest = Some(digest);
    state.clock_high_water = state.clock_high_water.max(c.issued_at);
    Ok(match c.kind {
        Kind::License => {
            state.active = Some(License {
                site_name: c.site_name,
                key_id,
                issued_at: c.issued_at,
                not_before: c.not_before,
                expires_at: c.expires_at,
                serial: c.serial,
                limits: c.limits,
            });
            Applied::Licensed {
                serial: c.serial,
                expires_at: c.expires_at,
            }
        }
        Kind::Lock { reason } => {
            state.locked = Some(LockInfo {
                reason: reason.clone(),
                serial: c.serial,
                at: now_effective,
            });
            Applied::Locked {
                serial: c.serial,
                reason,
            }
        }
        Kind::Unlock => Applied::Unlocked {
            serial: c.serial,
            was_locked: state.locked.take().is_some(),
        },
    })
}

/// The enforcement decision at `now_effective`. Precedence: demo, lock, license (valid, then
/// grace, then expired), trial, unlicensed. Once any license was applied the trial no longer
/// counts. `trial_days == 0` disables the trial.
pub fn verdict(
    state: &LicenseState,
    now_effective: i64,
    trial_days: u32,
    grace_hours: u32,
) -> Verdict {
    if state.demo {
        return Verdict::Demo;
    }
    if let Some(lock) = &state.locked {
        return Verdict::Locked {
            reason: lock.reason.clone(),
            since: lock.at,
        };
    }
    if let Some(lic) = &state.active {
        if now_effective < lic.not_before {
            return Verdict::Unlicensed(Unlicensed::NotYetValid {
                not_before: lic.not_before,
            });
        }
        if now_effective < lic.expires_at {
            return Verdict::Licensed {
                expires_at: lic.expires_at,
                limits: lic.limits,
            };
        }
        let grace_ends = lic
            .expires_at
            .saturating_add(i64::from(grace_hours).saturating_mul(3600));
        if now_effective < grace_ends {
            return Verdict::Grace {
                expired_at: lic.expires_at,
                grace_ends,
                limits: lic.limits,
            };
        }
        return Verdict::Expired {
            expired_at: lic.expires_at,
        };
    }
    match state.trial_started_at {
        Some(start) if trial_days > 0 => {
            let ends_at = start.saturating_add(i64::from(trial_days).saturating_mul(86_400));
            if now_effective < ends_at {
                Verdict::Trial { ends_at }
            } else {
                Verdict::Unlicensed(Unlicensed::TrialEnded { ended_at: ends_at })
            }
        }
        _ => Verdict::Unlicensed(Unlicensed::NoLicense),
    }
}

/// A new site id from 10 random bytes: `S-` and 16 Crockford base32 characters in groups of
/// four, e.g. `S-7K2Q-M9XD-04RB-TC1H`: easy to read over the phone, 80 bits of randomness.
pub fn new_site_id(random: &[u8; 10]) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut bits: u128 = 0;
    for &b in random {
        bits = (bits << 8) | u128::from(b);
    }
    let mut id = String::with_capacity(21);
    id.push_str("S-");
    for i in 0..16 {
        if i > 0 && i % 4 == 0 {
            id.push('-');
        }
        let shift = 75 - 5 * i;
        let index = usize::try_from((bits >> shift) & 31).unwrap_or(0);
        id.push(char::from(ALPHABET[index]));
    }
    id
}
