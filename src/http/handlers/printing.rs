//! `/api/system/printers/*` actions and `/api/system/print-jobs`, `/api/system/print-log`:
//! test pages, discovery, deleting printers, the job list, held-job decisions, reprints, and
//! the log of every print attempt.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::app::App;
use crate::domain::printers::JobState;
use crate::error::{Error, Result};
use crate::http::io::{Req, Resp, created, no_content, ok};
use crate::http::router::Route;
use crate::http::views;
use crate::route;
use crate::service::print_jobs::{self, JobFilter};

pub fn routes() -> Vec<Route> {
    vec![
        route!(POST "/api/system/printers/test", Manager, test_page),
        route!(GET "/api/system/printers/discover", Manager, discover),
        route!(DELETE "/api/system/printers/{id}", Sysadmin, delete_printer),
        route!(GET "/api/system/print-jobs", Manager, jobs),
        route!(GET "/api/system/print-jobs/{id}", Manager, job),
        route!(POST "/api/system/print-jobs/{id}/release", Manager, release),
        route!(POST "/api/system/print-jobs/{id}/discard", Manager, discard),
        route!(POST "/api/system/print-jobs/{id}/reprint", Auth, reprint),
        route!(GET "/api/system/print-log", Manager, log),
    ]
}

/// Live printer states for `/api/system/status`: "Kitchen: paper out, 3 tickets waiting".
pub fn states(app: &App) -> Value {
    json!(
        app.spool
            .snapshot()
            .iter()
            .map(views::printer_live)
            .collect::<Vec<_>>()
    )
}

#[derive(Deserialize)]
struct TestBody {
    printer_id: Option<u64>,
}

async fn test_page(app: App, mut r: Req) -> Result<Resp> {
    let b: TestBody = r.json().await?;
    let id = b
        .printer_id
        .ok_or_else(|| Error::invalid("missing_field", "printer_id is required"))?;
    created(views::job(
        &print_jobs::test_page(&app, r.actor()?, id).await?,
    ))
}

#[derive(Deserialize, Default)]
struct DiscoverQuery {
    probe: Option<bool>,
}

async fn discover(app: App, r: Req) -> Result<Resp> {
    let q: DiscoverQuery = r.query()?;
    let found = print_jobs::discover(&app, q.probe.unwrap_or(false)).await?;
    ok(json!(found.iter().map(views::found).collect::<Vec<_>>()))
}

async fn delete_printer(app: App, r: Req) -> Result<Resp> {
    print_jobs::delete_printer(&app, r.id("id")?).await?;
    no_content()
}

#[derive(Deserialize, Default)]
struct JobsQuery {
    state: Option<String>,
    printer_id: Option<u64>,
    order_id: Option<u64>,
    before: Option<u64>,
    limit: Option<usize>,
}

async fn jobs(app: App, r: Req) -> Result<Resp> {
    let q: JobsQuery = r.query()?;
    let f = JobFilter {
        state: q.state.as_deref().map(JobState::parse).transpose()?,
        printer_id: q.printer_id,
        order_id: q.order_id,
        before: q.before,
        limit: q.limit.unwrap_or(100),
    };
    let v = print_jobs::list(&app, f).await?;
    ok(json!(v.iter().map(views::job).collect::<Vec<_>>()))
}

async fn job(app: App, r: Req) -> Result<Resp> {
    ok(views::job(&print_jobs::get(&app, r.id("id")?).await?))
}

async fn release(app: App, r: Req) -> Result<Resp> {
    ok(views::job(&print_jobs::release(&app, r.id("id")?).await?))
}

async fn discard(app: App, r: Req) -> Result<Resp> {
    ok(views::job(&print_jobs::discard(&app, r.id("id")?).await?))
}

async fn reprint(app: App, r: Req) -> Result<Resp> {
    let id = r.id("id")?;
    created(views::job(
        &print_jobs::reprint(&app, r.actor()?, id).await?,
    ))
}

#[derive(Deserialize, Default)]
struct LogQuery {
    order_id: Option<u64>,
    limit: Option<usize>,
}

async fn log(app: App, r: Req) -> Result<Resp> {
    let q: LogQuery = r.query()?;
    let v = print_jobs::log(&app, q.order_id, q.limit.unwrap_or(200)).await?;
    ok(json!(v.iter().map(views::print_log).collect::<Vec<_>>()))
}
