//! PAX extended header records (POSIX.1-2017 `pax`, "pax Extended Header").
//!
//! Each record is `"%d %s=%s\n"`: its own length in decimal (counting every
//! byte of the record), a space, `keyword=value`, a newline. `x` headers
//! apply to the next entry, `g` headers to every later entry. A record with
//! an empty value deletes the keyword: the header field (or the global
//! value) applies again.
//!
//! We keep only the keywords that change what an entry is; everything else
//! (`atime`, `ctime`, `comment`, `SCHILY.xattr.*`, …) is read, checked for
//! syntax and dropped, so a PAX header's memory is bounded by its cap.

use super::super::error::{ScanError, ScanErrorKind};

/// A keyword's value as set by a record: `Some(None)` means "deleted by an
/// empty value", `None` means "not mentioned".
pub(crate) type Slot<T> = Option<Option<T>>;

/// The keywords we act on, from one or more PAX headers.
#[derive(Debug, Clone, Default)]
pub(crate) struct PaxValues {
    pub(crate) path: Slot<Vec<u8>>,
    pub(crate) linkpath: Slot<Vec<u8>>,
    pub(crate) size: Slot<u64>,
    pub(crate) uid: Slot<u64>,
    pub(crate) gid: Slot<u64>,
    pub(crate) uname: Slot<Vec<u8>>,
    pub(crate) gname: Slot<Vec<u8>>,
    pub(crate) mtime: Slot<i64>,
    /// GNU sparse formats 0.x/1.0 carried in PAX: the real name and size.
    pub(crate) sparse_name: Slot<Vec<u8>>,
    pub(crate) sparse_size: Slot<u64>,
    /// Any `GNU.sparse.*` keyword was present: the data is a sparse
    /// representation, not the file's bytes.
    pub(crate) sparse: bool,
}

/// The value that applies: a local (`x`) setting wins over a global (`g`)
/// one; a deletion in either stops the search (the header field applies).
pub(crate) fn pick<'a, T>(local: &'a Slot<T>, global: &'a Slot<T>) -> Option<&'a T> {
    match local {
        Some(v) => v.as_ref(),
        None => global.as_ref().and_then(|v| v.as_ref()),
    }
}

fn bad(detail: String, offset: u64) -> ScanError {
    ScanError::tar(ScanErrorKind::PaxRecord(detail), offset)
}

fn decimal(key: &str, value: &[u8], offset: u64) -> Result<u64, ScanError> {
    std::str::from_utf8(value)
        .ok()
        .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            bad(
                format!(
                    "{key}={} is not a non-negative decimal number",
                    value.escape_ascii()
                ),
                offset,
            )
        })
}

/// `mtime` is decimal seconds with an optional sign and fraction
/// (`1700000000.123456789`, `-1.5`). Entries keep whole seconds: the time
/// is floored, so `-1.5` is `-2` like `time.Unix(-1, -5e8).Unix()` in Go.
fn parse_time(value: &[u8], offset: u64) -> Result<i64, ScanError> {
    let err = || {
        bad(
            format!("mtime={} is not a time", value.escape_ascii()),
            offset,
        )
    };
    let (whole, frac) = match value.iter().position(|&b| b == b'.') {
        Some(dot) => (&value[..dot], &value[dot + 1..]),
        None => (value, &value[value.len()..]),
    };
    let (negative, digits) = match whole.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, whole),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(err());
    }
    if !frac.iter().all(u8::is_ascii_digit) {
        return Err(err());
    }
    let magnitude: i64 = std::str::from_utf8(digits)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(err)?;
    let fractional = frac.iter().any(|&b| b != b'0');
    Ok(if negative {
        -magnitude - i64::from(fractional)
    } else {
        magnitude
    })
}

impl PaxValues {
    /// Parses the data of an `x` or `g` header and merges its records into
    /// `self` (later records win, as in every reader). `offset` is the PAX
    /// header's position, for errors.
    pub(crate) fn merge(&mut self, mut data: &[u8], offset: u64) -> Result<(), ScanError> {
        while !data.is_empty() {
            let space = data
                .iter()
                .position(|&b| b == b' ')
                .ok_or_else(|| bad("record without a length".to_owned(), offset))?;
            let len: usize = std::str::from_utf8(&data[..space])
                .ok()
                .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| bad("record length is not a decimal number".to_owned(), offset))?;
            if len < space + 3 || len > data.len() {
                return Err(bad(
                    format!(
                        "record length {len} does not fit the header's {} bytes",
                        data.len()
                    ),
                    offset,
                ));
            }
            let record = &data[space + 1..len];
            data = &data[len..];
            let Some((b'\n', record)) = record.split_last() else {
                return Err(bad("record does not end with a newline".to_owned(), offset));
            };
            let eq = record
                .iter()
                .position(|&b| b == b'=')
                .ok_or_else(|| bad("record without '='".to_owned(), offset))?;
            let (key, value) = (&record[..eq], &record[eq + 1..]);
            if key.is_empty() {
                return Err(bad("record with an empty keyword".to_owned(), offset));
            }
            self.apply(key, value, offset)?;
        }
        Ok(())
    }

    fn apply(&mut self, key: &[u8], value: &[u8], offset: u64) -> Result<(), ScanError> {
        fn text(value: &[u8]) -> Option<Vec<u8>> {
            (!value.is_empty()).then(|| value.to_vec())
        }
        let key_str = String::from_utf8_lossy(key);
        let number = |v: &[u8]| -> Result<Option<u64>, ScanError> {
            if v.is_empty() {
                Ok(None)
            } else {
                decimal(&key_str, v, offset).map(Some)
            }
        };
        match key {
            b"path" => self.path = Some(text(value)),
            b"linkpath" => self.linkpath = Some(text(value)),
            b"uname" => self.uname = Some(text(value)),
            b"gname" => self.gname = Some(text(value)),
            b"size" => self.size = Some(number(value)?),
            b"uid" => self.uid = Some(number(value)?),
            b"gid" => self.gid = Some(number(value)?),
            b"mtime" => {
                self.mtime = Some(if value.is_empty() {
                    None
                } else {
                    Some(parse_time(value, offset)?)
                })
            }
            b"GNU.sparse.name" => {
                self.sparse = true;
                self.sparse_name = Some(text(value));
            }
            // 1.0 writes `realsize`, 0.x writes `size`.
            b"GNU.sparse.realsize" | b"GNU.sparse.size" => {
                self.sparse = true;
                self.sparse_size = Some(number(value)?);
            }
            _ if key.starts_with(b"GNU.sparse.") => self.sparse = true,
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(key: &str, value: &str) -> Vec<u8> {
        let body = format!(" {key}={value}\n");
        let mut n = body.len() + 1;
        while format!("{n}").len() + body.len() != n {
            n += 1;
        }
        format!("{n}{body}").into_bytes()
    }

    #[test]
    fn records_set_and_delete() {
        let mut v = PaxValues::default();
        let mut data = record("path", "a/b");
        data.extend(record("uid", "1000000"));
        data.extend(record("mtime", "-1.5"));
        data.extend(record("SCHILY.xattr.user.x", "y"));
        v.merge(&data, 0).unwrap();
        assert_eq!(v.path, Some(Some(b"a/b".to_vec())));
        assert_eq!(v.uid, Some(Some(1_000_000)));
        assert_eq!(v.mtime, Some(Some(-2)));
        v.merge(&record("path", ""), 0).unwrap();
        assert_eq!(v.path, Some(None));
        assert_eq!(pick(&v.path, &Some(Some(b"g".to_vec()))), None);
        assert_eq!(pick(&None, &Some(Some(7u64))), Some(&7));
    }

    #[test]
    fn times() {
        assert_eq!(parse_time(b"1700000000.999", 0).unwrap(), 1_700_000_000);
        assert_eq!(parse_time(b"-0.5", 0).unwrap(), -1);
        assert_eq!(parse_time(b"-3.000", 0).unwrap(), -3);
        assert!(parse_time(b"12a", 0).is_err());
        assert!(parse_time(b".5", 0).is_err());
    }

    #[test]
    fn malformed_records_are_errors() {
        let mut v = PaxValues::default();
        for bad in [
            &b"5 a=b"[..],
            b"99 path=x\n",
            b"x path=x\n",
            b"8 pathx\n",
            b"7 =abc\n",
        ] {
            assert!(
                v.merge(bad, 0).is_err(),
                "{:?}",
                bad.escape_ascii().to_string()
            );
        }
        assert!(v.merge(&record("uid", "-1"), 0).is_err());
    }
}
