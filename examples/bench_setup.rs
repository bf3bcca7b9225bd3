//! Issue 2's figures, measured against the release `posd` binary over 127.0.0.1 only:
//!
//! - start to listening: from spawning `posd serve` on an existing demo database until the
//!   port accepts a connection, and until `/api/system/health` first answers 200;
//! - idle RSS after start (VmRSS from /proc), and after the load below;
//! - login latency with 20 logins at once (the production argon2 parameters), p50/p99/max;
//! - `GET /api/products/` latency over one keep-alive connection, p50/p99/max.
//!
//! Run: `cargo build --release && cargo run --release --example bench_setup`
//! (`POSD_BIN` overrides the binary; `BENCH_DIR` the folder the data folder is made in,
//! default the system temp dir; `BENCH_ROUNDS`, `BENCH_REQUESTS` the sample sizes).
//! Takes well under a minute.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

type Sender = SendRequest<Full<Bytes>>;

fn posd_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("POSD_BIN") {
        return p.into();
    }
    // target/release/examples/bench_setup -> target/release/posd
    let exe = std::env::current_exe().expect("own path");
    exe.parent()
        .and_then(Path::parent)
        .map(|d| d.join("posd"))
        .expect("target dir")
}

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

fn rss_kib(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn spawn_serve(bin: &Path, dir: &Path, addr: SocketAddr) -> Child {
    Command::new(bin)
        .arg("--data-dir")
        .arg(dir)
        .args(["serve", "--listen", &addr.to_string()])
        .env("POSD_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn posd serve")
}

fn stop(mut child: Child) {
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
    let _ = child.wait();
}

async fn connect(addr: SocketAddr) -> Sender {
    let s = TcpStream::connect(addr).await.expect("connect");
    s.set_nodelay(true).expect("nodelay");
    let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(s))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    send
}

async fn call(
    send: &mut Sender,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<String>,
) -> (u16, Bytes) {
    let mut b = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", "posd");
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    if body.is_some() {
        b = b.header("content-type", "application/json");
    }
    let req = b
        .body(Full::new(Bytes::from(body.unwrap_or_default())))
        .expect("request");
    let resp = send.send_request(req).await.expect("send");
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    (status, bytes)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn summary(name: &str, mut v: Vec<Duration>) {
    v.sort();
    println!(
        "{name:<34} n={:<5} p50={:>9.3?} p99={:>9.3?} max={:>9.3?}",
        v.len(),
        percentile(&v, 0.50),
        percentile(&v, 0.99),
        v[v.len() - 1]
    );
}

/// Spawn `posd serve` and time (spawn → port accepts, spawn → health 200).
fn start(bin: &Path, dir: &Path) -> (Child, SocketAddr, Duration, Duration) {
    let addr: SocketAddr = ([127, 0, 0, 1], free_port()).into();
    let t0 = Instant::now();
    let child = spawn_serve(bin, dir, addr);
    let deadline = t0 + Duration::from_secs(10);
    let mut stream = loop {
        match std::net::TcpStream::connect(addr) {
            Ok(s) => break s,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_micros(200)),
            Err(e) => panic!("posd did not listen on {addr}: {e}"),
        }
    };
    let accept = t0.elapsed();
    use std::io::{Read, Write};
    stream
        .write_all(b"GET /api/system/health HTTP/1.1\r\nhost: posd\r\nconnection: close\r\n\r\n")
        .expect("write health");
    let mut out = String::new();
    let _ = stream.read_to_string(&mut out);
    assert!(out.starts_with("HTTP/1.1 200"), "health: {out}");
    (child, addr, accept, t0.elapsed())
}

/// The cost of one argon2id PIN check at a few memory costs (t=1, p=1), in this process.
fn hash_costs() {
    use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
    for kib in [2048u32, 4096, 8192] {
        let params = argon2::Params::new(kib, 1, 1, None).expect("params");
        let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let salt = SaltString::encode_b64(&[7; 16]).expect("salt");
        let phc = a.hash_password(b"1234", &salt).expect("hash").to_string();
        let parsed = PasswordHash::new(&phc).expect("phc");
        let mut v = Vec::new();
        for _ in 0..30 {
            let t = Instant::now();
            let _ = a.verify_password(b"1235", &parsed);
            v.push(t.elapsed());
        }
        summary(&format!("argon2id verify m={kib} KiB"), v);
    }
}

fn main() {
    hash_costs();
    let bin = posd_bin();
    assert!(
        bin.exists(),
        "{} not found: run `cargo build --release` first or set POSD_BIN",
        bin.display()
    );
    let dir = match std::env::var_os("BENCH_DIR") {
        Some(parent) => tempfile::tempdir_in(parent),
        None => tempfile::tempdir(),
    }
    .expect("temp dir");
    let seeded = Command::new(&bin)
        .arg("--data-dir")
        .arg(dir.path())
        .arg("demo")
        .env("POSD_LOG", "warn")
        .stdout(Stdio::null())
        .status()
        .expect("run posd demo");
    assert!(seeded.success(), "posd demo failed");
    println!(
        "posd {} on an existing demo database in {}",
        bin.display(),
        dir.path().display()
    );

    // Start-up, several times (the first also warms the page cache).
    let mut accepts = Vec::new();
    let mut readies = Vec::new();
    for _ in 0..6 {
        let (child, _, accept, ready) = start(&bin, dir.path());
        accepts.push(accept);
        readies.push(ready);
        stop(child);
    }
    summary("start: spawn -> port accepts", accepts);
    summary("start: spawn -> health 200", readies);

    let (child, addr, _, _) = start(&bin, dir.path());
    let pid = child.id();
    std::thread::sleep(Duration::from_secs(1));
    println!("idle RSS after start               {} KiB", rss_kib(pid));

    let rounds = env_num("BENCH_ROUNDS", 10);
    let requests = env_num("BENCH_REQUESTS", 2000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        // 20 waiters log in at the same moment, `rounds` times.
        let mut logins = Vec::new();
        for _ in 0..rounds {
            let mut senders = Vec::new();
            for _ in 0..20 {
                senders.push(connect(addr).await);
            }
            let tasks: Vec<_> = senders
                .into_iter()
                .enumerate()
                .map(|(i, mut s)| {
                    tokio::spawn(async move {
                        let body = format!(r#"{{"username":"waiter{:02}","pin":"1234"}}"#, i + 1);
                        let t = Instant::now();
                        let (status, b) =
                            call(&mut s, "POST", "/api/auth/login", None, Some(body)).await;
                        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&b));
                        t.elapsed()
                    })
                })
                .collect();
            for t in tasks {
                logins.push(t.await.expect("login task"));
            }
        }
        summary("login, 20 at once", logins);
        println!("RSS after the logins                {} KiB", rss_kib(pid));

        let mut s = connect(addr).await;
        let (status, b) = call(
            &mut s,
            "POST",
            "/api/auth/login",
            None,
            Some(r#"{"username":"waiter01","pin":"1234"}"#.into()),
        )
        .await;
        assert_eq!(status, 200);
        let v: serde_json::Value = serde_json::from_slice(&b).expect("login json");
        let token = v["access_token"].as_str().expect("token").to_string();
        let mut size = 0;
        for _ in 0..100 {
            size = call(&mut s, "GET", "/api/products/", Some(&token), None)
                .await
                .1
                .len();
        }
        let mut products = Vec::with_capacity(requests);
        for _ in 0..requests {
            let t = Instant::now();
            let (status, _) = call(&mut s, "GET", "/api/products/", Some(&token), None).await;
            products.push(t.elapsed());
            assert_eq!(status, 200);
        }
        summary(&format!("GET /api/products/ ({size} B)"), products);
    });
    println!("RSS after the load                 {} KiB", rss_kib(pid));
    std::thread::sleep(Duration::from_secs(12));
    println!("RSS 12 s later                     {} KiB", rss_kib(pid));
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    for l in status
        .lines()
        .filter(|l| l.starts_with("Threads") || l.starts_with("VmHWM"))
    {
        println!("{l}");
    }
    stop(child);
}
