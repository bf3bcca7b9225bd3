//! Order use cases: open a table, add item batches (idempotent, tickets queued in the same
//! transaction), pay, close, and the manager's corrections.

use jiff::Timestamp;

use super::{Actor, printing};
use crate::app::App;
use crate::domain::floor::Table;
use crate::domain::menu::{Product, Selection};
use crate::domain::orders::{self, NewLine, Order, OrderStatus, PayMethod};
use crate::domain::reports::day_key;
use crate::domain::staff::{self, User};
use crate::domain::text;
use crate::error::{Error, Result};
use crate::events::Change;
use crate::store::tables::{ORDERS, PRODUCTS, TABLES, USERS};
use crate::store::{Reader, Writer};

/// An order with the names a client shows next to it.
#[derive(Debug, Clone)]
pub struct OrderView {
    pub order: Order,
    pub table_number: u32,
    pub table_label: Option<String>,
    /// (id, display name) of every user the order mentions.
    pub names: Vec<(u64, String)>,
    /// Item ids the request added (add-items only).
    pub added: Vec<u64>,
}

pub fn view<R: Reader>(r: &R, order: Order, added: Vec<u64>) -> Result<OrderView> {
    let table = r.get::<Table>(TABLES, order.table_id)?;
    let mut ids: Vec<u64> = order.waiters.clone();
    ids.push(order.opened_by);
    ids.extend(order.payments.iter().map(|p| p.by));
    ids.sort_unstable();
    ids.dedup();
    let mut names = Vec::with_capacity(ids.len());
    for id in ids {
        let n = r
            .get::<User>(USERS, id)?
            .map(|u| u.display_name)
            .unwrap_or_else(|| format!("#{id}"));
        names.push((id, n));
    }
    Ok(OrderView {
        table_number: table.as_ref().map(|t| t.number).unwrap_or(0),
        table_label: table.and_then(|t| t.label),
        order,
        names,
        added,
    })
}

fn load<R: Reader>(r: &R, id: u64) -> Result<Order> {
    r.get::<Order>(ORDERS, id)?
        .ok_or_else(|| Error::not_found("order", id))
}

/// The order, if the actor may work on it (seed 000); a waiter gets 404 for others' orders
/// only when it does not exist, 403 when it does.
fn load_for<R: Reader>(r: &R, actor: &Actor, id: u64) -> Result<Order> {
    let o = load(r, id)?;
    if !staff::may_access_order(&actor.user, &o.waiters, &actor.assists) {
        return Err(Error::forbidden("this order belongs to another waiter"));
    }
    Ok(o)
}

fn publish_order(app: &App, o: &Order) {
    app.publish(Change::Order {
        order_id: o.id,
        table_id: o.table_id,
        status: o.status.as_str(),
        waiters: o.waiters.clone(),
        number: o.number,
    });
}

const NUMBER_KEY: &str = "order_number";

/// Open an order on a table. Atomic: two waiters racing for one table get one order; the
/// loser gets 409 with the existing order's id.
pub async fn open(
    app: &App,
    actor: &Actor,
    table_id: u64,
    notes: Option<String>,
) -> Result<OrderView> {
    // Below the free-space floor new orders stop; paying and closing still fit.
    app.store.health().check_room(app.config.min_free_bytes)?;
    let notes = text::optional("notes", notes.as_deref(), 200)?;
    let now = app.now();
    let day = day_key(app.day_rule().day_of(now));
    let by = actor.id();
    let v = app
        .store
        .write(move |w| {
            let t = w
                .get::<Table>(TABLES, table_id)?
                .ok_or_else(|| Error::not_found("table", table_id))?;
            if !t.active {
                return Err(Error::conflict(
                    "table_inactive",
                    format!("table {} is not in use", t.number),
                ));
            }
            if let Some(existing) = w.open_order_of_table(table_id)? {
                return Err(Error::conflict(
                    "table_busy",
                    format!("table {} already has an open order", t.number),
                )
                .with("order_id", existing as i64));
            }
            let last = w.meta(NUMBER_KEY)?.and_then(|b| {
                let b: [u8; 5] = b.as_slice().try_into().ok()?;
                Some((u32::from_le_bytes([b[0], b[1], b[2], b[3]]), b[4]))
            });
            let number = orders::next_number(last, day);
            let mut nb = day.to_le_bytes().to_vec();
            nb.push(number);
            w.set_meta(NUMBER_KEY, &nb)?;
            let id = w.next_id("orders")?;
            let mut o = Order::open(id, number, day, table_id, by, now);
            o.notes = notes;
            w.put(ORDERS, id, &o)?;
            w.set_open_order(table_id, Some(id))?;
            w.index_order_day(day, id)?;
            view(w, o, vec![])
        })
        .await?;
    publish_order(app, &v.order);
    app.publish(Change::Table { table_id });
    tracing::info!(ORDER_ID = v.order.id, TABLE = v.table_number, USER = %actor.user.username, "order opened");
    Ok(v)
}

/// Manager: the next order gets number 1.
pub async fn reset_numbers(app: &App, actor: &Actor) -> Result<()> {
    actor.require_manager()?;
    let day = day_key(app.day_rule().day_of(app.now()));
    app.store
        .write(move |w| {
            let mut nb = day.to_le_bytes().to_vec();
            nb.push(0);
            w.set_meta(NUMBER_KEY, &nb)
        })
        .await
}

pub struct LineInput {
    pub product_id: u64,
    pub quantity: i64,
    pub selected_options: Vec<u64>,
    pub removed_ingredients: Vec<u64>,
    pub preferences: Vec<(u64, u64)>,
    pub notes: Option<String>,
}

/// Idempotency records are kept this long.
pub const IDEMPOTENCY_TTL_MS: i64 = 24 * 3600 * 1000;

/// Add one batch of items, and queue its tickets, in one transaction. With an
/// `Idempotency-Key`, a retry returns the first result and adds nothing.
pub async fn add_items(
    app: &App,
    actor: &Actor,
    order_id: u64,
    lines: Vec<LineInput>,
    idem: Option<String>,
) -> Result<OrderView> {
    app.store.health().check_room(app.config.min_free_bytes)?;
    if lines.is_empty() {
        return Err(Error::invalid("empty_batch", "add at least one item"));
    }
    if lines.len() > orders::MAX_LINES_PER_BATCH {
        return Err(Error::invalid(
            "batch_too_large",
            format!("at most {} lines per batch", orders::MAX_LINES_PER_BATCH),
        ));
    }
    let mut checked = Vec::with_capacity(lines.len());
    for l in lines {
        let q = orders::quantity(l.quantity)?;
        let notes = text::optional("notes", l.notes.as_deref(), 200)?;
        checked.push((l, q, notes));
    }
    if let Some(k) = &idem
        && (k.is_empty() || k.len() > 100)
    {
        return Err(Error::bad_request(
            "bad_idempotency_key",
            "Idempotency-Key must be 1 to 100 characters",
        ));
    }
    let now = app.now();
    let actor2 = actor.clone();
    let (v, fresh) = app
        .store
        .write(move |w| {
            let key = idem.map(|k| format!("{}:{order_id}:{k}", actor2.id()));
            if let Some(key) = &key
                && let Some(prev) = w.idempotent(key)?
            {
                let ids: Vec<u64> = postcard::from_bytes::<(i64, Vec<u64>)>(&prev)
                    .map(|(_, ids)| ids)
                    .unwrap_or_default();
                let o = load_for(w, &actor2, order_id)?;
                return Ok((view(w, o, ids)?, false));
            }
            let mut o = load_for(w, &actor2, order_id)?;
            let mut new = Vec::with_capacity(checked.len());
            for (l, quantity, notes) in checked {
                let p = w.get::<Product>(PRODUCTS, l.product_id)?.ok_or_else(|| {
                    Error::invalid(
                        "bad_product",
                        format!("product {} does not exist", l.product_id),
                    )
                })?;
                let priced = p.price(&Selection {
                    option_ids: l.selected_options,
                    removed_ingredient_ids: l.removed_ingredients,
                    preferences: l.preferences,
                })?;
                new.push(NewLine {
                    product_id: p.id,
                    name: p.name,
                    quantity,
                    priced,
                    notes,
                    printer_zone_id: p.printer_zone_id,
                });
            }
            let first = w.next_ids("order_items", new.len() as u64)?;
            let ids = o.add_items(new, first, actor2.id(), now)?;
            printing::enqueue_items(w, &o, &ids, actor2.id(), now)?;
            w.put(ORDERS, o.id, &o)?;
            if let Some(key) = &key {
                let rec = postcard::to_allocvec(&(now.as_millisecond(), ids.clone()))
                    .map_err(|e| Error::internal(e.to_string()))?;
                w.put_idempotent(key, &rec)?;
            }
            Ok((view(w, o, ids)?, true))
        })
        .await?;
    if fresh {
        app.spool_wake.notify_waiters();
        let o = &v.order;
        app.publish(Change::Items {
            order_id: o.id,
            table_id: o.table_id,
            item_ids: v.added.clone(),
            waiters: o.waiters.clone(),
        });
        publish_order(app, o);
        tracing::info!(ORDER_ID = o.id, TABLE = v.table_number, USER = %actor.user.username, items = v.added.len(), "items added");
    }
    Ok(v)
}

pub async fn get(app: &App, actor: &Actor, id: u64) -> Result<OrderView> {
    let actor = actor.clone();
    app.store
        .read(move |r| view(r, load_for(r, &actor, id)?, vec![]))
        .await
}

/// The actor's live orders (their own and those of waiters they assist).
pub async fn mine(app: &App, actor: &Actor) -> Result<Vec<OrderView>> {
    let actor = actor.clone();
    app.store
        .read(move |r| {
            let mut out = Vec::new();
            for (_, oid) in r.open_orders()? {
                let o = load(r, oid)?;
                if o.waiters.contains(&actor.id())
                    || o.waiters.iter().any(|w| actor.assists.contains(w))
                {
                    out.push(view(r, o, vec![])?);
                }
            }
            out.sort_by_key(|v| v.order.id);
            Ok(out)
        })
        .await
}

#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    pub from_day: Option<u32>,
    pub to_day: Option<u32>,
    pub waiter_id: Option<u64>,
    pub table_id: Option<u64>,
    pub page: u32,
    pub page_size: u32,
}

pub struct Page {
    pub items: Vec<OrderView>,
    pub total: usize,
    pub page: u32,
    pub page_size: u32,
}

/// Manager: orders by business-day range (default today), filtered, newest first, paginated.
/// Reads only the days asked for.
pub async fn list(app: &App, actor: &Actor, f: OrderFilter) -> Result<Page> {
    actor.require_manager()?;
    let today = day_key(app.day_rule().day_of(app.now()));
    let from = f.from_day.unwrap_or(today);
    let to = f.to_day.unwrap_or(from.max(today));
    if to < from {
        return Err(Error::bad_request("bad_range", "from must not be after to"));
    }
    let page_size = f.page_size.clamp(1, 200);
    let page = f.page.max(1);
    app.store
        .read(move |r| {
            let mut ids = r.order_ids_by_day(from, to)?;
            ids.reverse();
            let mut matching = Vec::new();
            for id in ids {
                let o = load(r, id)?;
                let ok = f.status.is_none_or(|s| s == o.status)
                    && f.waiter_id
                        .is_none_or(|w| o.waiters.contains(&w) || o.opened_by == w)
                    && f.table_id.is_none_or(|t| t == o.table_id);
                if ok {
                    matching.push(o);
                }
            }
            let total = matching.len();
            let start = ((page - 1) * page_size) as usize;
            let items = matching
                .into_iter()
                .skip(start)
                .take(page_size as usize)
                .map(|o| view(r, o, vec![]))
                .collect::<Result<Vec<_>>>()?;
            Ok(Page {
                items,
                total,
                page,
                page_size,
            })
        })
        .await
}

/// Run a change on one order in one transaction; publish afterwards.
async fn change<F>(app: &App, actor: &Actor, id: u64, f: F) -> Result<OrderView>
where
    F: FnOnce(&redb::WriteTransaction, &mut Order, Timestamp) -> Result<()> + Send + 'static,
{
    let now = app.now();
    let actor2 = actor.clone();
    let v = app
        .store
        .write(move |w| {
            let mut o = load_for(w, &actor2, id)?;
            f(w, &mut o, now)?;
            if !o.status.is_live() {
                w.set_open_order(o.table_id, None)?;
            }
            w.put(ORDERS, id, &o)?;
            view(w, o, vec![])
        })
        .await?;
    publish_order(app, &v.order);
    if !v.order.status.is_live() {
        app.publish(Change::Table {
            table_id: v.order.table_id,
        });
    }
    app.spool_wake.notify_waiters();
    Ok(v)
}

pub async fn edit_item(
    app: &App,
    actor: &Actor,
    id: u64,
    item_id: u64,
    quantity: Option<i64>,
    notes: Option<Option<String>>,
) -> Result<OrderView> {
    actor.require_manager()?;
    let q = quantity.map(orders::quantity).transpose()?;
    let notes = notes
        .map(|n| text::optional("notes", n.as_deref(), 200))
        .transpose()?;
    change(app, actor, id, move |_, o, _| {
        o.edit_item(item_id, q, notes).map(|_| ())
    })
    .await
}

pub async fn cancel_item(app: &App, actor: &Actor, id: u64, item_id: u64) -> Result<OrderView> {
    actor.require_manager()?;
    let by = actor.id();
    change(app, actor, id, move |w, o, now| {
        o.cancel_item(item_id, by, now)?;
        printing::enqueue_voids(w, o, &[item_id], by, now)?;
        Ok(())
    })
    .await
    .inspect(|v| tracing::info!(ORDER_ID = id, TABLE = v.table_number, USER = %actor.user.username, item_id, "item voided"))
}

pub async fn cancel(app: &App, actor: &Actor, id: u64) -> Result<OrderView> {
    actor.require_manager()?;
    let by = actor.id();
    change(app, actor, id, move |w, o, now| {
        let items: Vec<u64> = o.cancel(by, now)?.into_iter().map(|i| i.id).collect();
        printing::enqueue_voids(w, o, &items, by, now)?;
        Ok(())
    })
    .await
    .inspect(|v| tracing::info!(ORDER_ID = id, TABLE = v.table_number, USER = %actor.user.username, "order cancelled"))
}

pub async fn assign_waiter(app: &App, actor: &Actor, id: u64, waiter_id: u64) -> Result<OrderView> {
    actor.require_manager()?;
    change(app, actor, id, move |w, o, _| {
        let u = super::user(w, waiter_id)?;
        if !u.can_log_in() {
            return Err(Error::conflict(
                "waiter_inactive",
                format!("{} is blocked or deleted", u.username),
            ));
        }
        o.assign_waiter(waiter_id)
    })
    .await
}

pub async fn remove_waiter(app: &App, actor: &Actor, id: u64, waiter_id: u64) -> Result<OrderView> {
    actor.require_manager()?;
    change(app, actor, id, move |_, o, _| o.remove_waiter(waiter_id)).await
}

pub async fn pay(
    app: &App,
    actor: &Actor,
    id: u64,
    item_ids: Vec<u64>,
    method: PayMethod,
    tip: i64,
) -> Result<OrderView> {
    let by = actor.id();
    let v = change(app, actor, id, move |w, o, now| {
        let pid = w.next_id("payments")?;
        o.pay(pid, &item_ids, method, tip, by, now).map(|_| ())
    })
    .await?;
    if let Some(p) = v.order.payments.last() {
        app.publish(Change::Payment {
            order_id: id,
            table_id: v.order.table_id,
            payment_id: p.id,
            waiters: v.order.waiters.clone(),
        });
        tracing::info!(ORDER_ID = id, TABLE = v.table_number, USER = %actor.user.username, amount = p.amount, tip = p.tip, method = p.method.as_str(), "payment");
    }
    Ok(v)
}

pub async fn close(app: &App, actor: &Actor, id: u64) -> Result<OrderView> {
    let by = actor.id();
    let v = change(app, actor, id, move |_, o, now| o.close(by, now)).await?;
    tracing::info!(ORDER_ID = id, TABLE = v.table_number, USER = %actor.user.username, "order closed");
    Ok(v)
}

/// Queue the bill on a chosen printer.
pub async fn print_bill(app: &App, actor: &Actor, id: u64, printer_id: u64) -> Result<u64> {
    let by = actor.id();
    let actor2 = actor.clone();
    let now = app.now();
    let job = app
        .store
        .write(move |w| {
            let o = load_for(w, &actor2, id)?;
            printing::enqueue_bill(w, &o, printer_id, by, now)?
                .ok_or_else(|| Error::not_found("printer", printer_id))
        })
        .await?;
    app.spool_wake.notify_waiters();
    tracing::info!(ORDER_ID = id, PRINTER = printer_id, USER = %actor.user.username, job, "bill queued");
    Ok(job)
}
