//! The byte-level pieces of the layer index encoding: LEB128 varints,
//! zigzag integers, length-prefixed bytes, and a bounded reader.

use super::index::{LayerIndexError, MAX_ENTRIES, MAX_NAME};
use crate::oci::Digest;

pub(crate) fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

pub(crate) fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub(crate) fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

pub(crate) struct Reader<'a> {
    pub(crate) b: &'a [u8],
    pub(crate) pos: usize,
    pub(crate) budget: u64,
}

impl<'a> Reader<'a> {
    pub(crate) fn fail(&self, reason: &str) -> LayerIndexError {
        LayerIndexError {
            reason: reason.to_owned(),
            offset: self.pos,
        }
    }

    fn remaining(&self) -> usize {
        self.b.len() - self.pos
    }

    pub(crate) fn byte(&mut self) -> Result<u8, LayerIndexError> {
        let v = *self.b.get(self.pos).ok_or_else(|| self.fail("truncated"))?;
        self.pos += 1;
        Ok(v)
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], LayerIndexError> {
        if n > self.remaining() {
            return Err(self.fail("truncated"));
        }
        let s = &self.b[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub(crate) fn varint(&mut self) -> Result<u64, LayerIndexError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            if shift == 63 && b > 1 {
                return Err(self.fail("varint overflows 64 bits"));
            }
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.fail("varint too long"))
    }

    /// A count of items each taking at least `min_bytes`: refused when the
    /// remaining input could not hold them.
    pub(crate) fn count(&mut self, min_bytes: usize) -> Result<usize, LayerIndexError> {
        let n = self.varint()?;
        if n > MAX_ENTRIES || n.saturating_mul(min_bytes as u64) > self.remaining() as u64 {
            return Err(self.fail("count larger than the data could hold"));
        }
        Ok(n as usize)
    }

    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], LayerIndexError> {
        let n = self.varint()?;
        if n > MAX_NAME {
            return Err(self.fail("name longer than the name limit"));
        }
        self.take(n as usize)
    }

    pub(crate) fn digest(&mut self) -> Result<Digest, LayerIndexError> {
        let b = self.bytes()?;
        std::str::from_utf8(b)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| self.fail("invalid digest"))
    }

    pub(crate) fn spend(&mut self, n: u64) -> Result<(), LayerIndexError> {
        self.budget = self
            .budget
            .checked_sub(n)
            .ok_or_else(|| self.fail("decoded metadata larger than the limit"))?;
        Ok(())
    }
}
