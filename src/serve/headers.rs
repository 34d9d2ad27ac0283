//! Which headers cross the proxy, and the headers the server adds: the
//! preflight answer, a sandbox on proxied content, the page's strict CSP.

use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};

use super::nonce::Nonce;

/// Request headers the page may send upstream; everything else (cookies,
/// `Origin`, `Referer`, the browser's `User-Agent`…) stays behind.
pub const FORWARDED_REQUEST_HEADERS: &[HeaderName] = &[
    header::ACCEPT,
    header::AUTHORIZATION,
    header::RANGE,
    header::IF_NONE_MATCH,
];

/// Response headers passed back to the page; everything else (`Set-Cookie`,
/// `Server`, the upstream's `Cache-Control`…) is dropped. `Content-Encoding`
/// is not among them: the proxy asks for `identity` and refuses anything else
/// (see [`passed_response_headers`]).
pub const PASSED_RESPONSE_HEADERS: &[&str] = &[
    "content-type",
    "content-length",
    "content-range",
    "accept-ranges",
    "etag",
    "last-modified",
    "docker-content-digest",
    "docker-distribution-api-version",
    "www-authenticate",
    "link",
    "retry-after",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
    "docker-ratelimit-source",
];

/// The request headers a preflight may announce.
pub const ALLOW_HEADERS: &str = "Authorization, Accept, Range, If-None-Match";

/// The response headers the page's scripts may read.
pub const EXPOSE_HEADERS: &str = "Docker-Content-Digest, WWW-Authenticate, Content-Range, \
     Content-Length, Content-Type, Link, Ratelimit-Limit, Ratelimit-Remaining, \
     Docker-Ratelimit-Source, ETag, Retry-After, Docker-Distribution-Api-Version";

/// The page's Content-Security-Policy (`index.html`), around its
/// per-response nonce: only the page's own nonced scripts run, and what
/// they load (`'strict-dynamic'`: the glue, the workers' imports); no
/// script is trusted for its origin, because `/proxy/…` shares it
/// (issue 10, see [`super::nonce`]). `'wasm-unsafe-eval'` instantiates the
/// wasm module; no inline style, no third-party origin, no framing.
pub fn page_csp(nonce: &Nonce) -> String {
    format!(
        "default-src 'self'; script-src 'nonce-{}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; \
         worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'",
        nonce.as_str()
    )
}

/// The CSP of the page's other responses (scripts, wasm, CSS, error
/// text): a policy applies to a response only when it is a document or a
/// worker, and none of these is meant to be one, so opened in a tab they
/// may run and load nothing.
pub const ASSET_CSP: &str =
    "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The CSP of proxied content: registry bytes are served from the page's
/// origin, so opening one as a document must not run anything there.
pub const PROXIED_CSP: &str = "default-src 'none'; sandbox; frame-ancestors 'none'";

fn set(headers: &mut HeaderMap, name: HeaderName, value: &'static str) {
    headers.insert(name, HeaderValue::from_static(value));
}

/// The answer to a preflight: methods, headers, and how long to remember it.
/// `Access-Control-Allow-Origin` is the gate's to add, and only for an origin
/// listed with `--cors-origin` (see [`super::gate`]); the page's own origin
/// never sends a preflight.
pub fn add_preflight(headers: &mut HeaderMap) {
    set(
        headers,
        header::ACCESS_CONTROL_ALLOW_METHODS,
        "GET, HEAD, OPTIONS",
    );
    set(headers, header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS);
    set(headers, header::ACCESS_CONTROL_MAX_AGE, "600");
}

/// Headers of everything under `/proxy/`: only safe content types (see
/// [`super::content_type`]), no sniffing, sandboxed if opened, no referrer.
pub fn add_proxied_security(headers: &mut HeaderMap) {
    super::content_type::restrict_content_type(headers);
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::CONTENT_SECURITY_POLICY, PROXIED_CSP);
    set(headers, header::REFERRER_POLICY, "no-referrer");
}

/// Headers of the page's assets and errors, with [`ASSET_CSP`]; the page
/// itself replaces the policy with [`page_csp`].
pub fn add_page_security(headers: &mut HeaderMap) {
    set(headers, header::CONTENT_SECURITY_POLICY, ASSET_CSP);
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(
        headers,
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
}

/// The request headers to send upstream, taken from the page's request.
pub fn forwarded_request_headers(from: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for name in FORWARDED_REQUEST_HEADERS {
        for value in from.get_all(name) {
            out.append(name.clone(), value.clone());
        }
    }
    // Without Accept-Encoding a server may pick any coding (RFC 9110 §12.5.3);
    // digests are over the bytes as stored, so ask for those.
    set(&mut out, header::ACCEPT_ENCODING, "identity");
    out
}

/// An upstream answer encoded although the proxy asked for `identity`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the upstream answered with Content-Encoding {0:?} although the proxy asked for identity; \
     digests are over the bytes as stored, so the proxy does not pass it on"
)]
pub struct UnwantedEncoding(pub String);

/// The upstream response headers the page gets (before rewrites).
///
/// * `Content-Length` only when the upstream did not also send
///   `Transfer-Encoding` (RFC 9112 §6.3: the length is then the chunked
///   body's, and passing both would cut the page's copy short);
/// * a `Content-Encoding` other than `identity` is refused: passed on, the
///   browser would decode it and every digest would fail; dropped, the page
///   would see bytes the registry never stored under that digest.
pub fn passed_response_headers(from: &HeaderMap) -> Result<HeaderMap, UnwantedEncoding> {
    for coding in from.get_all(header::CONTENT_ENCODING) {
        let coding = String::from_utf8_lossy(coding.as_bytes());
        if !coding.trim().eq_ignore_ascii_case("identity") {
            return Err(UnwantedEncoding(coding.into_owned()));
        }
    }
    let chunked = from.contains_key(header::TRANSFER_ENCODING);
    let mut out = HeaderMap::new();
    for (name, value) in from {
        if chunked && name == header::CONTENT_LENGTH {
            continue;
        }
        if PASSED_RESPONSE_HEADERS.contains(&name.as_str()) {
            out.append(name.clone(), value.clone());
        }
    }
    Ok(out)
}
