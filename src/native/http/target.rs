//! Where a proxied request goes, parsed before anything touches the network.
//!
//! A request for `/proxy/<host[:port]>/<path>?<query>` and every redirect
//! target become an [`super::url::UpstreamUrl`] through the same checks, so a
//! trick that is refused in the first request is refused in the fifth hop
//! too. This module holds the vocabulary (hosts, authorities, schemes, the
//! errors); [`super::url`] the path and query rules. Pure functions: no DNS,
//! no sockets.
//!
//! The rules (each returns a distinct [`PathError`], answered with 400):
//!
//! * the host is a DNS name (letters, digits, `-`, `_`; RFC 1123 labels) or an
//!   IPv4 dotted quad or a bracketed IPv6 literal; a name whose last label is
//!   all digits is refused, because resolvers read `2130706433` or `127.1` as
//!   addresses (the "ambiguous numeric host" trick);
//! * no userinfo (`user@host`): `ghcr.io@127.0.0.1` must not mean two things;
//! * a port is 1–65535 in decimal, nothing else;
//! * the path is RFC 3986 `pchar`s and `/` only, with no `.` or `..` segment,
//!   no empty segment, no backslash, no control character, and no
//!   percent-encoded `/`, `.`, `\` or control character (`%2f`, `%2e`, `%5c`,
//!   `%0d`…, any case) — encodings an upstream might decode into traversal;
//! * the query may hold any printable URL character (token scopes carry
//!   `%2F` and `%3A`), but no control character, raw or percent-encoded.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Longest path or query accepted (registries use far less).
pub const MAX_PART: usize = 8 * 1024;

/// Why a proxy path or redirect target was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// The request path does not start with `/proxy/`.
    #[error("the path does not start with /proxy/")]
    NotProxy,
    /// Nothing between `/proxy/` and the next `/`.
    #[error("the host is empty")]
    EmptyHost,
    /// `user@host` or `user:password@host`.
    #[error("userinfo (user@host) is not allowed in the host")]
    Userinfo,
    /// The host is not a DNS name, an IPv4 address or a bracketed IPv6 address.
    #[error("the host {0:?} is not a valid host name or address")]
    BadHost(String),
    /// The port is empty, not decimal, 0 or above 65535.
    #[error("the port {0:?} is not a number from 1 to 65535")]
    BadPort(String),
    /// The host is not followed by a path (`/proxy/ghcr.io`).
    #[error("no path after the host")]
    NoPath,
    /// A `.` or `..` segment.
    #[error("the path has a '.' or '..' segment")]
    DotSegment,
    /// An empty segment (`//`).
    #[error("the path has an empty segment ('//')")]
    EmptySegment,
    /// `%2f`, `%2e` or `%5c` in the path.
    #[error("the path has a percent-encoded slash, dot or backslash")]
    EncodedSeparator,
    /// A control character (CR, LF, NUL…), raw or percent-encoded.
    #[error("a control character (such as CR or LF) in the path or query")]
    ControlChar,
    /// A backslash in the host or path.
    #[error("a backslash in the host or path")]
    Backslash,
    /// `%` not followed by two hex digits.
    #[error("a '%' not followed by two hex digits")]
    BadPercent,
    /// A character that has no place in a URL path or query.
    #[error("the character {0:?} is not allowed in a path or query")]
    BadChar(char),
    /// The path or query is longer than [`MAX_PART`].
    #[error("the path or query is longer than 8 KiB")]
    TooLong,
    /// A redirect to something other than `http:` or `https:`.
    #[error("the scheme is not http or https")]
    BadScheme,
}

/// The URL scheme used upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Plain HTTP: only for allowed loopback registries and `--insecure-registry` hosts.
    Http,
    /// HTTPS, the default for everything.
    Https,
}

impl Scheme {
    /// The port used when the URL names none.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    /// `http` or `https`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// A host: a lower-cased DNS name or an address literal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// A DNS name, lower-cased, without a trailing dot.
    Name(String),
    /// An IPv4 or IPv6 literal (no DNS lookup happens for it).
    Ip(IpAddr),
}

impl Host {
    /// Whether the name itself says loopback: `localhost`, `*.localhost`
    /// (RFC 6761 §6.3), `127.0.0.0/8` or `::1`. Docker treats these as
    /// registries that may speak plain HTTP.
    pub fn is_loopback(&self) -> bool {
        match self {
            Host::Name(n) => n == "localhost" || n.ends_with(".localhost"),
            Host::Ip(ip) => ip.is_loopback(),
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Name(n) => f.write_str(n),
            Host::Ip(IpAddr::V4(v4)) => write!(f, "{v4}"),
            Host::Ip(IpAddr::V6(v6)) => write!(f, "[{v6}]"),
        }
    }
}

/// `host[:port]`, checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Authority {
    host: Host,
    port: Option<u16>,
}

impl Authority {
    /// Parses `host[:port]` as it appears in a proxy path or a URL (no userinfo).
    pub fn parse(s: &str) -> Result<Authority, PathError> {
        if s.is_empty() {
            return Err(PathError::EmptyHost);
        }
        if s.contains('@') {
            return Err(PathError::Userinfo);
        }
        if s.contains('\\') {
            return Err(PathError::Backslash);
        }
        if s.bytes().any(|b| b < 0x20 || b == 0x7f) {
            return Err(PathError::ControlChar);
        }
        let (host, port) = if let Some(rest) = s.strip_prefix('[') {
            let Some((v6, after)) = rest.split_once(']') else {
                return Err(PathError::BadHost(s.to_owned()));
            };
            let ip: Ipv6Addr = v6.parse().map_err(|_| PathError::BadHost(s.to_owned()))?;
            let port = match after {
                "" => None,
                p => Some(parse_port(
                    p.strip_prefix(':')
                        .ok_or_else(|| PathError::BadHost(s.to_owned()))?,
                )?),
            };
            (Host::Ip(IpAddr::V6(ip)), port)
        } else {
            let (h, port) = match s.split_once(':') {
                Some((h, p)) => (h, Some(parse_port(p)?)),
                None => (s, None),
            };
            if h.is_empty() {
                return Err(PathError::EmptyHost);
            }
            (parse_host_name(h)?, port)
        };
        Ok(Authority { host, port })
    }

    /// Builds an authority from parts already checked (an address and a port).
    pub fn from_ip(ip: IpAddr, port: Option<u16>) -> Authority {
        Authority {
            host: Host::Ip(ip),
            port,
        }
    }

    /// The host.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The port as written, if any.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The port to connect to under `scheme`.
    pub fn effective_port(&self, scheme: Scheme) -> u16 {
        self.port.unwrap_or(scheme.default_port())
    }

    /// The `Host` header value under `scheme`: the port only when it is not
    /// the scheme's default (RFC 9110 §7.2).
    pub fn host_header(&self, scheme: Scheme) -> String {
        match self.port {
            Some(p) if p != scheme.default_port() => format!("{}:{p}", self.host),
            _ => self.host.to_string(),
        }
    }
}

impl fmt::Display for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(p) => write!(f, "{}:{p}", self.host),
            None => write!(f, "{}", self.host),
        }
    }
}

fn parse_port(p: &str) -> Result<u16, PathError> {
    let bad = || PathError::BadPort(p.to_owned());
    if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match p.parse::<u16>() {
        Ok(0) | Err(_) => Err(bad()),
        Ok(n) => Ok(n),
    }
}

/// A DNS name (RFC 1123 §2.1 labels, `_` tolerated) or a strict dotted quad.
fn parse_host_name(h: &str) -> Result<Host, PathError> {
    let bad = || PathError::BadHost(h.to_owned());
    if h.contains('%') {
        return Err(bad());
    }
    if let Ok(v4) = h.parse::<Ipv4Addr>() {
        return Ok(Host::Ip(IpAddr::V4(v4)));
    }
    let lower = h.to_ascii_lowercase();
    if lower.len() > 253 {
        return Err(bad());
    }
    let labels: Vec<&str> = lower.split('.').collect();
    for label in &labels {
        let ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            return Err(bad());
        }
    }
    // `127.1`, `2130706433`, `0x7f.1`: resolvers take these for addresses.
    let last = labels.last().copied().unwrap_or_default();
    if last.bytes().all(|b| b.is_ascii_digit()) || lower.starts_with("0x") {
        return Err(bad());
    }
    Ok(Host::Name(lower))
}
