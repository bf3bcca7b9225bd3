//! The live event stream: scoped by role, resumable with Last-Event-ID.

use std::time::Duration;

use serde_json::json;

use crate::support::Daemon;
use crate::support::sse::Sse;

const QUIET: Duration = Duration::from_millis(300);

/// A waiter sees their own order's events but not a colleague's; the manager sees both.
#[tokio::test]
async fn events_are_scoped_by_role() {
    let d = Daemon::start().await;
    let (w1, w2, m) = (d.waiter(1).await, d.waiter(2).await, d.manager().await);
    let mut s1 = Sse::connect(d.addr, &w1.token, None).await;
    let mut sm = Sse::connect(d.addr, &m.token, None).await;
    assert_eq!(s1.status, 200);
    let o2 = w2.open_table(12).await;
    let o1 = w1.open_table(11).await;
    let cola = w1.product("Coca-Cola").await;
    w1.post(
        &format!("/api/orders/{o1}/items"),
        json!({"items": [{"product_id": cola["id"]}]}),
    )
    .await
    .ok();
    let e1 = s1.drain(QUIET).await;
    let em = sm.drain(QUIET).await;
    let orders = |v: &[crate::support::sse::SseEvent]| {
        v.iter()
            .filter_map(|e| e.data["order_id"].as_u64())
            .collect::<Vec<_>>()
    };
    assert!(orders(&e1).contains(&o1));
    assert!(
        !orders(&e1).contains(&o2),
        "waiter 1 saw waiter 2's order: {e1:?}"
    );
    assert!(orders(&em).contains(&o1) && orders(&em).contains(&o2));
    assert!(e1.iter().any(|e| e.event == "items"));
    // Table changes are for everyone.
    assert!(e1.iter().any(|e| e.event == "table"));
}

/// A phone that lost Wi-Fi reconnects with Last-Event-ID and gets exactly what it missed.
#[tokio::test]
async fn a_reconnecting_client_resumes_without_missing_events() {
    let d = Daemon::start().await;
    let w = d.waiter(4).await;
    let mut s = Sse::connect(d.addr, &w.token, None).await;
    let o = w.open_table(3).await;
    let seen = s.drain(QUIET).await;
    let last = seen.last().unwrap().id.clone().unwrap();
    drop(s);
    let cola = w.product("Coca-Cola").await;
    w.post(
        &format!("/api/orders/{o}/items"),
        json!({"items": [{"product_id": cola["id"]}]}),
    )
    .await
    .ok();
    let mut s = Sse::connect(d.addr, &w.token, Some(&last)).await;
    let missed = s.drain(QUIET).await;
    assert!(
        missed
            .iter()
            .any(|e| e.event == "items" && e.data["order_id"] == o),
        "{missed:?}"
    );
    assert!(
        missed
            .iter()
            .all(|e| e.id.as_deref() != Some(last.as_str())),
        "replayed an event it had seen"
    );
    // An id from before a restart (another boot) makes the client refetch.
    let mut s = Sse::connect(d.addr, &w.token, Some("1:1")).await;
    assert_eq!(s.next(QUIET).await.unwrap().event, "resync");
}

/// The stream needs a login.
#[tokio::test]
async fn the_stream_needs_a_login() {
    let d = Daemon::start().await;
    d.req("GET", "/api/events", None, None)
        .await
        .expect(401, "not_logged_in");
}
