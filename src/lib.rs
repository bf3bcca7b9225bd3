//! posd library crate: the printing half (tickets, rendering, ESC/POS status and transport).
pub mod print;
