//! The one integration test binary: real sockets and real parts, one module per area.

mod appliance;
mod auth;
mod crash;
mod errors;
mod events;
mod fixtures;
mod license;
mod license_cli;
mod license_live;
mod matrix;
mod menu;
mod openapi;
mod orders;
mod print_transport;
mod printing;
mod printing_faults;
mod reports;
mod setup;
mod support;
mod ui;
