//! Printers (which are also the zones products print to) and print jobs: what is to be printed,
//! where, and how far it got. The bytes are rendered by `print::render` at send time, so a job
//! moved to a backup printer is rendered for that printer's code page and width.

use jiff::Timestamp;

use crate::domain::money::Cents;
use crate::domain::text;
use crate::error::{Error, Result};

/// Code pages a printer can be set to (names as in the API and config).
pub const CODE_PAGES: [&str; 7] = [
    "cp737",
    "wpc1253",
    "iso8859_7",
    "pc437",
    "pc850",
    "pc858",
    "wpc1252",
];

#[derive(Debug, Clone, PartialEq)]
pub struct Printer {
    pub id: u64,
    /// Also the zone name: "Kitchen", "Bar".
    pub name: String,
    pub host: String,
    pub port: u16,
    pub code_page: String,
    /// The printer's own `ESC t` number for `code_page` (Jolimark CP737 = 29, Epson = 14).
    pub esc_t: u8,
    /// Characters per line: 48 on 80 mm paper, 32 on 58 mm.
    pub columns: u8,
    pub active: bool,
    /// Where this zone's jobs go when this printer stays down.
    pub backup_printer_id: Option<u64>,
}

pub fn host(h: &str) -> Result<String> {
    let h = h.trim();
    let ok = !h.is_empty()
        && h.len() <= 253
        && h.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'));
    if !ok {
        return Err(Error::invalid(
            "bad_host",
            format!("{h:?} is not an IP address or host name"),
        ));
    }
    Ok(h.to_string())
}

pub fn code_page(c: &str) -> Result<String> {
    let c = c.trim().to_ascii_lowercase();
    if CODE_PAGES.contains(&c.as_str()) {
        Ok(c)
    } else {
        Err(Error::invalid(
            "bad_code_page",
            format!("code page must be one of {}", CODE_PAGES.join(", ")),
        ))
    }
}

pub fn columns(c: i64) -> Result<u8> {
    match c {
        32 | 42 | 48 | 64 => Ok(c as u8),
        _ => Err(Error::invalid(
            "bad_columns",
            "columns must be 48 (80 mm paper), 32 (58 mm), 42 or 64",
        )),
    }
}

pub fn name(n: &str) -> Result<String> {
    text::name("name", n, 30)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// New items for the kitchen or bar.
    Order,
    /// Items or an order cancelled after they were printed.
    Void,
    Bill,
    Test,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Order => "order",
            JobKind::Void => "void",
            JobKind::Bill => "bill",
            JobKind::Test => "test",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Waiting for its printer.
    Queued,
    /// A send started and its outcome is not known yet. Found in this state at start-up it
    /// means the power went out mid-send: it is printed again, marked REPRINT.
    Sending,
    Done,
    /// Waited too long; a manager decides to print or discard it.
    Held,
    Discarded,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Sending => "sending",
            JobState::Done => "done",
            JobState::Held => "held",
            JobState::Discarded => "discarded",
        }
    }
    pub fn parse(s: &str) -> Result<JobState> {
        [
            JobState::Queued,
            JobState::Sending,
            JobState::Done,
            JobState::Held,
            JobState::Discarded,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
        .ok_or_else(|| {
            Error::invalid(
                "bad_state",
                "state must be queued, sending, done, held or discarded",
            )
        })
    }
    pub fn is_pending(self) -> bool {
        matches!(self, JobState::Queued | JobState::Sending)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TicketLine {
    pub item_id: u64,
    pub quantity: u32,
    pub name: String,
    pub options: Vec<String>,
    /// (set name, choice name)
    pub preferences: Vec<(String, String)>,
    pub removed: Vec<String>,
    pub notes: Option<String>,
    pub unit_price: Cents,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BillPayment {
    pub method: String,
    pub amount: Cents,
    pub tip: Cents,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Bill {
    pub total: Cents,
    pub paid: Cents,
    pub due: Cents,
    pub payments: Vec<BillPayment>,
}

/// Everything a ticket shows, captured when the job is queued.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketData {
    pub table_number: u32,
    pub table_label: Option<String>,
    pub order_number: u8,
    pub order_id: u64,
    pub waiter: String,
    pub at: Timestamp,
    pub lines: Vec<TicketLine>,
    pub bill: Option<Bill>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PrintJob {
    pub id: u64,
    /// Where it is sent now (a backup printer after failover).
    pub printer_id: u64,
    /// The zone's own printer.
    pub zone_printer_id: u64,
    pub kind: JobKind,
    pub order_id: Option<u64>,
    pub ticket: TicketData,
    pub created_at: Timestamp,
    pub state: JobState,
    pub attempts: u32,
    pub last_error: Option<String>,
    /// Printed with a REPRINT banner and this reason.
    pub reprint: Option<String>,
    pub done_at: Option<Timestamp>,
    /// When a manager released it from `Held`; its waiting time counts from then.
    pub released_at: Option<Timestamp>,
}

impl PrintJob {
    /// Has it waited longer than `hold_after` (since it was queued, or released from hold)?
    /// Such a job is held for a manager instead of printed, so a printer that comes back after
    /// an outage does not flood the kitchen with stale tickets.
    pub fn overdue(&self, now: Timestamp, hold_after: std::time::Duration) -> bool {
        let since = self.released_at.unwrap_or(self.created_at);
        let waited = now.duration_since(since);
        waited.is_positive() && waited.unsigned_abs() > hold_after
    }

    /// Item ids the ticket lists.
    pub fn item_ids(&self) -> Vec<u64> {
        self.ticket.lines.iter().map(|l| l.item_id).collect()
    }
}

/// Reason printed under the REPRINT banner when a job was mid-send at a crash or power cut.
pub const REPRINT_POWER_LOSS: &str = "after power loss";
/// Reason printed under the REPRINT banner when a failed send may have printed some of it.
pub const REPRINT_CONNECTION_LOST: &str = "may have printed before: connection lost";

/// Adds `reason` to a job's REPRINT reasons (a manager's reprint that then lost its connection
/// says both).
pub fn add_reprint_reason(current: &mut Option<String>, reason: &str) {
    match current {
        Some(r) if r.contains(reason) => {}
        Some(r) => {
            r.push_str("; ");
            r.push_str(reason);
        }
        None => *current = Some(reason.to_string()),
    }
}

/// One send attempt, as seed 000's print_log.
#[derive(Debug, Clone, PartialEq)]
pub struct PrintLogEntry {
    pub id: u64,
    pub job_id: u64,
    pub order_id: Option<u64>,
    pub printer_id: u64,
    pub at: Timestamp,
    pub item_ids: Vec<u64>,
    pub success: bool,
    pub error: Option<String>,
}

/// Which kinds of print are switched on (seed 002's toggles).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrintToggles {
    pub order_tickets: bool,
    pub bills: bool,
    pub voids: bool,
}

impl Default for PrintToggles {
    fn default() -> Self {
        PrintToggles {
            order_tickets: true,
            bills: true,
            voids: true,
        }
    }
}

impl PrintToggles {
    pub fn allows(&self, k: JobKind) -> bool {
        match k {
            JobKind::Order => self.order_tickets,
            JobKind::Bill => self.bills,
            JobKind::Void => self.voids,
            JobKind::Test => true,
        }
    }
}

/// Epson's `ESC t` number for a code page; printers that number pages differently (the
/// Jolimark TP850UE selects CP737 with 29) get their own number in the printer record.
pub fn default_esc_t(code_page: &str) -> u8 {
    match code_page {
        "pc437" => 0,
        "pc850" => 2,
        "cp737" => 14,
        "iso8859_7" => 15,
        "wpc1252" => 16,
        "pc858" => 19,
        "wpc1253" => 47,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(created: &str) -> PrintJob {
        PrintJob {
            id: 1,
            printer_id: 1,
            zone_printer_id: 1,
            kind: JobKind::Order,
            order_id: None,
            ticket: TicketData {
                table_number: 1,
                table_label: None,
                order_number: 1,
                order_id: 1,
                waiter: "A".into(),
                at: created.parse().unwrap(),
                lines: Vec::new(),
                bill: None,
            },
            created_at: created.parse().unwrap(),
            state: JobState::Queued,
            attempts: 0,
            last_error: None,
            reprint: None,
            done_at: None,
            released_at: None,
        }
    }

    #[test]
    fn a_job_is_overdue_after_waiting_longer_than_the_hold_age_since_queued_or_released() {
        let hold = std::time::Duration::from_secs(30 * 60);
        let mut j = job("2026-11-21T18:00:00Z");
        assert!(!j.overdue("2026-11-21T18:30:00Z".parse().unwrap(), hold));
        assert!(j.overdue("2026-11-21T18:30:01Z".parse().unwrap(), hold));
        assert!(!j.overdue("2026-11-21T17:00:00Z".parse().unwrap(), hold));
        j.released_at = Some("2026-11-21T18:40:00Z".parse().unwrap());
        assert!(!j.overdue("2026-11-21T19:00:00Z".parse().unwrap(), hold));
        assert!(j.overdue("2026-11-21T19:10:01Z".parse().unwrap(), hold));
    }

    #[test]
    fn reprint_reasons_accumulate_once_each() {
        let mut r = None;
        add_reprint_reason(&mut r, "requested by Anna");
        add_reprint_reason(&mut r, REPRINT_CONNECTION_LOST);
        add_reprint_reason(&mut r, REPRINT_CONNECTION_LOST);
        assert_eq!(
            r.as_deref(),
            Some("requested by Anna; may have printed before: connection lost")
        );
    }

    #[test]
    fn job_states_parse_from_their_names() {
        assert_eq!(JobState::parse("held").unwrap(), JobState::Held);
        assert_eq!(JobState::parse("nope").unwrap_err().code, "bad_state");
    }
}
