//! `GET /api/openapi.json`: the OpenAPI 3.0 document of every endpoint and its schemas.
//!
//! The document is written by hand in `src/http/openapi/`, one part per API area (plus
//! `base.json` with the info, the security scheme, the shared parameters and the one shared
//! `Error`), and merged once on first request. Invariant: a path or a component is defined in
//! exactly one part (a duplicate is an error, not an override), and the merged document lists
//! exactly the routed (method, path) pairs with the access the router enforces — the
//! integration test `openapi_matches_the_router` holds it to that.

use std::sync::OnceLock;

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use serde_json::{Map, Value};

use crate::app::App;
use crate::error::{Error, Result};
use crate::http::io::{Req, Resp, full};
use crate::http::router::Route;
use crate::route;

/// The parts, merged in this order; `base` first.
const PARTS: &[(&str, &str)] = &[
    ("base", include_str!("../openapi/base.json")),
    ("staff", include_str!("../openapi/staff.json")),
    ("floor", include_str!("../openapi/floor.json")),
    ("menu", include_str!("../openapi/menu.json")),
    ("orders", include_str!("../openapi/orders.json")),
    ("system", include_str!("../openapi/system.json")),
    ("printing", include_str!("../openapi/printing.json")),
    ("license", include_str!("../openapi/license.json")),
];

pub fn routes() -> Vec<Route> {
    vec![route!(GET "/api/openapi.json", Public, openapi)]
}

/// The merged document, with `info.version` taken from Cargo.toml.
pub fn document() -> std::result::Result<Value, String> {
    let mut doc = merge(PARTS)?;
    doc["info"]["version"] = Value::from(env!("CARGO_PKG_VERSION"));
    Ok(doc)
}

fn parse(name: &str, text: &str) -> std::result::Result<Map<String, Value>, String> {
    match serde_json::from_str(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(format!("openapi/{name}.json is not a JSON object")),
        Err(e) => Err(format!("openapi/{name}.json: {e}")),
    }
}

/// Move every entry of `from` into `into`; a key already present is an error.
fn add_all(
    into: &mut Value,
    from: Value,
    part: &str,
    what: &str,
) -> std::result::Result<(), String> {
    let (Some(into), Value::Object(from)) = (into.as_object_mut(), from) else {
        return Err(format!("openapi/{part}.json: {what} must be an object"));
    };
    for (k, v) in from {
        if into.insert(k.clone(), v).is_some() {
            return Err(format!("openapi/{part}.json: {what} {k} is defined twice"));
        }
    }
    Ok(())
}

fn merge(parts: &[(&str, &str)]) -> std::result::Result<Value, String> {
    let ((base_name, base_text), rest) = parts
        .split_first()
        .ok_or_else(|| "no OpenAPI parts".to_string())?;
    let mut doc = Value::Object(parse(base_name, base_text)?);
    for (name, text) in rest {
        for (section, content) in parse(name, text)? {
            match (section.as_str(), content) {
                ("paths", paths) => add_all(&mut doc["paths"], paths, name, "path")?,
                ("components", Value::Object(kinds)) => {
                    for (kind, entries) in kinds {
                        let slot = &mut doc["components"][&kind];
                        if slot.is_null() {
                            *slot = Value::Object(Map::new());
                        }
                        add_all(slot, entries, name, &kind)?;
                    }
                }
                (other, _) => {
                    return Err(format!(
                        "openapi/{name}.json: only paths and components belong in a part, not {other}"
                    ));
                }
            }
        }
    }
    Ok(doc)
}

async fn openapi(_app: App, _r: Req) -> Result<Resp> {
    static DOC: OnceLock<std::result::Result<Bytes, String>> = OnceLock::new();
    let doc = DOC.get_or_init(|| {
        document().and_then(|d| {
            serde_json::to_vec(&d)
                .map(Bytes::from)
                .map_err(|e| e.to_string())
        })
    });
    let bytes = doc
        .as_ref()
        .map_err(|e| Error::internal(format!("the OpenAPI document is broken: {e}")))?;
    let mut resp = Resp::new(full(bytes.clone()));
    *resp.status_mut() = StatusCode::OK;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parts_merge_into_one_document() {
        let d = document().unwrap();
        assert_eq!(d["openapi"], "3.0.3");
        assert_eq!(d["info"]["version"], env!("CARGO_PKG_VERSION"));
        for p in [
            "/api/auth/login",
            "/api/tables",
            "/api/products",
            "/api/orders",
            "/api/system/health",
        ] {
            assert!(d["paths"][p].is_object(), "{p} missing");
        }
        assert!(d["components"]["schemas"]["Error"].is_object());
        assert!(d["components"]["schemas"]["Order"].is_object());
    }

    #[test]
    fn a_path_or_component_defined_twice_is_refused() {
        let base = r#"{"openapi": "3.0.3", "paths": {}, "components": {"schemas": {"Error": {}}}}"#;
        let a = r#"{"paths": {"/x": {}}}"#;
        let e = merge(&[("base", base), ("a", a), ("b", a)]).unwrap_err();
        assert!(e.contains("/x is defined twice"), "{e}");
        let c = r#"{"components": {"schemas": {"Error": {}}}}"#;
        let e = merge(&[("base", base), ("c", c)]).unwrap_err();
        assert!(e.contains("schemas Error is defined twice"), "{e}");
        let bad = r#"{"info": {}}"#;
        assert!(merge(&[("base", base), ("bad", bad)]).is_err());
        assert!(merge(&[("base", base), ("broken", "{")]).is_err());
    }
}
