//! The overview (with the verification summary and the pull command), the
//! platforms of an index, the config, the history and wasted space.

use std::rc::Weak;

use web_sys::Element;

use crate::app::views::{self, ConfigView, HistoryLine, OverviewView, PlatformsView, WasteView};
use crate::app::{CompareMsg, CopyWhat, Msg, State};
use crate::web::dom::{self, closest_attr, el, replace_children, El};
use crate::web::listen::Listener;
use crate::web::runtime::App;

use super::send;

pub(super) struct ImageSections {
    pub(super) overview: Element,
    pub(super) platforms: Element,
    pub(super) config: Element,
    pub(super) history: Element,
    pub(super) waste: Element,
    last_overview: Option<Option<OverviewView>>,
    last_platforms: Option<PlatformsView>,
    last_config: Option<ConfigView>,
    last_history: Option<Vec<HistoryLine>>,
    last_waste: Option<Option<WasteView>>,
}

fn section(id: &str, label: &str) -> Option<Element> {
    el("section")
        .attr("id", id)
        .attr("aria-label", label)
        .build()
}

fn field(name: &str, value: &str, mono: bool) -> [El; 2] {
    [
        el("dt").text(name),
        el("dd")
            .class(if mono { "mono" } else { "" })
            .text(if value.is_empty() { "–" } else { value }),
    ]
}

impl ImageSections {
    pub(super) fn build() -> Option<ImageSections> {
        Some(ImageSections {
            overview: section("overview", "Overview")?,
            platforms: section("platforms", "Platforms")?,
            config: section("config", "Config")?,
            history: section("history", "History")?,
            waste: section("waste", "Wasted space")?,
            last_overview: None,
            last_platforms: None,
            last_config: None,
            last_history: None,
            last_waste: None,
        })
    }

    pub(super) fn listen(&self, app: &Weak<App>) -> Vec<Listener> {
        let mut out = Vec::new();
        let a = app.clone();
        out.extend(Listener::new(&self.overview, "click", move |e| {
            if closest_attr(e.target(), "data-verify-fully").is_some() {
                send(&a, Msg::VerifyListedLayers);
            } else if let Some((_, digest)) = closest_attr(e.target(), "data-digest") {
                send(&a, Msg::DigestOpened(digest));
            } else if let Some((_, what)) = closest_attr(e.target(), "data-copy") {
                let what = match what.as_str() {
                    "pull" => CopyWhat::PullCommand,
                    "pinned" => CopyWhat::PinnedLink,
                    _ => CopyWhat::Link,
                };
                send(&a, Msg::CopyRequested(what));
            }
        }));
        let a = app.clone();
        out.extend(Listener::new(&self.platforms, "click", move |e| {
            if let Some((_, p)) = closest_attr(e.target(), "data-compare-platform") {
                send(&a, Msg::Compare(CompareMsg::WithPlatform(p)));
            } else if let Some((_, p)) = closest_attr(e.target(), "data-platform") {
                send(&a, Msg::PlatformChosen(p));
            }
        }));
        out
    }

    pub(super) fn render(&mut self, state: &State) {
        let o = views::overview(state);
        if self.last_overview.as_ref() != Some(&o) {
            // The per-object list stays open (or closed) as the person left
            // it while layers arrive; a failure opens it.
            let open = dom::by_id("verification").is_some_and(|d| d.has_attribute("open"));
            replace_children(&self.overview, o.as_ref().map(|o| overview(o, open)));
            self.last_overview = Some(o);
        }
        let p = views::platforms(state);
        if self.last_platforms.as_ref() != Some(&p) {
            replace_children(&self.platforms, platforms(&p));
            self.last_platforms = Some(p);
        }
        let c = views::config(state);
        if self.last_config.as_ref() != Some(&c) {
            replace_children(&self.config, config(&c));
            self.last_config = Some(c);
        }
        let h = views::history(state);
        if self.last_history.as_ref() != Some(&h) {
            replace_children(&self.history, history(&h));
            self.last_history = Some(h);
        }
        let w = views::waste(state);
        if self.last_waste.as_ref() != Some(&w) {
            replace_children(&self.waste, w.as_ref().map(waste));
            self.last_waste = Some(w);
        }
    }
}

/// `1 layer was` / `3 layers were`.
fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn overview(o: &OverviewView, open: bool) -> El {
    // The test hook is "true", "false" or "listed" (nothing failed, some
    // layers listed from their tables of contents), and absent while
    // layers load.
    let verified = o.verified.map(|v| match (v, o.only_listed) {
        (true, _) => "true",
        (false, true) => "listed",
        (false, false) => "false",
    });
    let (mark, summary) = match (o.verified, o.only_listed) {
        (Some(true), _) => (
            "✓",
            "Verified: manifest, config and every layer match their digests.".to_owned(),
        ),
        (Some(false), true) => (
            "○",
            format!(
                "Listed: manifest and config match their digests; {} listed from {} table of \
                 contents, which the manifest names, so the listing is the published one, but \
                 the blob{} and diff_id{} were not checked.",
                plural(o.listed, "layer was", "layers were"),
                if o.listed == 1 { "its" } else { "their" },
                if o.listed == 1 { "" } else { "s" },
                if o.listed == 1 { "" } else { "s" },
            ),
        ),
        (Some(false), false) => (
            "✗",
            "Not verified: see the objects marked below.".to_owned(),
        ),
        (None, _) => ("…", "Verifying…".to_owned()),
    };
    let verify_button = (o.listed > 0).then(|| {
        el("button")
            .attr("type", "button")
            .attr("id", "verify-fully")
            .attr("data-verify-fully", "")
            .text(if o.listed == 1 {
                "Verify fully (download the listed layer)"
            } else {
                "Verify fully (download the listed layers)"
            })
    });
    let checks = o.checks.iter().map(|c| {
        let (class, mark) = match (c.ok, c.listed) {
            (Some(true), _) => ("ok", "✓"),
            (Some(false), true) => ("listed", "○"),
            (Some(false), false) => ("bad", "✗"),
            (None, _) => ("pending", "…"),
        };
        el("li")
            .class(class)
            .child(
                el("span")
                    .class("mark")
                    .attr("aria-hidden", "true")
                    .text(mark),
            )
            .child(el("span").class("mono").text(&c.object))
            .children((!c.detail.is_empty()).then(|| el("div").class("detail").text(&c.detail)))
    });
    let dl = el("dl").class("facts inline").children(
        [
            [
                el("dt").text("Digest"),
                // As in a registry explorer, the digest opens its document.
                el("dd").child(
                    el("button")
                        .attr("type", "button")
                        .attr("data-digest", &o.digest)
                        .attr("title", "Show the document with this digest")
                        .class("link mono")
                        .text(&o.digest),
                ),
            ],
            field("Media type", &o.media_type, true),
            field("Platform", &o.platform, true),
            field("Created", &o.created, false),
            field("Author", &o.author, false),
            field("Compressed", &o.compressed, false),
            field("Uncompressed", &o.uncompressed, false),
            field("Files", &o.files, false),
        ]
        .into_iter()
        .map(|[dt, dd]| el("div").child(dt).child(dd)),
    );
    let copy = |what: &str, label: &str| {
        el("button")
            .attr("type", "button")
            .attr("data-copy", what)
            .text(label)
    };
    el("div")
        .class("overview-body")
        .child(
            el("div")
                .class("title-row")
                .child(el("h2").class("mono name").text(&o.name))
                .child(
                    el("div")
                        .class("pull")
                        .child(el("code").attr("id", "pull").class("mono").text(&o.pull))
                        .child(copy("pull", "Copy"))
                        .child(copy("link", "Copy link"))
                        .child(copy("pinned", "Copy pinned link")),
                ),
        )
        .child(dl)
        .child(
            el("details")
                .attr("id", "verification")
                .attr_opt("data-verified", verified)
                .attr_opt("open", (open || verified == Some("false")).then_some(""))
                .class(&format!("verification {}", verified.unwrap_or("pending")))
                .child(
                    el("summary")
                        .child(
                            el("span")
                                .class("verdict-mark")
                                .attr("aria-hidden", "true")
                                .text(mark),
                        )
                        .child(el("span").class("verdict").text(&summary))
                        .child(
                            el("span")
                                .class("muted details-hint")
                                .text(&format!(" ({} objects)", o.checks.len())),
                        ),
                )
                .child(el("ul").class("checks").children(checks)),
        )
        .children(verify_button)
}

fn platforms(p: &PlatformsView) -> Vec<El> {
    if p.entries.is_empty() {
        return Vec::new();
    }
    let buttons = p.entries.iter().map(|e| {
        let mut b = el("button")
            .attr("type", "button")
            .attr("data-platform", &e.label)
            .attr("aria-pressed", if e.chosen { "true" } else { "false" })
            .class("chip mono")
            .text(&e.label);
        if let Some(v) = &e.os_version {
            b = b.child(el("span").class("muted").text(&format!(" {v}")));
        }
        let chip = b.child(el("span").class("muted").text(&format!(" · {}", e.size)));
        // Comparing two platforms of one index is one click away.
        let compare = (!e.chosen).then(|| {
            el("button")
                .attr("type", "button")
                .attr("data-compare-platform", &e.label)
                .attr("aria-label", &format!("Compare with {}", e.label))
                .attr("title", &format!("Compare with {}", e.label))
                .class("chip compare-chip")
                .text("⇄")
        });
        el("span").class("chip-pair").child(chip).children(compare)
    });
    let mut out = vec![el("div")
        .class("chips")
        .attr("role", "group")
        .attr("aria-label", "Platforms")
        .child(el("span").class("muted").text("Platforms"))
        .children(buttons)];
    if !p.others.is_empty() {
        out.push(
            el("details")
                .child(el("summary").text(&format!(
                    "{} other entries (attestations, artifacts)",
                    p.others.len()
                )))
                .child(
                    el("ul")
                        .class("mono")
                        .children(p.others.iter().map(|o| el("li").text(o))),
                ),
        );
    }
    out
}

fn config(c: &ConfigView) -> Vec<El> {
    if c.items.is_empty() {
        return Vec::new();
    }
    let items = c.items.iter().flat_map(|(k, values)| {
        [
            el("dt").text(k),
            el("dd").child(
                el("ul")
                    .class("values mono")
                    .children(values.iter().map(|v| el("li").text(v))),
            ),
        ]
    });
    vec![
        el("h3").text("Config"),
        el("dl").class("facts").children(items),
    ]
}

fn history(h: &[HistoryLine]) -> Vec<El> {
    if h.is_empty() {
        return Vec::new();
    }
    let lines = h.iter().map(|l| {
        let tag = match l.layer {
            Some(i) => format!("L{i}"),
            None => "—".to_owned(),
        };
        el("li")
            .class(if l.empty { "empty" } else { "" })
            .child(el("span").class("layer-tag mono").text(&tag))
            .child(el("code").class("mono").text(&l.instruction))
            .child(
                el("span")
                    .class("muted")
                    .text(if l.empty { " (no layer)" } else { "" }),
            )
            .children(
                (!l.size.is_empty())
                    .then(|| el("span").class("muted").text(&format!(" {}", l.size))),
            )
    });
    vec![
        el("h3").text("History"),
        el("ol").class("history").children(lines),
    ]
}

fn waste(w: &WasteView) -> El {
    let rows = w.offenders.iter().map(|o| {
        el("tr")
            .child(el("td").class("mono").text(&o.path))
            .child(el("td").class("num").text(&o.size))
            .child(el("td").class("num").text(&o.copies.to_string()))
            .child(el("td").class("mono").text(&o.layers))
    });
    el("div")
        .child(el("h3").text("Wasted space"))
        .child(
            el("p")
                .text("Efficiency ")
                .child(el("strong").attr("id", "efficiency").text(&w.efficiency))
                .text(" · wasted ")
                .child(el("strong").attr("id", "wasted").text(&w.wasted)),
        )
        .children((!w.offenders.is_empty()).then(|| {
            el("table")
                .class("offenders")
                .child(
                    el("thead").child(
                        el("tr")
                            .child(el("th").text("Path"))
                            .child(el("th").class("num").text("Wasted"))
                            .child(el("th").class("num").text("Copies"))
                            .child(el("th").text("Layers")),
                    ),
                )
                .child(el("tbody").children(rows))
        }))
}
