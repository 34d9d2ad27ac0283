//! The outbound HTTP client and its vocabulary (native only): checked hosts,
//! URLs and address classes, the client that connects only where a policy
//! says it may, and the minimum-throughput rule for bodies. Shared by
//! `layerlens serve`'s proxy ([`crate::serve`]) and the command line's
//! [`super::NativeFetch`]; nothing here knows about either.

pub mod address;
pub mod client;
pub mod target;
pub mod throughput;
pub mod url;

pub use address::{check_address, classify, AddressClass, Trust};
pub use client::{Timeouts, Upstream, UpstreamBody, UpstreamError};
pub use target::{Authority, Host, PathError, Scheme};
pub use throughput::MinThroughput;
pub use url::UpstreamUrl;
