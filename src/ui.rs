//! The embedded web apps (waiter app, manager dashboard): the asset table `build.rs` generates
//! from `src/ui/`, and the mapping from URL paths to assets.
//!
//! Invariant: every asset is compiled into the binary (raw and gzip bytes, a content ETag);
//! nothing is read from disk at run time. URLs:
//! - `/` → the waiter app shell, `/manager/` → the dashboard shell, `/sw.js` (the service
//!   worker, at the root so it may control `/`), `/manifest.webmanifest`: no-cache shells;
//! - `/a/<build>/<path>` → `src/ui/<path>`, immutable when `<build>` is this build's id. Shells
//!   point at those URLs (`%BUILD%` is replaced at build time), so a new binary never serves a
//!   stale module from a phone's cache, and an old shell still gets today's files.

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// Path under `src/ui/`, with `/` separators (`waiter/app.js`).
    pub path: &'static str,
    pub content_type: &'static str,
    pub raw: &'static [u8],
    /// gzip of `raw`; empty when compression would not help (PNG).
    pub gzip: &'static [u8],
    /// A quoted strong ETag over the served bytes.
    pub etag: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/ui_assets.rs"));

/// How a response for an asset may be cached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caching {
    /// Revalidate every time (shells, the service worker, stale build URLs).
    Revalidate,
    /// Content-addressed by the build id: cache for a year.
    Immutable,
}

/// What a URL path resolves to.
#[derive(Debug)]
pub enum Lookup {
    Asset(&'static Asset, Caching),
    /// A permanent redirect (e.g. `/manager` → `/manager/`).
    Redirect(&'static str),
    NotFound,
}

pub fn asset(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

/// Resolve a request path (without the query string).
pub fn lookup(url_path: &str) -> Lookup {
    let shell = |p: &str| match asset(p) {
        Some(a) => Lookup::Asset(a, Caching::Revalidate),
        None => Lookup::NotFound,
    };
    match url_path {
        "/" | "/index.html" => return shell("waiter/index.html"),
        "/manager/" | "/manager/index.html" => return shell("manager/index.html"),
        "/manager" => return Lookup::Redirect("/manager/"),
        "/sw.js" => return shell("sw.js"),
        "/manifest.webmanifest" => return shell("waiter/manifest.webmanifest"),
        "/favicon.ico" => return shell("shared/icon.svg"),
        _ => {}
    }
    let Some(rest) = url_path.strip_prefix("/a/") else {
        return Lookup::NotFound;
    };
    let Some((build, path)) = rest.split_once('/') else {
        return Lookup::NotFound;
    };
    if path
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return Lookup::NotFound;
    }
    match asset(path) {
        Some(a) if build == BUILD_ID => Lookup::Asset(a, Caching::Immutable),
        Some(a) => Lookup::Asset(a, Caching::Revalidate),
        None => Lookup::NotFound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shells_and_build_urls_resolve() {
        assert!(matches!(
            lookup("/"),
            Lookup::Asset(a, Caching::Revalidate) if a.path == "waiter/index.html"
        ));
        assert!(matches!(lookup("/manager"), Lookup::Redirect("/manager/")));
        let url = format!("/a/{BUILD_ID}/waiter/app.js");
        assert!(matches!(lookup(&url), Lookup::Asset(_, Caching::Immutable)));
        assert!(matches!(
            lookup("/a/0000/waiter/app.js"),
            Lookup::Asset(_, Caching::Revalidate)
        ));
        assert!(matches!(
            lookup(&format!("/a/{BUILD_ID}/../Cargo.toml")),
            Lookup::NotFound
        ));
        assert!(matches!(lookup("/nope"), Lookup::NotFound));
    }

    #[test]
    fn shells_point_at_this_build() {
        for shell in ["waiter/index.html", "manager/index.html", "sw.js"] {
            let a = asset(shell).expect("shell is embedded");
            let text = std::str::from_utf8(a.raw).expect("UTF-8");
            assert!(!text.contains("%BUILD%"), "{shell} kept a placeholder");
            assert!(text.contains(BUILD_ID), "{shell} does not name the build");
        }
    }

    #[test]
    fn every_gzip_copy_inflates_to_the_raw_bytes() {
        use std::io::Read;
        for a in ASSETS.iter().filter(|a| !a.gzip.is_empty()) {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(a.gzip)
                .read_to_end(&mut out)
                .expect("valid gzip");
            assert_eq!(out, a.raw, "{}", a.path);
        }
    }
}
