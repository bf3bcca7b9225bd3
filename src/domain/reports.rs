//! Business days and the shift report, computed from orders (pure).
//!
//! A business day is a civil date in the restaurant's time zone; a night that runs past
//! midnight belongs to the day it started until the configured cut-off hour.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use crate::domain::money::Cents;
use crate::domain::orders::{ItemStatus, Order, OrderStatus, PayMethod};
use crate::error::{Error, Result};

/// How business days are cut.
#[derive(Debug, Clone)]
pub struct DayRule {
    pub tz: TimeZone,
    /// Hour (0..=23) at which a new business day begins; 4 means 03:59 still counts as yesterday.
    pub cutoff_hour: i8,
}

impl DayRule {
    pub fn day_of(&self, ts: Timestamp) -> Date {
        let local = ts.to_zoned(self.tz.clone());
        let d = local.date();
        if local.hour() < self.cutoff_hour {
            d.yesterday().unwrap_or(d)
        } else {
            d
        }
    }

    /// [start, end) of a business day in UTC.
    pub fn bounds(&self, day: Date) -> Result<(Timestamp, Timestamp)> {
        let start = day
            .at(self.cutoff_hour, 0, 0, 0)
            .to_zoned(self.tz.clone())
            .map_err(|e| Error::invalid("bad_date", e.to_string()))?;
        let end = start
            .checked_add(1.day())
            .map_err(|e| Error::invalid("bad_date", e.to_string()))?;
        Ok((start.timestamp(), end.timestamp()))
    }
}

/// yyyymmdd as a number: the key of the orders-by-day index.
pub fn day_key(d: Date) -> u32 {
    (d.year() as u32) * 10_000 + (d.month() as u32) * 100 + d.day() as u32
}

pub fn key_to_date(k: u32) -> Option<Date> {
    Date::new(
        (k / 10_000) as i16,
        ((k / 100) % 100) as i8,
        (k % 100) as i8,
    )
    .ok()
}

pub fn parse_date(field: &'static str, s: &str) -> Result<Date> {
    s.parse::<Date>().map_err(|_| {
        Error::bad_request(
            "bad_date",
            format!("{field} must be a date like 2026-11-21, not {s:?}"),
        )
    })
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MethodTotals {
    pub cash: Cents,
    pub card: Cents,
}

impl MethodTotals {
    fn add(&mut self, m: PayMethod, v: Cents) {
        match m {
            PayMethod::Cash => self.cash += v,
            PayMethod::Card => self.card += v,
        }
    }
    pub fn total(&self) -> Cents {
        self.cash + self.card
    }
}

/// One waiter's shift: what they opened and sold, and the money they collected (cash-up).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WaiterShift {
    pub waiter_id: u64,
    pub orders_opened: u32,
    pub orders_closed: u32,
    pub orders_cancelled: u32,
    pub items_sold: u32,
    /// Value of the non-cancelled lines of the orders this waiter opened.
    pub sales: Cents,
    /// Payments this waiter took, by method.
    pub collected: MethodTotals,
    pub tips: MethodTotals,
    pub cancelled_items: u32,
    pub cancelled_value: Cents,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShiftReport {
    pub waiters: Vec<WaiterShift>,
    pub totals: WaiterShift,
    /// Sales per local hour of the day the line was added (0..=23).
    pub sales_by_hour: [Cents; 24],
    /// Sales per product id.
    pub sales_by_product: BTreeMap<u64, (u32, Cents)>,
    pub open_orders: u32,
}

/// Build the shift report from one business day's orders; `only_waiter` narrows it.
pub fn shift_report(orders: &[Order], rule: &DayRule, only_waiter: Option<u64>) -> ShiftReport {
    let mut per: BTreeMap<u64, WaiterShift> = BTreeMap::new();
    let mut rep = ShiftReport::default();
    for o in orders {
        if o.status.is_live() {
            rep.open_orders += 1;
        }
        if only_waiter.is_none_or(|w| w == o.opened_by) {
            let w = per.entry(o.opened_by).or_insert_with(|| WaiterShift {
                waiter_id: o.opened_by,
                ..Default::default()
            });
            w.orders_opened += 1;
            match o.status {
                OrderStatus::Closed => w.orders_closed += 1,
                OrderStatus::Cancelled => w.orders_cancelled += 1,
                _ => {}
            }
            for i in &o.items {
                if i.status == ItemStatus::Cancelled {
                    w.cancelled_items += i.quantity;
                    w.cancelled_value += i.line_total();
                    continue;
                }
                w.items_sold += i.quantity;
                w.sales += i.line_total();
                let hour = i.added_at.to_zoned(rule.tz.clone()).hour() as usize;
                rep.sales_by_hour[hour.min(23)] += i.line_total();
                let p = rep.sales_by_product.entry(i.product_id).or_default();
                p.0 += i.quantity;
                p.1 += i.line_total();
            }
        }
        for p in &o.payments {
            if only_waiter.is_none_or(|w| w == p.by) {
                let w = per.entry(p.by).or_insert_with(|| WaiterShift {
                    waiter_id: p.by,
                    ..Default::default()
                });
                w.collected.add(p.method, p.amount);
                w.tips.add(p.method, p.tip);
            }
        }
    }
    for w in per.values() {
        let t = &mut rep.totals;
        t.orders_opened += w.orders_opened;
        t.orders_closed += w.orders_closed;
        t.orders_cancelled += w.orders_cancelled;
        t.items_sold += w.items_sold;
        t.sales += w.sales;
        t.collected.cash += w.collected.cash;
        t.collected.card += w.collected.card;
        t.tips.cash += w.tips.cash;
        t.tips.card += w.tips.card;
        t.cancelled_items += w.cancelled_items;
        t.cancelled_value += w.cancelled_value;
    }
    rep.waiters = per.into_values().collect();
    rep
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::menu::PricedLine;
    use crate::domain::orders::NewLine;

    fn athens() -> DayRule {
        DayRule {
            tz: TimeZone::get("Europe/Athens").unwrap(),
            cutoff_hour: 4,
        }
    }

    #[test]
    fn a_night_past_midnight_belongs_to_the_day_it_started() {
        let r = athens();
        // 2026-11-21 23:30 Athens (UTC+2) and 2026-11-22 01:59 Athens
        let late: Timestamp = "2026-11-21T21:30:00Z".parse().unwrap();
        let after_midnight: Timestamp = "2026-11-21T23:59:00Z".parse().unwrap();
        let morning: Timestamp = "2026-11-22T02:00:00Z".parse().unwrap(); // 04:00 local
        assert_eq!(r.day_of(late), Date::constant(2026, 11, 21));
        assert_eq!(r.day_of(after_midnight), Date::constant(2026, 11, 21));
        assert_eq!(r.day_of(morning), Date::constant(2026, 11, 22));
        let (s, e) = r.bounds(Date::constant(2026, 11, 21)).unwrap();
        assert_eq!(s.to_string(), "2026-11-21T02:00:00Z");
        assert_eq!(e.to_string(), "2026-11-22T02:00:00Z");
        assert_eq!(day_key(Date::constant(2026, 1, 5)), 20260105);
        assert_eq!(key_to_date(20260105), Some(Date::constant(2026, 1, 5)));
    }

    #[test]
    fn shift_report_splits_sales_and_collections() {
        let t: Timestamp = "2026-11-21T18:00:00Z".parse().unwrap();
        let mut o = Order::open(1, 1, 20261121, 3, 7, t);
        let line = |p| NewLine {
            product_id: 9,
            name: "X".into(),
            quantity: 1,
            priced: PricedLine {
                unit_price: p,
                options: vec![],
                removed: vec![],
                preferences: vec![],
            },
            notes: None,
            printer_zone_id: None,
        };
        let ids = o
            .add_items(vec![line(1000), line(500), line(200)], 10, 7, t)
            .unwrap();
        o.cancel_item(ids[2], 1, t).unwrap();
        o.pay(1, &[ids[0]], PayMethod::Cash, 100, 7, t).unwrap();
        o.pay(2, &[ids[1]], PayMethod::Card, 50, 8, t).unwrap();
        let r = shift_report(&[o], &athens(), None);
        assert_eq!(r.totals.sales, 1500);
        assert_eq!(
            r.totals.collected,
            MethodTotals {
                cash: 1000,
                card: 500
            }
        );
        assert_eq!(r.totals.tips.total(), 150);
        assert_eq!(r.totals.cancelled_value, 200);
        let w7 = r.waiters.iter().find(|w| w.waiter_id == 7).unwrap();
        assert_eq!((w7.items_sold, w7.collected.cash), (2, 1000));
        let w8 = r.waiters.iter().find(|w| w.waiter_id == 8).unwrap();
        assert_eq!(w8.collected.card, 500);
        assert_eq!(r.sales_by_hour[20], 1500); // 18:00Z = 20:00 Athens
    }
}
