//! `posd license ...`: the sysadmin's offline tool (keygen, sign, verify) and `describe`.
//!
//! Invariant: this is the only license module that touches files, the OS random source and
//! the system clock, and only on the sysadmin's behalf; the `*_at` functions take the time
//! and randomness as parameters so tests control them. Private keys are written atomically
//! with mode 0600 and never overwritten. `show` and `install` need the appliance's store and
//! are wired by the daemon's CLI (see [`describe`] and [`super::install`]).

use std::fs;
use std::io::{Read as _, Write as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::{
    Claims, Keyring, Kind, LicenseError, LicenseState, Limits, MAX_FILE_BYTES, VENDOR_KEYS,
    Verdict, check_site_id, decode_key_file, encode_key_file, fmt_time, key_id_of, public_key_text,
    sign, signing_key_from_seed, verify,
};

/// `posd license <command>`.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum LicenseCmd {
    /// Create a vendor signing key (private key file written with mode 0600; prints the
    /// public key and its key id).
    Keygen {
        /// Where to write the private key; an existing file is never overwritten.
        #[arg(long)]
        out: PathBuf,
    },
    /// Sign a license, lock or unlock file for one site.
    Sign {
        /// Private key file written by `posd license keygen`.
        #[arg(long)]
        key: PathBuf,
        /// Site id of the appliance (shown by `posd license show` and /api/system/status).
        #[arg(long)]
        site: String,
        /// Restaurant name, for humans reading the file.
        #[arg(long)]
        site_name: String,
        /// End of validity: YYYY-MM-DD (valid through that whole UTC day) or RFC 3339.
        /// For --lock/--unlock: the last moment the file may be applied.
        #[arg(long)]
        expires: String,
        /// Start of validity: YYYY-MM-DD (00:00 UTC) or RFC 3339. Default: 24 hours before
        /// signing, so an appliance whose clock lags (no RTC) still accepts the file.
        #[arg(long)]
        not_before: Option<String>,
        /// Serial of this file; must be above every serial already sent to this site.
        #[arg(long)]
        serial: u64,
        /// Most waiters the site may have (default: no limit).
        #[arg(long)]
        max_waiters: Option<u32>,
        /// Most printers the site may have (default: no limit).
        #[arg(long)]
        max_printers: Option<u32>,
        /// Make a lock file with this reason instead of a license.
        #[arg(long, value_name = "REASON", conflicts_with = "unlock")]
        lock: Option<String>,
        /// Make an unlock file instead of a license.
        #[arg(long)]
        unlock: bool,
        /// Write the file here instead of printing it.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check a license file's signature and print every field.
    Verify {
        /// The license file.
        file: PathBuf,
        /// Also require the file to be for this site id.
        #[arg(long)]
        site: Option<String>,
        /// Extra trusted public key, "keyid:base64" or "base64" (repeatable).
        #[arg(long)]
        trust: Vec<String>,
    },
    /// Show the license state held in the data folder.
    Show,
    /// Install a license file into a stopped appliance's data folder.
    Install {
        /// The license file.
        file: PathBuf,
    },
}

/// Runs an offline command with the system clock and the OS random source. Returns the text
/// to print on stdout. `Show` and `Install` return [`LicenseError::NeedsStore`].
pub fn run_offline(cmd: LicenseCmd) -> Result<String, LicenseError> {
    let now = jiff::Timestamp::now().as_second();
    match cmd {
        LicenseCmd::Keygen { out } => {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).map_err(|e| LicenseError::Io {
                path: "OS random source".to_string(),
                reason: e.to_string(),
            })?;
            keygen_with_seed(&out, &seed)
        }
        cmd @ LicenseCmd::Sign { .. } => sign_at(&cmd, now),
        LicenseCmd::Verify { file, site, trust } => {
            // Keys given with --trust are trusted in addition to the vendor keys.
            let ring = Keyring::with_extra(&trust)?;
            verify_at(&file, site.as_deref(), &ring, now)
        }
        LicenseCmd::Show => Err(LicenseError::NeedsStore { command: "show" }),
        LicenseCmd::Install { .. } => Err(LicenseError::NeedsStore { command: "install" }),
    }
}

/// `keygen` with caller-supplied seed bytes.
pub fn keygen_with_seed(out: &Path, seed: &[u8; 32]) -> Result<String, LicenseError> {
    let key = signing_key_from_seed(seed);
    write_atomic(out, encode_key_file(&key).as_bytes(), 0o600, false)?;
    let id = key_id_of(&key);
    let public = public_key_text(&key.verifying_key());
    Ok(format!(
        "Wrote the private signing key to {} (mode 0600). Keep it secret and backed up.\n\
         key id:     {id}\n\
         public key: {public}\n\
         Trust it on an appliance with the config entry \"{id}:{public}\".\n",
        out.display()
    ))
}

/// `sign` at unix time `now` (the file's issued_at).
pub fn sign_at(cmd: &LicenseCmd, now: i64) -> Result<String, LicenseError> {
    let LicenseCmd::Sign {
        key,
        site,
        site_name,
        expires,
        not_before,
        serial,
        max_waiters,
        max_printers,
        lock,
        unlock,
        out,
    } = cmd
    else {
        return Err(LicenseError::InvalidInput {
            field: "command",
            reason: "not a sign command".to_string(),
        });
    };
    check_site_id(site).map_err(|reason| LicenseError::InvalidInput {
        field: "--site",
        reason,
    })?;
    let expires_at = parse_time("--expires", expires, true)?;
    if expires_at <= now {
        return Err(LicenseError::InvalidInput {
            field: "--expires",
            reason: format!("{} is already past", fmt_time(expires_at)),
        });
    }
    let not_before = match not_before {
        Some(text) => parse_time("--not-before", text, false)?,
        None => now.saturating_sub(86_400),
    };
    let kind = match (lock, unlock) {
        (Some(reason), _) => Kind::Lock {
            reason: reason.clone(),
        },
        (None, true) => Kind::Unlock,
        (None, false) => Kind::License,
    };
    let claims = Claims {
        site_id: site.clone(),
        site_name: site_name.clone(),
        issued_at: now,
        not_before,
        expires_at,
        serial: *serial,
        limits: Limits {
            max_waiters: *max_waiters,
            max_printers: *max_printers,
        },
        kind,
    };
    let key_path = key.display().to_string();
    let signing_key = decode_key_file(&read_text(key, 4096)?, &key_path)?;
    let text = sign(&claims, &signing_key)?;
    // Self-check: the file must verify with the key that signed it.
    let mut ring = Keyring::empty();
    ring.add_key(signing_key.verifying_key())?;
    let checked = verify(text.as_bytes(), &ring)?;
    match out {
        Some(path) => {
            write_atomic(path, text.as_bytes(), 0o644, true)?;
            let known = if Keyring::vendor().get(&checked.key_id()).is_some() {
                "a compiled-in vendor key"
            } else {
                "a key appliances must be configured to trust"
            };
            Ok(format!(
                "Wrote {} (signed with key {}, {known}).\n{}",
                path.display(),
                checked.key_id(),
                describe_claims(checked.claims(), now)
            ))
        }
        None => Ok(text),
    }
}

/// `verify` at unix time `now`: prints every field; errors if the file is not authentic
/// (or not for `site`). Time problems are reported in the text, not as errors.
pub fn verify_at(
    file: &Path,
    site: Option<&str>,
    keyring: &Keyring,
    now: i64,
) -> Result<String, LicenseError> {
    let bytes = read_limited(file, MAX_FILE_BYTES)?;
    let verified = verify(&bytes, keyring)?;
    let claims = verified.claims();
    if let Some(expected) = site
        && claims.site_id != expected
    {
        return Err(LicenseError::WrongSite {
            expected: expected.to_string(),
            found: claims.site_id.clone(),
        });
    }
    let vendor = VENDOR_KEYS
        .iter()
        .any(|(id, _)| *id == verified.key_id().to_string());
    Ok(format!(
        "Signature:    valid, key {} ({})\n{}",
        verified.key_id(),
        if vendor {
            "compiled-in vendor key"
        } else {
            "extra trusted key"
        },
        describe_claims(claims, now)
    ))
}

/// Every field of a file in words, plus its standing at `now`.
pub fn describe_claims(c: &Claims, now: i64) -> String {
    let kind = match &c.kind {
        Kind::License => "license".to_string(),
        Kind::Lock { reason } => format!("lock (reason: {reason})"),
        Kind::Unlock => "unlock".to_string(),
    };
    let until = match c.kind {
        Kind::License => "Expires:     ",
        _ => "Apply before:",
    };
    let standing = if now < c.not_before {
        format!("NOT YET VALID (valid from {})", fmt_time(c.not_before))
    } else if now >= c.expires_at {
        format!("EXPIRED (at {})", fmt_time(c.expires_at))
    } else {
        "valid now".to_string()
    };
    format!(
        "Kind:         {kind}\n\
         Site id:      {}\n\
         Site name:    {}\n\
         Serial:       {}\n\
         Issued:       {}\n\
         Valid from:   {}\n\
         {until} {}\n\
         Max waiters:  {}\n\
         Max printers: {}\n\
         Standing:     {standing} (by this computer's clock, {})\n",
        c.site_id,
        c.site_name,
        c.serial,
        fmt_time(c.issued_at),
        fmt_time(c.not_before),
        fmt_time(c.expires_at),
        limit_text(c.limits.max_waiters),
        limit_text(c.limits.max_printers),
        fmt_time(now),
    )
}

fn limit_text(limit: Option<u32>) -> String {
    limit.map_or_else(|| "no limit".to_string(), |n| n.to_string())
}

/// `posd license show`'s text for a stored state and its current verdict.
pub fn describe(state: &LicenseState, verdict: &Verdict) -> String {
    let mut out = format!(
        "Site id:          {}\nStatus:           {} ({})\n",
        state.site_id,
        verdict.message(&state.site_id),
        verdict.code()
    );
    match &state.active {
        Some(l) => out.push_str(&format!(
            "License:          serial {}, key {}, for {:?}\n\
             \x20 issued          {}\n\
             \x20 valid from      {}\n\
             \x20 expires         {}\n\
             \x20 max waiters     {}\n\
             \x20 max printers    {}\n",
            l.serial,
            l.key_id,
            l.site_name,
            fmt_time(l.issued_at),
            fmt_time(l.not_before),
            fmt_time(l.expires_at),
            limit_text(l.limits.max_waiters),
            limit_text(l.limits.max_printers),
        )),
        None => out.push_str("License:          none installed\n"),
    }
    match &state.locked {
        Some(lock) => out.push_str(&format!(
            "Lock:             LOCKED since {} (serial {}): {}\n",
            fmt_time(lock.at),
            lock.serial,
            lock.reason
        )),
        None => out.push_str("Lock:             not locked\n"),
    }
    out.push_str(&format!(
        "Last serial:      {} (the next file must have a higher serial)\n\
         Trial started:    {}\n\
         Clock high water: {}\n\
         Demo data:        {}\n",
        state.last_serial,
        state
            .trial_started_at
            .map_or_else(|| "never".to_string(), fmt_time),
        fmt_time(state.clock_high_water),
        if state.demo { "yes" } else { "no" },
    ));
    out
}

/// Parses `YYYY-MM-DD` (UTC; `end_of_day` gives the next midnight) or an RFC 3339 instant.
pub fn parse_time(field: &'static str, text: &str, end_of_day: bool) -> Result<i64, LicenseError> {
    let text = text.trim();
    if let Ok(ts) = text.parse::<jiff::Timestamp>() {
        return Ok(ts.as_second());
    }
    let bad = || LicenseError::InvalidInput {
        field,
        reason: format!("{text:?} is not YYYY-MM-DD or an RFC 3339 time like 2026-05-01T12:00:00Z"),
    };
    // Exactly YYYY-MM-DD: jiff would also take a date-time without offset and drop the time.
    if text.len() != 10 {
        return Err(bad());
    }
    let date = text.parse::<jiff::civil::Date>().map_err(|_| bad())?;
    let start = date
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map_err(|_| bad())?
        .timestamp()
        .as_second();
    Ok(if end_of_day { start + 86_400 } else { start })
}

fn io_err(path: &Path, e: &std::io::Error) -> LicenseError {
    LicenseError::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// Reads at most `max` bytes; a longer file is `TooLarge` without reading it all.
pub fn read_limited(path: &Path, max: usize) -> Result<Vec<u8>, LicenseError> {
    let file = fs::File::open(path).map_err(|e| io_err(path, &e))?;
    let mut bytes = Vec::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    file.take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| io_err(path, &e))?;
    if bytes.len() > max {
        return Err(LicenseError::TooLarge {
            len: bytes.len(),
            max,
        });
    }
    Ok(bytes)
}

fn read_text(path: &Path, max: usize) -> Result<String, LicenseError> {
    let bytes = read_limited(path, max).map_err(|e| match e {
        LicenseError::TooLarge { .. } => LicenseError::BadKeyFile {
            path: path.display().to_string(),
            reason: "too large to be a key file".to_string(),
        },
        other => other,
    })?;
    String::from_utf8(bytes).map_err(|_| LicenseError::BadKeyFile {
        path: path.display().to_string(),
        reason: "not text".to_string(),
    })
}

/// Writes via a temporary file in the same folder, fsync, rename: readers see the old file
/// or the whole new one. With `clobber == false` an existing target is refused.
fn write_atomic(path: &Path, bytes: &[u8], mode: u32, clobber: bool) -> Result<(), LicenseError> {
    if !clobber && fs::symlink_metadata(path).is_ok() {
        return Err(LicenseError::KeyFileExists {
            path: path.display().to_string(),
        });
    }
    let name = path.file_name().ok_or_else(|| LicenseError::Io {
        path: path.display().to_string(),
        reason: "not a file path".to_string(),
    })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        // Make the rename durable; not every filesystem supports syncing a folder.
        if let Ok(d) = fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    result.map_err(|e: std::io::Error| {
        let _ = fs::remove_file(&tmp);
        io_err(path, &e)
    })
}
