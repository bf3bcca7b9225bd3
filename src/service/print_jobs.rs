//! The manager's side of printing: job lists, releasing or discarding held jobs, reprints,
//! the print log, test pages, deleting printers and discovery. Each change is one write
//! transaction; the spool is woken after it commits.

use super::Actor;
use super::printing;
use crate::app::App;
use crate::domain::menu::Product;
use crate::domain::orders::Order;
use crate::domain::printers::{
    JobKind, JobState, PrintJob, PrintLogEntry, Printer, TicketData, add_reprint_reason,
};
use crate::domain::staff;
use crate::error::{Error, Result};
use crate::print::discover::{self, Found, Search};
use crate::store::tables::{ORDERS, PRINT_JOBS, PRINT_LOG, PRINTERS, PRODUCTS};
use crate::store::{Reader, Writer};

/// At most this many history records are read for one list request.
const SCAN: usize = 20_000;

#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    pub state: Option<JobState>,
    pub printer_id: Option<u64>,
    pub order_id: Option<u64>,
    /// Newest first; jobs with ids below this (paging).
    pub before: Option<u64>,
    pub limit: usize,
}

/// Jobs, newest first. Queued, sending and held jobs come from their indexes (always
/// complete); other states from recent history.
pub async fn list(app: &App, f: JobFilter) -> Result<Vec<PrintJob>> {
    let limit = f.limit.clamp(1, 500);
    app.store
        .read(move |r| {
            let keep = |j: &PrintJob| {
                f.state.is_none_or(|s| s == j.state)
                    && f.printer_id.is_none_or(|p| p == j.printer_id)
                    && f.order_id.is_none_or(|o| Some(o) == j.order_id)
                    && f.before.is_none_or(|b| j.id < b)
            };
            let indexed: Option<Vec<u64>> = match f.state {
                Some(JobState::Queued | JobState::Sending) => {
                    let printers = match f.printer_id {
                        Some(p) => vec![p],
                        None => r.all::<Printer>(PRINTERS)?.iter().map(|p| p.id).collect(),
                    };
                    let mut ids = Vec::new();
                    for p in printers {
                        ids.extend(r.queued_jobs(p)?);
                    }
                    Some(ids)
                }
                Some(JobState::Held) => Some(
                    r.held_jobs(f.printer_id)?
                        .into_iter()
                        .map(|(_, j)| j)
                        .collect(),
                ),
                _ => None,
            };
            match indexed {
                Some(mut ids) => {
                    ids.sort_unstable_by_key(|a| std::cmp::Reverse(*a));
                    let mut out = Vec::new();
                    for id in ids {
                        if let Some(j) = r.get::<PrintJob>(PRINT_JOBS, id)?
                            && keep(&j)
                        {
                            out.push(j);
                            if out.len() >= limit {
                                break;
                            }
                        }
                    }
                    Ok(out)
                }
                None => r.recent(PRINT_JOBS, f.before, limit, SCAN, &keep),
            }
        })
        .await
}

pub async fn get(app: &App, id: u64) -> Result<PrintJob> {
    app.store
        .read(move |r| {
            r.get::<PrintJob>(PRINT_JOBS, id)?
                .ok_or_else(|| Error::not_found("print job", id))
        })
        .await
}

fn held<W: Reader>(w: &W, id: u64) -> Result<PrintJob> {
    let j = w
        .get::<PrintJob>(PRINT_JOBS, id)?
        .ok_or_else(|| Error::not_found("print job", id))?;
    if j.state != JobState::Held {
        return Err(Error::conflict(
            "job_not_held",
            format!("print job {id} is {}, not held", j.state.as_str()),
        ));
    }
    Ok(j)
}

/// A manager prints a held job after all: back in its printer's queue, its waiting time
/// counted from now.
pub async fn release(app: &App, id: u64) -> Result<PrintJob> {
    let now = app.now();
    let j = app
        .store
        .write(move |w| {
            let mut j = held(w, id)?;
            j.state = JobState::Queued;
            j.released_at = Some(now);
            w.set_held(j.printer_id, j.id, false)?;
            w.queue_job(j.printer_id, j.id)?;
            w.put(PRINT_JOBS, j.id, &j)?;
            Ok(j)
        })
        .await?;
    app.spool_wake.notify_waiters();
    Ok(j)
}

/// A manager drops a held job: it is never printed.
pub async fn discard(app: &App, id: u64) -> Result<PrintJob> {
    let j = app
        .store
        .write(move |w| {
            let mut j = held(w, id)?;
            j.state = JobState::Discarded;
            w.set_held(j.printer_id, j.id, false)?;
            w.put(PRINT_JOBS, j.id, &j)?;
            Ok(j)
        })
        .await?;
    app.spool_wake.notify_waiters();
    Ok(j)
}

/// Queues a copy of a past ticket, marked REPRINT "requested by <name>", to the zone's
/// printer. Managers may reprint anything; a waiter only tickets of orders they may access.
pub async fn reprint(app: &App, actor: &Actor, id: u64) -> Result<PrintJob> {
    let now = app.now();
    let user = actor.user.username.clone();
    let actor = actor.clone();
    let j = app
        .store
        .write(move |w| {
            let src = w
                .get::<PrintJob>(PRINT_JOBS, id)?
                .ok_or_else(|| Error::not_found("print job", id))?;
            if !actor.is_manager() {
                let order = match src.order_id {
                    Some(o) => w.get::<Order>(ORDERS, o)?,
                    None => None,
                };
                let allowed = order.is_some_and(|o| {
                    staff::may_access_order(&actor.user, &o.waiters, &actor.assists)
                });
                if !allowed {
                    return Err(Error::forbidden(
                        "only a manager or the order's waiter may reprint this ticket",
                    ));
                }
            }
            let printer = w
                .get::<Printer>(PRINTERS, src.zone_printer_id)?
                .ok_or_else(|| Error::not_found("printer", src.zone_printer_id))?;
            let new_id = w.next_id("print_jobs")?;
            let mut reason = None;
            add_reprint_reason(
                &mut reason,
                &format!("requested by {}", actor.user.display_name),
            );
            let copy = PrintJob {
                id: new_id,
                printer_id: printer.id,
                zone_printer_id: printer.id,
                kind: src.kind,
                order_id: src.order_id,
                ticket: src.ticket,
                created_at: now,
                state: JobState::Queued,
                attempts: 0,
                last_error: None,
                reprint: reason,
                done_at: None,
                released_at: None,
            };
            w.put(PRINT_JOBS, new_id, &copy)?;
            w.queue_job(printer.id, new_id)?;
            Ok(copy)
        })
        .await?;
    app.spool_wake.notify_waiters();
    tracing::info!(JOB_ID = j.id, SOURCE_JOB_ID = id, USER = %user, "reprint queued");
    Ok(j)
}

/// The print log, newest first: one order's whole log, or the most recent entries.
pub async fn log(app: &App, order_id: Option<u64>, limit: usize) -> Result<Vec<PrintLogEntry>> {
    let limit = limit.clamp(1, 1000);
    app.store
        .read(move |r| match order_id {
            Some(o) => {
                let mut out = Vec::new();
                for id in r.log_of_order(o)?.into_iter().rev().take(limit) {
                    if let Some(e) = r.get::<PrintLogEntry>(PRINT_LOG, id)? {
                        out.push(e);
                    }
                }
                Ok(out)
            }
            None => r.recent(PRINT_LOG, None, limit, limit, &|_: &PrintLogEntry| true),
        })
        .await
}

/// Queues a test page (the printer's code page sample text) on a printer.
pub async fn test_page(app: &App, actor: &Actor, printer_id: u64) -> Result<PrintJob> {
    let now = app.now();
    let waiter = actor.user.display_name.clone();
    let j = app
        .store
        .write(move |w| {
            w.get::<Printer>(PRINTERS, printer_id)?
                .ok_or_else(|| Error::not_found("printer", printer_id))?;
            let t = TicketData {
                table_number: 0,
                table_label: None,
                order_number: 0,
                order_id: 0,
                waiter,
                at: now,
                lines: Vec::new(),
                bill: None,
            };
            let id = printing::enqueue(w, printer_id, JobKind::Test, None, t, None, now)?
                .ok_or_else(|| Error::not_found("printer", printer_id))?;
            w.get::<PrintJob>(PRINT_JOBS, id)?
                .ok_or_else(|| Error::internal("the queued test page vanished"))
        })
        .await?;
    app.spool_wake.notify_waiters();
    Ok(j)
}

/// Deletes a printer no product, backup link or unfinished job refers to.
pub async fn delete_printer(app: &App, id: u64) -> Result<()> {
    app.store
        .write(move |w| {
            let p = w
                .get::<Printer>(PRINTERS, id)?
                .ok_or_else(|| Error::not_found("printer", id))?;
            let queued = w.queued_jobs(id)?.len() + w.held_jobs(Some(id))?.len();
            if queued > 0 {
                return Err(Error::conflict(
                    "printer_has_jobs",
                    format!(
                        "{} has {queued} unfinished print jobs; let them print, or discard the held ones",
                        p.name
                    ),
                )
                .with("jobs", queued as i64));
            }
            let products = w
                .all::<Product>(PRODUCTS)?
                .into_iter()
                .filter(|pr| pr.active && pr.printer_zone_id == Some(id))
                .count();
            if products > 0 {
                return Err(Error::conflict(
                    "printer_in_use",
                    format!("{products} products print to {}; move them to another printer first", p.name),
                )
                .with("products", products as i64));
            }
            if let Some(other) = w
                .all::<Printer>(PRINTERS)?
                .into_iter()
                .find(|o| o.backup_printer_id == Some(id))
            {
                return Err(Error::conflict(
                    "printer_in_use",
                    format!("{} is the backup of {}; change that first", p.name, other.name),
                ));
            }
            w.remove(PRINTERS, id)?;
            Ok(())
        })
        .await?;
    app.spool_wake.notify_waiters();
    Ok(())
}

/// mDNS browse and, when `probe`, a port probe of the configured (or local) subnets.
pub async fn discover(app: &App, probe: bool) -> Result<Vec<Found>> {
    let t = &app.config.print;
    let subnets = if probe {
        match &t.discover_subnets {
            Some(s) => s.clone(),
            None => tokio::task::spawn_blocking(discover::local_subnets)
                .await
                .map_err(|e| Error::internal(format!("listing interfaces failed: {e}")))?,
        }
    } else {
        Vec::new()
    };
    Ok(discover::discover(Search {
        mdns: t.discover_mdns,
        subnets,
        ports: t.discover_ports.clone(),
        window: t.discover_window,
    })
    .await)
}
