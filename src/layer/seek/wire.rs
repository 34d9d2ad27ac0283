//! The encoding of a [`SeekIndex`]:
//!
//! ```text
//! "LLSI" version=1
//! blob digest (length-prefixed text)  compression (0 none, 1 gzip, 2 zstd)
//! spacing  compressed size  tar size  zstd window cap          (varints)
//! count, then per checkpoint:
//!   start − previous start (≥ 1)  out − previous out  unit − previous unit
//!   kind: 0 frame start | 1 + shift for a deflate block, then
//!     CRC-32 so far (u32 LE)  size so far mod 2^32 (u32 LE)
//!     window length (varint, ≤ 32 KiB)  deflated window (length-prefixed)
//! CRC-32 of everything before it (u32 LE)
//! ```
//!
//! Varints are LEB128. Decoding checks every field against the others
//! (checkpoints strictly ascending, inside the blob and the tar stream, the
//! kinds the compression allows) and the final CRC, so a damaged encoding
//! is an error, not a wrong index.

use super::{At, BlockState, Checkpoint, SeekError, SeekIndex, WINDOW};
use crate::layer::wire::put_varint;
use crate::oci::{Compression, Digest};

const MAGIC: &[u8; 4] = b"LLSI";
const VERSION: u8 = 1;
/// Bytes a checkpoint takes at least (three varints and a kind byte).
const MIN_CHECKPOINT: usize = 4;
/// Most checkpoints accepted (a 4 MiB spacing makes ~250 per GB).
const MAX_CHECKPOINTS: u64 = 1 << 24;
/// Longest deflated window accepted (deflate's worst case for 32 KiB).
const MAX_DEFLATED_WINDOW: u64 = WINDOW as u64 + 1024;
/// Longest digest text accepted.
const MAX_DIGEST: u64 = 256;

pub(super) fn encode(index: &SeekIndex) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + index.checkpoints.len() * 16);
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    let digest = index.blob.to_string();
    put_varint(&mut out, digest.len() as u64);
    out.extend_from_slice(digest.as_bytes());
    out.push(match index.compression {
        Compression::None => 0,
        Compression::Gzip => 1,
        Compression::Zstd => 2,
    });
    for v in [
        index.spacing,
        index.compressed_size,
        index.tar_size,
        index.max_zstd_window,
    ] {
        put_varint(&mut out, v);
    }
    put_varint(&mut out, index.checkpoints.len() as u64);
    let (mut start, mut tar, mut unit) = (0u64, 0u64, 0u64);
    for c in &index.checkpoints {
        put_varint(&mut out, c.start - start);
        put_varint(&mut out, c.out - tar);
        put_varint(&mut out, c.unit - unit);
        (start, tar, unit) = (c.start, c.out, c.unit);
        match &c.at {
            At::Frame => out.push(0),
            At::Block(b) => {
                out.push(1 + b.shift);
                out.extend_from_slice(&b.crc.to_le_bytes());
                out.extend_from_slice(&b.isize.to_le_bytes());
                put_varint(&mut out, u64::from(b.window_len));
                put_varint(&mut out, b.window.len() as u64);
                out.extend_from_slice(&b.window);
            }
        }
    }
    let crc = zlib_rs::crc32::crc32(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// A bounded reader over the encoding.
struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn fail(&self, field: &str) -> SeekError {
        SeekError::Malformed {
            field: field.to_owned(),
            offset: self.pos,
        }
    }

    fn take(&mut self, n: usize, field: &str) -> Result<&'a [u8], SeekError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or_else(|| self.fail(&format!("{field}: truncated")))?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn byte(&mut self, field: &str) -> Result<u8, SeekError> {
        Ok(self.take(1, field)?[0])
    }

    fn u32(&mut self, field: &str) -> Result<u32, SeekError> {
        let b = self.take(4, field)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn varint(&mut self, field: &str) -> Result<u64, SeekError> {
        let at = self.pos;
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte(field)?;
            if shift == 63 && b > 1 {
                self.pos = at;
                return Err(self.fail(&format!("{field}: varint overflows 64 bits")));
            }
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        self.pos = at;
        Err(self.fail(&format!("{field}: varint too long")))
    }

    /// A varint no larger than `max`.
    fn bounded(&mut self, field: &str, max: u64) -> Result<u64, SeekError> {
        let at = self.pos;
        let v = self.varint(field)?;
        if v > max {
            self.pos = at;
            return Err(self.fail(&format!("{field}: {v} is larger than {max}")));
        }
        Ok(v)
    }
}

pub(super) fn decode(bytes: &[u8]) -> Result<SeekIndex, SeekError> {
    let fail = |field: &str, offset| SeekError::Malformed {
        field: field.to_owned(),
        offset,
    };
    if bytes.len() < MAGIC.len() + 1 + 4 {
        return Err(fail("encoding: too short", 0));
    }
    if &bytes[..4] != MAGIC {
        return Err(fail("magic: not a seek index", 0));
    }
    if bytes[4] != VERSION {
        return Err(fail(&format!("version: {} is not supported", bytes[4]), 4));
    }
    let (body, stored) = bytes.split_at(bytes.len() - 4);
    let stored = u32::from_le_bytes([stored[0], stored[1], stored[2], stored[3]]);
    if zlib_rs::crc32::crc32(0, body) != stored {
        return Err(fail("CRC-32: the encoding is damaged", body.len()));
    }
    let mut r = Reader { b: body, pos: 5 };

    let len = r.bounded("blob digest length", MAX_DIGEST)?;
    let at = r.pos;
    let text = r.take(len as usize, "blob digest")?;
    let blob: Digest = std::str::from_utf8(text)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| fail("blob digest: invalid", at))?;
    let at = r.pos;
    let compression = match r.byte("compression")? {
        0 => Compression::None,
        1 => Compression::Gzip,
        2 => Compression::Zstd,
        other => return Err(fail(&format!("compression: unknown code {other}"), at)),
    };
    let at = r.pos;
    let spacing = r.varint("spacing")?;
    if spacing == 0 {
        return Err(fail("spacing: zero", at));
    }
    let compressed_size = r.varint("compressed size")?;
    let tar_size = r.varint("tar size")?;
    let max_zstd_window = r.varint("zstd window cap")?;
    let at = r.pos;
    let count = r.varint("checkpoint count")?;
    let room = (body.len() - r.pos) / MIN_CHECKPOINT;
    if count > MAX_CHECKPOINTS || count > room as u64 {
        return Err(fail(
            &format!("checkpoint count: {count} is more than the data could hold"),
            at,
        ));
    }
    if compression == Compression::None && count > 0 {
        return Err(fail(
            "checkpoint count: an uncompressed blob has no checkpoints",
            at,
        ));
    }

    let mut checkpoints = Vec::with_capacity(count as usize);
    let (mut start, mut out, mut unit) = (0u64, 0u64, 0u64);
    for i in 0..count {
        let field = |name: &str| format!("checkpoint {i} {name}");
        let at = r.pos;
        let step = r.varint(&field("start"))?;
        start = start
            .checked_add(step)
            .filter(|&s| step > 0 && s < compressed_size)
            .ok_or_else(|| {
                fail(
                    &field("start: not after the previous one, inside the blob"),
                    at,
                )
            })?;
        let at = r.pos;
        let step = r.varint(&field("tar offset"))?;
        out = out
            .checked_add(step)
            .filter(|&o| o <= tar_size)
            .ok_or_else(|| fail(&field("tar offset: past the tar stream's end"), at))?;
        let at = r.pos;
        let step = r.varint(&field("member or frame number"))?;
        unit = unit
            .checked_add(step)
            .filter(|&u| u >= 1 && u <= start)
            .ok_or_else(|| fail(&field("member or frame number: out of range"), at))?;
        let at = r.pos;
        let kind = r.byte(&field("kind"))?;
        let at_point = match (kind, compression) {
            (0, _) => At::Frame,
            (1..=8, Compression::Gzip) => {
                let crc = r.u32(&field("CRC-32"))?;
                let isize = r.u32(&field("size"))?;
                let window_len = r.bounded(&field("window length"), WINDOW as u64)? as u32;
                let len = r.bounded(&field("deflated window length"), MAX_DEFLATED_WINDOW)?;
                let window = r.take(len as usize, &field("window"))?.to_vec();
                At::Block(Box::new(BlockState {
                    shift: kind - 1,
                    crc,
                    isize,
                    window_len,
                    window,
                }))
            }
            _ => {
                return Err(fail(
                    &field(&format!(
                        "kind: {kind} is not one a {compression:?} blob has"
                    )),
                    at,
                ))
            }
        };
        checkpoints.push(Checkpoint {
            start,
            out,
            unit,
            at: at_point,
        });
    }
    if r.pos != body.len() {
        return Err(fail("end: bytes after the last checkpoint", r.pos));
    }
    Ok(SeekIndex {
        blob,
        compression,
        spacing,
        compressed_size,
        tar_size,
        max_zstd_window,
        checkpoints,
    })
}
