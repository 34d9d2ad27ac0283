//! Layer blobs in, entry metadata out: a push-style scanner that hashes the
//! compressed stream, decompresses it, hashes the tar stream (the diff_id) and
//! walks the tar headers without ever holding the decompressed layer.
//!
//! * [`Scanner`] ties the parts together; [`ScanOptions`] sets algorithms,
//!   content hashing and the caps on hostile input.
//! * `gzip` (RFC 1952 framing around zlib-rs raw inflate) and `zstd` (RFC
//!   8878 framing around ruzstd) decompress push-style.
//! * `tar` walks ustar/GNU/PAX headers; [`normalize_path`] makes names
//!   root-relative.
//! * [`extract`] streams one chosen file's content during a scan.
//! * [`ScanError`] says what went wrong and where; [`ScanFailure`] keeps the
//!   entries scanned before a fatal error.

pub mod entry;
mod error;
pub mod extract;
mod gzip;
mod path;
mod scanner;
mod tar;
mod zstd;

pub use entry::{Entry, EntryKind};
pub use error::{ScanError, ScanErrorKind, ScanFailure, Stream};
pub use extract::{Collect, ContentSink, ExtractTarget, NoSink};
pub use gzip::GzipInfo;
pub use path::{normalize_path, PathProblem};
pub use scanner::{LayerProblem, LayerScan, ScanOptions, Scanner};
pub use tar::EndOfArchive;
