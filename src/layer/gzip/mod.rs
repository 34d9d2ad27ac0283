//! Gzip framing (RFC 1952) around a raw deflate inflater, push-style.
//!
//! We parse the member header and trailer ourselves rather than using a gzip
//! reader: the scanner is fed chunks of any size and must never block, and
//! we want exact errors (which member, which check, which offset) and the
//! header fields. Inflation is zlib-rs's raw `Inflate` (flate2's backend,
//! used directly because flate2 cannot stop at a deflate block boundary,
//! which recording seek checkpoints needs: [`super::seek`]), the fastest
//! pure-Rust inflater in native and wasm builds.
//!
//! Rules implemented (RFC 1952 §2.2–2.3):
//! * a member is `header · deflate data · CRC32 · ISIZE`; members repeat
//!   (`cat a.gz b.gz` is a valid gzip file) and their data concatenates;
//! * header: ID1 ID2 = `1f 8b`, CM = 8, reserved FLG bits zero, then the
//!   optional FEXTRA (`XLEN` + bytes), FNAME and FCOMMENT (NUL-terminated)
//!   and FHCRC (low 16 bits of the CRC32 of the header bytes before it);
//! * trailer: CRC32 of the member's uncompressed data and its length modulo
//!   2^32, both little-endian, both checked;
//! * anything after the last member that is not another member is an error
//!   (as in Go's `compress/gzip`, which Docker and containerd use; GNU gzip
//!   merely warns about trailing zeros).

use zlib_rs::crc32::crc32;
use zlib_rs::{Inflate, InflateFlush, Status};

use crate::layer::error::{ScanError, ScanErrorKind};
use crate::layer::Sink;

mod header;
use crate::layer::seek::{BlockRecorder, Points};
use header::HeaderParser;

/// Size of the inflate output buffer: large enough that per-call overhead
/// vanishes, small enough to stay in L2.
const OUT_BUF: usize = 128 * 1024;

/// What the first gzip member's header says, for display. Nothing here is
/// trusted or needed for decoding.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GzipInfo {
    /// MTIME: modification time of the original file (0 = none, as most
    /// layer tools write, for reproducibility).
    pub mtime: u32,
    /// XFL: 2 = maximum compression, 4 = fastest.
    pub extra_flags: u8,
    /// OS: 3 = Unix, 255 = unknown, …
    pub os: u8,
    /// FTEXT: the compressor guessed the data is text.
    pub text: bool,
    /// FNAME, cut to 1 KiB.
    pub name: Option<Vec<u8>>,
    /// FCOMMENT, cut to 1 KiB.
    pub comment: Option<Vec<u8>>,
    /// FEXTRA subfields, raw (at most 65535 bytes by construction).
    pub extra: Option<Vec<u8>>,
    /// Whether the header carried (and passed) an FHCRC check.
    pub header_crc: bool,
    /// How many members the stream had.
    pub members: u64,
}

enum State {
    Header(Box<HeaderParser>),
    Body,
    Trailer {
        buf: [u8; 8],
        have: usize,
    },
    /// A member ended; the stream may end here or another member may follow.
    BetweenMembers,
}

/// Push-style multi-member gzip decoder.
pub(crate) struct GzipDecoder {
    inflate: Inflate,
    out: Vec<u8>,
    state: State,
    /// Compressed bytes consumed so far.
    offset: u64,
    /// 1-based number of the current (or last complete) member.
    member: u64,
    /// Offset where the current member's trailer begins (for errors).
    trailer_at: u64,
    /// CRC-32 of the member's data so far (zlib's running form).
    crc: u32,
    isize: u32,
    info: Option<GzipInfo>,
    /// Bytes inflated from all members so far (the tar offset).
    total_out: u64,
    /// Records seek checkpoints, when asked for.
    seek: Option<Box<BlockRecorder>>,
    /// The next inflate call must not stop at a block boundary (the last
    /// one stopped there without progress).
    no_block_stop: bool,
}

impl GzipDecoder {
    pub(crate) fn new() -> GzipDecoder {
        GzipDecoder::starting_at(0, 1)
    }

    /// A decoder that records a seek checkpoint every `spacing` compressed
    /// bytes ([`super::seek`]).
    pub(crate) fn with_seek(spacing: u64) -> GzipDecoder {
        let mut decoder = GzipDecoder::new();
        decoder.seek = Some(Box::new(BlockRecorder::new(spacing)));
        decoder
    }

    /// A decoder for a stream read from blob byte `offset` on, where member
    /// number `member` (1-based) begins: errors count offsets and members
    /// as in the whole blob.
    pub(crate) fn starting_at(offset: u64, member: u64) -> GzipDecoder {
        GzipDecoder {
            inflate: Inflate::new(false, 15),
            out: vec![0; OUT_BUF],
            state: State::Header(Box::new(HeaderParser::new())),
            offset,
            member,
            trailer_at: 0,
            crc: 0,
            isize: 0,
            info: None,
            total_out: 0,
            seek: None,
            no_block_stop: false,
        }
    }

    /// Bytes inflated so far.
    pub(crate) fn total_out(&self) -> u64 {
        self.total_out
    }

    /// Block boundaries whose bit offset could not be told, so far.
    #[cfg(test)]
    pub(crate) fn seek_dropped(&self) -> u64 {
        self.seek.as_ref().map_or(0, |s| s.dropped())
    }

    /// The checkpoints recorded so far (with [`GzipDecoder::with_seek`]).
    pub(crate) fn take_seek_points(&mut self) -> Option<Points> {
        self.seek.take().map(|r| r.into_points())
    }

    /// The first member's header, with the member count, once a header has
    /// been read.
    pub(crate) fn info(&self) -> Option<&GzipInfo> {
        self.info.as_ref()
    }

    /// Decodes `input`, passing every inflated byte to `sink` in order.
    pub(crate) fn feed(&mut self, mut input: &[u8], sink: &mut Sink<'_>) -> Result<(), ScanError> {
        while !input.is_empty() {
            match &mut self.state {
                State::Header(parser) => {
                    let (used, done) = parser.feed(input, self.offset, self.member)?;
                    input = &input[used..];
                    self.offset += used as u64;
                    if done {
                        if self.member == 1 {
                            let mut info = std::mem::take(&mut parser.info);
                            info.members = 1;
                            self.info = Some(info);
                        }
                        self.state = State::Body;
                    }
                }
                State::Body => {
                    let used = self.inflate_some(input, sink)?;
                    input = &input[used..];
                }
                State::Trailer { buf, have } => {
                    let take = (8 - *have).min(input.len());
                    buf[*have..*have + take].copy_from_slice(&input[..take]);
                    *have += take;
                    input = &input[take..];
                    self.offset += take as u64;
                    if *have == 8 {
                        let buf = *buf;
                        self.check_trailer(buf)?;
                        self.state = State::BetweenMembers;
                    }
                }
                State::BetweenMembers => {
                    self.member += 1;
                    if let Some(info) = &mut self.info {
                        info.members = self.member;
                    }
                    if let Some(seek) = &mut self.seek {
                        seek.member_start(self.offset, self.member);
                    }
                    self.inflate.reset(false);
                    self.crc = 0;
                    self.isize = 0;
                    self.state = State::Header(Box::new(HeaderParser::new()));
                }
            }
        }
        // Deflate may hold output back until asked again with an empty input
        // (when the output buffer filled exactly); drain it.
        if matches!(self.state, State::Body) {
            self.inflate_some(&[], sink)?;
        }
        Ok(())
    }

    /// Runs the inflater over `input` until it needs more input or the
    /// member's deflate stream ends. Returns the bytes of `input` used.
    fn inflate_some(&mut self, input: &[u8], sink: &mut Sink<'_>) -> Result<usize, ScanError> {
        let mut used = 0usize;
        loop {
            // Recording checkpoints, the inflater stops at the next block
            // boundary once one is due (see `super::seek`).
            let flush = match &self.seek {
                Some(seek) if !self.no_block_stop && seek.wants_block(self.offset) => {
                    InflateFlush::Block
                }
                _ => InflateFlush::NoFlush,
            };
            self.no_block_stop = false;
            let in_before = self.inflate.total_in();
            let out_before = self.inflate.total_out();
            let status = self
                .inflate
                .decompress(&input[used..], &mut self.out, flush);
            let took = (self.inflate.total_in() - in_before) as usize;
            let produced = (self.inflate.total_out() - out_before) as usize;
            used += took;
            self.offset += took as u64;
            // Output produced before an error is passed on first, so that
            // what the tar reader sees does not depend on chunk sizes.
            if produced > 0 {
                let out = &self.out[..produced];
                self.crc = crc32(self.crc, out);
                self.isize = self.isize.wrapping_add(produced as u32);
                self.total_out += produced as u64;
                sink(out)?;
            }
            if let Some(seek) = &mut self.seek {
                seek.observe(
                    self.offset,
                    &input[used - took..used],
                    &self.out[..produced],
                );
            }
            // zlib-rs's error text depends on which of its decoding loops
            // noticed the damage (and so on chunk sizes); the kind and the
            // offset do not, so the text is not kept.
            let status = status.map_err(|_| {
                ScanError::compressed(
                    ScanErrorKind::GzipCorrupt {
                        member: self.member,
                    },
                    self.offset,
                )
            })?;
            match status {
                Status::StreamEnd => {
                    if let Some(seek) = &mut self.seek {
                        seek.member_end();
                    }
                    self.trailer_at = self.offset;
                    self.state = State::Trailer {
                        buf: [0; 8],
                        have: 0,
                    };
                    return Ok(used);
                }
                Status::Ok | Status::BufError => {
                    let out_full = produced == self.out.len();
                    if flush == InflateFlush::Block && !out_full && used < input.len() {
                        // Stopped with input left and room to write: at a
                        // block boundary.
                        if let Some(seek) = &mut self.seek {
                            let crc = self.crc;
                            seek.boundary(self.offset, self.member, crc, self.isize);
                        }
                        // A stop without progress is retried without one,
                        // so that a stuck inflater is still noticed below.
                        self.no_block_stop = took == 0 && produced == 0;
                        continue;
                    }
                    if !out_full && (used == input.len() || (took == 0 && produced == 0)) {
                        if used < input.len() {
                            // No progress with input left and room to write:
                            // the inflater refuses the data.
                            return Err(ScanError::compressed(
                                ScanErrorKind::GzipCorrupt {
                                    member: self.member,
                                },
                                self.offset,
                            ));
                        }
                        return Ok(used);
                    }
                }
            }
        }
    }

    fn check_trailer(&mut self, buf: [u8; 8]) -> Result<(), ScanError> {
        let stored_crc = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]);
        let stored_size = u32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]);
        let computed_crc = std::mem::take(&mut self.crc);
        if stored_crc != computed_crc {
            return Err(ScanError::compressed(
                ScanErrorKind::GzipCrc {
                    member: self.member,
                    stored: stored_crc,
                    computed: computed_crc,
                },
                self.trailer_at,
            ));
        }
        if stored_size != self.isize {
            return Err(ScanError::compressed(
                ScanErrorKind::GzipSize {
                    member: self.member,
                    stored: stored_size,
                    computed: self.isize,
                },
                self.trailer_at + 4,
            ));
        }
        Ok(())
    }

    /// Checks that the stream ended cleanly, after a complete member.
    pub(crate) fn finish(&self) -> Result<(), ScanError> {
        let part = match &self.state {
            State::BetweenMembers => return Ok(()),
            State::Header(parser) => parser.part(),
            State::Body => "deflate data",
            State::Trailer { .. } => "trailer",
        };
        Err(ScanError::compressed(
            ScanErrorKind::GzipTruncated {
                member: self.member,
                part,
            },
            self.offset,
        ))
    }
}
