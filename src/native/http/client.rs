//! A small outbound HTTP/1.1 client that connects only where a policy says it
//! may: resolve, check *every* resolved address, connect to an address that
//! was checked (never resolving twice), TLS with rustls (ring) and the
//! webpki roots, SNI = the host name. One connection per request, so no state
//! survives between requests (the proxy stays stateless) and bodies stream
//! straight from the socket.
//!
//! Nothing here is proxy-specific: the native `Fetch` of the CLI can reuse it
//! with its own address check.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Empty;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::{HeaderMap, Method, Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio::time::{sleep, timeout, Instant, Sleep};
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

use super::address::AddressClass;
use super::target::{Host, Scheme};
use super::throughput::{Meter, MinThroughput};
use super::url::UpstreamUrl;

/// Most addresses tried for one name (DNS answers are attacker-sized).
const MAX_ADDRESSES: usize = 16;

/// Timeouts of one upstream exchange.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// Resolving, connecting and the TLS handshake, each.
    pub connect: Duration,
    /// From the request sent to the response head received.
    pub response: Duration,
    /// Longest pause between two pieces of a response body.
    pub idle: Duration,
    /// The least a response body must deliver while the proxy waits on it
    /// (see [`super::throughput`]): without it, a registry sending a byte
    /// a second resets `idle` forever and holds its upstream slot.
    pub min_throughput: MinThroughput,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            response: Duration::from_secs(30),
            idle: Duration::from_secs(30),
            min_throughput: MinThroughput::default(),
        }
    }
}

/// Why an upstream exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// DNS failed for the host.
    #[error("could not resolve {host}: {source}")]
    Resolve {
        /// The host name.
        host: String,
        /// The resolver's error.
        source: std::io::Error,
    },
    /// DNS gave no address.
    #[error("{host} has no address")]
    NoAddress {
        /// The host name.
        host: String,
    },
    /// An address the policy refuses.
    #[error("{host} is at {addr}, a {class} address the proxy does not connect to")]
    Refused {
        /// The host as named.
        host: String,
        /// The refused address.
        addr: IpAddr,
        /// Its class.
        class: AddressClass,
    },
    /// No address accepted the connection.
    #[error("could not connect to {host} ({addr}): {source}")]
    Connect {
        /// The host as named.
        host: String,
        /// The last address tried.
        addr: SocketAddr,
        /// The socket error.
        source: std::io::Error,
    },
    /// The TLS handshake failed (certificate, protocol).
    #[error("TLS with {host} failed: {source}")]
    Tls {
        /// The host as named.
        host: String,
        /// The TLS error.
        source: std::io::Error,
    },
    /// A phase took longer than its timeout.
    #[error("{host} did not {phase} within {secs} s")]
    Timeout {
        /// The host as named.
        host: String,
        /// `resolve`, `connect`, `complete the TLS handshake`, `answer`.
        phase: &'static str,
        /// The timeout.
        secs: u64,
    },
    /// The HTTP exchange failed (malformed response, connection reset).
    #[error("HTTP exchange with {host} failed: {source}")]
    Http {
        /// The host as named.
        host: String,
        /// hyper's error.
        source: hyper::Error,
    },
    /// The request could not be built (a header value hyper refuses).
    #[error("could not build the request: {0}")]
    Request(#[from] hyper::http::Error),
}

/// The client: TLS configuration and timeouts, cheap to share.
#[derive(Clone)]
pub struct Upstream {
    tls: TlsConnector,
    timeouts: Timeouts,
    user_agent: String,
}

impl Upstream {
    /// A client trusting the Mozilla roots of `webpki-roots`, speaking
    /// HTTP/1.1 (ALPN) over TLS 1.2/1.3 with the ring provider.
    pub fn new(timeouts: Timeouts, user_agent: &str) -> Result<Upstream, rustls::Error> {
        Upstream::with_extra_roots(timeouts, user_agent, &[])
    }

    /// Like [`Upstream::new`], also trusting the given CA certificates (DER):
    /// a private registry's CA, or a test's.
    pub fn with_extra_roots(
        timeouts: Timeouts,
        user_agent: &str,
        extra_roots: &[Vec<u8>],
    ) -> Result<Upstream, rustls::Error> {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for der in extra_roots {
            roots.add(der.clone().into())?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Upstream {
            tls: TlsConnector::from(Arc::new(config)),
            timeouts,
            user_agent: user_agent.to_owned(),
        })
    }

    /// The timeouts in force.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// Sends `method url` with `headers` (plus `Host` and `User-Agent`) and
    /// returns the response head with its body still streaming from the socket.
    ///
    /// `check` is asked about every resolved address before any connection;
    /// one refused address refuses the host (a name that resolves to both a
    /// public and a private address is refused, not "connected to the good one").
    pub async fn send(
        &self,
        method: &Method,
        url: &UpstreamUrl,
        headers: &HeaderMap,
        check: &(dyn Fn(SocketAddr) -> Result<(), AddressClass> + Sync),
    ) -> Result<Response<UpstreamBody>, UpstreamError> {
        let host = url.authority().host().to_string();
        let port = url.authority().effective_port(url.scheme());
        let addrs = self.resolve(url.authority().host(), port).await?;
        for addr in &addrs {
            check(*addr).map_err(|class| UpstreamError::Refused {
                host: host.clone(),
                addr: addr.ip(),
                class,
            })?;
        }
        let tcp = self.connect(&host, &addrs).await?;
        let mut builder = Request::builder()
            .method(method.clone())
            .uri(url.path_and_query());
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        let request = builder
            .header(
                hyper::header::HOST,
                url.authority().host_header(url.scheme()),
            )
            .header(hyper::header::USER_AGENT, &self.user_agent)
            .body(Empty::<Bytes>::new())?;
        match url.scheme() {
            Scheme::Http => self.exchange(&host, tcp, request).await,
            Scheme::Https => {
                let name = match url.authority().host() {
                    Host::Name(n) => {
                        ServerName::try_from(n.clone()).map_err(|e| UpstreamError::Tls {
                            host: host.clone(),
                            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, e),
                        })?
                    }
                    Host::Ip(ip) => ServerName::IpAddress((*ip).into()),
                };
                let handshake = self.tls.connect(name, tcp);
                let tls = within(
                    self.timeouts.connect,
                    &host,
                    "complete the TLS handshake",
                    handshake,
                )
                .await?
                .map_err(|source| UpstreamError::Tls {
                    host: host.clone(),
                    source,
                })?;
                self.exchange(&host, tls, request).await
            }
        }
    }

    async fn resolve(&self, host: &Host, port: u16) -> Result<Vec<SocketAddr>, UpstreamError> {
        let name = match host {
            Host::Ip(ip) => return Ok(vec![SocketAddr::new(*ip, port)]),
            Host::Name(n) => n,
        };
        let lookup = tokio::net::lookup_host((name.as_str(), port));
        let found = within(self.timeouts.connect, name, "resolve", lookup)
            .await?
            .map_err(|source| UpstreamError::Resolve {
                host: name.clone(),
                source,
            })?;
        let addrs: Vec<SocketAddr> = found.take(MAX_ADDRESSES).collect();
        if addrs.is_empty() {
            return Err(UpstreamError::NoAddress { host: name.clone() });
        }
        Ok(addrs)
    }

    async fn connect(&self, host: &str, addrs: &[SocketAddr]) -> Result<TcpStream, UpstreamError> {
        let mut last = None;
        for addr in addrs {
            match timeout(self.timeouts.connect, TcpStream::connect(addr)).await {
                Ok(Ok(stream)) => {
                    // Latency matters more than packet count for request heads.
                    let _ = stream.set_nodelay(true);
                    return Ok(stream);
                }
                Ok(Err(e)) => last = Some((*addr, e)),
                Err(_) => {
                    last = Some((
                        *addr,
                        std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"),
                    ))
                }
            }
        }
        let (addr, source) = last.unwrap_or_else(|| {
            (
                SocketAddr::from(([0, 0, 0, 0], 0)),
                std::io::Error::new(std::io::ErrorKind::NotFound, "no address"),
            )
        });
        if source.kind() == std::io::ErrorKind::TimedOut {
            return Err(UpstreamError::Timeout {
                host: host.to_owned(),
                phase: "connect",
                secs: self.timeouts.connect.as_secs(),
            });
        }
        Err(UpstreamError::Connect {
            host: host.to_owned(),
            addr,
            source,
        })
    }

    async fn exchange<IO>(
        &self,
        host: &str,
        io: IO,
        request: Request<Empty<Bytes>>,
    ) -> Result<Response<UpstreamBody>, UpstreamError>
    where
        IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let http_err = |source| UpstreamError::Http {
            host: host.to_owned(),
            source,
        };
        let (mut sender, conn) = hyper::client::conn::http1::Builder::new()
            .max_buf_size(64 * 1024)
            .handshake(TokioIo::new(io))
            .await
            .map_err(http_err)?;
        let conn = AbortOnDrop(tokio::spawn(async move {
            // Errors surface through the response or its body.
            let _ = conn.await;
        }));
        let answer = sender.send_request(request);
        let response = within(self.timeouts.response, host, "answer", answer)
            .await?
            .map_err(http_err)?;
        let idle = self.timeouts.idle;
        Ok(response.map(|inner| UpstreamBody {
            inner,
            idle,
            timer: Box::pin(sleep(idle)),
            idle_at: Instant::now() + idle,
            waiting: false,
            meter: Meter::new(self.timeouts.min_throughput),
            _conn: conn,
        }))
    }
}

/// Aborts the connection task when the body is dropped (the browser went
/// away): the upstream socket closes with it.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A response body streaming from the upstream socket, with the idle timeout
/// and the minimum throughput: a pause longer than [`Timeouts::idle`]
/// between two frames, or less than [`Timeouts::min_throughput`], ends it
/// with an error.
pub struct UpstreamBody {
    inner: Incoming,
    idle: Duration,
    /// Fires at the earlier of `idle_at` and the end of the meter's window.
    timer: Pin<Box<Sleep>>,
    idle_at: Instant,
    /// Whether the current wait has begun: time spent while the downstream
    /// did not ask for more (backpressure) is not upstream idleness, and it
    /// is not counted by the meter either.
    waiting: bool,
    meter: Meter,
    _conn: AbortOnDrop,
}

/// The idle timeout of an [`UpstreamBody`].
#[derive(Debug, thiserror::Error)]
#[error("the upstream body stalled for more than {0:?}")]
pub struct IdleTimeout(pub Duration);

/// An [`UpstreamBody`] slower than [`Timeouts::min_throughput`].
#[derive(Debug, thiserror::Error)]
#[error("the upstream body sent less than {} bytes in {:?} of waiting", .0.bytes, .0.window)]
pub struct TooSlow(pub MinThroughput);

impl Body for UpstreamBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        let now = Instant::now();
        if !this.waiting {
            this.idle_at = now + this.idle;
            this.waiting = true;
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                this.waiting = false;
                let n = frame.data_ref().map_or(0, |d| d.len() as u64);
                this.meter.moved(n, now.into_std());
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(Box::new(e)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                let slow_at = Instant::from_std(this.meter.wait(now.into_std()));
                let deadline = this.idle_at.min(slow_at);
                if this.timer.deadline() != deadline {
                    this.timer.as_mut().reset(deadline);
                }
                match this.timer.as_mut().poll(cx) {
                    Poll::Ready(()) if this.idle_at <= slow_at => {
                        Poll::Ready(Some(Err(Box::new(IdleTimeout(this.idle)))))
                    }
                    Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(TooSlow(this.meter.rule()))))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// `future`, or [`UpstreamError::Timeout`] naming `host` and what it did not
/// `phase` in `limit`.
async fn within<T>(
    limit: Duration,
    host: &str,
    phase: &'static str,
    future: impl Future<Output = T>,
) -> Result<T, UpstreamError> {
    timeout(limit, future)
        .await
        .map_err(|_| UpstreamError::Timeout {
            host: host.to_owned(),
            phase,
            secs: limit.as_secs(),
        })
}
