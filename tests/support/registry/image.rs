//! Images and indexes built from layer bytes, written with serde_json (OCI image spec
//! manifest.md, image-index.md, config.md; Docker image manifest v2 schema 2), and pushed with
//! the harness [`Client`]. Generic over layers: the caller brings blob bytes, media type and
//! diff_id, so broken layers (wrong diff_id, odd media types) are as easy as good ones.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::client::Client;
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

/// Builds an image config and manifest. Defaults: OCI, `linux/amd64`, `created`
/// 2024-01-01T00:00:00Z (fixed, so digests are reproducible), one history entry per layer
/// unless history is given explicitly.
#[derive(Debug, Clone)]
pub struct ImageBuilder {
    format: ManifestFormat,
    omit_media_type: bool,
    layers: Vec<Layer>,
    platform: Platform,
    created: String,
    author: Option<String>,
    env: Vec<String>,
    cmd: Option<Vec<String>>,
    entrypoint: Option<Vec<String>>,
    working_dir: Option<String>,
    labels: BTreeMap<String, String>,
    history: Vec<Value>,
    annotations: BTreeMap<String, String>,
}

impl ImageBuilder {
    /// An image with the given media-type family.
    pub fn new(format: ManifestFormat) -> ImageBuilder {
        ImageBuilder {
            format,
            omit_media_type: false,
            layers: Vec::new(),
            platform: Platform::new("linux", "amd64", None),
            created: "2024-01-01T00:00:00Z".to_string(),
            author: None,
            env: Vec::new(),
            cmd: None,
            entrypoint: None,
            working_dir: None,
            labels: BTreeMap::new(),
            history: Vec::new(),
            annotations: BTreeMap::new(),
        }
    }

    /// An OCI image.
    pub fn oci() -> ImageBuilder {
        ImageBuilder::new(ManifestFormat::Oci)
    }

    /// A Docker schema 2 image.
    pub fn docker() -> ImageBuilder {
        ImageBuilder::new(ManifestFormat::Docker)
    }

    /// A BuildKit-style attestation manifest carrying `statement` (an in-toto JSON document):
    /// platform `unknown/unknown`, one `application/vnd.in-toto+json` layer.
    pub fn attestation(statement: &[u8]) -> ImageBuilder {
        let layer = Layer::new(statement.to_vec(), mt::IN_TOTO, &sha256_digest(statement))
            .with_annotation("in-toto.io/predicate-type", "https://spdx.dev/Document");
        ImageBuilder::oci()
            .platform("unknown", "unknown", None)
            .layer(layer)
    }

    /// Appends a layer.
    pub fn layer(mut self, layer: Layer) -> ImageBuilder {
        self.layers.push(layer);
        self
    }

    /// `os`, `architecture`, `variant` of the config.
    pub fn platform(mut self, os: &str, architecture: &str, variant: Option<&str>) -> ImageBuilder {
        self.platform = Platform::new(os, architecture, variant);
        self
    }

    /// `created` (RFC 3339).
    pub fn created(mut self, created: &str) -> ImageBuilder {
        self.created = created.to_string();
        self
    }

    /// `author`.
    pub fn author(mut self, author: &str) -> ImageBuilder {
        self.author = Some(author.to_string());
        self
    }

    /// Appends a `config.Env` entry (`KEY=value`).
    pub fn env(mut self, entry: &str) -> ImageBuilder {
        self.env.push(entry.to_string());
        self
    }

    /// `config.Cmd`.
    pub fn cmd(mut self, cmd: &[&str]) -> ImageBuilder {
        self.cmd = Some(cmd.iter().map(|s| s.to_string()).collect());
        self
    }

    /// `config.Entrypoint`.
    pub fn entrypoint(mut self, entrypoint: &[&str]) -> ImageBuilder {
        self.entrypoint = Some(entrypoint.iter().map(|s| s.to_string()).collect());
        self
    }

    /// `config.WorkingDir`.
    pub fn working_dir(mut self, dir: &str) -> ImageBuilder {
        self.working_dir = Some(dir.to_string());
        self
    }

    /// A `config.Labels` entry.
    pub fn label(mut self, key: &str, value: &str) -> ImageBuilder {
        self.labels.insert(key.to_string(), value.to_string());
        self
    }

    /// Appends a history entry; `empty_layer` entries match no layer (config.md, `history`).
    pub fn history(mut self, created_by: &str, empty_layer: bool) -> ImageBuilder {
        let mut entry = json!({"created": self.created, "created_by": created_by});
        if empty_layer {
            entry["empty_layer"] = json!(true);
        }
        self.history.push(entry);
        self
    }

    /// A manifest annotation (OCI only; Docker schema 2 has none and ignores it).
    pub fn annotation(mut self, key: &str, value: &str) -> ImageBuilder {
        self.annotations.insert(key.to_string(), value.to_string());
        self
    }

    /// Leaves the optional `mediaType` field out of the manifest (it is still pushed with
    /// the right `Content-Type`).
    pub fn omit_manifest_media_type(mut self) -> ImageBuilder {
        self.omit_media_type = true;
        self
    }

    /// The config and manifest documents.
    pub fn build(&self) -> BuiltImage {
        let (manifest_type, config_type) = match self.format {
            ManifestFormat::Oci => (mt::OCI_MANIFEST, mt::OCI_CONFIG),
            ManifestFormat::Docker => (mt::DOCKER_MANIFEST, mt::DOCKER_CONFIG),
        };
        let mut container = Map::new();
        if !self.env.is_empty() {
            container.insert("Env".into(), json!(self.env));
        }
        if let Some(cmd) = &self.cmd {
            container.insert("Cmd".into(), json!(cmd));
        }
        if let Some(entrypoint) = &self.entrypoint {
            container.insert("Entrypoint".into(), json!(entrypoint));
        }
        if let Some(dir) = &self.working_dir {
            container.insert("WorkingDir".into(), json!(dir));
        }
        if !self.labels.is_empty() {
            container.insert("Labels".into(), json!(self.labels));
        }
        let history = if self.history.is_empty() {
            (0..self.layers.len())
                .map(|i| json!({"created": self.created, "created_by": format!("layer {i}")}))
                .collect()
        } else {
            self.history.clone()
        };
        let mut config = json!({
            "architecture": self.platform.architecture,
            "os": self.platform.os,
            "created": self.created,
            "config": container,
            "rootfs": {
                "type": "layers",
                "diff_ids": self.layers.iter().map(|l| l.diff_id.clone()).collect::<Vec<_>>(),
            },
            "history": history,
        });
        if let Some(variant) = &self.platform.variant {
            config["variant"] = json!(variant);
        }
        if let Some(author) = &self.author {
            config["author"] = json!(author);
        }
        let config_bytes = serde_json::to_vec(&config).expect("config serialises");
        let mut manifest = json!({
            "schemaVersion": 2,
            "config": Descriptor::of(config_type, &config_bytes).to_json(),
            "layers": self.layers.iter().map(|l| l.descriptor().to_json()).collect::<Vec<_>>(),
        });
        if !self.omit_media_type {
            manifest["mediaType"] = json!(manifest_type);
        }
        if self.format == ManifestFormat::Oci && !self.annotations.is_empty() {
            manifest["annotations"] = json!(self.annotations);
        }
        let manifest_bytes = serde_json::to_vec(&manifest).expect("manifest serialises");
        BuiltImage {
            config_digest: sha256_digest(&config_bytes),
            config: config_bytes,
            config_media_type: config_type.to_string(),
            manifest_digest: sha256_digest(&manifest_bytes),
            manifest: manifest_bytes,
            manifest_media_type: manifest_type.to_string(),
            layers: self.layers.clone(),
            platform: self.platform.clone(),
        }
    }
}

/// An image's documents and layers, ready to push.
#[derive(Debug, Clone)]
pub struct BuiltImage {
    /// The config blob.
    pub config: Vec<u8>,
    /// Its digest.
    pub config_digest: String,
    /// Its media type.
    pub config_media_type: String,
    /// The manifest document.
    pub manifest: Vec<u8>,
    /// Its digest.
    pub manifest_digest: String,
    /// Its media type (sent as `Content-Type` even when omitted from the document).
    pub manifest_media_type: String,
    /// The layers, in order.
    pub layers: Vec<Layer>,
    /// The config's platform.
    pub platform: Platform,
}

impl BuiltImage {
    /// Pushes every layer, the config and the manifest (tagged `tag`, or by digest only);
    /// returns the manifest digest.
    pub fn push(&self, client: &Client, repo: &str, tag: Option<&str>) -> String {
        for layer in &self.layers {
            client.push_blob(repo, &layer.bytes);
        }
        client.push_blob(repo, &self.config);
        let reference = tag.unwrap_or(&self.manifest_digest);
        client.push_manifest(repo, reference, &self.manifest_media_type, &self.manifest)
    }

    /// The manifest's descriptor for an index, with the image's platform.
    pub fn descriptor(&self) -> Descriptor {
        Descriptor::of(&self.manifest_media_type, &self.manifest)
            .with_platform(self.platform.clone())
    }

    /// The config document.
    pub fn config_json(&self) -> Value {
        serde_json::from_slice(&self.config).expect("the builder wrote JSON")
    }
}

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
