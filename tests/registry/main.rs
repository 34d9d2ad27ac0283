//! The registry client against the real CNCF distribution registry (and the harness that
//! runs it), prepared requests, tag pages, the native fetcher, and registry faults.
//!
//! One test binary (fewer link steps for the suite); one module per area.

mod client;
mod faults;
mod harness;
mod native_fetch;
mod prepared;
mod referrers;
mod tags_page;
mod zstd_chunked;
