//! Test harness parts shared by the integration test modules.
#![allow(dead_code, unused_imports)]

pub mod daemon;
pub mod fake_printer;
pub mod license;
pub mod sse;

pub use daemon::{Client, Daemon, PIN, Resp};
