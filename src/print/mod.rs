//! Printing: code pages, ticket types, the pure ESC/POS renderer, status parsing and the TCP
//! transport to network printers (no storage, no HTTP); on top of them the spool that sends
//! queued jobs (`spool`, `worker`, with `compose` turning a stored job into a ticket) and
//! printer discovery. The spool's durable steps are in `service::spool`.

pub mod codepage;
pub mod compose;
pub mod discover;
pub mod render;
pub mod spool;
pub mod status;
pub mod ticket;
pub mod transport;
pub mod worker;
