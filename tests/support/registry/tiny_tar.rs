//! The registry harness's shorthand for small layers: ustar regular files and directories
//! (mode 0644/0755, uid/gid 0, mtime 0), written by the test kit's one tar writer
//! ([`crate::tar::TarBuilder`]), and gzip.

use crate::tar::{Flavour, Member, TarBuilder};

pub use crate::tar::gzip;

/// An archive being written.
pub struct Tar {
    out: TarBuilder,
}

impl Default for Tar {
    fn default() -> Tar {
        Tar::new()
    }
}

impl Tar {
    /// An empty archive.
    pub fn new() -> Tar {
        Tar {
            out: TarBuilder::new(Flavour::Ustar),
        }
    }

    /// Adds a regular file (mode 0644).
    pub fn file(self, path: &str, contents: &[u8]) -> Tar {
        self.entry(Member::file(path.as_bytes(), contents).mode(0o644))
    }

    /// Adds a directory (mode 0755); `path` should end with `/`.
    pub fn dir(self, path: &str) -> Tar {
        self.entry(Member::dir(path.as_bytes()).mode(0o755))
    }

    /// The archive with its two zero end-of-archive blocks.
    pub fn finish(self) -> Vec<u8> {
        self.out.finish()
    }

    fn entry(mut self, member: Member) -> Tar {
        self.out.member(&member.owner(0, 0, b"", b"").mtime(0));
        self
    }
}
