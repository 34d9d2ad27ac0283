//! The union filesystem: the merged view of an image's layers, with OCI
//! whiteout semantics, provenance and per-layer changes.
//!
//! Input is the scanner's output — for each layer of an image, in order, a
//! [`VerifiedLayer`](crate::layer::VerifiedLayer) or a gap where a layer did
//! not verify; stacks of [`Entry`](crate::layer::Entry) lists built in code
//! for tests and one layer's own view — and nothing else: no parsing, no I/O.
//!
//! * [`tree`] — the arena ([`Node`], [`NodeId`]): sorted children, parent links;
//! * [`whiteout`] — which names are markers;
//! * [`merge`] — applying layers ([`MergeBuilder`], the rules);
//! * [`changes`] — added / modified / unchanged / removed per layer;
//! * [`stats`] — totals, wasted space counted once per copy, efficiency;
//! * [`listing`] — the canonical TSV listing and its JSON form;
//! * [`text`] — an indented human rendering.

pub mod changes;
mod children;
pub mod ci;
pub mod diff;
pub mod gate;
pub mod listing;
pub mod merge;
pub mod merged;
pub mod note;
pub mod stats;
pub mod text;
pub mod tree;
pub mod whiteout;

pub use changes::{ChangeFlags, LayerChanges, LayerSummary, Modification};
pub use children::ChildIds;
pub use listing::{escape, escape_into, to_json, to_tsv, ListingRow, RowKind, LISTING_HEADER};
pub use merge::{MergeBuilder, MergeOptions, WhiteoutMode};
pub use merged::MergedFs;
pub use note::{MergeNote, NoteKind};
pub use stats::{Offender, Stats};
pub use text::{human_size_binary, mode_string};
pub use tree::{Node, NodeId, Version, MAX_VERSIONS};
