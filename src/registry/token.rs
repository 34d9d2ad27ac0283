//! Bearer tokens for the distribution token dance: the token endpoint's
//! response, and a cache that reuses a token per scope until it expires.
//! The caller passes the current time in; nothing here reads a clock.

use std::collections::BTreeMap;

use serde::Deserialize;

/// A bearer token with the instant (ms since the Unix epoch) it stops being used.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    value: String,
    expires_at_ms: u64,
}

impl std::fmt::Debug for Token {
    // Never print the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Token(<redacted>, expires_at_ms={})", self.expires_at_ms)
    }
}

impl Token {
    /// The value to send as `Authorization: Bearer …`.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// When the cache stops handing this token out.
    pub fn expires_at_ms(&self) -> u64 {
        self.expires_at_ms
    }
}

/// Why a token response could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The body is not the JSON the token specification describes.
    #[error("token response is not valid JSON: {0}")]
    Json(String),
    /// Neither `token` nor `access_token` was present or non-empty.
    #[error("token response has no token")]
    Missing,
}

#[derive(Deserialize)]
struct RawToken {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<i64>,
}

/// Tokens that the specification says live 60 s when `expires_in` is absent.
const DEFAULT_LIFETIME_S: u64 = 60;
/// Stop using a token a little before it expires, to absorb clock skew and latency.
const SAFETY_MARGIN_S: u64 = 10;
/// Never trust a lifetime longer than a day.
const MAX_LIFETIME_S: u64 = 24 * 3600;

/// Reads a token endpoint's response body received at `now_ms`.
pub fn parse_token_response(body: &[u8], now_ms: u64) -> Result<Token, TokenError> {
    let raw: RawToken =
        serde_json::from_slice(body).map_err(|e| TokenError::Json(e.to_string()))?;
    let value = raw
        .token
        .filter(|t| !t.is_empty())
        .or(raw.access_token.filter(|t| !t.is_empty()))
        .ok_or(TokenError::Missing)?;
    let lifetime = match raw.expires_in {
        Some(s) if s > 0 => (s as u64).min(MAX_LIFETIME_S),
        _ => DEFAULT_LIFETIME_S,
    };
    // Short-lived tokens (under twice the margin) are used for half their life.
    let usable = if lifetime > 2 * SAFETY_MARGIN_S {
        lifetime - SAFETY_MARGIN_S
    } else {
        lifetime / 2
    };
    Ok(Token {
        value,
        expires_at_ms: now_ms.saturating_add(usable * 1000),
    })
}

/// Which token a request needs: the challenge's realm and service, and the scope.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TokenKey {
    /// The token endpoint (`realm` of the challenge).
    pub realm: String,
    /// The `service` of the challenge.
    pub service: String,
    /// The scope, e.g. `repository:library/alpine:pull`.
    pub scope: String,
}

/// Tokens kept per scope and reused until they expire. In memory only.
#[derive(Debug, Default, Clone)]
pub struct TokenCache {
    tokens: BTreeMap<TokenKey, Token>,
}

impl TokenCache {
    /// An empty cache.
    pub fn new() -> TokenCache {
        TokenCache::default()
    }

    /// A still-valid token for `key` at `now_ms`.
    pub fn get(&self, key: &TokenKey, now_ms: u64) -> Option<&Token> {
        self.tokens.get(key).filter(|t| now_ms < t.expires_at_ms)
    }

    /// Stores a fresh token, dropping any expired ones on the way.
    pub fn insert(&mut self, key: TokenKey, token: Token, now_ms: u64) {
        self.tokens.retain(|_, t| now_ms < t.expires_at_ms);
        self.tokens.insert(key, token);
    }

    /// Forgets a token the registry refused (a 401 after using it).
    pub fn invalidate(&mut self, key: &TokenKey) {
        self.tokens.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(scope: &str) -> TokenKey {
        TokenKey {
            realm: "https://auth/token".into(),
            service: "reg".into(),
            scope: scope.into(),
        }
    }

    #[test]
    fn parses_token_and_access_token() {
        let t = parse_token_response(br#"{"token":"abc","expires_in":300}"#, 1_000).unwrap();
        assert_eq!(t.value(), "abc");
        assert_eq!(t.expires_at_ms(), 1_000 + 290_000);
        let t = parse_token_response(br#"{"access_token":"xyz"}"#, 0).unwrap();
        assert_eq!(t.value(), "xyz");
        assert_eq!(t.expires_at_ms(), 50_000);
        let t = parse_token_response(br#"{"token":"s","expires_in":8}"#, 0).unwrap();
        assert_eq!(t.expires_at_ms(), 4_000);
        let t = parse_token_response(br#"{"token":"s","expires_in":1}"#, 0).unwrap();
        assert_eq!(t.expires_at_ms(), 0, "never reused");
        assert_eq!(
            parse_token_response(br#"{"token":""}"#, 0),
            Err(TokenError::Missing)
        );
        assert!(matches!(
            parse_token_response(b"nope", 0),
            Err(TokenError::Json(_))
        ));
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let t = parse_token_response(br#"{"token":"s3cret"}"#, 0).unwrap();
        assert!(!format!("{t:?}").contains("s3cret"));
    }

    #[test]
    fn cache_reuses_per_scope_until_expiry() {
        let mut c = TokenCache::new();
        let t = parse_token_response(br#"{"token":"a","expires_in":60}"#, 0).unwrap();
        c.insert(key("repository:a:pull"), t, 0);
        assert_eq!(
            c.get(&key("repository:a:pull"), 49_999).map(Token::value),
            Some("a")
        );
        assert!(c.get(&key("repository:a:pull"), 50_000).is_none());
        assert!(c.get(&key("repository:b:pull"), 0).is_none());
        c.invalidate(&key("repository:a:pull"));
        assert!(c.get(&key("repository:a:pull"), 0).is_none());
    }
}
