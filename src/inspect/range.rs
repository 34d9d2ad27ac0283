//! Reading a range of a blob through the registry client: a closed
//! `Range: bytes=N-M` request, and the answer of a registry that ignores
//! it (the whole blob, 200) read from its start with the bytes before the
//! range dropped. Used for tables of contents, for files by their spans
//! and for files from seek checkpoints.

use crate::oci::{Digest, Reference};
use crate::registry::{Body, Client, Fetch};

/// What reading a range took.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RangeRead {
    /// Bytes that came over the network (more than the range when the
    /// registry ignored `Range`).
    pub transferred: u64,
    /// The registry ignored `Range`: the blob was read from its start.
    pub whole_blob: bool,
}

/// Streams bytes `from..=to` of a blob to `each` as they arrive, until
/// `each` answers `false` (it has what it needs) or the range ends; says
/// whether the registry ignored the `Range` (the bytes before `from` were
/// read and dropped, and the body is let go after `to`) and how many bytes
/// came over the network. Fewer bytes than asked for is an error.
pub async fn stream_range<F: Fetch, C: Fn() -> u64>(
    client: &Client<F, C>,
    reference: &Reference,
    digest: &Digest,
    (from, to): (u64, u64),
    each: &mut dyn FnMut(&[u8]) -> Result<bool, String>,
) -> Result<RangeRead, String> {
    let want = to - from + 1;
    let mut response = client
        .blob(reference, digest, Some((from, to)))
        .await
        .map_err(|e| e.to_string())?;
    let whole = response.status != 206;
    // Where the body starts in the blob.
    let mut at = if whole { 0 } else { from };
    let (mut got, mut came) = (0u64, 0u64);
    while got < want {
        let Some(chunk) = response.body.chunk().await.map_err(|e| e.to_string())? else {
            break;
        };
        came += chunk.len() as u64;
        let len = chunk.len() as u64;
        let start = from.saturating_sub(at).min(len);
        let take = (want - got).min(len - start);
        // Both are at most the chunk's length.
        let (start, take_usize) = (start as usize, take as usize);
        let more = each(&chunk[start..start + take_usize])?;
        got += take;
        at += len;
        if !more {
            return Ok(RangeRead {
                transferred: came,
                whole_blob: whole,
            });
        }
    }
    if got != want {
        return Err(format!(
            "bytes {from}-{to} of {digest}: {got} bytes came, {want} were asked for"
        ));
    }
    Ok(RangeRead {
        transferred: came,
        whole_blob: whole,
    })
}
