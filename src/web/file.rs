//! The file viewer's shell: performs [`FileEffect`]s. An extraction streams
//! the layer through a registry client kept per load (tokens are reused
//! between files), runs [`run_extract`], and collects the file's bytes as
//! `Uint8Array` parts into a `Blob` — browser-managed memory, not wasm
//! memory — for the download (typed `application/octet-stream`, so its
//! URL is never rendered) and the image preview (an SVG drawn as a PNG). A layer kept in the
//! browser ("keep layers for offline file viewing", `web/blobs.rs`) is read
//! from the Cache API instead of the network. Blobs and their URLs
//! are dropped and revoked when the app forgets an extraction.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use js_sys::{Array, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::spawn_local;
use web_sys::{Blob, BlobPropertyBag, Element, HtmlElement, Url};

use crate::app::file::extract::{extract_from, run_extract, ContentOut};
use crate::app::file::{ExtractId, FileEffect, FileMsg};
use crate::app::Msg;

use super::dom::{self, el};
use super::runtime::App;

/// Bytes gathered before they are copied into one JS part (fewer, larger
/// parts; wasm memory holds at most this much of the file at once).
const PART: usize = 1 << 20;

#[derive(Default)]
struct Store {
    /// Cancel flags of running extractions.
    running: HashMap<ExtractId, Rc<Cell<bool>>>,
    /// Finished files' bytes.
    blobs: HashMap<ExtractId, Blob>,
    /// Preview URLs made from them (revoked with the blob).
    urls: HashMap<ExtractId, (String, String)>,
    /// The workers running extractions (stopped when one is forgotten).
    workers: HashMap<ExtractId, (usize, u32)>,
}

thread_local! {
    static STORE: RefCell<Store> = RefCell::new(Store::default());
}

/// A file's bytes gathered into JS `Uint8Array` parts of [`PART`] bytes,
/// then one `Blob` (typed `application/octet-stream`, so its URL is never
/// rendered): browser memory, not wasm memory.
#[derive(Default)]
pub(crate) struct BlobParts {
    pending: Vec<u8>,
    parts: Vec<JsValue>,
}

impl BlobParts {
    /// The next bytes of the file.
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
        if self.pending.len() >= PART {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.pending.is_empty() {
            self.parts
                .push(Uint8Array::from(self.pending.as_slice()).into());
            self.pending.clear();
        }
    }

    /// The whole file as one `Blob`.
    pub(crate) fn finish(&mut self) -> Option<Blob> {
        self.flush();
        let bag = BlobPropertyBag::new();
        bag.set_type("application/octet-stream");
        let parts: Array = std::mem::take(&mut self.parts).into_iter().collect();
        Blob::new_with_u8_array_sequence_and_options(&parts, &bag).ok()
    }
}

/// Collects the file's bytes, and keeps the Blob at the end.
struct BlobOut {
    id: ExtractId,
    parts: BlobParts,
}

impl ContentOut for BlobOut {
    fn data(&mut self, bytes: &[u8]) {
        self.parts.push(bytes);
    }

    fn end(&mut self) {
        if let Some(blob) = self.parts.finish() {
            let id = self.id;
            STORE.with(|s| {
                let mut s = s.borrow_mut();
                // Still wanted (not forgotten while it streamed)?
                if s.running.contains_key(&id) {
                    s.blobs.insert(id, blob);
                }
            });
        }
    }
}

fn forget(id: ExtractId, app: &Weak<App>) {
    let worker = STORE.with(|s| s.borrow_mut().workers.remove(&id));
    if let (Some(w), Some(app)) = (worker, app.upgrade()) {
        app.pool().kill(w, "forgotten");
    }
    STORE.with(|s| {
        let mut s = s.borrow_mut();
        if let Some(flag) = s.running.remove(&id) {
            flag.set(true);
        }
        s.blobs.remove(&id);
        if let Some((url, _)) = s.urls.remove(&id) {
            let _ = Url::revoke_object_url(&url);
        }
    });
}

/// The preview URL already made for the extraction shown as `mime`.
fn cached_url(id: ExtractId, mime: &str) -> Option<String> {
    STORE.with(|s| {
        let s = s.borrow();
        s.urls
            .get(&id)
            .filter(|(_, m)| m == mime)
            .map(|(url, _)| url.clone())
    })
}

/// Keeps `url` as the extraction's preview for `mime` (revoked when it is
/// forgotten) and returns the URL to show: `url`, or the one a concurrent
/// call kept first, or nothing when the extraction is gone.
fn keep_url(id: ExtractId, mime: &str, url: String) -> Option<String> {
    STORE.with(|s| {
        let mut s = s.borrow_mut();
        if !s.blobs.contains_key(&id) {
            let _ = Url::revoke_object_url(&url);
            return None;
        }
        if let Some((kept, m)) = s.urls.get(&id) {
            if m == mime {
                let _ = Url::revoke_object_url(&url);
                return Some(kept.clone());
            }
        }
        if let Some((old, _)) = s.urls.insert(id, (url.clone(), mime.to_owned())) {
            let _ = Url::revoke_object_url(&old);
        }
        Some(url)
    })
}

/// A `blob:` URL of the extraction's bytes typed `mime` (a raster type:
/// opened in a tab, it is an image, never a document).
fn raster_url(id: ExtractId, mime: &str) -> Option<String> {
    if let Some(url) = cached_url(id, mime) {
        return Some(url);
    }
    let blob = STORE.with(|s| s.borrow().blobs.get(&id).cloned())?;
    let typed = blob
        .slice_with_f64_and_f64_and_content_type(0.0, blob.size(), mime)
        .ok()?;
    let url = Url::create_object_url_with_blob(&typed).ok()?;
    keep_url(id, mime, url)
}

/// Puts the extraction's picture into `holder` as an `<img>` described by
/// `alt`. Raster images get a typed `blob:` URL of their bytes; an SVG is
/// drawn as a PNG first ([`super::raster`]), so no URL the page makes of
/// it is ever an SVG document. What fails is said in words instead.
pub fn show_image(id: ExtractId, mime: &'static str, holder: &Element, alt: &str) {
    if mime != "image/svg+xml" {
        match raster_url(id, mime) {
            Some(url) => append_image(holder, &url, mime, alt),
            None => append_problem(holder, "The image could not be prepared for preview."),
        }
        return;
    }
    if let Some(url) = cached_url(id, mime) {
        append_image(holder, &url, mime, alt);
        return;
    }
    let Some(svg) = STORE.with(|s| s.borrow().blobs.get(&id).cloned()) else {
        return;
    };
    let holder = holder.clone();
    let alt = alt.to_owned();
    spawn_local(async move {
        match super::raster::svg_to_png(&svg).await {
            Ok(png) => {
                let url = Url::create_object_url_with_blob(&png).ok();
                match url.and_then(|u| keep_url(id, mime, u)) {
                    Some(url) => append_image(&holder, &url, mime, &alt),
                    None => append_problem(&holder, "The SVG's drawing could not be shown."),
                }
            }
            Err(e) => append_problem(
                &holder,
                &format!("The SVG could not be drawn for preview: {e}. Text, Hex and Download show its bytes."),
            ),
        }
    });
}

fn append_image(holder: &Element, url: &str, mime: &str, alt: &str) {
    let img = el("img")
        .attr("src", url)
        .attr("alt", alt)
        .attr("data-mime", mime);
    let img = if mime == "image/svg+xml" {
        img.attr("data-drawn-as", "image/png")
    } else {
        img
    };
    if let Some(img) = img.build() {
        let _ = holder.append_child(&img);
    }
}

fn append_problem(holder: &Element, text: &str) {
    if let Some(p) = el("p")
        .class("error")
        .attr("role", "alert")
        .text(text)
        .build()
    {
        let _ = holder.append_child(&p);
    }
}

/// Saves the extraction's bytes under `name`.
fn download(id: ExtractId, name: &str) {
    if let Some(blob) = STORE.with(|s| s.borrow().blobs.get(&id).cloned()) {
        save_blob(&blob, name);
    }
}

/// Saves `bytes` under `name`, typed `media_type` (a supply-chain document).
pub(crate) fn save_bytes(bytes: &[u8], name: &str, media_type: &str) {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(media_type);
    if let Ok(blob) = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options) {
        save_blob(&blob, name);
    }
}

/// Saves `blob` under `name` through an `<a download>` with a `blob:` URL,
/// revoked a minute later (the download has started).
fn save_blob(blob: &web_sys::Blob, name: &str) {
    let Ok(url) = Url::create_object_url_with_blob(blob) else {
        return;
    };
    let body = dom::document().and_then(|d| d.body());
    if let (Some(a), Some(body)) = (
        el("a")
            .attr("href", &url)
            .attr("download", name)
            .attr("hidden", "")
            .build(),
        body,
    ) {
        let _ = body.append_child(&a);
        if let Some(h) = a.dyn_ref::<HtmlElement>() {
            h.click();
        }
        let _ = body.remove_child(&a);
    }
    let revoke = Closure::once_into_js(move || {
        let _ = Url::revoke_object_url(&url);
    });
    if let Some(w) = web_sys::window() {
        let _ =
            w.set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 60_000);
    }
}

/// Performs one of the viewer's effects.
pub fn perform(effect: FileEffect, app: Weak<App>) {
    match effect {
        FileEffect::Extract(task) => {
            let Some(shell) = app.upgrade() else {
                return;
            };
            let client = shell.load_client(task.load, &task.proxy_base, task.credentials.clone());
            let flag = Rc::new(Cell::new(false));
            STORE.with(|s| {
                s.borrow_mut().running.insert(task.id, Rc::clone(&flag));
            });
            spawn_local(async move {
                // The selection's own frame first (arrow keys through files).
                super::fetch::after_next_frame().await;
                let mut out = BlobOut {
                    id: task.id,
                    parts: BlobParts::default(),
                };
                let dispatch = |m: FileMsg| {
                    if let Some(a) = app.upgrade() {
                        a.dispatch(Msg::File(m));
                    }
                };
                // A layer kept in this browser is read from there: no
                // network, and the same checks as a download. (A layer
                // listed from its table of contents names its entries by
                // position, not tar offset: its files are read by Range.)
                let kept = match task.listed {
                    None => super::blobs::open_kept(task.descriptor.digest()).await,
                    Some(_) => None,
                };
                if let Some(mut kept) = kept {
                    extract_from(&task, &mut kept, &mut out, &|| flag.get(), &dispatch).await;
                    return;
                }
                // In a free layer worker, off the main thread.
                let Some(pool) = app.upgrade().map(|a| a.pool()) else {
                    return;
                };
                let weak = app.clone();
                let to_app: Rc<dyn Fn(FileMsg)> = Rc::new(move |m| {
                    if let Some(a) = weak.upgrade() {
                        a.dispatch(Msg::File(m));
                    }
                });
                let id = task.id;
                let keep = move |blob: Blob| {
                    STORE.with(|s| {
                        let mut s = s.borrow_mut();
                        if s.running.contains_key(&id) {
                            s.blobs.insert(id, blob);
                        }
                    });
                };
                let running = |w: (usize, u32)| {
                    STORE.with(|s| s.borrow_mut().workers.insert(id, w));
                };
                let done =
                    super::worker::extract::extract(&pool, &client, &task, to_app, keep, running)
                        .await;
                STORE.with(|s| s.borrow_mut().workers.remove(&id));
                // Test hook: where the last file was read (`worker`, `main`).
                if let Some(body) = dom::document().and_then(|d| d.body()) {
                    let _ = body
                        .dataset()
                        .set("fileRead", if done { "worker" } else { "main" });
                }
                if !done && !flag.get() {
                    run_extract(&client, &task, &mut out, &|| flag.get(), &dispatch).await;
                }
            });
        }
        FileEffect::Forget(id) => forget(id, &app),
        FileEffect::Download { id, name } => download(id, &name),
    }
}
