//! The restaurant setup API of seeds 000/001 over real HTTP: staff, tables and groups (the
//! menu is in `menu.rs`).

use serde_json::{Value, json};

use crate::support::{Client, Daemon, PIN};

fn find<'a>(list: &'a Value, key: &str, value: impl Into<Value>) -> Option<&'a Value> {
    let value = value.into();
    list.as_array().unwrap().iter().find(|x| x[key] == value)
}

async fn table_id(c: &Client<'_>, number: u32) -> u64 {
    let t = c.get("/api/tables/").await;
    find(t.ok(), "number", number).unwrap()["id"]
        .as_u64()
        .unwrap()
}

/// Seed 000's waiter management, end to end: list, create, edit, reset PIN, block and unblock,
/// soft delete (history keeps the name, the name stays reserved).
#[tokio::test]
async fn waiter_accounts_are_managed_as_seed_000_says() {
    let d = Daemon::start().await;
    let m = d.manager().await;
    let list = m.get("/api/waiters/").await;
    assert_eq!(list.ok().as_array().unwrap().len(), 22);

    let r = m
        .post(
            "/api/waiters/",
            json!({"username": "Eleni", "pin": "4321", "display_name": "Ελένη"}),
        )
        .await;
    assert_eq!(r.status, 201);
    let id = r.id();
    assert_eq!(
        (r.json["username"].as_str(), r.json["role"].as_str()),
        (Some("eleni"), Some("waiter"))
    );
    assert_eq!(r.json["is_active"], true);
    m.post("/api/waiters/", json!({"username": "eleni", "pin": "1111"}))
        .await
        .expect(409, "username_taken");
    m.post("/api/waiters/", json!({"username": "kostas", "pin": "12"}))
        .await
        .expect(422, "bad_pin");
    m.post("/api/waiters/", json!({"username": "k", "pin": "1234"}))
        .await
        .expect(422, "bad_username");
    m.post(
        "/api/waiters/",
        json!({"username": "kostas", "pin": "1234", "role": "chef"}),
    )
    .await
    .expect(422, "bad_role");

    let e = m
        .put(
            &format!("/api/waiters/{id}"),
            json!({"display_name": "Eleni P."}),
        )
        .await;
    assert_eq!(e.ok()["display_name"], "Eleni P.");
    m.put(
        &format!("/api/waiters/{id}/reset-pin"),
        json!({"pin": "5555"}),
    )
    .await
    .ok();
    d.login("eleni", "5555").await;

    let b = m.put(&format!("/api/waiters/{id}/block"), json!({})).await;
    assert_eq!(b.ok()["is_active"], false);
    let b = m
        .put(
            &format!("/api/waiters/{id}/block"),
            json!({"blocked": false}),
        )
        .await;
    assert_eq!(b.ok()["is_active"], true);

    // She opens a table, then leaves the restaurant: delete is soft.
    let eleni = d.login("eleni", "5555").await;
    let order = eleni.open_table(3).await;
    assert_eq!(m.delete(&format!("/api/waiters/{id}")).await.status, 204);
    let list = m.get("/api/waiters/").await;
    assert!(find(list.ok(), "id", id).is_none());
    let o = m.get(&format!("/api/orders/{order}")).await;
    assert_eq!(o.ok()["opened_by_name"], "Eleni P.");
    assert_eq!(o.json["waiters"][0]["name"], "Eleni P.");
    m.post("/api/waiters/", json!({"username": "eleni", "pin": "1111"}))
        .await
        .expect(409, "username_taken");
    // A deleted account is gone for every other operation too.
    m.put(&format!("/api/waiters/{id}"), json!({"display_name": "X"}))
        .await
        .expect(404, "not_found");
    m.delete(&format!("/api/waiters/{id}"))
        .await
        .expect(404, "not_found");
    m.delete("/api/waiters/999999")
        .await
        .expect(404, "not_found");
}

/// Seed 000: "if waiter B is assistant to waiter A, B can manage all of A's tables"; assign
/// and remove, with the obvious refusals.
#[tokio::test]
async fn assistants_are_assigned_and_removed() {
    let d = Daemon::start().await;
    let m = d.manager().await;
    let (a, b, c) = (3, 4, 5);
    let r = m
        .post(
            &format!("/api/waiters/{a}/assign-assistant"),
            json!({"assistant_id": b}),
        )
        .await;
    assert_eq!(r.ok()["assistant_id"], b);
    m.post(
        &format!("/api/waiters/{a}/assign-assistant"),
        json!({"assistant_id": a}),
    )
    .await
    .expect(422, "self_assistant");
    m.put(&format!("/api/waiters/{c}/block"), json!({}))
        .await
        .ok();
    m.post(
        &format!("/api/waiters/{a}/assign-assistant"),
        json!({"assistant_id": c}),
    )
    .await
    .expect(409, "assistant_inactive");
    m.post(
        &format!("/api/waiters/{a}/assign-assistant"),
        json!({"assistant_id": 999999}),
    )
    .await
    .expect(404, "not_found");
    let r = m.delete(&format!("/api/waiters/{a}/assistant")).await;
    assert!(r.ok()["assistant_id"].is_null());
    m.delete(&format!("/api/waiters/{a}/assistant"))
        .await
        .expect(404, "not_found");

    // Deleting the assistant clears the assignment in the same request.
    m.post(
        &format!("/api/waiters/{a}/assign-assistant"),
        json!({"assistant_id": b}),
    )
    .await
    .ok();
    assert_eq!(m.delete(&format!("/api/waiters/{b}")).await.status, 204);
    let list = m.get("/api/waiters/").await;
    assert!(find(list.ok(), "id", a).unwrap()["assistant_id"].is_null());
}

/// Managers manage staff but cannot create or change the sysadmin; nobody blocks or deletes
/// themselves.
#[tokio::test]
async fn managers_cannot_touch_the_sysadmin_or_themselves() {
    let d = Daemon::start().await;
    let m = d.manager().await;
    m.post(
        "/api/waiters/",
        json!({"username": "root2", "pin": "1234", "role": "sysadmin"}),
    )
    .await
    .expect(403, "forbidden");
    m.put("/api/waiters/2", json!({"display_name": "x"}))
        .await
        .expect(403, "forbidden");
    m.put("/api/waiters/2/block", json!({}))
        .await
        .expect(403, "forbidden");
    m.put("/api/waiters/1/block", json!({}))
        .await
        .expect(409, "self_block");
    m.delete("/api/waiters/1").await.expect(409, "self_delete");
    let s = d.login("sysadmin", PIN).await;
    let r = s
        .post(
            "/api/waiters/",
            json!({"username": "root2", "pin": "1234", "role": "sysadmin"}),
        )
        .await;
    assert_eq!(r.status, 201);
}

/// The table grid: every table with its live status and order summary, and one table's
/// status on its own.
#[tokio::test]
async fn tables_list_with_live_status() {
    let d = Daemon::start().await;
    let w = d.waiter(1).await;
    let list = w.get("/api/tables/").await;
    let tables = list.ok().as_array().unwrap();
    assert_eq!(tables.len(), 30);
    assert!(tables.iter().all(|t| t["status"] == "free"));
    let order = w.open_table(5).await;
    let cola = w.product("Coca-Cola").await;
    w.post(
        &format!("/api/orders/{order}/items"),
        json!({"items": [{"product_id": cola["id"], "quantity": 2}]}),
    )
    .await
    .ok();
    let id = table_id(&w, 5).await;
    let s = w.get(&format!("/api/tables/{id}/status")).await;
    let s = s.ok();
    assert_eq!(s["status"], "occupied");
    assert_eq!(s["order"]["id"], order);
    assert_eq!(s["order"]["total"], 600);
    let list = w.get("/api/tables").await;
    assert_eq!(find(list.ok(), "id", id).unwrap()["status"], "occupied");
    w.get("/api/tables/999999/status")
        .await
        .expect(404, "not_found");
}

/// Create, edit and deactivate tables (manager only), with the refusals that keep the floor
/// consistent: unique numbers, and no deactivating a table with an open order.
#[tokio::test]
async fn tables_are_created_edited_and_deactivated() {
    let d = Daemon::start().await;
    let m = d.manager().await;
    let r = m
        .post(
            "/api/tables/",
            json!({"number": 31, "label": "Window", "seats": 2}),
        )
        .await;
    assert_eq!(r.status, 201);
    let id = r.id();
    assert_eq!(
        (r.json["label"].as_str(), r.json["seats"].as_u64()),
        (Some("Window"), Some(2))
    );
    m.post("/api/tables/", json!({"number": 31}))
        .await
        .expect(409, "table_number_taken");
    let e = m
        .put(
            &format!("/api/tables/{id}"),
            json!({"number": 32, "label": null}),
        )
        .await;
    assert_eq!(
        (e.ok()["number"].as_u64(), e.json["label"].is_null()),
        (Some(32), true)
    );
    m.put(&format!("/api/tables/{id}"), json!({"number": 1}))
        .await
        .expect(409, "table_number_taken");
    // The old number is free again.
    m.post("/api/tables/", json!({"number": 31})).await.ok();

    let busy = table_id(&m, 7).await;
    let order = m.open_table(7).await;
    m.delete(&format!("/api/tables/{busy}"))
        .await
        .expect(409, "table_busy");
    m.put(&format!("/api/tables/{busy}"), json!({"is_active": false}))
        .await
        .expect(409, "table_busy");
    m.delete(&format!("/api/orders/{order}")).await.ok();
    let t = m.delete(&format!("/api/tables/{busy}")).await;
    assert_eq!(t.ok()["is_active"], false);
    let s = m.get(&format!("/api/tables/{busy}/status")).await;
    assert_eq!(s.ok()["status"], "inactive");
    m.post("/api/orders/", json!({"table_id": busy}))
        .await
        .expect(409, "table_inactive");
    m.delete("/api/tables/999999")
        .await
        .expect(404, "not_found");
}

/// Seed 001's batch create: prefix + count, numbered on from `start`; all or nothing.
#[tokio::test]
async fn tables_are_batch_created_all_or_nothing() {
    let d = Daemon::start().await;
    let m = d.manager().await;
    let r = m
        .post(
            "/api/tables/batch",
            json!({"prefix": "Bar", "start": 40, "count": 5}),
        )
        .await;
    assert_eq!(r.status, 201);
    let made = r.json.as_array().unwrap();
    assert_eq!(made.len(), 5);
    assert_eq!(made[0]["label"], "Bar 40");
    assert_eq!(made[4]["number"], 44);
    // 29 and 30 exist: nothing of 29..33 may be created.
    m.post("/api/tables/batch", json!({"start": 29, "count": 5}))
        .await
        .expect(409, "table_number_taken");
    let list = m.get("/api/tables/").await;
    assert_eq!(list.ok().as_array().unwrap().len(), 35);
    assert!(find(&list.json, "number", 31).is_none());
    m.post("/api/tables/batch", json!({"start": 100, "count": 0}))
        .await
        .expect(422, "bad_count");
    m.post("/api/tables/batch", json!({"start": 100, "count": 100000}))
        .await
        .expect(422, "bad_count");
    m.post("/api/tables/batch", json!({"start": 9998, "count": 5}))
        .await
        .expect(422, "bad_table_number");
    m.post(
        "/api/tables/batch",
        json!({"start": 100, "count": 2, "group_id": 999}),
    )
    .await
    .expect(422, "bad_group");
    assert_eq!(
        m.get("/api/tables/").await.json.as_array().unwrap().len(),
        35
    );
}

/// Table groups (rooms): create, list, rename, delete; deleting ungroups its tables.
#[tokio::test]
async fn table_groups_crud() {
    let d = Daemon::start().await;
    let m = d.manager().await;
    let g = m
        .post(
            "/api/tables/groups",
            json!({"name": "Αυλή", "sort_order": 5}),
        )
        .await;
    assert_eq!(g.status, 201);
    let gid = g.id();
    let groups = m.get("/api/tables/groups/").await;
    assert_eq!(groups.ok().as_array().unwrap().len(), 3);
    let e = m
        .put(
            &format!("/api/tables/groups/{gid}"),
            json!({"name": "Courtyard"}),
        )
        .await;
    assert_eq!(
        (e.ok()["name"].as_str(), e.json["sort_order"].as_i64()),
        (Some("Courtyard"), Some(5))
    );
    m.post("/api/tables/groups", json!({}))
        .await
        .expect(422, "missing_field");
    m.post("/api/tables/groups", json!({"name": "  "}))
        .await
        .expect(422, "empty_field");
    let t = table_id(&m, 1).await;
    m.put(&format!("/api/tables/{t}"), json!({"group_id": gid}))
        .await
        .ok();
    let r = m.delete(&format!("/api/tables/groups/{gid}")).await;
    assert_eq!(r.status, 204);
    let s = m.get(&format!("/api/tables/{t}/status")).await;
    assert!(s.ok()["group_id"].is_null());
    m.delete(&format!("/api/tables/groups/{gid}"))
        .await
        .expect(404, "not_found");
    m.put("/api/tables/groups/999999", json!({"name": "x"}))
        .await
        .expect(404, "not_found");
}

/// Floor-plan positions are percentages of the plan.
#[tokio::test]
async fn floorplan_positions_are_set_and_bounded() {
    let d = Daemon::start().await;
    let m = d.manager().await;
    let t = table_id(&m, 2).await;
    let r = m
        .put(
            &format!("/api/tables/{t}/floorplan"),
            json!({"floor_x": 12.5, "floor_y": 40}),
        )
        .await;
    assert_eq!(
        (r.ok()["floor_x"].as_f64(), r.json["floor_y"].as_f64()),
        (Some(12.5), Some(40.0))
    );
    m.put(
        &format!("/api/tables/{t}/floorplan"),
        json!({"floor_x": 101, "floor_y": 5}),
    )
    .await
    .expect(422, "bad_position");
    m.put(
        &format!("/api/tables/{t}/floorplan"),
        json!({"floor_x": -1, "floor_y": 5}),
    )
    .await
    .expect(422, "bad_position");
    let s = m.get(&format!("/api/tables/{t}/status")).await;
    assert_eq!(s.ok()["floor_x"], 12.5);
}
