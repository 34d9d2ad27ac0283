//! The scanner's one error type: what went wrong, and where in which stream.

use std::fmt;

use super::entry::Entry;

/// Which byte stream an error offset counts in.
///
/// Decompression problems are located in the blob as downloaded (the
/// compressed stream); tar problems in the decompressed tar stream, where
/// [`Entry::offset`] also counts. For an uncompressed layer both are the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    /// The blob as stored in the registry (gzip or zstd bytes).
    Compressed,
    /// The decompressed tar stream (the bytes the diff_id hashes).
    Tar,
}

impl fmt::Display for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stream::Compressed => "compressed stream",
            Stream::Tar => "tar stream",
        })
    }
}

/// A problem found while scanning a layer, located by byte offset.
///
/// Fatal problems stop the scan ([`Scanner::feed`](super::Scanner::feed)
/// returns them, [`ScanFailure`] carries them with the partial results).
/// Problems with a single entry (a name escaping the root, an unsupported
/// entry type) leave that entry out and are listed in
/// [`LayerScan::problems`](super::LayerScan::problems); the scan goes on.
/// The scanner does not know which layer it reads: callers name the layer
/// (its descriptor digest) when they report the error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} (at byte {offset} of the {stream})")]
pub struct ScanError {
    kind: ScanErrorKind,
    stream: Stream,
    offset: u64,
}

impl ScanError {
    pub(crate) fn new(kind: ScanErrorKind, stream: Stream, offset: u64) -> ScanError {
        ScanError {
            kind,
            stream,
            offset,
        }
    }

    pub(crate) fn compressed(kind: ScanErrorKind, offset: u64) -> ScanError {
        ScanError::new(kind, Stream::Compressed, offset)
    }

    pub(crate) fn tar(kind: ScanErrorKind, offset: u64) -> ScanError {
        ScanError::new(kind, Stream::Tar, offset)
    }

    /// What went wrong.
    pub fn kind(&self) -> &ScanErrorKind {
        &self.kind
    }

    /// Which stream [`ScanError::offset`] counts in.
    pub fn stream(&self) -> Stream {
        self.stream
    }

    /// Byte offset of the problem in [`ScanError::stream`]. For tar header
    /// problems it is the offset of the 512-byte header block; for decoder
    /// problems it is where the decoder stood when it noticed (corruption is
    /// often detected a little after the damaged byte).
    pub fn offset(&self) -> u64 {
        self.offset
    }
}

/// Shows a byte path readably: UTF-8 stays as is, other bytes are escaped.
fn show(path: &[u8]) -> String {
    path.escape_ascii().to_string()
}

/// What went wrong while scanning a layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScanErrorKind {
    // ---- gzip (RFC 1952) ----
    /// The blob is not gzip: the first member does not start with `1f 8b`.
    /// Carries the first wrong byte (the offset says which one it is).
    #[error("not a gzip stream: byte {0:#04x} where the magic number 1f 8b belongs")]
    GzipMagic(u8),
    /// RFC 1952 §2.3.1: CM must be 8 (deflate).
    #[error("unsupported gzip compression method {0} (only 8, deflate, exists)")]
    GzipMethod(u8),
    /// RFC 1952 §2.3.1.2: reserved FLG bits must be zero.
    #[error("gzip header has reserved flag bits set ({0:#04x})")]
    GzipReservedFlags(u8),
    /// RFC 1952 §2.3.1: the FHCRC header checksum does not match.
    #[error(
        "gzip header CRC16 mismatch: header says {stored:#06x}, header bytes give {computed:#06x}"
    )]
    GzipHeaderCrc {
        /// The CRC16 stored in the header.
        stored: u16,
        /// The CRC16 of the header bytes.
        computed: u16,
    },
    /// The deflate data of a member is corrupt (RFC 1951: an invalid block
    /// type, code or distance).
    #[error("corrupt deflate data in gzip member {member}")]
    GzipCorrupt {
        /// 1-based member number.
        member: u64,
    },
    /// RFC 1952 §2.3.1: the member trailer's CRC32 differs from the data's.
    #[error("gzip CRC32 mismatch in member {member}: trailer says {stored:#010x}, data gives {computed:#010x}")]
    GzipCrc {
        /// 1-based member number.
        member: u64,
        /// The CRC32 stored in the trailer.
        stored: u32,
        /// The CRC32 of the inflated data.
        computed: u32,
    },
    /// RFC 1952 §2.3.1: ISIZE (the length modulo 2^32) differs from the data's.
    #[error("gzip ISIZE mismatch in member {member}: trailer says {stored}, data is {computed} (mod 2^32)")]
    GzipSize {
        /// 1-based member number.
        member: u64,
        /// The ISIZE stored in the trailer.
        stored: u32,
        /// The inflated length modulo 2^32.
        computed: u32,
    },
    /// The gzip stream ends before its last member is complete (or is empty).
    #[error("the gzip stream is truncated: it ends inside member {member} ({part})")]
    GzipTruncated {
        /// 1-based member number (1 for an empty stream).
        member: u64,
        /// Which part of the member was being read.
        part: &'static str,
    },

    // ---- zstd (RFC 8878) ----
    /// The blob does not start with a zstd or skippable frame.
    #[error("not a zstd stream: magic number {0:#010x}")]
    ZstdMagic(u32),
    /// RFC 8878 §3.1.1.1.1: the reserved bit of the frame header descriptor is set.
    #[error("zstd frame header has the reserved bit set")]
    ZstdReservedBit,
    /// The frame's window is larger than the configured bound: decoding it
    /// would need that much memory.
    #[error("zstd frame declares a {declared}-byte window, more than the {max}-byte limit")]
    ZstdWindowTooLarge {
        /// The window size the frame header declares.
        declared: u64,
        /// The configured maximum ([`ScanOptions::max_zstd_window`](super::ScanOptions::max_zstd_window)).
        max: u64,
    },
    /// Layers never use zstd dictionaries; a frame that needs one cannot be decoded.
    #[error("zstd frame needs dictionary {0}, and layers carry none")]
    ZstdDictionary(u32),
    /// RFC 8878 §3.1.1.2: a block is larger than `Block_Maximum_Size`, or reserved.
    #[error("invalid zstd block: {0}")]
    ZstdBlock(&'static str),
    /// The zstd decoder rejected the data.
    #[error("corrupt zstd data in frame {frame}: {detail}")]
    ZstdCorrupt {
        /// 1-based frame number (skippable frames count).
        frame: u64,
        /// The decoder's explanation.
        detail: String,
    },
    /// RFC 8878 §3.1.1: the content checksum (low 32 bits of XXH64) differs.
    #[error("zstd content checksum mismatch in frame {frame}: frame says {stored:#010x}, data gives {computed:#010x}")]
    ZstdChecksum {
        /// 1-based frame number.
        frame: u64,
        /// The checksum stored after the last block.
        stored: u32,
        /// The checksum of the decoded data.
        computed: u32,
    },
    /// The zstd stream ends in the middle of a frame (or is empty).
    #[error("the zstd stream is truncated: it ends inside frame {frame} ({part})")]
    ZstdTruncated {
        /// 1-based frame number.
        frame: u64,
        /// Which part of the frame was being read.
        part: &'static str,
    },

    /// Bytes that are not a new member/frame follow the last gzip member or zstd frame.
    #[error("unexpected data after the last {after}")]
    TrailingGarbage {
        /// `"gzip member"` or `"zstd frame"`.
        after: &'static str,
    },

    // ---- tar ----
    /// A header block's checksum matches neither the unsigned nor the signed sum.
    #[error("tar header checksum mismatch: header says {stored}, its bytes sum to {unsigned} (signed {signed})")]
    TarChecksum {
        /// The checksum field's value (`None`-like garbage reads as `u64::MAX`).
        stored: u64,
        /// Sum of the header bytes as unsigned bytes, checksum field as spaces.
        unsigned: u64,
        /// The same sum with bytes read as signed (old Sun tar).
        signed: i64,
    },
    /// A numeric header field holds neither octal nor base-256.
    #[error("tar header field `{field}` is not a valid number")]
    TarNumber {
        /// The field's name (`size`, `uid`, `mtime`, …).
        field: &'static str,
    },
    /// A header is malformed in a way not covered by another kind.
    #[error("malformed tar header: {0}")]
    TarHeader(&'static str),
    /// The tar stream ends inside a header or an entry's data.
    #[error("the tar stream is truncated: it ends {missing} bytes before the end of the {part} that starts at byte {start}")]
    TarTruncated {
        /// `"header"`, `"entry data"`, `"PAX header"`, ….
        part: &'static str,
        /// Offset of the header the unfinished part belongs to.
        start: u64,
        /// Bytes missing to complete it.
        missing: u64,
    },
    /// Non-zero bytes follow the end-of-archive marker (two zero blocks).
    #[error("non-zero data after the tar end-of-archive marker")]
    TarDataAfterEnd,
    /// A PAX extended header is larger than the configured bound.
    #[error("PAX extended header of {size} bytes exceeds the {max}-byte limit")]
    PaxTooLarge {
        /// Declared size of the PAX data.
        size: u64,
        /// [`ScanOptions::max_pax_size`](super::ScanOptions::max_pax_size).
        max: u64,
    },
    /// A PAX record does not follow `"%d %s=%s\n"`, or a value is invalid.
    #[error("malformed PAX record: {0}")]
    PaxRecord(String),
    /// A name (GNU long name or link, PAX path, link path or owner name) is
    /// longer than the configured bound.
    #[error("a name of {size} bytes exceeds the {max}-byte limit")]
    NameTooLong {
        /// Length of the name (or declared size of the long-name data).
        size: u64,
        /// [`ScanOptions::max_name_len`](super::ScanOptions::max_name_len).
        max: u64,
    },
    /// The entries' metadata exceeds [`ScanOptions::max_metadata_bytes`](super::ScanOptions::max_metadata_bytes).
    #[error("the layer's entry metadata exceeds the {max}-byte limit")]
    MetadataTooLarge {
        /// The configured maximum.
        max: u64,
    },
    /// More entries than [`ScanOptions::max_entries`](super::ScanOptions::max_entries).
    #[error("the layer has more than {max} entries")]
    TooManyEntries {
        /// The configured maximum.
        max: usize,
    },
    /// The half of a split scan that ran on another thread stopped without
    /// saying why (it panicked): a fault of this program, not of the layer.
    #[error("the scanner's second thread stopped unexpectedly")]
    Stopped,

    // ---- per-entry problems (the entry is left out, the scan continues) ----
    /// A name (or a hard link's target) climbs above the root with `..`.
    #[error("{what} \"{}\" escapes the root of the layer", show(.path))]
    PathEscapesRoot {
        /// `"path"` or `"hard link target"`.
        what: &'static str,
        /// The name as written in the tar.
        path: Vec<u8>,
    },
    /// A name is unusable for another reason (empty for a non-directory, NUL byte).
    #[error("invalid {what} \"{}\": {reason}", show(.path))]
    InvalidPath {
        /// `"path"` or `"hard link target"`.
        what: &'static str,
        /// The name as written in the tar.
        path: Vec<u8>,
        /// Why it is unusable.
        reason: &'static str,
    },
    /// A typeflag that names no file type we can represent (GNU multi-volume
    /// `M`, old `N`, vendor letters, …).
    #[error("entry \"{}\" has unsupported type {:?}", show(.path), *.typeflag as char)]
    UnsupportedEntryType {
        /// The header's typeflag byte.
        typeflag: u8,
        /// The entry's name as written.
        path: Vec<u8>,
    },
}

/// A scan that stopped on a fatal error, with what had been read before it.
///
/// Entries scanned before the error are complete and trustworthy as tar
/// metadata (their headers checksummed), though the layer as a whole is not
/// verified: show them, but mark the layer broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.error)]
pub struct ScanFailure(Box<Partial>);

/// The contents of a [`ScanFailure`], boxed so that `Result<LayerScan,
/// ScanFailure>` stays small.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Partial {
    error: ScanError,
    entries: Vec<Entry>,
    problems: Vec<ScanError>,
    compressed_size: u64,
    tar_size: u64,
}

impl ScanFailure {
    pub(crate) fn new(
        error: ScanError,
        entries: Vec<Entry>,
        problems: Vec<ScanError>,
        compressed_size: u64,
        tar_size: u64,
    ) -> ScanFailure {
        ScanFailure(Box::new(Partial {
            error,
            entries,
            problems,
            compressed_size,
            tar_size,
        }))
    }

    /// The fatal error.
    pub fn error(&self) -> &ScanError {
        &self.0.error
    }

    /// Entries completely scanned before the error, in tar order.
    pub fn entries(&self) -> &[Entry] {
        &self.0.entries
    }

    /// Per-entry problems found before the error (entries left out).
    pub fn problems(&self) -> &[ScanError] {
        &self.0.problems
    }

    /// Compressed bytes fed before the scan stopped.
    pub fn compressed_size(&self) -> u64 {
        self.0.compressed_size
    }

    /// Tar bytes decoded before the scan stopped.
    pub fn tar_size(&self) -> u64 {
        self.0.tar_size
    }

    /// Gives the partial entries back.
    pub fn into_entries(self) -> Vec<Entry> {
        self.0.entries
    }
}
