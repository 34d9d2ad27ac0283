//! Reading one entry from a checkpoint: [`FileRead`].

use sha2::{Digest as _, Sha256};

use super::error::SeekError;
use super::gzip::inflate_window;
use super::resume::Resume;
use super::{At, Checkpoint, LOOKBACK};
use crate::layer::entry::{Entry, EntryKind};
use crate::layer::error::{ScanError, ScanErrorKind};
use crate::layer::extract::{ContentSink, ExtractTarget};
use crate::layer::gzip::GzipDecoder;
use crate::layer::tar::{Limits, TarWalker};
use crate::layer::zstd::ZstdDecoder;
use crate::oci::Compression;

/// Tar header block size.
const BLOCK: u64 = 512;

/// What [`super::SeekIndex::open`] decided.
pub(crate) struct Plan<'a> {
    pub(crate) compression: Compression,
    /// Where decoding starts (`None`: the blob's start).
    pub(crate) checkpoint: Option<&'a Checkpoint>,
    pub(crate) range: (u64, u64),
    pub(crate) max_zstd_window: u64,
    pub(crate) entry: Entry,
    pub(crate) digest: [u8; 32],
}

enum Decoder {
    Plain,
    Gzip(Box<GzipDecoder>),
    Resume(Box<Resume>),
    Zstd(Box<ZstdDecoder>),
}

/// Reads one regular file of a layer from a range of its blob: made by
/// [`super::SeekIndex::open`], fed the bytes of [`FileRead::range`] in
/// order, then [`FileRead::finish`]ed.
pub struct FileRead {
    range: (u64, u64),
    /// Blob bytes fed so far.
    fed: u64,
    decoder: Decoder,
    tar: TarPart,
    failed: Option<SeekError>,
}

impl FileRead {
    pub(crate) fn new(plan: Plan<'_>) -> Result<FileRead, SeekError> {
        let (decoder, tar_start) = match (plan.compression, plan.checkpoint) {
            (Compression::None, _) => (Decoder::Plain, plan.range.0),
            (Compression::Gzip, None) => (Decoder::Gzip(Box::new(GzipDecoder::new())), 0),
            (Compression::Zstd, None) => (
                Decoder::Zstd(Box::new(ZstdDecoder::new(plan.max_zstd_window))),
                0,
            ),
            (Compression::Gzip, Some(cp)) => {
                let decoder = match &cp.at {
                    At::Frame => {
                        Decoder::Gzip(Box::new(GzipDecoder::starting_at(cp.start, cp.unit)))
                    }
                    At::Block(state) => {
                        let bad = SeekError::BadWindow { start: cp.start };
                        let window = inflate_window(state).ok_or_else(|| bad.clone())?;
                        let resume = Resume::new(cp, state, &window).ok_or(bad)?;
                        Decoder::Resume(Box::new(resume))
                    }
                };
                (decoder, cp.out)
            }
            (Compression::Zstd, Some(cp)) => {
                let frames_before = cp.unit.saturating_sub(1);
                let decoder =
                    ZstdDecoder::starting_at(plan.max_zstd_window, cp.start, frames_before);
                (Decoder::Zstd(Box::new(decoder)), cp.out)
            }
        };
        let path = String::from_utf8_lossy(&plan.entry.path).into_owned();
        if tar_start > plan.entry.offset {
            return Err(SeekError::NotTheEntry {
                offset: plan.entry.offset,
                expected: path,
                found: format!("the checkpoint resumes past it, at tar offset {tar_start}"),
            });
        }
        let keep_from = tar_start.max(plan.entry.offset.saturating_sub(LOOKBACK));
        Ok(FileRead {
            range: plan.range,
            fed: 0,
            decoder,
            tar: TarPart {
                entry: plan.entry,
                digest: plan.digest,
                path,
                pos: tar_start,
                keep_from,
                head: Vec::new(),
                phase: Phase::Head,
                error: None,
            },
            failed: None,
        })
    }

    /// The compressed bytes to fetch, inclusive `(from, to)`: from the
    /// nearest checkpoint before the entry's header (at least [`LOOKBACK`]
    /// before it when its name may be in headers before it) to the first
    /// checkpoint past the entry's end (or the blob's last byte).
    pub fn range(&self) -> (u64, u64) {
        self.range
    }

    /// Feeds the next fetched bytes (in order, any chunk sizes). The
    /// entry's content goes to `sink` as it is decoded: `begin` once its
    /// header is found and checked, `data`, and `end` once it is complete
    /// and its content digest checked. Returns `Ok(true)` once the entry
    /// is complete: the caller stops fetching. After an error every call
    /// returns it.
    pub fn feed(&mut self, chunk: &[u8], sink: &mut dyn ContentSink) -> Result<bool, SeekError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if matches!(self.tar.phase, Phase::Done) {
            return Ok(true);
        }
        self.fed += chunk.len() as u64;
        let tar = &mut self.tar;
        let mut out = |bytes: &[u8]| tar.take(bytes, sink);
        let result = match &mut self.decoder {
            Decoder::Plain => out(chunk),
            Decoder::Gzip(d) => d.feed(chunk, &mut out),
            Decoder::Resume(d) => d.feed(chunk, &mut out),
            Decoder::Zstd(d) => d.feed(chunk, &mut out),
        };
        if let Some(e) = self.tar.error.take() {
            self.failed = Some(e.clone());
            return Err(e);
        }
        if matches!(self.tar.phase, Phase::Done) {
            return Ok(true);
        }
        if let Err(e) = result {
            let e = SeekError::Decode {
                offset: e.offset(),
                detail: e.kind().to_string(),
            };
            self.failed = Some(e.clone());
            return Err(e);
        }
        Ok(false)
    }

    /// Ends the read: `Ok` when the entry was found at its offset with its
    /// path and size and its content matched its digest; the error that
    /// stopped it, or [`SeekError::Truncated`] when the bytes fed ended
    /// before the entry did.
    pub fn finish(self) -> Result<(), SeekError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let read = match &self.tar.phase {
            Phase::Done => return Ok(()),
            Phase::Head => 0,
            Phase::Content { left, .. } => self.tar.entry.size - left,
        };
        Err(SeekError::Truncated {
            path: self.tar.path,
            at: self.range.0 + self.fed,
            read,
            size: self.tar.entry.size,
        })
    }
}

enum Phase {
    /// Before the entry's content: keeping the bytes from `keep_from` to the
    /// end of its header.
    Head,
    /// Streaming its content.
    Content { left: u64, hasher: Sha256 },
    /// Complete and checked.
    Done,
}

/// The tar side: finds the entry and streams its content.
struct TarPart {
    entry: Entry,
    digest: [u8; 32],
    path: String,
    /// Tar offset of the next byte.
    pos: u64,
    /// Tar offset of `head[0]`.
    keep_from: u64,
    head: Vec<u8>,
    phase: Phase,
    /// Why the tar side stopped the decoder (it stops it with a stand-in
    /// error; this is the real one).
    error: Option<SeekError>,
}

/// The error the tar side stops the decoder with: never shown.
fn stop() -> ScanError {
    ScanError::tar(ScanErrorKind::Stopped, 0)
}

impl TarPart {
    fn take(&mut self, mut bytes: &[u8], sink: &mut dyn ContentSink) -> Result<(), ScanError> {
        while !bytes.is_empty() {
            match &mut self.phase {
                Phase::Head => {
                    if self.pos < self.keep_from {
                        let skip = (self.keep_from - self.pos).min(bytes.len() as u64);
                        self.pos += skip;
                        bytes = &bytes[skip as usize..];
                        continue;
                    }
                    let header_end = self.entry.offset + BLOCK;
                    let take = (header_end - self.pos).min(bytes.len() as u64) as usize;
                    self.head.extend_from_slice(&bytes[..take]);
                    self.pos += take as u64;
                    bytes = &bytes[take..];
                    if self.pos == header_end {
                        if let Err(e) = self.resolve() {
                            self.error = Some(e);
                            return Err(stop());
                        }
                        self.head = Vec::new();
                        sink.begin(&self.entry);
                        self.phase = Phase::Content {
                            left: self.entry.size,
                            hasher: Sha256::new(),
                        };
                        self.complete_if_done(sink);
                    }
                }
                Phase::Content { left, hasher } => {
                    let take = (*left).min(bytes.len() as u64) as usize;
                    let data = &bytes[..take];
                    hasher.update(data);
                    sink.data(data);
                    *left -= take as u64;
                    self.pos += take as u64;
                    bytes = &bytes[take..];
                    self.complete_if_done(sink);
                }
                Phase::Done => break,
            }
            if self.error.is_some() {
                return Err(stop());
            }
        }
        if matches!(self.phase, Phase::Done) {
            // Nothing more is needed: stop decoding.
            return Err(stop());
        }
        Ok(())
    }

    /// Ends the entry once its last content byte has passed: checks its
    /// digest, then tells the sink.
    fn complete_if_done(&mut self, sink: &mut dyn ContentSink) {
        let Phase::Content { left: 0, hasher } = &self.phase else {
            return;
        };
        let got: [u8; 32] = hasher.clone().finalize().into();
        if got != self.digest {
            self.error = Some(SeekError::ContentDigest {
                path: self.path.clone(),
                expected: hex(&self.digest),
                got: hex(&got),
            });
            return;
        }
        self.phase = Phase::Done;
        sink.end(&self.entry);
    }

    /// Checks that a header at the entry's offset names the entry, with
    /// its size: the scanner's tar walker is run from the nearest 512-byte
    /// boundary of the kept bytes from which it reaches such a header
    /// (the header itself, or the PAX / GNU long-name headers before it).
    fn resolve(&self) -> Result<(), SeekError> {
        let want = self.entry.offset;
        let limits = Limits {
            max_entries: 1 << 10,
            max_pax_size: LOOKBACK,
            max_name_len: LOOKBACK,
            max_metadata_bytes: 16 << 20,
            hash_contents: false,
            contents_elsewhere: false,
        };
        let mut found_here = None;
        let mut start = want;
        while start >= self.keep_from {
            let target = ExtractTarget::offset(want);
            let mut walker =
                TarWalker::starting_at(limits, Some((target, Found::default())), start);
            let result = walker.feed(
                self.head
                    .get((start - self.keep_from) as usize..)
                    .unwrap_or(&[]),
            );
            let found = walker.into_parts().2.and_then(|f| f.0);
            match found {
                Some(e)
                    if e.kind == EntryKind::File
                        && e.path == self.entry.path
                        && e.size == self.entry.size =>
                {
                    return Ok(());
                }
                Some(e) if start == want => {
                    found_here = Some(format!(
                        "a {:?} header for {} ({} bytes)",
                        e.kind,
                        String::from_utf8_lossy(&e.path),
                        e.size
                    ));
                }
                None if start == want => {
                    found_here = Some(match result {
                        Err(err) => err.to_string(),
                        Ok(()) => "no entry header".to_owned(),
                    });
                }
                _ => {}
            }
            let Some(before) = start.checked_sub(BLOCK) else {
                break;
            };
            start = before;
        }
        Err(SeekError::NotTheEntry {
            offset: want,
            expected: self.path.clone(),
            found: found_here.unwrap_or_else(|| "no entry header".to_owned()),
        })
    }
}

/// Keeps the entry the walker found at the target offset.
#[derive(Default)]
struct Found(Option<Entry>);

impl ContentSink for Found {
    fn begin(&mut self, entry: &Entry) {
        self.0 = Some(entry.clone());
    }
    fn data(&mut self, _: &[u8]) {}
    fn end(&mut self, _: &Entry) {}
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
