//! The file viewer's extractions in a layer worker, so that inflating a
//! layer up to the selected file (and hashing the rest of it) is not the
//! page's main-thread work: arrow keys through a tree's files stay fluid.
//!
//! The page prepares the blob request (URL and a fresh `Authorization`, as
//! for a scan: [`crate::registry::Client::blob_request`]); the worker runs
//! the same [`run_extract`] as the main thread over a registry client whose
//! fetch adds those headers to that URL's requests (a stream, or `Range`
//! reads from a seek checkpoint), collects the file into `Blob` parts, and
//! posts: `[PROGRESS, BYTES, done]` as the layer streams,
//! `[CONTENT, head, size, blob]` as soon as the file is complete (its
//! first bytes for the view, all of them as a `Blob` for the download), and
//! at the end `[REPORT, [[tag, value]…]]` — the viewer's other messages, in
//! order. A file read from a table of contents, an archive
//! on disk or a layer kept in the browser stays on the main thread (small
//! reads, or no network), as does any file when no worker is free.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, DedicatedWorkerGlobalScope};

use super::job::{self, post};
use super::pool::Pool;
use crate::app::file::extract::{run_extract, ContentOut};
use crate::app::file::{ExtractId, ExtractTask, FileMsg};
use crate::app::LoadId;
use crate::layer::seek::SeekIndex;
use crate::layer::LayerIndex;
use crate::oci::{Descriptor, Digest, MediaType, Reference};
use crate::registry::{Client, Fetch, FetchError, Request, Response};
use crate::web::client::{now_ms, PageClient};
use crate::web::fetch::{BrowserBody, BrowserFetch};
use crate::web::file::BlobParts;

/// Fields before the headers in the job's array.
const FIXED: u32 = 13;

/// A fetch that sends the page's prepared headers with the requests for
/// the one blob URL they were made for.
struct Prepared {
    inner: BrowserFetch,
    url: String,
    headers: Vec<(String, String)>,
}

impl Fetch for Prepared {
    type Body = BrowserBody;

    async fn fetch(&self, mut request: Request) -> Result<Response<BrowserBody>, FetchError> {
        if request.url == self.url && request.headers.get("authorization").is_none() {
            for (n, v) in &self.headers {
                request.headers.push(n.clone(), v.clone());
            }
        }
        self.inner.fetch(request).await
    }

    async fn sleep(&self, ms: u64) {
        self.inner.sleep(ms).await;
    }
}

/// The job's array: `[EXTRACT, id, reference, layer, media type, digest,
/// blob size, offset, file size, head limit, verify limit, proxy base,
/// url, header count, name, value, …, seek bytes or null, entry bytes or
/// null]`.
fn to_js(task: &ExtractTask, request: &Request, proxy_base: &str) -> Array {
    let d = &task.descriptor;
    let out = Array::new();
    out.push(&JsValue::from(job::EXTRACT));
    for f in [
        task.id.0.to_string(),
        task.reference.to_string(),
        task.layer.to_string(),
        d.media_type().as_str().to_owned(),
        d.digest().to_string(),
        d.size().to_string(),
        task.offset.to_string(),
        task.size.to_string(),
        task.head_limit.to_string(),
        task.verify_limit.to_string(),
        proxy_base.to_owned(),
        request.url.clone(),
        request.headers.iter().count().to_string(),
    ] {
        out.push(&JsValue::from_str(&f));
    }
    job::push_headers(&out, request.headers.iter());
    // A checkpoint read: the seek index, and the entry as a one-entry index.
    match &task.seek {
        Some((seek, entry)) => {
            let one = LayerIndex::new(
                d.digest().clone(),
                d.digest().clone(),
                d.size(),
                seek.tar_size(),
                seek.compression(),
                vec![entry.clone()],
            );
            out.push(&Uint8Array::from(seek.encode().as_slice()).into());
            out.push(&Uint8Array::from(one.encode().as_slice()).into());
        }
        None => {
            out.push(&JsValue::NULL);
            out.push(&JsValue::NULL);
        }
    }
    out
}

/// The task and its request from [`to_js`]'s array.
fn from_js(value: &JsValue) -> Result<(ExtractTask, Prepared), String> {
    let a: &Array = value.dyn_ref().ok_or("not an array")?;
    let field = |i: u32| a.get(i).as_string().ok_or(format!("field {i} is missing"));
    let number = |i: u32| -> Result<u64, String> {
        field(i)?.parse().map_err(|e| format!("field {i}: {e}"))
    };
    let bad = |what: &str, e: &dyn std::fmt::Display| format!("bad {what}: {e}");
    let reference: Reference = field(2)?.parse().map_err(|e| bad("reference", &e))?;
    let media_type = MediaType::parse(&field(4)?).map_err(|e| bad("media type", &e))?;
    let digest: Digest = field(5)?.parse().map_err(|e| bad("digest", &e))?;
    let count = u32::try_from(number(13)?).map_err(|e| bad("header count", &e))?;
    let headers = job::read_headers(a, FIXED + 1, count)?;
    if a.length() != FIXED + 1 + 2 * count + 2 {
        return Err("wrong number of fields".into());
    }
    let bytes = |i: u32| a.get(i).dyn_into::<Uint8Array>().ok().map(|u| u.to_vec());
    let tail = FIXED + 1 + 2 * count;
    let seek = match (bytes(tail), bytes(tail + 1)) {
        (Some(s), Some(e)) => {
            let seek = SeekIndex::decode(&s).map_err(|e| bad("seek index", &e))?;
            let one = LayerIndex::decode(&e).map_err(|e| bad("entry", &e))?;
            let entry = one.into_entries().into_iter().next().ok_or("no entry")?;
            Some((std::sync::Arc::new(seek), entry))
        }
        _ => None,
    };
    let proxy_base = field(11)?;
    let task = ExtractTask {
        id: ExtractId(number(1)?),
        load: LoadId(0),
        reference,
        layer: usize::try_from(number(3)?).map_err(|e| bad("layer", &e))?,
        descriptor: Descriptor::new(media_type, digest, number(6)?),
        offset: number(7)?,
        size: number(8)?,
        head_limit: usize::try_from(number(9)?).map_err(|e| bad("head limit", &e))?,
        verify_limit: number(10)?,
        proxy_base: proxy_base.clone(),
        credentials: None,
        listed: None,
        seek,
    };
    let prepared = Prepared {
        inner: BrowserFetch::new(proxy_base, Rc::new(Cell::new(0.0))),
        url: field(12)?,
        headers,
    };
    Ok((task, prepared))
}

/// The file's bytes, then its `Blob` (shared: the `[CONTENT, …]` message
/// carries it).
#[derive(Default)]
struct Parts {
    parts: BlobParts,
    blob: Rc<RefCell<Option<Blob>>>,
}

impl ContentOut for Parts {
    fn data(&mut self, bytes: &[u8]) {
        self.parts.push(bytes);
    }

    fn end(&mut self) {
        *self.blob.borrow_mut() = self.parts.finish();
    }
}

/// The worker side: runs the job, posting as the module documentation says.
pub async fn run(data: JsValue) {
    let Ok(scope) = js_sys::global().dyn_into::<DedicatedWorkerGlobalScope>() else {
        return;
    };
    let (task, fetch) = match from_js(&data) {
        Ok(t) => t,
        Err(e) => {
            let why = format!("bad job for the file viewer's worker: {e}");
            job::post(&scope, &[job::FAILURE.into(), why.into()]);
            return;
        }
    };
    let client = Client::new(fetch, now_ms);
    let mut out = Parts::default();
    let blob = Rc::clone(&out.blob);
    let rest = RefCell::new(Vec::new());
    // Progress at most every PROGRESS_EVERY_MS.
    let last = Cell::new(f64::NEG_INFINITY);
    let dispatch = |m: FileMsg| match m {
        FileMsg::Progress { done, .. } => {
            let now = js_sys::Date::now();
            if now - last.get() >= job::PROGRESS_EVERY_MS {
                last.set(now);
                let done = JsValue::from(done as f64);
                job::post(&scope, &[job::PROGRESS.into(), job::BYTES.into(), done]);
            }
        }
        FileMsg::Content { head, size, .. } => {
            // The whole file's Blob goes with it (made just before).
            let head: JsValue = Uint8Array::from(head.as_slice()).into();
            let bytes = blob.borrow().clone().map_or(JsValue::NULL, JsValue::from);
            post(
                &scope,
                &[job::CONTENT.into(), head, (size as f64).into(), bytes],
            );
        }
        FileMsg::Checked { result, .. } => {
            let error = result.err().unwrap_or_default();
            rest.borrow_mut().push(pair("checked", error.into()));
        }
        FileMsg::Stopped { remaining, .. } => {
            rest.borrow_mut()
                .push(pair("stopped", (remaining as f64).into()));
        }
        FileMsg::Failed { error, .. } => {
            rest.borrow_mut().push(pair("failed", error.into()));
        }
        _ => {}
    };
    run_extract(&client, &task, &mut out, &|| false, &dispatch).await;
    let report: Array = rest.into_inner().into_iter().collect();
    job::post(&scope, &[job::REPORT.into(), report.into()]);
}

fn pair(tag: &str, value: JsValue) -> JsValue {
    let a: Array = [JsValue::from_str(tag), value].iter().collect();
    a.into()
}

/// The page side: runs `task` in a free worker of `pool`, dispatching the
/// viewer's messages as the worker posts them and giving the file's `Blob`
/// to `keep`. `false` (nothing done) when no worker is free or the file is
/// not one a worker reads; the caller reads it on the main thread then.
/// `running` learns the worker (to stop it when the file is forgotten).
pub async fn extract(
    pool: &Rc<Pool>,
    client: &PageClient,
    task: &ExtractTask,
    dispatch: Rc<dyn Fn(FileMsg)>,
    keep: impl Fn(Blob) + 'static,
    running: impl FnOnce((usize, u32)),
) -> bool {
    if task.listed.is_some() || pool.broken() {
        return false;
    }
    if client
        .fetcher()
        .file_blob(task.descriptor.digest())
        .is_some()
    {
        return false;
    }
    let Some(lease) = pool.try_acquire(task.load) else {
        return false;
    };
    let id = task.id;
    let request = match client
        .blob_request(&task.reference, task.descriptor.digest())
        .await
    {
        Ok(r) => r,
        Err(e) => {
            drop(lease);
            dispatch(FileMsg::Failed {
                id,
                error: format!("cannot fetch layer {}: {e}", task.layer),
            });
            return true;
        }
    };
    running(lease.id());
    let message = to_js(
        task,
        &request,
        &super::scan::absolute(client.fetcher().base()),
    );
    let on_progress = Rc::clone(&dispatch);
    let progress = Rc::new(move |_kind: u32, done: f64| {
        on_progress(FileMsg::Progress {
            id,
            done: done as u64,
        });
    });
    let on_content = Rc::clone(&dispatch);
    let content = Rc::new(move |items: &Array| {
        let head = items
            .get(1)
            .dyn_into::<Uint8Array>()
            .map(|u| u.to_vec())
            .unwrap_or_default();
        let size = items.get(2).as_f64().unwrap_or(0.0) as u64;
        // The bytes are kept before the message saying they are there.
        if let Ok(blob) = items.get(3).dyn_into::<Blob>() {
            keep(blob);
        }
        on_content(FileMsg::Content { id, head, size });
    });
    match lease.run_raw(message.into(), progress, Some(content)).await {
        Ok(report) => {
            let items: Array = report.dyn_into().unwrap_or_default();
            for item in items.iter() {
                let Some(p) = item.dyn_ref::<Array>() else {
                    continue;
                };
                let tag = p.get(0).as_string().unwrap_or_default();
                let value = p.get(1);
                dispatch(match tag.as_str() {
                    "checked" => FileMsg::Checked {
                        id,
                        result: match value.as_string().filter(|e| !e.is_empty()) {
                            Some(e) => Err(e),
                            None => Ok(()),
                        },
                    },
                    "stopped" => FileMsg::Stopped {
                        id,
                        remaining: value.as_f64().unwrap_or(0.0) as u64,
                    },
                    _ => FileMsg::Failed {
                        id,
                        error: value.as_string().unwrap_or_default(),
                    },
                });
            }
        }
        // Stopped by the page (the file was forgotten) or a crash.
        Err(e) if e != "forgotten" => dispatch(FileMsg::Failed {
            id,
            error: format!("the file viewer's worker stopped: {e}"),
        }),
        Err(_) => {}
    }
    true
}
