//! Layer compression, as named by a layer's media type.

/// How a layer blob is compressed. Derived from the media type (never sniffed),
/// so the scanner knows which decoder to run before the first byte arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compression {
    /// A plain tar stream (`…tar`).
    None,
    /// Gzip, RFC 1952, possibly multi-member (`…tar+gzip`, Docker's `…tar.gzip`).
    Gzip,
    /// Zstandard, RFC 8878 (`…tar+zstd`).
    Zstd,
}
