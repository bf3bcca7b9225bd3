//! One printer's worker: sends that printer's queue strictly in order, retries failures with
//! exponential backoff, holds stale jobs, fails over to the zone's backup printer, and keeps
//! the printer's live state true (idle printers are probed).
//!
//! Invariants: a job is marked `Sending` durably before the printer is contacted and `Done`
//! only after the printer took every byte and then reported itself healthy; every attempt is
//! logged; a retry after a failure that may have put paper out is marked REPRINT. The worker
//! owns no state that matters after a crash: the store has it all.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::watch;
use tokio::time::Instant;

use super::compose::{self, Context};
use super::render::render;
use super::spool::PrinterState;
use super::transport::{self, SendError, Timeouts};
use crate::app::App;
use crate::domain::printers::{PrintJob, Printer, REPRINT_CONNECTION_LOST};
use crate::service::spool::{self as steps, Outcome};

/// Exponential backoff: `first`, doubling, capped at `max`.
#[derive(Debug, Clone)]
pub struct Backoff {
    first: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    pub fn new(first: Duration, max: Duration) -> Backoff {
        Backoff {
            first,
            max: max.max(first),
            next: first,
        }
    }

    /// The wait before the next retry; each call doubles the following one.
    pub fn next_wait(&mut self) -> Duration {
        let d = self.next;
        self.next = (self.next * 2).min(self.max);
        d
    }

    pub fn reset(&mut self) {
        self.next = self.first;
    }
}

/// The printer's deadlines from the config.
pub fn timeouts(app: &App) -> Timeouts {
    let t = &app.config.print;
    Timeouts {
        connect: t.connect_timeout,
        status: t.status_timeout,
        write: t.write_timeout,
    }
}

/// The printer's address: an IP literal directly, a host name through the resolver (bounded by
/// the connect timeout). Failure is a connect failure: nothing was sent.
pub async fn address(host: &str, port: u16, t: &Timeouts) -> Result<SocketAddr, SendError> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    match tokio::time::timeout(t.connect, tokio::net::lookup_host((host, port))).await {
        Err(_) => Err(SendError::Connect {
            timed_out: true,
            detail: format!("no answer resolving {host}"),
        }),
        Ok(Err(e)) => Err(SendError::Connect {
            timed_out: false,
            detail: format!("cannot resolve {host}: {e}"),
        }),
        Ok(Ok(mut addrs)) => addrs.next().ok_or_else(|| SendError::Connect {
            timed_out: false,
            detail: format!("{host} has no address"),
        }),
    }
}

/// Time from `since` to `now`, zero if the clock went back.
fn elapsed(since: Timestamp, now: Timestamp) -> Duration {
    let d = now.duration_since(since);
    if d.is_negative() {
        Duration::ZERO
    } else {
        d.unsigned_abs()
    }
}

/// What to do after one step of the loop.
enum Then {
    /// Look at the queue again at once.
    Continue,
    /// Wait for new jobs, a settings change, or the next probe.
    Idle(Instant),
    /// Wait before retrying (settings changes cut it short; new jobs do not).
    Retry(Duration),
}

struct Worker {
    app: App,
    id: u64,
    backoff: Backoff,
    /// Since when (app clock) the printer has failed every attempt and probe.
    down_since: Option<Timestamp>,
    next_probe: Instant,
}

/// Runs the worker for printer `id` until the printer is deleted (`None` in `config`) or the
/// spool stops.
pub async fn run(
    app: App,
    id: u64,
    mut config: watch::Receiver<Option<Printer>>,
    mut stop: watch::Receiver<bool>,
) {
    let t = &app.config.print;
    let mut w = Worker {
        backoff: Backoff::new(t.retry_first, t.retry_max),
        app: app.clone(),
        id,
        down_since: None,
        next_probe: Instant::now(),
    };
    loop {
        if *stop.borrow() {
            return;
        }
        let Some(printer) = config.borrow_and_update().clone() else {
            return;
        };
        let wake = app.spool_wake.notified();
        tokio::pin!(wake);
        wake.as_mut().enable();
        let then = w.step(&printer).await;
        let changed = match then {
            Then::Continue => continue,
            Then::Idle(until) => tokio::select! {
                _ = &mut wake => false,
                _ = tokio::time::sleep_until(until) => false,
                r = config.changed() => { if r.is_err() { return; } true }
                _ = stop.changed() => return,
            },
            Then::Retry(d) => tokio::select! {
                _ = tokio::time::sleep(d) => false,
                r = config.changed() => { if r.is_err() { return; } true }
                _ = stop.changed() => return,
            },
        };
        if changed {
            // New address or settings: ask the printer now, retry without waiting.
            w.backoff.reset();
            w.next_probe = Instant::now();
        }
    }
}

impl Worker {
    async fn step(&mut self, printer: &Printer) -> Then {
        let app = self.app.clone();
        let next = match steps::next(&app, self.id).await {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(PRINTER_ID = self.id, error = %e, "cannot read the print queue");
                return Then::Retry(self.backoff.next_wait());
            }
        };
        app.spool.update(&app, printer, |s| {
            s.queued = next.queued;
            s.held = next.held;
        });
        if !printer.active {
            app.spool.update(&app, printer, |s| {
                s.state = PrinterState::Inactive;
                s.detail = "switched off in the printer settings".into();
            });
            return Then::Idle(Instant::now() + app.config.print.probe_every);
        }
        let Some(job) = next.job else {
            if Instant::now() >= self.next_probe {
                self.probe(printer).await;
                self.next_probe = Instant::now() + app.config.print.probe_every;
            }
            return Then::Idle(self.next_probe);
        };
        let now = app.now();
        if job.overdue(now, app.config.hold_after) {
            match steps::hold(&app, job.id).await {
                Ok(true) => {
                    tracing::warn!(
                        JOB_ID = job.id,
                        PRINTER_ID = self.id,
                        "print job waited too long; held for a manager"
                    );
                    return Then::Continue;
                }
                Ok(false) => return Then::Continue,
                Err(e) => {
                    tracing::error!(JOB_ID = job.id, error = %e, "cannot hold a print job");
                    return Then::Retry(self.backoff.next_wait());
                }
            }
        }
        if let Some(backup) = self.failover_target(printer, now) {
            // Confirm the printer is still down before moving its tickets away.
            if !self.probe(printer).await {
                match steps::failover(&app, self.id, backup).await {
                    Ok(moved) => {
                        tracing::warn!(
                            PRINTER_ID = self.id,
                            BACKUP_ID = backup,
                            moved,
                            "printer down too long; its tickets go to the backup printer"
                        );
                        app.spool_wake.notify_waiters();
                        return Then::Continue;
                    }
                    Err(e) => {
                        tracing::error!(PRINTER_ID = self.id, error = %e, "failover failed")
                    }
                }
            }
        }
        self.attempt(printer, &job).await
    }

    /// The zone's backup, when this printer has been down longer than the failover delay and
    /// the backup is up.
    fn failover_target(&self, printer: &Printer, now: Timestamp) -> Option<u64> {
        let backup = printer.backup_printer_id?;
        let since = self.down_since?;
        if elapsed(since, now) < self.app.config.failover_after {
            return None;
        }
        self.app
            .spool
            .get(backup)
            .filter(|b| b.state.is_up())
            .map(|_| backup)
    }

    /// One send of the head job.
    async fn attempt(&mut self, printer: &Printer, job: &PrintJob) -> Then {
        let app = self.app.clone();
        let claimed = match steps::claim(&app, self.id, job.id).await {
            Ok(Some(c)) => c,
            Ok(None) => return Then::Continue,
            Err(e) => {
                tracing::error!(JOB_ID = job.id, error = %e, "cannot mark a print job as sending");
                return Then::Retry(self.backoff.next_wait());
            }
        };
        let cfg = &app.config;
        let ticket = compose::ticket(
            &claimed.job,
            &Context {
                printer,
                zone_name: &claimed.zone_name,
                tz: &cfg.tz,
                restaurant: &cfg.restaurant_name,
                currency: &cfg.currency,
                whole_order: claimed.whole_order,
            },
        );
        let bytes = render(&ticket, &compose::profile(printer));
        let t = timeouts(&app);
        let sent = match address(&printer.host, printer.port, &t).await {
            Ok(addr) => transport::send_job(addr, &bytes, &t).await,
            Err(e) => Err(e),
        };
        let now = app.now();
        let (outcome, then) = match &sent {
            Ok(health) => {
                let state = PrinterState::from_health(health);
                app.spool.update(&app, printer, |s| {
                    s.state = state;
                    s.detail = health.summary();
                    s.checked_at = Some(now);
                });
                if self.down_since.take().is_some() {
                    tracing::info!(PRINTER_ID = self.id, "printer is printing again");
                }
                self.backoff.reset();
                self.next_probe = Instant::now() + cfg.print.probe_every;
                tracing::info!(
                    JOB_ID = job.id,
                    PRINTER_ID = self.id,
                    kind = job.kind.as_str(),
                    "ticket printed"
                );
                (Outcome::Printed, Then::Continue)
            }
            Err(e) => {
                let state = PrinterState::from_send_error(e);
                let error = e.to_string();
                // Warn when the printer goes down; repeats of the same outage are debug.
                if self.down_since.is_none() {
                    tracing::warn!(JOB_ID = job.id, PRINTER_ID = self.id, error = %error, "print attempt failed; will retry");
                } else {
                    tracing::debug!(JOB_ID = job.id, PRINTER_ID = self.id, error = %error, "print attempt failed again");
                }
                app.spool.update(&app, printer, |s| {
                    s.state = state;
                    s.detail = e
                        .health()
                        .map(|h| h.summary())
                        .unwrap_or_else(|| error.clone());
                    s.last_error = Some(error.clone());
                    s.checked_at = Some(now);
                });
                self.down_since.get_or_insert(now);
                let reprint = e.may_have_printed().then_some(REPRINT_CONNECTION_LOST);
                (
                    Outcome::Failed { error, reprint },
                    Then::Retry(self.backoff.next_wait()),
                )
            }
        };
        if let Err(e) = steps::finish(&app, job.id, outcome).await {
            // The job stays `Sending`; the next look at the queue prints it again, marked.
            tracing::error!(JOB_ID = job.id, error = %e, printed = sent.is_ok(), "cannot record a print attempt");
            return Then::Retry(self.backoff.next_wait());
        }
        then
    }

    /// Asks the printer's status and puts it on the board. True when it is ready to print.
    async fn probe(&mut self, printer: &Printer) -> bool {
        let app = self.app.clone();
        let t = timeouts(&app);
        let res = match address(&printer.host, printer.port, &t).await {
            Ok(addr) => transport::probe(addr, &t).await,
            Err(e) => Err(e),
        };
        let now = app.now();
        let ready = matches!(&res, Ok(h) if h.is_ready());
        if ready {
            if self.down_since.take().is_some() {
                tracing::info!(PRINTER_ID = self.id, "printer is ready again");
            }
        } else if self.down_since.is_none() {
            self.down_since = Some(now);
            let why = match &res {
                Ok(h) => h.summary(),
                Err(e) => e.to_string(),
            };
            tracing::warn!(PRINTER_ID = self.id, problem = %why, "printer is not ready");
        }
        app.spool.update(&app, printer, |s| {
            s.checked_at = Some(now);
            match &res {
                Ok(h) => {
                    s.state = PrinterState::from_health(h);
                    s.detail = h.summary();
                }
                Err(e) => {
                    s.state = PrinterState::Offline;
                    s.detail = e.to_string();
                    s.last_error = Some(e.to_string());
                }
            }
        });
        ready
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_its_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
        let waits: Vec<u64> = (0..7).map(|_| b.next_wait().as_secs()).collect();
        assert_eq!(waits, vec![1, 2, 4, 8, 16, 30, 30]);
        b.reset();
        assert_eq!(b.next_wait(), Duration::from_secs(1));
    }

    #[test]
    fn elapsed_never_goes_negative() {
        let a: Timestamp = "2026-11-21T18:00:00Z".parse().unwrap();
        let b: Timestamp = "2026-11-21T18:01:00Z".parse().unwrap();
        assert_eq!(elapsed(a, b), Duration::from_secs(60));
        assert_eq!(elapsed(b, a), Duration::ZERO);
    }

    #[tokio::test]
    async fn ip_literals_need_no_resolver() {
        let t = Timeouts::default();
        assert_eq!(
            address("127.0.0.1", 9100, &t).await.unwrap(),
            "127.0.0.1:9100".parse().unwrap()
        );
        assert_eq!(
            address("::1", 9100, &t).await.unwrap(),
            "[::1]:9100".parse().unwrap()
        );
    }
}
