//! eStargz (containerd stargz-snapshotter, `docs/estargz.md`): a gzip layer
//! whose regular files each start a gzip member, with its table of contents
//! as the last tar entry, `stargz.index.json`, in a gzip member of its own,
//! and a 51-byte footer — an empty gzip member whose extra field holds
//! `%016x` of the table's offset followed by `STARGZ`. The descriptor's
//! `containerd.io/snapshot/stargz/toc.digest` annotation is the digest of
//! the table's JSON.
//!
//! [`StargzToc::of`] reads the annotation; [`StargzToc::footer_range`]
//! fetches the footer, [`StargzToc::toc_offset`] reads it (checked against
//! the blob's size), [`StargzToc::toc_range`] fetches the table, and
//! [`read_stargz_toc`] inflates it (capped), takes the JSON out of its tar,
//! checks its digest and reads the entries. Closed ranges only: a suffix
//! range (`bytes=-51`) is not CORS-safelisted, so a browser would preflight it.

use super::{parse, ListedLayer, TocError, TocFormat, MAX_TOC};
use crate::layer::extract::{Collect, ExtractTarget};
use crate::layer::{ScanOptions, Scanner};
use crate::oci::{verify, Compression, Descriptor, Digest};

/// The annotation with the digest of the table of contents.
pub const TOC_DIGEST: &str = "containerd.io/snapshot/stargz/toc.digest";
/// The footer's length in bytes.
pub const FOOTER: u64 = 51;
/// The tar entry holding the table of contents.
pub const TOC_NAME: &str = "stargz.index.json";

/// An eStargz layer's table of contents, as its descriptor announces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StargzToc {
    /// The digest of the table's JSON.
    pub digest: Digest,
    /// The blob's size (the footer is its last [`FOOTER`] bytes).
    pub blob_size: u64,
}

impl StargzToc {
    /// The table the layer `descriptor` announces: `None` without the
    /// annotation, an error when it is malformed or the blob cannot hold a
    /// footer.
    pub fn of(descriptor: &Descriptor) -> Result<Option<StargzToc>, TocError> {
        let Some(value) = descriptor.annotation(TOC_DIGEST) else {
            return Ok(None);
        };
        let bad = |reason: String| TocError::Annotation {
            key: TOC_DIGEST,
            value: value.to_owned(),
            reason,
        };
        let digest = value.parse::<Digest>().map_err(|e| bad(e.to_string()))?;
        if descriptor.size() <= FOOTER {
            return Err(bad(format!(
                "a {}-byte blob has no room for the {FOOTER}-byte footer",
                descriptor.size()
            )));
        }
        Ok(Some(StargzToc {
            digest,
            blob_size: descriptor.size(),
        }))
    }

    /// The `Range` that fetches the footer.
    pub fn footer_range(&self) -> String {
        format!("bytes={}-{}", self.blob_size - FOOTER, self.blob_size - 1)
    }

    /// The table's offset, from the footer's bytes.
    pub fn toc_offset(&self, footer: &[u8]) -> Result<u64, TocError> {
        let bad = |reason: &str| TocError::Footer(reason.to_owned());
        if footer.len() as u64 != FOOTER {
            return Err(bad(&format!("{} bytes, not {FOOTER}", footer.len())));
        }
        if footer[..3] != [0x1f, 0x8b, 0x08] || footer[3] & 0x04 == 0 {
            return Err(bad("not a gzip header with an extra field"));
        }
        let u16_at = |i: usize| u16::from_le_bytes([footer[i], footer[i + 1]]);
        if u16_at(10) != 26 || &footer[12..14] != b"SG" || u16_at(14) != 22 {
            return Err(bad("the extra field is not eStargz's (SG, 22 bytes)"));
        }
        if &footer[32..38] != b"STARGZ" {
            return Err(bad("the extra field does not end in STARGZ"));
        }
        let hex = std::str::from_utf8(&footer[16..32])
            .ok()
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| bad("the offset is not 16 hex digits"))?;
        let offset = u64::from_str_radix(hex, 16).map_err(|_| bad("the offset is not hex"))?;
        if offset >= self.blob_size - FOOTER {
            return Err(bad(&format!(
                "table of contents at {offset}, past the {}-byte blob's footer",
                self.blob_size
            )));
        }
        Ok(offset)
    }

    /// The `Range` that fetches the table of contents at `offset`: up to
    /// the footer.
    pub fn toc_range(&self, offset: u64) -> String {
        format!("bytes={offset}-{}", self.blob_size - FOOTER - 1)
    }
}

/// The listing in the eStargz table of contents `bytes` (its gzip member,
/// fetched with [`StargzToc::toc_range`] from `offset`, which the footer
/// gave): inflated, its JSON taken out of the tar (at most [`MAX_TOC`]
/// bytes), checked against the annotation and read ([`super::entries`]).
pub fn read_stargz_toc(
    toc: &StargzToc,
    offset: u64,
    bytes: &[u8],
) -> Result<ListedLayer, TocError> {
    let target = ExtractTarget::path(TOC_NAME.as_bytes())
        .map_err(|_| TocError::Json("the table's own name".to_owned()))?;
    let limit = usize::try_from(MAX_TOC).unwrap_or(usize::MAX);
    let mut scanner = Scanner::with_extract(
        Compression::Gzip,
        ScanOptions::default(),
        target,
        Collect::new(limit),
    );
    let fed = scanner.feed(bytes);
    let (_, sink) = scanner.finish_with_sink();
    let sink = sink.unwrap_or_default();
    if !(sink.complete() && sink.is_file()) || sink.truncated() {
        let why = match fed {
            Err(e) => format!("no complete {TOC_NAME} in it: {e}"),
            Ok(()) if sink.truncated() => format!("{TOC_NAME} is over {MAX_TOC} bytes"),
            Ok(()) => format!("no complete {TOC_NAME} in it"),
        };
        return Err(TocError::Footer(why));
    }
    let json = verify(sink.bytes().to_vec(), &toc.digest, None).map_err(TocError::Checksum)?;
    let (entries, spans) = parse(json.bytes(), offset)?;
    Ok(ListedLayer::new(entries, spans, offset, TocFormat::Estargz))
}
