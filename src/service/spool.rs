//! The print spool's durable steps. Each is one write transaction, committed before the spool
//! acts on its result, so that after any crash the store says what may have happened.
//!
//! Invariants: a job is in its printer's queue (`PRINT_QUEUE`) exactly while it is `Queued` or
//! `Sending`, and in `PRINT_HELD` exactly while `Held`. A job is marked `Sending` (durably)
//! before its printer is contacted; a job found `Sending` by anyone but the worker sending it
//! has an unknown outcome and is printed again with a REPRINT banner. Every send attempt ends
//! with one print log entry (seed 000), including attempts cut short by a crash.

use jiff::Timestamp;

use crate::app::App;
use crate::domain::orders::{Order, OrderStatus};
use crate::domain::printers::{
    JobKind, JobState, PrintJob, PrintLogEntry, Printer, REPRINT_POWER_LOSS, add_reprint_reason,
};
use crate::error::{Error, Result};
use crate::events::Change;
use crate::store::tables::{ORDERS, PRINT_JOBS, PRINT_LOG, PRINTERS};
use crate::store::{Reader, Writer};

/// REPRINT reason for a job a worker found mid-send (its earlier worker stopped abnormally).
pub const REPRINT_UNKNOWN: &str = "outcome of an earlier attempt unknown";

/// What a printer's worker needs to know about its queue.
#[derive(Debug, Clone)]
pub struct Next {
    /// The oldest job still to send.
    pub job: Option<PrintJob>,
    /// Jobs in the queue (queued or sending).
    pub queued: u32,
    /// Jobs held for a manager.
    pub held: u32,
}

pub async fn next(app: &App, printer_id: u64) -> Result<Next> {
    app.store
        .read(move |r| {
            let ids = r.queued_jobs(printer_id)?;
            let held = r.held_jobs(Some(printer_id))?.len() as u32;
            let job = match ids.first() {
                Some(&id) => r.get::<PrintJob>(PRINT_JOBS, id)?,
                None => None,
            };
            Ok(Next {
                job,
                queued: ids.len() as u32,
                held,
            })
        })
        .await
}

/// Appends one print log entry (and indexes it by order).
pub fn log<W: Writer>(
    w: &W,
    job: &PrintJob,
    at: Timestamp,
    success: bool,
    error: Option<String>,
) -> Result<u64> {
    let id = w.next_id("print_log")?;
    let entry = PrintLogEntry {
        id,
        job_id: job.id,
        order_id: job.order_id,
        printer_id: job.printer_id,
        at,
        item_ids: job.item_ids(),
        success,
        error,
    };
    w.put(PRINT_LOG, id, &entry)?;
    if let Some(o) = job.order_id {
        w.index_log(o, id)?;
    }
    Ok(id)
}

/// At start-up: every job left `Sending` was cut off by a crash or power cut. Its ticket may or
/// may not be on paper, so it goes back to its queue marked REPRINT ("after power loss"), and
/// the cut-off attempt is logged. Returns the job ids.
pub async fn recover(app: &App, now: Timestamp) -> Result<Vec<u64>> {
    app.store
        .write(move |w| {
            let mut out = Vec::new();
            for p in w.all::<Printer>(PRINTERS)? {
                for id in w.queued_jobs(p.id)? {
                    let Some(mut job) = w.get::<PrintJob>(PRINT_JOBS, id)? else {
                        w.unqueue_job(p.id, id)?;
                        continue;
                    };
                    if job.state != JobState::Sending {
                        continue;
                    }
                    log(
                        w,
                        &job,
                        now,
                        false,
                        Some(
                            "outcome unknown: posd stopped while sending (power loss or crash)"
                                .into(),
                        ),
                    )?;
                    job.state = JobState::Queued;
                    add_reprint_reason(&mut job.reprint, REPRINT_POWER_LOSS);
                    w.put(PRINT_JOBS, id, &job)?;
                    out.push(id);
                }
            }
            Ok(out)
        })
        .await
}

/// A job taken for sending, with what rendering it needs from the store.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub job: PrintJob,
    /// The zone's own printer's name (ticket title; BACKUP mark after failover).
    pub zone_name: String,
    /// VOID tickets: the whole order is cancelled.
    pub whole_order: bool,
}

/// Marks the job `Sending` (one more attempt) before its printer is contacted. `None` when it
/// is no longer this printer's to send.
pub async fn claim(app: &App, printer_id: u64, job_id: u64) -> Result<Option<Claimed>> {
    let now = app.now();
    app.store
        .write(move |w| {
            let Some(mut job) = w.get::<PrintJob>(PRINT_JOBS, job_id)? else {
                return Ok(None);
            };
            if job.printer_id != printer_id || !job.state.is_pending() {
                return Ok(None);
            }
            if job.state == JobState::Sending {
                // Left mid-send by a worker that stopped abnormally: same as a crash.
                log(
                    w,
                    &job,
                    now,
                    false,
                    Some(format!("outcome unknown: {REPRINT_UNKNOWN}")),
                )?;
                add_reprint_reason(&mut job.reprint, REPRINT_UNKNOWN);
            }
            job.state = JobState::Sending;
            job.attempts += 1;
            w.put(PRINT_JOBS, job.id, &job)?;
            let zone_name = w
                .get::<Printer>(PRINTERS, job.zone_printer_id)?
                .map(|p| p.name)
                .unwrap_or_else(|| format!("Printer {}", job.zone_printer_id));
            let whole_order = job.kind == JobKind::Void
                && match job.order_id {
                    Some(o) => w
                        .get::<Order>(ORDERS, o)?
                        .is_some_and(|o| o.status == OrderStatus::Cancelled),
                    None => false,
                };
            Ok(Some(Claimed {
                job,
                zone_name,
                whole_order,
            }))
        })
        .await
}

/// How an attempt ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The printer took every byte and reported itself healthy afterwards.
    Printed,
    Failed {
        error: String,
        /// Some of the ticket may be on paper: the retry is marked REPRINT with this reason.
        reprint: Option<&'static str>,
    },
}

/// Records an attempt's outcome: log entry; printed → `Done`, out of the queue, the order's
/// items marked printed; failed → `Queued` again with the error (and a REPRINT reason when
/// the ticket may have printed).
pub async fn finish(app: &App, job_id: u64, outcome: Outcome) -> Result<()> {
    let now = app.now();
    let printed = app
        .store
        .write(move |w| {
            let mut job = w
                .get::<PrintJob>(PRINT_JOBS, job_id)?
                .ok_or_else(|| Error::not_found("print job", job_id))?;
            let (success, error) = match &outcome {
                Outcome::Printed => (true, None),
                Outcome::Failed { error, .. } => (false, Some(error.clone())),
            };
            log(w, &job, now, success, error.clone())?;
            if job.state != JobState::Sending {
                tracing::warn!(
                    JOB_ID = job_id,
                    state = job.state.as_str(),
                    "a send finished for a job that is no longer sending"
                );
                return Ok(None);
            }
            match outcome {
                Outcome::Printed => {
                    job.state = JobState::Done;
                    job.done_at = Some(now);
                    job.last_error = None;
                    w.unqueue_job(job.printer_id, job.id)?;
                    w.put(PRINT_JOBS, job.id, &job)?;
                    if job.kind != JobKind::Order {
                        return Ok(None);
                    }
                    let Some(mut order) = job
                        .order_id
                        .map(|o| w.get::<Order>(ORDERS, o))
                        .transpose()?
                        .flatten()
                    else {
                        return Ok(None);
                    };
                    let ids = job.item_ids();
                    for i in order.items.iter_mut().filter(|i| ids.contains(&i.id)) {
                        i.printed = true;
                    }
                    w.put(ORDERS, order.id, &order)?;
                    Ok(Some((order, ids)))
                }
                Outcome::Failed { error, reprint } => {
                    job.state = JobState::Queued;
                    job.last_error = Some(error);
                    if let Some(reason) = reprint {
                        add_reprint_reason(&mut job.reprint, reason);
                    }
                    w.put(PRINT_JOBS, job.id, &job)?;
                    Ok(None)
                }
            }
        })
        .await?;
    if let Some((order, item_ids)) = printed {
        app.publish(Change::Items {
            order_id: order.id,
            table_id: order.table_id,
            item_ids,
            waiters: order.waiters,
        });
    }
    Ok(())
}

/// Holds a job that waited too long, for a manager to print or discard. A job found mid-send
/// keeps the fact that it may have printed.
pub async fn hold(app: &App, job_id: u64) -> Result<bool> {
    app.store
        .write(move |w| {
            let Some(mut job) = w.get::<PrintJob>(PRINT_JOBS, job_id)? else {
                return Ok(false);
            };
            if !job.state.is_pending() {
                return Ok(false);
            }
            if job.state == JobState::Sending {
                add_reprint_reason(&mut job.reprint, REPRINT_UNKNOWN);
            }
            job.state = JobState::Held;
            w.unqueue_job(job.printer_id, job.id)?;
            w.set_held(job.printer_id, job.id, true)?;
            w.put(PRINT_JOBS, job.id, &job)?;
            Ok(true)
        })
        .await
}

/// Moves every queued job of `from` to its zone's backup printer `to`, keeping their order
/// (queues are ordered by job id) and their zone (printed "BACKUP for <zone>"). Returns how
/// many moved.
pub async fn failover(app: &App, from: u64, to: u64) -> Result<usize> {
    app.store
        .write(move |w| {
            let backup = w
                .get::<Printer>(PRINTERS, to)?
                .ok_or_else(|| Error::not_found("printer", to))?;
            if !backup.active {
                return Ok(0);
            }
            let mut moved = 0;
            for id in w.queued_jobs(from)? {
                let Some(mut job) = w.get::<PrintJob>(PRINT_JOBS, id)? else {
                    continue;
                };
                if job.state != JobState::Queued {
                    continue;
                }
                w.unqueue_job(from, id)?;
                job.printer_id = to;
                w.queue_job(to, id)?;
                w.put(PRINT_JOBS, id, &job)?;
                moved += 1;
            }
            Ok(moved)
        })
        .await
}
