//! Entry builders shared by the fs tests: layers are written by hand as
//! lists of entries, the way the scanner would yield them.

use layerlens::layer::{Entry, EntryKind};
use sha2::{Digest as _, Sha256};

/// SHA-256 of some bytes.
pub fn sha(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// Lower-case hex of a SHA-256 of some bytes.
pub fn sha_hex(data: &[u8]) -> String {
    sha(data).iter().map(|b| format!("{b:02x}")).collect()
}

fn base(path: &[u8], kind: EntryKind, mode: u32) -> Entry {
    Entry {
        path: path.to_vec(),
        kind,
        mode,
        uid: 0,
        gid: 0,
        uname: Vec::new(),
        gname: Vec::new(),
        size: 0,
        mtime: 1000,
        link_target: None,
        dev_major: 0,
        dev_minor: 0,
        content_sha256: None,
        offset: 0,
    }
}

/// A regular file with this content (size and sha256 from it), 0644 0:0 mtime 1000.
pub fn file(path: impl AsRef<[u8]>, content: &[u8]) -> Entry {
    let mut e = base(path.as_ref(), EntryKind::File, 0o644);
    e.size = content.len() as u64;
    e.content_sha256 = Some(sha(content));
    e
}

/// A regular file of `size` bytes whose content hash was not computed.
pub fn file_nohash(path: impl AsRef<[u8]>, size: u64) -> Entry {
    let mut e = base(path.as_ref(), EntryKind::File, 0o644);
    e.size = size;
    e
}

/// A directory, 0755 0:0 mtime 1000.
pub fn dir(path: impl AsRef<[u8]>) -> Entry {
    base(path.as_ref(), EntryKind::Directory, 0o755)
}

/// A symlink.
pub fn sym(path: impl AsRef<[u8]>, target: impl AsRef<[u8]>) -> Entry {
    let mut e = base(path.as_ref(), EntryKind::Symlink, 0o777);
    e.link_target = Some(target.as_ref().to_vec());
    e
}

/// A hard link to a root-relative target.
pub fn hard(path: impl AsRef<[u8]>, target: impl AsRef<[u8]>) -> Entry {
    let mut e = base(path.as_ref(), EntryKind::HardLink, 0o644);
    e.link_target = Some(target.as_ref().to_vec());
    e
}

/// A character device.
pub fn chr(path: impl AsRef<[u8]>, major: u32, minor: u32) -> Entry {
    let mut e = base(path.as_ref(), EntryKind::CharDevice, 0o666);
    e.dev_major = major;
    e.dev_minor = minor;
    e
}

/// A block device.
pub fn blk(path: impl AsRef<[u8]>, major: u32, minor: u32) -> Entry {
    let mut e = base(path.as_ref(), EntryKind::BlockDevice, 0o660);
    e.dev_major = major;
    e.dev_minor = minor;
    e
}

/// A FIFO.
pub fn fifo(path: impl AsRef<[u8]>) -> Entry {
    base(path.as_ref(), EntryKind::Fifo, 0o644)
}

/// The whiteout marker for `path` (`dir/.wh.name`), an empty file.
pub fn wh(path: &str) -> Entry {
    let marker = match path.rfind('/') {
        Some(i) => format!("{}/.wh.{}", &path[..i], &path[i + 1..]),
        None => format!(".wh.{path}"),
    };
    file(marker, b"")
}

/// The opaque marker of directory `dir` (`""` for the root).
pub fn opq(dir: &str) -> Entry {
    if dir.is_empty() {
        file(".wh..wh..opq", b"")
    } else {
        file(format!("{dir}/.wh..wh..opq"), b"")
    }
}

/// Builder tweaks.
pub trait With {
    /// Set the permission bits.
    fn mode(self, mode: u32) -> Entry;
    /// Set uid and gid.
    fn owner(self, uid: u64, gid: u64) -> Entry;
    /// Set the modification time.
    fn mtime(self, mtime: i64) -> Entry;
}

impl With for Entry {
    fn mode(mut self, mode: u32) -> Entry {
        self.mode = mode;
        self
    }
    fn owner(mut self, uid: u64, gid: u64) -> Entry {
        self.uid = uid;
        self.gid = gid;
        self
    }
    fn mtime(mut self, mtime: i64) -> Entry {
        self.mtime = mtime;
        self
    }
}

/// Build a listing from hand-written rows: lines with the columns separated
/// by spaces are turned into TAB-separated ones (columns
/// never contain spaces in these tests), header prepended.
pub fn golden<S: AsRef<str>>(rows: &[S]) -> String {
    let mut s = String::from(layerlens::fs::LISTING_HEADER);
    s.push('\n');
    for r in rows {
        let r = r.as_ref();
        let cols: Vec<&str> = r.split_whitespace().collect();
        assert_eq!(cols.len(), 9, "golden row needs 9 columns: {r}");
        s.push_str(&cols.join("\t"));
        s.push('\n');
    }
    s
}

/// Paths as strings, for readable assertions.
pub fn strs(paths: &[Vec<u8>]) -> Vec<String> {
    paths
        .iter()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect()
}
