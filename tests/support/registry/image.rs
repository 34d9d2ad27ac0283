//! Images built from layer bytes: a config and a manifest (OCI image spec `config.md`,
//! `manifest.md`; Docker image manifest v2 schema 2) written with serde_json, and pushed with
//! the harness [`Client`]. Generic over layers: the caller brings blob bytes, media type and
//! diff_id, so broken layers (wrong diff_id, odd media types) are as easy as good ones.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::client::Client;
use super::descriptor::{media_types as mt, Descriptor, Layer, ManifestFormat, Platform};
use super::digest::sha256_digest;

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
