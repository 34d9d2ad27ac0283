//! Applying layers in order: the OCI whiteout rules and the replacement rules.
//!
//! Each layer is applied in two phases (OCI image spec, `layer.md`):
//!
//! 1. **Whiteouts**, in tar order, against the tree as the lower layers left
//!    it. "Whiteout files MUST only apply to resources in lower/parent
//!    layers", and the opaque marker "is applied first … regardless of the
//!    ordering in which the whiteout file was encountered". Running every
//!    marker before any of the layer's own entries gives both rules at once,
//!    wherever the markers sit in the tar. A whiteout never creates anything
//!    (no implied parents).
//! 2. **Entries**, in tar order ("Changeset over existing files"): a
//!    directory over a directory replaces its attributes and keeps its
//!    children; anything else removes the existing path (with its subtree)
//!    and recreates it. A missing parent is created as an implicit directory
//!    (`0755 0:0`); a non-directory in the way of a parent is replaced by one
//!    (noted). The same path twice: the last wins. A hard link resolves
//!    against the tree at that point (lower layers and earlier entries of the
//!    layer) after the path it replaces is gone, and shares its target's
//!    content and attributes; an unresolvable one is kept and noted.
//!
//! Markers never reach the tree. Every `.wh.`-prefixed basename is a marker
//! whatever its tar type (the spec says such names cannot exist).
//!
//! This file holds the builder and the whiteout phase; `entries.rs` the
//! entry phase.

mod entries;

use std::collections::HashMap;

use crate::fs::changes::{self, Before, LayerSummary};
use crate::fs::merged::{LayerRecord, MergedFs};
use crate::fs::note::{MergeNote, NoteKind};
use crate::fs::tree::{Content, Meta, Node, NodeId, Tree, Version, MAX_VERSIONS};
use crate::fs::whiteout::{classify, has_marker_ancestor, is_malformed, split_parent, Whiteout};
use crate::layer::{Entry, VerifiedLayer};

use entries::DirCache;

/// How `.wh.` entries are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhiteoutMode {
    /// Interpret them (the merged image).
    Apply,
    /// Keep them as the ordinary entries they are in the tar (one layer's
    /// own view: "what this layer contains", markers included).
    Literal,
}

/// Bounds and mode of a merge. The defaults suit the browser: a hostile
/// layer cannot make the tree grow without limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MergeOptions {
    /// The most nodes the arena may hold (alive or removed). Each entry adds
    /// at most its depth in nodes; once reached, further new paths are
    /// skipped with a [`NoteKind::NodeLimitReached`] note. A node costs about
    /// 200 bytes plus its name, so the default (2 million) caps the tree near
    /// 500 MB — far above real images (a large distribution image has ~100k
    /// paths) but within what a browser tab can hold.
    pub max_nodes: usize,
    /// The most notes kept; later ones are only counted.
    pub max_notes: usize,
    /// Whether whiteout markers are interpreted.
    pub whiteouts: WhiteoutMode,
}

impl Default for MergeOptions {
    fn default() -> Self {
        MergeOptions {
            max_nodes: 2_000_000,
            max_notes: 10_000,
            whiteouts: WhiteoutMode::Apply,
        }
    }
}

/// Why a directory path cannot be walked in the lower tree.
enum Blocked {
    Missing,
    NotDirectory,
}

/// The state of the layer being applied.
struct LayerCx {
    n: u32,
    /// Nodes with an id below this existed before the layer.
    start: usize,
    /// Lower nodes this layer removed or changed in place, by path, with
    /// their attributes before the layer (first record wins) and the node at
    /// that path now.
    before: HashMap<Vec<u8>, Before>,
    /// The nodes this layer created, with their paths.
    created: Vec<(NodeId, Vec<u8>)>,
    /// The last node removed at each path during this layer (for the
    /// `replaced` chain of a node recreated there).
    graveyard: HashMap<Vec<u8>, NodeId>,
    limit_noted: bool,
    /// The directory chain the previous entry went into.
    dirs: DirCache,
}

/// Applies layers one at a time; [`MergeBuilder::snapshot`] gives "the image
/// up to this layer" without starting over, [`MergeBuilder::finish`] the
/// final tree.
#[derive(Debug, Clone)]
pub struct MergeBuilder {
    tree: Tree,
    contents: Vec<Content>,
    layers: Vec<LayerRecord>,
    notes: Vec<MergeNote>,
    notes_dropped: u64,
    options: MergeOptions,
    first_layer: u32,
}

impl Default for MergeBuilder {
    fn default() -> Self {
        MergeBuilder::new(MergeOptions::default())
    }
}

impl MergeBuilder {
    /// An empty image (only the root directory).
    pub fn new(options: MergeOptions) -> MergeBuilder {
        MergeBuilder {
            tree: Tree::new(),
            contents: Vec::new(),
            layers: Vec::new(),
            notes: Vec::new(),
            notes_dropped: 0,
            options,
            first_layer: 0,
        }
    }

    /// Number the next layer `index` instead of 0 (used for one layer's own
    /// view, so its nodes carry the layer's real index).
    pub fn starting_at_layer(mut self, index: usize) -> MergeBuilder {
        self.first_layer = u32::try_from(index).unwrap_or(u32::MAX);
        self
    }

    /// Number of layers applied so far.
    pub fn layers_applied(&self) -> usize {
        self.layers.len()
    }

    /// The finished tree of the layers applied so far, leaving the builder
    /// ready for more (a clone of the arena plus the finishing pass).
    pub fn snapshot(&self) -> MergedFs {
        self.clone().finish()
    }

    /// The finished tree: hard-link groups, sizes and statistics computed.
    pub fn finish(self) -> MergedFs {
        MergedFs::finish(
            self.tree,
            self.contents,
            self.layers,
            self.notes,
            self.notes_dropped,
            self.first_layer,
            self.options.whiteouts,
        )
    }

    fn note(&mut self, layer: u32, path: &[u8], kind: NoteKind) {
        if self.notes.len() < self.options.max_notes {
            self.notes.push(MergeNote {
                layer: layer as usize,
                path: path.to_vec(),
                kind,
            });
        } else {
            self.notes_dropped += 1;
        }
    }

    /// Apply an image's next layer. Only a [`VerifiedLayer`] is taken: a
    /// layer that did not verify is a [`gap`](MergeBuilder::gap).
    pub fn push_layer(&mut self, layer: &VerifiedLayer) {
        self.push_entries(layer.entries());
    }

    /// The image's next layer, listed from its table of contents (its
    /// listing checked, its blob not read: the caller says so).
    pub fn push_listed(&mut self, layer: &crate::layer::toc::ListedLayer) {
        self.push_entries(layer.entries());
    }

    /// The image's next layer adds nothing (it was not fetched, not read to
    /// its end, or did not verify: `why`). It keeps its number, so later
    /// layers keep the manifest's, and [`MergedFs::gap`] says why.
    pub fn gap(&mut self, why: impl Into<String>) {
        self.push_entries(&[]);
        if let Some(last) = self.layers.last_mut() {
            last.gap = Some(why.into());
        }
    }

    /// Apply entries that no descriptor names (in tar order): one layer's
    /// own view ([`MergedFs::layer_view`]), stacks built in code (tests,
    /// benchmarks, [`MergedFs::build`]). An image's layers go through
    /// [`push_layer`](MergeBuilder::push_layer), which takes only verified
    /// ones.
    pub fn push_entries(&mut self, entries: &[Entry]) {
        let n = self
            .first_layer
            .saturating_add(u32::try_from(self.layers.len()).unwrap_or(u32::MAX));
        let mut cx = LayerCx {
            n,
            start: self.tree.len(),
            before: HashMap::new(),
            created: Vec::new(),
            graveyard: HashMap::new(),
            limit_noted: false,
            dirs: DirCache::default(),
        };
        let room = self.options.max_nodes.saturating_sub(self.tree.len());
        self.tree.reserve(entries.len().min(room));
        let mut summary = LayerSummary::default();
        let apply = self.options.whiteouts == WhiteoutMode::Apply;

        if apply {
            for e in entries {
                let (parent, name) = split_parent(&e.path);
                if is_malformed(&e.path) {
                    continue;
                }
                if let Some(w) = classify(name) {
                    self.apply_whiteout(&mut cx, &e.path, parent, w);
                }
            }
        }

        for e in entries {
            summary.entries += 1;
            if is_malformed(&e.path) {
                self.note(n, &e.path, NoteKind::MalformedPath);
                summary.skipped += 1;
                continue;
            }
            if apply {
                if classify(split_parent(&e.path).1).is_some() {
                    summary.whiteouts += 1;
                    continue;
                }
                if has_marker_ancestor(&e.path) {
                    self.note(n, &e.path, NoteKind::EntryUnderWhiteoutName);
                    summary.skipped += 1;
                    continue;
                }
            }
            if self.apply_entry(&mut cx, e) {
                summary.count(e);
            } else {
                summary.skipped += 1;
            }
        }

        let changes = changes::compute(&self.tree, &self.contents, cx.before, cx.created);
        self.layers.push(LayerRecord {
            summary,
            changes,
            gap: None,
        });
    }

    /// Walk a directory path of the current tree.
    fn resolve_dir(&self, path: &[u8]) -> Result<NodeId, Blocked> {
        let mut cur = NodeId::ROOT;
        if path.is_empty() {
            return Ok(cur);
        }
        for comp in path.split(|b| *b == b'/') {
            cur = self.tree.child(cur, comp).ok_or(Blocked::Missing)?;
            if !self.tree.n(cur).is_dir() {
                return Err(Blocked::NotDirectory);
            }
        }
        Ok(cur)
    }

    fn apply_whiteout(&mut self, cx: &mut LayerCx, marker: &[u8], parent: &[u8], w: Whiteout) {
        match w {
            Whiteout::AufsMeta => self.note(cx.n, marker, NoteKind::AufsMetadataIgnored),
            Whiteout::Invalid => self.note(cx.n, marker, NoteKind::InvalidWhiteoutName),
            Whiteout::Remove(victim) => match self.resolve_dir(parent) {
                Ok(dir) => match self.tree.child(dir, victim) {
                    Some(id) => {
                        let path = join(parent, victim);
                        self.remove(cx, id, &path);
                    }
                    None => self.note(cx.n, marker, NoteKind::WhiteoutTargetMissing),
                },
                Err(Blocked::Missing) => self.note(cx.n, marker, NoteKind::WhiteoutTargetMissing),
                Err(Blocked::NotDirectory) => {
                    self.note(cx.n, marker, NoteKind::WhiteoutParentNotDirectory)
                }
            },
            Whiteout::Opaque => match self.resolve_dir(parent) {
                Ok(dir) => {
                    let removed = self.tree.clear(dir, parent);
                    self.record_removed(cx, removed);
                }
                // A new directory marked opaque: nothing below to hide.
                Err(Blocked::Missing) => {}
                Err(Blocked::NotDirectory) => {
                    self.note(cx.n, marker, NoteKind::OpaqueParentNotDirectory)
                }
            },
        }
    }

    /// Remove a node and its subtree, remembering what the lower layers had.
    fn remove(&mut self, cx: &mut LayerCx, id: NodeId, path: &[u8]) {
        let removed = self.tree.remove(id, path);
        self.record_removed(cx, removed);
    }

    /// Remember what removed nodes were, for the changes and the
    /// `replaced` chain of a path recreated later in the layer.
    fn record_removed(&mut self, cx: &mut LayerCx, removed: Vec<(NodeId, Vec<u8>)>) {
        for (rid, rpath) in removed {
            match cx.before.get_mut(&rpath) {
                Some(b) => b.now = None,
                None if rid.index() < cx.start => {
                    let meta = self.tree.n(rid).meta.clone();
                    cx.before.insert(rpath.clone(), Before { meta, now: None });
                }
                None => {}
            }
            cx.graveyard.insert(rpath, rid);
        }
    }

    /// Put a new node at `path` under `dir` and record it for the changes.
    fn create(&mut self, cx: &mut LayerCx, dir: NodeId, path: &[u8], node: Node) -> NodeId {
        let id = self.tree.add_child(dir, node);
        if let Some(b) = cx.before.get_mut(path) {
            b.now = Some(id);
        }
        cx.created.push((id, path.to_vec()));
        id
    }

    /// The versions a new node shadows: those `prev` shadowed, then `prev`
    /// itself. The list is moved out of `prev` (which is being removed), not
    /// copied, so rewriting one path many times stays linear.
    fn take_chain(&mut self, prev: Option<NodeId>) -> Vec<Version> {
        match prev {
            Some(p) => {
                let node = self.tree.n_mut(p);
                let mut v = std::mem::take(&mut node.replaced);
                push_version(&mut v, node.version());
                v
            }
            None => Vec::new(),
        }
    }

    fn room_for_node(&mut self, cx: &mut LayerCx, path: &[u8]) -> bool {
        // Ids are u32: the arena never outgrows them, whatever the option says.
        if self.tree.len() < self.options.max_nodes.min(u32::MAX as usize) {
            return true;
        }
        if !cx.limit_noted {
            cx.limit_noted = true;
            self.note(cx.n, path, NoteKind::NodeLimitReached);
        }
        false
    }

    fn new_node(&self, cx: &LayerCx, name: &[u8], meta: Meta, replaced: Vec<Version>) -> Node {
        Node {
            name: name.into(),
            parent: NodeId::ROOT,
            children: Default::default(),
            meta,
            layer: cx.n,
            implicit: false,
            alive: true,
            hardlink: false,
            replaced,
            total: 0,
            leader: None,
        }
    }
}

/// `parent/name`, or `name` at the root.
fn join(parent: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(parent.len() + 1 + name.len());
    if !parent.is_empty() {
        p.extend_from_slice(parent);
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}

/// Append a version, keeping only the most recent [`MAX_VERSIONS`].
fn push_version(list: &mut Vec<Version>, v: Version) {
    if list.len() >= MAX_VERSIONS {
        list.remove(0);
    }
    list.push(v);
}
