//! The real `posd` binary as systemd would run it: a child process with `NOTIFY_SOCKET` (a
//! datagram socket in a temp dir that records every message), `WATCHDOG_USEC`/`WATCHDOG_PID`,
//! a config file, stderr captured; plus a tiny blocking HTTP client and mount helpers.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Every line received on the notify socket, with its arrival time.
#[derive(Clone)]
pub struct Notify {
    pub path: PathBuf,
    lines: Arc<Mutex<Vec<(Instant, String)>>>,
    stop: Arc<AtomicBool>,
}

impl Notify {
    pub fn new(dir: &Path) -> Notify {
        let path = dir.join("notify.sock");
        let sock = UnixDatagram::bind(&path).unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (l2, s2) = (lines.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while !s2.load(Ordering::Relaxed) {
                if let Ok(n) = sock.recv(&mut buf) {
                    let now = Instant::now();
                    let text = String::from_utf8_lossy(&buf[..n]).to_string();
                    let mut g = l2.lock().unwrap();
                    for line in text.lines().filter(|l| !l.is_empty()) {
                        g.push((now, line.to_string()));
                    }
                }
            }
        });
        Notify { path, lines, stop }
    }

    pub fn lines(&self) -> Vec<(Instant, String)> {
        self.lines.lock().unwrap().clone()
    }

    /// When the first line matching `pred` arrived, waiting up to `limit`.
    pub fn wait_for(&self, limit: Duration, pred: impl Fn(&str) -> bool) -> Option<Instant> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some((t, _)) = self.lines().iter().find(|(_, l)| pred(l)) {
                return Some(*t);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    pub fn has(&self, line: &str) -> bool {
        self.lines().iter().any(|(_, l)| l == line)
    }

    pub fn statuses(&self) -> Vec<String> {
        self.lines()
            .into_iter()
            .filter_map(|(_, l)| l.strip_prefix("STATUS=").map(String::from))
            .collect()
    }

    pub fn pings_since(&self, t: Instant) -> usize {
        self.lines()
            .iter()
            .filter(|(at, l)| *at >= t && l == "WATCHDOG=1")
            .count()
    }
}

impl Drop for Notify {
    fn drop(&mut self) {
        if Arc::strong_count(&self.stop) == 1 {
            self.stop.store(true, Ordering::Relaxed);
        }
    }
}

/// A running `posd serve`.
pub struct Posd {
    child: Child,
    pub addr: SocketAddr,
    pub notify: Notify,
    stderr: PathBuf,
}

pub struct Opts<'a> {
    pub config: String,
    pub data_dir: Option<&'a Path>,
    pub watchdog: Option<Duration>,
    pub demo: bool,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_posd")
}

impl Posd {
    /// Start `posd serve` with `o`; `work` holds the notify socket, config and stderr log.
    pub fn spawn(work: &Path, o: Opts<'_>) -> Posd {
        let notify = Notify::new(work);
        let cfg = work.join("posd.toml");
        std::fs::write(&cfg, &o.config).unwrap();
        let port = free_port();
        let stderr = work.join("stderr.log");
        let mut args = vec![
            "--config".to_string(),
            cfg.display().to_string(),
            "serve".into(),
            "--listen".into(),
            format!("127.0.0.1:{port}"),
        ];
        if let Some(d) = o.data_dir {
            args.insert(0, format!("--data-dir={}", d.display()));
        }
        if o.demo {
            args.push("--demo".into());
        }
        // `exec` keeps the shell's pid, so WATCHDOG_PID=$$ names posd itself, as systemd does.
        let mut cmd = Command::new("/bin/sh");
        cmd.arg("-c")
            .arg("WATCHDOG_PID=$$ exec \"$0\" \"$@\"")
            .arg(bin())
            .args(&args)
            .env("NOTIFY_SOCKET", &notify.path)
            .env("POSD_DEBUG_HOOKS", "1")
            .env("POSD_LOG", "info")
            .env_remove("JOURNAL_STREAM")
            .env_remove("WATCHDOG_USEC")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr).unwrap());
        if let Some(w) = o.watchdog {
            cmd.env("WATCHDOG_USEC", w.as_micros().to_string());
        }
        let child = cmd.spawn().unwrap();
        Posd {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            notify,
            stderr,
        }
    }

    /// Still running (not exited)?
    pub fn child_alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    pub fn signal(&self, sig: nix::sys::signal::Signal) {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.pid()), sig).unwrap();
    }

    pub fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "posd did not exit within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Wait for READY=1 (panics with stderr after `limit`).
    pub fn ready(&self, limit: Duration) -> Instant {
        self.notify
            .wait_for(limit, |l| l == "READY=1")
            .unwrap_or_else(|| {
                panic!(
                    "no READY=1 within {limit:?}; notify: {:?}\nstderr:\n{}",
                    self.notify.statuses(),
                    self.stderr()
                )
            })
    }

    pub fn req(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        request(self.addr, method, path, token, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}\nstderr:\n{}", self.stderr()))
    }

    pub fn login(&self, user: &str) -> String {
        let r = self.req(
            "POST",
            "/api/auth/login",
            None,
            Some(serde_json::json!({"username": user, "pin": posd::demo::DEMO_PIN})),
        );
        assert_eq!(r.status, 200, "{}", r.json);
        r.json["access_token"].as_str().unwrap().to_string()
    }

    /// The id of the demo table with this number.
    pub fn table(&self, token: &str, number: u64) -> u64 {
        let r = self.req("GET", "/api/tables/", Some(token), None);
        r.json
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["number"] == number)
            .unwrap()["id"]
            .as_u64()
            .unwrap()
    }
}

impl Drop for Posd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub json: Value,
}

/// One HTTP/1.1 request with `Connection: close`, blocking, 5 s limit.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> std::io::Result<Reply> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: posd\r\nConnection: close\r\n");
    if let Some(t) = token {
        head.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    if !body.is_empty() {
        head.push_str("Content-Type: application/json\r\n");
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    s.write_all(head.as_bytes())?;
    let mut out = Vec::new();
    s.read_to_end(&mut out)?;
    let text = String::from_utf8_lossy(&out);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not HTTP: {text:?}")))?;
    let json = text
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    Ok(Reply { status, json })
}

pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Skip (loudly) unless root: mounts and network namespaces need it.
pub fn need_root(test: &str) -> bool {
    if is_root() {
        return true;
    }
    eprintln!(
        "SKIPPED {test}: needs root for mounts and network namespaces (run the suite as root)"
    );
    false
}

pub fn sh(cmd: &str) -> bool {
    Command::new("/bin/sh")
        .arg("-c")
        .arg(cmd)
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Lazily unmount whatever is at `p` when dropped (tests must not leave mounts behind).
pub struct Unmount(pub PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        for _ in 0..4 {
            if !sh(&format!("mountpoint -q '{}'", self.0.display())) {
                break;
            }
            sh(&format!("umount -l '{}'", self.0.display()));
        }
    }
}

/// A config file for a drive mounted at `mount`.
pub fn drive_config(mount: &Path, extra_storage: &str) -> String {
    format!(
        "[restaurant]\ntimezone = \"UTC\"\n[mdns]\nenabled = false\n[storage]\nmount = \"{}\"\n{extra_storage}\n",
        mount.display()
    )
}

pub const PLAIN_CONFIG: &str = "[restaurant]\ntimezone = \"UTC\"\n[mdns]\nenabled = false\n";
