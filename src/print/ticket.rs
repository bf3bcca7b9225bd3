//! What gets printed: plain domain types for kitchen/bar tickets, VOID tickets, bills and test
//! pages, plus the printer profile the renderer needs. No bytes here (see `render`).
//!
//! Invariant: these are values already resolved by the caller (names, local time string,
//! money in cents); the renderer never looks anything up. On-disk records are kept elsewhere.

use serde::{Deserialize, Serialize};

use super::codepage::CodePage;

/// Narrowest paper the renderer lays out for; narrower profiles are widened to this.
pub const MIN_COLUMNS: u8 = 24;

/// How to talk to one printer: its code page, the `ESC t` number that selects that page on
/// this model, and how many normal-size characters fit on a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrinterProfile {
    pub code_page: CodePage,
    /// `ESC t n` value; Epson's numbering is [`CodePage::epson_esc_t`], other makers differ
    /// (Jolimark TP850UE: CP737 = 29).
    pub esc_t: u8,
    /// Characters per line at normal size: 48 for 80 mm paper, 32 for 58 mm.
    pub columns: u8,
}

impl PrinterProfile {
    /// 80 mm paper (48 columns) with Epson's number for `code_page`.
    pub fn epson_80mm(code_page: CodePage) -> Self {
        PrinterProfile {
            code_page,
            esc_t: code_page.epson_esc_t(),
            columns: 48,
        }
    }

    /// 58 mm paper (32 columns) with Epson's number for `code_page`.
    pub fn epson_58mm(code_page: CodePage) -> Self {
        PrinterProfile {
            columns: 32,
            ..Self::epson_80mm(code_page)
        }
    }
}

/// A complete ticket: its content plus the marks the spool may add at send time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub kind: TicketKind,
    #[serde(default)]
    pub marks: Marks,
}

impl Ticket {
    /// A ticket without marks.
    pub fn new(kind: TicketKind) -> Self {
        Ticket {
            kind,
            marks: Marks::default(),
        }
    }
}

/// The four kinds of print.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TicketKind {
    /// Items for a kitchen or bar.
    Order(OrderTicket),
    /// Cancelled items (or a whole cancelled order) for the printer that printed them.
    Void(VoidTicket),
    /// The table's bill.
    Bill(Bill),
    /// A test page for a printer.
    Test(TestPage),
}

/// Banners printed above the content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marks {
    /// `REPRINT` banner with its reason ("after power loss", "requested by manager").
    pub reprint: Option<String>,
    /// `BACKUP for <name>`: the job moved here because printer `<name>` was down.
    pub backup_for: Option<String>,
}

/// Who and where a ticket is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketHeader {
    /// Zone or printer name the ticket belongs to ("Kitchen", "Bar").
    pub printer_name: String,
    pub table_number: u32,
    pub table_label: Option<String>,
    /// Short order number for calling out (1..=99).
    pub order_number: u8,
    /// Full order id (for finding the order later).
    pub order_id: u64,
    pub waiter: String,
    /// Local time, already formatted by the caller in the restaurant's time zone.
    pub time: String,
}

/// One ordered line as the kitchen must read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemLine {
    pub quantity: u32,
    pub name: String,
    /// Added options: printed "+ Extra cheese".
    #[serde(default)]
    pub options: Vec<String>,
    /// Preference choices: printed "> Medium rare".
    #[serde(default)]
    pub preferences: Vec<String>,
    /// Removed ingredients: printed "NO onions".
    #[serde(default)]
    pub removed: Vec<String>,
    /// Free-text note: printed "! no salt please".
    #[serde(default)]
    pub note: Option<String>,
}

impl ItemLine {
    /// An item with no modifiers.
    pub fn plain(quantity: u32, name: impl Into<String>) -> Self {
        ItemLine {
            quantity,
            name: name.into(),
            options: Vec::new(),
            preferences: Vec::new(),
            removed: Vec::new(),
            note: None,
        }
    }
}

/// Kitchen/bar ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderTicket {
    pub header: TicketHeader,
    pub items: Vec<ItemLine>,
}

/// VOID ticket: what the kitchen must not make (any more).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoidTicket {
    pub header: TicketHeader,
    /// True when the whole order was cancelled (items then lists what had been printed here).
    pub whole_order: bool,
    pub items: Vec<ItemLine>,
    /// Who cancelled (manager name).
    pub cancelled_by: Option<String>,
    pub reason: Option<String>,
}

/// Money display: a symbol used when the printer's code page has it, else the ISO code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Currency {
    /// "€"
    pub symbol: String,
    /// "EUR"
    pub code: String,
}

impl Currency {
    pub fn euro() -> Self {
        Currency {
            symbol: "€".to_owned(),
            code: "EUR".to_owned(),
        }
    }
}

/// One bill line: `quantity × unit_price`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillLine {
    pub quantity: u32,
    pub name: String,
    /// Cents, options included.
    pub unit_price: i64,
}

impl BillLine {
    /// `quantity × unit_price` in cents (saturating: a bill never panics the printer worker).
    pub fn total(&self) -> i64 {
        self.unit_price.saturating_mul(i64::from(self.quantity))
    }
}

/// A signed amount applied to the subtotal (discount negative, card fee positive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adjustment {
    pub label: String,
    pub amount: i64,
}

/// A payment already taken: `amount` counts towards the bill, `tip` is on top of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// "Cash", "Card", ...
    pub method: String,
    pub amount: i64,
    pub tip: i64,
}

/// The table's bill. Totals are sums of the given cents (nothing is rounded here):
/// subtotal = Σ lines, total = subtotal + Σ adjustments, paid = Σ payment amounts,
/// due = total − paid; tips are listed but never reduce what is due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bill {
    pub header: TicketHeader,
    pub lines: Vec<BillLine>,
    #[serde(default)]
    pub adjustments: Vec<Adjustment>,
    #[serde(default)]
    pub payments: Vec<Payment>,
    pub currency: Currency,
    /// Closing lines ("Thank you!", legal notice).
    #[serde(default)]
    pub footer: Vec<String>,
}

impl Bill {
    pub fn subtotal(&self) -> i64 {
        self.lines
            .iter()
            .fold(0i64, |acc, l| acc.saturating_add(l.total()))
    }

    pub fn total(&self) -> i64 {
        self.adjustments
            .iter()
            .fold(self.subtotal(), |acc, a| acc.saturating_add(a.amount))
    }

    pub fn paid(&self) -> i64 {
        self.payments
            .iter()
            .fold(0i64, |acc, p| acc.saturating_add(p.amount))
    }

    pub fn tips(&self) -> i64 {
        self.payments
            .iter()
            .fold(0i64, |acc, p| acc.saturating_add(p.tip))
    }

    /// What is still to pay (negative: paid too much, printed as change).
    pub fn due(&self) -> i64 {
        self.total().saturating_sub(self.paid())
    }
}

/// A printer test page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestPage {
    pub printer_name: String,
    /// "10.98.20.25:9100"
    pub address: String,
    /// Local time, formatted by the caller.
    pub time: String,
}
