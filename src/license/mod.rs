//! Signed offline licenses: the file format, the vendor keyring, the pure enforcement state
//! machine and the sysadmin's offline commands (`posd license ...`).
//!
//! Invariant: everything here is pure except `cli` (which reads and writes files, the OS
//! random source and the system clock on the sysadmin's behalf). Library functions take time
//! as unix seconds and never read the clock; authority comes only from an ed25519 signature
//! by a key in the `Keyring`. The format is documented in `docs/LICENSE-FORMAT.md`.

pub mod cli;
mod error;
mod format;
mod keys;
pub mod state;

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests_cli;
#[cfg(test)]
mod tests_format;
#[cfg(test)]
mod tests_state;

pub use error::LicenseError;
pub use format::{
    Claims, Envelope, HEADER, Kind, Limits, PAYLOAD_VERSION, VerifiedFile, check_claims,
    check_site_id, encode_payload, parse_envelope, seal, sign, verify,
};
pub use keys::{
    KeyId, Keyring, VENDOR_KEYS, decode_key_file, encode_key_file, key_id_of, public_key_text,
    signing_key_from_seed,
};
pub use state::{
    Applied, License, LicenseState, LockInfo, Unlicensed, Verdict, apply, effective_now,
    new_site_id, observe_clock, verdict,
};

/// Largest accepted license file, in bytes; larger input is refused before any parsing.
pub const MAX_FILE_BYTES: usize = 8 * 1024;

/// Default trial length for a new data drive.
pub const DEFAULT_TRIAL_DAYS: u32 = 14;

/// Default grace period after a license expires (seed 000's `LICENSE_GRACE_HOURS`).
pub const DEFAULT_GRACE_HOURS: u32 = 24;

/// Verifies `input` and applies it to `state`: the one call behind `POST /api/system/license`,
/// the data drive's `license/` folder, the check-in fetch and `posd license install`.
/// On any error the state is unchanged.
pub fn install(
    state: &mut LicenseState,
    input: &[u8],
    keyring: &Keyring,
    now_effective: i64,
) -> Result<Applied, LicenseError> {
    let verified = verify(input, keyring)?;
    apply(state, verified, now_effective)
}

/// Unix seconds as RFC 3339 UTC (`2026-05-01T00:00:00Z`), or `unix <n>` when out of range.
pub fn fmt_time(unix: i64) -> String {
    match jiff::Timestamp::from_second(unix) {
        Ok(ts) => ts.to_string(),
        Err(_) => format!("unix {unix}"),
    }
}
