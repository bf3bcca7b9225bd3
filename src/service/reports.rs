//! Report use cases: the shift report for one business day and the names it needs. Reads
//! only that day's slice of the orders-by-day index.

use jiff::civil::Date;

use super::Actor;
use crate::app::App;
use crate::domain::orders::Order;
use crate::domain::reports::{ShiftReport, day_key, shift_report};
use crate::domain::staff::User;
use crate::error::Result;
use crate::store::Reader;
use crate::store::tables::{ORDERS, USERS};

pub struct Shift {
    pub day: Date,
    pub report: ShiftReport,
    pub names: Vec<(u64, String)>,
}

pub async fn shift(
    app: &App,
    actor: &Actor,
    day: Option<Date>,
    waiter_id: Option<u64>,
) -> Result<Shift> {
    actor.require_manager()?;
    let rule = app.day_rule();
    let day = day.unwrap_or_else(|| rule.day_of(app.now()));
    let key = day_key(day);
    app.store
        .read(move |r| {
            let mut orders = Vec::new();
            for id in r.order_ids_by_day(key, key)? {
                if let Some(o) = r.get::<Order>(ORDERS, id)? {
                    orders.push(o);
                }
            }
            let report = shift_report(&orders, &rule, waiter_id);
            let mut names = Vec::new();
            for w in &report.waiters {
                let n = r
                    .get::<User>(USERS, w.waiter_id)?
                    .map(|u| u.display_name)
                    .unwrap_or_else(|| format!("#{}", w.waiter_id));
                names.push((w.waiter_id, n));
            }
            Ok(Shift { day, report, names })
        })
        .await
}
