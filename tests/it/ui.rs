//! The embedded web apps over real HTTP: shells, build URLs, gzip negotiation, ETag/304,
//! content types, caching and security headers, 404/405, and the event stream's
//! `?access_token=` (EventSource cannot send an Authorization header).

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use std::io::Read;

use crate::support::{Daemon, Resp};

async fn get(d: &Daemon, path: &str, headers: &[(&str, &str)]) -> Resp {
    method(d, "GET", path, headers).await
}

async fn method(d: &Daemon, m: &str, path: &str, headers: &[(&str, &str)]) -> Resp {
    let mut b = Request::builder()
        .method(m)
        .uri(path)
        .header("host", "posd");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    d.raw(b.body(Full::new(Bytes::new())).unwrap())
        .await
        .unwrap()
}

fn header<'a>(r: &'a Resp, name: &str) -> &'a str {
    r.headers
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or_else(|| panic!("no {name} header in {:?}", r.headers))
}

fn gunzip(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(b)
        .read_to_end(&mut out)
        .expect("a valid gzip body");
    out
}

/// The waiter app opens at `/` and the dashboard at `/manager/`; both shells name this build's
/// asset URLs and must be revalidated, so a new posd is picked up at once.
#[tokio::test]
async fn shells_are_served_with_revalidation_and_security_headers() {
    let d = Daemon::start().await;
    for (path, marker) in [("/", "waiter/app.js"), ("/manager/", "manager/app.js")] {
        let r = get(&d, path, &[]).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(header(&r, "content-type"), "text/html; charset=utf-8");
        assert_eq!(header(&r, "cache-control"), "no-cache");
        assert_eq!(header(&r, "x-content-type-options"), "nosniff");
        let csp = header(&r, "content-security-policy");
        assert!(csp.contains("default-src 'self'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        let html = String::from_utf8(r.body.to_vec()).unwrap();
        let url = format!("/a/{}/{marker}", posd::ui::BUILD_ID);
        assert!(html.contains(&url), "{path} does not load {url}");
    }
    let r = get(&d, "/manager", &[]).await;
    assert_eq!(r.status, 308);
    assert_eq!(header(&r, "location"), "/manager/");
}

/// Build URLs are content-addressed: cached for a year; the same file under an older build id
/// is still served (an old cached shell keeps working) but must be revalidated.
#[tokio::test]
async fn build_assets_are_immutable_and_have_their_content_types() {
    let d = Daemon::start().await;
    let b = posd::ui::BUILD_ID;
    for (file, ctype) in [
        ("waiter/app.js", "text/javascript; charset=utf-8"),
        ("shared/base.css", "text/css; charset=utf-8"),
        ("shared/icon.svg", "image/svg+xml"),
        ("waiter/icon-192.png", "image/png"),
    ] {
        let r = get(&d, &format!("/a/{b}/{file}"), &[]).await;
        assert_eq!(r.status, 200, "{file}");
        assert_eq!(header(&r, "content-type"), ctype, "{file}");
        assert_eq!(
            header(&r, "cache-control"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(r.body.as_ref(), posd::ui::asset(file).unwrap().raw);
    }
    let r = get(&d, "/manifest.webmanifest", &[]).await;
    assert_eq!(header(&r, "content-type"), "application/manifest+json");
    assert!(r.json["icons"][0]["src"].as_str().unwrap().contains(b));
    let r = get(&d, "/sw.js", &[]).await;
    assert_eq!(header(&r, "content-type"), "text/javascript; charset=utf-8");
    assert_eq!(header(&r, "cache-control"), "no-cache");
    let r = get(&d, "/a/0123456789ab/waiter/app.js", &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(header(&r, "cache-control"), "no-cache");
}

/// Phones get gzip when they ask for it (the first load budget depends on it); clients that
/// do not, or refuse it with q=0, get the plain bytes. Already-compressed PNGs go as they are.
#[tokio::test]
async fn gzip_is_sent_only_to_clients_that_accept_it() {
    let d = Daemon::start().await;
    let path = format!("/a/{}/waiter/order.js", posd::ui::BUILD_ID);
    let raw = posd::ui::asset("waiter/order.js").unwrap().raw;

    let r = get(&d, &path, &[("accept-encoding", "gzip, deflate, br")]).await;
    assert_eq!(header(&r, "content-encoding"), "gzip");
    assert_eq!(header(&r, "vary"), "Accept-Encoding");
    assert!(r.body.len() < raw.len() / 2, "gzip did not shrink the file");
    assert_eq!(gunzip(&r.body), raw);

    for refuse in [None, Some("identity"), Some("gzip;q=0")] {
        let h: Vec<(&str, &str)> = refuse.map(|v| ("accept-encoding", v)).into_iter().collect();
        let r = get(&d, &path, &h).await;
        assert!(r.headers.get("content-encoding").is_none(), "{refuse:?}");
        assert_eq!(r.body.as_ref(), raw, "{refuse:?}");
    }

    let png = format!("/a/{}/waiter/icon-512.png", posd::ui::BUILD_ID);
    let r = get(&d, &png, &[("accept-encoding", "gzip")]).await;
    assert!(r.headers.get("content-encoding").is_none());
    assert_eq!(&r.body[..4], b"\x89PNG");
}

/// A phone revalidating its cached copy gets an empty 304 when nothing changed, and the file
/// again when its ETag is stale.
#[tokio::test]
async fn etag_revalidation_answers_304() {
    let d = Daemon::start().await;
    let first = get(&d, "/", &[("accept-encoding", "gzip")]).await;
    let etag = header(&first, "etag").to_string();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");

    let r = get(&d, "/", &[("if-none-match", &etag)]).await;
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());
    assert_eq!(header(&r, "etag"), etag);
    assert_eq!(header(&r, "cache-control"), "no-cache");

    let weak = format!("\"x\", W/{etag}");
    assert_eq!(get(&d, "/", &[("if-none-match", &weak)]).await.status, 304);

    let r = get(&d, "/", &[("if-none-match", "\"stale\"")]).await;
    assert_eq!(r.status, 200);
    assert!(!r.body.is_empty());
}

/// Unknown pages are a plain 404 (the apps use #hash routes, so there is no SPA fallback to
/// hide typos); only GET and HEAD reach the static files; /api paths never do.
#[tokio::test]
async fn unknown_paths_404_and_other_methods_405() {
    let d = Daemon::start().await;
    for p in [
        "/nope",
        "/waiter/app.js",
        "/a/",
        "/a/x",
        "/a/x/../Cargo.toml",
        "/manager/x",
    ] {
        let r = get(&d, p, &[]).await;
        assert_eq!(r.status, 404, "{p}");
        assert_eq!(header(&r, "x-content-type-options"), "nosniff");
    }
    let r = method(&d, "POST", "/", &[]).await;
    assert_eq!(r.status, 405);
    assert_eq!(header(&r, "allow"), "GET, HEAD");

    let r = method(&d, "HEAD", "/", &[]).await;
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    let len: usize = header(&r, "content-length").parse().unwrap();
    assert_eq!(len, posd::ui::asset("waiter/index.html").unwrap().raw.len());

    // The API keeps its own JSON errors.
    let r = get(&d, "/api/nope", &[]).await;
    r.expect(404, "no_such_endpoint");
}

/// EventSource cannot send headers: the token may come as ?access_token=, on /api/events only.
#[tokio::test]
async fn the_event_stream_accepts_a_token_in_the_query_and_nothing_else_does() {
    let d = Daemon::start().await;
    let w = d.waiter(1).await;

    let req = Request::builder()
        .uri(format!("/api/events?access_token={}", w.token))
        .header("host", "posd")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let stream = tokio::net::TcpStream::connect(d.addr).await.unwrap();
    let (mut send, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    let resp = send.send_request(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut body = resp.into_body();
    let first = tokio::time::timeout(std::time::Duration::from_secs(5), body.frame())
        .await
        .expect("the stream says hello at once")
        .unwrap()
        .unwrap();
    let text = String::from_utf8(first.into_data().unwrap().to_vec()).unwrap();
    assert!(text.contains("connected"), "{text}");

    let r = get(&d, "/api/events?access_token=wrong", &[]).await;
    r.expect(401, "session_invalid");
    let r = get(&d, &format!("/api/orders/my?access_token={}", w.token), &[]).await;
    r.expect(401, "not_logged_in");
    let r = get(&d, &format!("/api/auth/me?access_token={}", w.token), &[]).await;
    r.expect(401, "not_logged_in");
}
