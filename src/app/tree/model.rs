//! The tree the page shows, whichever mode it is in: the merged image up to
//! a layer (a [`MergedFs`] plus the selected layer's change marks), or one
//! layer's changes (a small tree of the paths the layer touched, removed
//! ones included so they can be shown struck through).
//!
//! Both answer the same questions (children in name order, a node's
//! attributes, lookup by path), so the visible rows are computed once for
//! both (`rows.rs`).

use std::collections::HashMap;
use std::rc::Rc;

use crate::fs::diff::{Change as DiffChange, TreeDiff};
use crate::fs::{ChildIds, LayerChanges, MergeBuilder, MergeOptions, MergedFs, NodeId};
use crate::inspect::LayerReport;
use crate::layer::EntryKind;

/// How a path relates to the selected layer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Change {
    /// The layer did not touch it (or no layer is selected).
    #[default]
    None,
    /// The layer created it.
    Added,
    /// The layer changed its type, content, mode or owner.
    Modified,
    /// The layer stored it again with nothing changed (wasted bytes).
    Rewritten,
    /// The layer deleted it (whiteout, opaque directory, replacement).
    Removed,
}

impl Change {
    /// One character for text renderings: `+ ~ = -` or a space.
    pub fn marker(self) -> char {
        match self {
            Change::None => ' ',
            Change::Added => '+',
            Change::Modified => '~',
            Change::Rewritten => '=',
            Change::Removed => '-',
        }
    }

    /// The word for a CSS class and assistive text.
    pub fn word(self) -> &'static str {
        match self {
            Change::None => "unmodified",
            Change::Added => "added",
            Change::Modified => "modified",
            Change::Rewritten => "rewritten",
            Change::Removed => "removed",
        }
    }
}

/// A node of a [`TreeModel`] (only meaningful for the model that gave it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeRef(u32);

impl NodeRef {
    /// The index in the model's arena (for side tables).
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A node's children in name order, without collecting them: what a walk
/// over every node of a big tree uses.
#[derive(Debug, Clone)]
pub struct Children<'a>(ChildrenOf<'a>);

#[derive(Debug, Clone)]
enum ChildrenOf<'a> {
    Merged(ChildIds<'a>),
    Changes(std::slice::Iter<'a, u32>),
}

impl Iterator for Children<'_> {
    type Item = NodeRef;

    fn next(&mut self) -> Option<NodeRef> {
        match &mut self.0 {
            ChildrenOf::Merged(i) => i.next().map(|c| NodeRef(c.index() as u32)),
            ChildrenOf::Changes(i) => i.next().map(|c| NodeRef(*c)),
        }
    }
}

/// What the rows need to know about a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo<'a> {
    /// Last path component (empty for the root).
    pub name: &'a [u8],
    /// What it is.
    pub kind: EntryKind,
    /// Permission bits.
    pub mode: u32,
    /// Owner user id.
    pub uid: u64,
    /// Owner group id.
    pub gid: u64,
    /// Files: content size; directories: subtree total.
    pub size: u64,
    /// The layer the node came from (`None` for a directory no entry described).
    pub layer: Option<usize>,
    /// A symlink's target as written.
    pub symlink: Option<&'a [u8]>,
    /// For a hard link: the root-relative path it shares content with.
    pub hardlink: Option<Vec<u8>>,
    /// Relation to the selected layer.
    pub change: Change,
    /// For a directory of a comparison or a layer's changes: how many
    /// paths below it were added, modified and removed.
    pub below: [u32; 3],
}

#[derive(Debug, Clone)]
struct ChangeNode {
    name: Box<[u8]>,
    parent: u32,
    children: Vec<u32>,
    kind: EntryKind,
    mode: u32,
    uid: u64,
    gid: u64,
    size: u64,
    total: u64,
    layer: Option<usize>,
    symlink: Option<Box<[u8]>>,
    change: Change,
    /// Paths added, modified and removed below this one (directories).
    below: [u32; 3],
}

impl ChangeNode {
    /// A directory placeholder (root 0755 0:0) until the real entry's
    /// attributes are copied in.
    fn directory(name: Box<[u8]>, parent: u32, change: Change) -> ChangeNode {
        ChangeNode {
            name,
            parent,
            children: Vec::new(),
            kind: EntryKind::Directory,
            mode: 0o755,
            uid: 0,
            gid: 0,
            size: 0,
            total: 0,
            layer: None,
            symlink: None,
            change,
            below: [0; 3],
        }
    }
}

#[derive(Debug, Clone)]
enum Inner {
    Merged {
        fs: Rc<MergedFs>,
        marks: HashMap<Vec<u8>, Change>,
    },
    Changes {
        nodes: Vec<ChangeNode>,
    },
}

/// The tree shown: see the module documentation.
#[derive(Debug, Clone)]
pub struct TreeModel {
    inner: Inner,
}

fn marks_of(changes: &LayerChanges) -> HashMap<Vec<u8>, Change> {
    let mut m = HashMap::new();
    for p in &changes.added {
        m.insert(p.clone(), Change::Added);
    }
    for p in &changes.modified {
        m.insert(p.path.clone(), Change::Modified);
    }
    for p in &changes.unchanged {
        m.insert(p.clone(), Change::Rewritten);
    }
    for p in &changes.removed {
        m.insert(p.clone(), Change::Removed);
    }
    m
}

/// The merged tree of the verified layers among the first `upto + 1`
/// (unverified layers keep their number but add nothing), and the tree
/// before the last of them.
fn merge_upto(reports: &[LayerReport], upto: usize) -> (MergedFs, MergedFs) {
    let mut b = MergeBuilder::new(MergeOptions::default());
    let mut before = None;
    for (i, r) in reports.iter().enumerate().take(upto.saturating_add(1)) {
        if i == upto {
            before = Some(b.snapshot());
        }
        r.merge_into(&mut b);
    }
    let after = b.finish();
    (before.unwrap_or_else(|| after.clone()), after)
}

fn node_layer(fs: &MergedFs, id: NodeId) -> Option<usize> {
    fs.node(id)
        .filter(|n| !(n.is_implicit() && id == fs.root()))
        .map(|n| n.layer())
}

impl TreeModel {
    /// The merged image with no layer selected: no change marks.
    pub fn merged(fs: Rc<MergedFs>) -> TreeModel {
        TreeModel {
            inner: Inner::Merged {
                fs,
                marks: HashMap::new(),
            },
        }
    }

    /// The image up to layer `layer`, marked with what that layer changed.
    /// `full` is the tree of all layers, reused when `layer` is the last.
    pub fn up_to(reports: &[LayerReport], full: &Rc<MergedFs>, layer: usize) -> TreeModel {
        let fs = if layer + 1 >= reports.len() {
            Rc::clone(full)
        } else {
            Rc::new(merge_upto(reports, layer).1)
        };
        let marks = fs.changes(layer).map(marks_of).unwrap_or_default();
        TreeModel {
            inner: Inner::Merged { fs, marks },
        }
    }

    /// What layer `layer` changed: the paths it added, modified, rewrote and
    /// removed, with the directories leading to them. Attributes of removed
    /// paths are those they had before the layer.
    pub fn changes(reports: &[LayerReport], layer: usize) -> TreeModel {
        let (before, after) = merge_upto(reports, layer);
        let marks = after.changes(layer).map(marks_of).unwrap_or_default();
        let mut paths: Vec<(&[u8], Change)> = marks.iter().map(|(p, c)| (&p[..], *c)).collect();
        crate::sort::sort_by(&mut paths, |a, b| a.0.cmp(b.0));
        TreeModel::of_paths(paths, &before, &after)
    }

    /// Image `b` compared with image `a` (their merged trees `before` and
    /// `after`): every path of `b`, marked added or modified where the
    /// comparison says so, and the paths only `a` has, marked removed (with
    /// `a`'s attributes, shown struck through). Directories count the
    /// changes below them.
    pub fn compare(before: &MergedFs, after: &MergedFs, diff: &TreeDiff) -> TreeModel {
        let marks: HashMap<&[u8], Change> = diff
            .entries
            .iter()
            .map(|e| {
                let p = e.path();
                let change = match e.change {
                    DiffChange::Added => Change::Added,
                    DiffChange::Modified => Change::Modified,
                    DiffChange::Removed => Change::Removed,
                };
                (p.strip_prefix(b"/").unwrap_or(p), change)
            })
            .collect();
        let walked = after.walk();
        let mut paths: Vec<(&[u8], Change)> = walked
            .iter()
            .map(|(_, p)| (&p[..], marks.get(&p[..]).copied().unwrap_or_default()))
            .collect();
        paths.extend(
            marks
                .iter()
                .filter(|(_, c)| **c == Change::Removed)
                .map(|(p, c)| (*p, *c)),
        );
        crate::sort::sort_by(&mut paths, |a, b| a.0.cmp(b.0));
        TreeModel::of_paths(paths, before, after)
    }

    /// A tree of `paths` (sorted) with their marks and the directories
    /// leading to them; attributes from `after`, or from `before` for what
    /// is removed (or only leads to removed paths).
    fn of_paths(paths: Vec<(&[u8], Change)>, before: &MergedFs, after: &MergedFs) -> TreeModel {
        let mut nodes = vec![ChangeNode::directory(Box::default(), 0, Change::None)];
        let mut index: HashMap<Vec<u8>, u32> = HashMap::new();
        for (path, change) in paths {
            if path.is_empty() {
                nodes[0].change = change;
                continue;
            }
            let mut cur = 0u32;
            let mut prefix: Vec<u8> = Vec::new();
            let comps: Vec<&[u8]> = path.split(|b| *b == b'/').collect();
            for (i, comp) in comps.iter().enumerate() {
                if !prefix.is_empty() {
                    prefix.push(b'/');
                }
                prefix.extend_from_slice(comp);
                let last = i + 1 == comps.len();
                if let Some(&id) = index.get(&prefix) {
                    if last {
                        nodes[id as usize].change = change;
                    }
                    cur = id;
                    continue;
                }
                let (fs, this_change) = if last {
                    (
                        if change == Change::Removed {
                            before
                        } else {
                            after
                        },
                        change,
                    )
                } else if after.lookup(&prefix).is_some() {
                    (after, Change::None)
                } else {
                    (before, Change::None)
                };
                let id = u32::try_from(nodes.len()).unwrap_or(u32::MAX);
                let mut node = ChangeNode::directory((*comp).into(), cur, this_change);
                if let Some(n) = fs
                    .lookup(&prefix)
                    .and_then(|nid| fs.node(nid).map(|n| (nid, n)))
                {
                    node.kind = n.1.kind();
                    node.mode = n.1.mode();
                    node.uid = n.1.uid();
                    node.gid = n.1.gid();
                    node.size = if n.1.kind() == EntryKind::File {
                        n.1.size()
                    } else {
                        0
                    };
                    node.layer = node_layer(fs, n.0);
                    node.symlink =
                        n.1.link_target()
                            .filter(|_| n.1.kind() == EntryKind::Symlink)
                            .map(Into::into);
                }
                nodes.push(node);
                if let Some(parent) = nodes.get_mut(cur as usize) {
                    parent.children.push(id);
                }
                index.insert(prefix.clone(), id);
                cur = id;
            }
        }
        // Children in name order, then subtree totals of what is not removed
        // (children come after their parents in the arena).
        let names: Vec<Box<[u8]>> = nodes.iter().map(|n| n.name.clone()).collect();
        for n in nodes.iter_mut() {
            crate::sort::sort_by(&mut n.children, |a, b| {
                names[*a as usize].cmp(&names[*b as usize])
            });
        }
        for i in (0..nodes.len()).rev() {
            if i > 0 {
                let p = nodes[i].parent as usize;
                let mut below = nodes[i].below;
                match nodes[i].change {
                    Change::Added => below[0] += 1,
                    Change::Modified => below[1] += 1,
                    Change::Removed => below[2] += 1,
                    Change::None | Change::Rewritten => {}
                }
                for (to, from) in nodes[p].below.iter_mut().zip(below) {
                    *to = to.saturating_add(from);
                }
            }
            let own = if nodes[i].kind == EntryKind::Directory {
                nodes[i].total
            } else if nodes[i].change == Change::Removed {
                0
            } else {
                nodes[i].size
            };
            nodes[i].total = own;
            if i > 0 {
                let p = nodes[i].parent as usize;
                nodes[p].total = nodes[p].total.saturating_add(own);
            }
        }
        TreeModel {
            inner: Inner::Changes { nodes },
        }
    }

    /// The root directory.
    pub fn root(&self) -> NodeRef {
        NodeRef(0)
    }

    /// Number of node slots (for side tables indexed by [`NodeRef::index`]).
    pub fn arena_len(&self) -> usize {
        match &self.inner {
            Inner::Merged { fs, .. } => fs.arena_len(),
            Inner::Changes { nodes } => nodes.len(),
        }
    }

    /// Children of a directory in name order.
    pub fn children(&self, n: NodeRef) -> Vec<NodeRef> {
        self.child_iter(n).collect()
    }

    /// [`TreeModel::children`] without the `Vec`.
    pub fn child_iter(&self, n: NodeRef) -> Children<'_> {
        Children(match &self.inner {
            Inner::Merged { fs, .. } => ChildrenOf::Merged(fs.child_ids(NodeId(n.0))),
            Inner::Changes { nodes } => ChildrenOf::Changes(
                nodes
                    .get(n.index())
                    .map_or([].iter(), |x| x.children.iter()),
            ),
        })
    }

    /// The root-relative path of a node (empty for the root).
    pub fn path(&self, n: NodeRef) -> Vec<u8> {
        match &self.inner {
            Inner::Merged { fs, .. } => fs.path(NodeId(n.0)),
            Inner::Changes { nodes } => {
                let mut names: Vec<&[u8]> = Vec::new();
                let mut cur = n.index();
                // Parents come before children in the arena: the walk ends.
                while cur != 0 {
                    let Some(x) = nodes.get(cur) else { break };
                    names.push(&x.name);
                    if x.parent as usize >= cur {
                        break;
                    }
                    cur = x.parent as usize;
                }
                names.reverse();
                names.join(&b'/')
            }
        }
    }

    /// The parent (the root is its own parent).
    pub fn parent(&self, n: NodeRef) -> NodeRef {
        match &self.inner {
            Inner::Merged { fs, .. } => fs
                .node(NodeId(n.0))
                .map_or(NodeRef(0), |x| NodeRef(x.parent().index() as u32)),
            Inner::Changes { nodes } => nodes
                .get(n.index())
                .map_or(NodeRef(0), |x| NodeRef(x.parent)),
        }
    }

    /// A node's last path component.
    pub fn name(&self, n: NodeRef) -> &[u8] {
        match &self.inner {
            Inner::Merged { fs, .. } => fs.node(NodeId(n.0)).map_or(&[][..], |x| x.name()),
            Inner::Changes { nodes } => nodes.get(n.index()).map_or(&[][..], |x| &x.name),
        }
    }

    /// Whether a node is a directory.
    pub fn is_dir(&self, n: NodeRef) -> bool {
        match &self.inner {
            Inner::Merged { fs, .. } => fs
                .node(NodeId(n.0))
                .is_some_and(|x| x.kind() == EntryKind::Directory),
            Inner::Changes { nodes } => nodes
                .get(n.index())
                .is_some_and(|x| x.kind == EntryKind::Directory),
        }
    }

    /// Files: size; directories: subtree total (what sorting by size uses).
    pub fn total(&self, n: NodeRef) -> u64 {
        match &self.inner {
            Inner::Merged { fs, .. } => fs.node(NodeId(n.0)).map_or(0, |x| x.total_size()),
            Inner::Changes { nodes } => nodes.get(n.index()).map_or(0, |x| x.total),
        }
    }

    /// The change mark of a node whose root-relative path is `path`.
    pub fn change(&self, n: NodeRef, path: &[u8]) -> Change {
        match &self.inner {
            Inner::Merged { marks, .. } => marks.get(path).copied().unwrap_or_default(),
            Inner::Changes { nodes } => nodes.get(n.index()).map_or(Change::None, |x| x.change),
        }
    }

    /// Every attribute a row shows.
    pub fn info(&self, n: NodeRef, path: &[u8]) -> Option<NodeInfo<'_>> {
        match &self.inner {
            Inner::Merged { fs, marks } => {
                let id = NodeId(n.0);
                let node = fs.node(id)?;
                let kind = node.kind();
                Some(NodeInfo {
                    name: node.name(),
                    kind,
                    mode: node.mode(),
                    uid: node.uid(),
                    gid: node.gid(),
                    size: match kind {
                        EntryKind::File => node.size(),
                        EntryKind::Directory => node.total_size(),
                        _ => 0,
                    },
                    layer: node_layer(fs, id),
                    symlink: node.link_target().filter(|_| kind == EntryKind::Symlink),
                    hardlink: node.hardlink_leader().map(|l| fs.path(l)).or_else(|| {
                        node.link_target()
                            .filter(|_| kind == EntryKind::HardLink)
                            .map(<[u8]>::to_vec)
                    }),
                    change: marks.get(path).copied().unwrap_or_default(),
                    below: [0; 3],
                })
            }
            Inner::Changes { nodes } => {
                let x = nodes.get(n.index())?;
                Some(NodeInfo {
                    name: &x.name,
                    kind: x.kind,
                    mode: x.mode,
                    uid: x.uid,
                    gid: x.gid,
                    size: if x.kind == EntryKind::Directory {
                        x.total
                    } else {
                        x.size
                    },
                    layer: x.layer,
                    symlink: x.symlink.as_deref(),
                    hardlink: None,
                    change: x.change,
                    below: if x.kind == EntryKind::Directory {
                        x.below
                    } else {
                        [0; 3]
                    },
                })
            }
        }
    }

    /// The node at a root-relative path.
    pub fn lookup(&self, path: &[u8]) -> Option<NodeRef> {
        match &self.inner {
            Inner::Merged { fs, .. } => fs.lookup(path).map(|id| NodeRef(id.index() as u32)),
            Inner::Changes { .. } => {
                let mut cur = self.root();
                if path.is_empty() {
                    return Some(cur);
                }
                for comp in path.split(|b| *b == b'/') {
                    cur = self
                        .children(cur)
                        .into_iter()
                        .find(|c| self.name(*c) == comp)?;
                }
                Some(cur)
            }
        }
    }
}
