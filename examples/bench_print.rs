//! Print spool figures, on loopback only: the real daemon (demo restaurant, temp data folder)
//! with its Kitchen and Bar printers pointed at fake ESC/POS printers in this process.
//!
//! 1. Latency of adding items (one kitchen + one bar line per batch), all printers healthy vs
//!    the kitchen printer stalled (stops reading mid-conversation).
//! 2. Item submit to the ticket's last byte (the cut) at a healthy printer.
//! 3. Tickets lost (and tickets printed twice without a REPRINT mark) across fault scenarios:
//!    offline, paper out, cover open, stalled, connection dropped mid-ticket, posd stopped
//!    mid-send and restarted.
//!
//! Run: `cargo run --release --example bench_print` (well under a minute).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::json;

// The integration tests' harness: the daemon runner, the fake printer and the shop helpers.
#[path = "../tests/it/support/mod.rs"]
mod support;

use support::Daemon;
use support::fake_printer::FakePrinter;
use support::shop::{Shop, all_done, fast, line, log, until};

const BATCHES: usize = 300;
const TICKETS: usize = 200;
const PER_FAULT: usize = 20;

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn summary(name: &str, mut v: Vec<Duration>) -> Duration {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "  {name:<34} n={:<4} p50={:>6.2} ms  p99={:>6.2} ms  max={:>6.2} ms",
        v.len(),
        ms(pct(&v, 0.50)),
        ms(pct(&v, 0.99)),
        ms(pct(&v, 1.0))
    );
    pct(&v, 0.99)
}

/// Adds `BATCHES` batches of one kitchen and one bar item over a few tables.
async fn add_latency(shop: &Shop) -> Vec<Duration> {
    let w = shop.d.waiter(1).await;
    let (burger, cola) = (line(&w, "Burger", 1).await, line(&w, "Coca-Cola", 1).await);
    let mut orders = Vec::new();
    for t in 1..=5 {
        orders.push(w.open_table(t).await);
    }
    let mut out = Vec::with_capacity(BATCHES);
    for i in 0..BATCHES {
        let order = orders[i % orders.len()];
        let body = json!({"items": [burger, cola]});
        let t = Instant::now();
        let r = w.post(&format!("/api/orders/{order}/items"), body).await;
        out.push(t.elapsed());
        r.ok();
    }
    out
}

/// Submit → last byte of the ticket at a healthy printer, one ticket at a time.
async fn submit_to_paper(shop: &Shop) -> Vec<Duration> {
    let w = shop.d.waiter(2).await;
    let order = w.open_table(20).await;
    let burger = line(&w, "Burger", 1).await;
    let mut out = Vec::with_capacity(TICKETS);
    for _ in 0..TICKETS {
        let before = shop.kitchen.tickets().len();
        let t = Instant::now();
        w.post(
            &format!("/api/orders/{order}/items"),
            json!({ "items": [burger] }),
        )
        .await
        .ok();
        shop.kitchen
            .wait_for_tickets(before + 1, Duration::from_secs(5))
            .await;
        out.push(t.elapsed());
    }
    out
}

#[derive(Default, Debug)]
struct Tally {
    expected: usize,
    lost: usize,
    doubled_unmarked: usize,
    reprints: usize,
}

/// Counts, per unique note, the complete tickets that carry it.
fn tally(notes: &[String], printers: &[&FakePrinter]) -> Tally {
    let mut seen: HashMap<&str, (usize, usize)> = HashMap::new();
    for p in printers {
        for t in p.tickets().iter().filter(|t| t.cut) {
            let text = t.text();
            for n in notes {
                // Whole line: "bench-1" must not match "bench-10".
                if text.contains(&format!("! {n}\n")) {
                    let e = seen.entry(n.as_str()).or_default();
                    if text.contains("REPRINT") {
                        e.1 += 1;
                    } else {
                        e.0 += 1;
                    }
                }
            }
        }
    }
    let mut t = Tally {
        expected: notes.len(),
        ..Tally::default()
    };
    for n in notes {
        let (plain, marked) = seen.get(n.as_str()).copied().unwrap_or_default();
        if plain + marked == 0 {
            t.lost += 1;
        }
        t.doubled_unmarked += plain.saturating_sub(1);
        t.reprints += marked;
    }
    t
}

async fn queue_noted(shop: &Shop, tag: &str, n: usize) -> (u64, Vec<String>) {
    let w = shop.d.waiter(3).await;
    let order = w.open_table(25).await;
    let burger = w.product("Burger").await;
    let mut notes = Vec::new();
    for i in 0..n {
        let note = format!("{tag}-{i}");
        w.post(
            &format!("/api/orders/{order}/items"),
            json!({"items": [{"product_id": burger["id"], "notes": note}]}),
        )
        .await
        .ok();
        notes.push(note);
    }
    (order, notes)
}

/// Puts a fault on a printer.
type Fault = fn(&FakePrinter);

async fn fault_scenario(name: &str, fault: Fault) -> Tally {
    let shop = Shop::open().await;
    fault(&shop.kitchen);
    let (order, notes) = queue_noted(&shop, name, PER_FAULT).await;
    let m = shop.d.manager().await;
    // The printer comes back only after the spool failed against the fault.
    until("a failed attempt", || async {
        let l = log(&m, order).await;
        l.iter().any(|e| e["success"] == false).then_some(())
    })
    .await;
    shop.kitchen.recover();
    all_done(&m, order).await;
    tally(&notes, &[&shop.kitchen, &shop.bar])
}

async fn crash_scenario() -> Tally {
    let shop = Shop::open_with(|c| {
        c.print.status_timeout = Duration::from_secs(20);
        c.print.write_timeout = Duration::from_secs(20);
        c.print.stop_grace = Duration::from_millis(100);
    })
    .await;
    shop.kitchen.stall_after(30);
    let (order, notes) = queue_noted(&shop, "crash", 3).await;
    {
        let m = shop.d.manager().await;
        until("a ticket mid-send", || async {
            let js = support::shop::jobs(&m, &format!("order_id={order}")).await;
            js.iter().any(|j| j["state"] == "sending").then_some(())
        })
        .await;
    }
    let Shop { d, kitchen, bar } = shop;
    let dir = d.stop().await;
    kitchen.recover();
    let d = Daemon::start_in(dir, fast).await;
    let m = d.manager().await;
    all_done(&m, order).await;
    tally(&notes, &[&kitchen, &bar])
}

#[tokio::main]
async fn main() {
    let started = Instant::now();
    println!("posd print spool figures (loopback, release build, temp data folder)");

    println!("1. adding items (1 kitchen + 1 bar line per batch), {BATCHES} batches each:");
    let healthy = {
        let shop = Shop::open().await;
        add_latency(&shop).await
    };
    let stalled = {
        let shop = Shop::open_with(|c| {
            c.print.status_timeout = Duration::from_secs(2);
            c.print.write_timeout = Duration::from_secs(2);
        })
        .await;
        shop.kitchen.set_stalled(true);
        add_latency(&shop).await
    };
    let p99_h = summary("all printers healthy", healthy);
    let p99_s = summary("kitchen printer stalled", stalled);
    println!(
        "  p99 difference: {:+.2} ms",
        (p99_s.as_secs_f64() - p99_h.as_secs_f64()) * 1000.0
    );

    println!("2. item submit -> ticket's last byte at a healthy printer, {TICKETS} tickets:");
    let paper = {
        let shop = Shop::open().await;
        submit_to_paper(&shop).await
    };
    let p99 = summary("submit to cut", paper);
    println!(
        "  target p99 <= 50 ms: {}",
        if p99 <= Duration::from_millis(50) {
            "met"
        } else {
            "NOT met"
        }
    );

    println!(
        "3. tickets lost across fault scenarios ({PER_FAULT} kitchen tickets each, crash: 3):"
    );
    let scenarios: [(&str, Fault); 5] = [
        ("offline", |p| p.set_offline(true)),
        ("paper_out", |p| p.set_paper_out(true)),
        ("cover_open", |p| p.set_cover_open(true)),
        ("stalled", |p| p.set_stalled(true)),
        ("drop_mid_ticket", |p| p.drop_after(40)),
    ];
    let mut total = Tally::default();
    let mut results: Vec<(String, Tally)> = Vec::new();
    for (name, f) in scenarios {
        results.push((name.to_string(), fault_scenario(name, f).await));
    }
    results.push(("crash_mid_send".to_string(), crash_scenario().await));
    for (name, t) in &results {
        println!(
            "  {name:<16} expected={:<3} lost={} printed twice unmarked={} reprints (marked)={}",
            t.expected, t.lost, t.doubled_unmarked, t.reprints
        );
        total.expected += t.expected;
        total.lost += t.lost;
        total.doubled_unmarked += t.doubled_unmarked;
        total.reprints += t.reprints;
    }
    println!(
        "  TOTAL            expected={} lost={} printed twice unmarked={} reprints (marked)={}",
        total.expected, total.lost, total.doubled_unmarked, total.reprints
    );
    println!("done in {:.1} s", started.elapsed().as_secs_f64());
}
