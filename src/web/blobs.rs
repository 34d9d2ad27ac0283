//! Kept layer blobs ("keep layers for offline file viewing", issue 6):
//! performs [`KeepEffect`]s, and hands the file viewer a kept blob's body
//! ([`open_kept`]) so files open with the registry gone.
//!
//! Why the Cache API, not IndexedDB: layer blobs are large, immutable and
//! URL-addressed. `cache.put` takes a `Response` whose body is a stream and
//! writes it to disk as it arrives, and `cache.match` gives back a
//! `Response` whose body streams from disk — the blob is never whole in
//! memory on either side. IndexedDB stores values: a blob would have to be
//! assembled first (as a `Blob`, or worse as bytes in wasm memory). The
//! catalogue and the layer indexes (small, structured) stay in IndexedDB
//! (`web/store.rs`). Measured in headless Chromium (the last test of
//! tests/e2e/library.e2e.mjs, 64 MiB in 1 MiB pieces, three runs): the
//! streamed `put` takes ~1.6× the time of one IndexedDB `put` of a whole
//! ArrayBuffer (~560–700 ms vs ~340–415 ms), reading back is ~2.4× faster
//! (~110 ms vs ~270 ms), and only the Cache API never needs the whole blob
//! in memory — which decides it for layers of hundreds of megabytes.
//!
//! Keys: [`blob_key`] — `https://layerlens.invalid/blobs/<alg>/<hex>`, one
//! cache named [`CACHE`]. Content-addressed: the digest names the bytes
//! whatever registry served them; no proxy base, host or credentials are in
//! the key, and a layer shared by images is kept once.
//!
//! Keeping streams the layer through the proxy with the registry client (the
//! file viewer's way: its tokens and credentials), into a `ReadableStream`
//! the cache consumes. The pieces pass through wasm one at a time (the
//! client owns authentication), and are hashed on the way by the registry's
//! one blob reader ([`HashedBlob`]): a blob whose size or digest does not
//! match errors the stream, so `put` stores nothing.
//! Before each layer, `navigator.storage.estimate()` is asked: a layer that
//! would take the site past [`QUOTA_PERCENT`] % of its quota is skipped. A
//! `QuotaExceededError` from `put` is reported in words.
//!
//! The setting itself is a preference in `localStorage` ([`super::prefs::KEEP_LAYERS`]),
//! never a credential.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use js_sys::{Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{future_to_promise, spawn_local, JsFuture};
use web_sys::Cache;

use crate::app::library::keep::{blob_key, key_digest, QUOTA_PERCENT};
use crate::app::library::{KeepEffect, KeepLayer, KeepOutcome, KeepTask, LibraryMsg};
use crate::app::Msg;
use crate::oci::{Digest, VerifyError};
use crate::registry::{BlobError, Body, FetchError, HashedBlob};

use super::client::PageBody;
use super::client::{page_client, PageClient};
use super::fetch::StreamReader;
use super::runtime::App;

/// The Cache API cache that holds kept layer blobs.
pub const CACHE: &str = "layerlens-layers-v1";

fn send(app: &Weak<App>, m: LibraryMsg) {
    if let Some(a) = app.upgrade() {
        a.dispatch(Msg::Library(m));
    }
}

fn js_text(v: &JsValue) -> String {
    if let Some(e) = v.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    if let Some(e) = v.dyn_ref::<web_sys::DomException>() {
        return e.message();
    }
    v.as_string().unwrap_or_else(|| "unknown error".to_owned())
}

fn is_quota_error(v: &JsValue) -> bool {
    v.dyn_ref::<web_sys::DomException>()
        .is_some_and(|e| e.name() == "QuotaExceededError")
}

async fn open_cache() -> Result<Cache, String> {
    let window = web_sys::window().ok_or("no window")?;
    let caches = window
        .caches()
        .map_err(|e| format!("this browser offers no Cache API here ({})", js_text(&e)))?;
    let cache = JsFuture::from(caches.open(CACHE))
        .await
        .map_err(|e| format!("the layer cache could not be opened ({})", js_text(&e)))?;
    cache
        .dyn_into()
        .map_err(|_| "the layer cache could not be opened".to_owned())
}

/// The cache if it exists (looking must not create it: the viewer and the
/// start of every page look, with keeping off too).
async fn existing_cache() -> Result<Option<Cache>, String> {
    let window = web_sys::window().ok_or("no window")?;
    let caches = window
        .caches()
        .map_err(|e| format!("this browser offers no Cache API here ({})", js_text(&e)))?;
    let has = JsFuture::from(caches.has(CACHE))
        .await
        .map_err(|e| js_text(&e))?;
    if has.as_bool() == Some(true) {
        open_cache().await.map(Some)
    } else {
        Ok(None)
    }
}

/// The digests of the kept blobs.
async fn list() -> Result<Vec<Digest>, String> {
    let Some(cache) = existing_cache().await? else {
        return Ok(Vec::new());
    };
    let keys = JsFuture::from(cache.keys())
        .await
        .map_err(|e| js_text(&e))?;
    let keys: js_sys::Array = keys.unchecked_into();
    Ok(keys
        .iter()
        .filter_map(|r| r.dyn_ref::<web_sys::Request>().map(web_sys::Request::url))
        .filter_map(|u| key_digest(&u))
        .collect())
}

async fn kept_response(cache: &Cache, digest: &Digest) -> Option<web_sys::Response> {
    let found = JsFuture::from(cache.match_with_str(&blob_key(digest)))
        .await
        .ok()?;
    found.dyn_into().ok()
}

/// `navigator.storage.estimate()`: usage and quota, when offered.
async fn estimate() -> Option<(u64, u64)> {
    let promise = web_sys::window()?.navigator().storage().estimate().ok()?;
    let value = JsFuture::from(promise).await.ok()?;
    let field = |name: &str| {
        Reflect::get(&value, &JsValue::from_str(name))
            .ok()?
            .as_f64()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .map(|v| v as u64)
    };
    Some((field("usage")?, field("quota")?))
}

/// The pulling side of the stream `put` consumes: the registry body, capped
/// and hashed against the layer's descriptor.
struct Source {
    body: Option<HashedBlob<PageBody>>,
}

fn call(controller: &JsValue, method: &str, arg: &JsValue) {
    if let Ok(f) = Reflect::get(controller, &JsValue::from_str(method)) {
        if let Some(f) = f.dyn_ref::<js_sys::Function>() {
            let _ = f.call1(controller, arg);
        }
    }
}

/// One pull: the next piece enqueued; at the end the size and digest
/// checked (a mismatch errors the stream, so nothing is stored).
async fn pull(source: Rc<RefCell<Source>>, controller: JsValue) {
    let Some(mut body) = source.borrow_mut().body.take() else {
        return;
    };
    let fail = |m: String| call(&controller, "error", &js_sys::Error::new(&m).into());
    match body.chunk().await {
        Ok(Some(piece)) => {
            source.borrow_mut().body = Some(body);
            if !piece.is_empty() {
                call(
                    &controller,
                    "enqueue",
                    &Uint8Array::from(piece.as_slice()).into(),
                );
            }
        }
        Ok(None) => match body.finish() {
            Ok(()) => call(&controller, "close", &JsValue::UNDEFINED),
            Err(VerifyError::Size { expected, actual }) => {
                fail(format!(
                    "{actual} bytes arrived, the manifest says {expected}"
                ));
            }
            Err(VerifyError::Digest { .. }) => {
                fail("the bytes do not match the layer's digest".to_owned());
            }
        },
        Err(BlobError::Oversize { size }) => {
            fail(format!("the registry sent more than {size} bytes"));
        }
        Err(BlobError::Interrupted { error, .. }) => {
            fail(format!("the download failed: {error}"));
        }
    }
}

/// A `ReadableStream` fed from `body`, checked against `layer`.
fn stream_of(body: PageBody, layer: &KeepLayer) -> Result<web_sys::ReadableStream, String> {
    let source = Rc::new(RefCell::new(Source {
        body: Some(HashedBlob::new(body, &layer.digest, layer.size)),
    }));
    let pull_fn = Closure::<dyn FnMut(JsValue) -> Promise>::new(move |controller: JsValue| {
        let source = Rc::clone(&source);
        future_to_promise(async move {
            pull(source, controller).await;
            Ok(JsValue::UNDEFINED)
        })
    });
    let underlying = Object::new();
    Reflect::set(
        &underlying,
        &JsValue::from_str("pull"),
        &pull_fn.into_js_value(),
    )
    .map_err(|e| js_text(&e))?;
    web_sys::ReadableStream::new_with_underlying_source(&underlying).map_err(|e| js_text(&e))
}

/// Keeps one layer; how it ended.
async fn keep_one(client: &PageClient, task: &KeepTask, layer: &KeepLayer) -> KeepOutcome {
    if !super::prefs::flag(super::prefs::KEEP_LAYERS) {
        return KeepOutcome::Cancelled;
    }
    let cache = match open_cache().await {
        Ok(c) => c,
        Err(e) => return KeepOutcome::Failed(e),
    };
    if kept_response(&cache, &layer.digest).await.is_some() {
        return KeepOutcome::Kept;
    }
    if let Some((usage, quota)) = estimate().await {
        let limit = quota / 100 * QUOTA_PERCENT;
        if usage.saturating_add(layer.size) > limit {
            return KeepOutcome::Skipped { usage, quota };
        }
    }
    let response = match client.blob(&task.reference, &layer.digest, None).await {
        Ok(r) => r,
        Err(e) => return KeepOutcome::Failed(format!("it could not be fetched: {e}")),
    };
    let stream = match stream_of(response.body, layer) {
        Ok(s) => s,
        Err(e) => return KeepOutcome::Failed(e),
    };
    let Ok(stored) = web_sys::Response::new_with_opt_readable_stream(Some(&stream)) else {
        return KeepOutcome::Failed("the browser refused to build the response".to_owned());
    };
    match JsFuture::from(cache.put_with_str(&blob_key(&layer.digest), &stored)).await {
        Ok(_) => KeepOutcome::Kept,
        Err(e) if is_quota_error(&e) => KeepOutcome::QuotaExceeded,
        Err(e) => KeepOutcome::Failed(js_text(&e)),
    }
}

async fn drop_blobs(digests: &[Digest]) -> Result<(), String> {
    let Some(cache) = existing_cache().await? else {
        return Ok(());
    };
    for d in digests {
        JsFuture::from(cache.delete_with_str(&blob_key(d)))
            .await
            .map_err(|e| js_text(&e))?;
    }
    Ok(())
}

async fn drop_all() -> Result<(), String> {
    let window = web_sys::window().ok_or("no window")?;
    let caches = window.caches().map_err(|e| js_text(&e))?;
    JsFuture::from(caches.delete(CACHE))
        .await
        .map(|_| ())
        .map_err(|e| js_text(&e))
}

/// Performs one of the keep effects.
pub fn perform(effect: KeepEffect, app: Weak<App>) {
    match effect {
        KeepEffect::Read => spawn_local(async move {
            let on = super::prefs::flag(super::prefs::KEEP_LAYERS);
            let kept = list().await;
            send(&app, LibraryMsg::KeepRead { on, kept });
        }),
        KeepEffect::Save(on) => super::prefs::set_flag(super::prefs::KEEP_LAYERS, on),
        KeepEffect::Keep(task) => spawn_local(async move {
            let client = page_client(
                task.proxy_base.clone(),
                Rc::new(Cell::new(0.0)),
                task.credentials.clone(),
            );
            for layer in &task.layers {
                let outcome = keep_one(&client, &task, layer).await;
                send(
                    &app,
                    LibraryMsg::KeepDone {
                        digest: layer.digest.clone(),
                        outcome,
                    },
                );
            }
        }),
        KeepEffect::Drop(digests) => spawn_local(async move {
            let result = drop_blobs(&digests).await;
            send(&app, LibraryMsg::Dropped(result));
        }),
        KeepEffect::DropAll => spawn_local(async move {
            let result = drop_all().await;
            send(&app, LibraryMsg::Dropped(result));
        }),
    }
}

/// A kept blob's body, read from disk piece by piece.
pub struct KeptBody(StreamReader);

impl Body for KeptBody {
    async fn chunk(&mut self) -> Result<Option<Vec<u8>>, FetchError> {
        self.0.next("the kept layer").await
    }
}

/// The kept blob of `digest`, if this browser holds one (no network).
pub async fn open_kept(digest: &Digest) -> Option<KeptBody> {
    let cache = existing_cache().await.ok()??;
    let response = kept_response(&cache, digest).await?;
    Some(KeptBody(StreamReader::of(Some(response.body()?))))
}
