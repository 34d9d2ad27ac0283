//! The search and tags pages: nav links to the image page and the search
//! page (always shown),
//! the search form with its filters and results table, and the tags list
//! with "More tags". Names, descriptions and tags come from Docker Hub and
//! registries: text nodes only. Links inside these pages are real links
//! (`?page=tags&repo=…`, `?image=NAME:TAG`) followed without a reload.

use std::rc::Weak;

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, HtmlInputElement, HtmlSelectElement};

use crate::app::errors::UserError;
use crate::app::search::SearchMsg;
use crate::app::views::{search_page, tags_page, SearchView, TagsView};
use crate::app::{Msg, State};
use crate::web::dom::{self, closest_attr, el, replace_children, El};
use crate::web::listen::Listener;
use crate::web::runtime::App;

use super::{input_value, send};

/// Shows or hides an element (the `hidden` attribute).
pub(super) fn show(e: &Element, visible: bool) {
    if let Some(h) = e.dyn_ref::<HtmlElement>() {
        if h.hidden() == visible {
            h.set_hidden(!visible);
        }
    }
}

fn error_box(e: &UserError) -> El {
    el("div")
        .class("error")
        .attr("role", "alert")
        .attr("data-kind", &format!("{:?}", e.kind))
        .child(el("p").class("error-title").text(&e.title))
        .child(el("p").class("error-detail").text(&e.detail))
        .children((!e.hint.is_empty()).then(|| el("p").class("error-hint").text(&e.hint)))
}

/// A link followed inside the page (`data-route` holds its query).
fn route_link(query: &str, text: &str) -> El {
    el("a")
        .attr("href", query)
        .attr("data-route", query)
        .text(text)
}

pub(super) struct Search {
    pub(super) nav: Element,
    pub(super) root: Element,
    form: Element,
    input: HtmlInputElement,
    official: HtmlSelectElement,
    stars: HtmlInputElement,
    search_box: Element,
    search_body: Element,
    tags_box: Element,
    tags_body: Element,
    notice: Element,
    last_search: Option<SearchView>,
    last_tags: Option<TagsView>,
    last_notice: Option<String>,
}

impl Search {
    pub(super) fn build() -> Option<Search> {
        let nav = el("nav")
            .attr("id", "nav")
            .attr("aria-label", "Pages")
            .child(
                el("a")
                    .attr("id", "inspect-link")
                    .attr("href", "./")
                    .attr("data-route", "")
                    .text("Inspect an image"),
            )
            .child(
                el("a")
                    .attr("id", "search-link")
                    .attr("href", "?page=search")
                    .attr("data-route", "?page=search")
                    .text("Search Docker Hub"),
            )
            .child(
                el("a")
                    .attr("id", "nav-images")
                    .attr("href", "?page=images")
                    .attr("data-route", "?page=images")
                    .text("Images"),
            )
            .build()?;
        let input = el("input")
            .attr("id", "search-term")
            .attr("type", "search")
            .attr("autocomplete", "off")
            .attr("spellcheck", "false")
            .attr("placeholder", "busybox · bitnami/redis")
            .attr("aria-label", "Search term")
            .build()?;
        let form = el("form")
            .attr("id", "search-form")
            .attr("role", "search")
            .child(
                el("button")
                    .attr("type", "submit")
                    .attr("id", "search-go")
                    .text("Search"),
            )
            .build()?;
        let _ = form.insert_before(&input, form.first_child().as_ref());
        let official = el("select")
            .attr("id", "search-official")
            .attr("aria-label", "Official images")
            .child(el("option").attr("value", "").text("any image"))
            .child(
                el("option")
                    .attr("value", "true")
                    .text("official only (is-official=true)"),
            )
            .child(
                el("option")
                    .attr("value", "false")
                    .text("not official (is-official=false)"),
            )
            .build()?;
        let stars = el("input")
            .attr("id", "search-stars")
            .attr("type", "number")
            .attr("min", "0")
            .attr("inputmode", "numeric")
            .attr("aria-label", "Minimum stars")
            .build()?;
        let filters = el("div")
            .class("toolbar")
            .attr("id", "search-filters")
            .child(
                el("label")
                    .attr("for", "search-official")
                    .class("muted")
                    .text("Filter:"),
            )
            .child(
                el("label")
                    .attr("for", "search-stars")
                    .class("muted")
                    .text("stars ≥"),
            )
            .build()?;
        let _ = filters.insert_before(&official, filters.last_child().as_ref());
        let _ = filters.append_child(&stars);
        let search_body = el("div").attr("id", "search-body").build()?;
        let search_box = el("div").attr("id", "search-box").build()?;
        for e in [&form, &filters, &search_body] {
            let _ = search_box.append_child(e);
        }
        let tags_body = el("div").attr("id", "tags-body").build()?;
        let tags_box = el("div").attr("id", "tags-box").build()?;
        let _ = tags_box.append_child(&tags_body);
        let notice = el("p")
            .attr("id", "search-notice")
            .class("notice")
            .build()?;
        let root = el("section")
            .attr("id", "search-page")
            .attr("aria-label", "Search and tags")
            .attr("hidden", "")
            .build()?;
        for e in [&search_box, &tags_box, &notice] {
            let _ = root.append_child(e);
        }
        Some(Search {
            nav,
            root,
            form,
            input: input.dyn_into().ok()?,
            official: official.dyn_into().ok()?,
            stars: stars.dyn_into().ok()?,
            search_box,
            search_body,
            tags_box,
            tags_body,
            notice,
            last_search: None,
            last_tags: None,
            last_notice: None,
        })
    }

    pub(super) fn listen(&self, app: &Weak<App>) -> Vec<Listener> {
        let mut out = Vec::new();
        for target in [&self.nav, &self.root] {
            let a = app.clone();
            out.extend(Listener::new(target, "click", move |e| {
                if let Some((_, query)) = closest_attr(e.target(), "data-route") {
                    e.prevent_default();
                    send(&a, Msg::Search(SearchMsg::Navigate(query)));
                } else if closest_attr(e.target(), "data-more").is_some() {
                    send(&a, Msg::Search(SearchMsg::MoreTags));
                }
            }));
        }
        let a = app.clone();
        out.extend(Listener::new(&self.form, "submit", move |e| {
            e.prevent_default();
            send(
                &a,
                Msg::Search(SearchMsg::Submitted(input_value("search-term"))),
            );
        }));
        let a = app.clone();
        out.extend(Listener::new(&self.input, "input", move |_| {
            send(
                &a,
                Msg::Search(SearchMsg::InputChanged(input_value("search-term"))),
            );
        }));
        let a = app.clone();
        out.extend(Listener::new(&self.official, "change", move |e| {
            let value = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlSelectElement>().ok())
                .map(|s| s.value())
                .unwrap_or_default();
            let official = match value.as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            };
            send(&a, Msg::Search(SearchMsg::OfficialChosen(official)));
        }));
        let a = app.clone();
        out.extend(Listener::new(&self.stars, "change", move |_| {
            send(
                &a,
                Msg::Search(SearchMsg::StarsChosen(input_value("search-stars"))),
            );
        }));
        out
    }

    pub(super) fn render(&mut self, state: &State) {
        show(&self.root, state.search.page.is_some());
        let notice = state.notice.clone().filter(|_| state.search.page.is_some());
        if notice != self.last_notice {
            replace_children(&self.notice, notice.as_deref().map(|n| el("span").text(n)));
            self.last_notice = notice;
        }
        let search = search_page(state);
        show(&self.search_box, search.is_some());
        if search != self.last_search {
            if let Some(v) = &search {
                self.draw_search(v);
            }
            self.last_search = search;
        }
        let tags = tags_page(state);
        show(&self.tags_box, tags.is_some());
        if tags != self.last_tags {
            if let Some(v) = &tags {
                self.draw_tags(v);
            }
            self.last_tags = tags;
        }
    }

    fn draw_search(&self, v: &SearchView) {
        let focused = dom::document()
            .and_then(|d| d.active_element())
            .is_some_and(|a| self.input.is_same_node(Some(&a)));
        if !focused && self.input.value() != v.input {
            self.input.set_value(&v.input);
        }
        let official = match v.official {
            None => "",
            Some(true) => "true",
            Some(false) => "false",
        };
        if self.official.value() != official {
            self.official.set_value(official);
        }
        if self.stars.value() != v.stars {
            self.stars.set_value(&v.stars);
        }
        let rows = v.rows.iter().map(|r| {
            let name = match &r.tags_link {
                Some(link) => el("td").class("name mono").child(route_link(link, &r.name)),
                None => el("td").class("name mono").text(&r.name),
            };
            el("tr")
                .attr("data-name", &r.name)
                .attr("data-official", if r.official { "true" } else { "false" })
                .child(name)
                .child(el("td").class("description").text(&r.description))
                .child(el("td").class("num stars").text(&r.stars))
                .child(
                    el("td")
                        .class("official")
                        .text(if r.official { "[OK]" } else { "" }),
                )
                .child(
                    el("td")
                        .class("automated")
                        .text(if r.automated { "[OK]" } else { "" }),
                )
        });
        let head = el("tr").children(
            ["NAME", "DESCRIPTION", "STARS", "OFFICIAL", "AUTOMATED"]
                .iter()
                .map(|h| {
                    let th = el("th").attr("scope", "col").text(h);
                    if *h == "STARS" {
                        th.class("num")
                    } else {
                        th
                    }
                }),
        );
        let table = (!v.rows.is_empty()).then(|| {
            el("div").class("table-wrap").child(
                el("table")
                    .attr("id", "search-results")
                    .class("search-results")
                    .child(el("thead").child(head))
                    .child(el("tbody").children(rows)),
            )
        });
        replace_children(
            &self.search_body,
            std::iter::once(
                el("p")
                    .attr("id", "search-summary")
                    .class("muted")
                    .text(&v.summary),
            )
            .chain(v.error.as_ref().map(error_box))
            .chain(table),
        );
    }

    fn draw_tags(&self, v: &TagsView) {
        let items = v.rows.iter().map(|t| {
            el("li")
                .attr("data-tag", &t.tag)
                .child(route_link(&t.link, &t.tag))
        });
        let more = v.more.then(|| {
            el("button")
                .attr("type", "button")
                .attr("id", "tags-more")
                .attr("data-more", "")
                .text("More tags")
        });
        replace_children(
            &self.tags_body,
            [
                Some(
                    el("h2")
                        .attr("id", "tags-title")
                        .class("mono")
                        .text(&format!("Tags of {}", v.repo)),
                ),
                Some(
                    el("p")
                        .attr("id", "tags-summary")
                        .class("muted")
                        .text(&v.summary),
                ),
                v.error.as_ref().map(error_box),
                Some(
                    el("ul")
                        .attr("id", "tags-list")
                        .class("tags mono")
                        .children(items),
                ),
                more,
            ]
            .into_iter()
            .flatten(),
        );
    }
}
