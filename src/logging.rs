//! Logging: structured fields to the systemd journal when running under systemd, readable
//! lines on stderr otherwise. `RUST_LOG` (or `POSD_LOG`) sets the level; default `info`.
//! Never log PINs, tokens or license keys: handlers log ids and usernames only.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::prelude::*;

pub fn init() {
    let filter = EnvFilter::try_from_env("POSD_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info"));
    // systemd sets JOURNAL_STREAM for services whose stdout/stderr go to the journal.
    let under_systemd = std::env::var_os("JOURNAL_STREAM").is_some();
    if under_systemd && let Ok(j) = tracing_journald::layer() {
        let _ = tracing_subscriber::registry()
            .with(filter)
            // No "F_" prefix: fields arrive as ORDER_ID=, TABLE=, PRINTER=, USER=, CODE=.
            .with(
                j.with_syslog_identifier("posd".into())
                    .with_field_prefix(None),
            )
            .try_init();
        return;
    }
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_target(false)
                .with_ansi(std::io::stderr().is_terminal()),
        )
        .try_init();
}
