//! The canonical listing: one line per path, the format the CLI prints and
//! the tests compare.
//!
//! ```text
//! #path  type  mode  uid  gid  size  sha256  target   mtime
//! /      d     0755  0    0    -     -       -        -
//! /bin   l     0777  0    0    -     -       usr/bin  1700000000
//! ```
//!
//! (shown aligned with spaces; the real separator is a single TAB)
//!
//! * one TAB-separated row per live path, sorted by the path's bytes; the
//!   root `/` is listed; paths are absolute. One layer's own listing
//!   ([`MergedFs::layer_view`]) has a row per entry of the layer (the last
//!   one for a path listed twice), whiteout markers included as the empty
//!   files they are, and no rows for parents the layer does not list;
//! * `type` is `f d l h c b p`; the members of a hard-link group (the names
//!   sharing one content copy) are listed as `f` for the byte-wise first and
//!   `h` for the others, whose target is that first path. An unresolved hard
//!   link is `h` with its recorded target and `-` size and sha256. A hard link
//!   to a symlink, device or FIFO is listed with that type (it has no content
//!   to share);
//! * `mode` is four octal digits with setuid/setgid/sticky; symlinks `0777`;
//! * `size` and `sha256` (lower-case hex, `-` if not computed) for `f` and
//!   `h`, `-` otherwise;
//! * `target`: the symlink target as written, the hard link's absolute target
//!   path, `major,minor` for devices, `-` otherwise;
//! * `mtime` in seconds, `-` for directories;
//! * text fields are escaped by [`escape`].

use std::fmt::Write as _;

use serde::ser::SerializeStruct;

use crate::layer::EntryKind;

use super::merged::MergedFs;

/// The listing's header line (without the newline).
pub const LISTING_HEADER: &str = "#path\ttype\tmode\tuid\tgid\tsize\tsha256\ttarget\tmtime";

/// The `type` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowKind {
    /// `f`: a regular file (or a hard-link group's first member).
    File,
    /// `d`: a directory.
    Dir,
    /// `l`: a symbolic link.
    Symlink,
    /// `h`: a hard link to the row named in `target`.
    HardLink,
    /// `c`: a character device.
    CharDevice,
    /// `b`: a block device.
    BlockDevice,
    /// `p`: a named pipe.
    Fifo,
}

impl RowKind {
    /// The one-letter code.
    pub fn letter(self) -> char {
        match self {
            RowKind::File => 'f',
            RowKind::Dir => 'd',
            RowKind::Symlink => 'l',
            RowKind::HardLink => 'h',
            RowKind::CharDevice => 'c',
            RowKind::BlockDevice => 'b',
            RowKind::Fifo => 'p',
        }
    }
}

/// One row, unescaped: paths and targets are raw bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingRow {
    /// Absolute path (`/` for the root).
    pub path: Vec<u8>,
    /// The type column.
    pub kind: RowKind,
    /// Permission bits (`0o777` for symlinks).
    pub mode: u32,
    /// Owner user id.
    pub uid: u64,
    /// Owner group id.
    pub gid: u64,
    /// Size for `f` and resolved `h`.
    pub size: Option<u64>,
    /// Content hash for `f` and `h`, when known.
    pub sha256: Option<[u8; 32]>,
    /// Symlink target, hard-link target (absolute) or `major,minor`.
    pub target: Option<Vec<u8>>,
    /// Modification time; `None` for directories.
    pub mtime: Option<i64>,
}

/// Escape bytes for a text field: `\` becomes `\\`, control characters
/// (0x00–0x1f, 0x7f) and bytes that are not valid UTF-8 become `\xHH`
/// (lower-case hex); valid non-ASCII UTF-8 is kept. TAB and newline are
/// control characters, so an escaped field never breaks a row.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    escape_into(&mut out, bytes);
    out
}

/// [`escape`], appending to `out` (no allocation per field).
pub fn escape_into(out: &mut String, bytes: &[u8]) {
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid();
        if valid.bytes().all(|b| b != b'\\' && b >= 0x20 && b != 0x7f) {
            out.push_str(valid);
        } else {
            for ch in valid.chars() {
                match ch {
                    '\\' => out.push_str("\\\\"),
                    c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                        let _ = write!(out, "\\x{:02x}", c as u32);
                    }
                    c => out.push(c),
                }
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
}

fn absolute(path: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(path.len() + 1);
    p.push(b'/');
    p.extend_from_slice(path);
    p
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

impl ListingRow {
    /// The row as one listing line (no trailing newline).
    pub fn to_tsv(&self) -> String {
        let mut out = String::new();
        self.write_tsv(&mut out);
        out
    }

    /// Append the row's line (no trailing newline) to `out`.
    pub fn write_tsv(&self, out: &mut String) {
        escape_into(out, &self.path);
        let _ = write!(
            out,
            "\t{}\t{:04o}\t{}\t{}\t",
            self.kind.letter(),
            self.mode & 0o7777,
            self.uid,
            self.gid
        );
        match self.size {
            Some(s) => {
                let _ = write!(out, "{s}");
            }
            None => out.push('-'),
        }
        out.push('\t');
        match &self.sha256 {
            Some(h) => {
                for b in h {
                    let _ = write!(out, "{b:02x}");
                }
            }
            None => out.push('-'),
        }
        out.push('\t');
        match &self.target {
            Some(t) => escape_into(out, t),
            None => out.push('-'),
        }
        out.push('\t');
        match self.mtime {
            Some(m) => {
                let _ = write!(out, "{m}");
            }
            None => out.push('-'),
        }
    }
}

/// JSON of a row: the listing's columns, text escaped as in the TSV (so the
/// string is always valid and lossless), absent values `null`, `mode` as
/// its four octal digits.
impl serde::Serialize for ListingRow {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("ListingRow", 9)?;
        st.serialize_field("path", &escape(&self.path))?;
        st.serialize_field("type", &self.kind.letter().to_string())?;
        st.serialize_field("mode", &format!("{:04o}", self.mode & 0o7777))?;
        st.serialize_field("uid", &self.uid)?;
        st.serialize_field("gid", &self.gid)?;
        st.serialize_field("size", &self.size)?;
        st.serialize_field("sha256", &self.sha256.map(|h| hex(&h)))?;
        st.serialize_field("target", &self.target.as_deref().map(escape))?;
        st.serialize_field("mtime", &self.mtime)?;
        st.end()
    }
}

/// The header and one line per row, each ending in `\n`.
pub fn to_tsv(rows: &[ListingRow]) -> String {
    let mut out = String::with_capacity(64 * (rows.len() + 1));
    out.push_str(LISTING_HEADER);
    out.push('\n');
    for r in rows {
        r.write_tsv(&mut out);
        out.push('\n');
    }
    out
}

/// The rows as a JSON array (for `tree --format json`).
pub fn to_json(rows: &[ListingRow]) -> String {
    // Serialising plain strings and numbers cannot fail.
    serde_json::to_string(rows).unwrap_or_default()
}

impl MergedFs {
    /// The rows of the canonical listing, sorted by path bytes. For a
    /// [`MergedFs::layer_view`], directories the layer only implies are left
    /// out (the root is always listed).
    pub fn listing(&self) -> Vec<ListingRow> {
        let mut paths = self.walk();
        if self.is_layer_view() {
            let root = self.root();
            paths.retain(|(id, _)| *id == root || self.node(*id).is_some_and(|n| !n.is_implicit()));
        }
        crate::sort::sort_by(&mut paths, |a, b| a.1.cmp(&b.1));
        let mut rows = Vec::with_capacity(paths.len());
        for (id, path) in paths {
            let Some(node) = self.node(id) else { continue };
            let mut row = ListingRow {
                path: absolute(&path),
                kind: RowKind::File,
                mode: node.mode() & 0o7777,
                uid: node.uid(),
                gid: node.gid(),
                size: None,
                sha256: None,
                target: None,
                mtime: Some(node.mtime()),
            };
            match node.kind() {
                EntryKind::File => {
                    row.size = Some(node.size());
                    row.sha256 = self.sha256(id);
                    if let Some(leader) = node.hardlink_leader() {
                        row.kind = RowKind::HardLink;
                        row.target = Some(absolute(&self.path(leader)));
                    }
                }
                EntryKind::HardLink => {
                    row.kind = RowKind::HardLink;
                    row.target = Some(absolute(node.link_target().unwrap_or_default()));
                }
                EntryKind::Directory => {
                    row.kind = RowKind::Dir;
                    row.mtime = None;
                }
                EntryKind::Symlink => {
                    row.kind = RowKind::Symlink;
                    row.mode = 0o777;
                    row.target = Some(node.link_target().unwrap_or_default().to_vec());
                }
                EntryKind::CharDevice | EntryKind::BlockDevice => {
                    row.kind = if node.kind() == EntryKind::CharDevice {
                        RowKind::CharDevice
                    } else {
                        RowKind::BlockDevice
                    };
                    let (major, minor) = node.device().unwrap_or_default();
                    row.target = Some(format!("{major},{minor}").into_bytes());
                }
                EntryKind::Fifo => row.kind = RowKind::Fifo,
            }
            rows.push(row);
        }
        rows
    }

    /// The canonical listing as text (header included).
    pub fn listing_tsv(&self) -> String {
        to_tsv(&self.listing())
    }
}
