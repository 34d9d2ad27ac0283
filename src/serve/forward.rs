//! `/proxy/…`: carries out the policy for one request — parse, decide,
//! forward with the filtered headers, follow redirects with every hop
//! checked, rewrite the headers that name URLs, stream the body back.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use http_body_util::{BodyExt, Limited};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Response, StatusCode, Uri};

use super::body::{empty, full, AccessLog, ProxiedBody, ResponseBody};
use super::error::ProxyError;
use super::headers::{
    add_preflight, add_proxied_security, forwarded_request_headers, passed_response_headers,
};
use super::policy::{
    body_cap, cache_control, check_redirect, decide, Access, Allowlist, RealmGrant, Refusal,
    RequestKind, MAX_REDIRECTS, TOKEN_CAP,
};
use super::realms::RealmMemory;
use super::rewrite::{rewrite_challenge, rewrite_link};
use super::slots::Slots;
use super::tokens::AnonymousTokens;
use crate::native::http::address::{check_address, classify, AddressClass, Trust};
use crate::native::http::client::{Upstream, UpstreamBody};
use {super::path::ProxyPath, crate::native::http::url::UpstreamUrl};

/// What the proxy needs to answer a request; shared by all connections.
pub struct ProxyState {
    /// The registries allowed.
    pub allowlist: Allowlist,
    /// The outbound client.
    pub upstream: Upstream,
    /// Upstream requests in flight, in all and per client (a slot lives as
    /// long as the body).
    pub slots: Slots,
    /// Realms named by allowed registries.
    pub realms: RealmMemory,
    /// Tokens issued to requests without credentials (see [`super::tokens`]).
    pub anonymous: AnonymousTokens,
    /// This process's `Via` entry, `1.1 layerlens-<random>`: added to every
    /// upstream request, and a request that already carries it is a loop.
    pub via: HeaderValue,
    /// Where Docker Hub searches go (see [`super::search`]).
    pub search: super::search::SearchUpstream,
    /// Test hook: socket addresses refused even when the policy would allow
    /// them, so that refusals can be exercised on 127.0.0.1 (see
    /// [`crate::serve::Config::forbid_address_for_tests`]).
    pub forbidden: Vec<SocketAddr>,
}

impl ProxyState {
    /// Whether the request already passed through this process (its `Via`
    /// names this proxy's random pseudonym): a forwarding loop.
    fn is_loop(&self, headers: &HeaderMap) -> bool {
        let ours = self.via.as_bytes();
        let pseudonym = ours.strip_prefix(b"1.1 ").unwrap_or(ours);
        headers.get_all(header::VIA).iter().any(|v| {
            v.as_bytes()
                .windows(pseudonym.len())
                .any(|w| w == pseudonym)
        })
    }

    pub(super) fn check(&self, addr: SocketAddr, trust: Trust) -> Result<(), AddressClass> {
        if self.forbidden.contains(&addr) {
            return Err(classify(addr.ip()));
        }
        check_address(addr.ip(), trust)
    }
}

/// Answers one request under `/proxy/` from `client` (the peer address,
/// for the per-client cap on upstream slots). Never fails: errors become
/// JSON responses with CORS headers, and every request is logged once.
pub async fn handle(
    state: &ProxyState,
    client: IpAddr,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Response<ResponseBody> {
    let start = Instant::now();
    if method == Method::OPTIONS {
        // A preflight is the proxy's own business: never forwarded, so a
        // registry that answers OPTIONS with 401 cannot break CORS.
        let mut response = Response::new(empty());
        *response.status_mut() = StatusCode::NO_CONTENT;
        add_preflight(response.headers_mut());
        add_proxied_security(response.headers_mut());
        log_now(method, "-", uri.path(), 204, start);
        return response;
    }
    let (host, path) = match ProxyPath::parse(uri.path(), uri.query()) {
        Ok(p) => (p.authority().to_string(), p.path().to_owned()),
        Err(_) => ("-".to_owned(), "(malformed)".to_owned()),
    };
    match forward(state, client, method, uri, headers, start).await {
        Ok(response) => response,
        Err(e) => {
            let response = e.response();
            log_now(method, &host, &path, response.status().as_u16(), start);
            response
        }
    }
}

fn log_now(method: &Method, host: &str, path: &str, status: u16, start: Instant) {
    let mut log = AccessLog::new(method.as_str(), host, path, start);
    log.status(status);
    log.emit(0, "");
}

async fn forward(
    state: &ProxyState,
    client: IpAddr,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    start: Instant,
) -> Result<Response<ResponseBody>, ProxyError> {
    if method != Method::GET && method != Method::HEAD {
        return Err(ProxyError::Method(method.to_string()));
    }
    // Everything about the target is checked before any socket is opened.
    let path = ProxyPath::parse(uri.path(), uri.query())?;
    if state.is_loop(headers) {
        return Err(Refusal::Loop.into());
    }
    if super::search::is_search_path(&path) {
        return super::search::forward_search(state, client, method, &path, start).await;
    }
    let grant = state.realms.get(path.authority(), path.path());
    let decision = decide(&path, &state.allowlist, grant)?;
    let authorization = headers
        .get(header::AUTHORIZATION)
        .map(HeaderValue::as_bytes);
    let access = if state.anonymous.is_anonymous(authorization, Instant::now()) {
        Access::Anonymous
    } else {
        Access::Credentialed
    };
    let slot = state.slots.acquire(client).await?;

    let mut request_headers = forwarded_request_headers(headers);
    request_headers.append(header::VIA, state.via.clone());
    let mut url = decision.url.clone();
    let mut trust = decision.trust;
    let mut hops = 0;
    let mut visited = vec![url.without_query()];
    let upstream = loop {
        let check = |addr: SocketAddr| state.check(addr, trust);
        let response = state
            .upstream
            .send(method, &url, &request_headers, &check)
            .await?;
        let Some(location) = redirect_location(&response) else {
            break response;
        };
        let next = url.join(&location).map_err(ProxyError::BadRedirect)?;
        let looped = visited.contains(&next.without_query());
        visited.push(next.without_query());
        if looped || hops == MAX_REDIRECTS {
            return Err(ProxyError::TooManyRedirects {
                hops: visited.join(" -> "),
                looped,
            });
        }
        trust = check_redirect(&next, &state.allowlist)?;
        if !url.same_origin(&next) {
            // Credentials are for the origin they were issued for, never for
            // blob storage or anyone a registry redirects to.
            request_headers.remove(header::AUTHORIZATION);
        }
        url = next;
        hops += 1;
    };

    let status = upstream.status();
    let (parts, body) = upstream.into_parts();
    let mut out = passed_response_headers(&parts.headers)?;
    if decision.kind == RequestKind::Registry && hops == 0 {
        rewrite_challenges(state, &mut out, decision.trust);
    }
    rewrite_links(&mut out, &url);
    let cap = body_cap(decision.kind, path.path());
    if let (Some(cap), Some(size)) = (cap, content_length(&out)) {
        if size > cap {
            return Err(ProxyError::TooLarge { size, cap });
        }
    }
    let cache = cache_control(decision.kind, path.path(), status.as_u16(), access);
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    add_proxied_security(&mut out);

    let mut log = AccessLog::new(
        method.as_str(),
        &path.authority().to_string(),
        path.path(),
        start,
    );
    log.status(status.as_u16());
    let anonymous_token =
        decision.kind == RequestKind::Token && authorization.is_none() && status == StatusCode::OK;
    let body = if method == Method::HEAD {
        log.emit(0, "");
        drop(slot);
        empty()
    } else if anonymous_token {
        // Small (capped) and needed whole: its tokens are remembered as
        // anonymous before the page can use them.
        let timeout = state.upstream.timeouts().response;
        let collected =
            tokio::time::timeout(timeout, Limited::new(body, TOKEN_CAP as usize).collect())
                .await
                .map_err(|_| ProxyError::TokenBody("it did not arrive in time".into()))?
                .map_err(|e| ProxyError::TokenBody(e.to_string()))?
                .to_bytes();
        state
            .anonymous
            .remember_response(&collected, Instant::now());
        log.emit(collected.len() as u64, "");
        drop(slot);
        out.insert(header::CONTENT_LENGTH, HeaderValue::from(collected.len()));
        full(collected)
    } else {
        ProxiedBody::<UpstreamBody>::new(body, cap, log, Some(slot)).boxed_unsync()
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = out;
    Ok(response)
}

/// The `Location` of a redirect the proxy follows (301, 302, 303, 307, 308).
fn redirect_location<B>(response: &Response<B>) -> Option<String> {
    let followed = matches!(response.status().as_u16(), 301 | 302 | 303 | 307 | 308);
    if !followed {
        return None;
    }
    response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// Rewrites realms to proxy paths and remembers them as token hosts.
fn rewrite_challenges(state: &ProxyState, headers: &mut HeaderMap, trust: Trust) {
    let values: Vec<HeaderValue> = headers
        .get_all(header::WWW_AUTHENTICATE)
        .iter()
        .cloned()
        .collect();
    if values.is_empty() {
        return;
    }
    headers.remove(header::WWW_AUTHENTICATE);
    for value in values {
        let rewritten = value.to_str().ok().and_then(rewrite_challenge);
        let Some(rewritten) = rewritten else {
            headers.append(header::WWW_AUTHENTICATE, value);
            continue;
        };
        for realm in &rewritten.realms {
            let grant = RealmGrant::for_realm(realm, trust, &state.allowlist);
            state.realms.remember(realm, grant);
        }
        match HeaderValue::from_str(&rewritten.value) {
            Ok(v) => headers.append(header::WWW_AUTHENTICATE, v),
            Err(_) => headers.append(header::WWW_AUTHENTICATE, value),
        };
    }
}

/// Makes `Link` targets proxy paths so pagination stays on the proxy.
fn rewrite_links(headers: &mut HeaderMap, base: &UpstreamUrl) {
    let values: Vec<HeaderValue> = headers.get_all(header::LINK).iter().cloned().collect();
    if values.is_empty() {
        return;
    }
    headers.remove(header::LINK);
    for value in values {
        let new = value
            .to_str()
            .ok()
            .map(|v| rewrite_link(v, base))
            .and_then(|v| HeaderValue::from_str(&v).ok())
            .unwrap_or(value);
        headers.append(header::LINK, new);
    }
}
