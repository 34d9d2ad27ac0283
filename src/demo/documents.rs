//! The demo's JSON documents — image manifests, the index, the layout's
//! `index.json` and the image configs — as serde structs whose field order
//! is fixed here, so the bytes (and digests) do not depend on serde_json's
//! map ordering features.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::oci::{Descriptor, MediaType};

/// `{}`: the value of an `ExposedPorts` entry.
#[derive(Debug, Serialize)]
pub struct Empty {}

/// An OCI image manifest (image-spec `manifest.md`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest<'a> {
    /// Always 2.
    pub schema_version: u32,
    /// `application/vnd.oci.image.manifest.v1+json`.
    pub media_type: &'a MediaType,
    /// The config blob.
    pub config: &'a Descriptor,
    /// The layer blobs, bottom first.
    pub layers: &'a [Descriptor],
    /// `org.opencontainers.image.*` annotations.
    pub annotations: &'a BTreeMap<String, String>,
}

/// An OCI image index (image-spec `image-index.md`), also the shape of an
/// image layout's `index.json`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Index<'a> {
    /// Always 2.
    pub schema_version: u32,
    /// `application/vnd.oci.image.index.v1+json`.
    pub media_type: &'a MediaType,
    /// The entries.
    pub manifests: &'a [Descriptor],
    /// Annotations, left out when empty.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: &'a BTreeMap<String, String>,
}

/// An OCI image config (image-spec `config.md`).
#[derive(Debug, Serialize)]
pub struct Config<'a> {
    /// When the image was built (fixed).
    pub created: &'a str,
    /// Who built it.
    pub author: &'a str,
    /// `amd64`, `arm64`.
    pub architecture: &'a str,
    /// `linux`.
    pub os: &'a str,
    /// `v8` on arm64.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<&'a str>,
    /// What a container runs with.
    pub config: ContainerConfig<'a>,
    /// The uncompressed layer digests.
    pub rootfs: RootFs,
    /// The Dockerfile-like steps.
    pub history: Vec<HistoryEntry<'a>>,
}

/// The `config` object of an image config (Docker's capitalised names).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerConfig<'a> {
    /// `USER`.
    pub user: &'a str,
    /// `EXPOSE`.
    pub exposed_ports: BTreeMap<&'a str, Empty>,
    /// `ENV`, `NAME=value`.
    pub env: &'a [&'a str],
    /// `ENTRYPOINT`.
    pub entrypoint: &'a [&'a str],
    /// `CMD`.
    pub cmd: &'a [&'a str],
    /// `WORKDIR`.
    pub working_dir: &'a str,
    /// `LABEL`.
    pub labels: &'a BTreeMap<String, String>,
    /// `STOPSIGNAL`.
    pub stop_signal: &'a str,
}

/// `rootfs`: `{"type": "layers", "diff_ids": [...]}`.
#[derive(Debug, Serialize)]
pub struct RootFs {
    /// Always `layers`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// One per layer, bottom first.
    pub diff_ids: Vec<String>,
}

/// One `history` entry.
#[derive(Debug, Serialize)]
pub struct HistoryEntry<'a> {
    /// When the step ran.
    pub created: String,
    /// The instruction.
    pub created_by: &'a str,
    /// What built it.
    pub comment: &'static str,
    /// Set on steps that made no layer.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub empty_layer: bool,
}

/// Compact JSON. Serialising these structs cannot fail (no maps with
/// non-string keys, no floats), so an error yields empty bytes, which every
/// test and reader would reject loudly.
pub fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}
