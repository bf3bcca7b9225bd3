//! Upgrades: a database written by an earlier posd opens and reads correctly.
//!
//! `fixtures/schema1-demo.redb.gz` was written by posd before the print job record moved to
//! version 2 (commit 951e0f3): the demo restaurant plus an order with two lines (Greek note,
//! option, removed ingredient), a card payment with tip, queued kitchen/bar jobs (V1
//! records), and a second, closed order. PINs were hashed with that build's argon2 cost.

use std::io::Read;

use crate::support::Daemon;

fn unpack() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let gz = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/fixtures/schema1-demo.redb.gz"
    ))
    .unwrap();
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(gz.as_slice())
        .read_to_end(&mut bytes)
        .unwrap();
    std::fs::write(dir.path().join(posd::store::DB_FILE), bytes).unwrap();
    dir
}

/// Everything the old build stored is there after the upgrade, and service goes on.
#[tokio::test]
async fn a_database_from_the_previous_version_opens_and_reads() {
    let d = Daemon::start_in(unpack(), |_| {}).await;
    // Old PIN hashes (other argon2 parameters) still log in.
    let w = d.waiter(1).await;
    let m = d.manager().await;
    let o = w.get("/api/orders/1").await;
    let o = o.ok();
    assert_eq!(o["items"].as_array().unwrap().len(), 2);
    assert_eq!(o["items"][0]["notes"], "χωρίς αλάτι");
    assert_eq!(o["items"][0]["selected_options"][0]["id"], 1);
    assert_eq!(o["items"][0]["removed_ingredients"][0]["id"], 2);
    assert_eq!(o["items"][0]["status"], "paid");
    assert_eq!(o["payments"][0]["method"], "card");
    assert_eq!(o["payments"][0]["tip"], 100);
    assert_eq!(o["status"], "partially_paid");
    assert_eq!(m.get("/api/orders/2").await.ok()["status"], "closed");
    // The V1 print jobs decode.
    let jobs = m.get("/api/system/print-jobs").await;
    let jobs = jobs.ok();
    let list = jobs
        .as_array()
        .or_else(|| jobs["items"].as_array())
        .expect("a job list");
    assert!(list.len() >= 2, "old print jobs missing: {jobs}");
    assert!(list.iter().all(|j| j["order_id"] == 1));
    // And the restaurant keeps working on the upgraded file.
    let r = w
        .post("/api/orders/1/pay", serde_json::json!({"item_ids": [2]}))
        .await;
    assert_eq!(r.ok()["status"], "paid");
    let n = w.open_table(9).await;
    assert!(n > 2);
}
