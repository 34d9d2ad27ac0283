//! The status area: the steps of a load, the error that stopped it (with
//! what to do), problems of single layers, notices, and the credentials
//! form when a registry asks.

use std::rc::Weak;

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlInputElement};

use crate::app::views::{self, StatusView};
use crate::app::{Msg, State, UserError};
use crate::web::dom::{self, closest_attr, el, replace_children, El};
use crate::web::listen::Listener;
use crate::web::runtime::App;

use super::{input_value, send};

pub(super) struct Status {
    pub(super) root: Element,
    last: Option<StatusView>,
}

/// A failure in words: what happened, the specifics, what to do.
pub(super) fn error_box(e: &UserError, class: &str) -> El {
    el("div")
        .class(class)
        .attr("role", "alert")
        .attr("data-kind", &format!("{:?}", e.kind))
        .child(el("p").class("error-title").text(&e.title))
        .child(el("p").class("error-detail").text(&e.detail))
        .children((!e.hint.is_empty()).then(|| el("p").class("error-hint").text(&e.hint)))
}

impl Status {
    pub(super) fn build() -> Option<Status> {
        let root = el("section")
            .attr("id", "status")
            .attr("aria-live", "polite")
            .build()?;
        Some(Status { root, last: None })
    }

    pub(super) fn listen(&self, app: &Weak<App>) -> Vec<Listener> {
        let mut out = Vec::new();
        let a = app.clone();
        out.extend(Listener::new(&self.root, "submit", move |e| {
            e.prevent_default();
            let username = input_value("cred-user");
            let password = input_value("cred-pass");
            // Clear the field: the password lives only in the state now.
            if let Some(p) =
                dom::by_id("cred-pass").and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
            {
                p.set_value("");
            }
            send(&a, Msg::CredentialsProvided { username, password });
        }));
        let a = app.clone();
        out.extend(Listener::new(&self.root, "click", move |e| {
            if closest_attr(e.target(), "data-cancel-credentials").is_some() {
                send(&a, Msg::CredentialsCancelled);
            } else if let Some((_, d)) = closest_attr(e.target(), "data-archive-image") {
                if let Ok(d) = d.parse() {
                    send(&a, Msg::ArchiveImageChosen(d));
                }
            }
        }));
        out
    }

    pub(super) fn render(&mut self, state: &State) {
        let v = views::status(state);
        if self.last.as_ref() == Some(&v) {
            return;
        }
        let mut parts: Vec<El> = Vec::new();
        if let Some(n) = &v.notice {
            parts.push(el("p").class("notice").text(n));
        }
        if let Some(e) = &v.error {
            parts.push(error_box(e, "error"));
        }
        if !v.choices.is_empty() {
            parts.push(
                el("div")
                    .attr("id", "archive-images")
                    .class("chips")
                    .attr("role", "group")
                    .attr("aria-label", "Images in the archive")
                    .child(el("p").text(&format!(
                        "The archive holds {} images. Open one:",
                        v.choices.len()
                    )))
                    .children(v.choices.iter().map(|(n, d)| {
                        el("button")
                            .attr("type", "button")
                            .attr("data-archive-image", d)
                            .attr("title", d)
                            .class("chip mono")
                            .text(n)
                    })),
            );
        }
        if let Some(p) = &v.prompt {
            let title = if p.refused {
                format!("{} refused these credentials. Try again:", p.registry)
            } else {
                format!("Sign in to {}", p.registry)
            };
            parts.push(
                el("form")
                    .attr("id", "credentials")
                    .class("credentials")
                    .child(el("p").text(&title))
                    .child(el("label").attr("for", "cred-user").text("User name"))
                    .child(
                        el("input")
                            .attr("id", "cred-user")
                            .attr("autocomplete", "username")
                            .attr("type", "text"),
                    )
                    .child(
                        el("label")
                            .attr("for", "cred-pass")
                            .text("Password or token"),
                    )
                    .child(
                        el("input")
                            .attr("id", "cred-pass")
                            .attr("autocomplete", "current-password")
                            .attr("type", "password"),
                    )
                    .child(
                        el("div")
                            .class("actions")
                            .child(el("button").attr("type", "submit").text("Sign in"))
                            .child(
                                el("button")
                                    .attr("type", "button")
                                    .attr("data-cancel-credentials", "")
                                    .text("Cancel"),
                            ),
                    )
                    .child(
                        el("p").class("muted").text(
                            "Kept in this page's memory only: never in the link, never stored.",
                        ),
                    ),
            );
        }
        for p in &v.problems {
            parts.push(error_box(p, "problem"));
        }
        if v.hook == "loading" && !v.steps.is_empty() {
            parts.push(
                el("ol")
                    .class("steps mono")
                    .children(v.steps.iter().map(|s| el("li").text(s))),
            );
        }
        replace_children(&self.root, parts);
        self.last = Some(v);
    }
}
