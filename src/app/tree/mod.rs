//! The tree panel's state: which model is shown, what is expanded and
//! selected, the filter, sort and change classes, the scroll position, and
//! keyboard navigation over the visible rows.
//!
//! Expansion and selection are kept as paths, not node handles, so they
//! survive a platform switch or a different layer: whatever exists again is
//! expanded and selected again.
//!
//! Its parts: [`model`] — the merged image or one layer's changes as a
//! tree of nodes; [`rows`] — the visible rows of a virtualised view, with
//! sorting and change classes; [`filter`] — text and glob filters;
//! [`flat`] — the model in pre-order, what filters and rows read.

pub mod filter;
pub mod flat;
pub mod model;
pub mod rows;

use std::collections::{HashSet, VecDeque};

use super::msg::{ChangeClass, Effect, Focus, Key};
use filter::Filter;
use flat::Flat;
use model::{NodeRef, TreeModel};
use rows::{make_row, visible_rows, Row, RowOptions, ShowChanges, SortBy, VisibleRow};

/// Rows drawn above and below the viewport, so a small scroll shows rows
/// that are already there.
pub const OVERSCAN: usize = 10;
/// Rows a fresh image opens with at most: directories are expanded breadth
/// first while the total stays under this.
pub const AUTO_EXPAND_ROWS: usize = 200;

/// Nodes above which a filter typed waits for a pause in typing before it
/// is applied: below, applying it costs well under a frame, so it is
/// applied at once.
pub const DEBOUNCE_NODES: usize = 20_000;
/// The pause in typing after which a filter is applied on a big tree.
pub const FILTER_PAUSE_MS: u32 = 120;

/// See the module documentation.
#[derive(Debug, Clone)]
pub struct TreeState {
    model: Option<TreeModel>,
    /// The model in pre-order (what filters and the rows read).
    flat: Flat,
    expanded: HashSet<Vec<u8>>,
    collapsed: HashSet<Vec<u8>>,
    selected: Option<Vec<u8>>,
    filter: Filter,
    /// A filter typed on a big tree and not applied yet, with its
    /// generation (only the latest pause applies it).
    typed: Option<(u64, String)>,
    generation: u64,
    sort: SortBy,
    show: ShowChanges,
    scroll_row: usize,
    viewport_rows: usize,
    visible: Vec<VisibleRow>,
}

impl Default for TreeState {
    fn default() -> TreeState {
        TreeState {
            model: None,
            flat: Flat::default(),
            expanded: HashSet::new(),
            collapsed: HashSet::new(),
            selected: None,
            filter: Filter::default(),
            typed: None,
            generation: 0,
            sort: SortBy::Name,
            show: ShowChanges::default(),
            scroll_row: 0,
            viewport_rows: 20,
            visible: Vec::new(),
        }
    }
}

fn parent_path(path: &[u8]) -> Option<&[u8]> {
    if path.is_empty() {
        return None;
    }
    Some(
        path.iter()
            .rposition(|b| *b == b'/')
            .map_or(&[][..], |i| &path[..i]),
    )
}

impl TreeState {
    /// The model shown, if any.
    pub fn model(&self) -> Option<&TreeModel> {
        self.model.as_ref()
    }

    /// Shows another model, keeping expansion and selection by path; a
    /// selection that no longer exists moves to its closest existing parent.
    pub fn set_model(&mut self, model: Option<TreeModel>) {
        self.flat = model.as_ref().map(Flat::build).unwrap_or_default();
        self.model = model;
        if let (Some(m), Some(sel)) = (&self.model, &self.selected) {
            let mut p: &[u8] = sel;
            while !p.is_empty() && m.lookup(p).is_none() {
                p = parent_path(p).unwrap_or_default();
            }
            self.selected = (!p.is_empty()).then(|| p.to_vec());
        }
        self.refresh();
    }

    /// Forgets expansion, selection and scroll (a different image).
    pub fn reset_view(&mut self) {
        self.expanded.clear();
        self.collapsed.clear();
        self.selected = None;
        self.scroll_row = 0;
    }

    /// Recomputes the visible rows after any change of what they depend on.
    pub fn refresh(&mut self) {
        self.visible = match &self.model {
            Some(m) => visible_rows(
                m,
                &self.flat,
                &RowOptions {
                    expanded: &self.expanded,
                    collapsed: &self.collapsed,
                    filter: &self.filter,
                    sort: self.sort,
                    show: self.show,
                },
            ),
            None => Vec::new(),
        };
        let max_top = self.visible.len().saturating_sub(self.viewport_rows);
        self.scroll_row = self.scroll_row.min(max_top);
    }

    /// The rows shown, in order.
    pub fn visible(&self) -> &[VisibleRow] {
        &self.visible
    }

    /// The selected path (root-relative).
    pub fn selected(&self) -> Option<&[u8]> {
        self.selected.as_deref()
    }

    /// The filter.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// The sort order.
    pub fn sort(&self) -> SortBy {
        self.sort
    }

    /// The change classes shown.
    pub fn show(&self) -> ShowChanges {
        self.show
    }

    /// The first row in the viewport.
    pub fn scroll_row(&self) -> usize {
        self.scroll_row
    }

    /// Rows the viewport holds.
    pub fn viewport_rows(&self) -> usize {
        self.viewport_rows
    }

    /// Whether any directory is expanded (false for a fresh view).
    pub fn any_expanded(&self) -> bool {
        !self.expanded.is_empty()
    }

    /// Whether a directory (root-relative path) is expanded by hand.
    pub fn is_expanded(&self, path: &[u8]) -> bool {
        self.expanded.contains(path)
    }

    /// The drawn rows from `start`, at most `count`.
    pub fn rows(&self, start: usize, count: usize) -> Vec<Row> {
        let Some(m) = &self.model else {
            return Vec::new();
        };
        let sel = self.selected.as_deref();
        self.visible
            .iter()
            .enumerate()
            .skip(start)
            .take(count)
            .filter_map(|(i, v)| make_row(m, v, i, sel))
            .collect()
    }

    /// The range of rows to draw: the viewport plus [`OVERSCAN`] each side.
    pub fn window(&self) -> (usize, usize) {
        let start = self.scroll_row.saturating_sub(OVERSCAN);
        let end = (self.scroll_row + self.viewport_rows + OVERSCAN).min(self.visible.len());
        (start, end.saturating_sub(start))
    }

    /// The filter text as typed (applied or waiting for a pause).
    pub fn filter_text(&self) -> &str {
        match &self.typed {
            Some((_, text)) => text,
            None => self.filter.text(),
        }
    }

    /// A filter typed: applied at once on a small tree (`None`); on one of
    /// more than [`DEBOUNCE_NODES`] nodes it is kept as typed, and the
    /// generation returned is what [`TreeState::filter_settled`] must be
    /// given after a pause of [`FILTER_PAUSE_MS`] to apply it — so a word
    /// typed quickly filters the tree once, not once per letter.
    pub fn type_filter(&mut self, text: &str) -> Option<u64> {
        if self.flat.len() <= DEBOUNCE_NODES {
            self.set_filter(text);
            return None;
        }
        self.generation += 1;
        self.typed = Some((self.generation, text.to_owned()));
        Some(self.generation)
    }

    /// Typing paused: applies the filter typed if `generation` is the
    /// latest (an earlier pause, superseded by more typing, does nothing).
    pub fn filter_settled(&mut self, generation: u64) {
        if self.typed.as_ref().is_some_and(|(g, _)| *g == generation) {
            self.flush_filter();
        }
    }

    /// Applies a filter still waiting for its pause (before a key acts on
    /// the rows, so it acts on what was typed).
    fn flush_filter(&mut self) {
        if let Some((_, text)) = self.typed.take() {
            self.set_filter(&text);
        }
    }

    /// Sets the filter text (and drops one waiting for a pause).
    pub fn set_filter(&mut self, text: &str) {
        self.typed = None;
        self.filter = Filter::new(text);
        self.collapsed.clear();
        self.scroll_row = 0;
        self.refresh();
        self.scroll_to_selected();
    }

    /// Sets the sort order.
    pub fn set_sort(&mut self, sort: SortBy) {
        self.sort = sort;
        self.refresh();
        self.scroll_to_selected();
    }

    /// Shows or hides a change class.
    pub fn toggle_show(&mut self, class: ChangeClass) {
        let s = &mut self.show;
        let flag = match class {
            ChangeClass::Added => &mut s.added,
            ChangeClass::Modified => &mut s.modified,
            ChangeClass::Removed => &mut s.removed,
            ChangeClass::Unmodified => &mut s.unmodified,
        };
        *flag = !*flag;
        self.collapsed.clear();
        self.refresh();
    }

    /// Records a scroll by the user.
    pub fn scrolled(&mut self, row: usize) {
        self.scroll_row = row.min(self.visible.len().saturating_sub(1));
    }

    /// Records the viewport size.
    pub fn resized(&mut self, rows: usize) {
        self.viewport_rows = rows.clamp(1, 500);
    }

    fn filtering(&self) -> bool {
        self.filter.is_active() || !self.show.is_all()
    }

    /// The row showing `path`: the node is looked up once, then found
    /// among the rows by its handle (no path per row is kept or compared).
    fn index_of(&self, path: &[u8]) -> Option<usize> {
        let node = self.model.as_ref()?.lookup(path)?;
        self.visible.iter().position(|v| v.node == node)
    }

    /// The root-relative path of row `i`.
    fn path_at(&self, i: usize) -> Option<Vec<u8>> {
        let v = self.visible.get(i)?;
        Some(self.model.as_ref()?.path(v.node))
    }

    fn selected_index(&self) -> Option<usize> {
        self.selected.as_deref().and_then(|p| self.index_of(p))
    }

    fn scroll_to(&mut self, i: usize) {
        if i < self.scroll_row {
            self.scroll_row = i;
        } else if i >= self.scroll_row + self.viewport_rows {
            self.scroll_row = i + 1 - self.viewport_rows;
        }
    }

    fn scroll_to_selected(&mut self) {
        if let Some(i) = self.selected_index() {
            self.scroll_to(i);
        }
    }

    fn select_index(&mut self, i: usize) {
        if let Some(path) = self.path_at(i) {
            self.selected = Some(path);
            self.scroll_to(i);
        }
    }

    /// Opens or closes a directory (by root-relative path).
    fn set_open(&mut self, path: &[u8], open: bool) {
        if self.filtering() {
            if open {
                self.collapsed.remove(path);
            } else {
                self.collapsed.insert(path.to_vec());
            }
        }
        if open {
            self.expanded.insert(path.to_vec());
        } else {
            self.expanded.remove(path);
            // A selection inside moves up to the directory closed.
            if let Some(sel) = &self.selected {
                if sel.len() > path.len() && sel.starts_with(path) && sel[path.len()] == b'/' {
                    self.selected = Some(path.to_vec());
                }
            }
        }
        self.refresh();
        self.scroll_to_selected();
    }

    /// Toggles the directory at row `i`.
    pub fn toggle_row(&mut self, i: usize) {
        if let (Some(open), Some(path)) = (
            self.visible.get(i).and_then(|v| v.expanded),
            self.path_at(i),
        ) {
            self.set_open(&path, !open);
        }
    }

    /// Selects row `i`; a directory also toggles.
    pub fn click_row(&mut self, i: usize) {
        self.select_index(i);
        self.toggle_row(i);
    }

    /// Expands every parent of `path`, selects it and scrolls to it. False
    /// when the path is not in the model (nothing changes then).
    pub fn reveal(&mut self, path: &[u8]) -> bool {
        let Some(m) = &self.model else {
            return false;
        };
        if path.is_empty() || m.lookup(path).is_none() {
            return false;
        }
        let mut p = parent_path(path);
        while let Some(dir) = p.filter(|d| !d.is_empty()) {
            self.expanded.insert(dir.to_vec());
            self.collapsed.remove(dir);
            p = parent_path(dir);
        }
        self.selected = Some(path.to_vec());
        self.refresh();
        self.scroll_to_selected();
        true
    }

    /// Expands directories breadth first while at most `budget` rows show,
    /// so a small image opens fully and a large one shows its top levels.
    pub fn auto_expand(&mut self, budget: usize) {
        let Some(m) = &self.model else {
            return;
        };
        let mut count = m.children(m.root()).len();
        let mut queue: VecDeque<(NodeRef, Vec<u8>)> = VecDeque::new();
        for c in m.children(m.root()) {
            if m.is_dir(c) {
                queue.push_back((c, m.name(c).to_vec()));
            }
        }
        while let Some((n, path)) = queue.pop_front() {
            let children = m.children(n);
            if count + children.len() > budget {
                continue;
            }
            count += children.len();
            for c in children {
                if m.is_dir(c) {
                    let mut cp = path.clone();
                    cp.push(b'/');
                    cp.extend_from_slice(m.name(c));
                    queue.push_back((c, cp));
                }
            }
            self.expanded.insert(path);
        }
        self.refresh();
    }

    /// Handles a key; returns the focus change it asks for, if any.
    pub fn key(&mut self, key: Key) -> Vec<Effect> {
        if key == Key::Escape {
            if self.filter.is_active() || self.typed.is_some() {
                self.set_filter("");
            }
            return vec![Effect::Focus(Focus::Tree)];
        }
        self.flush_filter();
        let len = self.visible.len();
        let cur = self.selected_index();
        let page = self.viewport_rows.max(1);
        match key {
            Key::Slash => return vec![Effect::Focus(Focus::Filter)],
            Key::Escape => {}
            _ if len == 0 => {}
            Key::Up => self.select_index(cur.map_or(len - 1, |i| i.saturating_sub(1))),
            Key::Down => self.select_index(cur.map_or(0, |i| (i + 1).min(len - 1))),
            Key::Home => self.select_index(0),
            Key::End => self.select_index(len - 1),
            Key::PageUp => self.select_index(cur.map_or(0, |i| i.saturating_sub(page))),
            Key::PageDown => self.select_index(cur.map_or(0, |i| (i + page).min(len - 1))),
            Key::Right | Key::Left | Key::Enter => {
                let Some(i) = cur else {
                    self.select_index(0);
                    return Vec::new();
                };
                let v = self.visible[i].clone();
                let path = self.path_at(i).unwrap_or_default();
                match (key, v.expanded) {
                    (Key::Right, Some(false)) | (Key::Enter, Some(false)) => {
                        self.set_open(&path, true)
                    }
                    (Key::Left, Some(true)) | (Key::Enter, Some(true)) => {
                        self.set_open(&path, false)
                    }
                    (Key::Right, Some(true))
                        if self.visible.get(i + 1).is_some_and(|n| n.depth > v.depth) =>
                    {
                        self.select_index(i + 1);
                    }
                    (Key::Left, _) => {
                        if let Some(p) = parent_path(&path).filter(|p| !p.is_empty()) {
                            if let Some(j) = self.index_of(p) {
                                self.select_index(j);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests;
