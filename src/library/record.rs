//! Adding inspected images (`docker pull`'s bookkeeping) and names
//! (`docker tag`).

use std::collections::BTreeMap;

use crate::inspect::{Image, LayerReport};
use crate::library::model::{BlobKind, BlobMeta, ImageRecord, LayerMeta, LayerRef, Library};
use crate::library::resolve::tag_name_only;
use crate::library::{Key, LayerIndex, LibraryError, StoreOp};
use crate::oci::{
    parse_document, Digest, Document, ImageConfig, ImageManifest, MediaType, Platform, Reference,
    Timestamp, Verified,
};

/// An inspected image, ready to be recorded: the reference as asked, the
/// verified documents, and the indexes of the layers that were verified.
#[derive(Debug, Clone)]
pub struct Recorded {
    reference: Reference,
    index: Option<Verified>,
    manifest: Verified,
    manifest_doc: ImageManifest,
    config: Verified,
    config_doc: ImageConfig,
    platform: Option<Platform>,
    layers: Vec<LayerIndex>,
    source: Option<String>,
}

fn not_recordable(what: impl Into<String>, reason: impl Into<String>) -> LibraryError {
    LibraryError::NotRecordable {
        what: what.into(),
        reason: reason.into(),
    }
}

impl Recorded {
    /// From verified bytes: `reference` is what the user asked for
    /// (normalised), `manifest_type` the media type the manifest was served
    /// with (needed when the document has no `mediaType` field).
    pub fn new(
        reference: Reference,
        manifest: Verified,
        manifest_type: Option<&MediaType>,
        config: Verified,
    ) -> Result<Recorded, LibraryError> {
        let manifest_doc = match parse_document(&manifest, manifest_type) {
            Ok(Document::Manifest(m)) => m,
            Ok(Document::Index(_)) => {
                return Err(not_recordable(
                    manifest.digest().to_string(),
                    "it is an index; record the manifest chosen from it",
                ))
            }
            Err(e) => return Err(not_recordable(manifest.digest().to_string(), e.to_string())),
        };
        if manifest_doc.config().digest() != config.digest() {
            return Err(not_recordable(
                config.digest().to_string(),
                format!(
                    "the manifest's config is {}",
                    manifest_doc.config().digest()
                ),
            ));
        }
        let config_doc = ImageConfig::parse(&config)
            .map_err(|e| not_recordable(config.digest().to_string(), e.to_string()))?;
        Ok(Recorded {
            platform: Some(config_doc.platform()),
            reference,
            index: None,
            manifest,
            manifest_doc,
            config,
            config_doc,
            layers: Vec::new(),
            source: None,
        })
    }

    /// The index the manifest was chosen from (its digest is what the
    /// reference resolved to, and becomes the digest reference).
    pub fn with_index(mut self, index: Verified) -> Recorded {
        self.index = Some(index);
        self
    }

    /// The platform as the index entry named it (instead of the config's).
    pub fn with_platform(mut self, platform: Platform) -> Recorded {
        self.platform = Some(platform);
        self
    }

    /// The archive file the image came from (not a registry).
    pub fn with_source(mut self, file: String) -> Recorded {
        self.source = Some(file);
        self
    }

    /// A verified layer's index. Indexes of layers the manifest does not
    /// list are refused when recording.
    pub fn with_layer(mut self, layer: LayerIndex) -> Recorded {
        self.layers.push(layer);
        self
    }

    /// From the resolve flow's result and its layer reports (verified layers
    /// only are kept; an artifact without an image config is refused).
    pub fn from_inspect(image: &Image, reports: &[LayerReport]) -> Result<Recorded, LibraryError> {
        let Some((config, _)) = &image.config else {
            return Err(not_recordable(
                image.manifest.verified.digest().to_string(),
                "it has no image config (an artifact?)",
            ));
        };
        let mut rec = Recorded::new(
            image.reference.clone(),
            image.manifest.verified.clone(),
            Some(image.manifest.document.media_type()),
            config.clone(),
        )?;
        if let Some(index) = &image.index {
            rec = rec.with_index(index.verified.clone());
        }
        if let Some(p) = &image.platform {
            rec = rec.with_platform(p.clone());
        }
        for r in reports {
            if let Some(l) = r.verified() {
                rec = rec.with_layer(l.index().clone());
            }
        }
        Ok(rec)
    }

    /// The digest the reference resolved to: the index's when there is one.
    pub fn resolved_digest(&self) -> &Digest {
        self.index.as_ref().unwrap_or(&self.manifest).digest()
    }
}

/// What [`Library::record`] or [`Library::tag`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordReport {
    /// The image's manifest digest.
    pub image: Digest,
    /// Whether the image was new to the library.
    pub new_image: bool,
    /// References that pointed at another image before, with that image
    /// (now untagged under that name; dangling if nothing else names it).
    pub moved: Vec<(Reference, Digest)>,
    /// Layer indexes newly stored.
    pub stored_layers: Vec<Digest>,
    /// The store writes to apply: the new content, and the records of
    /// the image and the references that changed.
    pub ops: Vec<StoreOp>,
}

impl Library {
    /// Records an inspected image as `docker pull` does:
    ///
    /// * the manifest, config and index bytes are stored by digest (once),
    ///   and each verified layer index once per layer digest;
    /// * a reference by tag (`app:latest`, or `app`, which means
    ///   `app:latest`) points the tag at this image, and adds the digest
    ///   reference `app@<resolved digest>` (Docker's `RepoDigests`); a
    ///   reference by digest adds only the digest reference;
    /// * a tag or digest reference that pointed at another image moves; the
    ///   other image stays in the library, listed as `repo <none>` while a
    ///   digest reference still names it and `<none> <none>` once nothing
    ///   does — what `docker images` shows after `docker pull` moves a tag
    ///   (moby/moby#23996 made pulls always record the digest; moby#42664
    ///   shows such an image listed by `--filter dangling=true`).
    pub fn record(&mut self, rec: Recorded, now: Timestamp) -> Result<RecordReport, LibraryError> {
        let manifest = rec.manifest.digest().clone();
        let layer_refs: Vec<LayerRef> = rec
            .manifest_doc
            .layers()
            .iter()
            .enumerate()
            .map(|(i, d)| LayerRef {
                digest: d.digest().clone(),
                size: d.size(),
                diff_id: rec.config_doc.diff_ids().get(i).cloned(),
            })
            .collect();
        for l in &rec.layers {
            if !layer_refs.iter().any(|r| &r.digest == l.digest()) {
                return Err(not_recordable(
                    l.digest().to_string(),
                    format!("layer is not in manifest {manifest}"),
                ));
            }
        }
        let before = self.clone();
        let mut puts = Vec::new();
        let mut blob = |lib: &mut Library, v: &Verified, kind: BlobKind| {
            if !lib.blobs.contains_key(v.digest()) {
                lib.blobs.insert(
                    v.digest().clone(),
                    BlobMeta {
                        kind,
                        size: v.bytes().len() as u64,
                    },
                );
                puts.push(StoreOp::Put {
                    key: Key::Blob(v.digest().clone()),
                    bytes: v.bytes().to_vec(),
                });
            }
        };
        blob(self, &rec.manifest, BlobKind::Manifest);
        blob(self, &rec.config, BlobKind::Config);
        if let Some(index) = &rec.index {
            blob(self, index, BlobKind::Index);
        }
        let mut stored_layers = Vec::new();
        for l in &rec.layers {
            if self.layers.contains_key(l.digest()) {
                continue;
            }
            let bytes = l.encode();
            let seek = l.seek().map(|s| s.encode());
            self.layers.insert(
                l.digest().clone(),
                LayerMeta {
                    entries: l.entries().len() as u64,
                    content_size: l.content_size(),
                    stored_bytes: (bytes.len() + seek.as_ref().map_or(0, Vec::len)) as u64,
                },
            );
            stored_layers.push(l.digest().clone());
            // The checkpoints first: a store interrupted after them holds
            // nothing that points at them yet.
            if let Some(seek) = seek {
                puts.push(StoreOp::Put {
                    key: Key::Seek(l.digest().clone()),
                    bytes: seek,
                });
            }
            puts.push(StoreOp::Put {
                key: Key::LayerIndex(l.digest().clone()),
                bytes,
            });
        }
        let created = rec.config_doc.created_time().and_then(Result::ok);
        let labels: BTreeMap<String, String> = rec.config_doc.config().labels().clone();
        let previous = self.images.get(&manifest);
        let new_image = previous.is_none();
        let record = ImageRecord {
            manifest: manifest.clone(),
            manifest_media_type: rec.manifest_doc.media_type().clone(),
            index: rec.index.as_ref().map(|v| v.digest().clone()),
            repository: rec.reference.name_only(),
            config: rec.config.digest().clone(),
            created,
            layers: layer_refs,
            platform: rec.platform.clone(),
            labels,
            recorded: previous.map_or(now, |p| p.recorded),
            last_opened: previous.and_then(|p| p.last_opened),
            source: rec
                .source
                .clone()
                .or_else(|| previous.and_then(|p| p.source.clone())),
        };
        self.images.insert(manifest.clone(), record);

        let name = rec.reference.name_only();
        let mut refs = Vec::new();
        if rec.reference.digest().is_none() {
            refs.push(tag_name_only(rec.reference.clone()));
        }
        refs.push(name.with_digest(rec.resolved_digest().clone()));
        let mut moved = Vec::new();
        for r in refs {
            if let Some(old) = self.set_ref(r.clone(), &manifest) {
                moved.push((r, old));
            }
        }
        puts.extend(self.ops_since(&before));
        Ok(RecordReport {
            image: manifest,
            new_image,
            moved,
            stored_layers,
            ops: puts,
        })
    }

    /// `docker tag SOURCE TARGET`: adds the name `TARGET` (`:latest` by
    /// default) to the image `SOURCE` names — same IMAGE ID, no new image.
    /// A target that named another image moves (Docker overwrites tags). A
    /// target with a digest is refused, as Docker refuses it.
    pub fn tag(&mut self, source: &str, target: &str) -> Result<RecordReport, LibraryError> {
        let resolved = self.resolve(source)?;
        let target_ref =
            Reference::parse_normalized(target).map_err(|e| LibraryError::reference(target, e))?;
        if target_ref.digest().is_some() {
            return Err(LibraryError::TagWithDigest);
        }
        let target_ref = tag_name_only(target_ref);
        // The record the source names; for an ID with several manifest
        // records, the most recently recorded one.
        let image = resolved
            .images
            .iter()
            .filter_map(|m| self.images.get(m))
            .max_by_key(|r| (r.recorded, r.manifest.clone()))
            .map(|r| r.manifest.clone())
            .ok_or_else(|| LibraryError::NoSuchImage(source.to_owned()))?;
        let before = self.clone();
        let mut moved = Vec::new();
        if let Some(old) = self.set_ref(target_ref.clone(), &image) {
            moved.push((target_ref, old));
        }
        Ok(RecordReport {
            image,
            new_image: false,
            moved,
            stored_layers: Vec::new(),
            ops: self.ops_since(&before),
        })
    }
}
