//! The license file format: payload encoding, the text envelope, signing and verification.
//!
//! Invariant: the signature is checked with `verify_strict` over the exact payload bytes as
//! transmitted, before the payload body is decoded; nothing is ever re-encoded to be verified.
//! A `VerifiedFile` can only be made by [`verify`], so holding one proves authenticity.
//! See `docs/LICENSE-FORMAT.md` for the byte-level description.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Signer as _, SigningKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{KeyId, Keyring, LicenseError, MAX_FILE_BYTES, key_id_of};

/// First token of every license file; the digit is the envelope format version.
pub const HEADER: &str = "POSD-LICENSE-1";
/// Payload format version (first payload byte).
pub const PAYLOAD_VERSION: u8 = 1;
/// Base64url text lines are wrapped at this many characters.
pub const WRAP: usize = 64;
/// Longest site id, in bytes.
pub const MAX_SITE_ID: usize = 64;
/// Longest site name, in bytes.
pub const MAX_SITE_NAME: usize = 200;
/// Longest lock reason, in bytes.
pub const MAX_REASON: usize = 500;

const HEADER_PREFIX: &str = "POSD-LICENSE-";
/// Unpadded base64url of 64 bytes.
const SIGNATURE_CHARS: usize = 86;
/// Version byte plus the 8-byte key id.
const PAYLOAD_PREFIX: usize = 9;

/// Optional caps a license sets; `None` means unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub max_waiters: Option<u32>,
    pub max_printers: Option<u32>,
}

/// What a file does when applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// Grants (or replaces) the site's license.
    License,
    /// Locks the site (HTTP 423) until a newer unlock.
    Lock { reason: String },
    /// Lifts a lock.
    Unlock,
}

/// Everything a file asserts besides the version and key id. Field order is the wire order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub site_id: String,
    pub site_name: String,
    /// Unix seconds, when the vendor signed the file.
    pub issued_at: i64,
    /// Unix seconds; the file is refused before this instant.
    pub not_before: i64,
    /// Unix seconds; license end, or for lock/unlock the last instant the file may be applied.
    pub expires_at: i64,
    /// Grows per site across all kinds; 0 is never valid.
    pub serial: u64,
    pub limits: Limits,
    pub kind: Kind,
}

/// A file whose signature checked out against a trusted key and whose claims are well formed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedFile {
    key_id: KeyId,
    claims: Claims,
    digest: [u8; 32],
}

impl VerifiedFile {
    /// Id of the key that signed the file.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }
    /// The verified claims.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }
    /// SHA-256 of the exact payload bytes (identifies the file for idempotent re-installs).
    pub fn digest(&self) -> [u8; 32] {
        self.digest
    }
    /// Gives up the verified claims.
    pub fn into_claims(self) -> Claims {
        self.claims
    }
}

/// The two byte strings inside the text envelope, before any authenticity check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub payload: Vec<u8>,
    pub signature: [u8; 64],
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Splits the text envelope into payload and signature bytes. Whitespace (space, tab, CR, LF)
/// around and inside the base64 is ignored, so rewrapped or pasted files still parse.
pub fn parse_envelope(input: &[u8]) -> Result<Envelope, LicenseError> {
    if input.len() > MAX_FILE_BYTES {
        return Err(LicenseError::TooLarge {
            len: input.len(),
            max: MAX_FILE_BYTES,
        });
    }
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let start = input
        .iter()
        .position(|&b| !is_space(b))
        .unwrap_or(input.len());
    let rest = &input[start..];
    let header_len = rest.iter().position(|&b| is_space(b)).unwrap_or(rest.len());
    let (header, body) = rest.split_at(header_len);
    if header != HEADER.as_bytes() {
        return Err(match header.strip_prefix(HEADER_PREFIX.as_bytes()) {
            Some(version) => LicenseError::UnsupportedVersion {
                found: String::from_utf8_lossy(&version[..version.len().min(16)]).into_owned(),
            },
            None => LicenseError::NotALicense,
        });
    }
    let body: Vec<u8> = body.iter().copied().filter(|&b| !is_space(b)).collect();
    let mut parts = body.split(|&b| b == b'.');
    let payload_text = parts.next().unwrap_or_default();
    let Some(sig_text) = parts.next() else {
        return Err(LicenseError::Truncated {
            what: if payload_text.is_empty() {
                "nothing after the header"
            } else {
                "the signature is missing"
            },
        });
    };
    if parts.next().is_some() {
        return Err(LicenseError::BadEnvelope {
            detail: "more than one '.' separator".to_string(),
        });
    }
    if !payload_text.iter().all(|&b| is_b64url(b)) {
        return Err(LicenseError::BadBase64 { part: "payload" });
    }
    if !sig_text.iter().all(|&b| is_b64url(b)) {
        return Err(LicenseError::BadBase64 { part: "signature" });
    }
    if payload_text.is_empty() {
        return Err(LicenseError::Truncated {
            what: "the payload is empty",
        });
    }
    if sig_text.len() < SIGNATURE_CHARS {
        return Err(LicenseError::Truncated {
            what: "the signature is incomplete",
        });
    }
    if sig_text.len() > SIGNATURE_CHARS {
        return Err(LicenseError::BadEnvelope {
            detail: "the signature is longer than 64 bytes".to_string(),
        });
    }
    let payload = URL_SAFE_NO_PAD
        .decode(payload_text)
        .map_err(|_| LicenseError::BadBase64 { part: "payload" })?;
    let sig_bytes = URL_SAFE_NO_PAD
        .decode(sig_text)
        .map_err(|_| LicenseError::BadBase64 { part: "signature" })?;
    let signature: [u8; 64] = sig_bytes
        .as_slice()
        .try_into()
        .map_err(|_| LicenseError::BadBase64 { part: "signature" })?;
    Ok(Envelope { payload, signature })
}

/// Parses, authenticates and decodes a license file. Pure: no clock, no IO.
pub fn verify(input: &[u8], keyring: &Keyring) -> Result<VerifiedFile, LicenseError> {
    let Envelope { payload, signature } = parse_envelope(input)?;
    let Some((&version, after_version)) = payload.split_first() else {
        return Err(LicenseError::Truncated {
            what: "the payload is empty",
        });
    };
    if version != PAYLOAD_VERSION {
        return Err(LicenseError::UnsupportedVersion {
            found: format!("payload {version}"),
        });
    }
    if payload.len() < PAYLOAD_PREFIX {
        return Err(LicenseError::Truncated {
            what: "the payload is too short to name its key",
        });
    }
    let mut id = [0u8; 8];
    id.copy_from_slice(&after_version[..8]);
    let key_id = KeyId(id);
    let key = keyring
        .get(&key_id)
        .ok_or(LicenseError::UnknownKeyId { key_id })?;
    key.verify_strict(&payload, &Signature::from_bytes(&signature))
        .map_err(|_| LicenseError::SignatureInvalid { key_id })?;

    // Authentic from here on; decode the body exactly once, never re-encode.
    let (claims, rest) =
        postcard::take_from_bytes::<Claims>(&payload[PAYLOAD_PREFIX..]).map_err(|e| {
            LicenseError::PayloadMalformed {
                detail: format!("undecodable body ({e})"),
            }
        })?;
    if !rest.is_empty() {
        return Err(LicenseError::PayloadMalformed {
            detail: format!("{} unexpected bytes after the body", rest.len()),
        });
    }
    check_claims(&claims).map_err(|(field, reason)| LicenseError::PayloadMalformed {
        detail: format!("{field}: {reason}"),
    })?;
    Ok(VerifiedFile {
        key_id,
        claims,
        digest: Sha256::digest(&payload).into(),
    })
}

/// Checks the field rules shared by signing and verification: `Err((field, reason))`.
pub fn check_claims(c: &Claims) -> Result<(), (&'static str, String)> {
    check_site_id(&c.site_id).map_err(|r| ("site id", r))?;
    if c.site_name.len() > MAX_SITE_NAME {
        return Err(("site name", format!("longer than {MAX_SITE_NAME} bytes")));
    }
    if c.site_name.chars().any(char::is_control) {
        return Err(("site name", "contains control characters".to_string()));
    }
    if c.serial == 0 {
        return Err(("serial", "must be at least 1".to_string()));
    }
    if c.expires_at <= c.not_before {
        return Err(("expires", "must be later than not-before".to_string()));
    }
    if c.limits.max_waiters == Some(0) || c.limits.max_printers == Some(0) {
        return Err((
            "limits",
            "a limit must be at least 1 (omit it for no limit)".into(),
        ));
    }
    if let Kind::Lock { reason } = &c.kind {
        if reason.trim().is_empty() {
            return Err(("lock reason", "must not be empty".to_string()));
        }
        if reason.len() > MAX_REASON {
            return Err(("lock reason", format!("longer than {MAX_REASON} bytes")));
        }
        if reason.chars().any(char::is_control) {
            return Err(("lock reason", "contains control characters".to_string()));
        }
    }
    Ok(())
}

/// A site id is 1..=64 bytes of ASCII letters, digits, '-', '_' and '.'.
pub fn check_site_id(site_id: &str) -> Result<(), String> {
    if site_id.is_empty() || site_id.len() > MAX_SITE_ID {
        return Err(format!("must be 1 to {MAX_SITE_ID} characters"));
    }
    if !site_id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err("only letters, digits, '-', '_' and '.' are allowed".to_string());
    }
    Ok(())
}

/// The exact payload bytes for `claims` signed by the key with id `key_id`.
pub fn encode_payload(key_id: KeyId, claims: &Claims) -> Result<Vec<u8>, LicenseError> {
    let mut payload = Vec::with_capacity(256);
    payload.push(PAYLOAD_VERSION);
    payload.extend_from_slice(&key_id.0);
    let body = postcard::to_stdvec(claims).map_err(|e| LicenseError::InvalidInput {
        field: "license",
        reason: format!("cannot encode ({e})"),
    })?;
    payload.extend_from_slice(&body);
    Ok(payload)
}

/// Signs arbitrary payload bytes and wraps them in the text envelope. Low level: [`sign`]
/// is the normal entry point; this exists so tools and the fuzzer can build envelopes.
pub fn seal(payload: &[u8], key: &SigningKey) -> String {
    let signature = key.sign(payload).to_bytes();
    let mut out = String::with_capacity(payload.len() * 4 / 3 + 200);
    out.push_str(HEADER);
    out.push('\n');
    push_wrapped(&mut out, &URL_SAFE_NO_PAD.encode(payload));
    out.push_str(".\n");
    push_wrapped(&mut out, &URL_SAFE_NO_PAD.encode(signature));
    out
}

fn push_wrapped(out: &mut String, text: &str) {
    let mut rest = text;
    while !rest.is_empty() {
        // base64url is ASCII, so any byte index is a char boundary.
        let (line, tail) = rest.split_at(rest.len().min(WRAP));
        out.push_str(line);
        out.push('\n');
        rest = tail;
    }
}

/// Checks `claims`, encodes them and signs them: the complete text of a license file.
pub fn sign(claims: &Claims, key: &SigningKey) -> Result<String, LicenseError> {
    check_claims(claims).map_err(|(field, reason)| LicenseError::InvalidInput { field, reason })?;
    let payload = encode_payload(key_id_of(key), claims)?;
    let text = seal(&payload, key);
    if text.len() > MAX_FILE_BYTES {
        return Err(LicenseError::InvalidInput {
            field: "license",
            reason: format!("the file would exceed {MAX_FILE_BYTES} bytes"),
        });
    }
    Ok(text)
}
