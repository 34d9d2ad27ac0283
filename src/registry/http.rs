//! The one door to the network: the [`Fetch`] trait, and the plain request
//! and response values that cross it.
//!
//! The shells implement `Fetch` (the browser through the proxy, the native
//! binary with its own HTTP client); everything else in `registry/` only
//! builds [`Request`]s and reads [`Response`]s. The traits are async without a
//! `Send` bound so the browser's single-threaded futures fit.

use std::fmt;

/// The HTTP methods the distribution read protocol needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Fetch a resource.
    Get,
    /// Ask for headers only (resolving a tag costs no pull on Docker Hub).
    Head,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
        }
    }
}

/// Header names and values, names compared case-insensitively.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Headers(Vec<(String, String)>);

impl Headers {
    /// No headers.
    pub fn new() -> Headers {
        Headers::default()
    }

    /// Adds a header (several with one name are kept in order).
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.push((name.into(), value.into()));
    }

    /// The first value of a header.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a header, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// All headers in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

/// Headers from `(name, value)` pairs, in order (scripted answers in tests,
/// a shell's response headers).
impl<N: Into<String>, V: Into<String>> FromIterator<(N, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(pairs: I) -> Headers {
        Headers(
            pairs
                .into_iter()
                .map(|(n, v)| (n.into(), v.into()))
                .collect(),
        )
    }
}

impl fmt::Debug for Headers {
    // `Authorization` values are secrets: never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        for (n, v) in &self.0 {
            if n.eq_ignore_ascii_case("authorization") {
                m.entry(n, &"<redacted>");
            } else {
                m.entry(n, v);
            }
        }
        m.finish()
    }
}

/// A request to make. `url` is absolute (`https://host/v2/…`); a browser
/// `Fetch` maps it onto its proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// GET or HEAD.
    pub method: Method,
    /// The absolute URL.
    pub url: String,
    /// Request headers (`Accept`, `Authorization`, `Range`).
    pub headers: Headers,
}

/// A response whose body is still to be read, chunk by chunk.
#[derive(Debug)]
pub struct Response<B> {
    /// The HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: Headers,
    /// The streamed body.
    pub body: B,
}

impl<B> Response<B> {
    /// The same response with its body wrapped (a fetch over several
    /// doors answers with one body type).
    pub fn map_body<C>(self, wrap: impl FnOnce(B) -> C) -> Response<C> {
        Response {
            status: self.status,
            headers: self.headers,
            body: wrap(self.body),
        }
    }
}

/// Why the network could not deliver a response (as opposed to a registry
/// answering with an error status).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FetchError {
    /// What went wrong, for a person (never containing credentials).
    pub message: String,
    /// Who failed, so the page can say what to do about it.
    pub kind: FetchErrorKind,
}

/// Which hop failed: the page tells a user to start or configure the proxy,
/// to allow a host on it, or to check the registry, depending on this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchErrorKind {
    /// The transport itself (DNS, connection, TLS, a broken stream).
    Network,
    /// The proxy could not be reached at all (the browser's fetch failed).
    ProxyUnreachable,
    /// The proxy answered with its own refusal (a host not on its allowlist,
    /// a forbidden address): the message says how to allow it.
    ProxyRefused,
    /// The proxy answered with its own failure (upstream unreachable,
    /// timeout, busy).
    ProxyFailed,
    /// An image on disk could not be read: the archive is damaged, or a
    /// member is missing (the message names it).
    Archive,
}

impl FetchError {
    /// A transport error with a message.
    pub fn new(message: impl Into<String>) -> FetchError {
        FetchError::with_kind(FetchErrorKind::Network, message)
    }

    /// An error of a given kind.
    pub fn with_kind(kind: FetchErrorKind, message: impl Into<String>) -> FetchError {
        FetchError {
            message: message.into(),
            kind,
        }
    }
}

/// A streamed response body.
#[allow(async_fn_in_trait)] // deliberately no Send bound: browser futures are !Send
pub trait Body {
    /// The next chunk, or `None` at the end.
    async fn chunk(&mut self) -> Result<Option<Vec<u8>>, FetchError>;
}

/// A borrowed body reads the same: a reader that only borrows the body (the
/// file viewer's extraction) can still wrap it in a [`super::BlobBody`].
impl<B: Body> Body for &mut B {
    async fn chunk(&mut self) -> Result<Option<Vec<u8>>, FetchError> {
        (**self).chunk().await
    }
}

/// The network, as the shells provide it.
#[allow(async_fn_in_trait)] // deliberately no Send bound: browser futures are !Send
pub trait Fetch {
    /// The body type of this implementation's responses.
    type Body: Body;

    /// Performs one request. Redirects to blob storage are followed by the
    /// implementation (never carrying `Authorization` to another host).
    async fn fetch(&self, request: Request) -> Result<Response<Self::Body>, FetchError>;

    /// Waits `ms` milliseconds: the pause before asking a registry again
    /// that answered 429 or 5xx ([`super::retry`]). The core has no clock,
    /// so the shell that has one waits (a timer natively, `setTimeout` in
    /// the page). A door that never answers those (an archive on disk) may
    /// return at once.
    async fn sleep(&self, ms: u64);
}

/// Reads a whole body, refusing more than `limit` bytes (manifests, configs
/// and token responses are small; a registry that sends more is misbehaving).
pub async fn read_to_end<B: Body>(body: &mut B, limit: usize) -> Result<Vec<u8>, FetchError> {
    let mut out = Vec::new();
    while let Some(chunk) = body.chunk().await? {
        if out.len() + chunk.len() > limit {
            return Err(FetchError::new(format!(
                "response body is larger than the {limit}-byte limit"
            )));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_case_insensitive_and_debug_redacts() {
        let mut h = Headers::new();
        h.push("Docker-Content-Digest", "sha256:x");
        h.push("Authorization", "Bearer secret");
        h.push("link", "a");
        h.push("Link", "b");
        assert_eq!(h.get("docker-content-digest"), Some("sha256:x"));
        assert_eq!(h.get_all("LINK").collect::<Vec<_>>(), vec!["a", "b"]);
        let dbg = format!("{h:?}");
        assert!(!dbg.contains("secret"), "{dbg}");
    }
}
