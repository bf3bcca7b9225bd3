//! Reports and the manager's side of orders: shift report per waiter and business day,
//! history filters and pages, corrections kept in history, display numbers.

use jiff::SignedDuration;
use serde_json::json;

use crate::support::Daemon;

/// The shift report splits sales by who opened and money by who collected, per business day;
/// a sale at 01:30 after midnight belongs to the evening before (cut-off 04:00).
#[tokio::test]
async fn shift_report_per_waiter_and_business_day() {
    let d = Daemon::start().await; // 2026-11-21 18:00 UTC, time zone UTC, cut-off 04:00
    let (w1, w2, m) = (d.waiter(1).await, d.waiter(2).await, d.manager().await);
    let cola = w1.product("Coca-Cola").await;
    let o = w1.open_table(1).await;
    let r = w1
        .post(
            &format!("/api/orders/{o}/items"),
            json!({"items": [{"product_id": cola["id"], "quantity": 2}]}),
        )
        .await;
    let item = r.ok()["items"][0]["id"].clone();
    w1.post(
        &format!("/api/orders/{o}/pay"),
        json!({"item_ids": [item], "method": "card", "tip": 100}),
    )
    .await
    .ok();
    d.advance(SignedDuration::from_mins(7 * 60 + 30)); // 01:30 next calendar day
    let o2 = w2.open_table(2).await;
    let r = w2
        .post(
            &format!("/api/orders/{o2}/items"),
            json!({"items": [{"product_id": cola["id"]}]}),
        )
        .await;
    let item2 = r.ok()["items"][0]["id"].clone();
    w2.post(
        &format!("/api/orders/{o2}/pay"),
        json!({"item_ids": [item2]}),
    )
    .await
    .ok();
    let rep = m.get("/api/reports/shift?date=2026-11-21").await;
    let rep = rep.ok();
    assert_eq!(rep["totals"]["sales"], 900);
    assert_eq!(rep["totals"]["collected"]["card"], 600);
    assert_eq!(rep["totals"]["collected"]["cash"], 300);
    assert_eq!(rep["totals"]["tips"]["total"], 100);
    assert_eq!(rep["waiters"].as_array().unwrap().len(), 2);
    let next = m.get("/api/reports/shift?date=2026-11-22").await;
    assert_eq!(next.ok()["totals"]["orders_opened"], 0);
    let one = m
        .get("/api/reports/shift?date=2026-11-21&waiter_id=4")
        .await; // waiter02 has id 4
    assert_eq!(one.ok()["totals"]["sales"], 300);
    m.get("/api/reports/shift?date=yesterday")
        .await
        .expect(400, "bad_date");
    d.waiter(3)
        .await
        .get("/api/reports/shift")
        .await
        .expect(403, "forbidden");
}

/// History: filter by status and waiter, paginate newest first.
#[tokio::test]
async fn order_history_filters_and_pages() {
    let d = Daemon::start().await;
    let (w, m) = (d.waiter(1).await, d.manager().await);
    let mut ids = Vec::new();
    for t in 1..=5 {
        ids.push(w.open_table(t).await);
    }
    w.post_empty(&format!("/api/orders/{}/close", ids[0]))
        .await
        .ok();
    let p = m
        .get("/api/reports/orders/history?page_size=2&page=1")
        .await;
    let p = p.ok();
    assert_eq!(p["total"], 5);
    assert_eq!(p["items"].as_array().unwrap().len(), 2);
    assert_eq!(p["items"][0]["id"], ids[4]);
    let closed = m.get("/api/orders/?status=closed").await;
    assert_eq!(closed.ok()["total"], 1);
    let none = m.get("/api/orders/?waiter_id=999").await;
    assert_eq!(none.ok()["total"], 0);
    m.get("/api/orders/?status=eaten")
        .await
        .expect(422, "bad_status");
    let s = m.get("/api/reports/tables/summary").await;
    assert_eq!(s.ok()["occupied"], 4);
    w.get("/api/orders/").await.expect(403, "forbidden");
}

/// A manager's corrections stay in history; a printed-then-cancelled line still shows.
#[tokio::test]
async fn manager_corrections_are_kept_in_history() {
    let d = Daemon::start().await;
    let (w, m) = (d.waiter(1).await, d.manager().await);
    let o = w.open_table(6).await;
    let cola = w.product("Coca-Cola").await;
    let r = w.post(&format!("/api/orders/{o}/items"), json!({"items": [{"product_id": cola["id"]}, {"product_id": cola["id"], "quantity": 2}]})).await;
    let items: Vec<u64> = r.ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_u64().unwrap())
        .collect();
    w.put(
        &format!("/api/orders/{o}/items/{}", items[0]),
        json!({"quantity": 3}),
    )
    .await
    .expect(403, "forbidden");
    let r = m
        .put(
            &format!("/api/orders/{o}/items/{}", items[0]),
            json!({"quantity": 3, "notes": "ice"}),
        )
        .await;
    assert_eq!(r.ok()["items"][0]["quantity"], 3);
    let r = m
        .delete(&format!("/api/orders/{o}/items/{}", items[1]))
        .await;
    let r = r.ok();
    assert_eq!(r["items"][1]["status"], "cancelled");
    assert_eq!(r["total"], 900);
    m.delete(&format!("/api/orders/{o}/items/{}", items[1]))
        .await
        .expect(409, "item_cancelled");
    let me = w.get("/api/auth/me").await.ok()["id"].as_u64().unwrap();
    let w2 = d.waiter(2).await;
    let w2id = w2.get("/api/auth/me").await.ok()["id"].as_u64().unwrap();
    m.put(
        &format!("/api/orders/{o}/assign-waiter"),
        json!({"waiter_id": w2id}),
    )
    .await
    .ok();
    w2.get(&format!("/api/orders/{o}")).await.ok();
    m.delete(&format!("/api/orders/{o}/waiters/{me}"))
        .await
        .ok();
    w.get(&format!("/api/orders/{o}"))
        .await
        .expect(403, "forbidden");
    let r = m.delete(&format!("/api/orders/{o}")).await;
    assert_eq!(r.ok()["status"], "cancelled");
    m.post_empty(&format!("/api/orders/{o}/close"))
        .await
        .expect(409, "order_finished");
    let t = m.get("/api/tables/").await;
    assert_eq!(
        t.ok()
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["number"] == 6)
            .unwrap()["status"],
        "free"
    );
}

/// Display numbers cycle 1..99, restart each business day, and a manager can reset them.
#[tokio::test]
async fn display_numbers_cycle_and_reset() {
    let d = Daemon::start().await;
    let (w, m) = (d.waiter(1).await, d.manager().await);
    let number = |v: &serde_json::Value| v["number"].as_u64().unwrap();
    let tables = w.get("/api/tables/").await.ok().clone();
    let tid = |n: usize| tables[n]["id"].clone();
    let a = w.post("/api/orders/", json!({"table_id": tid(0)})).await;
    let b = w.post("/api/orders/", json!({"table_id": tid(1)})).await;
    assert_eq!((number(a.ok()), number(b.ok())), (1, 2));
    m.post_empty("/api/orders/reset-numbers").await.ok();
    let c = w.post("/api/orders/", json!({"table_id": tid(2)})).await;
    assert_eq!(number(c.ok()), 1);
    d.advance(SignedDuration::from_hours(24));
    let w = d.waiter(1).await; // yesterday's session has expired
    let e = w.post("/api/orders/", json!({"table_id": tid(3)})).await;
    assert_eq!(number(e.ok()), 1);
}
