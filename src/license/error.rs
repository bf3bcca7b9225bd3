//! `LicenseError`: every reason a license file, key or license command is refused.
//!
//! Invariant: each variant has a stable machine `code()` (snake_case, `license_` prefix) and a
//! Display text a sysadmin or restaurant manager can act on. No variant carries secret material.

use std::fmt;

use super::{KeyId, fmt_time};

/// Why a license file, a trusted key, a key file or a license command was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LicenseError {
    /// Input larger than [`super::MAX_FILE_BYTES`]; rejected before any parsing.
    TooLarge { len: usize, max: usize },
    /// The text does not start with a `POSD-LICENSE-` header.
    NotALicense,
    /// A `POSD-LICENSE-<v>` header (or payload version byte) this build does not understand.
    UnsupportedVersion { found: String },
    /// The file ends early: missing payload, missing signature or a short signature.
    Truncated { what: &'static str },
    /// A part is not canonical unpadded base64url.
    BadBase64 { part: &'static str },
    /// The envelope's structure is wrong (extra separators, over-long signature, ...).
    BadEnvelope { detail: String },
    /// The key id named in the file is not in the keyring.
    UnknownKeyId { key_id: KeyId },
    /// `verify_strict` failed: wrong key or any altered byte.
    SignatureInvalid { key_id: KeyId },
    /// The signature is good but the payload does not decode or breaks a field rule.
    PayloadMalformed { detail: String },
    /// The file is for another site.
    WrongSite { expected: String, found: String },
    /// The file's `not_before` is later than the (effective) current time.
    NotYetValid { not_before: i64, now: i64 },
    /// The file's `expires_at` is not later than the (effective) current time.
    Expired { expires_at: i64, now: i64 },
    /// The file's serial is not above the last one applied on this site (replay or old file).
    SerialNotNewer { serial: u64, last_serial: u64 },
    /// A trusted public key from the configuration is unusable.
    BadTrustedKey { entry: String, reason: String },
    /// A signing-key file is unreadable or malformed.
    BadKeyFile { path: String, reason: String },
    /// `keygen` refuses to overwrite an existing key file.
    KeyFileExists { path: String },
    /// A sign/verify command argument is invalid.
    InvalidInput { field: &'static str, reason: String },
    /// Reading or writing a file failed.
    Io { path: String, reason: String },
    /// `show` and `install` work on the appliance's store; the daemon's CLI handles them.
    NeedsStore { command: &'static str },
}

impl LicenseError {
    /// Stable machine-readable code, e.g. `license_expired`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "license_too_large",
            Self::NotALicense => "license_not_a_license",
            Self::UnsupportedVersion { .. } => "license_unsupported_version",
            Self::Truncated { .. } => "license_truncated",
            Self::BadBase64 { .. } => "license_bad_base64",
            Self::BadEnvelope { .. } => "license_bad_envelope",
            Self::UnknownKeyId { .. } => "license_unknown_key",
            Self::SignatureInvalid { .. } => "license_signature_invalid",
            Self::PayloadMalformed { .. } => "license_malformed",
            Self::WrongSite { .. } => "license_wrong_site",
            Self::NotYetValid { .. } => "license_not_yet_valid",
            Self::Expired { .. } => "license_expired",
            Self::SerialNotNewer { .. } => "license_serial_not_newer",
            Self::BadTrustedKey { .. } => "license_bad_trusted_key",
            Self::BadKeyFile { .. } => "license_bad_key_file",
            Self::KeyFileExists { .. } => "license_key_file_exists",
            Self::InvalidInput { .. } => "license_invalid_input",
            Self::Io { .. } => "license_io",
            Self::NeedsStore { .. } => "license_needs_store",
        }
    }

    /// True when the error says the file itself is not authentic or not a license at all
    /// (as opposed to an authentic file that does not apply here or now).
    pub fn is_forgery_or_garbage(&self) -> bool {
        matches!(
            self,
            Self::TooLarge { .. }
                | Self::NotALicense
                | Self::UnsupportedVersion { .. }
                | Self::Truncated { .. }
                | Self::BadBase64 { .. }
                | Self::BadEnvelope { .. }
                | Self::UnknownKeyId { .. }
                | Self::SignatureInvalid { .. }
                | Self::PayloadMalformed { .. }
        )
    }
}

impl fmt::Display for LicenseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { len, max } => write!(
                f,
                "not a posd license: {len} bytes is larger than the {max}-byte limit"
            ),
            Self::NotALicense => {
                f.write_str("not a posd license: the text must start with the line POSD-LICENSE-1")
            }
            Self::UnsupportedVersion { found } => write!(
                f,
                "unsupported license format version {found:?}: this posd reads version 1; \
                 update posd or ask the vendor for a version 1 file"
            ),
            Self::Truncated { what } => write!(
                f,
                "license file is truncated ({what}); copy the whole file, including the last line"
            ),
            Self::BadBase64 { part } => write!(
                f,
                "license file is damaged: the {part} is not valid base64url"
            ),
            Self::BadEnvelope { detail } => write!(f, "license file is damaged: {detail}"),
            Self::UnknownKeyId { key_id } => write!(
                f,
                "license is signed with key {key_id}, which this appliance does not trust; \
                 add its public key to the config or ask the vendor for a file signed with a \
                 vendor key"
            ),
            Self::SignatureInvalid { key_id } => write!(
                f,
                "license signature is invalid (key {key_id}): the file was altered or signed \
                 with a different key"
            ),
            Self::PayloadMalformed { detail } => write!(
                f,
                "license is signed but its content is malformed: {detail}"
            ),
            Self::WrongSite { expected, found } => write!(
                f,
                "license is for site {found:?}, but this appliance is site {expected:?}; \
                 ask the vendor for a file signed for {expected:?}"
            ),
            Self::NotYetValid { not_before, now } => write!(
                f,
                "license is not valid yet: valid from {}, the appliance's time is {} \
                 (check the appliance clock)",
                fmt_time(*not_before),
                fmt_time(*now)
            ),
            Self::Expired { expires_at, now } => write!(
                f,
                "license file expired at {} (the appliance's time is {}); ask the vendor \
                 for a new one",
                fmt_time(*expires_at),
                fmt_time(*now)
            ),
            Self::SerialNotNewer {
                serial,
                last_serial,
            } => write!(
                f,
                "license file serial {serial} is not newer than the last applied serial \
                 {last_serial}: an old or replayed file is ignored; sign a new file with \
                 --serial {}",
                last_serial.saturating_add(1)
            ),
            Self::BadTrustedKey { entry, reason } => {
                write!(f, "trusted license key {entry:?} is unusable: {reason}")
            }
            Self::BadKeyFile { path, reason } => {
                write!(f, "signing key file {path}: {reason}")
            }
            Self::KeyFileExists { path } => write!(
                f,
                "{path} already exists; refusing to overwrite a signing key (choose another --out)"
            ),
            Self::InvalidInput { field, reason } => write!(f, "{field}: {reason}"),
            Self::Io { path, reason } => write!(f, "{path}: {reason}"),
            Self::NeedsStore { command } => write!(
                f,
                "`posd license {command}` works on the appliance's data folder and is run \
                 by the daemon's command line, not the offline license tool"
            ),
        }
    }
}

impl std::error::Error for LicenseError {}
