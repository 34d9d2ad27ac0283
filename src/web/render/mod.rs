//! Drawing the page from the state. The skeleton (forms, section
//! containers) is built once; each section is redrawn only when its view
//! value (`crate::app::views`) changed since the last frame. Events are
//! delegated: one listener per section reads the `data-*` attribute of the
//! element clicked, so rows and buttons carry no listeners of their own.

mod compare;
mod file;
mod image;
mod layers;
mod library;
mod raw;
mod search;
mod start;
mod status;
mod supply;
mod tree;
mod workbench;

use std::rc::Rc;

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

use crate::app::{Msg, State};

use super::dom::{self, el};
use super::listen::Listener;
use super::runtime::App;

/// Height of one tree row in CSS pixels (`.row` in style.css).
pub const ROW_HEIGHT: f64 = 24.0;

/// The page's elements and what was last drawn in each section.
pub struct Ui {
    start: start::Start,
    status: status::Status,
    image_box: Element,
    image: image::ImageSections,
    layers: layers::Layers,
    tree: tree::Tree,
    file: file::FileContent,
    raw: raw::Raw,
    search: search::Search,
    library: library::Library,
    workbench: workbench::Workbench,
    compare: compare::Compare,
    supply: supply::Supply,
    last_hook: &'static str,
    /// Work to do once the frame is drawn (focus an element that appears).
    pub after_render: Vec<Box<dyn FnOnce()>>,
}

/// A helper for handlers: the app, if the page is still alive.
pub(crate) fn send(app: &std::rc::Weak<App>, msg: Msg) {
    if let Some(a) = app.upgrade() {
        a.dispatch(msg);
    }
}

/// An input's current value.
pub(crate) fn input_value(id: &str) -> String {
    dom::by_id(id)
        .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
        .map(|i| i.value())
        .unwrap_or_default()
}

impl Ui {
    /// Builds the skeleton into `<main id="app">`: the start form, the
    /// status, the library, and the image view — a compact head (overview,
    /// platforms), the tab strip, and the tabs: the files workbench
    /// (layers, tree and file panes side by side), config, history, wasted
    /// space, raw documents.
    pub fn build() -> Option<Ui> {
        let main = dom::by_id("app")?;
        dom::clear(&main);
        let start = start::Start::build()?;
        let status = status::Status::build()?;
        let image_box = el("div").attr("id", "image").attr("hidden", "").build()?;
        let image = image::ImageSections::build()?;
        let layers = layers::Layers::build()?;
        let tree = tree::Tree::build()?;
        let file = file::FileContent::build()?;
        let raw = raw::Raw::build()?;
        let search = search::Search::build()?;
        let library = library::Library::build()?;
        let workbench = workbench::Workbench::build()?;
        let compare = compare::Compare::build()?;
        let supply = supply::Supply::build()?;
        let _ = workbench.file_pane.append_child(&tree.file);
        let _ = workbench.file_pane.append_child(&supply.owner);
        let _ = workbench.file_pane.append_child(&file.root);
        for pane in [&layers.root, &tree.root, &workbench.file_pane] {
            let _ = workbench.files.append_child(pane);
        }
        let head = el("div").class("image-head").build()?;
        let _ = head.append_child(&image.overview);
        let _ = head.append_child(&image.platforms);
        for section in [
            &image.config,
            &image.history,
            &image.waste,
            &raw.root,
            &compare.root,
            &supply.root,
        ] {
            let _ = section.set_attribute("role", "tabpanel");
            let _ = section.set_attribute("hidden", "");
            let _ = section.class_list().add_1("tab-panel");
        }
        for (section, tab) in [
            (&image.config, "tab-config"),
            (&image.history, "tab-history"),
            (&image.waste, "tab-waste"),
            (&raw.root, "tab-raw"),
            (&compare.root, "tab-compare"),
            (&supply.root, "tab-supply"),
        ] {
            let _ = section.set_attribute("aria-labelledby", tab);
        }
        // Panels of text alone take the focus, so their scrolling is
        // reachable by keyboard (the raw documents' summaries already are).
        for section in [&image.config, &image.history, &image.waste, &supply.root] {
            let _ = section.set_attribute("tabindex", "0");
        }
        for e in [
            &head,
            &workbench.tabs,
            &workbench.files,
            &image.config,
            &image.history,
            &image.waste,
            &raw.root,
            &compare.root,
            &supply.root,
        ] {
            let _ = image_box.append_child(e);
        }
        // The navigation joins the page's header (one line with the name
        // while an image is shown).
        match dom::document().and_then(|d| d.query_selector("body > header").ok().flatten()) {
            Some(header) => {
                let _ = header.append_child(&search.nav);
            }
            None => {
                let _ = main.append_child(&search.nav);
            }
        }
        for e in [
            &start.root,
            &status.root,
            &library.bar,
            &library.root,
            &image_box,
            &search.root,
            &workbench.help,
        ] {
            let _ = main.append_child(e);
        }
        Some(Ui {
            start,
            status,
            image_box,
            image,
            layers,
            tree,
            file,
            raw,
            search,
            library,
            workbench,
            compare,
            supply,
            last_hook: "",
            after_render: Vec::new(),
        })
    }

    /// Registers the page's listeners (owned by the caller).
    pub fn listen(&self, app: &Rc<App>) -> Vec<Listener> {
        let weak = Rc::downgrade(app);
        let mut out = Vec::new();
        out.extend(self.start.listen(&weak));
        out.extend(self.status.listen(&weak));
        out.extend(self.image.listen(&weak));
        out.extend(self.layers.listen(&weak));
        out.extend(self.tree.listen(&weak));
        out.extend(self.file.listen(&weak));
        out.extend(self.raw.listen(&weak));
        out.extend(self.search.listen(&weak));
        out.extend(self.library.listen(&weak));
        out.extend(self.workbench.listen(&weak));
        out.extend(self.compare.listen(&weak));
        out.extend(self.supply.listen(&weak));
        if let Some(w) = web_sys::window() {
            let a = weak.clone();
            out.extend(Listener::new(&w, "popstate", move |_| {
                let query = web_sys::window()
                    .and_then(|w| w.location().search().ok())
                    .unwrap_or_default();
                send(&a, Msg::RouteChanged { query });
            }));
            let a = weak.clone();
            out.extend(Listener::new(&w, "resize", move |_| {
                if let Some(rows) = tree::viewport_rows() {
                    send(&a, Msg::ViewportResized(rows));
                }
            }));
        }
        out
    }

    /// Draws the state; returns messages the drawing itself produced (the
    /// tree's viewport measured once it is visible).
    pub fn render(&mut self, state: &State) -> Vec<Msg> {
        // Layout is read before anything is written this frame: read after
        // a write, it would force the browser to lay the page out at once.
        let tree_scroll = self.tree.scroll_top();
        let viewport = tree::viewport_rows();
        self.tree.scroll(state, tree_scroll, viewport.is_some());
        let hook = crate::app::search::hook(state).unwrap_or(state.phase.hook());
        if hook != self.last_hook {
            if let Some(body) = dom::document().and_then(|d| d.body()) {
                body.dataset().set("state", hook).ok();
            }
            self.last_hook = hook;
        }
        // The search pages replace the image page while shown.
        let searching = state.search.page.is_some();
        search::show(&self.start.root, !searching);
        search::show(&self.status.root, !searching);
        self.search.render(state);
        self.start.render(state);
        self.status.render(state);
        self.library.render(state);
        let has_image =
            crate::app::views::overview(state).is_some() && !searching && !state.library.page;
        if let Some(h) = self.image_box.dyn_ref::<HtmlElement>() {
            if h.hidden() == has_image {
                h.set_hidden(!has_image);
            }
        }
        self.image.render(state);
        self.layers.render(state);
        let mut follow = Vec::new();
        if has_image {
            // Shown only now: measured now (once, as the image appears).
            let viewport = viewport.or_else(tree::viewport_rows);
            if let Some(rows) = viewport {
                if rows != state.tree.viewport_rows() {
                    follow.push(Msg::ViewportResized(rows));
                }
            }
        }
        self.tree.render(state);
        self.file.render(state);
        self.raw.render(state);
        self.compare.render(state);
        self.supply.render(state);
        self.workbench.render(state);
        follow
    }
}
