//! `/api/tables`: tables with live status, batch creation, groups, floor plan.

use serde::Deserialize;
use serde_json::json;

use crate::app::App;
use crate::error::Result;
use crate::http::io::{Req, Resp, created, double, no_content, ok};
use crate::http::router::Route;
use crate::http::views;
use crate::route;
use crate::service::floor::{self, TableInput};

pub fn routes() -> Vec<Route> {
    vec![
        route!(GET "/api/tables", Auth, list),
        route!(POST "/api/tables", Manager, create),
        route!(POST "/api/tables/batch", Manager, batch),
        route!(GET "/api/tables/groups", Auth, groups),
        route!(POST "/api/tables/groups", Manager, create_group),
        route!(PUT "/api/tables/groups/{id}", Manager, edit_group),
        route!(DELETE "/api/tables/groups/{id}", Manager, delete_group),
        route!(PUT "/api/tables/{id}", Manager, edit),
        route!(DELETE "/api/tables/{id}", Manager, deactivate),
        route!(GET "/api/tables/{id}/status", Auth, status),
        route!(PUT "/api/tables/{id}/floorplan", Manager, floorplan),
    ]
}

async fn list(app: App, _r: Req) -> Result<Resp> {
    let v = floor::list(&app).await?;
    ok(json!(v.iter().map(views::table_view).collect::<Vec<_>>()))
}

#[derive(Deserialize, Default)]
struct TableBody {
    number: Option<i64>,
    #[serde(default, deserialize_with = "double")]
    label: Option<Option<String>>,
    #[serde(default, deserialize_with = "double")]
    group_id: Option<Option<u64>>,
    #[serde(default, deserialize_with = "double")]
    floor_x: Option<Option<f64>>,
    #[serde(default, deserialize_with = "double")]
    floor_y: Option<Option<f64>>,
    #[serde(default, deserialize_with = "double")]
    seats: Option<Option<u32>>,
    is_active: Option<bool>,
}

impl From<TableBody> for TableInput {
    fn from(b: TableBody) -> Self {
        TableInput {
            number: b.number,
            label: b.label,
            group_id: b.group_id,
            floor_x: b.floor_x,
            floor_y: b.floor_y,
            seats: b.seats,
            active: b.is_active,
        }
    }
}

async fn create(app: App, mut r: Req) -> Result<Resp> {
    let b: TableBody = r.json().await?;
    created(views::table(
        &floor::create(&app, r.actor()?, b.into()).await?,
    ))
}

#[derive(Deserialize)]
struct Batch {
    prefix: Option<String>,
    start: Option<i64>,
    count: i64,
    group_id: Option<u64>,
}

async fn batch(app: App, mut r: Req) -> Result<Resp> {
    let b: Batch = r.json().await?;
    let v = floor::batch(
        &app,
        r.actor()?,
        b.prefix,
        b.start.unwrap_or(1),
        b.count,
        b.group_id,
    )
    .await?;
    created(json!(v.iter().map(views::table).collect::<Vec<_>>()))
}

async fn edit(app: App, mut r: Req) -> Result<Resp> {
    let id = r.id("id")?;
    let b: TableBody = r.json().await?;
    ok(views::table(
        &floor::edit(&app, r.actor()?, id, b.into()).await?,
    ))
}

async fn deactivate(app: App, r: Req) -> Result<Resp> {
    let id = r.id("id")?;
    ok(views::table(
        &floor::deactivate(&app, r.actor()?, id).await?,
    ))
}

async fn status(app: App, r: Req) -> Result<Resp> {
    let id = r.id("id")?;
    ok(views::table_view(&floor::status(&app, id).await?))
}

#[derive(Deserialize)]
struct Position {
    floor_x: Option<f64>,
    floor_y: Option<f64>,
}

async fn floorplan(app: App, mut r: Req) -> Result<Resp> {
    let id = r.id("id")?;
    let b: Position = r.json().await?;
    let i = TableInput {
        floor_x: Some(b.floor_x),
        floor_y: Some(b.floor_y),
        ..Default::default()
    };
    ok(views::table(&floor::edit(&app, r.actor()?, id, i).await?))
}

async fn groups(app: App, _r: Req) -> Result<Resp> {
    let v = floor::groups(&app).await?;
    ok(json!(v.iter().map(views::group).collect::<Vec<_>>()))
}

#[derive(Deserialize)]
struct GroupBody {
    name: Option<String>,
    sort_order: Option<i32>,
}

async fn create_group(app: App, mut r: Req) -> Result<Resp> {
    let b: GroupBody = r.json().await?;
    created(views::group(
        &floor::save_group(&app, r.actor()?, None, b.name, b.sort_order).await?,
    ))
}

async fn edit_group(app: App, mut r: Req) -> Result<Resp> {
    let id = r.id("id")?;
    let b: GroupBody = r.json().await?;
    ok(views::group(
        &floor::save_group(&app, r.actor()?, Some(id), b.name, b.sort_order).await?,
    ))
}

async fn delete_group(app: App, r: Req) -> Result<Resp> {
    let id = r.id("id")?;
    floor::delete_group(&app, r.actor()?, id).await?;
    no_content()
}
