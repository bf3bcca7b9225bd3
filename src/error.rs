//! The error every request-facing operation returns.
//!
//! Domain rules, the store and auth all fail with [`Error`]: a [`Kind`] (which the HTTP layer
//! maps to a status code), a stable machine `code` clients can match on, and a sentence for
//! people. Nothing outside `http/` knows status numbers; nothing here knows JSON.

use std::fmt;

/// What class of failure this is; decides the HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Malformed request (bad JSON, bad query). 400
    BadRequest,
    /// Not logged in, or the session ended. 401
    Unauthorized,
    /// No license (or expired beyond grace). 402
    PaymentRequired,
    /// Logged in but not allowed. 403
    Forbidden,
    /// No such thing. 404
    NotFound,
    /// Wrong method on a known path. 405
    MethodNotAllowed,
    /// The state of things forbids it (already paid, table busy, order closed). 409
    Conflict,
    /// Body too large. 413
    PayloadTooLarge,
    /// Wrong content type. 415
    UnsupportedMediaType,
    /// Well-formed but invalid values. 422
    Invalid,
    /// Site locked by the vendor. 423
    Locked,
    /// Too many attempts. 429
    TooManyRequests,
    /// A bug or an unexpected failure. 500
    Internal,
    /// The data drive is gone, read-only or full. 503
    StorageUnavailable,
}

/// A failed operation: kind, stable code, human detail, and optional numeric context
/// (for example the id of the order that already occupies a table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: Kind,
    pub code: &'static str,
    pub detail: String,
    pub extra: Vec<(&'static str, i64)>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: Kind, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            kind,
            code,
            detail: detail.into(),
            extra: Vec::new(),
        }
    }

    /// Attach a number the client needs to act (an existing id, seconds to wait).
    pub fn with(mut self, key: &'static str, value: i64) -> Self {
        self.extra.push((key, value));
        self
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(Kind::BadRequest, code, detail)
    }
    pub fn invalid(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(Kind::Invalid, code, detail)
    }
    pub fn not_found(what: &str, id: impl fmt::Display) -> Self {
        Self::new(
            Kind::NotFound,
            "not_found",
            format!("{what} {id} does not exist"),
        )
    }
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(Kind::Conflict, code, detail)
    }
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(Kind::Forbidden, "forbidden", detail)
    }
    pub fn unauthorized(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(Kind::Unauthorized, code, detail)
    }
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(Kind::Internal, "internal", detail)
    }
    pub fn storage(detail: impl Into<String>) -> Self {
        Self::new(Kind::StorageUnavailable, "storage_unavailable", detail)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.detail, self.code)
    }
}

impl std::error::Error for Error {}
