//! JSON shapes of domain values: the response contract clients are written against.

use serde_json::{Value, json};

use crate::domain::floor::{Table, TableGroup};
use crate::domain::menu::{Category, Product};
use crate::domain::orders::{Order, OrderItem, Payment};
use crate::domain::printers::{PrintJob, PrintLogEntry, Printer};
use crate::domain::staff::User;
use crate::print::discover::Found;
use crate::print::spool::PrinterLive;
use crate::service::floor::TableView;
use crate::service::orders::OrderView;

pub fn user(u: &User) -> Value {
    json!({
        "id": u.id,
        "username": u.username,
        "display_name": u.display_name,
        "role": u.role.as_str(),
        "is_active": u.active,
        "assistant_id": u.assistant_id,
        "locked_until": u.locked_until.map(|t| t.to_string()),
        "hourly_rate": u.hourly_rate,
        "created_at": u.created_at.to_string(),
    })
}

/// What the login screen may show about a user: no state, no secrets.
pub fn login_name(u: &User) -> Value {
    json!({ "id": u.id, "username": u.username, "display_name": u.display_name, "role": u.role.as_str() })
}

pub fn group(g: &TableGroup) -> Value {
    json!({ "id": g.id, "name": g.name, "sort_order": g.sort_order })
}

pub fn table(t: &Table) -> Value {
    json!({
        "id": t.id,
        "number": t.number,
        "label": t.label,
        "group_id": t.group_id,
        "is_active": t.active,
        "floor_x": t.floor_x,
        "floor_y": t.floor_y,
        "seats": t.seats,
    })
}

/// A table with its live status and a summary of its order.
pub fn table_view(v: &TableView) -> Value {
    let mut t = table(&v.table);
    t["status"] = json!(v.status.as_str());
    t["order"] = match &v.order {
        Some(o) => json!({
            "id": o.id,
            "number": o.number,
            "status": o.status.as_str(),
            "waiters": o.waiters,
            "opened_by": o.opened_by,
            "opened_at": o.opened_at.to_string(),
            "total": o.total(),
            "paid_total": o.paid_total(),
            "due": o.due(),
            "items": o.items.iter().filter(|i| i.counts()).count(),
        }),
        None => Value::Null,
    };
    t
}

pub fn category(c: &Category) -> Value {
    json!({ "id": c.id, "name": c.name, "color": c.color, "sort_order": c.sort_order })
}

pub fn product(p: &Product) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "description": p.description,
        "category_id": p.category_id,
        "base_price": p.base_price,
        "is_available": p.available,
        "is_active": p.active,
        "printer_zone_id": p.printer_zone_id,
        "sort_order": p.sort_order,
        "image_url": p.image.as_ref().map(|i| format!("/api/products/{}/image?v={}", p.id, i.version)),
        "options": p.options.iter().map(|o| json!({"id": o.id, "name": o.name, "extra_cost": o.extra_cost})).collect::<Vec<_>>(),
        "ingredients": p.ingredients.iter().map(|i| json!({"id": i.id, "name": i.name})).collect::<Vec<_>>(),
        "preference_sets": p.preference_sets.iter().map(|s| json!({
            "id": s.id,
            "name": s.name,
            "required": s.required,
            "choices": s.choices.iter().map(|c| json!({"id": c.id, "name": c.name, "price_delta": c.price_delta})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

fn item(i: &OrderItem) -> Value {
    json!({
        "id": i.id,
        "product_id": i.product_id,
        "name": i.name,
        "quantity": i.quantity,
        "unit_price": i.unit_price,
        "line_total": i.line_total(),
        "selected_options": i.options.iter().map(|o| json!({"id": o.id, "name": o.name, "extra_cost": o.extra_cost})).collect::<Vec<_>>(),
        "removed_ingredients": i.removed.iter().map(|r| json!({"id": r.id, "name": r.name})).collect::<Vec<_>>(),
        "preferences": i.preferences.iter().map(|(s, c)| json!({
            "set_id": s.id, "set_name": s.name, "choice_id": c.id, "choice_name": c.name, "price_delta": c.price_delta,
        })).collect::<Vec<_>>(),
        "notes": i.notes,
        "status": i.status.as_str(),
        "paid": i.status == crate::domain::orders::ItemStatus::Paid,
        "printed": i.printed,
        "added_by": i.added_by,
        "added_at": i.added_at.to_string(),
    })
}

fn payment(p: &Payment) -> Value {
    json!({
        "id": p.id,
        "amount": p.amount,
        "method": p.method.as_str(),
        "tip": p.tip,
        "item_ids": p.item_ids,
        "by": p.by,
        "at": p.at.to_string(),
    })
}

pub fn order(v: &OrderView) -> Value {
    let o: &Order = &v.order;
    let name = |id: u64| {
        v.names
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, n)| n.clone())
    };
    let mut out = json!({
        "id": o.id,
        "number": o.number,
        "business_day": crate::domain::reports::key_to_date(o.business_day).map(|d| d.to_string()),
        "table_id": o.table_id,
        "table_number": v.table_number,
        "table_label": v.table_label,
        "status": o.status.as_str(),
        "opened_by": o.opened_by,
        "opened_by_name": name(o.opened_by),
        "opened_at": o.opened_at.to_string(),
        "closed_at": o.closed_at.map(|t| t.to_string()),
        "closed_by": o.closed_by,
        "notes": o.notes,
        "waiters": o.waiters.iter().map(|w| json!({"id": w, "name": name(*w)})).collect::<Vec<_>>(),
        "items": o.items.iter().map(item).collect::<Vec<_>>(),
        "payments": o.payments.iter().map(payment).collect::<Vec<_>>(),
        "total": o.total(),
        "paid_total": o.paid_total(),
        "tips": o.tips(),
        "due": o.due(),
    });
    if !v.added.is_empty() {
        out["added_item_ids"] = json!(v.added);
    }
    out
}

pub fn printer(p: &Printer) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "ip_address": p.host,
        "port": p.port,
        "code_page": p.code_page,
        "esc_t": p.esc_t,
        "columns": p.columns,
        "is_active": p.active,
        "backup_printer_id": p.backup_printer_id,
    })
}

pub fn job(j: &PrintJob) -> Value {
    json!({
        "id": j.id,
        "printer_id": j.printer_id,
        "zone_printer_id": j.zone_printer_id,
        "kind": j.kind.as_str(),
        "order_id": j.order_id,
        "state": j.state.as_str(),
        "attempts": j.attempts,
        "last_error": j.last_error,
        "reprint": j.reprint,
        "created_at": j.created_at.to_string(),
        "done_at": j.done_at.map(|t| t.to_string()),
        "table_number": j.ticket.table_number,
        "order_number": j.ticket.order_number,
        "item_ids": j.ticket.lines.iter().map(|l| l.item_id).collect::<Vec<_>>(),
        "released_at": j.released_at.map(|t| t.to_string()),
    })
}

/// One attempt to print (seed 000's print_log row).
pub fn print_log(e: &PrintLogEntry) -> Value {
    json!({
        "id": e.id,
        "job_id": e.job_id,
        "order_id": e.order_id,
        "printer_id": e.printer_id,
        "printed_at": e.at.to_string(),
        "item_ids": e.item_ids,
        "success": e.success,
        "error_message": e.error,
    })
}

/// A printer's live state: "Kitchen: paper out, 3 tickets waiting".
pub fn printer_live(s: &PrinterLive) -> Value {
    json!({
        "printer_id": s.printer_id,
        "name": s.name,
        "state": s.state.as_str(),
        "detail": s.detail,
        "queued": s.queued,
        "held": s.held,
        "last_error": s.last_error,
        "since": s.since.to_string(),
        "checked_at": s.checked_at.map(|t| t.to_string()),
    })
}

/// A printer found by discovery.
pub fn found(f: &Found) -> Value {
    json!({
        "ip_address": f.host.to_string(),
        "port": f.port,
        "name": f.name,
        "model": f.model,
        "source": f.source,
        "status": f.status,
    })
}
