//! The first thing on the page: the reference input and "Inspect", the
//! images inspected recently (in memory), and the proxy setting.

use std::rc::Weak;

use wasm_bindgen::JsCast;
use web_sys::{DragEvent, Element, HtmlInputElement, HtmlSelectElement};

use crate::app::{Msg, State, Theme};
use crate::web::dom::{self, closest_attr, el, replace_children};
use crate::web::listen::Listener;
use crate::web::runtime::App;

use super::{input_value, send};

pub(super) struct Start {
    pub(super) root: Element,
    form: Element,
    input: HtmlInputElement,
    recent: Element,
    proxy_save: Element,
    file: HtmlInputElement,
    folder: HtmlInputElement,
    proxy_input: HtmlInputElement,
    verify_fully: HtmlInputElement,
    theme: HtmlSelectElement,
    last_theme: Option<Theme>,
    last_recent: Vec<String>,
    last_proxy: String,
}

const PLACEHOLDER: &str = "alpine:3.20 · ghcr.io/org/app:v1 · 127.0.0.1:5000/team/api@sha256:…";

/// A visually hidden file input (a folder picker when `folder`) and its
/// label, styled as a button, appended to `parent`; a folder picker the
/// browser does not have is left out of the page.
fn file_input(
    parent: &Element,
    id: &str,
    label: &str,
    title: &str,
    folder: bool,
) -> Option<HtmlInputElement> {
    let input: HtmlInputElement = el("input")
        .attr("type", "file")
        .attr("id", id)
        .attr_opt("webkitdirectory", folder.then_some(""))
        .class("visually-hidden")
        .build()?
        .dyn_into()
        .ok()?;
    if folder && !js_sys::Reflect::has(&input, &"webkitdirectory".into()).unwrap_or(false) {
        return Some(input);
    }
    let label = el("label")
        .attr("for", id)
        .attr("title", title)
        .text(label)
        .build()?;
    let _ = parent.append_child(&label);
    let _ = parent.append_child(&input);
    Some(input)
}

impl Start {
    pub(super) fn build() -> Option<Start> {
        let input = el("input")
            .attr("id", "ref")
            .attr("name", "ref")
            .attr("type", "text")
            .attr("autocomplete", "off")
            .attr("autocapitalize", "off")
            .attr("spellcheck", "false")
            .attr("placeholder", PLACEHOLDER)
            .attr("aria-label", "Image reference")
            .class("mono")
            .build()?;
        let form = el("form")
            .attr("id", "inspect-form")
            .attr("role", "search")
            .build()?;
        let _ = form.append_child(&input);
        let button = el("button")
            .attr("id", "inspect")
            .attr("type", "submit")
            .text("Inspect")
            .build()?;
        let _ = form.append_child(&button);
        let recent = el("div").attr("id", "recent").class("recent").build()?;
        let proxy_input = el("input")
            .attr("id", "proxy-base")
            .attr("type", "text")
            .attr("spellcheck", "false")
            .class("mono")
            .build()?;
        let proxy_save = el("button")
            .attr("id", "proxy-save")
            .attr("type", "button")
            .text("Use this proxy")
            .build()?;
        let settings = el("details")
            .attr("id", "settings")
            .child(el("summary").text("Settings"))
            .build()?;
        let label = el("label")
            .attr("for", "proxy-base")
            .text("Registry proxy (this origin's /proxy/ by default)")
            .build()?;
        for e in [&label, &proxy_input, &proxy_save] {
            let _ = settings.append_child(e);
        }
        let verify_fully = el("input")
            .attr("id", "verify-fully-setting")
            .attr("type", "checkbox")
            .build()?;
        let verify_label = el("label")
            .class("setting")
            .text(
                " Always verify every layer fully: download each blob and check its digest and \
                 diff_id, even when a table of contents (zstd:chunked, eStargz) could list it \
                 from a small part of the blob",
            )
            .build()?;
        let _ = verify_label.insert_before(&verify_fully, verify_label.first_child().as_ref());
        let _ = settings.append_child(&verify_label);
        let theme = el("select")
            .attr("id", "theme-setting")
            .children(
                [
                    (Theme::System, "Follow the system"),
                    (Theme::Light, "Light"),
                    (Theme::Dark, "Dark"),
                ]
                .into_iter()
                .map(|(t, label)| el("option").attr("value", t.name()).text(label)),
            )
            .build()?;
        let theme_label = el("label")
            .class("setting")
            .attr("for", "theme-setting")
            .text("Theme ")
            .build()?;
        let _ = theme_label.append_child(&theme);
        let _ = settings.append_child(&theme_label);
        // An archive on the person's machine (chosen here, or dropped
        // anywhere on the page), or a layout folder (`skopeo copy … oci:DIR`)
        // where the browser has a folder picker; read in place, never
        // uploaded.
        let open = el("div").class("open-file").build()?;
        let file = file_input(
            &open,
            "open-file",
            "Open a file…",
            "A docker save or OCI archive (.tar), read in this browser, never uploaded",
            false,
        )?;
        let folder = file_input(
            &open,
            "open-folder",
            "Open a layout folder…",
            "An OCI image layout folder (index.json, blobs/), read in this browser, never uploaded",
            true,
        )?;
        let root = el("section")
            .attr("id", "start")
            .attr("aria-label", "Inspect an image")
            .build()?;
        for e in [&form, &open, &recent, &settings] {
            let _ = root.append_child(e);
        }
        Some(Start {
            root,
            form,
            input: input.dyn_into().ok()?,
            recent,
            proxy_save,
            file,
            folder,
            proxy_input: proxy_input.dyn_into().ok()?,
            verify_fully: verify_fully.dyn_into().ok()?,
            theme: theme.dyn_into().ok()?,
            last_theme: None,
            last_recent: vec![String::from("\u{0}")],
            last_proxy: String::new(),
        })
    }

    pub(super) fn listen(&self, app: &Weak<App>) -> Vec<Listener> {
        let mut out = Vec::new();
        let a = app.clone();
        out.extend(Listener::new(&self.form, "submit", move |e| {
            e.prevent_default();
            send(&a, Msg::ReferenceSubmitted(input_value("ref")));
        }));
        let a = app.clone();
        out.extend(Listener::new(&self.input, "input", move |_| {
            send(&a, Msg::InputChanged(input_value("ref")));
        }));
        let a = app.clone();
        out.extend(Listener::new(&self.recent, "click", move |e| {
            if closest_attr(e.target(), "data-demo").is_some() {
                send(&a, Msg::DemoRequested);
            } else if let Some((_, i)) = closest_attr(e.target(), "data-recent") {
                if let Ok(i) = i.parse() {
                    send(&a, Msg::RecentChosen(i));
                }
            }
        }));
        let a = app.clone();
        out.extend(Listener::new(&self.proxy_save, "click", move |_| {
            send(&a, Msg::ProxyBaseChanged(input_value("proxy-base")));
        }));
        let a = app.clone();
        let select = self.theme.clone();
        out.extend(Listener::new(&self.theme, "change", move |_| {
            send(&a, Msg::ThemeChosen(Theme::parse(&select.value())));
        }));
        let a = app.clone();
        let input = self.file.clone();
        out.extend(Listener::new(&self.file, "change", move |_| {
            if let (Some(app), Some(f)) = (a.upgrade(), input.files().and_then(|l| l.get(0))) {
                app.open_file(f);
            }
            // The same file chosen again is a change too.
            input.set_value("");
        }));
        let a = app.clone();
        let input = self.folder.clone();
        out.extend(Listener::new(&self.folder, "change", move |_| {
            let Some(list) = input.files() else {
                return;
            };
            let files: Vec<web_sys::File> =
                (0..list.length()).filter_map(|i| list.get(i)).collect();
            // The folder's name: the first part of any file's relative path.
            let name = files
                .first()
                .and_then(|f| js_sys::Reflect::get(f, &"webkitRelativePath".into()).ok())
                .and_then(|v| v.as_string())
                .and_then(|p| p.split('/').next().map(str::to_owned))
                .unwrap_or_else(|| "layout".to_owned());
            if let Some(app) = a.upgrade() {
                app.open_folder(name, files);
            }
            input.set_value("");
        }));
        if let Some(d) = dom::document() {
            // A file dragged over the page may be dropped on it.
            out.extend(Listener::new(&d, "dragover", move |e| {
                let files = e
                    .dyn_ref::<DragEvent>()
                    .and_then(DragEvent::data_transfer)
                    .is_some_and(|t| t.types().includes(&"Files".into(), 0));
                if files {
                    e.prevent_default();
                }
            }));
            let a = app.clone();
            out.extend(Listener::new(&d, "drop", move |e| {
                let file = e
                    .dyn_ref::<DragEvent>()
                    .and_then(DragEvent::data_transfer)
                    .and_then(|t| t.files())
                    .and_then(|l| l.get(0));
                if let (Some(app), Some(f)) = (a.upgrade(), file) {
                    e.prevent_default();
                    app.open_file(f);
                }
            }));
        }
        let a = app.clone();
        let checkbox = self.verify_fully.clone();
        out.extend(Listener::new(&self.verify_fully, "change", move |_| {
            send(&a, Msg::VerifyFullyChosen(checkbox.checked()));
        }));
        out
    }

    pub(super) fn render(&mut self, state: &State) {
        let focused = dom::document()
            .and_then(|d| d.active_element())
            .is_some_and(|a| self.input.is_same_node(Some(&a)));
        if !focused && self.input.value() != state.input {
            self.input.set_value(&state.input);
        }
        if self.last_theme != Some(state.theme) {
            // The theme lives on <html>, where the style sheet reads it.
            if let Some(root) = dom::document().and_then(|d| d.document_element()) {
                let _ = root.set_attribute("data-theme", state.theme.name());
            }
            self.theme.set_value(state.theme.name());
            self.last_theme = Some(state.theme);
        }
        if self.verify_fully.checked() != state.verify_fully {
            self.verify_fully.set_checked(state.verify_fully);
        }
        if self.last_proxy != state.proxy_base {
            self.proxy_input.set_value(&state.proxy_base);
            self.last_proxy = state.proxy_base.clone();
        }
        if self.last_recent != state.recent {
            let items = state.recent.iter().enumerate().map(|(i, r)| {
                el("button")
                    .attr("type", "button")
                    .attr("data-recent", &i.to_string())
                    .class("chip mono")
                    .text(r)
            });
            // The demo comes first: it works with no network at all.
            let demo = el("button")
                .attr("id", "demo")
                .attr("data-demo", "")
                .attr("type", "button")
                .class("chip")
                .text("Try the demo image");
            let label =
                (!state.recent.is_empty()).then(|| el("span").class("muted").text("Recent:"));
            replace_children(
                &self.recent,
                std::iter::once(demo).chain(label).chain(items),
            );
            self.last_recent = state.recent.clone();
        }
    }
}
