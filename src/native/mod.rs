//! The native shell's side of the core (native only): a [`Fetch`](crate::registry::Fetch)
//! over the outbound HTTP client ([`http`]), for the `layerlens` command line,
//! and that client, which `layerlens serve`'s proxy uses too; and the layer
//! scan over two threads the command line uses ([`split`]).

pub mod fetch;
pub mod http;
pub mod local;
pub mod split;

pub use fetch::{NativeBody, NativeFetch};
