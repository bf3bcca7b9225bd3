//! Bad input over real HTTP: every mistake a client can make gets a clear JSON 4xx with a
//! stable code, never a 5xx, and never a half-applied change.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{Daemon, PIN, Resp};

/// Send raw bytes as a body with an optional content type.
async fn send(
    d: &Daemon,
    method: &str,
    path: &str,
    token: Option<&str>,
    ctype: Option<&str>,
    body: impl Into<Bytes>,
) -> Resp {
    let mut b = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", "posd");
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    if let Some(c) = ctype {
        b = b.header("content-type", c);
    }
    d.raw(b.body(Full::new(body.into())).unwrap())
        .await
        .unwrap()
}

/// Write a request by hand (for framing the client library would not produce) and read the
/// whole answer; the request must say `Connection: close`.
async fn wire(d: &Daemon, request: &[u8]) -> String {
    let mut s = tokio::net::TcpStream::connect(d.addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// Not JSON is 400 malformed_json; JSON of the wrong shape is 422; no JSON content type 415.
#[tokio::test]
async fn malformed_json_wrong_types_and_missing_content_type() {
    let d = Daemon::start().await;
    let m = d.manager().await;
    let t = Some(m.token.as_str());
    let j = Some("application/json");
    send(&d, "POST", "/api/tables/", t, j, "{\"number\": ")
        .await
        .expect(400, "malformed_json");
    send(&d, "POST", "/api/tables/", t, j, "not json")
        .await
        .expect(400, "malformed_json");
    send(&d, "POST", "/api/tables/", t, j, vec![0xff, 0xfe, b'{'])
        .await
        .expect(400, "malformed_json");
    send(&d, "POST", "/api/tables/", t, j, "")
        .await
        .expect(400, "malformed_json");
    send(&d, "POST", "/api/tables/", t, j, "{\"number\": \"seven\"}")
        .await
        .expect(422, "invalid_field");
    send(&d, "POST", "/api/tables/", t, j, "{\"number\": 7.5}")
        .await
        .expect(422, "invalid_field");
    send(&d, "POST", "/api/tables/", t, j, "[7]")
        .await
        .expect(422, "invalid_field");
    send(&d, "POST", "/api/waiters/", t, j, "{\"username\": \"x1\"}")
        .await
        .expect(422, "invalid_field");
    send(&d, "POST", "/api/tables/", t, None, "{\"number\": 77}")
        .await
        .expect(415, "unsupported_media_type");
    send(
        &d,
        "POST",
        "/api/tables/",
        t,
        Some("text/plain"),
        "{\"number\": 77}",
    )
    .await
    .expect(415, "unsupported_media_type");
    // Content types are matched without regard to case and parameters.
    let r = send(
        &d,
        "POST",
        "/api/tables/",
        t,
        Some("Application/JSON; charset=utf-8"),
        "{\"number\": 77}",
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    // Nothing of the refused requests was written.
    let list = m.get("/api/tables/").await;
    assert_eq!(list.ok().as_array().unwrap().len(), 31);
}

/// Bodies over `http.max_body` are refused with 413 whether or not they announce their
/// length, and the daemon stays healthy.
#[tokio::test]
async fn oversized_bodies_get_413() {
    let d = Daemon::start_with(|c| c.http.max_body = 1024).await;
    let m = d.manager().await;
    let label = "x".repeat(2000);
    let big = json!({"number": 90, "label": label}).to_string();
    send(
        &d,
        "POST",
        "/api/tables/",
        Some(&m.token),
        Some("application/json"),
        big.clone(),
    )
    .await
    .expect(413, "body_too_large");
    // Chunked, no Content-Length: the limit applies while reading.
    let chunk = format!("{:x}\r\n{big}\r\n0\r\n\r\n", big.len());
    let req = format!(
        "POST /api/tables/ HTTP/1.1\r\nhost: posd\r\nauthorization: Bearer {}\r\n\
         content-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n{chunk}",
        m.token
    );
    let out = wire(&d, req.as_bytes()).await;
    assert!(out.starts_with("HTTP/1.1 413"), "{out}");
    assert!(out.contains("body_too_large"), "{out}");
    let list = m.get("/api/tables/").await;
    assert_eq!(list.ok().as_array().unwrap().len(), 30);
}

/// A request head larger than the header limit is answered 431 by hyper itself, and the
/// next client is served normally.
#[tokio::test]
async fn oversized_headers_get_431() {
    let d = Daemon::start().await;
    let req = format!(
        "GET /api/system/health HTTP/1.1\r\nhost: posd\r\nx-junk: {}\r\nconnection: close\r\n\r\n",
        "a".repeat(40 << 10)
    );
    let out = wire(&d, req.as_bytes()).await;
    assert!(
        out.starts_with("HTTP/1.1 431"),
        "{}",
        &out[..out.len().min(200)]
    );
    let r = d.req("GET", "/api/system/health", None, None).await;
    assert_eq!(r.ok()["status"], "healthy");
}

/// Unknown paths are a JSON 404, known paths with the wrong method a JSON 405 that names the
/// methods allowed, and every path works with and without its trailing slash.
#[tokio::test]
async fn unknown_paths_wrong_methods_and_trailing_slashes() {
    let d = Daemon::start().await;
    let m = d.manager().await;
    for p in ["/api/nope", "/api/tables/1/nope", "/api", "/api/tables//"] {
        let r = m.get(p).await;
        r.expect(404, "no_such_endpoint");
        assert_eq!(r.headers["content-type"], "application/json");
    }
    // Unknown paths are 404 for strangers too (no 401 that would hint at anything).
    d.req("GET", "/api/secret", None, None)
        .await
        .expect(404, "no_such_endpoint");
    let r = send(
        &d,
        "PATCH",
        "/api/tables/",
        Some(&m.token),
        Some("application/json"),
        "{}",
    )
    .await;
    r.expect(405, "method_not_allowed");
    let allow = r.headers["allow"].to_str().unwrap();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    m.delete("/api/tables")
        .await
        .expect(405, "method_not_allowed");
    m.get("/api/auth/login")
        .await
        .expect(405, "method_not_allowed");

    let t1 = m.get("/api/tables").await;
    let t2 = m.get("/api/tables/").await;
    assert_eq!(t1.ok(), t2.ok());
    let id = t1.json[0]["id"].as_u64().unwrap();
    m.get(&format!("/api/tables/{id}/status/")).await.ok();
    m.get(&format!("/api/tables/{id}/status")).await.ok();
    m.get("/api/products/categories/").await.ok();
    m.get("/api/auth/me/").await.ok();
    let r = m
        .post("/api/tables/batch/", json!({"count": 2, "start": 60}))
        .await;
    assert_eq!(r.status, 201);
    d.req("GET", "/api/system/health/", None, None).await.ok();
}

/// Negative and absurd numbers are 422 with a code saying what was wrong.
#[tokio::test]
async fn negative_and_absurd_numbers_are_refused() {
    let d = Daemon::start().await;
    let (m, w) = (d.manager().await, d.waiter(1).await);
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "/api/products/",
            json!({"name": "X", "base_price": -1}),
            "negative_amount",
        ),
        (
            "/api/products/",
            json!({"name": "X", "base_price": 1_000_000_000_000i64}),
            "amount_too_large",
        ),
        (
            "/api/products/",
            json!({"name": "X", "base_price": 1e30}),
            "invalid_field",
        ),
        (
            "/api/products/",
            json!({"name": "X", "base_price": 100, "options": [{"name": "o", "extra_cost": -5}]}),
            "negative_amount",
        ),
        (
            "/api/products/",
            json!({"name": "X", "base_price": 100, "sort_order": 1i64 << 40}),
            "invalid_field",
        ),
        ("/api/tables/", json!({"number": 0}), "bad_table_number"),
        ("/api/tables/", json!({"number": -3}), "bad_table_number"),
        (
            "/api/tables/",
            json!({"number": 100000}),
            "bad_table_number",
        ),
        (
            "/api/tables/",
            json!({"number": 70, "seats": -1}),
            "invalid_field",
        ),
        (
            "/api/tables/",
            json!({"number": 70, "seats": 5000}),
            "bad_seats",
        ),
        (
            "/api/tables/",
            json!({"number": 70, "floor_x": 1e300}),
            "bad_position",
        ),
        (
            "/api/waiters/",
            json!({"username": "abc", "pin": "1234", "hourly_rate": -100}),
            "negative_amount",
        ),
    ];
    for (path, body, code) in cases {
        let r = m.post(path, body.clone()).await;
        assert_eq!(r.status, 422, "{path} {body}: {}", r.json);
        assert_eq!(r.json["code"], code, "{path} {body}: {}", r.json);
    }
    let order = w.open_table(3).await;
    let cola = w.product("Coca-Cola").await["id"].clone();
    let items = format!("/api/orders/{order}/items");
    for q in [0, -1, 1000] {
        w.post(
            &items,
            json!({"items": [{"product_id": cola, "quantity": q}]}),
        )
        .await
        .expect(422, "bad_quantity");
    }
    w.post(&items, json!({"items": [{"product_id": -1}]}))
        .await
        .expect(422, "invalid_field");
    w.post("/api/orders/", json!({"table_id": -7}))
        .await
        .expect(422, "invalid_field");
    let o = w
        .post(
            &items,
            json!({"items": [{"product_id": cola, "quantity": 2}]}),
        )
        .await;
    let item = o.ok()["items"][0]["id"].clone();
    w.post(
        &format!("/api/orders/{order}/pay"),
        json!({"item_ids": [item], "tip": -100}),
    )
    .await
    .expect(422, "negative_amount");
    m.put(
        &format!("/api/orders/{order}/items/{item}"),
        json!({"quantity": 0}),
    )
    .await
    .expect(422, "bad_quantity");
    let o = m.get(&format!("/api/orders/{order}")).await;
    assert_eq!(
        (o.ok()["total"].as_i64(), o.json["paid_total"].as_i64()),
        (Some(600), Some(0))
    );
}

/// Strings longer than a field allows are 422 too_long (counted in characters, so Greek
/// names are not penalised), whatever their size.
#[tokio::test]
async fn oversized_strings_are_refused() {
    let d = Daemon::start().await;
    let m = d.manager().await;
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "/api/products/",
            json!({"name": "x".repeat(61), "base_price": 1}),
            "too_long",
        ),
        (
            "/api/products/",
            json!({"name": "x".repeat(200_000), "base_price": 1}),
            "too_long",
        ),
        (
            "/api/products/",
            json!({"name": "Σ", "description": "δ".repeat(301), "base_price": 1}),
            "too_long",
        ),
        (
            "/api/products/categories",
            json!({"name": "κ".repeat(41)}),
            "too_long",
        ),
        (
            "/api/tables/",
            json!({"number": 80, "label": "l".repeat(41)}),
            "too_long",
        ),
        (
            "/api/tables/groups",
            json!({"name": "g".repeat(41)}),
            "too_long",
        ),
        (
            "/api/waiters/",
            json!({"username": "u".repeat(33), "pin": "1234"}),
            "bad_username",
        ),
        (
            "/api/waiters/",
            json!({"username": "abc", "pin": "1".repeat(9)}),
            "bad_pin",
        ),
        (
            "/api/waiters/",
            json!({"username": "abc", "pin": "1234", "display_name": "d".repeat(41)}),
            "too_long",
        ),
    ];
    for (path, body, code) in cases {
        let r = m.post(path, body).await;
        assert_eq!(r.status, 422, "{path}: {}", r.json);
        assert_eq!(r.json["code"], code, "{path}: {}", r.json);
    }
    // Exactly at the limit is fine, in Greek too.
    let r = m
        .post("/api/products/categories", json!({"name": "κ".repeat(40)}))
        .await;
    assert_eq!(r.status, 201);
    let w = d.waiter(2).await;
    let order = w.open_table(4).await;
    let cola = w.product("Coca-Cola").await["id"].clone();
    let r = w
        .post(
            &format!("/api/orders/{order}/items"),
            json!({"items": [{"product_id": cola, "notes": "n".repeat(5000)}]}),
        )
        .await;
    r.expect(422, "too_long");
}

/// Ids that do not exist, or are not ids at all, are 404.
#[tokio::test]
async fn unknown_ids_are_404() {
    let d = Daemon::start().await;
    let m = d.manager().await;
    for p in [
        "/api/orders/999999",
        "/api/orders/abc",
        "/api/orders/-1",
        "/api/orders/18446744073709551616",
        "/api/tables/999999/status",
        "/api/products/999999",
    ] {
        m.get(p).await.expect(404, "not_found");
    }
    m.put("/api/tables/999999", json!({"label": "x"}))
        .await
        .expect(404, "not_found");
    m.put("/api/products/999999", json!({"name": "x"}))
        .await
        .expect(404, "not_found");
    m.put("/api/products/categories/999999", json!({"name": "x"}))
        .await
        .expect(404, "not_found");
    m.delete("/api/products/categories/999999")
        .await
        .expect(404, "not_found");
    m.put("/api/waiters/999999/reset-pin", json!({"pin": "1234"}))
        .await
        .expect(404, "not_found");
    m.put(
        "/api/tables/999999/floorplan",
        json!({"floor_x": 1, "floor_y": 1}),
    )
    .await
    .expect(404, "not_found");
    m.post("/api/orders/", json!({"table_id": 999999}))
        .await
        .expect(404, "not_found");
    // An unknown id inside a body is an invalid value (422), not a missing resource.
    let w = d.waiter(1).await;
    let order = w.open_table(1).await;
    w.post(
        &format!("/api/orders/{order}/items"),
        json!({"items": [{"product_id": 999999}]}),
    )
    .await
    .expect(422, "bad_product");
}

/// A batch with one bad line adds nothing: no items, no tickets, no half-created product.
#[tokio::test]
async fn a_bad_line_means_nothing_is_written() {
    let d = Daemon::start().await;
    let (m, w) = (d.manager().await, d.waiter(1).await);
    let order = w.open_table(6).await;
    let cola = w.product("Coca-Cola").await["id"].clone();
    let items = format!("/api/orders/{order}/items");
    for bad in [
        json!({"product_id": 999999}),
        json!({"product_id": cola, "quantity": 0}),
        json!({"product_id": cola, "selected_options": [999999]}),
        json!({"product_id": cola, "notes": "n".repeat(5000)}),
    ] {
        let r = w
            .post(
                &items,
                json!({"items": [{"product_id": cola, "quantity": 2}, bad]}),
            )
            .await;
        assert!((400..500).contains(&r.status), "{}: {}", r.status, r.json);
    }
    let o = w.get(&format!("/api/orders/{order}")).await;
    assert_eq!(o.ok()["items"], json!([]));
    assert_eq!(o.json["total"], 0);

    let count = |r: crate::support::Resp| r.ok().as_array().unwrap().len();
    let before = count(m.get("/api/products/?all=true").await);
    m.post(
        "/api/products/",
        json!({"name": "Half", "base_price": 100, "options": [{"name": "ok", "extra_cost": 1}],
               "preference_sets": [{"name": "s", "choices": [{"name": "c", "price_delta": 99_999_999_999i64}]}]}),
    )
    .await
    .expect(422, "amount_too_large");
    assert_eq!(count(m.get("/api/products/?all=true").await), before);
    m.post("/api/waiters/", json!({"username": "half", "pin": "12x4"}))
        .await
        .expect(422, "bad_pin");
    d.req(
        "POST",
        "/api/auth/login",
        None,
        Some(json!({"username": "half", "pin": PIN})),
    )
    .await
    .expect(401, "bad_credentials");
}

/// Throw garbage at every route that takes input, with odd ids, as the sysadmin (who passes
/// every role check): each answer is a JSON 4xx or a success, never a 5xx.
#[tokio::test]
async fn garbage_never_gets_a_5xx() {
    let d = Daemon::start().await;
    let login = || d.login("sysadmin", PIN);
    let mut s = login().await;
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let bodies: Vec<Bytes> = vec![
        Bytes::from_static(b"{}"),
        Bytes::from_static(b"[]"),
        Bytes::from_static(b"null"),
        Bytes::from_static(b"\"x\""),
        Bytes::from_static(b"1e400"),
        Bytes::from_static(b"{\"name\": 5, \"number\": \"7\", \"items\": {}, \"pin\": 1234}"),
        Bytes::from_static(
            b"{\"id\": -1, \"number\": 1e20, \"base_price\": 9223372036854775808, \"count\": 18446744073709551616}",
        ),
        Bytes::from_static(b"{\"items\": [{\"product_id\": 1, \"quantity\": 9223372036854775807}]}"),
        Bytes::from_static(b"{\"name\": \"\\u0000\", \"label\": \"\\ud800\"}"),
        Bytes::from(deep),
        Bytes::from_static(&[0xc3, 0x28, 0xa0, 0xa1]),
    ];
    let ids = ["0", "abc", "-1", "18446744073709551616", "999999", "1"];
    let mut checked = 0;
    for route in posd::http::handlers::routes() {
        if route.path.starts_with("/api/auth/") || route.path == "/api/events" {
            continue;
        }
        for (n, id) in ids.iter().enumerate() {
            let path = fill(route.path, id);
            if n > 0 && path == route.path {
                break;
            }
            let method = route.method.as_str();
            let sendable: &[Bytes] = if method == "GET" {
                &bodies[..1]
            } else {
                &bodies
            };
            for body in sendable {
                let r = send(
                    &d,
                    method,
                    &path,
                    Some(&s.token),
                    Some("application/json"),
                    body.clone(),
                )
                .await;
                assert!(
                    r.status < 500,
                    "{method} {path} {:?} -> {} {}",
                    body,
                    r.status,
                    r.json
                );
                if r.status >= 400 {
                    assert!(r.json["code"].is_string(), "{method} {path}: {}", r.json);
                }
                checked += 1;
            }
            if s.get("/api/auth/me").await.status == 401 {
                s = login().await;
            }
        }
    }
    assert!(checked > 300, "only {checked} requests were tried");
}

/// Replace every `{param}` in a route path with `id`.
pub fn fill(path: &str, id: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        out.push_str(id);
        let j = rest[i..].find('}').map(|j| i + j + 1).unwrap_or(rest.len());
        rest = &rest[j..];
    }
    out.push_str(rest);
    out
}
