//! `layerlens::serve::Server` run in-process, for what needs a configuration
//! the command line does not offer: the test hook that forbids a loopback
//! address, short timeouts, a small concurrency bound, a `/v2/` handler
//! mounted on the seam for local images.

use std::future::Future;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::pin::Pin;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use hyper::body::Incoming;
use hyper::{Request, Response};
use layerlens::serve::body::{full, ResponseBody};
use layerlens::serve::{Config, HostPattern, LocalRegistry, Server, Timeouts};
use layerlens_testkit::proxy::{assert_same_origin_only, get, request, Reply, Upstream};

const DIGEST: &str = "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";

/// Runs a server on its own runtime; stops when dropped.
struct Running {
    addr: SocketAddr,
    _runtime: tokio::runtime::Runtime,
}

fn start(config: Config) -> Running {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let addr = runtime.block_on(async {
        let server = Server::bind(config).await.unwrap();
        let addr = server.local_addr().unwrap();
        tokio::spawn(server.run());
        addr
    });
    Running {
        addr,
        _runtime: runtime,
    }
}

fn config() -> Config {
    Config::new("127.0.0.1:0".parse().unwrap()).with_dist("/nonexistent/layerlens-dist")
}

fn pattern(s: &str) -> HostPattern {
    s.parse().unwrap()
}

#[test]
fn a_redirect_to_an_address_configured_as_forbidden_is_refused() {
    let target = Upstream::fixed(Reply::new(200, "should not be reached"));
    let location = format!("http://{}/data", target.host_port());
    let registry = Upstream::start(move |_| Reply::redirect(307, &location));
    // Both are allowed registries; the second is forbidden by address.
    let server = start(
        config()
            .allow_registry(pattern(&registry.host_port()))
            .allow_registry(pattern(&target.host_port()))
            .forbid_address_for_tests(target.addr()),
    );
    let r = get(
        server.addr,
        &format!("/proxy/{}/v2/a/blobs/{DIGEST}", registry.host_port()),
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert_same_origin_only(&r);
    assert_eq!(r.json()["error"], "address refused");
    assert_eq!(registry.connections(), 1);
    assert_eq!(target.connections(), 0);

    // Asked directly, the same address is refused too.
    let r = get(server.addr, &format!("/proxy/{}/v2/", target.host_port()));
    assert_eq!(r.status, 403);
    assert_eq!(target.connections(), 0);
}

/// Accepts connections, reads the request, sends `prefix`, then stalls.
fn stalling_upstream(prefix: &'static [u8]) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(prefix);
                thread::sleep(Duration::from_secs(20));
            });
        }
    });
    addr
}

fn short_timeouts() -> Timeouts {
    Timeouts {
        connect: Duration::from_millis(500),
        response: Duration::from_millis(500),
        idle: Duration::from_millis(500),
        ..Timeouts::default()
    }
}

#[test]
fn a_silent_upstream_is_504() {
    let silent = stalling_upstream(b"");
    let server = start(
        config()
            .allow_registry(pattern(&silent.to_string()))
            .with_timeouts(short_timeouts()),
    );
    let started = Instant::now();
    let r = get(server.addr, &format!("/proxy/{silent}/v2/"));
    assert_eq!(r.status, 504, "{}", r.text());
    assert_same_origin_only(&r);
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_stalled_body_is_cut_after_the_idle_timeout() {
    let stalled = stalling_upstream(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nfirst bytes");
    let server = start(
        config()
            .allow_registry(pattern(&stalled.to_string()))
            .with_timeouts(short_timeouts()),
    );
    let started = Instant::now();
    let r = get(
        server.addr,
        &format!("/proxy/{stalled}/v2/a/blobs/{DIGEST}"),
    );
    assert_eq!(r.status, 200);
    assert!(!r.complete);
    assert_eq!(r.body, b"first bytes");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn upstream_requests_are_bounded() {
    let stalled = stalling_upstream(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nx");
    let server = start(
        config()
            .allow_registry(pattern(&stalled.to_string()))
            .with_max_upstream(1)
            .with_timeouts(Timeouts {
                connect: Duration::from_millis(300),
                response: Duration::from_secs(2),
                idle: Duration::from_millis(1500),
                ..Timeouts::default()
            }),
    );
    let addr = server.addr;
    let path = format!("/proxy/{stalled}/v2/a/blobs/{DIGEST}");
    // The first request holds the only permit while its body stalls.
    let p = path.clone();
    let first = thread::spawn(move || get(addr, &p));
    thread::sleep(Duration::from_millis(200));
    let r = get(addr, &path);
    assert_eq!(r.status, 503, "{}", r.text());
    assert_same_origin_only(&r);
    assert_eq!(r.json()["error"], "proxy busy");
    let first = first.join().unwrap();
    assert_eq!(first.status, 200);
}

struct Hello;

impl LocalRegistry for Hello {
    fn handle(
        &self,
        request: Request<Incoming>,
    ) -> Pin<Box<dyn Future<Output = Response<ResponseBody>> + Send>> {
        let path = request.uri().path().to_owned();
        Box::pin(async move { Response::new(full(format!("local {path}"))) })
    }
}

#[test]
fn v2_goes_to_the_mounted_local_registry() {
    let server = start(config().with_local_registry(Arc::new(Hello)));
    let r = request(server.addr, "GET", "/v2/demo/tags/list", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "local /v2/demo/tags/list");
    // The proxy and the page are unaffected.
    assert_eq!(get(server.addr, "/proxy/example.invalid/v2/").status, 403);
    assert_eq!(get(server.addr, "/").status, 200);
}
