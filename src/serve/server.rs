//! The HTTP/1.1 server: accepts connections, routes each request to the
//! proxy, the local registry seam or the page.
//!
//! Every request first passes the [`Gate`]: a `Host` this server answers to,
//! and for `/proxy/` and `/v2/` no other web site (see [`super::gate`]).
//!
//! Routes, in order:
//! * `/proxy/<this server>/v2/…` → the [`LocalRegistry`] directly (see
//!   [`is_self`]): the page treats local images like any registry; any other
//!   path naming this server is refused (forwarding it would loop);
//! * `/proxy/…` → [`super::forward`];
//! * `/v2` and `/v2/…` → the [`LocalRegistry`] mounted with
//!   [`Config::with_local_registry`] (where `--layout` directories and the
//!   built-in demo image will be served), or a JSON 404 while none is;
//! * anything else → the page ([`super::site`]).
//!
//! Each accepted connection counts against its client's connection cap and
//! is wrapped in [`SlowClientGuard`] (a write timeout as a minimum
//! throughput); its peer address goes with every request to the proxy, for
//! the per-client cap on upstream slots ([`super::slots`]).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, Uri};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::body::{AccessLog, ResponseBody};
use super::conn::SlowClientGuard;
use super::content_type::restrict_content_type;
use super::error::ProxyError;
use super::forward::{self, ProxyState};
use super::gate::{Area, Gate};
use super::policy::{is_registry_path, Refusal};
use super::realms::RealmMemory;
use super::rewrite::rewrite_link;
use super::site::Site;
use super::slots::{PerClient, Slots};
use super::tokens::AnonymousTokens;
use super::{Config, ServeError};
use crate::native::http::client::Upstream;
use crate::native::http::target::{Authority, Host, Scheme};
use crate::native::http::throughput::MinThroughput;
use {super::path::ProxyPath, crate::native::http::url::UpstreamUrl};

/// Connections served at once; more wait in the listen backlog.
const MAX_CONNECTIONS: usize = 1024;
/// Time a client has to send a request head.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// A handler for `/v2/…` on this server: the seam where local OCI layouts
/// (`--layout NAME=DIR`) and the built-in demo image are mounted, so that
/// `127.0.0.1:PORT/NAME:TAG` is a registry reference the page, the CLI and
/// `docker pull` can use.
pub trait LocalRegistry: Send + Sync + 'static {
    /// Answers a request whose path is `/v2` or starts with `/v2/`.
    fn handle(
        &self,
        request: Request<Incoming>,
    ) -> Pin<Box<dyn Future<Output = Response<ResponseBody>> + Send>>;

    /// Lines `serve` prints after the URL, one per repository, naming the
    /// reference to use (`demo image 127.0.0.1:8080/demo:latest`);
    /// `authority` is how this server is reached.
    fn describe(&self, authority: &str) -> Vec<String> {
        let _ = authority;
        Vec::new()
    }
}

struct State {
    gate: Gate,
    proxy: ProxyState,
    site: Site,
    local: Option<Arc<dyn LocalRegistry>>,
    /// The address actually bound, to recognise this server in proxy paths.
    bound: SocketAddr,
}

/// A bound server, not yet accepting: its address is known (port 0 resolved).
pub struct Server {
    listener: TcpListener,
    state: Arc<State>,
    /// Open connections per client.
    connections: Arc<PerClient>,
    /// What a client must take of a response it is sent (see [`super::conn`]).
    client_throughput: MinThroughput,
}

impl Server {
    /// Binds the listening socket and prepares the shared state.
    pub async fn bind(config: Config) -> Result<Server, ServeError> {
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| ServeError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let bound = listener.local_addr().map_err(ServeError::Io)?;
        let upstream =
            Upstream::with_extra_roots(config.timeouts, &config.user_agent, &config.extra_roots)
                .map_err(|e| ServeError::Tls(e.to_string()))?;
        let state = State {
            proxy: ProxyState {
                allowlist: config.allowlist,
                upstream,
                slots: Slots::new(
                    config.max_upstream,
                    config.max_upstream_per_client,
                    config.timeouts.connect,
                ),
                realms: RealmMemory::new(),
                anonymous: AnonymousTokens::new(),
                via: pseudonym(),
                forbidden: config.forbidden,
                search: config.search,
            },
            gate: config.gate,
            site: Site::new(&config.dist),
            local: config.local,
            bound,
        };
        Ok(Server {
            listener,
            state: Arc::new(state),
            connections: PerClient::new(config.max_connections_per_client),
            client_throughput: config.client_throughput,
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> Result<SocketAddr, ServeError> {
        self.listener.local_addr().map_err(ServeError::Io)
    }

    /// The lines describing the local repositories (see
    /// [`LocalRegistry::describe`]), with this server's reachable address.
    pub fn describe_local(&self) -> Vec<String> {
        let authority = reachable_authority(self.state.bound);
        self.state
            .local
            .as_ref()
            .map(|l| l.describe(&authority))
            .unwrap_or_default()
    }

    /// Whether `--dist` held a built page.
    pub fn has_page(&self) -> bool {
        self.state.site.is_built()
    }

    /// Accepts connections until the task is dropped.
    pub async fn run(self) -> Result<(), ServeError> {
        let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        loop {
            let permit = connections
                .clone()
                .acquire_owned()
                .await
                .map_err(|_| ServeError::Io(std::io::Error::other("semaphore closed")))?;
            let (stream, peer) = match self.listener.accept().await {
                Ok(s) => s,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    eprintln!("layerlens: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            // A client at its cap is closed at once: one address must not
            // hold every connection.
            let Some(own) = self.connections.try_take(peer.ip()) else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let stream = SlowClientGuard::new(stream, self.client_throughput);
            let state = self.state.clone();
            let client = peer.ip();
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    let state = state.clone();
                    async move { Ok::<_, Infallible>(route(&state, client, req).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_READ_TIMEOUT)
                    .max_buf_size(64 * 1024)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
                drop((own, permit));
            });
        }
    }
}

async fn route(
    state: &State,
    client: IpAddr,
    request: Request<Incoming>,
) -> Response<ResponseBody> {
    let path = request.uri().path();
    let api = is_proxy_path(path) || is_registry_path(path);
    let area = if api { Area::Api } else { Area::Page };
    let admission = match state.gate.admit(request.headers(), area) {
        Ok(admission) => admission,
        Err(refusal) => {
            let response = ProxyError::from(refusal).response();
            let mut log = AccessLog::new(request.method().as_str(), "-", path, Instant::now());
            log.status(response.status().as_u16());
            log.emit(0, " (refused by the gate)");
            return response;
        }
    };
    let mut response = route_admitted(state, client, request).await;
    admission.apply(response.headers_mut());
    response
}

fn is_proxy_path(path: &str) -> bool {
    path == "/proxy" || path.starts_with("/proxy/")
}

async fn route_admitted(
    state: &State,
    client: IpAddr,
    mut request: Request<Incoming>,
) -> Response<ResponseBody> {
    let path = request.uri().path();
    if is_proxy_path(path) {
        match self_target(state, &request) {
            SelfCheck::Other => {}
            SelfCheck::Refused(authority) => {
                return ProxyError::Refused(Refusal::SelfTarget(authority)).response();
            }
            SelfCheck::Local(local, inner) => {
                // This server's own registry through the proxy path: served
                // directly, with no connection to ourselves and no permit.
                let target = inner.proxy_path_base;
                *request.uri_mut() = inner.uri;
                let mut response = local.handle(request).await;
                rewrite_self_links(response.headers_mut(), &target);
                // Any LocalRegistry: its types reach the page like a registry's.
                restrict_content_type(response.headers_mut());
                return response;
            }
        }
        return forward::handle(
            &state.proxy,
            client,
            request.method(),
            request.uri(),
            request.headers(),
        )
        .await;
    }
    if is_registry_path(path) {
        return match &state.local {
            Some(local) => local.handle(request).await,
            None => ProxyError::NoLocalRegistry.response(),
        };
    }
    let accept_encoding = request
        .headers()
        .get(hyper::header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok());
    state
        .site
        .respond(request.method(), path, accept_encoding)
        .await
}

/// A random pseudonym for this process in `Via` (RFC 9110 §7.6.3), so a
/// request that comes back to it through any chain of names is recognised.
/// `RandomState` is seeded from the OS's randomness.
fn pseudonym() -> HeaderValue {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    HeaderValue::from_str(&format!("1.1 layerlens-{:016x}", hasher.finish()))
        .unwrap_or_else(|_| HeaderValue::from_static("1.1 layerlens"))
}

/// A proxied request for this very server's registry.
struct SelfTarget {
    /// The request target on our own `/v2/`.
    uri: Uri,
    /// The upstream URL it stands for (for rewriting `Link`).
    proxy_path_base: UpstreamUrl,
}

/// What a `/proxy/<authority>/…` request is to this server.
enum SelfCheck {
    /// Another host (or a malformed path: the proxy's own route says why).
    Other,
    /// This server, on a path other than its own registry (or with no
    /// registry mounted): forwarding it would only loop.
    Refused(Authority),
    /// This server's own registry.
    Local(Arc<dyn LocalRegistry>, SelfTarget),
}

/// Whether a `GET`/`HEAD` `/proxy/…` request names this server (see
/// [`is_self`]), and what to do about it. Other methods are the proxy's own
/// business (it answers `OPTIONS` itself and refuses the rest).
fn self_target(state: &State, request: &Request<Incoming>) -> SelfCheck {
    let uri = request.uri();
    let Ok(parsed) = ProxyPath::parse(uri.path(), uri.query()) else {
        return SelfCheck::Other;
    };
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Authority::parse(v).ok());
    let readable = request.method() == Method::GET || request.method() == Method::HEAD;
    if !readable || !is_self(parsed.authority(), state.bound, host.as_ref()) {
        return SelfCheck::Other;
    }
    let local = state
        .local
        .as_ref()
        .filter(|_| is_registry_path(parsed.path()));
    let upstream = parsed.with_scheme(Scheme::Http);
    let inner: Option<Uri> = upstream.path_and_query().parse().ok();
    match (local, inner) {
        (Some(local), Some(uri)) => SelfCheck::Local(
            local.clone(),
            SelfTarget {
                uri,
                proxy_path_base: upstream,
            },
        ),
        _ => SelfCheck::Refused(parsed.authority().clone()),
    }
}

/// Whether `authority` designates this server, bound at `bound`, for a
/// client that reached it as `host` (its `Host` header):
///
/// * the bound address itself (`127.0.0.1:8080`);
/// * a loopback name or address on the bound port, when bound to loopback or
///   to every address (`localhost:8080`, `[::1]:8080` on `0.0.0.0:8080`);
/// * the client's own `Host`: the name by which it reached this server (a
///   page opened at `http://lens.example:8080/` refers to
///   `lens.example:8080/demo`). Answering that from our `/v2/` gives the
///   client exactly what a direct request would, and opens no connection.
pub fn is_self(authority: &Authority, bound: SocketAddr, host: Option<&Authority>) -> bool {
    if host.is_some_and(|h| h == authority) {
        return true;
    }
    if authority.port() != Some(bound.port()) {
        return false;
    }
    match authority.host() {
        Host::Ip(ip) if *ip == bound.ip() => true,
        h if h.is_loopback() => {
            let ip = bound.ip();
            let same_family = match h {
                Host::Ip(addr) => addr.is_ipv4() == ip.is_ipv4() || ip.is_unspecified(),
                Host::Name(_) => true,
            };
            (ip.is_loopback() || ip.is_unspecified()) && same_family
        }
        _ => false,
    }
}

/// How to name this server in a reference: the bound address, with
/// loopback in place of an unspecified address (`0.0.0.0:8080` →
/// `127.0.0.1:8080`).
pub fn reachable_authority(bound: SocketAddr) -> String {
    let ip = match bound.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, bound.port()).to_string()
}

/// Makes `Link` targets of a self-served answer proxy paths, as the proxy
/// does for any registry.
fn rewrite_self_links(headers: &mut HeaderMap, base: &UpstreamUrl) {
    let Some(value) = headers.get(header::LINK).and_then(|v| v.to_str().ok()) else {
        return;
    };
    if let Ok(v) = HeaderValue::from_str(&rewrite_link(value, base)) {
        headers.insert(header::LINK, v);
    }
}
