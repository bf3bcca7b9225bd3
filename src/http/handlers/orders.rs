//! `/api/orders`: the order lifecycle (seed 000/001), waiter and manager sides.

use serde::Deserialize;
use serde_json::json;

use crate::app::App;
use crate::domain::orders::{OrderStatus, PayMethod};
use crate::domain::reports::{day_key, parse_date};
use crate::error::{Error, Result};
use crate::http::io::{Req, Resp, created, double, no_content, ok};
use crate::http::router::Route;
use crate::http::views;
use crate::route;
use crate::service::orders::{self, LineInput, OrderFilter};

pub fn routes() -> Vec<Route> {
    vec![
        route!(GET "/api/orders", Manager, list),
        route!(POST "/api/orders", Auth, open),
        route!(GET "/api/orders/my", Auth, mine),
        route!(POST "/api/orders/reset-numbers", Manager, reset_numbers),
        route!(GET "/api/orders/{id}", Auth, get),
        route!(DELETE "/api/orders/{id}", Manager, cancel),
        route!(POST "/api/orders/{id}/items", Auth, add_items),
        route!(PUT "/api/orders/{id}/items/{item_id}", Manager, edit_item),
        route!(DELETE "/api/orders/{id}/items/{item_id}", Manager, cancel_item),
        route!(POST "/api/orders/{id}/pay", Auth, pay),
        route!(POST "/api/orders/{id}/close", Auth, close),
        route!(PUT "/api/orders/{id}/assign-waiter", Manager, assign_waiter),
        route!(DELETE "/api/orders/{id}/waiters/{waiter_id}", Manager, remove_waiter),
        route!(POST "/api/orders/{id}/print-bill", Auth, print_bill),
    ]
}

#[derive(Deserialize)]
struct Open {
    table_id: u64,
    notes: Option<String>,
}

async fn open(app: App, mut r: Req) -> Result<Resp> {
    let b: Open = r.json().await?;
    created(views::order(
        &orders::open(&app, r.actor()?, b.table_id, b.notes).await?,
    ))
}

async fn get(app: App, r: Req) -> Result<Resp> {
    let id = r.id("id")?;
    ok(views::order(&orders::get(&app, r.actor()?, id).await?))
}

async fn mine(app: App, r: Req) -> Result<Resp> {
    let v = orders::mine(&app, r.actor()?).await?;
    ok(json!(v.iter().map(views::order).collect::<Vec<_>>()))
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    pub status: Option<String>,
    #[serde(alias = "date")]
    pub from: Option<String>,
    pub to: Option<String>,
    pub waiter_id: Option<u64>,
    pub table_id: Option<u64>,
    pub page: Option<u32>,
    pub page_size: Option<u32>,
}

impl ListQuery {
    pub fn filter(self) -> Result<OrderFilter> {
        Ok(OrderFilter {
            status: self.status.as_deref().map(OrderStatus::parse).transpose()?,
            from_day: self
                .from
                .as_deref()
                .map(|d| parse_date("from", d).map(day_key))
                .transpose()?,
            to_day: self
                .to
                .as_deref()
                .map(|d| parse_date("to", d).map(day_key))
                .transpose()?,
            waiter_id: self.waiter_id,
            table_id: self.table_id,
            page: self.page.unwrap_or(1),
            page_size: self.page_size.unwrap_or(50),
        })
    }
}

pub fn page_json(p: &orders::Page) -> serde_json::Value {
    json!({
        "items": p.items.iter().map(views::order).collect::<Vec<_>>(),
        "total": p.total,
        "page": p.page,
        "page_size": p.page_size,
    })
}

async fn list(app: App, r: Req) -> Result<Resp> {
    let q: ListQuery = r.query()?;
    let p = orders::list(&app, r.actor()?, q.filter()?).await?;
    ok(page_json(&p))
}

#[derive(Deserialize)]
struct Pref {
    set_id: u64,
    choice_id: u64,
}

#[derive(Deserialize)]
struct Line {
    product_id: u64,
    #[serde(default = "one")]
    quantity: i64,
    #[serde(default)]
    selected_options: Vec<u64>,
    #[serde(default)]
    removed_ingredients: Vec<u64>,
    #[serde(default)]
    preferences: Vec<Pref>,
    notes: Option<String>,
}

fn one() -> i64 {
    1
}

#[derive(Deserialize)]
struct Items {
    items: Vec<Line>,
}

async fn add_items(app: App, mut r: Req) -> Result<Resp> {
    let id = r.id("id")?;
    let key = r.header("idempotency-key").map(str::to_string);
    let b: Items = r.json().await?;
    let lines = b
        .items
        .into_iter()
        .map(|l| LineInput {
            product_id: l.product_id,
            quantity: l.quantity,
            selected_options: l.selected_options,
            removed_ingredients: l.removed_ingredients,
            preferences: l
                .preferences
                .into_iter()
                .map(|p| (p.set_id, p.choice_id))
                .collect(),
            notes: l.notes,
        })
        .collect();
    created(views::order(
        &orders::add_items(&app, r.actor()?, id, lines, key).await?,
    ))
}

#[derive(Deserialize)]
struct EditItem {
    quantity: Option<i64>,
    #[serde(default, deserialize_with = "double")]
    notes: Option<Option<String>>,
}

async fn edit_item(app: App, mut r: Req) -> Result<Resp> {
    let (id, item) = (r.id("id")?, r.id("item_id")?);
    let b: EditItem = r.json().await?;
    ok(views::order(
        &orders::edit_item(&app, r.actor()?, id, item, b.quantity, b.notes).await?,
    ))
}

async fn cancel_item(app: App, r: Req) -> Result<Resp> {
    let (id, item) = (r.id("id")?, r.id("item_id")?);
    ok(views::order(
        &orders::cancel_item(&app, r.actor()?, id, item).await?,
    ))
}

async fn cancel(app: App, r: Req) -> Result<Resp> {
    let id = r.id("id")?;
    ok(views::order(&orders::cancel(&app, r.actor()?, id).await?))
}

#[derive(Deserialize)]
struct AssignWaiter {
    waiter_id: u64,
}

async fn assign_waiter(app: App, mut r: Req) -> Result<Resp> {
    let id = r.id("id")?;
    let b: AssignWaiter = r.json().await?;
    ok(views::order(
        &orders::assign_waiter(&app, r.actor()?, id, b.waiter_id).await?,
    ))
}

async fn remove_waiter(app: App, r: Req) -> Result<Resp> {
    let (id, w) = (r.id("id")?, r.id("waiter_id")?);
    ok(views::order(
        &orders::remove_waiter(&app, r.actor()?, id, w).await?,
    ))
}

#[derive(Deserialize)]
struct Pay {
    item_ids: Vec<u64>,
    method: Option<String>,
    #[serde(default)]
    tip: i64,
}

async fn pay(app: App, mut r: Req) -> Result<Resp> {
    let id = r.id("id")?;
    let b: Pay = r.json().await?;
    let method = PayMethod::parse(b.method.as_deref().unwrap_or("cash"))?;
    ok(views::order(
        &orders::pay(&app, r.actor()?, id, b.item_ids, method, b.tip).await?,
    ))
}

async fn close(app: App, r: Req) -> Result<Resp> {
    let id = r.id("id")?;
    ok(views::order(&orders::close(&app, r.actor()?, id).await?))
}

async fn reset_numbers(app: App, r: Req) -> Result<Resp> {
    orders::reset_numbers(&app, r.actor()?).await?;
    no_content()
}

#[derive(Deserialize)]
struct PrintBill {
    printer_id: u64,
}

async fn print_bill(app: App, mut r: Req) -> Result<Resp> {
    let id = r.id("id")?;
    let b: PrintBill = r.json().await.map_err(|e| {
        if e.code == "unsupported_media_type" {
            e
        } else {
            Error::invalid("missing_field", "printer_id is required")
        }
    })?;
    let job = orders::print_bill(&app, r.actor()?, id, b.printer_id).await?;
    created(json!({ "job_id": job }))
}
