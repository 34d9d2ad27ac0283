//! An SBOM's files held against the merged tree: each listed path looked up,
//! its SHA-256 compared with the one the scan computed. A mismatch means the
//! SBOM says something the image does not hold.

use super::sbom::{normalise_path, Sbom};
use crate::fs::{MergedFs, NodeId};
use crate::layer::EntryKind;
use crate::oci::{Algorithm, Digest};

/// What the tree says about one file the SBOM lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileStatus {
    /// The file is there and its SHA-256 is the SBOM's.
    Matches,
    /// The file is there with other content than the SBOM says.
    Differs {
        /// The SBOM's SHA-256 (hex).
        sbom: String,
        /// The scanned file's SHA-256 (hex).
        image: String,
    },
    /// The SBOM lists no SHA-256 for it (SHA-1 alone, or no checksum):
    /// nothing to compare; the file is there.
    NoSha256,
    /// The scan did not hash the file (listed from a table of contents,
    /// or scanned without content digests): the file is there, unchecked.
    NotHashed,
    /// The path exists but is not a regular file (a directory, a symlink…).
    NotAFile,
    /// No such path in the image.
    Missing,
    /// The path climbs out of the root (`../../etc/shadow`): it names
    /// nothing in any image, and is not looked up.
    Outside,
}

impl FileStatus {
    /// A short word for tables: `ok`, `DIFFERS`, `no-sha256`, …
    pub fn word(&self) -> &'static str {
        match self {
            FileStatus::Matches => "ok",
            FileStatus::Differs { .. } => "DIFFERS",
            FileStatus::NoSha256 => "no-sha256",
            FileStatus::NotHashed => "not-hashed",
            FileStatus::NotAFile => "not-a-file",
            FileStatus::Missing => "missing",
            FileStatus::Outside => "outside",
        }
    }
}

/// One SBOM file and what the tree says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCheck {
    /// The index into [`Sbom::files`].
    pub file: usize,
    /// The tree's node for it, when the path exists.
    pub node: Option<NodeId>,
    /// The verdict.
    pub status: FileStatus,
}

/// Counts of a [`check_files`] run, for a summary line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FilesSummary {
    /// Files whose SHA-256 matches.
    pub matches: usize,
    /// Files whose content differs.
    pub differs: usize,
    /// Files present but not compared (no SHA-256 on one side, not a file).
    pub unchecked: usize,
    /// Paths missing from the image.
    pub missing: usize,
    /// Paths outside the root.
    pub outside: usize,
}

impl FilesSummary {
    /// Counts `checks`.
    pub fn of(checks: &[FileCheck]) -> FilesSummary {
        let mut s = FilesSummary::default();
        for c in checks {
            match c.status {
                FileStatus::Matches => s.matches += 1,
                FileStatus::Differs { .. } => s.differs += 1,
                FileStatus::NoSha256 | FileStatus::NotHashed | FileStatus::NotAFile => {
                    s.unchecked += 1
                }
                FileStatus::Missing => s.missing += 1,
                FileStatus::Outside => s.outside += 1,
            }
        }
        s
    }
}

/// Every file `sbom` lists, checked against `fs` (merged from a scan with
/// content digests), in the SBOM's order.
pub fn check_files(sbom: &Sbom, fs: &MergedFs) -> Vec<FileCheck> {
    sbom.files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let Some(path) = normalise_path(&f.path) else {
                return FileCheck {
                    file: i,
                    node: None,
                    status: FileStatus::Outside,
                };
            };
            let Some(id) = fs.lookup(&path) else {
                return FileCheck {
                    file: i,
                    node: None,
                    status: FileStatus::Missing,
                };
            };
            let is_file = fs
                .node(id)
                .is_some_and(|n| matches!(n.kind(), EntryKind::File | EntryKind::HardLink));
            let status = match (is_file, f.sha256(), fs.sha256(id)) {
                (false, _, _) => FileStatus::NotAFile,
                (true, None, _) => FileStatus::NoSha256,
                (true, Some(_), None) => FileStatus::NotHashed,
                (true, Some(want), Some(have)) => {
                    let have = Digest::from_raw(Algorithm::Sha256, &have)
                        .map(|d| d.hex().to_owned())
                        .unwrap_or_default();
                    if want == have {
                        FileStatus::Matches
                    } else {
                        FileStatus::Differs {
                            sbom: want.to_owned(),
                            image: have,
                        }
                    }
                }
            };
            FileCheck {
                file: i,
                node: Some(id),
                status,
            }
        })
        .collect()
}
