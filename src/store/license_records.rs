//! On-disk record of the appliance's license state (META key [`LICENSE_KEY`]), versioned
//! postcard like `records`.
//!
//! Invariant: `LicenseStateV1` mirrors every field of `license::LicenseState` one to one, so a
//! stored state reads back exactly as written; a change to the state adds a `V2` with an
//! upgrade, and the pinned bytes in the tests below keep V1 from changing by accident.

use serde::{Deserialize, Serialize};

use super::records::Record;
use crate::error::{Error, Result};
use crate::license::{KeyId, License, LicenseState, Limits, LockInfo};

/// The META key the license state is stored under.
pub const LICENSE_KEY: &str = "license";

#[derive(Serialize, Deserialize)]
pub enum LicenseStateRec {
    V1(LicenseStateV1),
}

#[derive(Serialize, Deserialize)]
pub struct LicenseStateV1 {
    pub site_id: String,
    pub active: Option<LicenseV1>,
    pub locked: Option<LockInfoV1>,
    pub last_serial: u64,
    pub last_digest: Option<[u8; 32]>,
    pub trial_started_at: Option<i64>,
    pub clock_high_water: i64,
    pub demo: bool,
}

#[derive(Serialize, Deserialize)]
pub struct LicenseV1 {
    pub site_name: String,
    pub key_id: [u8; 8],
    pub issued_at: i64,
    pub not_before: i64,
    pub expires_at: i64,
    pub serial: u64,
    pub max_waiters: Option<u32>,
    pub max_printers: Option<u32>,
}

#[derive(Serialize, Deserialize)]
pub struct LockInfoV1 {
    pub reason: String,
    pub serial: u64,
    pub at: i64,
}

impl From<&LicenseState> for LicenseStateV1 {
    fn from(s: &LicenseState) -> Self {
        LicenseStateV1 {
            site_id: s.site_id.clone(),
            active: s.active.as_ref().map(|l| LicenseV1 {
                site_name: l.site_name.clone(),
                key_id: l.key_id.0,
                issued_at: l.issued_at,
                not_before: l.not_before,
                expires_at: l.expires_at,
                serial: l.serial,
                max_waiters: l.limits.max_waiters,
                max_printers: l.limits.max_printers,
            }),
            locked: s.locked.as_ref().map(|k| LockInfoV1 {
                reason: k.reason.clone(),
                serial: k.serial,
                at: k.at,
            }),
            last_serial: s.last_serial,
            last_digest: s.last_digest,
            trial_started_at: s.trial_started_at,
            clock_high_water: s.clock_high_water,
            demo: s.demo,
        }
    }
}

impl From<LicenseStateV1> for LicenseState {
    fn from(s: LicenseStateV1) -> Self {
        LicenseState {
            site_id: s.site_id,
            active: s.active.map(|l| License {
                site_name: l.site_name,
                key_id: KeyId(l.key_id),
                issued_at: l.issued_at,
                not_before: l.not_before,
                expires_at: l.expires_at,
                serial: l.serial,
                limits: Limits {
                    max_waiters: l.max_waiters,
                    max_printers: l.max_printers,
                },
            }),
            locked: s.locked.map(|k| LockInfo {
                reason: k.reason,
                serial: k.serial,
                at: k.at,
            }),
            last_serial: s.last_serial,
            last_digest: s.last_digest,
            trial_started_at: s.trial_started_at,
            clock_high_water: s.clock_high_water,
            demo: s.demo,
        }
    }
}

impl Record for LicenseState {
    fn encode(&self) -> Vec<u8> {
        // postcard only fails on writer errors (none for a Vec) or types serde can't express.
        postcard::to_allocvec(&LicenseStateRec::V1(self.into()))
            .expect("postcard encodes plain records into a Vec")
    }
    fn decode(b: &[u8]) -> Result<Self> {
        let LicenseStateRec::V1(v) = postcard::from_bytes(b).map_err(|e| {
            Error::internal(format!("stored license state record is unreadable: {e}"))
        })?;
        Ok(v.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> LicenseState {
        LicenseState {
            site_id: "S-AB".into(),
            active: Some(License {
                site_name: "T".into(),
                key_id: KeyId([1, 2, 3, 4, 5, 6, 7, 8]),
                issued_at: 10,
                not_before: -1,
                expires_at: 300,
                serial: 2,
                limits: Limits {
                    max_waiters: Some(5),
                    max_printers: None,
                },
            }),
            locked: Some(LockInfo {
                reason: "R".into(),
                serial: 3,
                at: 64,
            }),
            last_serial: 3,
            last_digest: Some([9; 32]),
            trial_started_at: Some(1),
            clock_high_water: 65,
            demo: true,
        }
    }

    /// Every field survives a round trip, including the absent ones.
    #[test]
    fn license_state_round_trips() {
        let s = sample();
        assert_eq!(LicenseState::decode(&s.encode()).unwrap(), s);
        let bare = LicenseState::new("S-X".into(), 7);
        assert_eq!(LicenseState::decode(&bare.encode()).unwrap(), bare);
        assert!(LicenseState::decode(&[1, 2, 3]).is_err());
    }

    /// The V1 bytes are pinned: a data drive written today must read the same tomorrow.
    #[test]
    fn v1_bytes_are_stable() {
        let mut want = vec![0u8]; // record version V1
        want.extend([4, b'S', b'-', b'A', b'B']); // site_id
        want.extend([1, 1, b'T', 1, 2, 3, 4, 5, 6, 7, 8]); // active: name, key id
        want.extend([20, 1, 0xD8, 0x04, 2]); // issued 10, not_before -1, expires 300, serial 2
        want.extend([1, 5, 0]); // max_waiters Some(5), max_printers None
        want.extend([1, 1, b'R', 3, 0x80, 0x01]); // locked: reason, serial 3, at 64
        want.push(3); // last_serial
        want.push(1);
        want.extend([9u8; 32]); // last_digest
        want.extend([1, 2]); // trial_started_at Some(1)
        want.extend([0x82, 0x01]); // clock_high_water 65
        want.push(1); // demo
        assert_eq!(sample().encode(), want);
        assert_eq!(LicenseState::decode(&want).unwrap(), sample());
    }
}
