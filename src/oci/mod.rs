//! The OCI and Docker image vocabulary as types: references, digests, media
//! types, descriptors, manifests, indexes, configs and platforms.
//!
//! Pure data: no I/O, no clock, no host platform. Documents are parsed only
//! from [`digest::Verified`] bytes.

pub mod compression;
pub mod digest;
pub mod reference;

pub use compression::Compression;
pub use digest::{verify, Algorithm, Digest, DigestError, Hasher, Verified, VerifyError};
pub use reference::{AnyReference, Reference, ReferenceError, ReferenceErrorKind};
