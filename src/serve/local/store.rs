//! Where a served repository's blobs are: in memory (the built-in demo) or
//! in a layout directory's `blobs/<alg>/<hex>` files, streamed from disk.
//!
//! A file name is only ever built from a parsed [`Digest`] (a registered
//! algorithm and exactly its number of lower-case hex digits), and the
//! canonical path — symlinks followed — must stay inside the layout's
//! `blobs` directory, so no request can read outside it.

use std::collections::BTreeMap;
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::BodyExt;
use tokio::io::AsyncSeekExt as _;

use super::super::body::{full, FileBody, ResponseBody};
use crate::oci::Digest;

/// A blob store.
#[derive(Debug, Clone)]
pub enum Store {
    /// Blobs held in memory (the demo): cheap clones, zero-copy ranges.
    Memory(Arc<BTreeMap<Digest, Bytes>>),
    /// A layout directory's `blobs/`.
    Dir(DirStore),
}

/// The `blobs` directory of an OCI image layout, canonicalised.
#[derive(Debug, Clone)]
pub struct DirStore {
    root: PathBuf,
}

/// Why a small document could not be read at startup.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file is larger than the cap for its kind.
    #[error("{size} bytes, over the {cap}-byte limit")]
    TooLarge {
        /// Its size.
        size: u64,
        /// The cap.
        cap: u64,
    },
    /// The file system said no.
    #[error("{0}")]
    Io(#[from] io::Error),
}

impl DirStore {
    /// `dir/blobs`, canonicalised (it may itself be a symlink).
    pub fn open(dir: &Path) -> io::Result<DirStore> {
        let root = dir.join("blobs").canonicalize()?;
        if !root.is_dir() {
            return Err(io::Error::other("blobs is not a directory"));
        }
        Ok(DirStore { root })
    }

    fn candidate(&self, digest: &Digest) -> PathBuf {
        self.root.join(digest.algorithm().name()).join(digest.hex())
    }

    /// The blob's file, or `None` when it is absent, not a regular file, or
    /// resolves outside `blobs/`.
    fn resolve(&self, digest: &Digest) -> io::Result<Option<PathBuf>> {
        match self.candidate(digest).canonicalize() {
            Ok(path) if path.starts_with(&self.root) && path.is_file() => Ok(Some(path)),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn resolve_async(&self, digest: &Digest) -> io::Result<Option<PathBuf>> {
        let this = self.clone();
        let digest = digest.clone();
        tokio::task::spawn_blocking(move || this.resolve(&digest))
            .await
            .map_err(io::Error::other)?
    }
}

/// An opened blob, ready to be sent whole or in part.
#[derive(Debug)]
pub enum Blob {
    /// Bytes in memory.
    Memory(Bytes),
    /// An open file and its length.
    File {
        /// The file.
        file: tokio::fs::File,
        /// Its length when opened.
        len: u64,
    },
}

impl Blob {
    /// The blob's length.
    pub fn len(&self) -> u64 {
        match self {
            Blob::Memory(b) => b.len() as u64,
            Blob::File { len, .. } => *len,
        }
    }

    /// Whether the blob is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A body for bytes `start..=end` (callers check the bounds), streamed
    /// from disk in 64 KiB reads with backpressure.
    pub async fn body(self, start: u64, end: u64) -> io::Result<ResponseBody> {
        let count = (end + 1).saturating_sub(start);
        match self {
            Blob::Memory(bytes) => {
                let from = usize::try_from(start).map_err(io::Error::other)?;
                let to = usize::try_from(end + 1).map_err(io::Error::other)?;
                let slice = bytes
                    .get(from..to)
                    .ok_or_else(|| io::Error::other("range"))?;
                Ok(full(bytes.slice_ref(slice)))
            }
            Blob::File { mut file, .. } => {
                if start > 0 {
                    file.seek(io::SeekFrom::Start(start)).await?;
                }
                Ok(FileBody::new(file, count).boxed_unsync())
            }
        }
    }

    /// The whole blob in memory, if it is at most `cap` bytes (manifests).
    pub async fn read_all(self, cap: u64) -> io::Result<Bytes> {
        if self.len() > cap {
            return Err(io::Error::other(format!(
                "{} bytes, over the {cap}-byte limit",
                self.len()
            )));
        }
        match self {
            Blob::Memory(bytes) => Ok(bytes),
            Blob::File { file, len } => {
                use tokio::io::AsyncReadExt as _;
                let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
                file.take(cap + 1).read_to_end(&mut buf).await?;
                if buf.len() as u64 != len {
                    return Err(io::Error::other("the file changed while being read"));
                }
                Ok(Bytes::from(buf))
            }
        }
    }
}

impl Store {
    /// The blob's size, or `None` when it is not in the store (startup checks).
    pub fn size(&self, digest: &Digest) -> io::Result<Option<u64>> {
        match self {
            Store::Memory(map) => Ok(map.get(digest).map(|b| b.len() as u64)),
            Store::Dir(dir) => match dir.resolve(digest)? {
                Some(path) => Ok(Some(path.metadata()?.len())),
                None => Ok(None),
            },
        }
    }

    /// A small blob (a manifest or index) whole, refusing more than `cap`
    /// bytes before reading them (startup checks).
    pub fn read_document(&self, digest: &Digest, cap: u64) -> Result<Option<Vec<u8>>, ReadError> {
        match self {
            Store::Memory(map) => Ok(map.get(digest).map(|b| b.to_vec())),
            Store::Dir(dir) => {
                let Some(path) = dir.resolve(digest)? else {
                    return Ok(None);
                };
                let file = std::fs::File::open(path)?;
                let size = file.metadata()?.len();
                if size > cap {
                    return Err(ReadError::TooLarge { size, cap });
                }
                let mut buf = Vec::new();
                file.take(cap + 1).read_to_end(&mut buf)?;
                Ok(Some(buf))
            }
        }
    }

    /// Opens a blob for a request, or `None` when it is not in the store.
    pub async fn open(&self, digest: &Digest) -> io::Result<Option<Blob>> {
        match self {
            Store::Memory(map) => Ok(map.get(digest).cloned().map(Blob::Memory)),
            Store::Dir(dir) => {
                let Some(path) = dir.resolve_async(digest).await? else {
                    return Ok(None);
                };
                let file = tokio::fs::File::open(path).await?;
                let len = file.metadata().await?.len();
                Ok(Some(Blob::File { file, len }))
            }
        }
    }
}
