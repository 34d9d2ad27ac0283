//! `until=` values, as Docker's `timestamp.GetTimestamp` reads them: a Go
//! duration before "now" (`10m`, `1h30m`), an RFC 3339 date-time (with or
//! without seconds, fraction or zone), a date (`2006-01-02`), or Unix
//! seconds with an optional fraction (`1700000000.5`). A time without a zone
//! is read as UTC here (Docker reads it in the daemon's zone).

use crate::oci::Timestamp;

/// Parses an `until=` value relative to `now`; `None` when it
/// is none of the forms above. The caller words the error, since it knows
/// which filter the value came from.
pub fn parse_until(value: &str, now: Timestamp) -> Option<Timestamp> {
    if value != "0" {
        if let Some(nanos) = go_duration(value) {
            let t = i128::from(now.seconds()) * 1_000_000_000 + i128::from(now.nanos()) - nanos;
            // `reference.Add(-d).Unix()`: whole seconds, rounded down.
            let secs = t.div_euclid(1_000_000_000);
            return i64::try_from(secs).ok().map(|s| Timestamp::from_unix(s, 0));
        }
    }
    if value.contains('-') {
        return date_time(value);
    }
    unix(value)
}

/// Go's `time.ParseDuration`, in nanoseconds.
fn go_duration(s: &str) -> Option<i128> {
    let (neg, mut rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (int, after) = rest.split_at(int_len);
        let (frac, after) = match after.strip_prefix('.') {
            Some(a) => {
                let n = a.bytes().take_while(u8::is_ascii_digit).count();
                a.split_at(n)
            }
            None => ("", after),
        };
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        let unit_len = after
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map_or(after.len(), |(i, _)| i);
        let (unit, next) = after.split_at(unit_len);
        let scale: i128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        let whole: i128 = if int.is_empty() { 0 } else { int.parse().ok()? };
        let mut part = whole.checked_mul(scale)?;
        if !frac.is_empty() {
            let digits = &frac[..frac.len().min(18)];
            let f: i128 = digits.parse().ok()?;
            part += f * scale / 10i128.pow(digits.len() as u32);
        }
        total = total.checked_add(part)?;
        if total > i128::from(i64::MAX) {
            return None;
        }
        rest = next;
    }
    Some(if neg { -total } else { total })
}

/// `YYYY-MM-DD`, `YYYY-MM-DDZONE`, `YYYY-MM-DDTHH[:MM[:SS[.frac]]][ZONE]`.
fn date_time(s: &str) -> Option<Timestamp> {
    let date = s.get(..10)?;
    let rest = &s[10..];
    let (time, zone) = match rest.strip_prefix('T').or_else(|| rest.strip_prefix('t')) {
        Some(t) => {
            let z = t.find(['Z', 'z', '+', '-']).unwrap_or(t.len());
            (Some(&t[..z]), &t[z..])
        }
        None => (None, rest),
    };
    let time = match time {
        None => "00:00:00".to_owned(),
        Some(t) => {
            let (hms, frac) = t.split_once('.').map_or((t, None), |(a, b)| (a, Some(b)));
            let mut hms = hms.to_owned();
            while hms.matches(':').count() < 2 {
                hms.push_str(":00");
            }
            match frac {
                Some(f) => format!("{hms}.{f}"),
                None => hms,
            }
        }
    };
    let zone = if zone.is_empty() { "Z" } else { zone };
    Timestamp::parse_rfc3339(&format!("{date}T{time}{zone}")).ok()
}

/// `seconds[.nanoseconds]`.
fn unix(s: &str) -> Option<Timestamp> {
    let (secs, frac) = s.split_once('.').map_or((s, None), |(a, b)| (a, Some(b)));
    let secs: i64 = secs.parse().ok()?;
    let nanos = match frac {
        None => 0,
        Some(f) if f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()) && !f.is_empty() => {
            let n: u32 = f.parse().ok()?;
            n * 10u32.pow(9 - f.len() as u32)
        }
        Some(_) => return None,
    };
    Some(Timestamp::from_unix(secs, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_dates_and_unix_times() {
        let now = Timestamp::from_unix(1_000_000, 500_000_000);
        let at = |v: &str| parse_until(v, now).map(|t| (t.seconds(), t.nanos()));
        assert_eq!(at("10m"), Some((1_000_000 - 600, 0)));
        assert_eq!(at("1h30m"), Some((1_000_000 - 5400, 0)));
        assert_eq!(at("1.5h"), Some((1_000_000 - 5400, 0)));
        assert_eq!(at("0"), Some((0, 0)));
        assert_eq!(at("1700000000.5"), Some((1_700_000_000, 500_000_000)));
        assert_eq!(at("2024-05-01"), Some((1_714_521_600, 0)));
        assert_eq!(at("2024-05-01T12:00:00Z"), Some((1_714_564_800, 0)));
        assert_eq!(at("2024-05-01T12"), Some((1_714_564_800, 0)));
        assert_eq!(at("2024-05-01T14:00+02:00"), Some((1_714_564_800, 0)));
        assert!(at("yesterday").is_none());
        assert!(at("2024-13-01").is_none());
        assert!(at("10x").is_none());
    }
}
