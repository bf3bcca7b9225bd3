//! Typed access to the tables inside a transaction.
//!
//! [`Reader`] works in both read snapshots and write transactions (so a write sees its own
//! changes); [`Writer`] only in write transactions. Values go through [`Record`] so callers
//! handle domain types only.

use redb::{ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};

use super::records::Record;
use super::storage;
use super::tables::*;
use crate::error::Result;

type U64Table = TableDefinition<'static, u64, &'static [u8]>;

/// Reads shared by read and write transactions.
pub trait Reader {
    fn get<R: Record>(&self, def: U64Table, id: u64) -> Result<Option<R>>;
    /// Every record of a table, in id order (small tables only: menu, staff, floor).
    fn all<R: Record>(&self, def: U64Table) -> Result<Vec<R>>;
    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>>;
    fn user_id_by_name(&self, name: &str) -> Result<Option<u64>>;
    fn table_id_by_number(&self, number: u32) -> Result<Option<u64>>;
    fn open_order_of_table(&self, table_id: u64) -> Result<Option<u64>>;
    /// Every (table id, order id) with a live order.
    fn open_orders(&self) -> Result<Vec<(u64, u64)>>;
    /// Order ids of business days `from..=to` (yyyymmdd), ascending.
    fn order_ids_by_day(&self, from: u32, to: u32) -> Result<Vec<u64>>;
    fn session(&self, token_hash: &[u8]) -> Result<Option<super::records::Session>>;
    fn idempotent(&self, key: &str) -> Result<Option<Vec<u8>>>;
    /// Job ids still queued for a printer, oldest first.
    fn queued_jobs(&self, printer_id: u64) -> Result<Vec<u64>>;
    /// (printer id, job id) of held jobs, of one printer or all.
    fn held_jobs(&self, printer_id: Option<u64>) -> Result<Vec<(u64, u64)>>;
    /// Print log ids of one order, oldest first.
    fn log_of_order(&self, order_id: u64) -> Result<Vec<u64>>;
    /// Up to `limit` records with ids below `before` (all when `None`), newest first, for which
    /// `keep` is true; at most `scan` records are read (history tables stay cheap to browse).
    fn recent<R: Record>(
        &self,
        def: U64Table,
        before: Option<u64>,
        limit: usize,
        scan: usize,
        keep: &dyn Fn(&R) -> bool,
    ) -> Result<Vec<R>>;
}

/// Writes; only inside a write transaction.
pub trait Writer: Reader {
    fn put<R: Record>(&self, def: U64Table, id: u64, v: &R) -> Result<()>;
    fn remove(&self, def: U64Table, id: u64) -> Result<bool>;
    fn set_meta(&self, key: &str, v: &[u8]) -> Result<()>;
    /// Next id from a named counter; ids start at 1 and are never reused.
    fn next_id(&self, counter: &str) -> Result<u64>;
    /// Reserve `n` consecutive ids; returns the first.
    fn next_ids(&self, counter: &str, n: u64) -> Result<u64>;
    fn set_user_name(&self, name: &str, id: u64) -> Result<()>;
    fn set_table_number(&self, number: u32, id: Option<u64>, old: Option<u32>) -> Result<()>;
    fn set_open_order(&self, table_id: u64, order_id: Option<u64>) -> Result<()>;
    fn index_order_day(&self, day: u32, order_id: u64) -> Result<()>;
    fn put_session(&self, token_hash: &[u8], s: &super::records::Session) -> Result<()>;
    fn remove_session(&self, token_hash: &[u8]) -> Result<()>;
    /// Remove every session of a user, or every expired one (`now_ms`), returning how many.
    fn purge_sessions(&self, user: Option<u64>, now_ms: i64) -> Result<usize>;
    fn put_idempotent(&self, key: &str, v: &[u8]) -> Result<()>;
    fn queue_job(&self, printer_id: u64, job_id: u64) -> Result<()>;
    fn unqueue_job(&self, printer_id: u64, job_id: u64) -> Result<()>;
    fn set_held(&self, printer_id: u64, job_id: u64, held: bool) -> Result<()>;
    fn index_log(&self, order_id: u64, log_id: u64) -> Result<()>;
}

pub(super) fn schema_version(r: &ReadTransaction) -> Result<Option<u32>> {
    match r.open_table(META) {
        Ok(t) => Ok(t.get("schema_version").map_err(storage)?.and_then(|v| {
            let b = v.value();
            <[u8; 4]>::try_from(b).ok().map(u32::from_le_bytes)
        })),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(storage(e)),
    }
}

pub(super) fn create_all(w: &WriteTransaction) -> Result<()> {
    macro_rules! create {
        ($($t:expr),*) => { $( w.open_table($t).map_err(storage)?; )* };
    }
    create!(
        META,
        USERS,
        USERS_BY_NAME,
        SESSIONS,
        TABLE_GROUPS,
        TABLES,
        TABLES_BY_NUMBER,
        CATEGORIES,
        PRODUCTS,
        PRINTERS,
        ORDERS,
        OPEN_ORDER_BY_TABLE,
        ORDERS_BY_DAY,
        IDEMPOTENCY,
        PRINT_JOBS,
        PRINT_QUEUE,
        PRINT_LOG,
        AUDIT,
        PRINT_HELD,
        PRINT_LOG_BY_ORDER
    );
    Ok(())
}

macro_rules! impl_reader {
    ($t:ty) => {
        impl Reader for $t {
            fn get<R: Record>(&self, def: U64Table, id: u64) -> Result<Option<R>> {
                let t = self.open_table(def).map_err(storage)?;
                let v = t.get(id).map_err(storage)?;
                v.map(|v| R::decode(v.value())).transpose()
            }
            fn all<R: Record>(&self, def: U64Table) -> Result<Vec<R>> {
                let t = self.open_table(def).map_err(storage)?;
                let mut out = Vec::new();
                for e in t.iter().map_err(storage)? {
                    let (_, v) = e.map_err(storage)?;
                    out.push(R::decode(v.value())?);
                }
                Ok(out)
            }
            fn meta(&self, key: &str) -> Result<Option<Vec<u8>>> {
                let t = self.open_table(META).map_err(storage)?;
                Ok(t.get(key).map_err(storage)?.map(|v| v.value().to_vec()))
            }
            fn user_id_by_name(&self, name: &str) -> Result<Option<u64>> {
                let t = self.open_table(USERS_BY_NAME).map_err(storage)?;
                Ok(t.get(name).map_err(storage)?.map(|v| v.value()))
            }
            fn table_id_by_number(&self, number: u32) -> Result<Option<u64>> {
                let t = self.open_table(TABLES_BY_NUMBER).map_err(storage)?;
                Ok(t.get(number).map_err(storage)?.map(|v| v.value()))
            }
            fn open_order_of_table(&self, table_id: u64) -> Result<Option<u64>> {
                let t = self.open_table(OPEN_ORDER_BY_TABLE).map_err(storage)?;
                Ok(t.get(table_id).map_err(storage)?.map(|v| v.value()))
            }
            fn open_orders(&self) -> Result<Vec<(u64, u64)>> {
                let t = self.open_table(OPEN_ORDER_BY_TABLE).map_err(storage)?;
                let mut out = Vec::new();
                for e in t.iter().map_err(storage)? {
                    let (k, v) = e.map_err(storage)?;
                    out.push((k.value(), v.value()));
                }
                Ok(out)
            }
            fn order_ids_by_day(&self, from: u32, to: u32) -> Result<Vec<u64>> {
                let t = self.open_table(ORDERS_BY_DAY).map_err(storage)?;
                let mut out = Vec::new();
                for e in t.range((from, 0)..=(to, u64::MAX)).map_err(storage)? {
                    let (k, _) = e.map_err(storage)?;
                    out.push(k.value().1);
                }
                Ok(out)
            }
            fn session(&self, token_hash: &[u8]) -> Result<Option<super::records::Session>> {
                let t = self.open_table(SESSIONS).map_err(storage)?;
                let v = t.get(token_hash).map_err(storage)?;
                v.map(|v| super::records::Session::decode(v.value()))
                    .transpose()
            }
            fn idempotent(&self, key: &str) -> Result<Option<Vec<u8>>> {
                let t = self.open_table(IDEMPOTENCY).map_err(storage)?;
                Ok(t.get(key).map_err(storage)?.map(|v| v.value().to_vec()))
            }
            fn queued_jobs(&self, printer_id: u64) -> Result<Vec<u64>> {
                let t = self.open_table(PRINT_QUEUE).map_err(storage)?;
                let mut out = Vec::new();
                for e in t
                    .range((printer_id, 0)..=(printer_id, u64::MAX))
                    .map_err(storage)?
                {
                    let (k, _) = e.map_err(storage)?;
                    out.push(k.value().1);
                }
                Ok(out)
            }
            fn held_jobs(&self, printer_id: Option<u64>) -> Result<Vec<(u64, u64)>> {
                let t = self.open_table(PRINT_HELD).map_err(storage)?;
                let (lo, hi) = match printer_id {
                    Some(p) => ((p, 0), (p, u64::MAX)),
                    None => ((0, 0), (u64::MAX, u64::MAX)),
                };
                let mut out = Vec::new();
                for e in t.range(lo..=hi).map_err(storage)? {
                    let (k, _) = e.map_err(storage)?;
                    out.push(k.value());
                }
                Ok(out)
            }
            fn log_of_order(&self, order_id: u64) -> Result<Vec<u64>> {
                let t = self.open_table(PRINT_LOG_BY_ORDER).map_err(storage)?;
                let mut out = Vec::new();
                for e in t
                    .range((order_id, 0)..=(order_id, u64::MAX))
                    .map_err(storage)?
                {
                    let (k, _) = e.map_err(storage)?;
                    out.push(k.value().1);
                }
                Ok(out)
            }
            fn recent<R: Record>(
                &self,
                def: U64Table,
                before: Option<u64>,
                limit: usize,
                scan: usize,
                keep: &dyn Fn(&R) -> bool,
            ) -> Result<Vec<R>> {
                let t = self.open_table(def).map_err(storage)?;
                let mut out = Vec::new();
                let range = t.range(..before.unwrap_or(u64::MAX)).map_err(storage)?;
                for e in range.rev().take(scan) {
                    let (_, v) = e.map_err(storage)?;
                    let r = R::decode(v.value())?;
                    if keep(&r) {
                        out.push(r);
                        if out.len() >= limit {
                            break;
                        }
                    }
                }
                Ok(out)
            }
        }
    };
}

impl_reader!(ReadTransaction);
impl_reader!(WriteTransaction);

impl Writer for WriteTransaction {
    fn put<R: Record>(&self, def: U64Table, id: u64, v: &R) -> Result<()> {
        let mut t = self.open_table(def).map_err(storage)?;
        t.insert(id, v.encode().as_slice()).map_err(storage)?;
        Ok(())
    }
    fn remove(&self, def: U64Table, id: u64) -> Result<bool> {
        let mut t = self.open_table(def).map_err(storage)?;
        Ok(t.remove(id).map_err(storage)?.is_some())
    }
    fn set_meta(&self, key: &str, v: &[u8]) -> Result<()> {
        let mut t = self.open_table(META).map_err(storage)?;
        t.insert(key, v).map_err(storage)?;
        Ok(())
    }
    fn next_id(&self, counter: &str) -> Result<u64> {
        self.next_ids(counter, 1)
    }
    fn next_ids(&self, counter: &str, n: u64) -> Result<u64> {
        let key = format!("seq:{counter}");
        let last = self
            .meta(&key)?
            .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
            .map(u64::from_le_bytes)
            .unwrap_or(0);
        self.set_meta(&key, &(last + n).to_le_bytes())?;
        Ok(last + 1)
    }
    fn set_user_name(&self, name: &str, id: u64) -> Result<()> {
        let mut t = self.open_table(USERS_BY_NAME).map_err(storage)?;
        t.insert(name, id).map_err(storage)?;
        Ok(())
    }
    fn set_table_number(&self, number: u32, id: Option<u64>, old: Option<u32>) -> Result<()> {
        let mut t = self.open_table(TABLES_BY_NUMBER).map_err(storage)?;
        if let Some(old) = old {
            t.remove(old).map_err(storage)?;
        }
        if let Some(id) = id {
            t.insert(number, id).map_err(storage)?;
        }
        Ok(())
    }
    fn set_open_order(&self, table_id: u64, order_id: Option<u64>) -> Result<()> {
        let mut t = self.open_table(OPEN_ORDER_BY_TABLE).map_err(storage)?;
        match order_id {
            Some(o) => t.insert(table_id, o).map_err(storage)?,
            None => t.remove(table_id).map_err(storage)?,
        };
        Ok(())
    }
    fn index_order_day(&self, day: u32, order_id: u64) -> Result<()> {
        let mut t = self.open_table(ORDERS_BY_DAY).map_err(storage)?;
        t.insert((day, order_id), ()).map_err(storage)?;
        Ok(())
    }
    fn put_session(&self, token_hash: &[u8], s: &super::records::Session) -> Result<()> {
        let mut t = self.open_table(SESSIONS).map_err(storage)?;
        t.insert(token_hash, s.encode().as_slice())
            .map_err(storage)?;
        Ok(())
    }
    fn remove_session(&self, token_hash: &[u8]) -> Result<()> {
        let mut t = self.open_table(SESSIONS).map_err(storage)?;
        t.remove(token_hash).map_err(storage)?;
        Ok(())
    }
    fn purge_sessions(&self, user: Option<u64>, now_ms: i64) -> Result<usize> {
        let mut t = self.open_table(SESSIONS).map_err(storage)?;
        let mut doomed = Vec::new();
        for e in t.iter().map_err(storage)? {
            let (k, v) = e.map_err(storage)?;
            let s = super::records::Session::decode(v.value())?;
            let dead = match user {
                Some(u) => s.user_id == u,
                None => s.expires_at.as_millisecond() <= now_ms,
            };
            if dead {
                doomed.push(k.value().to_vec());
            }
        }
        for k in &doomed {
            t.remove(k.as_slice()).map_err(storage)?;
        }
        Ok(doomed.len())
    }
    fn put_idempotent(&self, key: &str, v: &[u8]) -> Result<()> {
        let mut t = self.open_table(IDEMPOTENCY).map_err(storage)?;
        t.insert(key, v).map_err(storage)?;
        Ok(())
    }
    fn queue_job(&self, printer_id: u64, job_id: u64) -> Result<()> {
        let mut t = self.open_table(PRINT_QUEUE).map_err(storage)?;
        t.insert((printer_id, job_id), ()).map_err(storage)?;
        Ok(())
    }
    fn unqueue_job(&self, printer_id: u64, job_id: u64) -> Result<()> {
        let mut t = self.open_table(PRINT_QUEUE).map_err(storage)?;
        t.remove((printer_id, job_id)).map_err(storage)?;
        Ok(())
    }
    fn set_held(&self, printer_id: u64, job_id: u64, held: bool) -> Result<()> {
        let mut t = self.open_table(PRINT_HELD).map_err(storage)?;
        if held {
            t.insert((printer_id, job_id), ()).map_err(storage)?;
        } else {
            t.remove((printer_id, job_id)).map_err(storage)?;
        }
        Ok(())
    }
    fn index_log(&self, order_id: u64, log_id: u64) -> Result<()> {
        let mut t = self.open_table(PRINT_LOG_BY_ORDER).map_err(storage)?;
        t.insert((order_id, log_id), ()).map_err(storage)?;
        Ok(())
    }
}
