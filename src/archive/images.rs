//! What an archive or layout directory holds, by format:
//!
//! * **OCI image layout** (`oci:DIR`, `oci-archive:`, and `docker save` of
//!   Docker 25 and later, which writes one next to its `manifest.json`):
//!   `oci-layout` names the layout version, `index.json` the images (their
//!   names in the `org.opencontainers.image.ref.name` and
//!   `io.containerd.image.name` annotations), and `blobs/ALG/HEX` every
//!   document and layer by digest.
//! * **Legacy `docker save`** (before Docker 25): `manifest.json` lists, per
//!   image, its config member (`HEX.json`), its `RepoTags` and its layer
//!   tars (`ID/layer.tar`), uncompressed. There is no manifest: one is made
//!   (Docker image manifest v2, schema 2) whose config is the config member
//!   (its digest checked against its name) and whose layers are named by the
//!   config's diff_ids — an uncompressed layer's blob digest *is* its
//!   diff_id, so streaming it verifies exactly that, and the image says so.
//!
//! Nothing here trusts the archive more than a registry: every document and
//! blob is still verified by digest by the client that reads it through
//! [`super::ArchiveFetch`]; this module only says where the bytes are.

use std::collections::BTreeMap;

use super::{ArchiveError, Source};
use crate::oci::{parse_document, Digest, Document, ImageConfig, MediaType, Reference, Verified};

/// The largest `index.json`, `manifest.json` or config read.
pub const MAX_DOCUMENT: u64 = 8 << 20;

/// The annotation that names an image in an OCI layout.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// The annotation containerd and Docker 25+ add with the full image name.
pub const IMAGE_NAME: &str = "io.containerd.image.name";

/// How the archive is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveFormat {
    /// An OCI image layout (with or without Docker's `manifest.json`).
    OciLayout,
    /// A `docker save` archive from before Docker 25: layers known by their
    /// diff_ids only.
    DockerLegacy,
}

/// One image the archive names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    /// The names it is given (`ref.name`, the full image name, `RepoTags`).
    pub names: Vec<String>,
    /// Its manifest's or index's digest.
    pub digest: Digest,
}

/// The images of an archive and where their bytes are.
#[derive(Debug, Clone)]
pub struct LocalImages {
    /// The layout.
    pub format: ArchiveFormat,
    /// The images, in the archive's order.
    pub images: Vec<Named>,
    /// Media types of the documents made or listed, by digest (what a
    /// registry would answer as `Content-Type`).
    media_types: BTreeMap<Digest, MediaType>,
    /// Documents made here (a legacy archive's manifests).
    made: BTreeMap<Digest, Vec<u8>>,
    /// Paths by digest for a legacy archive's configs and layers.
    paths: BTreeMap<Digest, String>,
}

/// Reads a small file whole.
pub async fn read_small<S: Source>(s: &S, path: &str) -> Result<Option<Vec<u8>>, ArchiveError> {
    let Some(size) = s.size(path).await? else {
        return Ok(None);
    };
    if size > MAX_DOCUMENT {
        return Err(ArchiveError::BadDocument {
            file: path.to_owned(),
            why: format!("{size} bytes, more than the {MAX_DOCUMENT} a document may have"),
        });
    }
    let mut out = Vec::with_capacity(size as usize);
    while (out.len() as u64) < size {
        let chunk = s
            .read(
                path,
                out.len() as u64,
                (size as usize - out.len()).min(super::READ_CHUNK),
            )
            .await?;
        if chunk.is_empty() {
            return Err(ArchiveError::Io(format!("{path}: ended early")));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(Some(out))
}

fn bad(file: &str, why: impl Into<String>) -> ArchiveError {
    ArchiveError::BadDocument {
        file: file.to_owned(),
        why: why.into(),
    }
}

/// One entry of a legacy `manifest.json`.
#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LegacyEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

impl LocalImages {
    /// Reads what `source` holds.
    pub async fn open<S: Source>(source: &S) -> Result<LocalImages, ArchiveError> {
        if let Some(index) = read_small(source, "index.json").await? {
            return Self::oci(source, index).await;
        }
        if let Some(manifest) = read_small(source, "manifest.json").await? {
            return Self::legacy(source, &manifest).await;
        }
        Err(ArchiveError::Missing(
            "neither index.json (an OCI image layout) nor manifest.json (a docker save \
             archive) is there"
                .into(),
        ))
    }

    async fn oci<S: Source>(source: &S, index: Vec<u8>) -> Result<LocalImages, ArchiveError> {
        match read_small(source, "oci-layout").await? {
            None => {
                return Err(ArchiveError::Missing(
                    "index.json without oci-layout: not an OCI image layout".into(),
                ))
            }
            Some(layout) => {
                let v: serde_json::Value = serde_json::from_slice(&layout)
                    .map_err(|e| bad("oci-layout", format!("not JSON: {e}")))?;
                let version = v
                    .get("imageLayoutVersion")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default();
                if !version.starts_with("1.") {
                    return Err(bad(
                        "oci-layout",
                        format!("imageLayoutVersion {version:?}: only 1.x is read"),
                    ));
                }
            }
        }
        // index.json is not content-addressed: it is the archive's root,
        // parsed by its own digest like any index.
        let verified = Verified::trust_own_digest(index);
        let hint = MediaType::parse("application/vnd.oci.image.index.v1+json")
            .map_err(|e| ArchiveError::Io(e.to_string()))?;
        let idx = match parse_document(&verified, Some(&hint)) {
            Ok(Document::Index(idx)) => idx,
            Ok(_) => return Err(bad("index.json", "not an image index")),
            Err(e) => return Err(bad("index.json", e.to_string())),
        };
        let mut media_types = BTreeMap::new();
        let images = idx
            .manifests()
            .iter()
            .map(|d| {
                media_types.insert(d.digest().clone(), d.media_type().clone());
                let names = [REF_NAME, IMAGE_NAME]
                    .iter()
                    .filter_map(|k| d.annotation(k))
                    .map(str::to_owned)
                    .collect();
                Named {
                    names,
                    digest: d.digest().clone(),
                }
            })
            .collect();
        Ok(LocalImages {
            format: ArchiveFormat::OciLayout,
            images,
            media_types,
            made: BTreeMap::new(),
            paths: BTreeMap::new(),
        })
    }

    async fn legacy<S: Source>(source: &S, manifest: &[u8]) -> Result<LocalImages, ArchiveError> {
        let entries: Vec<LegacyEntry> = serde_json::from_slice(manifest)
            .map_err(|e| bad("manifest.json", format!("not a docker save manifest: {e}")))?;
        let mut out = LocalImages {
            format: ArchiveFormat::DockerLegacy,
            images: Vec::new(),
            media_types: BTreeMap::new(),
            made: BTreeMap::new(),
            paths: BTreeMap::new(),
        };
        for e in entries {
            let config = read_small(source, &e.config).await?.ok_or_else(|| {
                ArchiveError::Missing(format!(
                    "manifest.json names {}, which is not there",
                    e.config
                ))
            })?;
            let config_digest = Digest::sha256(&config);
            // The member is named by its digest (`HEX.json`, or
            // `blobs/sha256/HEX`): a config that is not what its name says
            // was altered.
            let stem = e.config.rsplit('/').next().unwrap_or_default();
            let stem = stem.strip_suffix(".json").unwrap_or(stem);
            if stem.len() == 64 && stem != config_digest.hex() {
                return Err(bad(
                    &e.config,
                    format!("its bytes hash to {config_digest}, not the digest in its name"),
                ));
            }
            let parsed = ImageConfig::parse(&Verified::trust_own_digest(config.clone()))
                .map_err(|err| bad(&e.config, err.to_string()))?;
            let diff_ids = parsed.diff_ids();
            if diff_ids.len() != e.layers.len() {
                return Err(bad(
                    "manifest.json",
                    format!(
                        "{} lists {} layers, its config {} diff_ids",
                        e.config,
                        e.layers.len(),
                        diff_ids.len()
                    ),
                ));
            }
            let mut layers = Vec::new();
            for (path, diff_id) in e.layers.iter().zip(diff_ids) {
                let size = source.size(path).await?.ok_or_else(|| {
                    ArchiveError::Missing(format!("manifest.json names {path}, which is not there"))
                })?;
                layers.push(serde_json::json!({
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar",
                    "size": size,
                    "digest": diff_id.to_string(),
                }));
                out.paths.insert(diff_id.clone(), path.clone());
            }
            out.paths.insert(config_digest.clone(), e.config.clone());
            let made = serde_json::json!({
                "schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {
                    "mediaType": "application/vnd.docker.container.image.v1+json",
                    "size": config.len(),
                    "digest": config_digest.to_string(),
                },
                "layers": layers,
            });
            let bytes = serde_json::to_vec_pretty(&made)
                .map_err(|err| ArchiveError::Io(err.to_string()))?;
            let digest = Digest::sha256(&bytes);
            out.media_types.insert(
                digest.clone(),
                MediaType::parse("application/vnd.docker.distribution.manifest.v2+json")
                    .map_err(|err| ArchiveError::Io(err.to_string()))?,
            );
            out.made.insert(digest.clone(), bytes);
            out.images.push(Named {
                names: e.repo_tags.unwrap_or_default(),
                digest,
            });
        }
        if out.images.is_empty() {
            return Err(bad("manifest.json", "it lists no image"));
        }
        Ok(out)
    }

    /// The image `name` names (`REF` of `oci-archive:PATH:REF`): a name
    /// given as written, or its tag part; with no name, the only image.
    pub fn select(&self, name: Option<&str>) -> Result<&Named, ArchiveError> {
        let listed = || {
            self.images
                .iter()
                .map(|i| match i.names.first() {
                    Some(n) => n.clone(),
                    None => i.digest.to_string(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        // Several names for one manifest are one image.
        let one = self
            .images
            .iter()
            .all(|i| self.images.first().is_some_and(|f| f.digest == i.digest));
        match name {
            None if one && !self.images.is_empty() => Ok(&self.images[0]),
            None => {
                let mut several: Vec<(String, Digest)> = Vec::new();
                for i in &self.images {
                    if !several.iter().any(|(_, d)| *d == i.digest) {
                        let name = i.names.first().cloned().unwrap_or(i.digest.to_string());
                        several.push((name, i.digest.clone()));
                    }
                }
                Err(ArchiveError::SeveralImages(several))
            }
            Some(want) => self
                .images
                .iter()
                .find(|i| i.names.iter().any(|n| n == want))
                .or_else(|| {
                    self.images.iter().find(|i| {
                        i.names.iter().any(|n| {
                            n.rsplit_once(':')
                                .is_some_and(|(_, tag)| tag == want && !tag.contains('/'))
                        })
                    })
                })
                .or_else(|| {
                    // `team/app:v1` names `docker.io/team/app:v1`.
                    let want = Reference::parse_normalized(want).ok()?;
                    self.images.iter().find(|i| {
                        i.names
                            .iter()
                            .any(|n| Reference::parse_normalized(n).is_ok_and(|n| n == want))
                    })
                })
                .or_else(|| self.images.iter().find(|i| i.digest.to_string() == want))
                .ok_or_else(|| {
                    ArchiveError::NoSuchImage(format!(
                        "the archive has no image named {want} (it holds: {})",
                        listed()
                    ))
                }),
        }
    }

    /// The media type the archive gives a document, when it gives one.
    pub fn media_type(&self, digest: &Digest) -> Option<&MediaType> {
        self.media_types.get(digest)
    }

    /// A document made here (a legacy archive's manifest).
    pub fn made(&self, digest: &Digest) -> Option<&[u8]> {
        self.made.get(digest).map(Vec::as_slice)
    }

    /// The archive path holding the blob `digest`.
    pub fn path(&self, digest: &Digest) -> String {
        match self.paths.get(digest) {
            Some(p) => p.clone(),
            None => format!("blobs/{}/{}", digest.algorithm().name(), digest.hex()),
        }
    }
}
