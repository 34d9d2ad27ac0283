//! The one loopback HTTP/1.1 server of the tests: scripted upstreams for `serve`, the
//! registry harness's token realm and tag pager, the Docker Hub stand-in. One request per
//! connection (`Connection: close`), every request recorded, bounded request size, bound to
//! `127.0.0.1` only; stops (and joins its accept thread) on drop. Test scaffolding, not a
//! product server, so it stays deliberately small.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// Request heads above this are refused (431), so a confused client cannot grow a buffer.
const MAX_HEAD: usize = 64 * 1024;
/// Request bodies above this are refused (413); no test endpoint takes a real body.
const MAX_BODY: usize = 1024 * 1024;

/// A request as the server received it.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `HEAD`…
    pub method: String,
    /// The request target as sent: `/path?query`.
    pub target: String,
    /// The target's path.
    pub path: String,
    /// The raw query string, without the `?`.
    pub query: String,
    /// Header names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    /// The body (`Content-Length` bytes).
    pub body: Vec<u8>,
}

impl Request {
    /// The first value of a header (the name in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The query's `key=value` pairs, percent-decoded, in order (keys may repeat).
    pub fn query_params(&self) -> Vec<(String, String)> {
        parse_query(&self.query)
    }
}

/// Splits and percent-decodes a query string (`+` is a space, as in forms).
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// Decodes `%XX` escapes and `+`; malformed escapes are kept literally.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex_value(bytes[i + 1]), hex_value(bytes[i + 2]))
            {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// The body of a reply.
#[derive(Debug, Clone)]
pub enum ReplyBody {
    /// These bytes, with `Content-Length` (unless the reply sets its own, as a `HEAD`
    /// answer does); none for `HEAD`.
    Bytes(Vec<u8>),
    /// `len` bytes of `b'x'` sent chunked, without `Content-Length`.
    Chunked(usize),
    /// `len` bytes of `b'x'` with `Content-Length`, one byte every `every`
    /// (a registry that trickles); stops when the peer goes away.
    Trickle(usize, Duration),
    /// These bytes under a `Content-Length` of `total` (more than they are),
    /// then silence for `hold` before the connection closes (a registry that
    /// stalls mid-body).
    Stall(Vec<u8>, usize, Duration),
}

/// What the server answers.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Extra headers (`Connection: close` and the length are added on write).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: ReplyBody,
}

impl Reply {
    /// A reply with a status and a body.
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: ReplyBody::Bytes(body.into()),
        }
    }

    /// A JSON reply.
    pub fn json(status: u16, value: &serde_json::Value) -> Reply {
        Reply::new(status, value.to_string()).header("Content-Type", "application/json")
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Replaces the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Reply {
        self.body = ReplyBody::Bytes(body.into());
        self
    }

    /// A redirect to `location`.
    pub fn redirect(status: u16, location: &str) -> Reply {
        Reply::new(status, Vec::new()).header("Location", location)
    }
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

/// A listening server: every connection on its own thread, answered by the handler.
pub struct Upstream {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Upstream {
    /// Starts a server on `127.0.0.1:0` answering with `handler`.
    pub fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("the bound address");
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let (c, r, s) = (connections.clone(), requests.clone(), stop.clone());
        let thread = thread::Builder::new()
            .name("upstream-accept".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if s.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    c.fetch_add(1, Ordering::SeqCst);
                    let (h, r) = (handler.clone(), r.clone());
                    // A connection thread that outlives the server only finishes its reply.
                    thread::spawn(move || serve_one(stream, &*h, &r));
                }
            })
            .expect("spawn the accept thread");
        Upstream {
            addr,
            connections,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    /// A server that answers every request with the same reply.
    pub fn fixed(reply: Reply) -> Upstream {
        Upstream::start(move |_| reply.clone())
    }

    /// `127.0.0.1:PORT`.
    pub fn host_port(&self) -> String {
        self.addr.to_string()
    }

    /// The socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Requests received so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so the thread sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve_one(stream: TcpStream, handler: &Handler, log: &Mutex<Vec<Request>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(30)));
    let Ok(mut out) = stream.try_clone() else {
        return;
    };
    let (reply, method) = match read_request(stream) {
        Ok(Some(request)) => {
            if let Ok(mut log) = log.lock() {
                log.push(request.clone());
            }
            (handler(&request), request.method)
        }
        Ok(None) => return, // closed without a request (the shutdown wake-up, a probe)
        Err(status) => (Reply::new(status, Vec::new()), String::new()),
    };
    write_reply(&mut out, &reply, method == "HEAD");
}

/// Reads one request; `Err(status)` for a request refused before the handler sees it.
fn read_request(stream: TcpStream) -> Result<Option<Request>, u16> {
    let mut reader = BufReader::new(stream).take(MAX_HEAD as u64);
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) if lines.is_empty() => return Ok(None),
            Ok(0) => return Err(431),
            Ok(_) => {}
            Err(_) if lines.is_empty() => return Ok(None),
            Err(_) => return Err(400),
        }
        if !line.ends_with('\n') {
            return Err(431);
        }
        let line = line.trim_end_matches(['\r', '\n']).to_string();
        if line.is_empty() {
            break;
        }
        lines.push(line);
    }
    let request_line = lines.first().ok_or(400u16)?;
    let mut parts = request_line.splitn(3, ' ');
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Err(400);
    };
    let mut headers = Vec::new();
    for line in &lines[1..] {
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map(|(_, v)| v.parse::<usize>().map_err(|_| 400u16))
        .transpose()?
        .unwrap_or(0);
    if length > MAX_BODY {
        return Err(413);
    }
    let mut body = vec![0; length];
    reader
        .into_inner()
        .read_exact(&mut body)
        .map_err(|_| 400u16)?;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Ok(Some(Request {
        method: method.to_string(),
        target: target.to_string(),
        path: path.to_string(),
        query: query.to_string(),
        headers,
        body,
    }))
}

fn write_reply(out: &mut TcpStream, reply: &Reply, head_only: bool) {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nConnection: close\r\n",
        reply.status,
        reason(reply.status)
    );
    for (n, v) in &reply.headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    match &reply.body {
        ReplyBody::Bytes(b) => {
            let has_len = reply
                .headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("content-length"));
            if !has_len {
                head.push_str(&format!("Content-Length: {}\r\n", b.len()));
            }
            head.push_str("\r\n");
            let _ = out.write_all(head.as_bytes());
            if !head_only {
                let _ = out.write_all(b);
            }
        }
        ReplyBody::Chunked(len) => {
            head.push_str("Transfer-Encoding: chunked\r\n\r\n");
            let _ = out.write_all(head.as_bytes());
            let chunk = vec![b'x'; 64 * 1024];
            let mut left = *len;
            while left > 0 {
                let n = left.min(chunk.len());
                if out
                    .write_all(format!("{n:x}\r\n").as_bytes())
                    .and_then(|_| out.write_all(&chunk[..n]))
                    .and_then(|_| out.write_all(b"\r\n"))
                    .is_err()
                {
                    return;
                }
                left -= n;
            }
            let _ = out.write_all(b"0\r\n\r\n");
        }
        ReplyBody::Stall(bytes, total, hold) => {
            head.push_str(&format!("Content-Length: {total}\r\n\r\n"));
            let _ = out.write_all(head.as_bytes());
            let _ = out.write_all(bytes);
            let _ = out.flush();
            thread::sleep(*hold);
        }
        ReplyBody::Trickle(len, every) => {
            head.push_str(&format!("Content-Length: {len}\r\n\r\n"));
            let _ = out.write_all(head.as_bytes());
            for _ in 0..*len {
                if out.write_all(b"x").and_then(|_| out.flush()).is_err() {
                    return;
                }
                thread::sleep(*every);
            }
        }
    }
    let _ = out.flush();
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        206 => "Partial Content",
        302 => "Found",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        416 => "Range Not Satisfiable",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}
