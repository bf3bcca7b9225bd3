//! What idle phones cost: opens N live event streams (`GET /api/events`) to the release
//! `posd` and holds them idle, then reports the daemon's RSS and CPU time per minute.
//!
//! `cargo build --release && cargo run --release --example idle_sse -- [STREAMS] [SECONDS]`

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use common::{Conn, Posd};

fn cpu_ticks(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let f: Vec<&str> = s
        .rsplit_once(')')
        .map(|(_, r)| r.split_whitespace().collect())
        .unwrap_or_default();
    f.get(11).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
        + f.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(500);
    let secs: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(60);
    let dir = tempfile::tempdir().unwrap();
    let posd = Posd::start(dir.path(), &[]);
    let mut w = Conn::new(posd.addr);
    w.login("waiter01", "1234").await.unwrap();
    let token = w.token.clone().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (rss0, _) = posd.rss_kib();
    let mut streams = Vec::with_capacity(n);
    for _ in 0..n {
        let mut s = std::net::TcpStream::connect(posd.addr).unwrap();
        write!(
            s,
            "GET /api/events HTTP/1.1\r\nHost: posd\r\nAuthorization: Bearer {token}\r\n\r\n"
        )
        .unwrap();
        let mut buf = [0u8; 512];
        let got = s.read(&mut buf).unwrap();
        assert!(
            String::from_utf8_lossy(&buf[..got]).starts_with("HTTP/1.1 200"),
            "stream refused"
        );
        streams.push(s);
    }
    let (rss1, _) = posd.rss_kib();
    let t0 = Instant::now();
    let c0 = cpu_ticks(posd.pid());
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let ticks = cpu_ticks(posd.pid()) - c0;
    let (rss2, hwm) = posd.rss_kib();
    let hz = 100.0; // USER_HZ on Linux
    println!(
        "{n} idle event streams held for {:.0} s",
        t0.elapsed().as_secs_f64()
    );
    println!(
        "RSS before {rss0} KiB, after opening {rss1} KiB, after idling {rss2} KiB (peak {hwm} KiB)"
    );
    println!(
        "≈ {:.1} KiB per stream",
        (rss2 as f64 - rss0 as f64) / n as f64
    );
    println!(
        "daemon CPU while idle: {:.2} s over {:.0} s ({:.2}% of one core)",
        ticks as f64 / hz,
        t0.elapsed().as_secs_f64(),
        ticks as f64 / hz / t0.elapsed().as_secs_f64() * 100.0
    );
    drop(streams);
}
