//! The library's persistent layout: small records, one per thing, so that a
//! change writes only what changed (issue 11: rewriting one whole catalogue
//! value on every change made each write as large as the library, and a
//! page left in that window lost its newest image).
//!
//! | key                       | value                                          |
//! |---------------------------|------------------------------------------------|
//! | `image/<manifest digest>` | JSON: one [`ImageRecord`] and its blob sizes   |
//! | `ref/<reference>`         | the manifest digest a tag or digest reference names |
//! | `layerinfo/<layer digest>`| JSON: [`LayerMeta`] of a stored layer index    |
//! | `blob/<digest>`           | a manifest, index or config, its exact bytes   |
//! | `layer/<layer digest>`    | a layer index                                  |
//!
//! References are keys in full normalised form
//! (`ref/docker.io/library/app:latest`), read back with
//! [`Reference::parse_canonical`]. An image record carries a `version`; one
//! of another version (a newer page wrote it) is refused, not guessed at.
//! A reference naming an image that has no record is ignored: it names
//! nothing, as an interrupted write on a store without transactions could
//! leave it.
//!
//! [`Library::ops_since`] turns any change of the catalogue into the puts
//! and deletes of exactly these records, so every operation writes a few
//! hundred bytes whatever the library's size. The whole-catalogue value of
//! earlier pages (`catalog`, [`crate::library::catalog`]) is read once when
//! the library is opened, merged in and deleted ([`Library::migrate`]).

use std::collections::BTreeMap;

use crate::library::catalog::{corrupt, time, ImageWire};
use crate::library::model::{BlobKind, BlobMeta, ImageRecord, LayerMeta, Library};
use crate::library::{Key, LibraryError, StoreOp};
use crate::oci::{Digest, Reference};

/// The image record format version this code writes and reads.
pub const IMAGE_RECORD_VERSION: u32 = 1;

/// An image record as stored: the catalogue row plus the sizes of its
/// blobs (so what the library stores is known without reading them).
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ImageRecordWire {
    version: u32,
    #[serde(flatten)]
    image: ImageWire,
    manifest_size: u64,
    config_size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    index_size: Option<u64>,
}

/// What [`Library::from_records`] reads: the values under each key prefix.
#[derive(Debug, Clone, Default)]
pub struct StoredRecords {
    /// `(key, value)` under `image/`.
    pub images: Vec<(String, Vec<u8>)>,
    /// `(key, value)` under `ref/`.
    pub refs: Vec<(String, Vec<u8>)>,
    /// `(key, value)` under `layerinfo/`.
    pub layers: Vec<(String, Vec<u8>)>,
}

impl Library {
    fn blob_size(&self, d: &Digest) -> u64 {
        self.blobs.get(d).map_or(0, |b| b.size)
    }

    /// The bytes of `record`'s image record.
    fn image_bytes(&self, record: &ImageRecord) -> Vec<u8> {
        let wire = ImageRecordWire {
            version: IMAGE_RECORD_VERSION,
            image: ImageWire::from(record),
            manifest_size: self.blob_size(&record.manifest),
            config_size: self.blob_size(&record.config),
            index_size: record.index.as_ref().map(|d| self.blob_size(d)),
        };
        // Serialising plain maps, strings and numbers cannot fail.
        serde_json::to_vec(&wire).unwrap_or_default()
    }

    fn layer_bytes(meta: &LayerMeta) -> Vec<u8> {
        serde_json::to_vec(meta).unwrap_or_default()
    }

    /// The store writes that bring records matching `before` to match
    /// `self`: puts of changed image, reference and layer-info records,
    /// then deletions of records, then of content (blobs and layer indexes)
    /// no longer listed — so a store without transactions, interrupted,
    /// never has a record pointing at deleted content.
    pub fn ops_since(&self, before: &Library) -> Vec<StoreOp> {
        let mut puts = Vec::new();
        for (d, meta) in &self.layers {
            if before.layers.get(d) != Some(meta) {
                puts.push(StoreOp::Put {
                    key: Key::LayerInfo(d.clone()),
                    bytes: Library::layer_bytes(meta),
                });
            }
        }
        for (d, r) in &self.images {
            if before.images.get(d) != Some(r) {
                puts.push(StoreOp::Put {
                    key: Key::Image(d.clone()),
                    bytes: self.image_bytes(r),
                });
            }
        }
        for (name, m) in self.tags.iter().chain(&self.digests) {
            let was = before.tags.get(name).or_else(|| before.digests.get(name));
            if was != Some(m) {
                puts.push(StoreOp::Put {
                    key: Key::Ref(name.clone()),
                    bytes: m.to_string().into_bytes(),
                });
            }
        }
        let mut deletes = Vec::new();
        for name in before.tags.keys().chain(before.digests.keys()) {
            if !self.tags.contains_key(name) && !self.digests.contains_key(name) {
                deletes.push(Key::Ref(name.clone()));
            }
        }
        deletes.extend(
            gone(&before.images, &self.images)
                .into_iter()
                .map(Key::Image),
        );
        let layers_gone = gone(&before.layers, &self.layers);
        deletes.extend(layers_gone.iter().cloned().map(Key::LayerInfo));
        deletes.extend(gone(&before.blobs, &self.blobs).into_iter().map(Key::Blob));
        deletes.extend(layers_gone.iter().cloned().map(Key::Seek));
        deletes.extend(layers_gone.into_iter().map(Key::LayerIndex));
        puts.extend(deletes.into_iter().map(|key| StoreOp::Delete { key }));
        puts
    }
}

/// The keys of `old` that `new` lacks.
fn gone<A, B>(old: &BTreeMap<Digest, A>, new: &BTreeMap<Digest, B>) -> Vec<Digest> {
    old.keys()
        .filter(|d| !new.contains_key(*d))
        .cloned()
        .collect()
}

impl Library {
    /// Reads the library from its records (see the module documentation).
    pub fn from_records(stored: &StoredRecords) -> Result<Library, LibraryError> {
        let mut lib = Library::default();
        for (key, bytes) in &stored.layers {
            let Some(Key::LayerInfo(d)) = Key::parse(key) else {
                return Err(corrupt(format!("unknown key {key:?}")));
            };
            let meta: LayerMeta =
                serde_json::from_slice(bytes).map_err(|e| corrupt(format!("{key}: {e}")))?;
            lib.layers.insert(d, meta);
        }
        for (key, bytes) in &stored.images {
            let wire: ImageRecordWire =
                serde_json::from_slice(bytes).map_err(|e| corrupt(format!("{key}: {e}")))?;
            if wire.version != IMAGE_RECORD_VERSION {
                return Err(corrupt(format!(
                    "{key}: version {} (this page reads version {IMAGE_RECORD_VERSION})",
                    wire.version
                )));
            }
            if Key::parse(key) != Some(Key::Image(wire.image.manifest.clone())) {
                return Err(corrupt(format!("{key} holds another image")));
            }
            let record = wire.image.into_record()?;
            let mut blob = |d: &Digest, kind, size| {
                lib.blobs.insert(d.clone(), BlobMeta { kind, size });
            };
            blob(&record.manifest, BlobKind::Manifest, wire.manifest_size);
            blob(&record.config, BlobKind::Config, wire.config_size);
            if let Some(i) = &record.index {
                blob(i, BlobKind::Index, wire.index_size.unwrap_or(0));
            }
            lib.images.insert(record.manifest.clone(), record);
        }
        for (key, bytes) in &stored.refs {
            let Some(Key::Ref(name)) = Key::parse(key) else {
                return Err(corrupt(format!("unknown key {key:?}")));
            };
            let image: Digest = std::str::from_utf8(bytes)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| corrupt(format!("{key} holds no digest")))?;
            if lib.images.contains_key(&image) {
                lib.set_ref(name, &image);
            }
        }
        Ok(lib)
    }

    /// Merges a whole catalogue an earlier page stored (`catalog`) into
    /// this library read from records, and returns the writes that store
    /// it as records and delete the old value. Records already present win:
    /// they were written by this page after the catalogue.
    pub fn migrate(&mut self, old: Library) -> Vec<StoreOp> {
        let before = self.clone();
        for (d, meta) in old.layers {
            self.layers.entry(d).or_insert(meta);
        }
        for (d, meta) in old.blobs {
            self.blobs.entry(d).or_insert(meta);
        }
        for (d, r) in old.images {
            self.images.entry(d).or_insert(r);
        }
        for (name, m) in old.tags.into_iter().chain(old.digests) {
            let known = self.tags.contains_key(&name) || self.digests.contains_key(&name);
            if !known && self.images.contains_key(&m) {
                self.set_ref(name, &m);
            }
        }
        let mut ops = self.ops_since(&before);
        ops.push(StoreOp::Delete { key: Key::Catalog });
        ops
    }
}

impl Key {
    /// The prefix of every record key of one kind, for [`crate::library::Store::scan`].
    pub const IMAGE_PREFIX: &'static str = "image/";
    /// See [`Key::IMAGE_PREFIX`].
    pub const REF_PREFIX: &'static str = "ref/";
    /// See [`Key::IMAGE_PREFIX`].
    pub const LAYER_INFO_PREFIX: &'static str = "layerinfo/";
}

impl ImageWire {
    pub(crate) fn into_record(self) -> Result<ImageRecord, LibraryError> {
        Ok(ImageRecord {
            repository: Reference::parse_canonical(&self.repository).map_err(corrupt)?,
            created: self.created.as_deref().map(time).transpose()?,
            recorded: time(&self.recorded)?,
            last_opened: self.last_opened.as_deref().map(time).transpose()?,
            manifest: self.manifest,
            manifest_media_type: self.media_type,
            index: self.index,
            config: self.config,
            layers: self.layers,
            platform: self.platform,
            labels: self.labels,
            source: self.source,
        })
    }
}
