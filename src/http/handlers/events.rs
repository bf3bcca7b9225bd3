//! `GET /api/events`: the live Server-Sent Events stream, scoped by role.
//!
//! One small forwarding task per subscriber, parked on the broadcast channel; a comment line
//! every [`HEARTBEAT`] keeps NAT and phones' Wi-Fi from dropping the connection. A waiter
//! receives events of orders they work on or assist, and everything not tied to an order.
//! Clients resume with `Last-Event-ID`; when that is impossible they get a `resync` event.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Response, header};
use http_body_util::BodyExt;
use hyper::body::Frame;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use crate::app::App;
use crate::error::Result;
use crate::events::{Change, Event, Resume};
use crate::http::io::{Req, Resp};
use crate::http::router::Route;
use crate::route;

pub const HEARTBEAT: Duration = Duration::from_secs(20);

pub fn routes() -> Vec<Route> {
    vec![route!(GET "/api/events", Auth, stream)]
}

struct SseBody {
    rx: mpsc::Receiver<Bytes>,
}

impl hyper::body::Body for SseBody {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Frame<Bytes>, Infallible>>> {
        self.rx.poll_recv(cx).map(|o| o.map(|b| Ok(Frame::data(b))))
    }
}

pub fn payload(c: &Change) -> Value {
    let mut v = match c {
        Change::Order {
            order_id,
            table_id,
            status,
            waiters,
            number,
        } => {
            json!({"order_id": order_id, "table_id": table_id, "status": status, "waiters": waiters, "number": number})
        }
        Change::Items {
            order_id,
            table_id,
            item_ids,
            waiters,
        } => {
            json!({"order_id": order_id, "table_id": table_id, "item_ids": item_ids, "waiters": waiters})
        }
        Change::Payment {
            order_id,
            table_id,
            payment_id,
            waiters,
        } => {
            json!({"order_id": order_id, "table_id": table_id, "payment_id": payment_id, "waiters": waiters})
        }
        Change::Table { table_id } => json!({"table_id": table_id}),
        Change::Floor | Change::Menu | Change::Staff => json!({}),
        Change::Printer {
            printer_id,
            state,
            queued,
        } => json!({"printer_id": printer_id, "state": state, "queued": queued}),
        Change::License { state } => json!({"state": state}),
    };
    v["type"] = json!(c.kind());
    v
}

fn frame(app: &App, e: &Event) -> Bytes {
    Bytes::from(format!(
        "id: {}\nevent: {}\ndata: {}\n\n",
        app.events.id_of(e),
        e.change.kind(),
        payload(&e.change)
    ))
}

async fn stream(app: App, r: Req) -> Result<Resp> {
    let actor = r.actor()?.clone();
    let last = r.header("last-event-id").map(str::to_string);
    let (mut live, resume) = app.events.subscribe(last.as_deref());
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let mut stop = r.stop.clone();
    let visible = move |c: &Change| match c.audience() {
        None => true,
        Some(_) if actor.is_manager() => true,
        Some(w) => w.contains(&actor.id()) || w.iter().any(|x| actor.assists.contains(x)),
    };
    let app2 = app.clone();
    tokio::spawn(async move {
        let hello = Bytes::from_static(b"retry: 2000\n: connected to posd\n\n");
        if tx.send(hello).await.is_err() {
            return;
        }
        match resume {
            Resume::Resync => {
                let b = Bytes::from("event: resync\ndata: {\"type\":\"resync\"}\n\n");
                if tx.send(b).await.is_err() {
                    return;
                }
            }
            Resume::Replay(evs) => {
                for e in evs.iter().filter(|e| visible(&e.change)) {
                    if tx.send(frame(&app2, e)).await.is_err() {
                        return;
                    }
                }
            }
        }
        loop {
            let next = tokio::select! {
                e = live.recv() => e,
                _ = tokio::time::sleep(HEARTBEAT) => {
                    if tx.send(Bytes::from_static(b": keep-alive\n\n")).await.is_err() { return; }
                    continue;
                }
                _ = async { match stop.as_mut() { Some(s) => { let _ = s.wait_for(|v| *v).await; } None => std::future::pending().await } } => return,
            };
            let msg = match next {
                Ok(e) if visible(&e.change) => frame(&app2, &e),
                Ok(_) => continue,
                // This client fell more than the channel's capacity behind: make it refetch.
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    Bytes::from("event: resync\ndata: {\"type\":\"resync\"}\n\n")
                }
                Err(broadcast::error::RecvError::Closed) => return,
            };
            if tx.send(msg).await.is_err() {
                return;
            }
        }
    });
    let mut resp = Response::new(SseBody { rx }.boxed());
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(resp)
}
