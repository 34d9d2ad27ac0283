//! Images on a person's own machine, read in place: `docker save` archives
//! (the OCI-layout form of Docker 25 and later, and the legacy
//! `<id>/layer.tar` form), OCI archives (a tar of an OCI image layout) and
//! OCI layout directories.
//!
//! Sans-IO like the rest of the core: the shells provide a [`Source`] (a
//! file or directory on disk, a browser `File`), and everything else is
//! decided here:
//!
//! * [`members`] — the members of an outer tar, found by one pass over its
//!   headers that skips every member's content by offset, so a 5 GB archive
//!   is indexed by reading a few kilobytes; [`TarSource`] reads a member's
//!   bytes by range through it.
//! * [`images`] — what the archive holds: the documents and blobs by
//!   digest, and the names it gives its images; a legacy `docker save`
//!   archive gets a manifest made from its `manifest.json`, naming each
//!   layer by its diff_id.
//! * [`fetch`] — a [`crate::registry::Fetch`] that answers the registry
//!   API from the archive, so an image on disk is resolved, verified and
//!   scanned by exactly the code that reads registries.

pub mod fetch;
pub mod images;
pub mod members;

pub use fetch::ArchiveFetch;
pub use images::{ArchiveFormat, LocalImages};
pub use members::{Member, MemberKind, Members, TarSource};

use crate::oci::Reference;
use crate::registry::FetchError;

/// The most bytes one read asks a [`Source`] for.
pub const READ_CHUNK: usize = 1 << 20;

/// Files read in place by path, relative to the archive's root
/// (`index.json`, `blobs/sha256/…`, `<id>/layer.tar`).
#[allow(async_fn_in_trait)] // no Send bound: the browser's futures are !Send
pub trait Source {
    /// The size of the file at `path`, or `None` when there is none.
    async fn size(&self, path: &str) -> Result<Option<u64>, ArchiveError>;
    /// Up to `len` bytes of the file at `path` from `offset` (fewer only at
    /// its end).
    async fn read(&self, path: &str, offset: u64, len: usize) -> Result<Vec<u8>, ArchiveError>;
}

/// One file read at offsets: an archive on disk, a browser `File`.
#[allow(async_fn_in_trait)] // no Send bound: the browser's futures are !Send
pub trait ReadAt {
    /// Its size in bytes.
    fn size(&self) -> u64;
    /// Up to `len` bytes from `offset` (fewer only at the end).
    async fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, ArchiveError>;
}

/// Reads what `source` holds and picks the image `name` names (or its only
/// one): the reference the client reads it by — the archive's own name for
/// it when it gives a full one (`RepoTags`, `io.containerd.image.name`), as
/// `docker load` would tag it, else `fallback` — pinned to its digest, and
/// the [`ArchiveFetch`] that answers for it.
pub async fn open<S: Source>(
    source: S,
    name: Option<&str>,
    fallback: &str,
) -> Result<(Reference, ArchiveFetch<S>), ArchiveError> {
    let images = LocalImages::open(&source).await?;
    let named = images.select(name)?;
    let digest = named.digest.clone();
    let own = named
        .names
        .iter()
        .filter(|n| n.contains('/') || n.contains(':'))
        .find_map(|n| Reference::parse_normalized(n).ok())
        .filter(|r| r.digest().is_none());
    let reference = match own {
        Some(r) => r,
        None => Reference::parse_normalized(fallback)
            .map_err(|e| ArchiveError::Io(format!("naming the image {fallback:?}: {e}")))?,
    };
    Ok((
        reference.with_digest(digest),
        ArchiveFetch::new(source, images),
    ))
}

/// What is said of an image from a legacy `docker save` archive.
pub const LEGACY_NOTE: &str = "a docker save archive of the legacy layout: it has no manifest, so \
     one was made from its manifest.json; its layers are known by their diff_ids only, and \
     verified by them";

/// The repository an image from the file `name` is shown under when the
/// archive gives it no name of its own: `localhost/STEM` (`app.tar.gz` →
/// `localhost/app`), as an unnamed `docker load` would list it.
pub fn repository_for_file(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let stem = base.split('.').next().unwrap_or(base).to_ascii_lowercase();
    let repo: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let repo = repo.trim_matches('-');
    let repo = if repo.is_empty() { "image" } else { repo };
    // A repository component has at most 255 characters with its host.
    format!("localhost/{}", &repo[..repo.len().min(200)])
}

/// An archive held in memory (tests, small archives).
impl ReadAt for Vec<u8> {
    fn size(&self) -> u64 {
        self.len() as u64
    }

    async fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, ArchiveError> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.len());
        let end = start.saturating_add(len).min(self.len());
        Ok(self[start..end].to_vec())
    }
}

/// Why an archive cannot be read, in words that name the member.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArchiveError {
    /// Reading the file itself failed.
    #[error("{0}")]
    Io(String),
    /// The archive is compressed as a whole (`docker save | gzip`): it
    /// cannot be read in place.
    #[error("the archive is {0}-compressed as a whole, so it cannot be read in place; decompress it first (gunzip / zstd -d) and open the .tar")]
    Compressed(&'static str),
    /// The first block is not a tar header.
    #[error("not a tar archive (the first 512 bytes are not a tar header)")]
    NotTar,
    /// A header after the first is damaged.
    #[error("the archive is damaged at byte {offset}: {detail}")]
    Damaged {
        /// Where the bad header starts.
        offset: u64,
        /// What is wrong with it.
        detail: String,
    },
    /// A member's content runs past the end of the file.
    #[error("the archive is truncated: member {member} needs {needed} bytes from byte {offset}, but the file ends at byte {size}")]
    Truncated {
        /// The member's path.
        member: String,
        /// Where its content starts.
        offset: u64,
        /// Its size.
        needed: u64,
        /// The file's size.
        size: u64,
    },
    /// The archive stops without its end-of-archive marker.
    #[error("the archive is truncated: it ends at byte {size}, after member {last}, without the end-of-archive marker")]
    Unterminated {
        /// The last member read.
        last: String,
        /// The file's size.
        size: u64,
    },
    /// More members than we index.
    #[error("the archive has more than {0} members")]
    TooManyMembers(usize),
    /// A file the format needs is not there.
    #[error("{0}")]
    Missing(String),
    /// A member that cannot be used as it is (a duplicate, a link leading
    /// outside the archive, a path climbing out of it, a directory).
    #[error("member {member}: {why}")]
    BadMember {
        /// The member's path as named.
        member: String,
        /// What is wrong.
        why: String,
    },
    /// A document of the format (`index.json`, `manifest.json`,
    /// `oci-layout`, a config) is not what it must be.
    #[error("{file}: {why}")]
    BadDocument {
        /// The member's path.
        file: String,
        /// What is wrong.
        why: String,
    },
    /// The name asked for is not in the archive.
    #[error("{0}")]
    NoSuchImage(String),
    /// No name was given and the archive holds several images: each with
    /// its first name (or its digest) and its digest.
    #[error("the archive holds {} images ({}): name one after a colon", .0.len(), .0.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", "))]
    SeveralImages(Vec<(String, crate::oci::Digest)>),
}

impl From<ArchiveError> for FetchError {
    fn from(e: ArchiveError) -> FetchError {
        FetchError::with_kind(crate::registry::FetchErrorKind::Archive, e.to_string())
    }
}
