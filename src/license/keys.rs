//! Signing keys, key ids and the keyring of trusted vendor public keys.
//!
//! Invariant: a key id is always the first 8 bytes of SHA-256 over the 32-byte ed25519 public
//! key; a `Keyring` only holds valid, non-weak public keys, each under its own computed id.
//! Private keys never pass through here except as a `SigningKey` built from caller-supplied
//! seed bytes (randomness is the caller's business).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::LicenseError;

/// The vendor's public keys, compiled in: (key id as 16 hex chars, 32-byte ed25519 public key).
/// The matching private key of `vendor-1` is kept off the repository by the vendor.
pub const VENDOR_KEYS: &[(&str, [u8; 32])] = &[(
    // vendor-1, public key xAaCHnrIKYeXHkMjlfoLBxMaFa9M28uA6o4UADFKxuk
    "957d32b5601d4ad6",
    [
        0xc4, 0x06, 0x82, 0x1e, 0x7a, 0xc8, 0x29, 0x87, 0x97, 0x1e, 0x43, 0x23, 0x95, 0xfa, 0x0b,
        0x07, 0x13, 0x1a, 0x15, 0xaf, 0x4c, 0xdb, 0xcb, 0x80, 0xea, 0x8e, 0x14, 0x00, 0x31, 0x4a,
        0xc6, 0xe9,
    ],
)];

/// First line of a signing-key file.
pub const KEY_FILE_HEADER: &str = "POSD-SIGNING-KEY-1";

/// Identifies a public key: the first 8 bytes of SHA-256 of the 32 raw public-key bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct KeyId(pub [u8; 8]);

impl KeyId {
    /// Key id of a 32-byte ed25519 public key.
    pub fn of(public_key: &[u8; 32]) -> KeyId {
        let digest = Sha256::digest(public_key);
        let mut id = [0u8; 8];
        id.copy_from_slice(&digest[..8]);
        KeyId(id)
    }

    /// Parses 16 hex characters (either case).
    pub fn parse_hex(text: &str) -> Option<KeyId> {
        let bytes = text.as_bytes();
        if bytes.len() != 16 {
            return None;
        }
        let mut id = [0u8; 8];
        for (i, pair) in bytes.chunks_exact(2).enumerate() {
            let hi = hex_val(pair[0])?;
            let lo = hex_val(pair[1])?;
            id[i] = (hi << 4) | lo;
        }
        Some(KeyId(id))
    }
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// Builds a signing key from 32 seed bytes (the caller draws them from the OS).
pub fn signing_key_from_seed(seed: &[u8; 32]) -> SigningKey {
    SigningKey::from_bytes(seed)
}

/// Key id of a signing key's public half.
pub fn key_id_of(key: &SigningKey) -> KeyId {
    KeyId::of(key.verifying_key().as_bytes())
}

/// The public key as unpadded base64url, the form `keygen` prints and the config accepts.
pub fn public_key_text(key: &VerifyingKey) -> String {
    URL_SAFE_NO_PAD.encode(key.as_bytes())
}

/// Text of a signing-key file: the header line, then the 32-byte seed in unpadded base64url.
pub fn encode_key_file(key: &SigningKey) -> String {
    format!(
        "{KEY_FILE_HEADER}\n{}\n",
        URL_SAFE_NO_PAD.encode(key.as_bytes())
    )
}

/// Parses a signing-key file written by [`encode_key_file`]. `path` is only used in errors.
pub fn decode_key_file(text: &str, path: &str) -> Result<SigningKey, LicenseError> {
    let bad = |reason: &str| LicenseError::BadKeyFile {
        path: path.to_string(),
        reason: reason.to_string(),
    };
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    if lines.next() != Some(KEY_FILE_HEADER) {
        return Err(bad(
            "not a posd signing key (first line must be POSD-SIGNING-KEY-1)",
        ));
    }
    let body = lines.next().ok_or_else(|| bad("the key line is missing"))?;
    if lines.next().is_some() {
        return Err(bad("unexpected text after the key line"));
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(body)
        .map_err(|_| bad("the key line is not base64url"))?;
    let seed: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| bad("the key must be 32 bytes"))?;
    Ok(signing_key_from_seed(&seed))
}

/// Decodes a 32-byte public key written as base64 (url-safe or standard, padded or not).
fn decode_public_key(text: &str) -> Option<[u8; 32]> {
    [URL_SAFE_NO_PAD, URL_SAFE, STANDARD_NO_PAD, STANDARD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
        .and_then(|bytes| bytes.as_slice().try_into().ok())
}

/// The public keys this appliance trusts, selected by key id.
#[derive(Clone, Debug)]
pub struct Keyring {
    keys: Vec<(KeyId, VerifyingKey)>,
}

impl Keyring {
    /// An empty keyring (tests and tools that trust only explicitly given keys).
    pub fn empty() -> Keyring {
        Keyring { keys: Vec::new() }
    }

    /// The compiled-in vendor keys.
    pub fn vendor() -> Keyring {
        let mut ring = Keyring::empty();
        for (id, bytes) in VENDOR_KEYS {
            // Checked by the `vendor_keys_are_consistent` test; a bad entry is skipped, never
            // trusted under a wrong id.
            match VerifyingKey::from_bytes(bytes) {
                Ok(key) if KeyId::parse_hex(id) == Some(KeyId::of(bytes)) && !key.is_weak() => {
                    ring.keys.push((KeyId::of(bytes), key));
                }
                _ => tracing::error!(key_id = id, "compiled-in vendor key is invalid; skipped"),
            }
        }
        ring
    }

    /// The vendor keys plus extra trusted keys from the config, each `"keyid:base64pubkey"` or
    /// just `"base64pubkey"`. A given key id must match the key.
    pub fn with_extra(extra: &[String]) -> Result<Keyring, LicenseError> {
        let mut ring = Keyring::vendor();
        for entry in extra {
            ring.add_entry(entry)?;
        }
        Ok(ring)
    }

    /// Adds one `"keyid:base64pubkey"` / `"base64pubkey"` entry; returns its key id.
    pub fn add_entry(&mut self, entry: &str) -> Result<KeyId, LicenseError> {
        let bad = |reason: &str| LicenseError::BadTrustedKey {
            entry: entry.to_string(),
            reason: reason.to_string(),
        };
        let entry_trimmed = entry.trim();
        let (claimed_id, key_text) = match entry_trimmed.split_once(':') {
            Some((id, key)) => {
                let id = KeyId::parse_hex(id.trim())
                    .ok_or_else(|| bad("the key id must be 16 hex characters"))?;
                (Some(id), key.trim())
            }
            None => (None, entry_trimmed),
        };
        let bytes = decode_public_key(key_text)
            .ok_or_else(|| bad("the public key must be 32 bytes in base64"))?;
        let key =
            VerifyingKey::from_bytes(&bytes).map_err(|_| bad("not a valid ed25519 public key"))?;
        if key.is_weak() {
            return Err(bad("weak (small-order) public key"));
        }
        let id = KeyId::of(&bytes);
        if let Some(claimed) = claimed_id
            && claimed != id
        {
            return Err(bad(&format!(
                "the key id {claimed} does not match the key (its id is {id})"
            )));
        }
        self.add_key(key)?;
        Ok(id)
    }

    /// Adds a public key under its computed id. Adding the same key twice is a no-op.
    pub fn add_key(&mut self, key: VerifyingKey) -> Result<KeyId, LicenseError> {
        let id = KeyId::of(key.as_bytes());
        match self.get(&id) {
            Some(existing) if existing == &key => {}
            Some(_) => {
                return Err(LicenseError::BadTrustedKey {
                    entry: public_key_text(&key),
                    reason: format!("another trusted key already has id {id}"),
                });
            }
            None => self.keys.push((id, key)),
        }
        Ok(id)
    }

    /// The trusted key with this id.
    pub fn get(&self, id: &KeyId) -> Option<&VerifyingKey> {
        self.keys.iter().find(|(k, _)| k == id).map(|(_, key)| key)
    }

    /// Ids of all trusted keys, in the order they were added.
    pub fn ids(&self) -> Vec<KeyId> {
        self.keys.iter().map(|(id, _)| *id).collect()
    }
}
