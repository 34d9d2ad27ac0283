//! Zstandard (RFC 8878) decoding, push-style, around ruzstd's `FrameDecoder`.
//!
//! ruzstd decodes from a reader; we are fed chunks of any size. So we frame
//! the stream ourselves and hand ruzstd only complete units: a frame header,
//! or one block (RFC 8878 §3.1.1.2: a block is at most 128 KiB, so a unit
//! is too). Units that arrive whole in a chunk are decoded in place; only a
//! unit split across chunks is copied into a bounded buffer.
//!
//! Rules implemented:
//! * a stream is one or more frames (§3.1): Zstandard frames (magic
//!   `0xFD2FB528`) and skippable frames (magic `0x184D2A5?`, §3.1.2), which
//!   are skipped; anything else after the last frame is an error;
//! * frame header (§3.1.1.1): the reserved bit must be zero, dictionaries are
//!   refused (layers never use them), and the window — the memory the decoder
//!   must keep — must not exceed [`ScanOptions::max_zstd_window`](super::ScanOptions::max_zstd_window);
//! * blocks (§3.1.1.2): reserved block type refused, size at most 128 KiB;
//! * the optional content checksum (low 32 bits of XXH64) is verified.
//!
//! Memory is the frame's window plus one block, whatever the layer size.
//!
//! Seek checkpoints ([`super::seek`]) are frame starts: frames are
//! independent, so a frame start needs no state to resume from. A layer
//! written as a single frame (what `zstd` and most image builders write)
//! gets none.

use std::io;

use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};

use super::error::{ScanError, ScanErrorKind};
use super::seek::{Checkpoint, Points};
use super::Sink;

const ZSTD_MAGIC: u32 = 0xFD2F_B528;
/// Skippable frames use magics `0x184D2A50..=0x184D2A5F`.
const SKIPPABLE_MASK: u32 = 0xFFFF_FFF0;
const SKIPPABLE_MAGIC: u32 = 0x184D_2A50;
/// RFC 8878 §3.1.1.2.3: `Block_Maximum_Size` is at most 128 KiB.
const MAX_BLOCK: usize = 128 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Expecting a frame magic number (or the end of the stream).
    FrameStart,
    /// Inside a skippable frame's payload.
    Skip { left: u64 },
    /// Expecting a block (header, content and, after the last block of a
    /// frame with a checksum, the checksum).
    Block,
}

/// How long the unit at the current position is.
enum Need {
    /// Not knowable yet: at least this many bytes are needed to tell.
    AtLeast(usize),
    /// The unit is exactly this many bytes.
    Exactly(usize),
}

/// Push-style multi-frame zstd decoder.
pub(crate) struct ZstdDecoder {
    decoder: FrameDecoder,
    /// A unit split across chunks, being assembled (at most one block plus
    /// header and checksum).
    pending: Vec<u8>,
    state: State,
    /// Compressed bytes consumed so far (including those in `pending`).
    offset: u64,
    /// 1-based number of the current frame (0 before the first).
    frame: u64,
    /// Whether the current frame ends with a content checksum.
    checksum: bool,
    /// The current frame's declared content size, if any, and the bytes
    /// it has produced so far (§3.1.1.1.4: they must agree).
    content_size: Option<u64>,
    produced: u64,
    max_window: u64,
    /// Bytes decoded from all frames so far (the tar offset).
    total_out: u64,
    /// Frame starts recorded as seek checkpoints, when asked for.
    seek: Option<Points>,
}

/// Adapts the byte sink to the `io::Write` ruzstd drains into, keeping the
/// sink's own error (io::Error cannot carry it).
struct SinkWriter<'a, 's> {
    sink: &'a mut Sink<'s>,
    error: Option<ScanError>,
    written: u64,
}

impl io::Write for SinkWriter<'_, '_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match (self.sink)(buf) {
            Ok(()) => {
                self.written += buf.len() as u64;
                Ok(buf.len())
            }
            Err(e) => {
                self.error = Some(e);
                Err(io::Error::other("the tar reader stopped"))
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl ZstdDecoder {
    pub(crate) fn new(max_window: u64) -> ZstdDecoder {
        ZstdDecoder::starting_at(max_window, 0, 0)
    }

    /// A decoder that records a seek checkpoint at the first frame start
    /// after every `spacing` compressed bytes ([`super::seek`]).
    pub(crate) fn with_seek(max_window: u64, spacing: u64) -> ZstdDecoder {
        let mut decoder = ZstdDecoder::new(max_window);
        decoder.seek = Some(Points::new(spacing));
        decoder
    }

    /// A decoder for a stream read from blob byte `offset` on, a frame
    /// start after `frames_before` frames: errors count offsets and frames
    /// as in the whole blob.
    pub(crate) fn starting_at(max_window: u64, offset: u64, frames_before: u64) -> ZstdDecoder {
        let mut decoder = FrameDecoder::new();
        decoder.set_max_window_size(max_window);
        ZstdDecoder {
            decoder,
            pending: Vec::new(),
            state: State::FrameStart,
            offset,
            frame: frames_before,
            checksum: false,
            content_size: None,
            produced: 0,
            max_window,
            total_out: 0,
            seek: None,
        }
    }

    /// The checkpoints recorded so far (with [`ZstdDecoder::with_seek`]).
    pub(crate) fn take_seek_points(&mut self) -> Option<Points> {
        self.seek.take()
    }

    /// Bytes decoded so far.
    pub(crate) fn total_out(&self) -> u64 {
        self.total_out
    }

    /// How long the unit starting with `prefix` is, in the current state.
    fn need(&self, prefix: &[u8]) -> Result<Need, ScanError> {
        match self.state {
            State::FrameStart => {
                let Some(magic) = prefix.get(..4) else {
                    return Ok(Need::AtLeast(4));
                };
                let magic = u32::from_le_bytes([magic[0], magic[1], magic[2], magic[3]]);
                if magic & SKIPPABLE_MASK == SKIPPABLE_MAGIC {
                    return Ok(Need::Exactly(8));
                }
                if magic != ZSTD_MAGIC {
                    let kind = if self.frame == 0 {
                        ScanErrorKind::ZstdMagic(magic)
                    } else {
                        ScanErrorKind::TrailingGarbage {
                            after: "zstd frame",
                        }
                    };
                    return Err(ScanError::compressed(kind, self.offset));
                }
                let Some(&fhd) = prefix.get(4) else {
                    return Ok(Need::AtLeast(5));
                };
                Ok(Need::Exactly(frame_header_len(fhd)))
            }
            State::Block => {
                let Some(h) = prefix.get(..3) else {
                    return Ok(Need::AtLeast(3));
                };
                let header = u32::from_le_bytes([h[0], h[1], h[2], 0]);
                let last = header & 1 == 1;
                let block_type = (header >> 1) & 3;
                let size = (header >> 3) as usize;
                let content = match block_type {
                    0 | 2 => size,
                    1 => 1,
                    _ => {
                        return Err(ScanError::compressed(
                            ScanErrorKind::ZstdBlock("reserved block type"),
                            self.offset,
                        ))
                    }
                };
                if size > MAX_BLOCK {
                    return Err(ScanError::compressed(
                        ScanErrorKind::ZstdBlock("block larger than 128 KiB"),
                        self.offset,
                    ));
                }
                let trailer = if last && self.checksum { 4 } else { 0 };
                Ok(Need::Exactly(3 + content + trailer))
            }
            // Never asked: skipping consumes bytes directly.
            State::Skip { .. } => Ok(Need::Exactly(0)),
        }
    }

    /// Decodes `input`, passing every decoded byte to `sink` in order.
    pub(crate) fn feed(&mut self, mut input: &[u8], sink: &mut Sink<'_>) -> Result<(), ScanError> {
        while !input.is_empty() {
            if let State::Skip { left } = self.state {
                let take = left.min(input.len() as u64);
                input = &input[take as usize..];
                self.offset += take;
                self.state = if take == left {
                    State::FrameStart
                } else {
                    State::Skip { left: left - take }
                };
                continue;
            }
            if self.pending.is_empty() {
                // Fast path: the whole unit is in this chunk.
                if let Need::Exactly(n) = self.need(input)? {
                    if let Some(unit) = input.get(..n) {
                        input = &input[n..];
                        self.unit(unit, sink)?;
                        self.offset += n as u64;
                        continue;
                    }
                }
            }
            // Slow path: assemble the unit in `pending`, growing the target
            // as the prefix reveals the unit's length.
            let target = match self.need(&self.pending)? {
                Need::AtLeast(n) | Need::Exactly(n) => n,
            };
            let take = target.saturating_sub(self.pending.len()).min(input.len());
            self.pending.extend_from_slice(&input[..take]);
            input = &input[take..];
            if let Need::Exactly(n) = self.need(&self.pending)? {
                if self.pending.len() == n {
                    let unit = std::mem::take(&mut self.pending);
                    let result = self.unit(&unit, sink);
                    self.pending = unit;
                    self.pending.clear();
                    result?;
                    self.offset += n as u64;
                }
            }
        }
        Ok(())
    }

    /// Handles one complete unit. `self.offset` is still the unit's start.
    fn unit(&mut self, unit: &[u8], sink: &mut Sink<'_>) -> Result<(), ScanError> {
        match self.state {
            State::FrameStart => {
                self.frame += 1;
                let magic = unit
                    .get(..4)
                    .map(|m| u32::from_le_bytes([m[0], m[1], m[2], m[3]]));
                if magic.is_some_and(|m| m & SKIPPABLE_MASK == SKIPPABLE_MAGIC) {
                    let len = unit
                        .get(4..8)
                        .map_or(0, |l| u32::from_le_bytes([l[0], l[1], l[2], l[3]]));
                    self.state = State::Skip {
                        left: u64::from(len),
                    };
                    if len == 0 {
                        self.state = State::FrameStart;
                    }
                    return Ok(());
                }
                if let Some(points) = &mut self.seek {
                    // The first frame starts where the blob does: that
                    // checkpoint is implicit.
                    if self.frame > 1 && points.due(self.offset) {
                        points.push(Checkpoint::frame(self.offset, self.total_out, self.frame));
                    }
                }
                self.frame_header(unit)
            }
            State::Block => self.block(unit, sink),
            State::Skip { .. } => Ok(()),
        }
    }

    fn corrupt(&self, detail: impl ToString) -> ScanError {
        ScanError::compressed(
            ScanErrorKind::ZstdCorrupt {
                frame: self.frame,
                detail: detail.to_string(),
            },
            self.offset,
        )
    }

    fn frame_header(&mut self, header: &[u8]) -> Result<(), ScanError> {
        let info = parse_frame_header(header).ok_or_else(|| self.corrupt("short frame header"))?;
        if info.reserved {
            return Err(ScanError::compressed(
                ScanErrorKind::ZstdReservedBit,
                self.offset,
            ));
        }
        if info.dictionary != 0 {
            return Err(ScanError::compressed(
                ScanErrorKind::ZstdDictionary(info.dictionary),
                self.offset,
            ));
        }
        if info.window > self.max_window {
            return Err(ScanError::compressed(
                ScanErrorKind::ZstdWindowTooLarge {
                    declared: info.window,
                    max: self.max_window,
                },
                self.offset,
            ));
        }
        self.decoder.reset(header).map_err(|e| self.corrupt(e))?;
        self.checksum = info.checksum;
        self.content_size = info.content_size;
        self.produced = 0;
        self.state = State::Block;
        Ok(())
    }

    fn block(&mut self, block: &[u8], sink: &mut Sink<'_>) -> Result<(), ScanError> {
        let mut source = block;
        let finished = self
            .decoder
            .decode_blocks(&mut source, BlockDecodingStrategy::UptoBlocks(1))
            .map_err(|e| self.corrupt(e))?;
        if !source.is_empty() {
            return Err(self.corrupt("block shorter than its header says"));
        }
        let mut writer = SinkWriter {
            sink,
            error: None,
            written: 0,
        };
        let drained = self.decoder.collect_to_writer(&mut writer);
        self.produced += writer.written;
        self.total_out += writer.written;
        if let Some(e) = writer.error {
            return Err(e);
        }
        drained.map_err(|e| self.corrupt(e))?;
        if finished {
            if let Some(declared) = self.content_size {
                if declared != self.produced {
                    return Err(self.corrupt(format!(
                        "the frame header declares {declared} bytes of content, the frame holds {}",
                        self.produced
                    )));
                }
            }
            if self.checksum {
                let stored = self.decoder.get_checksum_from_data();
                let computed = self.decoder.get_calculated_checksum();
                if let (Some(stored), Some(computed)) = (stored, computed) {
                    if stored != computed {
                        let at = self.offset + block.len() as u64 - 4;
                        return Err(ScanError::compressed(
                            ScanErrorKind::ZstdChecksum {
                                frame: self.frame,
                                stored,
                                computed,
                            },
                            at,
                        ));
                    }
                }
            }
            self.state = State::FrameStart;
        }
        Ok(())
    }

    /// Checks that the stream ended after a complete frame.
    pub(crate) fn finish(&self) -> Result<(), ScanError> {
        let part = match self.state {
            State::FrameStart if self.pending.is_empty() && self.frame > 0 => return Ok(()),
            State::FrameStart if self.frame == 0 && self.pending.is_empty() => "empty stream",
            State::FrameStart => "frame header",
            State::Skip { .. } => "skippable frame",
            State::Block => "block",
        };
        let frame = if self.state == State::FrameStart {
            self.frame + 1
        } else {
            self.frame
        };
        Err(ScanError::compressed(
            ScanErrorKind::ZstdTruncated { frame, part },
            self.offset + self.pending.len() as u64,
        ))
    }
}

/// The parts of a frame header (RFC 8878 §3.1.1.1) we check before decoding.
struct FrameHeaderInfo {
    /// `Frame_Content_Size`, when the header carries it.
    content_size: Option<u64>,
    reserved: bool,
    checksum: bool,
    dictionary: u32,
    window: u64,
}

/// Length of a frame header, magic included, from its descriptor byte.
fn frame_header_len(fhd: u8) -> usize {
    let single_segment = fhd & 0x20 != 0;
    let dict_len = [0, 1, 2, 4][usize::from(fhd & 3)];
    let fcs_len = match fhd >> 6 {
        0 => usize::from(single_segment),
        1 => 2,
        2 => 4,
        _ => 8,
    };
    4 + 1 + usize::from(!single_segment) + dict_len + fcs_len
}

fn parse_frame_header(h: &[u8]) -> Option<FrameHeaderInfo> {
    let fhd = *h.get(4)?;
    let single_segment = fhd & 0x20 != 0;
    let mut pos = 5;
    let window_descriptor = if single_segment {
        None
    } else {
        pos += 1;
        Some(*h.get(5)?)
    };
    let dict_len = [0, 1, 2, 4][usize::from(fhd & 3)];
    let mut dictionary = 0u32;
    for (i, b) in h.get(pos..pos + dict_len)?.iter().enumerate() {
        dictionary |= u32::from(*b) << (8 * i);
    }
    pos += dict_len;
    let fcs_bytes = h.get(pos..)?;
    let mut fcs = 0u64;
    for (i, b) in fcs_bytes.iter().enumerate() {
        fcs |= u64::from(*b) << (8 * i);
    }
    if fcs_bytes.len() == 2 {
        fcs += 256;
    }
    let window = match window_descriptor {
        // §3.1.1.1.2: windowLog = 10 + exponent, plus mantissa eighths.
        Some(wd) => {
            let base = 1u64 << (10 + u32::from(wd >> 3));
            base + (base / 8) * u64::from(wd & 7)
        }
        // §3.1.1.1.1.2: with Single_Segment_flag the window is the content size.
        None => fcs,
    };
    Some(FrameHeaderInfo {
        content_size: (!fcs_bytes.is_empty()).then_some(fcs),
        reserved: fhd & 0x08 != 0,
        checksum: fhd & 0x04 != 0,
        dictionary,
        window,
    })
}
