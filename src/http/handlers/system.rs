//! `/api/system`: health (no auth, never license-gated), status, printers and print settings.

use serde::Deserialize;
use serde_json::json;

use crate::app::App;
use crate::domain::printers::PrintToggles;
use crate::error::Result;
use crate::http::io::{Req, Resp, created, double, ok};
use crate::http::router::Route;
use crate::http::views;
use crate::route;
use crate::service::printing::{self, PrinterInput};

pub fn routes() -> Vec<Route> {
    vec![
        route!(GET "/api/system/health", Public exempt, health),
        route!(GET "/api/system/status", Auth, status),
        route!(GET "/api/system/printers", Auth, printers),
        route!(POST "/api/system/printers", Sysadmin, create_printer),
        route!(PUT "/api/system/printers/{id}", Sysadmin, edit_printer),
        route!(GET "/api/system/print-settings", Auth, get_toggles),
        route!(PUT "/api/system/print-settings", Manager, set_toggles),
    ]
}

async fn health(app: App, _r: Req) -> Result<Resp> {
    ok(json!({
        "status": "healthy",
        "version": env!("CARGO_PKG_VERSION"),
        "uptime": app.started.elapsed().as_secs(),
        "timestamp": app.now().to_string(),
    }))
}

async fn status(app: App, _r: Req) -> Result<Resp> {
    let printers = printing::printers(&app).await?;
    ok(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "uptime": app.started.elapsed().as_secs(),
        "started_at": app.started_at.to_string(),
        "restaurant": app.config.restaurant_name,
        "timezone": app.config.tz_name,
        "demo": app.config.demo,
        "printers": printers.iter().map(views::printer).collect::<Vec<_>>(),
        "license": super::license::summary(&app),
    }))
}

async fn printers(app: App, _r: Req) -> Result<Resp> {
    let v = printing::printers(&app).await?;
    ok(json!(v.iter().map(views::printer).collect::<Vec<_>>()))
}

#[derive(Deserialize)]
struct PrinterBody {
    name: Option<String>,
    #[serde(alias = "host")]
    ip_address: Option<String>,
    port: Option<i64>,
    code_page: Option<String>,
    esc_t: Option<i64>,
    columns: Option<i64>,
    is_active: Option<bool>,
    #[serde(default, deserialize_with = "double")]
    backup_printer_id: Option<Option<u64>>,
}

impl From<PrinterBody> for PrinterInput {
    fn from(b: PrinterBody) -> Self {
        PrinterInput {
            name: b.name,
            host: b.ip_address,
            port: b.port,
            code_page: b.code_page,
            esc_t: b.esc_t,
            columns: b.columns,
            active: b.is_active,
            backup_printer_id: b.backup_printer_id,
        }
    }
}

async fn create_printer(app: App, mut r: Req) -> Result<Resp> {
    let b: PrinterBody = r.json().await?;
    created(views::printer(
        &printing::save_printer(&app, None, b.into()).await?,
    ))
}

async fn edit_printer(app: App, mut r: Req) -> Result<Resp> {
    let id = r.id("id")?;
    let b: PrinterBody = r.json().await?;
    ok(views::printer(
        &printing::save_printer(&app, Some(id), b.into()).await?,
    ))
}

fn toggles_json(t: &PrintToggles) -> serde_json::Value {
    json!({ "order_tickets": t.order_tickets, "bills": t.bills, "voids": t.voids })
}

async fn get_toggles(app: App, _r: Req) -> Result<Resp> {
    ok(toggles_json(&printing::get_toggles(&app).await?))
}

#[derive(Deserialize)]
struct Toggles {
    order_tickets: Option<bool>,
    bills: Option<bool>,
    voids: Option<bool>,
}

async fn set_toggles(app: App, mut r: Req) -> Result<Resp> {
    let b: Toggles = r.json().await?;
    let cur = printing::get_toggles(&app).await?;
    let t = PrintToggles {
        order_tickets: b.order_tickets.unwrap_or(cur.order_tickets),
        bills: b.bills.unwrap_or(cur.bills),
        voids: b.voids.unwrap_or(cur.voids),
    };
    ok(toggles_json(&printing::set_toggles(&app, t).await?))
}
