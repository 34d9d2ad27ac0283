//! The raw documents section: one collapsible `<details id="raw-ID">` per
//! document, its lines in a `<pre>`, each known digest a button carrying
//! `data-digest` (text nodes only: documents are hostile).

use std::rc::Weak;

use web_sys::Element;

use crate::app::views::{self, RawDocView, RawSpan};
use crate::app::{Msg, State};
use crate::fs::human_size_binary;
use crate::oci::Digest;
use crate::web::dom::{closest_attr, el, replace_children, El};
use crate::web::listen::Listener;
use crate::web::runtime::App;

use super::send;

pub(super) struct Raw {
    pub(super) root: Element,
    last_key: Option<Vec<Digest>>,
}

impl Raw {
    pub(super) fn build() -> Option<Raw> {
        Some(Raw {
            root: el("section")
                .attr("id", "raw")
                .attr("aria-label", "Raw documents")
                .build()?,
            last_key: None,
        })
    }

    pub(super) fn listen(&self, app: &Weak<App>) -> Vec<Listener> {
        let a = app.clone();
        Listener::new(&self.root, "click", move |e| {
            if let Some((_, digest)) = closest_attr(e.target(), "data-digest") {
                send(&a, Msg::DigestOpened(digest));
            }
        })
        .into_iter()
        .collect()
    }

    /// Redraws only when the documents shown changed: printing a large
    /// config is not work for every frame.
    pub(super) fn render(&mut self, state: &State) {
        let key = views::raw_key(state);
        if self.last_key.as_ref() == Some(&key) {
            return;
        }
        let docs = views::raw_documents(state);
        let mut children = Vec::new();
        if !docs.is_empty() {
            children.push(el("h2").text("Raw documents"));
        }
        children.extend(docs.iter().map(document));
        replace_children(&self.root, children);
        self.last_key = Some(key);
    }
}

/// A pretty-printed document's lines, each digest the page knows a button
/// carrying `data-digest`. Each line ends in a newline text node so copying
/// and `textContent` give the document as printed.
pub(super) fn raw_lines(lines: &[Vec<RawSpan>]) -> impl Iterator<Item = El> + '_ {
    lines.iter().map(|l| {
        let spans = l.iter().map(|s| match s {
            RawSpan::Text(t) => el("span").text(t),
            RawSpan::Digest { digest, target } => el("button")
                .attr("type", "button")
                .class("link mono")
                .attr("data-digest", digest)
                .attr("title", &target.describe())
                .text(digest),
        });
        el("span")
            .class("raw-line")
            .children(spans.chain(std::iter::once(el("span").text("\n"))))
    })
}

fn document(d: &RawDocView) -> El {
    let summary = el("summary").children([
        el("span").class("raw-title").text(&d.title),
        el("span").class("mono digest").text(&d.digest),
        el("span").class("muted").text(&format!(
            "{} ({} bytes)",
            human_size_binary(d.size as u64),
            d.size
        )),
    ]);
    let mut body = vec![
        summary,
        el("pre").class("raw mono").children(raw_lines(&d.lines)),
    ];
    if d.omitted_lines > 0 {
        body.push(
            el("p")
                .class("muted")
                .text(&format!("… {} more lines not shown", d.omitted_lines)),
        );
    }
    el("details")
        .attr("id", &format!("raw-{}", d.id))
        .attr("data-raw", d.id)
        .children(body)
}
