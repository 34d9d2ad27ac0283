//! One tar entry's metadata, as the scanner yields it and the union
//! filesystem consumes it.

/// The type of a tar entry, after GNU/PAX extensions have been applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// A regular file (typeflag `0`, `\0` or the obsolete `7`).
    File,
    /// A hard link to an earlier entry (typeflag `1`); its target is in
    /// [`Entry::link_target`].
    HardLink,
    /// A symbolic link (typeflag `2`).
    Symlink,
    /// A character device (typeflag `3`).
    CharDevice,
    /// A block device (typeflag `4`).
    BlockDevice,
    /// A directory (typeflag `5`).
    Directory,
    /// A named pipe (typeflag `6`).
    Fifo,
}

/// The metadata of one entry of a layer's tar stream.
///
/// `path` is the normalised, root-relative byte path: no leading `/` or `./`,
/// no trailing `/`, no `.` or empty components, never escaping the root
/// (`..` that would escape is an error from the scanner). The root directory
/// itself has the empty path. Bytes, not `String`: tar names need not be UTF-8.
/// Whiteout markers (`.wh.NAME`, `.wh..wh..opq`) are yielded as the regular
/// entries they are in the tar; the union filesystem interprets them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Root-relative path bytes, normalised as described above.
    pub path: Vec<u8>,
    /// What kind of entry this is.
    pub kind: EntryKind,
    /// Permission bits including setuid/setgid/sticky (`0o7777` mask).
    pub mode: u32,
    /// Owner user id.
    pub uid: u64,
    /// Owner group id.
    pub gid: u64,
    /// Owner user name, if the header carried one.
    pub uname: Vec<u8>,
    /// Owner group name, if the header carried one.
    pub gname: Vec<u8>,
    /// Content size in bytes (0 for everything but regular files).
    pub size: u64,
    /// Modification time, seconds since the Unix epoch (may be negative).
    pub mtime: i64,
    /// Symlink target as written, or the normalised root-relative path of a
    /// hard link's target.
    pub link_target: Option<Vec<u8>>,
    /// Device major number (character and block devices).
    pub dev_major: u32,
    /// Device minor number (character and block devices).
    pub dev_minor: u32,
    /// SHA-256 of the content of a regular file, when content hashing was asked for.
    pub content_sha256: Option<[u8; 32]>,
    /// Byte offset of this entry's header in the uncompressed tar stream
    /// (lets a later pass find the file again, and errors say where); for
    /// a layer listed from its table of contents, which has no tar
    /// offsets, the entry's position in the listing.
    pub offset: u64,
}

#[cfg(test)]
impl Entry {
    /// An entry for unit tests: owned by root, mode 0644, `size` bytes, no
    /// content digest.
    pub(crate) fn for_test(path: &str, kind: EntryKind, size: u64) -> Entry {
        Entry {
            path: path.as_bytes().to_vec(),
            kind,
            mode: 0o644,
            uid: 0,
            gid: 0,
            uname: Vec::new(),
            gname: Vec::new(),
            size,
            mtime: 0,
            link_target: None,
            dev_major: 0,
            dev_minor: 0,
            content_sha256: None,
            offset: 0,
        }
    }
}
