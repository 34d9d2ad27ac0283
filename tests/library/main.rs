//! The image library: its wire format, layer indexes, the list and its filters, persistence
//! and the store.
//!
//! One test binary (fewer link steps for the suite); one module per area.

mod filters;
mod format;
mod layer_index;
mod list;
mod persist;
mod store;
