//! The merged filesystem: listings, whiteouts and merges, statistics, and property tests
//! against a model.
//!
//! One test binary (fewer link steps for the suite); one module per area.

mod listing;
mod merge;
mod property;
mod stats;
