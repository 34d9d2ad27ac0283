//! The local image library: the browser's `docker image ls`, `docker tag`,
//! `docker image rm` and `docker image prune`, over a content-addressed
//! store.
//!
//! Pure and sans-IO like the rest of the core: no clock ("now" is passed
//! in), no storage of its own. A [`Library`] is the catalogue — images,
//! tags, digest references, and which blobs and layer indexes are stored.
//! Every operation that changes it returns the [`StoreOp`]s that make the
//! persistent store match: one small record per image, reference and layer
//! ([`records`]), never the whole catalogue (puts of content first, then
//! records, then deletions, so an interrupted sequence never leaves a
//! record pointing at missing content). The browser shell implements
//! [`Store`] over IndexedDB, applying each operation's writes in one
//! transaction; [`MemoryStore`] is the in-memory one for tests.
//!
//! Docker's model, followed here (the classic image store, where an image ID
//! is the config digest):
//!
//! * an image is identified by its **config digest** (IMAGE ID); the library
//!   keys its records by **manifest digest** so each can be reopened with its
//!   own layers;
//! * references point at images: **tags** (`name:tag`) and **digest
//!   references** (`name@sha256:…`, the `RepoDigests` a pull records);
//! * a tag is only a name: [`Library::tag`] adds one to an existing image;
//!   recording or tagging a name that pointed elsewhere moves it, and the
//!   old image stays, untagged — `<none> <none>` when it has no reference
//!   left, `repo <none>` while a digest reference remains (as `docker pull`
//!   leaves it; see [`record`]);
//! * layers are shared: a layer index is stored once per layer digest and
//!   freed only when no image uses it.
//!
//! Listing follows `docker image ls` to the letter ([`list`], [`rows`],
//! [`mod@format`]): filters, sort order, one row per tag; relative times and
//! decimal sizes as go-units prints them, Go templates and tabwriter
//! alignment come from [`crate::dockerfmt`], shared with `docker search`.

pub mod catalog;
pub mod filter;
pub mod format;
pub mod list;
pub mod model;
pub mod record;
pub mod records;
pub mod remove;
pub mod reopen;
pub mod resolve;
pub mod rows;
pub mod store;

pub use crate::layer::{LayerIndex, LayerIndexError};
pub use filter::{FilterError, Filters};
pub use format::{ImageFormat, LsOptions};
pub use list::ImageSummary;
pub use model::{BlobKind, ImageRecord, LayerRef, Library};
pub use record::{RecordReport, Recorded};
pub use remove::{KeptLayer, Removal};
pub use rows::Row;
pub use store::{
    apply, load_image, load_layer, load_layers, open, Key, MemoryStore, Store, StoreError, StoreOp,
    StoredImage, StoredLayers,
};

use crate::dockerfmt::TemplateError;
use crate::oci::{Digest, ReferenceError};

/// Why a library operation failed. Nothing is changed when one is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LibraryError {
    /// No image matches the name or ID (Docker: `No such image: NAME`).
    #[error("No such image: {0}")]
    NoSuchImage(String),
    /// An ID prefix matches several images.
    #[error("ambiguous image ID prefix {prefix:?}: it matches {count} images")]
    Ambiguous {
        /// The prefix given.
        prefix: String,
        /// How many images it matches.
        count: usize,
    },
    /// Docker's delete conflict (`conflict: unable to delete ID (must be
    /// forced) - image is referenced in multiple repositories`).
    #[error("conflict: unable to delete {id} ({}) - {reason}", if *.hard { "cannot be forced" } else { "must be forced" })]
    Conflict {
        /// The short image ID.
        id: String,
        /// Why.
        reason: String,
        /// A hard conflict cannot be forced.
        hard: bool,
    },
    /// The name is not a valid reference.
    #[error("invalid reference {input:?}: {source}")]
    Reference {
        /// What was given.
        input: String,
        /// Why it is invalid.
        source: ReferenceError,
    },
    /// `tag` was given a target with a digest.
    #[error("refusing to create a tag with a digest reference")]
    TagWithDigest,
    /// What was to be recorded is not an image (an artifact, or parts that
    /// do not belong together).
    #[error("cannot record {what}: {reason}")]
    NotRecordable {
        /// Which object.
        what: String,
        /// Why.
        reason: String,
    },
    /// The catalogue or a stored object is unreadable.
    #[error("library store: {0}")]
    Corrupt(String),
    /// A stored object the catalogue lists is missing from the store.
    #[error("library store: {key} is missing")]
    Missing {
        /// The store key.
        key: String,
    },
    /// An invalid `--filter`.
    #[error(transparent)]
    Filter(#[from] FilterError),
    /// An invalid or failing `--format` template.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl LibraryError {
    pub(crate) fn reference(input: &str, source: ReferenceError) -> LibraryError {
        LibraryError::Reference {
            input: input.to_owned(),
            source,
        }
    }
}

/// Docker's short form of an image ID: the first 12 hex characters
/// (`stringid.TruncateID`).
pub fn short_id(id: &Digest) -> String {
    id.short().to_owned()
}
