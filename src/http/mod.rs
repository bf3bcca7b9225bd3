//! The HTTP side: the only part of posd that knows hyper and JSON.
//!
//! `server` accepts connections; `dispatch` turns each request into a route lookup,
//! authentication, role check and a handler call on its own task (a panicking handler becomes
//! a 500, never a dead connection task or daemon); `handlers` translate JSON to `service`
//! calls; `views` render domain values; `io` holds body limits and the error shape.

pub mod handlers;
pub mod io;
pub mod router;
pub mod server;
pub mod static_files;
pub mod views;

use std::net::IpAddr;
use std::sync::Arc;

use http::Request;
use hyper::body::Incoming;
use tokio::sync::watch;

use crate::app::App;
use crate::error::{Error, Kind, Result};
use io::{Req, Resp, error_response};
use router::{Access, Route, Router};

pub async fn dispatch(
    app: App,
    router: Arc<Router>,
    req: Request<Incoming>,
    peer: IpAddr,
    stop: watch::Receiver<bool>,
) -> Resp {
    let (parts, body) = req.into_parts();
    let mut r = Req::new(parts, body, peer, app.config.http.max_body);
    // Everything outside /api/ is the embedded web apps (see `static_files`).
    if static_files::is_static_path(&r.path) {
        return static_files::serve(&r);
    }
    r.stop = Some(stop);
    let started = std::time::Instant::now();
    let what = format!("{} {}", r.method, r.path);
    // RFC 9110: a 405 names the methods the resource does accept.
    let mut allow = None;
    let out = match router.find(&r.method, &r.path) {
        Ok((route, params)) => {
            r.params = params;
            run(app.clone(), route, r).await
        }
        Err(e) => {
            if e.kind == Kind::MethodNotAllowed {
                allow = router.allow(&r.path);
            }
            Err(e)
        }
    };
    match out {
        Ok(resp) => resp,
        Err(e) => {
            // Priorities: a bug is an error; a refused write (drive gone, disk low) a warning,
            // its cause is logged once at error level by the drive watch; a client mistake
            // (4xx) is routine and only visible at debug level.
            let ms = started.elapsed().as_millis() as u64;
            match e.kind {
                Kind::Internal => {
                    tracing::error!(
                        CODE = e.code,
                        elapsed_ms = ms,
                        "{what} failed: {}",
                        e.detail
                    )
                }
                Kind::StorageUnavailable => {
                    tracing::warn!(
                        CODE = e.code,
                        elapsed_ms = ms,
                        "{what} refused: {}",
                        e.detail
                    )
                }
                _ => tracing::debug!(CODE = e.code, "{what} rejected: {}", e.detail),
            }
            let mut resp = error_response(&e, app.now());
            if let Some(v) = allow.and_then(|a| a.parse().ok()) {
                resp.headers_mut().insert(http::header::ALLOW, v);
            }
            resp
        }
    }
}

/// The session token: `Authorization: Bearer <token>`, or, for the event stream ONLY, an
/// `access_token` query parameter, because a browser's `EventSource` cannot send headers.
/// The header wins when both are present. Tokens in URLs are never logged by posd.
fn bearer(r: &Req) -> Option<String> {
    let from_header = r.header("authorization").and_then(|h| {
        let (scheme, token) = h.split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_string())
    });
    let from_query = || {
        if !matches!(r.path.as_str(), "/api/events" | "/api/events/") {
            return None;
        }
        serde_urlencoded::from_str::<Vec<(String, String)>>(r.query.as_deref()?)
            .ok()?
            .into_iter()
            .find(|(k, _)| k == "access_token")
            .map(|(_, v)| v)
    };
    from_header
        .or_else(from_query)
        .filter(|t| !t.is_empty() && t.len() < 200)
}

async fn run(app: App, route: &Route, mut r: Req) -> Result<Resp> {
    // The license verdict is taken once, here, before anything else: an admitted request
    // runs to its end even if a lock arrives meanwhile (seed 000: 402/423 on every endpoint
    // but the exempt ones; paths outside /api are the static UI and always pass).
    if !route.license_exempt && r.path.starts_with("/api/") {
        crate::service::license::gate(&app)?;
    }
    if route.access != Access::Public {
        let token = bearer(&r).ok_or_else(|| {
            Error::unauthorized(
                "not_logged_in",
                "log in first (Authorization: Bearer <token>)",
            )
        })?;
        let actor = crate::service::staff::authenticate(&app, &token).await?;
        let allowed = match route.access {
            Access::Public | Access::Auth => true,
            Access::Manager => actor.is_manager(),
            Access::Sysadmin => actor.role() == crate::domain::staff::Role::Sysadmin,
        };
        if !allowed {
            return Err(Error::forbidden(match route.access {
                Access::Sysadmin => "only the sysadmin may do this",
                _ => "only a manager may do this",
            }));
        }
        r.actor = Some(actor);
        r.token = Some(token);
    }
    let fut = (route.handler)(app, r);
    match tokio::spawn(fut).await {
        Ok(out) => out,
        Err(e) => {
            tracing::error!(error = %e, "a request handler panicked");
            Err(Error::internal(
                "the request failed unexpectedly; it was not applied",
            ))
        }
    }
}
