//! Requests in, responses out: body limits, JSON and query decoding with clear 4xx errors,
//! the `{detail, code, timestamp}` error shape, and the response body type.

use std::convert::Infallible;
use std::net::IpAddr;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use serde::de::DeserializeOwned;

use crate::error::{Error, Kind, Result};
use crate::service::Actor;

pub type Body = BoxBody<Bytes, Infallible>;
pub type Resp = Response<Body>;

/// A parsed request as handlers see it.
pub struct Req {
    pub method: Method,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub params: Vec<(String, String)>,
    pub peer: IpAddr,
    pub actor: Option<Actor>,
    pub token: Option<String>,
    /// Becomes true when the server shuts down (long-lived responses end).
    pub stop: Option<tokio::sync::watch::Receiver<bool>>,
    body: Option<Incoming>,
    max_body: usize,
}

impl Req {
    pub fn new(parts: http::request::Parts, body: Incoming, peer: IpAddr, max_body: usize) -> Req {
        Req {
            method: parts.method,
            path: parts.uri.path().to_string(),
            query: parts.uri.query().map(str::to_string),
            headers: parts.headers,
            params: Vec::new(),
            peer,
            actor: None,
            token: None,
            stop: None,
            body: Some(body),
            max_body,
        }
    }

    /// The logged-in user (routes that require auth always have one).
    pub fn actor(&self) -> Result<&crate::service::Actor> {
        self.actor
            .as_ref()
            .ok_or_else(|| Error::unauthorized("not_logged_in", "please log in"))
    }

    /// A numeric path parameter such as `{id}`.
    pub fn id(&self, name: &str) -> Result<u64> {
        let v = self
            .params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        v.parse::<u64>()
            .map_err(|_| Error::not_found("resource", v))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The raw body, refusing anything over the limit with 413.
    pub async fn bytes(&mut self, limit: Option<usize>) -> Result<Bytes> {
        let limit = limit.unwrap_or(self.max_body);
        let too_big = || {
            Error::new(
                Kind::PayloadTooLarge,
                "body_too_large",
                format!("the request body is larger than {} KiB", limit >> 10),
            )
        };
        if let Some(len) = self
            .header("content-length")
            .and_then(|l| l.parse::<usize>().ok())
            && len > limit
        {
            return Err(too_big());
        }
        let Some(body) = self.body.take() else {
            return Ok(Bytes::new());
        };
        match Limited::new(body, limit).collect().await {
            Ok(c) => Ok(c.to_bytes()),
            Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_big()),
            Err(e) => Err(Error::bad_request(
                "body_unreadable",
                format!("could not read the request body: {e}"),
            )),
        }
    }

    /// Decode a JSON body into `T`: 415 without a JSON content type, 400 for malformed JSON,
    /// 422 for wrong types or missing fields.
    pub async fn json<T: DeserializeOwned>(&mut self) -> Result<T> {
        let ct = self
            .header("content-type")
            .unwrap_or("")
            .to_ascii_lowercase();
        if !ct.starts_with("application/json") {
            return Err(Error::new(
                Kind::UnsupportedMediaType,
                "unsupported_media_type",
                "send the body as application/json",
            ));
        }
        let b = self.bytes(None).await?;
        decode_json(&b)
    }

    /// Like `json`, but an empty body means `T::default()` (for actions with optional input).
    pub async fn json_or_default<T: DeserializeOwned + Default>(&mut self) -> Result<T> {
        let empty = self
            .header("content-length")
            .is_some_and(|l| l.trim() == "0")
            || (self.header("content-type").is_none()
                && self.header("transfer-encoding").is_none());
        if empty {
            let b = self.bytes(None).await?;
            if b.iter().all(u8::is_ascii_whitespace) {
                return Ok(T::default());
            }
            return decode_json(&b);
        }
        self.json().await
    }

    /// Decode the query string into `T` (400 on bad values).
    pub fn query<T: DeserializeOwned>(&self) -> Result<T> {
        serde_urlencoded::from_str(self.query.as_deref().unwrap_or(""))
            .map_err(|e| Error::bad_request("bad_query", format!("bad query parameter: {e}")))
    }
}

pub fn decode_json<T: DeserializeOwned>(b: &[u8]) -> Result<T> {
    serde_json::from_slice(b).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => Error::invalid("invalid_field", e.to_string()),
        _ => Error::bad_request("malformed_json", format!("the body is not valid JSON: {e}")),
    })
}

pub fn full(b: impl Into<Bytes>) -> Body {
    Full::new(b.into()).boxed()
}

/// A JSON response.
pub fn json(status: StatusCode, v: &serde_json::Value) -> Resp {
    let body = serde_json::to_vec(v).unwrap_or_else(|_| b"null".to_vec());
    let mut r = Response::new(full(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

pub fn ok(v: serde_json::Value) -> Result<Resp> {
    Ok(json(StatusCode::OK, &v))
}

pub fn created(v: serde_json::Value) -> Result<Resp> {
    Ok(json(StatusCode::CREATED, &v))
}

pub fn no_content() -> Result<Resp> {
    let mut r = Response::new(full(Bytes::new()));
    *r.status_mut() = StatusCode::NO_CONTENT;
    Ok(r)
}

pub fn status_of(k: Kind) -> StatusCode {
    match k {
        Kind::BadRequest => StatusCode::BAD_REQUEST,
        Kind::Unauthorized => StatusCode::UNAUTHORIZED,
        Kind::PaymentRequired => StatusCode::PAYMENT_REQUIRED,
        Kind::Forbidden => StatusCode::FORBIDDEN,
        Kind::NotFound => StatusCode::NOT_FOUND,
        Kind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        Kind::Conflict => StatusCode::CONFLICT,
        Kind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Kind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Kind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        Kind::Locked => StatusCode::LOCKED,
        Kind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
        Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        Kind::StorageUnavailable => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// `{detail, code, timestamp}` plus any numeric context (`order_id`, `retry_after`, ...).
pub fn error_response(e: &Error, now: jiff::Timestamp) -> Resp {
    let mut v = serde_json::json!({
        "detail": e.detail,
        "code": e.code,
        "timestamp": now.to_string(),
    });
    for (k, n) in &e.extra {
        v[*k] = serde_json::json!(n);
    }
    let mut r = json(status_of(e.kind), &v);
    if let Some((_, secs)) = e.extra.iter().find(|(k, _)| *k == "retry_after")
        && let Ok(h) = HeaderValue::from_str(&secs.to_string())
    {
        r.headers_mut().insert(header::RETRY_AFTER, h);
    }
    if e.kind == Kind::Unauthorized {
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    r
}

/// `Option<Option<T>>` for PATCH-like fields: absent = leave, `null` = clear, value = set.
pub fn double<'de, D, T>(d: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(d).map(Some)
}
