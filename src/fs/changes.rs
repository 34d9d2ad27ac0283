//! What one layer did to the image: added, modified, rewritten unchanged and
//! removed paths, and its sizes.
//!
//! A path is judged by comparing the tree before the layer with the tree
//! after it, restricted to what the layer touched:
//! * **added** — absent before, present after;
//! * **removed** — present before, absent after (whited out, hidden by an
//!   opaque marker, or replaced away with its directory; every path of a
//!   removed subtree is listed);
//! * **modified** — present before and after, written by the layer, and its
//!   type, content (sha256 if both sides know it, else size; a symlink's
//!   target, a device's numbers), mode or owner differ (when the type
//!   changed, only the type is reported: mode and owner of a different kind
//!   of object are not a change);
//! * **unchanged rewrite** — written by the layer with none of those
//!   differences (the modification time is deliberately not compared: a
//!   rebuild touches it, and the point is to show the bytes were stored again
//!   for nothing).

use std::collections::HashMap;

use crate::layer::{Entry, EntryKind};

use super::tree::{Content, Meta, NodeId, Tree};

/// Counts and bytes of one layer's entries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LayerSummary {
    /// Entries in the layer's tar (markers and skipped ones included).
    pub entries: u64,
    /// Whiteout markers (interpreted, so not in the tree).
    pub whiteouts: u64,
    /// Entries skipped (see the merge notes for why).
    pub skipped: u64,
    /// Regular files applied.
    pub files: u64,
    /// Directories applied.
    pub dirs: u64,
    /// Symbolic links applied.
    pub symlinks: u64,
    /// Hard links applied.
    pub hardlinks: u64,
    /// Devices and FIFOs applied.
    pub others: u64,
    /// Bytes of regular-file content the layer stores.
    pub bytes: u64,
    /// Of those, bytes that do not survive in the final image (shadowed or
    /// deleted by a later entry); set when the tree is finished.
    pub wasted_bytes: u64,
}

impl LayerSummary {
    pub(crate) fn count(&mut self, e: &Entry) {
        match e.kind {
            EntryKind::File => {
                self.files += 1;
                self.bytes = self.bytes.saturating_add(e.size);
            }
            EntryKind::Directory => self.dirs += 1,
            EntryKind::Symlink => self.symlinks += 1,
            EntryKind::HardLink => self.hardlinks += 1,
            EntryKind::CharDevice | EntryKind::BlockDevice | EntryKind::Fifo => self.others += 1,
        }
    }
}

/// Which aspects of a path a layer changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ChangeFlags {
    /// The type changed (a file became a directory, …).
    pub kind: bool,
    /// The content changed (sha256, else size; symlink target; device numbers).
    pub content: bool,
    /// The permission bits changed.
    pub mode: bool,
    /// uid or gid changed.
    pub owner: bool,
}

impl ChangeFlags {
    /// True if anything changed.
    pub fn any(self) -> bool {
        self.kind || self.content || self.mode || self.owner
    }
}

/// A modified path and what changed about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Modification {
    /// Root-relative path.
    pub path: Vec<u8>,
    /// What changed.
    pub what: ChangeFlags,
}

/// The paths one layer added, modified, rewrote unchanged and removed, each
/// list sorted by path bytes. Paths are root-relative (the root is empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LayerChanges {
    /// New paths (implied parent directories included).
    pub added: Vec<Vec<u8>>,
    /// Paths whose type, content, mode or owner changed.
    pub modified: Vec<Modification>,
    /// Paths stored again with nothing of the above changed.
    pub unchanged: Vec<Vec<u8>>,
    /// Paths that existed below and are gone.
    pub removed: Vec<Vec<u8>>,
}

fn sha(contents: &[Content], meta: &Meta) -> Option<[u8; 32]> {
    contents.get(meta.content? as usize).and_then(|c| c.sha256)
}

/// Compare two versions of a path.
pub(crate) fn compare(contents: &[Content], old: &Meta, new: &Meta) -> ChangeFlags {
    let kind = old.kind != new.kind;
    let content = !kind
        && match new.kind {
            EntryKind::File => match (sha(contents, old), sha(contents, new)) {
                (Some(a), Some(b)) => a != b,
                _ => old.size != new.size,
            },
            EntryKind::Symlink | EntryKind::HardLink => old.link_target != new.link_target,
            EntryKind::CharDevice | EntryKind::BlockDevice => {
                (old.dev_major, old.dev_minor) != (new.dev_major, new.dev_minor)
            }
            EntryKind::Directory | EntryKind::Fifo => false,
        };
    if kind {
        // A different kind of object: its mode and owner are not a change
        // of the old one's.
        return ChangeFlags {
            kind,
            ..ChangeFlags::default()
        };
    }
    // A symlink's permission bits mean nothing (the listing shows 0777).
    let symlink = new.kind == EntryKind::Symlink;
    ChangeFlags {
        kind,
        content,
        mode: !symlink && old.mode != new.mode,
        owner: old.uid != new.uid || old.gid != new.gid,
    }
}

/// What the merge remembers of a lower path the layer touched.
#[derive(Debug)]
pub(crate) struct Before {
    /// Its attributes before the layer.
    pub(crate) meta: Meta,
    /// The node at that path now (kept current while the layer is applied,
    /// so no lookup is needed at the end).
    pub(crate) now: Option<NodeId>,
}

/// The changes of the layer just applied: `before` holds the lower paths it
/// removed or changed in place, `created` the nodes it made (some may have
/// been removed again by a later entry of the same layer).
pub(crate) fn compute(
    tree: &Tree,
    contents: &[Content],
    before: HashMap<Vec<u8>, Before>,
    created: Vec<(NodeId, Vec<u8>)>,
) -> LayerChanges {
    let mut out = LayerChanges::default();
    for (id, path) in created {
        if tree.n(id).alive && !before.contains_key(&path) {
            out.added.push(path);
        }
    }
    for (path, b) in before {
        match b.now.filter(|id| tree.n(*id).alive) {
            None => out.removed.push(path),
            Some(now) => {
                let what = compare(contents, &b.meta, &tree.n(now).meta);
                if what.any() {
                    out.modified.push(Modification { path, what });
                } else {
                    out.unchanged.push(path);
                }
            }
        }
    }
    crate::sort::sort(&mut out.added);
    crate::sort::sort_by(&mut out.modified, |a, b| a.path.cmp(&b.path));
    crate::sort::sort(&mut out.unchanged);
    crate::sort::sort(&mut out.removed);
    out
}
