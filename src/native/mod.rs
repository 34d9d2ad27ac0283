//! The native shell's side of the core (native only): a [`Fetch`](crate::registry::Fetch)
//! over the proxy's outbound HTTP client, for the `layerlens` command line.

pub mod fetch;

pub use fetch::{NativeBody, NativeFetch};
