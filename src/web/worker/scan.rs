//! The page side of one image's scan over the worker pool: the app's one
//! scan driver ([`crate::app::driver::drive`]) with each layer run in a
//! free worker — only where the work happens differs from
//! [`crate::app::driver::run_scan`]. A layer no worker can take (the pool is broken)
//! is scanned here, on the main thread, as before.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::Array;
use wasm_bindgen::JsValue;

use super::job::{self, Job};
use super::pool::{Lease, Pool};
use crate::app::driver::drive;
use crate::app::{LoadId, Msg, ScanTask};
use crate::inspect::transfer::decode_report;
use crate::inspect::{
    list_layer, scan_layer, LayerFailure, LayerJob, LayerReport, Progress, Verify,
};
use crate::layer::ScanOptions;
use crate::web::client::PageClient;

/// Where a scan's layers ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ran {
    /// Every fetched layer ran in a worker; this many of them over two
    /// (a helper computing the digests: [`super::helper`]).
    Workers {
        /// Layers scanned over two workers.
        linked: u32,
    },
    /// At least one layer ran on the main thread (no worker could start).
    MainThread,
}

/// Layers at least this large (compressed) get a helper worker when one is
/// free: below it, starting the link costs more than it saves.
const LINK_MIN: u64 = 1 << 20;

fn progress_msg(load: LoadId, progress: Progress) -> Msg {
    Msg::LayerProgress {
        load,
        progress,
        now_ms: js_sys::Date::now(),
    }
}

/// Scans every layer of the task's image, each in a free worker of `pool`.
/// Nothing is dispatched once the load is cancelled ([`Pool::cancel`]).
pub async fn run_scan(
    pool: &Rc<Pool>,
    client: &PageClient,
    task: &ScanTask,
    dispatch: Rc<dyn Fn(Msg)>,
) -> Ran {
    let on_main = Cell::new(false);
    let linked = Cell::new(0);
    let width = if pool.broken() {
        task.settings.concurrency
    } else {
        pool.size().min(task.settings.concurrency)
    };
    let scan = |layer: LayerJob| {
        let ran = (&on_main, &linked);
        one(pool, client, task, layer, Rc::clone(&dispatch), ran)
    };
    let cancelled = || pool.is_cancelled(task.load);
    drive(task, width, scan, cancelled, &*dispatch).await;
    if on_main.get() {
        Ran::MainThread
    } else {
        Ran::Workers {
            linked: linked.get(),
        }
    }
}

/// One layer: in a worker when one is free, else here. `None` when the
/// load was cancelled.
async fn one(
    pool: &Rc<Pool>,
    client: &PageClient,
    task: &ScanTask,
    layer: LayerJob,
    dispatch: Rc<dyn Fn(Msg)>,
    (on_main, linked): (&Cell<bool>, &Cell<u32>),
) -> Option<LayerReport> {
    let load = task.load;
    let index = layer.index;
    if task.settings.verify == Verify::Toc {
        // A table of contents is a few requests for a small part of the
        // blob: read here, with the page's client (no worker needed).
        let progress = |p: Progress| dispatch(progress_msg(load, p));
        let (reference, d) = (&task.image.reference, &layer.descriptor);
        let listed = list_layer(
            client,
            reference,
            index,
            d,
            layer.diff_id.as_ref(),
            &progress,
        );
        if let Some(report) = listed.await {
            return (!pool.is_cancelled(load)).then_some(report);
        }
    }
    let total = layer.descriptor.size();
    let media_type = layer.descriptor.media_type();
    // Skipped layers (foreign, not a layer) need no worker: scan_layer
    // reports them without fetching.
    let fetched = !media_type.is_non_distributable() && media_type.layer_compression().is_some();
    let lease = if fetched {
        pool.acquire(load).await
    } else {
        None
    };
    if pool.is_cancelled(load) {
        return None;
    }
    let Some(lease) = lease else {
        if fetched {
            on_main.set(true);
        }
        let progress = |p: Progress| dispatch(progress_msg(load, p));
        let report = scan_layer(
            client,
            &task.image.reference,
            index,
            layer.descriptor.clone(),
            layer.diff_id.clone(),
            &task.settings,
            &progress,
        )
        .await;
        return (!pool.is_cancelled(load)).then_some(report);
    };
    // The token is taken now, when the worker is free: it is fresh.
    let request = match client
        .blob_request(&task.image.reference, layer.descriptor.digest())
        .await
    {
        Ok(r) => r,
        Err(e) => {
            drop(lease);
            dispatch(progress_msg(load, Progress::Started { index, total }));
            dispatch(progress_msg(load, Progress::Finished { index }));
            return Some(layer.failed(LayerFailure::Fetch(e)));
        }
    };
    if pool.is_cancelled(load) {
        return None;
    }
    let job = Job {
        reference: task.image.reference.clone(),
        index,
        descriptor: layer.descriptor.clone(),
        diff_id: layer.diff_id.clone(),
        hash_contents: task.settings.hash_contents,
        seek: task.settings.seek,
        proxy_base: absolute(client.fetcher().base()),
        url: request.url,
        headers: request
            .headers
            .iter()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect(),
        helper: false,
        blob: client.fetcher().file_blob(layer.descriptor.digest()),
    };
    let sink_dispatch = Rc::clone(&dispatch);
    let sink = Rc::new(move |kind: u32, done: f64| {
        let done = done as u64;
        match kind {
            job::STARTED => sink_dispatch(progress_msg(load, Progress::Started { index, total })),
            job::BYTES => sink_dispatch(progress_msg(load, Progress::Bytes { index, done, total })),
            _ => {
                if done > 0 {
                    sink_dispatch(progress_msg(load, Progress::Bytes { index, done, total }));
                }
                sink_dispatch(progress_msg(load, Progress::Finished { index }));
            }
        }
    });
    let helper = if total >= LINK_MIN {
        pool.try_acquire(load)
    } else {
        None
    };
    let result = match helper {
        Some(helper) => {
            linked.set(linked.get() + 1);
            run_linked(pool, lease, helper, job, sink).await
        }
        None => lease.run(&job, sink).await,
    };
    if pool.is_cancelled(load) {
        return None;
    }
    match result {
        Ok(bytes) => Some(
            decode_report(
                &bytes,
                index,
                layer.descriptor.clone(),
                layer.diff_id.clone(),
            )
            .unwrap_or_else(|e| {
                layer.failed(LayerFailure::Worker {
                    message: format!("the layer worker's report is unreadable: {e}"),
                })
            }),
        ),
        Err(why) => {
            dispatch(progress_msg(load, Progress::Finished { index }));
            Some(layer.failed(LayerFailure::Worker { message: why }))
        }
    }
}

/// Runs `job` on `lease` with `helper` computing the layer's digests
/// ([`super::helper`]); either one failing stops the other, and the layer
/// reports the failure.
async fn run_linked(
    pool: &Rc<Pool>,
    lease: Lease,
    helper: Lease,
    mut job: Job,
    progress: Rc<dyn Fn(u32, f64)>,
) -> Result<Vec<u8>, String> {
    let Ok(channel) = web_sys::MessageChannel::new() else {
        drop(helper);
        return lease.run(&job, progress).await;
    };
    job.helper = true;
    // The scan's algorithms, as `inspect::scan_body` sets them.
    let options = ScanOptions::for_layer(job.descriptor.digest(), job.diff_id.as_ref());
    let own_tar = job
        .descriptor
        .media_type()
        .layer_compression()
        .is_some_and(|c| options.tar_is_blob(c));
    let help: Array = [
        JsValue::from(job::HELPER),
        JsValue::from_str(if own_tar {
            ""
        } else {
            options.diff_id_algorithm.name()
        }),
    ]
    .iter()
    .collect();
    let (main_id, helper_id) = (lease.id(), helper.id());
    let main = async {
        let result = lease
            .run_message(job.to_js().into(), Some(channel.port1()), progress)
            .await;
        if result.is_err() {
            pool.kill(helper_id, "the layer worker stopped");
        }
        result
    };
    let side = async {
        let quiet: Rc<dyn Fn(u32, f64)> = Rc::new(|_, _| {});
        let done = helper
            .run_message(help.into(), Some(channel.port2()), quiet)
            .await;
        if let Err(why) = done {
            pool.kill(main_id, &format!("the hashing worker stopped: {why}"));
        }
    };
    futures_util::future::join(main, side).await.0
}

/// The proxy base as an absolute URL: a worker started from a Blob URL
/// cannot resolve `/proxy/` against its own address.
pub(super) fn absolute(base: &str) -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .and_then(|page| web_sys::Url::new_with_base(base, &page).ok())
        .map_or_else(|| base.to_owned(), |u| u.href())
}

/// Marks which scanner ran the last scan on `<body data-scanner>` (a test
/// hook: `worker` or `main`), and on `<body data-linked>` how many of its
/// layers were scanned over two workers.
pub fn mark(ran: Ran) {
    let (value, linked) = match ran {
        Ran::Workers { linked } => ("worker", linked),
        Ran::MainThread => ("main", 0),
    };
    if let Some(body) = crate::web::dom::document().and_then(|d| d.body()) {
        let _ = body.dataset().set("scanner", value);
        let _ = body.dataset().set("linked", &linked.to_string());
    }
}
