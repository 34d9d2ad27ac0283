//! The Compare tab: a form naming the image to compare with, the summary
//! (`[data-diff-summary]` with `data-added`, `data-removed`,
//! `data-modified`), the config side by side and the layers aligned by
//! diff_id. Everything from the images is text nodes.

use std::rc::Weak;

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlInputElement};

use crate::app::views::{self, CompareStatus, CompareView};
use crate::app::{CompareMsg, Msg, State};
use crate::web::dom::{self, closest_attr, el, replace_children, El};
use crate::web::listen::Listener;
use crate::web::runtime::App;

use super::send;

pub(super) struct Compare {
    pub(super) root: Element,
    form: Element,
    input: HtmlInputElement,
    body: Element,
    last: Option<CompareView>,
}

impl Compare {
    pub(super) fn build() -> Option<Compare> {
        let input: HtmlInputElement = el("input")
            .attr("id", "compare-input")
            .attr("type", "text")
            .attr("name", "compare")
            .attr("spellcheck", "false")
            .attr("autocomplete", "off")
            .attr("placeholder", "another image, e.g. alpine:3.20")
            .class("mono")
            .build()?
            .dyn_into()
            .ok()?;
        let form = el("form")
            .attr("id", "compare-form")
            .class("row-form")
            .child(
                el("label")
                    .attr("for", "compare-input")
                    .text("Compare this image with "),
            )
            .build()?;
        let _ = form.append_child(&input);
        for e in [
            el("button").attr("type", "submit").text("Compare"),
            el("button")
                .attr("type", "button")
                .attr("data-compare-clear", "")
                .text("Stop comparing"),
        ] {
            if let Some(b) = e.build() {
                let _ = form.append_child(&b);
            }
        }
        let body = el("div").attr("id", "compare-body").build()?;
        let root = el("section")
            .attr("id", "compare")
            .attr("aria-label", "Compare")
            .child(el("h3").text("Compare"))
            .build()?;
        let _ = root.append_child(&form);
        let _ = root.append_child(&body);
        Some(Compare {
            root,
            form,
            input,
            body,
            last: None,
        })
    }

    pub(super) fn listen(&self, app: &Weak<App>) -> Vec<Listener> {
        let mut out = Vec::new();
        let a = app.clone();
        let input = self.input.clone();
        out.extend(Listener::new(&self.form, "submit", move |e| {
            e.prevent_default();
            send(&a, Msg::Compare(CompareMsg::With(input.value())));
        }));
        let a = app.clone();
        out.extend(Listener::new(&self.form, "click", move |e| {
            if closest_attr(e.target(), "data-compare-clear").is_some() {
                send(&a, Msg::Compare(CompareMsg::Clear));
            }
        }));
        out
    }

    pub(super) fn render(&mut self, state: &State) {
        let v = views::compare(state);
        if self.last.as_ref() == Some(&v) {
            return;
        }
        let focused = dom::document()
            .and_then(|d| d.active_element())
            .is_some_and(|a| self.input.is_same_node(Some(&a)));
        if !focused && self.input.value() != v.input {
            self.input.set_value(&v.input);
        }
        replace_children(&self.body, body(&v));
        self.last = Some(v);
    }
}

fn values(v: &[String]) -> El {
    if v.is_empty() {
        return el("span").class("muted").text("–");
    }
    el("ul")
        .class("values mono")
        .children(v.iter().map(|x| el("li").text(x)))
}

fn body(v: &CompareView) -> Vec<El> {
    let mut out = Vec::new();
    match &v.status {
        CompareStatus::None => {
            out.push(el("p").class("muted").text(
                "Name another image (or press ⇄ beside a platform of an index) to see what it \
                 adds, removes and modifies against this one.",
            ));
            return out;
        }
        CompareStatus::Loading(done, total) => {
            let text = if *total == 0 {
                format!("Loading {}…", v.b_name)
            } else {
                format!("Loading {}: {done} of {total} layers…", v.b_name)
            };
            out.push(
                el("p")
                    .attr("data-compare-status", "loading")
                    .attr("role", "status")
                    .text(&text),
            );
            return out;
        }
        CompareStatus::Failed(e) => {
            out.push(
                el("div")
                    .attr("data-compare-status", "error")
                    .child(el("p").text(&format!("Cannot compare with {}:", v.b_name)))
                    .child(super::status::error_box(e, "error")),
            );
            return out;
        }
        CompareStatus::Done => {}
    }
    if let Some(s) = &v.summary {
        out.push(
            el("p")
                .attr("data-diff-summary", "")
                .attr("data-added", &s.added.to_string())
                .attr("data-removed", &s.removed.to_string())
                .attr("data-modified", &s.modified.to_string())
                .attr("data-compare-status", "done")
                .class("diff-summary")
                .child(el("strong").class("mono").text(&v.b_name))
                .child(el("span").text(&format!(" against {}: ", v.a_name)))
                .child(
                    el("span")
                        .class("added")
                        .text(&format!("+{} added", s.added)),
                )
                .child(el("span").text(", "))
                .child(
                    el("span")
                        .class("removed-count")
                        .text(&format!("-{} removed", s.removed)),
                )
                .child(el("span").text(", "))
                .child(
                    el("span")
                        .class("modified")
                        .text(&format!("~{} modified", s.modified)),
                )
                .child(el("span").text(&format!(
                    "; +{} −{} bytes of files; {} config fields differ; {}",
                    s.bytes_added, s.bytes_removed, s.config_changed, s.shared
                ))),
        );
    }
    out.push(el("h4").text("Config"));
    out.push(
        el("table")
            .attr("id", "compare-config")
            .class("compare-table")
            .child(
                el("thead").child(
                    el("tr")
                        .child(el("th").attr("scope", "col").text("Field"))
                        .child(el("th").attr("scope", "col").text(&v.a_name))
                        .child(el("th").attr("scope", "col").text(&v.b_name)),
                ),
            )
            .child(el("tbody").children(v.config.iter().map(|r| {
                el("tr")
                    .attr("data-field", r.name)
                    .attr("data-differs", if r.differs { "true" } else { "false" })
                    .class(if r.differs { "differs" } else { "" })
                    .child(el("th").attr("scope", "row").text(r.name))
                    .child(el("td").child(values(&r.a)))
                    .child(el("td").child(values(&r.b)))
            }))),
    );
    out.push(el("h4").text("Layers, aligned by diff_id"));
    out.push(
        el("table")
            .attr("id", "compare-layers")
            .class("compare-table")
            .child(
                el("thead").child(
                    el("tr")
                        .child(el("th").attr("scope", "col").text(&v.a_name))
                        .child(el("th").attr("scope", "col").text(&v.b_name))
                        .child(el("th").attr("scope", "col").text("diff_id")),
                ),
            )
            .child(el("tbody").children(v.layers.iter().map(|r| {
                el("tr")
                    .attr("data-relation", r.relation)
                    .class(r.relation)
                    .child(el("td").class("mono").text(&r.a))
                    .child(el("td").class("mono").text(&r.b))
                    .child(el("td").class("mono").text(&r.diff_id))
            }))),
    );
    out
}
