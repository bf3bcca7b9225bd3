//! Two years of history, and how today's work performs on top of it (issue 3's figures).
//!
//! Generates ~250 000 closed orders spread over the 730 days before today into a demo
//! restaurant's store (directly through the store API, in large transactions: this is a data
//! generator, not a request path), then starts the release `posd` on it and measures
//! `GET /api/reports/shift` for one day and `GET /api/tables/` over loopback.
//!
//! `cargo build --release && cargo run --release --example history -- [ORDERS] [DIR]`
//! (DIR is kept for reuse when given; otherwise a temp folder.)

mod common;

use std::time::Instant;

use common::{Conn, Posd, Samples};
use jiff::{SignedDuration, Timestamp};
use posd::domain::menu::{PricedLine, Product};
use posd::domain::orders::{NewLine, Order, PayMethod};
use posd::domain::reports::{DayRule, day_key};
use posd::store::tables::{ORDERS, PRODUCTS, TABLES};
use posd::store::{Reader, Store, Writer};

fn generate(dir: &std::path::Path, total: u64) {
    let store = Store::open(dir).unwrap();
    let hasher = posd::auth::PinHasher::fast_for_tests();
    let now = Timestamp::now();
    posd::demo::seed(&store, &hasher, &posd::clock::OsRandom, now).unwrap();
    let (products, tables) = store
        .read_blocking(|r| {
            Ok((
                r.all::<Product>(PRODUCTS)?,
                r.all::<posd::domain::floor::Table>(TABLES)?,
            ))
        })
        .unwrap();
    let rule = DayRule {
        tz: jiff::tz::TimeZone::UTC,
        cutoff_hour: 4,
    };
    let days = 730u64;
    let per_day = total / days;
    let t0 = Instant::now();
    let mut seed = 0x2545F4914F6CDD1Du64;
    let mut rnd = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for d in (1..=days).rev() {
        let day_start = now - SignedDuration::from_hours(24 * d as i64);
        let mut batch = Vec::with_capacity(per_day as usize);
        for k in 0..per_day {
            let at = day_start + SignedDuration::from_secs((k * 80) as i64);
            let table = &tables[rnd(tables.len() as u64) as usize];
            let waiter = 3 + rnd(20);
            let lines: Vec<NewLine> = (0..3 + rnd(6))
                .map(|_| {
                    let p = &products[rnd(products.len() as u64) as usize];
                    NewLine {
                        product_id: p.id,
                        name: p.name.clone(),
                        quantity: 1 + rnd(3) as u32,
                        priced: PricedLine {
                            unit_price: p.base_price,
                            options: vec![],
                            removed: vec![],
                            preferences: vec![],
                        },
                        notes: None,
                        printer_zone_id: p.printer_zone_id,
                    }
                })
                .collect();
            batch.push((at, table.id, waiter, lines));
        }
        store
            .write_blocking(|w| {
                for (n, (at, table, waiter, lines)) in batch.into_iter().enumerate() {
                    let id = w.next_id("orders")?;
                    let bday = day_key(rule.day_of(at));
                    let mut o = Order::open(id, (n % 99) as u8 + 1, bday, table, waiter, at);
                    let first = w.next_ids("order_items", lines.len() as u64)?;
                    let ids = o.add_items(lines, first, waiter, at)?;
                    let half = ids.len() / 2;
                    let p1 = w.next_id("payments")?;
                    o.pay(p1, &ids[..half], PayMethod::Cash, 100, waiter, at)?;
                    let p2 = w.next_id("payments")?;
                    o.pay(p2, &ids[half..], PayMethod::Card, 0, waiter, at)?;
                    o.close(waiter, at)?;
                    w.put(ORDERS, id, &o)?;
                    w.index_order_day(bday, id)?;
                }
                Ok(())
            })
            .unwrap();
    }
    println!(
        "generated {} orders over {days} days in {:.1} s",
        per_day * days,
        t0.elapsed().as_secs_f64()
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let total: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(250_000);
    let keep = args.get(2).map(std::path::PathBuf::from);
    let tmp = tempfile::tempdir().unwrap();
    let dir = keep.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    if !dir.join(posd::store::DB_FILE).exists() {
        std::fs::create_dir_all(&dir).unwrap();
        generate(&dir, total);
    }
    let size = std::fs::metadata(dir.join(posd::store::DB_FILE))
        .map(|m| m.len())
        .unwrap_or(0);
    println!("database: {:.1} MiB", size as f64 / (1 << 20) as f64);
    let posd = Posd::start(&dir, &[]);
    let mut m = Conn::new(posd.addr);
    m.login("manager", "1234").await.unwrap();
    // Busy floor today: 20 open orders.
    let mut w = Conn::new(posd.addr);
    w.login("waiter01", "1234").await.unwrap();
    let tables = m.call("GET", "/api/tables/", None, &[]).await.unwrap().json;
    for t in tables.as_array().unwrap().iter().take(20) {
        let o = w
            .call(
                "POST",
                "/api/orders/",
                Some(&serde_json::json!({"table_id": t["id"]})),
                &[],
            )
            .await
            .unwrap();
        let id = o.json["id"].as_u64().unwrap_or(0);
        w.call("POST", &format!("/api/orders/{id}/items"), Some(&serde_json::json!({"items": [{"product_id": 1, "quantity": 2}, {"product_id": 30}]})), &[]).await.unwrap();
    }
    let yesterday = (Timestamp::now() - SignedDuration::from_hours(24))
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    for (name, path) in [
        (
            "GET /api/reports/shift (yesterday)",
            format!("/api/reports/shift?date={yesterday}"),
        ),
        (
            "GET /api/reports/shift (today)",
            "/api/reports/shift".to_string(),
        ),
        ("GET /api/tables/", "/api/tables/".to_string()),
    ] {
        let mut s = Samples::default();
        for _ in 0..200 {
            let t = Instant::now();
            let r = m.call("GET", &path, None, &[]).await.unwrap();
            s.add(t.elapsed());
            assert_eq!(r.status, 200, "{path}: {}", r.json);
        }
        println!("{}", s.line(name));
    }
    let rep = m
        .call(
            "GET",
            &format!("/api/reports/shift?date={yesterday}"),
            None,
            &[],
        )
        .await
        .unwrap()
        .json;
    println!(
        "yesterday's report: {} orders, sales {} cents",
        rep["totals"]["orders_opened"], rep["totals"]["sales"]
    );
}
