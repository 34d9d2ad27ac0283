//! The network work behind [`Effect::Resolve`](super::Effect::Resolve),
//! [`Effect::Scan`](super::Effect::Scan) and the supply chain's lookups
//! ([`run_supply`]). It reports through messages
//! only, so [`super::update`] stays the one place that decides.
//!
//! [`drive`] is the one scan driver: every layer of the task's image
//! through a per-layer `scan` (at most a given number at once), each
//! report dispatched as it lands, then `ScanFinished`. Where a layer runs
//! is the caller's: the page hands layers to its Web Workers
//! (`web::worker::scan`), [`run_scan`] scans them here over any [`Fetch`]
//! (the native tests, over an in-memory registry).

use std::future::Future;

use futures_util::stream::{self, StreamExt};

use crate::archive::{self, ArchiveError, ArchiveFetch, Source};
use crate::inspect::{
    layer_jobs, resolve, scan_layer, InspectError, LayerJob, LayerReport, Progress,
};
use crate::registry::error::RegistryError;
use crate::registry::{Client, Fetch};
use crate::supply::{self, Limits};

use super::msg::{Msg, ResolveTask, ScanTask};

/// Resolves the task's reference; the message to dispatch.
pub async fn run_resolve<F: Fetch, C: Fn() -> u64>(
    client: &Client<F, C>,
    task: &ResolveTask,
) -> Msg {
    let result = resolve(client, &task.reference, &task.policy).await;
    Msg::Resolved {
        load: task.load,
        result: result.map(Box::new),
    }
}

/// The resolve of a load that reads an archive ([`ResolveTask::file`]):
/// the shell opened `source` (or says why it could not); its image is
/// picked and resolved through the archive's registry API, by the client
/// returned for the rest of the load (layers, files), whose fetch is the
/// archive's as the shell `wrap`s it.
pub async fn run_resolve_archive<S: Source, F: Fetch, C: Fn() -> u64>(
    source: Result<S, ArchiveError>,
    task: &ResolveTask,
    wrap: impl FnOnce(ArchiveFetch<S>) -> F,
    now_ms: C,
) -> (Msg, Option<Client<F, C>>) {
    let fallback = task.reference.to_string();
    let wanted = task.archive_image.as_ref().map(ToString::to_string);
    let opened = match source {
        Ok(s) => archive::open(s, wanted.as_deref(), &fallback).await,
        Err(e) => Err(e),
    };
    match opened {
        Err(ArchiveError::SeveralImages(images)) => {
            let msg = Msg::ArchiveImages {
                load: task.load,
                images,
            };
            (msg, None)
        }
        Err(e) => {
            let error = RegistryError::Fetch {
                registry: task.reference.registry_host().to_owned(),
                source: e.into(),
            };
            let msg = Msg::Resolved {
                load: task.load,
                result: Err(InspectError::Registry(error)),
            };
            (msg, None)
        }
        Ok((reference, fetch)) => {
            let client = Client::new(wrap(fetch), now_ms);
            let task = ResolveTask {
                reference,
                ..task.clone()
            };
            (run_resolve(&client, &task).await, Some(client))
        }
    }
}

/// Scans every layer of the task's image with `scan`, at most `width` at
/// once, dispatching each report as [`Msg::LayerDone`] as soon as it lands
/// and [`Msg::ScanFinished`] at the end. `scan` answers `None` when the
/// load was cancelled; `cancelled` is asked before the end is announced.
pub async fn drive<'a, Fut>(
    task: &'a ScanTask,
    width: usize,
    scan: impl Fn(LayerJob) -> Fut,
    cancelled: impl Fn() -> bool,
    dispatch: &dyn Fn(Msg),
) where
    Fut: Future<Output = Option<LayerReport>> + 'a,
{
    let load = task.load;
    let jobs = layer_jobs(&task.image)
        .into_iter()
        .filter(|job| !task.skip.contains(&job.index))
        .map(scan);
    let mut reports = stream::iter(jobs).buffer_unordered(width.max(1));
    while let Some(report) = reports.next().await {
        if let Some(report) = report {
            dispatch(Msg::LayerDone {
                load,
                report: Box::new(report),
            });
        }
    }
    if !cancelled() {
        dispatch(Msg::ScanFinished { load });
    }
}

/// [`drive`] with every layer scanned here through `client`
/// (`settings.concurrency` at once); `now_ms` is the shell's clock.
pub async fn run_scan<F: Fetch, C: Fn() -> u64>(
    client: &Client<F, C>,
    task: &ScanTask,
    now_ms: &dyn Fn() -> f64,
    dispatch: &dyn Fn(Msg),
) {
    let load = task.load;
    let progress = |p: Progress| {
        dispatch(Msg::LayerProgress {
            load,
            progress: p,
            now_ms: now_ms(),
        })
    };
    let progress = &progress;
    let scan = |job: LayerJob| async move {
        let report = scan_layer(
            client,
            &task.image.reference,
            job.index,
            job.descriptor,
            job.diff_id,
            &task.settings,
            progress,
        )
        .await;
        Some(report)
    };
    drive(task, task.settings.concurrency, scan, || false, dispatch).await;
}

/// Finds the attachments of the task's image and reads their documents
/// (at most [`super::supply::PAGE_MAX_DOCUMENT_BYTES`] each) for
/// [`super::supply::SupplyEffect::Discover`]; the message to dispatch.
pub async fn run_supply<F: Fetch, C: Fn() -> u64>(
    client: &Client<F, C>,
    task: &super::supply::SupplyTask,
) -> Msg {
    let limits = Limits {
        max_document_bytes: super::supply::PAGE_MAX_DOCUMENT_BYTES,
        ..Limits::default()
    };
    let discovery = supply::discover(client, &task.image, None, &limits).await;
    let mut documents = Vec::with_capacity(discovery.attachments.len());
    for a in &discovery.attachments {
        documents.push(supply::read_documents(client, &task.image.reference, a, &limits).await);
    }
    Msg::SupplyFound {
        load: task.load,
        found: Box::new(super::supply::SupplyFound {
            discovery,
            documents,
        }),
    }
}
