//! The load lifecycle of the current image: begin (a new load id, the old
//! load cancelled), resolve, layer progress and results, the end of the
//! scan (the merged tree), and the tree model rebuilt for the chosen layer.
//! A result of a load that is no longer current is ignored here.

use std::rc::Rc;

use crate::inspect::InspectError;
use crate::inspect::{merge_verified, LayerReport, Progress, ScanSettings};
use crate::oci::{PlatformPolicy, Reference};
use crate::registry::RegistryError;

use super::errors::inspect_error;
use super::msg::{Effect, Focus, LoadId, ResolveTask, ScanTask};
use super::route::LayerMode;
use super::state::{Current, LayerProgress, Phase, Prompt, State, Step, MAX_RECENT};
use super::tree::model::TreeModel;
use super::tree::AUTO_EXPAND_ROWS;

/// Drops the current image; a load still running is cancelled.
pub(crate) fn cancel(state: &mut State) -> Vec<Effect> {
    match state.current.take() {
        Some(old) if matches!(state.phase, Phase::Loading(_)) => vec![Effect::Cancel(old.load)],
        _ => Vec::new(),
    }
}

/// Makes `reference` (written as `input`) the current load, resolving:
/// a new load id, nothing of it known yet, the tree emptied. The caller
/// has cancelled the previous load and says where the image comes from.
pub(crate) fn begin_load(state: &mut State, reference: Reference, input: String) -> LoadId {
    let load = LoadId(state.next_load);
    state.next_load += 1;
    state.input = input.clone();
    state.current = Some(Current {
        load,
        reference,
        input,
        image: None,
        progress: Vec::new(),
        reports: Vec::new(),
        fs: None,
    });
    state.tree.set_model(None);
    state.phase = Phase::Loading(Step::Resolving);
    load
}

/// Starts loading `reference` (written as `input`), cancelling any other
/// load. Keeps the tree's expansion (a platform switch or a retry shows the
/// same paths again).
pub(super) fn start_load(state: &mut State, reference: Reference, input: String) -> Vec<Effect> {
    let mut effects = cancel(state);
    let policy = match &state.platform {
        Some(p) => PlatformPolicy::Require(p.clone()),
        None => PlatformPolicy::default(),
    };
    let credentials = state.auth.saved.get(reference.registry_host()).cloned();
    let load = begin_load(state, reference.clone(), input);
    effects.push(Effect::Resolve(Box::new(ResolveTask {
        load,
        reference,
        policy,
        credentials,
        proxy_base: state.proxy_base.clone(),
    })));
    effects
}

/// Puts `input` first in the recent references.
fn remember(state: &mut State, input: &str) {
    state.recent.retain(|r| r != input);
    state.recent.insert(0, input.to_owned());
    state.recent.truncate(MAX_RECENT);
}

/// Rebuilds the tree model for the selected layer and mode.
pub(crate) fn rebuild_model(state: &mut State) {
    let Some(cur) = &state.current else {
        state.tree.set_model(None);
        return;
    };
    let Some(fs) = &cur.fs else {
        return;
    };
    if state.layer.is_some_and(|l| l >= cur.reports.len()) {
        state.layer = None;
    }
    let model = match (state.layer, state.mode) {
        (None, _) => TreeModel::merged(Rc::clone(fs)),
        (Some(l), LayerMode::UpTo) => TreeModel::up_to(&cur.reports, fs, l),
        (Some(l), LayerMode::Changes) => TreeModel::changes(&cur.reports, l),
    };
    state.tree.set_model(Some(model));
}

/// The current load's image is resolved, or failed to.
pub(super) fn resolved(
    state: &mut State,
    load: LoadId,
    result: Result<Box<crate::inspect::Image>, InspectError>,
) -> Vec<Effect> {
    if !state.is_current(load) {
        return Vec::new();
    }
    match result {
        Err(e) => {
            let user = inspect_error(&e);
            let mut effects = Vec::new();
            if let InspectError::Registry(r) = &e {
                let prompt = match r {
                    RegistryError::CredentialsRequired { registry, .. } => Some(Prompt {
                        registry: registry.clone(),
                        refused: false,
                    }),
                    RegistryError::Unauthorized { registry, .. } => Some(Prompt {
                        registry: registry.clone(),
                        refused: true,
                    }),
                    _ => None,
                };
                if prompt.is_some() {
                    effects.push(Effect::Focus(Focus::Username));
                }
                state.auth.prompt = prompt;
            }
            state.phase = Phase::Error(user);
            effects
        }
        Ok(image) => {
            let layers: Vec<LayerProgress> = image
                .image_manifest()
                .map(|m| {
                    m.layers()
                        .iter()
                        .map(|d| LayerProgress {
                            total: d.size(),
                            ..LayerProgress::default()
                        })
                        .collect()
                })
                .unwrap_or_default();
            let input = state
                .current
                .as_ref()
                .map(|c| c.input.clone())
                .unwrap_or_default();
            remember(state, &input);
            let Some(cur) = state.current.as_mut() else {
                return Vec::new();
            };
            cur.progress = layers;
            cur.image = Some(image.clone());
            state.phase = Phase::Loading(Step::Layers);
            vec![
                Effect::Scan(ScanTask {
                    load,
                    image,
                    settings: ScanSettings::default(),
                }),
                state.set_url(false),
            ]
        }
    }
}

/// One layer's download progress at `now_ms`.
pub(super) fn progress(state: &mut State, load: LoadId, p: Progress, now_ms: f64) {
    if !state.is_current(load) {
        return;
    }
    let Some(cur) = state.current.as_mut() else {
        return;
    };
    let (index, done, total, finished) = match p {
        Progress::Started { index, total } => (index, None, total, false),
        Progress::Bytes { index, done, total } => (index, Some(done), total, false),
        Progress::Finished { index } => (index, None, 0, true),
    };
    if let Some(l) = cur.progress.get_mut(index) {
        if total > 0 {
            l.total = total;
        }
        if let Some(d) = done {
            l.done = d;
            l.last_ms = Some(now_ms);
        }
        if l.started_ms.is_none() {
            l.started_ms = Some(now_ms);
        }
        l.finished |= finished;
    }
}

/// One layer's result: it replaces any earlier one of the same index.
pub(super) fn layer_done(state: &mut State, load: LoadId, report: LayerReport) {
    if state.is_current(load) {
        if let Some(cur) = state.current.as_mut() {
            if let Some(l) = cur.progress.get_mut(report.index) {
                l.finished = true;
            }
            cur.reports.retain(|r| r.index != report.index);
            cur.reports.push(report);
        }
    }
}

/// Every layer of the current load is in: merges them, shows the tree
/// (the link's path revealed, or its closest existing parent) and makes
/// the page ready. `None` for a load that is no longer current.
pub(super) fn scan_finished(state: &mut State, load: LoadId) -> Option<Vec<Effect>> {
    if !state.is_current(load) {
        return None;
    }
    let cur = state.current.as_mut()?;
    cur.reports.sort_by_key(|r| r.index);
    cur.fs = Some(Rc::new(merge_verified(&cur.reports)));
    let fresh = state.pending_path.is_none() && !state.tree.any_expanded();
    rebuild_model(state);
    if fresh {
        state.tree.auto_expand(AUTO_EXPAND_ROWS);
    }
    if let Some(p) = state.pending_path.take() {
        if !state.tree.reveal(&p) {
            // Keep the closest existing parent (a platform without the path).
            let mut q: &[u8] = &p;
            while let Some(i) = q.iter().rposition(|b| *b == b'/') {
                q = &q[..i];
                if state.tree.reveal(q) {
                    break;
                }
            }
        }
    }
    state.phase = Phase::Ready;
    Some(vec![state.set_url(false)])
}
