//! The HTTP/1.1 server: accepts connections, routes each request to the
//! proxy, the local registry seam or the page.
//!
//! Routes, in order:
//! * `/proxy/<this server>/v2/…` → the [`LocalRegistry`] directly (see
//!   [`is_self`]): the page treats local images like any registry;
//! * `/proxy/…` → [`super::forward`];
//! * `/v2` and `/v2/…` → the [`LocalRegistry`] mounted with
//!   [`Config::with_local_registry`] (where `--layout` directories and the
//!   built-in demo image will be served), or a JSON 404 while none is;
//! * anything else → the page ([`super::site`]).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, Uri};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::body::ResponseBody;
use super::content_type::restrict_content_type;
use super::error::ProxyError;
use super::forward::{self, ProxyState};
use super::policy::is_registry_path;
use super::realms::RealmMemory;
use super::rewrite::rewrite_link;
use super::site::Site;
use super::target::{Authority, Host, Scheme};
use super::upstream::Upstream;
use super::url::{ProxyPath, UpstreamUrl};
use super::{Config, ServeError};

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
                permits: Arc::new(Semaphore::new(config.max_upstream.max(1))),
                realms: RealmMemory::new(),
                forbidden: config.forbidden,
                search: config.search,
            },
            site: Site::new(&config.dist),
            local: config.local,
            bound,
        };
        Ok(Server {
            listener,
            state: Arc::new(state),
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
            let (stream, _) = match self.listener.accept().await {
                Ok(s) => s,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    eprintln!("layerlens: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let state = self.state.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    let state = state.clone();
                    async move { Ok::<_, Infallible>(route(&state, req).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_READ_TIMEOUT)
                    .max_buf_size(64 * 1024)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
                drop(permit);
            });
        }
    }
}

async fn route(state: &State, mut request: Request<Incoming>) -> Response<ResponseBody> {
    let path = request.uri().path();
    if path == "/proxy" || path.starts_with("/proxy/") {
        if let Some(local) = &state.local {
            if let Some(inner) = self_target(state, &request) {
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
            request.method(),
            request.uri(),
            request.headers(),
        )
        .await;
    }
    if path == "/v2" || path.starts_with("/v2/") {
        return match &state.local {
            Some(local) => local.handle(request).await,
            None => ProxyError::NoLocalRegistry.response(),
        };
    }
    state.site.respond(request.method(), path).await
}

/// A proxied request for this very server's registry.
struct SelfTarget {
    /// The request target on our own `/v2/`.
    uri: Uri,
    /// The upstream URL it stands for (for rewriting `Link`).
    proxy_path_base: UpstreamUrl,
}

/// `Some` when a `GET`/`HEAD` `/proxy/<authority>/v2/…` names this server:
/// see [`is_self`]. Other methods (the proxy answers `OPTIONS` itself and
/// refuses the rest) and malformed paths take the proxy's route.
fn self_target(state: &State, request: &Request<Incoming>) -> Option<SelfTarget> {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return None;
    }
    let uri = request.uri();
    let parsed = ProxyPath::parse(uri.path(), uri.query()).ok()?;
    if !is_registry_path(parsed.path()) {
        return None;
    }
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Authority::parse(v).ok());
    if !is_self(parsed.authority(), state.bound, host.as_ref()) {
        return None;
    }
    let upstream = parsed.with_scheme(Scheme::Http);
    let inner: Uri = upstream.path_and_query().parse().ok()?;
    Some(SelfTarget {
        uri: inner,
        proxy_path_base: upstream,
    })
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
