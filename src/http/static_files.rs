//! Serving the embedded web apps (`crate::ui`) for every path outside `/api/`.
//!
//! GET and HEAD only (405 otherwise). Content negotiation: gzip bytes when the client accepts
//! gzip, `Vary: Accept-Encoding` always. Caching: a strong ETag per asset with
//! `If-None-Match` → 304; immutable build URLs are cached for a year, shells and the service
//! worker are revalidated. Every response carries the security headers (nosniff, a CSP that
//! allows only this origin, no framing, no referrer). Invariant: serving never touches the
//! store or the license state, so the login page loads even when everything else is refused.

use bytes::Bytes;
use http::{HeaderValue, Method, Response, StatusCode, header};

use super::io::{Req, Resp, full};
use crate::ui::{self, Caching, Lookup};

/// Only this origin: scripts, styles, images (and data: URLs for generated images), fetch and
/// the event stream; nothing may frame the apps.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; manifest-src 'self'; \
     worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// Is this request for the static apps (and not the API)?
pub fn is_static_path(path: &str) -> bool {
    !(path == "/api" || path.starts_with("/api/"))
}

fn security_headers(r: &mut Resp) {
    let h = r.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

fn plain(status: StatusCode, text: &'static str) -> Resp {
    let mut r = Response::new(full(Bytes::from_static(text.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    security_headers(&mut r);
    r
}

/// Does an `Accept-Encoding` value allow gzip (and not with q=0)?
pub fn accepts_gzip(value: &str) -> bool {
    value.split(',').any(|part| {
        let mut it = part.split(';');
        let coding = it.next().unwrap_or("").trim();
        if !(coding.eq_ignore_ascii_case("gzip") || coding == "*") {
            return false;
        }
        !it.any(|p| {
            let p = p.trim();
            p.strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        })
    })
}

/// Does `If-None-Match` name this ETag (or `*`)?
fn etag_matches(value: &str, etag: &str) -> bool {
    value.split(',').any(|t| {
        let t = t.trim();
        t == "*" || t == etag || t.strip_prefix("W/") == Some(etag)
    })
}

/// Serve a static request. Never fails: unknown paths get a plain 404.
pub fn serve(r: &Req) -> Resp {
    if r.method != Method::GET && r.method != Method::HEAD {
        let mut resp = plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "405 this page only answers GET and HEAD\n",
        );
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return resp;
    }
    let (asset, caching) = match ui::lookup(&r.path) {
        Lookup::Asset(a, c) => (a, c),
        Lookup::Redirect(to) => {
            let mut resp = plain(StatusCode::PERMANENT_REDIRECT, "moved\n");
            resp.headers_mut()
                .insert(header::LOCATION, HeaderValue::from_static(to));
            return resp;
        }
        Lookup::NotFound => {
            return plain(
                StatusCode::NOT_FOUND,
                "404 there is no such page on posd; the waiter app is at / and the manager \
                 dashboard at /manager/\n",
            );
        }
    };
    let gzip = !asset.gzip.is_empty() && r.header("accept-encoding").is_some_and(accepts_gzip);
    let not_modified = r
        .header("if-none-match")
        .is_some_and(|v| etag_matches(v, asset.etag));
    let body: &'static [u8] = if gzip { asset.gzip } else { asset.raw };
    let mut resp = if not_modified {
        let mut x = Response::new(full(Bytes::new()));
        *x.status_mut() = StatusCode::NOT_MODIFIED;
        x
    } else if r.method == Method::HEAD {
        let mut x = Response::new(full(Bytes::new()));
        x.headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
        x
    } else {
        Response::new(full(Bytes::from_static(body)))
    };
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    h.insert(header::ETAG, HeaderValue::from_static(asset.etag));
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if gzip && !not_modified {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(match caching {
            Caching::Immutable => "public, max-age=31536000, immutable",
            Caching::Revalidate => "no-cache",
        }),
    );
    security_headers(&mut resp);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_negotiation_reads_q_values() {
        assert!(accepts_gzip("gzip, deflate, br"));
        assert!(accepts_gzip("br;q=1.0, GZIP;q=0.5"));
        assert!(accepts_gzip("*"));
        assert!(!accepts_gzip("gzip;q=0"));
        assert!(!accepts_gzip("identity"));
        assert!(!accepts_gzip("br, deflate"));
    }

    #[test]
    fn etags_match_lists_weak_forms_and_star() {
        assert!(etag_matches("\"a\", \"b\"", "\"b\""));
        assert!(etag_matches("W/\"b\"", "\"b\""));
        assert!(etag_matches("*", "\"b\""));
        assert!(!etag_matches("\"c\"", "\"b\""));
    }

    #[test]
    fn only_api_paths_skip_the_static_handler() {
        assert!(!is_static_path("/api/orders"));
        assert!(!is_static_path("/api"));
        assert!(is_static_path("/apiary"));
        assert!(is_static_path("/"));
        assert!(is_static_path("/manager/"));
    }
}
