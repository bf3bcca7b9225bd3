//! `/api/products`: the menu (all roles read it), categories, product editing, images.

use http::{HeaderValue, StatusCode, header};
use serde::Deserialize;
use serde_json::json;

use crate::app::App;
use crate::error::{Error, Result};
use crate::http::io::{Req, Resp, created, double, full, no_content, ok};
use crate::http::router::Route;
use crate::http::views;
use crate::route;
use crate::service::menu::{self, PartInput, ProductInput, SetInput};

pub fn routes() -> Vec<Route> {
    vec![
        route!(GET "/api/products", Auth, list),
        route!(POST "/api/products", Manager, create),
        route!(GET "/api/products/categories", Auth, categories),
        route!(POST "/api/products/categories", Manager, create_category),
        route!(PUT "/api/products/categories/{id}", Manager, edit_category),
        route!(DELETE "/api/products/categories/{id}", Manager, delete_category),
        route!(GET "/api/products/{id}", Auth, get),
        route!(PUT "/api/products/{id}", Manager, edit),
        route!(DELETE "/api/products/{id}", Manager, deactivate),
        route!(POST "/api/products/{id}/image", Manager, upload_image),
        route!(GET "/api/products/{id}/image", Public, image),
    ]
}

#[derive(Deserialize, Default)]
struct ListQuery {
    all: Option<bool>,
}

async fn list(app: App, r: Req) -> Result<Resp> {
    let q: ListQuery = r.query()?;
    let all = q.all.unwrap_or(false) && r.actor()?.is_manager();
    // What every waiter sees is the same list: render it once per menu change.
    if !all && let Some(b) = app.menu_cache.get() {
        return Ok(json_bytes(b));
    }
    let version = app.menu_cache.version();
    let v = menu::products(&app, r.actor()?, all).await?;
    let body = json!(v.iter().map(views::product).collect::<Vec<_>>());
    if all {
        return ok(body);
    }
    let b = bytes::Bytes::from(serde_json::to_vec(&body).unwrap_or_default());
    app.menu_cache.put(version, b.clone());
    Ok(json_bytes(b))
}

fn json_bytes(b: bytes::Bytes) -> Resp {
    let mut r = Resp::new(full(b));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

async fn get(app: App, r: Req) -> Result<Resp> {
    let id = r.id("id")?;
    let p = menu::product(&app, id).await?;
    if !(r.actor()?.is_manager() || p.active && p.available) {
        return Err(Error::not_found("product", id));
    }
    ok(views::product(&p))
}

#[derive(Deserialize)]
struct Part {
    id: Option<u64>,
    name: String,
    #[serde(default, alias = "price_delta")]
    extra_cost: i64,
}

#[derive(Deserialize)]
struct Set {
    id: Option<u64>,
    name: String,
    #[serde(default)]
    required: bool,
    choices: Vec<Part>,
}

#[derive(Deserialize)]
struct ProductBody {
    name: Option<String>,
    #[serde(default, deserialize_with = "double")]
    description: Option<Option<String>>,
    #[serde(default, deserialize_with = "double")]
    category_id: Option<Option<u64>>,
    base_price: Option<i64>,
    is_available: Option<bool>,
    is_active: Option<bool>,
    #[serde(default, deserialize_with = "double")]
    printer_zone_id: Option<Option<u64>>,
    sort_order: Option<i32>,
    options: Option<Vec<Part>>,
    ingredients: Option<Vec<Part>>,
    preference_sets: Option<Vec<Set>>,
}

fn part(p: Part) -> PartInput {
    PartInput {
        id: p.id,
        name: p.name,
        cents: p.extra_cost,
    }
}

impl From<ProductBody> for ProductInput {
    fn from(b: ProductBody) -> Self {
        ProductInput {
            name: b.name,
            description: b.description,
            category_id: b.category_id,
            base_price: b.base_price,
            available: b.is_available,
            active: b.is_active,
            printer_zone_id: b.printer_zone_id,
            sort_order: b.sort_order,
            options: b.options.map(|v| v.into_iter().map(part).collect()),
            ingredients: b.ingredients.map(|v| v.into_iter().map(part).collect()),
            preference_sets: b.preference_sets.map(|v| {
                v.into_iter()
                    .map(|s| SetInput {
                        id: s.id,
                        name: s.name,
                        required: s.required,
                        choices: s.choices.into_iter().map(part).collect(),
                    })
                    .collect()
            }),
        }
    }
}

async fn create(app: App, mut r: Req) -> Result<Resp> {
    let b: ProductBody = r.json().await?;
    created(views::product(
        &menu::create_product(&app, r.actor()?, b.into()).await?,
    ))
}

async fn edit(app: App, mut r: Req) -> Result<Resp> {
    let id = r.id("id")?;
    let b: ProductBody = r.json().await?;
    ok(views::product(
        &menu::edit_product(&app, r.actor()?, id, b.into()).await?,
    ))
}

async fn deactivate(app: App, r: Req) -> Result<Resp> {
    let id = r.id("id")?;
    ok(views::product(
        &menu::deactivate_product(&app, r.actor()?, id).await?,
    ))
}

async fn categories(app: App, _r: Req) -> Result<Resp> {
    let v = menu::categories(&app).await?;
    ok(json!(v.iter().map(views::category).collect::<Vec<_>>()))
}

#[derive(Deserialize)]
struct CategoryBody {
    name: Option<String>,
    #[serde(default, deserialize_with = "double")]
    color: Option<Option<String>>,
    sort_order: Option<i32>,
}

async fn create_category(app: App, mut r: Req) -> Result<Resp> {
    let b: CategoryBody = r.json().await?;
    created(views::category(
        &menu::save_category(&app, r.actor()?, None, b.name, b.color, b.sort_order).await?,
    ))
}

async fn edit_category(app: App, mut r: Req) -> Result<Resp> {
    let id = r.id("id")?;
    let b: CategoryBody = r.json().await?;
    ok(views::category(
        &menu::save_category(&app, r.actor()?, Some(id), b.name, b.color, b.sort_order).await?,
    ))
}

async fn delete_category(app: App, r: Req) -> Result<Resp> {
    let id = r.id("id")?;
    menu::delete_category(&app, r.actor()?, id).await?;
    no_content()
}

/// The image is the raw request body (`Content-Type: image/png|jpeg|webp`), checked by its
/// first bytes and size.
async fn upload_image(app: App, mut r: Req) -> Result<Resp> {
    let id = r.id("id")?;
    let ct = r.header("content-type").map(str::to_string);
    let bytes = r.bytes(Some(menu::MAX_IMAGE)).await?;
    ok(views::product(
        &menu::set_image(&app, r.actor()?, id, ct, bytes).await?,
    ))
}

async fn image(app: App, r: Req) -> Result<Resp> {
    let id = r.id("id")?;
    let (bytes, ctype, version) = menu::image(&app, id).await?;
    let etag = format!("\"p{id}v{version}\"");
    let mut resp = if r.header("if-none-match") == Some(etag.as_str()) {
        let mut x = Resp::new(full(bytes::Bytes::new()));
        *x.status_mut() = StatusCode::NOT_MODIFIED;
        x
    } else {
        Resp::new(full(bytes))
    };
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&ctype) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(resp)
}
