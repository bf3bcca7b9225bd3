//! The accept loop: connection cap, timeouts, graceful shutdown.
//!
//! Limits that keep one bad client from hurting the others: at most `max_connections` open
//! connections (further clients wait in the kernel's backlog); request heads must arrive
//! within `header_timeout` (which also closes idle keep-alive connections); a connection on
//! which no byte moves for `idle_timeout` is dropped (slow-body attacks, dead phones); heads
//! larger than `max_header` get 431 from hyper, bodies larger than `max_body` get 413.
//! On shutdown the listener closes at once, live SSE streams end, and in-flight requests get
//! up to [`DRAIN`] to finish.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};

use super::router::Router;
use crate::app::App;

/// How long in-flight requests may take to finish after SIGTERM.
pub const DRAIN: Duration = Duration::from_secs(10);

pub async fn serve(
    app: App,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
    stopping: watch::Sender<bool>,
) {
    let router = Arc::new(Router::new(super::handlers::routes()));
    let limits = app.config.http.clone();
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            _ = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning; never exit.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let activity = Arc::new(AtomicU64::new(0));
        let born = Instant::now();
        let io = TokioIo::new(IdleIo {
            inner: stream,
            born,
            last: activity.clone(),
        });
        let app2 = app.clone();
        let router2 = router.clone();
        let stop_rx = stopping.subscribe();
        let svc = service_fn(move |req| {
            let app = app2.clone();
            let router = router2.clone();
            let stop = stop_rx.clone();
            async move {
                Ok::<_, std::convert::Infallible>(
                    super::dispatch(app, router, req, peer.ip(), stop).await,
                )
            }
        });
        let conn = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .max_buf_size(limits.max_header.max(8192))
            .keep_alive(true)
            .serve_connection(io, svc);
        let conn = graceful.watch(conn);
        let idle = limits.idle_timeout;
        let app3 = app.clone();
        app3.connections.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            tokio::pin!(conn);
            loop {
                let since = Duration::from_millis(activity.load(Ordering::Relaxed));
                let quiet = born.elapsed().saturating_sub(since);
                if quiet >= idle {
                    tracing::debug!(%peer, "closing an idle connection");
                    break;
                }
                tokio::select! {
                    r = conn.as_mut() => {
                        if let Err(e) = r {
                            tracing::debug!(%peer, error = %e, "connection ended with an error");
                        }
                        break;
                    }
                    _ = tokio::time::sleep(idle - quiet) => {}
                }
            }
            drop(permit);
            app3.connections.fetch_sub(1, Ordering::Relaxed);
        });
    }
    drop(listener);
    let _ = stopping.send(true);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("some requests did not finish within {DRAIN:?}; closing them");
    }
}

/// A TCP stream that notes when a byte last moved (milliseconds since the connection began).
struct IdleIo {
    inner: TcpStream,
    born: Instant,
    last: Arc<AtomicU64>,
}

impl IdleIo {
    fn touch(&self) {
        self.last
            .store(self.born.elapsed().as_millis() as u64, Ordering::Relaxed);
    }
}

impl AsyncRead for IdleIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.touch();
        }
        r
    }
}

impl AsyncWrite for IdleIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        r
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
