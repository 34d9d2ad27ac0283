//! Which file the viewer reads, and from where: the selected regular file
//! of the current image (or, in a comparison, of the image that holds the
//! path), how its bytes are read ([`Plan`]: a table of contents, a seek
//! checkpoint, or streaming the layer), and starting or keeping its
//! extraction when the selection changes ([`sync`]).

use std::sync::Arc;

use crate::inspect::{LayerOutcome, LayerReport};
use crate::layer::seek::SeekIndex;
use crate::layer::toc::ListedFile;
use crate::layer::EntryKind;
use crate::oci::Descriptor;

use super::super::msg::{Effect, LoadId};
use super::super::state::{Current, Phase, State};
use super::super::tree::model::Change;
use super::links::{entry_at, file_source, Source};
use super::{
    base, content, effect, Check, ExtractId, ExtractTask, FileEffect, FileState, OpenFile, ReadBy,
    ShowAs, Stage, CACHE_LIMIT, VERIFY_REST_LIMIT,
};

/// What [`sync`] last looked at, so it does nothing while that is unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SyncKey {
    load: Option<LoadId>,
    /// The compared image's load, while the tree shows the comparison.
    compared: Option<LoadId>,
    hook: &'static str,
    selected: Option<Vec<u8>>,
    layer: Option<usize>,
    mode: super::super::route::LayerMode,
}

/// The compared image's load, while the tree shows the comparison (its
/// paths are the compared image's, but for the removed ones).
pub(super) fn compared(state: &State) -> Option<&Current> {
    state
        .compare
        .as_ref()
        .filter(|c| c.result.is_some() && state.layer.is_none())?
        .side
        .as_ref()
}

/// The selected regular file: its path, its layer's descriptor, where its
/// bytes are, and the load whose image holds it (the current image's, or
/// the compared one's for a path of the comparison it has).
fn wanted(state: &State) -> Option<(Vec<u8>, Descriptor, Source, &Current)> {
    if state.phase != Phase::Ready {
        return None;
    }
    let sel = state.tree.selected()?;
    let m = state.tree.model()?;
    let info = m.info(m.lookup(sel)?, sel)?;
    if info.kind != EntryKind::File {
        return None;
    }
    let cur = match compared(state) {
        Some(side) if info.change != Change::Removed => side,
        _ => state.current.as_ref()?,
    };
    let source = file_source(cur.fs.as_deref(), &cur.reports, info.layer?, sel)?;
    let report: &LayerReport = cur.report(source.layer)?;
    Some((sel.to_vec(), report.descriptor.clone(), source, cur))
}

/// Puts the open file away: kept for re-selecting when it is finished,
/// verified and small enough; otherwise its bytes are forgotten.
fn put_away(fs: &mut FileState, effects: &mut Vec<Effect>) {
    let Some(o) = fs.open.take() else {
        return;
    };
    let keep = matches!(o.stage, Stage::Ready(_))
        && matches!(o.check, Check::Verified | Check::Skipped(_))
        && o.source.size <= CACHE_LIMIT;
    if keep {
        if let Some(old) = fs.kept.replace(o) {
            effects.push(effect(FileEffect::Forget(old.id)));
        }
    } else {
        effects.push(effect(FileEffect::Forget(o.id)));
    }
}

/// Starts or stops an extraction when the selection changed; called after
/// every message.
pub fn sync(state: &mut State, effects: &mut Vec<Effect>) {
    let key = SyncKey {
        load: state.current.as_ref().map(|c| c.load),
        compared: compared(state).map(|c| c.load),
        hook: state.phase.hook(),
        selected: state.tree.selected().map(<[u8]>::to_vec),
        layer: state.layer,
        mode: state.mode,
    };
    if state.file.synced.as_ref() == Some(&key) {
        return;
    }
    if state.file.synced.as_ref().map(|k| &k.selected) != Some(&key.selected) {
        state.file.show = ShowAs::Auto;
    }
    state.file.synced = Some(key);
    state.file.notice = None;
    sync_open(state, effects);
    base::sync(state, effects);
}

/// How one file's bytes are read, from which load.
pub(crate) struct Plan {
    path: Vec<u8>,
    descriptor: Descriptor,
    source: Source,
    load: LoadId,
    reference: Option<crate::oci::Reference>,
    listed: Option<ListedFile>,
    seek: Option<(Arc<SeekIndex>, crate::layer::Entry)>,
    read_by: ReadBy,
}

impl Plan {
    /// The plan for the file at `path` (bytes at `source` of the layer
    /// `descriptor`) of the load `from`.
    pub(crate) fn new(
        from: &Current,
        path: Vec<u8>,
        descriptor: Descriptor,
        source: Source,
    ) -> Plan {
        // A layer listed from its table of contents: its entries' offsets
        // are their positions in the listing, and its files are read by
        // Range.
        let report = from.report(source.layer);
        let listed = report.and_then(|r| match &r.outcome {
            LayerOutcome::Listed(l) => l.file(usize::try_from(source.offset).ok()?),
            _ => None,
        });
        // A verified layer whose scan recorded checkpoints (this load's, or
        // the library's): the file is read from a range of the blob. A
        // layer smaller than the spacing has none: it streams, and its
        // digest is checked again, as cheaply.
        let seek = report.and_then(|r| {
            let index = r.verified()?.index();
            let seek = index.seek().filter(|s| !s.is_empty())?;
            let entry = entry_at(index.entries(), source.offset)?;
            Some((Arc::clone(seek), entry.clone()))
        });
        let read_by = match (&listed, &seek) {
            (Some(_), _) => ReadBy::Toc,
            (None, Some(_)) => ReadBy::Checkpoint,
            (None, None) => ReadBy::Stream,
        };
        Plan {
            path,
            descriptor,
            source,
            load: from.load,
            reference: from.image.as_ref().map(|i| i.reference.clone()),
            listed,
            seek,
            read_by,
        }
    }

    /// Whether `o` already holds these bytes.
    pub(super) fn held_by(&self, o: &OpenFile) -> bool {
        o.same_bytes(self.descriptor.digest(), &self.source, self.read_by)
    }

    /// The open file, loading, under a new extraction id.
    pub(crate) fn open(&self, fs: &mut FileState) -> OpenFile {
        fs.next_id += 1;
        OpenFile {
            id: ExtractId(fs.next_id),
            path: self.path.clone(),
            digest: self.descriptor.digest().clone(),
            source: self.source,
            layer_done: 0,
            layer_total: self.descriptor.size(),
            stage: Stage::Loading,
            check: Check::Pending,
            read_by: self.read_by,
        }
    }

    /// The extraction of these bytes as `id`; `None` when the image is
    /// not resolved.
    pub(crate) fn task(self, id: ExtractId, state: &State) -> Option<Effect> {
        let reference = self.reference?;
        let credentials = state.auth.saved.get(reference.registry_host()).cloned();
        Some(effect(FileEffect::Extract(Box::new(ExtractTask {
            id,
            load: self.load,
            reference,
            layer: self.source.layer,
            descriptor: self.descriptor,
            offset: self.source.offset,
            size: self.source.size,
            head_limit: content::DISPLAY_LIMIT,
            verify_limit: VERIFY_REST_LIMIT,
            proxy_base: state.proxy_base.clone(),
            credentials,
            listed: self.listed,
            seek: self.seek,
        }))))
    }
}

/// Opens the selected file (or keeps it open).
fn sync_open(state: &mut State, effects: &mut Vec<Effect>) {
    let Some(plan) = wanted(state).map(|(p, d, s, from)| Plan::new(from, p, d, s)) else {
        put_away(&mut state.file, effects);
        return;
    };
    let fs = &mut state.file;
    if let Some(o) = fs.open.as_mut().filter(|o| plan.held_by(o)) {
        // The same bytes under another name (a hard link) or view.
        o.path = plan.path;
        return;
    }
    let kept = fs.kept.take_if(|k| plan.held_by(k));
    put_away(fs, effects);
    if let Some(mut k) = kept {
        k.path = plan.path;
        fs.open = Some(k);
        return;
    }
    let open = plan.open(fs);
    let id = open.id;
    fs.open = Some(open);
    if let Some(file) = super::super::library::file_not_at_hand(state) {
        // An image from a file, reopened from the library: its bytes are in
        // the file, not behind any registry.
        if let Some(o) = state.file.open.as_mut() {
            o.stage = Stage::Failed(format!(
                "This image was opened from file: {file}, which is not at hand here. Open {file} \
                 again (Open a file… or drop it on the page) to read its files."
            ));
        }
        return;
    }
    effects.extend(plan.task(id, state));
}
