//! The finished merged tree and its read-only API.

use crate::layer::Entry;

use super::changes::{LayerChanges, LayerSummary};
use super::children::ChildIds;
use super::merge::{MergeBuilder, MergeOptions, WhiteoutMode};
use super::note::MergeNote;
use super::stats::{self, Stats};
use super::tree::{Content, Node, NodeId, Tree};

/// What the merge recorded about one layer.
#[derive(Debug, Clone)]
pub(crate) struct LayerRecord {
    pub(crate) summary: LayerSummary,
    pub(crate) changes: LayerChanges,
    /// Why the layer added nothing, for a gap ([`MergeBuilder::gap`]).
    pub(crate) gap: Option<String>,
}

/// The union of a stack of layers: an arena tree with provenance, per-layer
/// changes and statistics. Built by [`MergedFs::build`], by
/// [`MergedFs::layer_view`] for one layer's own entries, or layer by layer
/// with a [`MergeBuilder`].
#[derive(Debug, Clone)]
pub struct MergedFs {
    tree: Tree,
    contents: Vec<Content>,
    layers: Vec<LayerRecord>,
    notes: Vec<MergeNote>,
    notes_dropped: u64,
    first_layer: u32,
    whiteouts: WhiteoutMode,
    stats: Stats,
}

impl MergedFs {
    pub(crate) fn finish(
        mut tree: Tree,
        contents: Vec<Content>,
        mut layers: Vec<LayerRecord>,
        notes: Vec<MergeNote>,
        notes_dropped: u64,
        first_layer: u32,
        whiteouts: WhiteoutMode,
    ) -> MergedFs {
        let mut summaries: Vec<&mut LayerSummary> =
            layers.iter_mut().map(|l| &mut l.summary).collect();
        let stats = stats::finish(&mut tree, &contents, &mut summaries, first_layer);
        MergedFs {
            tree,
            contents,
            layers,
            notes,
            notes_dropped,
            first_layer,
            whiteouts,
            stats,
        }
    }

    /// Merge layers (base first) with the default [`MergeOptions`].
    pub fn build<L: AsRef<[Entry]>>(layers: &[L]) -> MergedFs {
        MergedFs::build_with(layers, MergeOptions::default())
    }

    /// Merge layers (base first) with explicit options.
    pub fn build_with<L: AsRef<[Entry]>>(layers: &[L], options: MergeOptions) -> MergedFs {
        let mut b = MergeBuilder::new(options);
        for l in layers {
            b.push_entries(l.as_ref());
        }
        b.finish()
    }

    /// One layer's own entries as a tree, for "what this layer contains":
    /// whiteout markers stay as the entries they are in the tar (listed as
    /// the empty files they are), the same path twice keeps the last, hard
    /// links resolve only against the layer's own earlier entries. Parents
    /// the layer does not list are implied so the tree holds together, but
    /// [`MergedFs::listing`] leaves them out (the root excepted): the listing
    /// shows the layer's entries, not attributes it never set. Nodes carry
    /// layer `index`.
    pub fn layer_view(entries: &[Entry], index: usize) -> MergedFs {
        let options = MergeOptions {
            whiteouts: WhiteoutMode::Literal,
            ..MergeOptions::default()
        };
        let mut b = MergeBuilder::new(options).starting_at_layer(index);
        b.push_entries(entries);
        b.finish()
    }

    /// The root directory.
    pub fn root(&self) -> NodeId {
        NodeId::ROOT
    }

    /// A node by id (alive or removed), `None` for an id of another tree.
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.tree.get(id)
    }

    /// The live node at a root-relative path (`b""` is the root).
    pub fn lookup(&self, path: &[u8]) -> Option<NodeId> {
        self.tree.lookup(path)
    }

    /// The children of a directory, in name-byte order (empty for other
    /// nodes and unknown ids).
    pub fn children(&self, id: NodeId) -> Vec<NodeId> {
        match self.tree.get(id) {
            Some(n) => n.children.ids(),
            None => Vec::new(),
        }
    }

    /// [`MergedFs::children`] without the `Vec`: what a walk over a whole
    /// tree uses.
    pub fn child_ids(&self, id: NodeId) -> ChildIds<'_> {
        match self.tree.get(id) {
            Some(n) => n.children.iter(),
            None => ChildIds::none(),
        }
    }

    /// The root-relative path of a node (for a removed node: the path it had).
    pub fn path(&self, id: NodeId) -> Vec<u8> {
        if self.tree.get(id).is_none() {
            return Vec::new();
        }
        self.tree.path(id)
    }

    /// Every live node with its root-relative path, depth first with
    /// children in name order (the root first, with the empty path).
    pub fn walk(&self) -> Vec<(NodeId, Vec<u8>)> {
        self.tree.walk()
    }

    /// Number of nodes in the arena, alive or removed (ids are below this).
    pub fn arena_len(&self) -> usize {
        self.tree.len()
    }

    /// Number of layers merged.
    pub fn layer_count(&self) -> usize {
        self.layers.len()
    }

    /// True for a [`MergedFs::layer_view`] (markers kept as entries).
    pub fn is_layer_view(&self) -> bool {
        self.whiteouts == WhiteoutMode::Literal
    }

    /// The index of the first layer (0, except for a [`MergedFs::layer_view`]).
    pub fn first_layer(&self) -> usize {
        self.first_layer as usize
    }

    fn record(&self, layer: usize) -> Option<&LayerRecord> {
        let i = layer.checked_sub(self.first_layer as usize)?;
        self.layers.get(i)
    }

    /// What layer `layer` added, modified, rewrote unchanged and removed.
    pub fn changes(&self, layer: usize) -> Option<&LayerChanges> {
        self.record(layer).map(|r| &r.changes)
    }

    /// Why layer `layer` added nothing, when it was a gap (a layer that did
    /// not verify keeps its number in the stack; see [`MergeBuilder::gap`]).
    pub fn gap(&self, layer: usize) -> Option<&str> {
        self.record(layer).and_then(|r| r.gap.as_deref())
    }

    /// Counts and bytes of layer `layer`.
    pub fn layer_summary(&self, layer: usize) -> Option<&LayerSummary> {
        self.record(layer).map(|r| &r.summary)
    }

    /// Totals, wasted space and efficiency.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The SHA-256 of a regular file's content, when the scanner computed it
    /// (hard links report their target's).
    pub fn sha256(&self, id: NodeId) -> Option<[u8; 32]> {
        let c = self.tree.get(id)?.meta.content?;
        self.contents.get(c as usize)?.sha256
    }

    /// Where a regular file's bytes are: the layer and the offset of the
    /// entry that carried them (a hard link's are its target's), as in
    /// that layer's listing. `None` for anything but a file.
    pub fn bytes_at(&self, id: NodeId) -> Option<(usize, u64)> {
        let c = self.tree.get(id)?.meta.content?;
        let c = self.contents.get(c as usize)?;
        Some((c.layer as usize, c.offset))
    }

    /// Diagnostics of the merge (bounded; see [`MergedFs::notes_dropped`]).
    pub fn notes(&self) -> &[MergeNote] {
        &self.notes
    }

    /// Notes beyond [`MergeOptions::max_notes`], counted but not kept.
    pub fn notes_dropped(&self) -> u64 {
        self.notes_dropped
    }
}
