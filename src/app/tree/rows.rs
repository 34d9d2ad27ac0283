//! The visible rows of the tree: the expanded part of a [`TreeModel`]
//! flattened in display order, with filtering and sorting, and each row's
//! text as the page draws it.
//!
//! Without a filter only expanded directories are visited, so the cost is
//! that of the rows shown. With a filter (text/glob, or some change classes
//! hidden) every node is matched once, in one pass over the model's
//! [`Flat`] copy; a row is shown if it matches or leads to a match, and
//! directories leading to a match open by themselves (unless collapsed
//! while the filter is on).

use std::collections::HashSet;

use crate::fs::{escape, human_size_binary, mode_string};
use crate::layer::EntryKind;

use super::filter::Filter;
use super::flat::Flat;
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

/// One shown row, before its text is made. Its path is not kept (a
/// filter on a big tree shows a hundred thousand rows; the path of a row is
/// asked for only when it is drawn or acted on: [`TreeModel::path`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisibleRow {
    /// The node.
    pub node: NodeRef,
    /// Nesting depth (children of the root are 0).
    pub depth: u32,
    /// For directories: whether its children follow.
    pub expanded: Option<bool>,
}

fn abs(path: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(path.len() + 1);
    p.push(b'/');
    p.extend_from_slice(path);
    p
}

/// A walk's absolute path, kept in one buffer: a node's path is its
/// parent's (a prefix of the buffer) plus its name.
struct PathBuf(Vec<u8>);

impl PathBuf {
    fn new() -> PathBuf {
        PathBuf(vec![b'/'])
    }

    /// Sets the buffer to the path of a child named `name` of the directory
    /// whose path was `parent_len` bytes long; returns the new length.
    fn enter(&mut self, parent_len: usize, name: &[u8]) -> usize {
        self.0.truncate(parent_len);
        if parent_len > 1 {
            self.0.push(b'/');
        }
        self.0.extend_from_slice(name);
        self.0.len()
    }

    /// The root-relative path (`usr/lib`), what expansion sets hold.
    fn rel(&self) -> &[u8] {
        &self.0[1..]
    }
}

/// The rows shown, in display order; `flat` is the model's [`Flat`].
pub fn visible_rows(model: &TreeModel, flat: &Flat, opts: &RowOptions<'_>) -> Vec<VisibleRow> {
    let filtering = opts.filtering();
    let kept = filtering.then(|| flat.kept(model, opts.filter, opts.show));
    if opts.sort == SortBy::Name {
        let open = |path: &[u8], below: bool| {
            if filtering {
                below && (opts.collapsed.is_empty() || !opts.collapsed.contains(path))
            } else {
                opts.expanded.contains(path)
            }
        };
        return flat
            .rows(kept.as_ref(), open)
            .into_iter()
            .map(|(node, depth, expanded)| VisibleRow {
                node,
                depth,
                expanded,
            })
            .collect();
    }
    // By size: siblings are sorted per directory, so walk the model.
    let keep = kept
        .map(|k| flat.keep_by_node(&k, model.arena_len()))
        .unwrap_or_default();
    let kept = |n: NodeRef| !filtering || keep.get(n.index()).copied().unwrap_or(false);
    let mut out = Vec::new();
    let mut path = PathBuf::new();
    // Pre-order with an explicit stack: (node, its parent's path length,
    // depth); each directory's children pushed in reverse display order.
    let mut stack: Vec<(NodeRef, usize, u32)> = Vec::new();
    let push_children = |stack: &mut Vec<(NodeRef, usize, u32)>, n: NodeRef, len: usize, depth| {
        let start = stack.len();
        stack.extend(
            model
                .child_iter(n)
                .filter(|c| kept(*c))
                .map(|c| (c, len, depth)),
        );
        let mine = &mut stack[start..];
        if opts.sort == SortBy::Size {
            // Children come in name order; a stable sort keeps it for ties.
            mine.sort_by_key(|(c, _, _)| std::cmp::Reverse(model.total(*c)));
        }
        mine.reverse();
    };
    push_children(&mut stack, model.root(), 1, 0);
    while let Some((n, parent_len, depth)) = stack.pop() {
        let len = path.enter(parent_len, model.name(n));
        let is_dir = model.is_dir(n);
        let open = is_dir
            && if filtering {
                (opts.collapsed.is_empty() || !opts.collapsed.contains(path.rel()))
                    && model.child_iter(n).any(kept)
            } else {
                opts.expanded.contains(path.rel())
            };
        if open {
            push_children(&mut stack, n, len, depth + 1);
        }
        out.push(VisibleRow {
            node: n,
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
    /// For a directory: the changes below it (`+3 ~1 -2`), when any.
    pub below: Option<String>,
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
    let path = model.path(v.node);
    let info = model.info(v.node, &path)?;
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
        path: escape(&abs(&path)),
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
        below: below_text(info.below),
        selected: selected == Some(&path[..]),
    })
}

/// `+3 ~1 -2` for the changes below a directory (the kinds that occur).
fn below_text([added, modified, removed]: [u32; 3]) -> Option<String> {
    let parts: Vec<String> = [('+', added), ('~', modified), ('-', removed)]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(c, n)| format!("{c}{n}"))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}
