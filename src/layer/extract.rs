//! Streaming one file's content out of a layer while it is scanned — for
//! the page's file viewer and "download this file", without a second format
//! parser and without holding the layer.
//!
//! The file is chosen before the scan starts, by its entry offset (exact:
//! what [`Entry::offset`] said in an earlier scan) or by its path. Its bytes
//! reach a [`ContentSink`] as the decompressed stream passes by; everything
//! else about the scan (hashes, verification, entries) is unchanged, so the
//! caller can check the layer's digest before trusting what it was shown.

use super::entry::{Entry, EntryKind};
use super::path::{normalize_path, PathProblem};

/// Which entry to stream out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractTarget {
    by: By,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum By {
    Offset(u64),
    Path(Vec<u8>),
}

impl ExtractTarget {
    /// The entry whose header is at this tar offset ([`Entry::offset`] from an
    /// earlier scan). Unambiguous even when a layer lists a path twice.
    pub fn offset(offset: u64) -> ExtractTarget {
        ExtractTarget {
            by: By::Offset(offset),
        }
    }

    /// Every entry with this path (normalised like [`Entry::path`]). A tar may
    /// list a path more than once; the sink sees each (a new
    /// [`ContentSink::begin`] each time), and the last one is what the layer
    /// leaves on disk. A hard link carries no data: the sink gets `begin` and
    /// `end` only, and the caller extracts the link's target instead.
    pub fn path(path: &[u8]) -> Result<ExtractTarget, PathProblem> {
        Ok(ExtractTarget {
            by: By::Path(normalize_path(path)?),
        })
    }

    pub(crate) fn matches(&self, entry: &Entry) -> bool {
        match &self.by {
            By::Offset(o) => *o == entry.offset,
            By::Path(p) => *p == entry.path,
        }
    }
}

/// Receives the content of the extracted entry as it streams.
///
/// For a regular file: `begin`, then `data` zero or more times with
/// consecutive pieces (any sizes), then `end` once the last byte has passed.
/// For other kinds: `begin` then `end`. If the scan fails midway, `end` is
/// never called: the content is incomplete.
pub trait ContentSink {
    /// The matching entry's header has been read (its content hash is not
    /// known yet).
    fn begin(&mut self, entry: &Entry);
    /// The next piece of the entry's content.
    fn data(&mut self, bytes: &[u8]);
    /// The entry is complete; `entry.content_sha256` is set when content
    /// hashing is on.
    fn end(&mut self, entry: &Entry);
}

/// The sink of a scan that extracts nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSink;

impl ContentSink for NoSink {
    fn begin(&mut self, _: &Entry) {}
    fn data(&mut self, _: &[u8]) {}
    fn end(&mut self, _: &Entry) {}
}

/// A sink that keeps the first `limit` bytes of the entry (a viewer shows the
/// start of a large file; memory stays bounded).
#[derive(Debug, Clone, Default)]
pub struct Collect {
    limit: usize,
    entry: Option<Entry>,
    bytes: Vec<u8>,
    total: u64,
    complete: bool,
}

impl Collect {
    /// Keeps at most `limit` bytes.
    pub fn new(limit: usize) -> Collect {
        Collect {
            limit,
            ..Collect::default()
        }
    }

    /// The entry streamed (the last one, for a path listed twice).
    pub fn entry(&self) -> Option<&Entry> {
        self.entry.as_ref()
    }

    /// The bytes kept (the first `limit`).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Whether the entry's content went past the limit.
    pub fn truncated(&self) -> bool {
        self.total > self.bytes.len() as u64
    }

    /// Whether the whole entry streamed by (`end` was called).
    pub fn complete(&self) -> bool {
        self.complete
    }

    /// Whether the entry found is a regular file (others have no content).
    pub fn is_file(&self) -> bool {
        self.entry
            .as_ref()
            .is_some_and(|e| e.kind == EntryKind::File)
    }
}

impl ContentSink for Collect {
    fn begin(&mut self, entry: &Entry) {
        self.entry = Some(entry.clone());
        self.bytes.clear();
        self.total = 0;
        self.complete = false;
    }

    fn data(&mut self, bytes: &[u8]) {
        self.total += bytes.len() as u64;
        let room = self.limit.saturating_sub(self.bytes.len());
        self.bytes
            .extend_from_slice(&bytes[..room.min(bytes.len())]);
    }

    fn end(&mut self, entry: &Entry) {
        self.entry = Some(entry.clone());
        self.complete = true;
    }
}

impl<S: ContentSink + ?Sized> ContentSink for &mut S {
    fn begin(&mut self, entry: &Entry) {
        (**self).begin(entry)
    }
    fn data(&mut self, bytes: &[u8]) {
        (**self).data(bytes)
    }
    fn end(&mut self, entry: &Entry) {
        (**self).end(entry)
    }
}
