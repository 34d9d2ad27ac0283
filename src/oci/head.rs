//! What an image index and an image manifest share: their identity (the
//! digest of the exact bytes, the media type they were parsed as) and the
//! optional fields the two schemas have in common (`artifactType`,
//! `subject`, `annotations`). Both documents dereference to their
//! [`DocumentHead`], so `index.digest()` and `manifest.subject()` read the
//! same way.

use std::collections::BTreeMap;

use crate::oci::digest::Digest;
use crate::oci::{Descriptor, MediaType};

/// The identity and shared optional fields of a manifest or index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentHead {
    digest: Digest,
    media_type: MediaType,
    declared_media_type: bool,
    artifact_type: Option<MediaType>,
    subject: Option<Descriptor>,
    annotations: BTreeMap<String, String>,
}

impl DocumentHead {
    /// The head of a document of `media_type` whose bytes hash to `digest`;
    /// `declared` says whether it had its own `mediaType` field.
    pub(crate) fn new(
        digest: Digest,
        media_type: MediaType,
        declared: bool,
        artifact_type: Option<MediaType>,
    ) -> DocumentHead {
        DocumentHead {
            digest,
            media_type,
            declared_media_type: declared,
            artifact_type,
            subject: None,
            annotations: BTreeMap::new(),
        }
    }

    /// With the document's `subject` and `annotations` (absent: none).
    pub(crate) fn with(
        mut self,
        subject: Option<Descriptor>,
        annotations: Option<BTreeMap<String, String>>,
    ) -> DocumentHead {
        self.subject = subject;
        self.annotations = annotations.unwrap_or_default();
        self
    }

    /// The digest of the exact bytes parsed (the document's identity in the registry).
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The type it was parsed as (OCI or Docker, manifest or index).
    pub fn media_type(&self) -> &MediaType {
        &self.media_type
    }

    /// Whether the document had its own `mediaType` field (else the hint decided).
    pub fn declares_media_type(&self) -> bool {
        self.declared_media_type
    }

    /// The artifact type, if the document declares one.
    pub fn artifact_type(&self) -> Option<&MediaType> {
        self.artifact_type.as_ref()
    }

    /// The manifest this document refers to (signatures, SBOMs), if any.
    pub fn subject(&self) -> Option<&Descriptor> {
        self.subject.as_ref()
    }

    /// Annotations, sorted by key.
    pub fn annotations(&self) -> &BTreeMap<String, String> {
        &self.annotations
    }
}
