//! The worker side: one layer at a time, the request the page planned sent
//! as it is by a plain fetch through the proxy, its answer streamed through
//! the same scanner the page runs ([`crate::inspect::scan_request`]),
//! reported as one transferred buffer. A worker has its own wasm memory; it never yields (it has no page
//! to keep responsive) and is terminated by the page to cancel.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent, MessagePort};

use super::helper;
use super::job::{self, post, Job};
use crate::inspect::transfer::encode_report;
use crate::inspect::{scan_request, Progress, ScanSettings};
use crate::registry::{Headers, Method, Request};
use crate::web::fetch::BrowserFetch;

type Handler = Closure<dyn FnMut(MessageEvent)>;

thread_local! {
    /// The worker's message handler, alive as long as the worker.
    static HANDLER: RefCell<Option<Handler>> = const { RefCell::new(None) };
}

/// The worker's entry, called by the bootstrap script once the module is
/// instantiated: takes jobs and says it is ready.
#[wasm_bindgen(js_name = layerlensWorker)]
pub fn worker_main() {
    let Ok(scope) = js_sys::global().dyn_into::<DedicatedWorkerGlobalScope>() else {
        return;
    };
    crate::web::panic::install();
    let handler = Handler::new(move |e: MessageEvent| {
        let data = e.data();
        let port = e.ports().get(0).dyn_into::<MessagePort>().ok();
        if job::tagged(&data, job::HELPER) {
            help(&data, port);
        } else if job::tagged(&data, job::EXTRACT) {
            wasm_bindgen_futures::spawn_local(super::extract::run(data));
        } else {
            wasm_bindgen_futures::spawn_local(async move { run(&data, port).await });
        }
    });
    scope.set_onmessage(Some(handler.as_ref().unchecked_ref()));
    HANDLER.with(|h| *h.borrow_mut() = Some(handler));
    job::post(&scope, &[job::READY.into()]);
}

/// Serves a layer worker as its helper: `[HELPER, diff_id algorithm or ""]`
/// with the port to it.
fn help(data: &JsValue, port: Option<MessagePort>) {
    let Ok(scope) = js_sys::global().dyn_into::<DedicatedWorkerGlobalScope>() else {
        return;
    };
    let diff = data.dyn_ref::<Array>().and_then(|a| a.get(1).as_string());
    let diff = match diff.as_deref() {
        Some("") => Some(None),
        Some(name) => crate::oci::Algorithm::from_name(name).map(Some),
        None => None,
    };
    let (Some(port), Some(diff)) = (port, diff) else {
        post(
            &scope,
            &[job::FAILURE.into(), "bad job for the hashing helper".into()],
        );
        return;
    };
    helper::serve(port, diff, move || {
        let done: Array = [
            JsValue::from(job::REPORT),
            Uint8Array::new_with_length(0).into(),
        ]
        .iter()
        .collect();
        let _ = scope.post_message(&done);
    });
}

async fn run(data: &JsValue, port: Option<MessagePort>) {
    let Ok(scope) = js_sys::global().dyn_into::<DedicatedWorkerGlobalScope>() else {
        return;
    };
    let job = match Job::from_js(data) {
        Ok(j) => j,
        Err(e) => {
            post(
                &scope,
                &[
                    job::FAILURE.into(),
                    format!("bad job for the layer worker: {e}").into(),
                ],
            );
            return;
        }
    };
    // The prepared headers go with the one request they were made for (the
    // client here has not learned the registry's challenge, so it sends
    // none of its own; should the token have expired, it does the
    // challenge dance itself).
    // The page planned the request (URL, fresh token): it is sent as it is,
    // by a plain fetch through the proxy, and its answer scanned.
    let fetch = BrowserFetch::new(job.proxy_base.clone(), Rc::new(Cell::new(0.0)));
    let mut headers = Headers::new();
    for (name, value) in &job.headers {
        headers.push(name.clone(), value.clone());
    }
    let request = Request {
        method: Method::Get,
        url: job.url.clone(),
        headers,
    };
    // With a helper at the port, the digests of both streams are its work.
    let link = match (job.helper, port) {
        (true, Some(port)) => Some(helper::install(port)),
        _ => None,
    };
    let settings = ScanSettings {
        hash_contents: job.hash_contents,
        seek: job.seek,
        concurrency: 1,
        engine: if link.is_some() {
            helper::TWO_WORKERS
        } else {
            ScanSettings::default().engine
        },
        ..ScanSettings::default()
    };
    let last_post = Cell::new(0.0);
    let last_done = Cell::new(0u64);
    let progress = |p: Progress| {
        let (kind, done) = match p {
            Progress::Started { .. } => (job::STARTED, 0),
            Progress::Bytes { done, .. } => {
                last_done.set(done);
                let now = js_sys::Date::now();
                if now - last_post.get() < job::PROGRESS_EVERY_MS {
                    return;
                }
                last_post.set(now);
                (job::BYTES, done)
            }
            Progress::Finished { .. } => (job::FINISHED, last_done.get()),
            // Tables of contents are read on the page, not here.
            Progress::TocRefused { .. } => return,
        };
        post(
            &scope,
            &[job::PROGRESS.into(), kind.into(), (done as f64).into()],
        );
    };
    let (index, descriptor, diff_id) = (job.index, job.descriptor, job.diff_id);
    let report = match job.blob {
        // A slice of an archive file the page opened: read, not fetched.
        Some(blob) => {
            let fetch = crate::web::local::BlobFetch::new(blob);
            scan_request(
                &fetch, request, index, descriptor, diff_id, &settings, &progress,
            )
            .await
        }
        None => {
            scan_request(
                &fetch, request, index, descriptor, diff_id, &settings, &progress,
            )
            .await
        }
    };
    drop(link);
    let bytes = encode_report(&report);
    drop(report);
    let array = Uint8Array::new_from_slice(&bytes);
    drop(bytes);
    let message: Array = [JsValue::from(job::REPORT), array.clone().into()]
        .iter()
        .collect();
    let transfer: Array = std::iter::once(JsValue::from(array.buffer())).collect();
    if scope
        .post_message_with_transfer(&message, &transfer)
        .is_err()
    {
        post(
            &scope,
            &[
                job::FAILURE.into(),
                "the layer report could not be sent".into(),
            ],
        );
    }
}
