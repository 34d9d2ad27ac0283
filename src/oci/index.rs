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
use crate::oci::head::DocumentHead;
use crate::oci::json::{decode_json, object_only};
use crate::oci::{Descriptor, MediaType};

const WHAT: &str = "image index";

/// A list of manifests, usually one image per platform plus attestations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageIndex {
    head: DocumentHead,
    manifests: Vec<Descriptor>,
}

impl std::ops::Deref for ImageIndex {
    type Target = DocumentHead;

    /// The digest, media type, `artifactType`, `subject` and `annotations`.
    fn deref(&self) -> &DocumentHead {
        &self.head
    }
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
            head: DocumentHead::new(digest, media_type, w.media_type.is_some(), w.artifact_type)
                .with(w.subject, w.annotations),
            manifests: w.manifests,
        })
    }

    /// The entries, in document order (the order is meaningful: it breaks ties).
    pub fn manifests(&self) -> &[Descriptor] {
        &self.manifests
    }
}
