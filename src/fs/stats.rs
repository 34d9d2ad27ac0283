//! Sizes of the merged image and its wasted space, counted once per copy.
//!
//! The unit is the *content copy*: the bytes one regular-file entry stores in
//! one layer's tar (a hard-link entry stores none; its links share the copy).
//! A copy is **wasted** when no path of the final tree refers to it any more:
//! a later entry shadowed it, a whiteout or opaque marker deleted it, a
//! directory replacement swept it away, or the same layer listed the path
//! again. Each wasted copy counts once, and a surviving copy never counts —
//! dive adds the surviving copy of a path written twice to its waste, so a
//! file rewritten once shows twice its size there and once here.
//!
//! Hence `layer_bytes = image_bytes + wasted_bytes`, where `image_bytes`
//! counts each surviving copy once however many hard links name it, and
//! efficiency is `(layer_bytes − wasted_bytes) / layer_bytes` (1 for an image
//! with no file bytes).

use std::collections::HashMap;

use crate::layer::EntryKind;

use super::changes::LayerSummary;
use super::tree::{Content, NodeId, Tree};

/// Totals of the merged image.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    /// Regular-file paths (every member of a hard-link group counts).
    pub files: u64,
    /// Directories, the root included.
    pub dirs: u64,
    /// Symbolic links.
    pub symlinks: u64,
    /// Regular-file paths that are a hard link to an earlier-sorting path.
    pub hardlinks: u64,
    /// Hard links whose target could not be resolved.
    pub broken_hardlinks: u64,
    /// Character and block devices.
    pub devices: u64,
    /// Named pipes.
    pub fifos: u64,
    /// Bytes of the merged image: each surviving content copy once.
    pub image_bytes: u64,
    /// Bytes of regular-file content stored by all layers together.
    pub layer_bytes: u64,
    /// Bytes of content copies that do not survive, each counted once.
    pub wasted_bytes: u64,
    /// Number of content copies that do not survive.
    pub wasted_copies: u64,
    /// Wasted bytes grouped by the path each copy was written at, largest
    /// first (ties by path bytes); paths whose copies are all empty are left
    /// out.
    pub offenders: Vec<Offender>,
}

impl Stats {
    /// `(layer_bytes − wasted_bytes) / layer_bytes`, 1.0 when no layer stores
    /// any file bytes.
    pub fn efficiency(&self) -> f64 {
        if self.layer_bytes == 0 {
            return 1.0;
        }
        (self.layer_bytes - self.wasted_bytes.min(self.layer_bytes)) as f64
            / self.layer_bytes as f64
    }
}

/// One path's wasted copies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offender {
    /// Root-relative path the copies were written at.
    pub path: Vec<u8>,
    /// Their bytes together.
    pub wasted_bytes: u64,
    /// How many copies.
    pub copies: u64,
    /// The layers that wrote them, ascending, each once.
    pub layers: Vec<usize>,
}

/// Mark hard-link leaders, compute subtree totals, statistics and each
/// layer's wasted bytes. Idempotent: everything it sets is reset first.
pub(crate) fn finish(
    tree: &mut Tree,
    contents: &[Content],
    summaries: &mut [&mut LayerSummary],
    first_layer: u32,
) -> Stats {
    let mut stats = Stats::default();

    // Live references per content copy.
    let mut refs = vec![0u32; contents.len()];
    for node in tree.nodes().iter().filter(|n| n.alive) {
        if let Some(c) = node.meta.content {
            if let Some(r) = refs.get_mut(c as usize) {
                *r = r.saturating_add(1);
            }
        }
    }

    // Hard-link groups: every live name of a shared copy; the byte-wise
    // first path leads.
    let mut groups: HashMap<u32, Vec<(Vec<u8>, NodeId)>> = HashMap::new();
    for (i, node) in tree.nodes_mut().iter_mut().enumerate() {
        node.leader = None;
        node.total = 0;
        if !node.alive {
            continue;
        }
        if let Some(c) = node.meta.content {
            if refs.get(c as usize).copied().unwrap_or(0) > 1 {
                groups
                    .entry(c)
                    .or_default()
                    .push((Vec::new(), NodeId(i as u32)));
            }
        }
    }
    for members in groups.values_mut() {
        for m in members.iter_mut() {
            m.0 = tree.path(m.1);
        }
        crate::sort::sort(members);
        if let Some((_, leader)) = members.first().cloned() {
            for (_, id) in members.iter().skip(1) {
                tree.n_mut(*id).leader = Some(leader);
            }
        }
    }

    // Counts and subtree totals. Children have larger ids than their
    // parents, so one reverse pass accumulates bottom-up.
    for i in (0..tree.len()).rev() {
        let id = NodeId(i as u32);
        let node = tree.n(id);
        if !node.alive {
            continue;
        }
        let own = match node.meta.kind {
            EntryKind::File => {
                stats.files += 1;
                if node.leader.is_some() {
                    stats.hardlinks += 1;
                    0
                } else {
                    node.meta.size
                }
            }
            EntryKind::Directory => {
                stats.dirs += 1;
                node.total
            }
            EntryKind::Symlink => {
                stats.symlinks += 1;
                0
            }
            EntryKind::HardLink => {
                stats.broken_hardlinks += 1;
                0
            }
            EntryKind::CharDevice | EntryKind::BlockDevice => {
                stats.devices += 1;
                0
            }
            EntryKind::Fifo => {
                stats.fifos += 1;
                0
            }
        };
        let parent = node.parent;
        tree.n_mut(id).total = own;
        if id != NodeId::ROOT {
            let p = tree.n_mut(parent);
            p.total = p.total.saturating_add(own);
        }
    }
    stats.image_bytes = tree.n(NodeId::ROOT).total;

    // Wasted copies.
    for s in summaries.iter_mut() {
        s.wasted_bytes = 0;
    }
    let mut by_path: HashMap<Vec<u8>, Offender> = HashMap::new();
    for (c, content) in contents.iter().enumerate() {
        stats.layer_bytes = stats.layer_bytes.saturating_add(content.size);
        if refs.get(c).copied().unwrap_or(0) > 0 {
            continue;
        }
        stats.wasted_bytes = stats.wasted_bytes.saturating_add(content.size);
        stats.wasted_copies += 1;
        let layer = content.layer as usize;
        if let Some(s) = content
            .layer
            .checked_sub(first_layer)
            .and_then(|i| summaries.get_mut(i as usize))
        {
            s.wasted_bytes = s.wasted_bytes.saturating_add(content.size);
        }
        if content.size == 0 {
            continue;
        }
        let path = tree.path(content.origin);
        let o = by_path.entry(path.clone()).or_insert_with(|| Offender {
            path,
            wasted_bytes: 0,
            copies: 0,
            layers: Vec::new(),
        });
        o.wasted_bytes = o.wasted_bytes.saturating_add(content.size);
        o.copies += 1;
        if !o.layers.contains(&layer) {
            o.layers.push(layer);
        }
    }
    let mut offenders: Vec<Offender> = by_path.into_values().collect();
    for o in offenders.iter_mut() {
        crate::sort::sort(&mut o.layers);
    }
    crate::sort::sort_by(&mut offenders, |a, b| {
        b.wasted_bytes
            .cmp(&a.wasted_bytes)
            .then_with(|| a.path.cmp(&b.path))
    });
    stats.offenders = offenders;
    stats
}
