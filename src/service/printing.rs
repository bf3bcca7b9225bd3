//! The enqueue side of the print spool: turns order changes into print jobs inside the
//! caller's write transaction (so a committed batch always has its tickets queued), and the
//! manager's printer and job actions. The sending side lives in `print::spool`.

use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::domain::floor::Table;
use crate::domain::orders::{Order, OrderItem};
use crate::domain::printers::{
    Bill, BillPayment, JobKind, JobState, PrintJob, PrintToggles, Printer, TicketData, TicketLine,
};
use crate::domain::staff::User;
use crate::error::{Error, Result};
use crate::store::tables::{PRINT_JOBS, PRINTERS, TABLES, USERS};
use crate::store::{Reader, Record, Writer};

pub const TOGGLES_KEY: &str = "print_toggles";

pub fn toggles<R: Reader>(r: &R) -> Result<PrintToggles> {
    Ok(match r.meta(TOGGLES_KEY)? {
        Some(b) => PrintToggles::decode(&b)?,
        None => PrintToggles::default(),
    })
}

fn line(i: &OrderItem) -> TicketLine {
    TicketLine {
        item_id: i.id,
        quantity: i.quantity,
        name: i.name.clone(),
        options: i.options.iter().map(|o| o.name.clone()).collect(),
        preferences: i
            .preferences
            .iter()
            .map(|(s, c)| (s.name.clone(), c.name.clone()))
            .collect(),
        removed: i.removed.iter().map(|r| r.name.clone()).collect(),
        notes: i.notes.clone(),
        unit_price: i.unit_price,
    }
}

/// The header every ticket of an order carries.
pub fn ticket_for<R: Reader>(r: &R, order: &Order, by: u64, at: Timestamp) -> Result<TicketData> {
    let table = r.get::<Table>(TABLES, order.table_id)?;
    let waiter = r
        .get::<User>(USERS, by)?
        .map(|u| u.display_name)
        .unwrap_or_else(|| format!("#{by}"));
    Ok(TicketData {
        table_number: table.as_ref().map(|t| t.number).unwrap_or(0),
        table_label: table.and_then(|t| t.label),
        order_number: order.number,
        order_id: order.id,
        waiter,
        at,
        lines: Vec::new(),
        bill: None,
    })
}

/// Queue one job. Returns its id, or `None` when that kind of print is switched off or the
/// printer does not exist any more.
pub fn enqueue<W: Writer>(
    w: &W,
    printer_id: u64,
    kind: JobKind,
    order_id: Option<u64>,
    ticket: TicketData,
    reprint: Option<String>,
    now: Timestamp,
) -> Result<Option<u64>> {
    if !toggles(w)?.allows(kind) {
        return Ok(None);
    }
    if w.get::<Printer>(PRINTERS, printer_id)?.is_none() {
        return Ok(None);
    }
    let id = w.next_id("print_jobs")?;
    let job = PrintJob {
        id,
        printer_id,
        zone_printer_id: printer_id,
        kind,
        order_id,
        ticket,
        created_at: now,
        state: JobState::Queued,
        attempts: 0,
        last_error: None,
        reprint,
        done_at: None,
        released_at: None,
    };
    w.put(PRINT_JOBS, id, &job)?;
    w.queue_job(printer_id, id)?;
    Ok(Some(id))
}

/// Tickets for newly added items, one per printer zone. Items without a zone are not printed
/// (seed 001).
pub fn enqueue_items<W: Writer>(
    w: &W,
    order: &Order,
    item_ids: &[u64],
    by: u64,
    now: Timestamp,
) -> Result<Vec<u64>> {
    enqueue_grouped(w, order, item_ids, JobKind::Order, by, now)
}

/// VOID tickets for cancelled items, to the printers that printed them.
///
/// Only for what is or may be on paper: an item already printed, or on a ticket being sent
/// right now or marked REPRINT (a failed attempt may have put it out). An item whose ticket is
/// still waiting (queued or held) is taken off that ticket instead, a ticket left empty is
/// dropped, and an item whose ticket never went out (discarded by a manager, or tickets
/// switched off) gets nothing: the cook never gets a dish and then its VOID.
pub fn enqueue_voids<W: Writer>(
    w: &W,
    order: &Order,
    item_ids: &[u64],
    by: u64,
    now: Timestamp,
) -> Result<Vec<u64>> {
    let on_paper = pull_unsent(w, order, item_ids)?;
    enqueue_grouped(w, order, &on_paper, JobKind::Void, by, now)
}

/// Takes `item_ids` off this order's tickets that are still waiting (queued or held, no
/// REPRINT reason). Returns the items that are or may be on paper.
fn pull_unsent<W: Writer>(w: &W, order: &Order, item_ids: &[u64]) -> Result<Vec<u64>> {
    let mut on_paper: Vec<u64> = Vec::new();
    let mut unsent: Vec<u64> = Vec::new();
    for i in order.items.iter().filter(|i| item_ids.contains(&i.id)) {
        if i.printed {
            on_paper.push(i.id);
        } else if i.printer_zone_id.is_some() {
            unsent.push(i.id);
        }
    }
    if unsent.is_empty() {
        return Ok(on_paper);
    }
    for p in w.all::<Printer>(PRINTERS)? {
        let mut jobs = w.queued_jobs(p.id)?;
        jobs.extend(w.held_jobs(Some(p.id))?.into_iter().map(|(_, j)| j));
        for job_id in jobs {
            let Some(mut job) = w.get::<PrintJob>(PRINT_JOBS, job_id)? else {
                continue;
            };
            if job.order_id != Some(order.id) || job.kind != JobKind::Order {
                continue;
            }
            let mine = |l: &TicketLine| unsent.contains(&l.item_id);
            let waiting = matches!(job.state, JobState::Queued | JobState::Held);
            if !waiting || job.reprint.is_some() {
                // Being sent, or a retry after an attempt that may have printed.
                on_paper.extend(
                    job.ticket
                        .lines
                        .iter()
                        .filter(|l| mine(l))
                        .map(|l| l.item_id),
                );
                continue;
            }
            let before = job.ticket.lines.len();
            job.ticket.lines.retain(|l| !mine(l));
            if job.ticket.lines.len() == before {
                continue;
            }
            if job.ticket.lines.is_empty() {
                if job.state == JobState::Held {
                    w.set_held(job.printer_id, job.id, false)?;
                } else {
                    w.unqueue_job(job.printer_id, job.id)?;
                }
                job.state = JobState::Discarded;
                job.last_error = Some("every item on it was voided before it was sent".into());
            }
            w.put(PRINT_JOBS, job.id, &job)?;
        }
    }
    on_paper.sort_unstable();
    on_paper.dedup();
    Ok(on_paper)
}

fn enqueue_grouped<W: Writer>(
    w: &W,
    order: &Order,
    item_ids: &[u64],
    kind: JobKind,
    by: u64,
    now: Timestamp,
) -> Result<Vec<u64>> {
    let mut zones: BTreeMap<u64, Vec<&OrderItem>> = BTreeMap::new();
    for i in order.items.iter().filter(|i| item_ids.contains(&i.id)) {
        if let Some(z) = i.printer_zone_id {
            zones.entry(z).or_default().push(i);
        }
    }
    let mut jobs = Vec::new();
    for (zone, items) in zones {
        let mut t = ticket_for(w, order, by, now)?;
        t.lines = items.into_iter().map(line).collect();
        if let Some(id) = enqueue(w, zone, kind, Some(order.id), t, None, now)? {
            jobs.push(id);
        }
    }
    Ok(jobs)
}

/// The table's bill, to a chosen printer.
pub fn enqueue_bill<W: Writer>(
    w: &W,
    order: &Order,
    printer_id: u64,
    by: u64,
    now: Timestamp,
) -> Result<Option<u64>> {
    let mut t = ticket_for(w, order, by, now)?;
    t.lines = order
        .items
        .iter()
        .filter(|i| i.counts())
        .map(line)
        .collect();
    t.bill = Some(Bill {
        total: order.total(),
        paid: order.paid_total(),
        due: order.due(),
        payments: order
            .payments
            .iter()
            .map(|p| BillPayment {
                method: p.method.as_str().into(),
                amount: p.amount,
                tip: p.tip,
            })
            .collect(),
    });
    if !toggles(w)?.bills {
        return Err(Error::conflict(
            "bills_off",
            "bill printing is switched off in the print settings",
        ));
    }
    enqueue(w, printer_id, JobKind::Bill, Some(order.id), t, None, now)
}

/// Printer settings as sent by a sysadmin; `None` leaves a field unchanged.
#[derive(Debug, Clone, Default)]
pub struct PrinterInput {
    pub name: Option<String>,
    pub host: Option<String>,
    pub port: Option<i64>,
    pub code_page: Option<String>,
    pub esc_t: Option<i64>,
    pub columns: Option<i64>,
    pub active: Option<bool>,
    pub backup_printer_id: Option<Option<u64>>,
}

fn apply_printer<W: Reader>(w: &W, p: &mut Printer, i: PrinterInput) -> Result<()> {
    use crate::domain::printers as dp;
    if let Some(n) = i.name {
        p.name = dp::name(&n)?;
    }
    if let Some(h) = i.host {
        p.host = dp::host(&h)?;
    }
    if let Some(port) = i.port {
        if !(1..=65535).contains(&port) {
            return Err(Error::invalid("bad_port", "port must be 1 to 65535"));
        }
        p.port = port as u16;
    }
    if let Some(c) = i.code_page {
        p.code_page = dp::code_page(&c)?;
        if i.esc_t.is_none() {
            p.esc_t = crate::domain::printers::default_esc_t(&p.code_page);
        }
    }
    if let Some(n) = i.esc_t {
        if !(0..=255).contains(&n) {
            return Err(Error::invalid("bad_esc_t", "esc_t must be 0 to 255"));
        }
        p.esc_t = n as u8;
    }
    if let Some(c) = i.columns {
        p.columns = dp::columns(c)?;
    }
    if let Some(a) = i.active {
        p.active = a;
    }
    if let Some(b) = i.backup_printer_id {
        if let Some(b) = b {
            if b == p.id {
                return Err(Error::invalid(
                    "bad_backup",
                    "a printer cannot be its own backup",
                ));
            }
            if w.get::<Printer>(PRINTERS, b)?.is_none() {
                return Err(Error::invalid(
                    "bad_backup",
                    format!("printer {b} does not exist"),
                ));
            }
        }
        p.backup_printer_id = b;
    }
    Ok(())
}

pub async fn printers(app: &crate::app::App) -> Result<Vec<Printer>> {
    app.store.read(|r| r.all::<Printer>(PRINTERS)).await
}

pub async fn save_printer(
    app: &crate::app::App,
    id: Option<u64>,
    i: PrinterInput,
) -> Result<Printer> {
    if id.is_none() && (i.name.is_none() || i.host.is_none()) {
        return Err(Error::invalid(
            "missing_field",
            "name and ip_address are required",
        ));
    }
    let limits = crate::service::license::limits(app);
    let p = app
        .store
        .write(move |w| {
            let was_active = match id {
                Some(id) => w.get::<Printer>(PRINTERS, id)?.is_some_and(|p| p.active),
                None => false,
            };
            let mut p = match id {
                Some(id) => w
                    .get::<Printer>(PRINTERS, id)?
                    .ok_or_else(|| Error::not_found("printer", id))?,
                None => Printer {
                    id: w.next_id("printers")?,
                    name: String::new(),
                    host: String::new(),
                    port: 9100,
                    code_page: "cp737".into(),
                    esc_t: crate::domain::printers::default_esc_t("cp737"),
                    columns: 48,
                    active: true,
                    backup_printer_id: None,
                },
            };
            apply_printer(w, &mut p, i)?;
            if p.active && !was_active {
                crate::service::license::check_printer_limit(w, &limits, Some(p.id))?;
            }
            w.put(PRINTERS, p.id, &p)?;
            Ok(p)
        })
        .await?;
    app.spool_wake.notify_waiters();
    tracing::info!(PRINTER = p.id, name = %p.name, host = %p.host, port = p.port, "printer saved");
    Ok(p)
}

pub async fn set_toggles(app: &crate::app::App, t: PrintToggles) -> Result<PrintToggles> {
    app.store
        .write(move |w| w.set_meta(TOGGLES_KEY, &t.encode()).map(|_| t))
        .await
}

pub async fn get_toggles(app: &crate::app::App) -> Result<PrintToggles> {
    app.store.read(toggles).await
}
