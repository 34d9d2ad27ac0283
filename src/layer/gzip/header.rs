//! The gzip member header (RFC 1952 §2.3), parsed incrementally from
//! chunks of any size, with exact errors (which field, which offset).

use zlib_rs::crc32::crc32;

use crate::layer::error::{ScanError, ScanErrorKind};

use super::GzipInfo;

/// Header names and comments longer than this are cut in [`GzipInfo`]; the
/// rest is read and checked but not kept (the header is otherwise unbounded).
const MAX_KEPT_TEXT: usize = 1024;

/// FLG bits (RFC 1952 §2.3.1).
const FTEXT: u8 = 1;
const FHCRC: u8 = 2;
const FEXTRA: u8 = 4;
const FNAME: u8 = 8;
const FCOMMENT: u8 = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HeaderStep {
    Fixed,
    ExtraLen,
    Extra,
    Name,
    Comment,
    HeaderCrc,
    Done,
}

/// Incremental member-header parser.
pub(super) struct HeaderParser {
    step: HeaderStep,
    buf: [u8; 10],
    have: usize,
    flags: u8,
    /// Bytes of FEXTRA still to read.
    extra_left: usize,
    /// CRC-32 of the header so far (zlib's running form).
    crc: u32,
    pub(super) info: GzipInfo,
}

impl HeaderParser {
    pub(super) fn new() -> HeaderParser {
        HeaderParser {
            step: HeaderStep::Fixed,
            buf: [0; 10],
            have: 0,
            flags: 0,
            extra_left: 0,
            crc: 0,
            info: GzipInfo::default(),
        }
    }

    /// Consumes header bytes from `input`. Returns how many were used and
    /// whether the header is complete. `offset` is the compressed offset of
    /// `input[0]`; `member` is 1-based.
    pub(super) fn feed(
        &mut self,
        input: &[u8],
        offset: u64,
        member: u64,
    ) -> Result<(usize, bool), ScanError> {
        let mut pos = 0;
        while pos < input.len() && self.step != HeaderStep::Done {
            let rest = &input[pos..];
            let at = offset + pos as u64;
            match self.step {
                HeaderStep::Fixed => {
                    let byte = rest[0];
                    let ok = match self.have {
                        0 => byte == 0x1f,
                        1 => byte == 0x8b,
                        _ => true,
                    };
                    if !ok {
                        let kind = if member > 1 {
                            ScanErrorKind::TrailingGarbage {
                                after: "gzip member",
                            }
                        } else {
                            ScanErrorKind::GzipMagic(byte)
                        };
                        // Trailing garbage starts where the next member would.
                        let at = if member > 1 {
                            at - self.have as u64
                        } else {
                            at
                        };
                        return Err(ScanError::compressed(kind, at));
                    }
                    if self.have == 2 && byte != 8 {
                        return Err(ScanError::compressed(ScanErrorKind::GzipMethod(byte), at));
                    }
                    if self.have == 3 && byte & 0xe0 != 0 {
                        return Err(ScanError::compressed(
                            ScanErrorKind::GzipReservedFlags(byte),
                            at,
                        ));
                    }
                    self.buf[self.have] = byte;
                    self.have += 1;
                    self.crc = crc32(self.crc, &rest[..1]);
                    pos += 1;
                    if self.have == 10 {
                        let b = self.buf;
                        self.flags = b[3];
                        self.info.mtime = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
                        self.info.extra_flags = b[8];
                        self.info.os = b[9];
                        self.info.text = self.flags & FTEXT != 0;
                        self.have = 0;
                        self.advance_from(HeaderStep::Fixed);
                    }
                }
                HeaderStep::ExtraLen => {
                    self.buf[self.have] = rest[0];
                    self.have += 1;
                    self.crc = crc32(self.crc, &rest[..1]);
                    pos += 1;
                    if self.have == 2 {
                        self.extra_left =
                            usize::from(u16::from_le_bytes([self.buf[0], self.buf[1]]));
                        self.have = 0;
                        self.info.extra = Some(Vec::with_capacity(self.extra_left));
                        self.step = HeaderStep::Extra;
                        if self.extra_left == 0 {
                            self.advance_from(HeaderStep::Extra);
                        }
                    }
                }
                HeaderStep::Extra => {
                    let take = self.extra_left.min(rest.len());
                    let part = &rest[..take];
                    self.crc = crc32(self.crc, part);
                    if let Some(extra) = &mut self.info.extra {
                        extra.extend_from_slice(part);
                    }
                    self.extra_left -= take;
                    pos += take;
                    if self.extra_left == 0 {
                        self.advance_from(HeaderStep::Extra);
                    }
                }
                HeaderStep::Name | HeaderStep::Comment => {
                    let end = rest.iter().position(|&b| b == 0);
                    let take = end.map_or(rest.len(), |e| e + 1);
                    let part = &rest[..take];
                    self.crc = crc32(self.crc, part);
                    let text = end.map_or(part, |e| &part[..e]);
                    let slot = if self.step == HeaderStep::Name {
                        &mut self.info.name
                    } else {
                        &mut self.info.comment
                    };
                    let kept = slot.get_or_insert_with(Vec::new);
                    let room = MAX_KEPT_TEXT.saturating_sub(kept.len());
                    kept.extend_from_slice(&text[..room.min(text.len())]);
                    pos += take;
                    if end.is_some() {
                        self.advance_from(self.step);
                    }
                }
                HeaderStep::HeaderCrc => {
                    self.buf[self.have] = rest[0];
                    self.have += 1;
                    pos += 1;
                    if self.have == 2 {
                        let stored = u16::from_le_bytes([self.buf[0], self.buf[1]]);
                        let computed = (self.crc & 0xffff) as u16;
                        if stored != computed {
                            return Err(ScanError::compressed(
                                ScanErrorKind::GzipHeaderCrc { stored, computed },
                                at - 1,
                            ));
                        }
                        self.info.header_crc = true;
                        self.step = HeaderStep::Done;
                    }
                }
                HeaderStep::Done => {}
            }
        }
        Ok((pos, self.step == HeaderStep::Done))
    }

    /// Moves to the first optional part after `from` that the flags ask for.
    fn advance_from(&mut self, from: HeaderStep) {
        use HeaderStep::*;
        let order = [
            (ExtraLen, FEXTRA),
            (Name, FNAME),
            (Comment, FCOMMENT),
            (HeaderCrc, FHCRC),
        ];
        let start = match from {
            Fixed => 0,
            ExtraLen | Extra => 1,
            Name => 2,
            Comment => 3,
            HeaderCrc | Done => 4,
        };
        self.step = order
            .get(start..)
            .unwrap_or(&[])
            .iter()
            .find(|(_, flag)| self.flags & flag != 0)
            .map_or(Done, |&(step, _)| step);
        self.have = 0;
    }

    pub(super) fn part(&self) -> &'static str {
        match self.step {
            HeaderStep::Fixed => "header",
            HeaderStep::ExtraLen | HeaderStep::Extra => "header FEXTRA field",
            HeaderStep::Name => "header FNAME field",
            HeaderStep::Comment => "header FCOMMENT field",
            HeaderStep::HeaderCrc => "header CRC16",
            HeaderStep::Done => "header",
        }
    }
}
