//! Response bodies: the one boxed type the server returns, and the wrapper
//! that streams an upstream body to the page — counting, capping, holding
//! the upstream slot until the last byte, and logging one line when done —
//! plus [`FileBody`], a file streamed from disk (the page's assets, local blobs).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, ReadBuf};

use super::slots::Slot;

/// The error type of response bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The body of every response the server sends.
pub type ResponseBody = UnsyncBoxBody<Bytes, BoxError>;

/// A body of bytes already in memory (small: errors, built-in pages).
pub fn full(bytes: impl Into<Bytes>) -> ResponseBody {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// A response of `status` with a body already in memory, its
/// `Content-Type` and `Cache-Control` (the caller adds the rest).
pub fn fixed(
    status: hyper::StatusCode,
    content_type: &'static str,
    cache_control: &'static str,
    bytes: impl Into<Bytes>,
) -> hyper::Response<ResponseBody> {
    let mut response = hyper::Response::new(full(bytes));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    h.insert(
        hyper::header::CACHE_CONTROL,
        hyper::header::HeaderValue::from_static(cache_control),
    );
    response
}

/// An empty body.
pub fn empty() -> ResponseBody {
    Empty::<Bytes>::new()
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// The body grew past the cap of its kind of response.
#[derive(Debug, thiserror::Error)]
#[error("the upstream body is larger than the {cap}-byte cap")]
pub struct CapExceeded {
    /// The cap.
    pub cap: u64,
}

/// One access-log line: method, host, path (never the query, which may hold
/// tokens or scopes, and never a header), status, bytes, milliseconds.
#[derive(Debug)]
pub struct AccessLog {
    method: String,
    host: String,
    path: String,
    status: u16,
    start: Instant,
}

impl AccessLog {
    /// Starts the line for a request.
    pub fn new(method: &str, host: &str, path: &str, start: Instant) -> AccessLog {
        AccessLog {
            method: method.to_owned(),
            host: host.to_owned(),
            path: path.to_owned(),
            status: 0,
            start,
        }
    }

    /// Sets the status sent to the page.
    pub fn status(&mut self, status: u16) {
        self.status = status;
    }

    /// Writes the line to stderr.
    pub fn emit(&self, bytes: u64, note: &str) {
        let ms = self.start.elapsed().as_millis();
        eprintln!(
            "layerlens: {} {} {} {} {bytes}B {ms}ms{note}",
            self.method, self.host, self.path, self.status
        );
    }
}

/// Streams an upstream body to the page with backpressure (a frame is read
/// from upstream only when hyper asks for one to write), cut with an error
/// past `cap`; logs when it ends or is dropped.
pub struct ProxiedBody<B> {
    inner: B,
    cap: Option<u64>,
    seen: u64,
    log: AccessLog,
    note: &'static str,
    done: bool,
    _slot: Option<Slot>,
}

impl<B> ProxiedBody<B> {
    /// Wraps `inner`; the slot is released when the body is dropped
    /// (finished, cut, or abandoned by the client).
    pub fn new(inner: B, cap: Option<u64>, log: AccessLog, slot: Option<Slot>) -> Self {
        ProxiedBody {
            inner,
            cap,
            seen: 0,
            log,
            note: "",
            done: false,
            _slot: slot,
        }
    }
}

impl<B> Drop for ProxiedBody<B> {
    fn drop(&mut self) {
        let note = if !self.done && self.note.is_empty() {
            " (aborted)"
        } else {
            self.note
        };
        self.log.emit(self.seen, note);
    }
}

impl<B> Body for ProxiedBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.seen += data.len() as u64;
                    if let Some(cap) = this.cap {
                        if this.seen > cap {
                            this.done = true;
                            this.note = " (cut: over the size cap)";
                            return Poll::Ready(Some(Err(Box::new(CapExceeded { cap }))));
                        }
                    }
                }
                // hyper stops polling once the body says it has ended (the
                // last byte of a Content-Length body): that is completion,
                // not an abort.
                if this.inner.is_end_stream() {
                    this.done = true;
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => {
                this.done = true;
                this.note = " (upstream error)";
                Poll::Ready(Some(Err(e.into())))
            }
            Poll::Ready(None) => {
                this.done = true;
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Read size for streamed files.
const FILE_CHUNK: usize = 64 * 1024;

/// A file streamed in 64 KiB reads; a file that shrinks while served ends
/// the body with an error rather than a short, valid-looking response.
pub struct FileBody {
    file: tokio::fs::File,
    remaining: u64,
    buf: Box<[u8]>,
}

impl FileBody {
    /// Streams the next `len` bytes of `file` (from its current position).
    pub fn new(file: tokio::fs::File, len: u64) -> FileBody {
        FileBody {
            file,
            remaining: len,
            buf: vec![0; FILE_CHUNK].into_boxed_slice(),
        }
    }
}

impl Body for FileBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if this.remaining == 0 {
            return Poll::Ready(None);
        }
        let want = usize::try_from(this.remaining)
            .unwrap_or(usize::MAX)
            .min(this.buf.len());
        let mut read = ReadBuf::new(&mut this.buf[..want]);
        match Pin::new(&mut this.file).poll_read(cx, &mut read) {
            Poll::Ready(Ok(())) => {
                let n = read.filled().len();
                if n == 0 {
                    return Poll::Ready(Some(Err(Box::new(io::Error::from(
                        io::ErrorKind::UnexpectedEof,
                    )))));
                }
                this.remaining -= n as u64;
                Poll::Ready(Some(Ok(Frame::data(Bytes::copy_from_slice(read.filled())))))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Some(Err(Box::new(e)))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}
