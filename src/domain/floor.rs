//! The floor: table groups (rooms, terrace), tables, their positions and live status.

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub struct TableGroup {
    pub id: u64,
    pub name: String,
    pub sort_order: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub id: u64,
    /// The number people say and print; unique.
    pub number: u32,
    pub label: Option<String>,
    pub group_id: Option<u64>,
    pub active: bool,
    /// Floor-plan position in percent of the plan's width and height (0..=100).
    pub floor_x: Option<f64>,
    pub floor_y: Option<f64>,
    pub seats: Option<u32>,
}

pub const MAX_TABLE_NUMBER: u32 = 9999;
/// At most this many tables in one batch create.
pub const MAX_BATCH: u32 = 200;

pub fn table_number(n: i64) -> Result<u32> {
    if !(1..=MAX_TABLE_NUMBER as i64).contains(&n) {
        return Err(Error::invalid(
            "bad_table_number",
            format!("table number must be between 1 and {MAX_TABLE_NUMBER}"),
        ));
    }
    Ok(n as u32)
}

pub fn position(field: &'static str, v: Option<f64>) -> Result<Option<f64>> {
    match v {
        Some(x) if !(0.0..=100.0).contains(&x) || x.is_nan() => Err(Error::invalid(
            "bad_position",
            format!("{field} must be between 0 and 100 (percent of the floor plan)"),
        )),
        other => Ok(other),
    }
}

/// What a table looks like right now, for the waiter's grid and the manager's floor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableStatus {
    Free,
    /// An order is open and nothing has been paid.
    Occupied,
    /// Some items are paid, some are not.
    PartiallyPaid,
    /// Everything is paid; waiting to be closed.
    Paid,
    Inactive,
}

impl TableStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TableStatus::Free => "free",
            TableStatus::Occupied => "occupied",
            TableStatus::PartiallyPaid => "partially_paid",
            TableStatus::Paid => "paid",
            TableStatus::Inactive => "inactive",
        }
    }
}

/// Table numbers for a batch: `start`, `start+1`, ... `count` of them.
pub fn batch_numbers(start: i64, count: i64) -> Result<Vec<u32>> {
    if !(1..=MAX_BATCH as i64).contains(&count) {
        return Err(Error::invalid(
            "bad_count",
            format!("count must be between 1 and {MAX_BATCH}"),
        ));
    }
    let first = table_number(start)?;
    let last = table_number(start + count - 1)?;
    Ok((first..=last).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_numbers_are_bounded() {
        assert_eq!(batch_numbers(5, 3).unwrap(), vec![5, 6, 7]);
        assert!(batch_numbers(1, 0).is_err());
        assert!(batch_numbers(9999, 2).is_err());
        assert!(position("floor_x", Some(101.0)).is_err());
        assert!(position("floor_x", Some(f64::NAN)).is_err());
    }
}
