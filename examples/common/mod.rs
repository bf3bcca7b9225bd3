//! Shared helpers for the benchmark examples: start the release `posd` binary on a temp data
//! folder, a keep-alive HTTP/1.1 client, and latency statistics.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::client::conn::http1::SendRequest;
use serde_json::Value;
use tokio::net::TcpStream;

/// The release binary next to this example (`target/release/examples/NAME` → `target/release/posd`).
pub fn posd_binary() -> PathBuf {
    let me = std::env::current_exe().expect("own path");
    let dir = me.parent().and_then(Path::parent).expect("target/release");
    let bin = dir.join("posd");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build --release` first",
        bin.display()
    );
    bin
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Posd {
    pub child: Child,
    pub addr: SocketAddr,
    pub started_in: Duration,
}

impl Posd {
    /// Spawn `posd serve --demo` on `dir` and wait until the port accepts.
    pub fn start(dir: &Path, extra: &[&str]) -> Posd {
        let port = free_port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let t0 = Instant::now();
        let mut args = vec![
            "serve".to_string(),
            "--demo".into(),
            "--data-dir".into(),
            dir.display().to_string(),
            "--listen".into(),
            addr.to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let child = Command::new(posd_binary())
            .args(&args)
            .env("POSD_LOG", "warn")
            // As systemd/posd.service runs it.
            .env("MALLOC_ARENA_MAX", "2")
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn posd");
        loop {
            if std::net::TcpStream::connect(addr).is_ok() {
                break;
            }
            assert!(t0.elapsed() < Duration::from_secs(30), "posd did not start");
            std::thread::sleep(Duration::from_micros(200));
        }
        Posd {
            child,
            addr,
            started_in: t0.elapsed(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// (VmRSS, VmHWM) in KiB.
    pub fn rss_kib(&self) -> (u64, u64) {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        let get = |k: &str| {
            s.lines()
                .find(|l| l.starts_with(k))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        (get("VmRSS:"), get("VmHWM:"))
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn term(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Posd {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One keep-alive connection.
pub struct Conn {
    addr: SocketAddr,
    send: Option<SendRequest<Full<Bytes>>>,
    pub token: Option<String>,
}

pub struct Reply {
    pub status: u16,
    pub json: Value,
}

impl Conn {
    pub fn new(addr: SocketAddr) -> Conn {
        Conn {
            addr,
            send: None,
            token: None,
        }
    }

    async fn sender(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, String> {
        let dead = match &self.send {
            Some(s) => s.is_closed(),
            None => true,
        };
        if dead {
            let stream = TcpStream::connect(self.addr)
                .await
                .map_err(|e| e.to_string())?;
            stream.set_nodelay(true).ok();
            let (send, conn) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                    .await
                    .map_err(|e| e.to_string())?;
            tokio::spawn(conn);
            self.send = Some(send);
        }
        Ok(self.send.as_mut().expect("just set"))
    }

    pub async fn call(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Result<Reply, String> {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "posd");
        if let Some(t) = &self.token {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let bytes = match body {
            Some(v) => {
                b = b.header("content-type", "application/json");
                Bytes::from(serde_json::to_vec(v).unwrap())
            }
            None => Bytes::new(),
        };
        let req = b.body(Full::new(bytes)).unwrap();
        let s = self.sender().await?;
        s.ready().await.map_err(|e| e.to_string())?;
        let resp = s.send_request(req).await.map_err(|e| {
            self.send = None;
            e.to_string()
        })?;
        let status = resp.status().as_u16();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok(Reply {
            status,
            json: serde_json::from_slice(&body).unwrap_or(Value::Null),
        })
    }

    pub async fn login(&mut self, user: &str, pin: &str) -> Result<(), String> {
        let r = self
            .call(
                "POST",
                "/api/auth/login",
                Some(&serde_json::json!({"username": user, "pin": pin})),
                &[],
            )
            .await?;
        if r.status != 200 {
            return Err(format!("login {user}: {} {}", r.status, r.json));
        }
        self.token = r.json["access_token"].as_str().map(str::to_string);
        Ok(())
    }
}

/// Latency samples in microseconds.
#[derive(Default, Clone)]
pub struct Samples(pub Vec<u64>);

impl Samples {
    pub fn add(&mut self, d: Duration) {
        self.0.push(d.as_micros() as u64);
    }
    pub fn pct(&self, p: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        let mut v = self.0.clone();
        v.sort_unstable();
        let i = ((v.len() as f64 - 1.0) * p).round() as usize;
        v[i] as f64 / 1000.0
    }
    pub fn line(&self, name: &str) -> String {
        format!(
            "{name:<28} n={:<7} p50={:>7.2} ms  p99={:>7.2} ms  max={:>7.2} ms",
            self.0.len(),
            self.pct(0.5),
            self.pct(0.99),
            self.pct(1.0)
        )
    }
}
