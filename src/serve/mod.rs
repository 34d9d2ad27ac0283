//! `layerlens serve`: the page's static server and a CORS proxy that is a
//! door, not a relay (native only).
//!
//! Registries such as Docker Hub send no CORS headers, and a registry with
//! auth answers the browser's preflight with 401; the proxy makes registry
//! traffic possible from the page and nothing more. It is stateless apart
//! from a bounded memory of token realms (see [`realms`]), so it scales by
//! running more copies behind a load balancer, with any cache in front for
//! the immutable, digest-addressed responses.
//!
//! * [`path`], [`policy`], [`rewrite`], [`gate`] — pure decisions: the
//!   proxy's request path, the allowlist and forwarding rules, header
//!   rewrites, the names and origins the server admits. Tested on values.
//!   Hosts, URLs and address classes are the outbound client's vocabulary
//!   ([`crate::native::http`]).
//! * [`realms`], [`tokens`] — the two bounded memories: realms named by
//!   allowed registries, and tokens issued to anonymous requests.
//! * [`crate::native::http::client`] — the outbound client: resolve, check
//!   every address, connect to the checked one, rustls, HTTP/1.1, streamed
//!   bodies.
//! * [`forward`], [`site`], [`server`] — carrying it out: the `/proxy/`
//!   handler, the page, the HTTP server and its routes (with the
//!   [`server::LocalRegistry`] seam for `/v2/`).
//! * [`slots`], [`conn`], [`crate::native::http::throughput`] — the limits that keep one slow
//!   or greedy client from locking out the others: upstream slots in all
//!   and per client, a per-client connection cap, and a minimum throughput
//!   on both the client and the upstream side of every response.
//! * [`search`] — the one route to Docker Hub's search endpoint, to a
//!   fixed upstream.
//! * [`local`] — what is mounted there: the built-in demo image and
//!   `--layout NAME=DIR` OCI image layouts, read-only.

pub mod body;
pub mod conn;
pub mod content_type;
pub mod error;
pub mod forward;
pub mod gate;
pub mod headers;
pub mod local;
pub mod nonce;
pub mod path;
pub mod policy;
pub mod realms;
pub mod rewrite;
pub mod search;
pub mod server;
pub mod site;
pub mod slots;
pub mod tokens;

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use error::ProxyError;
pub use gate::{Gate, Origin, OriginError};
pub use local::{LocalError, LocalRegistries};
pub use path::ProxyPath;
pub use policy::{Allowlist, HostPattern, PatternError};
pub use search::SearchUpstream;
pub use server::{LocalRegistry, Server};
// The outbound client's vocabulary, which the proxy's API speaks.
pub use crate::native::http::{
    check_address, classify, AddressClass, Authority, Host, MinThroughput, PathError, Scheme,
    Timeouts, Trust, Upstream, UpstreamError, UpstreamUrl,
};

/// The default listening address: loopback only, unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Upstream requests in flight at most, by default.
pub const DEFAULT_MAX_UPSTREAM: usize = 256;
/// Upstream requests in flight per client (IPv4 address or IPv6 /64) at
/// most, by default: an eighth of the pool, so it takes eight clients to
/// fill it, and a browser (six connections per host) is never near it.
pub const DEFAULT_MAX_UPSTREAM_PER_CLIENT: usize = 32;
/// Open connections per client at most, by default: a quarter of the
/// server's 1024, so one address cannot hold every connection.
pub const DEFAULT_MAX_CONNECTIONS_PER_CLIENT: usize = 256;

/// How to run the server. Built with [`Config::new`] and the `with_*`/`allow_*` methods.
pub struct Config {
    listen: SocketAddr,
    allowlist: Allowlist,
    dist: PathBuf,
    timeouts: Timeouts,
    max_upstream: usize,
    max_upstream_per_client: usize,
    max_connections_per_client: usize,
    client_throughput: MinThroughput,
    user_agent: String,
    forbidden: Vec<SocketAddr>,
    extra_roots: Vec<Vec<u8>>,
    local: Option<Arc<dyn LocalRegistry>>,
    search: SearchUpstream,
    gate: Gate,
}

impl Config {
    /// The defaults: the built-in registries, `dist` as the page directory,
    /// the default timeouts and [`DEFAULT_MAX_UPSTREAM`].
    pub fn new(listen: SocketAddr) -> Config {
        Config {
            listen,
            allowlist: Allowlist::with_defaults(),
            dist: PathBuf::from("dist"),
            timeouts: Timeouts::default(),
            max_upstream: DEFAULT_MAX_UPSTREAM,
            max_upstream_per_client: DEFAULT_MAX_UPSTREAM_PER_CLIENT,
            max_connections_per_client: DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
            client_throughput: MinThroughput::default(),
            user_agent: concat!("layerlens/", env!("CARGO_PKG_VERSION")).to_owned(),
            forbidden: Vec::new(),
            extra_roots: Vec::new(),
            local: None,
            search: SearchUpstream::docker_hub(),
            gate: Gate::new(),
        }
    }

    /// `--public-url URL`: a name people reach this server by, beyond
    /// loopback names and address literals (behind a reverse proxy, or on a
    /// team host). Requests naming any other host are refused (DNS
    /// rebinding), see [`gate`].
    pub fn public_url(mut self, origin: Origin) -> Config {
        self.gate.public_url(origin);
        self
    }

    /// `--cors-origin ORIGIN`: another web site that may read the proxy and
    /// the local registry (with CORS). Without one, only the page served
    /// here can: any site could otherwise read through this server.
    pub fn cors_origin(mut self, origin: Origin) -> Config {
        self.gate.cors_origin(origin);
        self
    }

    /// `--docker-hub-search URL`: where the search route
    /// (`/proxy/index.docker.io/v1/search`) goes instead of Docker Hub — a
    /// mirror, or a test's stand-in. The caller still cannot choose it.
    pub fn with_docker_hub_search(mut self, search: SearchUpstream) -> Config {
        self.search = search;
        self
    }

    /// `--allow-registry HOST[:PORT]`: forward `/v2/…` to this host too; it
    /// may be on loopback or a private network (the operator named it).
    pub fn allow_registry(mut self, pattern: HostPattern) -> Config {
        self.allowlist.allow(pattern);
        self
    }

    /// `--insecure-registry HOST[:PORT]`: allowed, and spoken to in plain HTTP.
    pub fn insecure_registry(mut self, pattern: HostPattern) -> Config {
        self.allowlist.insecure(pattern);
        self
    }

    /// `--dist DIR`: Trunk's output directory.
    pub fn with_dist(mut self, dist: impl Into<PathBuf>) -> Config {
        self.dist = dist.into();
        self
    }

    /// Upstream connect, response and idle timeouts, and the upstream
    /// minimum throughput.
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Config {
        self.timeouts = timeouts;
        self
    }

    /// Upstream requests in flight at most (each holds its permit until its
    /// body is done).
    pub fn with_max_upstream(mut self, n: usize) -> Config {
        self.max_upstream = n;
        self
    }

    /// `--max-upstream-per-client N`: upstream requests in flight per client
    /// (IPv4 address or IPv6 /64); one more is refused at once with 503.
    /// Behind a reverse proxy every client has the proxy's address: raise it
    /// to `--max-upstream` there.
    pub fn with_max_upstream_per_client(mut self, n: usize) -> Config {
        self.max_upstream_per_client = n;
        self
    }

    /// `--max-connections-per-client N`: open connections per client; more
    /// are closed as soon as they are accepted.
    pub fn with_max_connections_per_client(mut self, n: usize) -> Config {
        self.max_connections_per_client = n;
        self
    }

    /// The minimum throughput of a client taking a response (see
    /// [`conn`]); below it the connection is closed and its slot freed.
    pub fn with_client_throughput(mut self, rule: MinThroughput) -> Config {
        self.client_throughput = rule;
        self
    }

    /// `--stall-timeout SECS`: the window of both minimum throughputs, the
    /// client's and the upstream's (at least 16 KiB per window of waiting).
    pub fn with_stall_window(mut self, window: Duration) -> Config {
        self.client_throughput = MinThroughput::within(window);
        self.timeouts.min_throughput = MinThroughput::within(window);
        self
    }

    /// Mounts a handler for `/v2/…` on this server (local layouts, the demo).
    pub fn with_local_registry(mut self, local: Arc<dyn LocalRegistry>) -> Config {
        self.local = Some(local);
        self
    }

    /// Also trusts this CA certificate (DER) for upstream TLS, next to the
    /// webpki roots: a private registry's CA (tests use it for a loopback TLS
    /// upstream).
    pub fn trust_root_certificate(mut self, der: Vec<u8>) -> Config {
        self.extra_roots.push(der);
        self
    }

    /// TEST HOOK, not a CLI flag: refuses connections to `addr` as if it were
    /// a forbidden address, even for an allowed registry. Tests use it to
    /// exercise refusals end to end on 127.0.0.1 without sending a packet to
    /// any other address. It can only make the proxy stricter.
    pub fn forbid_address_for_tests(mut self, addr: SocketAddr) -> Config {
        self.forbidden.push(addr);
        self
    }
}

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The listening address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The socket error.
        source: std::io::Error,
    },
    /// The TLS client configuration could not be built.
    #[error("TLS setup failed: {0}")]
    Tls(String),
    /// Any other I/O error (runtime, socket).
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Runs the server until Ctrl-C: builds a tokio runtime, binds, prints
/// `layerlens: serving http://ADDR/` on stdout (the actual port when asked
/// for port 0) followed by one line per local repository
/// (`layerlens: demo image 127.0.0.1:8080/demo:latest`), then one
/// access-log line per request to the proxy or the local registry on stderr.
pub fn serve(config: Config) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let server = Server::bind(config).await?;
        let addr = server.local_addr()?;
        let mut stdout = std::io::stdout();
        writeln!(stdout, "layerlens: serving http://{addr}/")?;
        for line in server.describe_local() {
            // Informational: a closed stdout must not stop the server.
            let _ = writeln!(stdout, "layerlens: {line}");
        }
        let _ = stdout.flush();
        if !server.has_page() {
            eprintln!(
                "layerlens: no index.html in --dist; / explains how to build the page \
                 (bash scripts/run.sh)"
            );
        }
        tokio::select! {
            r = server.run() => r,
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    })
}
