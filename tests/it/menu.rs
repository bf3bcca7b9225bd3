//! The menu API of seeds 000/001 over real HTTP: categories, products with options,
//! ingredients and preference sets, availability, and product images.

use bytes::Bytes;
use http_body_util::Full;
use serde_json::json;

use crate::support::{Daemon, Resp};

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
