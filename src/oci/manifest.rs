//! Image manifests: OCI `application/vnd.oci.image.manifest.v1+json` and
//! Docker schema2 `application/vnd.docker.distribution.manifest.v2+json`.
//!
//! Rules implemented (OCI `manifest.md`, `image-manifest-schema.json`; Docker
//! `manifest-v2-2.md`): `schemaVersion` is 2; `config` and `layers` are
//! REQUIRED descriptors; an OCI manifest has at least one layer (the schema's
//! `minItems: 1`) — Docker's schema2 has no such rule and `FROM scratch`
//! images with no layer exist, so there we accept an empty list; `subject`,
//! `artifactType` and `annotations` are OPTIONAL. Parse through
//! [`crate::oci::parse_document`].

use std::collections::BTreeMap;

use crate::oci::digest::Digest;
use crate::oci::document::{check_schema_version, DocumentError};
use crate::oci::head::DocumentHead;
use crate::oci::json::{decode_json, object_only};
use crate::oci::{Descriptor, MediaType};

const WHAT: &str = "image manifest";

/// One image (or artifact): a config blob and an ordered list of layers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageManifest {
    head: DocumentHead,
    config: Descriptor,
    layers: Vec<Descriptor>,
}

impl std::ops::Deref for ImageManifest {
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
    config: Descriptor,
    layers: Vec<Descriptor>,
    subject: Option<Descriptor>,
    #[serde(default)]
    annotations: Option<BTreeMap<String, String>>,
}
object_only!(Wire, "an image manifest object");

impl ImageManifest {
    /// Decodes a manifest already known (by dispatch) to be of `media_type`.
    pub(crate) fn decode(
        bytes: &[u8],
        digest: Digest,
        media_type: MediaType,
    ) -> Result<ImageManifest, DocumentError> {
        let w: Wire = decode_json(WHAT, bytes)?;
        check_schema_version(WHAT, w.schema_version)?;
        if media_type == MediaType::OciManifest && w.layers.is_empty() {
            return Err(DocumentError::Invalid {
                what: WHAT,
                field: "layers".into(),
                reason: "an OCI manifest must list at least one layer (image-manifest-schema.json: minItems 1)"
                    .into(),
            });
        }
        Ok(ImageManifest {
            head: DocumentHead::new(digest, media_type, w.media_type.is_some(), w.artifact_type)
                .with(w.subject, w.annotations),
            config: w.config,
            layers: w.layers,
        })
    }

    /// The config blob's descriptor.
    pub fn config(&self) -> &Descriptor {
        &self.config
    }

    /// The layers, base first.
    pub fn layers(&self) -> &[Descriptor] {
        &self.layers
    }

    /// Whether this is an artifact rather than a runnable image: it declares
    /// an `artifactType`, or its config is not an image config (OCI
    /// `manifest.md`, "Guidelines for Artifact Usage"). Docker schema2
    /// manifests written by Docker 1.10–1.12 typed their config
    /// `application/octet-stream`; those are images.
    pub fn is_artifact(&self) -> bool {
        if self.artifact_type().is_some() {
            return true;
        }
        let config = self.config.media_type();
        if config.is_config() {
            return false;
        }
        let legacy_docker = *self.media_type() == MediaType::DockerManifest
            && config.as_str() == "application/octet-stream";
        !legacy_docker
    }

    /// What to show as the artifact's type: `artifactType`, else the config's
    /// media type (the spec's fallback); `None` for images.
    pub fn effective_artifact_type(&self) -> Option<&MediaType> {
        if !self.is_artifact() {
            return None;
        }
        Some(self.artifact_type().unwrap_or(self.config.media_type()))
    }

    /// Sum of the layers' compressed sizes, as `docker manifest inspect` adds them up.
    pub fn layers_size(&self) -> u64 {
        self.layers
            .iter()
            .map(Descriptor::size)
            .fold(0, u64::saturating_add)
    }
}
