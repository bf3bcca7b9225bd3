//! A Server-Sent Events reader over a real connection, for the live-stream tests.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper::body::Incoming;
use tokio::net::TcpStream;

pub struct Sse {
    body: Incoming,
    buf: String,
    pub status: u16,
}

#[derive(Debug, Clone)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: String,
    pub data: serde_json::Value,
}

impl Sse {
    pub async fn connect(addr: std::net::SocketAddr, token: &str, last_id: Option<&str>) -> Sse {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut send, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .unwrap();
        tokio::spawn(conn);
        let mut b = Request::get("/api/events")
            .header("host", "posd")
            .header("authorization", format!("Bearer {token}"));
        if let Some(l) = last_id {
            b = b.header("last-event-id", l);
        }
        let resp = send
            .send_request(b.body(Empty::<Bytes>::new()).unwrap())
            .await
            .unwrap();
        let status = resp.status().as_u16();
        Sse {
            body: resp.into_body(),
            buf: String::new(),
            status,
        }
    }

    /// The next event (comments and heartbeats skipped), or `None` after `wait`.
    pub async fn next(&mut self, wait: Duration) -> Option<SseEvent> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let (mut id, mut event, mut data) = (None, String::from("message"), String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id: ") {
                        id = Some(v.to_string());
                    } else if let Some(v) = line.strip_prefix("event: ") {
                        event = v.to_string();
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data.push_str(v);
                    }
                }
                if data.is_empty() {
                    continue;
                }
                return Some(SseEvent {
                    id,
                    event,
                    data: serde_json::from_str(&data).unwrap_or_default(),
                });
            }
            let frame = tokio::time::timeout_at(deadline, self.body.frame())
                .await
                .ok()??
                .ok()?;
            if let Ok(d) = frame.into_data() {
                self.buf.push_str(&String::from_utf8_lossy(&d));
            }
        }
    }

    /// Collect events until `wait` passes with none.
    pub async fn drain(&mut self, wait: Duration) -> Vec<SseEvent> {
        let mut v = Vec::new();
        while let Some(e) = self.next(wait).await {
            v.push(e);
        }
        v
    }
}
