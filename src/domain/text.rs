//! Validation of the free text people type: names, labels, notes.

use crate::error::{Error, Result};

/// Trim a required name and check its length (in characters, so Greek counts right).
pub fn name(field: &'static str, value: &str, max: usize) -> Result<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Error::invalid(
            "empty_field",
            format!("{field} must not be empty"),
        ));
    }
    check_len(field, v, max)?;
    if v.chars().any(char::is_control) {
        return Err(Error::invalid(
            "bad_characters",
            format!("{field} must not contain control characters"),
        ));
    }
    Ok(v.to_string())
}

/// An optional text: blank becomes `None`.
pub fn optional(field: &'static str, value: Option<&str>, max: usize) -> Result<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => {
            check_len(field, v, max)?;
            if v.chars().any(|c| c.is_control() && c != '\n') {
                return Err(Error::invalid(
                    "bad_characters",
                    format!("{field} must not contain control characters"),
                ));
            }
            Ok(Some(v.to_string()))
        }
    }
}

fn check_len(field: &'static str, v: &str, max: usize) -> Result<()> {
    let n = v.chars().count();
    if n > max {
        return Err(Error::invalid(
            "too_long",
            format!("{field} is {n} characters long; at most {max} are allowed"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(name("name", "  Σαλάτα ", 6).unwrap(), "Σαλάτα");
        assert_eq!(name("name", "   ", 10).unwrap_err().code, "empty_field");
        assert_eq!(name("name", "abcdefg", 6).unwrap_err().code, "too_long");
        assert_eq!(
            name("name", "a\u{0}b", 6).unwrap_err().code,
            "bad_characters"
        );
        assert_eq!(optional("notes", Some("  "), 5).unwrap(), None);
        assert_eq!(optional("notes", None, 5).unwrap(), None);
    }
}
