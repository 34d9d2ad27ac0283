//! `update(&mut State, Msg) -> Vec<Effect>`: the only place the page's state
//! changes. Pure: the shell performs the effects and feeds results back in
//! as messages; a result of a load that is no longer current is ignored.

use std::rc::Rc;

use crate::inspect::InspectError;
use crate::inspect::{merge_verified, Progress, ScanSettings};
use crate::oci::{Platform, PlatformPolicy, Reference};
use crate::registry::{Credentials, RegistryError};

use super::errors::{inspect_error, invalid_reference};
use super::msg::{CopyWhat, Effect, Focus, LoadId, Msg, ResolveTask, Reveal, ScanTask};
use super::proxy::normalize_base;
use super::route::{LayerMode, Route};
use super::state::{Current, LayerProgress, Phase, Prompt, State, Step, MAX_INPUT, MAX_RECENT};
use super::text::cut;
use super::tree::model::TreeModel;
use super::tree::AUTO_EXPAND_ROWS;

/// Drops the current image; a load still running is cancelled.
pub(super) fn cancel(state: &mut State) -> Vec<Effect> {
    match state.current.take() {
        Some(old) if matches!(state.phase, Phase::Loading(_)) => vec![Effect::Cancel(old.load)],
        _ => Vec::new(),
    }
}

/// Makes `reference` (written as `input`) the current load, resolving:
/// a new load id, nothing of it known yet, the tree emptied. The caller
/// has cancelled the previous load and says where the image comes from.
pub(super) fn begin_load(state: &mut State, reference: Reference, input: String) -> LoadId {
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
fn start_load(state: &mut State, reference: Reference, input: String) -> Vec<Effect> {
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

/// A fresh image from what a person typed or a link named.
fn open_reference(state: &mut State, input: &str, push: bool) -> Vec<Effect> {
    let input = cut(input.trim(), MAX_INPUT);
    state.auth.prompt = None;
    state.notice = None;
    match Reference::parse_normalized(&input) {
        Err(e) => {
            let mut effects = cancel(state);
            state.tree.set_model(None);
            state.input = input.clone();
            state.phase = Phase::Error(invalid_reference(&input, &e));
            effects.push(state.set_url(push));
            effects
        }
        Ok(reference) => {
            let mut effects = start_load(state, reference, input);
            effects.push(state.set_url(push));
            effects
        }
    }
}

fn remember(state: &mut State, input: &str) {
    state.recent.retain(|r| r != input);
    state.recent.insert(0, input.to_owned());
    state.recent.truncate(MAX_RECENT);
}

/// Rebuilds the tree model for the selected layer and mode.
pub(super) fn rebuild_model(state: &mut State) {
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

/// Applies a link: loads what it names unless it is already shown, then
/// selects its layer, mode and path.
fn apply_route(state: &mut State, route: Route) -> Vec<Effect> {
    if let Some(effects) = super::search::apply_route(state, &route) {
        state.library.page = false;
        return effects;
    }
    if let Some(effects) = super::library::apply_route(state, &route) {
        return effects;
    }
    let Some(image) = route.image.clone() else {
        let effects = cancel(state);
        state.tree.set_model(None);
        state.tree.reset_view();
        state.phase = Phase::Idle;
        state.input.clear();
        return effects;
    };
    let same_image = state.current.as_ref().is_some_and(|c| c.input == image);
    let same_platform = route.platform == state.platform
        || route.platform.is_some()
            && state
                .current
                .as_ref()
                .and_then(|c| c.image.as_ref())
                .and_then(|i| i.platform.as_ref())
                == route.platform.as_ref();
    state.layer = route.layer;
    state.mode = route.mode;
    if same_image && same_platform {
        rebuild_model(state);
        if let Some(p) = route.path {
            state.tree.reveal(&p);
        }
        return Vec::new();
    }
    state.platform = route.platform;
    if !same_image {
        state.tree.reset_view();
    }
    state.pending_path = route.path;
    let mut effects = open_reference(state, &image, false);
    // The link already says this; no history entry for it.
    effects.retain(|e| !matches!(e, Effect::SetUrl { .. }));
    effects
}

fn resolved(
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

fn progress(state: &mut State, load: LoadId, p: Progress, now_ms: f64) {
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

fn scan_finished(state: &mut State, load: LoadId) -> Vec<Effect> {
    if !state.is_current(load) {
        return Vec::new();
    }
    let Some(cur) = state.current.as_mut() else {
        return Vec::new();
    };
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
    let mut effects = vec![state.set_url(false)];
    effects.extend(super::library::loaded(state, load));
    effects
}

/// Handles one message; returns what the shell must do.
pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    let mut effects = handle(state, msg);
    super::file::sync(state, &mut effects);
    effects
}

fn handle(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Started { query, page_url } => {
            state.page_url = cut(&page_url, 4096);
            let route = Route::parse(&query);
            let mut effects = super::library::started(state);
            effects.extend(apply_route(state, route));
            if state.current.is_none()
                && state.phase == Phase::Idle
                && state.search.page.is_none()
                && !state.library.page
            {
                effects.retain(|e| matches!(e, Effect::Library(_)));
                effects.push(Effect::Focus(Focus::Reference));
            }
            effects
        }
        Msg::RouteChanged { query } => apply_route(state, Route::parse(&query)),
        Msg::InputChanged(text) => {
            state.input = cut(&text, MAX_INPUT);
            Vec::new()
        }
        Msg::ReferenceSubmitted(text) => {
            state.library.page = false;
            state.platform = None;
            state.layer = None;
            state.mode = LayerMode::UpTo;
            state.pending_path = None;
            state.tree.reset_view();
            open_reference(state, &text, true)
        }
        Msg::DemoRequested => match demo_reference(&state.page_url) {
            Some(r) => update(state, Msg::ReferenceSubmitted(r)),
            None => Vec::new(),
        },
        Msg::RecentChosen(i) => match state.recent.get(i).cloned() {
            Some(r) => update(state, Msg::ReferenceSubmitted(r)),
            None => Vec::new(),
        },
        Msg::PlatformChosen(label) => {
            let (Ok(p), Some(cur)) = (Platform::parse(&label), state.current.as_ref()) else {
                return Vec::new();
            };
            let (reference, input) = (cur.reference.clone(), cur.input.clone());
            state.platform = Some(p);
            state.pending_path = state.tree.selected().map(<[u8]>::to_vec);
            let layer = state.layer.take();
            let mut effects = start_load(state, reference, input);
            // Layers differ between platforms; keep the choice only if it
            // still makes sense once loaded (rebuild_model checks).
            state.layer = layer;
            effects.push(state.set_url(true));
            effects
        }
        Msg::LayerSelected(layer) => {
            let count = state.current.as_ref().map_or(0, |c| c.progress.len());
            state.layer = layer.filter(|l| *l < count);
            rebuild_model(state);
            vec![state.set_url(false)]
        }
        Msg::LayerModeChosen(mode) => {
            state.mode = mode;
            rebuild_model(state);
            vec![state.set_url(false)]
        }
        Msg::RowClicked(i) => {
            state.tree.click_row(i);
            vec![state.set_url(false)]
        }
        Msg::RowToggled(i) => {
            state.tree.toggle_row(i);
            Vec::new()
        }
        Msg::FilterChanged(text) => {
            state.tree.set_filter(&text);
            Vec::new()
        }
        Msg::SortChosen(sort) => {
            state.tree.set_sort(sort);
            Vec::new()
        }
        Msg::ShowToggled(class) => {
            state.tree.toggle_show(class);
            Vec::new()
        }
        Msg::Key(key) => {
            let before = state.tree.selected().map(<[u8]>::to_vec);
            let mut effects = state.tree.key(key);
            if state.tree.selected() != before.as_deref() {
                effects.push(state.set_url(false));
            }
            effects
        }
        Msg::TreeScrolled(row) => {
            state.tree.scrolled(row);
            Vec::new()
        }
        Msg::ViewportResized(rows) => {
            state.tree.resized(rows);
            Vec::new()
        }
        Msg::Resolved { load, result } => resolved(state, load, result),
        Msg::LayerProgress {
            load,
            progress: p,
            now_ms,
        } => {
            progress(state, load, p, now_ms);
            Vec::new()
        }
        Msg::LayerDone { load, report } => {
            if state.is_current(load) {
                if let Some(cur) = state.current.as_mut() {
                    if let Some(l) = cur.progress.get_mut(report.index) {
                        l.finished = true;
                    }
                    cur.reports.retain(|r| r.index != report.index);
                    cur.reports.push(*report);
                }
            }
            Vec::new()
        }
        Msg::ScanFinished { load } => scan_finished(state, load),
        Msg::Notice(text) => {
            state.notice = Some(cut(&text, MAX_INPUT));
            Vec::new()
        }
        Msg::CredentialsProvided { username, password } => {
            let Some(prompt) = state.auth.prompt.take() else {
                return Vec::new();
            };
            state
                .auth
                .saved
                .insert(prompt.registry, Credentials::new(username, password));
            match state.current.as_ref() {
                Some(cur) => {
                    let (reference, input) = (cur.reference.clone(), cur.input.clone());
                    start_load(state, reference, input)
                }
                None => Vec::new(),
            }
        }
        Msg::CredentialsCancelled => {
            state.auth.prompt = None;
            Vec::new()
        }
        Msg::ProxyBaseChanged(text) => {
            match normalize_base(&text) {
                Ok(base) => {
                    state.notice = Some(format!("Registry requests now go through {base}"));
                    state.proxy_base = base;
                }
                Err(e) => state.notice = Some(e.to_string()),
            }
            Vec::new()
        }
        Msg::CopyRequested(what) => copy(state, what),
        Msg::Library(m) => super::library::update_library(state, m),
        Msg::File(m) => super::file::update(state, m),
        Msg::DigestOpened(digest) => open_digest(state, &digest),
        Msg::Search(msg) => super::search::update(state, msg),
    }
}

/// A digest link in a raw document: a layer selects it, a platform of the
/// index switches to it, a document is brought into view, anything else of
/// the repository opens as `name@digest`. A digest the image does not know
/// does nothing (the page only links the ones it knows).
fn open_digest(state: &mut State, digest: &str) -> Vec<Effect> {
    use super::views::DigestTarget;
    match super::views::digest_target(state, digest) {
        Some(DigestTarget::Layer(i)) => {
            let mut effects = update(state, Msg::LayerSelected(Some(i)));
            effects.push(Effect::Reveal(Reveal::Layers));
            effects
        }
        Some(DigestTarget::Platform(p)) => update(state, Msg::PlatformChosen(p)),
        Some(DigestTarget::Document(d)) => vec![Effect::Reveal(match d {
            "index" => Reveal::Index,
            "manifest" => Reveal::Manifest,
            _ => Reveal::Config,
        })],
        Some(DigestTarget::Image(r)) => update(state, Msg::ReferenceSubmitted(r)),
        None => Vec::new(),
    }
}

/// The demo image's reference for a page served from `page_url`:
/// `HOST[:PORT]/demo:latest` on the page's own host, where `layerlens serve`
/// builds it in.
pub fn demo_reference(page_url: &str) -> Option<String> {
    let rest = page_url
        .strip_prefix("http://")
        .or_else(|| page_url.strip_prefix("https://"))?;
    let host = rest.split('/').next().filter(|h| !h.is_empty())?;
    Some(format!("{host}/demo:latest"))
}

fn copy(state: &mut State, what: CopyWhat) -> Vec<Effect> {
    let text = match what {
        CopyWhat::Link => format!("{}{}", state.page_url, state.route().to_query()),
        CopyWhat::PullCommand | CopyWhat::PinnedLink => {
            let Some(img) = state.current.as_ref().and_then(|c| c.image.as_ref()) else {
                return Vec::new();
            };
            let pinned = img.pinned();
            if what == CopyWhat::PullCommand {
                format!("docker pull {}", pinned.familiar_string())
            } else {
                let mut route = state.route();
                route.image = Some(pinned.familiar_string());
                format!("{}{}", state.page_url, route.to_query())
            }
        }
    };
    state.notice = Some("Copied to the clipboard".to_owned());
    vec![Effect::Copy(text)]
}
