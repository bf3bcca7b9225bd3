//! The restaurant setup API of seeds 000/001 over real HTTP: staff, tables and groups, the
//! menu with its options, availability and product images.

use bytes::Bytes;
use http_body_util::Full;
use serde_json::{Value, json};

use crate::support::{Client, Daemon, PIN, Resp};

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

/// Categories: create (colour normalised), list in order, edit, delete; deleting a category
/// that still holds products is refused.
#[tokio::test]
async fn categories_crud_and_delete_refused_while_in_use() {
    let d = Daemon::start().await;
    let m = d.manager().await;
    let c = m
        .post(
            "/api/products/categories",
            json!({"name": "Κρασιά / Wines", "color": "#AABBCC", "sort_order": 9}),
        )
        .await;
    assert_eq!(c.status, 201);
    assert_eq!(c.json["color"], "#aabbcc");
    let cid = c.id();
    m.post(
        "/api/products/categories",
        json!({"name": "x", "color": "red"}),
    )
    .await
    .expect(422, "bad_color");
    let list = m.get("/api/products/categories/").await;
    let names: Vec<&str> = list
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 5);
    assert_eq!(names[4], "Κρασιά / Wines");
    let e = m
        .put(
            &format!("/api/products/categories/{cid}"),
            json!({"name": "Wines", "color": null}),
        )
        .await;
    assert!(e.ok()["color"].is_null());
    let p = m
        .post(
            "/api/products/",
            json!({"name": "Retsina", "base_price": 700, "category_id": cid}),
        )
        .await;
    let pid = p.id();
    m.delete(&format!("/api/products/categories/{cid}"))
        .await
        .expect(409, "category_in_use");
    m.delete(&format!("/api/products/{pid}")).await.ok();
    assert_eq!(
        m.delete(&format!("/api/products/categories/{cid}"))
            .await
            .status,
        204
    );
    m.delete(&format!("/api/products/categories/{cid}"))
        .await
        .expect(404, "not_found");
    // Waiters read categories but cannot change them.
    let w = d.waiter(1).await;
    w.get("/api/products/categories").await.ok();
    w.post("/api/products/categories", json!({"name": "x"}))
        .await
        .expect(403, "forbidden");
}

/// A product with options (extra cost), removable ingredients and a preference set of
/// exclusive choices; editing keeps the ids of parts it names and prices follow.
#[tokio::test]
async fn products_with_options_ingredients_and_preference_sets() {
    let d = Daemon::start().await;
    let m = d.manager().await;
    let body = json!({
        "name": "Σουβλάκι κοτόπουλο",
        "base_price": 1000,
        "category_id": 2,
        "printer_zone_id": 1,
        "options": [{"name": "Fries", "extra_cost": 250}],
        "ingredients": [{"name": "Onions"}, {"name": "Tomato"}],
        "preference_sets": [{"name": "Bread", "required": true,
            "choices": [{"name": "Pita", "price_delta": 0}, {"name": "Gluten-free", "price_delta": 150}]}],
    });
    let r = m.post("/api/products/", body).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let p = r.json.clone();
    let pid = p["id"].as_u64().unwrap();
    assert_eq!(p["options"][0]["extra_cost"], 250);
    assert_eq!(p["ingredients"].as_array().unwrap().len(), 2);
    assert_eq!(p["preference_sets"][0]["required"], true);
    let fries = p["options"][0]["id"].clone();
    let e = m
        .put(
            &format!("/api/products/{pid}"),
            json!({"base_price": 1100,
                   "options": [{"id": fries, "name": "Fries", "extra_cost": 300}, {"name": "Feta", "extra_cost": 100}]}),
        )
        .await;
    let e = e.ok();
    assert_eq!(e["options"][0]["id"], fries);
    assert_eq!(e["options"][0]["extra_cost"], 300);
    assert_eq!(e["options"].as_array().unwrap().len(), 2);
    assert_eq!(e["preference_sets"], p["preference_sets"]);
    m.put(
        &format!("/api/products/{pid}"),
        json!({"options": [{"id": 1, "name": "Stolen"}]}),
    )
    .await
    .expect(422, "bad_id");
    m.put(
        &format!("/api/products/{pid}"),
        json!({"preference_sets": [{"name": "Empty", "choices": []}]}),
    )
    .await
    .expect(422, "empty_set");
    m.put(&format!("/api/products/{pid}"), json!({"category_id": 999}))
        .await
        .expect(422, "bad_category");
    m.put(
        &format!("/api/products/{pid}"),
        json!({"printer_zone_id": 999}),
    )
    .await
    .expect(422, "bad_printer");

    // Ordering it: the required choice must be made; the price is base + option + delta.
    let w = d.waiter(1).await;
    let order = w.open_table(4).await;
    let set = &e["preference_sets"][0];
    w.post(
        &format!("/api/orders/{order}/items"),
        json!({"items": [{"product_id": pid}]}),
    )
    .await
    .expect(422, "preference_required");
    let o = w
        .post(
            &format!("/api/orders/{order}/items"),
            json!({"items": [{"product_id": pid, "selected_options": [fries],
                   "preferences": [{"set_id": set["id"], "choice_id": set["choices"][1]["id"]}]}]}),
        )
        .await;
    assert_eq!(o.ok()["items"][0]["unit_price"], 1100 + 300 + 150);
    let g = w.get(&format!("/api/products/{pid}")).await;
    assert_eq!(g.ok()["name"], "Σουβλάκι κοτόπουλο");
}

/// Availability: sold-out products vanish from the waiters' menu (even with `?all=true`),
/// managers see them with `?all=true`, and ordering one is a 409.
#[tokio::test]
async fn unavailable_products_are_hidden_from_waiters_and_refused() {
    let d = Daemon::start().await;
    let (m, w) = (d.manager().await, d.waiter(1).await);
    let before = w.get("/api/products/").await.ok().as_array().unwrap().len();
    let bream = w.product("Grilled sea bream").await;
    let id = bream["id"].as_u64().unwrap();
    let order = w.open_table(8).await;
    let r = m
        .put(
            &format!("/api/products/{id}"),
            json!({"is_available": false}),
        )
        .await;
    assert_eq!(r.ok()["is_available"], false);
    let names = |r: &Resp| -> Vec<String> {
        r.json
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect()
    };
    let wl = w.get("/api/products/").await;
    assert_eq!(wl.ok().as_array().unwrap().len(), before - 1);
    assert!(!names(&wl).contains(&"Grilled sea bream".to_string()));
    let wa = w.get("/api/products/?all=true").await;
    assert!(!names(&wa).contains(&"Grilled sea bream".to_string()));
    let ma = m.get("/api/products?all=true").await;
    assert!(names(&ma).contains(&"Grilled sea bream".to_string()));
    assert!(!names(&m.get("/api/products/").await).contains(&"Grilled sea bream".to_string()));
    w.get(&format!("/api/products/{id}"))
        .await
        .expect(404, "not_found");
    m.get(&format!("/api/products/{id}")).await.ok();
    w.post(
        &format!("/api/orders/{order}/items"),
        json!({"items": [{"product_id": id}]}),
    )
    .await
    .expect(409, "product_unavailable");
    m.get("/api/products/?all=maybe")
        .await
        .expect(400, "bad_query");
    // Back on the menu.
    m.put(
        &format!("/api/products/{id}"),
        json!({"is_available": true}),
    )
    .await
    .ok();
    w.post(
        &format!("/api/orders/{order}/items"),
        json!({"items": [{"product_id": id}]}),
    )
    .await
    .ok();
    // Deactivated ("DELETE") is gone for everyone but managers asking for all.
    let r = m.delete(&format!("/api/products/{id}")).await;
    assert_eq!(r.ok()["is_active"], false);
    assert!(!names(&w.get("/api/products/").await).contains(&"Grilled sea bream".to_string()));
    assert!(
        names(&m.get("/api/products/?all=true").await).contains(&"Grilled sea bream".to_string())
    );
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0";
const WEBP: &[u8] = b"RIFF\x1a\0\0\0WEBPVP8L\x0d\0\0\0\x2f\0\0\0\x10";

async fn upload(d: &Daemon, token: &str, id: u64, ctype: &str, body: Vec<u8>) -> Resp {
    let req = hyper::Request::post(format!("/api/products/{id}/image"))
        .header("host", "posd")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", ctype)
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    d.raw(req).await.unwrap()
}

async fn get_image(d: &Daemon, path: &str, etag: Option<&str>) -> Resp {
    let mut b = hyper::Request::get(path).header("host", "posd");
    if let Some(e) = etag {
        b = b.header("if-none-match", e);
    }
    d.raw(b.body(Full::new(Bytes::new())).unwrap())
        .await
        .unwrap()
}

/// Product photos: PNG, JPEG and WebP recognised by their bytes (not the declared type),
/// anything else 415, over 2 MiB 413; served back with caching headers and 304 revalidation.
#[tokio::test]
async fn product_images_are_checked_stored_and_served_with_caching() {
    let d = Daemon::start().await;
    let m = d.manager().await;
    let id = m.product("Burger").await["id"].as_u64().unwrap();

    let r = upload(&d, &m.token, id, "image/png", PNG.to_vec()).await;
    let url = r.ok()["image_url"].as_str().unwrap().to_string();
    assert!(url.starts_with(&format!("/api/products/{id}/image")));
    let img = get_image(&d, &url, None).await;
    assert_eq!(img.status, 200);
    assert_eq!(&img.body[..], PNG);
    assert_eq!(img.headers["content-type"], "image/png");
    assert!(
        img.headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let etag = img.headers["etag"].to_str().unwrap().to_string();
    let again = get_image(&d, &url, Some(&etag)).await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());

    // A new upload changes the URL and the ETag, so cached copies are not reused.
    let r = upload(&d, &m.token, id, "image/jpeg", JPEG.to_vec()).await;
    let url2 = r.ok()["image_url"].as_str().unwrap().to_string();
    assert_ne!(url, url2);
    let img = get_image(&d, &url2, Some(&etag)).await;
    assert_eq!(img.status, 200);
    assert_eq!(img.headers["content-type"], "image/jpeg");
    let r = upload(&d, &m.token, id, "application/octet-stream", WEBP.to_vec()).await;
    r.ok();
    assert_eq!(
        get_image(&d, &format!("/api/products/{id}/image"), None)
            .await
            .headers["content-type"],
        "image/webp"
    );

    upload(&d, &m.token, id, "image/png", b"GIF89a......".to_vec())
        .await
        .expect(415, "bad_image");
    upload(&d, &m.token, id, "image/png", JPEG.to_vec())
        .await
        .expect(415, "bad_image");
    upload(&d, &m.token, id, "text/html", b"<script>".to_vec())
        .await
        .expect(415, "bad_image");
    let mut big = PNG.to_vec();
    big.resize((2 << 20) + 1, 0);
    upload(&d, &m.token, id, "image/png", big)
        .await
        .expect(413, "body_too_large");
    upload(&d, &m.token, 999999, "image/png", PNG.to_vec())
        .await
        .expect(404, "not_found");
    let w = d.waiter(1).await;
    upload(&d, &w.token, id, "image/png", PNG.to_vec())
        .await
        .expect(403, "forbidden");
    // Still the WebP after all the refusals.
    assert_eq!(
        get_image(&d, &format!("/api/products/{id}/image"), None)
            .await
            .headers["content-type"],
        "image/webp"
    );
    let none = m.product("Pastitsio").await["id"].as_u64().unwrap();
    assert_eq!(
        get_image(&d, &format!("/api/products/{none}/image"), None)
            .await
            .status,
        404
    );
}
