//! The tar stream's hashes computed apart from the walk: the diff_id and
//! each file's content digest, from the tar pieces in order and the content
//! ranges the tar half reports ([`super::TarScanner::take_content_ranges`]).
//! The page runs this in a second Web Worker while the layer's own worker
//! inflates and walks (`web::worker::helper`); the test kit runs it in
//! process against the one-thread scanner.

use std::collections::VecDeque;

use sha2::{Digest as _, Sha256};

use crate::oci::{Algorithm, Digest, Hasher};

/// Where one file's content lies in the tar stream: `len` bytes from tar
/// offset `start`. `ordinal` numbers the ranges of a scan from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentRange {
    /// The range's number (its file's, in the scan).
    pub ordinal: u32,
    /// Tar offset of the first content byte.
    pub start: u64,
    /// Content bytes.
    pub len: u64,
}

/// The file being hashed.
struct Open {
    ordinal: u32,
    start: u64,
    end: u64,
    hash: Sha256,
}

/// Hashes a tar stream and the files in it, as a scan's tar half would.
pub struct TarHashes {
    diff: Option<Hasher>,
    /// Tar bytes seen.
    pos: u64,
    ranges: VecDeque<ContentRange>,
    open: Option<Open>,
    done: Vec<(u32, [u8; 32])>,
}

impl TarHashes {
    /// Hashes for a tar stream whose diff_id uses `diff` (`None`: the
    /// diff_id is the blob digest, hashed elsewhere; only file contents).
    pub fn new(diff: Option<Algorithm>) -> TarHashes {
        TarHashes {
            diff: diff.map(Hasher::new),
            pos: 0,
            ranges: VecDeque::new(),
            open: None,
            done: Vec::new(),
        }
    }

    /// Content ranges to hash, in order; each starts at or after the tar
    /// bytes seen so far.
    pub fn ranges(&mut self, ranges: &[ContentRange]) {
        self.ranges.extend(ranges.iter().copied());
        // Empty files are complete at once.
        self.advance(&[]);
    }

    /// The next piece of the tar stream.
    pub fn update(&mut self, piece: &[u8]) {
        if let Some(h) = &mut self.diff {
            h.update(piece);
        }
        self.advance(piece);
        self.pos += piece.len() as u64;
    }

    /// Hashes what `piece` (at `self.pos`) holds of the open ranges.
    fn advance(&mut self, piece: &[u8]) {
        let end = self.pos + piece.len() as u64;
        loop {
            if self.open.is_none() {
                match self.ranges.front() {
                    Some(r) if r.start <= end => {
                        let r = *r;
                        self.ranges.pop_front();
                        self.open = Some(Open {
                            ordinal: r.ordinal,
                            start: r.start,
                            end: r.start.saturating_add(r.len),
                            hash: Sha256::new(),
                        });
                    }
                    _ => return,
                }
            }
            let Some(open) = &mut self.open else {
                return;
            };
            let from = open.start.max(self.pos);
            let to = open.end.min(end);
            if to > from {
                let a = usize::try_from(from - self.pos).unwrap_or(usize::MAX);
                let b = usize::try_from(to - self.pos).unwrap_or(usize::MAX);
                if let Some(bytes) = piece.get(a..b) {
                    open.hash.update(bytes);
                }
            }
            if open.end > end {
                return;
            }
            if let Some(open) = self.open.take() {
                self.done.push((open.ordinal, open.hash.finalize().into()));
            }
        }
    }

    /// The diff_id (when hashed here) and the digest of every file whose
    /// content was seen whole, by ordinal.
    pub fn finish(self) -> (Option<Digest>, Vec<(u32, [u8; 32])>) {
        (self.diff.map(Hasher::finish), self.done)
    }
}
