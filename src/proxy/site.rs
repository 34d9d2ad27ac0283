//! The page: Trunk's output directory served read-only, with the strict CSP,
//! long-lived caching for hashed asset names and revalidation for
//! `index.html`. Without a built page, `/` explains how to build one.

use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, SizeHint};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Response, StatusCode};
use tokio::io::{AsyncRead, ReadBuf};

use super::body::{empty, full, BoxError, ResponseBody};
use super::headers::add_page_security;
use super::policy::{IMMUTABLE, NO_CACHE};

/// Shown at `/` when `--dist` has no `index.html`: never a blank page.
const NOT_BUILT: &str = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>layerlens</title></head><body><h1>layerlens</h1>\
<p>The proxy is running, but the page has not been built: this server found no \
<code>index.html</code> in its <code>--dist</code> directory.</p>\
<p>Build and serve everything with <code>bash scripts/run.sh</code>, or build the page with \
<code>trunk build --release</code> and start <code>layerlens serve --dist dist</code>.</p>\
</body></html>\n";

/// Largest file served (the page's wasm is well under this).
const MAX_FILE: u64 = 256 * 1024 * 1024;
/// Read size for streamed files.
const CHUNK: usize = 64 * 1024;

/// The static page directory (canonicalised), or nothing when the page is not built.
#[derive(Debug, Clone)]
pub struct Site {
    root: Option<PathBuf>,
}

impl Site {
    /// Serves `dist` when it holds an `index.html`.
    pub fn new(dist: &Path) -> Site {
        let root = dist
            .canonicalize()
            .ok()
            .filter(|root| root.join("index.html").is_file());
        Site { root }
    }

    /// Whether a built page was found.
    pub fn is_built(&self) -> bool {
        self.root.is_some()
    }

    /// Answers a request for a page path.
    pub async fn respond(&self, method: &Method, path: &str) -> Response<ResponseBody> {
        if method != Method::GET && method != Method::HEAD {
            let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
            r.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return r;
        }
        let relative = if path == "/" { "/index.html" } else { path };
        let Some(root) = &self.root else {
            if relative == "/index.html" {
                return page(method, NOT_BUILT);
            }
            return plain(StatusCode::NOT_FOUND, "not found\n");
        };
        let Some(file) = resolve(root, relative) else {
            return plain(StatusCode::NOT_FOUND, "not found\n");
        };
        match serve_file(method, &file).await {
            Ok(r) => r,
            Err(_) => plain(StatusCode::NOT_FOUND, "not found\n"),
        }
    }
}

/// Maps a URL path to a file inside `root`, or nothing: no `%` (asset names
/// need no encoding), no backslash, no `.`/`..`/empty segment, no hidden
/// file, and the canonical path (symlinks followed) must stay under `root`.
fn resolve(root: &Path, path: &str) -> Option<PathBuf> {
    let rest = path.strip_prefix('/')?;
    if rest.is_empty() || rest.len() > 1024 {
        return None;
    }
    let mut candidate = root.to_path_buf();
    for segment in rest.split('/') {
        let ok = !segment.is_empty()
            && !segment.starts_with('.')
            && segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.~+@=".contains(&b));
        if !ok {
            return None;
        }
        candidate.push(segment);
    }
    let canonical = candidate.canonicalize().ok()?;
    (canonical.starts_with(root) && canonical.is_file()).then_some(canonical)
}

/// Whether a file name carries a content hash, as Trunk writes them
/// (`app-3f2a9c0d1b7e6a54_bg.wasm`, `style-9f86d081884c7d65.css`): a `-`
/// followed by at least 16 hex digits.
pub fn is_hashed_name(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or_default();
    stem.split('-').skip(1).any(|part| {
        let part = part.strip_suffix("_bg").unwrap_or(part);
        part.len() >= 16 && part.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// The `Content-Type` for a file name.
pub fn content_type(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or_default();
    match ext.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

async fn serve_file(method: &Method, file: &Path) -> io::Result<Response<ResponseBody>> {
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned();
    let handle = tokio::fs::File::open(file).await?;
    let len = handle.metadata().await?.len();
    if len > MAX_FILE {
        return Err(io::Error::other("file too large"));
    }
    let body = if method == Method::HEAD {
        empty()
    } else {
        FileBody {
            file: handle,
            remaining: len,
            buf: vec![0; CHUNK].into_boxed_slice(),
        }
        .boxed_unsync()
    };
    let mut response = Response::new(body);
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(&name)),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    let cache = if name != "index.html" && is_hashed_name(&name) {
        IMMUTABLE
    } else {
        NO_CACHE
    };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    add_page_security(h);
    Ok(response)
}

fn page(method: &Method, html: &'static str) -> Response<ResponseBody> {
    let body = if method == Method::HEAD {
        empty()
    } else {
        full(html)
    };
    let mut response = Response::new(body);
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(NO_CACHE));
    add_page_security(h);
    response
}

fn plain(status: StatusCode, text: &'static str) -> Response<ResponseBody> {
    let mut response = Response::new(full(text));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(NO_CACHE));
    add_page_security(h);
    response
}

/// A file streamed in 64 KiB reads; a file that shrinks while served ends
/// the body with an error rather than a short, valid-looking response.
struct FileBody {
    file: tokio::fs::File,
    remaining: u64,
    buf: Box<[u8]>,
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
