//! The file tree: a virtualised list (only the rows in and near the
//! viewport are in the DOM; a sizer gives the scrollbar its full height),
//! ARIA tree semantics, keyboard navigation, the filter/sort/show toolbar,
//! and the panel describing the selected entry.

use std::cell::Cell;
use std::rc::{Rc, Weak};

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, HtmlInputElement, HtmlSelectElement, KeyboardEvent};

use crate::app::tree::model::Change;
use crate::app::views::{self, FileView, TreePanel};
use crate::app::{ChangeClass, Key, Msg, Row, SortBy, State};
use crate::layer::EntryKind;
use crate::web::dom::{self, closest_attr, el, replace_children, set_style, El};
use crate::web::listen::Listener;
use crate::web::runtime::App;

use super::{send, ROW_HEIGHT};

pub(super) struct Tree {
    pub(super) root: Element,
    filter: HtmlInputElement,
    sort: HtmlSelectElement,
    shows: Vec<(ChangeClass, HtmlInputElement)>,
    caption: Element,
    scroller: HtmlElement,
    /// The scroll position the page itself last set (NaN once the person
    /// scrolled): its scroll event is not news to the state.
    ours: Rc<Cell<f64>>,
    sizer: Element,
    rows: Element,
    /// The selected entry's details (placed in the file pane).
    pub(super) file: Element,
    last: Option<TreePanel>,
    /// The panel [`Tree::scroll`] found changed this frame, drawn by
    /// [`Tree::render`].
    pending: Option<TreePanel>,
    /// A position [`Tree::scroll`] could not set on a tree not laid out.
    scroll_after: Option<f64>,
    last_file: Option<Option<FileView>>,
}

/// Whole rows the tree's viewport holds, once it is laid out: the
/// selection is kept within them, so a row cut by the bottom edge is never
/// where the selection stops (the rows drawn beyond the viewport fill the
/// rest).
pub(super) fn viewport_rows() -> Option<usize> {
    let h = dom::by_id("tree")?.client_height();
    (h > 0).then(|| ((f64::from(h) / ROW_HEIGHT).floor() as usize).max(1))
}

fn key_of(e: &KeyboardEvent) -> Option<Key> {
    Some(match e.key().as_str() {
        "ArrowUp" => Key::Up,
        "ArrowDown" => Key::Down,
        "ArrowLeft" => Key::Left,
        "ArrowRight" => Key::Right,
        "Enter" | " " => Key::Enter,
        "Home" => Key::Home,
        "End" => Key::End,
        "PageUp" => Key::PageUp,
        "PageDown" => Key::PageDown,
        "/" => Key::Slash,
        "Escape" => Key::Escape,
        _ => return None,
    })
}

fn checkbox(id: &str, label: &str) -> Option<(Element, HtmlInputElement)> {
    let input: HtmlInputElement = el("input")
        .attr("type", "checkbox")
        .attr("id", id)
        .attr("checked", "")
        .build()?
        .dyn_into()
        .ok()?;
    let l = el("label").attr("for", id).class("check").build()?;
    let _ = l.append_child(&input);
    let _ = l.append_child(&dom::document()?.create_text_node(label));
    Some((l, input))
}

impl Tree {
    pub(super) fn build() -> Option<Tree> {
        let filter: HtmlInputElement = el("input")
            .attr("id", "filter")
            .attr("type", "search")
            .attr(
                "placeholder",
                "Filter: text, *.so, /usr/**/python*  (press /)",
            )
            .attr("aria-label", "Filter the tree")
            .attr("spellcheck", "false")
            .class("mono")
            .build()?
            .dyn_into()
            .ok()?;
        let sort: HtmlSelectElement = el("select")
            .attr("id", "sort")
            .attr("aria-label", "Sort")
            .child(el("option").attr("value", "name").text("Sort by name"))
            .child(el("option").attr("value", "size").text("Sort by size"))
            .build()?
            .dyn_into()
            .ok()?;
        let toolbar = el("div").class("toolbar").build()?;
        let _ = toolbar.append_child(&filter);
        let _ = toolbar.append_child(&sort);
        let mut shows = Vec::new();
        for (class, id, label) in [
            (ChangeClass::Added, "show-added", "added"),
            (ChangeClass::Modified, "show-modified", "modified"),
            (ChangeClass::Removed, "show-removed", "removed"),
            (ChangeClass::Unmodified, "show-unmodified", "unmodified"),
        ] {
            let (l, input) = checkbox(id, label)?;
            let _ = toolbar.append_child(&l);
            shows.push((class, input));
        }
        let caption = el("p").attr("id", "tree-caption").class("muted").build()?;
        let rows = el("div").class("tree-rows").build()?;
        let sizer = el("div").class("tree-sizer").build()?;
        let _ = sizer.append_child(&rows);
        let scroller: HtmlElement = el("div")
            .attr("id", "tree")
            .attr("role", "tree")
            .attr("tabindex", "0")
            .attr("aria-label", "Files")
            .class("tree")
            .build()?
            .dyn_into()
            .ok()?;
        let _ = scroller.append_child(&sizer);
        let file = el("aside")
            .attr("id", "file")
            .attr("aria-label", "Selected entry")
            .class("file")
            .build()?;
        let root = el("section")
            .attr("id", "files")
            .attr("aria-label", "Files")
            .class("pane")
            .child(el("h3").text("Files"))
            .build()?;
        for e in [&toolbar, &caption, scroller.as_ref()] {
            let _ = root.append_child(e);
        }
        Some(Tree {
            root,
            filter,
            sort,
            shows,
            caption,
            scroller,
            ours: Rc::new(Cell::new(f64::NAN)),
            sizer,
            rows,
            file,
            last: None,
            pending: None,
            scroll_after: None,
            last_file: None,
        })
    }

    pub(super) fn listen(&self, app: &Weak<App>) -> Vec<Listener> {
        let mut out = Vec::new();
        let a = app.clone();
        let f = self.filter.clone();
        out.extend(Listener::new(&self.filter, "input", move |_| {
            send(&a, Msg::FilterChanged(f.value()));
        }));
        let a = app.clone();
        out.extend(Listener::new(&self.filter, "keydown", move |e| {
            if let Some(k) = e.dyn_ref::<KeyboardEvent>() {
                match k.key().as_str() {
                    "Escape" => {
                        e.prevent_default();
                        send(&a, Msg::Key(Key::Escape));
                    }
                    "Enter" | "ArrowDown" => {
                        e.prevent_default();
                        if let Some(t) =
                            dom::by_id("tree").and_then(|t| t.dyn_into::<HtmlElement>().ok())
                        {
                            let _ = t.focus();
                        }
                    }
                    _ => {}
                }
            }
        }));
        let a = app.clone();
        let s = self.sort.clone();
        out.extend(Listener::new(&self.sort, "change", move |_| {
            let sort = if s.value() == "size" {
                SortBy::Size
            } else {
                SortBy::Name
            };
            send(&a, Msg::SortChosen(sort));
        }));
        for (class, input) in &self.shows {
            let a = app.clone();
            let class = *class;
            out.extend(Listener::new(input, "change", move |_| {
                send(&a, Msg::ShowToggled(class));
            }));
        }
        let a = app.clone();
        let sc = self.scroller.clone();
        let ours = Rc::clone(&self.ours);
        out.extend(Listener::new(&self.scroller, "scroll", move |_| {
            let top = f64::from(sc.scroll_top());
            // The page's own scroll (the selection moved): the state knows.
            // Sent anyway, it could arrive after the next key had moved the
            // selection on, and pull the view back off it (keys held down).
            if (top - ours.get()).abs() < 1.0 {
                return;
            }
            ours.set(f64::NAN);
            let row = (top / ROW_HEIGHT).floor().max(0.0) as usize;
            send(&a, Msg::TreeScrolled(row));
        }));
        let a = app.clone();
        out.extend(Listener::new(&self.scroller, "click", move |e| {
            let twisty = closest_attr(e.target(), "data-twisty").is_some();
            if let Some((_, row)) = closest_attr(e.target(), "data-row") {
                if let Ok(i) = row.parse() {
                    send(
                        &a,
                        if twisty {
                            Msg::RowToggled(i)
                        } else {
                            Msg::RowClicked(i)
                        },
                    );
                }
            }
        }));
        let a = app.clone();
        out.extend(Listener::new(&self.scroller, "keydown", move |e| {
            if let Some(k) = e.dyn_ref::<KeyboardEvent>().and_then(key_of) {
                e.prevent_default();
                send(&a, Msg::Key(k));
            }
        }));
        out
    }

    /// The tree's scroll position, read before the frame writes anything
    /// (read after the rows change, it would force a layout of the page).
    pub(super) fn scroll_top(&self) -> f64 {
        f64::from(self.scroller.scroll_top())
    }

    /// The first write of a frame, while the page's layout is still clean:
    /// the scroll height and position the tree wants (`scroll_top` is
    /// [`Tree::scroll_top`], read before; `laid_out` whether the tree had
    /// a size then). Written after the rows, setting the position would
    /// force the browser to lay the page out at once, a third of an arrow
    /// key's frame on a big tree. A tree not shown yet cannot scroll: its
    /// position is set once drawn, in [`Tree::render`].
    pub(super) fn scroll(&mut self, state: &State, scroll_top: f64, laid_out: bool) {
        let p = views::tree(state);
        self.scroll_after = None;
        if self.last.as_ref() == Some(&p) {
            self.pending = None;
            return;
        }
        if self.last.as_ref().map(|l| l.total) != Some(p.total) {
            set_style(
                &self.sizer,
                "height",
                &format!("{}px", p.total as f64 * ROW_HEIGHT),
            );
        }
        let want = p.scroll_row as f64 * ROW_HEIGHT;
        if (scroll_top - want).abs() >= ROW_HEIGHT {
            if laid_out {
                self.set_scroll(want);
            } else {
                self.scroll_after = Some(want);
            }
        }
        self.pending = Some(p);
    }

    fn set_scroll(&self, top: f64) {
        self.ours.set(f64::from(top as i32));
        self.scroller.set_scroll_top(top as i32);
    }

    /// Draws what [`Tree::scroll`] found changed, and the file panel.
    pub(super) fn render(&mut self, state: &State) {
        if let Some(p) = self.pending.take() {
            self.draw(&p);
            self.last = Some(p);
        }
        if let Some(top) = self.scroll_after.take() {
            self.set_scroll(top);
        }
        let f = views::file(state);
        if self.last_file.as_ref() != Some(&f) {
            match &f {
                Some(v) => {
                    let _ = self.file.set_attribute("data-path", &v.path);
                    replace_children(&self.file, file_panel(v));
                }
                None => {
                    let _ = self.file.remove_attribute("data-path");
                    replace_children(
                        &self.file,
                        [el("p")
                            .class("muted")
                            .text("Select an entry to see its details.")],
                    );
                }
            }
            self.last_file = Some(f);
        }
    }

    fn draw(&mut self, p: &TreePanel) {
        let focused = dom::document()
            .and_then(|d| d.active_element())
            .is_some_and(|a| self.filter.is_same_node(Some(&a)));
        if !focused && self.filter.value() != p.filter {
            self.filter.set_value(&p.filter);
        }
        self.sort.set_value(if p.sort == SortBy::Size {
            "size"
        } else {
            "name"
        });
        for (class, input) in &self.shows {
            let on = match class {
                ChangeClass::Added => p.show.added,
                ChangeClass::Modified => p.show.modified,
                ChangeClass::Removed => p.show.removed,
                ChangeClass::Unmodified => p.show.unmodified,
            };
            if input.checked() != on {
                input.set_checked(on);
            }
        }
        let caption = format!("{} · {} rows", p.caption, p.total);
        if self.caption.text_content().as_deref() != Some(caption.as_str()) {
            self.caption.set_text_content(Some(&caption));
        }
        set_style(
            &self.rows,
            "transform",
            &format!("translateY({}px)", p.start as f64 * ROW_HEIGHT),
        );
        let kids: Vec<Element> = std::iter::successors(
            self.rows.first_element_child(),
            Element::next_element_sibling,
        )
        .collect();
        let last = self
            .last
            .as_ref()
            .filter(|l| l.comparing == p.comparing && kids.len() == l.rows.len());
        match last {
            Some(l) => self.update_rows(&l.rows, &kids, &p.rows, p.comparing),
            None => replace_children(&self.rows, p.rows.iter().map(|r| row(r, p.comparing))),
        }
        match p.rows.iter().find(|r| r.selected) {
            Some(r) => {
                let _ = self
                    .scroller
                    .set_attribute("aria-activedescendant", &format!("row-{}", r.index));
            }
            None => {
                let _ = self.scroller.remove_attribute("aria-activedescendant");
            }
        }
    }

    /// Brings one drawn row (`kid`, drawn as `old`) to `now`.
    fn redraw(&self, kid: &Element, old: &Row, now: &Row, comparing: bool) {
        if now == old {
            return;
        }
        if selection_only(old, now) {
            // An arrow key's two rows: changed in place, no new nodes (and
            // no old ones for the collector).
            kid.set_class_name(&row_classes(now));
            let _ = kid.set_attribute("aria-selected", selected_attr(now));
        } else if let Some(e) = row(now, comparing).build() {
            let _ = self.rows.replace_child(&e, kid);
        }
    }

    /// Brings the drawn rows (`old`, whose elements are `kids`) to `new`,
    /// rows matched by their position in the tree: a row still in the
    /// window keeps its element unless it changed (an arrow key redraws
    /// two rows), and a window moved by a few rows (scrolling with the
    /// selection) removes the rows that left and adds the ones that came.
    fn update_rows(&self, old: &[Row], kids: &[Element], new: &[Row], comparing: bool) {
        let span = |rows: &[Row]| {
            let lo = rows.first().map_or(0, |r| r.index);
            (lo, lo + rows.len())
        };
        let ((old_lo, old_hi), (new_lo, new_hi)) = (span(old), span(new));
        let contiguous =
            |rows: &[Row], lo: usize| rows.iter().enumerate().all(|(i, r)| r.index == lo + i);
        if !contiguous(old, old_lo)
            || !contiguous(new, new_lo)
            || old_hi <= new_lo
            || new_hi <= old_lo
        {
            replace_children(&self.rows, new.iter().map(|r| row(r, comparing)));
            return;
        }
        for (r, kid) in old.iter().zip(kids) {
            match new.get(r.index.wrapping_sub(new_lo)) {
                Some(now) if r.index >= new_lo => self.redraw(kid, r, now, comparing),
                _ => {
                    let _ = self.rows.remove_child(kid);
                }
            }
        }
        let first_kept = self.rows.first_element_child();
        for r in new.iter().take(old_lo.saturating_sub(new_lo)) {
            if let Some(e) = row(r, comparing).build() {
                let _ = self
                    .rows
                    .insert_before(&e, first_kept.as_ref().map(|k| k.as_ref()));
            }
        }
        for r in new.iter().skip(old_hi.saturating_sub(new_lo)) {
            if let Some(e) = row(r, comparing).build() {
                let _ = self.rows.append_child(&e);
            }
        }
    }
}

/// Whether two drawings of a row differ only in being selected.
fn selection_only(old: &Row, new: &Row) -> bool {
    old.selected != new.selected
        && Row {
            selected: new.selected,
            ..old.clone()
        } == *new
}

/// A row element's classes.
fn row_classes(r: &Row) -> String {
    let mut classes = format!("row {}", r.change.word());
    if r.selected {
        classes.push_str(" selected");
    }
    if r.change == Change::Removed {
        classes.push_str(" removed");
    }
    classes.push_str(match r.kind {
        EntryKind::Directory => " k-dir",
        EntryKind::Symlink => " k-symlink",
        _ => " k-file",
    });
    classes
}

fn selected_attr(r: &Row) -> &'static str {
    if r.selected {
        "true"
    } else {
        "false"
    }
}

fn row(r: &Row, comparing: bool) -> El {
    let twisty = match r.expanded {
        Some(true) => "▾",
        Some(false) => "▸",
        None => "",
    };
    el("div")
        .attr("role", "treeitem")
        .attr("id", &format!("row-{}", r.index))
        .attr("data-path", &r.path)
        .attr("data-row", &r.index.to_string())
        .attr("aria-level", &(r.depth + 1).to_string())
        .attr("aria-selected", selected_attr(r))
        .attr_opt(
            "aria-expanded",
            r.expanded.map(|e| if e { "true" } else { "false" }),
        )
        .class(&row_classes(r))
        .attr_opt(
            "data-diff",
            (comparing && r.change != Change::None).then(|| r.change.word()),
        )
        .child(
            el("span")
                .class("mark")
                .attr("title", r.change.word())
                .text(&r.change.marker().to_string()),
        )
        .child(el("span").class("mode mono").text(&r.mode))
        .child(el("span").class("owner mono").text(&r.owner))
        .child(el("span").class("size num").text(&r.size_text))
        .child(
            el("span")
                .class("layer mono")
                .text(&r.layer.map(|l| format!("L{l}")).unwrap_or_default()),
        )
        .child(
            el("span")
                .class("name mono")
                .style("padding-left", &format!("{}em", r.depth as f64 * 1.1))
                .child(
                    el("span")
                        .class("twisty")
                        .attr("data-twisty", "")
                        .attr("aria-hidden", "true")
                        .text(twisty),
                )
                .child(el("span").class("label").text(&r.name))
                .children(
                    r.link
                        .as_ref()
                        .map(|l| el("span").class("link muted").text(&format!(" {l}"))),
                )
                .children(r.below.as_ref().map(|b| {
                    el("span")
                        .class("below muted")
                        .attr("data-diff-sum", b)
                        .text(&format!(" {b}"))
                })),
        )
}

fn file_panel(v: &FileView) -> Vec<El> {
    let field = |k: &str, val: &str| {
        [
            el("dt").text(k),
            el("dd")
                .class("mono")
                .text(if val.is_empty() { "–" } else { val }),
        ]
    };
    let mut items = Vec::new();
    items.extend(field("Kind", &v.kind));
    items.extend(field("Size", &v.size));
    items.extend(field("Mode", &v.mode));
    items.extend(field("Owner", &v.owner));
    items.extend(field("Layer", &v.layer));
    if !v.link.is_empty() {
        items.extend(field("Target", &v.link));
    }
    if v.change != Change::None {
        items.extend(field("Change", v.change.word()));
    }
    vec![
        el("h4").class("mono path").text(&v.path),
        el("dl").class("facts").children(items),
    ]
}
