//! Archives opened from the person's own machine: a `File` (or any `Blob`)
//! read at offsets with `Blob.slice()`, never whole, so a 5 GB `docker
//! save` costs the few kilobytes of its tar headers to open; the rest is
//! read as a layer streams or a file is viewed.

use js_sys::Uint8Array;
use wasm_bindgen_futures::JsFuture;

use super::fetch::BrowserBody;
use crate::archive::{ArchiveError, ReadAt};
use crate::registry::{Fetch, FetchError, Headers, Method, Request, Response};

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

/// A worker's fetch of one layer that is a slice of an archive file: every
/// `GET` answers with the slice's bytes (the page checked the descriptor;
/// the scan verifies the digest as for any blob).
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

    async fn fetch(&self, request: Request) -> Result<Response<BrowserBody>, FetchError> {
        let mut headers = Headers::new();
        headers.push("Content-Length", (self.blob.size() as u64).to_string());
        if request.method == Method::Head {
            return Ok(Response {
                status: 200,
                headers,
                body: BrowserBody::of_blob(
                    &web_sys::Blob::new()
                        .map_err(|_| FetchError::new("the browser could not make an empty blob"))?,
                ),
            });
        }
        Ok(Response {
            status: 200,
            headers,
            body: BrowserBody::of_blob(&self.blob),
        })
    }
}
