//! `/api/waiters`: staff management, manager only (seed 000).

use serde::Deserialize;
use serde_json::json;

use crate::app::App;
use crate::domain::staff::Role;
use crate::error::Result;
use crate::http::io::{Req, Resp, created, double, no_content, ok};
use crate::http::router::Route;
use crate::http::views;
use crate::route;
use crate::service::staff::{self, NewUser, UserEdit};

pub fn routes() -> Vec<Route> {
    vec![
        route!(GET "/api/waiters", Manager, list),
        route!(POST "/api/waiters", Manager, create),
        route!(PUT "/api/waiters/{id}", Manager, edit),
        route!(PUT "/api/waiters/{id}/reset-pin", Manager, reset_pin),
        route!(PUT "/api/waiters/{id}/block", Manager, block),
        route!(PUT "/api/waiters/{id}/unlock", Manager, unlock),
        route!(DELETE "/api/waiters/{id}", Manager, delete),
        route!(POST "/api/waiters/{id}/assign-assistant", Manager, assign_assistant),
        route!(DELETE "/api/waiters/{id}/assistant", Manager, remove_assistant),
    ]
}

async fn list(app: App, r: Req) -> Result<Resp> {
    let v = staff::list(&app, r.actor()?).await?;
    ok(json!(v.iter().map(views::user).collect::<Vec<_>>()))
}

#[derive(Deserialize)]
struct Create {
    username: String,
    pin: String,
    display_name: Option<String>,
    role: Option<String>,
    hourly_rate: Option<i64>,
}

async fn create(app: App, mut r: Req) -> Result<Resp> {
    let b: Create = r.json().await?;
    let role = Role::parse(b.role.as_deref().unwrap_or("waiter"))?;
    let n = NewUser {
        username: b.username,
        display_name: b.display_name,
        role,
        pin: b.pin,
        hourly_rate: b.hourly_rate,
    };
    let u = staff::create(&app, Some(r.actor()?), n).await?;
    created(views::user(&u))
}

#[derive(Deserialize)]
struct Edit {
    display_name: Option<String>,
    role: Option<String>,
    #[serde(default, deserialize_with = "double")]
    hourly_rate: Option<Option<i64>>,
}

async fn edit(app: App, mut r: Req) -> Result<Resp> {
    let id = r.id("id")?;
    let b: Edit = r.json().await?;
    let e = UserEdit {
        display_name: b.display_name,
        role: b.role.as_deref().map(Role::parse).transpose()?,
        hourly_rate: b.hourly_rate,
    };
    ok(views::user(&staff::edit(&app, r.actor()?, id, e).await?))
}

#[derive(Deserialize)]
struct Pin {
    pin: String,
}

async fn reset_pin(app: App, mut r: Req) -> Result<Resp> {
    let id = r.id("id")?;
    let b: Pin = r.json().await?;
    ok(views::user(
        &staff::reset_pin(&app, r.actor()?, id, b.pin).await?,
    ))
}

#[derive(Deserialize, Default)]
struct Block {
    blocked: Option<bool>,
}

/// Block, or unblock with `{"blocked": false}` (seed 000: "block/unblock").
async fn block(app: App, mut r: Req) -> Result<Resp> {
    let id = r.id("id")?;
    let b: Block = r.json_or_default().await?;
    ok(views::user(
        &staff::set_blocked(&app, r.actor()?, id, b.blocked.unwrap_or(true)).await?,
    ))
}

async fn unlock(app: App, r: Req) -> Result<Resp> {
    let id = r.id("id")?;
    ok(views::user(&staff::unlock(&app, r.actor()?, id).await?))
}

async fn delete(app: App, r: Req) -> Result<Resp> {
    let id = r.id("id")?;
    staff::delete(&app, r.actor()?, id).await?;
    no_content()
}

#[derive(Deserialize)]
struct Assistant {
    assistant_id: u64,
}

async fn assign_assistant(app: App, mut r: Req) -> Result<Resp> {
    let id = r.id("id")?;
    let b: Assistant = r.json().await?;
    ok(views::user(
        &staff::assign_assistant(&app, r.actor()?, id, b.assistant_id).await?,
    ))
}

async fn remove_assistant(app: App, r: Req) -> Result<Resp> {
    let id = r.id("id")?;
    ok(views::user(
        &staff::remove_assistant(&app, r.actor()?, id).await?,
    ))
}
