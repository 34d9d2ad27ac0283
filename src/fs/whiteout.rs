//! Recognising OCI whiteout markers by name.
//!
//! OCI image spec, `layer.md` "Whiteouts": a whiteout is a file whose name is
//! `.wh.` plus the basename of the path to delete; `.wh..wh..opq` is the opaque
//! whiteout that hides all lower children of its directory. "It is not
//! possible to create a filesystem which has a file or directory with a name
//! beginning with `.wh.`", so every entry whose basename starts with `.wh.` is
//! a marker, whatever its tar type.

/// The prefix of every whiteout marker (`layer.md`, "Whiteouts").
pub const WHITEOUT_PREFIX: &[u8] = b".wh.";

/// The opaque whiteout's name (`layer.md`, "Opaque Whiteout").
pub const OPAQUE_MARKER: &[u8] = b".wh..wh..opq";

/// The prefix AUFS used for its own metadata (`.wh..wh.plnk`, `.wh..wh.aufs`);
/// such names are neither content nor a whiteout, and are ignored.
const AUFS_META_PREFIX: &[u8] = b".wh..wh.";

/// What a `.wh.`-prefixed name means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whiteout<'a> {
    /// `.wh..wh..opq`: hide everything lower layers put in this directory.
    Opaque,
    /// `.wh.NAME`: remove the sibling `NAME` (and its subtree) from lower layers.
    Remove(&'a [u8]),
    /// `.wh..wh.*` other than the opaque marker: AUFS bookkeeping, ignored.
    AufsMeta,
    /// `.wh.`, `.wh..`, `.wh...`: would name the directory itself or its
    /// parent; refused rather than letting one layer erase a whole tree.
    Invalid,
}

/// Classify a basename: `None` for ordinary content.
pub fn classify(name: &[u8]) -> Option<Whiteout<'_>> {
    if name == OPAQUE_MARKER {
        return Some(Whiteout::Opaque);
    }
    let victim = name.strip_prefix(WHITEOUT_PREFIX)?;
    if name.starts_with(AUFS_META_PREFIX) {
        return Some(Whiteout::AufsMeta);
    }
    if victim.is_empty() || victim == b"." || victim == b".." {
        return Some(Whiteout::Invalid);
    }
    Some(Whiteout::Remove(victim))
}

/// Split a root-relative path into its parent and basename (`a/b/c` →
/// `a/b`, `c`; `c` → empty, `c`).
pub(crate) fn split_parent(path: &[u8]) -> (&[u8], &[u8]) {
    match path.iter().rposition(|b| *b == b'/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => (&[], path),
    }
}

/// True if any component but the last starts with `.wh.`: an entry inside a
/// "directory" that is itself a marker. The spec says such names cannot exist;
/// the merge skips the entry rather than invent a `.wh.` directory.
pub(crate) fn has_marker_ancestor(path: &[u8]) -> bool {
    let (parent, _) = split_parent(path);
    !parent.is_empty()
        && parent
            .split(|b| *b == b'/')
            .any(|c| c.starts_with(WHITEOUT_PREFIX))
}

/// True for a path the scanner should never yield: an empty, `.` or `..`
/// component. Checked again here because the tree must never hold one.
pub(crate) fn is_malformed(path: &[u8]) -> bool {
    !path.is_empty()
        && (path
            .split(|b| *b == b'/')
            .any(|c| c.is_empty() || c == b"." || c == b".."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_markers() {
        assert_eq!(classify(b".wh..wh..opq"), Some(Whiteout::Opaque));
        assert_eq!(classify(b".wh.foo"), Some(Whiteout::Remove(b"foo")));
        assert_eq!(classify(b".wh..hidden"), Some(Whiteout::Remove(b".hidden")));
        assert_eq!(classify(b".wh..wh.plnk"), Some(Whiteout::AufsMeta));
        assert_eq!(classify(b".wh."), Some(Whiteout::Invalid));
        assert_eq!(classify(b".wh.."), Some(Whiteout::Invalid));
        assert_eq!(classify(b".wh..."), Some(Whiteout::Invalid));
        assert_eq!(classify(b"foo.wh.bar"), None);
        assert_eq!(classify(b".whfoo"), None);
    }

    #[test]
    fn splits_and_checks_paths() {
        assert_eq!(split_parent(b"a/b/c"), (&b"a/b"[..], &b"c"[..]));
        assert_eq!(split_parent(b"c"), (&b""[..], &b"c"[..]));
        assert!(has_marker_ancestor(b".wh.a/b"));
        assert!(has_marker_ancestor(b"x/.wh.a/b"));
        assert!(!has_marker_ancestor(b"x/.wh.a"));
        assert!(is_malformed(b"a//b"));
        assert!(is_malformed(b"a/../b"));
        assert!(!is_malformed(b""));
        assert!(!is_malformed(b"a/.b"));
    }
}
