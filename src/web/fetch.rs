//! [`BrowserFetch`]: the registry client's network door in the page.
//!
//! Every registry URL goes to the proxy ([`crate::app::proxy::proxy_url`]),
//! with `credentials: "omit"` (no cookies, and no browser login dialog for a
//! `Basic` challenge) and `redirect: "error"` (the proxy follows registry
//! redirects itself; the page never leaves it). Bodies are read chunk by
//! chunk from the `ReadableStream` reader — never `arrayBuffer()` — so a
//! layer is never held whole, and the reader yields to the event loop every
//! few milliseconds so the page keeps drawing and answering input while a
//! layer is scanned. The proxy's own JSON errors become [`FetchError`]s of
//! the matching kind, so the page can say "the proxy refuses this host, and
//! here is how to allow it".
//!
//! The same fetch runs in the page and in a layer-scanning Web Worker
//! ([`super::worker`]): it uses the global `fetch` of either scope, and only
//! yields where there is a page to keep responsive.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Promise, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, ReadableStreamDefaultReader, ReadableStreamReadResult, RequestCredentials,
    RequestInit, RequestMode, RequestRedirect,
};

use crate::app::proxy::proxy_url;
use crate::registry::{
    Body, Fetch, FetchError, FetchErrorKind, Headers, Method, Request, Response,
};

/// Work between two yields to the event loop, in milliseconds.
const SLICE_MS: f64 = 8.0;
/// The largest proxy error body read.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The fetch of one load: its proxy base, and an abort signal shared by
/// every request of the load.
pub struct BrowserFetch {
    base: String,
    abort: Option<AbortController>,
    last_yield: Rc<Cell<f64>>,
    yields: bool,
}

impl BrowserFetch {
    /// A fetch through the proxy at `base` (`/proxy/` or an absolute URL).
    pub fn new(base: String, last_yield: Rc<Cell<f64>>) -> BrowserFetch {
        BrowserFetch {
            base,
            abort: AbortController::new().ok(),
            last_yield,
            // A worker has no page to keep responsive: it never yields.
            yields: web_sys::window().is_some(),
        }
    }

    /// The proxy base this fetch sends requests to.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Aborts every request of this load (the streams end with an error).
    pub fn abort(&self) {
        if let Some(a) = &self.abort {
            a.abort();
        }
    }
}

/// A `ReadableStream` read chunk by chunk to its end (the one reader of
/// stream bodies: responses here, kept blobs in [`super::blobs`]); dropped
/// before the end, it tells the browser to stop.
pub struct StreamReader(Option<ReadableStreamDefaultReader>);

impl StreamReader {
    /// A reader of `stream` (none: an empty body).
    pub fn of(stream: Option<web_sys::ReadableStream>) -> StreamReader {
        StreamReader(stream.and_then(|s| s.get_reader().dyn_into().ok()))
    }

    /// The next chunk as the browser delivered it, or `None` at the end; a
    /// failed read names `what` was read.
    pub async fn next(&mut self, what: &str) -> Result<Option<Vec<u8>>, FetchError> {
        let Some(reader) = &self.0 else {
            return Ok(None);
        };
        let result = JsFuture::from(reader.read())
            .await
            .map_err(|e| FetchError::new(format!("reading {what} failed: {}", js_text(&e))))?;
        let result: ReadableStreamReadResult = result.unchecked_into();
        if result.get_done().unwrap_or(true) {
            self.0 = None;
            return Ok(None);
        }
        Ok(Some(
            result
                .get_value()
                .dyn_ref::<Uint8Array>()
                .map(Uint8Array::to_vec)
                .unwrap_or_default(),
        ))
    }
}

impl Drop for StreamReader {
    fn drop(&mut self) {
        // The promise is awaited so a rejection (an aborted stream) is
        // handled rather than reported as an unhandled rejection.
        if let Some(r) = self.0.take() {
            let cancelled = JsFuture::from(r.cancel());
            wasm_bindgen_futures::spawn_local(async move {
                let _ = cancelled.await;
            });
        }
    }
}

/// A response body: the stream's reader, and bytes read but not handed out
/// yet (a proxy error check looked at them, or the browser delivered a
/// chunk larger than `PIECE`).
pub struct BrowserBody {
    reader: StreamReader,
    pending: Vec<u8>,
    pos: usize,
    last_yield: Rc<Cell<f64>>,
    yields: bool,
}

/// The most bytes handed to the scanner at once: a fast local stream can
/// deliver megabytes per read, and scanning them in one go would block the
/// page for longer than a frame. The work is per byte *inflated*: a layer
/// of many small files (tar headers are mostly zeros) inflates 20:1, so
/// 256 KiB pieces made 40–70 ms tasks when the file viewer streamed such a
/// layer on the page (scripts/bench-tree.sh, arrow keys over files).
const PIECE: usize = 64 * 1024;
/// The pieces of a worker, which has no page to keep responsive: larger,
/// for fewer calls per layer.
const WORKER_PIECE: usize = 256 * 1024;

/// Resolves once the next frame is drawn (a task queued from the frame's
/// `requestAnimationFrame` callback runs after its paint): work that a key
/// starts but need not finish within it (the file viewer's extraction)
/// leaves that key's frame alone.
pub(crate) async fn after_next_frame() {
    let promise = Promise::new(&mut |resolve, _reject| {
        let queued = web_sys::window()
            .and_then(|w| w.request_animation_frame(&resolve).ok())
            .is_some();
        if !queued {
            let _ = resolve.call0(&JsValue::NULL);
        }
    });
    let _ = JsFuture::from(promise).await;
    yield_to_event_loop().await;
}

/// Lets the browser draw and handle input: resolves on a new task. A
/// `MessageChannel` message is a new task without the ≥4 ms clamp that
/// nested `setTimeout(0)` gets, which cost a third of the layer throughput;
/// `setTimeout` remains the fallback.
async fn yield_to_event_loop() {
    // Held across the await: the channel lives until its message arrived.
    let channel = web_sys::MessageChannel::new().ok();
    let promise = Promise::new(&mut |resolve, _reject| {
        if let Some(channel) = &channel {
            channel.port1().set_onmessage(Some(resolve.unchecked_ref()));
            if channel.port2().post_message(&JsValue::NULL).is_ok() {
                return;
            }
        }
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback(&resolve);
        }
    });
    let _ = JsFuture::from(promise).await;
    drop(channel);
}

fn js_text(v: &JsValue) -> String {
    if let Some(e) = v.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    v.as_string().unwrap_or_else(|| "unknown error".to_owned())
}

impl BrowserBody {
    /// A body read from a `Blob`'s stream (a slice of an archive file), in a
    /// worker: it never yields.
    pub fn of_blob(blob: &web_sys::Blob) -> BrowserBody {
        BrowserBody {
            reader: StreamReader::of(Some(blob.stream())),
            pending: Vec::new(),
            pos: 0,
            last_yield: Rc::new(Cell::new(0.0)),
            yields: false,
        }
    }

    /// The next piece of the pending bytes, if any are left.
    fn take_piece(&mut self) -> Option<Vec<u8>> {
        if self.pos >= self.pending.len() {
            return None;
        }
        let piece = if self.yields { PIECE } else { WORKER_PIECE };
        let end = (self.pos + piece).min(self.pending.len());
        let piece = self.pending[self.pos..end].to_vec();
        self.pos = end;
        if self.pos >= self.pending.len() {
            self.pending = Vec::new();
            self.pos = 0;
        }
        Some(piece)
    }
}

impl Body for BrowserBody {
    async fn chunk(&mut self) -> Result<Option<Vec<u8>>, FetchError> {
        let now = js_sys::Date::now();
        if self.yields && now - self.last_yield.get() > SLICE_MS {
            yield_to_event_loop().await;
            self.last_yield.set(js_sys::Date::now());
        }
        if let Some(piece) = self.take_piece() {
            return Ok(Some(piece));
        }
        let Some(chunk) = self.reader.next("the response").await? else {
            return Ok(None);
        };
        self.pending = chunk;
        self.pos = 0;
        // An empty read is not the end: hand out an empty chunk.
        Ok(Some(self.take_piece().unwrap_or_default()))
    }
}

/// The proxy's own error body: `{"error": "...", "detail": "..."}`.
#[derive(serde::Deserialize)]
struct ProxyError {
    error: String,
    #[serde(default)]
    detail: String,
}

fn request_init(req: &Request, abort: Option<&AbortController>) -> Result<RequestInit, JsValue> {
    let init = RequestInit::new();
    init.set_method(req.method.as_str());
    init.set_credentials(RequestCredentials::Omit);
    init.set_mode(RequestMode::Cors);
    init.set_redirect(RequestRedirect::Error);
    let headers = web_sys::Headers::new()?;
    for (name, value) in req.headers.iter() {
        headers.append(name, value)?;
    }
    init.set_headers(&headers);
    if let Some(a) = abort {
        init.set_signal(Some(&a.signal()));
    }
    Ok(init)
}

/// `fetch(request)` on the global scope: the page's window or a worker's.
fn global_fetch(request: &web_sys::Request) -> Result<Promise, FetchError> {
    let global = js_sys::global();
    if let Some(w) = global.dyn_ref::<web_sys::Window>() {
        return Ok(w.fetch_with_request(request));
    }
    if let Some(w) = global.dyn_ref::<web_sys::WorkerGlobalScope>() {
        return Ok(w.fetch_with_request(request));
    }
    Err(FetchError::new("no fetch in this JavaScript scope"))
}

fn response_headers(h: &web_sys::Headers) -> Headers {
    let mut out = Headers::new();
    let Ok(Some(iter)) = js_sys::try_iter(h) else {
        return out;
    };
    for entry in iter.flatten() {
        let pair: js_sys::Array = entry.unchecked_into();
        if let (Some(n), Some(v)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
            out.push(n, v);
        }
    }
    out
}

impl Fetch for BrowserFetch {
    type Body = BrowserBody;

    /// A `setTimeout` promise on the page's or the worker's global scope.
    async fn sleep(&self, ms: u64) {
        let ms = i32::try_from(ms).unwrap_or(i32::MAX);
        let promise = Promise::new(&mut |resolve, _reject| {
            let global = js_sys::global();
            let queued = if let Some(w) = global.dyn_ref::<web_sys::Window>() {
                w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
                    .is_ok()
            } else if let Some(w) = global.dyn_ref::<web_sys::WorkerGlobalScope>() {
                w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
                    .is_ok()
            } else {
                false
            };
            if !queued {
                let _ = resolve.call0(&JsValue::NULL);
            }
        });
        let _ = JsFuture::from(promise).await;
    }

    async fn fetch(&self, req: Request) -> Result<Response<BrowserBody>, FetchError> {
        let url = proxy_url(&self.base, &req.url).map_err(|e| FetchError::new(e.to_string()))?;
        let unreachable = |detail: String| {
            FetchError::with_kind(
                FetchErrorKind::ProxyUnreachable,
                format!("The proxy at {} did not answer ({detail}).", self.base),
            )
        };
        let init = request_init(&req, self.abort.as_ref())
            .map_err(|e| FetchError::new(format!("cannot build the request: {}", js_text(&e))))?;
        let request = web_sys::Request::new_with_str_and_init(&url, &init)
            .map_err(|e| FetchError::new(format!("cannot build the request: {}", js_text(&e))))?;
        let response = JsFuture::from(global_fetch(&request)?)
            .await
            .map_err(|e| unreachable(js_text(&e)))?;
        let response: web_sys::Response = response
            .dyn_into()
            .map_err(|_| FetchError::new("fetch did not return a response"))?;
        let status = response.status();
        let headers = response_headers(&response.headers());
        let reader = StreamReader::of(response.body());
        let mut body = BrowserBody {
            reader,
            pending: Vec::new(),
            pos: 0,
            last_yield: Rc::clone(&self.last_yield),
            yields: self.yields,
        };
        let json = headers
            .get("content-type")
            .is_some_and(|t| t.trim_start().starts_with("application/json"));
        if json && matches!(status, 400 | 403 | 405 | 502 | 503 | 504) {
            if req.method == Method::Head {
                // No body to tell the proxy's refusal from the registry's:
                // ask again with GET, which carries it.
                let get = Request {
                    method: Method::Get,
                    ..req.clone()
                };
                return match Box::pin(self.fetch(get)).await {
                    Err(e) => Err(e),
                    Ok(_) => Ok(Response {
                        status,
                        headers,
                        body,
                    }),
                };
            }
            let bytes = crate::registry::http::read_to_end(&mut body, MAX_ERROR_BODY).await?;
            if let Ok(p) = serde_json::from_slice::<ProxyError>(&bytes) {
                let kind = if status == 403 {
                    FetchErrorKind::ProxyRefused
                } else {
                    FetchErrorKind::ProxyFailed
                };
                let message = if p.detail.is_empty() {
                    p.error
                } else {
                    p.detail
                };
                return Err(FetchError::with_kind(kind, message));
            }
            body.pending = bytes;
            body.pos = 0;
        }
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}
