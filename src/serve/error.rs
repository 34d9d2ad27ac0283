//! The proxy's own errors, answered as JSON the page can show:
//! `{"error": "...", "detail": "..."}` with the proxied-content headers (the
//! server's gate adds CORS where an origin is listed).

use hyper::header::{self, HeaderValue};
use hyper::{Response, StatusCode};
use serde::Serialize;

use super::body::{fixed, ResponseBody};
use super::gate::GateRefusal;
use super::headers::add_proxied_security;
use super::policy::{Refusal, MAX_REDIRECTS};
use crate::native::http::client::UpstreamError;
use crate::native::http::target::{Authority, PathError};

/// Everything the proxy refuses or fails at, before or instead of an upstream answer.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// A malformed path (400): answered before any connection.
    #[error("malformed proxy path: {0}")]
    BadPath(#[from] PathError),
    /// A method other than GET, HEAD and OPTIONS (405).
    #[error("method {0} is not allowed through the proxy")]
    Method(String),
    /// A host or redirect the policy refuses (403).
    #[error("{0}")]
    Refused(#[from] Refusal),
    /// The upstream could not be reached or answered badly (502, 504 for
    /// timeouts, 403 for a refused address).
    #[error("{0}")]
    Upstream(#[from] UpstreamError),
    /// A redirect without a usable target (502).
    #[error("the upstream redirected to an invalid location: {0}")]
    BadRedirect(PathError),
    /// More than [`MAX_REDIRECTS`] redirects, or a redirect back to a URL
    /// already visited (502). `hops` lists the URLs, queries left out.
    #[error(
        "{}: {hops}",
        if *looped { "redirect loop".to_owned() } else { format!("more than {MAX_REDIRECTS} redirects") }
    )]
    TooManyRedirects {
        /// The URLs followed, `A -> B -> …`.
        hops: String,
        /// Whether the last one had been visited already.
        looped: bool,
    },
    /// A response declared larger than its cap (502).
    #[error("the upstream response is {size} bytes, over the {cap}-byte cap")]
    TooLarge {
        /// The declared `Content-Length`.
        size: u64,
        /// The cap for this kind of response.
        cap: u64,
    },
    /// Too many upstream requests in flight (503).
    #[error("the proxy is busy: too many upstream requests in flight")]
    Busy,
    /// The upstream encoded its answer although `identity` was asked (502).
    #[error("{0}")]
    Encoding(#[from] super::headers::UnwantedEncoding),
    /// An anonymous token response that could not be read whole (502).
    #[error("the token response could not be read: {0}")]
    TokenBody(String),
    /// This client already holds its share of the upstream slots (503, not
    /// 429: the page reads a 429 as the registry's rate limit). Refused at
    /// once, so one client cannot queue for the slots everyone shares.
    #[error("this address already has {cap} upstream requests in flight, the most the proxy allows one client")]
    ClientBusy {
        /// The per-client cap.
        cap: usize,
    },
    /// Nothing is mounted at `/v2/` on this server (404).
    #[error("no local registry is served here")]
    NoLocalRegistry,
    /// The server's gate refused the request: a `Host` it does not answer
    /// to, or another web site (403; 400 without a `Host`).
    #[error("{0}")]
    Gate(#[from] super::gate::GateRefusal),
    /// A search request with a bad `q`, `n` or `page` (400).
    #[error("{0}")]
    BadSearch(#[from] super::search::SearchRefusal),
    /// The search endpoint answered with something the proxy does not pass
    /// on: a redirect, or a success that is not JSON (502).
    #[error("{0}")]
    SearchAnswer(String),
}

/// `Retry-After` of a busy answer: slots free up as bodies finish, and
/// slow ones are cut within the stall window.
const RETRY_AFTER_SECS: &str = "5";

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    detail: String,
}

impl ProxyError {
    /// The status the page gets.
    pub fn status(&self) -> StatusCode {
        match self {
            ProxyError::BadPath(_) | ProxyError::BadSearch(_) => StatusCode::BAD_REQUEST,
            ProxyError::Method(_) => StatusCode::METHOD_NOT_ALLOWED,
            ProxyError::Refused(_) => StatusCode::FORBIDDEN,
            ProxyError::Gate(GateRefusal::NoHost) => StatusCode::BAD_REQUEST,
            ProxyError::Gate(_) => StatusCode::FORBIDDEN,
            ProxyError::Upstream(UpstreamError::Refused { .. }) => StatusCode::FORBIDDEN,
            ProxyError::Upstream(UpstreamError::Timeout { .. }) => StatusCode::GATEWAY_TIMEOUT,
            ProxyError::Upstream(_)
            | ProxyError::BadRedirect(_)
            | ProxyError::TooManyRedirects { .. }
            | ProxyError::TooLarge { .. }
            | ProxyError::Encoding(_)
            | ProxyError::TokenBody(_)
            | ProxyError::SearchAnswer(_) => StatusCode::BAD_GATEWAY,
            ProxyError::Busy | ProxyError::ClientBusy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ProxyError::NoLocalRegistry => StatusCode::NOT_FOUND,
        }
    }

    /// A short, stable label for the page.
    pub fn label(&self) -> &'static str {
        match self {
            ProxyError::BadPath(_) => "malformed path",
            ProxyError::Method(_) => "method not allowed",
            ProxyError::Refused(Refusal::HostNotAllowed(_)) => "host not allowed",
            ProxyError::Refused(Refusal::InsecureRedirect(_)) => "insecure redirect refused",
            ProxyError::Refused(Refusal::SelfTarget(_) | Refusal::Loop | Refusal::ProxyChain) => {
                "loop refused"
            }
            ProxyError::Gate(GateRefusal::NoHost) => "no host",
            ProxyError::Gate(GateRefusal::ForeignHost(_)) => "host not served",
            ProxyError::Gate(GateRefusal::CrossSite(_)) => "cross-site request refused",
            ProxyError::Upstream(UpstreamError::Refused { .. }) => "address refused",
            ProxyError::Upstream(UpstreamError::Timeout { .. }) => "upstream timeout",
            ProxyError::Upstream(_) => "upstream unreachable",
            ProxyError::BadRedirect(_) => "bad redirect",
            ProxyError::TooManyRedirects { .. } => "too many redirects",
            ProxyError::TooLarge { .. } => "response too large",
            ProxyError::Encoding(_) => "encoded response refused",
            ProxyError::TokenBody(_) => "bad token response",
            ProxyError::Busy => "proxy busy",
            ProxyError::ClientBusy { .. } => "too many requests from this address",
            ProxyError::NoLocalRegistry => "not found",
            ProxyError::BadSearch(_) => "bad search request",
            ProxyError::SearchAnswer(_) => "bad search answer",
        }
    }

    /// What the page shows under the label: what happened and, where the
    /// operator can change it, how.
    pub fn detail(&self) -> String {
        match self {
            ProxyError::Refused(Refusal::HostNotAllowed(host)) => format!(
                "{self}. To allow it, start the proxy with: layerlens serve --allow-registry {}",
                allow_hint(host)
            ),
            ProxyError::Method(_) => format!("{self}; use GET, HEAD or OPTIONS"),
            ProxyError::ClientBusy { .. } => format!(
                "{self}; try again when one of them finishes (the operator can change the cap \
                 with layerlens serve --max-upstream-per-client N)"
            ),
            other => other.to_string(),
        }
    }

    /// The JSON error response, with the proxied-content headers.
    pub fn response(&self) -> Response<ResponseBody> {
        let body = serde_json::to_vec(&ErrorBody {
            error: self.label(),
            detail: self.detail(),
        })
        .unwrap_or_default();
        let mut response = fixed(self.status(), "application/json", "no-store", body);
        let headers = response.headers_mut();
        if matches!(self, ProxyError::Method(_)) {
            headers.insert(
                header::ALLOW,
                HeaderValue::from_static("GET, HEAD, OPTIONS"),
            );
        }
        if matches!(self, ProxyError::Busy | ProxyError::ClientBusy { .. }) {
            headers.insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECS),
            );
        }
        add_proxied_security(headers);
        response
    }
}

fn allow_hint(host: &Authority) -> String {
    host.to_string()
}
