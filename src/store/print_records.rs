//! On-disk records for printers, print jobs, the print log and print toggles (versioned
//! postcard, like `records`).

use serde::{Deserialize, Serialize};

use super::records::{Record, ms, ts};
use crate::domain::printers::{
    Bill, BillPayment, JobKind, JobState, PrintJob, PrintLogEntry, PrintToggles, Printer,
    TicketData, TicketLine,
};
use crate::error::{Error, Result};

fn enc<T: Serialize>(v: &T) -> Vec<u8> {
    postcard::to_allocvec(v).expect("postcard encodes plain records into a Vec")
}
fn dec<'a, T: Deserialize<'a>>(what: &str, b: &'a [u8]) -> Result<T> {
    postcard::from_bytes(b)
        .map_err(|e| Error::internal(format!("stored {what} record is unreadable: {e}")))
}

#[derive(Serialize, Deserialize)]
pub enum PrinterRec {
    V1(PrinterV1),
}
#[derive(Serialize, Deserialize)]
pub struct PrinterV1 {
    pub id: u64,
    pub name: String,
    pub host: String,
    pub port: u16,
    pub code_page: String,
    pub esc_t: u8,
    pub columns: u8,
    pub active: bool,
    pub backup_printer_id: Option<u64>,
}

impl Record for Printer {
    fn encode(&self) -> Vec<u8> {
        enc(&PrinterRec::V1(PrinterV1 {
            id: self.id,
            name: self.name.clone(),
            host: self.host.clone(),
            port: self.port,
            code_page: self.code_page.clone(),
            esc_t: self.esc_t,
            columns: self.columns,
            active: self.active,
            backup_printer_id: self.backup_printer_id,
        }))
    }
    fn decode(b: &[u8]) -> Result<Self> {
        let PrinterRec::V1(p) = dec("printer", b)?;
        Ok(Printer {
            id: p.id,
            name: p.name,
            host: p.host,
            port: p.port,
            code_page: p.code_page,
            esc_t: p.esc_t,
            columns: p.columns,
            active: p.active,
            backup_printer_id: p.backup_printer_id,
        })
    }
}

#[derive(Serialize, Deserialize)]
pub struct TicketLineV1 {
    pub item_id: u64,
    pub quantity: u32,
    pub name: String,
    pub options: Vec<String>,
    pub preferences: Vec<(String, String)>,
    pub removed: Vec<String>,
    pub notes: Option<String>,
    pub unit_price: i64,
}

#[derive(Serialize, Deserialize)]
pub struct BillV1 {
    pub total: i64,
    pub paid: i64,
    pub due: i64,
    /// (method, amount, tip)
    pub payments: Vec<(String, i64, i64)>,
}

#[derive(Serialize, Deserialize)]
pub struct TicketV1 {
    pub table_number: u32,
    pub table_label: Option<String>,
    pub order_number: u8,
    pub order_id: u64,
    pub waiter: String,
    pub at: i64,
    pub lines: Vec<TicketLineV1>,
    pub bill: Option<BillV1>,
}

#[derive(Serialize, Deserialize)]
pub enum PrintJobRec {
    V1(PrintJobV1),
    /// Adds `released_at` (a manager released it from hold).
    V2(PrintJobV2),
}
#[derive(Serialize, Deserialize)]
pub struct PrintJobV1 {
    pub id: u64,
    pub printer_id: u64,
    pub zone_printer_id: u64,
    pub kind: u8,
    pub order_id: Option<u64>,
    pub ticket: TicketV1,
    pub created_at: i64,
    pub state: u8,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub reprint: Option<String>,
    pub done_at: Option<i64>,
}

#[derive(Serialize, Deserialize)]
pub struct PrintJobV2 {
    pub id: u64,
    pub printer_id: u64,
    pub zone_printer_id: u64,
    pub kind: u8,
    pub order_id: Option<u64>,
    pub ticket: TicketV1,
    pub created_at: i64,
    pub state: u8,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub reprint: Option<String>,
    pub done_at: Option<i64>,
    pub released_at: Option<i64>,
}

impl From<PrintJobV1> for PrintJobV2 {
    fn from(j: PrintJobV1) -> Self {
        PrintJobV2 {
            id: j.id,
            printer_id: j.printer_id,
            zone_printer_id: j.zone_printer_id,
            kind: j.kind,
            order_id: j.order_id,
            ticket: j.ticket,
            created_at: j.created_at,
            state: j.state,
            attempts: j.attempts,
            last_error: j.last_error,
            reprint: j.reprint,
            done_at: j.done_at,
            released_at: None,
        }
    }
}

const KINDS: [JobKind; 4] = [JobKind::Order, JobKind::Void, JobKind::Bill, JobKind::Test];
const STATES: [JobState; 5] = [
    JobState::Queued,
    JobState::Sending,
    JobState::Done,
    JobState::Held,
    JobState::Discarded,
];

fn ticket_rec(t: &TicketData) -> TicketV1 {
    TicketV1 {
        table_number: t.table_number,
        table_label: t.table_label.clone(),
        order_number: t.order_number,
        order_id: t.order_id,
        waiter: t.waiter.clone(),
        at: ms(t.at),
        lines: t
            .lines
            .iter()
            .map(|l| TicketLineV1 {
                item_id: l.item_id,
                quantity: l.quantity,
                name: l.name.clone(),
                options: l.options.clone(),
                preferences: l.preferences.clone(),
                removed: l.removed.clone(),
                notes: l.notes.clone(),
                unit_price: l.unit_price,
            })
            .collect(),
        bill: t.bill.as_ref().map(|b| BillV1 {
            total: b.total,
            paid: b.paid,
            due: b.due,
            payments: b
                .payments
                .iter()
                .map(|p| (p.method.clone(), p.amount, p.tip))
                .collect(),
        }),
    }
}

fn ticket_dom(t: TicketV1) -> TicketData {
    TicketData {
        table_number: t.table_number,
        table_label: t.table_label,
        order_number: t.order_number,
        order_id: t.order_id,
        waiter: t.waiter,
        at: ts(t.at),
        lines: t
            .lines
            .into_iter()
            .map(|l| TicketLine {
                item_id: l.item_id,
                quantity: l.quantity,
                name: l.name,
                options: l.options,
                preferences: l.preferences,
                removed: l.removed,
                notes: l.notes,
                unit_price: l.unit_price,
            })
            .collect(),
        bill: t.bill.map(|b| Bill {
            total: b.total,
            paid: b.paid,
            due: b.due,
            payments: b
                .payments
                .into_iter()
                .map(|(method, amount, tip)| BillPayment {
                    method,
                    amount,
                    tip,
                })
                .collect(),
        }),
    }
}

impl Record for PrintJob {
    fn encode(&self) -> Vec<u8> {
        enc(&PrintJobRec::V2(PrintJobV2 {
            id: self.id,
            printer_id: self.printer_id,
            zone_printer_id: self.zone_printer_id,
            kind: KINDS.iter().position(|k| *k == self.kind).unwrap_or(0) as u8,
            order_id: self.order_id,
            ticket: ticket_rec(&self.ticket),
            created_at: ms(self.created_at),
            state: STATES.iter().position(|s| *s == self.state).unwrap_or(0) as u8,
            attempts: self.attempts,
            last_error: self.last_error.clone(),
            reprint: self.reprint.clone(),
            done_at: self.done_at.map(ms),
            released_at: self.released_at.map(ms),
        }))
    }
    fn decode(b: &[u8]) -> Result<Self> {
        let j = match dec::<PrintJobRec>("print job", b)? {
            PrintJobRec::V1(j) => PrintJobV2::from(j),
            PrintJobRec::V2(j) => j,
        };
        Ok(PrintJob {
            id: j.id,
            printer_id: j.printer_id,
            zone_printer_id: j.zone_printer_id,
            kind: KINDS
                .get(j.kind as usize)
                .copied()
                .unwrap_or(JobKind::Order),
            order_id: j.order_id,
            ticket: ticket_dom(j.ticket),
            created_at: ts(j.created_at),
            state: STATES
                .get(j.state as usize)
                .copied()
                .unwrap_or(JobState::Queued),
            attempts: j.attempts,
            last_error: j.last_error,
            reprint: j.reprint,
            done_at: j.done_at.map(ts),
            released_at: j.released_at.map(ts),
        })
    }
}

#[derive(Serialize, Deserialize)]
pub enum PrintLogRec {
    V1(PrintLogV1),
}
#[derive(Serialize, Deserialize)]
pub struct PrintLogV1 {
    pub id: u64,
    pub job_id: u64,
    pub order_id: Option<u64>,
    pub printer_id: u64,
    pub at: i64,
    pub item_ids: Vec<u64>,
    pub success: bool,
    pub error: Option<String>,
}

impl Record for PrintLogEntry {
    fn encode(&self) -> Vec<u8> {
        enc(&PrintLogRec::V1(PrintLogV1 {
            id: self.id,
            job_id: self.job_id,
            order_id: self.order_id,
            printer_id: self.printer_id,
            at: ms(self.at),
            item_ids: self.item_ids.clone(),
            success: self.success,
            error: self.error.clone(),
        }))
    }
    fn decode(b: &[u8]) -> Result<Self> {
        let PrintLogRec::V1(l) = dec("print log", b)?;
        Ok(PrintLogEntry {
            id: l.id,
            job_id: l.job_id,
            order_id: l.order_id,
            printer_id: l.printer_id,
            at: ts(l.at),
            item_ids: l.item_ids,
            success: l.success,
            error: l.error,
        })
    }
}

#[derive(Serialize, Deserialize)]
pub enum TogglesRec {
    V1 {
        order_tickets: bool,
        bills: bool,
        voids: bool,
    },
}

impl Record for PrintToggles {
    fn encode(&self) -> Vec<u8> {
        enc(&TogglesRec::V1 {
            order_tickets: self.order_tickets,
            bills: self.bills,
            voids: self.voids,
        })
    }
    fn decode(b: &[u8]) -> Result<Self> {
        let TogglesRec::V1 {
            order_tickets,
            bills,
            voids,
        } = dec("print toggles", b)?;
        Ok(PrintToggles {
            order_tickets,
            bills,
            voids,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v1_job() -> PrintJobV1 {
        PrintJobV1 {
            id: 7,
            printer_id: 2,
            zone_printer_id: 1,
            kind: 1,
            order_id: Some(40),
            ticket: TicketV1 {
                table_number: 12,
                table_label: Some("Βεράντα".into()),
                order_number: 5,
                order_id: 40,
                waiter: "Anna".into(),
                at: 1_700_000_000_000,
                lines: vec![TicketLineV1 {
                    item_id: 9,
                    quantity: 2,
                    name: "Μουσακάς".into(),
                    options: vec!["Feta".into()],
                    preferences: vec![("Cooking".into(), "Medium".into())],
                    removed: vec!["Onions".into()],
                    notes: Some("no salt".into()),
                    unit_price: 1250,
                }],
                bill: None,
            },
            created_at: 1_700_000_000_000,
            state: 3,
            attempts: 4,
            last_error: Some("paper out".into()),
            reprint: Some("after power loss".into()),
            done_at: None,
        }
    }

    /// A job written by the first version (before hold release existed) still reads, with
    /// nothing released.
    #[test]
    fn a_v1_print_job_reads_as_never_released() {
        let bytes = postcard::to_allocvec(&PrintJobRec::V1(v1_job())).unwrap();
        assert_eq!(bytes[0], 0, "V1 is variant 0");
        let j = PrintJob::decode(&bytes).unwrap();
        assert_eq!(j.id, 7);
        assert_eq!((j.printer_id, j.zone_printer_id), (2, 1));
        assert_eq!(j.kind, JobKind::Void);
        assert_eq!(j.state, JobState::Held);
        assert_eq!(j.attempts, 4);
        assert_eq!(j.reprint.as_deref(), Some("after power loss"));
        assert_eq!(j.released_at, None);
        assert_eq!(j.ticket.lines[0].removed, vec!["Onions".to_string()]);
        assert_eq!(j.ticket.table_label.as_deref(), Some("Βεράντα"));
    }

    #[test]
    fn jobs_are_written_as_v2_and_read_back_whole() {
        let mut j =
            PrintJob::decode(&postcard::to_allocvec(&PrintJobRec::V1(v1_job())).unwrap()).unwrap();
        j.released_at = Some(ts(1_700_000_100_000));
        let bytes = j.encode();
        assert_eq!(bytes[0], 1, "V2 is variant 1");
        assert_eq!(PrintJob::decode(&bytes).unwrap(), j);
    }
}
