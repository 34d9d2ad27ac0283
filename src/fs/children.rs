//! A directory's children, ordered by name bytes.
//!
//! Small directories (the vast majority) keep a sorted `Vec` of ids next to
//! the first 8 bytes of each name, so a lookup compares integers and only
//! touches a child's node on a tie — the merge is otherwise bound by cache
//! misses. A sorted `Vec` makes inserting out of order or removing one by one
//! cost O(n) each, so a directory that grows past [`LARGE`] children switches
//! to a `BTreeMap`: a hostile layer listing a million names in reverse order
//! into one directory stays O(n log n) instead of quadratic.

use std::collections::BTreeMap;

use super::tree::{Node, NodeId};

/// Children count above which a directory uses the map.
pub(crate) const LARGE: usize = 512;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Small {
    key: u64,
    id: NodeId,
}

/// The order-preserving integer prefix of a name: comparing keys gives the
/// byte order of the names whenever they differ in their first 8 bytes
/// (zero padding sorts a shorter name first, and a tie falls back to the
/// full names).
fn key_of(name: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    let n = name.len().min(8);
    b[..n].copy_from_slice(&name[..n]);
    u64::from_be_bytes(b)
}

/// Where a name is (or would go).
pub(crate) enum Slot {
    Small(Result<usize, usize>),
    Large(Option<NodeId>),
}

impl Slot {
    /// The child found, if any.
    pub(crate) fn found(&self, children: &Children) -> Option<NodeId> {
        match (self, children) {
            (Slot::Small(Ok(i)), Children::Small(v)) => v.get(*i).map(|c| c.id),
            (Slot::Large(id), _) => *id,
            _ => None,
        }
    }
}

/// The children of one directory.
#[derive(Debug, Clone)]
pub(crate) enum Children {
    Small(Vec<Small>),
    Large(BTreeMap<Box<[u8]>, NodeId>),
}

impl Default for Children {
    fn default() -> Self {
        Children::Small(Vec::new())
    }
}

impl Children {
    /// Find `name`; `nodes` is the arena the ids point into.
    pub(crate) fn locate(&self, name: &[u8], nodes: &[Node]) -> Slot {
        match self {
            Children::Small(v) => {
                let key = key_of(name);
                Slot::Small(v.binary_search_by(|c| {
                    c.key.cmp(&key).then_with(|| {
                        nodes
                            .get(c.id.index())
                            .map_or(&[][..], |n| &n.name)
                            .cmp(name)
                    })
                }))
            }
            Children::Large(m) => Slot::Large(m.get(name).copied()),
        }
    }

    /// Insert a child not present yet, at the slot `locate` gave. Returns
    /// true if the directory has grown past [`LARGE`] and should be
    /// converted with [`Children::to_large`].
    pub(crate) fn insert(&mut self, slot: Slot, name: &[u8], id: NodeId) -> bool {
        match self {
            Children::Small(v) => {
                let pos = match slot {
                    Slot::Small(Ok(p) | Err(p)) => p,
                    Slot::Large(_) => v.len(),
                };
                v.insert(
                    pos.min(v.len()),
                    Small {
                        key: key_of(name),
                        id,
                    },
                );
                v.len() > LARGE
            }
            Children::Large(m) => {
                m.insert(name.into(), id);
                false
            }
        }
    }

    /// The same children as a map (names read from the arena).
    pub(crate) fn to_large(&self, nodes: &[Node]) -> Children {
        match self {
            Children::Small(v) => {
                Children::Large(crate::sort::map_of(v.iter().filter_map(|c| {
                    nodes.get(c.id.index()).map(|n| (n.name.clone(), c.id))
                })))
            }
            Children::Large(m) => Children::Large(m.clone()),
        }
    }

    /// Remove the child at a slot `locate` found.
    pub(crate) fn remove(&mut self, slot: Slot, name: &[u8]) {
        match (self, slot) {
            (Children::Small(v), Slot::Small(Ok(i))) if i < v.len() => {
                v.remove(i);
            }
            (Children::Large(m), _) => {
                m.remove(name);
            }
            _ => {}
        }
    }

    /// The child ids in name order, without collecting them.
    pub(crate) fn iter(&self) -> ChildIds<'_> {
        match self {
            Children::Small(v) => ChildIds(Ids::Small(v.iter())),
            Children::Large(m) => ChildIds(Ids::Large(m.values())),
        }
    }

    /// The child ids in name order.
    pub(crate) fn ids(&self) -> Vec<NodeId> {
        match self {
            Children::Small(v) => v.iter().map(|c| c.id).collect(),
            Children::Large(m) => m.values().copied().collect(),
        }
    }
}

/// A directory's child ids in name order, either way they are stored
/// (walking a big tree visits every directory: no `Vec` per visit).
#[derive(Debug, Clone)]
pub struct ChildIds<'a>(Ids<'a>);

#[derive(Debug, Clone)]
enum Ids<'a> {
    Small(std::slice::Iter<'a, Small>),
    Large(std::collections::btree_map::Values<'a, Box<[u8]>, NodeId>),
    None,
}

impl ChildIds<'_> {
    /// No children (not a directory, or an unknown id).
    pub(crate) fn none() -> ChildIds<'static> {
        ChildIds(Ids::None)
    }
}

impl Iterator for ChildIds<'_> {
    type Item = NodeId;

    fn next(&mut self) -> Option<NodeId> {
        match &mut self.0 {
            Ids::Small(i) => i.next().map(|c| c.id),
            Ids::Large(i) => i.next().copied(),
            Ids::None => None,
        }
    }
}
