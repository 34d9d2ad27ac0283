//! `update(&mut State, Msg) -> Vec<Effect>`: the only way the page's state
//! changes. Pure: the shell performs the effects and feeds results back in
//! as messages. It dispatches: the load lifecycle to [`super::load`], the
//! file viewer, library and search pages to their own updaters, whose
//! typed follow-up ([`Next`]) it then carries out.

use crate::oci::{Platform, Reference};
use crate::registry::Credentials;

use super::compare;
use super::errors::invalid_reference;
use super::load::{self, cancel, rebuild_model, show_again, start_load};
use super::msg::{CopyWhat, Effect, Focus, Msg, Next, Pause, Reveal};
use super::proxy::normalize_base;
use super::route::{LayerMode, Route};
use super::state::{Phase, State, MAX_INPUT};
use super::text::cut;
use super::tree::FILTER_PAUSE_MS;
use super::workbench::{Tab, WorkbenchMsg};

/// How long keys moving the selection must rest before the address
/// follows ([`Pause::Url`]): longer than a held key's repeat
/// interval (about 33 ms) and a quick typist's gap between presses.
pub const URL_PAUSE_MS: u32 = 250;

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

/// A new image opens on its files, whole, with nothing selected and
/// nothing compared.
fn fresh_view(state: &mut State) -> Vec<Effect> {
    let effects = super::compare::reset(state);
    state.compare = None;
    state.library.page = false;
    state.platform = None;
    state.layer = None;
    state.mode = LayerMode::UpTo;
    state.workbench.tab = Default::default();
    state.pending_path = None;
    state.tree.reset_view();
    effects
}

/// An archive chosen from the person's own machine: read in place by the
/// shell, through the same client and checks as a registry's images.
/// `image` picks one of an archive that holds several.
fn open_file(
    state: &mut State,
    id: u32,
    name: String,
    image: Option<crate::oci::Digest>,
) -> Vec<Effect> {
    let name = cut(name.trim(), 255);
    let mut effects = fresh_view(state);
    state.search.page = None;
    state.auth.prompt = None;
    state.notice = None;
    state.archive = Some((id, name.clone()));
    state.archive_image = image;
    state.archive_choices.clear();
    let repository = crate::archive::repository_for_file(&name);
    let reference = match Reference::parse_normalized(&repository) {
        Ok(r) => r,
        Err(e) => {
            state.phase = Phase::Error(invalid_reference(&repository, &e));
            return Vec::new();
        }
    };
    effects.extend(start_load(state, reference, name));
    effects.push(state.set_url(true));
    effects
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
    state.archive = None;
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
    state.workbench.tab = route.tab;
    let mut effects = compare_route(state, &route);
    if same_image && same_platform {
        show_again(state, route.path.as_deref());
        effects.extend(super::compare::start(state));
        return effects;
    }
    state.platform = route.platform;
    if !same_image {
        state.tree.reset_view();
    }
    state.pending_path = route.path;
    effects.extend(open_reference(state, &image, false));
    // The link already says this; no history entry for it.
    effects.retain(|e| !matches!(e, Effect::SetUrl { .. }));
    effects
}

/// The comparison a link names: kept when it is the one asked for already,
/// else asked for anew (or dropped).
fn compare_route(state: &mut State, route: &Route) -> Vec<Effect> {
    let same = match (&state.compare, &route.compare) {
        (Some(c), Some(input)) => c.input == *input && c.platform == route.compare_platform,
        (None, None) => true,
        _ => false,
    };
    if same {
        return Vec::new();
    }
    let effects = super::compare::reset(state);
    state.compare = None;
    if let Some(input) = &route.compare {
        super::compare::set(state, input.clone(), route.compare_platform.clone());
        if let Some(c) = state.compare.as_mut() {
            c.reveal = route.path.clone();
        }
    }
    rebuild_model(state);
    effects
}

/// Handles one message; returns what the shell must do.
pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    let mut effects = handle(state, msg);
    super::file::sync(state, &mut effects);
    effects.extend(super::supply::sync(state));
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
            let mut effects = fresh_view(state);
            state.archive = None;
            effects.extend(open_reference(state, &text, true));
            effects
        }
        Msg::FileChosen { id, name } => open_file(state, id, name, None),
        Msg::ArchiveImages { load, images } => {
            if state.is_current(load) {
                state.archive_choices = images;
                state.phase = Phase::Idle;
            }
            Vec::new()
        }
        Msg::ArchiveImageChosen(digest) => {
            let Some((id, name)) = state.archive.clone() else {
                return Vec::new();
            };
            open_file(state, id, name, Some(digest))
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
        Msg::FilterChanged(text) => match state.tree.type_filter(&text) {
            Some(generation) => vec![Effect::Later {
                pause: Pause::Filter(generation),
                after_ms: FILTER_PAUSE_MS,
            }],
            None => Vec::new(),
        },
        Msg::Elapsed(Pause::Filter(generation)) => {
            state.tree.filter_settled(generation);
            Vec::new()
        }
        Msg::Elapsed(Pause::Url(generation)) if generation == state.url_later => {
            vec![state.set_url(false)]
        }
        Msg::Elapsed(Pause::Url(_)) => Vec::new(),
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
                state.url_later += 1;
                effects.push(Effect::Later {
                    pause: Pause::Url(state.url_later),
                    after_ms: URL_PAUSE_MS,
                });
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
        Msg::Resolved { load, result } if compare::owns(state, load) => {
            compare::resolved(state, load, result)
        }
        Msg::Resolved { load, result } => load::resolved(state, load, result),
        Msg::LayerProgress {
            load,
            progress: p,
            now_ms,
        } => {
            if compare::owns(state, load) {
                compare::progress(state, load, p, now_ms);
            } else {
                load::progress(state, load, p, now_ms);
            }
            Vec::new()
        }
        Msg::LayerDone { load, report } => {
            if compare::owns(state, load) {
                compare::layer_done(state, load, *report);
            } else {
                load::layer_done(state, load, *report);
            }
            Vec::new()
        }
        Msg::ScanFinished { load } if compare::owns(state, load) => {
            compare::scan_finished(state, load)
        }
        Msg::ScanFinished { load } => match load::scan_finished(state, load) {
            Some(mut effects) => {
                effects.extend(super::library::loaded(state, load));
                effects.extend(compare::start(state));
                effects
            }
            None => Vec::new(),
        },
        Msg::Compare(m) => compare::update(state, m),
        Msg::Supply(m) => super::supply::update(state, m),
        Msg::SupplyFound { load, found } => super::supply::found(state, load, *found),
        Msg::Workbench(m) => super::workbench::update(state, m),
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
        Msg::VerifyFullyChosen(on) => {
            state.verify_fully = on;
            vec![Effect::SaveVerifyFully(on)]
        }
        Msg::VerifyListedLayers => load::verify_listed(state),
        Msg::ThemeChosen(theme) => {
            state.theme = theme;
            vec![Effect::SaveTheme(theme)]
        }
        Msg::CopyRequested(what) => copy(state, what),
        Msg::Library(m) => {
            let (effects, next) = super::library::update_library(state, m);
            follow(state, effects, next)
        }
        Msg::File(m) => super::file::update(state, m),
        Msg::DigestOpened(digest) => open_digest(state, &digest),
        Msg::Search(msg) => {
            let (effects, next) = super::search::update(state, msg);
            follow(state, effects, next)
        }
    }
}

/// A child updater's follow-up, after its own `effects`.
fn follow(state: &mut State, mut effects: Vec<Effect>, next: Next) -> Vec<Effect> {
    let msg = match next {
        Next::None => return effects,
        Next::Open(reference) => Msg::ReferenceSubmitted(reference),
        Next::Route(query) => Msg::RouteChanged { query },
        Next::ScanFinished(load) => Msg::ScanFinished { load },
    };
    effects.extend(update(state, msg));
    effects
}

/// A digest link in a raw document: a layer selects it, a platform of the
/// index switches to it, a document is brought into view, anything else of
/// the repository opens as `name@digest`. A digest the image does not know
/// does nothing (the page only links the ones it knows).
fn open_digest(state: &mut State, digest: &str) -> Vec<Effect> {
    use super::views::DigestTarget;
    match super::views::digest_target(state, digest) {
        Some(DigestTarget::Layer(i)) => {
            state.workbench.tab = Tab::Files;
            let mut effects = update(state, Msg::LayerSelected(Some(i)));
            effects.push(Effect::Reveal(Reveal::Layers));
            effects
        }
        Some(DigestTarget::Platform(p)) => update(state, Msg::PlatformChosen(p)),
        Some(DigestTarget::Document(d)) => {
            let mut effects = update(state, Msg::Workbench(WorkbenchMsg::TabChosen(Tab::Raw)));
            effects.push(Effect::Reveal(match d {
                "index" => Reveal::Index,
                "manifest" => Reveal::Manifest,
                _ => Reveal::Config,
            }));
            effects
        }
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
                // A comparison pins both sides.
                if let Some(b) = state
                    .compare
                    .as_ref()
                    .and_then(|c| c.side.as_ref()?.image.as_ref())
                {
                    route.compare = Some(b.pinned().familiar_string());
                }
                format!("{}{}", state.page_url, route.to_query())
            }
        }
    };
    state.notice = Some("Copied to the clipboard".to_owned());
    vec![Effect::Copy(text)]
}
