//! Load generator for the order flow (issue 3's figures).
//!
//! Starts the release `posd` with the demo restaurant on a temp folder, logs in 20 waiters, and
//! has each run full order cycles on its own table over one keep-alive connection: open, three
//! item batches of 1–4 lines with options, read, two partial payments, close. Every commit is
//! durable. Afterwards it checks that every item, price and payment it made is stored, and that
//! the shift report's totals match. Prints throughput, p99 per endpoint, errors and peak RSS.
//!
//! `cargo build --release && cargo run --release --example loadgen -- [SECONDS] [WAITERS]`

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Conn, Posd, Samples};
use serde_json::{Value, json};
use tokio::sync::Mutex;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// What one order should hold: items (product, quantity, unit price) and payments
/// (amount, tip, method).
type Expected = (Vec<(u64, u64, i64)>, Vec<(i64, i64, &'static str)>);

#[derive(Default)]
struct Stats {
    lat: HashMap<&'static str, Samples>,
    errors: Vec<String>,
    cycles: u64,
    /// order id → (expected items [(product, qty, unit)], expected payments [(amount, tip, method)])
    expected: HashMap<u64, Expected>,
}

async fn timed(
    stats: &mut Stats,
    name: &'static str,
    c: &mut Conn,
    m: &str,
    p: &str,
    b: Option<&Value>,
    h: &[(&str, &str)],
) -> Option<Value> {
    let t = Instant::now();
    let r = c.call(m, p, b, h).await;
    stats.lat.entry(name).or_default().add(t.elapsed());
    match r {
        Ok(r) if (200..300).contains(&r.status) => Some(r.json),
        Ok(r) => {
            stats
                .errors
                .push(format!("{name} {p}: {} {}", r.status, r.json));
            None
        }
        Err(e) => {
            stats.errors.push(format!("{name} {p}: {e}"));
            None
        }
    }
}

async fn cycle(
    c: &mut Conn,
    table: u64,
    menu: &[Value],
    rng: &mut Rng,
    s: &mut Stats,
    n: u64,
) -> Option<()> {
    let o = timed(
        s,
        "POST /orders",
        c,
        "POST",
        "/api/orders/",
        Some(&json!({"table_id": table})),
        &[],
    )
    .await?;
    let id = o["id"].as_u64()?;
    let mut exp_items = Vec::new();
    for batch in 0..3 {
        let lines: Vec<Value> = (0..1 + rng.below(4))
            .map(|_| {
                let p = &menu[rng.below(menu.len())];
                let q = 1 + rng.below(3) as u64;
                let mut unit = p["base_price"].as_i64().unwrap_or(0);
                let mut opts = vec![];
                if let Some(o) = p["options"].as_array().and_then(|o| o.first()) {
                    opts.push(o["id"].clone());
                    unit += o["extra_cost"].as_i64().unwrap_or(0);
                }
                exp_items.push((p["id"].as_u64().unwrap_or(0), q, unit));
                json!({"product_id": p["id"], "quantity": q, "selected_options": opts})
            })
            .collect();
        let key = format!("lg-{id}-{batch}-{n}");
        timed(
            s,
            "POST /orders/{id}/items",
            c,
            "POST",
            &format!("/api/orders/{id}/items"),
            Some(&json!({"items": lines})),
            &[("idempotency-key", &key)],
        )
        .await?;
    }
    let o = timed(
        s,
        "GET /orders/{id}",
        c,
        "GET",
        &format!("/api/orders/{id}"),
        None,
        &[],
    )
    .await?;
    let items: Vec<(u64, i64)> = o["items"]
        .as_array()?
        .iter()
        .map(|i| {
            (
                i["id"].as_u64().unwrap_or(0),
                i["line_total"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    let half = items.len() / 2;
    let mut exp_pay = Vec::new();
    for (part, method, tip) in [
        (&items[..half.max(1)], "cash", 50i64),
        (&items[half.max(1)..], "card", 0),
    ] {
        if part.is_empty() {
            continue;
        }
        let ids: Vec<u64> = part.iter().map(|x| x.0).collect();
        timed(
            s,
            "POST /orders/{id}/pay",
            c,
            "POST",
            &format!("/api/orders/{id}/pay"),
            Some(&json!({"item_ids": ids, "method": method, "tip": tip})),
            &[],
        )
        .await?;
        exp_pay.push((part.iter().map(|x| x.1).sum(), tip, method));
    }
    timed(
        s,
        "POST /orders/{id}/close",
        c,
        "POST",
        &format!("/api/orders/{id}/close"),
        Some(&json!({})),
        &[],
    )
    .await?;
    s.expected.insert(id, (exp_items, exp_pay));
    s.cycles += 1;
    Some(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let secs: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(20);
    let waiters: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let posd = Posd::start(dir.path(), &[]);
    println!(
        "posd started (first start, seeding the demo) in {:?}",
        posd.started_in
    );
    let mut m = Conn::new(posd.addr);
    m.login("manager", "1234").await.unwrap();
    let menu = m
        .call("GET", "/api/products/", None, &[])
        .await
        .unwrap()
        .json
        .as_array()
        .unwrap()
        .clone();
    let tables = m
        .call("GET", "/api/tables/", None, &[])
        .await
        .unwrap()
        .json
        .as_array()
        .unwrap()
        .clone();
    let menu = Arc::new(menu);
    let stats = Arc::new(Mutex::new(Stats::default()));
    let peak = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..waiters {
        let (menu, stats, addr) = (menu.clone(), stats.clone(), posd.addr);
        let table = tables[w % tables.len()]["id"].as_u64().unwrap();
        tasks.push(tokio::spawn(async move {
            let mut c = Conn::new(addr);
            c.login(&format!("waiter{:02}", w + 1), "1234")
                .await
                .unwrap();
            let mut rng = Rng(0x9e3779b97f4a7c15 ^ (w as u64 + 1));
            let mut local = Stats::default();
            let mut n = 0;
            while Instant::now() < deadline {
                n += 1;
                if cycle(&mut c, table, &menu, &mut rng, &mut local, n)
                    .await
                    .is_none()
                {
                    break;
                }
            }
            let mut s = stats.lock().await;
            for (k, v) in local.lat {
                s.lat.entry(k).or_default().0.extend(v.0);
            }
            s.errors.extend(local.errors);
            s.cycles += local.cycles;
            s.expected.extend(local.expected);
        }));
    }
    let pid = posd.pid();
    let pk = peak.clone();
    let sampler = tokio::spawn(async move {
        loop {
            let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            if let Some(v) = s
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
            {
                pk.fetch_max(v, std::sync::atomic::Ordering::Relaxed);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = started.elapsed();
    sampler.abort();
    let s = stats.lock().await;
    println!(
        "\n{} waiters, {:.1} s, durable commits",
        waiters,
        elapsed.as_secs_f64()
    );
    println!(
        "full cycles: {}  ({:.1} cycles/s)",
        s.cycles,
        s.cycles as f64 / elapsed.as_secs_f64()
    );
    let mut names: Vec<_> = s.lat.keys().copied().collect();
    names.sort();
    let mut all = Samples::default();
    for n in names {
        println!("{}", s.lat[n].line(n));
        all.0.extend(&s.lat[n].0);
    }
    println!("{}", all.line("all requests"));
    println!("errors: {}", s.errors.len());
    for e in s.errors.iter().take(5) {
        println!("  {e}");
    }
    let (rss, hwm) = posd.rss_kib();
    println!(
        "RSS now {} KiB, peak sampled {} KiB, VmHWM {} KiB",
        rss,
        peak.load(std::sync::atomic::Ordering::Relaxed),
        hwm
    );

    // Verify: every order, item, price and payment the generator made is stored.
    let mut bad = 0;
    let (mut cash, mut card, mut tips) = (0i64, 0i64, 0i64);
    for (id, (items, pays)) in &s.expected {
        let o = m
            .call("GET", &format!("/api/orders/{id}"), None, &[])
            .await
            .unwrap()
            .json;
        let got: Vec<(u64, u64, i64)> = o["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["product_id"].as_u64().unwrap(),
                    i["quantity"].as_u64().unwrap(),
                    i["unit_price"].as_i64().unwrap(),
                )
            })
            .collect();
        let gp: Vec<(i64, i64, String)> = o["payments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["amount"].as_i64().unwrap(),
                    p["tip"].as_i64().unwrap(),
                    p["method"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let want_p: Vec<(i64, i64, String)> = pays
            .iter()
            .map(|(a, t, m)| (*a, *t, m.to_string()))
            .collect();
        if &got != items || gp != want_p || o["status"] != "closed" {
            bad += 1;
        }
        for (a, t, m) in pays {
            if *m == "cash" {
                cash += a
            } else {
                card += a
            }
            tips += t;
        }
    }
    let rep = m
        .call("GET", "/api/reports/shift", None, &[])
        .await
        .unwrap()
        .json;
    let t = &rep["totals"];
    let report_ok = t["collected"]["cash"] == cash
        && t["collected"]["card"] == card
        && t["tips"]["total"] == tips;
    println!(
        "verified {} orders: {} mismatched; shift report matches: {} (cash {cash}, card {card}, tips {tips})",
        s.expected.len(),
        bad,
        report_ok
    );
}
