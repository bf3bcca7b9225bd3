//! posd library crate: the license core (signed offline license files, enforcement state).

pub mod license;
