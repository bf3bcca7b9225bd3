//! Money: integer minor units (cents) and the few rules about adding them up.

use crate::error::{Error, Result};

/// Cents. Signed so refunds and deltas can be expressed; prices themselves are never negative.
pub type Cents = i64;

/// The largest single price or tip accepted: 100 000.00. Anything above is a typo.
pub const MAX_AMOUNT: Cents = 10_000_000;

/// Check a price, cost or tip typed by a person.
pub fn amount(field: &'static str, v: Cents) -> Result<Cents> {
    if v < 0 {
        return Err(Error::invalid(
            "negative_amount",
            format!("{field} must not be negative"),
        ));
    }
    if v > MAX_AMOUNT {
        return Err(Error::invalid(
            "amount_too_large",
            format!(
                "{field} {} is larger than the maximum {}",
                format(v),
                format(MAX_AMOUNT)
            ),
        ));
    }
    Ok(v)
}

/// A price delta (may be negative, for example "small portion −1.00"), bounded both ways.
pub fn delta(field: &'static str, v: Cents) -> Result<Cents> {
    if v.abs() > MAX_AMOUNT {
        return Err(Error::invalid(
            "amount_too_large",
            format!("{field} is out of range"),
        ));
    }
    Ok(v)
}

/// "12.50" (no currency symbol; the UI and tickets add it).
pub fn format(c: Cents) -> String {
    let sign = if c < 0 { "-" } else { "" };
    let a = c.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_cents() {
        assert_eq!(format(1250), "12.50");
        assert_eq!(format(5), "0.05");
        assert_eq!(format(-105), "-1.05");
        assert_eq!(format(0), "0.00");
    }

    #[test]
    fn rejects_absurd_amounts() {
        assert!(amount("price", -1).is_err());
        assert!(amount("price", MAX_AMOUNT + 1).is_err());
        assert_eq!(amount("price", 0).unwrap(), 0);
        assert!(delta("delta", -50).is_ok());
    }
}
