//! Staff login over real HTTP: tokens, revocation, sliding expiry, lockout, the per-device
//! throttle, and that no PIN or PIN hash ever leaves the daemon.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use jiff::SignedDuration;
use serde_json::{Value, json};

use crate::support::{Daemon, PIN, Resp};

async fn try_login(d: &Daemon, user: &str, pin: &str) -> Resp {
    d.req(
        "POST",
        "/api/auth/login",
        None,
        Some(json!({"username": user, "pin": pin})),
    )
    .await
}

async fn me(d: &Daemon, token: &str) -> Resp {
    d.req("GET", "/api/auth/me", Some(token), None).await
}

/// The demo's user id of `waiterNN` (manager is 1, sysadmin 2).
fn waiter_id(n: u64) -> u64 {
    n + 2
}

/// The answer to a good login is a bearer token of at least 128 bits and the user's public
/// fields, nothing else.
#[tokio::test]
async fn login_returns_a_token_and_the_user() {
    let d = Daemon::start().await;
    let r = try_login(&d, "waiter01", PIN).await;
    let b = r.ok();
    let token = b["access_token"].as_str().unwrap();
    // 128 bits in unpadded base64 is 22 characters.
    assert!(token.len() >= 22, "token too short: {token}");
    assert_eq!(b["user"]["username"], "waiter01");
    assert_eq!(b["user"]["role"], "waiter");
    assert_eq!(b["user"]["id"], waiter_id(1));
    assert!(b["expires_at"].is_string());
    // Usernames are case-insensitive and trimmed, as typed on a phone.
    try_login(&d, " Manager ", PIN).await.ok();
    let other = try_login(&d, "waiter01", PIN).await;
    assert_ne!(other.ok()["access_token"], b["access_token"]);
}

/// An unknown username and a wrong PIN must be indistinguishable: same status, same body
/// (except the timestamp), and about the same time, so usernames cannot be probed.
#[tokio::test]
async fn unknown_user_and_wrong_pin_get_the_same_answer_in_similar_time() {
    let d = Daemon::start_with_hasher(posd::auth::PinHasher::pi4()).await;
    let strip = |r: &Resp| {
        let mut v = r.json.clone();
        v.as_object_mut().unwrap().remove("timestamp");
        (r.status, v, r.headers.get("www-authenticate").cloned())
    };
    let unknown = try_login(&d, "nobody", "1111").await;
    let wrong = try_login(&d, "waiter01", "1111").await;
    unknown.expect(401, "bad_credentials");
    assert_eq!(strip(&unknown), strip(&wrong));

    // Time them interleaved, one or two wrong PINs per waiter (no lockout), moving the clock
    // past the per-device throttle window now and then. Other processes only ever add time,
    // so compare the fastest of each: the cost of the work itself. Without the dummy hash an
    // unknown name answers in a fraction of the time (this test then fails).
    let (mut t_unknown, mut t_wrong) = (Vec::new(), Vec::new());
    for i in 0..38u32 {
        if i % 4 == 0 {
            d.advance(posd::auth::THROTTLE_WINDOW);
        }
        let t = Instant::now();
        try_login(&d, &format!("ghost{i:02}"), "1111")
            .await
            .expect(401, "bad_credentials");
        t_unknown.push(t.elapsed());
        let t = Instant::now();
        try_login(&d, &format!("waiter{:02}", i % 19 + 2), "1111")
            .await
            .expect(401, "bad_credentials");
        t_wrong.push(t.elapsed());
    }
    let fastest = |v: &[Duration]| v.iter().min().copied().unwrap();
    let (u, w) = (fastest(&t_unknown), fastest(&t_wrong));
    let ratio = u.as_secs_f64() / w.as_secs_f64();
    assert!(
        (0.5..=2.0).contains(&ratio),
        "unknown user {u:?} vs wrong PIN {w:?} (fastest of each)"
    );
}

/// Seed rule: 5 wrong PINs lock the account for 15 minutes, even against the right PIN.
#[tokio::test]
async fn five_wrong_pins_lock_the_account_for_fifteen_minutes() {
    let d = Daemon::start().await;
    for _ in 0..4 {
        try_login(&d, "waiter04", "0000")
            .await
            .expect(401, "bad_credentials");
    }
    // Four wrong PINs do not lock; a good login resets the count.
    try_login(&d, "waiter04", PIN).await.ok();
    for _ in 0..5 {
        try_login(&d, "waiter04", "0000")
            .await
            .expect(401, "bad_credentials");
    }
    let r = try_login(&d, "waiter04", PIN).await;
    assert_eq!(r.expect(429, "account_locked")["retry_after"], 900);
    assert_eq!(r.headers["retry-after"], "900");
    d.advance(SignedDuration::from_mins(14));
    let r = try_login(&d, "waiter04", PIN).await;
    assert_eq!(r.expect(429, "account_locked")["retry_after"], 60);
    d.advance(SignedDuration::from_mins(1));
    try_login(&d, "waiter04", PIN).await.ok();
}

/// A manager lifts a lock at once; the waiter list shows who is locked until when.
#[tokio::test]
async fn a_manager_can_unlock_a_locked_account() {
    let d = Daemon::start().await;
    let m = d.manager().await;
    for _ in 0..5 {
        try_login(&d, "waiter05", "9999").await;
    }
    try_login(&d, "waiter05", PIN)
        .await
        .expect(429, "account_locked");
    let id = waiter_id(5);
    let list = m.get("/api/waiters/").await;
    let w = list
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == id)
        .unwrap()
        .clone();
    assert!(w["locked_until"].is_string(), "{w}");
    let u = m.put(&format!("/api/waiters/{id}/unlock"), json!({})).await;
    assert!(u.ok()["locked_until"].is_null());
    try_login(&d, "waiter05", PIN).await.ok();
    // Waiters cannot unlock anyone.
    let w1 = d.waiter(1).await;
    w1.put(&format!("/api/waiters/{id}/unlock"), json!({}))
        .await
        .expect(403, "forbidden");
}

/// One phone trying one PIN against every user trips the per-device throttle long before any
/// account locks, and `X-Forwarded-For` does not get it a fresh budget.
#[tokio::test]
async fn one_device_cannot_spray_a_pin_across_users() {
    let d = Daemon::start().await;
    let n = posd::auth::THROTTLE_FAILURES;
    let spray = |i: u32| {
        let req = hyper::Request::post("/api/auth/login")
            .header("host", "posd")
            .header("content-type", "application/json")
            .header("x-forwarded-for", format!("10.1.2.{i}"))
            .body(Full::new(Bytes::from(
                json!({"username": format!("waiter{:02}", i % 20 + 1), "pin": "0000"}).to_string(),
            )))
            .unwrap();
        d.raw(req)
    };
    for i in 0..n {
        spray(i).await.unwrap().expect(401, "bad_credentials");
    }
    let r = spray(n).await.unwrap();
    assert!(r.expect(429, "too_many_attempts")["retry_after"].as_i64() > Some(0));
    // Even the right PIN is refused from this device for now: spraying gains nothing.
    try_login(&d, "waiter01", PIN)
        .await
        .expect(429, "too_many_attempts");
    d.advance(posd::auth::THROTTLE_WINDOW);
    // No account was locked by the spray (one wrong PIN each).
    try_login(&d, "waiter01", PIN).await.ok();
}

/// Logout ends that session on the server; the user's other sessions live on.
#[tokio::test]
async fn logout_revokes_the_token_server_side() {
    let d = Daemon::start().await;
    let (a, b) = (d.waiter(1).await, d.waiter(1).await);
    let r = d
        .req("POST", "/api/auth/logout", Some(&a.token), None)
        .await;
    assert_eq!(r.status, 204);
    me(&d, &a.token).await.expect(401, "session_invalid");
    d.req("POST", "/api/auth/logout", Some(&a.token), None)
        .await
        .expect(401, "session_invalid");
    me(&d, &b.token).await.ok();
}

/// Refresh hands out a new token and kills the old one.
#[tokio::test]
async fn refresh_issues_a_new_token_and_kills_the_old() {
    let d = Daemon::start().await;
    let a = d.waiter(2).await;
    let r = d
        .req("POST", "/api/auth/refresh", Some(&a.token), None)
        .await;
    let new = r.ok()["access_token"].as_str().unwrap().to_string();
    assert_ne!(new, a.token);
    assert_eq!(r.json["user"]["username"], "waiter02");
    me(&d, &a.token).await.expect(401, "session_invalid");
    assert_eq!(me(&d, &new).await.ok()["username"], "waiter02");
}

/// Sessions last 8 hours from the last activity: a waiter working a 9-hour shift stays
/// logged in; a phone left in a drawer for 8 hours is logged out.
#[tokio::test]
async fn sessions_slide_with_activity_and_die_after_eight_idle_hours() {
    let d = Daemon::start().await;
    let busy = d.waiter(1).await;
    let idle = d.waiter(2).await;
    for _ in 0..9 {
        d.advance(SignedDuration::from_mins(59));
        me(&d, &busy.token).await.ok();
    }
    // 8 h 51 min after login: the idle one is dead, the busy one alive.
    me(&d, &idle.token).await.expect(401, "session_expired");
    d.advance(SignedDuration::from_mins(7 * 60 + 59));
    me(&d, &busy.token).await.ok();
    d.advance(SignedDuration::from_hours(8));
    me(&d, &busy.token).await.expect(401, "session_expired");
}

/// A PIN reset, a block and a delete each end the user's sessions at once; the old PIN
/// stops working and a blocked or deleted user looks like an unknown one at login.
#[tokio::test]
async fn pin_reset_block_and_delete_end_sessions() {
    let d = Daemon::start().await;
    let m = d.manager().await;
    let (w1, w2, w3) = (d.waiter(1).await, d.waiter(2).await, d.waiter(3).await);

    m.put(
        &format!("/api/waiters/{}/reset-pin", waiter_id(1)),
        json!({"pin": "246810"}),
    )
    .await
    .ok();
    me(&d, &w1.token).await.expect(401, "session_invalid");
    try_login(&d, "waiter01", PIN)
        .await
        .expect(401, "bad_credentials");
    try_login(&d, "waiter01", "246810").await.ok();

    m.put(&format!("/api/waiters/{}/block", waiter_id(2)), json!({}))
        .await
        .ok();
    me(&d, &w2.token).await.expect(401, "session_invalid");
    try_login(&d, "waiter02", PIN)
        .await
        .expect(401, "bad_credentials");
    m.put(
        &format!("/api/waiters/{}/block", waiter_id(2)),
        json!({"blocked": false}),
    )
    .await
    .ok();
    try_login(&d, "waiter02", PIN).await.ok();

    let r = m.delete(&format!("/api/waiters/{}", waiter_id(3))).await;
    assert_eq!(r.status, 204);
    me(&d, &w3.token).await.expect(401, "session_invalid");
    try_login(&d, "waiter03", PIN)
        .await
        .expect(401, "bad_credentials");
}

/// Editing a waiter's name leaves them logged in; changing their role logs them out, so no
/// token carries a role its user no longer has.
#[tokio::test]
async fn a_role_change_ends_sessions_but_a_rename_does_not() {
    let d = Daemon::start().await;
    let m = d.manager().await;
    let w = d.waiter(4).await;
    let id = waiter_id(4);
    m.put(
        &format!("/api/waiters/{id}"),
        json!({"display_name": "Four"}),
    )
    .await
    .ok();
    m.put(&format!("/api/waiters/{id}/unlock"), json!({}))
        .await
        .ok();
    assert_eq!(me(&d, &w.token).await.ok()["display_name"], "Four");
    m.put(&format!("/api/waiters/{id}"), json!({"role": "manager"}))
        .await
        .ok();
    me(&d, &w.token).await.expect(401, "session_invalid");
    let again = try_login(&d, "waiter04", PIN).await;
    assert_eq!(again.ok()["user"]["role"], "manager");
}

/// Walk every staff response and make sure neither a PIN nor its hash is in it.
#[tokio::test]
async fn pins_never_appear_in_any_response() {
    let d = Daemon::start().await;
    let m = d.manager().await;
    let mut seen: Vec<Resp> = Vec::new();
    let r = m
        .post(
            "/api/waiters/",
            json!({"username": "nikos", "pin": "97531", "display_name": "Νίκος"}),
        )
        .await;
    let id = r.id();
    seen.push(r);
    seen.push(m.get("/api/waiters/").await);
    seen.push(
        m.put(
            &format!("/api/waiters/{id}"),
            json!({"display_name": "Nikos"}),
        )
        .await,
    );
    seen.push(
        m.put(
            &format!("/api/waiters/{id}/reset-pin"),
            json!({"pin": "86420"}),
        )
        .await,
    );
    seen.push(m.put(&format!("/api/waiters/{id}/block"), json!({})).await);
    seen.push(
        m.put(
            &format!("/api/waiters/{id}/block"),
            json!({"blocked": false}),
        )
        .await,
    );
    seen.push(m.put(&format!("/api/waiters/{id}/unlock"), json!({})).await);
    let login = try_login(&d, "nikos", "86420").await;
    let token = login.ok()["access_token"].as_str().unwrap().to_string();
    seen.push(login);
    seen.push(me(&d, &token).await);
    seen.push(d.req("POST", "/api/auth/refresh", Some(&token), None).await);
    seen.push(d.req("GET", "/api/auth/users", None, None).await);
    seen.push(try_login(&d, "nikos", "11111").await);
    for r in &seen {
        assert!(r.status < 500, "{}", r.json);
        let text = String::from_utf8_lossy(&r.body).to_lowercase();
        for secret in ["97531", "86420", "argon2", "pin_hash", "\"pin\""] {
            assert!(!text.contains(secret), "{secret} leaked in {text}");
        }
    }
}

/// `/api/auth/me` says who the token belongs to, including whom they assist.
#[tokio::test]
async fn me_returns_the_logged_in_user() {
    let d = Daemon::start().await;
    let m = d.manager().await;
    let v = m.get("/api/auth/me").await;
    assert_eq!(
        (v.ok()["username"].as_str(), v.json["role"].as_str()),
        (Some("manager"), Some("manager"))
    );
    m.post(
        &format!("/api/waiters/{}/assign-assistant", waiter_id(1)),
        json!({"assistant_id": waiter_id(2)}),
    )
    .await
    .ok();
    let w2 = d.waiter(2).await;
    let v = w2.get("/api/auth/me").await;
    assert_eq!(v.ok()["assists"], json!([waiter_id(1)]));
    d.req("GET", "/api/auth/me", None, None)
        .await
        .expect(401, "not_logged_in");
    d.req("GET", "/api/auth/me", Some("not-a-token"), None)
        .await
        .expect(401, "session_invalid");
}

/// The login screen lists who can log in, with names only: no state, no secrets, and
/// blocked or deleted users do not appear.
#[tokio::test]
async fn the_login_list_shows_names_without_secrets() {
    let d = Daemon::start().await;
    let m = d.manager().await;
    m.put(&format!("/api/waiters/{}/block", waiter_id(7)), json!({}))
        .await
        .ok();
    m.delete(&format!("/api/waiters/{}", waiter_id(8))).await;
    let r = d.req("GET", "/api/auth/users", None, None).await;
    let users = r.ok().as_array().unwrap();
    assert_eq!(users.len(), 22 - 2);
    for u in users {
        let mut keys: Vec<&str> = u.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, ["display_name", "id", "role", "username"]);
    }
    let names: Vec<&str> = users
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"waiter01") && names.contains(&"manager"));
    assert!(!names.contains(&"waiter07") && !names.contains(&"waiter08"));
}

/// Login input is checked like any other: missing fields 422, not JSON 400.
#[tokio::test]
async fn bad_login_bodies_are_clear_client_errors() {
    let d = Daemon::start().await;
    d.req(
        "POST",
        "/api/auth/login",
        None,
        Some(json!({"username": "x"})),
    )
    .await
    .expect(422, "invalid_field");
    d.req(
        "POST",
        "/api/auth/login",
        None,
        Some(Value::String("hi".into())),
    )
    .await
    .expect(422, "invalid_field");
    // A PIN of the wrong shape is simply wrong: same answer as any wrong PIN.
    try_login(&d, "waiter01", "12")
        .await
        .expect(401, "bad_credentials");
}

/// A PIN hash made with an older cost (here the test cost, as a database from a version with a
/// cheaper hash would have) keeps working, and the first good login replaces it with one at
/// the current cost, so raising the cost reaches every account without a PIN reset.
#[tokio::test]
async fn a_login_rehashes_a_pin_hashed_at_an_older_cost() {
    use posd::auth::PinHasher;
    use posd::domain::staff::User;
    use posd::store::{Reader, Store, tables::USERS};

    let d = Daemon::start().await; // demo users hashed at the test cost
    let dir = d.stop().await;
    let hash_of = |dir: &std::path::Path, name: &str| {
        let s = Store::open(dir).unwrap();
        let name = name.to_string();
        s.read_blocking(move |r| {
            let id = r.user_id_by_name(&name)?.unwrap();
            Ok(r.get::<User>(USERS, id)?.unwrap().pin_hash)
        })
        .unwrap()
    };
    let before = hash_of(dir.path(), "waiter01");
    let current = PinHasher::pi4();
    assert!(current.needs_rehash(&before));

    let d = Daemon::start_in_with_hasher(dir, PinHasher::pi4()).await;
    try_login(&d, "waiter01", "9999")
        .await
        .expect(401, "bad_credentials");
    try_login(&d, "waiter01", PIN).await.ok();
    let dir = d.stop().await;
    let after = hash_of(dir.path(), "waiter01");
    assert!(
        after.starts_with("$argon2id$v=19$m=1024,t=4,p=1$"),
        "{after}"
    );
    assert!(current.verify_blocking(PIN, &after));
    // Another user who did not log in keeps the old hash.
    assert!(current.needs_rehash(&hash_of(dir.path(), "waiter02")));
}
