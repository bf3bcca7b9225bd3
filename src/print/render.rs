//! The pure renderer: `Ticket` + `PrinterProfile` -> ESC/POS bytes. No I/O, no clock.
//!
//! Invariant: every ticket is `ESC @` (reset), `ESC t n` (code page), content, `ESC d 3`
//! (feed), `GS V 66 0` (cut); all text goes through `CodePage::encode`, so one byte is one
//! column and user text can never contain a command byte. Lines are wrapped to the paper width
//! (half of it at double width) so the printer never wraps in the middle of a word.
//!
//! The cut is `GS V 66 0` (function B, partial cut): the printer first feeds the last printed
//! line past the cutter, then cuts leaving a hinge, so tickets do not fall off the printer.

use super::codepage::CodePage;
use super::ticket::{
    Bill, ItemLine, MIN_COLUMNS, OrderTicket, PrinterProfile, TestPage, Ticket, TicketHeader,
    TicketKind, VoidTicket,
};

/// `ESC @`: initialize the printer (clears modes left by a previous job).
pub const INIT: [u8; 2] = [0x1B, 0x40];
/// `GS V 66 0`: feed to the cutter and partial cut.
pub const CUT: [u8; 4] = [0x1D, 0x56, 0x42, 0x00];
/// `ESC d 3`: print and feed three lines before the cut.
pub const FEED: [u8; 3] = [0x1B, 0x64, 0x03];

const LF: u8 = 0x0A;

/// `GS ! n` character sizes used by the tickets.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Size {
    Normal = 0x00,
    /// Double height, normal width: same columns, easier to read.
    Tall = 0x01,
    /// Double width and height: half the columns.
    Big = 0x11,
}

#[derive(Clone, Copy)]
enum Align {
    Left = 0,
    Center = 1,
}

/// Renders `ticket` for a printer with `profile`.
pub fn render(ticket: &Ticket, profile: &PrinterProfile) -> Vec<u8> {
    let mut out = Out::new(profile);
    out.raw(&INIT);
    out.raw(&[0x1B, 0x74, profile.esc_t]);
    marks(&mut out, ticket);
    match &ticket.kind {
        TicketKind::Order(t) => order(&mut out, t),
        TicketKind::Void(t) => void(&mut out, t),
        TicketKind::Bill(b) => bill(&mut out, b),
        TicketKind::Test(t) => test_page(&mut out, t),
    }
    out.raw(&FEED);
    out.raw(&CUT);
    out.buf
}

/// Money in cents as "12.50" / "-0.05" (no grouping, no symbol).
pub fn format_money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

fn marks(out: &mut Out, ticket: &Ticket) {
    if let Some(reason) = &ticket.marks.reprint {
        out.align(Align::Center);
        out.size(Size::Big);
        out.raw(&[0x1D, 0x42, 0x01]);
        out.text_line(" REPRINT ");
        out.raw(&[0x1D, 0x42, 0x00]);
        out.size(Size::Normal);
        if !reason.trim().is_empty() {
            out.wrapped(reason, 0);
        }
    }
    if let Some(name) = &ticket.marks.backup_for {
        out.align(Align::Center);
        out.size(Size::Tall);
        out.bold(true);
        out.wrapped(&format!("BACKUP for {name}"), 0);
        out.bold(false);
        out.size(Size::Normal);
    }
}

fn header(out: &mut Out, h: &TicketHeader) {
    out.align(Align::Center);
    out.bold(true);
    out.wrapped(&h.printer_name, 0);
    out.bold(false);
    out.size(Size::Big);
    out.wrapped(&format!("Table {}", h.table_number), 0);
    out.size(Size::Normal);
    if let Some(label) = h.table_label.as_deref().filter(|l| !l.trim().is_empty()) {
        out.wrapped(label, 0);
    }
    out.align(Align::Left);
    out.left_right(&format!("Order #{}", h.order_number), &h.time);
    out.left_right(
        &format!("Waiter: {}", h.waiter),
        &format!("id {}", h.order_id),
    );
    out.rule(b'-');
}

fn items(out: &mut Out, items: &[ItemLine]) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.raw(&[LF]);
        }
        out.size(Size::Big);
        let qty = format!("{} x ", item.quantity);
        out.wrapped(&format!("{qty}{}", item.name), qty.chars().count());
        let has_modifiers = !(item.options.is_empty()
            && item.preferences.is_empty()
            && item.removed.is_empty()
            && item.note.is_none());
        if has_modifiers {
            out.size(Size::Tall);
            for option in &item.options {
                out.wrapped(&format!("  + {option}"), 4);
            }
            for choice in &item.preferences {
                out.wrapped(&format!("  > {choice}"), 4);
            }
            for removed in &item.removed {
                out.bold(true);
                out.wrapped(&format!("  NO {removed}"), 5);
                out.bold(false);
            }
            if let Some(note) = item.note.as_deref().filter(|n| !n.trim().is_empty()) {
                out.wrapped(&format!("  ! {note}"), 4);
            }
        }
        out.size(Size::Normal);
    }
    out.rule(b'-');
}

fn order(out: &mut Out, t: &OrderTicket) {
    header(out, &t.header);
    items(out, &t.items);
}

fn void(out: &mut Out, t: &VoidTicket) {
    out.align(Align::Center);
    out.size(Size::Big);
    out.raw(&[0x1D, 0x42, 0x01]);
    out.text_line(" VOID ");
    out.raw(&[0x1D, 0x42, 0x00]);
    out.size(Size::Normal);
    out.bold(true);
    out.text_line(if t.whole_order {
        "WHOLE ORDER CANCELLED"
    } else {
        "CANCELLED - DO NOT MAKE"
    });
    out.bold(false);
    header(out, &t.header);
    items(out, &t.items);
    if let Some(who) = &t.cancelled_by {
        out.wrapped(&format!("Cancelled by: {who}"), 2);
    }
    if let Some(reason) = t.reason.as_deref().filter(|r| !r.trim().is_empty()) {
        out.wrapped(&format!("Reason: {reason}"), 2);
    }
}

fn bill(out: &mut Out, b: &Bill) {
    let page = out.page;
    let unit = if page.can_encode(&b.currency.symbol) {
        &b.currency.symbol
    } else {
        &b.currency.code
    };
    let with_unit = |cents: i64| format!("{} {unit}", format_money(cents));
    out.align(Align::Center);
    out.size(Size::Big);
    out.text_line("BILL");
    out.size(Size::Normal);
    header(out, &b.header);
    for line in &b.lines {
        let qty = format!("{} x ", line.quantity);
        out.left_right_indented(
            &format!("{qty}{}", line.name),
            &format_money(line.total()),
            qty.chars().count(),
        );
        if line.quantity != 1 {
            out.wrapped(&format!("    @ {}", format_money(line.unit_price)), 4);
        }
    }
    out.rule(b'-');
    out.left_right("Subtotal", &format_money(b.subtotal()));
    for adj in &b.adjustments {
        out.left_right(&adj.label, &format_money(adj.amount));
    }
    out.bold(true);
    out.size(Size::Tall);
    out.left_right("TOTAL", &with_unit(b.total()));
    out.size(Size::Normal);
    out.bold(false);
    out.rule(b'-');
    for p in &b.payments {
        out.left_right(&p.method, &format_money(p.amount));
        if p.tip != 0 {
            out.left_right("  tip", &format_money(p.tip));
        }
    }
    out.left_right("Paid", &with_unit(b.paid()));
    if b.tips() != 0 {
        out.left_right("Tips", &with_unit(b.tips()));
    }
    let due = b.due();
    out.bold(true);
    out.size(Size::Tall);
    if due >= 0 {
        out.left_right("DUE", &with_unit(due));
    } else {
        out.left_right("CHANGE", &with_unit(due.saturating_neg()));
    }
    out.size(Size::Normal);
    out.bold(false);
    if !b.footer.is_empty() {
        out.raw(&[LF]);
        out.align(Align::Center);
        for line in &b.footer {
            out.wrapped(line, 0);
        }
        out.align(Align::Left);
    }
}

/// Greek pangram and accented letters for Greek pages; Latin text with accents otherwise.
fn sample_text(page: CodePage) -> &'static [&'static str] {
    if page.is_greek() {
        &[
            "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία",
            "ΞΕΣΚΕΠΑΖΩ ΤΗΝ ΨΥΧΟΦΘΟΡΑ ΒΔΕΛΥΓΜΙΑ",
            "άέήίόύώ ϊϋ ΆΈΉΊΌΎΏ",
            "The quick brown fox jumps over the lazy dog",
        ]
    } else {
        &[
            "The quick brown fox jumps over the lazy dog",
            "Crème brûlée, piña colada, Käse, ½",
        ]
    }
}

fn test_page(out: &mut Out, t: &TestPage) {
    let page = out.page;
    out.align(Align::Center);
    out.size(Size::Big);
    out.text_line("TEST PAGE");
    out.size(Size::Normal);
    out.wrapped(&t.printer_name, 0);
    out.wrapped(&t.address, 0);
    out.wrapped(&t.time, 0);
    out.align(Align::Left);
    out.rule(b'=');
    out.wrapped(&format!("Code page: {page} (ESC t {})", out.esc_t), 2);
    out.wrapped(&format!("Columns: {}", out.cols), 2);
    out.rule(b'-');
    for line in sample_text(page) {
        out.wrapped(line, 0);
    }
    if page.can_encode("€") {
        out.text_line("Euro sign: €");
    } else {
        out.wrapped("No euro sign in this code page: bills print EUR", 0);
    }
    out.rule(b'-');
    let tens: String = (1..=out.cols)
        .map(|i| match i % 10 {
            0 => char::from(b'0' + u8::try_from((i / 10) % 10).unwrap_or(0)),
            _ => ' ',
        })
        .collect();
    let ones: String = (1..=out.cols)
        .map(|i| char::from(b'0' + u8::try_from(i % 10).unwrap_or(0)))
        .collect();
    out.text_line(&tens);
    out.text_line(&ones);
    out.size(Size::Big);
    out.text_line(&ones[..out.cols / 2]);
    out.size(Size::Normal);
    out.wrapped(
        "If any text above is wrong, check the ESC t number for this code page.",
        0,
    );
}

/// Byte sink that knows the page and the current character width.
struct Out {
    buf: Vec<u8>,
    page: CodePage,
    esc_t: u8,
    /// Normal-size columns.
    cols: usize,
    size: Size,
}

impl Out {
    fn new(profile: &PrinterProfile) -> Self {
        Out {
            buf: Vec::with_capacity(1024),
            page: profile.code_page,
            esc_t: profile.esc_t,
            cols: usize::from(profile.columns.max(MIN_COLUMNS)),
            size: Size::Normal,
        }
    }

    /// Columns at the current size.
    fn width(&self) -> usize {
        match self.size {
            Size::Big => self.cols / 2,
            Size::Normal | Size::Tall => self.cols,
        }
    }

    fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    fn size(&mut self, size: Size) {
        self.size = size;
        self.raw(&[0x1D, 0x21, size as u8]);
    }

    fn bold(&mut self, on: bool) {
        self.raw(&[0x1B, 0x45, u8::from(on)]);
    }

    fn align(&mut self, align: Align) {
        self.raw(&[0x1B, 0x61, align as u8]);
    }

    /// A line the caller knows fits (fixed labels).
    fn text_line(&mut self, text: &str) {
        let bytes = self.page.encode(text);
        self.raw(&bytes);
        self.raw(&[LF]);
    }

    /// `text` word-wrapped to the current width; continuation lines indented by `indent`.
    fn wrapped(&mut self, text: &str, indent: usize) {
        let width = self.width();
        for line in wrap(&self.page.encode(text), width, indent) {
            self.raw(&line);
            self.raw(&[LF]);
        }
    }

    fn rule(&mut self, ch: u8) {
        let line = vec![ch; self.width()];
        self.raw(&line);
        self.raw(&[LF]);
    }

    fn left_right(&mut self, left: &str, right: &str) {
        self.left_right_indented(left, right, 2);
    }

    /// `left` and `right` justified on one line; when they do not fit, `left` wraps and
    /// `right` goes flush right on the last line (or a line of its own).
    fn left_right_indented(&mut self, left: &str, right: &str, indent: usize) {
        let width = self.width();
        let right = self.page.encode(right);
        let mut lines = wrap(&self.page.encode(left), width, indent);
        let last = lines.pop().unwrap_or_default();
        for line in lines {
            self.raw(&line);
            self.raw(&[LF]);
        }
        if last.len() + 1 + right.len() <= width {
            self.raw(&last);
            self.raw(&vec![b' '; width - last.len() - right.len()]);
        } else {
            self.raw(&last);
            self.raw(&[LF]);
            self.raw(&vec![b' '; width.saturating_sub(right.len())]);
        }
        self.raw(&right);
        self.raw(&[LF]);
    }
}

/// Greedy word wrap of encoded text (one byte per column). Runs of spaces collapse to one;
/// words longer than a line are cut. Continuation lines start with `indent` spaces (at most
/// half the width). Empty text gives one empty line.
fn wrap(text: &[u8], width: usize, indent: usize) -> Vec<Vec<u8>> {
    let width = width.max(1);
    let indent = indent.min(width / 2);
    let mut lines: Vec<Vec<u8>> = Vec::new();
    // Keep leading spaces of the first line (modifier prefixes are indented).
    let lead = text
        .iter()
        .take_while(|&&b| b == b' ')
        .count()
        .min(width / 2);
    let mut line: Vec<u8> = vec![b' '; lead];
    let mut line_has_word = false;
    for word in text.split(|&b| b == b' ').filter(|w| !w.is_empty()) {
        let mut word = word;
        loop {
            let sep = usize::from(line_has_word);
            if line.len() + sep + word.len() <= width {
                if line_has_word {
                    line.push(b' ');
                }
                line.extend_from_slice(word);
                line_has_word = true;
                break;
            }
            if line_has_word {
                lines.push(std::mem::replace(&mut line, vec![b' '; indent]));
                line_has_word = false;
                continue;
            }
            // The word alone is longer than the room left: cut it.
            let room = width - line.len();
            line.extend_from_slice(&word[..room]);
            word = &word[room..];
            lines.push(std::mem::replace(&mut line, vec![b' '; indent]));
        }
    }
    if line_has_word || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
