//! Checked URLs: the path and query rules and the upstream URL every hop goes
//! to. Pure functions: no DNS, no sockets.
//!
//! The path rules (each a distinct [`PathError`], answered with 400): RFC 3986
//! `pchar`s and `/` only, with no `.` or `..` segment, no empty segment, no
//! backslash, no control character, and no percent-encoded `/`, `.`, `\\` or
//! control character (`%2f`, `%2e`, `%5c`, `%0d`…, any case) — encodings an
//! upstream might decode into traversal. The query may hold any printable URL
//! character (token scopes carry `%2F` and `%3A`), but no control character,
//! raw or percent-encoded.

use std::fmt;

use super::target::{Authority, PathError, Scheme, MAX_PART};

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes the `%XX` at `bytes[i]`, if well-formed.
fn percent_at(bytes: &[u8], i: usize) -> Result<u8, PathError> {
    let hi = bytes.get(i + 1).copied().and_then(hex_val);
    let lo = bytes.get(i + 2).copied().and_then(hex_val);
    match (hi, lo) {
        (Some(h), Some(l)) => Ok(h * 16 + l),
        _ => Err(PathError::BadPercent),
    }
}

/// Checks an upstream path: see the module documentation for the rules.
pub fn check_path(path: &str) -> Result<(), PathError> {
    if path.len() > MAX_PART {
        return Err(PathError::TooLong);
    }
    let bytes = path.as_bytes();
    if bytes.first() != Some(&b'/') {
        return Err(PathError::NoPath);
    }
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'%' => {
                let decoded = percent_at(bytes, i)?;
                if decoded < 0x20 || decoded == 0x7f {
                    return Err(PathError::ControlChar);
                }
                if matches!(decoded, b'/' | b'.' | b'\\') {
                    return Err(PathError::EncodedSeparator);
                }
                i += 3;
                continue;
            }
            b'\\' => return Err(PathError::Backslash),
            0..=0x1f | 0x7f => return Err(PathError::ControlChar),
            b if b.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@".contains(&b) => {}
            other => return Err(PathError::BadChar(char::from(other))),
        }
        i += 1;
    }
    let segments: Vec<&str> = path[1..].split('/').collect();
    let last = segments.len().saturating_sub(1);
    for (n, seg) in segments.iter().enumerate() {
        if *seg == "." || *seg == ".." {
            return Err(PathError::DotSegment);
        }
        // A trailing slash (`/v2/`) is the only empty segment allowed.
        if seg.is_empty() && n != last {
            return Err(PathError::EmptySegment);
        }
    }
    Ok(())
}

/// Checks a query (without the `?`): printable URL characters, no control
/// character raw or percent-encoded.
pub fn check_query(query: &str) -> Result<(), PathError> {
    if query.len() > MAX_PART {
        return Err(PathError::TooLong);
    }
    let bytes = query.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let decoded = percent_at(bytes, i)?;
                if decoded < 0x20 || decoded == 0x7f {
                    return Err(PathError::ControlChar);
                }
                i += 3;
                continue;
            }
            0..=0x1f | 0x7f => return Err(PathError::ControlChar),
            b'\\' => return Err(PathError::Backslash),
            b @ (b' ' | b'"' | b'<' | b'>' | b'#' | b'`' | 0x80..=0xff) => {
                return Err(PathError::BadChar(char::from(b)))
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// An absolute upstream URL whose every part passed the checks above.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamUrl {
    scheme: Scheme,
    authority: Authority,
    path: String,
    query: Option<String>,
}

impl UpstreamUrl {
    /// The URL for a message: without its query, where blob storage puts
    /// signatures.
    pub fn without_query(&self) -> String {
        let text = self.to_string();
        text.split('?').next().unwrap_or_default().to_owned()
    }

    /// Builds a URL from a checked authority and a path and query still to check.
    pub fn new(
        scheme: Scheme,
        authority: Authority,
        path: &str,
        query: Option<&str>,
    ) -> Result<UpstreamUrl, PathError> {
        check_path(path)?;
        if let Some(q) = query {
            check_query(q)?;
        }
        Ok(UpstreamUrl {
            scheme,
            authority,
            path: path.to_owned(),
            query: query.map(str::to_owned),
        })
    }

    /// A URL from parts another parser of this crate already checked with
    /// [`check_path`] and [`check_query`] (the proxy's request paths).
    pub(crate) fn from_checked(
        scheme: Scheme,
        authority: Authority,
        path: String,
        query: Option<String>,
    ) -> UpstreamUrl {
        UpstreamUrl {
            scheme,
            authority,
            path,
            query,
        }
    }

    /// Parses an absolute `http://` or `https://` URL (a `Location` or a realm).
    /// A fragment is dropped: it never goes to a server.
    pub fn parse(url: &str) -> Result<UpstreamUrl, PathError> {
        let url = url.split('#').next().unwrap_or_default();
        let (scheme, rest) = url.split_once("://").ok_or(PathError::BadScheme)?;
        let scheme = if scheme.eq_ignore_ascii_case("https") {
            Scheme::Https
        } else if scheme.eq_ignore_ascii_case("http") {
            Scheme::Http
        } else {
            return Err(PathError::BadScheme);
        };
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let authority = Authority::parse(&rest[..end])?;
        let (path, query) = split_query(&rest[end..]);
        let path = if path.is_empty() { "/" } else { path };
        UpstreamUrl::new(scheme, authority, path, query)
    }

    /// Resolves a `Location` value against this URL (RFC 9110 §10.2.2 allows
    /// relative references) and checks the result like any other target.
    pub fn join(&self, location: &str) -> Result<UpstreamUrl, PathError> {
        let location = location.trim();
        if location.contains("://") {
            return UpstreamUrl::parse(location);
        }
        if let Some(rest) = location.strip_prefix("//") {
            return UpstreamUrl::parse(&format!("{}://{rest}", self.scheme.as_str()));
        }
        let location = location.split('#').next().unwrap_or_default();
        let (path, query) = split_query(location);
        let path = if path.starts_with('/') {
            path.to_owned()
        } else if path.is_empty() {
            self.path.clone()
        } else {
            let dir = self.path.rfind('/').map_or("/", |i| &self.path[..=i]);
            format!("{dir}{path}")
        };
        UpstreamUrl::new(self.scheme, self.authority.clone(), &path, query)
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The host and port.
    pub fn authority(&self) -> &Authority {
        &self.authority
    }

    /// The path, starting with `/`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The query, without `?`.
    pub fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }

    /// The request target sent upstream: path and query.
    pub fn path_and_query(&self) -> String {
        match &self.query {
            Some(q) => format!("{}?{q}", self.path),
            None => self.path.clone(),
        }
    }

    /// Whether `other` is the same origin (scheme, host, effective port):
    /// `Authorization` is only ever sent within one origin.
    pub fn same_origin(&self, other: &UpstreamUrl) -> bool {
        self.scheme == other.scheme
            && self.authority.host() == other.authority.host()
            && self.authority.effective_port(self.scheme)
                == other.authority.effective_port(other.scheme)
    }
}

impl fmt::Display for UpstreamUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}{}",
            self.scheme.as_str(),
            self.authority,
            self.path_and_query()
        )
    }
}

fn split_query(s: &str) -> (&str, Option<&str>) {
    match s.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (s, None),
    }
}
