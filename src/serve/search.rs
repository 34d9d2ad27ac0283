//! The proxy's one route to Docker Hub's search:
//! `GET /proxy/index.docker.io/v1/search?q=TERM&n=LIMIT[&page=N]`.
//!
//! It fits the proxy's URL scheme (the page's fetch maps
//! `https://index.docker.io/v1/search?…` onto `/proxy/index.docker.io/…` like
//! any registry URL), but it is a door of its own, narrower than the
//! registry route:
//!
//! * only this exact host and path; every other path on `index.docker.io`
//!   stays refused (the host is on no allowlist);
//! * it always goes to one fixed upstream — Docker Hub's
//!   [`crate::search::DOCKER_HUB_SEARCH`], or the URL the operator gave
//!   with `layerlens serve --docker-hub-search URL` (a mirror, or a test's
//!   stand-in) — so a caller cannot point it at another host or path;
//! * only `GET`; only `q` (required, at most [`crate::search::MAX_TERM`]
//!   bytes, no control character), `n` (1–100) and `page` (1–1000) are
//!   forwarded, decoded and re-encoded; everything else is dropped;
//! * no header of the caller crosses (no `Authorization`, no cookie): the
//!   request carries `Accept: application/json` and nothing more;
//! * redirects are not followed; a success must be `application/json` and
//!   at most [`crate::search::MAX_RESPONSE_BYTES`] bytes (cut when it grows
//!   past that); an error status is passed on without its body.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::time::Instant;

use http_body_util::BodyExt;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Response};

use super::body::{empty, AccessLog, ProxiedBody, ResponseBody};
use super::error::ProxyError;
use super::forward::ProxyState;
use super::headers::add_proxied_security;
use super::policy::NO_STORE;
use crate::native::http::address::Trust;
use crate::native::http::client::UpstreamBody;
use crate::native::http::target::{Host, PathError};
use crate::registry::plan::encode_query_value;
use crate::search::{DOCKER_HUB_SEARCH, MAX_LIMIT, MAX_RESPONSE_BYTES, MAX_TERM};
use {super::path::ProxyPath, crate::native::http::url::UpstreamUrl};

/// The host of the search route.
pub const SEARCH_HOST: &str = "index.docker.io";
/// The path of the search route.
pub const SEARCH_PATH: &str = "/v1/search";
/// The highest `page` forwarded.
pub const MAX_PAGE: u32 = 1000;

/// Where searches go, and what addresses it may have.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchUpstream {
    /// `None`: Docker Hub ([`DOCKER_HUB_SEARCH`], public addresses only).
    operator: Option<UpstreamUrl>,
}

impl SearchUpstream {
    /// Docker Hub itself: HTTPS, public addresses only.
    pub fn docker_hub() -> SearchUpstream {
        SearchUpstream { operator: None }
    }

    /// The URL searches go to (without query), and the trust of its host.
    pub fn target(&self) -> Result<(UpstreamUrl, Trust), PathError> {
        match &self.operator {
            Some(url) => Ok((url.clone(), Trust::Operator)),
            None => Ok((UpstreamUrl::parse(DOCKER_HUB_SEARCH)?, Trust::Public)),
        }
    }
}

/// Why a `--docker-hub-search` URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchUrlError {
    /// Not an `http(s)://host[:port]/path` URL the proxy accepts.
    #[error("invalid search URL {0:?}: {1}")]
    Url(String, PathError),
    /// A query: the proxy builds it.
    #[error("invalid search URL {0:?}: it must have no query (the proxy adds q and n)")]
    Query(String),
}

impl FromStr for SearchUpstream {
    type Err = SearchUrlError;

    /// `--docker-hub-search URL`: named by the operator, so it may be on
    /// loopback or a private network and may use plain HTTP.
    fn from_str(s: &str) -> Result<SearchUpstream, SearchUrlError> {
        let url = UpstreamUrl::parse(s).map_err(|e| SearchUrlError::Url(s.to_owned(), e))?;
        if url.query().is_some() || s.contains('#') {
            return Err(SearchUrlError::Query(s.to_owned()));
        }
        Ok(SearchUpstream {
            operator: Some(url),
        })
    }
}

/// Whether a proxy path is the search route: exactly
/// `index.docker.io[:443]/v1/search`.
pub fn is_search_path(path: &ProxyPath) -> bool {
    let authority = path.authority();
    matches!(authority.host(), Host::Name(n) if n == SEARCH_HOST)
        && matches!(authority.port(), None | Some(443))
        && path.path() == SEARCH_PATH
}

/// Why a search request was refused (400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchRefusal {
    /// No `q`, or an empty one.
    #[error("the search needs a non-empty q parameter")]
    NoTerm,
    /// A `q` too long, not UTF-8 or with control characters.
    #[error("the q parameter must be at most {MAX_TERM} bytes of text without control characters")]
    BadTerm,
    /// `n` not 1–100.
    #[error("the n parameter must be a number from 1 to {MAX_LIMIT}")]
    BadLimit,
    /// `page` not 1–1000.
    #[error("the page parameter must be a number from 1 to {MAX_PAGE}")]
    BadPage,
}

fn decode(value: &str) -> Option<String> {
    let b = value.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = |c: Option<&u8>| c.and_then(|c| (*c as char).to_digit(16));
                let (h, l) = (hex(b.get(i + 1))?, hex(b.get(i + 2))?);
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn number(value: &str, max: u32) -> Option<u32> {
    if value.is_empty() || value.len() > 4 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok().filter(|n| (1..=max).contains(n))
}

/// The query forwarded for a caller's query: `q`, `n` and `page` checked,
/// decoded and re-encoded in that order (the first of repeated names
/// wins); every other parameter dropped.
pub fn search_query(query: Option<&str>) -> Result<String, SearchRefusal> {
    let (mut q, mut n, mut page) = (None, None, None);
    for pair in query.unwrap_or_default().split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        match name {
            "q" if q.is_none() => {
                let term = decode(value).ok_or(SearchRefusal::BadTerm)?;
                if term.len() > MAX_TERM || term.chars().any(char::is_control) {
                    return Err(SearchRefusal::BadTerm);
                }
                q = Some(term);
            }
            "n" if n.is_none() => {
                n = Some(number(value, MAX_LIMIT).ok_or(SearchRefusal::BadLimit)?)
            }
            "page" if page.is_none() => {
                page = Some(number(value, MAX_PAGE).ok_or(SearchRefusal::BadPage)?)
            }
            _ => {}
        }
    }
    let q = q
        .filter(|t| !t.trim().is_empty())
        .ok_or(SearchRefusal::NoTerm)?;
    let mut out = format!("q={}", encode_query_value(&q));
    if let Some(n) = n {
        out.push_str(&format!("&n={n}"));
    }
    if let Some(p) = page {
        out.push_str(&format!("&page={p}"));
    }
    Ok(out)
}

/// Whether a `Content-Type` is JSON (`application/json`, any parameters).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
}

/// Answers the search route (the caller checked [`is_search_path`]) for
/// `client`, who needs an upstream slot like any proxied request.
pub async fn forward_search(
    state: &ProxyState,
    client: IpAddr,
    method: &Method,
    path: &ProxyPath,
    start: Instant,
) -> Result<Response<ResponseBody>, ProxyError> {
    if method != Method::GET {
        return Err(ProxyError::Method(method.to_string()));
    }
    let query = search_query(path.query()).map_err(ProxyError::BadSearch)?;
    let (base, trust) = state.search.target()?;
    let url = UpstreamUrl::new(
        base.scheme(),
        base.authority().clone(),
        base.path(),
        Some(&query),
    )?;
    let slot = state.slots.acquire(client).await?;
    let mut headers = HeaderMap::new();
    headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    headers.insert(
        header::ACCEPT_ENCODING,
        HeaderValue::from_static("identity"),
    );
    let check = |addr: SocketAddr| state.check(addr, trust);
    let upstream = state.upstream.send(method, &url, &headers, &check).await?;
    let status = upstream.status();
    if status.is_redirection() {
        return Err(ProxyError::SearchAnswer(format!(
            "the search endpoint redirected ({}); redirects are not followed",
            status.as_u16()
        )));
    }
    let mut out = HeaderMap::new();
    let mut log = AccessLog::new(method.as_str(), SEARCH_HOST, SEARCH_PATH, start);
    log.status(status.as_u16());
    let body = if status.is_success() {
        if !is_json(upstream.headers()) {
            return Err(ProxyError::SearchAnswer(
                "the search endpoint did not answer with JSON".to_owned(),
            ));
        }
        let cap = MAX_RESPONSE_BYTES as u64;
        let declared = upstream
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(size) = declared {
            if size > cap {
                return Err(ProxyError::TooLarge { size, cap });
            }
            if let Ok(v) = HeaderValue::from_str(&size.to_string()) {
                out.insert(header::CONTENT_LENGTH, v);
            }
        }
        out.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let (_, body) = upstream.into_parts();
        ProxiedBody::<UpstreamBody>::new(body, Some(cap), log, Some(slot)).boxed_unsync()
    } else {
        log.emit(0, " (error body dropped)");
        drop(slot);
        empty()
    };
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static(NO_STORE));
    add_proxied_security(&mut out);
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = out;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_q_n_and_page_are_forwarded_re_encoded() {
        assert_eq!(
            search_query(Some("q=busybox&n=25")).unwrap(),
            "q=busybox&n=25"
        );
        assert_eq!(
            search_query(Some("x=1&q=a+b%2Fc&n=5&page=2&q=other&token=t")).unwrap(),
            "q=a%20b%2Fc&n=5&page=2"
        );
        assert_eq!(search_query(Some("q=%26n%3D1")).unwrap(), "q=%26n%3D1");
        assert_eq!(search_query(Some("n=5")), Err(SearchRefusal::NoTerm));
        assert_eq!(search_query(None), Err(SearchRefusal::NoTerm));
        assert_eq!(
            search_query(Some("q=a&n=101")),
            Err(SearchRefusal::BadLimit)
        );
        assert_eq!(search_query(Some("q=a&n=0")), Err(SearchRefusal::BadLimit));
        assert_eq!(
            search_query(Some("q=a&page=x")),
            Err(SearchRefusal::BadPage)
        );
        assert_eq!(search_query(Some("q=a%0Ab")), Err(SearchRefusal::BadTerm));
        assert_eq!(search_query(Some("q=%ff")), Err(SearchRefusal::BadTerm));
        let long = format!("q={}", "a".repeat(MAX_TERM + 1));
        assert_eq!(search_query(Some(&long)), Err(SearchRefusal::BadTerm));
    }

    #[test]
    fn the_route_is_one_host_and_one_path() {
        let p = |s: &str| ProxyPath::parse(s, None).unwrap();
        assert!(is_search_path(&p("/proxy/index.docker.io/v1/search")));
        assert!(is_search_path(&p("/proxy/INDEX.docker.io:443/v1/search")));
        assert!(!is_search_path(&p("/proxy/index.docker.io/v1/search/x")));
        assert!(!is_search_path(&p(
            "/proxy/index.docker.io/v1/repositories"
        )));
        assert!(!is_search_path(&p("/proxy/index.docker.io:8443/v1/search")));
        assert!(!is_search_path(&p("/proxy/hub.docker.com/v1/search")));
    }

    #[test]
    fn the_operator_url_is_checked() {
        let s: SearchUpstream = "http://127.0.0.1:9/v1/search".parse().unwrap();
        let (url, trust) = s.target().unwrap();
        assert_eq!(url.to_string(), "http://127.0.0.1:9/v1/search");
        assert_eq!(trust, Trust::Operator);
        assert!("http://127.0.0.1:9/v1/search?q=x"
            .parse::<SearchUpstream>()
            .is_err());
        assert!("ftp://x/y".parse::<SearchUpstream>().is_err());
        let (url, trust) = SearchUpstream::docker_hub().target().unwrap();
        assert_eq!(url.to_string(), DOCKER_HUB_SEARCH);
        assert_eq!(trust, Trust::Public);
    }
}
