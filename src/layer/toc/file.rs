//! One file of a layer listed from its table of contents, read by its
//! spans: the table says where each piece of a regular file's content is
//! in the blob (zstd:chunked: one zstd frame per piece, `offset` to
//! `endOffset`; eStargz: a gzip member starting at `offset` whose first
//! `chunkSize` bytes are the piece, ending where the next member starts).
//! The shell fetches [`TocFileRead::ranges`] with `Range` requests and feeds
//! the bytes here; the content is checked against the file's digest in the
//! table, which the verified manifest names, so a file read this way is
//! verified without the rest of the blob.

use sha2::{Digest as _, Sha256};

use super::{TocError, TocFormat};
use crate::layer::entry::{Entry, EntryKind};
use crate::layer::gzip::GzipDecoder;
use crate::layer::zstd::ZstdDecoder;
use crate::layer::ScanError;
use crate::oci::{Algorithm, Digest};

/// The largest zstd window a span may ask for (as for whole layers).
const MAX_WINDOW: u64 = 1 << 31;

/// Where one piece of a regular file's content is in the blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// The first compressed byte of the piece (a zstd frame or gzip member).
    pub offset: u64,
    /// One past its last compressed byte.
    pub end: u64,
    /// Where the piece starts in the file's content.
    pub chunk_offset: u64,
    /// The piece's uncompressed length (0: the rest of the file).
    pub size: u64,
}

/// A span from a table entry's fields (negative numbers refused); its end
/// is settled by [`close_spans`].
pub(super) fn span_of(offset: i64, end: i64, chunk_offset: i64, size: i64) -> Result<Span, String> {
    let field = |v: i64, name: &str| u64::try_from(v).map_err(|_| format!("negative {name} {v}"));
    Ok(Span {
        offset: field(offset, "offset")?,
        end: field(end, "endOffset")?,
        chunk_offset: field(chunk_offset, "chunkOffset")?,
        size: field(size, "chunkSize")?,
    })
}

/// Ends every span at the first boundary after its start: the start of
/// any piece, any end the table gives, or `table_at` (where the table
/// itself begins). Writers differ in what they write: eStargz gives no
/// ends; skopeo's zstd:chunked gives a file's `endOffset` once, on the
/// file's entry, for all its pieces together.
pub(super) fn close_spans(spans: &mut [Vec<Span>], table_at: u64) {
    let mut bounds: Vec<u64> = spans
        .iter()
        .flatten()
        .flat_map(|s| [s.offset, s.end])
        .filter(|&o| o > 0)
        .chain([table_at])
        .collect();
    crate::sort::sort(&mut bounds);
    bounds.dedup();
    for span in spans.iter_mut().flatten() {
        if span.offset > 0 {
            let next = bounds.partition_point(|&o| o <= span.offset);
            span.end = bounds.get(next).copied().unwrap_or(span.offset);
        }
    }
}

enum Decoder {
    Gzip(Box<GzipDecoder>),
    Zstd(Box<ZstdDecoder>),
}

/// Reads one regular file's content from its spans, push-style: feed the
/// bytes of [`ranges`](TocFileRead::ranges), in order, as they arrive;
/// [`finish`](TocFileRead::finish) says whether the content is the file
/// the table lists (length and SHA-256).
pub struct TocFileRead {
    path: String,
    format: TocFormat,
    /// The pieces with their uncompressed lengths resolved.
    spans: Vec<Span>,
    size: u64,
    expected: [u8; 32],
    /// The span being fed, the compressed bytes of it fed so far, and the
    /// content it has produced.
    at: usize,
    fed: u64,
    produced: u64,
    decoder: Option<Decoder>,
    hasher: Sha256,
    total: u64,
}

impl TocFileRead {
    /// The reader of `entry`'s content from `spans`, or why the table's
    /// spans cannot give it (not a file, no digest, pieces that do not
    /// cover the file, a piece outside the data before `data_end`).
    pub(super) fn new(
        format: TocFormat,
        entry: &Entry,
        spans: &[Span],
        data_end: u64,
    ) -> Result<TocFileRead, TocError> {
        let path = String::from_utf8_lossy(&entry.path).into_owned();
        let fail = |reason: String| TocError::File {
            path: path.clone(),
            reason,
        };
        if entry.kind != EntryKind::File {
            return Err(fail("not a regular file".to_owned()));
        }
        let expected = entry
            .content_sha256
            .ok_or_else(|| fail("the table gives no content digest for it".to_owned()))?;
        let mut resolved = Vec::with_capacity(spans.len());
        let mut covered = 0u64;
        for (i, s) in spans.iter().enumerate() {
            if s.chunk_offset != covered {
                return Err(fail(format!(
                    "piece {i} starts at byte {} of the file; the pieces before it end at {covered}",
                    s.chunk_offset
                )));
            }
            let size = if s.size == 0 {
                entry.size - covered.min(entry.size)
            } else {
                s.size
            };
            if s.offset == 0 || s.end <= s.offset || s.end > data_end {
                return Err(fail(format!(
                    "piece {i} at blob bytes {}..{} is outside the blob's data (which ends at {data_end})",
                    s.offset, s.end
                )));
            }
            covered = covered.saturating_add(size);
            resolved.push(Span { size, ..*s });
        }
        if covered != entry.size {
            return Err(fail(format!(
                "the pieces hold {covered} bytes; the file has {}",
                entry.size
            )));
        }
        Ok(TocFileRead {
            path,
            format,
            spans: resolved,
            size: entry.size,
            expected,
            at: 0,
            fed: 0,
            produced: 0,
            decoder: None,
            hasher: Sha256::new(),
            total: 0,
        })
    }

    /// The blob bytes to fetch, as inclusive `(first, last)` ranges in
    /// order (adjacent pieces joined): feed them, concatenated, to
    /// [`feed`](TocFileRead::feed).
    pub fn ranges(&self) -> Vec<(u64, u64)> {
        let mut out: Vec<(u64, u64)> = Vec::new();
        for s in &self.spans {
            match out.last_mut() {
                Some(last) if last.1 + 1 == s.offset => last.1 = s.end - 1,
                _ => out.push((s.offset, s.end - 1)),
            }
        }
        out
    }

    /// The compressed bytes the ranges add up to.
    pub fn compressed_len(&self) -> u64 {
        self.spans.iter().map(|s| s.end - s.offset).sum()
    }

    /// The file's length.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The next fetched bytes; the file's content goes to `out` in order.
    pub fn feed(&mut self, mut chunk: &[u8], out: &mut dyn FnMut(&[u8])) -> Result<(), TocError> {
        while !chunk.is_empty() {
            let Some(span) = self.spans.get(self.at).copied() else {
                return Err(self.fail("more bytes than the pieces span".to_owned()));
            };
            let left = span.end - span.offset - self.fed;
            let take = usize::try_from(left).map_or(chunk.len(), |l| l.min(chunk.len()));
            let (piece, rest) = chunk.split_at(take);
            chunk = rest;
            let decoder = self.decoder.get_or_insert_with(|| match self.format {
                TocFormat::Estargz => Decoder::Gzip(Box::new(GzipDecoder::new())),
                TocFormat::ZstdChunked => Decoder::Zstd(Box::new(ZstdDecoder::new(MAX_WINDOW))),
            });
            let (hasher, produced, total) = (&mut self.hasher, &mut self.produced, &mut self.total);
            let mut sink = |bytes: &[u8]| -> Result<(), ScanError> {
                // Past the piece's length (eStargz: the next entries' tar
                // headers) nothing is content.
                let room = span.size - *produced;
                let keep = usize::try_from(room).map_or(bytes.len(), |r| r.min(bytes.len()));
                hasher.update(&bytes[..keep]);
                out(&bytes[..keep]);
                *produced += keep as u64;
                *total += keep as u64;
                Ok(())
            };
            let fed = match decoder {
                Decoder::Gzip(g) => g.feed(piece, &mut sink),
                Decoder::Zstd(z) => z.feed(piece, &mut sink),
            };
            fed.map_err(|e| self.fail(format!("piece at blob byte {}: {e}", span.offset)))?;
            self.fed += take as u64;
            if self.fed == span.end - span.offset {
                self.close_span(span)?;
            }
        }
        Ok(())
    }

    /// Checks the piece just fed to its end: a complete stream that gave
    /// the piece's length.
    fn close_span(&mut self, span: Span) -> Result<(), TocError> {
        let ended = match self.decoder.take() {
            Some(Decoder::Gzip(g)) => g.finish(),
            Some(Decoder::Zstd(z)) => z.finish(),
            None => Ok(()),
        };
        ended.map_err(|e| self.fail(format!("piece at blob byte {}: {e}", span.offset)))?;
        if self.produced != span.size {
            return Err(self.fail(format!(
                "piece at blob byte {} gave {} bytes; the table says {}",
                span.offset, self.produced, span.size
            )));
        }
        self.at += 1;
        self.fed = 0;
        self.produced = 0;
        Ok(())
    }

    /// After the last byte: the content is the file the table lists, or
    /// why not (cut short, another length, another digest).
    pub fn finish(self) -> Result<(), TocError> {
        if self.at < self.spans.len() {
            return Err(self.fail(format!(
                "the bytes ended in piece {} of {}",
                self.at + 1,
                self.spans.len()
            )));
        }
        if self.total != self.size {
            return Err(self.fail(format!(
                "{} bytes read; the table says {}",
                self.total, self.size
            )));
        }
        let got: [u8; 32] = self.hasher.clone().finalize().into();
        if got != self.expected {
            let hex = |d: &[u8; 32]| {
                Digest::from_raw(Algorithm::Sha256, d).map_or_else(String::new, |d| d.to_string())
            };
            return Err(self.fail(format!(
                "content digest {} does not match the table's {}",
                hex(&got),
                hex(&self.expected)
            )));
        }
        Ok(())
    }

    fn fail(&self, reason: String) -> TocError {
        TocError::File {
            path: self.path.clone(),
            reason,
        }
    }
}
