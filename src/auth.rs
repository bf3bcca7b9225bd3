//! Authentication mechanics: PIN hashing, session tokens, the per-client login throttle.
//!
//! PINs are hashed with argon2id. The cost is chosen for a Raspberry Pi 4 (see
//! [`PinHasher::pi4`]): a 4-digit PIN has only 10 000 values, so no hash cost makes a stolen
//! database safe on its own; the real defence is the online lockout (5 wrong PINs lock the
//! account for 15 minutes) and the per-device throttle. The hash only has to make an offline
//! sweep cost real time while keeping 20 simultaneous logins under 150 ms on 2 cores.
//! Hashing runs on the blocking pool behind a semaphore so logins never starve requests.
//!
//! Session tokens are 256 random bits, sent once, stored only as their SHA-256.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::clock::{Random, random_bytes};
use crate::error::{Error, Kind, Result};

/// Session lifetime, sliding with activity.
pub const SESSION_LIFETIME: SignedDuration = SignedDuration::from_hours(8);
/// A session is extended at most this often (each extension is a write).
pub const SESSION_REFRESH_EVERY: SignedDuration = SignedDuration::from_mins(5);

/// argon2id with fixed parameters and a bounded number of hashes in flight.
#[derive(Clone)]
pub struct PinHasher {
    params: Params,
    permits: Arc<Semaphore>,
    /// Verified against when the username is unknown, so both cases cost the same.
    dummy: Arc<String>,
}

impl PinHasher {
    /// argon2id, 4 MiB, 1 pass, 1 lane.
    ///
    /// Measured with `cargo run --release --example bench_setup` on the 2-core x86-64 build
    /// VM (shared, load average 5 to 9): one check costs about 1.3 ms when the allocator hands
    /// back warm memory and about 3 ms in the daemon, where each hash maps fresh pages so
    /// the memory goes back to the OS (`return_large_allocations_to_the_os`); 8 MiB cost
    /// 2.7 ms and 7 to 8 ms. With 8 MiB, 20 logins at once had a p99 of 174 to 359 ms over 12
    /// runs; with 4 MiB 83 to 265 ms over 6 (p50 49 to 74 ms), the spread being the machine's
    /// other load.
    ///
    /// Why this is right for a Pi 4: the cost has to buy time against an offline sweep, but
    /// a 4-digit PIN has 10 000 values, so even 100 ms per check falls in minutes; the real
    /// defence is the online lockout and the per-device throttle. What the hash must not do
    /// is make a shift change (everyone logging in at once) slow or memory-hungry. argon2 is
    /// bound by memory bandwidth, a few times lower on the Pi's Cortex-A72 than on this VM,
    /// so a check should take on the order of 10 ms there (an estimate, not measured on a
    /// Pi); with its 4 cores hashing 4 at a time, 20 logins need about 5 rounds. Memory in
    /// flight is 4 MiB per core (16 MiB on the Pi), returned to the OS after each check.
    /// Hashes stored with other parameters still verify (the PHC string carries them).
    pub fn pi4() -> Self {
        Self::with_params(
            Params::new(4 * 1024, 1, 1, None).expect("constant argon2 parameters are valid"),
        )
    }

    /// Cheap parameters for tests that create many users.
    pub fn fast_for_tests() -> Self {
        Self::with_params(
            Params::new(64, 1, 1, None).expect("constant argon2 parameters are valid"),
        )
    }

    fn with_params(params: Params) -> Self {
        return_large_allocations_to_the_os();
        let lanes = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let mut h = PinHasher {
            params,
            permits: Arc::new(Semaphore::new(lanes)),
            dummy: Arc::new(String::new()),
        };
        h.dummy = Arc::new(h.hash_blocking("0000", &[7u8; 16]).unwrap_or_default());
        h
    }

    fn argon(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// Hash on the calling thread (admin commands, demo seeding).
    pub fn hash_blocking(&self, pin: &str, salt: &[u8; 16]) -> Result<String> {
        let salt =
            SaltString::encode_b64(salt).map_err(|e| Error::internal(format!("salt: {e}")))?;
        self.argon()
            .hash_password(pin.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::internal(format!("hashing failed: {e}")))
    }

    pub fn verify_blocking(&self, pin: &str, phc: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(phc) else {
            return false;
        };
        self.argon()
            .verify_password(pin.as_bytes(), &parsed)
            .is_ok()
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

/// argon2 allocates its whole memory cost for every hash and frees it after. glibc raises its
/// mmap threshold the first time such a block is freed, so later blocks come from the heap,
/// where fragmentation keeps them resident: `examples/bench_setup` measured about 1 GB RSS
/// after 200 logins. Setting the threshold (which also turns the raising off) keeps every
/// allocation of 1 MiB or more a private mapping handed back to the OS on free: the same run
/// then ends under 10 MiB.
fn return_large_allocations_to_the_os() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            // SAFETY: mallopt only changes glibc's allocation tuning; it takes the allocator's
            // own lock and is valid to call at any time from any thread.
            let ok = unsafe { nix::libc::mallopt(nix::libc::M_MMAP_THRESHOLD, 1 << 20) };
            if ok != 1 {
                tracing::warn!("mallopt(M_MMAP_THRESHOLD) failed; PIN hashing may hold memory");
            }
        });
    }
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
