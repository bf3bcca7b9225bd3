//! TCP transport to ESC/POS network printers (raw port 9100): status probes and job delivery.
//!
//! Invariant: every network step has a deadline (connect, each status round trip, each write
//! that makes no progress), so a dead or stalled printer costs at most a bounded time and never
//! blocks forever; and every failure says whether ticket bytes may have reached the printer
//! ([`SendError::may_have_printed`]), which the spool needs to decide on a REPRINT mark.
//!
//! A job is confirmed when the printer answered `DLE EOT` after the last job byte: TCP keeps
//! order, so that reply proves the printer read the whole job, and its content says it is still
//! healthy.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::status::{
    BadStatusByte, ErrorCause, OfflineCause, PrinterHealth, PrinterStatus, RollPaper, StatusRequest,
};

/// Deadlines for talking to a printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP connect.
    pub connect: Duration,
    /// One status round trip (`DLE EOT n` out, one byte back).
    pub status: Duration,
    /// One write call that makes no progress (a printer that stopped reading).
    pub write: Duration,
}

impl Default for Timeouts {
    /// LAN values: a printer that needs longer than this is treated as down and retried.
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(3),
            status: Duration::from_secs(2),
            write: Duration::from_secs(5),
        }
    }
}

/// Why a status round trip failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusFailure {
    /// No reply within [`Timeouts::status`].
    Timeout,
    /// The printer closed the connection.
    Closed,
    /// A socket error.
    Io(String),
    /// A reply that is not a status byte.
    Bad(BadStatusByte),
}

impl fmt::Display for StatusFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatusFailure::Timeout => f.write_str("no reply in time"),
            StatusFailure::Closed => f.write_str("connection closed by the printer"),
            StatusFailure::Io(e) => write!(f, "{e}"),
            StatusFailure::Bad(b) => write!(f, "{b}"),
        }
    }
}

/// What went wrong after job bytes started to leave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unconfirmed {
    /// A write made no progress within [`Timeouts::write`]: the printer stopped reading.
    WriteTimeout,
    /// A write failed (connection reset or closed mid-job).
    WriteFailed(String),
    /// The status check after the job failed.
    Status {
        request: StatusRequest,
        failure: StatusFailure,
    },
    /// The printer took the job but then reported a problem (e.g. paper ran out mid-ticket).
    NotReadyAfter(PrinterHealth),
}

impl fmt::Display for Unconfirmed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unconfirmed::WriteTimeout => f.write_str("printer stopped taking data"),
            Unconfirmed::WriteFailed(e) => write!(f, "write failed: {e}"),
            Unconfirmed::Status { request, failure } => write!(
                f,
                "status check after the job (DLE EOT {}) failed: {failure}",
                request.n()
            ),
            Unconfirmed::NotReadyAfter(h) => write!(f, "printer reports {h} after the job"),
        }
    }
}

/// Why a job was not confirmed printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// No TCP connection; nothing was sent.
    Connect { timed_out: bool, detail: String },
    /// A status check before the job failed; nothing was sent.
    Status {
        request: StatusRequest,
        failure: StatusFailure,
    },
    /// The printer reported a problem before the job; nothing was sent.
    NotReady(PrinterHealth),
    /// Job bytes left (`written` of `total`) but delivery could not be confirmed: the ticket
    /// may have printed, fully or in part.
    Unconfirmed {
        written: usize,
        total: usize,
        reason: Unconfirmed,
    },
}

impl SendError {
    /// True when some of the ticket may be on paper, so a retry must be marked REPRINT.
    pub fn may_have_printed(&self) -> bool {
        matches!(self, SendError::Unconfirmed { written, .. } if *written > 0)
    }

    /// The printer's health, when the failure came with one.
    pub fn health(&self) -> Option<PrinterHealth> {
        match self {
            SendError::NotReady(h)
            | SendError::Unconfirmed {
                reason: Unconfirmed::NotReadyAfter(h),
                ..
            } => Some(*h),
            _ => None,
        }
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Connect {
                timed_out: true, ..
            } => f.write_str("printer did not accept a connection in time; nothing was sent"),
            SendError::Connect { detail, .. } => {
                write!(f, "cannot connect to printer: {detail}; nothing was sent")
            }
            SendError::Status { request, failure } => write!(
                f,
                "printer status (DLE EOT {}) failed: {failure}; nothing was sent",
                request.n()
            ),
            SendError::NotReady(h) => write!(f, "printer not ready: {h}; nothing was sent"),
            SendError::Unconfirmed {
                written,
                total,
                reason,
            } => {
                if *written > 0 {
                    write!(
                        f,
                        "ticket may have printed (sent {written} of {total} bytes): {reason}"
                    )
                } else {
                    write!(f, "nothing was sent: {reason}")
                }
            }
        }
    }
}

impl std::error::Error for SendError {}

/// Connects, checks the printer is ready, writes `payload`, and confirms with a second status
/// check. Ok carries the health reported after the job.
pub async fn send_job(
    addr: SocketAddr,
    payload: &[u8],
    t: &Timeouts,
) -> Result<PrinterHealth, SendError> {
    let mut stream = connect(addr, t).await?;
    let before = query_health(&mut stream, t)
        .await
        .map_err(|(request, failure)| SendError::Status { request, failure })?;
    if !before.is_ready() {
        return Err(SendError::NotReady(before));
    }
    let total = payload.len();
    let unconfirmed = |written: usize, reason: Unconfirmed| SendError::Unconfirmed {
        written,
        total,
        reason,
    };
    let mut written = 0;
    while written < total {
        match timeout(t.write, stream.write(&payload[written..])).await {
            Err(_elapsed) => return Err(unconfirmed(written, Unconfirmed::WriteTimeout)),
            Ok(Err(e)) => {
                return Err(unconfirmed(
                    written,
                    Unconfirmed::WriteFailed(e.to_string()),
                ));
            }
            Ok(Ok(0)) => {
                let reason = Unconfirmed::WriteFailed("connection closed".to_owned());
                return Err(unconfirmed(written, reason));
            }
            Ok(Ok(n)) => written += n,
        }
    }
    let after = query_health(&mut stream, t)
        .await
        .map_err(|(request, failure)| {
            unconfirmed(written, Unconfirmed::Status { request, failure })
        })?;
    if !after.is_ready() {
        return Err(unconfirmed(written, Unconfirmed::NotReadyAfter(after)));
    }
    Ok(after)
}

/// Status-only poll: connects and asks `DLE EOT 1, 2, 4` (and 3 on error). A printer that is
/// reachable but not ready is `Ok` with its problems; only an unreachable or mute one is `Err`.
pub async fn probe(addr: SocketAddr, t: &Timeouts) -> Result<PrinterHealth, SendError> {
    let mut stream = connect(addr, t).await?;
    query_health(&mut stream, t)
        .await
        .map_err(|(request, failure)| SendError::Status { request, failure })
}

async fn connect(addr: SocketAddr, t: &Timeouts) -> Result<TcpStream, SendError> {
    let stream = match timeout(t.connect, TcpStream::connect(addr)).await {
        Err(_elapsed) => {
            return Err(SendError::Connect {
                timed_out: true,
                detail: format!("no answer from {addr}"),
            });
        }
        Ok(Err(e)) => {
            return Err(SendError::Connect {
                timed_out: false,
                detail: format!("{addr}: {e}"),
            });
        }
        Ok(Ok(s)) => s,
    };
    // Status requests are 3 bytes and wait for a reply: do not let Nagle hold them back.
    // Failing to set it only costs latency, so it is not an error.
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// Asks `DLE EOT 1, 2, 4`, and `3` when the printer reports an error.
pub async fn query_health<S>(
    stream: &mut S,
    t: &Timeouts,
) -> Result<PrinterHealth, (StatusRequest, StatusFailure)>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let printer = ask(stream, StatusRequest::Printer, t, PrinterStatus::parse).await?;
    let offline = ask(stream, StatusRequest::OfflineCause, t, OfflineCause::parse).await?;
    let paper = ask(stream, StatusRequest::RollPaper, t, RollPaper::parse).await?;
    let error_cause = if offline.error {
        Some(ask(stream, StatusRequest::ErrorCause, t, ErrorCause::parse).await?)
    } else {
        None
    };
    Ok(PrinterHealth::from_replies(
        printer,
        offline,
        paper,
        error_cause,
    ))
}

async fn ask<S, T>(
    stream: &mut S,
    request: StatusRequest,
    t: &Timeouts,
    parse: fn(u8) -> Result<T, BadStatusByte>,
) -> Result<T, (StatusRequest, StatusFailure)>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let round_trip = async {
        stream.write_all(&request.command()).await?;
        let mut reply = [0u8; 1];
        stream.read_exact(&mut reply).await?;
        Ok::<u8, io::Error>(reply[0])
    };
    let byte = match timeout(t.status, round_trip).await {
        Err(_elapsed) => return Err((request, StatusFailure::Timeout)),
        Ok(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
            return Err((request, StatusFailure::Closed));
        }
        Ok(Err(e)) => return Err((request, StatusFailure::Io(e.to_string()))),
        Ok(Ok(b)) => b,
    };
    parse(byte).map_err(|bad| (request, StatusFailure::Bad(bad)))
}

#[cfg(test)]
mod tests {
    //! Status conversations over an in-memory pipe; the TCP paths are covered by the fake
    //! printer tests in tests/it/print_transport.rs.
    use super::*;
    use tokio::io::duplex;

    fn quick() -> Timeouts {
        Timeouts {
            connect: Duration::from_millis(200),
            status: Duration::from_millis(200),
            write: Duration::from_millis(200),
        }
    }

    /// A printer side that answers each 3-byte request with the next scripted byte.
    async fn scripted(replies: Vec<u8>) -> Result<PrinterHealth, (StatusRequest, StatusFailure)> {
        let (mut ours, mut theirs) = duplex(64);
        let printer = tokio::spawn(async move {
            let mut asked = Vec::new();
            for reply in replies {
                let mut req = [0u8; 3];
                if theirs.read_exact(&mut req).await.is_err() {
                    break;
                }
                asked.push(req[2]);
                if theirs.write_all(&[reply]).await.is_err() {
                    break;
                }
            }
            // Out of script: take the next request, then hang up.
            let mut req = [0u8; 3];
            let _ = theirs.read_exact(&mut req).await;
            asked
        });
        let result = query_health(&mut ours, &quick()).await;
        drop(ours);
        let _ = printer.await;
        result
    }

    #[tokio::test]
    async fn healthy_conversation() {
        assert_eq!(
            scripted(vec![0x12, 0x12, 0x12]).await,
            Ok(PrinterHealth::READY)
        );
    }

    #[tokio::test]
    async fn error_cause_is_asked_when_an_error_is_reported() {
        let h = scripted(vec![0x1A, 0x52, 0x12, 0x1A]).await.unwrap();
        assert!(h.error);
        assert_eq!(h.summary(), "cutter jammed");
    }

    #[tokio::test]
    async fn garbage_reply_is_an_error_not_a_panic() {
        let err = scripted(vec![0x12, 0xFF]).await.unwrap_err();
        assert_eq!(err.0, StatusRequest::OfflineCause);
        assert!(matches!(
            err.1,
            StatusFailure::Bad(BadStatusByte { byte: 0xFF, .. })
        ));
    }

    #[tokio::test]
    async fn silence_times_out_and_hangup_is_closed() {
        let (mut ours, _theirs) = duplex(64);
        let err = query_health(&mut ours, &quick()).await.unwrap_err();
        assert_eq!(err, (StatusRequest::Printer, StatusFailure::Timeout));

        let err = scripted(vec![0x12]).await.unwrap_err();
        assert_eq!(err, (StatusRequest::OfflineCause, StatusFailure::Closed));
    }

    #[test]
    fn errors_say_whether_paper_may_have_been_used() {
        let nothing = SendError::NotReady(PrinterHealth {
            paper_out: true,
            ..PrinterHealth::READY
        });
        assert!(!nothing.may_have_printed());
        assert_eq!(
            nothing.to_string(),
            "printer not ready: paper out; nothing was sent"
        );
        let maybe = SendError::Unconfirmed {
            written: 120,
            total: 300,
            reason: Unconfirmed::WriteFailed("connection reset".to_owned()),
        };
        assert!(maybe.may_have_printed());
        assert_eq!(
            maybe.to_string(),
            "ticket may have printed (sent 120 of 300 bytes): write failed: connection reset"
        );
        let zero = SendError::Unconfirmed {
            written: 0,
            total: 300,
            reason: Unconfirmed::WriteTimeout,
        };
        assert!(!zero.may_have_printed());
        assert_eq!(
            zero.to_string(),
            "nothing was sent: printer stopped taking data"
        );
    }
}
