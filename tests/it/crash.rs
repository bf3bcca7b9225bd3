//! Crash safety: SIGKILL the real daemon process during concurrent load, many times. Every
//! request that was answered 2xx must be there after the restart, nothing may be half-applied,
//! and the store must open cleanly every time.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::daemon::call;

/// Rounds of load-then-SIGKILL; `POSD_CRASH_ROUNDS=50` for a longer run.
fn rounds() -> u32 {
    std::env::var("POSD_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8)
}
const WAITERS: u32 = 8;

#[derive(Default)]
struct Acked {
    /// order id → item ids acknowledged as added
    items: HashMap<u64, HashSet<u64>>,
    /// order id → payment ids acknowledged
    payments: HashMap<u64, HashSet<u64>>,
    closed: HashSet<u64>,
}

fn spawn(dir: &std::path::Path, addr: SocketAddr) -> Child {
    Command::new(env!("CARGO_BIN_EXE_posd"))
        .args(["serve", "--demo", "--data-dir"])
        .arg(dir)
        .args(["--listen", &addr.to_string()])
        .env("POSD_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn posd")
}

async fn wait_healthy(addr: SocketAddr) {
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(20) {
        if let Ok(r) = call(addr, "GET", "/api/system/health", None, None).await
            && r.status == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("posd did not come up after a kill: the store did not open cleanly?");
}

async fn login(addr: SocketAddr, user: &str) -> Option<String> {
    let r = call(
        addr,
        "POST",
        "/api/auth/login",
        None,
        Some(json!({"username": user, "pin": "1234"})),
    )
    .await
    .ok()?;
    r.json["access_token"].as_str().map(str::to_string)
}

/// One waiter working their table until the daemon dies under them.
async fn work(addr: SocketAddr, waiter: u32, table_id: u64, acked: Arc<Mutex<Acked>>) {
    let Some(tok) = login(addr, &format!("waiter{waiter:02}")).await else {
        return;
    };
    let t = Some(tok.as_str());
    loop {
        let Ok(r) = call(
            addr,
            "POST",
            "/api/orders/",
            t,
            Some(json!({"table_id": table_id})),
        )
        .await
        else {
            return;
        };
        let order = match r.status {
            201 => r.json["id"].as_u64().unwrap(),
            409 => r.json["order_id"].as_u64().unwrap(),
            s => panic!("open: {s} {}", r.json),
        };
        for _ in 0..2 {
            let body = json!({"items": [{"product_id": 1 + waiter as u64, "quantity": 2}, {"product_id": 35}]});
            let Ok(r) = call(
                addr,
                "POST",
                &format!("/api/orders/{order}/items"),
                t,
                Some(body),
            )
            .await
            else {
                return;
            };
            assert_eq!(r.status, 201, "{}", r.json);
            let ids: Vec<u64> = r.json["added_item_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
                .collect();
            acked
                .lock()
                .unwrap()
                .items
                .entry(order)
                .or_default()
                .extend(ids);
        }
        let Ok(o) = call(addr, "GET", &format!("/api/orders/{order}"), t, None).await else {
            return;
        };
        let unpaid: Vec<u64> = o.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["status"] == "active")
            .map(|i| i["id"].as_u64().unwrap())
            .collect();
        if !unpaid.is_empty() {
            let Ok(r) = call(
                addr,
                "POST",
                &format!("/api/orders/{order}/pay"),
                t,
                Some(json!({"item_ids": unpaid, "method": "cash"})),
            )
            .await
            else {
                return;
            };
            assert_eq!(r.status, 200, "{}", r.json);
            let p = r.json["payments"].as_array().unwrap().last().unwrap()["id"]
                .as_u64()
                .unwrap();
            acked
                .lock()
                .unwrap()
                .payments
                .entry(order)
                .or_default()
                .insert(p);
        }
        let Ok(r) = call(
            addr,
            "POST",
            &format!("/api/orders/{order}/close"),
            t,
            Some(json!({})),
        )
        .await
        else {
            return;
        };
        assert_eq!(r.status, 200, "{}", r.json);
        acked.lock().unwrap().closed.insert(order);
    }
}

/// Every acknowledged write survives SIGKILL; every stored order is internally consistent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_load_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let acked = Arc::new(Mutex::new(Acked::default()));
    for round in 0..rounds() {
        let mut child = spawn(dir.path(), addr);
        wait_healthy(addr).await;
        let tables = {
            let tok = login(addr, "manager").await.unwrap();
            call(addr, "GET", "/api/tables/", Some(&tok), None)
                .await
                .unwrap()
                .json
        };
        let mut tasks = Vec::new();
        for w in 1..=WAITERS {
            let table = tables[w as usize]["id"].as_u64().unwrap();
            tasks.push(tokio::spawn(work(addr, w, table, acked.clone())));
        }
        tokio::time::sleep(Duration::from_millis(150 + 37 * round as u64 % 250)).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        for t in tasks {
            t.await.unwrap();
        }
    }
    let mut child = spawn(dir.path(), addr);
    wait_healthy(addr).await;
    let tok = login(addr, "manager").await.unwrap();
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    let total_items: usize = acked.items.values().map(HashSet::len).sum();
    assert!(
        total_items > 50,
        "the load was too light to mean anything: {total_items} items"
    );
    eprintln!(
        "FIGURE crash: {} SIGKILLs under load; checked {} orders, {total_items} items, {} payments, {} closes acknowledged",
        rounds(),
        acked.items.len(),
        acked.payments.values().map(HashSet::len).sum::<usize>(),
        acked.closed.len()
    );
    for (order, items) in &acked.items {
        let o = call(
            addr,
            "GET",
            &format!("/api/orders/{order}"),
            Some(&tok),
            None,
        )
        .await
        .unwrap();
        assert_eq!(o.status, 200, "acknowledged order {order} is missing");
        check_consistent(&o.json);
        let have: HashSet<u64> = o.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_u64().unwrap())
            .collect();
        assert!(
            items.is_subset(&have),
            "order {order}: acknowledged items lost: {:?}",
            items.difference(&have)
        );
        let pays: HashSet<u64> = o.json["payments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_u64().unwrap())
            .collect();
        if let Some(p) = acked.payments.get(order) {
            assert!(
                p.is_subset(&pays),
                "order {order}: acknowledged payment lost"
            );
        }
        if acked.closed.contains(order) {
            assert_eq!(
                o.json["status"], "closed",
                "order {order}: acknowledged close lost"
            );
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Nothing half-applied: each batch is two lines; every paid line is in exactly one payment whose
/// amount is the sum of its lines; totals add up.
fn check_consistent(o: &Value) {
    let items = o["items"].as_array().unwrap();
    assert_eq!(items.len() % 2, 0, "a batch was half-applied: {o}");
    let mut paid_in = HashMap::new();
    for p in o["payments"].as_array().unwrap() {
        let mut sum = 0;
        for id in p["item_ids"].as_array().unwrap() {
            *paid_in.entry(id.as_u64().unwrap()).or_insert(0) += 1;
            sum += items
                .iter()
                .find(|i| i["id"] == *id)
                .expect("payment names a missing item")["line_total"]
                .as_i64()
                .unwrap();
        }
        assert_eq!(p["amount"].as_i64().unwrap(), sum);
    }
    for i in items {
        let n = paid_in
            .get(&i["id"].as_u64().unwrap())
            .copied()
            .unwrap_or(0);
        assert_eq!(
            n,
            (i["status"] == "paid") as i32,
            "item paid state disagrees with payments: {o}"
        );
    }
    let total: i64 = items
        .iter()
        .map(|i| i["line_total"].as_i64().unwrap())
        .sum();
    assert_eq!(o["total"].as_i64().unwrap(), total);
}
