//! Links in the viewer: where a symbolic link leads (resolved the way the
//! kernel would, inside the image), and which layer entry holds a regular
//! file's bytes (a hard link's data lives with its target).

use std::collections::VecDeque;

use crate::fs::MergedFs;
use crate::inspect::LayerReport;
use crate::layer::{Entry, EntryKind};

use crate::app::tree::model::TreeModel;

/// The most symbolic links followed while resolving one path (Linux's
/// `MAXSYMLINKS` is 40); more is reported as a loop.
pub const MAX_SYMLINKS: usize = 40;
/// The most hard-link hops followed to find a file's data.
pub const MAX_HARDLINK_HOPS: usize = 16;

/// Why a symbolic link cannot be followed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkProblem {
    /// A path on the way (or the target itself) is not in the tree shown.
    #[error("dangling: /{} does not exist in this view", crate::fs::escape(.path))]
    Dangling {
        /// The root-relative path that is missing.
        path: Vec<u8>,
    },
    /// More than [`MAX_SYMLINKS`] links on the way: a loop, most likely.
    #[error("too many levels of symbolic links (a loop)")]
    Loop,
    /// A component that is not a directory has more path after it.
    #[error("/{} is not a directory", crate::fs::escape(.path))]
    NotDirectory {
        /// The root-relative path of the non-directory.
        path: Vec<u8>,
    },
}

fn components(path: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    path.split(|b| *b == b'/')
        .filter(|c| !c.is_empty() && *c != b".")
        .map(<[u8]>::to_vec)
}

/// Where the symbolic link at root-relative `link` finally leads, as a
/// root-relative path (empty: the root). A relative target is taken from
/// the link's directory; `..` at the root stays at the root (as in a
/// chroot); links met on the way, the target's included, are followed, at
/// most [`MAX_SYMLINKS`] in all. Every component must exist in `model`.
pub fn resolve_symlink(model: &TreeModel, link: &[u8]) -> Result<Vec<u8>, LinkProblem> {
    let mut cur: Vec<Vec<u8>> = components(link).collect();
    let mut pending: VecDeque<Vec<u8>> = VecDeque::new();
    // Start by "visiting" the link itself as the last component.
    let last = cur.pop().unwrap_or_default();
    pending.push_back(last);
    let mut followed = 0usize;
    while let Some(comp) = pending.pop_front() {
        if comp == b".." {
            cur.pop();
            continue;
        }
        cur.push(comp);
        let path = cur.join(&b'/');
        let Some(node) = model.lookup(&path) else {
            return Err(LinkProblem::Dangling { path });
        };
        let Some(info) = model.info(node, &path) else {
            return Err(LinkProblem::Dangling { path });
        };
        match (info.kind, info.symlink) {
            (EntryKind::Symlink, Some(target)) => {
                followed += 1;
                if followed > MAX_SYMLINKS {
                    return Err(LinkProblem::Loop);
                }
                cur.pop();
                if target.first() == Some(&b'/') {
                    cur.clear();
                }
                for c in components(target).collect::<Vec<_>>().into_iter().rev() {
                    pending.push_front(c);
                }
            }
            (EntryKind::Directory, _) => {}
            _ if pending.is_empty() => {}
            _ => return Err(LinkProblem::NotDirectory { path }),
        }
    }
    Ok(cur.join(&b'/'))
}

/// Where a regular file's bytes are: the layer, the tar offset of the
/// entry that carries them, and their size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    /// Layer index in the manifest.
    pub layer: usize,
    /// The entry's header offset in the layer's tar stream.
    pub offset: u64,
    /// Content size in bytes.
    pub size: u64,
}

/// [`content_source`], answered by the merged tree `fs` in a few steps
/// when its node for `path` came from that same layer (an arrow key
/// through a tree of 100,000 entries does not scan a layer's listing);
/// the listings are scanned otherwise (a layer's own view of an earlier
/// layer, a tree of another load).
pub fn file_source(
    fs: Option<&MergedFs>,
    reports: &[LayerReport],
    layer: usize,
    path: &[u8],
) -> Option<Source> {
    let from_tree = || {
        let fs = fs?;
        let id = fs.lookup(path)?;
        if fs.node(id)?.layer() != layer {
            return None;
        }
        let (at, offset) = fs.bytes_at(id)?;
        let report = reports.iter().find(|r| r.index == at)?;
        let e = entry_at(report.entries(), offset).filter(|e| e.kind == EntryKind::File)?;
        Some(Source {
            layer: at,
            offset,
            size: e.size,
        })
    };
    from_tree().or_else(|| content_source(reports, layer, path))
}

/// The entry at `offset` of a layer's listing. Listings are in stream
/// order, so it is found by bisection; a listing out of order (a damaged
/// stored index) is scanned.
pub(crate) fn entry_at(entries: &[Entry], offset: u64) -> Option<&Entry> {
    let i = entries.partition_point(|e| e.offset < offset);
    match entries.get(i) {
        Some(e) if e.offset == offset => Some(e),
        _ => entries.iter().find(|e| e.offset == offset),
    }
}

/// The entry holding the bytes of the file at root-relative `path`, which
/// the tree says came from layer `layer`. The last entry for a path wins
/// (as when the layer is applied); a hard link leads to its target's last
/// entry before it in the same layer, or failing that in a lower layer
/// (at most [`MAX_HARDLINK_HOPS`] hops). `None` when no regular file is
/// found.
pub fn content_source(reports: &[LayerReport], layer: usize, path: &[u8]) -> Option<Source> {
    let mut path = path.to_vec();
    let mut layer = layer;
    let mut before = u64::MAX;
    let mut hops = 0usize;
    loop {
        let report = reports.iter().find(|r| r.index == layer)?;
        let found = report
            .entries()
            .iter()
            .rev()
            .find(|e| e.path == path && e.offset < before);
        match found {
            Some(e) if e.kind == EntryKind::File => {
                return Some(Source {
                    layer,
                    offset: e.offset,
                    size: e.size,
                })
            }
            Some(e) if e.kind == EntryKind::HardLink => {
                hops += 1;
                if hops > MAX_HARDLINK_HOPS {
                    return None;
                }
                path = e.link_target.clone()?;
                before = e.offset;
            }
            Some(_) => return None,
            // Not in this layer: a hard link may name a lower layer's file.
            None if hops > 0 && layer > 0 => {
                layer -= 1;
                before = u64::MAX;
            }
            None => return None,
        }
    }
}
