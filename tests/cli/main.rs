//! The `layerlens` command line: references, the demo, registries, Docker Hub search, and
//! OCI layouts made by skopeo and umoci.
//!
//! One test binary (fewer link steps for the suite); one module per area.

mod archives;
mod archives_damaged;
mod demo;
mod diff;
mod local_layout;
mod reference;
mod referrers;
mod registry;
mod search;
