//! RFC 3339 timestamps (`2015-10-31T22:22:56.015925234Z`), as image configs
//! write `created`, turned into seconds and nanoseconds since the Unix epoch.
//!
//! Hand-written so it needs no clock and no time crate: the core never reads
//! the time, it only converts the strings it is given. Grammar (RFC 3339 §5.6,
//! as Go's `time.RFC3339Nano` reads it):
//!
//! ```text
//! date-time = full-date ("T" / "t") full-time
//! full-date = 4DIGIT "-" 2DIGIT "-" 2DIGIT
//! full-time = 2DIGIT ":" 2DIGIT ":" 2DIGIT ["." 1*DIGIT] ("Z" / "z" / ("+" / "-") 2DIGIT ":" 2DIGIT)
//! ```
//!
//! A leap second (`:60`) is refused, as Go refuses it.

use std::fmt;

/// Why a string is not an RFC 3339 timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid RFC 3339 timestamp {input:?}: {reason}")]
pub struct TimestampError {
    input: String,
    reason: &'static str,
}

/// An instant, as seconds and nanoseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    seconds: i64,
    nanos: u32,
}

/// Longest input we look at; real timestamps are ~35 characters.
const MAX_LEN: usize = 64;

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

impl Timestamp {
    /// Parses an RFC 3339 date-time (see the module documentation).
    pub fn parse_rfc3339(input: &str) -> Result<Timestamp, TimestampError> {
        let fail = |reason| TimestampError {
            input: input.chars().take(MAX_LEN).collect(),
            reason,
        };
        if input.len() > MAX_LEN {
            return Err(fail("too long"));
        }
        let b = input.as_bytes();
        let num = |from: usize, len: usize| -> Option<u32> {
            let s = b.get(from..from + len)?;
            s.iter().try_fold(0u32, |acc, &c| {
                c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
            })
        };
        let sep = |at: usize, want: &[u8]| b.get(at).is_some_and(|c| want.contains(c));
        let (Some(year), Some(month), Some(day)) = (num(0, 4), num(5, 2), num(8, 2)) else {
            return Err(fail("expected a date YYYY-MM-DD"));
        };
        if !sep(4, b"-") || !sep(7, b"-") {
            return Err(fail("expected a date YYYY-MM-DD"));
        }
        if !sep(10, b"Tt") {
            return Err(fail("expected 'T' between date and time"));
        }
        let (Some(hour), Some(minute), Some(second)) = (num(11, 2), num(14, 2), num(17, 2)) else {
            return Err(fail("expected a time HH:MM:SS"));
        };
        if !sep(13, b":") || !sep(16, b":") {
            return Err(fail("expected a time HH:MM:SS"));
        }
        let year = i64::from(year);
        if !(1..=12).contains(&month) {
            return Err(fail("month out of range"));
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(fail("day out of range"));
        }
        if hour > 23 || minute > 59 || second > 59 {
            return Err(fail("time of day out of range"));
        }
        let mut i = 19;
        let mut nanos = 0u32;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                if i - start < 9 {
                    nanos = nanos * 10 + u32::from(b[i] - b'0');
                }
                i += 1;
            }
            if i == start {
                return Err(fail("expected digits after '.'"));
            }
            for _ in (i - start).min(9)..9 {
                nanos *= 10;
            }
        }
        let offset_seconds: i64 = match b.get(i) {
            Some(b'Z' | b'z') => {
                i += 1;
                0
            }
            Some(&sign @ (b'+' | b'-')) => {
                let (Some(oh), Some(om)) = (num(i + 1, 2), num(i + 4, 2)) else {
                    return Err(fail("expected a UTC offset +HH:MM"));
                };
                if !sep(i + 3, b":") {
                    return Err(fail("expected a UTC offset +HH:MM"));
                }
                if oh > 23 || om > 59 {
                    return Err(fail("UTC offset out of range"));
                }
                i += 6;
                let off = i64::from(oh * 3600 + om * 60);
                if sign == b'-' {
                    -off
                } else {
                    off
                }
            }
            _ => return Err(fail("expected 'Z' or a UTC offset")),
        };
        if i != b.len() {
            return Err(fail("unexpected text after the timestamp"));
        }
        let days = days_from_civil(year, month, day);
        let seconds =
            days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset_seconds;
        Ok(Timestamp { seconds, nanos })
    }

    /// A timestamp from seconds and nanoseconds since the epoch (nanos above
    /// 999 999 999 are carried into the seconds).
    pub fn from_unix(seconds: i64, nanos: u32) -> Timestamp {
        Timestamp {
            seconds: seconds.saturating_add(i64::from(nanos / 1_000_000_000)),
            nanos: nanos % 1_000_000_000,
        }
    }

    /// Whole seconds since 1970-01-01T00:00:00Z (negative before).
    pub fn seconds(&self) -> i64 {
        self.seconds
    }

    /// Nanoseconds within the second.
    pub fn nanos(&self) -> u32 {
        self.nanos
    }

    /// The day in UTC, `YYYY-MM-DD`.
    pub fn date(&self) -> String {
        let (y, m, d) = civil_from_days(self.seconds.div_euclid(86_400));
        format!("{y:04}-{m:02}-{d:02}")
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC, with the fraction only when non-zero and without trailing zeros.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.seconds.div_euclid(86_400);
        let secs = self.seconds.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        )?;
        if self.nanos != 0 {
            let frac = format!("{:09}", self.nanos);
            write!(f, ".{}", frac.trim_end_matches('0'))?;
        }
        f.write_str("Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> (i64, u32) {
        let t = Timestamp::parse_rfc3339(s).unwrap();
        (t.seconds(), t.nanos())
    }

    #[test]
    fn known_instants() {
        // `date -u -d 2015-10-31T22:22:56Z +%s` = 1446330176
        assert_eq!(
            ts("2015-10-31T22:22:56.015925234Z"),
            (1_446_330_176, 15_925_234)
        );
        assert_eq!(ts("1970-01-01T00:00:00Z"), (0, 0));
        assert_eq!(ts("1969-12-31T23:59:59Z"), (-1, 0));
        // 2000-03-01 follows a leap day in a century leap year: 951868800.
        assert_eq!(ts("2000-03-01T00:00:00Z"), (951_868_800, 0));
        assert_eq!(ts("2024-02-29T12:00:00+02:00"), (1_709_200_800, 0));
        assert_eq!(ts("2024-02-29t10:00:00z"), (1_709_200_800, 0));
        assert_eq!(ts("2024-02-29T04:30:00-05:30"), (1_709_200_800, 0));
        assert_eq!(ts("2016-09-23T16:29:57.2Z"), (1_474_648_197, 200_000_000));
        assert_eq!(
            ts("2016-09-23T16:29:57.1234567891234Z"),
            (1_474_648_197, 123_456_789)
        );
        // Docker's zero time.
        assert_eq!(ts("0001-01-01T00:00:00Z"), (-62_135_596_800, 0));
    }

    #[test]
    fn rejects_what_is_not_rfc3339() {
        for bad in [
            "",
            "2015-10-31",
            "2015-10-31 22:22:56Z",
            "2015-10-31T22:22:56",
            "2015-13-01T00:00:00Z",
            "2015-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2015-10-31T24:00:00Z",
            "2015-10-31T23:59:60Z",
            "2015-10-31T22:22:56.Z",
            "2015-10-31T22:22:56+0100",
            "2015-10-31T22:22:56+24:00",
            "2015-10-31T22:22:56Zjunk",
            "2015-1O-31T22:22:56Z",
            "+2015-10-31T22:22:56Z",
        ] {
            assert!(
                Timestamp::parse_rfc3339(bad).is_err(),
                "{bad:?} should fail"
            );
        }
        let long = format!("2015-10-31T22:22:56.{}Z", "1".repeat(100));
        let e = Timestamp::parse_rfc3339(&long).unwrap_err();
        assert!(e.to_string().contains("too long"), "{e}");
    }

    #[test]
    fn display_round_trips_in_utc() {
        for s in [
            "2015-10-31T22:22:56.015925234Z",
            "1970-01-01T00:00:00Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.5Z",
            "2000-02-29T01:02:03Z",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(s).unwrap().to_string(), s);
        }
        let t = Timestamp::parse_rfc3339("2024-02-29T12:00:00+02:00").unwrap();
        assert_eq!(t.to_string(), "2024-02-29T10:00:00Z");
        assert_eq!(
            Timestamp::from_unix(1, 1_500_000_000),
            Timestamp::from_unix(2, 500_000_000)
        );
    }

    #[test]
    fn civil_conversion_is_a_bijection_over_four_centuries() {
        let start = days_from_civil(1600, 1, 1);
        let mut expect = (1600i64, 1u32, 1u32);
        for z in start..start + 146_097 {
            assert_eq!(civil_from_days(z), expect);
            let (y, m, d) = expect;
            expect = if d < days_in_month(y, m) {
                (y, m, d + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
        }
    }
}
