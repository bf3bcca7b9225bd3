//! Signed offline licenses over real HTTP: enforcement (402/423 on every gated endpoint),
//! installing license, lock and unlock files, and every way a file can be refused.

use jiff::SignedDuration;
use posd::license::Kind;
use serde_json::json;

use crate::support::Daemon;
use crate::support::license::{
    DAY, HOUR, Vendor, appliance, claims, install, lock, post_file, restart, set_clock, site_id,
    t0, view,
};

/// Every route of posd's own route table, with `{params}` filled in: gated ones must answer
/// `status`/`code`, exempt ones (health, the license endpoints, paths outside /api) must not
/// be refused for licensing.
async fn assert_every_endpoint(d: &Daemon, token: Option<&str>, status: u16, code: &str) {
    let mut gated = 0;
    for r in posd::http::handlers::routes() {
        let path = r
            .path
            .split('/')
            .map(|s| if s.starts_with('{') { "1" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        let method = r.method.as_str();
        let body = matches!(method, "POST" | "PUT").then(|| json!({}));
        let resp = d.req(method, &path, token, body).await;
        if !r.license_exempt && r.path.starts_with("/api/") {
            gated += 1;
            assert_eq!(resp.status, status, "{method} {path}: {}", resp.json);
            resp.expect(status, code);
        } else {
            assert!(
                ![402, 423].contains(&resp.status),
                "{method} {path} is exempt but answered {}: {}",
                resp.status,
                resp.json
            );
        }
    }
    assert!(gated > 40, "only {gated} gated routes checked");
    let health = d.req("GET", "/api/system/health", None, None).await;
    assert_eq!(health.status, 200);
    let ui = d.req("GET", "/index.html", None, None).await;
    assert!(
        ![402, 423].contains(&ui.status),
        "static path refused: {}",
        ui.json
    );
}

/// Seed 000: no license → 402 everywhere but health, the license endpoints and the UI; the
/// error says what is wrong and names the site id to get a license for.
#[tokio::test]
async fn an_unlicensed_appliance_answers_402_on_every_gated_endpoint() {
    let vendor = Vendor::new(1);
    let d = appliance(&vendor).await;
    let site = site_id(&d).await;
    assert!(site.starts_with("S-"), "{site}");
    assert_every_endpoint(&d, None, 402, "license_missing").await;
    let r = d
        .req(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({"username": "manager", "pin": "1234"})),
        )
        .await;
    let e = r.expect(402, "license_missing");
    let detail = e["detail"].as_str().unwrap();
    assert!(detail.contains(&site), "{detail}");
    assert!(detail.contains("/api/system/license"), "{detail}");
    let v = view(&d).await;
    assert_eq!(v["status"], "license_missing");
    assert_eq!(v["serves"], false);
    assert_eq!(v["http_status"], 402);
}

/// A signed license makes the appliance serve; status shows site, expiry and limits.
#[tokio::test]
async fn a_signed_license_makes_the_appliance_serve_and_shows_in_status() {
    let vendor = Vendor::new(1);
    let d = appliance(&vendor).await;
    let site = site_id(&d).await;
    let mut c = claims(&site, 1, Kind::License, t0() + 30 * DAY);
    c.limits.max_waiters = Some(9);
    let r = install(&d, &vendor.sign(&c)).await;
    let v = r.ok();
    assert_eq!(v["outcome"], "licensed");
    assert_eq!(v["license"]["status"], "licensed");
    assert_eq!(v["license"]["license"]["serial"], 1);
    let m = d.manager().await;
    let st = m.get("/api/system/status").await;
    let lic = &st.ok()["license"];
    assert_eq!(lic["site_id"], site);
    assert_eq!(lic["status"], "licensed");
    assert_eq!(lic["serves"], true);
    assert_eq!(
        lic["expires_at"],
        posd::license::fmt_time(t0() + 30 * DAY).as_str()
    );
    assert_eq!(lic["limits"]["max_waiters"], 9);
    assert!(lic["limits"]["max_printers"].is_null());
    m.get("/api/tables").await.ok();
    // The same file again changes nothing and says so.
    let again = install(&d, &vendor.sign(&c)).await;
    assert_eq!(again.ok()["outcome"], "already_applied");
}

/// Seed 000's 24 h grace: an expired license keeps serving for a day, then 402.
#[tokio::test]
async fn an_expired_license_serves_through_the_grace_period_then_402() {
    let vendor = Vendor::new(1);
    let d = appliance(&vendor).await;
    let site = site_id(&d).await;
    install(
        &d,
        &vendor.sign(&claims(&site, 1, Kind::License, t0() + 10 * DAY)),
    )
    .await
    .ok();
    d.advance(SignedDuration::from_secs(10 * DAY + HOUR));
    let m = d.manager().await;
    m.get("/api/tables").await.ok();
    let st = m.get("/api/system/status").await;
    assert_eq!(st.ok()["license"]["status"], "license_grace");
    d.advance(SignedDuration::from_secs(23 * HOUR));
    assert_every_endpoint(&d, Some(&m.token), 402, "license_expired").await;
    assert_eq!(view(&d).await["status"], "license_expired");
}

/// A file flipped in any single byte is refused and leaves the state as it was.
#[tokio::test]
async fn a_tampered_byte_anywhere_is_refused_and_changes_nothing() {
    let vendor = Vendor::new(1);
    let d = appliance(&vendor).await;
    let site = site_id(&d).await;
    install(
        &d,
        &vendor.sign(&claims(&site, 1, Kind::License, t0() + 30 * DAY)),
    )
    .await
    .ok();
    let before = view(&d).await;
    let good = vendor.sign(&claims(&site, 2, Kind::License, t0() + 400 * DAY));
    for i in 0..good.len() {
        let mut bad = good.clone().into_bytes();
        bad[i] ^= 0x01;
        let r = post_file(&d, "/api/system/license", bad).await;
        assert_eq!(r.status, 422, "byte {i}: {}", r.json);
        assert!(r.json["code"].as_str().unwrap().starts_with("license_"));
    }
    assert_eq!(view(&d).await, before);
    assert_eq!(install(&d, &good).await.ok()["outcome"], "licensed");
    assert_eq!(view(&d).await["last_serial"], 2);
}

/// Wrong key, unknown key, truncation and junk: each refused with its own clear code.
#[tokio::test]
async fn forged_truncated_and_junk_files_are_refused() {
    let vendor = Vendor::new(1);
    let stranger = Vendor::new(2);
    let d = appliance(&vendor).await;
    let site = site_id(&d).await;
    let before = view(&d).await;
    let c = claims(&site, 1, Kind::License, t0() + 30 * DAY);
    install(&d, &vendor.forged_by(&stranger, &c))
        .await
        .expect(422, "license_signature_invalid");
    let r = install(&d, &stranger.sign(&c)).await;
    let detail = r.expect(422, "license_unknown_key")["detail"]
        .as_str()
        .unwrap();
    assert!(detail.contains("does not trust"), "{detail}");
    let good = vendor.sign(&c);
    for cut in [
        0,
        5,
        14,
        15,
        40,
        good.len() / 2,
        good.len() - 30,
        good.len() - 2,
    ] {
        let r = install(&d, &good[..cut]).await;
        assert_eq!(r.status, 422, "cut at {cut}: {}", r.json);
    }
    install(&d, &good[..good.len() - 2])
        .await
        .expect(422, "license_truncated");
    install(&d, "hello")
        .await
        .expect(422, "license_not_a_license");
    post_file(&d, "/api/system/license", vec![b'A'; 9000])
        .await
        .expect(413, "body_too_large");
    assert_eq!(view(&d).await, before);
    // The intact file still installs, also wrapped in JSON.
    let r = d
        .req(
            "POST",
            "/api/system/license",
            None,
            Some(json!({ "license": good })),
        )
        .await;
    assert_eq!(r.ok()["outcome"], "licensed");
}

/// Authentic files that do not apply here or now: wrong site, not yet valid, expired.
#[tokio::test]
async fn authentic_files_for_another_site_or_time_are_refused() {
    let vendor = Vendor::new(1);
    let d = appliance(&vendor).await;
    let site = site_id(&d).await;
    let before = view(&d).await;
    let other = claims("S-0THE-RS1T-E000-0000", 1, Kind::License, t0() + 30 * DAY);
    let r = install(&d, &vendor.sign(&other)).await;
    let detail = r.expect(422, "license_wrong_site")["detail"]
        .as_str()
        .unwrap();
    assert!(detail.contains(&site), "{detail}");
    let mut later = claims(&site, 1, Kind::License, t0() + 30 * DAY);
    later.not_before = t0() + DAY;
    install(&d, &vendor.sign(&later))
        .await
        .expect(422, "license_not_yet_valid");
    let mut old = claims(&site, 1, Kind::License, t0() - HOUR);
    old.issued_at = t0() - 2 * DAY;
    old.not_before = t0() - 2 * DAY;
    install(&d, &vendor.sign(&old))
        .await
        .expect(422, "license_expired");
    assert_eq!(view(&d).await, before);
}

/// A lock answers 423; replaying an older unlock does nothing; a newer unlock lifts it.
/// Seed 000's `/api/system/lock` and `/unlock` take the signed lock and unlock files.
#[tokio::test]
async fn a_lock_holds_against_a_replayed_unlock_until_a_newer_one() {
    let vendor = Vendor::new(1);
    let d = appliance(&vendor).await;
    let site = site_id(&d).await;
    let until = t0() + 30 * DAY;
    install(&d, &vendor.sign(&claims(&site, 1, Kind::License, until)))
        .await
        .ok();
    let old_unlock = vendor.sign(&claims(&site, 2, Kind::Unlock, until));
    assert_eq!(install(&d, &old_unlock).await.ok()["outcome"], "unlocked");
    let m = d.manager().await;
    let locked = vendor.sign(&claims(&site, 3, lock("unpaid invoice 42"), until));
    let r = post_file(&d, "/api/system/lock", locked).await;
    assert_eq!(r.ok()["license"]["status"], "locked");
    assert_every_endpoint(&d, Some(&m.token), 423, "locked").await;
    let e = m.get("/api/tables").await;
    assert!(
        e.json["detail"]
            .as_str()
            .unwrap()
            .contains("unpaid invoice 42")
    );
    post_file(&d, "/api/system/unlock", old_unlock.clone())
        .await
        .expect(409, "license_serial_not_newer");
    install(&d, &old_unlock)
        .await
        .expect(409, "license_serial_not_newer");
    m.get("/api/tables").await.expect(423, "locked");
    // The wrong kind of file for the endpoint is refused before it is applied.
    let lic = vendor.sign(&claims(&site, 4, Kind::License, until));
    post_file(&d, "/api/system/unlock", lic)
        .await
        .expect(422, "license_wrong_kind");
    let unlock = vendor.sign(&claims(&site, 4, Kind::Unlock, until));
    let r = post_file(&d, "/api/system/unlock", unlock).await;
    assert_eq!(r.ok()["outcome"], "unlocked");
    m.get("/api/tables").await.ok();
    assert_eq!(view(&d).await["status"], "licensed");
}

/// No real-time clock: setting the clock back a year, even across a restart, extends
/// nothing; the clock high-water mark judges expiry.
#[tokio::test]
async fn setting_the_clock_back_a_year_extends_nothing() {
    let vendor = Vendor::new(1);
    let d = appliance(&vendor).await;
    let site = site_id(&d).await;
    install(
        &d,
        &vendor.sign(&claims(&site, 1, Kind::License, t0() + 30 * DAY)),
    )
    .await
    .ok();
    d.advance(SignedDuration::from_secs(32 * DAY));
    d.req("GET", "/api/tables", None, None)
        .await
        .expect(402, "license_expired");
    set_clock(&d, t0() + 32 * DAY - 365 * DAY);
    d.req("GET", "/api/tables", None, None)
        .await
        .expect(402, "license_expired");
    // A restart starts the harness clock at the old start time, 32 days back.
    let dir = d.stop().await;
    let d = restart(dir, &vendor, |_| {}).await;
    d.req("GET", "/api/tables", None, None)
        .await
        .expect(402, "license_expired");
    let v = view(&d).await;
    assert_eq!(
        v["clock_high_water"],
        posd::license::fmt_time(t0() + 32 * DAY).as_str()
    );
}

/// First start: a trial of `trial_days`, shown in status, then 402; once per data drive.
#[tokio::test]
async fn the_trial_runs_its_days_then_402_and_never_restarts() {
    let vendor = Vendor::new(1);
    let d = crate::support::license::appliance_with(&vendor, |c| c.trial_days = 3).await;
    let m = d.manager().await;
    let st = m.get("/api/system/status").await;
    let lic = &st.ok()["license"];
    assert_eq!(lic["status"], "trial");
    assert_eq!(
        lic["trial_ends_at"],
        posd::license::fmt_time(t0() + 3 * DAY).as_str()
    );
    assert!(lic["message"].as_str().unwrap().contains("Trial until"));
    d.advance(SignedDuration::from_secs(3 * DAY - 60));
    let m = d.manager().await;
    m.get("/api/tables").await.ok();
    d.advance(SignedDuration::from_secs(120));
    m.get("/api/tables").await.expect(402, "trial_ended");
    let dir = d.stop().await;
    let d = restart(dir, &vendor, |c| c.trial_days = 3).await;
    d.req("GET", "/api/tables", None, None)
        .await
        .expect(402, "trial_ended");
}

/// `--demo` data always serves, whatever the clock says.
#[tokio::test]
async fn demo_data_always_serves() {
    let d = Daemon::start_with(|c| c.trial_days = 0).await;
    d.advance(SignedDuration::from_secs(1000 * DAY));
    let m = d.manager().await;
    m.get("/api/tables").await.ok();
    let st = m.get("/api/system/status").await;
    assert_eq!(st.ok()["license"]["status"], "demo");
    assert_eq!(view(&d).await["demo"], true);
}

/// A license's limits cap waiters and active printers with a clear 409.
#[tokio::test]
async fn license_limits_cap_waiters_and_printers() {
    let vendor = Vendor::new(1);
    let d = appliance(&vendor).await;
    let site = site_id(&d).await;
    let mut c = claims(&site, 1, Kind::License, t0() + 30 * DAY);
    c.limits.max_waiters = Some(2);
    c.limits.max_printers = Some(1);
    install(&d, &vendor.sign(&c)).await.ok();
    let m = d.manager().await;
    let new = |name: &str| json!({"username": name, "pin": "4321"});
    m.post("/api/waiters", new("waiter02")).await.ok();
    let e = m.post("/api/waiters", new("waiter03")).await;
    assert!(
        e.expect(409, "license_limit")["detail"]
            .as_str()
            .unwrap()
            .contains("at most 2 waiters")
    );
    // Managers are not waiters; making one a waiter counts.
    let boss = m
        .post(
            "/api/waiters",
            json!({"username": "boss2", "pin": "4321", "role": "manager"}),
        )
        .await
        .id();
    m.put(&format!("/api/waiters/{boss}"), json!({"role": "waiter"}))
        .await
        .expect(409, "license_limit");
    let s = d.login("sysadmin", "1234").await;
    let printer = |name: &str| json!({"name": name, "ip_address": "127.0.0.1"});
    let p = s
        .post("/api/system/printers", printer("Kitchen"))
        .await
        .id();
    s.post("/api/system/printers", printer("Bar"))
        .await
        .expect(409, "license_limit");
    s.put(
        &format!("/api/system/printers/{p}"),
        json!({"is_active": false}),
    )
    .await
    .ok();
    s.post("/api/system/printers", printer("Bar")).await.ok();
}
