//! A [`LayerReport`] as bytes, so a layer scanned somewhere else (the page
//! scans in Web Workers, each with its own memory) comes back as one
//! transferable buffer instead of a deep copy of every entry.
//!
//! Only what the scan learned crosses: the layer's index, descriptor and
//! diff_id are the job's, known on both sides, so [`decode_report`] takes
//! them from the caller and recomputes the verification exactly as
//! [`super::scan_layer`] does ([`LayerReport::scanned`]: `layer::verify`
//! against the descriptor and diff_id) rather than trusting a verdict.
//! Format version 6 (varints and `bytes` as in [`crate::layer::index`]):
//!
//! ```text
//! "LLRP" u8:version u8:outcome
//! outcome 0 (scanned): varint:len + layer index (LayerIndex::encode),
//!                      varint:len + seek checkpoints (SeekIndex::encode; 0: none)
//! outcome 1 (failed):  failure (see `failure.rs`: the cause, typed),
//!                      varint:len + layer index of the entries read,
//!                      u8:mismatch [0 none | 1 varint:expected varint:actual (size)
//!                                  | 2 bytes:expected bytes:actual (digest)]
//! outcome 2 (skipped): bytes:reason
//! outcome 3 (listed):  u8:format [0 zstd:chunked | 1 eStargz],
//!                      u8:whole blob read [0 | 1],
//!                      varint:len + layer index of the entries listed,
//!                      varint:data end, then per entry varint:count and
//!                      per span varint:offset varint:end
//!                      varint:chunk offset varint:size
//! ```
//!
//! The scanner's list of entries it left out (`LayerScan::problems`), the
//! gzip header details and how the tar ended do not cross: a report does not
//! hold them.

use crate::inspect::{LayerOutcome, LayerReport};
use crate::layer::index::MAX_METADATA;
use crate::layer::seek::SeekIndex;
use crate::layer::toc::{ListedLayer, Span, TocFormat};
use crate::layer::wire::{put_bytes, put_varint, Reader};
use crate::layer::{Entry, LayerIndex, LayerIndexError, LayerProblem};
use crate::oci::{Compression, Descriptor, Digest, VerifyError};

const MAGIC: &[u8; 4] = b"LLRP";
const VERSION: u8 = 6;

/// Why bytes are not a transferred layer report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("transferred layer report: {0}")]
pub struct TransferError(#[from] LayerIndexError);

fn put_index(out: &mut Vec<u8>, index: &LayerIndex) {
    let bytes = index.encode();
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(&bytes);
}

/// The report's outcome as bytes (see the module documentation).
pub fn encode_report(report: &LayerReport) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    match &report.outcome {
        LayerOutcome::Verified(v) => put_scanned(&mut out, v.index()),
        LayerOutcome::Unverified(u) => put_scanned(&mut out, u.index()),
        LayerOutcome::Failed {
            failure,
            entries,
            mismatch,
        } => {
            out.push(1);
            failure::put_failure(&mut out, failure);
            put_index(&mut out, &entries_index(report, entries));
            match mismatch {
                Some(LayerProblem::Blob(VerifyError::Size { expected, actual })) => {
                    out.push(1);
                    put_varint(&mut out, *expected);
                    put_varint(&mut out, *actual);
                }
                Some(LayerProblem::Blob(VerifyError::Digest { expected, actual })) => {
                    out.push(2);
                    put_bytes(&mut out, expected.to_string().as_bytes());
                    put_bytes(&mut out, actual.to_string().as_bytes());
                }
                // A failed scan's mismatch is always about the blob (see
                // `scan_layer`); anything else is not carried.
                _ => out.push(0),
            }
        }
        LayerOutcome::Skipped { reason } => {
            out.push(2);
            put_bytes(&mut out, reason.as_bytes());
        }
        LayerOutcome::Listed(listed) => {
            out.push(3);
            out.push(match listed.format() {
                TocFormat::ZstdChunked => 0,
                TocFormat::Estargz => 1,
            });
            out.push(u8::from(listed.whole_blob()));
            put_index(&mut out, &entries_index(report, listed.entries()));
            put_varint(&mut out, listed.data_end());
            for i in 0..listed.entries().len() {
                let spans = listed.spans(i);
                put_varint(&mut out, spans.len() as u64);
                for s in spans {
                    for v in [s.offset, s.end, s.chunk_offset, s.size] {
                        put_varint(&mut out, v);
                    }
                }
            }
        }
    }
    out
}

/// Outcome 0: the index and its seek checkpoints.
fn put_scanned(out: &mut Vec<u8>, index: &LayerIndex) {
    out.push(0);
    put_index(out, index);
    let seek = index.seek().map(|s| s.encode()).unwrap_or_default();
    put_varint(out, seek.len() as u64);
    out.extend_from_slice(&seek);
}

/// Entries as a layer index whose digests are placeholders: only the
/// entries are read back.
fn entries_index(report: &LayerReport, entries: &[Entry]) -> LayerIndex {
    let digest = report.descriptor.digest().clone();
    LayerIndex::new(
        digest.clone(),
        digest,
        0,
        0,
        Compression::None,
        entries.to_vec(),
    )
}

fn text(r: &mut Reader<'_>) -> Result<String, LayerIndexError> {
    let b = r.bytes()?;
    Ok(String::from_utf8_lossy(b).into_owned())
}

fn index(r: &mut Reader<'_>) -> Result<LayerIndex, LayerIndexError> {
    let n = r.varint()?;
    let n = usize::try_from(n).map_err(|_| r.fail("index length too large"))?;
    let bytes = r.take(n)?;
    LayerIndex::decode(bytes)
}

/// The report of layer `index` (`descriptor`, config `diff_id`) from the
/// bytes [`encode_report`] wrote for it. A scanned layer is verified here
/// against the descriptor and diff_id, as [`super::scan_layer`] does.
pub fn decode_report(
    bytes: &[u8],
    index_in_manifest: usize,
    descriptor: Descriptor,
    diff_id: Option<Digest>,
) -> Result<LayerReport, TransferError> {
    let mut r = Reader {
        b: bytes,
        pos: 0,
        budget: MAX_METADATA,
    };
    if r.take(4)? != MAGIC {
        return Err(r.fail("bad magic").into());
    }
    let version = r.byte()?;
    if version != VERSION {
        return Err(r.fail(&format!("unsupported version {version}")).into());
    }
    let outcome = match r.byte()? {
        0 => {
            let layer = index(&mut r)?;
            let n = r.varint()?;
            let n = usize::try_from(n).map_err(|_| r.fail("seek index length too large"))?;
            let seek = match r.take(n)? {
                [] => None,
                b => Some(SeekIndex::decode(b).map_err(|e| r.fail(&format!("seek index: {e}")))?),
            };
            let layer = layer.with_seek(seek);
            if r.pos != bytes.len() {
                return Err(r.fail("trailing bytes").into());
            }
            return Ok(LayerReport::scanned(
                index_in_manifest,
                descriptor,
                diff_id,
                layer,
            ));
        }
        1 => {
            let failure = failure::failure(&mut r)?;
            let entries = index(&mut r)?.into_entries();
            let mismatch = match r.byte()? {
                0 => None,
                1 => {
                    let expected = r.varint()?;
                    let actual = r.varint()?;
                    Some(LayerProblem::Blob(VerifyError::Size { expected, actual }))
                }
                2 => {
                    let expected = r.digest()?;
                    let actual = r.digest()?;
                    Some(LayerProblem::Blob(VerifyError::Digest { expected, actual }))
                }
                _ => return Err(r.fail("unknown mismatch kind").into()),
            };
            LayerOutcome::Failed {
                failure,
                entries,
                mismatch,
            }
        }
        2 => LayerOutcome::Skipped {
            reason: text(&mut r)?,
        },
        3 => {
            let format = match r.byte()? {
                0 => TocFormat::ZstdChunked,
                1 => TocFormat::Estargz,
                _ => return Err(r.fail("unknown table-of-contents format").into()),
            };
            let whole = match r.byte()? {
                0 => false,
                1 => true,
                _ => return Err(r.fail("bad whole-blob flag").into()),
            };
            let entries = index(&mut r)?.into_entries();
            let data_end = r.varint()?;
            let mut spans = Vec::with_capacity(entries.len());
            for _ in 0..entries.len() {
                let count = r.varint()?;
                if count > (bytes.len() - r.pos) as u64 {
                    return Err(r.fail("more spans than bytes").into());
                }
                let mut list = Vec::new();
                for _ in 0..count {
                    list.push(Span {
                        offset: r.varint()?,
                        end: r.varint()?,
                        chunk_offset: r.varint()?,
                        size: r.varint()?,
                    });
                }
                spans.push(list);
            }
            LayerOutcome::Listed(
                ListedLayer::new(entries, spans, data_end, format).read_whole_blob(whole),
            )
        }
        _ => return Err(r.fail("unknown outcome").into()),
    };
    if r.pos != bytes.len() {
        return Err(r.fail("trailing bytes").into());
    }
    Ok(LayerReport {
        index: index_in_manifest,
        descriptor,
        diff_id,
        outcome,
    })
}

mod failure;

#[cfg(test)]
mod tests;
