//! Every redb table posd uses, in one place.
//!
//! Values are postcard-encoded versioned records (see `records`); keys are plain integers or
//! strings. Index tables hold only keys so today's work never scans years of history:
//! open orders by table, orders by business day, print jobs by printer.

use redb::TableDefinition;

/// Schema version, site id, counters, settings, license state: small named values.
pub const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

pub const USERS: TableDefinition<u64, &[u8]> = TableDefinition::new("users");
/// Lower-cased username → user id (deleted users keep their name reserved).
pub const USERS_BY_NAME: TableDefinition<&str, u64> = TableDefinition::new("users_by_name");
/// SHA-256 of the bearer token → session record. The token itself is never stored.
pub const SESSIONS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("sessions");

pub const TABLE_GROUPS: TableDefinition<u64, &[u8]> = TableDefinition::new("table_groups");
pub const TABLES: TableDefinition<u64, &[u8]> = TableDefinition::new("tables");
/// Table number → table id (numbers are unique among all tables, active or not).
pub const TABLES_BY_NUMBER: TableDefinition<u32, u64> = TableDefinition::new("tables_by_number");

pub const CATEGORIES: TableDefinition<u64, &[u8]> = TableDefinition::new("categories");
pub const PRODUCTS: TableDefinition<u64, &[u8]> = TableDefinition::new("products");
pub const PRINTERS: TableDefinition<u64, &[u8]> = TableDefinition::new("printers");

pub const ORDERS: TableDefinition<u64, &[u8]> = TableDefinition::new("orders");
/// Table id → the one open (not closed, not cancelled) order on it. Makes opening atomic.
pub const OPEN_ORDER_BY_TABLE: TableDefinition<u64, u64> =
    TableDefinition::new("open_order_by_table");
/// (business day as yyyymmdd, order id) → (): reports and history read one day's range.
pub const ORDERS_BY_DAY: TableDefinition<(u32, u64), ()> = TableDefinition::new("orders_by_day");
/// "user id:key" → the stored result of an idempotent request, with its time.
pub const IDEMPOTENCY: TableDefinition<&str, &[u8]> = TableDefinition::new("idempotency");

pub const PRINT_JOBS: TableDefinition<u64, &[u8]> = TableDefinition::new("print_jobs");
/// (printer id, job id) → (): the jobs still to send, in order, per printer.
pub const PRINT_QUEUE: TableDefinition<(u64, u64), ()> = TableDefinition::new("print_queue");
pub const PRINT_LOG: TableDefinition<u64, &[u8]> = TableDefinition::new("print_log");

/// Who changed what (seed 003's audit trail), append-only.
pub const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit");
/// (printer id, job id) → (): jobs held for a manager (too old to print unasked).
pub const PRINT_HELD: TableDefinition<(u64, u64), ()> = TableDefinition::new("print_held");
/// (order id, log id) → (): the print log of one order without scanning history.
pub const PRINT_LOG_BY_ORDER: TableDefinition<(u64, u64), ()> =
    TableDefinition::new("print_log_by_order");
