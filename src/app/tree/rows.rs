//! The visible rows of the tree: the expanded part of a [`TreeModel`]
//! flattened in display order, with filtering and sorting, and each row's
//! text as the page draws it.
//!
//! Without a filter only expanded directories are walked, so the cost is
//! that of the rows shown. With a filter (text/glob, or some change classes
//! hidden) the whole tree is walked once to find the matches; a row is
//! shown if it matches or leads to a match, and directories leading to a
//! match open by themselves (unless collapsed while the filter is on).

use std::collections::HashSet;

use crate::fs::{escape, human_size_binary, mode_string};
use crate::layer::EntryKind;

use super::filter::Filter;
use super::model::{Change, NodeRef, TreeModel};

/// How siblings are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum SortBy {
    /// By name bytes (what `ls` does in the C locale).
    #[default]
    Name,
    /// Largest first (directories by their subtree total), ties by name.
    Size,
}

/// Which change classes are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShowChanges {
    /// Paths the selected layer added.
    pub added: bool,
    /// Paths it modified.
    pub modified: bool,
    /// Paths it removed (only present in the changes view).
    pub removed: bool,
    /// Everything else, rewritten-unchanged paths included.
    pub unmodified: bool,
}

impl Default for ShowChanges {
    fn default() -> ShowChanges {
        ShowChanges {
            added: true,
            modified: true,
            removed: true,
            unmodified: true,
        }
    }
}

impl ShowChanges {
    /// Whether every class is shown (no filtering by change).
    pub fn is_all(self) -> bool {
        self == ShowChanges::default()
    }

    /// Whether a change class is shown.
    pub fn shows(self, c: Change) -> bool {
        match c {
            Change::Added => self.added,
            Change::Modified => self.modified,
            Change::Removed => self.removed,
            Change::None | Change::Rewritten => self.unmodified,
        }
    }
}

/// What decides which rows are shown.
#[derive(Debug, Clone, Copy)]
pub struct RowOptions<'a> {
    /// Expanded directories (root-relative paths).
    pub expanded: &'a HashSet<Vec<u8>>,
    /// Directories collapsed by hand while a filter is on.
    pub collapsed: &'a HashSet<Vec<u8>>,
    /// The text or glob filter.
    pub filter: &'a Filter,
    /// Sibling order.
    pub sort: SortBy,
    /// Change classes shown.
    pub show: ShowChanges,
}

impl RowOptions<'_> {
    /// Whether anything is filtered out.
    pub fn filtering(&self) -> bool {
        self.filter.is_active() || !self.show.is_all()
    }
}

/// One shown row, before its text is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisibleRow {
    /// The node.
    pub node: NodeRef,
    /// Root-relative path.
    pub path: Box<[u8]>,
    /// Nesting depth (children of the root are 0).
    pub depth: u32,
    /// For directories: whether its children follow.
    pub expanded: Option<bool>,
}

fn join(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(dir.len() + 1 + name.len());
    p.extend_from_slice(dir);
    if !dir.is_empty() {
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}

fn abs(path: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(path.len() + 1);
    p.push(b'/');
    p.extend_from_slice(path);
    p
}

fn sorted_children(model: &TreeModel, n: NodeRef, sort: SortBy) -> Vec<NodeRef> {
    let mut c = model.children(n);
    if sort == SortBy::Size {
        // Children come in name order; a stable sort keeps it for ties.
        crate::sort::sort_by_key(&mut c, |n| std::cmp::Reverse(model.total(*n)));
    }
    c
}

/// Marks, for every node, whether it is shown under a filter: it matches
/// (text/glob and change class) or a descendant does.
fn keep_set(model: &TreeModel, opts: &RowOptions<'_>) -> Vec<bool> {
    let mut keep = vec![false; model.arena_len()];
    // Iterative post-order: (node, path, children visited?).
    let mut stack: Vec<(NodeRef, Vec<u8>, bool)> = vec![(model.root(), Vec::new(), false)];
    while let Some((n, path, done)) = stack.pop() {
        if done {
            let own = n != model.root()
                && opts.show.shows(model.change(n, &path))
                && opts.filter.matches(model.name(n), &abs(&path));
            let any_child = model
                .children(n)
                .iter()
                .any(|c| keep.get(c.index()).copied().unwrap_or(false));
            if let Some(k) = keep.get_mut(n.index()) {
                *k = own || any_child;
            }
            continue;
        }
        let children = model.children(n);
        stack.push((n, path.clone(), true));
        for c in children {
            let cp = join(&path, model.name(c));
            stack.push((c, cp, false));
        }
    }
    keep
}

/// The rows shown, in display order.
pub fn visible_rows(model: &TreeModel, opts: &RowOptions<'_>) -> Vec<VisibleRow> {
    let filtering = opts.filtering();
    let keep = if filtering {
        keep_set(model, opts)
    } else {
        Vec::new()
    };
    let kept = |n: NodeRef| !filtering || keep.get(n.index()).copied().unwrap_or(false);
    let mut out = Vec::new();
    // Pre-order with an explicit stack (reversed children).
    let mut stack: Vec<(NodeRef, Vec<u8>, u32)> = Vec::new();
    for c in sorted_children(model, model.root(), opts.sort)
        .into_iter()
        .rev()
    {
        if kept(c) {
            stack.push((c, model.name(c).to_vec(), 0));
        }
    }
    while let Some((n, path, depth)) = stack.pop() {
        let is_dir = model.is_dir(n);
        let open = is_dir
            && if filtering {
                !opts.collapsed.contains(&path) && model.children(n).into_iter().any(kept)
            } else {
                opts.expanded.contains(&path)
            };
        if open {
            for c in sorted_children(model, n, opts.sort).into_iter().rev() {
                if kept(c) {
                    stack.push((c, join(&path, model.name(c)), depth + 1));
                }
            }
        }
        out.push(VisibleRow {
            node: n,
            path: path.into_boxed_slice(),
            depth,
            expanded: is_dir.then_some(open),
        });
    }
    out
}

/// One row as drawn: every field already text (names escaped so control
/// characters and invalid UTF-8 show as `\xHH`, never as markup).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Position in the visible list.
    pub index: usize,
    /// Absolute path, escaped (the row's `data-path`).
    pub path: String,
    /// Last component, escaped.
    pub name: String,
    /// Nesting depth.
    pub depth: usize,
    /// What the entry is.
    pub kind: EntryKind,
    /// For directories: open or closed.
    pub expanded: Option<bool>,
    /// Bytes (directories: subtree total).
    pub size: u64,
    /// `1.5K`-style size; `-` for entries without content.
    pub size_text: String,
    /// `-rwxr-xr-x`.
    pub mode: String,
    /// `uid:gid`.
    pub owner: String,
    /// The layer the entry came from.
    pub layer: Option<usize>,
    /// `-> target` for symlinks, `=> /path` for hard links.
    pub link: Option<String>,
    /// Relation to the selected layer.
    pub change: Change,
    /// Whether this is the selected row.
    pub selected: bool,
}

impl Row {
    /// The row as one line of text (what the golden tests compare):
    /// change mark, selection mark, mode, owner, size, layer, indented name.
    pub fn line(&self) -> String {
        let twisty = match self.expanded {
            Some(true) => "v ",
            Some(false) => "> ",
            None => "  ",
        };
        let slash = if self.kind == EntryKind::Directory {
            "/"
        } else {
            ""
        };
        let layer = self
            .layer
            .map_or_else(|| "-".to_owned(), |l| format!("L{l}"));
        let mut s = format!(
            "{}{} {} {:>9} {:>6} {:>3} {:indent$}{twisty}{}{slash}",
            self.change.marker(),
            if self.selected { '*' } else { ' ' },
            self.mode,
            self.owner,
            self.size_text,
            layer,
            "",
            self.name,
            indent = self.depth * 2
        );
        if let Some(l) = &self.link {
            s.push(' ');
            s.push_str(l);
        }
        s
    }
}

/// Makes the drawn row for a visible one.
pub fn make_row(
    model: &TreeModel,
    v: &VisibleRow,
    index: usize,
    selected: Option<&[u8]>,
) -> Option<Row> {
    let info = model.info(v.node, &v.path)?;
    let size_text = match info.kind {
        EntryKind::File | EntryKind::Directory => human_size_binary(info.size),
        _ => "-".to_owned(),
    };
    let link = match (&info.symlink, &info.hardlink) {
        (Some(t), _) => Some(format!("-> {}", escape(t))),
        (None, Some(h)) => Some(format!("=> /{}", escape(h))),
        _ => None,
    };
    Some(Row {
        index,
        path: escape(&abs(&v.path)),
        name: escape(info.name),
        depth: v.depth as usize,
        kind: info.kind,
        expanded: v.expanded,
        size: info.size,
        size_text,
        mode: mode_string(info.kind, info.mode),
        owner: format!("{}:{}", info.uid, info.gid),
        layer: info.layer,
        link,
        change: info.change,
        selected: selected == Some(&v.path[..]),
    })
}
