//! Menu use cases: categories, products with their options, ingredients and preference sets,
//! availability, and product images stored in the data folder.

use std::path::PathBuf;

use super::Actor;
use crate::app::App;
use crate::domain::menu::{
    self, Category, Choice, Ingredient, PreferenceSet, Product, ProductImage, ProductOption,
};
use crate::domain::money;
use crate::domain::text;
use crate::error::{Error, Result};
use crate::events::Change;
use crate::store::tables::{CATEGORIES, PRINTERS, PRODUCTS};
use crate::store::{Reader, Writer};

pub async fn categories(app: &App) -> Result<Vec<Category>> {
    let mut c = app.store.read(|r| r.all::<Category>(CATEGORIES)).await?;
    c.sort_by_key(|c| (c.sort_order, c.id));
    Ok(c)
}

pub async fn save_category(
    app: &App,
    actor: &Actor,
    id: Option<u64>,
    name: Option<String>,
    color: Option<Option<String>>,
    sort_order: Option<i32>,
) -> Result<Category> {
    actor.require_manager()?;
    let name = name.map(|n| text::name("name", &n, 40)).transpose()?;
    let color = color.map(|c| menu::color(c.as_deref())).transpose()?;
    let c = app
        .store
        .write(move |w| {
            let mut c = match id {
                Some(id) => w
                    .get::<Category>(CATEGORIES, id)?
                    .ok_or_else(|| Error::not_found("category", id))?,
                None => Category {
                    id: w.next_id("categories")?,
                    name: name
                        .clone()
                        .ok_or_else(|| Error::invalid("missing_field", "name is required"))?,
                    color: None,
                    sort_order: 0,
                },
            };
            if let Some(n) = name {
                c.name = n;
            }
            if let Some(col) = color {
                c.color = col;
            }
            if let Some(s) = sort_order {
                c.sort_order = s;
            }
            w.put(CATEGORIES, c.id, &c)?;
            Ok(c)
        })
        .await?;
    app.publish(Change::Menu);
    Ok(c)
}

/// Delete a category; refused while active products are in it.
pub async fn delete_category(app: &App, actor: &Actor, id: u64) -> Result<()> {
    actor.require_manager()?;
    app.store
        .write(move |w| {
            let used = w
                .all::<Product>(PRODUCTS)?
                .iter()
                .filter(|p| p.active && p.category_id == Some(id))
                .count();
            if used > 0 {
                return Err(Error::conflict(
                    "category_in_use",
                    format!("{used} products are still in this category; move them first"),
                ));
            }
            if !w.remove(CATEGORIES, id)? {
                return Err(Error::not_found("category", id));
            }
            Ok(())
        })
        .await?;
    app.publish(Change::Menu);
    Ok(())
}

/// Products for the menu. Waiters see what can be ordered; managers may ask for all.
pub async fn products(app: &App, actor: &Actor, all: bool) -> Result<Vec<Product>> {
    let all = all && actor.is_manager();
    let mut p: Vec<Product> = app
        .store
        .read(|r| r.all::<Product>(PRODUCTS))
        .await?
        .into_iter()
        .filter(|p| all || (p.active && p.available))
        .collect();
    p.sort_by(|a, b| {
        (a.category_id, a.sort_order, &a.name).cmp(&(b.category_id, b.sort_order, &b.name))
    });
    Ok(p)
}

pub async fn product(app: &App, id: u64) -> Result<Product> {
    app.store
        .read(move |r| {
            r.get::<Product>(PRODUCTS, id)?
                .ok_or_else(|| Error::not_found("product", id))
        })
        .await
}

/// A named part with a price as sent by a client; `id` keeps an existing part.
#[derive(Debug, Clone)]
pub struct PartInput {
    pub id: Option<u64>,
    pub name: String,
    pub cents: i64,
}

#[derive(Debug, Clone)]
pub struct SetInput {
    pub id: Option<u64>,
    pub name: String,
    pub required: bool,
    pub choices: Vec<PartInput>,
}

#[derive(Debug, Clone, Default)]
pub struct ProductInput {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub category_id: Option<Option<u64>>,
    pub base_price: Option<i64>,
    pub available: Option<bool>,
    pub active: Option<bool>,
    pub printer_zone_id: Option<Option<u64>>,
    pub sort_order: Option<i32>,
    /// When present, replaces the list (ids keep existing parts).
    pub options: Option<Vec<PartInput>>,
    pub ingredients: Option<Vec<PartInput>>,
    pub preference_sets: Option<Vec<SetInput>>,
}

const MAX_PARTS: usize = 50;

fn parts<W: Writer>(
    w: &W,
    field: &'static str,
    v: Vec<PartInput>,
    existing: &[u64],
    priced: bool,
) -> Result<Vec<(u64, String, i64)>> {
    if v.len() > MAX_PARTS {
        return Err(Error::invalid(
            "too_many",
            format!("at most {MAX_PARTS} {field}"),
        ));
    }
    v.into_iter()
        .map(|p| {
            let name = text::name(field, &p.name, 40)?;
            let cents = if priced {
                money::delta(field, p.cents)?
            } else {
                0
            };
            let id = match p.id {
                Some(id) if existing.contains(&id) => id,
                Some(id) => {
                    return Err(Error::invalid(
                        "bad_id",
                        format!("{field} id {id} is not part of this product"),
                    ));
                }
                None => w.next_id("menu_parts")?,
            };
            Ok((id, name, cents))
        })
        .collect()
}

fn apply<W: Writer>(w: &W, p: &mut Product, i: ProductInput) -> Result<()> {
    if let Some(n) = i.name {
        p.name = text::name("name", &n, 60)?;
    }
    if let Some(d) = i.description {
        p.description = text::optional("description", d.as_deref(), 300)?;
    }
    if let Some(c) = i.category_id {
        if let Some(c) = c
            && w.get::<Category>(CATEGORIES, c)?.is_none()
        {
            return Err(Error::invalid(
                "bad_category",
                format!("category {c} does not exist"),
            ));
        }
        p.category_id = c;
    }
    if let Some(b) = i.base_price {
        p.base_price = money::amount("base_price", b)?;
    }
    if let Some(z) = i.printer_zone_id {
        if let Some(z) = z
            && w.get::<crate::domain::printers::Printer>(PRINTERS, z)?
                .is_none()
        {
            return Err(Error::invalid(
                "bad_printer",
                format!("printer {z} does not exist"),
            ));
        }
        p.printer_zone_id = z;
    }
    if let Some(a) = i.available {
        p.available = a;
    }
    if let Some(a) = i.active {
        p.active = a;
    }
    if let Some(s) = i.sort_order {
        p.sort_order = s;
    }
    if let Some(o) = i.options {
        let ids: Vec<u64> = p.options.iter().map(|o| o.id).collect();
        p.options = parts(w, "options", o, &ids, true)?
            .into_iter()
            .map(|(id, name, c)| {
                Ok(ProductOption {
                    id,
                    name,
                    extra_cost: money::amount("extra_cost", c)?,
                })
            })
            .collect::<Result<_>>()?;
    }
    if let Some(v) = i.ingredients {
        let ids: Vec<u64> = p.ingredients.iter().map(|o| o.id).collect();
        p.ingredients = parts(w, "ingredients", v, &ids, false)?
            .into_iter()
            .map(|(id, name, _)| Ingredient { id, name })
            .collect();
    }
    if let Some(sets) = i.preference_sets {
        if sets.len() > 10 {
            return Err(Error::invalid("too_many", "at most 10 preference sets"));
        }
        let set_ids: Vec<u64> = p.preference_sets.iter().map(|s| s.id).collect();
        let choice_ids: Vec<u64> = p
            .preference_sets
            .iter()
            .flat_map(|s| s.choices.iter().map(|c| c.id))
            .collect();
        let mut out = Vec::new();
        for s in sets {
            let id = match s.id {
                Some(id) if set_ids.contains(&id) => id,
                Some(id) => {
                    return Err(Error::invalid(
                        "bad_id",
                        format!("preference set {id} is not part of this product"),
                    ));
                }
                None => w.next_id("menu_parts")?,
            };
            if s.choices.is_empty() {
                return Err(Error::invalid(
                    "empty_set",
                    "a preference set needs at least one choice",
                ));
            }
            let choices = parts(w, "choices", s.choices, &choice_ids, true)?
                .into_iter()
                .map(|(id, name, price_delta)| Choice {
                    id,
                    name,
                    price_delta,
                })
                .collect();
            out.push(PreferenceSet {
                id,
                name: text::name("preference set", &s.name, 40)?,
                required: s.required,
                choices,
            });
        }
        p.preference_sets = out;
    }
    Ok(())
}

pub async fn create_product(app: &App, actor: &Actor, i: ProductInput) -> Result<Product> {
    actor.require_manager()?;
    if i.name.is_none() || i.base_price.is_none() {
        return Err(Error::invalid(
            "missing_field",
            "name and base_price are required",
        ));
    }
    let p = app
        .store
        .write(move |w| {
            let mut p = Product {
                id: w.next_id("products")?,
                name: String::new(),
                description: None,
                category_id: None,
                base_price: 0,
                available: true,
                active: true,
                printer_zone_id: None,
                sort_order: 0,
                options: vec![],
                ingredients: vec![],
                preference_sets: vec![],
                image: None,
            };
            apply(w, &mut p, i)?;
            w.put(PRODUCTS, p.id, &p)?;
            Ok(p)
        })
        .await?;
    app.publish(Change::Menu);
    Ok(p)
}

pub async fn edit_product(app: &App, actor: &Actor, id: u64, i: ProductInput) -> Result<Product> {
    actor.require_manager()?;
    let p = app
        .store
        .write(move |w| {
            let mut p = w
                .get::<Product>(PRODUCTS, id)?
                .ok_or_else(|| Error::not_found("product", id))?;
            apply(w, &mut p, i)?;
            w.put(PRODUCTS, id, &p)?;
            Ok(p)
        })
        .await?;
    app.publish(Change::Menu);
    Ok(p)
}

/// Seed 000's DELETE: deactivate; past orders keep their snapshot.
pub async fn deactivate_product(app: &App, actor: &Actor, id: u64) -> Result<Product> {
    edit_product(
        app,
        actor,
        id,
        ProductInput {
            active: Some(false),
            ..Default::default()
        },
    )
    .await
}

/// Largest accepted image.
pub const MAX_IMAGE: usize = 2 << 20;

/// Recognise PNG, JPEG and WebP by their first bytes; the declared type must agree.
pub fn sniff_image(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("image/png", "png"))
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(("image/jpeg", "jpg"))
    } else if bytes.len() > 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(("image/webp", "webp"))
    } else {
        None
    }
}

pub fn images_dir(app: &App) -> PathBuf {
    app.config.data_dir.join("images")
}

/// Store an uploaded image next to the database and point the product at it.
pub async fn set_image(
    app: &App,
    actor: &Actor,
    id: u64,
    declared: Option<String>,
    bytes: bytes::Bytes,
) -> Result<Product> {
    actor.require_manager()?;
    if bytes.len() > MAX_IMAGE {
        return Err(Error::new(
            crate::error::Kind::PayloadTooLarge,
            "image_too_large",
            format!("images may be at most {} KiB", MAX_IMAGE >> 10),
        ));
    }
    let (ctype, ext) = sniff_image(&bytes).ok_or_else(|| {
        Error::new(
            crate::error::Kind::UnsupportedMediaType,
            "bad_image",
            "upload a PNG, JPEG or WebP image",
        )
    })?;
    if let Some(d) = declared
        && !d.starts_with("application/octet-stream")
        && !d.starts_with(ctype)
    {
        return Err(Error::new(
            crate::error::Kind::UnsupportedMediaType,
            "bad_image",
            format!("the file is {ctype} but was sent as {d}"),
        ));
    }
    let existing = product(app, id).await?;
    let version = existing.image.as_ref().map(|i| i.version + 1).unwrap_or(1);
    let file = format!("product-{id}-v{version}.{ext}");
    let dir = images_dir(app);
    let path = dir.join(&file);
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        use std::io::Write;
        std::fs::create_dir_all(&dir)?;
        let tmp = dir.join(format!(".{file}.tmp"));
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        Ok(())
    })
    .await
    .map_err(|e| Error::internal(e.to_string()))?
    .map_err(crate::store::storage)?;
    let img = ProductImage {
        file: format!("product-{id}-v{version}.{ext}"),
        content_type: ctype.into(),
        version,
    };
    let p = app
        .store
        .write(move |w| {
            let mut p = w
                .get::<Product>(PRODUCTS, id)?
                .ok_or_else(|| Error::not_found("product", id))?;
            p.image = Some(img);
            w.put(PRODUCTS, id, &p)?;
            Ok(p)
        })
        .await?;
    if let Some(old) = existing.image {
        let _ = tokio::fs::remove_file(images_dir(app).join(old.file)).await;
    }
    app.publish(Change::Menu);
    Ok(p)
}

/// The bytes and type of a product's image.
pub async fn image(app: &App, id: u64) -> Result<(Vec<u8>, String, u32)> {
    let p = product(app, id).await?;
    let img = p
        .image
        .ok_or_else(|| Error::not_found("image of product", id))?;
    let bytes = tokio::fs::read(images_dir(app).join(&img.file))
        .await
        .map_err(|_| Error::not_found("image of product", id))?;
    Ok((bytes, img.content_type, img.version))
}
