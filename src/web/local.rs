//! Archives opened from the person's own machine: a `File` (or any `Blob`)
//! read at offsets with `Blob.slice()`, never whole, so a 5 GB `docker
//! save` costs the few kilobytes of its tar headers to open; the rest is
//! read as a layer streams or a file is viewed.

use js_sys::Uint8Array;
use wasm_bindgen_futures::JsFuture;

use std::collections::BTreeMap;

use super::fetch::BrowserBody;
use crate::archive::members::normalize;
use crate::archive::{ArchiveError, ReadAt, Source};
use crate::registry::{Fetch, FetchError, Headers, Request, Response};

/// A `Blob` read at offsets.
#[derive(Clone)]
pub struct BlobReadAt {
    blob: web_sys::Blob,
}

impl BlobReadAt {
    /// Reads `blob` (a `File` is one).
    pub fn new(blob: web_sys::Blob) -> BlobReadAt {
        BlobReadAt { blob }
    }

    /// `len` bytes from `offset` as a `Blob` of their own (nothing read).
    pub fn slice(&self, offset: u64, len: u64) -> Option<web_sys::Blob> {
        self.blob
            .slice_with_f64_and_f64(offset as f64, (offset + len) as f64)
            .ok()
    }
}

impl ReadAt for BlobReadAt {
    fn size(&self) -> u64 {
        self.blob.size() as u64
    }

    async fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, ArchiveError> {
        let end = (offset + len as u64).min(self.size());
        if offset >= end {
            return Ok(Vec::new());
        }
        let part = self
            .slice(offset, end - offset)
            .ok_or_else(|| ArchiveError::Io("the file cannot be sliced".into()))?;
        let buffer = JsFuture::from(part.array_buffer()).await.map_err(|_| {
            ArchiveError::Io("the file could not be read (was it moved or changed?)".into())
        })?;
        Ok(Uint8Array::new(&buffer).to_vec())
    }
}

/// An OCI image layout directory chosen with the browser's folder picker:
/// its files by their path inside the folder (`index.json`,
/// `blobs/sha256/…`), each read at offsets like an archive.
pub struct FilesSource {
    files: BTreeMap<String, web_sys::File>,
}

impl FilesSource {
    /// The folder's files as the picker lists them: each `File`'s
    /// `webkitRelativePath` starts with the folder's own name, dropped here.
    pub fn new(picked: Vec<web_sys::File>) -> FilesSource {
        let files = picked
            .into_iter()
            .filter_map(|f| {
                // (`webkitRelativePath`: every browser's, not in web-sys.)
                let rel = js_sys::Reflect::get(&f, &"webkitRelativePath".into())
                    .ok()
                    .and_then(|v| v.as_string())
                    .filter(|r| !r.is_empty())
                    .unwrap_or_else(|| f.name());
                let inside = rel.split_once('/').map_or(rel.as_str(), |(_, p)| p);
                Some((normalize(inside)?, f))
            })
            .collect();
        FilesSource { files }
    }

    /// The file at `path` as a `Blob` (a layer handed to a worker).
    pub fn blob(&self, path: &str) -> Option<web_sys::Blob> {
        let f = self.files.get(&normalize(path)?)?;
        Some(f.clone().into())
    }
}

impl Source for FilesSource {
    async fn size(&self, path: &str) -> Result<Option<u64>, ArchiveError> {
        Ok(normalize(path)
            .and_then(|p| self.files.get(&p))
            .map(|f| f.size() as u64))
    }

    async fn read(&self, path: &str, offset: u64, len: usize) -> Result<Vec<u8>, ArchiveError> {
        let Some(blob) = self.blob(path) else {
            return Err(ArchiveError::Missing(format!(
                "the folder has no file {path}"
            )));
        };
        BlobReadAt::new(blob).read_at(offset, len).await
    }
}

/// A worker's fetch of one layer that is a slice of an archive file: its
/// one request (the layer's `GET`) answers with the slice's bytes (the
/// page checked the descriptor; the scan verifies the digest as for any
/// blob).
pub struct BlobFetch {
    blob: web_sys::Blob,
}

impl BlobFetch {
    /// Answers with `blob`.
    pub fn new(blob: web_sys::Blob) -> BlobFetch {
        BlobFetch { blob }
    }
}

impl Fetch for BlobFetch {
    type Body = BrowserBody;

    /// Never asked: a file answers no 429 or 5xx.
    async fn sleep(&self, _ms: u64) {}

    async fn fetch(&self, _request: Request) -> Result<Response<BrowserBody>, FetchError> {
        // A worker only ever GETs its layer: every request is that GET.
        let mut headers = Headers::new();
        headers.push("Content-Length", (self.blob.size() as u64).to_string());
        Ok(Response {
            status: 200,
            headers,
            body: BrowserBody::of_blob(&self.blob),
        })
    }
}
