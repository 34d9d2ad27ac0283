//! How `docker image ls` prints times and sizes: go-units' `HumanDuration`
//! ("About an hour", "3 weeks"), `HumanSizeWithPrecision` ("7.8MB"), and Go's
//! `time.Time.String()` for `{{.CreatedAt}}`.
//!
//! Ported rule by rule from `github.com/docker/go-units` (`duration.go`,
//! `size.go`, as vendored by docker/cli) so the page prints exactly what the
//! Docker CLI prints for the same instant and size. No clock: the caller
//! passes "now".

use crate::oci::Timestamp;

const SECOND: i128 = 1_000_000_000;
const MINUTE: i128 = 60 * SECOND;
const HOUR: i128 = 60 * MINUTE;
const DAY: i128 = 24 * HOUR;
const WEEK: i128 = 7 * DAY;
const MONTH: i128 = 30 * DAY;
const YEAR: i128 = 365 * DAY;

/// go-units' `roundDuration`: `int(float64(d)/float64(unit) + 0.5)`.
fn round_duration(d: i128, unit: i128) -> i64 {
    (d as f64 / unit as f64 + 0.5) as i64
}

/// go-units' `HumanDuration` of a duration in nanoseconds: seconds and
/// minutes truncate, hours and longer round to the nearest unit; a month is
/// 30 days and a year 365. Negative durations (a creation time in the
/// future) read "Less than a second", as in Go.
pub fn human_duration(nanos: i128) -> String {
    let seconds = nanos / SECOND;
    if seconds < 1 {
        return "Less than a second".to_owned();
    }
    if seconds == 1 {
        return "1 second".to_owned();
    }
    if seconds < 60 {
        return format!("{seconds} seconds");
    }
    let minutes = nanos / MINUTE;
    if minutes == 1 {
        return "About a minute".to_owned();
    }
    if minutes < 60 {
        return format!("{minutes} minutes");
    }
    let hours = round_duration(nanos, HOUR);
    if hours == 1 {
        return "About an hour".to_owned();
    }
    if hours < 48 {
        return format!("{hours} hours");
    }
    if nanos < 2 * WEEK {
        return format!("{} days", round_duration(nanos, DAY));
    }
    if nanos < 2 * MONTH {
        return format!("{} weeks", round_duration(nanos, WEEK));
    }
    if nanos < 2 * YEAR {
        return format!("{} months", round_duration(nanos, MONTH));
    }
    format!("{} years", round_duration(nanos, YEAR))
}

/// Nanoseconds from `then` to `now` (negative when `then` is later).
pub fn nanos_between(then: Timestamp, now: Timestamp) -> i128 {
    (i128::from(now.seconds()) - i128::from(then.seconds())) * SECOND
        + (i128::from(now.nanos()) - i128::from(then.nanos()))
}

/// Docker's `{{.CreatedSince}}`: `HumanDuration(now - created) + " ago"`,
/// where `created` is whole seconds (the API's `Created` is a Unix time in
/// seconds, so the fraction is dropped before the difference is taken).
pub fn created_since(created: Timestamp, now: Timestamp) -> String {
    let whole = Timestamp::from_unix(created.seconds(), 0);
    format!("{} ago", human_duration(nanos_between(whole, now)))
}

const DECIMAL_UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];

/// go-units' `HumanSizeWithPrecision(size, precision)`: divide by 1000
/// (in `float64`, as Go does) until below 1000, then Go's `%.{p}g` and the
/// decimal unit, no space: `7797000` → `7.8MB`. Go's `%g` quirk is kept:
/// `999999` bytes print as `1e+03kB`, as `docker image ls` prints them.
pub fn human_size_with_precision(size: f64, precision: usize) -> String {
    let mut size = size;
    let mut unit = 0;
    while size >= 1000.0 && unit < DECIMAL_UNITS.len() - 1 {
        size /= 1000.0;
        unit += 1;
    }
    format!("{}{}", go_format_g(size, precision), DECIMAL_UNITS[unit])
}

/// Docker's `{{.Size}}`: [`human_size_with_precision`] with 3 digits.
pub fn image_size(bytes: u64) -> String {
    human_size_with_precision(bytes as f64, 3)
}

/// A size in bytes with a decimal (SI, 1000-based) unit: go-units'
/// `HumanSize`, 4 significant digits (`7.797MB`, `2.147GB`), what Docker
/// prints for reclaimed space and the deprecated `{{.VirtualSize}}`. The
/// images page uses it for every size it shows besides the SIZE column
/// ([`image_size`]), so one sentence never mixes it with the binary units
/// of the other views ([`crate::fs::human_size_binary`]).
pub fn human_size_decimal(bytes: u64) -> String {
    human_size_with_precision(bytes as f64, 4)
}

/// Go's `fmt.Sprintf("%.*g", precision, x)` for finite non-negative `x`
/// (`strconv.FormatFloat(x, 'g', precision, 64)`): round to `precision`
/// significant digits (ties to even, like Go), drop trailing zeros, and use
/// exponent form when the decimal exponent is below -4 or not below the
/// precision (after Go's adjustment for short digit strings).
pub fn go_format_g(x: f64, precision: usize) -> String {
    let precision = precision.max(1);
    if x == 0.0 {
        return "0".to_owned();
    }
    // Rust's `{:.Ne}` rounds the exact binary value half-to-even, as Go's strconv does.
    let sci = format!("{:.*e}", precision - 1, x);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i64 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let nd = digits.len() as i64;
    let dp = exp + 1; // position of the decimal point, as Go's decimalSlice.dp
    let mut eprec = precision as i64;
    if eprec > nd && nd >= dp {
        eprec = nd;
    }
    if exp < -4 || exp >= eprec {
        // %e with min(precision, nd) digits.
        let (first, rest) = digits.split_at(1);
        let mut out = first.to_owned();
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let sign = if exp < 0 { '-' } else { '+' };
        out.push_str(&format!("e{sign}{:02}", exp.abs()));
        return out;
    }
    // %f with max(nd - dp, 0) decimals.
    let decimals = (nd - dp).max(0) as usize;
    format!("{:.*}", decimals, x)
}

/// Go's `time.Time.String()` of a Unix time in whole seconds, in UTC:
/// `2024-05-01 12:00:00 +0000 UTC` — what `{{.CreatedAt}}` prints on a host
/// whose zone is UTC (the page does not know the viewer's zone name).
pub fn go_time_string_utc(seconds: i64) -> String {
    let rfc = Timestamp::from_unix(seconds, 0).to_string(); // YYYY-MM-DDTHH:MM:SSZ
    let (date, time) = rfc.split_once('T').unwrap_or((&rfc, ""));
    format!("{date} {} +0000 UTC", time.trim_end_matches('Z'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_g_formatting() {
        for (x, p, want) in [
            (7.797, 3, "7.8"),
            (72.9, 3, "72.9"),
            (100.0, 3, "100"),
            (12.0, 3, "12"),
            (999.999, 3, "1e+03"),
            (12.25, 3, "12.2"),
            (12.35, 3, "12.3"),
            (1.0, 3, "1"),
            (5.613, 4, "5.613"),
            (0.0001234, 3, "0.000123"),
            (0.00001234, 3, "1.23e-05"),
        ] {
            assert_eq!(go_format_g(x, p), want, "{x} %.{p}g");
        }
    }

    #[test]
    fn go_time_string() {
        assert_eq!(go_time_string_utc(0), "1970-01-01 00:00:00 +0000 UTC");
        assert_eq!(
            go_time_string_utc(1_714_564_800),
            "2024-05-01 12:00:00 +0000 UTC"
        );
    }
}
