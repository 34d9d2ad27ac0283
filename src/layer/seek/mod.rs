//! Random access into compressed layers: read one file of a gzip or zstd
//! layer by fetching only a range of the blob (the technique of zlib's
//! `examples/zran.c`).
//!
//! During the first full scan (with [`ScanOptions::seek_spacing`]) the
//! decoder records **checkpoints**: places in the blob where decoding can
//! start afresh, each with the tar offset it resumes at. Later, to read one
//! entry, [`SeekIndex::open`] picks the nearest checkpoint before the entry
//! and the first one after it; the caller fetches that byte range
//! ([`FileRead::range`], an HTTP `Range: bytes=N-M`), feeds it to the
//! [`FileRead`], which inflates from the checkpoint, finds the entry's tar
//! header, streams its content to a [`ContentSink`] and checks it against
//! the content digest of the scan.
//!
//! # Checkpoints
//!
//! * **gzip, inside a member.** Deflate can be resumed at a block boundary
//!   given the 32 KiB of output before it (the window back-references
//!   reach into) and the bit the next block starts at. Once `spacing`
//!   compressed bytes have passed since the last checkpoint, the inflater
//!   is asked to stop at the next block boundary (zlib's `Z_BLOCK`). It then
//!   knows how many whole bytes it consumed but not how many bits of the
//!   last one belong to the next block (zlib reports that in `data_type`;
//!   zlib-rs's safe API does not). So the bit offset is found by trial —
//!   see the `gzip` module — and a checkpoint is only kept when exactly
//!   one alignment (up to equivalent ones) reproduces the real output
//!   that follows. Windows are stored deflated. A stream written as a few
//!   huge blocks has few places to stop: zlib-ng's (and so zlib-rs's and
//!   flate2's) level 1 keeps one fixed-code block open until the stream
//!   ends or is flushed, so such a layer gets few or no checkpoints, and a
//!   file is read from the last one before it (or the blob's start). GNU
//!   gzip, Go's `compress/gzip` (Docker, containerd, BuildKit) and zlib at
//!   any level close a block every few tens of KiB.
//! * **gzip, member starts.** A member header after `spacing` bytes is a
//!   checkpoint that needs no window (a member never refers to the one
//!   before it). Reading may run on past a member's end: the trailer is
//!   checked (the checkpoint keeps the member's CRC so far) and the next
//!   member's header parsed.
//! * **zstd.** Each frame start after `spacing` bytes. Frames are
//!   independent, so nothing else is kept; a layer written as one frame
//!   (the usual case) gets no checkpoints and reading a file means
//!   decoding from the blob's start.
//! * **uncompressed.** No checkpoints: the range is the entry's own bytes
//!   (and a little before, for its PAX or GNU long-name headers).
//!
//! The start of the blob is always a checkpoint (not stored).
//!
//! # Reading mid-stream
//!
//! The tar stream is entered at the checkpoint's tar offset, which is
//! anywhere. Bytes before the entry are skipped except the last
//! [`LOOKBACK`] (16 KiB), where the PAX or GNU long-name headers that give
//! the entry its name lie; the tar walker of the scanner is run from the
//! nearest 512-byte boundary in that span from which it reaches a header
//! at [`Entry::offset`] naming the entry with its size. For an entry whose
//! path or size cannot be in its own header as is (a path longer than 98
//! bytes or not ASCII, a size of 8 GiB or more), the checkpoint is chosen
//! at least [`LOOKBACK`] before the entry so that this span is decoded
//! (which may cost one checkpoint gap more); any other entry starts at the
//! nearest checkpoint before its header. An entry whose metadata headers
//! are longer than that cannot be read this way
//! ([`SeekError::NotTheEntry`]); scan the layer instead.
//!
//! Nothing is trusted: the content streamed is checked against the entry's
//! content SHA-256 before the sink hears [`ContentSink::end`], so a damaged
//! or foreign index, a wrong range or a blob other than the scanned one
//! shows as an error, never as wrong content.
//!
//! [`ScanOptions::seek_spacing`]: super::ScanOptions::seek_spacing
//! [`ContentSink`]: super::ContentSink
//! [`ContentSink::end`]: super::ContentSink::end
//! [`Entry::offset`]: super::Entry::offset

mod error;
mod gzip;
mod read;
mod resume;
mod wire;

#[cfg(test)]
mod tests;

use crate::oci::{Compression, Digest};

use super::entry::{Entry, EntryKind};

pub use error::SeekError;
pub(crate) use gzip::BlockRecorder;
pub use read::FileRead;

/// The checkpoint spacing worth asking for: one every 4 MiB of compressed
/// input, so reading a file costs at most that much more than the file's
/// own compressed bytes, and the index stays well under 1 % of the blob.
pub const DEFAULT_SPACING: u64 = 4 << 20;

/// How far before an entry's header its PAX and GNU long-name headers are
/// looked for (see the module documentation).
pub const LOOKBACK: u64 = 16 << 10;

/// Whether an entry's path or size may be given only by PAX or GNU
/// long-name headers before its own: a path that does not fit a ustar name
/// field as is (98 bytes leave room for a `./` prefix), or a size that does
/// not fit the size field.
pub(crate) fn needs_lookback(entry: &Entry) -> bool {
    entry.path.len() > 98 || !entry.path.is_ascii() || entry.size >= 8 << 30
}

/// The deflate window: how far back a back-reference may reach.
const WINDOW: usize = 32 << 10;

/// Where decoding can start afresh, and the state it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Checkpoint {
    /// The first blob byte to read.
    pub(crate) start: u64,
    /// The tar offset of the first byte decoded from there.
    pub(crate) out: u64,
    /// The 1-based number of the gzip member or zstd frame it lies in.
    pub(crate) unit: u64,
    /// What starts at `start`.
    pub(crate) at: At,
}

/// What a checkpoint resumes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum At {
    /// A gzip member header or a zstd frame: decoding starts afresh.
    Frame,
    /// A deflate block inside a gzip member.
    Block(Box<BlockState>),
}

/// The state needed to resume deflate at a block boundary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BlockState {
    /// The bit of byte `start` the block begins at (0 = its lowest bit).
    pub(crate) shift: u8,
    /// CRC-32 of the member's data before the checkpoint.
    pub(crate) crc: u32,
    /// Length of the member's data before the checkpoint, modulo 2^32.
    pub(crate) isize: u32,
    /// Length of the window (at most 32 KiB: less near the member's start).
    pub(crate) window_len: u32,
    /// The window, raw-deflated.
    pub(crate) window: Vec<u8>,
}

impl Checkpoint {
    /// A frame (or member) start at blob byte `start`, tar offset `out`.
    pub(crate) fn frame(start: u64, out: u64, unit: u64) -> Checkpoint {
        Checkpoint {
            start,
            out,
            unit,
            at: At::Frame,
        }
    }
}

/// The checkpoints a decoder records during a scan, one at most every
/// `spacing` compressed bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Points {
    spacing: u64,
    /// Start of the last checkpoint (the blob's start before the first).
    last: u64,
    list: Vec<Checkpoint>,
}

impl Points {
    pub(crate) fn new(spacing: u64) -> Points {
        Points {
            spacing: spacing.max(1),
            last: 0,
            list: Vec::new(),
        }
    }

    /// Whether a checkpoint at compressed offset `offset` is due.
    pub(crate) fn due(&self, offset: u64) -> bool {
        offset >= self.last.saturating_add(self.spacing)
    }

    /// Compressed offset from which a checkpoint is due.
    pub(crate) fn due_at(&self) -> u64 {
        self.last.saturating_add(self.spacing)
    }

    pub(crate) fn push(&mut self, checkpoint: Checkpoint) {
        self.last = checkpoint.start;
        self.list.push(checkpoint);
    }
}

/// Where to resume reading one layer blob: the checkpoints recorded while
/// it was scanned (see the module documentation), for one blob digest.
///
/// Store it next to the layer's index ([`SeekIndex::encode`]); the layer
/// index's own encoding does not carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeekIndex {
    blob: Digest,
    compression: Compression,
    spacing: u64,
    compressed_size: u64,
    tar_size: u64,
    max_zstd_window: u64,
    checkpoints: Vec<Checkpoint>,
}

/// The facts of a scan a [`SeekIndex`] is made of.
pub(crate) struct Recorded {
    pub(crate) blob: Digest,
    pub(crate) compression: Compression,
    pub(crate) spacing: u64,
    pub(crate) compressed_size: u64,
    pub(crate) tar_size: u64,
    pub(crate) max_zstd_window: u64,
    pub(crate) points: Option<Points>,
}

impl SeekIndex {
    pub(crate) fn new(r: Recorded) -> SeekIndex {
        SeekIndex {
            blob: r.blob,
            compression: r.compression,
            spacing: r.spacing,
            compressed_size: r.compressed_size,
            tar_size: r.tar_size,
            max_zstd_window: r.max_zstd_window,
            checkpoints: r.points.map(|p| p.list).unwrap_or_default(),
        }
    }

    /// The digest of the layer blob the index was recorded from.
    pub fn blob(&self) -> &Digest {
        &self.blob
    }

    /// The blob's compression.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// The spacing asked for, in compressed bytes.
    pub fn spacing(&self) -> u64 {
        self.spacing
    }

    /// The blob's size, in bytes.
    pub fn compressed_size(&self) -> u64 {
        self.compressed_size
    }

    /// The size of the blob's tar stream, in bytes.
    pub fn tar_size(&self) -> u64 {
        self.tar_size
    }

    /// How many checkpoints were recorded (the blob's start not counted).
    pub fn len(&self) -> usize {
        self.checkpoints.len()
    }

    /// Whether no checkpoint was recorded: reading any file then starts at
    /// the blob's start (an uncompressed layer needs none).
    pub fn is_empty(&self) -> bool {
        self.checkpoints.is_empty()
    }

    /// The compact binary form: a magic number, a version byte, the fields,
    /// the checkpoints (their windows deflated) and a CRC-32 of it all.
    pub fn encode(&self) -> Vec<u8> {
        wire::encode(self)
    }

    /// Reads [`SeekIndex::encode`]'s output. Every malformed input is an
    /// error saying which field and where; sizes are capped.
    pub fn decode(bytes: &[u8]) -> Result<SeekIndex, SeekError> {
        wire::decode(bytes)
    }

    /// The reader for one entry of this layer: `entry` comes from the
    /// layer's index (scanned with content hashing), `blob` and `blob_size`
    /// from the descriptor the caller is about to read.
    ///
    /// Errors: a blob other than the one the index was recorded from, an
    /// entry that is not a regular file or has no content digest, a range
    /// that lies past the blob's end, a malformed checkpoint.
    pub fn open(
        &self,
        blob: &Digest,
        blob_size: u64,
        entry: &Entry,
    ) -> Result<FileRead, SeekError> {
        if *blob != self.blob {
            return Err(SeekError::WrongLayer {
                index: self.blob.clone(),
                blob: blob.clone(),
            });
        }
        let path = String::from_utf8_lossy(&entry.path).into_owned();
        if entry.kind != EntryKind::File {
            return Err(SeekError::NotAFile { path });
        }
        let Some(digest) = entry.content_sha256 else {
            return Err(SeekError::NoContentDigest { path });
        };
        let content_end = entry
            .offset
            .checked_add(512)
            .and_then(|h| h.checked_add(entry.size))
            .filter(|&end| end <= self.tar_size)
            .ok_or(SeekError::PastTarEnd {
                path: path.clone(),
                offset: entry.offset,
                size: entry.size,
                tar_size: self.tar_size,
            })?;
        let margin = if needs_lookback(entry) { LOOKBACK } else { 0 };
        let (from_cp, from, to) = self.span(entry.offset, content_end, margin);
        if to >= blob_size || from > to {
            return Err(SeekError::PastBlobEnd {
                from,
                to,
                blob_size,
            });
        }
        if blob_size != self.compressed_size {
            return Err(SeekError::BlobSize {
                given: blob_size,
                recorded: self.compressed_size,
            });
        }
        read::FileRead::new(read::Plan {
            compression: self.compression,
            checkpoint: from_cp,
            range: (from, to),
            max_zstd_window: self.max_zstd_window,
            entry: entry.clone(),
            digest,
        })
    }

    /// The checkpoint to start from (`None`: the blob's start) and the
    /// inclusive blob range to read for an entry whose header is at tar
    /// offset `header` and whose content ends at `content_end`, with
    /// `margin` tar bytes before the header decoded too.
    fn span(&self, header: u64, content_end: u64, margin: u64) -> (Option<&Checkpoint>, u64, u64) {
        let last = self.compressed_size.saturating_sub(1);
        if self.compression == Compression::None {
            // The blob is the tar stream.
            let from = header.saturating_sub(LOOKBACK);
            return (None, from, content_end.saturating_sub(1));
        }
        let wanted = header.saturating_sub(margin);
        let before = self.checkpoints.partition_point(|c| c.out <= wanted);
        let from_cp = before.checked_sub(1).and_then(|i| self.checkpoints.get(i));
        let from = from_cp.map_or(0, |c| c.start);
        let after = self.checkpoints.partition_point(|c| c.out < content_end);
        // A block checkpoint's first byte may still hold the end of the
        // block before it.
        let to = self
            .checkpoints
            .get(after)
            .map_or(last, |c| c.start.min(last));
        (from_cp, from, to)
    }
}
