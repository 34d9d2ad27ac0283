//! The whole-catalogue form earlier pages stored: versioned JSON under
//! [`crate::library::Key::Catalog`], rewritten whole on every change. It is
//! now only read, once, when the library is opened, and migrated to one
//! record per image, reference and layer ([`crate::library::records`]);
//! [`Library::to_catalog`] stays to write such a value in tests.
//!
//! ```json
//! {"format":"layerlens-library","version":1,
//!  "images":[{"manifest":"sha256:…","mediaType":"…","config":"sha256:…", …}],
//!  "tags":{"docker.io/library/app:latest":"sha256:…"},
//!  "digests":{"docker.io/library/app@sha256:…":"sha256:…"},
//!  "blobs":{"sha256:…":{"kind":"manifest","size":1234}},
//!  "layers":{"sha256:…":{"entries":25000,"content_size":…,"stored_bytes":…}}}
//! ```
//!
//! References are stored in full normalised form and read back with
//! [`Reference::parse_canonical`], times as RFC 3339. A catalogue of another
//! `version` is refused (a newer page wrote it), not guessed at.

use std::collections::BTreeMap;

use crate::library::model::{BlobMeta, ImageRecord, LayerMeta, LayerRef, Library};
use crate::library::LibraryError;
use crate::oci::{Digest, MediaType, Platform, Reference, Timestamp};

/// The catalogue format version this code writes and reads.
pub const CATALOG_VERSION: u32 = 1;
/// The `format` marker.
pub const CATALOG_FORMAT: &str = "layerlens-library";
/// Largest catalogue read, in bytes (thousands of images fit in a few MiB).
pub const MAX_CATALOG_BYTES: usize = 64 << 20;

#[derive(serde::Serialize, serde::Deserialize)]
struct Wire {
    format: String,
    version: u32,
    images: Vec<ImageWire>,
    tags: BTreeMap<String, Digest>,
    digests: BTreeMap<String, Digest>,
    blobs: BTreeMap<Digest, BlobMeta>,
    layers: BTreeMap<Digest, LayerMeta>,
}

/// One image as both layouts write it (the catalogue's `images` entries,
/// and the body of an `image/` record).
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ImageWire {
    pub(crate) manifest: Digest,
    pub(crate) media_type: MediaType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) index: Option<Digest>,
    pub(crate) repository: String,
    pub(crate) config: Digest,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) created: Option<String>,
    pub(crate) layers: Vec<LayerRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) platform: Option<Platform>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) recorded: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) last_opened: Option<String>,
    /// The archive file the image was opened from (absent for registries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) source: Option<String>,
}

impl From<&ImageRecord> for ImageWire {
    fn from(r: &ImageRecord) -> ImageWire {
        ImageWire {
            manifest: r.manifest.clone(),
            media_type: r.manifest_media_type.clone(),
            index: r.index.clone(),
            repository: r.repository.to_string(),
            config: r.config.clone(),
            created: r.created.map(|t| t.to_string()),
            layers: r.layers.clone(),
            platform: r.platform.clone(),
            labels: r.labels.clone(),
            recorded: r.recorded.to_string(),
            last_opened: r.last_opened.map(|t| t.to_string()),
            source: r.source.clone(),
        }
    }
}

pub(crate) fn corrupt(what: impl std::fmt::Display) -> LibraryError {
    LibraryError::Corrupt(format!("catalog: {what}"))
}

pub(crate) fn time(s: &str) -> Result<Timestamp, LibraryError> {
    Timestamp::parse_rfc3339(s).map_err(corrupt)
}

impl Library {
    /// The catalogue as an earlier page stored it (see the module
    /// documentation): to test the migration with.
    pub fn to_catalog(&self) -> Vec<u8> {
        let wire = Wire {
            format: CATALOG_FORMAT.to_owned(),
            version: CATALOG_VERSION,
            images: self.images.values().map(ImageWire::from).collect(),
            tags: crate::sort::map_of(self.tags.iter().map(|(r, d)| (r.to_string(), d.clone()))),
            digests: crate::sort::map_of(
                self.digests.iter().map(|(r, d)| (r.to_string(), d.clone())),
            ),
            blobs: self.blobs.clone(),
            layers: self.layers.clone(),
        };
        // Serialising plain maps, strings and numbers cannot fail.
        serde_json::to_vec(&wire).unwrap_or_default()
    }

    /// Reads a catalogue written by [`Library::to_catalog`]. Refuses another
    /// format or version, and a catalogue whose references point at images
    /// it does not list.
    pub fn from_catalog(bytes: &[u8]) -> Result<Library, LibraryError> {
        if bytes.len() > MAX_CATALOG_BYTES {
            return Err(corrupt(format!(
                "{} bytes, more than the {MAX_CATALOG_BYTES}-byte limit",
                bytes.len()
            )));
        }
        let wire: Wire = serde_json::from_slice(bytes).map_err(corrupt)?;
        if wire.format != CATALOG_FORMAT {
            return Err(corrupt(format!("unknown format {:?}", wire.format)));
        }
        if wire.version != CATALOG_VERSION {
            return Err(corrupt(format!(
                "version {} (this page reads version {CATALOG_VERSION})",
                wire.version
            )));
        }
        let mut lib = Library {
            blobs: wire.blobs,
            layers: wire.layers,
            ..Library::default()
        };
        for w in wire.images {
            let record = w.into_record()?;
            lib.images.insert(record.manifest.clone(), record);
        }
        for (map, target, tagged) in [
            (wire.tags, &mut lib.tags, true),
            (wire.digests, &mut lib.digests, false),
        ] {
            for (name, image) in map {
                let r = Reference::parse_canonical(&name).map_err(corrupt)?;
                if tagged != r.tag().is_some() || tagged == r.digest().is_some() {
                    return Err(corrupt(format!("reference {name} is in the wrong table")));
                }
                if !lib.images.contains_key(&image) {
                    return Err(corrupt(format!("{name} points at unknown image {image}")));
                }
                target.insert(r, image);
            }
        }
        Ok(lib)
    }
}
