//! The native shell's side of the core (native only): a [`Fetch`](crate::registry::Fetch)
//! over the outbound HTTP client ([`http`]), for the `layerlens` command line,
//! and that client, which `layerlens serve`'s proxy uses too.

pub mod fetch;
pub mod http;

pub use fetch::{NativeBody, NativeFetch};
