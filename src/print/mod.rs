//! Printing: code pages, ticket types, the pure ESC/POS renderer, status parsing and the TCP
//! transport to network printers. No storage and no HTTP here: the spool and the API build on it.

pub mod codepage;
pub mod render;
pub mod status;
pub mod ticket;
pub mod transport;
