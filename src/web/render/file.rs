//! The file viewer's section under the tree: content as text with line
//! numbers, hex or an image preview, the layer check, download, and links
//! to follow. File contents are hostile: they only ever become text nodes
//! (or an `<img>` loading a typed `blob:` URL of a raster image, an SVG
//! drawn as PNG first — never markup in the page, never an SVG document).

use std::rc::Weak;

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

use crate::app::file::unified::DiffLine;
use crate::app::file::{FileMsg, ShowAs};
use crate::app::views::{self, FileContentView, LinkView, Shown};
use crate::app::{Msg, State};
use crate::web::dom::{closest_attr, el, replace_children, El};
use crate::web::listen::Listener;
use crate::web::runtime::App;

use super::send;

/// What the head draws (the status line is updated on its own, so buttons
/// are not rebuilt under the pointer while the layer streams).
type HeadKey = (
    Option<LinkView>,
    Option<String>,
    Option<String>,
    Vec<(ShowAs, &'static str, bool)>,
    Option<(String, String)>,
);

pub(super) struct FileContent {
    pub(super) root: Element,
    head: Element,
    status: Element,
    body: Element,
    last: Option<Option<FileContentView>>,
    last_head: Option<HeadKey>,
    last_body: Option<(Option<Shown>, Option<String>)>,
}

fn show_word(s: ShowAs) -> &'static str {
    match s {
        ShowAs::Auto => "auto",
        ShowAs::Text => "text",
        ShowAs::Hex => "hex",
        ShowAs::Preview => "preview",
        ShowAs::Diff => "diff",
    }
}

impl FileContent {
    pub(super) fn build() -> Option<FileContent> {
        let head = el("div").class("file-head").build()?;
        let status = el("p").class("file-status").build()?;
        let body = el("div").class("file-body").build()?;
        let root = el("section")
            .attr("id", "file-content")
            .attr("aria-label", "File content")
            .attr("data-file-state", "none")
            .attr("hidden", "")
            .class("file-content")
            .build()?;
        let _ = root.append_child(&status);
        let _ = root.append_child(&head);
        let _ = root.append_child(&body);
        Some(FileContent {
            root,
            head,
            status,
            body,
            last: None,
            last_head: None,
            last_body: None,
        })
    }

    pub(super) fn listen(&self, app: &Weak<App>) -> Vec<Listener> {
        let a = app.clone();
        Listener::new(&self.root, "click", move |e| {
            if let Some((_, v)) = closest_attr(e.target(), "data-show") {
                let show = match v.as_str() {
                    "text" => ShowAs::Text,
                    "hex" => ShowAs::Hex,
                    "preview" => ShowAs::Preview,
                    "diff" => ShowAs::Diff,
                    _ => ShowAs::Auto,
                };
                send(&a, Msg::File(FileMsg::ShowAs(show)));
            } else if let Some((_, v)) = closest_attr(e.target(), "data-action") {
                let msg = match v.as_str() {
                    "follow" => FileMsg::Follow,
                    "open" => FileMsg::OpenTarget,
                    "download" => FileMsg::Download,
                    _ => return,
                };
                send(&a, Msg::File(msg));
            }
        })
        .into_iter()
        .collect()
    }

    pub(super) fn render(&mut self, state: &State) {
        let v = views::file_content(state);
        if self.last.as_ref() == Some(&v) {
            return;
        }
        match &v {
            None => {
                if let Some(h) = self.root.dyn_ref::<HtmlElement>() {
                    h.set_hidden(true);
                }
                let _ = self.root.set_attribute("data-file-state", "none");
                let _ = self.root.remove_attribute("data-path");
                replace_children(&self.head, []);
                replace_children(&self.body, []);
                self.status.set_text_content(None);
                self.last_head = None;
                self.last_body = None;
            }
            Some(v) => {
                // A directory or device: nothing to show here.
                let empty = v.hook == "none" && v.link.is_none() && v.notice.is_none();
                if let Some(h) = self.root.dyn_ref::<HtmlElement>() {
                    h.set_hidden(empty);
                }
                let _ = self.root.set_attribute("data-file-state", v.hook);
                let _ = self.root.set_attribute("data-path", &v.path);
                let head_key = (
                    v.link.clone(),
                    v.notice.clone(),
                    v.error.clone(),
                    v.modes.clone(),
                    v.download.clone(),
                );
                if self.last_head.as_ref() != Some(&head_key) {
                    replace_children(&self.head, head(v));
                    self.last_head = Some(head_key);
                }
                self.draw_status(v);
                let body_key = (v.shown.clone(), v.note.clone());
                if self.last_body.as_ref() != Some(&body_key) {
                    replace_children(&self.body, body(v));
                    if let Some(Shown::Image { id, mime }) = &v.shown {
                        if let Ok(Some(holder)) = self.body.query_selector(".preview") {
                            let alt = format!("Preview of {}", v.path);
                            crate::web::file::show_image(*id, mime, &holder, &alt);
                        }
                    }
                    self.last_body = Some(body_key);
                }
            }
        }
        self.last = Some(v);
    }
}

impl FileContent {
    fn draw_status(&self, v: &FileContentView) {
        if self.status.text_content().as_deref() != Some(v.status.as_str()) {
            self.status.set_text_content(Some(&v.status));
        }
        let class = match v.verified {
            Some(true) => "file-status ok",
            Some(false) => "file-status bad",
            None => "file-status muted",
        };
        self.status.set_class_name(class);
        match v.verified {
            Some(b) => {
                let _ = self
                    .status
                    .set_attribute("data-verified", if b { "true" } else { "false" });
            }
            None => {
                let _ = self.status.remove_attribute("data-verified");
            }
        }
        if let Some(h) = self.status.dyn_ref::<HtmlElement>() {
            h.set_hidden(v.status.is_empty());
        }
    }
}

fn head(v: &FileContentView) -> Vec<El> {
    let mut out = Vec::new();
    if let Some(l) = &v.link {
        let mut p = el("p")
            .class("file-link")
            .text(l.label)
            .text(" ")
            .child(el("code").class("mono").text(&l.target));
        match &l.resolved {
            Ok(r) => {
                if l.action == "Follow" && r != &l.target {
                    p = p.text(" → ").child(el("code").class("mono").text(r));
                }
                let action = if l.action == "Follow" {
                    "follow"
                } else {
                    "open"
                };
                p = p.text(" ").child(
                    el("button")
                        .attr("type", "button")
                        .attr("data-action", action)
                        .text(l.action),
                );
            }
            Err(e) => {
                p = p
                    .text(" ")
                    .child(el("span").class("bad").text(&format!("({e})")));
            }
        }
        out.push(p);
    }
    if let Some(n) = &v.versions {
        out.push(
            el("p")
                .class("muted mono")
                .attr("data-versions", "")
                .text(n),
        );
    }
    if let Some(n) = &v.notice {
        out.push(el("p").class("notice").attr("role", "status").text(n));
    }
    if let Some(e) = &v.error {
        out.push(el("p").class("error").attr("role", "alert").text(e));
    }
    if !v.modes.is_empty() || v.download.is_some() {
        let mut bar = el("div").class("file-tools").attr("role", "toolbar");
        for (show, label, pressed) in &v.modes {
            bar = bar.child(
                el("button")
                    .attr("type", "button")
                    .attr("data-show", show_word(*show))
                    .attr("aria-pressed", if *pressed { "true" } else { "false" })
                    .text(label),
            );
        }
        if let Some((name, size)) = &v.download {
            bar = bar.child(
                el("button")
                    .attr("type", "button")
                    .attr("data-action", "download")
                    .attr("title", &format!("Download {name}"))
                    .text(&format!("Download ({size})")),
            );
        }
        out.push(bar);
    }
    out
}

fn body(v: &FileContentView) -> Vec<El> {
    let mut out = Vec::new();
    if let Some(n) = &v.note {
        out.push(el("p").class("muted file-note").text(n));
    }
    match &v.shown {
        Some(Shown::Text(c)) => {
            let t = &c.0.text;
            out.push(
                el("div")
                    .class("listing")
                    .attr("tabindex", "0")
                    .attr("role", "region")
                    .attr("aria-label", "The file as text")
                    .child(
                        el("pre")
                            .class("gutter mono")
                            .attr("aria-hidden", "true")
                            .text(&t.gutter),
                    )
                    .child(el("pre").class("code mono").text(&t.body)),
            );
        }
        Some(Shown::Hex(c)) => {
            out.push(
                el("div")
                    .class("listing")
                    .attr("tabindex", "0")
                    .attr("role", "region")
                    .attr("aria-label", "The file in hex")
                    .child(el("pre").class("hex mono").text(&c.0.hex)),
            );
        }
        Some(Shown::Diff(d)) => {
            if let Some(lines) = d.as_ref() {
                out.push(
                    el("div")
                        .class("listing")
                        .attr("tabindex", "0")
                        .attr("role", "region")
                        .attr("aria-label", "What changed, as a unified diff")
                        .child(
                            el("pre")
                                .class("diff mono")
                                .attr("data-diff-view", "")
                                .children(lines.iter().map(|l| {
                                    let class = match l {
                                        DiffLine::Hunk(_) => "d-hunk",
                                        DiffLine::Same(_) => "d-same",
                                        DiffLine::Removed(_) => "d-del",
                                        DiffLine::Added(_) => "d-add",
                                    };
                                    el("span").class(class).text(&(l.text() + "\n"))
                                })),
                        ),
                );
            }
        }
        // Filled by `crate::web::file::show_image` once drawn.
        Some(Shown::Image { .. }) => out.push(el("div").class("preview")),
        None => {}
    }
    out
}
