//! The image view as a workbench: the tab strip (files, config, history,
//! wasted space, raw documents), the three panes of the files tab (layers,
//! tree, file), the key help, and the page's keys — dive's where they make
//! sense in a browser. What a key does to the state is decided in
//! `app::workbench` and `app::tree`; here keys become messages and focus
//! moves between panes.

use std::rc::Weak;

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, KeyboardEvent};

use crate::app::{ChangeClass, Key, Msg, State, Tab, WorkbenchMsg};
use crate::web::dom::{self, closest_attr, el};
use crate::web::listen::Listener;
use crate::web::runtime::App;

use super::send;

/// The keys, as the help lists them.
const KEYS: &[(&str, &str)] = &[
    (
        "Tab",
        "From the layers to the tree, from the tree to the file",
    ),
    ("↑ ↓ Home End", "Move through the layers or the tree"),
    (
        "← →",
        "Collapse or expand a directory; go to its parent or child",
    ),
    (
        "Space, Enter",
        "Collapse or expand a directory; open a file",
    ),
    ("PageUp PageDown", "Scroll the tree by a screen"),
    ("/", "Filter the tree (Escape clears it)"),
    ("Ctrl+A", "Show or hide added entries"),
    ("Ctrl+R", "Show or hide removed entries"),
    ("Ctrl+M", "Show or hide modified entries"),
    ("Ctrl+U", "Show or hide unmodified entries"),
    ("Ctrl+B", "Show or hide the file attributes (mode, owner)"),
    ("?", "Show or hide this help"),
];

/// The tab strip, the files tab's pane holder and the key help.
pub(super) struct Workbench {
    /// The tab strip and the key help's button.
    pub(super) tabs: Element,
    /// The files tab: the layers, tree and file panes side by side.
    pub(super) files: Element,
    /// The file pane (the selected entry and its content).
    pub(super) file_pane: Element,
    /// The key help.
    pub(super) help: Element,
    last: Option<(Tab, bool, bool)>,
}

impl Workbench {
    pub(super) fn build() -> Option<Workbench> {
        let strip = el("div")
            .attr("id", "tabs")
            .attr("role", "tablist")
            .attr("aria-label", "Image views")
            .children(Tab::ALL.into_iter().map(|t| {
                el("button")
                    .attr("type", "button")
                    .attr("role", "tab")
                    .attr("id", &format!("tab-{}", t.name()))
                    .attr("data-tab", t.name())
                    .attr("aria-controls", panel_id(t))
                    .text(t.label())
            }));
        let tabs = el("div")
            .class("tab-bar")
            .child(strip)
            .child(
                el("button")
                    .attr("type", "button")
                    .attr("id", "keys-button")
                    .attr("data-key-help", "")
                    .attr("aria-keyshortcuts", "?")
                    .class("keys-button")
                    .text("Keys ?"),
            )
            .build()?;
        let files = el("div")
            .attr("id", panel_id(Tab::Files))
            .attr("role", "tabpanel")
            .attr("aria-labelledby", "tab-files")
            .class("workbench")
            .build()?;
        let file_pane = el("section")
            .attr("id", "file-pane")
            .attr("aria-label", "File")
            .attr("tabindex", "0")
            .class("pane")
            .build()?;
        let help =
            el("div")
                .attr("id", "key-help")
                .attr("role", "dialog")
                .attr("aria-labelledby", "key-help-title")
                .attr("tabindex", "-1")
                .attr("hidden", "")
                .class("key-help")
                .child(el("h2").attr("id", "key-help-title").text("Keys"))
                .child(el("dl").children(KEYS.iter().flat_map(|(k, what)| {
                    [el("dt").child(el("kbd").text(k)), el("dd").text(what)]
                })))
                .child(
                    el("button")
                        .attr("type", "button")
                        .attr("data-key-help-close", "")
                        .text("Close"),
                )
                .build()?;
        Some(Workbench {
            tabs,
            files,
            file_pane,
            help,
            last: None,
        })
    }

    pub(super) fn listen(&self, app: &Weak<App>) -> Vec<Listener> {
        let mut out = Vec::new();
        let a = app.clone();
        out.extend(Listener::new(&self.tabs, "click", move |e| {
            if let Some((_, t)) = closest_attr(e.target(), "data-tab") {
                if let Some(tab) = Tab::parse(t.as_bytes()) {
                    send(&a, Msg::Workbench(WorkbenchMsg::TabChosen(tab)));
                }
            } else if closest_attr(e.target(), "data-key-help").is_some() {
                send(&a, Msg::Workbench(WorkbenchMsg::KeyHelp(None)));
            }
        }));
        let a = app.clone();
        out.extend(Listener::new(&self.tabs, "keydown", move |e| {
            // The tab strip's arrows (the ARIA tabs pattern).
            let Some(k) = e.dyn_ref::<KeyboardEvent>() else {
                return;
            };
            let Some((_, t)) = closest_attr(e.target(), "data-tab") else {
                return;
            };
            let Some(i) = Tab::ALL.iter().position(|x| x.name() == t) else {
                return;
            };
            let n = Tab::ALL.len();
            let next = match k.key().as_str() {
                "ArrowRight" => (i + 1) % n,
                "ArrowLeft" => (i + n - 1) % n,
                "Home" => 0,
                "End" => n - 1,
                _ => return,
            };
            e.prevent_default();
            let tab = Tab::ALL[next];
            send(&a, Msg::Workbench(WorkbenchMsg::TabChosen(tab)));
            focus(&format!("tab-{}", tab.name()));
        }));
        let a = app.clone();
        out.extend(Listener::new(&self.help, "click", move |e| {
            if closest_attr(e.target(), "data-key-help-close").is_some() {
                send(&a, Msg::Workbench(WorkbenchMsg::KeyHelp(Some(false))));
            }
        }));
        if let Some(d) = dom::document() {
            let a = app.clone();
            out.extend(Listener::new(&d, "keydown", move |e| {
                if let Some(k) = e.dyn_ref::<KeyboardEvent>() {
                    if !e.default_prevented() {
                        page_key(&a, k);
                    }
                }
            }));
        }
        out
    }

    /// Shows the chosen tab, the key help when open, and the tree's
    /// attribute columns when on.
    pub(super) fn render(&mut self, state: &State) {
        let w = &state.workbench;
        let now = (w.tab, w.key_help, w.attributes);
        if self.last == Some(now) {
            return;
        }
        let opened = w.key_help && !self.last.is_some_and(|l| l.1);
        for t in Tab::ALL {
            let chosen = t == w.tab;
            if let Some(b) = dom::by_id(&format!("tab-{}", t.name())) {
                let _ = b.set_attribute("aria-selected", if chosen { "true" } else { "false" });
                let _ = b.set_attribute("tabindex", if chosen { "0" } else { "-1" });
            }
            if let Some(p) = dom::by_id(panel_id(t)).and_then(|p| p.dyn_into::<HtmlElement>().ok())
            {
                p.set_hidden(!chosen);
            }
        }
        if let Some(h) = self.help.dyn_ref::<HtmlElement>() {
            h.set_hidden(!w.key_help);
            if opened {
                let _ = h.focus();
            }
        }
        if let Some(tree) = dom::by_id("tree") {
            let _ = tree
                .class_list()
                .toggle_with_force("no-attributes", !w.attributes);
        }
        self.last = Some(now);
    }
}

/// The element a tab shows.
fn panel_id(t: Tab) -> &'static str {
    match t {
        Tab::Files => "workbench",
        Tab::Config => "config",
        Tab::History => "history",
        Tab::Waste => "waste",
        Tab::Raw => "raw",
        Tab::Compare => "compare",
        Tab::Supply => "supply",
    }
}

fn focus(id: &str) {
    if let Some(e) = dom::by_id(id).and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
        let _ = e.focus();
    }
}

/// Whether the focus is in a field that takes typing.
fn typing(active: Option<&Element>) -> bool {
    let Some(a) = active else {
        return false;
    };
    match a.tag_name().as_str() {
        "TEXTAREA" | "SELECT" => true,
        "INPUT" => !matches!(
            a.get_attribute("type").as_deref(),
            Some("checkbox" | "radio" | "button" | "submit")
        ),
        _ => a
            .dyn_ref::<HtmlElement>()
            .is_some_and(HtmlElement::is_content_editable),
    }
}

/// A key pressed anywhere on the page (and not taken by the element it was
/// pressed in).
fn page_key(app: &Weak<App>, k: &KeyboardEvent) {
    let active = dom::document().and_then(|d| d.active_element());
    let help_open = dom::by_id("key-help")
        .and_then(|h| h.dyn_into::<HtmlElement>().ok())
        .is_some_and(|h| !h.hidden());
    let key = k.key();
    if help_open && key == "Escape" {
        k.prevent_default();
        send(app, Msg::Workbench(WorkbenchMsg::KeyHelp(Some(false))));
        return;
    }
    if typing(active.as_ref()) {
        return;
    }
    let image_shown = dom::by_id("image")
        .and_then(|i| i.dyn_into::<HtmlElement>().ok())
        .is_some_and(|i| !i.hidden());
    let within = |id: &str| {
        let pane = dom::by_id(id);
        pane.is_some()
            && active
                .as_ref()
                .is_some_and(|a| pane.as_ref().is_some_and(|p| p.contains(Some(a))))
    };
    if k.ctrl_key() || k.meta_key() {
        // dive's toggles, while the files have the focus (elsewhere the
        // browser keeps Ctrl+R, Ctrl+A…).
        if k.alt_key() || k.shift_key() || !image_shown || !within("workbench") {
            return;
        }
        let msg = match key.to_ascii_lowercase().as_str() {
            "a" => Msg::ShowToggled(ChangeClass::Added),
            "r" => Msg::ShowToggled(ChangeClass::Removed),
            "m" => Msg::ShowToggled(ChangeClass::Modified),
            "u" => Msg::ShowToggled(ChangeClass::Unmodified),
            "b" => Msg::Workbench(WorkbenchMsg::AttributesToggled),
            _ => return,
        };
        k.prevent_default();
        send(app, msg);
        return;
    }
    if k.alt_key() {
        return;
    }
    match key.as_str() {
        "?" => {
            k.prevent_default();
            send(app, Msg::Workbench(WorkbenchMsg::KeyHelp(None)));
        }
        "/" if image_shown => {
            k.prevent_default();
            send(app, Msg::Key(Key::Slash));
        }
        // Tab from the layers goes to the tree (past its toolbar, which
        // Shift+Tab and `/` reach); from the tree the next stop is the
        // file pane anyway.
        "Tab" if !k.shift_key() && image_shown && within("layers") => {
            k.prevent_default();
            focus("tree");
        }
        _ => {}
    }
}
