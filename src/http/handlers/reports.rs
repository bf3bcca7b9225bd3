//! `/api/reports`: shift report, order history, tables summary (manager only).

use serde::Deserialize;
use serde_json::{Value, json};

use super::orders::{ListQuery, page_json};
use crate::app::App;
use crate::domain::reports::{MethodTotals, WaiterShift, parse_date};
use crate::error::Result;
use crate::http::io::{Req, Resp, ok};
use crate::http::router::Route;
use crate::http::views;
use crate::route;
use crate::service::{floor, orders, reports};

pub fn routes() -> Vec<Route> {
    vec![
        route!(GET "/api/reports/shift", Manager, shift),
        route!(GET "/api/reports/orders/history", Manager, history),
        route!(GET "/api/reports/tables/summary", Manager, tables_summary),
    ]
}

#[derive(Deserialize)]
struct ShiftQuery {
    date: Option<String>,
    waiter_id: Option<u64>,
}

fn methods(m: &MethodTotals) -> Value {
    json!({ "cash": m.cash, "card": m.card, "total": m.total() })
}

fn waiter(w: &WaiterShift, name: Option<&str>) -> Value {
    json!({
        "waiter_id": w.waiter_id,
        "name": name,
        "orders_opened": w.orders_opened,
        "orders_closed": w.orders_closed,
        "orders_cancelled": w.orders_cancelled,
        "items_sold": w.items_sold,
        "sales": w.sales,
        "collected": methods(&w.collected),
        "tips": methods(&w.tips),
        "cancelled_items": w.cancelled_items,
        "cancelled_value": w.cancelled_value,
    })
}

async fn shift(app: App, r: Req) -> Result<Resp> {
    let q: ShiftQuery = r.query()?;
    let day = q
        .date
        .as_deref()
        .map(|d| parse_date("date", d))
        .transpose()?;
    let s = reports::shift(&app, r.actor()?, day, q.waiter_id).await?;
    let name = |id: u64| {
        s.names
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, n)| n.as_str())
    };
    ok(json!({
        "date": s.day.to_string(),
        "timezone": app.config.tz_name,
        "waiters": s.report.waiters.iter().map(|w| waiter(w, name(w.waiter_id))).collect::<Vec<_>>(),
        "totals": waiter(&s.report.totals, None),
        "by_payment_method": methods(&s.report.totals.collected),
        "sales_by_hour": s.report.sales_by_hour.to_vec(),
        "sales_by_product": s.report.sales_by_product.iter().map(|(id, (q, c))| json!({"product_id": id, "quantity": q, "sales": c})).collect::<Vec<_>>(),
        "open_orders": s.report.open_orders,
    }))
}

async fn history(app: App, r: Req) -> Result<Resp> {
    let q: ListQuery = r.query()?;
    let p = orders::list(&app, r.actor()?, q.filter()?).await?;
    ok(page_json(&p))
}

async fn tables_summary(app: App, _r: Req) -> Result<Resp> {
    let v = floor::list(&app).await?;
    let count = |s: &str| v.iter().filter(|t| t.status.as_str() == s).count();
    ok(json!({
        "tables": v.iter().map(views::table_view).collect::<Vec<_>>(),
        "free": count("free"),
        "occupied": count("occupied"),
        "partially_paid": count("partially_paid"),
        "paid": count("paid"),
        "inactive": count("inactive"),
        "open_total": v.iter().filter_map(|t| t.order.as_ref()).map(|o| o.total()).sum::<i64>(),
        "open_due": v.iter().filter_map(|t| t.order.as_ref()).map(|o| o.due()).sum::<i64>(),
    }))
}
