//! The one integration test binary: real sockets and real parts, one module per area.

mod crash;
mod events;
mod license;
mod license_cli;
mod license_live;
mod orders;
mod print_transport;
mod reports;
mod support;
mod ui;
