//! Walking a tar stream's headers, push-style, without holding the data.
//!
//! The walker sees the decompressed stream once, in pieces of any size. It
//! keeps one header block, the data of at most one PAX or GNU long-name
//! header (capped), and the metadata of the entries found; file data only
//! passes through (to the content hasher and the extract sink, if any).
//!
//! Rules implemented (POSIX.1-2017 `pax` and `ustar`, GNU tar's format
//! documentation, and where they are silent Go's `archive/tar`, which Docker,
//! containerd and BuildKit all use):
//! * headers: checksum (unsigned or signed sum), ustar `prefix`, star
//!   prefix, V7 headers without owner names;
//! * numbers: octal padded with spaces/NULs, or GNU base-256;
//! * GNU `L`/`K` long name and long link for the next entry (capped at
//!   [`ScanOptions::max_name_len`](crate::layer::ScanOptions::max_name_len),
//!   like every name, PAX ones included; all names and entries together are
//!   capped by [`ScanOptions::max_metadata_bytes`](crate::layer::ScanOptions::max_metadata_bytes));
//! * PAX `x` (next entry) and `g` (all later entries) with `path`,
//!   `linkpath`, `size`, `uid`, `gid`, `uname`, `gname`, `mtime` (capped at
//!   [`ScanOptions::max_pax_size`](crate::layer::ScanOptions::max_pax_size)).
//!   A global `path`, `linkpath` or `size` would give every later entry the
//!   same name or length, so those three are honoured only from `x`
//!   headers. (Go's reader, and so Docker, ignore `g` headers entirely; they
//!   are rare in layers — `git archive` writes one with a `comment`.)
//! * types: `0`/`7`/NUL regular file (NUL with a trailing `/` is a V7
//!   directory), `1` hard link, `2` symlink, `3`/`4` devices, `5` directory,
//!   `6` FIFO, `D` GNU dump directory (a directory; its listing is skipped),
//!   `S` old GNU sparse and PAX `GNU.sparse.*` sparse files (reported as
//!   files with their real size; the stored sparse data is skipped and no
//!   content hash is computed), `V` volume label (ignored). Any other type
//!   is an unsupported entry: listed as a problem, its data skipped.
//! * link, symlink, device, directory and FIFO headers carry no data
//!   whatever their size field says (Go's `isHeaderOnlyType`);
//! * the end of the archive is two zero blocks; after them only zero bytes
//!   may follow (padding to a record size). A stream that ends cleanly at a
//!   header boundary without the marker, or after a single zero block, is
//!   accepted as Go accepts it, and reported in
//!   [`LayerScan::end_of_archive`](crate::layer::LayerScan::end_of_archive).
//!
//! Entry problems — a name that escapes the root, an empty or NUL-containing
//! name, an unsupported type — leave the entry out, are listed, and the scan
//! continues: one hostile name should not hide the rest of the layer (Docker
//! would refuse to extract the layer; the page shows why).

pub(crate) mod header;
mod member;
pub(crate) mod pax;

use sha2::{Digest as _, Sha256};

use self::header::{Header, BLOCK};
use self::pax::PaxValues;
use super::entry::Entry;
use super::error::{ScanError, ScanErrorKind};
use super::extract::{ContentSink, ExtractTarget};
use super::hashes::ContentRange;

/// How a tar stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndOfArchive {
    /// Two zero blocks, as POSIX requires (possibly followed by zero padding).
    Marker,
    /// A single zero block, then the end of the stream.
    OneZeroBlock,
    /// The stream ended at a header boundary with no zero block at all.
    Missing,
}

/// Caps and switches the walker needs from the scan options.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) max_entries: usize,
    pub(crate) max_pax_size: u64,
    pub(crate) max_name_len: u64,
    pub(crate) max_metadata_bytes: u64,
    pub(crate) hash_contents: bool,
    /// Content digests are computed by the caller from the reported
    /// ranges (`ScanOptions::tar_hashes_elsewhere`).
    pub(crate) contents_elsewhere: bool,
}

/// Where the bytes of the current member's data go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DataUse {
    /// Skipped (rejected entries, volume labels, sparse maps).
    Skip,
    /// The padding after a member whose data has been handled.
    Padding,
    /// Content of the entry in `TarWalker::current`.
    Entry,
    LongName,
    LongLink,
    Pax,
    GlobalPax,
}

impl DataUse {
    fn part(self) -> &'static str {
        match self {
            DataUse::Skip | DataUse::Entry => "entry data",
            DataUse::Padding => "padding after entry data",
            DataUse::LongName => "GNU long name",
            DataUse::LongLink => "GNU long link name",
            DataUse::Pax => "PAX extended header",
            DataUse::GlobalPax => "PAX global header",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Expecting a header block.
    Header,
    /// Reading old-GNU sparse extension blocks, then `data` bytes of data.
    SparseExtension { data: u64, use_: DataUse },
    /// Inside a member's data: `left` data bytes, then `pad` padding bytes.
    Data { left: u64, pad: u64, use_: DataUse },
    /// One zero block seen: the next block must be zero too.
    ZeroBlock,
    /// After the end-of-archive marker: only zeros.
    End,
}

/// The entry whose data is streaming.
struct Current {
    entry: Entry,
    hasher: Option<Sha256>,
    /// The content range hashed elsewhere, by ordinal.
    ordinal: Option<u32>,
    extracting: bool,
}

/// Padding after `size` data bytes to the next block boundary.
fn padding(size: u64) -> u64 {
    (BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64
}

/// The push-style tar header walker.
pub(crate) struct TarWalker<S> {
    limits: Limits,
    /// Tar bytes consumed.
    offset: u64,
    step: Step,
    /// A header block split across pieces.
    block: [u8; BLOCK],
    have: usize,
    /// Offset of the header whose data is being read.
    member_start: u64,
    /// Data of the current PAX / long-name header (capped).
    meta: Vec<u8>,
    /// Offset of the first metadata header waiting for its entry.
    meta_start: Option<u64>,
    long_name: Option<Vec<u8>>,
    long_link: Option<Vec<u8>>,
    local: PaxValues,
    global: PaxValues,
    current: Option<Current>,
    entries: Vec<Entry>,
    problems: Vec<ScanError>,
    /// Metadata charged so far (see `charge`).
    metadata_bytes: u64,
    /// Entries whose content has completely streamed to the extract sink.
    extracted: u32,
    end: EndOfArchive,
    extract: Option<(ExtractTarget, S)>,
    /// Content ranges found and not yet taken, when hashed elsewhere.
    ranges: Vec<ContentRange>,
    next_ordinal: u32,
    /// Entries whose content is hashed elsewhere: (index, range ordinal).
    elsewhere: Vec<(usize, u32)>,
}

impl<S: ContentSink> TarWalker<S> {
    pub(crate) fn new(limits: Limits, extract: Option<(ExtractTarget, S)>) -> TarWalker<S> {
        TarWalker {
            limits,
            offset: 0,
            step: Step::Header,
            block: [0; BLOCK],
            have: 0,
            member_start: 0,
            meta: Vec::new(),
            meta_start: None,
            long_name: None,
            long_link: None,
            local: PaxValues::default(),
            global: PaxValues::default(),
            current: None,
            entries: Vec::new(),
            problems: Vec::new(),
            metadata_bytes: 0,
            extracted: 0,
            end: EndOfArchive::Missing,
            extract,
            ranges: Vec::new(),
            next_ordinal: 0,
            elsewhere: Vec::new(),
        }
    }

    /// A walker for a tar stream entered at `offset`, a header boundary
    /// (reading one file from a checkpoint: `layer::seek`).
    pub(crate) fn starting_at(
        limits: Limits,
        extract: Option<(ExtractTarget, S)>,
        offset: u64,
    ) -> TarWalker<S> {
        let mut walker = TarWalker::new(limits, extract);
        walker.offset = offset;
        walker
    }

    pub(crate) fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub(crate) fn problems(&self) -> &[ScanError] {
        &self.problems
    }

    pub(crate) fn extracted(&self) -> u32 {
        self.extracted
    }

    pub(crate) fn end_of_archive(&self) -> EndOfArchive {
        self.end
    }

    pub(crate) fn set_contents_elsewhere(&mut self, elsewhere: bool) {
        self.limits.contents_elsewhere = elsewhere;
    }

    pub(crate) fn take_content_ranges(&mut self) -> Vec<ContentRange> {
        std::mem::take(&mut self.ranges)
    }

    /// Gives each entry hashed elsewhere its digest (`digests` by ordinal,
    /// ascending).
    pub(crate) fn fill_contents(&mut self, digests: &[(u32, [u8; 32])]) {
        for &(index, ordinal) in &self.elsewhere {
            if let (Some(entry), Ok(at)) = (
                self.entries.get_mut(index),
                digests.binary_search_by_key(&ordinal, |(o, _)| *o),
            ) {
                entry.content_sha256 = digests.get(at).map(|(_, d)| *d);
            }
        }
    }

    pub(crate) fn into_parts(self) -> (Vec<Entry>, Vec<ScanError>, Option<S>) {
        (self.entries, self.problems, self.extract.map(|(_, s)| s))
    }

    /// Walks the next piece of the tar stream.
    pub(crate) fn feed(&mut self, mut bytes: &[u8]) -> Result<(), ScanError> {
        while !bytes.is_empty() {
            match self.step {
                Step::Header | Step::ZeroBlock | Step::SparseExtension { .. } => {
                    let at = self.offset - self.have as u64;
                    if self.have == 0 && bytes.len() >= BLOCK {
                        let (block, rest) = bytes.split_at(BLOCK);
                        bytes = rest;
                        self.offset += BLOCK as u64;
                        let mut copy = [0u8; BLOCK];
                        copy.copy_from_slice(block);
                        self.block_done(&copy, at)?;
                    } else {
                        let take = (BLOCK - self.have).min(bytes.len());
                        self.block[self.have..self.have + take].copy_from_slice(&bytes[..take]);
                        self.have += take;
                        self.offset += take as u64;
                        bytes = &bytes[take..];
                        if self.have == BLOCK {
                            self.have = 0;
                            let copy = self.block;
                            self.block_done(&copy, at)?;
                        }
                    }
                }
                Step::Data { left, pad, use_ } => {
                    if left > 0 {
                        let take = left.min(bytes.len() as u64);
                        let (data, rest) = bytes.split_at(take as usize);
                        self.data(use_, data);
                        bytes = rest;
                        self.offset += take;
                        self.step = Step::Data {
                            left: left - take,
                            pad,
                            use_,
                        };
                    } else {
                        let take = pad.min(bytes.len() as u64);
                        bytes = &bytes[take as usize..];
                        self.offset += take;
                        self.step = Step::Data {
                            left,
                            pad: pad - take,
                            use_,
                        };
                    }
                    self.data_if_done()?;
                }
                Step::End => {
                    if let Some(p) = bytes.iter().position(|&b| b != 0) {
                        return Err(ScanError::tar(
                            ScanErrorKind::TarDataAfterEnd,
                            self.offset + p as u64,
                        ));
                    }
                    self.offset += bytes.len() as u64;
                    bytes = &[];
                }
            }
        }
        Ok(())
    }

    /// Checks that the stream ended at a sensible place.
    pub(crate) fn finish(&mut self) -> Result<(), ScanError> {
        let truncated = |part, start, missing| {
            ScanError::tar(
                ScanErrorKind::TarTruncated {
                    part,
                    start,
                    missing,
                },
                self.offset,
            )
        };
        match self.step {
            Step::Header if self.have == 0 => match self.meta_start {
                Some(start) => Err(truncated(
                    "entry announced by a PAX or GNU long-name header",
                    start,
                    BLOCK as u64,
                )),
                None => Ok(()),
            },
            Step::ZeroBlock if self.have == 0 => Ok(()),
            Step::Header | Step::ZeroBlock => Err(truncated(
                "header",
                self.offset - self.have as u64,
                (BLOCK - self.have) as u64,
            )),
            Step::SparseExtension { data, .. } => Err(truncated(
                "GNU sparse map",
                self.member_start,
                (BLOCK - self.have) as u64 + data + padding(data),
            )),
            Step::Data { left, pad, use_ } => {
                Err(truncated(use_.part(), self.member_start, left + pad))
            }
            Step::End => Ok(()),
        }
    }

    fn data(&mut self, use_: DataUse, data: &[u8]) {
        match use_ {
            DataUse::Skip | DataUse::Padding => {}
            DataUse::Entry => {
                if let Some(current) = &mut self.current {
                    if let Some(h) = &mut current.hasher {
                        h.update(data);
                    }
                    if current.extracting {
                        if let Some((_, sink)) = &mut self.extract {
                            sink.data(data);
                        }
                    }
                }
            }
            // Bounded: the header's size was checked against the cap.
            DataUse::LongName | DataUse::LongLink | DataUse::Pax | DataUse::GlobalPax => {
                self.meta.extend_from_slice(data)
            }
        }
    }

    /// Completes the current member once its data and padding have passed.
    /// Completes the current member as soon as its last data byte has
    /// passed (an entry is complete, and its extraction ended, before its
    /// padding arrives), then waits for the padding.
    fn data_if_done(&mut self) -> Result<(), ScanError> {
        let Step::Data { left: 0, pad, use_ } = self.step else {
            return Ok(());
        };
        self.step = if pad == 0 {
            Step::Header
        } else {
            Step::Data {
                left: 0,
                pad,
                use_: DataUse::Padding,
            }
        };
        match use_ {
            DataUse::Skip | DataUse::Padding => {}
            DataUse::Entry => {
                if let Some(Current {
                    mut entry,
                    hasher,
                    ordinal,
                    extracting,
                }) = self.current.take()
                {
                    entry.content_sha256 = hasher.map(|h| h.finalize().into());
                    if let Some(o) = ordinal {
                        self.elsewhere.push((self.entries.len(), o));
                    }
                    if extracting {
                        if let Some((_, sink)) = &mut self.extract {
                            sink.end(&entry);
                            self.extracted += 1;
                        }
                    }
                    self.entries.push(entry);
                }
            }
            DataUse::LongName => {
                self.long_name = Some(header::c_string(&self.meta).to_vec());
            }
            DataUse::LongLink => {
                self.long_link = Some(header::c_string(&self.meta).to_vec());
            }
            DataUse::Pax => self.local.merge(&self.meta, self.member_start)?,
            DataUse::GlobalPax => self.global.merge(&self.meta, self.member_start)?,
        }
        Ok(())
    }

    /// Handles one complete 512-byte block at tar offset `at`.
    fn block_done(&mut self, block: &[u8; BLOCK], at: u64) -> Result<(), ScanError> {
        match self.step {
            Step::SparseExtension { data, use_ } => {
                if block[header::GNU_EXT_ISEXTENDED] == 0 {
                    self.step = Step::Data {
                        left: data,
                        pad: padding(data),
                        use_,
                    };
                    self.data_if_done()?;
                }
                Ok(())
            }
            Step::ZeroBlock => {
                if header::is_zero_block(block) {
                    self.step = Step::End;
                    self.end = EndOfArchive::Marker;
                    Ok(())
                } else {
                    Err(ScanError::tar(
                        ScanErrorKind::TarHeader(
                            "a single zero block is followed by a header (damaged archive)",
                        ),
                        at,
                    ))
                }
            }
            Step::Header => {
                if header::is_zero_block(block) {
                    // Metadata headers waiting for an entry are dropped, as Go does.
                    self.step = Step::ZeroBlock;
                    self.end = EndOfArchive::OneZeroBlock;
                    self.meta_start = None;
                    return Ok(());
                }
                let h = Header::parse(block, at)?;
                self.member_start = at;
                match h.typeflag() {
                    b'L' => self.meta_header(&h, at, DataUse::LongName),
                    b'K' => self.meta_header(&h, at, DataUse::LongLink),
                    b'x' => self.meta_header(&h, at, DataUse::Pax),
                    b'g' => self.meta_header(&h, at, DataUse::GlobalPax),
                    _ => self.entry_header(&h, block, at),
                }
            }
            Step::Data { .. } | Step::End => Ok(()),
        }
    }

    fn meta_header(&mut self, h: &Header<'_>, at: u64, use_: DataUse) -> Result<(), ScanError> {
        let size = h.unsigned(header::SIZE, "size", at)?;
        let is_pax = matches!(use_, DataUse::Pax | DataUse::GlobalPax);
        if is_pax && size > self.limits.max_pax_size {
            return Err(ScanError::tar(
                ScanErrorKind::PaxTooLarge {
                    size,
                    max: self.limits.max_pax_size,
                },
                at,
            ));
        }
        if !is_pax && size > self.limits.max_name_len {
            return Err(ScanError::tar(
                ScanErrorKind::NameTooLong {
                    size,
                    max: self.limits.max_name_len,
                },
                at,
            ));
        }
        self.meta.clear();
        if use_ != DataUse::GlobalPax {
            self.meta_start.get_or_insert(at);
        }
        self.step = Step::Data {
            left: size,
            pad: padding(size),
            use_,
        };
        self.data_if_done()
    }
}
