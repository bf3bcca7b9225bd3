//! Floor use cases: tables (with live status), batch creation, groups, floor-plan positions.

use super::Actor;
use crate::app::App;
use crate::domain::floor::{self, Table, TableGroup, TableStatus};
use crate::domain::orders::{Order, OrderStatus};
use crate::domain::text;
use crate::error::{Error, Result};
use crate::events::Change;
use crate::store::tables::{ORDERS, TABLE_GROUPS, TABLES};
use crate::store::{Reader, Writer};

/// A table with what is happening at it now.
#[derive(Debug, Clone)]
pub struct TableView {
    pub table: Table,
    pub status: TableStatus,
    pub order: Option<Order>,
}

fn status_of(t: &Table, o: Option<&Order>) -> TableStatus {
    match o.map(|o| o.status) {
        _ if !t.active => TableStatus::Inactive,
        None => TableStatus::Free,
        Some(OrderStatus::PartiallyPaid) => TableStatus::PartiallyPaid,
        Some(OrderStatus::Paid) => TableStatus::Paid,
        Some(_) => TableStatus::Occupied,
    }
}

/// Every table with its live order. Reads only the open-orders index: cost does not grow
/// with history.
pub async fn list(app: &App) -> Result<Vec<TableView>> {
    app.store
        .read(|r| {
            let tables = r.all::<Table>(TABLES)?;
            let open = r.open_orders()?;
            let mut out = Vec::with_capacity(tables.len());
            for t in tables {
                let order = match open.iter().find(|(tid, _)| *tid == t.id) {
                    Some((_, oid)) => r.get::<Order>(ORDERS, *oid)?,
                    None => None,
                };
                out.push(TableView {
                    status: status_of(&t, order.as_ref()),
                    table: t,
                    order,
                });
            }
            out.sort_by_key(|v| v.table.number);
            Ok(out)
        })
        .await
}

pub async fn status(app: &App, id: u64) -> Result<TableView> {
    app.store
        .read(move |r| {
            let t = r
                .get::<Table>(TABLES, id)?
                .ok_or_else(|| Error::not_found("table", id))?;
            let order = match r.open_order_of_table(id)? {
                Some(oid) => r.get::<Order>(ORDERS, oid)?,
                None => None,
            };
            Ok(TableView {
                status: status_of(&t, order.as_ref()),
                table: t,
                order,
            })
        })
        .await
}

#[derive(Debug, Default, Clone)]
pub struct TableInput {
    pub number: Option<i64>,
    pub label: Option<Option<String>>,
    pub group_id: Option<Option<u64>>,
    pub floor_x: Option<Option<f64>>,
    pub floor_y: Option<Option<f64>>,
    pub seats: Option<Option<u32>>,
    pub active: Option<bool>,
}

fn check_group<W: Reader>(w: &W, g: Option<u64>) -> Result<()> {
    if let Some(g) = g
        && w.get::<TableGroup>(TABLE_GROUPS, g)?.is_none()
    {
        return Err(Error::invalid(
            "bad_group",
            format!("table group {g} does not exist"),
        ));
    }
    Ok(())
}

fn apply(t: &mut Table, i: TableInput) -> Result<()> {
    if let Some(l) = i.label {
        t.label = text::optional("label", l.as_deref(), 40)?;
    }
    if let Some(g) = i.group_id {
        t.group_id = g;
    }
    if let Some(x) = i.floor_x {
        t.floor_x = floor::position("floor_x", x)?;
    }
    if let Some(y) = i.floor_y {
        t.floor_y = floor::position("floor_y", y)?;
    }
    if let Some(s) = i.seats {
        if s.is_some_and(|s| s > 100) {
            return Err(Error::invalid("bad_seats", "seats must be at most 100"));
        }
        t.seats = s;
    }
    if let Some(a) = i.active {
        t.active = a;
    }
    Ok(())
}

pub async fn create(app: &App, actor: &Actor, i: TableInput) -> Result<Table> {
    actor.require_manager()?;
    let number = floor::table_number(
        i.number
            .ok_or_else(|| Error::invalid("missing_field", "number is required"))?,
    )?;
    let t = app
        .store
        .write(move |w| {
            if w.table_id_by_number(number)?.is_some() {
                return Err(Error::conflict(
                    "table_number_taken",
                    format!("table {number} already exists"),
                ));
            }
            check_group(w, i.group_id.flatten())?;
            let id = w.next_id("tables")?;
            let mut t = Table {
                id,
                number,
                label: None,
                group_id: None,
                active: true,
                floor_x: None,
                floor_y: None,
                seats: None,
            };
            apply(&mut t, i)?;
            w.put(TABLES, id, &t)?;
            w.set_table_number(number, Some(id), None)?;
            Ok(t)
        })
        .await?;
    app.publish(Change::Table { table_id: t.id });
    Ok(t)
}

/// Create `count` tables numbered from `start`, labelled "`prefix` N" (seed 001), all or none.
pub async fn batch(
    app: &App,
    actor: &Actor,
    prefix: Option<String>,
    start: i64,
    count: i64,
    group_id: Option<u64>,
) -> Result<Vec<Table>> {
    actor.require_manager()?;
    let numbers = floor::batch_numbers(start, count)?;
    let prefix = text::optional("prefix", prefix.as_deref(), 30)?;
    let out = app
        .store
        .write(move |w| {
            check_group(w, group_id)?;
            let mut out = Vec::with_capacity(numbers.len());
            for n in numbers {
                if w.table_id_by_number(n)?.is_some() {
                    return Err(Error::conflict(
                        "table_number_taken",
                        format!("table {n} already exists; nothing was created"),
                    ));
                }
                let id = w.next_id("tables")?;
                let t = Table {
                    id,
                    number: n,
                    label: prefix.as_ref().map(|p| format!("{p} {n}")),
                    group_id,
                    active: true,
                    floor_x: None,
                    floor_y: None,
                    seats: None,
                };
                w.put(TABLES, id, &t)?;
                w.set_table_number(n, Some(id), None)?;
                out.push(t);
            }
            Ok(out)
        })
        .await?;
    for t in &out {
        app.publish(Change::Table { table_id: t.id });
    }
    Ok(out)
}

pub async fn edit(app: &App, actor: &Actor, id: u64, i: TableInput) -> Result<Table> {
    actor.require_manager()?;
    let t = app
        .store
        .write(move |w| {
            let mut t = w
                .get::<Table>(TABLES, id)?
                .ok_or_else(|| Error::not_found("table", id))?;
            if let Some(n) = i.number {
                let n = floor::table_number(n)?;
                if n != t.number {
                    if w.table_id_by_number(n)?.is_some() {
                        return Err(Error::conflict(
                            "table_number_taken",
                            format!("table {n} already exists"),
                        ));
                    }
                    w.set_table_number(n, Some(id), Some(t.number))?;
                    t.number = n;
                }
            }
            if let Some(g) = i.group_id {
                check_group(w, g)?;
            }
            if i.active == Some(false) && w.open_order_of_table(id)?.is_some() {
                return Err(Error::conflict(
                    "table_busy",
                    "this table has an open order; close it first",
                ));
            }
            apply(&mut t, i)?;
            w.put(TABLES, id, &t)?;
            Ok(t)
        })
        .await?;
    app.publish(Change::Table { table_id: id });
    Ok(t)
}

/// Seed 000's DELETE: deactivate (history keeps the table).
pub async fn deactivate(app: &App, actor: &Actor, id: u64) -> Result<Table> {
    edit(
        app,
        actor,
        id,
        TableInput {
            active: Some(false),
            ..Default::default()
        },
    )
    .await
}

pub async fn groups(app: &App) -> Result<Vec<TableGroup>> {
    let mut g = app
        .store
        .read(|r| r.all::<TableGroup>(TABLE_GROUPS))
        .await?;
    g.sort_by_key(|g| (g.sort_order, g.id));
    Ok(g)
}

pub async fn save_group(
    app: &App,
    actor: &Actor,
    id: Option<u64>,
    name: Option<String>,
    sort_order: Option<i32>,
) -> Result<TableGroup> {
    actor.require_manager()?;
    let name = name.map(|n| text::name("name", &n, 40)).transpose()?;
    let g = app
        .store
        .write(move |w| {
            let mut g = match id {
                Some(id) => w
                    .get::<TableGroup>(TABLE_GROUPS, id)?
                    .ok_or_else(|| Error::not_found("table group", id))?,
                None => TableGroup {
                    id: w.next_id("table_groups")?,
                    name: name
                        .clone()
                        .ok_or_else(|| Error::invalid("missing_field", "name is required"))?,
                    sort_order: 0,
                },
            };
            if let Some(n) = name {
                g.name = n;
            }
            if let Some(s) = sort_order {
                g.sort_order = s;
            }
            w.put(TABLE_GROUPS, g.id, &g)?;
            Ok(g)
        })
        .await?;
    app.publish(Change::Floor);
    Ok(g)
}

/// Delete a group; its tables stay, ungrouped.
pub async fn delete_group(app: &App, actor: &Actor, id: u64) -> Result<()> {
    actor.require_manager()?;
    app.store
        .write(move |w| {
            if !w.remove(TABLE_GROUPS, id)? {
                return Err(Error::not_found("table group", id));
            }
            for mut t in w
                .all::<Table>(TABLES)?
                .into_iter()
                .filter(|t| t.group_id == Some(id))
            {
                t.group_id = None;
                w.put(TABLES, t.id, &t)?;
            }
            Ok(())
        })
        .await?;
    app.publish(Change::Floor);
    Ok(())
}
