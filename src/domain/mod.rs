//! Pure business rules: staff, floor, menu, orders, payments, reports.
//!
//! Nothing here does IO, reads a clock or knows about redb or HTTP. Functions take the
//! current state and the time as arguments and either change the state or return an
//! [`crate::error::Error`] that says why not.

pub mod floor;
pub mod menu;
pub mod money;
pub mod orders;
pub mod printers;
pub mod reports;
pub mod staff;
pub mod text;
