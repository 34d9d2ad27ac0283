//! The catalogue: images, references, and what content is stored.

use std::collections::{BTreeMap, BTreeSet};

use crate::oci::{Digest, MediaType, Platform, Reference, Timestamp};

/// What kind of document a stored blob is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BlobKind {
    /// An image index or manifest list.
    Index,
    /// An image manifest.
    Manifest,
    /// An image config.
    Config,
}

/// A stored blob: its kind and size in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BlobMeta {
    /// What it is.
    pub kind: BlobKind,
    /// Its size in bytes.
    pub size: u64,
}

/// A stored layer index: enough to size images and report space without
/// reading the index itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LayerMeta {
    /// Entries in the layer.
    pub entries: u64,
    /// The layer's content size as Docker counts it
    /// ([`crate::library::LayerIndex::content_size`]).
    pub content_size: u64,
    /// Bytes the encoded index takes in the store.
    pub stored_bytes: u64,
}

/// One layer of an image, as its manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LayerRef {
    /// The layer blob's digest (the key of its stored index).
    pub digest: Digest,
    /// The compressed size from the manifest.
    pub size: u64,
    /// The config's `rootfs.diff_ids` entry, when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff_id: Option<Digest>,
}

/// One image of the library, keyed by its manifest digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRecord {
    pub(crate) manifest: Digest,
    pub(crate) manifest_media_type: MediaType,
    pub(crate) index: Option<Digest>,
    pub(crate) repository: Reference,
    pub(crate) config: Digest,
    pub(crate) created: Option<Timestamp>,
    pub(crate) layers: Vec<LayerRef>,
    pub(crate) platform: Option<Platform>,
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) recorded: Timestamp,
    pub(crate) last_opened: Option<Timestamp>,
    pub(crate) source: Option<String>,
}

impl ImageRecord {
    /// The manifest digest: the record's key.
    pub fn manifest(&self) -> &Digest {
        &self.manifest
    }

    /// The manifest's media type (needed to parse it again).
    pub fn manifest_media_type(&self) -> &MediaType {
        &self.manifest_media_type
    }

    /// The index the manifest was chosen from, when the image was recorded
    /// through one.
    pub fn index(&self) -> Option<&Digest> {
        self.index.as_ref()
    }

    /// The archive file the image was opened from (`app.tar`); `None` for
    /// an image from a registry.
    pub fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    /// The repository the image was recorded from (name only).
    pub fn repository(&self) -> &Reference {
        &self.repository
    }

    /// The config digest: Docker's IMAGE ID.
    pub fn id(&self) -> &Digest {
        &self.config
    }

    /// The config's `created`, if present and valid.
    pub fn created(&self) -> Option<Timestamp> {
        self.created
    }

    /// The layers, in manifest order.
    pub fn layers(&self) -> &[LayerRef] {
        &self.layers
    }

    /// The platform (from the index entry, or the config).
    pub fn platform(&self) -> Option<&Platform> {
        self.platform.as_ref()
    }

    /// The config's labels.
    pub fn labels(&self) -> &BTreeMap<String, String> {
        &self.labels
    }

    /// When the image was first recorded.
    pub fn recorded(&self) -> Timestamp {
        self.recorded
    }

    /// When it was last opened from the library.
    pub fn last_opened(&self) -> Option<Timestamp> {
        self.last_opened
    }

    /// The digests of every stored blob this image uses.
    pub(crate) fn blob_digests(&self) -> impl Iterator<Item = &Digest> {
        [
            Some(&self.manifest),
            Some(&self.config),
            self.index.as_ref(),
        ]
        .into_iter()
        .flatten()
    }
}

/// The library's catalogue. See the module documentation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Library {
    pub(crate) images: BTreeMap<Digest, ImageRecord>,
    /// `name:tag` → manifest digest.
    pub(crate) tags: BTreeMap<Reference, Digest>,
    /// `name@digest` → manifest digest.
    pub(crate) digests: BTreeMap<Reference, Digest>,
    pub(crate) blobs: BTreeMap<Digest, BlobMeta>,
    pub(crate) layers: BTreeMap<Digest, LayerMeta>,
}

impl Library {
    /// An empty library.
    pub fn new() -> Library {
        Library::default()
    }

    /// Every image, by manifest digest.
    pub fn images(&self) -> impl Iterator<Item = &ImageRecord> {
        self.images.values()
    }

    /// The image recorded under `manifest`.
    pub fn image(&self, manifest: &Digest) -> Option<&ImageRecord> {
        self.images.get(manifest)
    }

    /// The image a tag (`name:tag`, normalised) points to.
    pub fn tag_target(&self, tag: &Reference) -> Option<&Digest> {
        self.tags.get(tag)
    }

    /// Every tag and the image it points to.
    pub fn tags(&self) -> impl Iterator<Item = (&Reference, &Digest)> {
        self.tags.iter()
    }

    /// Every digest reference (`name@digest`) and the image it points to.
    pub fn digest_refs(&self) -> impl Iterator<Item = (&Reference, &Digest)> {
        self.digests.iter()
    }

    /// Whether a layer index is stored for `layer`.
    pub fn has_layer_index(&self, layer: &Digest) -> bool {
        self.layers.contains_key(layer)
    }

    /// When a layer was first verified in this library: the earliest record
    /// of an image that uses it, while its index is stored (`None` when it is
    /// not). A new image with this layer can take the stored index instead of
    /// fetching the blob again, as `docker pull` says "Already exists".
    pub fn layer_verified_since(&self, layer: &Digest) -> Option<Timestamp> {
        if !self.has_layer_index(layer) {
            return None;
        }
        self.images
            .values()
            .filter(|i| i.layers.iter().any(|l| &l.digest == layer))
            .map(|i| i.recorded)
            .min()
    }

    /// What the stored layer index of `layer` holds, if stored.
    pub fn layer_meta(&self, layer: &Digest) -> Option<&LayerMeta> {
        self.layers.get(layer)
    }

    /// Bytes the library's content takes in the store (blobs and layer
    /// indexes; the catalogue itself excluded).
    pub fn stored_bytes(&self) -> u64 {
        self.blobs.values().map(|b| b.size).sum::<u64>()
            + self.layers.values().map(|l| l.stored_bytes).sum::<u64>()
    }

    /// Docker's image size, for `docker image ls`'s SIZE column: the sum of
    /// the image's layers' content sizes ([`LayerMeta::content_size`]: what
    /// the classic store's `layer.Size()` adds up — regular file sizes plus
    /// symlink target lengths, hard links once). Layers whose index is not
    /// stored count 0.
    pub fn image_size(&self, image: &ImageRecord) -> u64 {
        image
            .layers
            .iter()
            .filter_map(|l| self.layers.get(&l.digest))
            .map(|m| m.content_size)
            .sum()
    }

    /// The references (tags and digest references) pointing at any of
    /// `images`, sorted as Docker's reference store lists them (by their
    /// full string).
    pub(crate) fn references_to(&self, images: &BTreeSet<Digest>) -> Vec<Reference> {
        let mut refs: Vec<Reference> = self
            .tags
            .iter()
            .chain(self.digests.iter())
            .filter(|(_, m)| images.contains(*m))
            .map(|(r, _)| r.clone())
            .collect();
        crate::sort::sort_by_key(&mut refs, |r| r.to_string());
        refs
    }

    /// The IMAGE IDs some tag names (through any of their manifests).
    pub(crate) fn tagged_ids(&self) -> BTreeSet<&Digest> {
        crate::sort::set_of(
            self.tags
                .values()
                .filter_map(|m| self.images.get(m))
                .map(|r| &r.config),
        )
    }

    /// Docker's rule for a dangling image, the one home of it (used by
    /// `image ls`'s rows and `dangling=` filter, by prune and by the page):
    /// an image is its IMAGE ID, so it dangles only when no tag names any
    /// manifest of that ID. A digest-only manifest of an ID that another
    /// manifest's tag names is listed `REPO <none>` yet is not dangling —
    /// as Docker keeps an OCI and a Docker v2s2 manifest of one config as
    /// one image, which a remaining tag keeps from being pruned.
    pub fn is_dangling(&self, id: &Digest) -> bool {
        !self
            .tags
            .values()
            .filter_map(|m| self.images.get(m))
            .any(|r| &r.config == id)
    }

    /// All records sharing `id` (one Docker image, possibly reachable by
    /// several manifests).
    pub(crate) fn images_with_id(&self, id: &Digest) -> BTreeSet<Digest> {
        crate::sort::set_of(
            self.images
                .values()
                .filter(|r| &r.config == id)
                .map(|r| r.manifest.clone()),
        )
    }

    /// Points `reference` (tag or digest reference) at `image`, returning the
    /// image it pointed at before when that was another one.
    pub(crate) fn set_ref(&mut self, reference: Reference, image: &Digest) -> Option<Digest> {
        let map = if reference.digest().is_some() {
            &mut self.digests
        } else {
            &mut self.tags
        };
        map.insert(reference, image.clone())
            .filter(|previous| previous != image)
    }

    /// Removes a reference; whether it existed.
    pub(crate) fn remove_ref(&mut self, reference: &Reference) -> bool {
        if reference.digest().is_some() {
            self.digests.remove(reference).is_some()
        } else {
            self.tags.remove(reference).is_some()
        }
    }

    /// Marks an image as opened now (for "last opened" and sorting recent
    /// images); returns the write of its record.
    pub fn mark_opened(
        &mut self,
        manifest: &Digest,
        now: Timestamp,
    ) -> Result<Vec<crate::library::StoreOp>, crate::library::LibraryError> {
        let before = self.clone();
        let record = self
            .images
            .get_mut(manifest)
            .ok_or_else(|| crate::library::LibraryError::NoSuchImage(manifest.to_string()))?;
        record.last_opened = Some(now);
        Ok(self.ops_since(&before))
    }
}
