//! The "Supply chain" tab: signatures (`[data-signature]`), SBOMs with
//! their packages (`[data-sbom-package]` with `data-name` and
//! `data-version`) and files checked against the tree
//! (`[data-sbom-file]` with `data-file-check`), provenance
//! (`[data-provenance]`), other attachments, what was refused and where
//! nothing could be looked; each document can be saved or shown raw. And
//! in the file pane, the packages that own the selected file
//! (`#file-owner`). Everything from the documents is text nodes.

use std::rc::{Rc, Weak};

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, HtmlInputElement};

use crate::app::supply::SupplyMsg;
use crate::app::views::{
    self, DocHead, OtherRow, ProvenanceView, SbomView, SignatureRow, SupplyKey, SupplyRaw,
    SupplyView,
};
use crate::app::{Msg, State};
use crate::web::dom::{closest_attr, el, replace_children, El};
use crate::web::listen::Listener;
use crate::web::runtime::App;

use super::raw::raw_lines;
use super::send;

pub(super) struct Supply {
    pub(super) root: Element,
    search: Element,
    input: HtmlInputElement,
    body: Element,
    /// The owners line in the file pane.
    pub(super) owner: Element,
    last: Option<SupplyKey>,
    /// The selected path and the attachments (by identity) the owners
    /// line was drawn for.
    last_owner: Option<(Option<Vec<u8>>, usize)>,
}

impl Supply {
    pub(super) fn build() -> Option<Supply> {
        let input: HtmlInputElement = el("input")
            .attr("id", "sbom-search")
            .attr("type", "search")
            .attr("spellcheck", "false")
            .attr("autocomplete", "off")
            .attr("placeholder", "name, version, licence or purl")
            .build()?
            .dyn_into()
            .ok()?;
        let search = el("form")
            .attr("id", "sbom-search-form")
            .attr("role", "search")
            .attr("hidden", "")
            .class("row-form")
            .child(
                el("label")
                    .attr("for", "sbom-search")
                    .text("Search the SBOMs' packages "),
            )
            .build()?;
        let _ = search.append_child(&input);
        let body = el("div").attr("id", "supply-body").build()?;
        let root = el("section")
            .attr("id", "supply")
            .attr("aria-label", "Supply chain")
            .child(el("h3").text("Supply chain"))
            .build()?;
        let _ = root.append_child(&search);
        let _ = root.append_child(&body);
        let owner = el("p")
            .attr("id", "file-owner")
            .attr("hidden", "")
            .class("muted")
            .build()?;
        Some(Supply {
            root,
            search,
            input,
            body,
            owner,
            last: None,
            last_owner: None,
        })
    }

    pub(super) fn listen(&self, app: &Weak<App>) -> Vec<Listener> {
        let mut out = Vec::new();
        let a = app.clone();
        let input = self.input.clone();
        out.extend(Listener::new(&self.input, "input", move |_| {
            send(&a, Msg::Supply(SupplyMsg::Query(input.value())));
        }));
        out.extend(Listener::new(&self.search, "submit", move |e| {
            e.prevent_default();
        }));
        let a = app.clone();
        out.extend(Listener::new(&self.body, "click", move |e| {
            let t = e.target();
            let which = |e: &Element| {
                let n = |k: &str| e.get_attribute(k).and_then(|v| v.parse::<usize>().ok());
                Some((n("data-a")?, n("data-d")))
            };
            if let Some((e, _)) = closest_attr(t.clone(), "data-supply-download") {
                if let Some((i, d)) = which(&e) {
                    send(&a, Msg::Supply(SupplyMsg::Download(i, d)));
                }
            } else if let Some((e, open)) = closest_attr(t.clone(), "data-supply-raw") {
                let shown = (open != "shown").then(|| which(&e)).flatten();
                send(&a, Msg::Supply(SupplyMsg::Raw(shown)));
            } else if let Some((_, path)) = closest_attr(t.clone(), "data-reveal-path") {
                send(&a, Msg::Supply(SupplyMsg::Reveal(path.into_bytes())));
            } else if let Some((_, digest)) = closest_attr(t, "data-digest") {
                send(&a, Msg::DigestOpened(digest));
            }
        }));
        out
    }

    pub(super) fn render(&mut self, state: &State) {
        let key = views::supply_key(state);
        if self.last.as_ref() != Some(&key) {
            let v = views::supply(state);
            if let Some(h) = self.search.dyn_ref::<HtmlElement>() {
                h.set_hidden(v.sboms.is_empty() && v.query.is_empty());
            }
            replace_children(&self.body, body(&v));
            self.last = Some(key.clone());
        }
        // Owners depend on the selection and the documents, not the search.
        let path = state.tree.selected();
        let found = crate::app::supply::current(state).map_or(0, |f| Rc::as_ptr(f) as usize);
        let drawn = self
            .last_owner
            .as_ref()
            .is_some_and(|(p, f)| p.as_deref() == path && *f == found);
        if !drawn {
            let owners = path.map(|p| views::owners(state, p)).unwrap_or_default();
            if let Some(h) = self.owner.dyn_ref::<HtmlElement>() {
                h.set_hidden(owners.is_empty());
            }
            let text = if owners.is_empty() {
                String::new()
            } else {
                format!("Package: {}", owners.join("; "))
            };
            let _ = self.owner.set_attribute("data-owner", &owners.join("\n"));
            replace_children(&self.owner, [el("span").text(&text)]);
            self.last_owner = Some((path.map(<[u8]>::to_vec), found));
        }
    }
}

fn actions(h: &DocHead, raw: Option<&SupplyRaw>) -> El {
    let d = h.document.map(|d| d.to_string());
    let shown = raw.is_some_and(|r| r.which == (h.attachment, h.document));
    let button = |attr: &str, value: &str, text: &str| {
        el("button")
            .attr("type", "button")
            .attr(attr, value)
            .attr("data-a", &h.attachment.to_string())
            .attr_opt("data-d", d.as_deref())
            .text(text)
    };
    let mut out = el("div").class("supply-actions");
    if h.has_bytes {
        out = out
            .child(button("data-supply-download", "", "Download"))
            .child(button(
                "data-supply-raw",
                if shown { "shown" } else { "" },
                if shown { "Hide raw" } else { "Raw" },
            ));
    }
    if let Some(r) = raw.filter(|_| shown) {
        out = out.child(
            el("pre")
                .class("raw mono")
                .attr("data-supply-raw-text", "")
                .children(raw_lines(&r.lines)),
        );
        if r.omitted > 0 {
            out = out.child(
                el("p")
                    .class("muted")
                    .text(&format!("… {} more lines not shown", r.omitted)),
            );
        }
    }
    out
}

fn meta(h: &DocHead) -> El {
    let about = match h.about_this {
        Some(true) => "; its statement names this digest",
        Some(false) => "; its statement does NOT name this digest",
        None => "",
    };
    el("p").class("muted supply-meta").children([
        el("span").text(&format!(
            "{} · {} · found by {} for {}{about} · ",
            h.kind, h.size, h.found, h.subject
        )),
        el("span").class("mono digest").text(&h.digest),
    ])
}

fn signature(s: &SignatureRow, raw: Option<&SupplyRaw>) -> El {
    let mut e = el("article")
        .attr("data-signature", &s.head.digest)
        .attr(
            "data-digest-matches",
            if s.digest_matches { "true" } else { "false" },
        )
        .class(if s.digest_matches { "" } else { "mismatch" })
        .child(el("p").child(el("strong").text(if s.digest_matches {
            "Signed: bound to this image's digest"
        } else {
            "Signature for ANOTHER image"
        })))
        .child(
            el("p")
                .child(el("span").text("Signs "))
                .child(el("span").class("mono").text(&s.signed)),
        );
    if let Some((r, ok)) = &s.reference {
        let note = match ok {
            Some(false) => " (another repository)",
            _ => "",
        };
        e = e.child(
            el("p")
                .child(el("span").text("Names "))
                .child(el("span").class("mono").text(r))
                .child(el("span").text(note)),
        );
    }
    e = e.child(el("p").attr("data-signature-verdict", "").text(&s.verdict));
    if let Some(sig) = &s.signature {
        e = e.child(
            el("p")
                .child(el("span").text("Signature "))
                .child(el("span").class("mono").text(sig)),
        );
    }
    if let Some(c) = &s.certificate {
        e = e.child(
            el("details")
                .child(el("summary").text("Certificate"))
                .child(el("pre").class("mono").text(c)),
        );
    }
    if s.bundle {
        e = e.child(el("p").text("A transparency-log bundle is attached (not checked)."));
    }
    e.child(meta(&s.head)).child(actions(&s.head, raw))
}

fn sbom(s: &SbomView, raw: Option<&SupplyRaw>) -> El {
    let title = match &s.name {
        Some(_) => format!("{} SBOM: ", s.format),
        None => format!("{} SBOM", s.format),
    };
    let count = if s.packages_matching == s.packages_total {
        format!("{} packages", s.packages_total)
    } else {
        format!(
            "{} of {} packages match",
            s.packages_matching, s.packages_total
        )
    };
    let shown = if s.packages.len() < s.packages_matching {
        format!(" (the first {} shown: search to narrow)", s.packages.len())
    } else {
        String::new()
    };
    let packages = el("table")
        .class("compare-table sbom-packages")
        .child(
            el("thead").child(
                el("tr").children(
                    ["Package", "Version", "Licences", "purl"]
                        .into_iter()
                        .map(|h| el("th").attr("scope", "col").text(h)),
                ),
            ),
        )
        .child(el("tbody").children(s.packages.iter().map(|p| {
            el("tr")
                .attr("data-sbom-package", "")
                .attr("data-name", &p.name)
                .attr("data-version", &p.version)
                .child(el("td").text(&p.name))
                .child(el("td").class("mono").text(&p.version))
                .child(el("td").text(&p.licenses))
                .child(el("td").class("mono").text(&p.purls.join(" ")))
        })));
    let mut e = el("article")
        .attr("data-sbom", &s.format)
        .child(
            el("h5")
                .child(el("span").text(&title))
                .children(s.name.as_ref().map(|n| el("span").class("mono").text(n))),
        )
        .child(meta(&s.head))
        .child(actions(&s.head, raw))
        .child(
            el("p")
                .attr("data-sbom-count", "")
                .text(&format!("{count}{shown}")),
        )
        .child(packages);
    if !s.files_summary.is_empty() {
        e = e.child(
            el("p")
                .attr("data-sbom-files-summary", "")
                .text(&s.files_summary),
        );
    }
    if !s.files.is_empty() {
        let more = s.files_total.saturating_sub(s.files.len());
        e = e.child(
            el("table")
                .class("compare-table sbom-files")
                .child(
                    el("thead").child(
                        el("tr").children(
                            ["File", "Check", ""]
                                .into_iter()
                                .map(|h| el("th").attr("scope", "col").text(h)),
                        ),
                    ),
                )
                .child(el("tbody").children(s.files.iter().map(|f| {
                    let path = match &f.reveal {
                        Some(p) => el("button")
                            .attr("type", "button")
                            .class("link mono")
                            .attr("data-reveal-path", &String::from_utf8_lossy(p))
                            .attr("title", "Show in the tree")
                            .text(&f.path),
                        None => el("span").class("mono").text(&f.path),
                    };
                    el("tr")
                        .attr("data-sbom-file", &f.path)
                        .attr("data-file-check", f.status)
                        .class(if f.status == "DIFFERS" { "differs" } else { "" })
                        .child(el("td").child(path))
                        .child(el("td").text(f.status))
                        .child(el("td").text(&f.detail))
                }))),
        );
        if more > 0 {
            e = e.child(
                el("p")
                    .class("muted")
                    .text(&format!("… {more} more files not shown")),
            );
        }
    }
    e
}

fn provenance(p: &ProvenanceView, raw: Option<&SupplyRaw>) -> El {
    let facts = el("dl")
        .class("facts")
        .children(p.facts.iter().flat_map(|(k, v)| {
            [
                el("dt").text(k),
                el("dd").class("mono").attr("data-fact", k).text(v),
            ]
        }));
    let mut e = el("article")
        .attr("data-provenance", p.version)
        .child(el("h5").text(&format!("Provenance ({})", p.version)))
        .child(facts);
    if !p.materials.is_empty() {
        e = e
            .child(el("h6").text("Materials"))
            .child(
                el("ul")
                    .class("values mono")
                    .children(p.materials.iter().map(|(u, d)| {
                        el("li").attr("data-material", u).text(&if d.is_empty() {
                            u.clone()
                        } else {
                            format!("{u} {d}")
                        })
                    })),
            );
    }
    e.child(meta(&p.head)).child(actions(&p.head, raw))
}

fn other(o: &OtherRow, raw: Option<&SupplyRaw>) -> El {
    el("li")
        .attr("data-attachment-other", &o.head.digest)
        .attr("data-failed", if o.failed { "true" } else { "false" })
        .child(
            el("p")
                .class(if o.failed { "error" } else { "" })
                .text(&o.note),
        )
        .child(meta(&o.head))
        .child(actions(&o.head, raw))
}

fn section(title: &str, id: &str, items: Vec<El>) -> Vec<El> {
    if items.is_empty() {
        return Vec::new();
    }
    vec![el("div")
        .attr("id", id)
        .child(el("h4").text(title))
        .children(items)]
}

fn body(v: &SupplyView) -> Vec<El> {
    let mut out = Vec::new();
    match v.status {
        "looking" => {
            out.push(
                el("p")
                    .attr("id", "supply-summary")
                    .attr("data-supply-status", "looking")
                    .attr("role", "status")
                    .text("Looking for signatures, SBOMs and provenance…"),
            );
            return out;
        }
        "none" => return out,
        _ => {}
    }
    out.push(
        el("p")
            .attr("id", "supply-summary")
            .attr("data-supply-status", "done")
            .text(&v.summary),
    );
    let raw = v.raw.as_ref();
    out.extend(section(
        "Signatures",
        "supply-signatures",
        v.signatures.iter().map(|s| signature(s, raw)).collect(),
    ));
    out.extend(section(
        "SBOMs",
        "supply-sboms",
        v.sboms.iter().map(|s| sbom(s, raw)).collect(),
    ));
    out.extend(section(
        "Provenance",
        "supply-provenance",
        v.provenance.iter().map(|p| provenance(p, raw)).collect(),
    ));
    if !v.others.is_empty() {
        out.extend(section(
            "Other attachments",
            "supply-others",
            vec![el("ul").children(v.others.iter().map(|o| other(o, raw)))],
        ));
    }
    if !v.rejected.is_empty() {
        out.extend(section(
            "Found, but not this image's",
            "supply-rejected",
            vec![el("ul").children(
                v.rejected
                    .iter()
                    .map(|r| el("li").attr("data-rejected", "").text(r)),
            )],
        ));
    }
    if !v.problems.is_empty() {
        out.extend(section(
            "Could not look",
            "supply-problems",
            vec![el("ul").children(v.problems.iter().map(|p| {
                el("li")
                    .attr("data-supply-problem", "")
                    .class("error")
                    .text(p)
            }))],
        ));
    }
    out
}
