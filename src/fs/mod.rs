//! The union filesystem: the merged view of an image's layers, with OCI
//! whiteout semantics, provenance and per-layer changes.
