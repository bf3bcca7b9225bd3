//! posd: the restaurant point-of-sale appliance daemon.
//!
//! Code map (see ARCHITECTURE.md for the invariants of each part):
//! - [`config`]: file + flags → one immutable [`config::Config`].
//! - [`clock`]: injected wall clock and randomness.
//! - [`error`]: the error every operation returns (kind, stable code, detail).
//! - [`domain`]: pure business rules, no IO.
//! - [`store`]: redb on the data drive, versioned postcard records, the writer thread.
//! - [`auth`]: PIN hashing, sessions, lockouts, throttling.
//! - [`service`]: one function per use case: domain rules inside one store transaction.
//! - [`http`]: the hyper server, router, handlers, JSON, SSE. The only part that knows HTTP.
//! - [`app`]: the shared handle passed to every handler.

pub mod app;
pub mod auth;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod events;
pub mod service;
pub mod store;
