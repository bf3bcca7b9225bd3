//! The whole route table × every role, over real HTTP, and the seeds' authorization rules.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use posd::http::router::Access;
use serde_json::Value;

use crate::errors::fill;
use crate::support::{Daemon, PIN};

/// Status and (when it is a short JSON body) the error code of one request. Streaming
/// responses (the SSE feed) are not read past their head.
async fn probe(d: &Daemon, method: &str, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut b = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", "posd");
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    let body = if matches!(method, "POST" | "PUT") {
        b = b.header("content-type", "application/json");
        Bytes::from_static(b"{}")
    } else {
        Bytes::new()
    };
    let stream = tokio::net::TcpStream::connect(d.addr).await.unwrap();
    let (mut send, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .unwrap();
    let conn = tokio::spawn(conn);
    let resp = send
        .send_request(b.body(Full::new(body)).unwrap())
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let streaming = resp
        .headers()
        .get("content-type")
        .is_some_and(|c| c == "text/event-stream");
    let json = if streaming {
        Value::Null
    } else {
        let b = tokio::time::timeout(Duration::from_secs(10), resp.into_body().collect())
            .await
            .expect("a non-streaming body must end")
            .unwrap()
            .to_bytes();
        serde_json::from_slice(&b).unwrap_or(Value::Null)
    };
    conn.abort();
    (status, json)
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Nobody,
    Waiter,
    Manager,
    Sysadmin,
}

fn allowed(who: Who, access: Access) -> bool {
    match (who, access) {
        (_, Access::Public) => true,
        (Who::Nobody, _) => false,
        (_, Access::Auth) => true,
        (Who::Waiter, _) => false,
        (Who::Manager, Access::Manager) => true,
        (Who::Manager, Access::Sysadmin) => false,
        (Who::Sysadmin, _) => true,
    }
}

/// Every route × {no token, waiter, manager, sysadmin}: strangers get 401 on everything but
/// the public routes, waiters 403 on manager and sysadmin routes, managers 403 on sysadmin
/// routes, and whoever is allowed never meets the role check (a dummy id may still be 404,
/// an empty body 422).
#[tokio::test]
async fn every_route_enforces_its_role_for_every_role() {
    let d = Daemon::start().await;
    let routes = posd::http::handlers::routes();
    assert!(routes.len() >= 50, "only {} routes?", routes.len());
    let users = [
        (Who::Nobody, None),
        (Who::Waiter, Some("waiter01")),
        (Who::Manager, Some("manager")),
        (Who::Sysadmin, Some("sysadmin")),
    ];
    let mut seen = 0;
    for (who, user) in users {
        let mut token = match user {
            Some(u) => Some(d.login(u, PIN).await.token),
            None => None,
        };
        for route in &routes {
            let path = fill(route.path, "999999");
            let (status, body) = probe(&d, route.method.as_str(), &path, token.as_deref()).await;
            let what = format!(
                "{who:?} {} {} ({:?}) -> {status} {body}",
                route.method, route.path, route.access
            );
            assert!(status < 500, "{what}");
            if allowed(who, route.access) {
                assert!(status != 401 && status != 403, "{what}");
            } else if who == Who::Nobody {
                assert_eq!(
                    (status, body["code"].as_str()),
                    (401, Some("not_logged_in")),
                    "{what}"
                );
            } else {
                assert_eq!(
                    (status, body["code"].as_str()),
                    (403, Some("forbidden")),
                    "{what}"
                );
            }
            seen += 1;
            // Logout and refresh end the token they were called with: log in again.
            if let Some(u) = user
                && probe(&d, "GET", "/api/auth/me", token.as_deref()).await.0 == 401
            {
                token = Some(d.login(u, PIN).await.token);
            }
        }
    }
    assert_eq!(seen, routes.len() * 4);
}

/// The access seeds 000 and 001 prescribe for each of their endpoints, checked against the
/// route table the dispatcher enforces (the matrix test above proves the enforcement).
#[test]
fn route_access_is_as_the_seeds_say() {
    use Access::*;
    let want: &[(&str, &str, Access)] = &[
        ("POST", "/api/auth/login", Public),
        ("POST", "/api/auth/refresh", Auth),
        ("POST", "/api/auth/logout", Auth),
        ("GET", "/api/auth/me", Auth),
        ("GET", "/api/tables", Auth),
        ("POST", "/api/tables", Manager),
        ("PUT", "/api/tables/{id}", Manager),
        ("DELETE", "/api/tables/{id}", Manager),
        ("GET", "/api/tables/{id}/status", Auth),
        ("PUT", "/api/tables/{id}/floorplan", Manager),
        ("POST", "/api/tables/batch", Manager),
        ("POST", "/api/tables/groups", Manager),
        ("PUT", "/api/tables/groups/{id}", Manager),
        ("DELETE", "/api/tables/groups/{id}", Manager),
        ("GET", "/api/products", Auth),
        ("POST", "/api/products", Manager),
        ("PUT", "/api/products/{id}", Manager),
        ("DELETE", "/api/products/{id}", Manager),
        ("POST", "/api/products/{id}/image", Manager),
        ("GET", "/api/products/categories", Auth),
        ("POST", "/api/products/categories", Manager),
        ("PUT", "/api/products/categories/{id}", Manager),
        ("DELETE", "/api/products/categories/{id}", Manager),
        ("GET", "/api/orders", Manager),
        ("GET", "/api/orders/my", Auth),
        ("GET", "/api/orders/{id}", Auth),
        ("POST", "/api/orders", Auth),
        ("POST", "/api/orders/{id}/items", Auth),
        ("PUT", "/api/orders/{id}/items/{item_id}", Manager),
        ("DELETE", "/api/orders/{id}/items/{item_id}", Manager),
        ("POST", "/api/orders/{id}/pay", Auth),
        ("POST", "/api/orders/{id}/close", Auth),
        ("DELETE", "/api/orders/{id}", Manager),
        ("PUT", "/api/orders/{id}/assign-waiter", Manager),
        ("DELETE", "/api/orders/{id}/waiters/{waiter_id}", Manager),
        ("GET", "/api/waiters", Manager),
        ("POST", "/api/waiters", Manager),
        ("PUT", "/api/waiters/{id}", Manager),
        ("PUT", "/api/waiters/{id}/reset-pin", Manager),
        ("PUT", "/api/waiters/{id}/block", Manager),
        ("DELETE", "/api/waiters/{id}", Manager),
        ("POST", "/api/waiters/{id}/assign-assistant", Manager),
        ("DELETE", "/api/waiters/{id}/assistant", Manager),
        ("GET", "/api/reports/shift", Manager),
        ("GET", "/api/system/health", Public),
        ("GET", "/api/system/status", Auth),
        ("PUT", "/api/system/printers/{id}", Sysadmin),
    ];
    let routes = posd::http::handlers::routes();
    for (m, p, a) in want {
        let r = routes
            .iter()
            .find(|r| r.method.as_str() == *m && r.path == *p)
            .unwrap_or_else(|| panic!("seed endpoint {m} {p} is not routed"));
        assert_eq!(r.access, *a, "{m} {p}");
    }
}
