//! The page side of one image's scan over the worker pool. It keeps the
//! app's contract of [`crate::app::driver::run_scan`]: progress, each
//! layer's report as soon as it lands, then `ScanFinished` — only where the
//! work happens changes. A layer no worker can take (the pool is broken)
//! is scanned here, on the main thread, as before.

use std::cell::Cell;
use std::rc::Rc;

use futures_util::stream::{self, StreamExt};

use super::job::{self, Job};
use super::pool::Pool;
use crate::app::{LoadId, Msg, ScanTask};
use crate::inspect::transfer::decode_report;
use crate::inspect::{scan_layer, LayerFailure, LayerOutcome, LayerReport, Progress};
use crate::oci::{Descriptor, Digest};
use crate::web::client::PageClient;

/// Where a scan's layers ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ran {
    /// Every fetched layer ran in a worker.
    Workers,
    /// At least one layer ran on the main thread (no worker could start).
    MainThread,
}

struct Layer {
    index: usize,
    descriptor: Descriptor,
    diff_id: Option<Digest>,
}

fn failed(layer: &Layer, failure: LayerFailure) -> LayerReport {
    LayerReport {
        index: layer.index,
        descriptor: layer.descriptor.clone(),
        diff_id: layer.diff_id.clone(),
        outcome: LayerOutcome::Failed {
            failure,
            entries: Vec::new(),
            mismatch: None,
        },
    }
}

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
    let load = task.load;
    let image = &task.image;
    let diff_ids: Vec<Digest> = image
        .image_config()
        .map(|c| c.diff_ids().to_vec())
        .unwrap_or_default();
    let layers: Vec<Layer> = image
        .image_manifest()
        .map_or(&[][..], |m| m.layers())
        .iter()
        .enumerate()
        .map(|(index, d)| Layer {
            index,
            descriptor: d.clone(),
            diff_id: diff_ids.get(index).cloned(),
        })
        .collect();
    let on_main = Cell::new(false);
    let width = if pool.broken() {
        task.settings.concurrency
    } else {
        pool.size().min(task.settings.concurrency)
    };
    let jobs = layers
        .iter()
        .map(|layer| one(pool, client, task, layer, Rc::clone(&dispatch), &on_main));
    let mut reports = stream::iter(jobs).buffer_unordered(width.max(1));
    while let Some(report) = reports.next().await {
        if let Some(report) = report {
            dispatch(Msg::LayerDone {
                load,
                report: Box::new(report),
            });
        }
    }
    if !pool.is_cancelled(load) {
        dispatch(Msg::ScanFinished { load });
    }
    if on_main.get() {
        Ran::MainThread
    } else {
        Ran::Workers
    }
}

/// One layer: in a worker when one is free, else here. `None` when the
/// load was cancelled.
async fn one(
    pool: &Rc<Pool>,
    client: &PageClient,
    task: &ScanTask,
    layer: &Layer,
    dispatch: Rc<dyn Fn(Msg)>,
    on_main: &Cell<bool>,
) -> Option<LayerReport> {
    let load = task.load;
    let index = layer.index;
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
            return Some(failed(layer, LayerFailure::Fetch(e)));
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
        proxy_base: absolute(client.fetcher().base()),
        url: request.url,
        headers: request
            .headers
            .iter()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect(),
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
    let result = lease.run(&job, sink).await;
    drop(job);
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
                failed(
                    layer,
                    LayerFailure::Worker {
                        message: format!("the layer worker's report is unreadable: {e}"),
                    },
                )
            }),
        ),
        Err(why) => {
            dispatch(progress_msg(load, Progress::Finished { index }));
            Some(failed(layer, LayerFailure::Worker { message: why }))
        }
    }
}

/// The proxy base as an absolute URL: a worker started from a Blob URL
/// cannot resolve `/proxy/` against its own address.
fn absolute(base: &str) -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .and_then(|page| web_sys::Url::new_with_base(base, &page).ok())
        .map_or_else(|| base.to_owned(), |u| u.href())
}

/// Marks which scanner ran the last scan on `<body data-scanner>` (a test
/// hook: `worker` or `main`).
pub fn mark(ran: Ran) {
    let value = match ran {
        Ran::Workers => "worker",
        Ran::MainThread => "main",
    };
    if let Some(body) = crate::web::dom::document().and_then(|d| d.body()) {
        let _ = body.dataset().set("scanner", value);
    }
}
