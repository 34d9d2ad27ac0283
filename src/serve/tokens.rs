//! Which bearer tokens are anonymous: the ones this proxy saw a realm issue
//! to a token request that carried no credentials.
//!
//! Docker Hub and most public registries answer even anonymous pulls only
//! with a bearer token, so "the request carried `Authorization`" cannot tell
//! a public layer from a private one. What can: the proxy forwarded the token
//! request itself and saw that it had no `Authorization`. Such a token grants
//! what anyone may fetch, so blobs fetched with it may be `public` in a shared
//! cache; any other token (issued for credentials, or by another copy of the
//! proxy, or forgotten) makes the answer `private` — the safe side.
//!
//! Only SHA-256 digests of tokens are kept (an anonymous token is no secret,
//! but nothing here needs the token itself), at most [`MAX_TOKENS`], each for
//! at most [`TOKEN_TTL`].

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};

/// Anonymous tokens remembered at most; the oldest is forgotten first.
pub const MAX_TOKENS: usize = 4096;
/// How long a token is remembered (registries issue them for minutes).
pub const TOKEN_TTL: Duration = Duration::from_secs(3600);

/// A bounded, thread-safe memory of anonymous tokens (their digests).
#[derive(Debug, Default)]
pub struct AnonymousTokens {
    entries: Mutex<VecDeque<([u8; 32], Instant)>>,
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl AnonymousTokens {
    /// An empty memory.
    pub fn new() -> AnonymousTokens {
        AnonymousTokens::default()
    }

    /// Remembers the tokens of a token response (`token` and
    /// `access_token`, RFC 6750 and the distribution token spec) that answered
    /// a request without credentials. A body that is not such JSON adds nothing.
    pub fn remember_response(&self, body: &[u8], now: Instant) {
        let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(body) else {
            return;
        };
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        for key in ["token", "access_token"] {
            if let Some(token) = map.get(key).and_then(|v| v.as_str()) {
                if entries.len() >= MAX_TOKENS {
                    entries.pop_front();
                }
                entries.push_back((digest(token), now));
            }
        }
    }

    /// Whether an `Authorization` value is absent or a remembered anonymous
    /// bearer token.
    pub fn is_anonymous(&self, authorization: Option<&[u8]>, now: Instant) -> bool {
        let Some(value) = authorization else {
            return true;
        };
        let Some(token) = std::str::from_utf8(value).ok().and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        }) else {
            return false;
        };
        let Ok(mut entries) = self.entries.lock() else {
            return false;
        };
        while entries
            .front()
            .is_some_and(|(_, at)| now.saturating_duration_since(*at) > TOKEN_TTL)
        {
            entries.pop_front();
        }
        let wanted = digest(token.trim());
        entries.iter().any(|(d, _)| *d == wanted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tokens_seen_issued_anonymously_are_anonymous() {
        let t = AnonymousTokens::new();
        let now = Instant::now();
        assert!(t.is_anonymous(None, now));
        assert!(!t.is_anonymous(Some(b"Bearer abc"), now));
        t.remember_response(br#"{"token":"abc","access_token":"def"}"#, now);
        assert!(t.is_anonymous(Some(b"Bearer abc"), now));
        assert!(t.is_anonymous(Some(b"Bearer def"), now));
        assert!(!t.is_anonymous(Some(b"Bearer abcd"), now));
        assert!(!t.is_anonymous(Some(b"Basic abc"), now));
        // Forgotten after the TTL.
        assert!(!t.is_anonymous(Some(b"Bearer abc"), now + TOKEN_TTL * 2));
    }

    #[test]
    fn odd_bodies_add_nothing_and_the_memory_is_bounded() {
        let t = AnonymousTokens::new();
        let now = Instant::now();
        t.remember_response(b"not json", now);
        t.remember_response(br#"{"token": 5}"#, now);
        t.remember_response(br#"["token"]"#, now);
        assert!(t.entries.lock().unwrap().is_empty());
        for i in 0..MAX_TOKENS + 10 {
            t.remember_response(format!(r#"{{"token":"t{i}"}}"#).as_bytes(), now);
        }
        assert_eq!(t.entries.lock().unwrap().len(), MAX_TOKENS);
        assert!(!t.is_anonymous(Some(b"Bearer t0"), now));
        assert!(t.is_anonymous(Some(b"Bearer t4100"), now));
    }
}
