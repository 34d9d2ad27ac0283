//! Test support for `layerlens serve`: the built binary started on
//! `127.0.0.1:0`, tiny upstream HTTP servers on `127.0.0.1` that record what
//! they receive and count their connections, and a raw HTTP client that sends
//! request targets exactly as written (no normalisation of `..` or `%2e`).
//!
//! Everything here binds and connects to 127.0.0.1 only.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub use crate::http::{Reply, ReplyBody, Request, Upstream};

/// A response as the raw client read it.
#[derive(Debug)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Header names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked).
    pub body: Vec<u8>,
    /// Whether the body ended cleanly (complete chunked framing or
    /// `Content-Length` bytes).
    pub complete: bool,
}

impl Response {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a header.
    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// Sends `METHOD target HTTP/1.1` to `addr` exactly as written, with
/// `Connection: close`, and reads the whole response. `Host` is `addr`
/// unless `headers` name one (an empty value sends none at all).
pub fn request(addr: SocketAddr, method: &str, target: &str, headers: &[(&str, &str)]) -> Response {
    assert!(addr.ip().is_loopback(), "tests only talk to loopback");
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut head = format!("{method} {target} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        head.push_str(&format!("Host: {addr}\r\n"));
    }
    for (n, v) in headers {
        if n.eq_ignore_ascii_case("host") && v.is_empty() {
            continue;
        }
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    let mut raw = Vec::new();
    // A cut body ends with a reset or an early close: keep what arrived.
    let _ = stream.read_to_end(&mut raw);
    parse_response(&raw, method == "HEAD")
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// `GET target`.
pub fn get(addr: SocketAddr, target: &str) -> Response {
    request(addr, "GET", target, &[])
}

fn parse_response(raw: &[u8], head_only: bool) -> Response {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let rest = &raw[end + 4..];
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let length: Option<usize> = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok());
    if head_only || status == 204 || status == 304 {
        return Response {
            status,
            headers,
            body: Vec::new(),
            complete: true,
        };
    }
    let (body, complete) = if chunked {
        dechunk(rest)
    } else if let Some(len) = length {
        (rest[..rest.len().min(len)].to_vec(), rest.len() >= len)
    } else {
        (rest.to_vec(), true)
    };
    Response {
        status,
        headers,
        body,
        complete,
    }
}

fn dechunk(mut data: &[u8]) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    loop {
        let Some(eol) = data.windows(2).position(|w| w == b"\r\n") else {
            return (out, false);
        };
        let size_text = String::from_utf8_lossy(&data[..eol]);
        let Ok(size) = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
        else {
            return (out, false);
        };
        data = &data[eol + 2..];
        if size == 0 {
            return (out, true);
        }
        if data.len() < size + 2 {
            out.extend_from_slice(&data[..data.len().min(size)]);
            return (out, false);
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// `layerlens serve` running as a child process; killed on drop.
pub struct Proxy {
    child: Child,
    addr: SocketAddr,
    stderr: Arc<Mutex<VecDeque<String>>>,
    stdout: Arc<Mutex<VecDeque<String>>>,
}

impl Proxy {
    /// Starts the built binary with `serve --listen 127.0.0.1:0` plus `args`
    /// and waits for the line that names its URL.
    pub fn start(args: &[&str]) -> Proxy {
        Proxy::start_in("127.0.0.1:0", args, None)
    }

    /// Like [`Proxy::start`], with `--dist DIR`.
    pub fn start_with_dist(args: &[&str], dist: &Path) -> Proxy {
        Proxy::start_in("127.0.0.1:0", args, Some(dist))
    }

    /// Like [`Proxy::start`] on a port chosen beforehand (see [`free_port`]),
    /// for flags that must name the server's own address.
    pub fn start_on(port: u16, args: &[&str]) -> Proxy {
        Proxy::start_in(&format!("127.0.0.1:{port}"), args, None)
    }

    fn start_in(listen: &str, args: &[&str], dist: Option<&Path>) -> Proxy {
        let mut cmd = Command::new(crate::layerlens_bin());
        cmd.args(["serve", "--listen", listen]).args(args);
        match dist {
            Some(d) => cmd.arg("--dist").arg(d),
            // A directory that cannot exist: the built-in page.
            None => cmd.arg("--dist").arg("/nonexistent/layerlens-dist"),
        };
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start layerlens serve");
        let stderr = Arc::new(Mutex::new(VecDeque::new()));
        let err_pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        thread::spawn(move || {
            for line in BufReader::new(err_pipe).lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push_back(line);
            }
        });
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).expect("read the serving line");
        let url = line
            .trim()
            .strip_prefix("layerlens: serving http://")
            .and_then(|s| s.strip_suffix('/'))
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        let addr: SocketAddr = url.parse().unwrap();
        assert_ne!(addr.port(), 0, "the actual port is printed");
        // Keep reading stdout: the lines after the URL (the local images),
        // and a pipe that stays open for the server's writes.
        let stdout = Arc::new(Mutex::new(VecDeque::new()));
        let sink = stdout.clone();
        thread::spawn(move || {
            for line in out.lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push_back(line);
            }
        });
        Proxy {
            child,
            addr,
            stderr,
            stdout,
        }
    }

    /// The lines printed on stdout after the URL line (waits briefly for
    /// one containing `wait_for`).
    pub fn stdout(&self, wait_for: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let text = self
                .stdout
                .lock()
                .unwrap()
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join("\n");
            if text.contains(wait_for) || Instant::now() > deadline {
                return text;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// The proxy's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `GET`.
    pub fn get(&self, target: &str) -> Response {
        request(self.addr, "GET", target, &[])
    }

    /// Any method, with headers.
    pub fn request(&self, method: &str, target: &str, headers: &[(&str, &str)]) -> Response {
        request(self.addr, method, target, headers)
    }

    /// What the proxy wrote to stderr so far (waits briefly for the access
    /// log line of a request that just finished).
    pub fn log(&self, wait_for: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let text = self
                .stderr
                .lock()
                .unwrap()
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join("\n");
            if text.contains(wait_for) || Instant::now() > deadline {
                return text;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Any answer of the proxy or the local registry to a request without
/// `Origin`: readable by the page's own origin only, so no CORS headers at
/// all (another site gets them only when listed with `--cors-origin`).
pub fn assert_same_origin_only(r: &Response) {
    for h in [
        "access-control-allow-origin",
        "access-control-expose-headers",
        "access-control-allow-credentials",
    ] {
        assert_eq!(r.header(h), None, "{h} on a same-origin answer: {r:?}");
    }
}
