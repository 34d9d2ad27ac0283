//! OCI image indexes and Docker manifest lists (OCI image spec `image-index.md`, Docker
//! manifest list v2), written with serde_json and pushed with the harness [`Client`].

use std::collections::BTreeMap;

use serde_json::json;

use super::client::Client;
use super::descriptor::{media_types as mt, Descriptor, ManifestFormat, Platform};
use super::digest::sha256_digest;
use super::image::BuiltImage;

/// Builds an OCI image index or a Docker manifest list.
#[derive(Debug, Clone)]
pub struct IndexBuilder {
    format: ManifestFormat,
    omit_media_type: bool,
    manifests: Vec<Descriptor>,
    annotations: BTreeMap<String, String>,
}

impl IndexBuilder {
    /// An index of the given media-type family.
    pub fn new(format: ManifestFormat) -> IndexBuilder {
        IndexBuilder {
            format,
            omit_media_type: false,
            manifests: Vec::new(),
            annotations: BTreeMap::new(),
        }
    }

    /// An OCI image index.
    pub fn oci() -> IndexBuilder {
        IndexBuilder::new(ManifestFormat::Oci)
    }

    /// A Docker manifest list.
    pub fn docker() -> IndexBuilder {
        IndexBuilder::new(ManifestFormat::Docker)
    }

    /// Appends an entry as given (its platform, if any, is written).
    pub fn manifest(mut self, descriptor: Descriptor) -> IndexBuilder {
        self.manifests.push(descriptor);
        self
    }

    /// Appends `image`'s manifest with its platform.
    pub fn image(self, image: &BuiltImage) -> IndexBuilder {
        self.manifest(image.descriptor())
    }

    /// Appends a BuildKit attestation entry for the manifest `subject_digest`: platform
    /// `unknown/unknown`, annotations `vnd.docker.reference.type: attestation-manifest` and
    /// `vnd.docker.reference.digest: <subject>`.
    pub fn attestation(self, attestation: &BuiltImage, subject_digest: &str) -> IndexBuilder {
        let descriptor = Descriptor::of(&attestation.manifest_media_type, &attestation.manifest)
            .with_platform(Platform::new("unknown", "unknown", None))
            .with_annotation("vnd.docker.reference.type", "attestation-manifest")
            .with_annotation("vnd.docker.reference.digest", subject_digest);
        self.manifest(descriptor)
    }

    /// An index annotation (OCI only).
    pub fn annotation(mut self, key: &str, value: &str) -> IndexBuilder {
        self.annotations.insert(key.to_string(), value.to_string());
        self
    }

    /// Leaves the optional `mediaType` field out of the index.
    pub fn omit_manifest_media_type(mut self) -> IndexBuilder {
        self.omit_media_type = true;
        self
    }

    /// The index document.
    pub fn build(&self) -> BuiltIndex {
        let media_type = match self.format {
            ManifestFormat::Oci => mt::OCI_INDEX,
            ManifestFormat::Docker => mt::DOCKER_MANIFEST_LIST,
        };
        let mut index = json!({
            "schemaVersion": 2,
            "manifests": self.manifests.iter().map(Descriptor::to_json).collect::<Vec<_>>(),
        });
        if !self.omit_media_type {
            index["mediaType"] = json!(media_type);
        }
        if self.format == ManifestFormat::Oci && !self.annotations.is_empty() {
            index["annotations"] = json!(self.annotations);
        }
        let bytes = serde_json::to_vec(&index).expect("index serialises");
        BuiltIndex {
            digest: sha256_digest(&bytes),
            bytes,
            media_type: media_type.to_string(),
            manifests: self.manifests.clone(),
        }
    }
}

/// An index document, ready to push.
#[derive(Debug, Clone)]
pub struct BuiltIndex {
    /// The document.
    pub bytes: Vec<u8>,
    /// Its digest.
    pub digest: String,
    /// Its media type.
    pub media_type: String,
    /// Its entries, in order.
    pub manifests: Vec<Descriptor>,
}

impl BuiltIndex {
    /// Pushes the index (tagged `tag`, or by digest only); the manifests it lists must already
    /// be in `repo` (distribution checks). Returns the digest.
    pub fn push(&self, client: &Client, repo: &str, tag: Option<&str>) -> String {
        let reference = tag.unwrap_or(&self.digest);
        client.push_manifest(repo, reference, &self.media_type, &self.bytes)
    }
}
