//! Image indexes: OCI `application/vnd.oci.image.index.v1+json` and Docker's
//! manifest list `application/vnd.docker.distribution.manifest.list.v2+json`.
//!
//! Rules implemented (OCI `image-index.md`, `image-index-schema.json`; Docker
//! `manifest-v2-2.md`): `schemaVersion` is 2; `manifests` is REQUIRED (it may
//! be empty) and each entry is a descriptor whose optional `platform` needs
//! `os` and `architecture`; entries may have any media type (nested indexes,
//! artifacts); `subject`, `artifactType` and `annotations` are OPTIONAL.
//! Parse through [`crate::oci::parse_document`]; choose an entry with
//! [`crate::oci::PlatformPolicy`].

use std::collections::BTreeMap;

use crate::oci::digest::Digest;
use crate::oci::document::{check_schema_version, DocumentError};
use crate::oci::json::{decode_json, object_only};
use crate::oci::{Descriptor, MediaType};

const WHAT: &str = "image index";

/// A list of manifests, usually one image per platform plus attestations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageIndex {
    digest: Digest,
    media_type: MediaType,
    declared_media_type: bool,
    artifact_type: Option<MediaType>,
    manifests: Vec<Descriptor>,
    subject: Option<Descriptor>,
    annotations: BTreeMap<String, String>,
}

#[derive(serde::Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
struct Wire {
    schema_version: i64,
    media_type: Option<MediaType>,
    artifact_type: Option<MediaType>,
    manifests: Vec<Descriptor>,
    subject: Option<Descriptor>,
    annotations: Option<BTreeMap<String, String>>,
}
object_only!(Wire, "an image index object");

impl ImageIndex {
    /// Decodes an index already known (by dispatch) to be of `media_type`.
    pub(crate) fn decode(
        bytes: &[u8],
        digest: Digest,
        media_type: MediaType,
    ) -> Result<ImageIndex, DocumentError> {
        let w: Wire = decode_json(WHAT, bytes)?;
        check_schema_version(WHAT, w.schema_version)?;
        Ok(ImageIndex {
            digest,
            declared_media_type: w.media_type.is_some(),
            media_type,
            artifact_type: w.artifact_type,
            manifests: w.manifests,
            subject: w.subject,
            annotations: w.annotations.unwrap_or_default(),
        })
    }

    /// The digest of the exact bytes parsed.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The type it was parsed as: [`MediaType::OciIndex`] or [`MediaType::DockerManifestList`].
    pub fn media_type(&self) -> &MediaType {
        &self.media_type
    }

    /// Whether the document had its own `mediaType` field (else the hint decided).
    pub fn declares_media_type(&self) -> bool {
        self.declared_media_type
    }

    /// The artifact type, if the index declares one.
    pub fn artifact_type(&self) -> Option<&MediaType> {
        self.artifact_type.as_ref()
    }

    /// The entries, in document order (the order is meaningful: it breaks ties).
    pub fn manifests(&self) -> &[Descriptor] {
        &self.manifests
    }

    /// The manifest this index refers to, if any.
    pub fn subject(&self) -> Option<&Descriptor> {
        self.subject.as_ref()
    }

    /// Annotations, sorted by key.
    pub fn annotations(&self) -> &BTreeMap<String, String> {
        &self.annotations
    }
}
