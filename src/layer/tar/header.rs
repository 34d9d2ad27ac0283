//! One 512-byte tar header block: checksum, format, fields, numbers.
//!
//! Layout (POSIX.1-2017 `pax` "ustar Interchange Format", with the GNU and
//! star variants as Go's `archive/tar` reads them):
//!
//! ```text
//! 0 name[100]  100 mode[8]  108 uid[8]  116 gid[8]  124 size[12]  136 mtime[12]
//! 148 chksum[8]  156 typeflag  157 linkname[100]  257 magic[6]  263 version[2]
//! 265 uname[32]  297 gname[32]  329 devmajor[8]  337 devminor[8]
//! 345 prefix[155] (ustar) | prefix[131] atime ctime (star, "tar\0" at 508)
//!     | atime ctime offset longnames unused sparse[4] isextended realsize (GNU)
//! ```

use std::ops::Range;

use super::super::error::{ScanError, ScanErrorKind};

/// Tar's unit of everything: headers and data are padded to 512 bytes.
pub(crate) const BLOCK: usize = 512;

pub(crate) const NAME: Range<usize> = 0..100;
pub(crate) const MODE: Range<usize> = 100..108;
pub(crate) const UID: Range<usize> = 108..116;
pub(crate) const GID: Range<usize> = 116..124;
pub(crate) const SIZE: Range<usize> = 124..136;
pub(crate) const MTIME: Range<usize> = 136..148;
const CHKSUM: Range<usize> = 148..156;
pub(crate) const TYPEFLAG: usize = 156;
pub(crate) const LINKNAME: Range<usize> = 157..257;
const MAGIC: Range<usize> = 257..263;
const VERSION: Range<usize> = 263..265;
pub(crate) const UNAME: Range<usize> = 265..297;
pub(crate) const GNAME: Range<usize> = 297..329;
pub(crate) const DEVMAJOR: Range<usize> = 329..337;
pub(crate) const DEVMINOR: Range<usize> = 337..345;
const USTAR_PREFIX: Range<usize> = 345..500;
const STAR_PREFIX: Range<usize> = 345..476;
const STAR_TRAILER: Range<usize> = 508..512;
/// Old GNU sparse headers: the "more sparse map blocks follow" flag and the
/// file's real (expanded) size.
pub(crate) const GNU_ISEXTENDED: usize = 482;
pub(crate) const GNU_REALSIZE: Range<usize> = 483..495;
/// In a GNU sparse extension block, the "more blocks follow" flag.
pub(crate) const GNU_EXT_ISEXTENDED: usize = 504;

/// The header dialect, which decides where the name prefix lives and which
/// fields exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// Unix V7: no magic, no owner names, no devices, no prefix.
    V7,
    /// POSIX ustar (and pax, which is ustar plus `x`/`g` headers).
    Ustar,
    /// Old GNU: `"ustar  \0"`; the prefix area holds times and sparse data.
    Gnu,
    /// Schily's star: ustar with a 131-byte prefix and `"tar\0"` at 508.
    Star,
}

/// A header block whose checksum has been verified.
pub(crate) struct Header<'a> {
    block: &'a [u8; BLOCK],
    format: Format,
}

/// Whether a block is entirely zero (the end-of-archive marker is two).
pub(crate) fn is_zero_block(block: &[u8]) -> bool {
    block.iter().all(|&b| b == 0)
}

/// The bytes of a NUL-terminated string field, up to the first NUL.
pub(crate) fn c_string(field: &[u8]) -> &[u8] {
    match field.iter().position(|&b| b == 0) {
        Some(end) => &field[..end],
        None => field,
    }
}

impl<'a> Header<'a> {
    /// Checks the header checksum and identifies the format. `offset` is the
    /// block's position in the tar stream, for errors.
    ///
    /// The checksum is the sum of all 512 bytes with the checksum field taken
    /// as eight spaces; historic tars summed signed bytes, so either sum is
    /// accepted (as GNU tar and Go do).
    pub(crate) fn parse(block: &'a [u8; BLOCK], offset: u64) -> Result<Header<'a>, ScanError> {
        let mut unsigned: u64 = 0;
        let mut signed: i64 = 0;
        for (i, &b) in block.iter().enumerate() {
            let b = if CHKSUM.contains(&i) { b' ' } else { b };
            unsigned += u64::from(b);
            signed += i64::from(b as i8);
        }
        let stored = parse_octal(&block[CHKSUM]);
        let ok = match stored {
            Some(s) => s == unsigned || i64::try_from(s).is_ok_and(|s| s == signed),
            None => false,
        };
        if !ok {
            return Err(ScanError::tar(
                ScanErrorKind::TarChecksum {
                    stored: stored.unwrap_or(u64::MAX),
                    unsigned,
                    signed,
                },
                offset,
            ));
        }
        let magic = &block[MAGIC];
        let format = if magic == b"ustar\0" {
            if &block[STAR_TRAILER] == b"tar\0" {
                Format::Star
            } else {
                Format::Ustar
            }
        } else if magic == b"ustar " && &block[VERSION] == b" \0" {
            Format::Gnu
        } else {
            Format::V7
        };
        Ok(Header { block, format })
    }

    pub(crate) fn typeflag(&self) -> u8 {
        self.block[TYPEFLAG]
    }

    /// The member name, joined with the ustar/star prefix when there is one.
    pub(crate) fn name(&self) -> Vec<u8> {
        let name = c_string(&self.block[NAME]);
        let prefix = match self.format {
            Format::Ustar => c_string(&self.block[USTAR_PREFIX]),
            Format::Star => c_string(&self.block[STAR_PREFIX]),
            Format::V7 | Format::Gnu => &[],
        };
        let mut full = Vec::with_capacity(prefix.len() + 1 + name.len());
        if !prefix.is_empty() {
            full.extend_from_slice(prefix);
            full.push(b'/');
        }
        full.extend_from_slice(name);
        full
    }

    /// A string field (linkname, uname, gname) up to its NUL. Owner names and
    /// device numbers do not exist in V7 headers.
    pub(crate) fn text(&self, range: Range<usize>) -> &'a [u8] {
        if self.format == Format::V7 && range.start >= MAGIC.start {
            return &[];
        }
        c_string(&self.block[range])
    }

    /// A numeric field, octal or base-256.
    pub(crate) fn number(
        &self,
        range: Range<usize>,
        field: &'static str,
        offset: u64,
    ) -> Result<i64, ScanError> {
        if self.format == Format::V7 && range.start >= MAGIC.start {
            return Ok(0);
        }
        parse_numeric(&self.block[range])
            .ok_or_else(|| ScanError::tar(ScanErrorKind::TarNumber { field }, offset))
    }

    /// A numeric field that must not be negative (sizes, ids).
    pub(crate) fn unsigned(
        &self,
        range: Range<usize>,
        field: &'static str,
        offset: u64,
    ) -> Result<u64, ScanError> {
        let v = self.number(range, field, offset)?;
        u64::try_from(v).map_err(|_| ScanError::tar(ScanErrorKind::TarNumber { field }, offset))
    }
}

/// Parses a numeric field the way GNU tar and Go write them: octal ASCII
/// padded with spaces or NULs on either side, or — when the first byte has
/// its high bit set — big-endian base-256 two's complement (a GNU extension
/// for values that do not fit: uids above 2097151, sizes of 8 GiB and more,
/// negative times).
pub(crate) fn parse_numeric(field: &[u8]) -> Option<i64> {
    let first = *field.first()?;
    if first & 0x80 != 0 {
        // 0xff-prefixed fields are negative: invert, accumulate, invert back.
        let inv = if first & 0x40 != 0 { 0xff } else { 0 };
        let mut x: u64 = 0;
        for (i, &b) in field.iter().enumerate() {
            let mut c = b ^ inv;
            if i == 0 {
                c &= 0x7f;
            }
            if x >> 56 != 0 {
                return None;
            }
            x = (x << 8) | u64::from(c);
        }
        if x >> 63 != 0 {
            return None;
        }
        let x = x as i64;
        return Some(if inv == 0xff { !x } else { x });
    }
    parse_octal(field).and_then(|v| i64::try_from(v).ok())
}

/// Octal ASCII, trimmed of spaces and NULs on both sides; an empty field is 0.
fn parse_octal(field: &[u8]) -> Option<u64> {
    let is_pad = |b: &u8| *b == b' ' || *b == 0;
    let start = field.iter().position(|b| !is_pad(b)).unwrap_or(field.len());
    let end = field
        .iter()
        .rposition(|b| !is_pad(b))
        .map_or(start, |e| e + 1);
    let digits = &field[start..end];
    let mut v: u64 = 0;
    for &d in digits {
        if !(b'0'..=b'7').contains(&d) {
            return None;
        }
        v = v.checked_mul(8)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn octal_fields_tolerate_padding() {
        assert_eq!(parse_numeric(b"0000644\0"), Some(0o644));
        assert_eq!(parse_numeric(b"  644 \0\0"), Some(0o644));
        assert_eq!(parse_numeric(b"\0\0\0\0\0\0\0\0"), Some(0));
        assert_eq!(parse_numeric(b"0000694\0"), None);
    }

    #[test]
    fn base256_positive_and_negative() {
        let mut f = [0u8; 12];
        f[0] = 0x80;
        f[8..].copy_from_slice(&0x1234_5678u32.to_be_bytes());
        assert_eq!(parse_numeric(&f), Some(0x1234_5678));
        // -1 in base-256 two's complement: all 0xff.
        assert_eq!(parse_numeric(&[0xff; 8]), Some(-1));
        let mut g = [0xffu8; 8];
        g[7] = 0xfe;
        assert_eq!(parse_numeric(&g), Some(-2));
        // Too large for i64.
        let mut h = [0x80u8; 12];
        h[1..].fill(0xff);
        assert_eq!(parse_numeric(&h), None);
    }
}
