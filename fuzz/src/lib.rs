//! Helpers shared by the fuzz targets (`fuzz_targets/*.rs`): a reader that
//! turns the fuzzer's bytes into small structured choices, a `block_on` for
//! the core's async readers, and layers of entries for the merge targets.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use layerlens::layer::{Entry, EntryKind};

/// Reads choices from the front of the fuzzer's input; once it runs out every
/// choice is zero, so any input is a valid program.
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// Wraps the fuzzer's bytes.
    pub fn new(data: &'a [u8]) -> Input<'a> {
        Input { data }
    }

    /// One byte (0 when exhausted).
    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((b, rest)) => {
                self.data = rest;
                *b
            }
            None => 0,
        }
    }

    /// A little-endian u16.
    pub fn u16(&mut self) -> u16 {
        u16::from(self.byte()) | (u16::from(self.byte()) << 8)
    }

    /// A little-endian u64.
    pub fn u64(&mut self) -> u64 {
        (0..8).fold(0u64, |n, i| n | (u64::from(self.byte()) << (8 * i)))
    }

    /// A number below `n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        usize::from(self.u16()) % n
    }

    /// Up to `max` bytes, the length read first.
    pub fn bytes(&mut self, max: usize) -> &'a [u8] {
        let len = self.below(max + 1).min(self.data.len());
        let (head, rest) = self.data.split_at(len);
        self.data = rest;
        head
    }

    /// Everything left.
    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.data)
    }

    /// Whether anything is left.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// Drives a future that never waits on anything outside itself (the core's
/// readers over memory) to completion.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

/// Feeds `data` in chunks whose sizes come from `sizes` (cycled; a zero size
/// feeds an empty chunk, then one byte), calling `feed` for each; stops at
/// its first error.
pub fn chunked<E>(
    data: &[u8],
    sizes: &[u8],
    mut feed: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    let mut at = 0;
    let mut i = 0;
    while at < data.len() {
        let size = match sizes {
            [] => data.len(),
            s => match usize::from(s[i % s.len()]) {
                0 => {
                    feed(&[])?;
                    1
                }
                n => n,
            },
        };
        i += 1;
        let end = (at + size).min(data.len());
        feed(&data[at..end])?;
        at = end;
    }
    Ok(())
}

/// Path components the merge targets build paths from: few enough that
/// layers collide, with both whiteout forms and a non-UTF-8 name.
const NAMES: &[&[u8]] = &[
    b"a",
    b"b",
    b"c",
    b".wh.a",
    b".wh.b",
    b".wh..wh..opq",
    b"\xff",
    b"a b",
];

fn path(input: &mut Input) -> Vec<u8> {
    let depth = input.below(4);
    let mut parts = Vec::with_capacity(depth);
    for _ in 0..depth {
        parts.push(NAMES[input.below(NAMES.len())]);
    }
    parts.join(&b'/')
}

/// One entry as a scanner could yield it: a normalised path over
/// [`NAMES`], any kind, small sizes and ids, link targets among the same names.
pub fn entry(input: &mut Input, offset: u64) -> Entry {
    const KINDS: [EntryKind; 7] = [
        EntryKind::File,
        EntryKind::Directory,
        EntryKind::Symlink,
        EntryKind::HardLink,
        EntryKind::CharDevice,
        EntryKind::BlockDevice,
        EntryKind::Fifo,
    ];
    let kind = KINDS[input.below(KINDS.len())];
    let path = path(input);
    let flags = input.byte();
    let link_target = match kind {
        EntryKind::Symlink | EntryKind::HardLink => Some(self::path(input)),
        _ => None,
    };
    let content = input.byte();
    Entry {
        path,
        kind,
        mode: u32::from(input.u16()) & 0o7777,
        uid: u64::from(flags & 3),
        gid: u64::from((flags >> 2) & 3),
        uname: Vec::new(),
        gname: Vec::new(),
        size: if kind == EntryKind::File {
            u64::from(content) * 1000
        } else {
            0
        },
        mtime: i64::from(flags >> 4),
        link_target,
        dev_major: u32::from(flags & 1),
        dev_minor: 0,
        content_sha256: (flags & 0x40 != 0).then_some([content; 32]),
        offset,
    }
}

/// Up to `max_layers` layers of up to 16 entries each.
pub fn layers(input: &mut Input, max_layers: usize) -> Vec<Vec<Entry>> {
    let n = input.below(max_layers + 1);
    (0..n)
        .map(|_| {
            let m = input.below(17);
            (0..m).map(|i| entry(input, i as u64 * 512)).collect()
        })
        .collect()
}
