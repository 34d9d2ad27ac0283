//! The library's transitions, and the hooks the page's own update calls:
//! [`started`] (open the store), [`apply_route`] (a link to the images page
//! or to a reopened image), [`loaded`] (a load finished: record it, or mark
//! a reopened image opened), and [`route_for`] (the link for what is shown).

use crate::app::load::{cancel, show_again};
use crate::app::msg::{Effect, LoadId, Next};
use crate::app::route::Route;
use crate::app::state::{Phase, State, Step};
use crate::oci::{Digest, Timestamp};

use super::actions::{removal_lines, report, shown_manifest};
use super::reopen::{loaded_from_store, record, reopen};
use super::route::{LibraryRoute, MAX_TEXT};
use super::{LibraryEffect, LibraryMsg, StoreStatus};

pub(super) fn fx(e: LibraryEffect) -> Effect {
    Effect::Library(e)
}

fn cut(s: &str) -> String {
    crate::app::text::cut(s, MAX_TEXT)
}

/// The store writes for `ops`, unless the library is detached from an
/// unreadable stored catalogue.
pub(super) fn write(state: &State, ops: Vec<crate::library::StoreOp>) -> Vec<Effect> {
    if state.library.detached || ops.is_empty() {
        Vec::new()
    } else {
        vec![fx(LibraryEffect::Apply(ops))]
    }
}

pub(super) fn now(state: &State) -> Timestamp {
    state.library.now.unwrap_or(Timestamp::from_unix(0, 0))
}

/// The page opened: open the store.
pub fn started(_state: &mut State) -> Vec<Effect> {
    vec![fx(LibraryEffect::Open), super::keep::started()]
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
            // An image from a file is linked by the file's name, which
            // reopens it from any library that holds it.
            match super::reopen::reopened_source(state) {
                Some(file) => route.file = Some(file.to_owned()),
                None => route.library.open = Some(r.manifest.clone()),
            }
        }
    }
    route
}

/// Applies a link if it is the library's (`page=images`, `open=…`);
/// `None` lets the page handle it (and leaves the images page).
pub fn apply_route(state: &mut State, route: &Route) -> Option<Vec<Effect>> {
    if let Some(name) = &route.file {
        return Some(open_file_route(state, route, name));
    }
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
        show_again(state, route.path.as_deref());
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

/// A link to an image from a file (`file=NAME`): shown again when that
/// file's image is the current one (from the file, or reopened from the
/// library); else the library's image from that file, when it holds one
/// (the most recently recorded), reopened with no network; else the page
/// says the file is needed.
fn open_file_route(state: &mut State, route: &Route, name: &str) -> Vec<Effect> {
    let shown = state.current.is_some()
        && (state.archive.as_ref().is_some_and(|(_, n)| n == name)
            || super::reopen::reopened_source(state) == Some(name));
    state.library.page = false;
    state.layer = route.layer;
    state.mode = route.mode;
    state.workbench.tab = route.tab;
    if shown {
        show_again(state, route.path.as_deref());
        return Vec::new();
    }
    if state.library.store == StoreStatus::Opening {
        state.library.pending = Some(route.clone());
        state.phase = Phase::Loading(Step::Resolving);
        return Vec::new();
    }
    let recorded = state
        .library
        .catalog
        .images()
        .filter(|i| i.source() == Some(name))
        .max_by_key(|i| i.recorded())
        .map(|i| i.manifest().clone());
    let Some(digest) = recorded else {
        // The file is on someone's machine, not in the link.
        let effects = cancel(state);
        state.current = None;
        state.archive = None;
        state.tree.set_model(None);
        state.input.clear();
        state.phase = Phase::Error(crate::app::errors::file_needed(name));
        return effects;
    };
    state.pending_path = route.path.clone();
    state.platform = None;
    state.tree.reset_view();
    reopen(state, &digest, false)
}

/// A load finished (its tree is shown): ask for the time to record it,
/// and hold `ready` back until the record is written when it will be.
pub fn loaded(state: &mut State, load: LoadId) -> Vec<Effect> {
    if state.is_current(load) {
        if super::reopen::recordable(state) {
            state.phase = Phase::Loading(Step::Recording);
        }
        vec![fx(LibraryEffect::RecordNow(load))]
    } else {
        Vec::new()
    }
}

/// The store answered a write: a failure is said in words (the page goes
/// on; the catalogue in memory is then ahead of the stored one).
fn applied(state: &mut State, result: Result<(), String>) {
    if let Err(e) = &result {
        state.notice = Some(format!("The library could not be updated: {e}"));
    }
    state.library.store_error = result.err();
}

/// What `rm`/`prune` did: the report lines, the store writes, and the
/// layer indexes freed.
type Removed = (Vec<String>, Vec<crate::library::StoreOp>, Vec<Digest>);

/// The report of `rm`/`prune`, and the kept blobs of the layer indexes it
/// freed dropped.
fn removed(
    state: &mut State,
    title: String,
    result: Result<Removed, crate::library::LibraryError>,
) -> Vec<Effect> {
    match result {
        Ok((lines, ops, freed)) => {
            let mut effects = report(state, title, Ok((lines, ops)));
            effects.extend(super::keep::freed(state, &freed));
            effects
        }
        Err(e) => report(state, title, Err(e)),
    }
}

/// Handles one library message: its effects, and what the page's own
/// update does next (open a reference, finish a reopened load).
pub fn update_library(state: &mut State, msg: LibraryMsg) -> (Vec<Effect>, Next) {
    Next::collect(|next| handle(state, msg, next))
}

fn handle(state: &mut State, msg: LibraryMsg, next: &mut Next) -> Vec<Effect> {
    match msg {
        m @ (LibraryMsg::KeepRead { .. }
        | LibraryMsg::KeepToggled(_)
        | LibraryMsg::KeepDone { .. }
        | LibraryMsg::Dropped(_)) => super::keep::update_keep(state, m),
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
            let mut effects = super::keep::sweep(state);
            effects.extend(crate::app::load::library_opened(state));
            effects.extend(match state.library.deferred.take() {
                Some(load) => record(state, load, now),
                None => Vec::new(),
            });
            if let Some(route) = state.library.pending.take() {
                if let Some(name) = route.file.clone() {
                    effects.extend(open_file_route(state, &route, &name));
                } else if let Some(digest) = route.library.open.clone() {
                    state.tree.reset_view();
                    effects.extend(reopen(state, &digest, false));
                }
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
        LibraryMsg::LayersRead { load, result } => {
            crate::app::load::library_layers(state, load, result, next)
        }
        LibraryMsg::Applied(result) => {
            applied(state, result);
            Vec::new()
        }
        LibraryMsg::Recorded { load, result } => {
            applied(state, result);
            super::reopen::ready(state, load);
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
        LibraryMsg::Loaded { load, result } => {
            if loaded_from_store(state, load, result) {
                *next = Next::ScanFinished(load);
            }
            Vec::new()
        }
        LibraryMsg::Refresh(reference) => {
            *next = Next::Open(reference);
            Vec::new()
        }
        LibraryMsg::ShowPage => {
            state.search.page = None;
            state.library.page = true;
            vec![fx(LibraryEffect::ReadClock), state.set_url(true)]
        }
        LibraryMsg::FilterChanged(text) => {
            state.library.filter = cut(&text);
            vec![state.set_url(false)]
        }
        LibraryMsg::FormatChanged(text) => {
            state.library.format = cut(&text);
            vec![state.set_url(false)]
        }
        LibraryMsg::DigestsToggled(on) => {
            state.library.digests = on;
            vec![state.set_url(false)]
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
            let result = state.library.catalog.rm(&target, false).map(|r| {
                let lines = removal_lines(&state.library.catalog, &r);
                (lines, r.ops, r.freed_layers)
            });
            removed(state, title, result)
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
                (lines, r.ops, r.freed_layers)
            });
            removed(state, title, result)
        }
    }
}
