//! Layer blobs in, entry metadata out: a push-style scanner that hashes the
//! compressed stream, decompresses it, hashes the tar stream (the diff_id) and
//! walks the tar headers without ever holding the decompressed layer.

pub mod entry;

pub use entry::{Entry, EntryKind};
