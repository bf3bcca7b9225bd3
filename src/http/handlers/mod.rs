//! Request handlers, one module per API area. Each is short: parse, call `service`, render.

pub mod auth;
pub mod events;
pub mod license;
pub mod orders;
pub mod products;
pub mod reports;
pub mod system;
pub mod tables;
pub mod waiters;

use super::router::Route;

/// Every route posd serves.
pub fn routes() -> Vec<Route> {
    let mut v = Vec::new();
    v.extend(auth::routes());
    v.extend(waiters::routes());
    v.extend(tables::routes());
    v.extend(products::routes());
    v.extend(orders::routes());
    v.extend(reports::routes());
    v.extend(events::routes());
    v.extend(system::routes());
    v.extend(license::routes());
    v
}
