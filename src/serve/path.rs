//! The proxy's request target, `/proxy/<host[:port]>/<path>?<query>`: parsed
//! with the same path and query rules as every upstream URL
//! ([`crate::native::http::url`]), the host's encodings refused first.

use crate::native::http::target::{Authority, PathError, Scheme};
use crate::native::http::url::{check_path, check_query, UpstreamUrl};

/// The prefix of every proxied request path.
pub const PROXY_PREFIX: &str = "/proxy/";

/// `url` as a path on the proxy: `/proxy/<host[:port]>/<path>?<query>`.
pub fn proxy_path(url: &UpstreamUrl) -> String {
    format!("/proxy/{}{}", url.authority(), url.path_and_query())
}

/// A parsed `/proxy/<host[:port]>/<path>?<query>` request target; the scheme
/// is not part of it (the policy chooses it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyPath {
    authority: Authority,
    path: String,
    query: Option<String>,
}

impl ProxyPath {
    /// Parses the request's path (as received, still percent-encoded) and query.
    pub fn parse(path: &str, query: Option<&str>) -> Result<ProxyPath, PathError> {
        let rest = path.strip_prefix(PROXY_PREFIX).ok_or(PathError::NotProxy)?;
        let (authority, upstream_path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        // Refuse the encodings in the host before the host parser sees them.
        if authority.contains('%') {
            let lower = authority.to_ascii_lowercase();
            if lower.contains("%2f") || lower.contains("%2e") || lower.contains("%5c") {
                return Err(PathError::EncodedSeparator);
            }
            if lower.contains("%40") {
                return Err(PathError::Userinfo);
            }
            if lower.contains("%0d") || lower.contains("%0a") || lower.contains("%00") {
                return Err(PathError::ControlChar);
            }
        }
        let authority = Authority::parse(authority)?;
        if upstream_path.is_empty() {
            return Err(PathError::NoPath);
        }
        check_path(upstream_path)?;
        if let Some(q) = query {
            check_query(q)?;
        }
        Ok(ProxyPath {
            authority,
            path: upstream_path.to_owned(),
            query: query.map(str::to_owned),
        })
    }

    /// The upstream host and port.
    pub fn authority(&self) -> &Authority {
        &self.authority
    }

    /// The upstream path, starting with `/`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The query, without `?`.
    pub fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }

    /// The upstream URL under the scheme the policy chose.
    pub fn with_scheme(&self, scheme: Scheme) -> UpstreamUrl {
        UpstreamUrl::from_checked(
            scheme,
            self.authority.clone(),
            self.path.clone(),
            self.query.clone(),
        )
    }
}
