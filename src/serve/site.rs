//! The page: Trunk's output directory served read-only, with the strict CSP,
//! long-lived caching for hashed asset names and revalidation for
//! `index.html`. Without a built page, `/` explains how to build one.
//!
//! Assets are served precompressed when the build left a `NAME.br` or
//! `NAME.gz` beside `NAME` (`scripts/precompress.sh`, Trunk's post-build
//! hook) and the request's `Accept-Encoding` takes it: brotli first, then
//! gzip, else the file itself; every asset answer says
//! `Vary: Accept-Encoding`, so a cache in front keeps the variants apart.
//!
//! `index.html` is served from memory with a fresh nonce on its scripts and
//! in its CSP for every response ([`super::nonce`]), so Trunk's inline
//! bootstrap runs and nothing else does. It is prepared at startup and
//! again whenever the file's size or modification time changes (a rebuild).

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Response, StatusCode};

use super::body::{empty, fixed, full, FileBody, ResponseBody};
use super::headers::{add_page_security, page_csp};
use super::nonce::{Nonce, PageTemplate};
use super::policy::{IMMUTABLE, NO_CACHE, NO_STORE};

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
/// Largest `index.html` prepared in memory.
const MAX_INDEX: u64 = 1024 * 1024;

/// `index.html` ready for nonces, and the file state it was made from.
#[derive(Debug)]
struct Page {
    stamp: (Option<SystemTime>, u64),
    template: PageTemplate,
}

#[derive(Debug, Default)]
struct Prepared {
    page: Option<Arc<Page>>,
}

/// The static page directory (canonicalised), or nothing when the page is not built.
#[derive(Debug)]
pub struct Site {
    root: Option<PathBuf>,
    prepared: Mutex<Prepared>,
}

impl Site {
    /// Serves `dist` when it holds an `index.html`, and prepares the page.
    pub fn new(dist: &Path) -> Site {
        let root = dist
            .canonicalize()
            .ok()
            .filter(|root| root.join("index.html").is_file());
        let site = Site {
            root,
            prepared: Mutex::new(Prepared::default()),
        };
        let _ = site.index();
        site
    }

    /// The prepared `index.html`, re-made when the file changed.
    fn index(&self) -> Option<Arc<Page>> {
        let path = self.root.as_ref()?.join("index.html");
        let meta = std::fs::metadata(&path).ok()?;
        let stamp = (meta.modified().ok(), meta.len());
        let mut prepared = self.prepared.lock().ok()?;
        if let Some(page) = &prepared.page {
            if page.stamp == stamp {
                return Some(page.clone());
            }
        }
        if meta.len() > MAX_INDEX {
            return None;
        }
        let html = std::fs::read_to_string(&path).ok()?;
        let page = Arc::new(Page {
            stamp,
            template: PageTemplate::new(&html),
        });
        prepared.page = Some(page.clone());
        Some(page)
    }

    /// Whether a built page was found.
    pub fn is_built(&self) -> bool {
        self.root.is_some()
    }

    /// Answers a request for a page path; `accept_encoding` is the
    /// request's `Accept-Encoding` header, if any.
    pub async fn respond(
        &self,
        method: &Method,
        path: &str,
        accept_encoding: Option<&str>,
    ) -> Response<ResponseBody> {
        if method != Method::GET && method != Method::HEAD {
            let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
            r.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return r;
        }
        let relative = if path == "/" { "/index.html" } else { path };
        let Some(root) = &self.root else {
            if relative == "/index.html" {
                return page(method, Bytes::from_static(NOT_BUILT.as_bytes()));
            }
            return plain(StatusCode::NOT_FOUND, "not found\n");
        };
        if relative == "/index.html" {
            let Some(p) = self.index() else {
                return plain(StatusCode::NOT_FOUND, "not found\n");
            };
            return match Nonce::generate() {
                Ok(nonce) => nonced_page(method, &p.template, &nonce),
                Err(e) => {
                    eprintln!("layerlens: the page is not served: {e}");
                    plain(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "no randomness for the page's nonce\n",
                    )
                }
            };
        }
        let Some(file) = resolve(root, relative) else {
            return plain(StatusCode::NOT_FOUND, "not found\n");
        };
        let variant = Encoding::ALL
            .into_iter()
            .filter(|e| accepts(accept_encoding, e.token()))
            .find_map(|e| {
                let sibling = format!("{relative}.{}", e.suffix());
                resolve(root, &sibling).map(|path| (e, path))
            });
        match serve_file(method, &file, variant).await {
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
/// followed by at least 12 hex digits. Trunk prints a 64-bit hash without
/// leading zeros, so one build in sixteen has 15 digits or fewer (one in
/// 65,536 fewer than 13).
pub fn is_hashed_name(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or_default();
    stem.split('-').skip(1).any(|part| {
        let part = part.strip_suffix("_bg").unwrap_or(part);
        (12..=16).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_hexdigit())
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

/// A content coding the build may have stored beside an asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Brotli,
    Gzip,
}

impl Encoding {
    /// In order of preference (brotli is the smaller).
    const ALL: [Encoding; 2] = [Encoding::Brotli, Encoding::Gzip];

    /// The `Content-Encoding` token.
    fn token(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Gzip => "gzip",
        }
    }

    /// The file name suffix of the stored variant.
    fn suffix(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Gzip => "gz",
        }
    }
}

/// Whether an `Accept-Encoding` value takes `coding` (RFC 9110 §12.5.3):
/// named, or matched by `*`, with a q-value above zero. A coding named
/// with `q=0` is refused even when `*` would take it.
fn accepts(accept_encoding: Option<&str>, coding: &str) -> bool {
    let Some(value) = accept_encoding else {
        return false;
    };
    let mut star = false;
    for item in value.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or_default().trim();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
            .filter_map(|q| q.trim().parse::<f32>().ok())
            .next_back()
            .unwrap_or(1.0);
        if name.eq_ignore_ascii_case(coding) {
            return q > 0.0;
        }
        if name == "*" {
            star = q > 0.0;
        }
    }
    star
}

async fn serve_file(
    method: &Method,
    file: &Path,
    variant: Option<(Encoding, PathBuf)>,
) -> io::Result<Response<ResponseBody>> {
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned();
    let (encoding, stored) = match variant {
        Some((e, path)) => (Some(e), path),
        None => (None, file.to_path_buf()),
    };
    let handle = tokio::fs::File::open(&stored).await?;
    let len = handle.metadata().await?.len();
    if len > MAX_FILE {
        return Err(io::Error::other("file too large"));
    }
    let body = if method == Method::HEAD {
        empty()
    } else {
        FileBody::new(handle, len).boxed_unsync()
    };
    let mut response = Response::new(body);
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(&name)),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    if let Some(e) = encoding {
        h.insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static(e.token()),
        );
    }
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    let cache = if name != "index.html" && is_hashed_name(&name) {
        IMMUTABLE
    } else {
        NO_CACHE
    };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    add_page_security(h);
    Ok(response)
}

fn page(method: &Method, html: Bytes) -> Response<ResponseBody> {
    from_memory(method, html, "text/html; charset=utf-8", NO_CACHE)
}

/// `index.html` with `nonce` on its scripts and in its policy.
///
/// `no-store`: a copy of this response in any cache would replay its nonce,
/// and there is nothing to revalidate it against anyway.
fn nonced_page(method: &Method, template: &PageTemplate, nonce: &Nonce) -> Response<ResponseBody> {
    let html = Bytes::from(template.render(nonce));
    let mut response = from_memory(method, html, "text/html; charset=utf-8", NO_STORE);
    if let Ok(csp) = HeaderValue::from_str(&page_csp(nonce)) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    response
}

fn from_memory(
    method: &Method,
    bytes: Bytes,
    content_type: &'static str,
    cache: &'static str,
) -> Response<ResponseBody> {
    let len = bytes.len();
    let body = if method == Method::HEAD {
        empty()
    } else {
        full(bytes)
    };
    let mut response = Response::new(body);
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    add_page_security(h);
    response
}

fn plain(status: StatusCode, text: &'static str) -> Response<ResponseBody> {
    let mut response = fixed(status, "text/plain; charset=utf-8", NO_CACHE, text);
    add_page_security(response.headers_mut());
    response
}

#[cfg(test)]
mod tests {
    use super::accepts;

    #[test]
    fn accept_encoding_is_read_as_rfc_9110_says() {
        assert!(!accepts(None, "gzip"));
        assert!(accepts(Some("gzip, deflate, br, zstd"), "br"));
        assert!(accepts(Some("GZIP"), "gzip"));
        assert!(!accepts(Some("gzip"), "br"));
        assert!(!accepts(Some("br;q=0, gzip"), "br"));
        assert!(accepts(Some("br;q=0.5"), "br"));
        assert!(accepts(Some("*"), "br"));
        assert!(!accepts(Some("*, br;q=0"), "br"));
        assert!(!accepts(Some("*;q=0"), "gzip"));
        assert!(!accepts(Some("identity"), "gzip"));
        assert!(!accepts(Some("br;q=junk"), "gzip"));
    }
}
