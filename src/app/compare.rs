//! Comparing the current image with another (`?image=A&compare=B`, or two
//! platforms of one index): once A is shown, B is resolved and its layers
//! scanned as a second load — the layers B shares with A (same blob, same
//! diff_id, verified in A) are taken from A's reports, not fetched again —
//! then the two merged trees, configs and layer lists are compared
//! ([`crate::inspect::compare`]). With no layer selected the tree shows B
//! against A (`TreeModel::compare`); the Compare tab shows the summary, the
//! config side by side and the layers aligned.
//!
//! The comparison follows A: a new image or platform for A starts B again.

use std::rc::Rc;

use crate::fs::diff::DiffOptions;
use crate::inspect::compare::Comparison;
use crate::inspect::{merge_verified, Image, InspectError, LayerReport, Progress};
use crate::oci::{Platform, Reference};

use super::errors::{inspect_error, invalid_reference, UserError};
use super::load::{layer_done_of, progress_of, rebuild_model, resolve_task, scan_settings};
use super::msg::{Effect, LoadId, ScanTask};
use super::state::{Current, LayerProgress, State, MAX_INPUT};
use super::text::cut;

/// The compared image and how far it got.
#[derive(Debug, Clone)]
pub struct CompareState {
    /// B as written (what the link carries).
    pub input: String,
    /// B's platform, when chosen.
    pub platform: Option<Platform>,
    /// B's load, once A is shown.
    pub side: Option<Current>,
    /// The comparison, once B's layers are in.
    pub result: Option<Rc<Comparison>>,
    /// Why B cannot be compared (an invalid reference, a failed resolve).
    pub error: Option<UserError>,
    /// A link's path, selected once the comparison is shown (it may be a
    /// path only B has).
    pub reveal: Option<Vec<u8>>,
}

impl CompareState {
    /// Whether B is being resolved or scanned.
    pub fn loading(&self) -> bool {
        self.error.is_none() && self.result.is_none()
    }
}

/// What the compare controls send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompareMsg {
    /// Compare the current image with this reference (typed).
    With(String),
    /// Compare the current image with another platform of the same index
    /// (`os/arch[/variant]`, from the platform picker).
    WithPlatform(String),
    /// Stop comparing.
    Clear,
}

/// Handles a compare control.
pub(crate) fn update(state: &mut State, msg: CompareMsg) -> Vec<Effect> {
    let mut effects = reset(state);
    match msg {
        CompareMsg::With(text) => {
            let input = cut(text.trim(), MAX_INPUT);
            if input.is_empty() {
                state.compare = None;
            } else {
                set(state, input, None);
            }
        }
        CompareMsg::WithPlatform(label) => {
            let (Ok(p), Some(cur)) = (Platform::parse(&label), state.current.as_ref()) else {
                return effects;
            };
            let input = cur.input.clone();
            set(state, input, Some(p));
        }
        CompareMsg::Clear => state.compare = None,
    }
    rebuild_model(state);
    effects.extend(start(state));
    effects.push(state.set_url(true));
    effects
}

/// Asks for B (`input`, on `platform`); it loads once A is shown.
pub(crate) fn set(state: &mut State, input: String, platform: Option<Platform>) {
    let error = Reference::parse_normalized(&input)
        .err()
        .map(|e| invalid_reference(&input, &e));
    state.compare = Some(CompareState {
        input,
        platform,
        side: None,
        result: None,
        error,
        reveal: None,
    });
}

/// Forgets B's load and result (A changes, or B does); a load of B still
/// running is cancelled. What B is stays asked for.
pub(crate) fn reset(state: &mut State) -> Vec<Effect> {
    let Some(c) = state.compare.as_mut() else {
        return Vec::new();
    };
    let running = c.loading();
    c.result = None;
    if c.error
        .as_ref()
        .is_some_and(|e| e.kind != super::errors::ErrorKind::InvalidReference)
    {
        c.error = None;
    }
    match c.side.take() {
        Some(side) if running => vec![Effect::Cancel(side.load)],
        _ => Vec::new(),
    }
}

/// Starts B's load when A is shown and B is asked for and not started.
pub(crate) fn start(state: &mut State) -> Vec<Effect> {
    // A is shown once its merged tree is (its record may still be being
    // written to the library).
    if state.current.as_ref().and_then(|c| c.fs.as_ref()).is_none() {
        return Vec::new();
    }
    let ready = state
        .compare
        .as_ref()
        .is_some_and(|c| c.side.is_none() && c.error.is_none());
    if !ready {
        return Vec::new();
    }
    let load = state.new_load();
    let Some(c) = state.compare.as_mut() else {
        return Vec::new();
    };
    let Ok(reference) = Reference::parse_normalized(&c.input) else {
        return Vec::new();
    };
    c.side = Some(Current::new(load, reference.clone(), c.input.clone()));
    let platform = c.platform.clone();
    let task = resolve_task(state, load, reference, platform.as_ref());
    vec![Effect::Resolve(Box::new(task))]
}

/// B's load, when `load` is it.
fn side_of(state: &mut State, load: LoadId) -> Option<&mut Current> {
    state
        .compare
        .as_mut()?
        .side
        .as_mut()
        .filter(|s| s.load == load)
}

/// Whether `load` is B's.
pub(crate) fn owns(state: &State, load: LoadId) -> bool {
    state
        .compare
        .as_ref()
        .and_then(|c| c.side.as_ref())
        .is_some_and(|s| s.load == load)
}

/// B is resolved (or not): its layers are scanned, except those A has
/// verified (same blob and diff_id), which are taken from A's reports.
pub(crate) fn resolved(
    state: &mut State,
    load: LoadId,
    result: Result<Box<Image>, InspectError>,
) -> Vec<Effect> {
    let verify_fully = state.verify_fully;
    let image = match result {
        Ok(image) => image,
        Err(e) => {
            if let Some(c) = state.compare.as_mut() {
                c.error = Some(inspect_error(&e));
            }
            return Vec::new();
        }
    };
    let descriptors = image.image_manifest().map_or(&[][..], |m| m.layers());
    let diff_ids = image.image_config().map_or(&[][..], |c| c.diff_ids());
    // A's verified reports of the same blobs and diff_ids, renumbered as B's.
    let ours = state.current.as_ref().map_or(&[][..], |c| &c.reports[..]);
    let shared: Vec<LayerReport> = descriptors
        .iter()
        .enumerate()
        .filter_map(|(i, d)| {
            let theirs = ours.iter().find(|r| {
                r.is_verified()
                    && r.descriptor.digest() == d.digest()
                    && r.diff_id.as_ref() == diff_ids.get(i)
            })?;
            let mut report = theirs.clone();
            report.index = i;
            report.descriptor = d.clone();
            Some(report)
        })
        .collect();
    let Some(side) = side_of(state, load) else {
        return Vec::new();
    };
    side.progress = LayerProgress::for_layers(&image);
    let mut skip = std::collections::BTreeSet::new();
    for report in shared {
        let i = report.index;
        if let Some(p) = side.progress.get_mut(i) {
            p.done = report.descriptor.size();
        }
        layer_done_of(side, report);
        skip.insert(i);
    }
    side.image = Some(image.clone());
    if skip.len() == descriptors.len() && !descriptors.is_empty() {
        return finish(state, load);
    }
    side.scans += 1;
    vec![Effect::Scan(ScanTask {
        load,
        image,
        settings: scan_settings(verify_fully),
        skip,
    })]
}

/// A layer of B progressed.
pub(crate) fn progress(state: &mut State, load: LoadId, p: Progress, now_ms: f64) {
    if let Some(side) = side_of(state, load) {
        progress_of(side, p, now_ms);
    }
}

/// A layer of B is in.
pub(crate) fn layer_done(state: &mut State, load: LoadId, report: LayerReport) {
    if let Some(side) = side_of(state, load) {
        layer_done_of(side, report);
    }
}

/// B's scan ended.
pub(crate) fn scan_finished(state: &mut State, load: LoadId) -> Vec<Effect> {
    let Some(side) = side_of(state, load) else {
        return Vec::new();
    };
    side.scans = side.scans.saturating_sub(1);
    if side.scans > 0 {
        return Vec::new();
    }
    finish(state, load)
}

/// Every layer of B is in: B's merged tree, the comparison, the tree.
fn finish(state: &mut State, load: LoadId) -> Vec<Effect> {
    let Some(cur) = state.current.as_ref() else {
        return Vec::new();
    };
    let (Some(ours), Some(our_fs)) = (cur.image.as_deref(), cur.fs.as_ref()) else {
        return Vec::new();
    };
    let Some(c) = state.compare.as_mut() else {
        return Vec::new();
    };
    let Some(side) = c.side.as_mut().filter(|s| s.load == load) else {
        return Vec::new();
    };
    crate::sort::sort_by_key(&mut side.reports, |r| r.index);
    let fs = Rc::new(merge_verified(&side.reports));
    side.fs = Some(Rc::clone(&fs));
    let Some(image) = side.image.as_deref() else {
        return Vec::new();
    };
    let result = Comparison::of(ours, our_fs, image, &fs, DiffOptions::default());
    c.result = Some(Rc::new(result));
    let selected = c
        .reveal
        .take()
        .or_else(|| state.tree.selected().map(<[u8]>::to_vec));
    rebuild_model(state);
    if let Some(p) = selected {
        state.tree.reveal(&p);
    }
    vec![state.set_url(false)]
}
