//! The HTTP/1.1 server: accepts connections, routes each request to the
//! proxy, the local registry seam or the page.
//!
//! Routes, in order:
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

use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::body::ResponseBody;
use super::error::ProxyError;
use super::forward::{self, ProxyState};
use super::realms::RealmMemory;
use super::site::Site;
use super::upstream::Upstream;
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
}

struct State {
    proxy: ProxyState,
    site: Site,
    local: Option<Arc<dyn LocalRegistry>>,
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
            },
            site: Site::new(&config.dist),
            local: config.local,
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

async fn route(state: &State, request: Request<Incoming>) -> Response<ResponseBody> {
    let path = request.uri().path();
    if path == "/proxy" || path.starts_with("/proxy/") {
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
