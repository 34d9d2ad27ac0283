//! The vocabulary the builders share: media types, platforms, descriptors (OCI image spec
//! `descriptor.md`, `media-types.md`) and layers given as bytes.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::digest::sha256_digest;
use super::tiny_tar::gzip;

/// Media types the harness writes (OCI image spec `media-types.md`, Docker schema 2).
pub mod media_types {
    /// OCI image index.
    pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
    /// OCI image manifest.
    pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    /// OCI image config.
    pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
    /// OCI uncompressed layer.
    pub const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
    /// OCI gzip layer.
    pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
    /// OCI zstd layer.
    pub const OCI_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
    /// Docker manifest list.
    pub const DOCKER_MANIFEST_LIST: &str =
        "application/vnd.docker.distribution.manifest.list.v2+json";
    /// Docker image manifest, schema 2.
    pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
    /// Docker image config.
    pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
    /// Docker gzip layer.
    pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    /// Docker uncompressed layer (not in the schema 2 document, but what Docker writes).
    pub const DOCKER_LAYER_TAR: &str = "application/vnd.docker.image.rootfs.diff.tar";
    /// An in-toto statement, the layer type of BuildKit attestation manifests.
    pub const IN_TOTO: &str = "application/vnd.in-toto+json";
}

use media_types as mt;

/// Which family of media types a manifest or index uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestFormat {
    /// OCI image spec media types.
    Oci,
    /// Docker schema 2 media types.
    Docker,
}

/// An OCI platform (`os`, `architecture`, optional `variant`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    /// `os`, e.g. `linux`.
    pub os: String,
    /// `architecture`, e.g. `arm64`.
    pub architecture: String,
    /// `variant`, e.g. `v8`.
    pub variant: Option<String>,
}

impl Platform {
    /// A platform from its parts.
    pub fn new(os: &str, architecture: &str, variant: Option<&str>) -> Platform {
        Platform {
            os: os.to_string(),
            architecture: architecture.to_string(),
            variant: variant.map(str::to_string),
        }
    }

    /// `os/arch[/variant]`, e.g. `linux/arm/v7`; panics on anything else.
    pub fn parse(s: &str) -> Platform {
        let parts: Vec<&str> = s.split('/').collect();
        match parts.as_slice() {
            [os, arch] => Platform::new(os, arch, None),
            [os, arch, variant] => Platform::new(os, arch, Some(variant)),
            _ => panic!("not os/arch[/variant]: {s}"),
        }
    }

    /// The `platform` object of an index entry.
    pub fn to_json(&self) -> Value {
        let mut object = json!({"architecture": self.architecture, "os": self.os});
        if let Some(variant) = &self.variant {
            object["variant"] = json!(variant);
        }
        object
    }
}

/// A content descriptor (OCI image spec `descriptor.md`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    /// `mediaType`.
    pub media_type: String,
    /// `digest`, `sha256:…`.
    pub digest: String,
    /// `size` in bytes.
    pub size: u64,
    /// `platform` (index entries).
    pub platform: Option<Platform>,
    /// `annotations`.
    pub annotations: BTreeMap<String, String>,
}

impl Descriptor {
    /// The descriptor of `bytes` as `media_type`.
    pub fn of(media_type: &str, bytes: &[u8]) -> Descriptor {
        Descriptor {
            media_type: media_type.to_string(),
            digest: sha256_digest(bytes),
            size: bytes.len() as u64,
            platform: None,
            annotations: BTreeMap::new(),
        }
    }

    /// With `platform` set.
    pub fn with_platform(mut self, platform: Platform) -> Descriptor {
        self.platform = Some(platform);
        self
    }

    /// With one more annotation.
    pub fn with_annotation(mut self, key: &str, value: &str) -> Descriptor {
        self.annotations.insert(key.to_string(), value.to_string());
        self
    }

    /// The JSON object.
    pub fn to_json(&self) -> Value {
        let mut object = json!({
            "mediaType": self.media_type,
            "digest": self.digest,
            "size": self.size,
        });
        if let Some(platform) = &self.platform {
            object["platform"] = platform.to_json();
        }
        if !self.annotations.is_empty() {
            object["annotations"] = json!(self.annotations);
        }
        object
    }
}

/// One layer: the blob bytes as stored, their media type, and the diff_id the config lists
/// (sha256 of the uncompressed tar, or anything a negative test wants).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// The blob.
    pub bytes: Vec<u8>,
    /// The descriptor's `mediaType`.
    pub media_type: String,
    /// The config's `rootfs.diff_ids` entry.
    pub diff_id: String,
    /// The descriptor's annotations.
    pub annotations: BTreeMap<String, String>,
}

impl Layer {
    /// A layer from its parts.
    pub fn new(bytes: Vec<u8>, media_type: &str, diff_id: &str) -> Layer {
        Layer {
            bytes,
            media_type: media_type.to_string(),
            diff_id: diff_id.to_string(),
            annotations: BTreeMap::new(),
        }
    }

    /// `tar` gzipped, with the format's gzip media type and the tar's digest as diff_id.
    pub fn gzip_tar(format: ManifestFormat, tar: &[u8]) -> Layer {
        let media_type = match format {
            ManifestFormat::Oci => mt::OCI_LAYER_GZIP,
            ManifestFormat::Docker => mt::DOCKER_LAYER_GZIP,
        };
        Layer::new(gzip(tar), media_type, &sha256_digest(tar))
    }

    /// `tar` stored uncompressed (blob digest = diff_id).
    pub fn plain_tar(format: ManifestFormat, tar: &[u8]) -> Layer {
        let media_type = match format {
            ManifestFormat::Oci => mt::OCI_LAYER_TAR,
            ManifestFormat::Docker => mt::DOCKER_LAYER_TAR,
        };
        Layer::new(tar.to_vec(), media_type, &sha256_digest(tar))
    }

    /// With one more descriptor annotation.
    pub fn with_annotation(mut self, key: &str, value: &str) -> Layer {
        self.annotations.insert(key.to_string(), value.to_string());
        self
    }

    /// The blob's digest.
    pub fn digest(&self) -> String {
        sha256_digest(&self.bytes)
    }

    /// The manifest's descriptor of this layer.
    pub fn descriptor(&self) -> Descriptor {
        let mut descriptor = Descriptor::of(&self.media_type, &self.bytes);
        descriptor.annotations = self.annotations.clone();
        descriptor
    }
}
