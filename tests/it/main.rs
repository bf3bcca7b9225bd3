//! The one integration test binary: real sockets and real parts, one module per area.

mod orders;
mod print_transport;
mod support;
mod ui;
