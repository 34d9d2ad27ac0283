//! The OCI and Docker image vocabulary as types: references, digests, media
//! types, descriptors, manifests, indexes, configs and platforms.
//!
//! Pure data: no I/O, no clock, no host platform. Documents are parsed only
//! from [`digest::Verified`] bytes.

pub mod base64;
pub mod compression;
pub mod config;
pub mod descriptor;
pub mod digest;
pub mod document;
pub mod head;
pub mod index;
pub(crate) mod json;
pub mod manifest;
pub mod media_type;
pub mod platform;
pub mod reference;
pub mod selection;
pub mod timestamp;

pub use compression::Compression;
pub use config::{
    ContainerConfig, Healthcheck, History, HistoryStep, ImageConfig, MAX_CONFIG_BYTES,
};
pub use descriptor::Descriptor;
pub use digest::{verify, Algorithm, Digest, DigestError, Hasher, Verified, VerifyError};
pub use document::{parse_document, Document, DocumentError, JsonErrorKind, MAX_MANIFEST_BYTES};
pub use head::DocumentHead;
pub use index::ImageIndex;
pub use manifest::ImageManifest;
pub use media_type::{MediaType, MediaTypeError, ACCEPT_MANIFESTS};
pub use platform::{Platform, PlatformError};
pub use reference::{AnyReference, Reference, ReferenceError, ReferenceErrorKind};
pub use selection::{entries, platforms, EntryKind, IndexEntry, PlatformPolicy};
pub use timestamp::{Timestamp, TimestampError};
