//! Layer blobs in, entry metadata out: a push-style scanner that hashes the
//! compressed stream, decompresses it, hashes the tar stream (the diff_id) and
//! walks the tar headers without ever holding the decompressed layer.
//!
//! * [`Scanner`] ties the parts together ([`Unpacker`], the compressed
//!   half, and [`TarScanner`], the tar half, for a shell that runs them on
//!   two threads); [`ScanOptions`] sets the digest
//!   algorithms, content hashing and the caps on hostile input.
//! * `gzip` (RFC 1952 framing around zlib-rs raw inflate) and `zstd` (RFC
//!   8878 framing around ruzstd) decompress push-style.
//! * `tar` walks ustar/GNU/PAX headers; [`normalize_path`] makes names
//!   root-relative.
//! * [`extract`] streams one chosen file's content during a scan.
//! * [`seek`] reads one file from a range of a compressed blob, from
//!   checkpoints recorded during the scan ([`SeekIndex`]).
//! * [`ScanError`] says what went wrong and where; [`ScanFailure`] keeps the
//!   entries scanned before a fatal error.
//! * [`LayerIndex`] is what a scan learns that is worth keeping (entries,
//!   digests, sizes) with its compact encoding (the image library stores it,
//!   a worker sends it); [`verify`] checks one against the descriptor and
//!   the config's diff_id and is the only way to a [`VerifiedLayer`].
//!
//! # Decisions where the formats leave room
//!
//! * **Fatal or not.** A broken stream (bad CRC, truncation, corrupt data,
//!   bad header checksum, oversized PAX header or long name, too many
//!   entries) stops the scan: the rest cannot be trusted or even located.
//!   A bad *entry* — a name escaping the root with `..` (relative or
//!   absolute), an empty or NUL-containing name, a hard link whose target
//!   escapes, an unsupported type flag — is left out, listed in
//!   [`LayerScan::problems`] with its header offset, and the scan goes on.
//!   Docker refuses to extract such a layer; an inspector should show it.
//! * **Trailing data.** After the last gzip member or zstd frame nothing
//!   else may follow, not even zeros (Go's `compress/gzip`, which Docker
//!   uses, agrees). After the tar end-of-archive marker only zeros may.
//! * **Missing end-of-archive marker.** Accepted, like Go's `archive/tar`,
//!   when the stream ends at a header boundary (the compressed stream and
//!   the diff_id still prove it complete); reported as [`EndOfArchive`].
//! * **PAX global headers** apply to all later entries (POSIX), except
//!   `path`, `linkpath` and `size`, which can only describe one entry. Go,
//!   and so Docker, ignore global headers altogether.
//! * **Sparse files** (GNU `S`, PAX `GNU.sparse.*`) are files of their real
//!   size; their stored sparse data is skipped and not content-hashed.
//! * **Times** are whole seconds: fractional PAX times are floored.

mod engine;
pub mod entry;
mod error;
pub mod extract;
mod gzip;
mod hashes;
pub mod index;
mod options;
mod path;
mod scan;
mod scanner;
pub mod seek;
pub(crate) mod tar;
pub mod toc;
mod verify;
pub(crate) mod wire;
mod zstd;

pub use engine::{LayerScanner, ScanEngine, StartScan};
pub use entry::{Entry, EntryKind};
pub use error::{ScanError, ScanErrorKind, ScanFailure, Stream};

/// Where a decoder puts the bytes it decodes, in order (the tar walker,
/// usually). A `dyn` callee, called once per decoded piece, so the gzip and
/// zstd decoders are compiled once rather than once per kind of sink (which
/// kept several copies of each in the page's WebAssembly).
pub(crate) type Sink<'a> = dyn FnMut(&[u8]) -> Result<(), ScanError> + 'a;
pub use extract::{Collect, ContentSink, ExtractTarget, NoSink};
pub use gzip::GzipInfo;
pub use hashes::{ContentRange, TarHashes};
pub use index::{LayerIndex, LayerIndexError};
pub use path::{normalize_path, PathProblem};
pub use scanner::{
    finish_halves, finish_halves_hashed, LayerScan, ScanOptions, Scanner, TarScanner, Unpacker,
};
pub use seek::{FileRead, SeekError, SeekIndex};
pub use tar::EndOfArchive;
pub use verify::{verify, LayerProblem, Unverified, VerifiedLayer};
