//! `send_job` and `probe` against the fake ESC/POS printer over real TCP: every fault before,
//! during and after a job, recovery, and a Greek CP737 render -> send -> decode round trip.

use std::time::{Duration, Instant};

use posd::print::codepage::CodePage;
use posd::print::render::render;
use posd::print::status::{PrinterHealth, StatusRequest};
use posd::print::ticket::{
    ItemLine, OrderTicket, PrinterProfile, Ticket, TicketHeader, TicketKind,
};
use posd::print::transport::{SendError, StatusFailure, Timeouts, Unconfirmed, probe, send_job};

use crate::support::fake_printer::FakePrinter;

const WAIT: Duration = Duration::from_secs(5);

fn quick() -> Timeouts {
    Timeouts {
        connect: Duration::from_secs(1),
        status: Duration::from_millis(300),
        write: Duration::from_millis(300),
    }
}

fn header(waiter: &str, label: Option<&str>) -> TicketHeader {
    TicketHeader {
        printer_name: "Kitchen".to_owned(),
        table_number: 4,
        table_label: label.map(str::to_owned),
        order_number: 21,
        order_id: 5150,
        waiter: waiter.to_owned(),
        time: "13:45".to_owned(),
    }
}

fn kitchen_ticket(name: &str) -> Ticket {
    Ticket::new(TicketKind::Order(OrderTicket {
        header: header("Anna", None),
        items: vec![
            ItemLine {
                removed: vec!["onions".to_owned()],
                ..ItemLine::plain(2, name)
            },
            ItemLine::plain(1, "Fries"),
        ],
    }))
}

fn kitchen_bytes(name: &str) -> Vec<u8> {
    render(
        &kitchen_ticket(name),
        &PrinterProfile::epson_80mm(CodePage::Pc437),
    )
}

/// Sends, checks the refusal, checks nothing was printed, then recovers and prints once.
async fn refused_then_recovered(fp: &FakePrinter, check: impl FnOnce(&PrinterHealth)) {
    let job = kitchen_bytes("Burger");
    let err = send_job(fp.addr(), &job, &quick()).await.unwrap_err();
    let SendError::NotReady(health) = &err else {
        panic!("expected NotReady, got {err:?}");
    };
    check(health);
    assert!(!health.is_ready());
    assert!(!err.may_have_printed());
    assert!(err.to_string().ends_with("nothing was sent"), "{err}");
    assert!(fp.tickets().is_empty());

    fp.recover();
    let health = send_job(fp.addr(), &job, &quick()).await.unwrap();
    assert_eq!(health, PrinterHealth::READY);
    let tickets = fp.wait_for_tickets(1, WAIT).await;
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0].bytes, job);
}

#[tokio::test]
async fn healthy_printer_takes_the_exact_bytes() {
    let fp = FakePrinter::start().await;
    let job = kitchen_bytes("Burger");
    let health = send_job(fp.addr(), &job, &quick()).await.unwrap();
    assert_eq!(health, PrinterHealth::READY);
    let tickets = fp.wait_for_tickets(1, WAIT).await;
    assert_eq!(tickets.len(), 1);
    assert!(tickets[0].cut);
    assert_eq!(tickets[0].bytes, job);
    assert_eq!(tickets[0].code_page, Some(CodePage::Pc437));
    assert!(tickets[0].text().contains("2 x Burger\n"));
    assert!(tickets[0].text().contains("  NO onions\n"));
    // One connection, DLE EOT 1, 2, 4 before and after the job.
    assert_eq!(fp.connections(), 1);
    assert_eq!(fp.status_queries(), 6);
}

#[tokio::test]
async fn jobs_come_out_in_order_one_ticket_each() {
    let fp = FakePrinter::start().await;
    for name in ["Soup", "Salad", "Steak"] {
        send_job(fp.addr(), &kitchen_bytes(name), &quick())
            .await
            .unwrap();
    }
    let tickets = fp.wait_for_tickets(3, WAIT).await;
    let firsts: Vec<String> = tickets
        .iter()
        .map(|t| {
            t.text()
                .lines()
                .find(|l| l.starts_with("2 x"))
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    assert_eq!(firsts, ["2 x Soup", "2 x Salad", "2 x Steak"]);
}

#[tokio::test]
async fn offline_printer_is_refused() {
    let fp = FakePrinter::start().await;
    fp.set_offline(true);
    refused_then_recovered(&fp, |h| {
        assert!(!h.online);
        assert_eq!(h.problems(), vec!["offline"]);
    })
    .await;
}

#[tokio::test]
async fn paper_out_is_refused() {
    let fp = FakePrinter::start().await;
    fp.set_paper_out(true);
    refused_then_recovered(&fp, |h| {
        assert!(h.paper_out && h.paper_near_end && !h.online);
        assert_eq!(h.summary(), "paper out");
    })
    .await;
}

#[tokio::test]
async fn cover_open_is_refused() {
    let fp = FakePrinter::start().await;
    fp.set_cover_open(true);
    refused_then_recovered(&fp, |h| {
        assert!(h.cover_open);
        assert_eq!(h.summary(), "cover open");
    })
    .await;
}

#[tokio::test]
async fn cutter_error_is_refused_with_its_cause() {
    let fp = FakePrinter::start().await;
    fp.set_error(true);
    refused_then_recovered(&fp, |h| {
        assert!(h.error);
        assert_eq!(h.summary(), "cutter jammed");
    })
    .await;
}

#[tokio::test]
async fn paper_near_end_still_prints() {
    let fp = FakePrinter::start().await;
    fp.set_paper_near_end(true);
    let health = send_job(fp.addr(), &kitchen_bytes("Burger"), &quick())
        .await
        .unwrap();
    assert!(health.paper_near_end && health.is_ready());
    assert_eq!(health.summary(), "ready, paper low");
    assert_eq!(fp.wait_for_tickets(1, WAIT).await.len(), 1);
}

#[tokio::test]
async fn garbage_status_replies_are_an_error_and_nothing_is_sent() {
    let fp = FakePrinter::start().await;
    fp.set_garbage_replies(true);
    let err = send_job(fp.addr(), &kitchen_bytes("Burger"), &quick())
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            SendError::Status { request: StatusRequest::Printer, failure: StatusFailure::Bad(b) }
                if b.byte == 0xFF
        ),
        "{err:?}"
    );
    assert!(!err.may_have_printed());
    assert!(fp.tickets().is_empty());
}

#[tokio::test]
async fn stalled_printer_times_out_before_the_job_in_bounded_time() {
    let fp = FakePrinter::start().await;
    fp.set_stalled(true);
    let started = Instant::now();
    let err = send_job(fp.addr(), &kitchen_bytes("Burger"), &quick())
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        err,
        SendError::Status {
            request: StatusRequest::Printer,
            failure: StatusFailure::Timeout
        }
    );
    assert!(!err.may_have_printed());

    fp.set_stalled(false);
    send_job(fp.addr(), &kitchen_bytes("Burger"), &quick())
        .await
        .unwrap();
    assert_eq!(fp.wait_for_tickets(1, WAIT).await.len(), 1);
}

#[tokio::test]
async fn printer_stalling_mid_job_is_unconfirmed_in_bounded_time() {
    let fp = FakePrinter::start().await;
    fp.stall_after(30);
    let job = kitchen_bytes("Burger");
    let started = Instant::now();
    let err = send_job(fp.addr(), &job, &quick()).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // The small job fits in socket buffers; the status check after it gets no answer.
    assert_eq!(
        err,
        SendError::Unconfirmed {
            written: job.len(),
            total: job.len(),
            reason: Unconfirmed::Status {
                request: StatusRequest::Printer,
                failure: StatusFailure::Timeout
            }
        }
    );
    assert!(err.may_have_printed());
    assert!(
        err.to_string().starts_with("ticket may have printed"),
        "{err}"
    );
}

#[tokio::test]
async fn printer_that_stops_reading_cannot_block_a_large_write() {
    let fp = FakePrinter::start().await;
    fp.stall_after(1000);
    // Far more than the kernel's socket buffers can hold (a few MB on loopback).
    let job = vec![b'A'; 24 * 1024 * 1024];
    let started = Instant::now();
    let err = send_job(fp.addr(), &job, &quick()).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let SendError::Unconfirmed {
        written,
        total,
        reason: Unconfirmed::WriteTimeout,
    } = err
    else {
        panic!("expected a write timeout, got {err:?}");
    };
    assert!(written >= 1000 && written < total, "{written} of {total}");
    assert!(err.may_have_printed());
}

#[tokio::test]
async fn connection_dropped_mid_job_says_bytes_may_have_printed() {
    let fp = FakePrinter::start().await;
    fp.drop_after(40);
    let job = kitchen_bytes("Burger");
    let err = send_job(fp.addr(), &job, &quick()).await.unwrap_err();
    assert!(err.may_have_printed(), "{err:?}");
    assert!(matches!(err, SendError::Unconfirmed { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with("ticket may have printed"),
        "{err}"
    );
    let partial = fp.wait_for_tickets(1, WAIT).await;
    assert!(!partial[0].cut);
    assert!(partial[0].bytes.len() <= 40 && job.starts_with(&partial[0].bytes));

    // The retry is the spool's REPRINT: one partial ticket, then one marked full ticket.
    let mut retry = kitchen_ticket("Burger");
    retry.marks.reprint = Some("after connection loss".to_owned());
    let retry = render(&retry, &PrinterProfile::epson_80mm(CodePage::Pc437));
    send_job(fp.addr(), &retry, &quick()).await.unwrap();
    let tickets = fp.wait_for_tickets(2, WAIT).await;
    assert_eq!(tickets.len(), 2);
    assert!(tickets[1].cut && tickets[1].bytes == retry);
    assert!(
        tickets[1]
            .text()
            .starts_with(" REPRINT \nafter connection loss\n")
    );
}

#[tokio::test]
async fn paper_running_out_during_the_job_is_unconfirmed() {
    let fp = FakePrinter::start().await;
    fp.paper_out_after(100);
    let job = kitchen_bytes("Burger");
    let err = send_job(fp.addr(), &job, &quick()).await.unwrap_err();
    let health = err.health().expect("health after the job");
    assert!(health.paper_out);
    assert!(matches!(
        err,
        SendError::Unconfirmed { written, reason: Unconfirmed::NotReadyAfter(_), .. } if written == job.len()
    ));
    assert!(err.may_have_printed());
    assert_eq!(
        err.to_string(),
        format!(
            "ticket may have printed (sent {0} of {0} bytes): printer reports paper out after the job",
            job.len()
        )
    );
}

#[tokio::test]
async fn nobody_listening_is_a_connect_error() {
    let addr = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let err = send_job(addr, b"hello", &quick()).await.unwrap_err();
    assert!(
        matches!(
            err,
            SendError::Connect {
                timed_out: false,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!err.may_have_printed());
    assert!(
        err.to_string().starts_with("cannot connect to printer"),
        "{err}"
    );
    assert!(matches!(
        probe(addr, &quick()).await,
        Err(SendError::Connect { .. })
    ));
}

#[tokio::test]
async fn probe_reports_problems_without_printing() {
    let fp = FakePrinter::start().await;
    assert_eq!(probe(fp.addr(), &quick()).await, Ok(PrinterHealth::READY));
    fp.set_cover_open(true);
    fp.set_paper_near_end(true);
    let health = probe(fp.addr(), &quick()).await.unwrap();
    assert!(health.cover_open && health.paper_near_end && !health.is_ready());
    assert_eq!(health.summary(), "cover open, paper low");
    fp.set_stalled(true);
    let err = probe(fp.addr(), &quick()).await.unwrap_err();
    assert!(matches!(
        err,
        SendError::Status {
            failure: StatusFailure::Timeout,
            ..
        }
    ));
    assert!(fp.tickets().is_empty());
    assert_eq!(fp.connections(), 3);
}

#[tokio::test]
async fn a_stalled_printer_does_not_delay_another() {
    let stalled = FakePrinter::start().await;
    let healthy = FakePrinter::start().await;
    stalled.set_stalled(true);
    let slow = Timeouts {
        status: Duration::from_secs(3),
        ..quick()
    };
    let job = kitchen_bytes("Burger");
    let stuck = {
        let (addr, job) = (stalled.addr(), job.clone());
        tokio::spawn(async move { send_job(addr, &job, &slow).await })
    };
    let started = Instant::now();
    send_job(healthy.addr(), &job, &quick()).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert!(!stuck.is_finished());
    assert!(matches!(
        stuck.await.unwrap(),
        Err(SendError::Status { .. })
    ));
}

#[tokio::test]
async fn greek_ticket_round_trip_through_cp737() {
    let fp = FakePrinter::start().await;
    fp.map_esc_t(29, CodePage::Cp737); // Jolimark TP850UE numbering
    let profile = PrinterProfile {
        code_page: CodePage::Cp737,
        esc_t: 29,
        columns: 48,
    };
    let ticket = Ticket::new(TicketKind::Order(OrderTicket {
        header: header("Μαρία", Some("Βεράντα")),
        items: vec![ItemLine {
            removed: vec!["κρεμμύδι".to_owned()],
            note: Some("χωρίς αλάτι".to_owned()),
            ..ItemLine::plain(1, "Χωριάτικη σαλάτα")
        }],
    }));
    let job = render(&ticket, &profile);
    send_job(fp.addr(), &job, &quick()).await.unwrap();
    let printed = fp.wait_for_tickets(1, WAIT).await;
    assert_eq!(printed[0].bytes, job);
    assert_eq!(printed[0].code_page, Some(CodePage::Cp737));
    let text = printed[0].text();
    for line in [
        "1 x Χωριάτικη σαλάτα",
        "  NO κρεμμύδι",
        "  ! χωρίς αλάτι",
        "Βεράντα",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
    assert!(text.contains("Waiter: Μαρία"), "{text}");
    // "Χωριάτικη" as CP737 bytes on the wire.
    let greek = [0x95, 0xE0, 0xA8, 0xA0, 0xE1, 0xAB, 0xA0, 0xA1, 0x9E];
    assert!(job.windows(greek.len()).any(|w| w == greek));
    // Read with the wrong table, the same bytes are not Greek.
    assert!(!printed[0].text_as(CodePage::Pc437).contains("Χωριάτικη"));
}
