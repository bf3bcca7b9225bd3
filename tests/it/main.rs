//! The one integration test binary: real sockets and real parts, one module per area.

mod auth;
mod errors;
mod matrix;
mod menu;
mod openapi;
mod orders;
mod print_transport;
mod setup;
mod support;
