//! The `posd` binary: parse arguments, hand over to the library.
fn main() {}
