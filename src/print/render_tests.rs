//! Byte-for-byte tests of the renderer, plus layout properties of every ticket kind.
#![cfg(test)]

use super::*;
use crate::print::ticket::{
    Adjustment, BillLine, Currency, ItemLine, Marks, Payment, PrinterProfile,
};

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn run(byte: u8, n: usize) -> Vec<u8> {
    let mut v = vec![byte; n];
    v.push(b'\n');
    v
}

fn header(printer: &str, table: u32, label: Option<&str>, waiter: &str) -> TicketHeader {
    TicketHeader {
        printer_name: printer.to_owned(),
        table_number: table,
        table_label: label.map(str::to_owned),
        order_number: 7,
        order_id: 1234,
        waiter: waiter.to_owned(),
        time: "12:30".to_owned(),
    }
}

fn burger_and_fries() -> Ticket {
    Ticket::new(TicketKind::Order(OrderTicket {
        header: header("Kitchen", 12, None, "Anna"),
        items: vec![
            ItemLine {
                quantity: 2,
                name: "Burger".to_owned(),
                options: vec!["Extra cheese".to_owned()],
                preferences: vec!["Medium rare".to_owned()],
                removed: vec!["onions".to_owned()],
                note: Some("no salt please".to_owned()),
            },
            ItemLine::plain(1, "Fries"),
        ],
    }))
}

#[test]
fn small_kitchen_ticket_byte_for_byte() {
    let profile = PrinterProfile::epson_80mm(CodePage::Pc437);
    let expected = cat(&[
        b"\x1b@",     // ESC @
        b"\x1bt\x00", // ESC t 0 (PC437 on Epson)
        // header
        b"\x1ba\x01",
        b"\x1bE\x01",
        b"Kitchen\n",
        b"\x1bE\x00",
        b"\x1d!\x11",
        b"Table 12\n",
        b"\x1d!\x00",
        b"\x1ba\x00",
        b"Order #7                                   12:30\n",
        b"Waiter: Anna                             id 1234\n",
        &run(b'-', 48),
        // items
        b"\x1d!\x11",
        b"2 x Burger\n",
        b"\x1d!\x01",
        b"  + Extra cheese\n",
        b"  > Medium rare\n",
        b"\x1bE\x01",
        b"  NO onions\n",
        b"\x1bE\x00",
        b"  ! no salt please\n",
        b"\x1d!\x00",
        b"\n",
        b"\x1d!\x11",
        b"1 x Fries\n",
        b"\x1d!\x00",
        &run(b'-', 48),
        // feed and cut
        b"\x1bd\x03",
        b"\x1dV\x42\x00",
    ]);
    assert_eq!(render(&burger_and_fries(), &profile), expected);
}

#[test]
fn greek_reprint_on_58mm_jolimark_byte_for_byte() {
    let profile = PrinterProfile {
        code_page: CodePage::Cp737,
        esc_t: 29,
        columns: 32,
    };
    let ticket = Ticket {
        kind: TicketKind::Order(OrderTicket {
            header: TicketHeader {
                printer_name: "Κουζίνα".to_owned(),
                table_number: 5,
                table_label: Some("Βεράντα".to_owned()),
                order_number: 12,
                order_id: 9001,
                waiter: "Μαρία".to_owned(),
                time: "21:05".to_owned(),
            },
            items: vec![ItemLine {
                removed: vec!["κρεμμύδι".to_owned()],
                note: Some("χωρίς αλάτι".to_owned()),
                ..ItemLine::plain(1, "Χωριάτικη σαλάτα")
            }],
        }),
        marks: Marks {
            reprint: Some("after power loss".to_owned()),
            backup_for: None,
        },
    };
    let expected = cat(&[
        b"\x1b@",
        b"\x1bt\x1d", // ESC t 29: the Jolimark's CP737
        // REPRINT banner: centered, double size, reversed
        b"\x1ba\x01",
        b"\x1d!\x11",
        b"\x1dB\x01",
        b" REPRINT \n",
        b"\x1dB\x00",
        b"\x1d!\x00",
        b"after power loss\n",
        // header
        b"\x1ba\x01",
        b"\x1bE\x01",
        &[0x89, 0xA6, 0xAC, 0x9D, 0xE5, 0xA4, 0x98, b'\n'], // Κουζίνα
        b"\x1bE\x00",
        b"\x1d!\x11",
        b"Table 5\n",
        b"\x1d!\x00",
        &[0x81, 0x9C, 0xA8, 0xE1, 0xA4, 0xAB, 0x98, b'\n'], // Βεράντα
        b"\x1ba\x00",
        b"Order #12                  21:05\n",
        b"Waiter: ",
        &[0x8B, 0x98, 0xA8, 0xE5, 0x98], // Μαρία
        b"            id 9001\n",
        &run(b'-', 32),
        // item: 16 columns at double width, so the name wraps under itself
        b"\x1d!\x11",
        b"1 x ",
        &[0x95, 0xE0, 0xA8, 0xA0, 0xE1, 0xAB, 0xA0, 0xA1, 0x9E, b'\n'], // Χωριάτικη
        b"    ",
        &[0xA9, 0x98, 0xA2, 0xE1, 0xAB, 0x98, b'\n'], // σαλάτα
        b"\x1d!\x01",
        b"\x1bE\x01",
        b"  NO ",
        &[0xA1, 0xA8, 0x9C, 0xA3, 0xA3, 0xE7, 0x9B, 0xA0, b'\n'], // κρεμμύδι
        b"\x1bE\x00",
        b"  ! ",
        &[0xAE, 0xE0, 0xA8, 0xE5, 0xAA, b' '],  // χωρίς
        &[0x98, 0xA2, 0xE1, 0xAB, 0xA0, b'\n'], // αλάτι
        b"\x1d!\x00",
        &run(b'-', 32),
        b"\x1bd\x03",
        b"\x1dV\x42\x00",
    ]);
    assert_eq!(render(&ticket, &profile), expected);
}

/// Splits rendered bytes into printed lines (commands removed) for layout checks.
fn printed_lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut lines = vec![Vec::new()];
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            0x1B | 0x1D => {
                // Every command we emit is 3 bytes except ESC @ (2) and GS V 66 0 (4).
                i += match (bytes[i], bytes.get(i + 1)) {
                    (0x1B, Some(b'@')) => 2,
                    (0x1D, Some(b'V')) => 4,
                    _ => 3,
                };
            }
            b'\n' => {
                lines.push(Vec::new());
                i += 1;
            }
            b => {
                if let Some(last) = lines.last_mut() {
                    last.push(b);
                }
                i += 1;
            }
        }
    }
    lines
}

#[test]
fn long_words_and_names_never_exceed_the_width() {
    let long = "Supercalifragilisticexpialidocious-with-extra-everything and more words \
                that go on and on";
    let ticket = Ticket::new(TicketKind::Order(OrderTicket {
        header: header(long, 99_999, Some(long), long),
        items: vec![ItemLine {
            options: vec![long.to_owned()],
            note: Some(long.to_owned()),
            ..ItemLine::plain(120, long)
        }],
    }));
    for columns in [0, 32, 42, 48] {
        let profile = PrinterProfile {
            columns,
            ..PrinterProfile::epson_80mm(CodePage::Pc858)
        };
        let width = usize::from(columns.max(MIN_COLUMNS));
        for line in printed_lines(&render(&ticket, &profile)) {
            assert!(
                line.len() <= width,
                "{columns}: {:?}",
                String::from_utf8_lossy(&line)
            );
        }
    }
}

#[test]
fn wrap_rules() {
    assert_eq!(wrap(b"", 10, 2), vec![Vec::<u8>::new()]);
    assert_eq!(wrap(b"a  b", 10, 2), vec![b"a b".to_vec()]);
    assert_eq!(
        wrap(b"aaaa bbbb cccc", 9, 2),
        vec![b"aaaa bbbb".to_vec(), b"  cccc".to_vec()]
    );
    assert_eq!(
        wrap(b"abcdefghij", 4, 1),
        vec![b"abcd".to_vec(), b" efg".to_vec(), b" hij".to_vec()]
    );
    assert_eq!(
        wrap(b"  + x y", 5, 4),
        vec![b"  + x".to_vec(), b"  y".to_vec()]
    );
}

#[test]
fn control_bytes_in_user_text_are_neutralised() {
    let ticket = Ticket::new(TicketKind::Order(OrderTicket {
        header: header("K\x1bitchen", 1, None, "A\x1dV\x41"),
        items: vec![ItemLine {
            note: Some("cut\x1dV\x00here".to_owned()),
            ..ItemLine::plain(1, "X")
        }],
    }));
    let bytes = render(&ticket, &PrinterProfile::epson_80mm(CodePage::Pc437));
    // Only our own single cut, at the very end.
    let cuts = bytes.windows(2).filter(|w| w == b"\x1dV").count();
    assert_eq!(cuts, 1);
    assert!(bytes.ends_with(&CUT));
    assert!(bytes.windows(7).any(|w| w == b"K?itche"));
}

fn bill(payments: Vec<Payment>) -> Bill {
    Bill {
        header: header("Taverna", 3, None, "Nikos"),
        lines: vec![
            BillLine {
                quantity: 2,
                name: "Moussaka".to_owned(),
                unit_price: 1250,
            },
            BillLine {
                quantity: 1,
                name: "Water".to_owned(),
                unit_price: 100,
            },
        ],
        adjustments: vec![Adjustment {
            label: "Discount 10%".to_owned(),
            amount: -260,
        }],
        payments,
        currency: Currency::euro(),
        footer: vec!["Thank you!".to_owned()],
    }
}

fn text_of(bytes: &[u8], page: CodePage) -> String {
    printed_lines(bytes)
        .iter()
        .map(|l| page.decode(l))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn bill_lines_totals_and_currency() {
    let b = bill(vec![Payment {
        method: "Card".to_owned(),
        amount: 1000,
        tip: 200,
    }]);
    assert_eq!(
        (b.subtotal(), b.total(), b.paid(), b.tips(), b.due()),
        (2600, 2340, 1000, 200, 1340)
    );
    let profile = PrinterProfile::epson_80mm(CodePage::Pc858);
    let text = text_of(
        &render(&Ticket::new(TicketKind::Bill(b.clone())), &profile),
        CodePage::Pc858,
    );
    let expect = [
        "2 x Moussaka                               25.00",
        "    @ 12.50",
        "1 x Water                                   1.00",
        "Subtotal                                   26.00",
        "Discount 10%                               -2.60",
        "TOTAL                                    23.40 €",
        "Card                                       10.00",
        "  tip                                       2.00",
        "Paid                                     10.00 €",
        "Tips                                      2.00 €",
        "DUE                                      13.40 €",
        "Thank you!",
    ];
    for line in expect {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
    // CP737 has no euro sign: the code is printed instead.
    let greek = PrinterProfile::epson_80mm(CodePage::Cp737);
    let text = text_of(
        &render(&Ticket::new(TicketKind::Bill(b)), &greek),
        CodePage::Cp737,
    );
    assert!(
        text.lines()
            .any(|l| l == "TOTAL                                  23.40 EUR"),
        "{text}"
    );
}

#[test]
fn overpaid_bill_prints_change() {
    let b = bill(vec![Payment {
        method: "Cash".to_owned(),
        amount: 3000,
        tip: 0,
    }]);
    let profile = PrinterProfile::epson_58mm(CodePage::Wpc1252);
    let text = text_of(
        &render(&Ticket::new(TicketKind::Bill(b)), &profile),
        CodePage::Wpc1252,
    );
    assert!(
        text.lines()
            .any(|l| l == "CHANGE                    6.60 €"),
        "{text}"
    );
    assert!(!text.contains("Tips"));
}

#[test]
fn money_format() {
    assert_eq!(format_money(1250), "12.50");
    assert_eq!(format_money(5), "0.05");
    assert_eq!(format_money(-5), "-0.05");
    assert_eq!(format_money(0), "0.00");
    assert_eq!(format_money(i64::MIN), "-92233720368547758.08");
}

#[test]
fn void_ticket_says_what_not_to_make() {
    let ticket = Ticket::new(TicketKind::Void(VoidTicket {
        header: header("Bar", 4, Some("Window"), "Anna"),
        whole_order: true,
        items: vec![ItemLine::plain(2, "Ouzo")],
        cancelled_by: Some("Manager Eleni".to_owned()),
        reason: Some("customer left".to_owned()),
    }));
    let text = text_of(
        &render(&ticket, &PrinterProfile::epson_80mm(CodePage::Pc437)),
        CodePage::Pc437,
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], " VOID ");
    assert_eq!(lines[1], "WHOLE ORDER CANCELLED");
    for needle in [
        "2 x Ouzo",
        "Cancelled by: Manager Eleni",
        "Reason: customer left",
        "Window",
    ] {
        assert!(lines.contains(&needle), "missing {needle:?} in\n{text}");
    }
}

#[test]
fn backup_mark() {
    let mut ticket = burger_and_fries();
    ticket.marks.backup_for = Some("Kitchen".to_owned());
    let bytes = render(&ticket, &PrinterProfile::epson_80mm(CodePage::Pc437));
    let text = text_of(&bytes, CodePage::Pc437);
    assert_eq!(text.lines().next(), Some("BACKUP for Kitchen"));
    assert!(bytes.starts_with(b"\x1b@\x1bt\x00\x1ba\x01\x1d!\x01\x1bE\x01BACKUP for Kitchen\n"));
}

#[test]
fn test_page_in_greek_and_western() {
    let page = TestPage {
        printer_name: "Kitchen".to_owned(),
        address: "10.98.20.25:9100".to_owned(),
        time: "2025-01-01 12:00".to_owned(),
    };
    let ticket = Ticket::new(TicketKind::Test(page));
    let profile = PrinterProfile {
        code_page: CodePage::Cp737,
        esc_t: 29,
        columns: 48,
    };
    let text = text_of(&render(&ticket, &profile), CodePage::Cp737);
    assert!(text.contains("Code page: cp737 (ESC t 29)"), "{text}");
    assert!(text.contains("Ξεσκεπάζω την ψυχοφθόρα βδελυγμία"), "{text}");
    assert!(text.contains("No euro sign"), "{text}");
    assert!(text.contains("         1         2         3         4        \n"));
    assert!(text.contains("123456789012345678901234567890123456789012345678\n"));
    assert!(text.contains("\n123456789012345678901234\n"), "{text}");

    let western = PrinterProfile::epson_58mm(CodePage::Pc858);
    let text = text_of(&render(&ticket, &western), CodePage::Pc858);
    assert!(text.contains("Code page: pc858 (ESC t 19)"), "{text}");
    assert!(text.contains("Crème brûlée"), "{text}");
    assert!(text.contains("Euro sign: €"), "{text}");
    assert!(
        text.contains("\n12345678901234567890123456789012\n1234567890123456\n"),
        "{text}"
    );
}
