//! Orders: the lifecycle from opening a table to closing it, item lines with snapshotted
//! prices, payments as records, and the status rules of seed 000/001.
//!
//! Invariants kept here: a line's price never changes after it is added; a paid or cancelled
//! line is never paid again; `status` is always derived from the lines; closed and cancelled
//! orders refuse every change.

use jiff::Timestamp;

use crate::domain::menu::{Choice, Ingredient, PreferenceSet, PricedLine, ProductOption};
use crate::domain::money::{self, Cents};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStatus {
    Open,
    PartiallyPaid,
    Paid,
    Closed,
    Cancelled,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Open => "open",
            OrderStatus::PartiallyPaid => "partially_paid",
            OrderStatus::Paid => "paid",
            OrderStatus::Closed => "closed",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "open" => OrderStatus::Open,
            "partially_paid" => OrderStatus::PartiallyPaid,
            "paid" => OrderStatus::Paid,
            "closed" => OrderStatus::Closed,
            "cancelled" => OrderStatus::Cancelled,
            other => {
                return Err(Error::invalid(
                    "bad_status",
                    format!(
                        "status must be open, partially_paid, paid, closed or cancelled, not {other:?}"
                    ),
                ));
            }
        })
    }

    /// Still on the floor: the table is taken.
    pub fn is_live(self) -> bool {
        !matches!(self, OrderStatus::Closed | OrderStatus::Cancelled)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemStatus {
    Active,
    Paid,
    Cancelled,
}

impl ItemStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Active => "active",
            ItemStatus::Paid => "paid",
            ItemStatus::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayMethod {
    Cash,
    Card,
}

impl PayMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            PayMethod::Cash => "cash",
            PayMethod::Card => "card",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "cash" => Ok(PayMethod::Cash),
            "card" => Ok(PayMethod::Card),
            other => Err(Error::invalid(
                "bad_method",
                format!("method must be cash or card, not {other:?}"),
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderItem {
    pub id: u64,
    pub product_id: u64,
    /// Snapshot of the product name when ordered.
    pub name: String,
    pub quantity: u32,
    /// Snapshot: base + options + preference deltas, per unit.
    pub unit_price: Cents,
    pub options: Vec<ProductOption>,
    pub removed: Vec<Ingredient>,
    pub preferences: Vec<(PreferenceSet, Choice)>,
    pub notes: Option<String>,
    pub status: ItemStatus,
    pub added_by: u64,
    pub added_at: Timestamp,
    /// The product's printer zone when ordered.
    pub printer_zone_id: Option<u64>,
    pub printed: bool,
    pub cancelled_at: Option<Timestamp>,
    pub cancelled_by: Option<u64>,
}

impl OrderItem {
    pub fn line_total(&self) -> Cents {
        self.unit_price * self.quantity as Cents
    }
    pub fn counts(&self) -> bool {
        self.status != ItemStatus::Cancelled
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Payment {
    pub id: u64,
    pub amount: Cents,
    pub method: PayMethod,
    pub tip: Cents,
    pub item_ids: Vec<u64>,
    pub by: u64,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub id: u64,
    /// Display number 1..=99, cycling, restarting each business day.
    pub number: u8,
    /// Business day (yyyymmdd) in the restaurant's time zone with its cut-off hour.
    pub business_day: u32,
    pub table_id: u64,
    pub opened_by: u64,
    pub opened_at: Timestamp,
    pub status: OrderStatus,
    pub waiters: Vec<u64>,
    pub items: Vec<OrderItem>,
    pub payments: Vec<Payment>,
    pub closed_at: Option<Timestamp>,
    pub closed_by: Option<u64>,
    pub notes: Option<String>,
}

/// One line to add: a validated, priced product selection.
#[derive(Debug, Clone)]
pub struct NewLine {
    pub product_id: u64,
    pub name: String,
    pub quantity: u32,
    pub priced: PricedLine,
    pub notes: Option<String>,
    pub printer_zone_id: Option<u64>,
}

pub const MAX_QUANTITY: u32 = 999;
pub const MAX_LINES_PER_BATCH: usize = 100;
pub const MAX_ITEMS_PER_ORDER: usize = 1000;

pub fn quantity(q: i64) -> Result<u32> {
    if !(1..=MAX_QUANTITY as i64).contains(&q) {
        return Err(Error::invalid(
            "bad_quantity",
            format!("quantity must be between 1 and {MAX_QUANTITY}"),
        ));
    }
    Ok(q as u32)
}

impl Order {
    pub fn open(
        id: u64,
        number: u8,
        business_day: u32,
        table_id: u64,
        by: u64,
        now: Timestamp,
    ) -> Self {
        Order {
            id,
            number,
            business_day,
            table_id,
            opened_by: by,
            opened_at: now,
            status: OrderStatus::Open,
            waiters: vec![by],
            items: Vec::new(),
            payments: Vec::new(),
            closed_at: None,
            closed_by: None,
            notes: None,
        }
    }

    /// Sum of every line that is not cancelled.
    pub fn total(&self) -> Cents {
        self.items
            .iter()
            .filter(|i| i.counts())
            .map(OrderItem::line_total)
            .sum()
    }

    pub fn paid_total(&self) -> Cents {
        self.payments.iter().map(|p| p.amount).sum()
    }

    pub fn tips(&self) -> Cents {
        self.payments.iter().map(|p| p.tip).sum()
    }

    pub fn due(&self) -> Cents {
        self.items
            .iter()
            .filter(|i| i.status == ItemStatus::Active)
            .map(OrderItem::line_total)
            .sum()
    }

    fn ensure_live(&self) -> Result<()> {
        if self.status.is_live() {
            Ok(())
        } else {
            Err(Error::conflict(
                "order_finished",
                format!(
                    "order {} is {} and cannot be changed",
                    self.id,
                    self.status.as_str()
                ),
            ))
        }
    }

    fn recompute_status(&mut self) {
        if !self.status.is_live() {
            return;
        }
        let active = self.items.iter().any(|i| i.status == ItemStatus::Active);
        let paid = self.items.iter().any(|i| i.status == ItemStatus::Paid);
        self.status = match (active, paid) {
            (_, false) => OrderStatus::Open,
            (true, true) => OrderStatus::PartiallyPaid,
            (false, true) => OrderStatus::Paid,
        };
    }

    fn item_mut(&mut self, item_id: u64) -> Result<&mut OrderItem> {
        let order_id = self.id;
        self.items
            .iter_mut()
            .find(|i| i.id == item_id)
            .ok_or_else(|| Error::not_found("item", format!("{item_id} in order {order_id}")))
    }

    /// Add a batch. `first_id` is the first of `lines.len()` fresh item ids.
    pub fn add_items(
        &mut self,
        lines: Vec<NewLine>,
        first_id: u64,
        by: u64,
        now: Timestamp,
    ) -> Result<Vec<u64>> {
        self.ensure_live()?;
        if lines.is_empty() {
            return Err(Error::invalid("empty_batch", "add at least one item"));
        }
        if self.items.len() + lines.len() > MAX_ITEMS_PER_ORDER {
            return Err(Error::conflict(
                "order_too_large",
                "this order has too many lines; open a new one",
            ));
        }
        let mut ids = Vec::with_capacity(lines.len());
        for (n, l) in lines.into_iter().enumerate() {
            let id = first_id + n as u64;
            ids.push(id);
            self.items.push(OrderItem {
                id,
                product_id: l.product_id,
                name: l.name,
                quantity: l.quantity,
                unit_price: l.priced.unit_price,
                options: l.priced.options,
                removed: l.priced.removed,
                preferences: l.priced.preferences,
                notes: l.notes,
                status: ItemStatus::Active,
                added_by: by,
                added_at: now,
                printer_zone_id: l.printer_zone_id,
                printed: false,
                cancelled_at: None,
                cancelled_by: None,
            });
        }
        self.recompute_status();
        Ok(ids)
    }

    /// Manager edit of an unpaid line: quantity and notes. Price stays the snapshot.
    pub fn edit_item(
        &mut self,
        item_id: u64,
        quantity: Option<u32>,
        notes: Option<Option<String>>,
    ) -> Result<&OrderItem> {
        self.ensure_live()?;
        let item = self.item_mut(item_id)?;
        if item.status != ItemStatus::Active {
            return Err(Error::conflict(
                "item_not_editable",
                format!(
                    "item {item_id} is {} and cannot be edited",
                    item.status.as_str()
                ),
            ));
        }
        if let Some(q) = quantity {
            item.quantity = q;
        }
        if let Some(n) = notes {
            item.notes = n;
        }
        Ok(item)
    }

    /// Manager cancel of a line; kept in history. Returns the cancelled line.
    pub fn cancel_item(&mut self, item_id: u64, by: u64, now: Timestamp) -> Result<OrderItem> {
        self.ensure_live()?;
        let item = self.item_mut(item_id)?;
        match item.status {
            ItemStatus::Active => {}
            ItemStatus::Paid => {
                return Err(Error::conflict(
                    "item_paid",
                    format!("item {item_id} is already paid"),
                ));
            }
            ItemStatus::Cancelled => {
                return Err(Error::conflict(
                    "item_cancelled",
                    format!("item {item_id} is already cancelled"),
                ));
            }
        }
        item.status = ItemStatus::Cancelled;
        item.cancelled_at = Some(now);
        item.cancelled_by = Some(by);
        let out = item.clone();
        self.recompute_status();
        Ok(out)
    }

    /// Manager cancel of the whole order. Refused once money was taken (refund first).
    pub fn cancel(&mut self, by: u64, now: Timestamp) -> Result<Vec<OrderItem>> {
        self.ensure_live()?;
        if !self.payments.is_empty() {
            return Err(Error::conflict(
                "order_has_payments",
                "this order has payments; cancel its unpaid items instead",
            ));
        }
        let mut cancelled = Vec::new();
        for item in self
            .items
            .iter_mut()
            .filter(|i| i.status == ItemStatus::Active)
        {
            item.status = ItemStatus::Cancelled;
            item.cancelled_at = Some(now);
            item.cancelled_by = Some(by);
            cancelled.push(item.clone());
        }
        self.status = OrderStatus::Cancelled;
        self.closed_at = Some(now);
        self.closed_by = Some(by);
        Ok(cancelled)
    }

    /// Record a payment for some lines. Every line must be unpaid and in this order.
    pub fn pay(
        &mut self,
        payment_id: u64,
        item_ids: &[u64],
        method: PayMethod,
        tip: Cents,
        by: u64,
        now: Timestamp,
    ) -> Result<&Payment> {
        self.ensure_live()?;
        if item_ids.is_empty() {
            return Err(Error::invalid(
                "empty_payment",
                "choose at least one item to pay",
            ));
        }
        money::amount("tip", tip)?;
        let mut amount = 0;
        for (n, id) in item_ids.iter().enumerate() {
            if item_ids[..n].contains(id) {
                return Err(Error::invalid(
                    "duplicate_id",
                    format!("item {id} is listed twice"),
                ));
            }
            let item =
                self.items.iter().find(|i| i.id == *id).ok_or_else(|| {
                    Error::not_found("item", format!("{id} in order {}", self.id))
                })?;
            match item.status {
                ItemStatus::Active => amount += item.line_total(),
                ItemStatus::Paid => {
                    return Err(Error::conflict(
                        "already_paid",
                        format!("item {id} is already paid"),
                    )
                    .with("item_id", *id as i64));
                }
                ItemStatus::Cancelled => {
                    return Err(Error::conflict(
                        "item_cancelled",
                        format!("item {id} was cancelled"),
                    ));
                }
            }
        }
        for item in self.items.iter_mut().filter(|i| item_ids.contains(&i.id)) {
            item.status = ItemStatus::Paid;
        }
        self.payments.push(Payment {
            id: payment_id,
            amount,
            method,
            tip,
            item_ids: item_ids.to_vec(),
            by,
            at: now,
        });
        self.recompute_status();
        Ok(self.payments.last().expect("a payment was just pushed"))
    }

    /// Close: only when nothing is due.
    pub fn close(&mut self, by: u64, now: Timestamp) -> Result<()> {
        self.ensure_live()?;
        let due = self.due();
        if due > 0 {
            return Err(Error::conflict(
                "payment_due",
                format!(
                    "{} is still due; pay or cancel the remaining items first",
                    money::format(due)
                ),
            )
            .with("due", due));
        }
        self.status = OrderStatus::Closed;
        self.closed_at = Some(now);
        self.closed_by = Some(by);
        Ok(())
    }

    pub fn assign_waiter(&mut self, waiter_id: u64) -> Result<()> {
        self.ensure_live()?;
        if !self.waiters.contains(&waiter_id) {
            self.waiters.push(waiter_id);
        }
        Ok(())
    }

    pub fn remove_waiter(&mut self, waiter_id: u64) -> Result<()> {
        self.ensure_live()?;
        if !self.waiters.contains(&waiter_id) {
            return Err(Error::not_found(
                "waiter",
                format!("{waiter_id} on order {}", self.id),
            ));
        }
        if self.waiters.len() == 1 {
            return Err(Error::conflict(
                "last_waiter",
                "an order needs at least one waiter; assign another one first",
            ));
        }
        self.waiters.retain(|w| *w != waiter_id);
        Ok(())
    }
}

/// Next display number: 1..=99 cycling, restarting at 1 on a new business day.
pub fn next_number(last: Option<(u32, u8)>, today: u32) -> u8 {
    match last {
        Some((day, n)) if day == today => n % 99 + 1,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(price: Cents) -> NewLine {
        NewLine {
            product_id: 1,
            name: "Coffee".into(),
            quantity: 2,
            priced: PricedLine {
                unit_price: price,
                options: vec![],
                removed: vec![],
                preferences: vec![],
            },
            notes: None,
            printer_zone_id: None,
        }
    }

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + s).unwrap()
    }

    #[test]
    fn partial_then_full_payment_then_close() {
        let mut o = Order::open(1, 1, 20261121, 5, 7, t(0));
        let ids = o
            .add_items(vec![line(250), line(400)], 100, 7, t(1))
            .unwrap();
        assert_eq!(o.total(), 1300);
        assert_eq!(o.close(7, t(2)).unwrap_err().code, "payment_due");
        o.pay(1, &[ids[0]], PayMethod::Cash, 50, 7, t(3)).unwrap();
        assert_eq!(o.status, OrderStatus::PartiallyPaid);
        assert_eq!(o.paid_total(), 500);
        assert_eq!(o.due(), 800);
        let again = o
            .pay(2, &[ids[0]], PayMethod::Card, 0, 7, t(4))
            .unwrap_err();
        assert_eq!(
            (again.kind, again.code),
            (crate::error::Kind::Conflict, "already_paid")
        );
        o.pay(3, &[ids[1]], PayMethod::Card, 0, 7, t(5)).unwrap();
        assert_eq!(o.status, OrderStatus::Paid);
        o.close(7, t(6)).unwrap();
        assert_eq!(o.status, OrderStatus::Closed);
        assert_eq!(
            o.add_items(vec![line(1)], 200, 7, t(7)).unwrap_err().code,
            "order_finished"
        );
    }

    #[test]
    fn cancelled_items_do_not_count_and_cannot_be_paid() {
        let mut o = Order::open(1, 1, 20261121, 5, 7, t(0));
        let ids = o
            .add_items(vec![line(250), line(400)], 100, 7, t(1))
            .unwrap();
        o.cancel_item(ids[1], 1, t(2)).unwrap();
        assert_eq!(o.total(), 500);
        assert_eq!(
            o.pay(2, &[ids[1]], PayMethod::Cash, 0, 7, t(3))
                .unwrap_err()
                .code,
            "item_cancelled"
        );
        o.pay(2, &[ids[0]], PayMethod::Cash, 0, 7, t(3)).unwrap();
        assert_eq!(o.status, OrderStatus::Paid);
        assert_eq!(o.cancel(1, t(4)).unwrap_err().code, "order_has_payments");
    }

    #[test]
    fn waiters_keep_at_least_one() {
        let mut o = Order::open(1, 1, 20261121, 5, 7, t(0));
        assert_eq!(o.remove_waiter(7).unwrap_err().code, "last_waiter");
        o.assign_waiter(8).unwrap();
        o.remove_waiter(7).unwrap();
        assert_eq!(o.waiters, vec![8]);
    }

    #[test]
    fn numbers_cycle_and_restart_daily() {
        assert_eq!(next_number(None, 20261121), 1);
        assert_eq!(next_number(Some((20261121, 5)), 20261121), 6);
        assert_eq!(next_number(Some((20261121, 99)), 20261121), 1);
        assert_eq!(next_number(Some((20261120, 42)), 20261121), 1);
    }
}
