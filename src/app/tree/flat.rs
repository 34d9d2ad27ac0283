//! The tree in pre-order, flat: every node once, in name order, with its
//! parent's position, the end of its subtree and its name in one byte
//! buffer.
//!
//! Walking the model itself visits nodes scattered over the arena (a node,
//! its name and its children each elsewhere in memory); on a 100,000-entry
//! image that walk is what a filter keystroke cost. This copy is built once
//! per model and read front to back: a filter is one pass over contiguous
//! arrays, the visible rows a pass that jumps over closed or filtered-out
//! subtrees.

use super::filter::Filter;
use super::model::{NodeRef, TreeModel};
use super::rows::ShowChanges;

const NO_PARENT: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct Entry {
    node: NodeRef,
    /// Position of the parent (`NO_PARENT` for the root's children).
    parent: u32,
    /// One past the position of the last node of the subtree.
    end: u32,
    name_start: u32,
    name_len: u32,
    depth: u32,
    is_dir: bool,
}

/// See the module documentation.
#[derive(Debug, Clone, Default)]
pub struct Flat {
    entries: Vec<Entry>,
    names: Vec<u8>,
}

/// Which nodes a filter keeps, by position in a [`Flat`].
#[derive(Debug, Clone, Default)]
pub struct Kept {
    /// The node matches or leads to a match.
    pub keep: Vec<bool>,
    /// A descendant matches (a directory that opens by itself).
    pub below: Vec<bool>,
}

/// A walk's absolute path in one buffer, with the length it had at each
/// depth (a node's path is its parent's plus its name).
struct Path {
    buf: Vec<u8>,
    lens: Vec<usize>,
}

impl Path {
    fn new() -> Path {
        Path {
            buf: vec![b'/'],
            lens: Vec::new(),
        }
    }

    /// The buffer set to the path of `name` at `depth` (its parent, at
    /// `depth - 1`, entered before).
    fn enter(&mut self, depth: usize, name: &[u8]) {
        let parent = if depth == 0 {
            1
        } else {
            self.lens.get(depth - 1).copied().unwrap_or(1)
        };
        self.buf.truncate(parent);
        if parent > 1 {
            self.buf.push(b'/');
        }
        self.buf.extend_from_slice(name);
        self.lens.truncate(depth);
        self.lens.push(self.buf.len());
    }

    fn abs(&self) -> &[u8] {
        &self.buf
    }

    fn rel(&self) -> &[u8] {
        &self.buf[1..]
    }
}

impl Flat {
    /// The model's nodes in pre-order, children in name order.
    pub fn build(model: &TreeModel) -> Flat {
        let mut flat = Flat::default();
        // (node, parent position, depth); children pushed in reverse.
        let mut stack: Vec<(NodeRef, u32, u32)> = Vec::new();
        let push = |stack: &mut Vec<(NodeRef, u32, u32)>, n: NodeRef, pos: u32, depth: u32| {
            let start = stack.len();
            stack.extend(model.child_iter(n).map(|c| (c, pos, depth)));
            stack[start..].reverse();
        };
        push(&mut stack, model.root(), NO_PARENT, 0);
        while let Some((n, parent, depth)) = stack.pop() {
            let pos = u32::try_from(flat.entries.len()).unwrap_or(u32::MAX);
            let name = model.name(n);
            flat.entries.push(Entry {
                node: n,
                parent,
                end: pos,
                name_start: u32::try_from(flat.names.len()).unwrap_or(u32::MAX),
                name_len: u32::try_from(name.len()).unwrap_or(0),
                depth,
                is_dir: model.is_dir(n),
            });
            flat.names.extend_from_slice(name);
            push(&mut stack, n, pos, depth + 1);
        }
        // Subtree ends: a node's subtree ends where the next node that is
        // not its descendant starts; going backwards, each node extends its
        // parent's end.
        let len = u32::try_from(flat.entries.len()).unwrap_or(u32::MAX);
        for i in (0..flat.entries.len()).rev() {
            let e = flat.entries[i];
            let end = if e.end as usize == i {
                e.end + 1
            } else {
                e.end
            };
            flat.entries[i].end = end.min(len);
            if let Some(p) = flat.entries.get_mut(e.parent as usize) {
                p.end = p.end.max(end);
            }
        }
        flat
    }

    /// Number of nodes (the root not counted).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is no node but the root.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn name(&self, e: &Entry) -> &[u8] {
        let start = e.name_start as usize;
        self.names
            .get(start..start + e.name_len as usize)
            .unwrap_or_default()
    }

    /// Which nodes a filter and the change classes shown keep: one pass
    /// matching every node, one pass back marking the parents of kept ones.
    pub fn kept(&self, model: &TreeModel, filter: &Filter, show: ShowChanges) -> Kept {
        let n = self.entries.len();
        let mut keep = vec![false; n];
        let mut below = vec![false; n];
        let by_change = !show.is_all();
        let need_path = by_change || filter.needs_path();
        let mut path = Path::new();
        for (i, e) in self.entries.iter().enumerate() {
            let name = self.name(e);
            if need_path {
                path.enter(e.depth as usize, name);
            }
            keep[i] = (!by_change || show.shows(model.change(e.node, path.rel())))
                && filter.matches(name, path.abs());
        }
        for i in (0..n).rev() {
            if keep[i] {
                let p = self.entries[i].parent as usize;
                if p < n {
                    keep[p] = true;
                    below[p] = true;
                }
            }
        }
        Kept { keep, below }
    }

    /// The visible rows in name order: `open(rel_path, below)` says whether
    /// a directory shows its children (`below`: a filter keeps some), and
    /// `kept` (when filtering) which nodes show at all. Returns
    /// (node, depth, expanded) per row.
    pub fn rows(
        &self,
        kept: Option<&Kept>,
        mut open: impl FnMut(&[u8], bool) -> bool,
    ) -> Vec<(NodeRef, u32, Option<bool>)> {
        let mut out = Vec::new();
        let mut path = Path::new();
        let mut i = 0usize;
        while let Some(e) = self.entries.get(i) {
            let below = kept.is_some_and(|k| k.below.get(i).copied().unwrap_or(false));
            if kept.is_some_and(|k| !k.keep.get(i).copied().unwrap_or(false)) {
                i = e.end as usize;
                continue;
            }
            let is_open = e.is_dir && {
                path.enter(e.depth as usize, self.name(e));
                open(path.rel(), below)
            };
            out.push((e.node, e.depth, e.is_dir.then_some(is_open)));
            i = if is_open { i + 1 } else { e.end as usize };
        }
        out
    }

    /// [`Kept::keep`] by node index (for walks over the model itself).
    pub fn keep_by_node(&self, kept: &Kept, arena_len: usize) -> Vec<bool> {
        let mut out = vec![false; arena_len];
        for (e, k) in self.entries.iter().zip(&kept.keep) {
            if let Some(slot) = out.get_mut(e.node.index()) {
                *slot = *k;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use super::*;
    use crate::fs::MergedFs;
    use crate::layer::{Entry, EntryKind};

    fn entry(path: &str, kind: EntryKind) -> Entry {
        Entry::for_test(path, kind, 0)
    }

    /// a/ (a/b/ (a/b/x.so, a/b/y), a/c), d/ (empty), e.so — entered out
    /// of order, so the flat order is the model's name order, not the tar's.
    fn model() -> TreeModel {
        let d = EntryKind::Directory;
        let f = EntryKind::File;
        let layer = vec![
            entry("e.so", f),
            entry("a/c", f),
            entry("d", d),
            entry("a/b/y", f),
            entry("a/b/x.so", f),
        ];
        TreeModel::merged(Rc::new(MergedFs::build(&[layer])))
    }

    fn paths(model: &TreeModel, rows: &[(NodeRef, u32, Option<bool>)]) -> Vec<String> {
        rows.iter()
            .map(|(n, depth, open)| {
                let mark = match open {
                    Some(true) => "v ",
                    Some(false) => "> ",
                    None => "",
                };
                format!(
                    "{}{mark}{}",
                    "  ".repeat(*depth as usize),
                    String::from_utf8_lossy(&model.path(*n))
                )
            })
            .collect()
    }

    #[test]
    fn pre_order_in_name_order_with_subtree_ends() {
        let m = model();
        let flat = Flat::build(&m);
        let order: Vec<(String, u32, u32)> = flat
            .entries
            .iter()
            .map(|e| {
                let name = String::from_utf8_lossy(flat.name(e)).into_owned();
                (name, e.depth, e.end)
            })
            .collect();
        let want = [
            ("a", 0, 5),
            ("b", 1, 4),
            ("x.so", 2, 3),
            ("y", 2, 4),
            ("c", 1, 5),
            ("d", 0, 6),
            ("e.so", 0, 7),
        ];
        let want: Vec<(String, u32, u32)> = want
            .iter()
            .map(|(n, d, e)| ((*n).to_owned(), *d, *e))
            .collect();
        assert_eq!(order, want);
        assert_eq!(flat.len(), 7);
        // Each entry's parent is the directory its path is in.
        for e in &flat.entries {
            let parent =
                (e.parent != NO_PARENT).then(|| m.path(flat.entries[e.parent as usize].node));
            let own = m.path(e.node);
            let dir = own
                .iter()
                .rposition(|b| *b == b'/')
                .map(|i| own[..i].to_vec());
            assert_eq!(parent, dir, "{}", String::from_utf8_lossy(&own));
        }
    }

    #[test]
    fn a_filter_keeps_matches_and_the_directories_leading_to_them() {
        let m = model();
        let flat = Flat::build(&m);
        let kept = flat.kept(&m, &Filter::new("*.so"), ShowChanges::default());
        assert_eq!(kept.keep, [true, true, true, false, false, false, true]);
        assert_eq!(kept.below, [true, true, false, false, false, false, false]);
        let rows = flat.rows(Some(&kept), |_, below| below);
        assert_eq!(paths(&m, &rows), ["v a", "  v a/b", "    a/b/x.so", "e.so"]);
        // A path filter reads the absolute path built during the pass.
        let kept = flat.kept(&m, &Filter::new("/a/b/"), ShowChanges::default());
        assert_eq!(kept.keep, [true, true, true, true, false, false, false]);
        // A directory collapsed while filtering jumps over its subtree.
        let rows = flat.rows(Some(&kept), |p, below| below && p != b"a/b");
        assert_eq!(paths(&m, &rows), ["v a", "  > a/b"]);
    }

    #[test]
    fn without_a_filter_closed_directories_are_jumped_over() {
        let m = model();
        let flat = Flat::build(&m);
        let rows = flat.rows(None, |p, _| p == b"a");
        assert_eq!(paths(&m, &rows), ["v a", "  > a/b", "  a/c", "> d", "e.so"]);
        let rows = flat.rows(None, |p, _| p == b"a/b");
        assert_eq!(paths(&m, &rows), ["> a", "> d", "e.so"]);
        let mut asked = Vec::new();
        let rows = flat.rows(None, |p, _| {
            asked.push(String::from_utf8_lossy(p).into_owned());
            true
        });
        assert_eq!(rows.len(), 7);
        assert_eq!(asked, ["a", "a/b", "d"]);
    }

    #[test]
    fn kept_by_node_index_for_walks_over_the_model() {
        let m = model();
        let flat = Flat::build(&m);
        let kept = flat.kept(&m, &Filter::new("y"), ShowChanges::default());
        let by_node = flat.keep_by_node(&kept, m.arena_len());
        let mut paths: Vec<Vec<u8>> = (0..m.arena_len())
            .filter(|i| by_node[*i])
            .filter_map(|i| flat.entries.iter().find(|e| e.node.index() == i))
            .map(|e| m.path(e.node))
            .collect();
        paths.sort();
        assert_eq!(paths, [&b"a"[..], b"a/b", b"a/b/y"]);
    }

    #[test]
    fn an_empty_model_has_no_rows() {
        let m = TreeModel::merged(Rc::new(MergedFs::build::<Vec<Entry>>(&[])));
        let flat = Flat::build(&m);
        assert!(flat.is_empty());
        assert!(flat.rows(None, |_, _| true).is_empty());
        let kept = flat.kept(&m, &Filter::new("x"), ShowChanges::default());
        assert!(kept.keep.is_empty());
    }
}
