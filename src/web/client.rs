//! The page's registry client: one type, one clock, one constructor. The
//! client of the current load (it holds the load's tokens) is kept by the
//! app shell ([`super::runtime::App::load_client`]) and shared by the scan
//! and the file viewer; searches and kept layers make their own with
//! [`page_client`]. A load of an archive opened from a file reads it
//! through the same client type ([`PageFetch::Archive`]): nothing of it
//! goes to the network.

use std::cell::Cell;
use std::rc::Rc;

use crate::archive::fetch::ArchiveBody;
use crate::archive::{ArchiveFetch, TarSource};
use crate::oci::Digest;
use crate::registry::{Body, Client, Credentials, Fetch, FetchError, Request, Response};

use super::fetch::{BrowserBody, BrowserFetch};
use super::local::{BlobReadAt, FilesSource};

/// An archive the page reads in place from a `File`.
pub type FileArchive = ArchiveFetch<TarSource<BlobReadAt>>;
/// An OCI layout folder the page reads in place.
pub type FolderLayout = ArchiveFetch<FilesSource>;

/// The page's fetch: through the proxy, or from an archive file.
pub enum PageFetch {
    /// Registries, through the proxy.
    Proxy(BrowserFetch),
    /// An archive opened from a file.
    Archive(FileArchive),
    /// An OCI layout folder.
    Folder(FolderLayout),
}

/// [`PageFetch`]'s bodies.
pub enum PageBody {
    /// From the proxy.
    Proxy(BrowserBody),
    /// From the file.
    Archive(ArchiveBody<TarSource<BlobReadAt>>),
    /// From a file of the folder.
    Folder(ArchiveBody<FilesSource>),
}

impl Body for PageBody {
    async fn chunk(&mut self) -> Result<Option<Vec<u8>>, FetchError> {
        match self {
            PageBody::Proxy(b) => b.chunk().await,
            PageBody::Archive(b) => b.chunk().await,
            PageBody::Folder(b) => b.chunk().await,
        }
    }
}

impl Fetch for PageFetch {
    type Body = PageBody;

    async fn sleep(&self, ms: u64) {
        match self {
            PageFetch::Proxy(f) => f.sleep(ms).await,
            // A file answers no 429 or 5xx.
            PageFetch::Archive(_) | PageFetch::Folder(_) => {}
        }
    }

    async fn fetch(&self, request: Request) -> Result<Response<PageBody>, FetchError> {
        Ok(match self {
            PageFetch::Proxy(f) => f.fetch(request).await?.map_body(PageBody::Proxy),
            PageFetch::Archive(f) => f.fetch(request).await?.map_body(PageBody::Archive),
            PageFetch::Folder(f) => f.fetch(request).await?.map_body(PageBody::Folder),
        })
    }
}

impl PageFetch {
    /// The proxy base (empty for a file).
    pub fn base(&self) -> &str {
        match self {
            PageFetch::Proxy(f) => f.base(),
            PageFetch::Archive(_) | PageFetch::Folder(_) => "",
        }
    }

    /// Aborts every request of this load (nothing to abort in a file).
    pub fn abort(&self) {
        if let PageFetch::Proxy(f) = self {
            f.abort();
        }
    }

    /// The blob `digest` as a slice of the archive file, for a worker to
    /// read; `None` through the proxy (the worker fetches it there).
    pub fn file_blob(&self, digest: &Digest) -> Option<web_sys::Blob> {
        match self {
            PageFetch::Proxy(_) => None,
            PageFetch::Archive(a) => {
                let (offset, len) = a.blob_range(digest)?;
                a.source().archive().slice(offset, len)
            }
            PageFetch::Folder(f) => f.source().blob(&f.images().path(digest)),
        }
    }
}

/// A registry client over the page's fetch.
pub type PageClient = Client<PageFetch, fn() -> u64>;

/// The page's clock in milliseconds since the epoch (token expiry, records).
pub fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// A client through the proxy at `proxy_base` with the person's
/// `credentials`; `last_yield` is shared by fetches that should yield to
/// the page together (see [`BrowserFetch`]).
pub fn page_client(
    proxy_base: String,
    last_yield: Rc<Cell<f64>>,
    credentials: Option<Credentials>,
) -> PageClient {
    let fetch = BrowserFetch::new(proxy_base, last_yield);
    Client::new(PageFetch::Proxy(fetch), now_ms as fn() -> u64).with_credentials(credentials)
}
