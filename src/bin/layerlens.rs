//! The `layerlens` command line: thin wiring around the core.

fn main() {
    println!("layerlens {}", env!("CARGO_PKG_VERSION"));
}
