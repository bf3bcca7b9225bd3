//! License test helpers: a vendor key made by the test (trusted through `extra_keys`), signed
//! files for the daemon's site, a non-demo daemon with staff, and polling of the license view.

use std::path::Path;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ed25519_dalek::SigningKey;
use http_body_util::Full;
use hyper::Request;
use jiff::Timestamp;
use posd::auth::PinHasher;
use posd::domain::staff::{Role, User};
use posd::license::{
    Claims, Kind, Limits, encode_payload, key_id_of, public_key_text, seal, sign,
    signing_key_from_seed,
};
use posd::store::tables::USERS;
use posd::store::{Store, Writer};
use serde_json::Value;

use super::daemon::{Daemon, PIN, Resp, start_time};

pub const DAY: i64 = 86_400;
pub const HOUR: i64 = 3_600;

/// The harness clock's start, in unix seconds.
pub fn t0() -> i64 {
    start_time().as_second()
}

/// A vendor signing key generated for the test from a seed.
pub struct Vendor {
    pub key: SigningKey,
}

impl Vendor {
    pub fn new(seed: u8) -> Vendor {
        Vendor {
            key: signing_key_from_seed(&[seed; 32]),
        }
    }

    /// The config `extra_keys` entry that trusts this key: `keyid:publickey`.
    pub fn trust(&self) -> String {
        format!(
            "{}:{}",
            key_id_of(&self.key),
            public_key_text(&self.key.verifying_key())
        )
    }

    pub fn sign(&self, c: &Claims) -> String {
        sign(c, &self.key).expect("valid test claims sign")
    }

    /// A file whose payload names this key's id but is signed by `other`.
    pub fn forged_by(&self, other: &Vendor, c: &Claims) -> String {
        let payload = encode_payload(key_id_of(&self.key), c).unwrap();
        seal(&payload, &other.key)
    }
}

/// Claims for `site`: valid from a day before the harness start until `expires_at`.
pub fn claims(site: &str, serial: u64, kind: Kind, expires_at: i64) -> Claims {
    Claims {
        site_id: site.to_string(),
        site_name: "Taverna Test".to_string(),
        issued_at: t0() - HOUR,
        not_before: t0() - DAY,
        expires_at,
        serial,
        limits: Limits::default(),
        kind,
    }
}

pub fn lock(reason: &str) -> Kind {
    Kind::Lock {
        reason: reason.to_string(),
    }
}

/// Adds `manager`, `sysadmin` and `waiter01` (PIN 1234) to a data folder before any start,
/// through posd's own store: a real appliance's staff without the demo restaurant.
pub fn seed_staff(dir: &Path) {
    let store = Store::open(dir).unwrap();
    let hasher = PinHasher::fast_for_tests();
    let now = start_time();
    let people = [
        ("manager", Role::Manager),
        ("sysadmin", Role::Sysadmin),
        ("waiter01", Role::Waiter),
    ];
    store
        .write_blocking(|w| {
            for (i, (name, role)) in people.iter().enumerate() {
                let id = w.next_id("users")?;
                let salt = [i as u8 + 1; 16];
                let u = User {
                    id,
                    username: name.to_string(),
                    display_name: name.to_string(),
                    role: *role,
                    pin_hash: hasher.hash_blocking(PIN, &salt)?,
                    active: true,
                    deleted: false,
                    assistant_id: None,
                    failed_pins: 0,
                    locked_until: None,
                    created_at: now,
                    sessions_valid_after: now,
                    hourly_rate: None,
                };
                w.put(USERS, id, &u)?;
                w.set_user_name(name, id)?;
            }
            Ok(())
        })
        .unwrap();
}

/// A real (non-demo) appliance with staff, no trial, trusting `vendor`.
pub async fn appliance(vendor: &Vendor) -> Daemon {
    appliance_with(vendor, |_| {}).await
}

pub async fn appliance_with(vendor: &Vendor, f: impl FnOnce(&mut posd::config::Config)) -> Daemon {
    let dir = tempfile::tempdir().unwrap();
    seed_staff(dir.path());
    restart(dir, vendor, f).await
}

/// Starts a non-demo daemon on an existing data folder.
pub async fn restart(
    dir: tempfile::TempDir,
    vendor: &Vendor,
    f: impl FnOnce(&mut posd::config::Config),
) -> Daemon {
    let trust = vendor.trust();
    Daemon::start_in(dir, move |c| {
        c.demo = false;
        c.trial_days = 0;
        c.extra_keys = vec![trust];
        f(c);
    })
    .await
}

/// `GET /api/system/license` (no login needed).
pub async fn view(d: &Daemon) -> Value {
    d.req("GET", "/api/system/license", None, None)
        .await
        .ok()
        .clone()
}

pub async fn site_id(d: &Daemon) -> String {
    view(d).await["site_id"].as_str().unwrap().to_string()
}

/// POSTs a license file as plain text (no login) to `path`.
pub async fn post_file(d: &Daemon, path: &str, text: impl Into<Bytes>) -> Resp {
    let req = Request::builder()
        .method("POST")
        .uri(path)
        .header("host", "posd")
        .header("content-type", "text/plain")
        .body(Full::new(text.into()))
        .unwrap();
    d.raw(req).await.unwrap()
}

pub async fn install(d: &Daemon, text: &str) -> Resp {
    post_file(d, "/api/system/license", text.to_string()).await
}

/// Polls the license view until `pred` holds (20 s deadline).
pub async fn wait_for(d: &Daemon, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let v = view(d).await;
        if pred(&v) {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {v}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Sets the daemon's wall clock.
pub fn set_clock(d: &Daemon, unix: i64) {
    d.clock.set(Timestamp::from_second(unix).unwrap());
}
