//! Slow and greedy clients through the real `layerlens serve` binary: stalled
//! readers on one address do not lock out another address, a client that
//! never reads is disconnected, a registry that trickles is cut — and the
//! upstream slot comes back each time; connections over the per-client cap
//! are closed while other addresses are served.
//!
//! Everything binds and connects to 127.0.0.0/8: the server listens on
//! 127.0.0.1, the "other" client connects from 127.0.0.2. Every wait is
//! bounded, generously (the machine may be loaded): these tests assert what
//! happens, not how fast.

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use layerlens_testkit::proxy::{Proxy, Reply, ReplyBody, Upstream};

const DIGEST: &str = "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";
const STALLED: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
const OTHER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
/// Far more than every socket buffer on the way holds, and bounded.
const BIG: usize = 256 << 20;

/// A registry on 127.0.0.1: `/v2/big/…` is a big chunked blob,
/// `/v2/trickle/…` 10 000 bytes at one byte per 200 ms, anything else a
/// small blob.
fn registry() -> Upstream {
    Upstream::start(|r| {
        if r.target.starts_with("/v2/big/") {
            Reply {
                status: 200,
                headers: Vec::new(),
                body: ReplyBody::Chunked(BIG),
            }
        } else if r.target.starts_with("/v2/trickle/") {
            Reply {
                status: 200,
                headers: Vec::new(),
                body: ReplyBody::Trickle(10_000, Duration::from_millis(200)),
            }
        } else {
            Reply::new(200, "small blob")
        }
    })
}

fn blob(up: &Upstream, repo: &str) -> String {
    format!("/proxy/{}/v2/{repo}/blobs/{DIGEST}", up.host_port())
}

/// A TCP connection to `addr` from `source` (any port), with a small receive
/// buffer so that a client that does not read stops the server quickly.
fn connect_from(source: IpAddr, addr: SocketAddr) -> TcpStream {
    assert!(source.is_loopback() && addr.ip().is_loopback());
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    let runtime = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap()
    });
    let stream = runtime
        .block_on(async {
            let socket = tokio::net::TcpSocket::new_v4()?;
            socket.set_recv_buffer_size(4096)?;
            socket.bind(SocketAddr::new(source, 0))?;
            socket.connect(addr).await?.into_std()
        })
        .unwrap_or_else(|e| panic!("connect from {source} to {addr}: {e}"));
    stream.set_nonblocking(false).unwrap();
    stream
}

fn send_get(mut stream: &TcpStream, addr: SocketAddr, target: &str) -> std::io::Result<()> {
    let head = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(head.as_bytes())
}

/// Reads until the server closes the connection or `within` has passed:
/// (bytes read, whether it was closed).
fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (Vec<u8>, bool) {
    let deadline = Instant::now() + within;
    let mut got = Vec::new();
    let mut buf = [0; 64 * 1024];
    while Instant::now() < deadline {
        stream
            .set_read_timeout(Some(Duration::from_millis(250)))
            .unwrap();
        match stream.read(&mut buf) {
            Ok(0) => return (got, true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return (got, true),
        }
    }
    (got, false)
}

/// `GET target` from `source`, the whole response: (status, head, body).
fn get_from(source: IpAddr, addr: SocketAddr, target: &str) -> (u16, String, Vec<u8>) {
    let mut stream = connect_from(source, addr);
    send_get(&stream, addr, target).unwrap();
    let (raw, closed) = read_until_closed(&mut stream, Duration::from_secs(30));
    assert!(closed, "no complete answer within 30 s");
    split(&raw).unwrap_or_else(|| panic!("no response: {:?}", String::from_utf8_lossy(&raw)))
}

fn split(raw: &[u8]) -> Option<(u16, String, Vec<u8>)> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, head, raw[end + 4..].to_vec()))
}

/// Waits until `up` has accepted `n` connections (10 s at most).
fn wait_for_connections(up: &Upstream, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while up.connections() < n && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn hundreds_of_stalled_readers_on_one_address_do_not_lock_out_another() {
    let up = registry();
    let proxy = Proxy::start(&["--allow-registry", &up.host_port()]);
    let addr = proxy.addr();
    let big = blob(&up, "big");
    // 300 clients on 127.0.0.1 ask for a big blob and never read.
    let stalled: Vec<TcpStream> = (0..300)
        .map(|_| {
            let s = connect_from(STALLED, addr);
            // Closed at accept over the per-client connection cap: fine.
            let _ = send_get(&s, addr, &big);
            s
        })
        .collect();
    wait_for_connections(&up, 32);
    thread::sleep(Duration::from_secs(1));

    // Another address is served, within seconds.
    let started = Instant::now();
    let (status, head, body) = get_from(OTHER, addr, &blob(&up, "small"));
    let waited = started.elapsed();
    eprintln!("127.0.0.2 got {status} after {waited:?} with 300 stalled readers on 127.0.0.1");
    assert_eq!(status, 200, "{head}\n{}", String::from_utf8_lossy(&body));
    assert_eq!(body, b"small blob");
    assert!(waited < Duration::from_secs(10), "{waited:?}");

    // The stalled address got its share of slots; its other requests were
    // refused at once with the clear error, or closed at accept.
    let (mut served, mut refused, mut closed) = (0, 0, 0);
    for mut s in stalled {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut raw = Vec::new();
        let mut buf = [0; 4096];
        let answer = loop {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => break split(&raw),
                Ok(n) => raw.extend_from_slice(&buf[..n]),
            }
            if let Some(answer) = split(&raw).filter(|(status, ..)| *status != 503) {
                break Some(answer);
            }
        };
        match answer {
            None => closed += 1,
            Some((200, ..)) => served += 1,
            Some((503, head, body)) => {
                refused += 1;
                let body = String::from_utf8_lossy(&body);
                assert!(
                    body.contains("\"error\":\"too many requests from this address\""),
                    "{body}"
                );
                assert!(body.contains("--max-upstream-per-client"), "{body}");
                assert!(head.to_ascii_lowercase().contains("retry-after:"), "{head}");
            }
            Some((status, head, _)) => panic!("unexpected {status}: {head}"),
        }
    }
    eprintln!("127.0.0.1: {served} served, {refused} refused (503), {closed} closed at accept");
    assert_eq!(served + refused + closed, 300);
    assert!((1..=32).contains(&served), "{served} served");
    assert!(refused >= 200, "{refused} refused");
    assert!(closed <= 300 - 256, "{closed} closed");
    // Only the served ones and the other address's request reached upstream.
    assert!(up.connections() <= 33, "{} upstream", up.connections());
}

#[test]
fn a_client_that_never_reads_is_disconnected_and_its_slot_freed() {
    let up = registry();
    let proxy = Proxy::start(&[
        "--allow-registry",
        &up.host_port(),
        "--max-upstream",
        "1",
        "--stall-timeout",
        "2",
    ]);
    let addr = proxy.addr();
    let mut stalled = connect_from(STALLED, addr);
    send_get(&stalled, addr, &blob(&up, "big")).unwrap();
    wait_for_connections(&up, 1);

    // The only slot is freed when the stalled client is cut, and the next
    // request (which waits up to 10 s for a slot) gets it.
    let started = Instant::now();
    let (status, head, _) = get_from(OTHER, addr, &blob(&up, "small"));
    let waited = started.elapsed();
    eprintln!("the next request got {status} after {waited:?}");
    assert_eq!(status, 200, "{head}");
    assert!(waited < Duration::from_secs(10), "{waited:?}");

    // The server closed the stalled connection (what was buffered is read first).
    let (got, closed) = read_until_closed(&mut stalled, Duration::from_secs(20));
    assert!(closed, "still open after {} bytes", got.len());
    assert!(got.len() < BIG, "{} bytes", got.len());
    assert!(proxy.log("(aborted)").contains("(aborted)"));
}

#[test]
fn a_trickling_upstream_is_cut_and_its_slot_freed() {
    let up = registry();
    let proxy = Proxy::start(&[
        "--allow-registry",
        &up.host_port(),
        "--max-upstream",
        "1",
        "--stall-timeout",
        "2",
    ]);
    let addr = proxy.addr();
    let started = Instant::now();
    let mut client = connect_from(OTHER, addr);
    send_get(&client, addr, &blob(&up, "trickle")).unwrap();
    // 10 000 bytes at 5 a second would take half an hour.
    let (raw, closed) = read_until_closed(&mut client, Duration::from_secs(20));
    let took = started.elapsed();
    eprintln!(
        "the trickle stream ended (closed: {closed}) after {took:?} and {} bytes",
        raw.len()
    );
    assert!(closed, "still streaming after {took:?}");
    let (status, head, body) = split(&raw).expect("a response head");
    assert_eq!(status, 200, "{head}");
    assert!(body.len() < 10_000, "{} bytes", body.len());
    assert!(proxy.log("(upstream error)").contains("(upstream error)"));

    // The slot is back: the only one.
    let (status, head, body) = get_from(OTHER, addr, &blob(&up, "small"));
    assert_eq!(status, 200, "{head}");
    assert_eq!(body, b"small blob");
}

#[test]
fn connections_over_the_per_client_cap_are_closed_and_others_served() {
    let proxy = Proxy::start(&["--max-connections-per-client", "2"]);
    let addr = proxy.addr();
    // Two idle connections from 127.0.0.1 are held; the third is closed.
    let held: Vec<TcpStream> = (0..2).map(|_| connect_from(STALLED, addr)).collect();
    thread::sleep(Duration::from_millis(300));
    let mut third = connect_from(STALLED, addr);
    let (got, closed) = read_until_closed(&mut third, Duration::from_secs(10));
    assert!(closed && got.is_empty(), "{got:?}");
    // Another address is served meanwhile.
    let (status, head, _) = get_from(OTHER, addr, "/");
    assert_eq!(status, 200, "{head}");
    // A held connection still works, and closing one makes room.
    send_get(&held[0], addr, "/").unwrap();
    let mut first = held.into_iter().next().unwrap();
    let (raw, _) = read_until_closed(&mut first, Duration::from_secs(10));
    assert_eq!(split(&raw).map(|(s, ..)| s), Some(200));
    drop(first);
    thread::sleep(Duration::from_millis(300));
    let (status, head, _) = get_from(STALLED, addr, "/");
    assert_eq!(status, 200, "{head}");
}
