//! The print spool: one worker task per printer (see `worker`), started with the daemon, and
//! the live board of printer states that `/api/system/status` and the event stream show.
//!
//! Invariants: at most one worker sends a printer's queue at any time, so its tickets come out
//! in order; workers share nothing but the store and the board, so a dead or stalled printer
//! never delays another printer or a request. Before any worker starts, jobs left `Sending`
//! by a crash are requeued marked REPRINT. On shutdown a send in progress gets a short grace
//! to finish; one cut off stays `Sending` and is printed again, marked, after the restart.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Mutex;

use jiff::Timestamp;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::status::PrinterHealth;
use super::transport::SendError;
use crate::app::App;
use crate::domain::printers::Printer;
use crate::events::Change;
use crate::service;

/// What a printer is doing, as a phone shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrinterState {
    /// Not asked yet.
    Unknown,
    Ok,
    /// Printing, but the roll is nearly empty.
    PaperLow,
    /// Unreachable, not answering, or offline for no named reason.
    Offline,
    PaperOut,
    CoverOpen,
    /// The printer reports an error (cutter jam, head temperature...).
    Error,
    /// Switched off in the printer settings: jobs wait.
    Inactive,
}

impl PrinterState {
    pub fn as_str(self) -> &'static str {
        match self {
            PrinterState::Unknown => "unknown",
            PrinterState::Ok => "ok",
            PrinterState::PaperLow => "paper_low",
            PrinterState::Offline => "offline",
            PrinterState::PaperOut => "paper_out",
            PrinterState::CoverOpen => "cover_open",
            PrinterState::Error => "error",
            PrinterState::Inactive => "inactive",
        }
    }

    /// The most pressing problem a status reply names.
    pub fn from_health(h: &PrinterHealth) -> PrinterState {
        if h.paper_out {
            PrinterState::PaperOut
        } else if h.cover_open {
            PrinterState::CoverOpen
        } else if h.error {
            PrinterState::Error
        } else if !h.online {
            PrinterState::Offline
        } else if h.paper_near_end {
            PrinterState::PaperLow
        } else {
            PrinterState::Ok
        }
    }

    /// A failed send: the printer's reported problem, else offline (no connection, no reply,
    /// stopped reading).
    pub fn from_send_error(e: &SendError) -> PrinterState {
        e.health()
            .map(|h| PrinterState::from_health(&h))
            .unwrap_or(PrinterState::Offline)
    }

    /// Takes jobs (a failover target must be up).
    pub fn is_up(self) -> bool {
        matches!(self, PrinterState::Ok | PrinterState::PaperLow)
    }
}

/// One printer on the board.
#[derive(Debug, Clone, PartialEq)]
pub struct PrinterLive {
    pub printer_id: u64,
    pub name: String,
    pub state: PrinterState,
    /// In words: "ready", "paper out, cover open", "cannot connect ...".
    pub detail: String,
    /// Tickets waiting (or being sent).
    pub queued: u32,
    /// Tickets held for a manager.
    pub held: u32,
    /// The last failure (send or status check), kept after recovery for the manager.
    pub last_error: Option<String>,
    /// When `state` last changed.
    pub since: Timestamp,
    /// When the printer last answered or failed to.
    pub checked_at: Option<Timestamp>,
}

/// Live printer states, by printer id. Every change of state or counts is published as
/// `Change::Printer`.
#[derive(Debug, Default)]
pub struct Board {
    map: Mutex<BTreeMap<u64, PrinterLive>>,
}

impl Board {
    pub fn snapshot(&self) -> Vec<PrinterLive> {
        self.lock().values().cloned().collect()
    }

    pub fn get(&self, printer_id: u64) -> Option<PrinterLive> {
        self.lock().get(&printer_id).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, PrinterLive>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Changes one printer's entry (creating it as `Unknown`), publishing if it changed what
    /// a phone shows.
    pub(crate) fn update(&self, app: &App, p: &Printer, f: impl FnOnce(&mut PrinterLive)) {
        let now = app.now();
        let changed = {
            let mut map = self.lock();
            let e = map.entry(p.id).or_insert_with(|| PrinterLive {
                printer_id: p.id,
                name: p.name.clone(),
                state: PrinterState::Unknown,
                detail: "not checked yet".into(),
                queued: 0,
                held: 0,
                last_error: None,
                since: now,
                checked_at: None,
            });
            let before = (e.state, e.queued, e.held, e.name.clone(), e.detail.clone());
            e.name = p.name.clone();
            let old_state = e.state;
            f(e);
            if e.state != old_state {
                e.since = now;
            }
            let after = (e.state, e.queued, e.held, e.name.clone(), e.detail.clone());
            (before != after).then(|| Change::Printer {
                printer_id: p.id,
                state: e.state.as_str().to_string(),
                queued: e.queued,
            })
        };
        if let Some(c) = changed {
            app.publish(c);
        }
    }

    fn remove(&self, printer_id: u64) {
        self.lock().remove(&printer_id);
    }
}

/// Starts the spool for `app` and returns `shutdown` extended to stop it: the returned future
/// resolves after `shutdown` did and every worker stopped (within the stop grace), so the
/// store can be closed and reopened right after.
pub fn start(app: App, shutdown: impl Future<Output = ()>) -> impl Future<Output = ()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let task = tokio::spawn(supervise(app, stop_rx));
    async move {
        shutdown.await;
        let _ = stop_tx.send(true);
        if let Err(e) = task.await {
            tracing::error!(error = %e, "the print spool ended abnormally");
        }
    }
}

struct WorkerHandle {
    config: watch::Sender<Option<Printer>>,
    task: JoinHandle<()>,
}

async fn supervise(app: App, mut stop: watch::Receiver<bool>) {
    match service::spool::recover(&app, app.now()).await {
        Ok(ids) if !ids.is_empty() => {
            tracing::warn!(jobs = ?ids, "print jobs were cut off mid-send by a crash or power cut; printing them again marked REPRINT");
        }
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "could not check for print jobs cut off by a crash"),
    }
    let mut workers: HashMap<u64, WorkerHandle> = HashMap::new();
    // Workers of deleted printers, finishing what they were doing.
    let mut retired: Vec<(u64, JoinHandle<()>)> = Vec::new();
    loop {
        let wake = app.spool_wake.notified();
        tokio::pin!(wake);
        wake.as_mut().enable();
        match service::printing::printers(&app).await {
            Ok(list) => reconcile(&app, &mut workers, &mut retired, list, &stop),
            Err(e) => tracing::warn!(error = %e, "the print spool could not read the printers"),
        }
        tokio::select! {
            _ = &mut wake => {}
            _ = tokio::time::sleep(app.config.print.probe_every) => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            break;
        }
    }
    // Idle workers stop at once; one mid-send gets the grace, then is cut off.
    let deadline = tokio::time::Instant::now() + app.config.print.stop_grace;
    let all = workers
        .into_iter()
        .map(|(id, w)| (id, w.task))
        .chain(retired);
    for (id, mut task) in all {
        if tokio::time::timeout_at(deadline, &mut task).await.is_err() {
            tracing::warn!(
                PRINTER_ID = id,
                "a print job was still being sent at shutdown; it will print again marked REPRINT"
            );
            task.abort();
            let _ = task.await;
        }
    }
}

/// One worker per printer in the store; a deleted printer's worker is told to stop, a dead
/// worker (a panic) is logged and replaced.
fn reconcile(
    app: &App,
    workers: &mut HashMap<u64, WorkerHandle>,
    retired: &mut Vec<(u64, JoinHandle<()>)>,
    printers: Vec<Printer>,
    stop: &watch::Receiver<bool>,
) {
    for p in &printers {
        if let Some(w) = workers.get(&p.id)
            && !w.task.is_finished()
        {
            w.config.send_if_modified(|c| {
                let changed = c.as_ref() != Some(p);
                if changed {
                    *c = Some(p.clone());
                }
                changed
            });
            continue;
        }
        if workers.contains_key(&p.id) {
            tracing::error!(
                PRINTER_ID = p.id,
                "a printer worker stopped unexpectedly; restarting it"
            );
        }
        let (tx, rx) = watch::channel(Some(p.clone()));
        let task = tokio::spawn(super::worker::run(app.clone(), p.id, rx, stop.clone()));
        workers.insert(p.id, WorkerHandle { config: tx, task });
    }
    let gone: Vec<u64> = workers
        .keys()
        .filter(|id| !printers.iter().any(|p| p.id == **id))
        .copied()
        .collect();
    for id in gone {
        if let Some(w) = workers.remove(&id) {
            w.config.send_replace(None);
            retired.push((id, w.task));
        }
        app.spool.remove(id);
    }
    retired.retain(|(id, t)| {
        if t.is_finished() {
            // A step it was finishing may have put the printer back on the board.
            app.spool.remove(*id);
        }
        !t.is_finished()
    });
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::auth::PinHasher;
    use crate::clock::{ManualClock, SeededRandom};
    use crate::config::Config;
    use crate::store::Store;

    fn printer() -> Printer {
        Printer {
            id: 1,
            name: "Kitchen".into(),
            host: "127.0.0.1".into(),
            port: 9100,
            code_page: "cp737".into(),
            esc_t: 14,
            columns: 48,
            active: true,
            backup_printer_id: None,
        }
    }

    #[test]
    fn the_most_pressing_problem_names_the_state() {
        let h = |f: fn(&mut PrinterHealth)| {
            let mut h = PrinterHealth::READY;
            f(&mut h);
            PrinterState::from_health(&h)
        };
        assert_eq!(h(|_| {}), PrinterState::Ok);
        assert_eq!(h(|h| h.paper_near_end = true), PrinterState::PaperLow);
        assert_eq!(
            h(|h| {
                h.paper_out = true;
                h.cover_open = true;
                h.online = false;
            }),
            PrinterState::PaperOut
        );
        assert_eq!(h(|h| h.cover_open = true), PrinterState::CoverOpen);
        assert_eq!(h(|h| h.online = false), PrinterState::Offline);
        let refused = SendError::Connect {
            timed_out: false,
            detail: "refused".into(),
        };
        assert_eq!(
            PrinterState::from_send_error(&refused),
            PrinterState::Offline
        );
        assert!(PrinterState::PaperLow.is_up() && !PrinterState::Unknown.is_up());
    }

    /// A phone hears about a printer when what it shows changes, and only then.
    #[tokio::test]
    async fn board_changes_are_published_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let app = App::new(
            Config::for_dir(dir.path()),
            store,
            Arc::new(ManualClock::new("2026-11-21T18:00:00Z".parse().unwrap())),
            Arc::new(SeededRandom::new(1)),
            PinHasher::fast_for_tests(),
        );
        let (mut rx, _) = app.events.subscribe(None);
        let p = printer();
        let paper_out = |s: &mut PrinterLive| {
            s.state = PrinterState::PaperOut;
            s.detail = "paper out".into();
            s.queued = 3;
        };
        app.spool.update(&app, &p, paper_out);
        let ev = rx.try_recv().unwrap();
        assert_eq!(
            ev.change,
            Change::Printer {
                printer_id: 1,
                state: "paper_out".into(),
                queued: 3
            }
        );
        app.spool.update(&app, &p, paper_out);
        assert!(rx.try_recv().is_err(), "nothing changed, nothing published");
        let live = app.spool.get(1).unwrap();
        assert_eq!((live.name.as_str(), live.queued), ("Kitchen", 3));
    }
}
