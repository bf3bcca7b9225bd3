//! The demo restaurant with its Kitchen and Bar printers pointed at fake printers on loopback
//! and the spool's timings shortened, plus polling helpers for print tests.

use std::future::Future;
use std::time::{Duration, Instant};

use posd::config::Config;
use serde_json::{Value, json};

use super::fake_printer::{FakePrinter, PrintedTicket};
use super::{Client, Daemon, PIN, Resp};

pub const KITCHEN: u64 = 1;
pub const BAR: u64 = 2;
pub const WAIT: Duration = Duration::from_secs(10);

/// Retries in tens of milliseconds, status checks every quarter second, short deadlines.
pub fn fast(c: &mut Config) {
    let p = &mut c.print;
    p.retry_first = Duration::from_millis(20);
    p.retry_max = Duration::from_millis(200);
    p.probe_every = Duration::from_millis(250);
    p.connect_timeout = Duration::from_secs(1);
    p.status_timeout = Duration::from_millis(400);
    p.write_timeout = Duration::from_millis(400);
    p.stop_grace = Duration::from_millis(300);
}

pub struct Shop {
    pub d: Daemon,
    pub kitchen: FakePrinter,
    pub bar: FakePrinter,
}

impl Shop {
    pub async fn open() -> Shop {
        Self::open_with(|_| {}).await
    }

    /// `f` runs after [`fast`] on the daemon's config.
    pub async fn open_with(f: impl FnOnce(&mut Config)) -> Shop {
        let kitchen = FakePrinter::start().await;
        let bar = FakePrinter::start().await;
        let d = Daemon::start_with(|c| {
            fast(c);
            f(c);
        })
        .await;
        point(&d, KITCHEN, &kitchen).await;
        point(&d, BAR, &bar).await;
        Shop { d, kitchen, bar }
    }
}

/// Points printer `id` at a fake printer (as the sysadmin, as a site would).
pub async fn point(d: &Daemon, id: u64, fp: &FakePrinter) {
    let s = d.login("sysadmin", PIN).await;
    s.put(
        &format!("/api/system/printers/{id}"),
        json!({"ip_address": "127.0.0.1", "port": fp.addr().port()}),
    )
    .await
    .ok();
}

/// A line of `qty` × the demo product `name`, no modifiers.
pub async fn line(c: &Client<'_>, name: &str, qty: u32) -> Value {
    let p = c.product(name).await;
    json!({"product_id": p["id"], "quantity": qty})
}

/// Adds a batch and returns the response with how long the request took.
pub async fn add(c: &Client<'_>, order: u64, lines: Vec<Value>) -> (Resp, Duration) {
    let t = Instant::now();
    let r = c
        .post(
            &format!("/api/orders/{order}/items"),
            json!({ "items": lines }),
        )
        .await;
    let took = t.elapsed();
    r.ok();
    (r, took)
}

/// Print jobs matching a query string (manager).
pub async fn jobs(m: &Client<'_>, query: &str) -> Vec<Value> {
    m.get(&format!("/api/system/print-jobs?{query}"))
        .await
        .ok()
        .as_array()
        .expect("a job list")
        .clone()
}

/// Polls `f` until it returns `Some`, panicking with `what` after [`WAIT`].
pub async fn until<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let end = Instant::now() + WAIT;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < end, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until every job of the order is done (nothing can print after that).
pub async fn all_done(m: &Client<'_>, order: u64) -> Vec<Value> {
    until("every print job of the order to be done", || async {
        let js = jobs(m, &format!("order_id={order}")).await;
        (!js.is_empty() && js.iter().all(|j| j["state"] == "done")).then_some(js)
    })
    .await
}

/// The printer's live entry in `/api/system/status`.
pub async fn live(c: &Client<'_>, printer_id: u64) -> Value {
    let s = c.get("/api/system/status").await;
    s.ok()["printer_states"]
        .as_array()
        .expect("printer states")
        .iter()
        .find(|p| p["printer_id"] == printer_id)
        .cloned()
        .unwrap_or(Value::Null)
}

/// Waits until the printer's live state is `state`.
pub async fn live_state(c: &Client<'_>, printer_id: u64, state: &str) -> Value {
    until(&format!("printer {printer_id} to be {state}"), || async {
        let l = live(c, printer_id).await;
        (l["state"] == state).then_some(l)
    })
    .await
}

/// Tickets that came out whole (cut).
pub fn complete(tickets: &[PrintedTicket]) -> Vec<&PrintedTicket> {
    tickets.iter().filter(|t| t.cut).collect()
}

/// The print log of an order (manager).
pub async fn log(m: &Client<'_>, order: u64) -> Vec<Value> {
    m.get(&format!("/api/system/print-log?order_id={order}"))
        .await
        .ok()
        .as_array()
        .expect("a log")
        .clone()
}
