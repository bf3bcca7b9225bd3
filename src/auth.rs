//! Authentication mechanics: PIN hashing, session tokens, the per-client login throttle.
//!
//! PINs are hashed with argon2id (PHC strings). The cost is chosen for a Raspberry Pi 4 (see
//! [`PinHasher::pi4`]): a 4-digit PIN has only 10 000 values, so no hash cost makes a stolen
//! database safe on its own; the real defence is the online lockout (5 wrong PINs lock the
//! account for 15 minutes) and the per-device throttle. The hash only has to make an offline
//! sweep cost real time while keeping 20 simultaneous logins well under 150 ms on 2 cores.
//! Hashing runs on the blocking pool behind a semaphore (one per core) with pooled memory, so
//! logins never starve requests or grow the process.
//!
//! Session tokens are 256 random bits, sent once, stored only as their SHA-256.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::clock::{Random, random_bytes};
use crate::error::{Error, Kind, Result};

/// Session lifetime, sliding with activity.
pub const SESSION_LIFETIME: SignedDuration = SignedDuration::from_hours(8);
/// A session is extended at most this often (each extension is a write).
pub const SESSION_REFRESH_EVERY: SignedDuration = SignedDuration::from_mins(5);

/// argon2id with fixed parameters, a bounded number of hashes in flight, and reused memory.
///
/// Each hash needs `m_cost` KiB of working memory. Allocating it per login makes the allocator
/// keep every freed buffer in a per-thread arena, so RSS climbs with each blocking thread that
/// ever hashed; instead a small pool of buffers (one per hash in flight) is reused, and the
/// process's memory stays flat however many logins arrive.
#[derive(Clone)]
pub struct PinHasher {
    params: Params,
    permits: Arc<Semaphore>,
    pool: Arc<Mutex<Vec<Vec<Block>>>>,
    /// Verified against when the username is unknown, so both cases cost the same.
    dummy: Arc<String>,
}

/// Bytes of hash output stored in the PHC string.
const OUT_LEN: usize = 32;

impl PinHasher {
    /// argon2id, 1 MiB, 4 passes, 1 lane.
    ///
    /// Measured: about 3 ms per hash on this 2-core x86-64 machine (release), so 20 logins
    /// at once finish well inside 150 ms; a Pi 4's Cortex-A72 is roughly 4× slower, about
    /// 12 ms per hash and ~120 ms for a burst of 20. Memory stays at 2 × 1 MiB (one buffer per
    /// core). With only 10 000 four-digit PINs no hash cost protects a stolen database; the
    /// lockout and the per-device throttle are the defence, the hash just makes a sweep cost
    /// time and keeps PINs out of plain sight.
    pub fn pi4() -> Self {
        Self::with_params(
            Params::new(1024, 4, 1, Some(OUT_LEN)).expect("constant argon2 parameters are valid"),
        )
    }

    /// Cheap parameters for tests that create many users.
    pub fn fast_for_tests() -> Self {
        Self::with_params(
            Params::new(64, 1, 1, Some(OUT_LEN)).expect("constant argon2 parameters are valid"),
        )
    }

    fn with_params(params: Params) -> Self {
        let lanes = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let mut h = PinHasher {
            params,
            permits: Arc::new(Semaphore::new(lanes)),
            pool: Arc::new(Mutex::new(Vec::new())),
            dummy: Arc::new(String::new()),
        };
        h.dummy = Arc::new(h.hash_blocking("0000", &[7u8; 16]).unwrap_or_default());
        h
    }

    /// Compute the raw hash with `params`, borrowing a pooled buffer when it fits.
    fn raw(&self, params: &Params, pin: &[u8], salt: &[u8], out: &mut [u8]) -> Result<()> {
        let blocks = params.block_count();
        let mut buf = {
            let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
            pool.iter()
                .position(|b| b.len() == blocks)
                .map(|i| pool.swap_remove(i))
        }
        .unwrap_or_else(|| vec![Block::default(); blocks]);
        let r = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
            .hash_password_into_with_memory(pin, salt, out, &mut buf)
            .map_err(|e| Error::internal(format!("hashing failed: {e}")));
        let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        if pool.len() < self.permits.available_permits().max(2)
            && blocks == self.params.block_count()
        {
            pool.push(buf);
        }
        r
    }

    /// Hash on the calling thread (admin commands, demo seeding). Returns a PHC string.
    pub fn hash_blocking(&self, pin: &str, salt: &[u8; 16]) -> Result<String> {
        let mut out = [0u8; OUT_LEN];
        self.raw(&self.params, pin.as_bytes(), salt, &mut out)?;
        Ok(format!(
            "$argon2id$v=19$m={},t={},p={}${}${}",
            self.params.m_cost(),
            self.params.t_cost(),
            self.params.p_cost(),
            STANDARD_NO_PAD.encode(salt),
            STANDARD_NO_PAD.encode(out)
        ))
    }

    /// Was `phc` made with other parameters than this hasher's (an older cost, or a test
    /// cost)? Such a hash still verifies; a successful login then replaces it.
    pub fn needs_rehash(&self, phc: &str) -> bool {
        parse_phc(phc).is_none_or(|(p, _, hash)| {
            (p.m_cost(), p.t_cost(), p.p_cost(), hash.len())
                != (
                    self.params.m_cost(),
                    self.params.t_cost(),
                    self.params.p_cost(),
                    OUT_LEN,
                )
        })
    }

    /// Check a PIN against a PHC string (its own parameters, so older hashes keep working).
    pub fn verify_blocking(&self, pin: &str, phc: &str) -> bool {
        let Some((params, salt, want)) = parse_phc(phc) else {
            return false;
        };
        let mut out = vec![0u8; want.len()];
        if self.raw(&params, pin.as_bytes(), &salt, &mut out).is_err() {
            return false;
        }
        // Constant-time comparison.
        out.iter().zip(&want).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    }

    /// Hash off the executor threads.
    pub async fn hash(&self, pin: String, rng: &dyn Random) -> Result<String> {
        let salt: [u8; 16] = random_bytes(rng);
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| Error::internal("hasher closed"))?;
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.hash_blocking(&pin, &salt))
            .await
            .map_err(|e| Error::internal(format!("hash task failed: {e}")))?
    }

    /// Verify off the executor threads; `None` hash means "unknown user" (same cost, false).
    pub async fn verify(&self, pin: String, phc: Option<String>) -> Result<bool> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| Error::internal("hasher closed"))?;
        let me = self.clone();
        tokio::task::spawn_blocking(move || match phc {
            Some(h) => me.verify_blocking(&pin, &h),
            None => {
                let _ = me.verify_blocking(&pin, &me.dummy);
                false
            }
        })
        .await
        .map_err(|e| Error::internal(format!("verify task failed: {e}")))
    }
}

/// `$argon2id$v=19$m=M,t=T,p=P$SALT$HASH` → (params, salt, hash). Anything else: `None`.
fn parse_phc(phc: &str) -> Option<(Params, Vec<u8>, Vec<u8>)> {
    let mut it = phc.split('$');
    if !it.next()?.is_empty() || it.next()? != "argon2id" || it.next()? != "v=19" {
        return None;
    }
    let (mut m, mut t, mut p) = (None, None, None);
    for kv in it.next()?.split(',') {
        let (k, v) = kv.split_once('=')?;
        let v: u32 = v.parse().ok()?;
        match k {
            "m" => m = Some(v),
            "t" => t = Some(v),
            "p" => p = Some(v),
            _ => return None,
        }
    }
    let salt = STANDARD_NO_PAD.decode(it.next()?).ok()?;
    let hash = STANDARD_NO_PAD.decode(it.next()?).ok()?;
    if it.next().is_some() || hash.len() < 16 || hash.len() > 64 {
        return None;
    }
    // Refuse absurd costs from a tampered store rather than allocating gigabytes.
    let params = Params::new(m?.min(256 * 1024), t?.min(64), p?.min(8), Some(hash.len())).ok()?;
    Some((params, salt, hash))
}

/// A fresh bearer token and the digest under which its session is stored.
pub fn new_token(rng: &dyn Random) -> (String, [u8; 32]) {
    let raw: [u8; 32] = random_bytes(rng);
    let token = URL_SAFE_NO_PAD.encode(raw);
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Failed logins allowed per client address per window before it must wait.
pub const THROTTLE_FAILURES: u32 = 10;
pub const THROTTLE_WINDOW: SignedDuration = SignedDuration::from_mins(5);

/// Per-client (IP address) failed-login counter. Stops one phone from spraying one PIN across
/// every user, which the per-user lockout alone would allow. The peer address of the TCP
/// connection is used; `X-Forwarded-For` is never trusted.
#[derive(Default)]
pub struct Throttle {
    map: Mutex<HashMap<IpAddr, (Timestamp, u32)>>,
}

impl Throttle {
    pub fn check(&self, ip: IpAddr, now: Timestamp) -> Result<()> {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((start, n)) = map.get(&ip)
            && *n >= THROTTLE_FAILURES
            && now < *start + THROTTLE_WINDOW
        {
            let wait = (*start + THROTTLE_WINDOW)
                .duration_since(now)
                .as_secs()
                .max(1);
            return Err(Error::new(
                Kind::TooManyRequests,
                "too_many_attempts",
                format!(
                    "too many wrong PINs from this device; try again in {} minutes",
                    (wait + 59) / 60
                ),
            )
            .with("retry_after", wait));
        }
        Ok(())
    }

    pub fn failed(&self, ip: IpAddr, now: Timestamp) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 10_000 {
            map.retain(|_, (start, _)| now < *start + THROTTLE_WINDOW);
        }
        let e = map.entry(ip).or_insert((now, 0));
        if now >= e.0 + THROTTLE_WINDOW {
            *e = (now, 0);
        }
        e.1 += 1;
    }

    pub fn succeeded(&self, ip: IpAddr) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&ip);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SeededRandom;

    #[test]
    fn pins_verify_and_hashes_differ_by_salt() {
        let h = PinHasher::fast_for_tests();
        let a = h.hash_blocking("1234", &[1; 16]).unwrap();
        let b = h.hash_blocking("1234", &[2; 16]).unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        assert!(h.verify_blocking("1234", &a));
        assert!(!h.verify_blocking("1235", &a));
        assert!(!h.verify_blocking("1234", "garbage"));
    }

    /// The PHC strings we write are standard: the `password-hash` verifier accepts them.
    #[test]
    fn phc_strings_are_standard_and_costs_are_bounded() {
        use argon2::password_hash::{PasswordHash, PasswordVerifier};
        let h = PinHasher::pi4();
        let phc = h.hash_blocking("4321", &[9; 16]).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=1024,t=4,p=1$"), "{phc}");
        let parsed = PasswordHash::new(&phc).unwrap();
        assert!(Argon2::default().verify_password(b"4321", &parsed).is_ok());
        assert!(Argon2::default().verify_password(b"4322", &parsed).is_err());
        // A hash written with other parameters still verifies.
        assert!(PinHasher::fast_for_tests().verify_blocking("4321", &phc));
        assert!(parse_phc("$argon2i$v=19$m=8,t=1,p=1$AAAA$AAAA").is_none());
    }

    #[test]
    fn a_hash_with_other_parameters_needs_a_rehash() {
        let pi = PinHasher::pi4();
        let fast = PinHasher::fast_for_tests();
        let old = fast.hash_blocking("1234", &[3; 16]).unwrap();
        let new = pi.hash_blocking("1234", &[3; 16]).unwrap();
        assert!(pi.needs_rehash(&old));
        assert!(!pi.needs_rehash(&new));
        assert!(fast.needs_rehash(&new));
        assert!(pi.needs_rehash("not a phc string"));
    }

    #[test]
    fn tokens_are_long_and_only_their_hash_is_kept() {
        let rng = SeededRandom::new(3);
        let (t, h) = new_token(&rng);
        assert_eq!(t.len(), 43);
        assert_eq!(token_hash(&t), h);
        let (t2, _) = new_token(&rng);
        assert_ne!(t, t2);
    }

    #[test]
    fn throttle_blocks_a_spraying_device_then_forgets() {
        let th = Throttle::default();
        let ip: IpAddr = "10.0.0.9".parse().unwrap();
        let t0 = Timestamp::from_second(1_000_000).unwrap();
        for _ in 0..THROTTLE_FAILURES {
            th.check(ip, t0).unwrap();
            th.failed(ip, t0);
        }
        let e = th.check(ip, t0).unwrap_err();
        assert_eq!(e.code, "too_many_attempts");
        th.check(ip, t0 + THROTTLE_WINDOW).unwrap();
        th.check("10.0.0.10".parse().unwrap(), t0).unwrap();
    }
}
