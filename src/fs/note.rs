//! Diagnostics of the merge: things a layer did that the merge had to
//! interpret, work around or ignore. None of them stops the merge — one odd
//! entry must not blank the whole tree — but each is kept, with its layer and
//! path, so the page and the CLI can show it.

use std::fmt;

use super::listing::escape;

/// What happened (see each variant for the rule applied).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoteKind {
    /// `.wh.NAME` names nothing in the lower layers (nothing removed).
    WhiteoutTargetMissing,
    /// `.wh.NAME` sits under a path that is a file, symlink or device in the
    /// lower layers (nothing removed; the spec allows no other reading).
    WhiteoutParentNotDirectory,
    /// `.wh..wh..opq` in a "directory" that is not one in the lower layers
    /// (nothing hidden).
    OpaqueParentNotDirectory,
    /// `.wh.`, `.wh..` or `.wh...`: a marker that would name its own directory
    /// or its parent; ignored.
    InvalidWhiteoutName,
    /// `.wh..wh.*` (AUFS bookkeeping such as `.wh..wh.plnk`); ignored.
    AufsMetadataIgnored,
    /// An entry below a `.wh.`-named component: such names cannot exist in
    /// an image (`layer.md`), so the entry is skipped.
    EntryUnderWhiteoutName,
    /// A path with an empty, `.` or `..` component (the scanner normalises
    /// these away; skipped if one slips through).
    MalformedPath,
    /// An entry for the root that is not a directory; ignored.
    RootNotDirectory,
    /// A deeper entry needed a directory where a lower layer has a file,
    /// symlink or device; that node was replaced by an implicit directory.
    ParentReplaced,
    /// The same path twice in one layer (the spec forbids duplicates); the
    /// last entry wins.
    DuplicatePath,
    /// A hard link whose target does not exist in the merged view at that
    /// point (or is itself an unresolved hard link); kept as an unresolved link.
    HardLinkTargetMissing,
    /// A hard link to a directory (not allowed by POSIX); kept unresolved.
    HardLinkToDirectory,
    /// The node limit of [`MergeOptions`](super::MergeOptions) was reached;
    /// the rest of this layer's new paths were skipped.
    NodeLimitReached,
}

impl NoteKind {
    /// A short human sentence for this kind.
    pub fn describe(self) -> &'static str {
        match self {
            NoteKind::WhiteoutTargetMissing => "whiteout names nothing in lower layers",
            NoteKind::WhiteoutParentNotDirectory => {
                "whiteout under a path that is not a directory in lower layers"
            }
            NoteKind::OpaqueParentNotDirectory => {
                "opaque whiteout in a path that is not a directory in lower layers"
            }
            NoteKind::InvalidWhiteoutName => "invalid whiteout name ignored",
            NoteKind::AufsMetadataIgnored => "AUFS metadata entry ignored",
            NoteKind::EntryUnderWhiteoutName => "entry below a .wh. name skipped",
            NoteKind::MalformedPath => "malformed path skipped",
            NoteKind::RootNotDirectory => "non-directory entry for the root ignored",
            NoteKind::ParentReplaced => "non-directory replaced by an implied directory",
            NoteKind::DuplicatePath => "path listed twice in one layer; the last entry wins",
            NoteKind::HardLinkTargetMissing => "hard link target missing",
            NoteKind::HardLinkToDirectory => "hard link to a directory",
            NoteKind::NodeLimitReached => "node limit reached; remaining entries skipped",
        }
    }
}

/// One diagnostic: which layer, which path (root-relative bytes), what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeNote {
    /// Index of the layer (0 = base).
    pub layer: usize,
    /// The entry's root-relative path.
    pub path: Vec<u8>,
    /// What happened.
    pub kind: NoteKind,
}

impl fmt::Display for MergeNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "layer {}: /{}: {}",
            self.layer,
            escape(&self.path),
            self.kind.describe()
        )
    }
}
