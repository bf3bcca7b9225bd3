//! Kitchen, bar, void, bill, reprint and test tickets end to end: real daemon, real spool,
//! fake ESC/POS printers on loopback. Faults, crashes, hold and failover are in
//! `printing_faults`.

use std::time::Duration;

use posd::print::codepage::CodePage;
use serde_json::json;

use crate::support::fake_printer::FakePrinter;
use crate::support::shop::{
    BAR, KITCHEN, Shop, WAIT, add, all_done, complete, jobs, line, live, live_state, log, until,
};
use crate::support::{Daemon, PIN};

/// The cook reads table, order number, waiter, time, quantities, options, preference, "NO
/// onions" and notes; Greek names arrive as the right CP737 bytes, selected with the
/// printer's own `ESC t` number (the Jolimark TP850UE uses 29, not Epson's 14).
#[tokio::test]
async fn a_kitchen_ticket_shows_everything_the_cook_needs_in_greek_too() {
    let shop = Shop::open().await;
    shop.kitchen.map_esc_t(29, CodePage::Cp737);
    let s = shop.d.login("sysadmin", PIN).await;
    s.put(
        &format!("/api/system/printers/{KITCHEN}"),
        json!({"esc_t": 29}),
    )
    .await
    .ok();
    let w = shop.d.waiter(1).await;
    let m = shop.d.manager().await;
    let order = w.open_table(5).await;
    let burger = w.product("Burger").await;
    let onions = burger["ingredients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "Onions")
        .unwrap()["id"]
        .clone();
    let cooking = &burger["preference_sets"][0];
    let lines = vec![
        json!({"product_id": burger["id"], "quantity": 2, "selected_options": [burger["options"][0]["id"]],
               "removed_ingredients": [onions], "notes": "no salt",
               "preferences": [{"set_id": cooking["id"], "choice_id": cooking["choices"][1]["id"]}]}),
        line(&w, "Τζατζίκι", 1).await,
        line(&w, "Coca-Cola", 3).await,
    ];
    add(&w, order, lines).await;

    let k = shop.kitchen.wait_for_tickets(1, WAIT).await;
    let b = shop.bar.wait_for_tickets(1, WAIT).await;
    assert_eq!(k[0].code_page, Some(CodePage::Cp737));
    assert!(k[0].bytes.windows(3).any(|w| w == [0x1B, 0x74, 29]));
    let text = k[0].text();
    for want in [
        "Kitchen",
        "Table 5",
        "Order #1",
        "Waiter: Waiter 01",
        "18:00",
        "2 x Burger",
        "+ Cheddar",
        "> Cooking: Medium",
        "NO Onions",
        "! no salt",
        "1 x Τζατζίκι",
    ] {
        assert!(
            text.contains(want),
            "{want:?} missing from kitchen ticket:\n{text}"
        );
    }
    assert!(
        !text.contains("Coca-Cola"),
        "bar items stay off the kitchen ticket"
    );
    // "Τζατζίκι" in CP737, as Python's cp737 codec encodes it.
    let tzatziki = [146u8, 157, 152, 171, 157, 229, 161, 160];
    assert!(k[0].bytes.windows(8).any(|w| w == tzatziki));
    let bar = b[0].text();
    assert!(bar.contains("Bar") && bar.contains("3 x Coca-Cola") && !bar.contains("Burger"));

    all_done(&m, order).await;
    let o = w.get(&format!("/api/orders/{order}")).await;
    assert!(
        o.ok()["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["printed"] == true)
    );
    let entries = log(&m, order).await;
    assert_eq!(entries.len(), 2);
    assert!(entries.iter().all(|e| e["success"] == true));
    assert_eq!(complete(&shop.kitchen.tickets()).len(), 1);
    assert_eq!(live_state(&m, KITCHEN, "ok").await["queued"], 0);
}

/// A manager cancelling a printed item sends a VOID ticket to the printer that made it; a
/// cancelled order says so.
#[tokio::test]
async fn cancelling_printed_items_sends_void_tickets_to_the_same_printer() {
    let shop = Shop::open().await;
    let (w, m) = (shop.d.waiter(1).await, shop.d.manager().await);
    let order = w.open_table(3).await;
    let (r, _) = add(&w, order, vec![line(&w, "Burger", 1).await]).await;
    let burger = r.json["added_item_ids"][0].as_u64().unwrap();
    shop.kitchen.wait_for_tickets(1, WAIT).await;
    m.delete(&format!("/api/orders/{order}/items/{burger}"))
        .await
        .ok();
    let t = shop.kitchen.wait_for_tickets(2, WAIT).await;
    let void = t[1].text();
    assert!(void.contains("VOID") && void.contains("CANCELLED - DO NOT MAKE"));
    assert!(
        void.contains("1 x Burger") && void.contains("Table 3"),
        "{void}"
    );

    add(&w, order, vec![line(&w, "Μουσακάς", 2).await]).await;
    shop.kitchen.wait_for_tickets(3, WAIT).await;
    m.delete(&format!("/api/orders/{order}")).await.ok();
    let t = shop.kitchen.wait_for_tickets(4, WAIT).await;
    let void = t[3].text();
    assert!(
        void.contains("WHOLE ORDER CANCELLED") && void.contains("2 x Μουσακάς"),
        "{void}"
    );
    assert!(!void.contains("Burger"), "the burger was voided already");
    assert!(shop.bar.tickets().is_empty());
}

/// An item cancelled while its ticket waits in the queue (the kitchen printer is offline)
/// comes off that ticket, and a ticket whose only item was cancelled is dropped: no VOID job
/// is queued for dishes the kitchen never saw. A VOID is only for what may be on paper.
#[tokio::test]
async fn an_item_cancelled_while_its_ticket_waits_is_taken_off_the_ticket() {
    let shop = Shop::open_with(|c| {
        // After the first failed attempt the jobs sit in the queue for a minute: nothing can
        // be mid-send while the manager cancels.
        c.print.retry_first = Duration::from_secs(60);
        c.print.retry_max = Duration::from_secs(60);
        c.print.probe_every = Duration::from_secs(60);
    })
    .await;
    shop.kitchen.set_offline(true);
    let (w, m) = (shop.d.waiter(1).await, shop.d.manager().await);
    let order = w.open_table(4).await;
    let (r, _) = add(
        &w,
        order,
        vec![line(&w, "Burger", 1).await, line(&w, "Μουσακάς", 2).await],
    )
    .await;
    let (burger, moussaka) = (
        r.json["added_item_ids"][0].as_u64().unwrap(),
        r.json["added_item_ids"][1].as_u64().unwrap(),
    );
    let (r, _) = add(&w, order, vec![line(&w, "Τζατζίκι", 1).await]).await;
    let tzatziki = r.json["added_item_ids"][0].as_u64().unwrap();
    live_state(&m, KITCHEN, "offline").await;
    until("both tickets to wait in the queue", || async {
        let js = jobs(&m, &format!("order_id={order}")).await;
        (js.len() == 2 && js.iter().all(|j| j["state"] == "queued")).then_some(())
    })
    .await;
    for item in [burger, tzatziki] {
        m.delete(&format!("/api/orders/{order}/items/{item}"))
            .await
            .ok();
    }
    let js = jobs(&m, &format!("order_id={order}")).await;
    assert_eq!(js.len(), 2, "no VOID job: {js:?}");
    let queued = js.iter().find(|j| j["state"] == "queued").expect("{js:?}");
    assert_eq!(queued["item_ids"], json!([moussaka]), "{js:?}");
    let dropped = js
        .iter()
        .find(|j| j["state"] == "discarded")
        .expect("{js:?}");
    assert_eq!(dropped["item_ids"], json!([]), "{js:?}");
    assert_eq!(live(&m, KITCHEN).await["queued"], 1);
}

/// The same for a ticket held for a manager (it waited too long): the cancelled item is
/// taken off, and once released the cook gets the ticket without it and no VOID.
#[tokio::test]
async fn an_item_cancelled_while_its_ticket_is_held_never_reaches_the_kitchen() {
    let shop = Shop::open().await;
    shop.kitchen.set_offline(true);
    let (w, m) = (shop.d.waiter(1).await, shop.d.manager().await);
    let order = w.open_table(6).await;
    let (r, _) = add(
        &w,
        order,
        vec![line(&w, "Burger", 1).await, line(&w, "Μουσακάς", 2).await],
    )
    .await;
    let burger = r.json["added_item_ids"][0].as_u64().unwrap();
    let (r, _) = add(&w, order, vec![line(&w, "Τζατζίκι", 1).await]).await;
    let tzatziki = r.json["added_item_ids"][0].as_u64().unwrap();
    shop.d.advance(jiff::SignedDuration::from_mins(31));
    let held = until("both tickets to be held", || async {
        let h = jobs(&m, &format!("state=held&order_id={order}")).await;
        (h.len() == 2).then_some(h)
    })
    .await;
    // Newest first: the manager drops the tzatziki ticket; its item is then cancelled too,
    // and needs no VOID either (the kitchen never saw it).
    let (tz_job, id) = (
        held[0]["id"].as_u64().unwrap(),
        held[1]["id"].as_u64().unwrap(),
    );
    m.post_empty(&format!("/api/system/print-jobs/{tz_job}/discard"))
        .await
        .ok();
    for item in [burger, tzatziki] {
        m.delete(&format!("/api/orders/{order}/items/{item}"))
            .await
            .ok();
    }
    assert_eq!(
        jobs(&m, &format!("order_id={order}")).await.len(),
        2,
        "no VOID job"
    );
    shop.kitchen.recover();
    m.post_empty(&format!("/api/system/print-jobs/{id}/release"))
        .await
        .ok();
    let t = shop.kitchen.wait_for_tickets(1, WAIT).await;
    let text = t[0].text();
    assert!(text.contains("2 x Μουσακάς"), "{text}");
    assert!(!text.contains("Burger") && !text.contains("VOID"), "{text}");
    until("the released ticket to be done", || async {
        let j = m.get(&format!("/api/system/print-jobs/{id}")).await;
        (j.json["state"] == "done").then_some(())
    })
    .await;
    assert_eq!(complete(&shop.kitchen.tickets()).len(), 1);
}

/// The bill prints on the printer the waiter chose, with lines, payments, tips and what is
/// due; CP737 has no euro sign, so amounts say EUR.
#[tokio::test]
async fn the_bill_prints_on_the_chosen_printer() {
    let shop = Shop::open().await;
    let (w, m) = (shop.d.waiter(2).await, shop.d.manager().await);
    let order = w.open_table(8).await;
    let (r, _) = add(
        &w,
        order,
        vec![line(&w, "Burger", 1).await, line(&w, "Coca-Cola", 1).await],
    )
    .await;
    let cola = r.json["added_item_ids"][1].as_u64().unwrap();
    w.post(
        &format!("/api/orders/{order}/pay"),
        json!({"item_ids": [cola], "method": "card", "tip": 50}),
    )
    .await
    .ok();
    shop.bar.wait_for_tickets(1, WAIT).await;
    w.post(
        &format!("/api/orders/{order}/print-bill"),
        json!({"printer_id": BAR}),
    )
    .await
    .ok();
    let t = shop.bar.wait_for_tickets(2, WAIT).await;
    let bill = t[1].text();
    for want in [
        "BILL",
        "Table 8",
        "1 x Burger",
        "12.00",
        "1 x Coca-Cola",
        "TOTAL",
        "15.00 EUR",
        "Card",
        "tip",
        "0.50",
        "DUE",
        "12.00 EUR",
    ] {
        assert!(
            bill.contains(want),
            "{want:?} missing from the bill:\n{bill}"
        );
    }
    all_done(&m, order).await;
}

/// Reprints are marked REPRINT with who asked; a waiter may reprint only their own orders'
/// tickets, a manager any.
#[tokio::test]
async fn reprints_are_marked_and_limited_to_managers_and_the_orders_waiter() {
    let shop = Shop::open().await;
    let (w1, w2, m) = (
        shop.d.waiter(1).await,
        shop.d.waiter(2).await,
        shop.d.manager().await,
    );
    let order = w1.open_table(4).await;
    add(&w1, order, vec![line(&w1, "Burger", 1).await]).await;
    let job = all_done(&m, order).await[0]["id"].as_u64().unwrap();
    let path = format!("/api/system/print-jobs/{job}/reprint");
    w2.post_empty(&path).await.expect(403, "forbidden");
    let copy = w1.post_empty(&path).await;
    assert_eq!(copy.ok()["reprint"], "requested by Waiter 01");
    m.post_empty(&path).await.ok();
    let t = shop.kitchen.wait_for_tickets(3, WAIT).await;
    assert!(!t[0].text().contains("REPRINT"));
    for (ticket, who) in [(&t[1], "Waiter 01"), (&t[2], "Μαρία (manager)")] {
        let text = ticket.text();
        assert!(text.contains("REPRINT") && text.contains(&format!("requested by {who}")));
        assert!(text.contains("1 x Burger"), "{text}");
    }
    m.post_empty("/api/system/print-jobs/999/reprint")
        .await
        .expect(404, "not_found");
}

/// Seed 002's toggles: with kitchen tickets or voids off nothing is queued; with bills off
/// the bill request says so.
#[tokio::test]
async fn print_toggles_off_queue_nothing() {
    let shop = Shop::open().await;
    let (w, m) = (shop.d.waiter(1).await, shop.d.manager().await);
    m.put(
        "/api/system/print-settings",
        json!({"order_tickets": false, "voids": false, "bills": false}),
    )
    .await
    .ok();
    let order = w.open_table(6).await;
    let (r, _) = add(&w, order, vec![line(&w, "Burger", 1).await]).await;
    let item = r.json["added_item_ids"][0].as_u64().unwrap();
    m.delete(&format!("/api/orders/{order}/items/{item}"))
        .await
        .ok();
    assert!(jobs(&m, &format!("order_id={order}")).await.is_empty());
    w.post(
        &format!("/api/orders/{order}/print-bill"),
        json!({"printer_id": KITCHEN}),
    )
    .await
    .expect(409, "bills_off");
    m.put("/api/system/print-settings", json!({"order_tickets": true}))
        .await
        .ok();
    add(&w, order, vec![line(&w, "Pastitsio", 1).await]).await;
    let t = shop.kitchen.wait_for_tickets(1, WAIT).await;
    assert!(t[0].text().contains("Pastitsio"));
    assert_eq!(jobs(&m, &format!("order_id={order}")).await.len(), 1);
}

/// A manager's test page prints the code page's sample text; printers in use cannot be
/// deleted, unused ones can (sysadmin only).
#[tokio::test]
async fn test_pages_and_deleting_printers() {
    let shop = Shop::open().await;
    let (w, m) = (shop.d.waiter(1).await, shop.d.manager().await);
    let s = shop.d.login("sysadmin", PIN).await;
    w.post("/api/system/printers/test", json!({"printer_id": KITCHEN}))
        .await
        .expect(403, "forbidden");
    let job = m
        .post("/api/system/printers/test", json!({"printer_id": KITCHEN}))
        .await;
    assert_eq!(job.ok()["kind"], "test");
    let t = shop.kitchen.wait_for_tickets(1, WAIT).await;
    let text = t[0].text();
    assert!(text.contains("TEST PAGE") && text.contains("Ξεσκεπάζω την ψυχοφθόρα βδελυγμία"));
    assert!(text.contains("Code page: cp737 (ESC t 14)"), "{text}");
    m.post("/api/system/printers/test", json!({"printer_id": 77}))
        .await
        .expect(404, "not_found");

    m.delete(&format!("/api/system/printers/{KITCHEN}"))
        .await
        .expect(403, "forbidden");
    s.delete(&format!("/api/system/printers/{KITCHEN}"))
        .await
        .expect(409, "printer_in_use");
    // A printer nobody answers on keeps its test page queued: it cannot be deleted yet.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let spare = s
        .post(
            "/api/system/printers",
            json!({"name": "Spare", "ip_address": "127.0.0.1", "port": port}),
        )
        .await
        .id();
    m.post("/api/system/printers/test", json!({"printer_id": spare}))
        .await
        .ok();
    s.delete(&format!("/api/system/printers/{spare}"))
        .await
        .expect(409, "printer_has_jobs");
    let unused = s
        .post(
            "/api/system/printers",
            json!({"name": "Terrace", "ip_address": "127.0.0.1", "port": port}),
        )
        .await
        .id();
    assert_eq!(
        s.delete(&format!("/api/system/printers/{unused}"))
            .await
            .status,
        204
    );
    let list = m.get("/api/system/printers").await;
    assert!(
        list.ok()
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["id"] != unused)
    );
}

/// Discovery lists what answers `DLE EOT` on the probed addresses (here only loopback): the
/// two fake printers with their state, not a silent open port or a closed one.
#[tokio::test]
async fn discovery_probes_only_the_given_subnets_and_lists_real_printers() {
    let a = FakePrinter::start().await;
    let b = FakePrinter::start().await;
    b.set_paper_out(true);
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let ports = vec![
        a.addr().port(),
        b.addr().port(),
        silent.local_addr().unwrap().port(),
        closed_port,
    ];
    let d = Daemon::start_with(move |c| {
        c.print.discover_subnets = Some(vec![("127.0.0.1".parse().unwrap(), 32)]);
        c.print.discover_ports = ports;
        c.print.discover_window = Duration::from_millis(1500);
    })
    .await;
    let m = d.manager().await;
    let w = d.waiter(1).await;
    w.get("/api/system/printers/discover")
        .await
        .expect(403, "forbidden");
    assert_eq!(
        m.get("/api/system/printers/discover").await.ok(),
        &json!([]),
        "without probe=true (and with mDNS off in tests) nothing is searched"
    );
    let found = m.get("/api/system/printers/discover?probe=true").await;
    let found = found.ok().as_array().unwrap().clone();
    let mut got: Vec<(u64, String)> = found
        .iter()
        .map(|f| {
            assert_eq!(f["ip_address"], "127.0.0.1");
            assert_eq!(f["source"], "probe");
            (
                f["port"].as_u64().unwrap(),
                f["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    let mut want = vec![
        (u64::from(a.addr().port()), "ready".to_string()),
        (u64::from(b.addr().port()), "paper out".to_string()),
    ];
    want.sort();
    assert_eq!(got, want);
    m.get("/api/system/printers/discover?probe=maybe")
        .await
        .expect(400, "bad_query");
}
