//! The load lifecycle of the current image: begin (a new load id, the old
//! load cancelled), resolve, layer progress and results, layers the library
//! already holds, the end of the scan (the merged tree), and the tree model
//! rebuilt for the chosen layer. A result of a load that is no longer
//! current is ignored here.
//!
//! "Already exists": a layer whose blob the library has verified and
//! indexed before is not fetched. Its stored index is read back
//! ([`LibraryEffect::ReadLayers`]) while the other layers download, and
//! verified against this image's descriptor and `diff_id` like a scanned
//! one; a missing, unreadable or mismatching index means the layer is
//! fetched after all. The load finishes when no scan is running and no
//! stored index is being read.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use crate::inspect::InspectError;
use crate::inspect::{merge_verified, LayerOutcome, LayerReport, Progress, ScanSettings, Verify};
use crate::layer::LayerIndex;
use crate::library::StoredLayers;
use crate::oci::{PlatformPolicy, Reference, Timestamp};
use crate::registry::RegistryError;

use super::errors::inspect_error;
use super::library::{LibraryEffect, StoreStatus};
use super::msg::{Effect, Focus, LoadId, Next, ResolveTask, ScanTask};
use super::route::LayerMode;
use super::state::{Current, LayerProgress, Phase, Prompt, State, Step, MAX_RECENT};
use super::tree::model::TreeModel;
use super::tree::AUTO_EXPAND_ROWS;

/// How the page scans: layers with a table of contents are listed from it
/// (a small part of their blobs) unless the user always verifies fully.
pub(crate) fn scan_settings(verify_fully: bool) -> ScanSettings {
    ScanSettings {
        // Checkpoints go to the library with the layer's index: a file
        // opens later from a range of the blob.
        seek: true,
        verify: if verify_fully {
            Verify::Full
        } else {
            Verify::Toc
        },
        ..ScanSettings::default()
    }
}

/// "Verify fully": the current image's layers that were listed from their
/// tables of contents are streamed and verified whole, as any other layer.
/// Their listings leave the reports (the table shows them loading); the
/// tree keeps them until the scan ends and the new reports are merged.
pub(crate) fn verify_listed(state: &mut State) -> Vec<Effect> {
    if state.phase != Phase::Ready {
        return Vec::new();
    }
    let Some(cur) = state.current.as_mut() else {
        return Vec::new();
    };
    let Some(image) = cur.image.clone() else {
        return Vec::new();
    };
    let listed: BTreeSet<usize> = crate::sort::set_of(
        cur.reports
            .iter()
            .filter(|r| matches!(r.outcome, LayerOutcome::Listed(_)))
            .map(|r| r.index),
    );
    if listed.is_empty() {
        return Vec::new();
    }
    cur.reports.retain(|r| !listed.contains(&r.index));
    for &i in &listed {
        if let Some(p) = cur.progress.get_mut(i) {
            *p = LayerProgress {
                total: p.total,
                ..LayerProgress::default()
            };
        }
    }
    cur.scans += 1;
    let count = image.image_manifest().map_or(0, |m| m.layers().len());
    let task = ScanTask {
        load: cur.load,
        skip: crate::sort::set_of((0..count).filter(|i| !listed.contains(i))),
        image,
        settings: scan_settings(true),
    };
    state.phase = Phase::Loading(Step::Layers);
    vec![Effect::Scan(task)]
}

/// Drops the current image; a load still running is cancelled.
pub(crate) fn cancel(state: &mut State) -> Vec<Effect> {
    let mut effects = super::compare::reset(state);
    if let Some(old) = state.current.take() {
        if matches!(state.phase, Phase::Loading(_)) {
            effects.push(Effect::Cancel(old.load));
        }
    }
    effects
}

/// Makes `reference` (written as `input`) the current load, resolving:
/// a new load id, nothing of it known yet, the tree emptied. The caller
/// has cancelled the previous load and says where the image comes from.
pub(crate) fn begin_load(state: &mut State, reference: Reference, input: String) -> LoadId {
    let load = state.new_load();
    state.input = input.clone();
    state.current = Some(Current::new(load, reference, input));
    state.tree.set_model(None);
    state.phase = Phase::Loading(Step::Resolving);
    load
}

/// Starts loading `reference` (written as `input`), cancelling any other
/// load. Keeps the tree's expansion (a platform switch or a retry shows the
/// same paths again).
pub(super) fn start_load(state: &mut State, reference: Reference, input: String) -> Vec<Effect> {
    let mut effects = cancel(state);
    let platform = state.platform.clone();
    let load = begin_load(state, reference.clone(), input);
    let mut task = resolve_task(state, load, reference, platform.as_ref());
    task.file = state.archive.as_ref().map(|(id, _)| *id);
    task.archive_image = state.archive_image.clone();
    effects.push(Effect::Resolve(Box::new(task)));
    effects
}

/// Resolving `reference` (on `platform`, when one is asked for) as `load`,
/// through the page's proxy with the credentials given for its registry.
pub(crate) fn resolve_task(
    state: &State,
    load: LoadId,
    reference: Reference,
    platform: Option<&crate::oci::Platform>,
) -> ResolveTask {
    ResolveTask {
        load,
        policy: match platform {
            Some(p) => PlatformPolicy::Require(p.clone()),
            None => PlatformPolicy::default(),
        },
        credentials: state.auth.saved.get(reference.registry_host()).cloned(),
        reference,
        proxy_base: state.proxy_base.clone(),
        file: None,
        archive_image: None,
    }
}

/// Puts `input` first in the recent references.
fn remember(state: &mut State, input: &str) {
    state.recent.retain(|r| r != input);
    state.recent.insert(0, input.to_owned());
    state.recent.truncate(MAX_RECENT);
}

/// The image shown is the one a link names: its tree again for the layer
/// and mode just set, with `path` (if any) revealed.
pub(crate) fn show_again(state: &mut State, path: Option<&[u8]>) {
    rebuild_model(state);
    if let Some(p) = path {
        state.tree.reveal(p);
    }
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
    let compared = state
        .compare
        .as_ref()
        .and_then(|c| Some((c.result.as_ref()?, c.side.as_ref()?.fs.as_ref()?)));
    let model = match (state.layer, state.mode) {
        (None, _) => match compared {
            Some((result, theirs)) => TreeModel::compare(fs, theirs, &result.tree),
            None => TreeModel::merged(Rc::clone(fs)),
        },
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
            let layers = LayerProgress::for_layers(&image);
            let input = state
                .current
                .as_ref()
                .map(|c| c.input.clone())
                .unwrap_or_default();
            // A file cannot be reopened from its name: not a recent image.
            if state.archive.is_none() {
                remember(state, &input);
            }
            let Some(cur) = state.current.as_mut() else {
                return Vec::new();
            };
            cur.progress = layers;
            cur.image = Some(image);
            state.phase = Phase::Loading(Step::Layers);
            let mut effects = vec![state.set_url(false)];
            if state.library.store == StoreStatus::Opening {
                // Which layers the library already holds is known once its
                // catalogue is read: the layers wait for it
                // ([`library_opened`]).
                if let Some(cur) = state.current.as_mut() {
                    cur.awaiting_library = true;
                }
            } else {
                effects.extend(start_layers(state, load));
            }
            effects
        }
    }
}

/// The library's catalogue was read: a load that waited for it starts its
/// layers.
pub(crate) fn library_opened(state: &mut State) -> Vec<Effect> {
    match state.current.as_mut() {
        Some(cur) if cur.awaiting_library => {
            cur.awaiting_library = false;
            let load = cur.load;
            start_layers(state, load)
        }
        _ => Vec::new(),
    }
}

/// The current load's layers: those the library has verified before are
/// read from it ("Already exists"), the others scanned.
fn start_layers(state: &mut State, load: LoadId) -> Vec<Effect> {
    let verify_fully = state.verify_fully;
    let catalog = &state.library.catalog;
    let Some(cur) = state.current.as_mut().filter(|c| c.load == load) else {
        return Vec::new();
    };
    let Some(image) = cur.image.clone() else {
        return Vec::new();
    };
    let descriptors = image.image_manifest().map_or(&[][..], |m| m.layers());
    let since: BTreeMap<usize, Timestamp> = crate::sort::map_of(
        descriptors
            .iter()
            .enumerate()
            .filter_map(|(i, d)| Some((i, catalog.layer_verified_since(d.digest())?))),
    );
    let stored: Vec<(usize, crate::oci::Digest)> = since
        .keys()
        .filter_map(|&i| Some((i, descriptors.get(i)?.digest().clone())))
        .collect();
    let fetch_any = stored.len() < descriptors.len() || descriptors.is_empty();
    cur.reading_library = since;
    let mut effects = Vec::new();
    if fetch_any {
        cur.scans += 1;
        effects.push(Effect::Scan(ScanTask {
            load,
            skip: crate::sort::set_of(cur.reading_library.keys().copied()),
            image,
            settings: scan_settings(verify_fully),
        }));
    }
    if !stored.is_empty() {
        effects.push(Effect::Library(LibraryEffect::ReadLayers {
            load,
            layers: stored,
        }));
    }
    effects
}

/// The stored indexes of the current load's layers that the library holds
/// ([`LibraryEffect::ReadLayers`]), or why the store could not be read.
/// Each one is verified against this image's descriptor and `diff_id`, as a
/// scanned layer is; the layers that do not verify (or could not be read)
/// are fetched. Sets `next` to finish the load when nothing else runs.
pub(crate) fn library_layers(
    state: &mut State,
    load: LoadId,
    result: Result<StoredLayers, String>,
    next: &mut Next,
) -> Vec<Effect> {
    if !state.is_current(load) {
        return Vec::new();
    }
    let Some(cur) = state.current.as_mut() else {
        return Vec::new();
    };
    let Some(image) = cur.image.clone() else {
        return Vec::new();
    };
    let descriptors = image.image_manifest().map_or(&[][..], |m| m.layers());
    let diff_ids = image.image_config().map_or(&[][..], |c| c.diff_ids());
    let mut read: Vec<(usize, LayerIndex)> = match result {
        Ok(list) => list
            .into_iter()
            .filter_map(|(i, r)| r.ok().map(|ix| (i, ix)))
            .collect(),
        Err(_) => Vec::new(),
    };
    let mut fetch = BTreeSet::new();
    for (i, since) in std::mem::take(&mut cur.reading_library) {
        let (Some(descriptor), Some(at)) =
            (descriptors.get(i), read.iter().position(|(j, _)| *j == i))
        else {
            fetch.insert(i);
            continue;
        };
        let (_, index) = read.swap_remove(at);
        let report = LayerReport::scanned(i, descriptor.clone(), diff_ids.get(i).cloned(), index);
        if !report.is_verified() {
            fetch.insert(i);
            continue;
        }
        if let Some(p) = cur.progress.get_mut(i) {
            p.done = descriptor.size();
            p.finished = true;
            p.from_library = Some(since);
        }
        cur.reports.retain(|r| r.index != i);
        cur.reports.push(report);
    }
    let mut effects = Vec::new();
    if !fetch.is_empty() {
        cur.scans += 1;
        effects.push(Effect::Scan(ScanTask {
            load,
            skip: crate::sort::set_of((0..descriptors.len()).filter(|i| !fetch.contains(i))),
            image,
            settings: scan_settings(state.verify_fully),
        }));
    }
    if cur.scans == 0 {
        *next = Next::ScanFinished(load);
    }
    effects
}

/// One layer's download progress at `now_ms`.
pub(super) fn progress(state: &mut State, load: LoadId, p: Progress, now_ms: f64) {
    if let Some(cur) = state.current.as_mut().filter(|c| c.load == load) {
        progress_of(cur, p, now_ms);
    }
}

/// One layer's download progress in the load `cur` (the current image's
/// or the compared one's).
pub(crate) fn progress_of(cur: &mut Current, p: Progress, now_ms: f64) {
    let (index, done, total, finished) = match p {
        Progress::Started { index, total } => (index, None, total, false),
        Progress::Bytes { index, done, total } => (index, Some(done), total, false),
        Progress::Finished { index } => (index, None, 0, true),
        Progress::TocRefused { index } => {
            if let Some(l) = cur.progress.get_mut(index) {
                l.toc_refused = true;
            }
            return;
        }
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
    if let Some(cur) = state.current.as_mut().filter(|c| c.load == load) {
        layer_done_of(cur, report);
    }
}

/// One layer's result in the load `cur`.
pub(crate) fn layer_done_of(cur: &mut Current, report: LayerReport) {
    if let Some(l) = cur.progress.get_mut(report.index) {
        l.finished = true;
    }
    cur.reports.retain(|r| r.index != report.index);
    cur.reports.push(report);
}

/// Every layer of the current load is in: merges them, shows the tree
/// (the link's path revealed, or its closest existing parent) and makes
/// the page ready. `None` for a load that is no longer current.
pub(super) fn scan_finished(state: &mut State, load: LoadId) -> Option<Vec<Effect>> {
    if !state.is_current(load) {
        return None;
    }
    let cur = state.current.as_mut()?;
    cur.scans = cur.scans.saturating_sub(1);
    if cur.scans > 0 || !cur.reading_library.is_empty() {
        // Another scan, or the library's indexes, still to come.
        return None;
    }
    crate::sort::sort_by_key(&mut cur.reports, |r| r.index);
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
