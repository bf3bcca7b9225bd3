//! Test helpers shared by the license unit tests: fixed keys, claims and signed files.
#![cfg(test)]

use ed25519_dalek::SigningKey;

use super::{Claims, Keyring, Kind, Limits, VerifiedFile, sign, signing_key_from_seed, verify};

/// 2027-01-15T08:00:00Z: the tests' "now".
pub const T0: i64 = 1_800_000_000;
pub const DAY: i64 = 86_400;
pub const HOUR: i64 = 3_600;
pub const SITE: &str = "S-TEST-0001";

/// A deterministic test key; different `n`, different key.
pub fn key(n: u8) -> SigningKey {
    signing_key_from_seed(&[n; 32])
}

/// A keyring trusting exactly `key`.
pub fn ring(key: &SigningKey) -> Keyring {
    let mut ring = Keyring::empty();
    ring.add_key(key.verifying_key()).expect("fresh ring");
    ring
}

/// A license for `SITE` valid from T0 - 1 day to T0 + 30 days.
pub fn claims(serial: u64, kind: Kind) -> Claims {
    Claims {
        site_id: SITE.to_string(),
        site_name: "Taverna Test".to_string(),
        issued_at: T0 - HOUR,
        not_before: T0 - DAY,
        expires_at: T0 + 30 * DAY,
        serial,
        limits: Limits {
            max_waiters: Some(12),
            max_printers: None,
        },
        kind,
    }
}

/// Signs `claims` with key 1.
pub fn signed(claims: &Claims) -> String {
    sign(claims, &key(1)).expect("valid claims sign")
}

/// Signs with key 1 and verifies with a ring trusting key 1.
pub fn verified(claims: &Claims) -> VerifiedFile {
    verify(signed(claims).as_bytes(), &ring(&key(1))).expect("own file verifies")
}
