//! From a stored print job to the ticket the renderer prints, for the printer it is sent to.
//!
//! Pure: no store, no clock. Invariant: everything printed comes from the job (captured when
//! it was queued) plus the target printer's profile and the marks the spool decided (REPRINT
//! with its reason, BACKUP for the zone's own printer when the job was moved to a backup).

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::codepage::CodePage;
use super::ticket::{
    self, BillLine, Currency, ItemLine, Marks, OrderTicket, PrinterProfile, TestPage, Ticket,
    TicketHeader, TicketKind, VoidTicket,
};
use crate::domain::printers::{JobKind, PrintJob, Printer, TicketData, TicketLine};

/// What the job alone does not say.
pub struct Context<'a> {
    /// The printer the job goes to now (its code page, `ESC t` number and width).
    pub printer: &'a Printer,
    /// Name of the zone's own printer ("Kitchen"): the ticket's title, and the BACKUP mark
    /// when the job was moved to another printer.
    pub zone_name: &'a str,
    /// The restaurant's time zone: tickets show local time.
    pub tz: &'a TimeZone,
    /// Title of bills.
    pub restaurant: &'a str,
    /// Currency symbol from the config ("€").
    pub currency: &'a str,
    /// For VOID tickets: the whole order was cancelled.
    pub whole_order: bool,
}

/// The renderer's profile for a printer record (an unknown code page falls back to PC437,
/// which every ESC/POS printer has; the API only stores known pages).
pub fn profile(p: &Printer) -> PrinterProfile {
    PrinterProfile {
        code_page: p.code_page.parse().unwrap_or(CodePage::Pc437),
        esc_t: p.esc_t,
        columns: p.columns,
    }
}

/// "18:05" in the restaurant's time zone.
pub fn local_time(at: Timestamp, tz: &TimeZone) -> String {
    at.to_zoned(tz.clone()).strftime("%H:%M").to_string()
}

/// ISO code for the symbols posd knows, the symbol itself otherwise.
fn currency(symbol: &str) -> Currency {
    let code = match symbol {
        "€" => "EUR",
        "$" => "USD",
        "£" => "GBP",
        other => other,
    };
    Currency {
        symbol: symbol.to_string(),
        code: code.to_string(),
    }
}

fn header(t: &TicketData, title: &str, tz: &TimeZone) -> TicketHeader {
    TicketHeader {
        printer_name: title.to_string(),
        table_number: t.table_number,
        table_label: t.table_label.clone(),
        order_number: t.order_number,
        order_id: t.order_id,
        waiter: t.waiter.clone(),
        time: local_time(t.at, tz),
    }
}

fn item(l: &TicketLine) -> ItemLine {
    ItemLine {
        quantity: l.quantity,
        name: l.name.clone(),
        options: l.options.clone(),
        preferences: l
            .preferences
            .iter()
            .map(|(set, choice)| format!("{set}: {choice}"))
            .collect(),
        removed: l.removed.clone(),
        note: l.notes.clone(),
    }
}

/// The ticket for `job` as it is to be printed on `cx.printer`.
pub fn ticket(job: &PrintJob, cx: &Context) -> Ticket {
    let t = &job.ticket;
    let kind = match job.kind {
        JobKind::Order => TicketKind::Order(OrderTicket {
            header: header(t, cx.zone_name, cx.tz),
            items: t.lines.iter().map(item).collect(),
        }),
        JobKind::Void => TicketKind::Void(VoidTicket {
            header: header(t, cx.zone_name, cx.tz),
            whole_order: cx.whole_order,
            items: t.lines.iter().map(item).collect(),
            cancelled_by: Some(t.waiter.clone()),
            reason: None,
        }),
        JobKind::Bill => {
            let lines: Vec<BillLine> = t
                .lines
                .iter()
                .map(|l| BillLine {
                    quantity: l.quantity,
                    name: l.name.clone(),
                    unit_price: l.unit_price,
                })
                .collect();
            let mut b = ticket::Bill {
                header: header(t, cx.restaurant, cx.tz),
                lines,
                adjustments: Vec::new(),
                payments: Vec::new(),
                currency: currency(cx.currency),
                footer: vec!["Thank you!".to_string()],
            };
            if let Some(bill) = &t.bill {
                b.payments = bill
                    .payments
                    .iter()
                    .map(|p| ticket::Payment {
                        method: capitalised(&p.method),
                        amount: p.amount,
                        tip: p.tip,
                    })
                    .collect();
                // The order's total is the truth; any difference from the lines (a discount,
                // a fee) is shown as one adjustment so the printed total matches it.
                let diff = bill.total.saturating_sub(b.subtotal());
                if diff != 0 {
                    b.adjustments.push(ticket::Adjustment {
                        label: if diff < 0 { "Discount" } else { "Fees" }.to_string(),
                        amount: diff,
                    });
                }
            }
            TicketKind::Bill(b)
        }
        JobKind::Test => TicketKind::Test(TestPage {
            printer_name: cx.printer.name.clone(),
            address: format!("{}:{}", cx.printer.host, cx.printer.port),
            time: local_time(t.at, cx.tz),
        }),
    };
    let backup_for = (job.printer_id != job.zone_printer_id).then(|| cx.zone_name.to_string());
    Ticket {
        kind,
        marks: Marks {
            reprint: job.reprint.clone(),
            backup_for,
        },
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::printers::{Bill, BillPayment, JobState};

    fn printer(id: u64, name: &str) -> Printer {
        Printer {
            id,
            name: name.into(),
            host: "10.0.0.5".into(),
            port: 9100,
            code_page: "cp737".into(),
            esc_t: 29,
            columns: 48,
            active: true,
            backup_printer_id: None,
        }
    }

    fn job(kind: JobKind) -> PrintJob {
        PrintJob {
            id: 1,
            printer_id: 1,
            zone_printer_id: 1,
            kind,
            order_id: Some(3),
            ticket: TicketData {
                table_number: 7,
                table_label: Some("Window".into()),
                order_number: 12,
                order_id: 3,
                waiter: "Anna".into(),
                at: "2026-11-21T18:05:00Z".parse().unwrap(),
                lines: vec![TicketLine {
                    item_id: 10,
                    quantity: 2,
                    name: "Burger".into(),
                    options: vec!["Cheddar".into()],
                    preferences: vec![("Cooking".into(), "Medium".into())],
                    removed: vec!["Onions".into()],
                    notes: Some("no salt".into()),
                    unit_price: 1350,
                }],
                bill: None,
            },
            created_at: "2026-11-21T18:05:00Z".parse().unwrap(),
            state: JobState::Queued,
            attempts: 0,
            last_error: None,
            reprint: None,
            done_at: None,
            released_at: None,
        }
    }

    fn cx<'a>(p: &'a Printer, tz: &'a TimeZone) -> Context<'a> {
        Context {
            printer: p,
            zone_name: "Kitchen",
            tz,
            restaurant: "Taverna",
            currency: "€",
            whole_order: false,
        }
    }

    #[test]
    fn order_tickets_carry_everything_the_kitchen_reads_in_local_time() {
        let p = printer(1, "Kitchen");
        let tz = TimeZone::get("Europe/Athens").unwrap();
        let t = ticket(&job(JobKind::Order), &cx(&p, &tz));
        let TicketKind::Order(o) = &t.kind else {
            panic!("not an order ticket")
        };
        assert_eq!(o.header.time, "20:05", "Athens is UTC+2 in November");
        assert_eq!(o.header.printer_name, "Kitchen");
        assert_eq!(o.header.table_label.as_deref(), Some("Window"));
        assert_eq!(o.items[0].preferences, vec!["Cooking: Medium".to_string()]);
        assert_eq!(o.items[0].removed, vec!["Onions".to_string()]);
        assert_eq!(o.items[0].note.as_deref(), Some("no salt"));
        assert_eq!(t.marks, Marks::default());
        let pr = profile(&p);
        assert_eq!(
            (pr.code_page, pr.esc_t, pr.columns),
            (CodePage::Cp737, 29, 48)
        );
    }

    #[test]
    fn moved_and_reprinted_jobs_are_marked() {
        let backup = printer(2, "Bar");
        let tz = TimeZone::UTC;
        let mut j = job(JobKind::Order);
        j.printer_id = 2;
        j.reprint = Some("after power loss".into());
        let t = ticket(&j, &cx(&backup, &tz));
        assert_eq!(t.marks.backup_for.as_deref(), Some("Kitchen"));
        assert_eq!(t.marks.reprint.as_deref(), Some("after power loss"));
    }

    #[test]
    fn bills_match_the_order_total_and_list_payments() {
        let p = printer(1, "Kitchen");
        let tz = TimeZone::UTC;
        let mut j = job(JobKind::Bill);
        j.ticket.bill = Some(Bill {
            total: 2500,
            paid: 1000,
            due: 1500,
            payments: vec![BillPayment {
                method: "card".into(),
                amount: 1000,
                tip: 200,
            }],
        });
        let t = ticket(&j, &cx(&p, &tz));
        let TicketKind::Bill(b) = &t.kind else {
            panic!("not a bill")
        };
        assert_eq!(b.header.printer_name, "Taverna");
        assert_eq!(b.subtotal(), 2700);
        assert_eq!(b.total(), 2500);
        assert_eq!(b.adjustments[0].label, "Discount");
        assert_eq!(b.due(), 1500);
        assert_eq!(b.tips(), 200);
        assert_eq!(b.payments[0].method, "Card");
        assert_eq!(b.currency.code, "EUR");
    }

    #[test]
    fn voids_and_test_pages() {
        let p = printer(1, "Kitchen");
        let tz = TimeZone::UTC;
        let mut c = cx(&p, &tz);
        c.whole_order = true;
        let TicketKind::Void(v) = ticket(&job(JobKind::Void), &c).kind else {
            panic!("not a void")
        };
        assert!(v.whole_order);
        assert_eq!(v.cancelled_by.as_deref(), Some("Anna"));
        let TicketKind::Test(t) = ticket(&job(JobKind::Test), &c).kind else {
            panic!("not a test page")
        };
        assert_eq!(t.address, "10.0.0.5:9100");
        assert_eq!(t.time, "18:05");
    }
}
