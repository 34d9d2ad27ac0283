//! Bounded retries of a registry's passing refusals: a `429 Too Many
//! Requests` or a `500`/`502`/`503`/`504` is asked again at most
//! [`MAX_RETRIES`] times, after the wait its `Retry-After` names (RFC 9110
//! §10.2.3), or after 1 s and then 2 s when it names none. A registry that
//! asks for more than [`MAX_WAIT_MS`] is not waited for: the error says how
//! long it asked for, so a person can come back then.
//!
//! No clock here: an HTTP-date `Retry-After` is measured against the same
//! answer's `Date` header (the registry's own clock, so a skewed local clock
//! changes nothing); the waiting itself is [`super::Fetch::sleep`].

use super::http::Headers;

/// Retries after the first answer, at most.
pub const MAX_RETRIES: u32 = 2;
/// The longest wait honoured, in milliseconds.
pub const MAX_WAIT_MS: u64 = 10_000;
/// Waits before each retry when the registry names none.
const DEFAULT_WAITS_MS: [u64; MAX_RETRIES as usize] = [1_000, 2_000];

/// Whether `status` is a refusal that may pass: rate limiting, a failing or
/// overloaded server or gateway. Every request of the read protocol is a
/// `GET` or `HEAD`, so asking again is always safe.
pub fn is_transient(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

/// What to do about a transient answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Ask again after this many milliseconds.
    Ms(u64),
    /// The registry asked for this many seconds, more than [`MAX_WAIT_MS`].
    TooLong(u64),
}

/// The wait before retry number `retry` (0 for the first) of an answer with
/// `headers`: its `Retry-After`, else the default back-off.
pub fn wait(headers: &Headers, retry: u32) -> Wait {
    let default = DEFAULT_WAITS_MS
        .get(retry as usize)
        .copied()
        .unwrap_or(MAX_WAIT_MS);
    match retry_after_secs(headers) {
        Some(s) if s.saturating_mul(1000) > MAX_WAIT_MS => Wait::TooLong(s),
        Some(s) => Wait::Ms(s * 1000),
        None => Wait::Ms(default),
    }
}

/// The seconds a `Retry-After` header asks for: delay-seconds, or an
/// HTTP-date less the answer's `Date` (a date in the past is no wait).
/// `None` when absent, unreadable, or a date without a `Date` to measure it
/// against.
pub fn retry_after_secs(headers: &Headers) -> Option<u64> {
    let value = headers.get("retry-after")?.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // A huge number is still "too long", not unreadable.
        return Some(value.parse::<u64>().unwrap_or(u64::MAX));
    }
    let until = http_date(value)?;
    let now = http_date(headers.get("date")?.trim())?;
    Some(until.saturating_sub(now).max(0) as u64)
}

/// Seconds since the epoch of an HTTP-date in any of its three forms (RFC
/// 9110 §5.6.7): `Sun, 06 Nov 1994 08:49:37 GMT`, the obsolete
/// `Sunday, 06-Nov-94 08:49:37 GMT` and asctime's `Sun Nov  6 08:49:37 1994`.
pub fn http_date(value: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let tokens: Vec<&str> = value
        .split([' ', ',', '-', ':'])
        .filter(|t| !t.is_empty())
        .collect();
    let month_at = tokens
        .iter()
        .position(|t| MONTHS.iter().any(|m| t.eq_ignore_ascii_case(m)))?;
    let month = MONTHS
        .iter()
        .position(|m| tokens[month_at].eq_ignore_ascii_case(m))? as u32
        + 1;
    let number = |i: usize| -> Option<i64> {
        let t = tokens.get(i)?;
        (t.len() <= 4 && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse().ok())
            .flatten()
    };
    // IMF-fixdate and RFC 850: day month year h m s; asctime: month day h m s year.
    let (day, year, time_at) = match number(month_at.checked_sub(1)?) {
        Some(day) => (day, number(month_at + 1)?, month_at + 2),
        None => (number(month_at + 1)?, number(month_at + 5)?, month_at + 2),
    };
    let year = match year {
        0..=69 => 2000 + year,
        70..=99 => 1900 + year,
        y => y,
    };
    let (h, m, s) = (number(time_at)?, number(time_at + 1)?, number(time_at + 2)?);
    if !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let days = crate::oci::timestamp::days_from_civil(year, month, day as u32);
    Some(days * 86_400 + h * 3_600 + m * 60 + s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Headers {
        pairs.iter().copied().collect()
    }

    #[test]
    fn the_three_http_date_forms_read_alike() {
        let t = Some(784_111_777);
        assert_eq!(http_date("Sun, 06 Nov 1994 08:49:37 GMT"), t);
        assert_eq!(http_date("Sunday, 06-Nov-94 08:49:37 GMT"), t);
        assert_eq!(http_date("Sun Nov  6 08:49:37 1994"), t);
        assert_eq!(http_date("yesterday"), None);
        assert_eq!(http_date("Sun, 06 Nov 1994 28:49:37 GMT"), None);
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date_against_the_answers_date() {
        let h = headers(&[("Retry-After", "3")]);
        assert_eq!(wait(&h, 0), Wait::Ms(3_000));
        let h = headers(&[("Retry-After", "120")]);
        assert_eq!(wait(&h, 0), Wait::TooLong(120));
        let h = headers(&[("Retry-After", "99999999999999999999999")]);
        assert_eq!(wait(&h, 1), Wait::TooLong(u64::MAX));
        let h = headers(&[
            ("Retry-After", "Sun, 06 Nov 1994 08:49:42 GMT"),
            ("Date", "Sun, 06 Nov 1994 08:49:37 GMT"),
        ]);
        assert_eq!(wait(&h, 0), Wait::Ms(5_000));
        let h = headers(&[
            ("Retry-After", "Sun, 06 Nov 1994 09:49:37 GMT"),
            ("Date", "Sun, 06 Nov 1994 08:49:37 GMT"),
        ]);
        assert_eq!(wait(&h, 0), Wait::TooLong(3_600));
        // A date in the past is no wait; a date without Date is the default.
        let h = headers(&[
            ("Retry-After", "Sun, 06 Nov 1994 08:00:00 GMT"),
            ("Date", "Sun, 06 Nov 1994 08:49:37 GMT"),
        ]);
        assert_eq!(wait(&h, 0), Wait::Ms(0));
        let h = headers(&[("Retry-After", "Sun, 06 Nov 1994 08:49:42 GMT")]);
        assert_eq!(wait(&h, 0), Wait::Ms(1_000));
        assert_eq!(wait(&Headers::new(), 1), Wait::Ms(2_000));
        assert!(is_transient(429) && is_transient(503) && !is_transient(404));
    }
}
