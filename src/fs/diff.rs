//! What changed between two merged trees: each path added, removed or
//! modified, found by walking the two canonical listings side by side (both
//! are sorted by the path's bytes).
//!
//! An entry is modified when its type, mode, owner (uid, gid), size,
//! content digest or link target differ. A change of modification time alone
//! is not a modification unless asked for ([`DiffOptions::mtime`]): a
//! rebuild touches every mtime. A file that became a directory is one
//! modified path (its type), and the directory's children are added.

use super::listing::{ListingRow, RowKind};

/// How a path changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Change {
    /// Only in the second tree.
    Added,
    /// Only in the first tree.
    Removed,
    /// In both, different.
    Modified,
}

impl Change {
    /// dive's symbol for it: `+`, `-`, `~`.
    pub fn symbol(self) -> char {
        match self {
            Change::Added => '+',
            Change::Removed => '-',
            Change::Modified => '~',
        }
    }
}

/// What differs in a modified entry (the JSON names).
pub const FIELDS: [&str; 8] = [
    "type", "mode", "uid", "gid", "size", "sha256", "target", "mtime",
];

/// One changed path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffEntry {
    /// How it changed.
    pub change: Change,
    /// The first tree's row (absent when added).
    pub before: Option<ListingRow>,
    /// The second tree's row (absent when removed).
    pub after: Option<ListingRow>,
    /// For a modified entry, which of [`FIELDS`] differ.
    pub changed: Vec<&'static str>,
}

impl DiffEntry {
    /// The absolute path.
    pub fn path(&self) -> &[u8] {
        match (&self.after, &self.before) {
            (Some(r), _) | (None, Some(r)) => &r.path,
            (None, None) => b"",
        }
    }
}

/// Options of a comparison.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DiffOptions {
    /// Count a changed modification time as a modification.
    pub mtime: bool,
}

/// The comparison of two trees.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TreeDiff {
    /// Every changed path, in path order.
    pub entries: Vec<DiffEntry>,
}

fn differences(a: &ListingRow, b: &ListingRow, options: DiffOptions) -> Vec<&'static str> {
    let checks = [
        a.kind != b.kind,
        a.mode != b.mode,
        a.uid != b.uid,
        a.gid != b.gid,
        a.size != b.size,
        a.sha256 != b.sha256,
        a.target != b.target,
        options.mtime && a.mtime != b.mtime,
    ];
    FIELDS
        .iter()
        .zip(checks)
        .filter(|(_, differs)| *differs)
        .map(|(f, _)| *f)
        .collect()
}

/// Compares two canonical listings (each sorted by path, as
/// [`super::MergedFs::listing`] gives them).
pub fn diff_listings(a: &[ListingRow], b: &[ListingRow], options: DiffOptions) -> TreeDiff {
    let (mut i, mut j) = (0, 0);
    let mut entries = Vec::new();
    let only = |change: Change, row: &ListingRow| DiffEntry {
        change,
        before: (change == Change::Removed).then(|| row.clone()),
        after: (change == Change::Added).then(|| row.clone()),
        changed: Vec::new(),
    };
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x.path == y.path => {
                let changed = differences(x, y, options);
                if !changed.is_empty() {
                    entries.push(DiffEntry {
                        change: Change::Modified,
                        before: Some(x.clone()),
                        after: Some(y.clone()),
                        changed,
                    });
                }
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x.path < y.path => {
                entries.push(only(Change::Removed, x));
                i += 1;
            }
            (Some(_), Some(y)) => {
                entries.push(only(Change::Added, y));
                j += 1;
            }
            (Some(x), None) => {
                entries.push(only(Change::Removed, x));
                i += 1;
            }
            (None, Some(y)) => {
                entries.push(only(Change::Added, y));
                j += 1;
            }
            (None, None) => break,
        }
    }
    TreeDiff { entries }
}

/// A row's bytes as counted in a summary: a regular file's size.
fn bytes(row: Option<&ListingRow>) -> u64 {
    row.filter(|r| r.kind == RowKind::File)
        .and_then(|r| r.size)
        .unwrap_or(0)
}

impl TreeDiff {
    /// How many paths changed this way.
    pub fn count(&self, change: Change) -> usize {
        self.entries.iter().filter(|e| e.change == change).count()
    }

    /// Whether the trees are the same.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Bytes of regular files the second tree has that the first has not
    /// (added files, and the growth of modified ones), and bytes it no
    /// longer has (removed files, and the shrinking of modified ones).
    pub fn bytes(&self) -> (u64, u64) {
        let (mut added, mut removed) = (0u64, 0u64);
        for e in &self.entries {
            let (before, after) = (bytes(e.before.as_ref()), bytes(e.after.as_ref()));
            added += after.saturating_sub(before);
            removed += before.saturating_sub(after);
        }
        (added, removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(path: &str, kind: RowKind, size: Option<u64>, mtime: i64) -> ListingRow {
        ListingRow {
            path: path.as_bytes().to_vec(),
            kind,
            mode: 0o644,
            uid: 0,
            gid: 0,
            size,
            sha256: size.map(|s| [s as u8; 32]),
            target: None,
            mtime: Some(mtime),
        }
    }

    #[test]
    fn added_removed_modified_in_path_order() {
        let a = [
            row("/", RowKind::Dir, None, 0),
            row("/a", RowKind::File, Some(1), 0),
            row("/b", RowKind::File, Some(2), 0),
            row("/d", RowKind::File, Some(4), 0),
        ];
        let b = [
            row("/", RowKind::Dir, None, 0),
            row("/b", RowKind::File, Some(3), 0),
            row("/c", RowKind::File, Some(5), 9),
            row("/d", RowKind::Dir, None, 0),
            row("/d/e", RowKind::File, Some(6), 0),
        ];
        let d = diff_listings(&a, &b, DiffOptions::default());
        let got: Vec<(String, Change, Vec<&str>)> = d
            .entries
            .iter()
            .map(|e| {
                (
                    String::from_utf8_lossy(e.path()).into_owned(),
                    e.change,
                    e.changed.clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("/a".into(), Change::Removed, vec![]),
                ("/b".into(), Change::Modified, vec!["size", "sha256"]),
                ("/c".into(), Change::Added, vec![]),
                (
                    "/d".into(),
                    Change::Modified,
                    vec!["type", "size", "sha256"]
                ),
                ("/d/e".into(), Change::Added, vec![]),
            ]
        );
        // + /b grew 1, /c 5, /d/e 6; - /a 1, /d (a file) 4.
        assert_eq!(d.bytes(), (12, 5));
    }

    #[test]
    fn an_mtime_alone_counts_only_when_asked() {
        let a = [row("/a", RowKind::File, Some(1), 0)];
        let b = [row("/a", RowKind::File, Some(1), 7)];
        assert!(diff_listings(&a, &b, DiffOptions::default()).is_empty());
        let d = diff_listings(&a, &b, DiffOptions { mtime: true });
        assert_eq!(d.entries[0].changed, vec!["mtime"]);
        assert!(diff_listings(&a, &a, DiffOptions { mtime: true }).is_empty());
    }
}
