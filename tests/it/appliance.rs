//! posd as an appliance, run as systemd runs it: the real binary with a `NOTIFY_SOCKET`
//! listener (READY, STATUS, WATCHDOG, STOPPING), the watchdog against a hung writer, stderr log
//! lines with structured fields and no secrets. Drive tests (mounts, root only) are in
//! `appliance/drive.rs`; mDNS in `appliance/mdns.rs`.

mod drive;
mod mdns;
mod proc;

use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use serde_json::json;

use proc::{Opts, PLAIN_CONFIG, Posd};

fn plain(work: &std::path::Path, watchdog: Option<Duration>) -> Posd {
    let data = work.join("data");
    Posd::spawn(
        work,
        Opts {
            config: PLAIN_CONFIG.into(),
            data_dir: Some(&data),
            watchdog,
            demo: true,
        },
    )
}

/// systemd starts dependants on READY=1: it must mean "phones get answers now", so it comes
/// after the store is open and the listener serves, with STATUS words before and after;
/// WATCHDOG=1 keeps coming while healthy; SIGTERM says STOPPING=1 and exits cleanly.
#[test]
fn ready_means_serving_pings_while_healthy_and_stopping_on_sigterm() {
    let work = tempfile::tempdir().unwrap();
    let mut p = plain(work.path(), Some(Duration::from_millis(900)));
    p.ready(Duration::from_secs(30));
    // The very first request after READY is answered.
    let r = p.req("GET", "/api/system/health", None, None);
    assert_eq!(r.status, 200);
    assert_eq!(r.json["status"], "healthy", "{}", r.json);
    let statuses = p.notify.statuses();
    assert!(
        statuses.iter().any(|s| s == "Opening the store"),
        "{statuses:?}"
    );
    let lines = p.notify.lines();
    let ready_at = lines.iter().position(|(_, l)| l == "READY=1").unwrap();
    let opening = lines
        .iter()
        .position(|(_, l)| l == "STATUS=Opening the store")
        .unwrap();
    assert!(opening < ready_at, "STATUS words come before READY");
    assert!(
        !lines[..ready_at].iter().any(|(_, l)| l == "WATCHDOG=1"),
        "no watchdog ping before READY"
    );
    let t = Instant::now();
    let deadline = t + Duration::from_secs(5);
    while p.notify.pings_since(t) < 3 {
        assert!(Instant::now() < deadline, "fewer than 3 pings in 5 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        p.notify
            .statuses()
            .iter()
            .any(|s| s.starts_with("Serving ") && s.contains("connection")),
        "{:?}",
        p.notify.statuses()
    );
    p.signal(Signal::SIGTERM);
    let status = p.wait_exit(Duration::from_secs(15));
    assert!(status.success(), "exit status {status:?}");
    assert!(p.notify.has("STOPPING=1"), "{:?}", p.notify.lines());
}

/// A writer stuck in one write (a drive that stopped answering) must stop the watchdog pings,
/// so systemd kills and restarts posd; STATUS says why.
#[test]
fn a_hung_writer_stops_the_watchdog_pings() {
    let work = tempfile::tempdir().unwrap();
    let period = Duration::from_millis(1500);
    let p = plain(work.path(), Some(period));
    p.ready(Duration::from_secs(30));
    let t = Instant::now();
    while p.notify.pings_since(t) < 1 {
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "no pings while healthy"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    p.signal(Signal::SIGUSR2); // POSD_DEBUG_HOOKS=1: hang the writer
    // The writer counts as hung after period/2 = 750 ms (1 s minimum), then pings stop.
    let unhealthy = p
        .notify
        .wait_for(Duration::from_secs(5), |l| {
            l.starts_with("STATUS=Unhealthy: the store writer has been stuck")
        })
        .unwrap_or_else(|| panic!("no Unhealthy status: {:?}", p.notify.statuses()));
    let quiet_from = Instant::now();
    std::thread::sleep(period * 2);
    assert_eq!(
        p.notify.pings_since(quiet_from),
        0,
        "pings went on after the writer hung"
    );
    assert!(unhealthy > t);
    assert!(p.stderr().contains("health_check_failed"), "{}", p.stderr());
}

/// Without a drive the daemon does not wait forever when told not to: a clear message and a
/// non-zero exit, and nothing written into the empty mount-point folder.
#[test]
fn gives_up_waiting_for_the_drive_after_the_time_limit() {
    let work = tempfile::tempdir().unwrap();
    let mnt = work.path().join("posdata");
    std::fs::create_dir(&mnt).unwrap();
    let mut p = Posd::spawn(
        work.path(),
        Opts {
            config: proc::drive_config(&mnt, "wait_secs = 1"),
            data_dir: None,
            watchdog: None,
            demo: false,
        },
    );
    let status = p.wait_exit(Duration::from_secs(10));
    assert!(!status.success());
    assert!(
        p.stderr().contains("gave up waiting for the data drive"),
        "{}",
        p.stderr()
    );
    assert!(
        p.notify
            .statuses()
            .iter()
            .any(|s| s.starts_with("Waiting for USB drive POSDATA")),
        "{:?}",
        p.notify.statuses()
    );
    assert!(!p.notify.has("READY=1"));
    assert_eq!(std::fs::read_dir(&mnt).unwrap().count(), 0);
}

/// `journalctl -u posd` must tell a sysadmin what happened: outside systemd the same events
/// are readable stderr lines with ORDER_ID/TABLE/USER/CODE; PINs and tokens never appear.
#[test]
fn log_lines_carry_fields_and_never_secrets() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let pin = "9753";
    for args in [
        &["demo"][..],
        &["user", "add", "ana", "--role", "waiter", "--pin", pin],
    ] {
        let out = std::process::Command::new(proc::bin())
            .arg(format!("--data-dir={}", data.display()))
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    }
    let mut p = plain(work.path(), None);
    p.ready(Duration::from_secs(30));
    let r = p.req(
        "POST",
        "/api/auth/login",
        None,
        Some(json!({"username": "ana", "pin": pin})),
    );
    assert_eq!(r.status, 200, "{}", r.json);
    let token = r.json["access_token"].as_str().unwrap().to_string();
    let bad = p.req(
        "POST",
        "/api/auth/login",
        None,
        Some(json!({"username": "ana", "pin": "1357"})),
    );
    assert_eq!(bad.status, 401);
    let table = p.table(&token, 3);
    let o = p.req(
        "POST",
        "/api/orders/",
        Some(&token),
        Some(json!({"table_id": table})),
    );
    assert_eq!(o.status, 201, "{}", o.json);
    let id = o.json["id"].as_u64().unwrap();
    p.signal(Signal::SIGTERM);
    p.wait_exit(Duration::from_secs(15));
    let log = p.stderr();
    let opened = log
        .lines()
        .find(|l| l.contains("order opened"))
        .unwrap_or_else(|| panic!("no 'order opened' line:\n{log}"));
    for field in [
        format!("ORDER_ID={id}"),
        "TABLE=3".into(),
        "USER=ana".into(),
    ] {
        assert!(opened.contains(&field), "{field} missing: {opened}");
    }
    let wrong = log.lines().find(|l| l.contains("wrong PIN")).unwrap();
    assert!(
        wrong.contains("WARN") && wrong.contains("CODE=\"bad_credentials\"")
            || wrong.contains("CODE=bad_credentials"),
        "{wrong}"
    );
    assert!(
        !log.contains(pin) && !log.contains("1357"),
        "a PIN was logged:\n{log}"
    );
    assert!(!log.contains(&token), "a token was logged:\n{log}");
    assert!(
        !log.lines().any(|l| l.contains("ERROR")),
        "a 401 is not an error:\n{log}"
    );
}
