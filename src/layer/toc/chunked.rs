//! zstd:chunked (containers/storage; `skopeo copy --dest-compress-format
//! zstd:chunked`) writes a layer as many zstd frames, each regular file in
//! its own, and ends it with skippable frames holding a "manifest": the
//! CRFS table-of-contents JSON, zstd-compressed. The layer descriptor says
//! where it is and what it hashes to:
//!
//! * `io.github.containers.zstd-chunked.manifest-position` =
//!   `offset:length:uncompressed length:type` (type 1; older writers, such
//!   as skopeo 1.9, use the `io.containers.zstd-chunked.` prefix),
//! * `io.github.containers.zstd-chunked.manifest-checksum` = the digest of
//!   the `length` compressed bytes at `offset`.
//!
//! [`ChunkedToc::of`] reads them (checked against the blob's size),
//! [`ChunkedToc::range`] is the request's `Range`, and [`read_chunked_toc`]
//! checks the bytes, inflates them (capped) and reads the entries. Format as
//! documented by containers/zstd-chunked-rs (`docs/format.md`).

use super::{parse, ListedLayer, TocError, TocFormat, MAX_TOC};
use crate::layer::zstd::ZstdDecoder;
use crate::oci::{verify, Descriptor, Digest};

/// The position annotation.
pub const POSITION: &str = "io.github.containers.zstd-chunked.manifest-position";
/// The checksum annotation.
pub const CHECKSUM: &str = "io.github.containers.zstd-chunked.manifest-checksum";
pub(crate) const OLD_POSITION: &str = "io.containers.zstd-chunked.manifest-position";
pub(crate) const OLD_CHECKSUM: &str = "io.containers.zstd-chunked.manifest-checksum";

/// Where a zstd:chunked layer's table of contents is, and its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkedToc {
    /// Offset of the compressed table of contents in the blob.
    pub offset: u64,
    /// Its compressed length.
    pub length: u64,
    /// Its length once inflated.
    pub uncompressed: u64,
    /// The digest of the compressed bytes.
    pub checksum: Digest,
}

impl ChunkedToc {
    /// The location the layer `descriptor` announces: `None` for a layer
    /// that is not zstd:chunked (no position annotation), an error when
    /// the annotations are malformed or point outside the blob.
    pub fn of(descriptor: &Descriptor) -> Result<Option<ChunkedToc>, TocError> {
        let pick = |new: &'static str, old: &'static str| {
            descriptor
                .annotation(new)
                .map(|v| (new, v))
                .or_else(|| descriptor.annotation(old).map(|v| (old, v)))
        };
        let Some((key, value)) = pick(POSITION, OLD_POSITION) else {
            return Ok(None);
        };
        let bad = |key: &'static str, value: &str, reason: &str| TocError::Annotation {
            key,
            value: value.to_owned(),
            reason: reason.to_owned(),
        };
        let fields: Vec<&str> = value.split(':').collect();
        let number = |i: usize| -> Result<u64, TocError> {
            fields
                .get(i)
                .and_then(|f| f.parse::<u64>().ok())
                .ok_or_else(|| bad(key, value, "expected offset:length:uncompressed:type"))
        };
        if fields.len() != 4 {
            return Err(bad(key, value, "expected offset:length:uncompressed:type"));
        }
        let (offset, length, uncompressed, kind) = (number(0)?, number(1)?, number(2)?, number(3)?);
        if kind != 1 {
            return Err(bad(key, value, &format!("unknown manifest type {kind}")));
        }
        if length == 0
            || offset
                .checked_add(length)
                .is_none_or(|end| end > descriptor.size())
        {
            return Err(bad(
                key,
                value,
                &format!("outside the blob's {} bytes", descriptor.size()),
            ));
        }
        if uncompressed > MAX_TOC {
            return Err(bad(
                key,
                value,
                &format!("a table of contents over {MAX_TOC} bytes"),
            ));
        }
        let Some((ckey, cvalue)) = pick(CHECKSUM, OLD_CHECKSUM) else {
            return Err(bad(key, value, &format!("no {CHECKSUM} to check it with")));
        };
        let checksum = cvalue
            .parse::<Digest>()
            .map_err(|e| bad(ckey, cvalue, &e.to_string()))?;
        Ok(Some(ChunkedToc {
            offset,
            length,
            uncompressed,
            checksum,
        }))
    }

    /// The `Range` header that fetches the table of contents (a closed
    /// range: browsers send it without a CORS preflight).
    pub fn range(&self) -> String {
        format!(
            "bytes={}-{}",
            self.offset,
            self.offset + self.length.saturating_sub(1)
        )
    }
}

/// The listing in the zstd:chunked table of contents `bytes` fetched from
/// `location`: checked against its checksum, inflated (at most the
/// announced length) and read ([`super::entries`]).
pub fn read_chunked_toc(location: &ChunkedToc, bytes: Vec<u8>) -> Result<ListedLayer, TocError> {
    let verified =
        verify(bytes, &location.checksum, Some(location.length)).map_err(TocError::Checksum)?;
    let json = inflate(verified.bytes(), location.uncompressed)?;
    let (entries, spans) = parse(&json, location.offset)?;
    Ok(ListedLayer::new(
        entries,
        spans,
        location.offset,
        TocFormat::ZstdChunked,
    ))
}

/// Inflates one zstd frame, at most `limit` bytes out.
fn inflate(compressed: &[u8], limit: u64) -> Result<Vec<u8>, TocError> {
    let mut decoder = ZstdDecoder::new(MAX_TOC);
    let mut out = Vec::new();
    let mut over = false;
    decoder
        .feed(compressed, &mut |piece: &[u8]| {
            if out.len() as u64 + piece.len() as u64 > limit {
                over = true;
                return Err(crate::layer::ScanError::new(
                    crate::layer::ScanErrorKind::Stopped,
                    crate::layer::Stream::Compressed,
                    0,
                ));
            }
            out.extend_from_slice(piece);
            Ok(())
        })
        .map_err(|e| {
            TocError::Inflate(if over {
                format!("longer than the announced {limit} bytes")
            } else {
                e.to_string()
            })
        })?;
    decoder
        .finish()
        .map_err(|e| TocError::Inflate(e.to_string()))?;
    if out.len() as u64 != limit {
        return Err(TocError::Inflate(format!(
            "{} bytes inflated, {limit} announced",
            out.len()
        )));
    }
    Ok(out)
}
