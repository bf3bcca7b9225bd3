//! The route table: method + path → access rule + handler, matched by `matchit`.
//!
//! Paths are written as seeds 000/001 write them, without the trailing slash; the dispatcher
//! strips one, so `/api/orders/` and `/api/orders` are the same route. Every route declares
//! who may call it; the dispatcher enforces that before the handler runs, so a handler never
//! forgets an authorization check. The same table feeds the OpenAPI coverage test.

use std::future::Future;
use std::pin::Pin;

use http::Method;

use super::io::{Req, Resp};
use crate::app::App;
use crate::error::{Error, Kind, Result};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No login (health, login, license install, the login names).
    Public,
    /// Any logged-in user.
    Auth,
    /// Managers and the sysadmin.
    Manager,
    /// The sysadmin only.
    Sysadmin,
}

pub type BoxFut = Pin<Box<dyn Future<Output = Result<Resp>> + Send>>;
pub type Handler = fn(App, Req) -> BoxFut;

pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    /// Served even when the license is missing, expired or locked (seed 000: health; and the
    /// license endpoints so a locked appliance can be unlocked).
    pub license_exempt: bool,
    pub handler: Handler,
}

/// `route!(GET "/api/x", Auth, handler)`; `exempt` after the access marks license-exempt.
#[macro_export]
macro_rules! route {
    ($m:ident $path:literal, $access:ident, $h:path) => {
        $crate::http::router::Route {
            method: http::Method::$m,
            path: $path,
            access: $crate::http::router::Access::$access,
            license_exempt: false,
            handler: |a, r| Box::pin($h(a, r)),
        }
    };
    ($m:ident $path:literal, $access:ident exempt, $h:path) => {
        $crate::http::router::Route {
            method: http::Method::$m,
            path: $path,
            access: $crate::http::router::Access::$access,
            license_exempt: true,
            handler: |a, r| Box::pin($h(a, r)),
        }
    };
}

pub struct Router {
    tree: matchit::Router<Vec<usize>>,
    routes: Vec<Route>,
}

impl Router {
    pub fn new(routes: Vec<Route>) -> Router {
        let mut tree: matchit::Router<Vec<usize>> = matchit::Router::new();
        let mut by_path: Vec<(&'static str, Vec<usize>)> = Vec::new();
        for (i, r) in routes.iter().enumerate() {
            match by_path.iter_mut().find(|(p, _)| *p == r.path) {
                Some((_, v)) => v.push(i),
                None => by_path.push((r.path, vec![i])),
            }
        }
        for (p, v) in by_path {
            // The route table is a compile-time constant; a clash is a programming error that
            // the test suite hits on the first start.
            tree.insert(p, v)
                .unwrap_or_else(|e| panic!("route {p} conflicts: {e}"));
        }
        Router { tree, routes }
    }

    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// The methods a known path accepts, for the `Allow` header of a 405.
    pub fn allow(&self, path: &str) -> Option<String> {
        let path = path
            .strip_suffix('/')
            .filter(|p| !p.is_empty())
            .unwrap_or(path);
        let m = self.tree.at(path).ok()?;
        let methods: Vec<&str> = m
            .value
            .iter()
            .map(|i| self.routes[*i].method.as_str())
            .collect();
        Some(methods.join(", "))
    }

    /// Find the route for a request; 404 for unknown paths, 405 for known paths with another
    /// method.
    pub fn find(&self, method: &Method, path: &str) -> Result<(&Route, Vec<(String, String)>)> {
        let path = if path.len() > 1 {
            path.strip_suffix('/').unwrap_or(path)
        } else {
            path
        };
        let m = self.tree.at(path).map_err(|_| {
            Error::new(
                Kind::NotFound,
                "no_such_endpoint",
                format!("there is no endpoint {path}"),
            )
        })?;
        let params = m
            .params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let want = if method == Method::HEAD {
            &Method::GET
        } else {
            method
        };
        match m
            .value
            .iter()
            .map(|i| &self.routes[*i])
            .find(|r| r.method == want)
        {
            Some(r) => Ok((r, params)),
            None => {
                let allowed: Vec<&str> = m
                    .value
                    .iter()
                    .map(|i| self.routes[*i].method.as_str())
                    .collect();
                Err(Error::new(
                    Kind::MethodNotAllowed,
                    "method_not_allowed",
                    format!(
                        "{path} does not accept {method}; use {}",
                        allowed.join(", ")
                    ),
                ))
            }
        }
    }
}
