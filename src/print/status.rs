//! ESC/POS real-time status: the `DLE EOT n` requests and the parsing of their one-byte replies
//! into a [`PrinterHealth`] a phone can show ("Kitchen: paper out").
//!
//! Invariant: a reply byte is only trusted when its fixed bits match Epson's pattern (bit 1 and
//! bit 4 set, bits 0 and 7 clear, so an "all good" reply is 0x12 for every n); anything else is a
//! [`BadStatusByte`], never a guess and never a panic.
//!
//! Bit meanings (Epson ESC/POS reference, `DLE EOT`):
//! - n=1 printer: bit 2 drawer pin 3 high, bit 3 offline, bit 5 waiting for online recovery,
//!   bit 6 paper feed button pressed.
//! - n=2 offline cause: bit 2 cover open, bit 3 paper being fed by the feed button, bit 5
//!   printing stopped by paper end, bit 6 error occurred.
//! - n=3 error cause: bit 2 recoverable error, bit 3 autocutter error, bit 5 unrecoverable error,
//!   bit 6 auto-recoverable error (e.g. head temperature).
//! - n=4 roll paper sensor: bits 2-3 near end, bits 5-6 paper end (both bits of a pair are set
//!   together by Epson; some clones set one, so either counts).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Data link escape + end of transmission: the real-time status request prefix.
pub const DLE_EOT: [u8; 2] = [0x10, 0x04];

const FIXED_MASK: u8 = 0b1001_0011;
const FIXED_VALUE: u8 = 0b0001_0010;

/// Which real-time status to ask for (`DLE EOT n`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusRequest {
    /// n=1: online/offline, drawer, feed button.
    Printer,
    /// n=2: why the printer is offline.
    OfflineCause,
    /// n=3: which error occurred.
    ErrorCause,
    /// n=4: paper roll near end / end.
    RollPaper,
}

impl StatusRequest {
    /// The `n` of `DLE EOT n`.
    pub fn n(self) -> u8 {
        match self {
            StatusRequest::Printer => 1,
            StatusRequest::OfflineCause => 2,
            StatusRequest::ErrorCause => 3,
            StatusRequest::RollPaper => 4,
        }
    }

    /// The request for `n`, if it is one of the four.
    pub fn from_n(n: u8) -> Option<StatusRequest> {
        match n {
            1 => Some(StatusRequest::Printer),
            2 => Some(StatusRequest::OfflineCause),
            3 => Some(StatusRequest::ErrorCause),
            4 => Some(StatusRequest::RollPaper),
            _ => None,
        }
    }

    /// The three bytes to send.
    pub fn command(self) -> [u8; 3] {
        [DLE_EOT[0], DLE_EOT[1], self.n()]
    }
}

/// A reply byte that is not a real-time status byte (wrong fixed bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadStatusByte {
    /// What was asked.
    pub request: StatusRequest,
    /// What came back.
    pub byte: u8,
}

impl fmt::Display for BadStatusByte {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "reply {:#04x} to DLE EOT {} is not an ESC/POS status byte",
            self.byte,
            self.request.n()
        )
    }
}

impl std::error::Error for BadStatusByte {}

fn checked(request: StatusRequest, byte: u8) -> Result<u8, BadStatusByte> {
    if byte & FIXED_MASK == FIXED_VALUE {
        Ok(byte)
    } else {
        Err(BadStatusByte { request, byte })
    }
}

fn bit(byte: u8, n: u8) -> bool {
    byte & (1 << n) != 0
}

/// Reply to `DLE EOT 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PrinterStatus {
    pub drawer_pin3_high: bool,
    pub offline: bool,
    pub waiting_for_recovery: bool,
    pub feed_button_pressed: bool,
}

impl PrinterStatus {
    pub fn parse(byte: u8) -> Result<Self, BadStatusByte> {
        let b = checked(StatusRequest::Printer, byte)?;
        Ok(PrinterStatus {
            drawer_pin3_high: bit(b, 2),
            offline: bit(b, 3),
            waiting_for_recovery: bit(b, 5),
            feed_button_pressed: bit(b, 6),
        })
    }
}

/// Reply to `DLE EOT 2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OfflineCause {
    pub cover_open: bool,
    pub feed_button_feeding: bool,
    pub paper_end_stop: bool,
    pub error: bool,
}

impl OfflineCause {
    pub fn parse(byte: u8) -> Result<Self, BadStatusByte> {
        let b = checked(StatusRequest::OfflineCause, byte)?;
        Ok(OfflineCause {
            cover_open: bit(b, 2),
            feed_button_feeding: bit(b, 3),
            paper_end_stop: bit(b, 5),
            error: bit(b, 6),
        })
    }
}

/// Reply to `DLE EOT 3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ErrorCause {
    pub recoverable: bool,
    pub autocutter: bool,
    pub unrecoverable: bool,
    pub auto_recoverable: bool,
}

impl ErrorCause {
    pub fn parse(byte: u8) -> Result<Self, BadStatusByte> {
        let b = checked(StatusRequest::ErrorCause, byte)?;
        Ok(ErrorCause {
            recoverable: bit(b, 2),
            autocutter: bit(b, 3),
            unrecoverable: bit(b, 5),
            auto_recoverable: bit(b, 6),
        })
    }

    /// Short words for the most serious cause present.
    pub fn words(&self) -> &'static str {
        if self.unrecoverable {
            "printer fault (needs service)"
        } else if self.autocutter {
            "cutter jammed"
        } else if self.auto_recoverable {
            "overheated, cooling down"
        } else {
            "error"
        }
    }
}

/// Reply to `DLE EOT 4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RollPaper {
    pub near_end: bool,
    pub end: bool,
}

impl RollPaper {
    pub fn parse(byte: u8) -> Result<Self, BadStatusByte> {
        let b = checked(StatusRequest::RollPaper, byte)?;
        Ok(RollPaper {
            near_end: b & 0b0000_1100 != 0,
            end: b & 0b0110_0000 != 0,
        })
    }
}

/// What the spool and the phones need to know about a printer, from its status replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrinterHealth {
    pub online: bool,
    pub cover_open: bool,
    pub paper_out: bool,
    /// A warning only: the printer still prints.
    pub paper_near_end: bool,
    pub error: bool,
    /// Details of `error` when the printer was asked (`DLE EOT 3`).
    pub error_cause: Option<ErrorCause>,
}

impl PrinterHealth {
    /// A healthy printer (all replies 0x12).
    pub const READY: PrinterHealth = PrinterHealth {
        online: true,
        cover_open: false,
        paper_out: false,
        paper_near_end: false,
        error: false,
        error_cause: None,
    };

    /// Combines the replies to `DLE EOT 1, 2, 4` (and 3 when asked).
    pub fn from_replies(
        printer: PrinterStatus,
        offline: OfflineCause,
        paper: RollPaper,
        error_cause: Option<ErrorCause>,
    ) -> Self {
        PrinterHealth {
            online: !printer.offline,
            cover_open: offline.cover_open,
            paper_out: paper.end || offline.paper_end_stop,
            paper_near_end: paper.near_end,
            error: offline.error,
            error_cause,
        }
    }

    /// True when a job may be sent: online, cover closed, paper present, no error.
    pub fn is_ready(&self) -> bool {
        self.online && !self.cover_open && !self.paper_out && !self.error
    }

    /// What stops the printer, in words for a phone; empty when ready.
    pub fn problems(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.paper_out {
            out.push("paper out");
        }
        if self.cover_open {
            out.push("cover open");
        }
        if self.error {
            out.push(self.error_cause.map_or("error", |c| c.words()));
        }
        if !self.online && out.is_empty() {
            out.push("offline");
        }
        out
    }

    /// One line for a phone: "ready", "ready, paper low", "paper out, cover open".
    pub fn summary(&self) -> String {
        let mut words = self.problems();
        if words.is_empty() {
            words.push("ready");
        }
        if self.paper_near_end && !self.paper_out {
            words.push("paper low");
        }
        words.join(", ")
    }
}

impl fmt::Display for PrinterHealth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn health(n1: u8, n2: u8, n4: u8) -> PrinterHealth {
        PrinterHealth::from_replies(
            PrinterStatus::parse(n1).unwrap(),
            OfflineCause::parse(n2).unwrap(),
            RollPaper::parse(n4).unwrap(),
            None,
        )
    }

    #[test]
    fn all_good_is_0x12_everywhere() {
        let h = health(0x12, 0x12, 0x12);
        assert_eq!(h, PrinterHealth::READY);
        assert!(h.is_ready());
        assert_eq!(h.summary(), "ready");
        assert_eq!(ErrorCause::parse(0x12).unwrap(), ErrorCause::default());
    }

    #[test]
    fn drawer_pin_does_not_matter() {
        let status = PrinterStatus::parse(0x16).unwrap();
        assert!(status.drawer_pin3_high && !status.offline);
        assert!(health(0x16, 0x12, 0x12).is_ready());
    }

    #[test]
    fn cover_open() {
        // Offline (bit 3) because the cover is open (n=2 bit 2).
        let h = health(0x1A, 0x16, 0x12);
        assert!(!h.online && h.cover_open && !h.is_ready());
        assert_eq!(h.problems(), vec!["cover open"]);
    }

    #[test]
    fn paper_out() {
        // n=2 bit 5 (stopped by paper end), n=4 bits 2,3,5,6 (near end and end).
        let h = health(0x1A, 0x32, 0x7E);
        assert!(h.paper_out && h.paper_near_end && !h.online && !h.is_ready());
        assert_eq!(h.summary(), "paper out");
        // A clone that sets only one bit of each pair.
        let h = health(0x1A, 0x12, 0x32);
        assert!(h.paper_out);
    }

    #[test]
    fn paper_near_end_is_only_a_warning() {
        let h = health(0x12, 0x12, 0x1E);
        assert!(h.paper_near_end && h.is_ready());
        assert_eq!(h.summary(), "ready, paper low");
    }

    #[test]
    fn offline_without_a_named_cause() {
        let h = health(0x1A, 0x12, 0x12);
        assert!(!h.is_ready());
        assert_eq!(h.problems(), vec!["offline"]);
        let feeding = OfflineCause::parse(0x1A).unwrap();
        assert!(feeding.feed_button_feeding && !feeding.cover_open);
    }

    #[test]
    fn error_with_and_without_cause() {
        let h = health(0x1A, 0x52, 0x12);
        assert!(h.error && !h.is_ready());
        assert_eq!(h.summary(), "error");
        let cause = ErrorCause::parse(0x1A).unwrap();
        assert!(cause.autocutter && !cause.unrecoverable);
        let h = PrinterHealth {
            error_cause: Some(cause),
            ..h
        };
        assert_eq!(h.summary(), "cutter jammed");
        assert_eq!(
            ErrorCause::parse(0x32).unwrap().words(),
            "printer fault (needs service)"
        );
        assert_eq!(
            ErrorCause::parse(0x52).unwrap().words(),
            "overheated, cooling down"
        );
    }

    #[test]
    fn several_problems_at_once() {
        let h = health(0x1A, 0x76, 0x72);
        assert_eq!(h.summary(), "paper out, cover open, error");
    }

    #[test]
    fn garbage_is_rejected() {
        for byte in [0x00, 0xFF, 0x13, 0x11, 0x92, b'?', 0x10] {
            let err = PrinterStatus::parse(byte).unwrap_err();
            assert_eq!(err.byte, byte);
            assert!(RollPaper::parse(byte).is_err());
        }
        let err = OfflineCause::parse(0x00).unwrap_err();
        assert_eq!(
            err.to_string(),
            "reply 0x00 to DLE EOT 2 is not an ESC/POS status byte"
        );
    }

    #[test]
    fn request_bytes() {
        assert_eq!(StatusRequest::Printer.command(), [0x10, 0x04, 0x01]);
        assert_eq!(StatusRequest::RollPaper.command(), [0x10, 0x04, 0x04]);
        for n in 1..=4 {
            assert_eq!(StatusRequest::from_n(n).map(StatusRequest::n), Some(n));
        }
        assert_eq!(StatusRequest::from_n(5), None);
    }
}
