//! The network work behind [`Effect::Resolve`](super::Effect::Resolve) and
//! [`Effect::Scan`](super::Effect::Scan), generic over the [`Fetch`] the
//! shell provides: the browser runs it over its proxy fetch, the native
//! tests over an in-memory registry. It reports through messages only, so
//! [`super::update`] stays the one place that decides. (The page scans each
//! layer in a Web Worker instead of [`run_scan`] — `web::worker::scan` —
//! keeping the same messages.)

use futures_util::stream::StreamExt;

use crate::inspect::{layer_reports, resolve, Progress};
use crate::registry::{Client, Fetch};

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

/// Streams every layer (at most `settings.concurrency` at once),
/// dispatching progress, each layer's report as soon as it completes, and
/// [`Msg::ScanFinished`] at the end. `now_ms` is the shell's clock.
pub async fn run_scan<F: Fetch, C: Fn() -> u64>(
    client: &Client<F, C>,
    task: &ScanTask,
    now_ms: &dyn Fn() -> f64,
    dispatch: &dyn Fn(Msg),
) {
    let load = task.load;
    let image = &task.image;
    let progress = |p: Progress| {
        dispatch(Msg::LayerProgress {
            load,
            progress: p,
            now_ms: now_ms(),
        })
    };
    let mut reports = std::pin::pin!(layer_reports(client, image, &task.settings, &progress));
    while let Some(report) = reports.next().await {
        dispatch(Msg::LayerDone {
            load,
            report: Box::new(report),
        });
    }
    dispatch(Msg::ScanFinished { load });
}
