//! Printer faults during service, against fake printers: while a printer is offline, out of
//! paper, open, stalled or drops the connection, adding items answers at once and the other
//! printer keeps printing; after recovery each ticket came out exactly once, or once plus one
//! marked REPRINT when it may have printed. Also a crash mid-send, holding stale tickets, and
//! failover to a backup printer.

use std::time::{Duration, Instant};

use jiff::SignedDuration;
use serde_json::json;

use crate::support::fake_printer::FakePrinter;
use crate::support::shop::{
    BAR, KITCHEN, Shop, WAIT, add, all_done, complete, fast, jobs, line, live, log, until,
};
use crate::support::{Daemon, PIN};

/// Requests never wait on printers; this is far below every printer deadline the fault tests
/// use, so a request that waited on a printer would fail it.
const QUICK: Duration = Duration::from_millis(1000);

#[derive(Clone, Copy)]
enum Fault {
    Offline,
    PaperOut,
    CoverOpen,
    Stalled,
}

fn apply(p: &FakePrinter, f: Fault) {
    match f {
        Fault::Offline => p.set_offline(true),
        Fault::PaperOut => p.set_paper_out(true),
        Fault::CoverOpen => p.set_cover_open(true),
        Fault::Stalled => p.set_stalled(true),
    }
}

/// Three kitchen tickets queued during the fault, a bar ticket printed meanwhile; after
/// recovery the kitchen prints each once, in order, unmarked; every attempt is logged.
async fn service_through(fault: Fault, state: &str) {
    let shop = Shop::open_with(|c| {
        c.print.status_timeout = Duration::from_millis(1500);
        c.print.write_timeout = Duration::from_millis(1500);
    })
    .await;
    apply(&shop.kitchen, fault);
    let (w, m) = (shop.d.waiter(1).await, shop.d.manager().await);
    let order = w.open_table(10).await;
    let mut slowest = Duration::ZERO;
    for dish in ["Burger", "Μουσακάς", "Pastitsio", "Coca-Cola"] {
        let (_, took) = add(&w, order, vec![line(&w, dish, 1).await]).await;
        slowest = slowest.max(took);
    }
    assert!(
        slowest < QUICK,
        "adding items took {slowest:?} with the kitchen printer down"
    );
    let b = shop.bar.wait_for_tickets(1, WAIT).await;
    assert!(b[0].text().contains("Coca-Cola"));
    let l = until(
        "the kitchen's fault and queue on the status page",
        || async {
            let l = live(&m, KITCHEN).await;
            (l["state"] == state && l["queued"] == 3).then_some(l)
        },
    )
    .await;
    assert!(l["last_error"].is_string(), "{l}");
    assert!(complete(&shop.kitchen.tickets()).is_empty());

    shop.kitchen.recover();
    let js = all_done(&m, order).await;
    let t = shop.kitchen.tickets();
    assert_eq!(t.len(), 3, "exactly once each, nothing partial");
    for (ticket, dish) in t.iter().zip(["Burger", "Μουσακάς", "Pastitsio"]) {
        let text = ticket.text();
        assert!(
            ticket.cut && text.contains(&format!("1 x {dish}")),
            "{text}"
        );
        assert!(!text.contains("REPRINT"), "{text}");
    }
    let entries = log(&m, order).await;
    let attempts: u64 = js.iter().map(|j| j["attempts"].as_u64().unwrap()).sum();
    assert_eq!(entries.len() as u64, attempts, "one log entry per attempt");
    assert_eq!(entries.iter().filter(|e| e["success"] == true).count(), 4);
    assert!(
        entries
            .iter()
            .any(|e| e["success"] == false && e["error_message"].is_string())
    );
}

#[tokio::test]
async fn an_offline_printer_loses_and_doubles_nothing() {
    service_through(Fault::Offline, "offline").await;
}

#[tokio::test]
async fn a_printer_out_of_paper_loses_and_doubles_nothing() {
    service_through(Fault::PaperOut, "paper_out").await;
}

#[tokio::test]
async fn an_open_cover_loses_and_doubles_nothing() {
    service_through(Fault::CoverOpen, "cover_open").await;
}

#[tokio::test]
async fn a_stalled_printer_loses_and_doubles_nothing() {
    service_through(Fault::Stalled, "offline").await;
}

/// The connection drops mid-ticket: paper may hang out half printed, so the retry is marked
/// REPRINT, and the ticket is complete exactly once.
#[tokio::test]
async fn a_connection_dropped_mid_ticket_reprints_once_marked() {
    let shop = Shop::open().await;
    shop.kitchen.drop_after(40);
    let (w, m) = (shop.d.waiter(1).await, shop.d.manager().await);
    let order = w.open_table(11).await;
    add(&w, order, vec![line(&w, "Burger", 1).await]).await;
    let js = all_done(&m, order).await;
    assert_eq!(js[0]["attempts"], 2);
    let t = shop.kitchen.tickets();
    assert_eq!(t.len(), 2);
    assert!(!t[0].cut, "the first copy was cut off");
    let text = t[1].text();
    assert!(t[1].cut && text.contains("REPRINT") && text.contains("1 x Burger"));
    assert!(
        text.contains("may have printed before: connection lost"),
        "{text}"
    );
    let entries = log(&m, order).await;
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1]["success"], false);
    assert!(
        entries[1]["error_message"]
            .as_str()
            .unwrap()
            .contains("may have printed")
    );
}

/// Paper runs out while the ticket prints: the printer took it but reports paper out, so it
/// is not done; with new paper it prints again, marked.
#[tokio::test]
async fn paper_running_out_mid_ticket_reprints_marked_after_new_paper() {
    let shop = Shop::open().await;
    shop.kitchen.paper_out_after(40);
    let (w, m) = (shop.d.waiter(1).await, shop.d.manager().await);
    let order = w.open_table(12).await;
    add(&w, order, vec![line(&w, "Burger", 1).await]).await;
    until("the kitchen to report paper out", || async {
        (live(&m, KITCHEN).await["state"] == "paper_out").then_some(())
    })
    .await;
    shop.kitchen.recover();
    all_done(&m, order).await;
    let t = shop.kitchen.tickets();
    assert_eq!(complete(&t).len(), 2);
    assert!(!t[0].text().contains("REPRINT"));
    assert!(t[1].text().contains("REPRINT"));
}

/// The kitchen printer stalls mid-conversation for seconds: the bar prints meanwhile and
/// the API answers at once.
#[tokio::test]
async fn a_stalled_printer_does_not_delay_the_other_printer_or_the_api() {
    let shop = Shop::open_with(|c| {
        c.print.status_timeout = Duration::from_secs(4);
        c.print.write_timeout = Duration::from_secs(4);
    })
    .await;
    shop.kitchen.set_stalled(true);
    let (w, m) = (shop.d.waiter(1).await, shop.d.manager().await);
    let order = w.open_table(13).await;
    let started = Instant::now();
    let (_, took) = add(
        &w,
        order,
        vec![line(&w, "Burger", 1).await, line(&w, "Coca-Cola", 1).await],
    )
    .await;
    assert!(took < QUICK, "{took:?}");
    shop.bar.wait_for_tickets(1, WAIT).await;
    let bar_took = started.elapsed();
    assert!(
        bar_took < Duration::from_secs(3),
        "the bar waited {bar_took:?} on the stalled kitchen"
    );
    let t = Instant::now();
    m.get("/api/system/status").await.ok();
    add(&w, order, vec![line(&w, "Coca-Cola", 1).await]).await;
    assert!(t.elapsed() < QUICK);
    shop.bar.wait_for_tickets(2, WAIT).await;
    assert!(complete(&shop.kitchen.tickets()).is_empty());
    shop.kitchen.recover();
    all_done(&m, order).await;
    assert_eq!(complete(&shop.kitchen.tickets()).len(), 1);
}

/// posd stops (power cut) while a ticket is being sent: after the restart the ticket prints
/// again marked REPRINT "after power loss", and the cut-off attempt is in the log.
#[tokio::test]
async fn a_crash_mid_send_prints_again_marked_reprint() {
    let slow = |c: &mut posd::config::Config| {
        c.print.status_timeout = Duration::from_secs(20);
        c.print.write_timeout = Duration::from_secs(20);
        c.print.stop_grace = Duration::from_millis(100);
    };
    let shop = Shop::open_with(slow).await;
    shop.kitchen.stall_after(30);
    let order = {
        let (w, m) = (shop.d.waiter(1).await, shop.d.manager().await);
        let order = w.open_table(14).await;
        add(&w, order, vec![line(&w, "Burger", 1).await]).await;
        until("the ticket to be mid-send", || async {
            let js = jobs(&m, &format!("order_id={order}")).await;
            (js[0]["state"] == "sending").then_some(())
        })
        .await;
        order
    };
    let Shop { d, kitchen, bar } = shop;
    let dir = d.stop().await;
    // The printer had the whole ticket in its buffer: it comes out when it wakes up.
    kitchen.recover();
    let first = kitchen.wait_for_tickets(1, WAIT).await;
    assert!(first[0].cut && !first[0].text().contains("REPRINT"));

    let d = Daemon::start_in(dir, fast).await;
    let m = d.manager().await;
    let js = all_done(&m, order).await;
    assert_eq!(js[0]["attempts"], 2);
    assert_eq!(js[0]["reprint"], "after power loss");
    let t = kitchen.wait_for_tickets(2, WAIT).await;
    assert_eq!(t.len(), 2);
    let text = t[1].text();
    assert!(text.contains("REPRINT") && text.contains("after power loss"));
    assert!(text.contains("1 x Burger"), "{text}");
    let entries = log(&m, order).await;
    assert_eq!(entries.len(), 2);
    assert!(
        entries[1]["error_message"]
            .as_str()
            .unwrap()
            .contains("outcome unknown")
    );
    assert!(bar.tickets().is_empty());
}

/// Tickets that waited past the hold age are held, not printed, when the printer returns; a
/// manager prints one and discards the other.
#[tokio::test]
async fn stale_tickets_are_held_for_a_manager_to_release_or_discard() {
    let shop = Shop::open().await;
    shop.kitchen.set_offline(true);
    let (w, m) = (shop.d.waiter(1).await, shop.d.manager().await);
    let order = w.open_table(15).await;
    add(&w, order, vec![line(&w, "Burger", 1).await]).await;
    add(&w, order, vec![line(&w, "Μουσακάς", 1).await]).await;
    shop.d.advance(SignedDuration::from_mins(31));
    let held = until("both tickets to be held", || async {
        let h = jobs(&m, &format!("state=held&printer_id={KITCHEN}")).await;
        (h.len() == 2).then_some(h)
    })
    .await;
    until("the status page to count them", || async {
        (live(&m, KITCHEN).await["held"] == 2).then_some(())
    })
    .await;
    // Newest first: the moussaka, then the burger.
    let (moussaka, burger) = (
        held[0]["id"].as_u64().unwrap(),
        held[1]["id"].as_u64().unwrap(),
    );
    shop.kitchen.recover();
    let r = m
        .post_empty(&format!("/api/system/print-jobs/{burger}/release"))
        .await;
    assert_eq!(r.ok()["state"], "queued");
    let r = m
        .post_empty(&format!("/api/system/print-jobs/{moussaka}/discard"))
        .await;
    assert_eq!(r.ok()["state"], "discarded");
    m.post_empty(&format!("/api/system/print-jobs/{moussaka}/release"))
        .await
        .expect(409, "job_not_held");
    w.post_empty(&format!("/api/system/print-jobs/{burger}/discard"))
        .await
        .expect(403, "forbidden");
    until("the released ticket to print", || async {
        let j = m.get(&format!("/api/system/print-jobs/{burger}")).await;
        (j.json["state"] == "done").then_some(())
    })
    .await;
    let t = shop.kitchen.tickets();
    assert_eq!(t.len(), 1);
    assert!(t[0].text().contains("1 x Burger"));
}

/// The kitchen stays down past the failover delay: its tickets move, in order, to its backup
/// (the bar printer), marked BACKUP for Kitchen.
#[tokio::test]
async fn a_printer_down_too_long_fails_over_to_its_backup_marked() {
    let shop = Shop::open().await;
    let s = shop.d.login("sysadmin", PIN).await;
    s.put(
        &format!("/api/system/printers/{KITCHEN}"),
        json!({"backup_printer_id": BAR}),
    )
    .await
    .ok();
    shop.kitchen.set_offline(true);
    let (w, m) = (shop.d.waiter(1).await, shop.d.manager().await);
    let order = w.open_table(16).await;
    add(&w, order, vec![line(&w, "Burger", 1).await]).await;
    add(&w, order, vec![line(&w, "Μουσακάς", 1).await]).await;
    until("a failed attempt on the kitchen printer", || async {
        let js = jobs(&m, &format!("order_id={order}")).await;
        js.iter()
            .any(|j| j["attempts"].as_u64() >= Some(1))
            .then_some(())
    })
    .await;
    assert!(shop.bar.tickets().is_empty());
    shop.d.advance(SignedDuration::from_secs(61));
    let js = all_done(&m, order).await;
    assert!(
        js.iter()
            .all(|j| j["printer_id"] == BAR && j["zone_printer_id"] == KITCHEN)
    );
    let t = shop.bar.tickets();
    assert_eq!(t.len(), 2);
    for (ticket, dish) in t.iter().zip(["Burger", "Μουσακάς"]) {
        let text = ticket.text();
        assert!(
            text.contains("BACKUP for Kitchen") && text.contains(&format!("1 x {dish}")),
            "{text}"
        );
    }
    assert!(complete(&shop.kitchen.tickets()).is_empty());
    assert_eq!(live(&m, KITCHEN).await["state"], "offline");
}
