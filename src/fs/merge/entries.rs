//! The entry phase of applying a layer ("Changeset over existing files" in
//! the OCI image spec's `layer.md`): implied parents, directory attribute
//! updates, replacement of whatever is in the way, hard links.

use crate::fs::changes::Before;
use crate::fs::note::NoteKind;
use crate::fs::tree::{Content, Meta, NodeId};
use crate::fs::whiteout::{is_malformed, split_parent};
use crate::layer::{Entry, EntryKind};

use super::{push_version, LayerCx, MergeBuilder};

/// The directories of the last parent path walked, root first: tar streams
/// list a directory's entries together, so most entries resume the walk from
/// a cached ancestor instead of the root. An entry stays valid while its node
/// is alive: nodes never move or change kind, and a live node's ancestors
/// are live.
#[derive(Default)]
pub(super) struct DirCache {
    path: Vec<u8>,
    /// `(end, node)`: the directory at `path[..end]`.
    chain: Vec<(usize, NodeId)>,
}

impl MergeBuilder {
    /// Make every component of `dir_path` a directory; `None` if the node
    /// limit stopped it.
    pub(super) fn ensure_dirs(&mut self, cx: &mut LayerCx, dir_path: &[u8]) -> Option<NodeId> {
        if dir_path.is_empty() {
            return Some(NodeId::ROOT);
        }
        // Resume from the deepest live cached directory that is a prefix.
        let lcp = cx
            .dirs
            .path
            .iter()
            .zip(dir_path)
            .take_while(|(a, b)| a == b)
            .count();
        let mut keep = 0;
        for (end, id) in &cx.dirs.chain {
            let boundary = *end == dir_path.len() || dir_path.get(*end) == Some(&b'/');
            if *end > lcp || !boundary || !self.tree.n(*id).alive {
                break;
            }
            keep += 1;
        }
        cx.dirs.chain.truncate(keep);
        cx.dirs.path.clear();
        cx.dirs.path.extend_from_slice(dir_path);
        let mut cur = cx.dirs.chain.last().map_or(NodeId::ROOT, |(_, id)| *id);

        let mut end = 0;
        for (i, comp) in dir_path.split(|b| *b == b'/').enumerate() {
            end = if i == 0 {
                comp.len()
            } else {
                end + 1 + comp.len()
            };
            if i < keep {
                continue;
            }
            let prefix = &dir_path[..end];
            let existing = self.tree.child(cur, comp);
            match existing {
                Some(c) if self.tree.n(c).is_dir() => cur = c,
                _ => {
                    if !self.room_for_node(cx, prefix) {
                        return None;
                    }
                    let replaced = match existing {
                        Some(c) => {
                            self.note(cx.n, prefix, NoteKind::ParentReplaced);
                            let chain = self.take_chain(Some(c));
                            self.remove(cx, c, prefix);
                            chain
                        }
                        None => self.take_chain(cx.graveyard.get(prefix).copied()),
                    };
                    let mut node = self.new_node(cx, comp, Meta::implicit_dir(), replaced);
                    node.implicit = true;
                    cur = self.create(cx, cur, prefix, node);
                }
            }
            cx.dirs.chain.push((end, cur));
        }
        Some(cur)
    }

    /// Replace a directory's attributes, keeping its children.
    fn update_dir(&mut self, cx: &mut LayerCx, id: NodeId, path: &[u8], e: &Entry) {
        if id.index() < cx.start && !cx.before.contains_key(path) {
            let meta = self.tree.n(id).meta.clone();
            cx.before.insert(
                path.to_vec(),
                Before {
                    meta,
                    now: Some(id),
                },
            );
        }
        let n = cx.n;
        let node = self.tree.n_mut(id);
        // An implicit placeholder of this very layer is not a version.
        if !(node.implicit && node.layer == n) {
            let v = node.version();
            push_version(&mut node.replaced, v);
        }
        node.meta = entry_meta(e, None);
        node.layer = n;
        node.implicit = false;
    }

    /// Apply one non-marker entry; false if it was skipped.
    pub(super) fn apply_entry(&mut self, cx: &mut LayerCx, e: &Entry) -> bool {
        if e.path.is_empty() {
            if e.kind == EntryKind::Directory {
                self.update_dir(cx, NodeId::ROOT, &[], e);
                return true;
            }
            self.note(cx.n, &e.path, NoteKind::RootNotDirectory);
            return false;
        }
        let (parent_path, name) = split_parent(&e.path);
        let Some(parent) = self.ensure_dirs(cx, parent_path) else {
            return false;
        };
        let existing = self.tree.child(parent, name);
        if let Some(ex) = existing {
            let node = self.tree.n(ex);
            if node.layer == cx.n && !node.implicit {
                self.note(cx.n, &e.path, NoteKind::DuplicatePath);
            }
            if self.tree.n(ex).is_dir() && e.kind == EntryKind::Directory {
                self.update_dir(cx, ex, &e.path, e);
                return true;
            }
        }
        if !self.room_for_node(cx, &e.path) {
            return false;
        }
        let replaced = match existing {
            Some(ex) => {
                let chain = self.take_chain(Some(ex));
                self.remove(cx, ex, &e.path);
                chain
            }
            None => self.take_chain(cx.graveyard.get(&e.path).copied()),
        };
        let id = NodeId(u32::try_from(self.tree.len()).unwrap_or(u32::MAX));
        let (meta, hardlink) = match e.kind {
            EntryKind::HardLink => (self.resolve_hardlink(cx, e), true),
            EntryKind::File => {
                let cid = u32::try_from(self.contents.len()).unwrap_or(u32::MAX);
                self.contents.push(Content {
                    layer: cx.n,
                    offset: e.offset,
                    size: e.size,
                    sha256: e.content_sha256,
                    origin: id,
                });
                (entry_meta(e, Some(cid)), false)
            }
            _ => (entry_meta(e, None), false),
        };
        let mut node = self.new_node(cx, name, meta, replaced);
        node.hardlink = hardlink;
        self.create(cx, parent, &e.path, node);
        true
    }

    /// The attributes of a hard link: its target's, sharing the content, or
    /// an unresolved link if there is no usable target.
    fn resolve_hardlink(&mut self, cx: &LayerCx, e: &Entry) -> Meta {
        let target: &[u8] = e.link_target.as_deref().unwrap_or_default();
        let found = if is_malformed(target) {
            None
        } else {
            self.tree.lookup(target)
        };
        let problem = match found.map(|t| self.tree.n(t)) {
            Some(t) if t.is_dir() => NoteKind::HardLinkToDirectory,
            Some(t) if t.meta.kind != EntryKind::HardLink => return t.meta.clone(),
            _ => NoteKind::HardLinkTargetMissing,
        };
        self.note(cx.n, &e.path, problem);
        let mut meta = entry_meta(e, None);
        meta.size = 0;
        meta.link_target = Some(target.into());
        meta
    }
}

/// A node's attributes from its entry. Sizes are kept for regular files only
/// and device numbers for devices, so stray header fields do not count as
/// differences.
fn entry_meta(e: &Entry, content: Option<u32>) -> Meta {
    let is_dev = matches!(e.kind, EntryKind::CharDevice | EntryKind::BlockDevice);
    Meta {
        kind: e.kind,
        mode: e.mode & 0o7777,
        uid: e.uid,
        gid: e.gid,
        size: if e.kind == EntryKind::File { e.size } else { 0 },
        mtime: e.mtime,
        link_target: match e.kind {
            EntryKind::Symlink | EntryKind::HardLink => {
                Some(e.link_target.as_deref().unwrap_or_default().into())
            }
            _ => None,
        },
        dev_major: if is_dev { e.dev_major } else { 0 },
        dev_minor: if is_dev { e.dev_minor } else { 0 },
        content,
    }
}
