//! Licenses on a running appliance: a lock arriving mid-request, the data drive's `license/`
//! folder (at start and while running) and the optional check-in URL.

use std::io::{Read as _, Write as _};
use std::time::Duration;

use posd::license::Kind;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::license::{
    DAY, Vendor, appliance, appliance_with, claims, install, lock, restart, site_id, t0, view,
    wait_for,
};

/// Reads from `s` until `needle` has been seen; returns everything read (10 s deadline).
async fn read_until(s: &mut TcpStream, needle: &str) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !String::from_utf8_lossy(&got).contains(needle) {
        let n = tokio::time::timeout_at(deadline, s.read(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("no {needle:?} in {:?}", String::from_utf8_lossy(&got)))
            .unwrap();
        assert!(
            n > 0,
            "closed before {needle:?}: {}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// A lock never cuts a request in half: a request admitted before the lock (its body still
/// on the way) completes and commits; requests after it get 423; a live event stream stays
/// open and carries the news.
#[tokio::test]
async fn a_lock_never_cuts_an_admitted_request_in_half() {
    let vendor = Vendor::new(1);
    let d = appliance(&vendor).await;
    let site = site_id(&d).await;
    let until = t0() + 30 * DAY;
    install(&d, &vendor.sign(&claims(&site, 1, Kind::License, until)))
        .await
        .ok();
    let m = d.manager().await;

    let mut events = TcpStream::connect(d.addr).await.unwrap();
    let get = format!(
        "GET /api/events HTTP/1.1\r\nhost: posd\r\nauthorization: Bearer {}\r\n\r\n",
        m.token
    );
    events.write_all(get.as_bytes()).await.unwrap();
    read_until(&mut events, "connected to posd").await;

    // Admitted: hyper sends "100 Continue" only once the handler reads the body, i.e. after
    // the license gate and the login check passed.
    let body = json!({"username": "waiter07", "pin": "4321"}).to_string();
    let mut post = TcpStream::connect(d.addr).await.unwrap();
    let head = format!(
        "POST /api/waiters HTTP/1.1\r\nhost: posd\r\nauthorization: Bearer {}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\nexpect: 100-continue\r\n\r\n",
        m.token,
        body.len()
    );
    post.write_all(head.as_bytes()).await.unwrap();
    let cont = read_until(&mut post, "\r\n\r\n").await;
    assert!(cont.starts_with("HTTP/1.1 100"), "{cont}");

    let locked = vendor.sign(&claims(&site, 2, lock("audit"), until));
    assert_eq!(install(&d, &locked).await.ok()["outcome"], "locked");
    m.get("/api/waiters").await.expect(423, "locked");

    post.write_all(body.as_bytes()).await.unwrap();
    let resp = read_until(&mut post, "\r\n\r\n").await;
    assert!(resp.starts_with("HTTP/1.1 201"), "{resp}");
    let news = read_until(&mut events, "event: license").await;
    assert!(news.contains("\"state\":\"locked\""), "{news}");

    let unlock = vendor.sign(&claims(&site, 3, Kind::Unlock, until));
    install(&d, &unlock).await.ok();
    let all = m.get("/api/waiters").await;
    assert!(
        all.ok()
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["username"] == "waiter07"),
        "the admitted request was not committed"
    );
}

/// A file dropped into `license/` while running is picked up; a half-written or invalid
/// file is reported and never replaces the good license; completing it applies it.
#[tokio::test]
async fn a_file_dropped_into_the_license_folder_is_picked_up_while_running() {
    let vendor = Vendor::new(1);
    let d = appliance(&vendor).await;
    let site = site_id(&d).await;
    let folder = d.dir.path().join("license");
    assert!(folder.is_dir(), "the license folder is created at start");
    std::fs::write(folder.join("notes.txt"), "not a license").unwrap();
    let first = vendor.sign(&claims(&site, 1, Kind::License, t0() + 30 * DAY));
    std::fs::write(folder.join("taverna-1.license"), &first).unwrap();
    let v = wait_for(&d, "the first license", |v| v["status"] == "licensed").await;
    assert_eq!(v["license"]["serial"], 1);

    let second = vendor.sign(&claims(&site, 2, Kind::License, t0() + 90 * DAY));
    let path = folder.join("taverna-2.license");
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(&second.as_bytes()[..second.len() / 2]).unwrap();
    f.flush().unwrap();
    let v = wait_for(&d, "the half file to be looked at", |v| {
        v["folder"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["file"] == "taverna-2.license" && f["outcome"] != "applied")
    })
    .await;
    assert_eq!(v["status"], "licensed");
    assert_eq!(v["license"]["serial"], 1);
    let files = v["folder"].as_array().unwrap();
    let notes = files.iter().find(|f| f["file"] == "notes.txt").unwrap();
    assert_eq!(notes["outcome"], "license_not_a_license");

    f.write_all(&second.as_bytes()[second.len() / 2..]).unwrap();
    drop(f);
    let v = wait_for(&d, "the completed file", |v| v["license"]["serial"] == 2).await;
    assert_eq!(
        v["expires_at"],
        posd::license::fmt_time(t0() + 90 * DAY).as_str()
    );
    let m = d.manager().await;
    m.get("/api/tables").await.ok();
}

/// At start the folder's files are applied in serial order, not name order, so a folder
/// holding a license and a later lock ends locked.
#[tokio::test]
async fn the_license_folder_is_applied_at_start_in_serial_order() {
    let vendor = Vendor::new(1);
    let d = appliance(&vendor).await;
    let site = site_id(&d).await;
    let dir = d.stop().await;
    let folder = dir.path().join("license");
    let until = t0() + 30 * DAY;
    std::fs::write(
        folder.join("a-lock.license"),
        vendor.sign(&claims(&site, 2, lock("moved"), until)),
    )
    .unwrap();
    std::fs::write(
        folder.join("b-license.license"),
        vendor.sign(&claims(&site, 1, Kind::License, until)),
    )
    .unwrap();
    let d = restart(dir, &vendor, |_| {}).await;
    let v = view(&d).await;
    assert_eq!(v["status"], "locked");
    assert_eq!(v["license"]["serial"], 1);
    assert_eq!(v["last_serial"], 2);
    d.req("GET", "/api/tables", None, None)
        .await
        .expect(423, "locked");
}

/// The optional check-in: posd GETs `license_url` with its site id and installs the signed
/// file it gets back (here a one-shot HTTP server on 127.0.0.1 that signs for the site).
#[tokio::test]
async fn the_check_in_installs_a_file_from_the_license_url() {
    let vendor = Vendor::new(1);
    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/posd/license", server.local_addr().unwrap());
    let signer = Vendor::new(1);
    let seen = std::thread::spawn(move || {
        let (mut s, _) = server.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut head = Vec::new();
        let mut b = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            assert_eq!(s.read(&mut b).unwrap(), 1, "request cut short");
            head.push(b[0]);
        }
        let head = String::from_utf8(head).unwrap();
        let site = head
            .lines()
            .find_map(|l| {
                l.split_once(':')
                    .filter(|(k, _)| k.eq_ignore_ascii_case("x-site-id"))
            })
            .map(|(_, v)| v.trim().to_string())
            .expect("X-Site-ID header");
        let file = signer.sign(&claims(&site, 5, Kind::License, t0() + 60 * DAY));
        let resp = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n{file}",
            file.len()
        );
        s.write_all(resp.as_bytes()).unwrap();
        (head, site)
    });
    let d = appliance_with(&vendor, move |c| c.license_url = Some(url)).await;
    let v = wait_for(&d, "the checked-in license", |v| v["status"] == "licensed").await;
    assert_eq!(v["license"]["serial"], 5);
    let (head, site) = seen.join().unwrap();
    assert!(head.starts_with("GET /posd/license HTTP/1.1"), "{head}");
    assert_eq!(site, v["site_id"].as_str().unwrap());
}

/// A trial that simply runs out (no file involved) reaches the apps: within one verdict period
/// the live stream carries a `license` event with the new state, so the dashboard shows
/// "trial ended" without a reload, and writes get 402.
#[tokio::test]
async fn a_trial_running_out_with_time_is_announced_on_the_live_stream() {
    use crate::support::sse::Sse;
    let vendor = Vendor::new(1);
    let d = appliance_with(&vendor, |c| c.trial_days = 3).await;
    assert_eq!(view(&d).await["status"], "trial");
    let m = d.manager().await;
    let mut events = Sse::connect(d.addr, &m.token, None).await;
    d.advance(jiff::SignedDuration::from_hours(4 * 24));
    let deadline = tokio::time::Instant::now()
        + posd::service::license_tasks::VERDICT_EVERY
        + Duration::from_secs(5);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let e = events
            .next(left)
            .await
            .expect("a license event after the trial ran out");
        if e.event == "license" {
            assert_eq!(e.data["state"], "trial_ended", "{:?}", e.data);
            break;
        }
    }
    m.get("/api/tables").await.expect(402, "trial_ended");
}
