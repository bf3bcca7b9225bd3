//! Test harness parts shared by the integration test modules.

pub mod fake_printer;
