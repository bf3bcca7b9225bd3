//! `/api/system/license`, `/api/system/lock`, `/api/system/unlock`: see and install signed
//! license, lock and unlock files. All public and license-exempt: the signature is the
//! authority, so a locked or unlicensed appliance can always be put right.
//!
//! Invariant: the body is capped at `license::MAX_FILE_BYTES` before it is read; nothing
//! secret is rendered (the state holds no secrets; keys never reach the appliance).

use serde::Deserialize;
use serde_json::{Value, json};

use crate::app::App;
use crate::error::{Error, Result};
use crate::http::io::{Req, Resp, decode_json, ok};
use crate::http::router::Route;
use crate::license::{LicenseState, MAX_FILE_BYTES, Verdict, fmt_time};
use crate::route;
use crate::service::license::{self, Expect};
use crate::service::license_tasks::describe_applied;

pub fn routes() -> Vec<Route> {
    vec![
        route!(GET "/api/system/license", Public exempt, show),
        route!(POST "/api/system/license", Public exempt, install),
        // Seed 000's cloud-era lock and unlock: here they are signed lock and unlock files.
        route!(POST "/api/system/lock", Public exempt, lock),
        route!(POST "/api/system/unlock", Public exempt, unlock),
    ]
}

fn time(t: Option<i64>) -> Value {
    t.map_or(Value::Null, |t| json!(fmt_time(t)))
}

/// The license part of `/api/system/status`: site id, verdict, expiry or trial end, limits.
pub fn summary(app: &App) -> Value {
    let Some((s, v)) = license::current(app) else {
        return Value::Null;
    };
    let sum = license::summary(app, &s);
    let limits = v.limits();
    json!({
        "site_id": s.site_id,
        "status": v.code(),
        "serves": v.blocking_status().is_none(),
        "message": v.message(&s.site_id),
        "expires_at": time(sum.expires_at),
        "trial_ends_at": time(sum.trial_ends_at),
        "limits": {"max_waiters": limits.max_waiters, "max_printers": limits.max_printers},
    })
}

fn view(app: &App, s: &LicenseState, v: &Verdict) -> Value {
    let sum = license::summary(app, s);
    let limits = v.limits();
    json!({
        "site_id": s.site_id,
        "status": v.code(),
        "serves": v.blocking_status().is_none(),
        "http_status": v.blocking_status(),
        "message": v.message(&s.site_id),
        "expires_at": time(sum.expires_at),
        "grace_ends_at": time(sum.grace_ends_at),
        "trial_ends_at": time(sum.trial_ends_at),
        "limits": {"max_waiters": limits.max_waiters, "max_printers": limits.max_printers},
        "license": s.active.as_ref().map(|l| json!({
            "serial": l.serial,
            "site_name": l.site_name,
            "key_id": l.key_id.to_string(),
            "issued_at": fmt_time(l.issued_at),
            "not_before": fmt_time(l.not_before),
            "expires_at": fmt_time(l.expires_at),
            "max_waiters": l.limits.max_waiters,
            "max_printers": l.limits.max_printers,
        })),
        "locked": s.locked.as_ref().map(|k| json!({
            "reason": k.reason,
            "serial": k.serial,
            "since": fmt_time(k.at),
        })),
        "last_serial": s.last_serial,
        "demo": s.demo,
        "clock_high_water": fmt_time(s.clock_high_water),
        "folder": app.license.folder_report().iter().map(|f| json!({
            "file": f.file,
            "outcome": f.outcome,
            "detail": f.detail,
        })).collect::<Vec<_>>(),
    })
}

async fn show(app: App, _r: Req) -> Result<Resp> {
    let (s, v) = license::current(&app)
        .ok_or_else(|| Error::storage("the license state is not loaded yet; try again"))?;
    ok(view(&app, &s, &v))
}

#[derive(Deserialize)]
struct JsonFile {
    license: String,
}

/// The file: the raw body (any content type), or `{"license": "<file text>"}` as JSON.
async fn file_bytes(r: &mut Req) -> Result<Vec<u8>> {
    let json = r
        .header("content-type")
        .is_some_and(|c| c.to_ascii_lowercase().starts_with("application/json"));
    let body = r.bytes(Some(MAX_FILE_BYTES)).await?;
    if json {
        let f: JsonFile = decode_json(&body)?;
        return Ok(f.license.into_bytes());
    }
    Ok(body.to_vec())
}

async fn install_as(app: App, mut r: Req, expect: Expect) -> Result<Resp> {
    let file = file_bytes(&mut r).await?;
    let done = license::install(&app, &file, expect).await?;
    let outcome = match done.applied {
        crate::license::Applied::Licensed { .. } => "licensed",
        crate::license::Applied::Locked { .. } => "locked",
        crate::license::Applied::Unlocked { .. } => "unlocked",
        crate::license::Applied::AlreadyApplied { .. } => "already_applied",
    };
    ok(json!({
        "outcome": outcome,
        "detail": describe_applied(&done.applied),
        "license": view(&app, &done.state, &done.verdict),
    }))
}

async fn install(app: App, r: Req) -> Result<Resp> {
    install_as(app, r, Expect::Any).await
}

async fn lock(app: App, r: Req) -> Result<Resp> {
    install_as(app, r, Expect::Lock).await
}

async fn unlock(app: App, r: Req) -> Result<Resp> {
    install_as(app, r, Expect::Unlock).await
}
