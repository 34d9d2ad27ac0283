//! Rate-limit headers (`ratelimit-limit: 100;w=21600`,
//! `ratelimit-remaining: 76;w=21600`), as Docker Hub sends them, so the user
//! can be told how many pulls remain and over which window.

/// A registry's rate-limit state as reported on one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed in the window.
    pub limit: Option<u64>,
    /// Requests left in the window.
    pub remaining: Option<u64>,
    /// The window length in seconds (the `w=` parameter).
    pub window_seconds: Option<u64>,
}

fn parse_one(value: &str) -> (Option<u64>, Option<u64>) {
    let mut parts = value.split(';');
    let count = parts.next().and_then(|v| v.trim().parse().ok());
    let window = parts
        .filter_map(|p| p.trim().strip_prefix("w="))
        .find_map(|w| w.trim().parse().ok());
    (count, window)
}

impl RateLimit {
    /// Reads the two headers' values (either may be missing); `None` when the
    /// registry reported neither.
    pub fn from_headers(limit: Option<&str>, remaining: Option<&str>) -> Option<RateLimit> {
        if limit.is_none() && remaining.is_none() {
            return None;
        }
        let (limit, w1) = limit.map(parse_one).unwrap_or_default();
        let (remaining, w2) = remaining.map(parse_one).unwrap_or_default();
        Some(RateLimit {
            limit,
            remaining,
            window_seconds: w1.or(w2),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_headers() {
        let r = RateLimit::from_headers(Some("100;w=21600"), Some("76;w=21600")).unwrap();
        assert_eq!(r.limit, Some(100));
        assert_eq!(r.remaining, Some(76));
        assert_eq!(r.window_seconds, Some(21600));
    }

    #[test]
    fn partial_and_missing() {
        assert_eq!(RateLimit::from_headers(None, None), None);
        let r = RateLimit::from_headers(None, Some("3")).unwrap();
        assert_eq!(
            (r.limit, r.remaining, r.window_seconds),
            (None, Some(3), None)
        );
        let r = RateLimit::from_headers(Some("junk"), None).unwrap();
        assert_eq!(r.limit, None);
    }
}
