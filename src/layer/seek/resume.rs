//! Resuming deflate at a block checkpoint ([`Resume`]), and the bytes that
//! start an inflater at a bit offset ([`primed`]).
//!
//! # Starting at a bit
//!
//! zlib resumes mid-byte with `inflatePrime`, which zlib-rs's safe API
//! lacks. Shifting the whole input instead would not do: stored blocks and
//! the stream's end align to the *original* byte grid. So the inflater is
//! made to consume the unwanted bits itself: the checkpoint's first byte
//! `B`, whose low `shift` bits end the previous block, is preceded by empty
//! deflate blocks (no output, so the window given by `set_dictionary`
//! stays as it is) whose bits fill whole bytes and then exactly those low
//! `shift` bits of `B` — which are overwritten with the blocks' last bits.
//! The inflater then reads the real next block at bit `shift` of `B`, and
//! every later byte in its original place.
//!
//! An empty fixed-Huffman block is 10 bits (3 header bits and the 7-bit
//! end-of-block code), which reaches even shifts (10k ≡ 2k mod 8). Odd ones
//! take one empty dynamic-Huffman block of 93 bits (≡ 5 mod 8): a
//! literal/length code holding only end-of-block, with length 1 (the one
//! incomplete code inflaters accept), one distance code of length 1, and a
//! code-length code of two one-bit symbols (18 = a run of zeros, and 1).

use zlib_rs::crc32::crc32;
use zlib_rs::{Inflate, InflateFlush, Status};

use super::{BlockState, Checkpoint};

use crate::layer::error::{ScanError, ScanErrorKind};
use crate::layer::gzip::GzipDecoder;
use crate::layer::Sink;

/// Bits written least significant first, as deflate packs them.
struct Bits {
    out: Vec<u8>,
    acc: u32,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u32, count: u32) {
        for i in 0..count {
            self.acc |= ((value >> i) & 1) << self.n;
            self.n += 1;
            if self.n == 8 {
                self.out.push(self.acc as u8);
                self.acc = 0;
                self.n = 0;
            }
        }
    }

    /// An empty block with the fixed codes: 10 bits.
    fn empty_fixed(&mut self) {
        self.put(0, 1); // not the last block
        self.put(1, 2); // fixed codes
        self.put(0, 7); // end of block: code 256 is 0000000
    }

    /// An empty block with dynamic codes: 93 bits.
    fn empty_dynamic(&mut self) {
        /// The order code-length code lengths are sent in (RFC 1951 §3.2.7).
        const ORDER: [u32; 19] = [
            16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
        ];
        self.put(0, 1); // not the last block
        self.put(2, 2); // dynamic codes
        self.put(0, 5); // HLIT: 257 literal/length codes
        self.put(0, 5); // HDIST: 1 distance code
        self.put(15, 4); // HCLEN: all 19 code-length code lengths
        for symbol in ORDER {
            // Symbols 1 and 18 get one-bit codes: 1 is `0`, 18 is `1`.
            self.put(u32::from(symbol == 1 || symbol == 18), 3);
        }
        // 256 zero lengths: runs of 138 and 118 (symbol 18, 7 extra bits).
        self.put(1, 1);
        self.put(138 - 11, 7);
        self.put(1, 1);
        self.put(118 - 11, 7);
        self.put(0, 1); // end-of-block's length: 1
        self.put(0, 1); // the distance code's length: 1
        self.put(0, 1); // end of block: its one-bit code `0`
    }
}

/// The bytes to feed a fresh raw inflater so that it starts decoding at
/// bit `shift` (0..=7) of `byte`: empty blocks, ending with `byte` whose
/// low `shift` bits they overwrite (just `byte` when `shift` is 0).
pub(crate) fn primed(shift: u8, byte: u8) -> Vec<u8> {
    let shift = u32::from(shift % 8);
    let mut bits = Bits {
        out: Vec::with_capacity(16),
        acc: 0,
        n: 0,
    };
    let fixed = if shift % 2 == 1 {
        bits.empty_dynamic();
        (shift + 8 - 5) % 8 / 2
    } else {
        shift / 2
    };
    for _ in 0..fixed {
        bits.empty_fixed();
    }
    debug_assert_eq!(bits.n, shift);
    let high = 0xffu8 << shift;
    let mut out = bits.out;
    out.push((bits.acc as u8 & !high) | (byte & high));
    out
}

/// A gzip stream resumed at a block checkpoint: the rest of that member,
/// its trailer (checked: the checkpoint keeps the member's CRC so far),
/// then any later members through the scanner's own decoder.
pub(crate) struct Resume {
    inflate: Inflate,
    out: Vec<u8>,
    state: State,
    /// The checkpoint's bit offset, until its first byte has come.
    shift: Option<u8>,
    /// Blob offset of the next byte fed.
    offset: u64,
    member: u64,
    crc: u32,
    isize: u32,
}

enum State {
    /// Inflating the resumed member.
    Body,
    /// Its deflate data ended; its trailer starts at blob byte `at`.
    Trailer { at: u64, buf: Vec<u8> },
    /// Later members.
    Next(Box<GzipDecoder>),
}

impl Resume {
    /// Resumes at `checkpoint` (a block checkpoint) with its `window`.
    pub(crate) fn new(
        checkpoint: &Checkpoint,
        state: &BlockState,
        window: &[u8],
    ) -> Option<Resume> {
        let mut inflate = Inflate::new(false, 15);
        if !window.is_empty() {
            inflate.set_dictionary(window).ok()?;
        }
        Some(Resume {
            inflate,
            out: vec![0; 64 << 10],
            state: State::Body,
            shift: Some(state.shift),
            offset: checkpoint.start,
            member: checkpoint.unit,
            crc: state.crc,
            isize: state.isize,
        })
    }

    /// Decodes the next bytes of the range, passing the output to `sink`.
    pub(crate) fn feed(&mut self, chunk: &[u8], sink: &mut Sink<'_>) -> Result<(), ScanError> {
        let at = self.offset;
        self.offset += chunk.len() as u64;
        match &mut self.state {
            State::Body => self.body(chunk, at, sink),
            State::Trailer { buf, .. } => {
                buf.extend_from_slice(chunk);
                self.trailer(sink)
            }
            State::Next(decoder) => decoder.feed(chunk, sink),
        }
    }

    fn body(&mut self, chunk: &[u8], at: u64, sink: &mut Sink<'_>) -> Result<(), ScanError> {
        let Some((&first, rest)) = chunk.split_first() else {
            return Ok(());
        };
        // The first chunk starts with the empty blocks: `extra` bytes that
        // are not in the blob.
        let primed_input;
        let (input, extra) = match self.shift.take() {
            Some(shift) if shift != 0 => {
                let mut v = primed(shift, first);
                let extra = v.len() as u64 - 1;
                v.extend_from_slice(rest);
                primed_input = v;
                (primed_input.as_slice(), extra)
            }
            _ => (chunk, 0),
        };
        if let Some(used) = self.inflate_some(input, at, extra, sink)? {
            self.state = State::Trailer {
                at: (at + used as u64).saturating_sub(extra),
                buf: input[used..].to_vec(),
            };
            return self.trailer(sink);
        }
        Ok(())
    }

    /// Inflates `input` (whose byte `extra` is blob byte `at`); returns the
    /// bytes used when the member's deflate data ended.
    fn inflate_some(
        &mut self,
        input: &[u8],
        at: u64,
        extra: u64,
        sink: &mut Sink<'_>,
    ) -> Result<Option<usize>, ScanError> {
        let member = self.member;
        let corrupt = |used: usize| {
            ScanError::compressed(
                ScanErrorKind::GzipCorrupt { member },
                (at + used as u64).saturating_sub(extra),
            )
        };
        let mut used = 0usize;
        loop {
            let in_before = self.inflate.total_in();
            let out_before = self.inflate.total_out();
            let status =
                self.inflate
                    .decompress(&input[used..], &mut self.out, InflateFlush::NoFlush);
            let took = (self.inflate.total_in() - in_before) as usize;
            let produced = (self.inflate.total_out() - out_before) as usize;
            used += took;
            if produced > 0 {
                let out = &self.out[..produced];
                self.crc = crc32(self.crc, out);
                self.isize = self.isize.wrapping_add(produced as u32);
                sink(out)?;
            }
            if status.map_err(|_| corrupt(used))? == Status::StreamEnd {
                return Ok(Some(used));
            }
            let out_full = produced == self.out.len();
            if !out_full && (used == input.len() || (took == 0 && produced == 0)) {
                if used < input.len() {
                    return Err(corrupt(used));
                }
                return Ok(None);
            }
        }
    }

    /// Checks the resumed member's trailer once its 8 bytes are in, then
    /// hands what follows to a decoder for the next members.
    fn trailer(&mut self, sink: &mut Sink<'_>) -> Result<(), ScanError> {
        let State::Trailer { at, buf } = &self.state else {
            return Ok(());
        };
        let Some(trailer) = buf.get(..8) else {
            return Ok(());
        };
        let at = *at;
        let stored = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
        let stored_size = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]);
        let computed = self.crc;
        if stored != computed {
            let kind = ScanErrorKind::GzipCrc {
                member: self.member,
                stored,
                computed,
            };
            return Err(ScanError::compressed(kind, at));
        }
        if stored_size != self.isize {
            let kind = ScanErrorKind::GzipSize {
                member: self.member,
                stored: stored_size,
                computed: self.isize,
            };
            return Err(ScanError::compressed(kind, at + 4));
        }
        let rest = buf[8..].to_vec();
        let mut decoder = Box::new(GzipDecoder::starting_at(at + 8, self.member + 1));
        decoder.feed(&rest, sink)?;
        self.state = State::Next(decoder);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every primed start decodes as empty blocks, then the data after it.
    #[test]
    fn primed_bytes_skip_exactly_the_bits_before_the_shift() {
        let data = b"hello, hello, hello deflate";
        let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(6));
        std::io::Write::write_all(&mut enc, data).expect("deflate");
        let stream = enc.finish().expect("deflate");
        for shift in 0..8u8 {
            for junk in [0x00u8, 0xff, 0xa5] {
                // The stream moved to start at bit `shift`, junk before it.
                let mut moved = vec![0u8; stream.len() + 1];
                for (i, &b) in stream.iter().enumerate() {
                    let v = u16::from(b) << shift;
                    moved[i] |= v as u8;
                    moved[i + 1] |= (v >> 8) as u8;
                }
                moved[0] |= junk & !(0xffu8 << shift);
                let mut input = primed(shift, moved[0]);
                input.extend_from_slice(&moved[1..]);
                let mut inflate = Inflate::new(false, 15);
                let mut out = vec![0u8; 64];
                let status = inflate.decompress(&input, &mut out, InflateFlush::Finish);
                assert_eq!(status, Ok(Status::StreamEnd), "shift {shift}");
                assert_eq!(&out[..inflate.total_out() as usize], data, "shift {shift}");
            }
        }
    }
}
