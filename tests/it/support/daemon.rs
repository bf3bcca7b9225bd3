//! Start the real daemon on 127.0.0.1:0 with a temp data folder, a manual clock and fast PIN
//! hashing, and talk to it over real HTTP.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use jiff::{SignedDuration, Timestamp};
use posd::auth::PinHasher;
use posd::clock::{ManualClock, SeededRandom};
use posd::config::Config;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::sync::oneshot;

pub const PIN: &str = "1234";

pub struct Daemon {
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    pub clock: Arc<ManualClock>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), posd::RunError>>>,
}

/// A response: status and JSON body (Null when empty or not JSON), plus raw bytes.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub json: Value,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl Resp {
    #[track_caller]
    pub fn ok(&self) -> &Value {
        assert!(
            (200..300).contains(&self.status),
            "expected 2xx, got {}: {}",
            self.status,
            self.json
        );
        &self.json
    }
    #[track_caller]
    pub fn expect(&self, status: u16, code: &str) -> &Value {
        assert_eq!(self.status, status, "body: {}", self.json);
        assert_eq!(self.json["code"], code, "body: {}", self.json);
        assert!(
            self.json["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "error without detail: {}",
            self.json
        );
        assert!(
            self.json["timestamp"].is_string(),
            "error without timestamp: {}",
            self.json
        );
        &self.json
    }
    pub fn id(&self) -> u64 {
        self.json["id"]
            .as_u64()
            .unwrap_or_else(|| panic!("no id in {}", self.json))
    }
}

pub fn start_time() -> Timestamp {
    "2026-11-21T18:00:00Z".parse().unwrap()
}

impl Daemon {
    /// The demo restaurant, clock at 2026-11-21 18:00 UTC.
    pub async fn start() -> Daemon {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(f: impl FnOnce(&mut Config)) -> Daemon {
        let dir = tempfile::tempdir().unwrap();
        Self::start_in(dir, f).await
    }

    pub async fn start_in(dir: tempfile::TempDir, f: impl FnOnce(&mut Config)) -> Daemon {
        Self::start_custom(dir, f, PinHasher::fast_for_tests()).await
    }

    /// Start (or restart) on `dir` with `hasher`.
    pub async fn start_in_with_hasher(dir: tempfile::TempDir, hasher: PinHasher) -> Daemon {
        Self::start_custom(dir, |_| {}, hasher).await
    }

    /// The demo restaurant with the production PIN hasher (timing tests).
    pub async fn start_with_hasher(hasher: PinHasher) -> Daemon {
        Self::start_custom(tempfile::tempdir().unwrap(), |_| {}, hasher).await
    }

    async fn start_custom(
        dir: tempfile::TempDir,
        f: impl FnOnce(&mut Config),
        hasher: PinHasher,
    ) -> Daemon {
        let mut config = Config::for_dir(dir.path());
        config.demo = true;
        f(&mut config);
        let clock = Arc::new(ManualClock::new(start_time()));
        let parts = posd::Parts {
            clock: clock.clone(),
            rng: Arc::new(SeededRandom::new(42)),
            hasher,
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(posd::run(
            config,
            listener,
            async move {
                let _ = rx.await;
            },
            parts,
        ));
        let mut d = Daemon {
            addr,
            dir,
            clock,
            stop: Some(tx),
            task: Some(task),
        };
        d.wait_ready().await;
        d
    }

    async fn wait_ready(&mut self) {
        for _ in 0..200 {
            if self.task.as_ref().is_some_and(|t| t.is_finished()) {
                let r = self.task.take().unwrap().await;
                panic!("the daemon stopped while starting: {r:?}");
            }
            if let Ok(r) = self.try_req("GET", "/api/system/health", None, None).await
                && r.status == 200
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("daemon did not become ready");
    }

    /// Stop gracefully and hand back the data folder (for restart tests).
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self.dir, dir)
    }

    pub fn advance(&self, d: SignedDuration) {
        self.clock.advance(d);
    }

    pub async fn try_req(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Result<Resp, String> {
        call(self.addr, method, path, token, body).await
    }

    /// Send a fully built request.
    pub async fn raw(&self, req: Request<Full<Bytes>>) -> Result<Resp, String> {
        send(self.addr, req).await
    }

    pub async fn req(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        self.try_req(method, path, token, body).await.unwrap()
    }

    pub async fn login(&self, user: &str, pin: &str) -> Client<'_> {
        let r = self
            .req(
                "POST",
                "/api/auth/login",
                None,
                Some(serde_json::json!({"username": user, "pin": pin})),
            )
            .await;
        let token = r.ok()["access_token"].as_str().unwrap().to_string();
        Client { d: self, token }
    }

    pub async fn waiter(&self, n: u32) -> Client<'_> {
        self.login(&format!("waiter{n:02}"), PIN).await
    }

    pub async fn manager(&self) -> Client<'_> {
        self.login("manager", PIN).await
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// A logged-in user.
pub struct Client<'a> {
    pub d: &'a Daemon,
    pub token: String,
}

impl Client<'_> {
    pub async fn get(&self, path: &str) -> Resp {
        self.d.req("GET", path, Some(&self.token), None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.d
            .req("POST", path, Some(&self.token), Some(body))
            .await
    }
    pub async fn put(&self, path: &str, body: Value) -> Resp {
        self.d.req("PUT", path, Some(&self.token), Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> Resp {
        self.d.req("DELETE", path, Some(&self.token), None).await
    }
    pub async fn post_empty(&self, path: &str) -> Resp {
        self.d.req("POST", path, Some(&self.token), None).await
    }

    /// Open an order on the table with this number; returns the order id.
    pub async fn open_table(&self, number: u32) -> u64 {
        let tables = self.get("/api/tables/").await;
        let id = tables
            .ok()
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["number"] == number)
            .unwrap()["id"]
            .as_u64()
            .unwrap();
        self.post("/api/orders/", serde_json::json!({"table_id": id}))
            .await
            .id()
    }

    /// The id of the demo product with this name.
    pub async fn product(&self, name: &str) -> Value {
        let p = self.get("/api/products/").await;
        p.ok()
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no product {name}"))
            .clone()
    }
}

/// One request on a fresh connection to any posd.
pub async fn send(addr: SocketAddr, req: Request<Full<Bytes>>) -> Result<Resp, String> {
    let stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let io = hyper_util::rt::TokioIo::new(stream);
    let (mut send, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let resp = send.send_request(req).await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
    Ok(Resp {
        status,
        json,
        headers,
        body,
    })
}

/// A JSON request to any posd.
pub async fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Result<Resp, String> {
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "posd");
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    let bytes = match body {
        Some(v) => {
            b = b.header("content-type", "application/json");
            Bytes::from(serde_json::to_vec(&v).unwrap())
        }
        None => Bytes::new(),
    };
    send(addr, b.body(Full::new(bytes)).unwrap()).await
}
