//! The library's transitions, and the hooks the page's own update calls:
//! [`started`] (open the store), [`apply_route`] (a link to the images page
//! or to a reopened image), [`loaded`] (a load finished: record it, or mark
//! a reopened image opened), and [`route_for`] (the link for what is shown).

use crate::app::errors::{ErrorKind, UserError};
use crate::app::msg::{Effect, LoadId, Msg};
use crate::app::route::Route;
use crate::app::state::{Current, LayerProgress, Phase, State, Step};
use crate::app::update::{cancel, rebuild_model};
use crate::fs::human_size;
use crate::library::{short_id, Library, LibraryError, Recorded, Removal};
use crate::oci::{Digest, Reference, Timestamp};

use super::route::{LibraryRoute, MAX_TEXT};
use super::{LibraryEffect, LibraryMsg, Reopen, Report, StoreStatus};

fn fx(e: LibraryEffect) -> Effect {
    Effect::Library(e)
}

fn cut(s: &str) -> String {
    let mut end = s.len().min(MAX_TEXT);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

fn url(state: &State, push: bool) -> Effect {
    Effect::SetUrl {
        query: state.route().to_query(),
        push,
    }
}

fn is_current(state: &State, load: LoadId) -> bool {
    state.current.as_ref().is_some_and(|c| c.load == load)
}

/// The store writes for `ops`, unless the library is detached from an
/// unreadable stored catalogue.
fn write(state: &State, ops: Vec<crate::library::StoreOp>) -> Vec<Effect> {
    if state.library.detached || ops.is_empty() {
        Vec::new()
    } else {
        vec![fx(LibraryEffect::Apply(ops))]
    }
}

fn now(state: &State) -> Timestamp {
    state.library.now.unwrap_or(Timestamp::from_unix(0, 0))
}

/// The page opened: open the store.
pub fn started(_state: &mut State) -> Vec<Effect> {
    vec![fx(LibraryEffect::Open)]
}

/// The link for what is shown: the images page's own parameters, or
/// `open=MANIFEST` (instead of `image=`) while a reopened image is shown.
pub fn route_for(state: &State, mut route: Route) -> Route {
    let lib = &state.library;
    if lib.page {
        let text = |s: &str| (!s.trim().is_empty()).then(|| s.to_owned());
        return Route {
            library: LibraryRoute {
                page: true,
                filter: text(&lib.filter),
                format: text(&lib.format),
                digests: lib.digests,
                open: None,
            },
            ..Route::default()
        };
    }
    if let (Some(r), Some(cur)) = (&lib.reopen, &state.current) {
        if r.load == cur.load {
            route.image = None;
            route.platform = None;
            route.library.open = Some(r.manifest.clone());
        }
    }
    route
}

/// Applies a link if it is the library's (`page=images`, `open=…`);
/// `None` lets the page handle it (and leaves the images page).
pub fn apply_route(state: &mut State, route: &Route) -> Option<Vec<Effect>> {
    let lib = &route.library;
    if !lib.is_active() {
        state.library.page = false;
        return None;
    }
    if lib.page {
        let l = &mut state.library;
        l.page = true;
        l.filter = lib.filter.clone().unwrap_or_default();
        l.format = lib.format.clone().unwrap_or_default();
        l.digests = lib.digests;
        return Some(vec![fx(LibraryEffect::ReadClock)]);
    }
    let digest = lib.open.clone()?;
    state.library.page = false;
    state.layer = route.layer;
    state.mode = route.mode;
    let shown = match (&state.library.reopen, &state.current) {
        (Some(r), Some(c)) => r.load == c.load && r.manifest == digest,
        _ => false,
    };
    if shown {
        rebuild_model(state);
        if let Some(p) = &route.path {
            state.tree.reveal(p);
        }
        return Some(Vec::new());
    }
    state.pending_path = route.path.clone();
    state.platform = None;
    if state.library.store == StoreStatus::Opening {
        state.library.pending = Some(route.clone());
        state.phase = Phase::Loading(Step::Resolving);
        return Some(Vec::new());
    }
    state.tree.reset_view();
    Some(reopen(state, &digest, false))
}

/// A load finished (its tree is shown): ask for the time to record it.
pub fn loaded(state: &mut State, load: LoadId) -> Vec<Effect> {
    if is_current(state, load) {
        vec![fx(LibraryEffect::RecordNow(load))]
    } else {
        Vec::new()
    }
}

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

/// Starts reading an image back from the store (no network).
fn reopen(state: &mut State, digest: &Digest, push: bool) -> Vec<Effect> {
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
    let load = LoadId(state.next_load);
    state.next_load += 1;
    let input = reference.familiar_string();
    state.input = input.clone();
    state.notice = None;
    state.auth.prompt = None;
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
        effects.push(url(state, true));
    }
    effects
}

fn loaded_from_store(
    state: &mut State,
    load: LoadId,
    result: Result<Box<crate::library::StoredImage>, String>,
) -> Vec<Effect> {
    if !is_current(state, load) {
        return Vec::new();
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
            return Vec::new();
        }
    };
    let Some(cur) = state.current.as_mut() else {
        return Vec::new();
    };
    let (image, reports) = (*stored).into_inspect(cur.reference.clone());
    cur.progress = reports
        .iter()
        .map(|r| LayerProgress {
            done: r.descriptor.size(),
            total: r.descriptor.size(),
            finished: true,
            ..LayerProgress::default()
        })
        .collect();
    cur.image = Some(Box::new(image));
    cur.reports = reports;
    state.phase = Phase::Loading(Step::Layers);
    crate::app::update(state, Msg::ScanFinished { load })
}

/// Records the current load (or marks a reopened image opened) at `now`.
fn record(state: &mut State, load: LoadId, now: Timestamp) -> Vec<Effect> {
    state.library.now = Some(now);
    if state.library.store == StoreStatus::Opening {
        state.library.deferred = Some(load);
        return Vec::new();
    }
    let detached = state.library.detached;
    let write = |ops: Vec<crate::library::StoreOp>| {
        if detached {
            Vec::new()
        } else {
            vec![fx(LibraryEffect::Apply(ops))]
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
        Ok(rec) => rec,
        Err(e) => {
            lib.store_error = Some(format!("Not kept in the library: {e}"));
            return Vec::new();
        }
    };
    match lib.catalog.record(rec, now) {
        Ok(report) => {
            lib.opened.insert(report.image.clone());
            write(report.ops)
        }
        Err(e) => {
            lib.store_error = Some(format!("Not kept in the library: {e}"));
            Vec::new()
        }
    }
}

/// The manifest digest of the image on screen, if any.
fn shown_manifest(state: &State) -> Option<Digest> {
    let img = state.current.as_ref()?.image.as_ref()?;
    Some(img.manifest.verified.digest().clone())
}

/// The report lines for a removal: Docker's, then the layer indexes freed
/// and kept.
fn removal_lines(catalog: &Library, removal: &Removal) -> Vec<String> {
    let mut lines = removal.lines();
    for l in &removal.freed_layers {
        lines.push(format!("Freed layer index {l}"));
    }
    for k in &removal.kept_layers {
        let users: Vec<String> = k.used_by.iter().map(short_id).collect();
        lines.push(format!(
            "Kept layer index {} (still used by {})",
            k.digest,
            users.join(", ")
        ));
    }
    if !removal.deleted_manifests.is_empty() {
        lines.push(format!(
            "Total reclaimed space: {} ({} freed in this browser's storage; {} left)",
            crate::library::human::human_size(removal.reclaimed_content),
            human_size(removal.reclaimed_storage),
            human_size(catalog.stored_bytes())
        ));
    }
    lines
}

fn report(
    state: &mut State,
    title: String,
    result: Result<(Vec<String>, Vec<crate::library::StoreOp>), LibraryError>,
) -> Vec<Effect> {
    match result {
        Ok((lines, ops)) => {
            state.library.report = Some(Report {
                title,
                lines,
                error: None,
            });
            let mut effects = write(state, ops);
            effects.push(fx(LibraryEffect::ReadClock));
            effects
        }
        Err(e) => {
            state.library.report = Some(Report {
                title,
                lines: Vec::new(),
                error: Some(e.to_string()),
            });
            Vec::new()
        }
    }
}

/// Handles one library message.
pub fn update_library(state: &mut State, msg: LibraryMsg) -> Vec<Effect> {
    match msg {
        LibraryMsg::Opened {
            result,
            tab_only,
            now,
        } => {
            let lib = &mut state.library;
            lib.now = Some(now);
            lib.store = match &tab_only {
                None => StoreStatus::Persistent,
                Some(why) => StoreStatus::TabOnly(why.clone()),
            };
            match result {
                Ok(catalog) => lib.catalog = catalog,
                Err(e) => {
                    lib.detached = true;
                    lib.store = StoreStatus::TabOnly(format!(
                        "the stored library could not be read ({e}); it is left as it is"
                    ));
                }
            }
            let mut effects = match lib.deferred.take() {
                Some(load) => record(state, load, now),
                None => Vec::new(),
            };
            if let Some(digest) = state
                .library
                .pending
                .take()
                .and_then(|r| r.library.open.clone())
            {
                state.tree.reset_view();
                effects.extend(reopen(state, &digest, false));
            }
            effects
        }
        LibraryMsg::Clock(now) => {
            state.library.now = Some(now);
            Vec::new()
        }
        LibraryMsg::Estimated { usage, quota } => {
            state.library.estimate = Some((usage, quota));
            Vec::new()
        }
        LibraryMsg::Record { load, now } => record(state, load, now),
        LibraryMsg::Applied(result) => {
            if let Err(e) = &result {
                state.notice = Some(format!("The library could not be updated: {e}"));
            }
            state.library.store_error = result.err();
            Vec::new()
        }
        LibraryMsg::Open(digest) => {
            state.layer = None;
            state.mode = crate::app::LayerMode::UpTo;
            state.pending_path = None;
            state.platform = None;
            state.tree.reset_view();
            state.library.page = false;
            reopen(state, &digest, true)
        }
        LibraryMsg::Loaded { load, result } => loaded_from_store(state, load, result),
        LibraryMsg::Refresh(reference) => {
            crate::app::update(state, Msg::ReferenceSubmitted(reference))
        }
        LibraryMsg::ShowPage => {
            state.library.page = true;
            vec![fx(LibraryEffect::ReadClock), url(state, true)]
        }
        LibraryMsg::FilterChanged(text) => {
            state.library.filter = cut(&text);
            vec![url(state, false)]
        }
        LibraryMsg::FormatChanged(text) => {
            state.library.format = cut(&text);
            vec![url(state, false)]
        }
        LibraryMsg::DigestsToggled(on) => {
            state.library.digests = on;
            vec![url(state, false)]
        }
        LibraryMsg::TagSource(source) => {
            state.library.tag_source = cut(&source);
            Vec::new()
        }
        LibraryMsg::TagTargetChanged(target) => {
            state.library.tag_target = cut(&target);
            Vec::new()
        }
        LibraryMsg::Tag { source, target } => {
            let (source, target) = (cut(source.trim()), cut(target.trim()));
            state.library.tag_source = source.clone();
            state.library.tag_target = target.clone();
            let title = format!("docker tag {source} {target}");
            let result = state.library.catalog.tag(&source, &target).map(|r| {
                let mut lines = vec![format!("Tagged {target}")];
                for (name, old) in &r.moved {
                    lines.push(format!("{} moved from {old}", name.familiar_string()));
                }
                (lines, r.ops)
            });
            report(state, title, result)
        }
        LibraryMsg::Remove(target) => {
            let target = cut(target.trim());
            let title = format!("docker image rm {target}");
            let result = state
                .library
                .catalog
                .rm(&target, false)
                .map(|r| (removal_lines(&state.library.catalog, &r), r.ops));
            report(state, title, result)
        }
        LibraryMsg::Prune { all } => {
            let title = if all {
                "docker image prune --all".to_owned()
            } else {
                "docker image prune".to_owned()
            };
            // Like a container keeps its image, the image on screen is in
            // use; with --all, so is every image opened in this tab.
            let mut in_use: Vec<Digest> = shown_manifest(state).into_iter().collect();
            if all {
                in_use.extend(state.library.opened.iter().cloned());
            }
            let at = now(state);
            let result = state.library.catalog.prune(all, &in_use, at).map(|r| {
                let mut lines = removal_lines(&state.library.catalog, &r);
                if lines.is_empty() {
                    lines.push("Total reclaimed space: 0B".to_owned());
                }
                (lines, r.ops)
            });
            report(state, title, result)
        }
    }
}
