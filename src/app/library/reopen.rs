//! Recording a finished load in the library, and reopening an image from
//! the store: the catalogue lookup, the load that reads it back (no
//! network), and the tree built from it by the page's own scan-finished
//! path.

use crate::app::errors::{ErrorKind, UserError};
use crate::app::load::{begin_load, cancel};
use crate::app::msg::{Effect, LoadId};
use crate::app::state::{LayerProgress, Phase, State, Step};
use crate::library::{Library, Recorded};
use crate::oci::{Digest, Reference, Timestamp};

use super::transitions::fx;
use super::{LibraryEffect, Reopen, StoreStatus};

/// The name a reopened image is shown under: a tag pointing at it, else a
/// digest reference, else its repository with the manifest digest.
fn display_reference(catalog: &Library, manifest: &Digest) -> Option<Reference> {
    let record = catalog.image(manifest)?;
    catalog
        .tags()
        .find(|(_, m)| *m == manifest)
        .or_else(|| catalog.digest_refs().find(|(_, m)| *m == manifest))
        .map(|(r, _)| r.clone())
        .or_else(|| Some(record.repository().with_digest(manifest.clone())))
}

fn not_stored(digest: &Digest) -> UserError {
    UserError {
        kind: ErrorKind::UnknownTag,
        title: "This image is not in the library".to_owned(),
        detail: format!("No image with manifest {digest} is kept in this browser."),
        hint: "Inspect it by its reference to load it from the registry, or pick one on the Images page."
            .to_owned(),
    }
}

/// The archive file the current image was reopened from the library for,
/// when that file is not at hand here (its files cannot be read).
pub(crate) fn file_not_at_hand(state: &State) -> Option<String> {
    let file = reopened_source(state)?;
    let at_hand = state.archive.as_ref().is_some_and(|(_, n)| n == file);
    (!at_hand).then(|| file.to_owned())
}

/// The archive file the current image came from, when it was reopened from
/// the library (`None` for an image from a registry, or not reopened).
pub(crate) fn reopened_source(state: &State) -> Option<&str> {
    let cur = state.current.as_ref()?;
    let reopened = state
        .library
        .reopen
        .as_ref()
        .filter(|r| r.load == cur.load)?;
    state.library.catalog.image(&reopened.manifest)?.source()
}

/// Starts reading an image back from the store (no network).
pub(super) fn reopen(state: &mut State, digest: &Digest, push: bool) -> Vec<Effect> {
    let mut effects = cancel(state);
    let (Some(reference), Some(record)) = (
        display_reference(&state.library.catalog, digest),
        state.library.catalog.image(digest),
    ) else {
        state.tree.set_model(None);
        state.phase = Phase::Error(not_stored(digest));
        return effects;
    };
    let recorded = record.recorded();
    state.notice = None;
    state.auth.prompt = None;
    let input = reference.familiar_string();
    let load = begin_load(state, reference, input);
    state.library.reopen = Some(Reopen {
        load,
        manifest: digest.clone(),
        recorded,
    });
    effects.push(fx(LibraryEffect::Load {
        load,
        manifest: digest.clone(),
        catalog: Box::new(state.library.catalog.clone()),
    }));
    if push {
        effects.push(state.set_url(true));
    }
    effects
}

/// A reopened image read back from the store becomes the current load's
/// image and layers; `true` when its scan is to be finished (the tree built
/// by the page's own path), `false` for a stale load or an unreadable one.
pub(super) fn loaded_from_store(
    state: &mut State,
    load: LoadId,
    result: Result<Box<crate::library::StoredImage>, String>,
) -> bool {
    if !state.is_current(load) {
        return false;
    }
    let stored = match result {
        Ok(s) => s,
        Err(detail) => {
            state.phase = Phase::Error(UserError {
                kind: ErrorKind::DigestMismatch,
                title: "The stored image could not be read".to_owned(),
                detail,
                hint: "Refresh it from the registry, or remove it on the Images page.".to_owned(),
            });
            return false;
        }
    };
    let catalog = &state.library.catalog;
    let Some(cur) = state.current.as_mut() else {
        return false;
    };
    let (image, reports) = (*stored).into_inspect(cur.reference.clone());
    cur.progress = reports
        .iter()
        .map(|r| LayerProgress {
            done: r.descriptor.size(),
            total: r.descriptor.size(),
            finished: true,
            from_library: r
                .is_verified()
                .then(|| catalog.layer_verified_since(r.descriptor.digest()))
                .flatten(),
            ..LayerProgress::default()
        })
        .collect();
    cur.image = Some(Box::new(image));
    cur.reports = reports;
    state.phase = Phase::Loading(Step::Layers);
    true
}

/// Whether the current load will be written to the library once it has
/// the time: an image reopened from it (marked opened), or one whose
/// manifest, config and every layer verified. `ready` waits only for those.
pub(super) fn recordable(state: &State) -> bool {
    let Some(cur) = state.current.as_ref() else {
        return false;
    };
    if state.library.detached {
        return false;
    }
    if state
        .library
        .reopen
        .as_ref()
        .is_some_and(|r| r.load == cur.load)
    {
        return true;
    }
    let Some(image) = cur.image.as_ref() else {
        return false;
    };
    let layers = image.image_manifest().map_or(0, |m| m.layers().len());
    image.config.is_some()
        && cur.reports.len() == layers
        && cur.reports.iter().all(|r| r.is_verified())
}

/// The load held at [`Step::Recording`] becomes ready: its record is
/// written, failed, or there was nothing to write.
pub(super) fn ready(state: &mut State, load: LoadId) {
    if state.is_current(load) && state.phase == Phase::Loading(Step::Recording) {
        state.phase = Phase::Ready;
    }
}

/// Records the current load (or marks a reopened image opened) at `now`.
/// The page stays at [`Step::Recording`] while the store opens and while
/// the record is written; with nothing to write it is ready at once.
pub(super) fn record(state: &mut State, load: LoadId, now: Timestamp) -> Vec<Effect> {
    state.library.now = Some(now);
    if state.library.store == StoreStatus::Opening {
        state.library.deferred = Some(load);
        return Vec::new();
    }
    let effects = record_writes(state, load, now);
    let writing = effects
        .iter()
        .any(|e| matches!(e, Effect::Library(LibraryEffect::Record { .. })));
    if !writing {
        ready(state, load);
    }
    effects
}

/// The writes that record `load` (a [`LibraryEffect::Record`], unless the
/// library is detached or there is nothing to record) and what goes with
/// them.
fn record_writes(state: &mut State, load: LoadId, now: Timestamp) -> Vec<Effect> {
    let detached = state.library.detached;
    let write = |ops: Vec<crate::library::StoreOp>| {
        if detached || ops.is_empty() {
            Vec::new()
        } else {
            vec![fx(LibraryEffect::Record { load, ops })]
        }
    };
    let Some(cur) = state.current.as_ref().filter(|c| c.load == load) else {
        return Vec::new();
    };
    let lib = &mut state.library;
    if let Some(r) = lib.reopen.as_ref().filter(|r| r.load == load) {
        lib.opened.insert(r.manifest.clone());
        return match lib.catalog.mark_opened(&r.manifest, now) {
            Ok(ops) => write(ops),
            Err(_) => Vec::new(),
        };
    }
    let Some(image) = cur.image.as_ref() else {
        return Vec::new();
    };
    let layers = image.image_manifest().map_or(0, |m| m.layers().len());
    if let Some(bad) = cur.reports.iter().find(|r| !r.is_verified()) {
        lib.store_error = Some(format!(
            "Not kept in the library: layer {} did not verify.",
            bad.index
        ));
        return Vec::new();
    }
    if cur.reports.len() != layers {
        return Vec::new();
    }
    let rec = match Recorded::from_inspect(image, &cur.reports) {
        Ok(rec) => match &state.archive {
            Some((_, file)) => rec.with_source(file.clone()),
            None => rec,
        },
        Err(e) => {
            lib.store_error = Some(format!("Not kept in the library: {e}"));
            return Vec::new();
        }
    };
    match lib.catalog.record(rec, now) {
        Ok(report) => {
            lib.opened.insert(report.image.clone());
            let mut effects = write(report.ops);
            effects.extend(super::keep::recorded(state, &report.image));
            effects
        }
        Err(e) => {
            lib.store_error = Some(format!("Not kept in the library: {e}"));
            Vec::new()
        }
    }
}
