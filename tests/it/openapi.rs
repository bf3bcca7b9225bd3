//! The OpenAPI document at `/api/openapi.json`, held to the router (every route documented
//! with its access, nothing documented that is not routed) and to what the daemon answers.

use std::collections::BTreeSet;

use posd::http::router::Access;
use serde_json::{Value, json};

use crate::errors::fill;
use crate::support::{Daemon, PIN};

/// `{id}`, `{item_id}` ... all become `{}` so names may differ between doc and router.
fn normalise(path: &str) -> String {
    let p = fill(path, "{}");
    p.strip_suffix('/').unwrap_or(&p).to_string()
}

fn access_name(a: Access) -> &'static str {
    match a {
        Access::Public => "public",
        Access::Auth => "auth",
        Access::Manager => "manager",
        Access::Sysadmin => "sysadmin",
    }
}

/// The OpenAPI document served at `/api/openapi.json` documents exactly the routed
/// (method, path) pairs, each with the access the router enforces, and every `$ref` in it
/// resolves.
#[tokio::test]
async fn openapi_matches_the_router() {
    let d = Daemon::start().await;
    let r = d.req("GET", "/api/openapi.json", None, None).await;
    let doc = r.ok();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.0"));
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));

    let mut routed = BTreeSet::new();
    for route in posd::http::handlers::routes() {
        routed.insert((
            route.method.as_str().to_ascii_lowercase(),
            normalise(route.path),
            access_name(route.access).to_string(),
        ));
    }
    let mut documented = BTreeSet::new();
    let paths = doc["paths"].as_object().unwrap();
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            if method == "parameters" {
                continue;
            }
            let access = op["x-access"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no x-access"));
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path} has no responses"
            );
            let public = op["security"].as_array().is_some_and(|s| s.is_empty());
            assert_eq!(
                public,
                access == "public",
                "{method} {path}: security vs x-access"
            );
            documented.insert((method.clone(), normalise(path), access.to_string()));
        }
    }
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(
        undocumented.is_empty() && unrouted.is_empty(),
        "routed but not documented (or with another access): {undocumented:#?}\n\
         documented but not routed (or with another access): {unrouted:#?}"
    );

    // Every reference points at something that exists.
    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r);
                }
                m.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let ptr = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("external ref {r}"));
        assert!(doc.pointer(ptr).is_some(), "dangling $ref {r}");
    }
}

/// Follow `$ref`s to the schema they name.
fn resolve<'a>(doc: &'a Value, mut s: &'a Value) -> &'a Value {
    while let Some(r) = s["$ref"].as_str() {
        s = doc
            .pointer(r.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("dangling {r}"));
    }
    s
}

/// Check `v` against schema `s`: types, required properties, and no property the schema does
/// not list. Returns the problems found, each with its JSON path.
fn conform(doc: &Value, s: &Value, v: &Value, at: &str, out: &mut Vec<String>) {
    let s = resolve(doc, s);
    if v.is_null() {
        if s["nullable"] != true {
            out.push(format!("{at}: null but not nullable"));
        }
        return;
    }
    if let Some(parts) = s["allOf"].as_array() {
        // Merge the parts' properties and required lists, then check once.
        let mut props = serde_json::Map::new();
        let mut required = Vec::new();
        for p in parts {
            let p = resolve(doc, p);
            if let Some(m) = p["properties"].as_object() {
                props.extend(m.clone());
            }
            if let Some(r) = p["required"].as_array() {
                required.extend(r.clone());
            }
        }
        let merged = json!({"type": "object", "properties": props, "required": required, "nullable": s["nullable"]});
        return conform(doc, &merged, v, at, out);
    }
    let ok = match s["type"].as_str() {
        Some("object") => v.is_object(),
        Some("array") => v.is_array(),
        Some("string") => v.is_string(),
        Some("integer") => v.is_i64() || v.is_u64(),
        Some("number") => v.is_number(),
        Some("boolean") => v.is_boolean(),
        _ => true,
    };
    if !ok {
        out.push(format!("{at}: {v} is not {}", s["type"]));
        return;
    }
    if let (Some(props), Some(obj)) = (s["properties"].as_object(), v.as_object()) {
        for r in s["required"].as_array().into_iter().flatten() {
            let r = r.as_str().unwrap();
            if !obj.contains_key(r) {
                out.push(format!("{at}: required {r} missing"));
            }
        }
        for (k, x) in obj {
            match props.get(k) {
                Some(ps) => conform(doc, ps, x, &format!("{at}.{k}"), out),
                None => out.push(format!("{at}: {k} is not documented")),
            }
        }
    }
    if let (Some(items), Some(a)) = (s.get("items"), v.as_array()) {
        for (i, x) in a.iter().enumerate() {
            conform(doc, items, x, &format!("{at}[{i}]"), out);
        }
    }
}

/// The documented success schema of an operation.
fn success_schema<'a>(doc: &'a Value, method: &str, path: &str) -> (&'a str, &'a Value) {
    let op = &doc["paths"][path][method];
    let (status, resp) = op["responses"]
        .as_object()
        .unwrap_or_else(|| panic!("{method} {path} is not documented"))
        .iter()
        .find(|(k, _)| k.starts_with('2'))
        .unwrap();
    let schema = &resolve(doc, resp)["content"]["application/json"]["schema"];
    (status.as_str(), schema)
}

/// What the daemon really answers matches the documented schemas: a restaurant with an order
/// that has items, a payment and an assistant, read through every JSON GET and the main
/// writes; no undocumented field, no missing required one, no wrong type.
#[tokio::test]
async fn openapi_schemas_match_live_responses() {
    let d = Daemon::start().await;
    let doc = d.req("GET", "/api/openapi.json", None, None).await.json;
    let m = d.manager().await;
    let w = d.waiter(1).await;
    m.post(
        "/api/waiters/3/assign-assistant",
        json!({"assistant_id": 4}),
    )
    .await
    .ok();
    let order = w.open_table(5).await;
    let burger = w.product("Burger").await;
    let set = &burger["preference_sets"][0];
    let o = w
        .post(
            &format!("/api/orders/{order}/items"),
            json!({"items": [{"product_id": burger["id"], "quantity": 2, "notes": "x",
                "selected_options": [burger["options"][0]["id"]],
                "removed_ingredients": [burger["ingredients"][0]["id"]],
                "preferences": [{"set_id": set["id"], "choice_id": set["choices"][0]["id"]}]}]}),
        )
        .await;
    let item = o.ok()["items"][0]["id"].clone();
    w.post(
        &format!("/api/orders/{order}/pay"),
        json!({"item_ids": [item], "tip": 100}),
    )
    .await
    .ok();
    let login = d
        .req(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({"username": "waiter02", "pin": PIN})),
        )
        .await;
    let checks: Vec<(&str, &str, crate::support::Resp)> = vec![
        ("post", "/api/auth/login", login),
        ("get", "/api/auth/me", m.get("/api/auth/me").await),
        ("get", "/api/auth/users", m.get("/api/auth/users").await),
        ("get", "/api/waiters", m.get("/api/waiters").await),
        ("get", "/api/tables", m.get("/api/tables").await),
        (
            "get",
            "/api/tables/groups",
            m.get("/api/tables/groups").await,
        ),
        (
            "get",
            "/api/tables/{id}/status",
            m.get("/api/tables/5/status").await,
        ),
        (
            "get",
            "/api/products",
            m.get("/api/products/?all=true").await,
        ),
        (
            "get",
            "/api/products/categories",
            m.get("/api/products/categories").await,
        ),
        ("get", "/api/orders", m.get("/api/orders").await),
        ("get", "/api/orders/my", w.get("/api/orders/my").await),
        (
            "get",
            "/api/orders/{id}",
            m.get(&format!("/api/orders/{order}")).await,
        ),
        ("post", "/api/orders/{id}/items", o),
        (
            "get",
            "/api/reports/shift",
            m.get("/api/reports/shift").await,
        ),
        (
            "get",
            "/api/reports/orders/history",
            m.get("/api/reports/orders/history").await,
        ),
        (
            "get",
            "/api/reports/tables/summary",
            m.get("/api/reports/tables/summary").await,
        ),
        (
            "get",
            "/api/system/health",
            m.get("/api/system/health").await,
        ),
        (
            "get",
            "/api/system/status",
            m.get("/api/system/status").await,
        ),
        (
            "get",
            "/api/system/printers",
            m.get("/api/system/printers").await,
        ),
        (
            "get",
            "/api/system/print-settings",
            m.get("/api/system/print-settings").await,
        ),
        (
            "post",
            "/api/tables/batch",
            m.post(
                "/api/tables/batch",
                json!({"count": 2, "start": 50, "prefix": "B"}),
            )
            .await,
        ),
        (
            "post",
            "/api/products",
            m.post("/api/products", json!({"name": "N", "base_price": 5}))
                .await,
        ),
        ("get", "/api/products/{id}", m.get("/api/products/1").await),
        ("get", "/api/orders/{id}", m.get("/api/orders/999999").await),
    ];
    let mut problems = Vec::new();
    for (method, path, r) in &checks {
        let schema = if r.status >= 400 {
            resolve(&doc, &doc["components"]["responses"]["Error"])["content"]["application/json"]["schema"].clone()
        } else {
            let (status, s) = success_schema(&doc, method, path);
            assert_eq!(status, r.status.to_string(), "{method} {path} status");
            s.clone()
        };
        conform(
            &doc,
            &schema,
            &r.json,
            &format!("{method} {path}"),
            &mut problems,
        );
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
