//! The `rulesim` command.
fn main() {}
