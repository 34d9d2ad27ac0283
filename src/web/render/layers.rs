//! The layers table: one row per layer with its instruction, sizes, changes,
//! digest and a progress bar while it loads; selecting a row switches the
//! tree to that layer, in "up to this layer" or "this layer's changes" mode.

use std::rc::Weak;

use wasm_bindgen::JsCast;
use web_sys::{Element, KeyboardEvent};

use crate::app::views::{self, LayerStatus, LayersView};
use crate::app::{LayerMode, LayerStep, Msg, State, WorkbenchMsg};
use crate::web::dom::{closest_attr, el, replace_children, El};
use crate::web::listen::Listener;
use crate::web::runtime::App;

use super::send;

pub(super) struct Layers {
    pub(super) root: Element,
    last: Option<LayersView>,
}

impl Layers {
    pub(super) fn build() -> Option<Layers> {
        let root = el("section")
            .attr("id", "layers")
            .attr("aria-label", "Layers")
            .class("pane")
            .build()?;
        Some(Layers { root, last: None })
    }

    pub(super) fn listen(&self, app: &Weak<App>) -> Vec<Listener> {
        let mut out = Vec::new();
        let a = app.clone();
        out.extend(Listener::new(&self.root, "click", move |e| {
            if let Some((_, l)) = closest_attr(e.target(), "data-layer") {
                send(&a, Msg::LayerSelected(l.parse().ok()));
            } else if let Some((_, m)) = closest_attr(e.target(), "data-mode") {
                let mode = if m == "changes" {
                    LayerMode::Changes
                } else {
                    LayerMode::UpTo
                };
                send(&a, Msg::LayerModeChosen(mode));
            }
        }));
        // dive's cursor: the arrows move through "whole image" and the
        // layers, and the tree follows.
        let a = app.clone();
        out.extend(Listener::new(&self.root, "keydown", move |e| {
            let Some(k) = e.dyn_ref::<KeyboardEvent>() else {
                return;
            };
            if closest_attr(e.target(), "data-layer").is_none()
                || k.ctrl_key()
                || k.meta_key()
                || k.alt_key()
            {
                return;
            }
            let step = match k.key().as_str() {
                "ArrowUp" => LayerStep::Up,
                "ArrowDown" => LayerStep::Down,
                "Home" => LayerStep::First,
                "End" => LayerStep::Last,
                _ => return,
            };
            e.prevent_default();
            send(&a, Msg::Workbench(WorkbenchMsg::LayerStep(step)));
        }));
        out
    }

    pub(super) fn render(&mut self, state: &State) {
        let v = views::layers(state);
        if self.last.as_ref() == Some(&v) {
            return;
        }
        replace_children(&self.root, draw(&v));
        self.last = Some(v);
    }
}

fn pressed(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

fn status_cell(s: &LayerStatus) -> El {
    match s {
        LayerStatus::Waiting => el("td").class("muted").text("waiting"),
        LayerStatus::Loading { done, total, rate } => {
            let pct = if *total > 0 {
                (*done as f64 / *total as f64 * 100.0).min(100.0)
            } else {
                0.0
            };
            el("td")
                .child(
                    el("progress")
                        .attr("max", &total.to_string())
                        .attr("value", &done.to_string())
                        .attr("aria-label", &format!("{pct:.0} %")),
                )
                .child(
                    el("span")
                        .class("muted")
                        .text(&format!(" {pct:.0} % {rate}")),
                )
        }
        LayerStatus::Verified => el("td").class("ok").text("✓ verified"),
        LayerStatus::AlreadyVerified { since } => el("td")
            .class("ok")
            .text(&format!("✓ already verified in this browser on {since}")),
        LayerStatus::Listed(note) => el("td")
            .class("muted")
            .attr("title", note)
            .text("listed from its table of contents (blob not checked)"),
        LayerStatus::Problem(why) => el("td")
            .class("bad")
            .attr("title", why)
            .text("✗ not verified"),
    }
}

/// The layer button that takes the focus (one per list: the selected
/// layer's, or "whole image"); the others are reached with the arrows.
fn roving(b: El, focused: bool) -> El {
    if focused {
        b.attr("id", "layer-focus").attr("tabindex", "0")
    } else {
        b.attr("tabindex", "-1")
    }
}

fn draw(v: &LayersView) -> Vec<El> {
    if v.lines.is_empty() {
        return Vec::new();
    }
    let rows = v.lines.iter().map(|l| {
        let meta = format!("{} → {} · {}", l.compressed, l.uncompressed, l.changes);
        el("tr")
            .class(if l.selected { "selected" } else { "" })
            .attr("aria-selected", pressed(l.selected))
            .child(
                el("td").child(roving(
                    el("button")
                        .attr("type", "button")
                        .attr("data-layer", &l.index.to_string())
                        .attr("aria-pressed", pressed(l.selected))
                        .attr("aria-label", &format!("Layer {}", l.index))
                        .text(&l.index.to_string()),
                    l.selected,
                )),
            )
            .child(
                el("td")
                    .class("about")
                    .child(
                        el("div")
                            .class("instruction mono")
                            .attr("title", &l.instruction)
                            .text(&l.instruction),
                    )
                    .child(
                        el("div")
                            .class("meta muted")
                            .child(
                                el("span")
                                    .class("sizes")
                                    .attr(
                                        "title",
                                        "compressed → unpacked · added ~modified -removed",
                                    )
                                    .text(&meta),
                            )
                            .child(
                                el("span")
                                    .class("digest mono")
                                    .attr("title", &l.digest)
                                    .text(&l.digest),
                            ),
                    ),
            )
            .child(status_cell(&l.status))
    });
    let mode = |m: LayerMode, label: &str| {
        el("button")
            .attr("type", "button")
            .attr(
                "data-mode",
                if m == LayerMode::Changes {
                    "changes"
                } else {
                    "upto"
                },
            )
            .attr("aria-pressed", pressed(v.mode == m && v.selected.is_some()))
            .text(label)
    };
    vec![
        el("h3").text("Layers"),
        el("div")
            .class("layer-controls")
            .child(roving(
                el("button")
                    .attr("type", "button")
                    .attr("data-layer", "all")
                    .attr("aria-pressed", pressed(v.selected.is_none()))
                    .text("Whole image"),
                v.selected.is_none(),
            ))
            .child(mode(LayerMode::UpTo, "Up to this layer"))
            .child(mode(LayerMode::Changes, "Its changes")),
        el("div").class("table-wrap").child(
            el("table")
                .class("layers")
                .child(
                    el("thead").child(
                        el("tr").children(
                            [("#", ""), ("Layer", ""), ("Status", "")]
                                .iter()
                                .map(|(h, c)| el("th").class(c).text(h)),
                        ),
                    ),
                )
                .child(el("tbody").children(rows)),
        ),
    ]
}
