//! A layer's scanned index (its entries' metadata), stored once per layer
//! digest, in a compact binary form.
//!
//! Format version 1 (all integers LEB128 varints unless said otherwise;
//! `bytes` is a varint length then the bytes):
//!
//! ```text
//! "LLIX" u8:version
//! bytes:digest bytes:diff_id varint:compressed_size varint:tar_size u8:compression
//! varint:name_count  name_count × bytes        (uname/gname table; 0 = "")
//! varint:entry_count entry_count × entry
//! u32 LE: CRC-32 of everything before it
//!
//! entry = varint:shared_prefix bytes:path_suffix u8:kind|flags
//!         varint:mode varint:uid varint:gid varint:uname varint:gname
//!         varint:size zigzag:mtime zigzag:offset-delta
//!         [bytes:link_target] [varint:major varint:minor] [32 bytes:sha256]
//! ```
//!
//! Paths share their prefix with the previous entry's (tar order keeps a
//! directory's children together), owner names are interned, offsets are
//! stored as deltas. Measured on a 25,000-entry site-packages-like layer
//! with content hashes (`tests/library/layer_index.rs`): 1.28 MB, 51 bytes
//! an entry (the 32-byte hash is most of it), against 6.5 MB as JSON; it
//! decodes in ~33 ms in a debug build.
//!
//! Decoding treats the bytes as untrusted (storage can be altered): every
//! count and length is checked against what remains, names and the total
//! decoded metadata are capped like the scanner caps them, and the checksum
//! must match.

use std::collections::HashMap;

use super::entry::{Entry, EntryKind};
use std::sync::Arc;

use super::seek::SeekIndex;
use super::wire::{put_bytes, put_varint, unzigzag, zigzag, Reader};
use crate::oci::{Compression, Digest};

const MAGIC: &[u8; 4] = b"LLIX";
/// The encoding version written.
pub const LAYER_INDEX_VERSION: u8 = 1;
/// Most entries decoded (the scanner's default `max_entries`).
pub const MAX_ENTRIES: u64 = 1 << 20;
/// Longest name decoded (the scanner's default `max_name_len`).
pub const MAX_NAME: u64 = 64 << 10;
/// Most decoded metadata, in bytes (the scanner's `max_metadata_bytes`).
pub const MAX_METADATA: u64 = 512 << 20;

/// Why stored bytes are not a valid layer index.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("layer index: {reason} (at byte {offset})")]
pub struct LayerIndexError {
    pub(crate) reason: String,
    pub(crate) offset: usize,
}

impl LayerIndexError {
    /// What is wrong.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// The entries of one layer with the facts that identify it: what a scan
/// learns that is worth keeping (the image library stores it, a worker sends
/// it to the page). Not a verification: only [`super::verify`] turns one into
/// a [`super::VerifiedLayer`], against what the manifest and config promised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerIndex {
    digest: Digest,
    diff_id: Digest,
    compressed_size: u64,
    tar_size: u64,
    compression: Compression,
    entries: Vec<Entry>,
    /// Checkpoints for reading one file by Range, when the scan recorded
    /// them. Not part of [`LayerIndex::encode`]: stored and sent beside it.
    /// Shared: a file viewer takes it for each file it opens.
    seek: Option<Arc<SeekIndex>>,
}

impl LayerIndex {
    /// An index from its parts (a scanner's, or a test's: nothing here
    /// claims the parts belong together until [`super::verify`] says so).
    pub fn new(
        digest: Digest,
        diff_id: Digest,
        compressed_size: u64,
        tar_size: u64,
        compression: Compression,
        entries: Vec<Entry>,
    ) -> LayerIndex {
        LayerIndex {
            digest,
            diff_id,
            compressed_size,
            tar_size,
            compression,
            entries,
            seek: None,
        }
    }

    /// The index with the seek checkpoints of the same blob (a `seek` of
    /// another blob is dropped: it could only misplace reads).
    pub fn with_seek(mut self, seek: Option<SeekIndex>) -> LayerIndex {
        self.seek = seek.filter(|s| *s.blob() == self.digest).map(Arc::new);
        self
    }

    /// The checkpoints recorded with the scan, if any.
    pub fn seek(&self) -> Option<&Arc<SeekIndex>> {
        self.seek.as_ref()
    }

    /// The layer blob's digest.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The uncompressed tar's digest.
    pub fn diff_id(&self) -> &Digest {
        &self.diff_id
    }

    /// The blob's size.
    pub fn compressed_size(&self) -> u64 {
        self.compressed_size
    }

    /// The uncompressed tar's size.
    pub fn tar_size(&self) -> u64 {
        self.tar_size
    }

    /// The blob's compression.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// The entries, in tar order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Gives the entries back.
    pub fn into_entries(self) -> Vec<Entry> {
        self.entries
    }

    /// The layer's size as Docker's classic image store counts it for
    /// `docker image ls` (`layer.Size()`, the driver's `DiffSize`: a walk of
    /// the unpacked layer summing the size of every non-directory, each
    /// inode once): regular files count their size, symlinks the length of
    /// their target, hard links nothing (their inode is counted once), and
    /// directories, devices and fifos nothing. When a path repeats in the
    /// tar, the last entry is the one unpacked.
    pub fn content_size(&self) -> u64 {
        let mut last: HashMap<&[u8], &Entry> = HashMap::with_capacity(self.entries.len());
        for e in &self.entries {
            last.insert(&e.path, e);
        }
        last.values()
            .map(|e| match e.kind {
                EntryKind::File => e.size,
                EntryKind::Symlink => e.link_target.as_ref().map_or(0, |t| t.len() as u64),
                _ => 0,
            })
            .sum()
    }

    /// The compact encoding (see the module documentation).
    pub fn encode(&self) -> Vec<u8> {
        let mut names: Vec<&[u8]> = vec![b""];
        let mut name_ids: HashMap<&[u8], u64> = HashMap::from([(&b""[..], 0)]);
        for e in &self.entries {
            for n in [&e.uname, &e.gname] {
                name_ids.entry(n).or_insert_with(|| {
                    names.push(n);
                    names.len() as u64 - 1
                });
            }
        }
        let mut out = Vec::with_capacity(64 + self.entries.len() * 48);
        out.extend_from_slice(MAGIC);
        out.push(LAYER_INDEX_VERSION);
        put_bytes(&mut out, self.digest.to_string().as_bytes());
        put_bytes(&mut out, self.diff_id.to_string().as_bytes());
        put_varint(&mut out, self.compressed_size);
        put_varint(&mut out, self.tar_size);
        out.push(match self.compression {
            Compression::None => 0,
            Compression::Gzip => 1,
            Compression::Zstd => 2,
        });
        put_varint(&mut out, names.len() as u64 - 1);
        for n in &names[1..] {
            put_bytes(&mut out, n);
        }
        put_varint(&mut out, self.entries.len() as u64);
        let mut prev_path: &[u8] = b"";
        let mut prev_offset = 0u64;
        for e in &self.entries {
            let shared = prev_path
                .iter()
                .zip(&e.path)
                .take_while(|(a, b)| a == b)
                .count();
            put_varint(&mut out, shared as u64);
            put_bytes(&mut out, &e.path[shared..]);
            prev_path = &e.path;
            let mut tag = kind_code(e.kind);
            if e.link_target.is_some() {
                tag |= 1 << 3;
            }
            if e.content_sha256.is_some() {
                tag |= 1 << 4;
            }
            if e.dev_major != 0 || e.dev_minor != 0 {
                tag |= 1 << 5;
            }
            out.push(tag);
            put_varint(&mut out, u64::from(e.mode));
            put_varint(&mut out, e.uid);
            put_varint(&mut out, e.gid);
            put_varint(&mut out, name_ids.get(&e.uname[..]).copied().unwrap_or(0));
            put_varint(&mut out, name_ids.get(&e.gname[..]).copied().unwrap_or(0));
            put_varint(&mut out, e.size);
            put_varint(&mut out, zigzag(e.mtime));
            put_varint(&mut out, zigzag(e.offset.wrapping_sub(prev_offset) as i64));
            prev_offset = e.offset;
            if let Some(t) = &e.link_target {
                put_bytes(&mut out, t);
            }
            if tag & (1 << 5) != 0 {
                put_varint(&mut out, u64::from(e.dev_major));
                put_varint(&mut out, u64::from(e.dev_minor));
            }
            if let Some(h) = &e.content_sha256 {
                out.extend_from_slice(h);
            }
        }
        let crc = zlib_rs::crc32::crc32(0, &out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// Decodes [`LayerIndex::encode`]'s output, refusing anything malformed,
    /// oversized or altered (see the module documentation).
    pub fn decode(bytes: &[u8]) -> Result<LayerIndex, LayerIndexError> {
        let err = |reason: &str, offset: usize| LayerIndexError {
            reason: reason.to_owned(),
            offset,
        };
        if bytes.len() < MAGIC.len() + 1 + 4 || &bytes[..4] != MAGIC {
            return Err(err("not a layer index (bad magic)", 0));
        }
        if bytes[4] != LAYER_INDEX_VERSION {
            return Err(err(&format!("unsupported version {}", bytes[4]), 4));
        }
        let (body, crc) = bytes.split_at(bytes.len() - 4);
        let want = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
        if zlib_rs::crc32::crc32(0, body) != want {
            return Err(err(
                "checksum mismatch (the stored index was altered)",
                body.len(),
            ));
        }
        let mut r = Reader {
            b: body,
            pos: 5,
            budget: MAX_METADATA,
        };
        let digest = r.digest()?;
        let diff_id = r.digest()?;
        let compressed_size = r.varint()?;
        let tar_size = r.varint()?;
        let compression = match r.byte()? {
            0 => Compression::None,
            1 => Compression::Gzip,
            2 => Compression::Zstd,
            _ => return Err(r.fail("unknown compression")),
        };
        let name_count = r.count(1)?;
        let mut names: Vec<Vec<u8>> = Vec::with_capacity(name_count + 1);
        names.push(Vec::new());
        for _ in 0..name_count {
            names.push(r.bytes()?.to_vec());
        }
        // Each entry takes at least 11 bytes: its tag and ten one-byte
        // varints (shared prefix, suffix length, mode, uid, gid, two owner
        // names, size, mtime, offset). Claiming more refused indexes this
        // very encoder wrote (found by fuzzing: entries repeating a path with
        // zero mode, mtime and offset step).
        let count = r.count(11)?;
        let mut entries = Vec::with_capacity(count);
        let mut path: Vec<u8> = Vec::new();
        let mut offset = 0u64;
        for _ in 0..count {
            let shared = r.varint()?;
            if shared > path.len() as u64 {
                return Err(r.fail("shared path prefix longer than the previous path"));
            }
            path.truncate(shared as usize);
            path.extend_from_slice(r.bytes()?);
            if path.len() as u64 > MAX_NAME {
                return Err(r.fail("path longer than the name limit"));
            }
            r.spend(path.len() as u64 + std::mem::size_of::<Entry>() as u64)?;
            let tag = r.byte()?;
            let kind = kind_from(tag & 7).ok_or_else(|| r.fail("unknown entry kind"))?;
            let mode = u32::try_from(r.varint()?).map_err(|_| r.fail("mode out of range"))?;
            let uid = r.varint()?;
            let gid = r.varint()?;
            let name = |r: &mut Reader<'_>| -> Result<Vec<u8>, LayerIndexError> {
                let i = r.varint()?;
                let n = names
                    .get(usize::try_from(i).unwrap_or(usize::MAX))
                    .ok_or_else(|| r.fail("owner name index out of range"))?;
                r.spend(n.len() as u64)?;
                Ok(n.clone())
            };
            let uname = name(&mut r)?;
            let gname = name(&mut r)?;
            let size = r.varint()?;
            let mtime = unzigzag(r.varint()?);
            offset = offset.wrapping_add(unzigzag(r.varint()?) as u64);
            let link_target = if tag & (1 << 3) != 0 {
                let t = r.bytes()?.to_vec();
                r.spend(t.len() as u64)?;
                Some(t)
            } else {
                None
            };
            let (dev_major, dev_minor) = if tag & (1 << 5) != 0 {
                let major =
                    u32::try_from(r.varint()?).map_err(|_| r.fail("device number out of range"))?;
                let minor =
                    u32::try_from(r.varint()?).map_err(|_| r.fail("device number out of range"))?;
                (major, minor)
            } else {
                (0, 0)
            };
            let content_sha256 = if tag & (1 << 4) != 0 {
                let h = r.take(32)?;
                let mut a = [0u8; 32];
                a.copy_from_slice(h);
                Some(a)
            } else {
                None
            };
            entries.push(Entry {
                path: path.clone(),
                kind,
                mode,
                uid,
                gid,
                uname,
                gname,
                size,
                mtime,
                link_target,
                dev_major,
                dev_minor,
                content_sha256,
                offset,
            });
        }
        if r.pos != body.len() {
            return Err(r.fail("trailing bytes after the last entry"));
        }
        Ok(LayerIndex::new(
            digest,
            diff_id,
            compressed_size,
            tar_size,
            compression,
            entries,
        ))
    }
}

fn kind_code(k: EntryKind) -> u8 {
    match k {
        EntryKind::File => 0,
        EntryKind::HardLink => 1,
        EntryKind::Symlink => 2,
        EntryKind::CharDevice => 3,
        EntryKind::BlockDevice => 4,
        EntryKind::Directory => 5,
        EntryKind::Fifo => 6,
    }
}

fn kind_from(c: u8) -> Option<EntryKind> {
    Some(match c {
        0 => EntryKind::File,
        1 => EntryKind::HardLink,
        2 => EntryKind::Symlink,
        3 => EntryKind::CharDevice,
        4 => EntryKind::BlockDevice,
        5 => EntryKind::Directory,
        6 => EntryKind::Fifo,
        _ => return None,
    })
}
