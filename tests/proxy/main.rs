//! `layerlens serve`: the gate, the proxy's policy and forwarding, caching behind a real
//! nginx, content types, search, the page's own files, TLS, and the built-in registry.
//!
//! One test binary (fewer link steps for the suite); one module per area.

mod address;
mod cache;
mod content_type;
mod forward;
mod gate;
mod inprocess;
mod local_registry;
mod policy;
mod registry;
mod search;
mod security;
mod site;
mod tls;
