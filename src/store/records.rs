//! On-disk records: postcard-encoded, versioned, kept apart from the domain types.
//!
//! Every stored value is an enum whose variant is the record version (`V1`, later `V2`...);
//! postcard writes the variant index first, so an old value always decodes as its own version
//! and is upgraded in `decode`. A record changes only by adding a variant, with an upgrade and
//! a test that reads bytes written by the previous version (see `tests` below and
//! `tests/it/fixtures`).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::domain::floor::{Table, TableGroup};
use crate::domain::menu::{
    Category, Choice, Ingredient, PreferenceSet, Product, ProductImage, ProductOption,
};
use crate::domain::orders::{ItemStatus, Order, OrderItem, OrderStatus, PayMethod, Payment};
use crate::domain::staff::{Role, User};
use crate::error::{Error, Result};

/// A domain value with a versioned on-disk form.
pub trait Record: Sized {
    fn encode(&self) -> Vec<u8>;
    fn decode(bytes: &[u8]) -> Result<Self>;
}

fn enc<T: Serialize>(v: &T) -> Vec<u8> {
    // postcard only fails on writer errors (none for a Vec) or types serde can't express.
    postcard::to_allocvec(v).expect("postcard encodes plain records into a Vec")
}

fn dec<'a, T: Deserialize<'a>>(what: &str, b: &'a [u8]) -> Result<T> {
    postcard::from_bytes(b)
        .map_err(|e| Error::internal(format!("stored {what} record is unreadable: {e}")))
}

pub fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}
pub fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Implements [`Record`] for a domain type whose record enum has the listed versions; the
/// last one is current and must convert to and from the domain type.
macro_rules! record {
    ($domain:ty, $rec:ident, $what:literal, $cur:ident) => {
        impl Record for $domain {
            fn encode(&self) -> Vec<u8> {
                enc(&$rec::$cur(self.into()))
            }
            fn decode(b: &[u8]) -> Result<Self> {
                match dec::<$rec>($what, b)? {
                    $rec::$cur(v) => Ok(v.into()),
                }
            }
        }
    };
}

// ---------------------------------------------------------------- users

#[derive(Serialize, Deserialize)]
pub enum UserRec {
    V1(UserV1),
}

#[derive(Serialize, Deserialize)]
pub struct UserV1 {
    pub id: u64,
    pub username: String,
    pub display_name: String,
    pub role: u8,
    pub pin_hash: String,
    pub active: bool,
    pub deleted: bool,
    pub assistant_id: Option<u64>,
    pub failed_pins: u32,
    pub locked_until: Option<i64>,
    pub created_at: i64,
    pub sessions_valid_after: i64,
    pub hourly_rate: Option<i64>,
}

fn role_to(r: Role) -> u8 {
    match r {
        Role::Waiter => 0,
        Role::Manager => 1,
        Role::Sysadmin => 2,
    }
}
fn role_from(r: u8) -> Role {
    match r {
        1 => Role::Manager,
        2 => Role::Sysadmin,
        _ => Role::Waiter,
    }
}

impl From<&User> for UserV1 {
    fn from(u: &User) -> Self {
        UserV1 {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: role_to(u.role),
            pin_hash: u.pin_hash.clone(),
            active: u.active,
            deleted: u.deleted,
            assistant_id: u.assistant_id,
            failed_pins: u.failed_pins,
            locked_until: u.locked_until.map(ms),
            created_at: ms(u.created_at),
            sessions_valid_after: ms(u.sessions_valid_after),
            hourly_rate: u.hourly_rate,
        }
    }
}
impl From<UserV1> for User {
    fn from(u: UserV1) -> Self {
        User {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            role: role_from(u.role),
            pin_hash: u.pin_hash,
            active: u.active,
            deleted: u.deleted,
            assistant_id: u.assistant_id,
            failed_pins: u.failed_pins,
            locked_until: u.locked_until.map(ts),
            created_at: ts(u.created_at),
            sessions_valid_after: ts(u.sessions_valid_after),
            hourly_rate: u.hourly_rate,
        }
    }
}
record!(User, UserRec, "user", V1);

// ---------------------------------------------------------------- sessions

/// A login session. Keyed by the SHA-256 of its token.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub user_id: u64,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

#[derive(Serialize, Deserialize)]
pub enum SessionRec {
    V1(SessionV1),
}
#[derive(Serialize, Deserialize)]
pub struct SessionV1 {
    pub user_id: u64,
    pub created_at: i64,
    pub expires_at: i64,
}
impl From<&Session> for SessionV1 {
    fn from(s: &Session) -> Self {
        SessionV1 {
            user_id: s.user_id,
            created_at: ms(s.created_at),
            expires_at: ms(s.expires_at),
        }
    }
}
impl From<SessionV1> for Session {
    fn from(s: SessionV1) -> Self {
        Session {
            user_id: s.user_id,
            created_at: ts(s.created_at),
            expires_at: ts(s.expires_at),
        }
    }
}
record!(Session, SessionRec, "session", V1);

// ---------------------------------------------------------------- floor

#[derive(Serialize, Deserialize)]
pub enum TableGroupRec {
    V1(TableGroupV1),
}
#[derive(Serialize, Deserialize)]
pub struct TableGroupV1 {
    pub id: u64,
    pub name: String,
    pub sort_order: i32,
}
impl From<&TableGroup> for TableGroupV1 {
    fn from(g: &TableGroup) -> Self {
        TableGroupV1 {
            id: g.id,
            name: g.name.clone(),
            sort_order: g.sort_order,
        }
    }
}
impl From<TableGroupV1> for TableGroup {
    fn from(g: TableGroupV1) -> Self {
        TableGroup {
            id: g.id,
            name: g.name,
            sort_order: g.sort_order,
        }
    }
}
record!(TableGroup, TableGroupRec, "table group", V1);

#[derive(Serialize, Deserialize)]
pub enum TableRec {
    V1(TableV1),
}
#[derive(Serialize, Deserialize)]
pub struct TableV1 {
    pub id: u64,
    pub number: u32,
    pub label: Option<String>,
    pub group_id: Option<u64>,
    pub active: bool,
    pub floor_x: Option<f64>,
    pub floor_y: Option<f64>,
    pub seats: Option<u32>,
}
impl From<&Table> for TableV1 {
    fn from(t: &Table) -> Self {
        TableV1 {
            id: t.id,
            number: t.number,
            label: t.label.clone(),
            group_id: t.group_id,
            active: t.active,
            floor_x: t.floor_x,
            floor_y: t.floor_y,
            seats: t.seats,
        }
    }
}
impl From<TableV1> for Table {
    fn from(t: TableV1) -> Self {
        Table {
            id: t.id,
            number: t.number,
            label: t.label,
            group_id: t.group_id,
            active: t.active,
            floor_x: t.floor_x,
            floor_y: t.floor_y,
            seats: t.seats,
        }
    }
}
record!(Table, TableRec, "table", V1);

// ---------------------------------------------------------------- menu

#[derive(Serialize, Deserialize)]
pub enum CategoryRec {
    V1(CategoryV1),
}
#[derive(Serialize, Deserialize)]
pub struct CategoryV1 {
    pub id: u64,
    pub name: String,
    pub color: Option<String>,
    pub sort_order: i32,
}
impl From<&Category> for CategoryV1 {
    fn from(c: &Category) -> Self {
        CategoryV1 {
            id: c.id,
            name: c.name.clone(),
            color: c.color.clone(),
            sort_order: c.sort_order,
        }
    }
}
impl From<CategoryV1> for Category {
    fn from(c: CategoryV1) -> Self {
        Category {
            id: c.id,
            name: c.name,
            color: c.color,
            sort_order: c.sort_order,
        }
    }
}
record!(Category, CategoryRec, "category", V1);

#[derive(Serialize, Deserialize, Clone)]
pub struct NamedPriceV1 {
    pub id: u64,
    pub name: String,
    pub cents: i64,
}

#[derive(Serialize, Deserialize)]
pub struct PreferenceSetV1 {
    pub id: u64,
    pub name: String,
    pub required: bool,
    pub choices: Vec<NamedPriceV1>,
}

#[derive(Serialize, Deserialize)]
pub enum ProductRec {
    V1(ProductV1),
}
#[derive(Serialize, Deserialize)]
pub struct ProductV1 {
    pub id: u64,
    pub name: String,
    pub description: Option<String>,
    pub category_id: Option<u64>,
    pub base_price: i64,
    pub available: bool,
    pub active: bool,
    pub printer_zone_id: Option<u64>,
    pub sort_order: i32,
    pub options: Vec<NamedPriceV1>,
    /// Ingredients carry no price; `cents` is always 0.
    pub ingredients: Vec<NamedPriceV1>,
    pub preference_sets: Vec<PreferenceSetV1>,
    pub image: Option<(String, String, u32)>,
}

fn opt_rec(o: &ProductOption) -> NamedPriceV1 {
    NamedPriceV1 {
        id: o.id,
        name: o.name.clone(),
        cents: o.extra_cost,
    }
}
fn opt_dom(o: NamedPriceV1) -> ProductOption {
    ProductOption {
        id: o.id,
        name: o.name,
        extra_cost: o.cents,
    }
}
fn ing_rec(i: &Ingredient) -> NamedPriceV1 {
    NamedPriceV1 {
        id: i.id,
        name: i.name.clone(),
        cents: 0,
    }
}
fn ing_dom(i: NamedPriceV1) -> Ingredient {
    Ingredient {
        id: i.id,
        name: i.name,
    }
}
fn choice_rec(c: &Choice) -> NamedPriceV1 {
    NamedPriceV1 {
        id: c.id,
        name: c.name.clone(),
        cents: c.price_delta,
    }
}
fn choice_dom(c: NamedPriceV1) -> Choice {
    Choice {
        id: c.id,
        name: c.name,
        price_delta: c.cents,
    }
}
fn set_rec(s: &PreferenceSet) -> PreferenceSetV1 {
    PreferenceSetV1 {
        id: s.id,
        name: s.name.clone(),
        required: s.required,
        choices: s.choices.iter().map(choice_rec).collect(),
    }
}
fn set_dom(s: PreferenceSetV1) -> PreferenceSet {
    PreferenceSet {
        id: s.id,
        name: s.name,
        required: s.required,
        choices: s.choices.into_iter().map(choice_dom).collect(),
    }
}

impl From<&Product> for ProductV1 {
    fn from(p: &Product) -> Self {
        ProductV1 {
            id: p.id,
            name: p.name.clone(),
            description: p.description.clone(),
            category_id: p.category_id,
            base_price: p.base_price,
            available: p.available,
            active: p.active,
            printer_zone_id: p.printer_zone_id,
            sort_order: p.sort_order,
            options: p.options.iter().map(opt_rec).collect(),
            ingredients: p.ingredients.iter().map(ing_rec).collect(),
            preference_sets: p.preference_sets.iter().map(set_rec).collect(),
            image: p
                .image
                .as_ref()
                .map(|i| (i.file.clone(), i.content_type.clone(), i.version)),
        }
    }
}
impl From<ProductV1> for Product {
    fn from(p: ProductV1) -> Self {
        Product {
            id: p.id,
            name: p.name,
            description: p.description,
            category_id: p.category_id,
            base_price: p.base_price,
            available: p.available,
            active: p.active,
            printer_zone_id: p.printer_zone_id,
            sort_order: p.sort_order,
            options: p.options.into_iter().map(opt_dom).collect(),
            ingredients: p.ingredients.into_iter().map(ing_dom).collect(),
            preference_sets: p.preference_sets.into_iter().map(set_dom).collect(),
            image: p.image.map(|(file, content_type, version)| ProductImage {
                file,
                content_type,
                version,
            }),
        }
    }
}
record!(Product, ProductRec, "product", V1);

// ---------------------------------------------------------------- orders

#[derive(Serialize, Deserialize)]
pub enum OrderRec {
    V1(OrderV1),
}
#[derive(Serialize, Deserialize)]
pub struct OrderV1 {
    pub id: u64,
    pub number: u8,
    pub business_day: u32,
    pub table_id: u64,
    pub opened_by: u64,
    pub opened_at: i64,
    pub status: u8,
    pub waiters: Vec<u64>,
    pub items: Vec<OrderItemV1>,
    pub payments: Vec<PaymentV1>,
    pub closed_at: Option<i64>,
    pub closed_by: Option<u64>,
    pub notes: Option<String>,
}
#[derive(Serialize, Deserialize)]
pub struct OrderItemV1 {
    pub id: u64,
    pub product_id: u64,
    pub name: String,
    pub quantity: u32,
    pub unit_price: i64,
    pub options: Vec<NamedPriceV1>,
    pub removed: Vec<NamedPriceV1>,
    /// (set id, set name, choice)
    pub preferences: Vec<(u64, String, NamedPriceV1)>,
    pub notes: Option<String>,
    pub status: u8,
    pub added_by: u64,
    pub added_at: i64,
    pub printer_zone_id: Option<u64>,
    pub printed: bool,
    pub cancelled_at: Option<i64>,
    pub cancelled_by: Option<u64>,
}
#[derive(Serialize, Deserialize)]
pub struct PaymentV1 {
    pub id: u64,
    pub amount: i64,
    pub method: u8,
    pub tip: i64,
    pub item_ids: Vec<u64>,
    pub by: u64,
    pub at: i64,
}

const ORDER_STATUSES: [OrderStatus; 5] = [
    OrderStatus::Open,
    OrderStatus::PartiallyPaid,
    OrderStatus::Paid,
    OrderStatus::Closed,
    OrderStatus::Cancelled,
];
const ITEM_STATUSES: [ItemStatus; 3] =
    [ItemStatus::Active, ItemStatus::Paid, ItemStatus::Cancelled];

fn idx<T: PartialEq>(all: &[T], v: &T) -> u8 {
    all.iter().position(|x| x == v).unwrap_or(0) as u8
}

impl From<&Order> for OrderV1 {
    fn from(o: &Order) -> Self {
        OrderV1 {
            id: o.id,
            number: o.number,
            business_day: o.business_day,
            table_id: o.table_id,
            opened_by: o.opened_by,
            opened_at: ms(o.opened_at),
            status: idx(&ORDER_STATUSES, &o.status),
            waiters: o.waiters.clone(),
            items: o
                .items
                .iter()
                .map(|i| OrderItemV1 {
                    id: i.id,
                    product_id: i.product_id,
                    name: i.name.clone(),
                    quantity: i.quantity,
                    unit_price: i.unit_price,
                    options: i.options.iter().map(opt_rec).collect(),
                    removed: i.removed.iter().map(ing_rec).collect(),
                    preferences: i
                        .preferences
                        .iter()
                        .map(|(s, c)| (s.id, s.name.clone(), choice_rec(c)))
                        .collect(),
                    notes: i.notes.clone(),
                    status: idx(&ITEM_STATUSES, &i.status),
                    added_by: i.added_by,
                    added_at: ms(i.added_at),
                    printer_zone_id: i.printer_zone_id,
                    printed: i.printed,
                    cancelled_at: i.cancelled_at.map(ms),
                    cancelled_by: i.cancelled_by,
                })
                .collect(),
            payments: o
                .payments
                .iter()
                .map(|p| PaymentV1 {
                    id: p.id,
                    amount: p.amount,
                    method: matches!(p.method, PayMethod::Card) as u8,
                    tip: p.tip,
                    item_ids: p.item_ids.clone(),
                    by: p.by,
                    at: ms(p.at),
                })
                .collect(),
            closed_at: o.closed_at.map(ms),
            closed_by: o.closed_by,
            notes: o.notes.clone(),
        }
    }
}
impl From<OrderV1> for Order {
    fn from(o: OrderV1) -> Self {
        Order {
            id: o.id,
            number: o.number,
            business_day: o.business_day,
            table_id: o.table_id,
            opened_by: o.opened_by,
            opened_at: ts(o.opened_at),
            status: ORDER_STATUSES
                .get(o.status as usize)
                .copied()
                .unwrap_or(OrderStatus::Open),
            waiters: o.waiters,
            items: o
                .items
                .into_iter()
                .map(|i| OrderItem {
                    id: i.id,
                    product_id: i.product_id,
                    name: i.name,
                    quantity: i.quantity,
                    unit_price: i.unit_price,
                    options: i.options.into_iter().map(opt_dom).collect(),
                    removed: i.removed.into_iter().map(ing_dom).collect(),
                    preferences: i
                        .preferences
                        .into_iter()
                        .map(|(id, name, c)| {
                            (
                                PreferenceSet {
                                    id,
                                    name,
                                    required: false,
                                    choices: vec![],
                                },
                                choice_dom(c),
                            )
                        })
                        .collect(),
                    notes: i.notes,
                    status: ITEM_STATUSES
                        .get(i.status as usize)
                        .copied()
                        .unwrap_or(ItemStatus::Active),
                    added_by: i.added_by,
                    added_at: ts(i.added_at),
                    printer_zone_id: i.printer_zone_id,
                    printed: i.printed,
                    cancelled_at: i.cancelled_at.map(ts),
                    cancelled_by: i.cancelled_by,
                })
                .collect(),
            payments: o
                .payments
                .into_iter()
                .map(|p| Payment {
                    id: p.id,
                    amount: p.amount,
                    method: if p.method == 1 {
                        PayMethod::Card
                    } else {
                        PayMethod::Cash
                    },
                    tip: p.tip,
                    item_ids: p.item_ids,
                    by: p.by,
                    at: ts(p.at),
                })
                .collect(),
            closed_at: o.closed_at.map(ts),
            closed_by: o.closed_by,
            notes: o.notes,
        }
    }
}
record!(Order, OrderRec, "order", V1);

#[cfg(test)]
mod tests {
    use super::*;

    /// The version byte comes first: a V1 user record starts with 0.
    #[test]
    fn records_start_with_their_version() {
        let u = User {
            id: 1,
            username: "a".into(),
            display_name: "A".into(),
            role: Role::Manager,
            pin_hash: "h".into(),
            active: true,
            deleted: false,
            assistant_id: None,
            failed_pins: 0,
            locked_until: None,
            created_at: ts(5),
            sessions_valid_after: ts(5),
            hourly_rate: None,
        };
        let b = u.encode();
        assert_eq!(b[0], 0);
        assert_eq!(User::decode(&b).unwrap(), u);
        assert!(User::decode(&[9, 9, 9]).is_err());
    }
}
