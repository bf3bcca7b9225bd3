//! The menu: categories and products with options (extra cost), removable ingredients and
//! preference sets (exclusive choices with a price delta), and how a chosen line is priced.

use crate::domain::money::Cents;
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub struct Category {
    pub id: u64,
    pub name: String,
    pub color: Option<String>,
    pub sort_order: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProductOption {
    pub id: u64,
    pub name: String,
    pub extra_cost: Cents,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ingredient {
    pub id: u64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub id: u64,
    pub name: String,
    pub price_delta: Cents,
}

/// A group of exclusive choices ("Cooking": rare / medium / well done).
#[derive(Debug, Clone, PartialEq)]
pub struct PreferenceSet {
    pub id: u64,
    pub name: String,
    /// When true the waiter must pick one choice.
    pub required: bool,
    pub choices: Vec<Choice>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub id: u64,
    pub name: String,
    pub description: Option<String>,
    pub category_id: Option<u64>,
    pub base_price: Cents,
    /// Sold out today (86'd): hidden from waiters, refused when ordered.
    pub available: bool,
    /// Deactivated by a manager ("DELETE"): kept for history, never offered.
    pub active: bool,
    /// The printer (zone) that gets this product's tickets; none = not printed.
    pub printer_zone_id: Option<u64>,
    pub sort_order: i32,
    pub options: Vec<ProductOption>,
    pub ingredients: Vec<Ingredient>,
    pub preference_sets: Vec<PreferenceSet>,
    /// Stored image file name in the data folder and its content type.
    pub image: Option<ProductImage>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProductImage {
    pub file: String,
    pub content_type: String,
    pub version: u32,
}

/// What the waiter picked for one line, by id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    pub option_ids: Vec<u64>,
    pub removed_ingredient_ids: Vec<u64>,
    /// (preference set id, choice id)
    pub preferences: Vec<(u64, u64)>,
}

/// A priced, validated line: names snapshotted so later menu edits don't rewrite history.
#[derive(Debug, Clone, PartialEq)]
pub struct PricedLine {
    pub unit_price: Cents,
    pub options: Vec<ProductOption>,
    pub removed: Vec<Ingredient>,
    /// (set, choice) snapshots.
    pub preferences: Vec<(PreferenceSet, Choice)>,
}

impl Product {
    /// Validate a selection against this product and price it:
    /// base price + chosen options + preference deltas. Never negative.
    pub fn price(&self, sel: &Selection) -> Result<PricedLine> {
        if !self.active || !self.available {
            return Err(Error::conflict(
                "product_unavailable",
                format!("{} is not available right now", self.name),
            ));
        }
        let mut unit = self.base_price;
        let mut options = Vec::new();
        for id in dedup(&sel.option_ids)? {
            let o = self.options.iter().find(|o| o.id == id).ok_or_else(|| {
                Error::invalid(
                    "bad_option",
                    format!("option {id} does not belong to {}", self.name),
                )
            })?;
            unit += o.extra_cost;
            options.push(o.clone());
        }
        let mut removed = Vec::new();
        for id in dedup(&sel.removed_ingredient_ids)? {
            let i = self
                .ingredients
                .iter()
                .find(|i| i.id == id)
                .ok_or_else(|| {
                    Error::invalid(
                        "bad_ingredient",
                        format!("ingredient {id} does not belong to {}", self.name),
                    )
                })?;
            removed.push(i.clone());
        }
        let mut prefs = Vec::new();
        for (set_id, choice_id) in &sel.preferences {
            let set = self
                .preference_sets
                .iter()
                .find(|s| s.id == *set_id)
                .ok_or_else(|| {
                    Error::invalid(
                        "bad_preference",
                        format!("preference set {set_id} does not belong to {}", self.name),
                    )
                })?;
            if prefs
                .iter()
                .any(|(s, _): &(PreferenceSet, Choice)| s.id == set.id)
            {
                return Err(Error::invalid(
                    "bad_preference",
                    format!("only one choice may be made for {}", set.name),
                ));
            }
            let c = set
                .choices
                .iter()
                .find(|c| c.id == *choice_id)
                .ok_or_else(|| {
                    Error::invalid(
                        "bad_preference",
                        format!("choice {choice_id} is not one of {}", set.name),
                    )
                })?;
            unit += c.price_delta;
            let mut set_snapshot = set.clone();
            set_snapshot.choices.clear();
            prefs.push((set_snapshot, c.clone()));
        }
        for set in self.preference_sets.iter().filter(|s| s.required) {
            if !prefs.iter().any(|(s, _)| s.id == set.id) {
                return Err(Error::invalid(
                    "preference_required",
                    format!("{} needs a choice for {}", self.name, set.name),
                ));
            }
        }
        Ok(PricedLine {
            unit_price: unit.max(0),
            options,
            removed,
            preferences: prefs,
        })
    }
}

fn dedup(ids: &[u64]) -> Result<Vec<u64>> {
    let mut out: Vec<u64> = Vec::with_capacity(ids.len());
    for id in ids {
        if out.contains(id) {
            return Err(Error::invalid(
                "duplicate_id",
                format!("id {id} is listed twice"),
            ));
        }
        out.push(*id);
    }
    Ok(out)
}

/// "#RRGGBB" colours for categories.
pub fn color(c: Option<&str>) -> Result<Option<String>> {
    match c.map(str::trim) {
        None | Some("") => Ok(None),
        Some(c)
            if c.len() == 7
                && c.starts_with('#')
                && c[1..].bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            Ok(Some(c.to_ascii_lowercase()))
        }
        Some(c) => Err(Error::invalid(
            "bad_color",
            format!("color must look like #a1b2c3, not {c:?}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn burger() -> Product {
        Product {
            id: 1,
            name: "Burger".into(),
            description: None,
            category_id: None,
            base_price: 900,
            available: true,
            active: true,
            printer_zone_id: None,
            sort_order: 0,
            options: vec![ProductOption {
                id: 10,
                name: "Cheese".into(),
                extra_cost: 150,
            }],
            ingredients: vec![Ingredient {
                id: 20,
                name: "Onions".into(),
            }],
            preference_sets: vec![PreferenceSet {
                id: 30,
                name: "Cooking".into(),
                required: true,
                choices: vec![
                    Choice {
                        id: 31,
                        name: "Rare".into(),
                        price_delta: 0,
                    },
                    Choice {
                        id: 32,
                        name: "Double".into(),
                        price_delta: 300,
                    },
                ],
            }],
            image: None,
        }
    }

    #[test]
    fn price_is_base_plus_options_plus_deltas() {
        let sel = Selection {
            option_ids: vec![10],
            removed_ingredient_ids: vec![20],
            preferences: vec![(30, 32)],
        };
        let line = burger().price(&sel).unwrap();
        assert_eq!(line.unit_price, 900 + 150 + 300);
        assert_eq!(line.removed[0].name, "Onions");
    }

    #[test]
    fn foreign_ids_and_double_choices_are_refused() {
        let p = burger();
        let bad = |sel: Selection| p.price(&sel).unwrap_err().code;
        assert_eq!(
            bad(Selection {
                option_ids: vec![99],
                preferences: vec![(30, 31)],
                ..Default::default()
            }),
            "bad_option"
        );
        assert_eq!(
            bad(Selection {
                removed_ingredient_ids: vec![10],
                preferences: vec![(30, 31)],
                ..Default::default()
            }),
            "bad_ingredient"
        );
        assert_eq!(
            bad(Selection {
                preferences: vec![(30, 31), (30, 32)],
                ..Default::default()
            }),
            "bad_preference"
        );
        assert_eq!(bad(Selection::default()), "preference_required");
        assert_eq!(
            bad(Selection {
                option_ids: vec![10, 10],
                preferences: vec![(30, 31)],
                ..Default::default()
            }),
            "duplicate_id"
        );
    }

    #[test]
    fn unavailable_products_conflict() {
        let mut p = burger();
        p.available = false;
        assert_eq!(
            p.price(&Selection::default()).unwrap_err().code,
            "product_unavailable"
        );
    }
}
