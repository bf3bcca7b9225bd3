//! The demo restaurant: staff, a floor of 30 tables in two rooms, a Greek-and-English menu
//! with options, removable ingredients and preference sets, and a kitchen and a bar printer.
//! Seeded once into an empty store by `serve --demo` or `posd demo`; marked as demo data.

use jiff::Timestamp;

use crate::auth::PinHasher;
use crate::clock::{Random, random_bytes};
use crate::domain::floor::{Table, TableGroup};
use crate::domain::menu::{Category, Choice, Ingredient, PreferenceSet, Product, ProductOption};
use crate::domain::printers::Printer;
use crate::domain::staff::{Role, User};
use crate::error::Result;
use crate::store::tables::*;
use crate::store::{Reader, Store, Writer};

pub const DEMO_PIN: &str = "1234";
pub const DEMO_KEY: &str = "demo";

/// Is this store demo data?
pub fn is_demo<R: Reader>(r: &R) -> Result<bool> {
    Ok(r.meta(DEMO_KEY)?.is_some())
}

type Item<'a> = (
    &'a str,
    i64,
    &'a [(&'a str, i64)],
    &'a [&'a str],
    Option<(&'a str, &'a [(&'a str, i64)])>,
);

const KITCHEN: u64 = 1;
const BAR: u64 = 2;

fn menu() -> Vec<(&'static str, &'static str, u64, Vec<Item<'static>>)> {
    let cooking: &[(&str, i64)] = &[("Rare", 0), ("Medium", 0), ("Well done", 0)];
    let size: &[(&str, i64)] = &[("Small", -100), ("Regular", 0), ("Large", 150)];
    let sugar: &[(&str, i64)] = &[
        ("Σκέτος / no sugar", 0),
        ("Μέτριος / medium", 0),
        ("Γλυκός / sweet", 0),
    ];
    vec![
        (
            "Ορεκτικά / Starters",
            "#e67e22",
            KITCHEN,
            vec![
                (
                    "Τζατζίκι",
                    450,
                    &[("Extra pita", 100)][..],
                    &["Garlic", "Cucumber"][..],
                    None,
                ),
                (
                    "Χωριάτικη σαλάτα",
                    850,
                    &[("Extra feta", 200)][..],
                    &["Onions", "Olives", "Peppers"][..],
                    None,
                ),
                (
                    "Φέτα ψητή",
                    650,
                    &[("Honey", 50), ("Sesame", 30)][..],
                    &[][..],
                    None,
                ),
                ("Καλαμάρια", 950, &[("Lemon mayo", 100)][..], &[][..], None),
                (
                    "Hummus",
                    500,
                    &[("Extra pita", 100)][..],
                    &["Paprika"][..],
                    None,
                ),
                ("Spanakopita", 600, &[][..], &[][..], None),
                (
                    "Bruschetta",
                    550,
                    &[("Mozzarella", 150)][..],
                    &["Basil", "Garlic"][..],
                    None,
                ),
                ("Soup of the day", 600, &[("Bread", 50)][..], &[][..], None),
                ("Μελιτζανοσαλάτα", 500, &[][..], &["Garlic"][..], None),
                ("Dolmades", 650, &[("Yoghurt", 80)][..], &[][..], None),
            ],
        ),
        (
            "Κυρίως / Mains",
            "#c0392b",
            KITCHEN,
            vec![
                ("Μουσακάς", 1250, &[("Side salad", 300)][..], &[][..], None),
                (
                    "Souvlaki pork",
                    1100,
                    &[("Extra tzatziki", 150), ("Fries", 250)][..],
                    &["Onions", "Tomato"][..],
                    None,
                ),
                (
                    "Burger",
                    1200,
                    &[("Cheddar", 150), ("Bacon", 200), ("Fried egg", 120)][..],
                    &["Onions", "Pickles", "Tomato", "Lettuce"][..],
                    Some(("Cooking", cooking)),
                ),
                (
                    "Ribeye steak",
                    2600,
                    &[("Pepper sauce", 250), ("Grilled vegetables", 350)][..],
                    &[][..],
                    Some(("Cooking", cooking)),
                ),
                (
                    "Grilled sea bream",
                    1900,
                    &[("Lemon potatoes", 300)][..],
                    &[][..],
                    None,
                ),
                ("Pastitsio", 1150, &[][..], &[][..], None),
                (
                    "Chicken gyros plate",
                    1150,
                    &[("Fries", 250)][..],
                    &["Onions", "Tomato"][..],
                    None,
                ),
                (
                    "Vegetable risotto",
                    1300,
                    &[("Parmesan", 150)][..],
                    &["Mushrooms"][..],
                    None,
                ),
                (
                    "Spaghetti bolognese",
                    1100,
                    &[("Parmesan", 150)][..],
                    &[][..],
                    None,
                ),
                ("Γεμιστά", 1050, &[("Feta", 200)][..], &[][..], None),
                ("Lamb kleftiko", 1800, &[][..], &["Garlic"][..], None),
                (
                    "Club sandwich",
                    950,
                    &[("Fries", 250)][..],
                    &["Mayonnaise", "Bacon", "Tomato"][..],
                    None,
                ),
            ],
        ),
        (
            "Γλυκά / Desserts",
            "#8e44ad",
            KITCHEN,
            vec![
                (
                    "Baklava",
                    550,
                    &[("Ice cream", 200)][..],
                    &["Walnuts"][..],
                    None,
                ),
                ("Γαλακτομπούρεκο", 600, &[][..], &[][..], None),
                (
                    "Cheesecake",
                    650,
                    &[("Berry sauce", 100)][..],
                    &[][..],
                    None,
                ),
                (
                    "Chocolate cake",
                    650,
                    &[("Ice cream", 200)][..],
                    &[][..],
                    None,
                ),
                (
                    "Yoghurt with honey",
                    500,
                    &[("Walnuts", 100)][..],
                    &[][..],
                    None,
                ),
                (
                    "Ice cream (2 scoops)",
                    450,
                    &[("Chocolate sauce", 80)][..],
                    &[][..],
                    None,
                ),
            ],
        ),
        (
            "Ποτά / Drinks",
            "#2980b9",
            BAR,
            vec![
                (
                    "Freddo espresso",
                    350,
                    &[("Extra shot", 80), ("Oat milk", 50)][..],
                    &["Ice"][..],
                    Some(("Sugar", sugar)),
                ),
                (
                    "Ελληνικός καφές",
                    250,
                    &[("Double", 100)][..],
                    &[][..],
                    Some(("Sugar", sugar)),
                ),
                (
                    "Cappuccino",
                    380,
                    &[("Oat milk", 50), ("Extra shot", 80)][..],
                    &[][..],
                    Some(("Size", size)),
                ),
                (
                    "Orange juice",
                    400,
                    &[][..],
                    &["Ice"][..],
                    Some(("Size", size)),
                ),
                ("Coca-Cola", 300, &[("Lemon", 0)][..], &["Ice"][..], None),
                ("Sparkling water", 250, &[][..], &[][..], None),
                ("Μπύρα Μύθος", 450, &[][..], &[][..], Some(("Size", size))),
                ("House white wine (glass)", 500, &[][..], &[][..], None),
                ("House red wine (glass)", 500, &[][..], &[][..], None),
                ("Ouzo", 400, &[("Ice", 0), ("Meze", 250)][..], &[][..], None),
                ("Tsipouro", 400, &[][..], &[][..], None),
                (
                    "Mojito",
                    850,
                    &[("Extra rum", 200)][..],
                    &["Sugar", "Ice"][..],
                    None,
                ),
            ],
        ),
    ]
}

/// Seed the demo into `store` if it has no users yet. Returns false if it already had data.
pub fn seed(store: &Store, hasher: &PinHasher, rng: &dyn Random, now: Timestamp) -> Result<bool> {
    if store.read_blocking(|r| Ok(!r.all::<User>(USERS)?.is_empty()))? {
        return Ok(false);
    }
    let mut people: Vec<(String, String, Role)> = vec![
        ("manager".into(), "Μαρία (manager)".into(), Role::Manager),
        ("sysadmin".into(), "Sysadmin".into(), Role::Sysadmin),
    ];
    for i in 1..=20 {
        people.push((
            format!("waiter{i:02}"),
            format!("Waiter {i:02}"),
            Role::Waiter,
        ));
    }
    let mut hashed = Vec::new();
    for (u, d, r) in people {
        let salt: [u8; 16] = random_bytes(rng);
        hashed.push((u, d, r, hasher.hash_blocking(DEMO_PIN, &salt)?));
    }
    store.write_blocking(|w| {
        for (username, display_name, role, pin_hash) in hashed {
            let id = w.next_id("users")?;
            let u = User {
                id,
                username: username.clone(),
                display_name,
                role,
                pin_hash,
                active: true,
                deleted: false,
                assistant_id: None,
                failed_pins: 0,
                locked_until: None,
                created_at: now,
                sessions_valid_after: now,
                hourly_rate: None,
            };
            w.put(USERS, id, &u)?;
            w.set_user_name(&username, id)?;
        }
        for (id, name, port) in [(KITCHEN, "Kitchen", 9100u16), (BAR, "Bar", 9101)] {
            let p = Printer {
                id: w.next_id("printers")?,
                name: name.into(),
                host: "127.0.0.1".into(),
                port,
                code_page: "cp737".into(),
                esc_t: 14,
                columns: 48,
                active: true,
                backup_printer_id: None,
            };
            debug_assert_eq!(p.id, id);
            w.put(PRINTERS, p.id, &p)?;
        }
        for (gname, range) in [
            ("Σάλα / Main room", 1..=20u32),
            ("Βεράντα / Terrace", 21..=30),
        ] {
            let gid = w.next_id("table_groups")?;
            w.put(
                TABLE_GROUPS,
                gid,
                &TableGroup {
                    id: gid,
                    name: gname.into(),
                    sort_order: gid as i32,
                },
            )?;
            for n in range {
                let id = w.next_id("tables")?;
                let (row, col) = ((n - 1) % 10, (n - 1) / 10);
                let t = Table {
                    id,
                    number: n,
                    label: None,
                    group_id: Some(gid),
                    active: true,
                    floor_x: Some(5.0 + row as f64 * 9.5),
                    floor_y: Some(10.0 + (col % 2) as f64 * 40.0),
                    seats: Some(if n % 3 == 0 { 6 } else { 4 }),
                };
                w.put(TABLES, id, &t)?;
                w.set_table_number(n, Some(id), None)?;
            }
        }
        for (ci, (cname, color, zone, items)) in menu().into_iter().enumerate() {
            let cid = w.next_id("categories")?;
            w.put(
                CATEGORIES,
                cid,
                &Category {
                    id: cid,
                    name: cname.into(),
                    color: Some(color.into()),
                    sort_order: ci as i32,
                },
            )?;
            for (pi, (name, price, opts, ings, prefs)) in items.into_iter().enumerate() {
                let mut options = Vec::new();
                for (n, c) in opts {
                    options.push(ProductOption {
                        id: w.next_id("menu_parts")?,
                        name: (*n).into(),
                        extra_cost: *c,
                    });
                }
                let mut ingredients = Vec::new();
                for n in ings {
                    ingredients.push(Ingredient {
                        id: w.next_id("menu_parts")?,
                        name: (*n).into(),
                    });
                }
                let mut preference_sets = Vec::new();
                if let Some((sname, choices)) = prefs {
                    let sid = w.next_id("menu_parts")?;
                    let mut cs = Vec::new();
                    for (n, d) in choices {
                        cs.push(Choice {
                            id: w.next_id("menu_parts")?,
                            name: (*n).into(),
                            price_delta: *d,
                        });
                    }
                    preference_sets.push(PreferenceSet {
                        id: sid,
                        name: sname.into(),
                        required: false,
                        choices: cs,
                    });
                }
                let id = w.next_id("products")?;
                let p = Product {
                    id,
                    name: name.into(),
                    description: None,
                    category_id: Some(cid),
                    base_price: price,
                    available: true,
                    active: true,
                    printer_zone_id: Some(zone),
                    sort_order: pi as i32,
                    options,
                    ingredients,
                    preference_sets,
                    image: None,
                };
                w.put(PRODUCTS, id, &p)?;
            }
        }
        w.set_meta(DEMO_KEY, b"1")
    })?;
    Ok(true)
}
