//! The arena that holds the merged tree: nodes addressed by [`NodeId`],
//! children kept sorted by name bytes, parent links, and subtree removal.
//!
//! Invariants the rest of `fs` relies on:
//! * ids are indices into one `Vec` and are never reused, so a node removed by a
//!   whiteout stays readable (its name and parent link still give the path it
//!   had), which per-layer changes and wasted-space offenders use;
//! * a node is always created after its parent, so `child id > parent id` — a
//!   reverse walk over ids visits children before parents (subtree sizes);
//! * only directories have children, and a node is alive iff it is reachable
//!   from the root.

use crate::layer::EntryKind;

use super::children::Children;

/// The handle of one node of a [`MergedFs`](super::MergedFs): an index into
/// its arena. Only meaningful for the tree that produced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub(crate) u32);

impl NodeId {
    /// The root directory's id (every tree has one).
    pub const ROOT: NodeId = NodeId(0);

    /// The arena index, for callers that keep per-node side tables.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// The index of one regular file's content copy (one `File` entry of one
/// layer's tar); hard links share it.
pub(crate) type ContentId = u32;

/// One copy of file content as it was stored in a layer: the unit of wasted
/// space.
#[derive(Debug, Clone)]
pub(crate) struct Content {
    pub(crate) layer: u32,
    /// Where the entry that carried it is in its layer (the tar header's
    /// offset; a position for a layer listed from its table of contents).
    pub(crate) offset: u64,
    pub(crate) size: u64,
    pub(crate) sha256: Option<[u8; 32]>,
    /// The node created by the entry that carried this content; it may be
    /// dead by now, but its path is still readable.
    pub(crate) origin: NodeId,
}

/// The attributes that describe what a path *is* (compared to tell a
/// modification from an unchanged rewrite).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Meta {
    pub(crate) kind: EntryKind,
    pub(crate) mode: u32,
    pub(crate) uid: u64,
    pub(crate) gid: u64,
    pub(crate) size: u64,
    pub(crate) mtime: i64,
    pub(crate) link_target: Option<Box<[u8]>>,
    pub(crate) dev_major: u32,
    pub(crate) dev_minor: u32,
    pub(crate) content: Option<ContentId>,
}

impl Meta {
    /// The attributes of a directory that no entry described (a parent that
    /// a deeper path implies, or the root before any layer lists it).
    pub(crate) fn implicit_dir() -> Meta {
        Meta {
            kind: EntryKind::Directory,
            mode: 0o755,
            uid: 0,
            gid: 0,
            size: 0,
            mtime: 0,
            link_target: None,
            dev_major: 0,
            dev_minor: 0,
            content: None,
        }
    }
}

/// The most versions a node remembers in [`Node::replaced`]; older ones are
/// dropped, so a path rewritten a million times costs bounded memory.
pub const MAX_VERSIONS: usize = 64;

/// An earlier version of a path that a node shadowed: enough to say "this
/// replaced a 4 KiB file from layer 2".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    /// The layer that wrote the earlier version.
    pub layer: usize,
    /// What it was.
    pub kind: EntryKind,
    /// Its size (0 for everything but regular files).
    pub size: u64,
}

/// One node of the merged tree. Fields are private: a node is only ever made
/// by the merge, so its provenance cannot be forged.
#[derive(Debug, Clone)]
pub struct Node {
    pub(crate) name: Box<[u8]>,
    pub(crate) parent: NodeId,
    pub(crate) children: Children,
    pub(crate) meta: Meta,
    pub(crate) layer: u32,
    pub(crate) implicit: bool,
    pub(crate) alive: bool,
    pub(crate) hardlink: bool,
    pub(crate) replaced: Vec<Version>,
    /// Directories: bytes of the subtree; files: bytes this node accounts for
    /// (0 for the non-leading members of a hard-link group). Set at finish.
    pub(crate) total: u64,
    /// For a member of a hard-link group that is not its byte-wise first
    /// path: that first member. Set at finish.
    pub(crate) leader: Option<NodeId>,
}

impl Node {
    /// The last path component (empty for the root).
    pub fn name(&self) -> &[u8] {
        &self.name
    }

    /// The containing directory (the root is its own parent).
    pub fn parent(&self) -> NodeId {
        self.parent
    }

    /// What this node is. A hard link that resolved takes the kind of its
    /// target (`File` for the usual case); only an unresolved one stays
    /// [`EntryKind::HardLink`] (see [`Node::is_hardlink`]).
    pub fn kind(&self) -> EntryKind {
        self.meta.kind
    }

    /// Permission bits including setuid/setgid/sticky.
    pub fn mode(&self) -> u32 {
        self.meta.mode
    }

    /// Owner user id.
    pub fn uid(&self) -> u64 {
        self.meta.uid
    }

    /// Owner group id.
    pub fn gid(&self) -> u64 {
        self.meta.gid
    }

    /// Content size of a regular file (0 otherwise).
    pub fn size(&self) -> u64 {
        self.meta.size
    }

    /// Modification time in seconds since the epoch.
    pub fn mtime(&self) -> i64 {
        self.meta.mtime
    }

    /// Symlink target as written, or for an unresolved hard link the path it
    /// names (root-relative).
    pub fn link_target(&self) -> Option<&[u8]> {
        self.meta.link_target.as_deref()
    }

    /// `(major, minor)` for character and block devices.
    pub fn device(&self) -> Option<(u32, u32)> {
        match self.meta.kind {
            EntryKind::CharDevice | EntryKind::BlockDevice => {
                Some((self.meta.dev_major, self.meta.dev_minor))
            }
            _ => None,
        }
    }

    /// The layer whose entry produced this node (for an implicit directory,
    /// the layer whose deeper entry implied it).
    pub fn layer(&self) -> usize {
        self.layer as usize
    }

    /// True for a directory no entry described: a parent implied by a
    /// deeper path (or the root no layer listed). Its attributes are the
    /// defaults `0755 0:0`, mtime 0.
    pub fn is_implicit(&self) -> bool {
        self.implicit
    }

    /// True if this node was made by a hard-link entry (resolved or not).
    pub fn is_hardlink(&self) -> bool {
        self.hardlink
    }

    /// For a member of a hard-link group that is not the group's byte-wise
    /// first path: the node of that first path (the listing's `h` rows).
    pub fn hardlink_leader(&self) -> Option<NodeId> {
        self.leader
    }

    /// The versions of this path that this node shadowed, oldest first (at
    /// most [`MAX_VERSIONS`], the most recent). Includes a version that this
    /// node's own layer whited out before recreating the path. A removed
    /// node hands its list to the node that replaces it, so on removed nodes
    /// this may be empty.
    pub fn replaced(&self) -> &[Version] {
        &self.replaced
    }

    /// Directories: total bytes of regular files in the subtree, each hard-link
    /// group counted once (at its leader). Regular files: their size, or 0 for
    /// a non-leading hard-link member. Others: 0.
    pub fn total_size(&self) -> u64 {
        self.total
    }

    /// Whether the node is still part of the tree (nodes removed by a later
    /// entry stay in the arena so their paths can be reported).
    pub fn is_alive(&self) -> bool {
        self.alive
    }

    pub(crate) fn version(&self) -> Version {
        Version {
            layer: self.layer as usize,
            kind: self.meta.kind,
            size: self.meta.size,
        }
    }

    pub(crate) fn is_dir(&self) -> bool {
        self.meta.kind == EntryKind::Directory
    }
}

/// The arena. Internal: `MergedFs` exposes read-only access.
#[derive(Debug, Clone)]
pub(crate) struct Tree {
    nodes: Vec<Node>,
}

impl Tree {
    /// A tree with only the implicit root.
    pub(crate) fn new() -> Tree {
        Tree {
            nodes: vec![Node {
                name: Box::default(),
                parent: NodeId::ROOT,
                children: Children::default(),
                meta: Meta::implicit_dir(),
                layer: 0,
                implicit: true,
                alive: true,
                hardlink: false,
                replaced: Vec::new(),
                total: 0,
                leader: None,
            }],
        }
    }

    /// Make room for `more` nodes (one growth instead of many copies of the
    /// arena while a layer is applied).
    pub(crate) fn reserve(&mut self, more: usize) {
        self.nodes.reserve(more);
    }

    /// Number of nodes ever created (alive or not).
    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    /// The node behind an id this tree handed out. Ids are created only by
    /// this arena and never removed, so the index is in bounds.
    pub(crate) fn n(&self, id: NodeId) -> &Node {
        &self.nodes[id.index()]
    }

    pub(crate) fn n_mut(&mut self, id: NodeId) -> &mut Node {
        &mut self.nodes[id.index()]
    }

    pub(crate) fn get(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id.index())
    }

    pub(crate) fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    pub(crate) fn nodes_mut(&mut self) -> &mut [Node] {
        &mut self.nodes
    }

    /// The child called `name` of directory `dir`.
    pub(crate) fn child(&self, dir: NodeId, name: &[u8]) -> Option<NodeId> {
        let children = &self.n(dir).children;
        children.locate(name, &self.nodes).found(children)
    }

    /// The node at a root-relative path, if every component exists (and all
    /// but the last are directories, which holds because only directories
    /// have children).
    pub(crate) fn lookup(&self, path: &[u8]) -> Option<NodeId> {
        let mut cur = NodeId::ROOT;
        if path.is_empty() {
            return Some(cur);
        }
        for comp in path.split(|b| *b == b'/') {
            cur = self.child(cur, comp)?;
        }
        Some(cur)
    }

    /// Add a new node under `dir` (which must not have a child of that
    /// name). Returns its id.
    pub(crate) fn add_child(&mut self, dir: NodeId, mut node: Node) -> NodeId {
        let id = NodeId(self.nodes.len() as u32);
        node.parent = dir;
        node.alive = true;
        let slot = self.n(dir).children.locate(&node.name, &self.nodes);
        let name = node.name.clone();
        self.nodes.push(node);
        if self.n_mut(dir).children.insert(slot, &name, id) {
            let large = self.n(dir).children.to_large(&self.nodes);
            self.n_mut(dir).children = large;
        }
        id
    }

    /// Detach `id` (not the root) from its parent and mark its whole subtree
    /// dead. Returns the removed ids in pre-order with their paths relative
    /// to the root, built from `path` (the path of `id`).
    pub(crate) fn remove(&mut self, id: NodeId, path: &[u8]) -> Vec<(NodeId, Vec<u8>)> {
        if id == NodeId::ROOT {
            return Vec::new();
        }
        let parent = self.n(id).parent;
        let name = self.n(id).name.clone();
        let slot = self.n(parent).children.locate(&name, &self.nodes);
        self.n_mut(parent).children.remove(slot, &name);
        self.kill(vec![(id, path.to_vec())])
    }

    /// Remove every child of `dir` at once (an opaque whiteout): one pass,
    /// whatever the directory's size. `path` is the path of `dir`.
    pub(crate) fn clear(&mut self, dir: NodeId, path: &[u8]) -> Vec<(NodeId, Vec<u8>)> {
        let children = std::mem::take(&mut self.n_mut(dir).children);
        let start = children
            .ids()
            .into_iter()
            .rev()
            .map(|c| (c, self.child_path(path, c)))
            .collect();
        self.kill(start)
    }

    fn child_path(&self, dir_path: &[u8], child: NodeId) -> Vec<u8> {
        let name = &self.n(child).name;
        let mut p = Vec::with_capacity(dir_path.len() + 1 + name.len());
        p.extend_from_slice(dir_path);
        if !p.is_empty() {
            p.push(b'/');
        }
        p.extend_from_slice(name);
        p
    }

    /// Mark the subtrees on the stack dead; pre-order, names ascending when
    /// the stack holds siblings in descending order.
    fn kill(&mut self, mut stack: Vec<(NodeId, Vec<u8>)>) -> Vec<(NodeId, Vec<u8>)> {
        let mut out = Vec::new();
        while let Some((cur, p)) = stack.pop() {
            let node = self.n_mut(cur);
            node.alive = false;
            let children = std::mem::take(&mut node.children);
            for c in children.ids().into_iter().rev() {
                let cp = self.child_path(&p, c);
                stack.push((c, cp));
            }
            out.push((cur, p));
        }
        out
    }

    /// The root-relative path of a node (alive or dead: a dead node keeps its
    /// name and parent link, so this is the path it had).
    pub(crate) fn path(&self, id: NodeId) -> Vec<u8> {
        // Two walks up the parent links: measure, then fill from the end, so
        // the path costs one allocation.
        let mut len = 0usize;
        let mut cur = id;
        while cur != NodeId::ROOT {
            let node = self.n(cur);
            len += node.name.len() + 1;
            cur = node.parent;
        }
        let mut out = vec![0u8; len.saturating_sub(1)];
        let mut end = out.len();
        let mut cur = id;
        while cur != NodeId::ROOT {
            let node = self.n(cur);
            let start = end - node.name.len();
            out[start..end].copy_from_slice(&node.name);
            if start > 0 {
                out[start - 1] = b'/';
            }
            end = start.saturating_sub(1);
            cur = node.parent;
        }
        out
    }

    /// Every live node with its root-relative path, depth first, children in
    /// name order.
    pub(crate) fn walk(&self) -> Vec<(NodeId, Vec<u8>)> {
        let mut out = Vec::new();
        let mut stack = vec![(NodeId::ROOT, Vec::new())];
        while let Some((id, p)) = stack.pop() {
            for c in self.n(id).children.ids().into_iter().rev() {
                let cp = self.child_path(&p, c);
                stack.push((c, cp));
            }
            out.push((id, p));
        }
        out
    }
}
