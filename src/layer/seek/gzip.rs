//! Recording deflate checkpoints during a scan ([`BlockRecorder`], driven
//! by the scanner's gzip decoder). Resuming from one: `super::resume`.
//!
//! # Finding the bit a block starts at
//!
//! The scanner's inflater is asked to stop at a block boundary
//! (`InflateFlush::Block`, zlib's `Z_BLOCK`). It reports the bytes it
//! consumed, `in`, but not how many bits of byte `in - 1` it has not used
//! yet: the next block starts at one of eight places, bit 8 − u of byte
//! `in - 1` for u ∈ 1..=7 unused bits, or byte `in` itself (u = 0). zlib
//! keeps fewer than 8 bits in hand at a block boundary (it pulls input a
//! byte at a time outside its fast loop, which hands unused whole bytes
//! back), and so does zlib-rs; were that ever not so, no candidate would
//! match and no checkpoint would be recorded.
//!
//! The scan goes on as usual while the compressed bytes from `in - 1` and
//! the real output after the boundary are kept, until [`VERIFY`] bytes of
//! output (or the member's end). Then each candidate is tried: a fresh raw
//! inflater, primed with the window by `set_dictionary`, is fed the kept
//! bytes from the candidate's bit on (zlib-rs has no `inflatePrime`; empty
//! deflate blocks written in front make it skip the bits before it, see
//! `super::resume`), and its output is compared with the real one as it
//! comes. The checkpoint is kept only if a
//! candidate reproduces all of it (at the member's end: exactly it, and the
//! end).
//!
//! Why this is safe: a wrong alignment parses a block header out of the
//! wrong bits — a different block type or different Huffman tables — and
//! its first symbols differ at once, or it fails. The one way two
//! alignments agree is when both read a stored block's header (three zero
//! bits, the padding bits after them often zero too, or the zero end-of-
//! block code of a fixed block before it) and then skip to the same byte
//! boundary: from there they are the same decoder, so either is right.
//! When several candidates match in full the first (the fewest unused
//! bits) is taken; a candidate that matches only part of the output is
//! never taken. If none matches, or the output after the boundary is too
//! short to tell ([`MIN_VERIFY`] at a member's end), that boundary is
//! skipped and the next one tried. And whatever is recorded, a reader
//! checks the content it streams against the scan's content digest.
//!
//! Cost: a wrong candidate stops within its first output bytes, so a
//! checkpoint costs about one extra inflate of [`VERIFY`] bytes plus
//! deflating its window, once every `spacing` compressed bytes.

use zlib_rs::{Inflate, InflateFlush, Status};

use super::resume::primed;
use super::{At, BlockState, Checkpoint, Points, WINDOW};

/// Output compared to tell the bit offset of a checkpoint.
pub(crate) const VERIFY: usize = 32 << 10;

/// The least output after a boundary that ends its member, for a
/// checkpoint there to be trusted.
pub(crate) const MIN_VERIFY: usize = 1 << 10;

/// Compressed bytes kept while verifying, at most (a hostile stream of
/// empty blocks could grow them without output).
const COMP_CAP: usize = 4 << 20;

/// The rolling window starts this many compressed bytes before a
/// checkpoint is due, so that it is full when the boundary comes.
const PREARM: u64 = 64 << 10;

/// Output compared per inflate call of a trial (a wrong candidate stops at
/// the first differing step).
const STEP: usize = 4 << 10;

/// The last [`WINDOW`] bytes of output.
struct Ring {
    buf: Vec<u8>,
    /// Where the next byte goes.
    pos: usize,
}

impl Ring {
    fn new() -> Ring {
        Ring {
            buf: vec![0; WINDOW],
            pos: 0,
        }
    }

    fn push(&mut self, data: &[u8]) {
        let data = &data[data.len().saturating_sub(WINDOW)..];
        let first = (WINDOW - self.pos).min(data.len());
        self.buf[self.pos..self.pos + first].copy_from_slice(&data[..first]);
        let rest = &data[first..];
        self.buf[..rest.len()].copy_from_slice(rest);
        self.pos = (self.pos + data.len()) % WINDOW;
    }

    /// The last `n` bytes pushed, in order (`n` at most [`WINDOW`]).
    fn last(&self, n: usize) -> Vec<u8> {
        let n = n.min(WINDOW);
        let start = (self.pos + WINDOW - n) % WINDOW;
        let mut out = Vec::with_capacity(n);
        if start + n <= WINDOW {
            out.extend_from_slice(&self.buf[start..start + n]);
        } else {
            out.extend_from_slice(&self.buf[start..]);
            out.extend_from_slice(&self.buf[..n - (WINDOW - start)]);
        }
        out
    }
}

/// A block boundary waiting for its bit offset to be found.
struct Pending {
    /// Compressed bytes consumed at the boundary.
    consumed: u64,
    out: u64,
    member: u64,
    crc: u32,
    isize: u32,
    window: Vec<u8>,
    /// Compressed bytes from the one before the boundary on.
    comp: Vec<u8>,
    /// Output after the boundary (at most [`VERIFY`] bytes).
    real: Vec<u8>,
}

/// The tools of the trials, allocated once.
struct Trial {
    inflate: Inflate,
    scratch: Vec<u8>,
    /// A candidate's input.
    shifted: Vec<u8>,
}

/// Records deflate checkpoints during a scan: the gzip decoder tells it
/// what each inflate call consumed and produced, stops at a block boundary
/// when [`BlockRecorder::wants_block`] and reports it.
pub(crate) struct BlockRecorder {
    points: Points,
    /// Output of the whole stream so far (the tar offset).
    out: u64,
    /// Output of the current member so far.
    member_out: u64,
    ring: Ring,
    ring_on: bool,
    /// `member_out` when the ring was (re)started.
    ring_from: u64,
    /// The last compressed byte consumed.
    last_byte: u8,
    pending: Option<Box<Pending>>,
    trial: Option<Box<Trial>>,
    /// Boundaries tried and given up (no single alignment matched).
    dropped: u64,
}

impl BlockRecorder {
    pub(crate) fn new(spacing: u64) -> BlockRecorder {
        BlockRecorder {
            points: Points::new(spacing),
            out: 0,
            member_out: 0,
            ring: Ring::new(),
            ring_on: false,
            ring_from: 0,
            last_byte: 0,
            pending: None,
            trial: None,
            dropped: 0,
        }
    }

    /// Whether the inflater should stop at the next block boundary, with
    /// `offset` compressed bytes consumed.
    pub(crate) fn wants_block(&self, offset: u64) -> bool {
        self.pending.is_none() && self.points.due(offset)
    }

    /// One inflate call consumed `consumed` and produced `produced`; the
    /// stream now stands at compressed byte `offset`.
    pub(crate) fn observe(&mut self, offset: u64, consumed: &[u8], produced: &[u8]) {
        if let Some(&b) = consumed.last() {
            self.last_byte = b;
        }
        if let Some(p) = &mut self.pending {
            p.comp.extend_from_slice(consumed);
            let room = VERIFY - p.real.len();
            p.real
                .extend_from_slice(&produced[..room.min(produced.len())]);
            if p.real.len() >= VERIFY {
                self.settle(false);
            } else if p.comp.len() > COMP_CAP {
                self.pending = None;
                self.dropped += 1;
            }
        }
        if self.ring_on {
            self.ring.push(produced);
        }
        self.member_out += produced.len() as u64;
        self.out += produced.len() as u64;
        if !self.ring_on && offset.saturating_add(PREARM) >= self.points.due_at() {
            self.ring_on = true;
            self.ring_from = self.member_out;
        }
    }

    /// The inflater stopped at a block boundary after `offset` compressed
    /// bytes, in member `member` whose data so far has CRC `crc` and length
    /// `isize` (mod 2^32).
    pub(crate) fn boundary(&mut self, offset: u64, member: u64, crc: u32, isize: u32) {
        if self.pending.is_some() || !self.points.due(offset) || !self.ring_on {
            return;
        }
        let need = self.member_out.min(WINDOW as u64);
        if self.member_out - self.ring_from < need {
            // The window is not complete yet: wait for the next boundary.
            return;
        }
        self.pending = Some(Box::new(Pending {
            consumed: offset,
            out: self.out,
            member,
            crc,
            isize,
            window: self.ring.last(need as usize),
            comp: vec![self.last_byte],
            real: Vec::new(),
        }));
    }

    /// The current member's deflate stream ended.
    pub(crate) fn member_end(&mut self) {
        if self.pending.is_some() {
            self.settle(true);
        }
        self.member_out = 0;
        self.ring_from = 0;
    }

    /// A member header starts at compressed byte `offset`.
    pub(crate) fn member_start(&mut self, offset: u64, member: u64) {
        if self.pending.is_none() && self.points.due(offset) {
            self.points
                .push(Checkpoint::frame(offset, self.out, member));
            self.ring_on = false;
        }
    }

    /// The checkpoints recorded.
    pub(crate) fn into_points(self) -> Points {
        self.points
    }

    /// Boundaries whose bit offset could not be told (for measurements).
    #[cfg(test)]
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Finds the pending boundary's bit offset and records it, or drops it.
    fn settle(&mut self, ended: bool) {
        let Some(p) = self.pending.take() else {
            return;
        };
        if ended && p.real.len() < MIN_VERIFY {
            self.dropped += 1;
            return;
        }
        let trial = self.trial.get_or_insert_with(|| {
            Box::new(Trial {
                inflate: Inflate::new(false, 15),
                scratch: vec![0; STEP],
                shifted: Vec::new(),
            })
        });
        let Some(unused) = bit_offset(trial, &p.window, &p.comp, &p.real, ended) else {
            self.dropped += 1;
            return;
        };
        let (start, shift) = if unused == 0 {
            (p.consumed, 0)
        } else {
            (p.consumed - 1, 8 - unused)
        };
        let Some(window) = deflate_window(&p.window) else {
            self.dropped += 1;
            return;
        };
        self.points.push(Checkpoint {
            start,
            out: p.out,
            unit: p.member,
            at: At::Block(Box::new(BlockState {
                shift,
                crc: p.crc,
                isize: p.isize,
                window_len: p.window.len() as u32,
                window,
            })),
        });
        self.ring_on = false;
    }
}

/// How many bits of the byte before the boundary belong to the next block
/// (0..=7), if exactly one alignment — up to equivalent ones — reproduces
/// `real` (see the module documentation). `comp` starts with the byte
/// before the boundary.
fn bit_offset(
    trial: &mut Trial,
    window: &[u8],
    comp: &[u8],
    real: &[u8],
    ended: bool,
) -> Option<u8> {
    if comp.len() < 2 {
        return None;
    }
    let Trial {
        inflate,
        scratch,
        shifted,
    } = trial;
    (0..8u8).find(|&unused| {
        let input: &[u8] = if unused == 0 {
            &comp[1..]
        } else {
            shifted.clear();
            shifted.extend(primed(8 - unused, comp[0]));
            shifted.extend_from_slice(&comp[1..]);
            shifted
        };
        reproduces(inflate, scratch, window, input, real, ended)
    })
}

/// Whether a raw inflater primed with `window` turns `input` into `real`
/// (and, when `ended`, ends its stream right there).
fn reproduces(
    inflate: &mut Inflate,
    scratch: &mut [u8],
    window: &[u8],
    input: &[u8],
    real: &[u8],
    ended: bool,
) -> bool {
    inflate.reset(false);
    if !window.is_empty() && inflate.set_dictionary(window).is_err() {
        return false;
    }
    let mut used = 0usize;
    let mut done = 0usize;
    loop {
        let room = (real.len() - done).min(scratch.len());
        if room == 0 {
            if !ended {
                return true;
            }
            // All of it matched; the stream must end here.
            let mut one = [0u8; 1];
            let end = inflate.decompress(&input[used..], &mut one, InflateFlush::NoFlush);
            return matches!(end, Ok(Status::StreamEnd)) && inflate.total_out() == done as u64;
        }
        let in_before = inflate.total_in();
        let out_before = inflate.total_out();
        let status =
            inflate.decompress(&input[used..], &mut scratch[..room], InflateFlush::NoFlush);
        let took = (inflate.total_in() - in_before) as usize;
        let got = (inflate.total_out() - out_before) as usize;
        used += took;
        if scratch[..got] != real[done..done + got] {
            return false;
        }
        done += got;
        match status {
            Err(_) => return false,
            Ok(Status::StreamEnd) => return ended && done == real.len(),
            Ok(_) if took == 0 && got == 0 => return false,
            Ok(_) => {}
        }
    }
}

/// A window as raw deflate of stored blocks (RFC 1951 §3.2.4: a header
/// byte, LEN and its complement, the bytes). Windows are stored, not
/// compressed: a checkpoint every few MiB keeps the index under 1 % of the
/// layer either way, and the page then carries no compressor.
pub(crate) fn deflate_window(window: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(window.len() + 5 * (window.len() / 65_535 + 1));
    let mut blocks = window.chunks(65_535).peekable();
    if blocks.peek().is_none() {
        // An empty final stored block.
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(block) = blocks.next() {
        let len = u16::try_from(block.len()).ok()?;
        out.push(u8::from(blocks.peek().is_none()));
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    Some(out)
}

/// The window of a checkpoint, inflated; `None` if it does not inflate to
/// exactly its recorded length.
pub(crate) fn inflate_window(state: &BlockState) -> Option<Vec<u8>> {
    let len = state.window_len as usize;
    let mut out = vec![0u8; len + 1];
    let mut inflate = Inflate::new(false, 15);
    let status = inflate
        .decompress(&state.window, &mut out, InflateFlush::Finish)
        .ok()?;
    if status != Status::StreamEnd
        || inflate.total_out() != len as u64
        || inflate.total_in() != state.window.len() as u64
    {
        return None;
    }
    out.truncate(len);
    Some(out)
}
