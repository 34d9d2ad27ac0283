//! The image library's sections: the images page (`#library`: filter,
//! format, digests, the table with its row actions, tag and prune, the
//! action report and the copyable `docker image ls` text) and the bar over
//! an image reopened from the library (`#library-bar`, with "Refresh").
//! Text nodes only: repository names and labels come from registries.

use std::rc::Weak;

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, HtmlInputElement};

use crate::app::library::LibraryMsg;
use crate::app::views::{self, LibraryBar, LibraryView};
use crate::app::{Msg, State};
use crate::web::dom::{self, closest_attr, el, replace_children, El};
use crate::web::listen::Listener;
use crate::web::runtime::App;

use super::{input_value, send};

fn lib(app: &Weak<App>, m: LibraryMsg) {
    send(app, Msg::Library(m));
}

pub(super) struct Library {
    pub(super) root: Element,
    pub(super) bar: Element,
    filter: HtmlInputElement,
    format: HtmlInputElement,
    digests: HtmlInputElement,
    keep: HtmlInputElement,
    kept: Element,
    tag_source: HtmlInputElement,
    tag_target: HtmlInputElement,
    store: Element,
    errors: Element,
    table: Element,
    report: Element,
    text: Element,
    last: Option<LibraryView>,
    last_bar: Option<Option<LibraryBar>>,
}

fn input(id: &str, label: &str, placeholder: &str) -> Option<HtmlInputElement> {
    el("input")
        .attr("id", id)
        .attr("type", "text")
        .attr("spellcheck", "false")
        .attr("autocomplete", "off")
        .attr("aria-label", label)
        .attr("placeholder", placeholder)
        .class("mono")
        .build()?
        .dyn_into()
        .ok()
}

fn set_if_idle(input: &HtmlInputElement, value: &str) {
    let focused = dom::document()
        .and_then(|d| d.active_element())
        .is_some_and(|a| input.is_same_node(Some(&a)));
    if !focused && input.value() != value {
        input.set_value(value);
    }
}

fn set_hidden(e: &Element, hidden: bool) {
    if let Some(h) = e.dyn_ref::<HtmlElement>() {
        if h.hidden() != hidden {
            h.set_hidden(hidden);
        }
    }
}

impl Library {
    pub(super) fn build() -> Option<Library> {
        let filter = input(
            "lib-filter",
            "Filter (docker image ls --filter)",
            "dangling=true  reference=app:*  label=KEY=VALUE  before=IMAGE  since=IMAGE",
        )?;
        let format = input(
            "lib-format",
            "Format (docker image ls --format)",
            "table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}  ·  {{.Repository}}:{{.Tag}}: {{.Size}}",
        )?;
        let digests: HtmlInputElement = el("input")
            .attr("id", "lib-digests")
            .attr("type", "checkbox")
            .build()?
            .dyn_into()
            .ok()?;
        let keep: HtmlInputElement = el("input")
            .attr("id", "lib-keep")
            .attr("type", "checkbox")
            .build()?
            .dyn_into()
            .ok()?;
        let kept = el("div").attr("id", "lib-kept").class("muted").build()?;
        let tag_source = input(
            "lib-tag-source",
            "Image to tag (ID or name)",
            "IMAGE ID or name",
        )?;
        let tag_target = input("lib-tag-target", "New name", "name:tag")?;
        let store = el("p").attr("id", "lib-store").class("muted").build()?;
        let errors = el("div").attr("id", "lib-errors").build()?;
        let table = el("div")
            .attr("id", "lib-table")
            .class("table-wrap")
            .build()?;
        let report = el("div").attr("id", "lib-report").build()?;
        let text = el("pre")
            .attr("id", "lib-text")
            .attr("tabindex", "0")
            .attr("aria-label", "The library as text")
            .class("mono lib-text")
            .build()?;
        let root = el("section")
            .attr("id", "library")
            .attr("aria-label", "Images in the library")
            .attr("hidden", "")
            .child(el("h2").text("Images"))
            .build()?;
        let controls = el("div").class("lib-controls").build()?;
        let label = |text: &str, for_id: &str| el("label").attr("for", for_id).text(text).build();
        for e in [
            label("Filter", "lib-filter"),
            Some(filter.clone().into()),
            label("Format", "lib-format"),
            Some(format.clone().into()),
        ]
        .into_iter()
        .flatten()
        {
            let _ = controls.append_child(&e);
        }
        let digests_label = el("label").attr("for", "lib-digests").build()?;
        let _ = digests_label.append_child(&digests);
        let _ = digests_label.append_child(&dom::document()?.create_text_node(" Show digests"));
        let _ = controls.append_child(&digests_label);
        let keep_label = el("label")
            .attr("for", "lib-keep")
            .attr(
                "title",
                "Keeps each layer of an inspected image in this browser, so files open \
                 without the registry. Turning it off deletes the kept layers.",
            )
            .build()?;
        let _ = keep_label.append_child(&keep);
        let _ = keep_label.append_child(&dom::document()?.create_text_node(
            " Keep layers for offline file viewing (turning it off deletes them)",
        ));
        let _ = controls.append_child(&keep_label);
        let actions = el("div")
            .class("lib-actions")
            .child(
                el("button")
                    .attr("type", "button")
                    .attr("id", "lib-prune")
                    .attr("data-lib-prune", "dangling")
                    .text("Prune dangling"),
            )
            .child(
                el("button")
                    .attr("type", "button")
                    .attr("id", "lib-prune-all")
                    .attr("data-lib-prune", "all")
                    .attr("title", "Every image not opened in this tab")
                    .text("Prune all unused"),
            )
            .build()?;
        let tag_form = el("form")
            .attr("id", "lib-tag-form")
            .class("lib-tag")
            .build()?;
        let tag_label = el("span").text("docker tag").build()?;
        let tag_button = el("button")
            .attr("type", "submit")
            .attr("id", "lib-tag")
            .text("Tag")
            .build()?;
        let _ = tag_form.append_child(&tag_label);
        let _ = tag_form.append_child(&tag_source);
        let _ = tag_form.append_child(&tag_target);
        let _ = tag_form.append_child(&tag_button);
        let _ = actions.append_child(&tag_form);
        for e in [
            &store, &kept, &controls, &errors, &table, &actions, &report, &text,
        ] {
            let _ = root.append_child(e);
        }
        let bar = el("div")
            .attr("id", "library-bar")
            .class("library-bar")
            .attr("hidden", "")
            .build()?;
        Some(Library {
            root,
            bar,
            filter,
            format,
            digests,
            keep,
            kept,
            tag_source,
            tag_target,
            store,
            errors,
            table,
            report,
            text,
            last: None,
            last_bar: None,
        })
    }

    pub(super) fn listen(&self, app: &Weak<App>) -> Vec<Listener> {
        let mut out = Vec::new();
        let a = app.clone();
        out.extend(Listener::new(&self.filter, "input", move |_| {
            lib(&a, LibraryMsg::FilterChanged(input_value("lib-filter")));
        }));
        let a = app.clone();
        out.extend(Listener::new(&self.format, "input", move |_| {
            lib(&a, LibraryMsg::FormatChanged(input_value("lib-format")));
        }));
        let a = app.clone();
        let digests = self.digests.clone();
        out.extend(Listener::new(&self.digests, "change", move |_| {
            lib(&a, LibraryMsg::DigestsToggled(digests.checked()));
        }));
        let a = app.clone();
        let keep = self.keep.clone();
        out.extend(Listener::new(&self.keep, "change", move |_| {
            lib(&a, LibraryMsg::KeepToggled(keep.checked()));
        }));
        let a = app.clone();
        out.extend(Listener::new(&self.tag_target, "input", move |_| {
            lib(
                &a,
                LibraryMsg::TagTargetChanged(input_value("lib-tag-target")),
            );
        }));
        let a = app.clone();
        out.extend(Listener::new(&self.root, "submit", move |e| {
            e.prevent_default();
            lib(
                &a,
                LibraryMsg::Tag {
                    source: input_value("lib-tag-source"),
                    target: input_value("lib-tag-target"),
                },
            );
        }));
        let a = app.clone();
        out.extend(Listener::new(&self.root, "click", move |e| {
            let t = e.target();
            if let Some((_, d)) = closest_attr(t.clone(), "data-lib-open") {
                if let Ok(d) = d.parse() {
                    lib(&a, LibraryMsg::Open(d));
                }
            } else if let Some((_, r)) = closest_attr(t.clone(), "data-lib-refresh") {
                lib(&a, LibraryMsg::Refresh(r));
            } else if let Some((_, id)) = closest_attr(t.clone(), "data-lib-tag") {
                lib(&a, LibraryMsg::TagSource(id));
                if let Some(i) =
                    dom::by_id("lib-tag-target").and_then(|e| e.dyn_into::<HtmlElement>().ok())
                {
                    let _ = i.focus();
                }
            } else if let Some((_, target)) = closest_attr(t.clone(), "data-lib-rm") {
                lib(&a, LibraryMsg::Remove(target));
            } else if let Some((_, which)) = closest_attr(t, "data-lib-prune") {
                lib(
                    &a,
                    LibraryMsg::Prune {
                        all: which == "all",
                    },
                );
            }
        }));
        let a = app.clone();
        out.extend(Listener::new(&self.bar, "click", move |e| {
            if let Some((_, r)) = closest_attr(e.target(), "data-lib-refresh") {
                lib(&a, LibraryMsg::Refresh(r));
            } else if let Some((_, d)) = closest_attr(e.target(), "data-lib-open") {
                if let Ok(d) = d.parse() {
                    lib(&a, LibraryMsg::Open(d));
                }
            }
        }));
        out
    }

    pub(super) fn render(&mut self, state: &State) {
        let bar = views::library_bar(state);
        if self.last_bar.as_ref() != Some(&bar) {
            set_hidden(&self.bar, bar.is_none());
            if let Some(b) = &bar {
                let refresh = b.refresh.as_ref().map(|r| {
                    el("button")
                        .attr("type", "button")
                        .attr("id", "lib-refresh-current")
                        .attr("data-lib-refresh", r)
                        .text("Refresh from the registry")
                });
                let open = b.open.as_ref().map(|m| {
                    el("button")
                        .attr("type", "button")
                        .attr("id", "lib-open-current")
                        .attr("data-lib-open", m)
                        .text("Open from the library")
                });
                replace_children(
                    &self.bar,
                    std::iter::once(el("span").attr("id", "lib-from").text(&b.text))
                        .chain(refresh)
                        .chain(open),
                );
            }
            self.last_bar = Some(bar);
        }
        let view = views::library(state);
        if self.last == view {
            return;
        }
        set_hidden(&self.root, view.is_none());
        if let Some(v) = &view {
            self.draw(v);
        }
        self.last = view;
    }

    fn draw(&self, v: &LibraryView) {
        replace_children(&self.store, [el("span").text(&v.store)]);
        set_if_idle(&self.filter, &v.filter);
        set_if_idle(&self.format, &v.format);
        if self.digests.checked() != v.digests {
            self.digests.set_checked(v.digests);
        }
        if self.keep.checked() != v.keep {
            self.keep.set_checked(v.keep);
        }
        let kept = v
            .kept
            .iter()
            .map(|k| el("p").attr("id", "lib-kept-space").text(k))
            .chain(v.keep_notes.iter().map(|n| {
                el("p")
                    .class("lib-keep-note")
                    .attr("role", "status")
                    .text(n)
            }));
        replace_children(&self.kept, kept);
        set_if_idle(&self.tag_source, &v.tag_source);
        set_if_idle(&self.tag_target, &v.tag_target);
        let errors = [
            ("lib-store-error", &v.store_error),
            ("lib-filter-error", &v.filter_error),
            ("lib-format-error", &v.format_error),
        ]
        .into_iter()
        .filter_map(|(id, e)| {
            e.as_ref().map(|e| {
                el("p")
                    .attr("id", id)
                    .attr("role", "alert")
                    .class("error")
                    .text(e)
            })
        });
        replace_children(&self.errors, errors);
        replace_children(&self.table, [table(v)]);
        let report = v.report.as_ref().map(|r| {
            let mut b = el("div")
                .class("lib-report")
                .child(el("p").class("mono").text(&format!("$ {}", r.title)));
            if let Some(e) = &r.error {
                b = b.child(el("p").attr("role", "alert").class("error").text(e));
            }
            b.child(el("pre").class("mono").text(&r.lines.join("\n")))
        });
        replace_children(&self.report, report);
        replace_children(&self.text, [el("code").text(&v.text)]);
    }
}

fn table(v: &LibraryView) -> El {
    if v.rows.is_empty() {
        return el("p").class("muted").attr("id", "lib-empty").text(
            if v.filter.trim().is_empty() {
                "No images yet: every image inspected on this page is kept here."
            } else {
                "No image matches the filter."
            },
        );
    }
    let head = el("tr").children(
        v.columns
            .iter()
            .map(|c| el("th").attr("scope", "col").text(c))
            .chain(std::iter::once(
                el("th").attr("scope", "col").text("ACTIONS"),
            )),
    );
    let rows = v.rows.iter().map(|r| {
        let mut cells = vec![
            el("td")
                .class("mono")
                .text(&r.repository)
                .children(r.source.as_ref().map(|f| {
                    el("div")
                        .class("muted lib-source")
                        .attr("data-source", f)
                        .text(&format!("file: {f}"))
                })),
            el("td").class("mono").text(&r.tag),
        ];
        if v.digests {
            cells.push(el("td").class("mono").text(&r.digest));
        }
        cells.extend([
            el("td").class("mono").attr("title", &r.full_id).text(&r.id),
            el("td").text(&r.created),
            el("td").class("num").text(&r.size),
        ]);
        let button = |attr: &str, value: &str, label: &str| {
            el("button")
                .attr("type", "button")
                .attr(attr, value)
                .text(label)
        };
        let mut actions =
            el("td")
                .class("lib-row-actions")
                .child(button("data-lib-open", &r.manifest, "open"));
        if let Some(refresh) = &r.refresh {
            actions = actions.child(button("data-lib-refresh", refresh, "refresh"));
        }
        actions = actions
            .child(button("data-lib-tag", &r.full_id, "tag"))
            .child(button("data-lib-rm", &r.target, "rm"));
        cells.push(actions);
        el("tr")
            .attr("data-id", &r.full_id)
            .attr("data-manifest", &r.manifest)
            .attr("data-repository", &r.repository)
            .attr("data-tag", &r.tag)
            .attr("data-dangling", if r.dangling { "true" } else { "false" })
            .children(cells)
    });
    el("table")
        .class("lib-table")
        .child(el("thead").child(head))
        .child(el("tbody").children(rows))
}
