//! Listing a layer from its table of contents ([`Verify::Toc`]): the few
//! ranges of the blob it takes (zstd:chunked: the table; eStargz: the
//! 51-byte footer, then the table), read through the registry client with
//! closed `Range` requests. A registry that ignores `Range` answers the
//! whole blob: the bytes before the range are read and dropped, and the
//! body is let go after it.

use crate::layer::toc::{
    read_chunked_toc, read_stargz_toc, ChunkedToc, ListedFile, ListedLayer, StargzToc, TocError,
};
use crate::oci::{Descriptor, Digest, Reference};
use crate::registry::{Client, Fetch};

use super::range::{stream_range, RangeRead};

/// How far each layer is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Verify {
    /// Stream every blob: its digest, its diff_id, every file (the default).
    #[default]
    Full,
    /// List a layer that carries a table of contents (zstd:chunked,
    /// eStargz) from it, which proves the listing is the one the manifest
    /// names but not that the blob holds it; stream the others. A table that
    /// cannot be read or does not match means the layer is streamed.
    Toc,
}

/// The listing of `descriptor`'s table of contents: `None` when the layer
/// has none; an error (in words) when it cannot be used.
pub(crate) async fn list_from_toc<F: Fetch, C: Fn() -> u64>(
    client: &Client<F, C>,
    reference: &Reference,
    descriptor: &Descriptor,
) -> Option<Result<ListedLayer, String>> {
    let digest = descriptor.digest();
    let text = |e: TocError| e.to_string();
    match ChunkedToc::of(descriptor) {
        Err(e) => return Some(Err(text(e))),
        Ok(Some(toc)) => {
            let end = toc.offset + toc.length - 1;
            return Some(
                match range(client, reference, digest, toc.offset, end).await {
                    Ok((bytes, whole)) => read_chunked_toc(&toc, bytes)
                        .map(|l| l.read_whole_blob(whole))
                        .map_err(text),
                    Err(e) => Err(e),
                },
            );
        }
        Ok(None) => {}
    }
    let toc = match StargzToc::of(descriptor) {
        Err(e) => return Some(Err(text(e))),
        Ok(None) => return None,
        Ok(Some(toc)) => toc,
    };
    let footer_at = toc.blob_size - crate::layer::toc::stargz::FOOTER;
    let listed = async {
        let (footer, whole) =
            range(client, reference, digest, footer_at, toc.blob_size - 1).await?;
        let offset = toc.toc_offset(&footer).map_err(text)?;
        let (bytes, again) = range(client, reference, digest, offset, footer_at - 1).await?;
        read_stargz_toc(&toc, offset, &bytes)
            .map(|l| l.read_whole_blob(whole || again))
            .map_err(text)
    };
    Some(listed.await)
}

/// Bytes `from..=to` of a blob, and whether the registry ignored the
/// `Range` (the blob was read from its start to reach them).
async fn range<F: Fetch, C: Fn() -> u64>(
    client: &Client<F, C>,
    reference: &Reference,
    digest: &Digest,
    from: u64,
    to: u64,
) -> Result<(Vec<u8>, bool), String> {
    let want = usize::try_from(to - from + 1).map_err(|_| "range too large".to_owned())?;
    let mut out = Vec::with_capacity(want);
    let read = stream_range(client, reference, digest, (from, to), &mut |bytes| {
        out.extend_from_slice(bytes);
        Ok(true)
    })
    .await?;
    Ok((out, read.whole_blob))
}

/// Reads a file of a layer listed from its table of contents by the spans
/// the table gives, with `Range` requests on blob `digest`, writing the
/// content to `out` as it inflates; `Ok` once the whole file matched the
/// table's length and digest. Bytes already given to `out` are not the
/// file when this fails.
pub async fn read_listed_file<F: Fetch, C: Fn() -> u64>(
    client: &Client<F, C>,
    reference: &Reference,
    digest: &Digest,
    file: &ListedFile,
    out: &mut dyn FnMut(&[u8]),
) -> Result<RangeRead, String> {
    let mut read = file.open().map_err(|e| e.to_string())?;
    let mut stats = RangeRead::default();
    for span in read.ranges() {
        let mut feed = |bytes: &[u8]| {
            read.feed(bytes, out)
                .map(|()| true)
                .map_err(|e| e.to_string())
        };
        let read = stream_range(client, reference, digest, span, &mut feed).await?;
        stats.transferred += read.transferred;
        stats.whole_blob |= read.whole_blob;
    }
    read.finish().map_err(|e| e.to_string())?;
    Ok(stats)
}
