//! The live event hub behind `GET /api/events`.
//!
//! Services publish small change notices (an order, a table, a printer changed) after their
//! transaction committed. Each gets an id `boot:seq`; the last [`KEEP`] are kept in memory so a
//! reconnecting client that sends `Last-Event-ID` gets what it missed. When the gap is too old
//! (or from an earlier boot) the client is told to `resync` (refetch everything) instead of
//! silently missing events. Idle subscribers cost one parked task and no polling.

use std::collections::VecDeque;
use std::sync::Mutex;

use tokio::sync::broadcast;

/// How many recent events are kept for resuming clients.
pub const KEEP: usize = 4096;

/// What changed. Payloads are ids and states; clients fetch details they need.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Order {
        order_id: u64,
        table_id: u64,
        status: &'static str,
        waiters: Vec<u64>,
        number: u8,
    },
    Items {
        order_id: u64,
        table_id: u64,
        item_ids: Vec<u64>,
        waiters: Vec<u64>,
    },
    Payment {
        order_id: u64,
        table_id: u64,
        payment_id: u64,
        waiters: Vec<u64>,
    },
    Table {
        table_id: u64,
    },
    /// Table groups or the floor plan changed.
    Floor,
    Menu,
    Staff,
    Printer {
        printer_id: u64,
        state: String,
        queued: u32,
    },
    License {
        state: String,
    },
}

impl Change {
    pub fn kind(&self) -> &'static str {
        match self {
            Change::Order { .. } => "order",
            Change::Items { .. } => "items",
            Change::Payment { .. } => "payment",
            Change::Table { .. } => "table",
            Change::Floor => "floor",
            Change::Menu => "menu",
            Change::Staff => "staff",
            Change::Printer { .. } => "printer",
            Change::License { .. } => "license",
        }
    }

    /// Waiters who may see it; `None` means everyone (menu, tables, printers).
    pub fn audience(&self) -> Option<&[u64]> {
        match self {
            Change::Order { waiters, .. }
            | Change::Items { waiters, .. }
            | Change::Payment { waiters, .. } => Some(waiters),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Event {
    pub seq: u64,
    pub change: Change,
}

pub struct Hub {
    /// Distinguishes ids across restarts.
    pub boot: u64,
    inner: Mutex<(u64, VecDeque<Event>)>,
    tx: broadcast::Sender<Event>,
}

/// Where a reconnecting client stands.
pub enum Resume {
    /// Replay these, then follow live.
    Replay(Vec<Event>),
    /// Too far behind or from an earlier boot: refetch.
    Resync,
}

impl Hub {
    pub fn new(boot: u64) -> Self {
        let (tx, _) = broadcast::channel(1024);
        Hub {
            boot,
            inner: Mutex::new((0, VecDeque::with_capacity(KEEP))),
            tx,
        }
    }

    pub fn publish(&self, change: Change) {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.0 += 1;
        let ev = Event { seq: g.0, change };
        if g.1.len() == KEEP {
            g.1.pop_front();
        }
        g.1.push_back(ev.clone());
        // Sending under the lock keeps the broadcast order equal to the seq order.
        let _ = self.tx.send(ev);
    }

    /// Subscribe, and compute what a client that last saw `last_id` missed.
    pub fn subscribe(&self, last_id: Option<&str>) -> (broadcast::Receiver<Event>, Resume) {
        let g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let rx = self.tx.subscribe();
        let resume = match last_id.and_then(parse_id) {
            None if last_id.is_some() => Resume::Resync,
            None => Resume::Replay(Vec::new()),
            Some((boot, _)) if boot != self.boot => Resume::Resync,
            Some((_, seq)) => {
                let oldest = g.1.front().map(|e| e.seq).unwrap_or(g.0 + 1);
                if seq + 1 < oldest && seq < g.0 {
                    Resume::Resync
                } else {
                    Resume::Replay(g.1.iter().filter(|e| e.seq > seq).cloned().collect())
                }
            }
        };
        (rx, resume)
    }

    pub fn id_of(&self, e: &Event) -> String {
        format!("{}:{}", self.boot, e.seq)
    }
}

fn parse_id(s: &str) -> Option<(u64, u64)> {
    let (b, q) = s.trim().split_once(':')?;
    Some((b.parse().ok()?, q.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_replays_what_was_missed() {
        let hub = Hub::new(7);
        hub.publish(Change::Menu);
        hub.publish(Change::Table { table_id: 1 });
        hub.publish(Change::Table { table_id: 2 });
        let (_rx, r) = hub.subscribe(Some("7:1"));
        let Resume::Replay(evs) = r else {
            panic!("expected replay")
        };
        assert_eq!(evs.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![2, 3]);
        assert!(matches!(hub.subscribe(Some("6:1")).1, Resume::Resync));
        assert!(matches!(hub.subscribe(Some("junk")).1, Resume::Resync));
        assert!(matches!(hub.subscribe(None).1, Resume::Replay(v) if v.is_empty()));
    }

    #[test]
    fn a_client_too_far_behind_must_resync() {
        let hub = Hub::new(1);
        for _ in 0..(KEEP + 10) {
            hub.publish(Change::Menu);
        }
        assert!(matches!(hub.subscribe(Some("1:3")).1, Resume::Resync));
        let last = format!("1:{}", KEEP + 10);
        assert!(matches!(hub.subscribe(Some(&last)).1, Resume::Replay(v) if v.is_empty()));
    }
}
