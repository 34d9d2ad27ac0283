//! The persistence seam: a key–value [`Store`] the shell implements (the
//! browser over IndexedDB), the [`StoreOp`]s the library asks it to apply,
//! and the async helpers that open the library and read an image back.
//!
//! Keys are strings: `image/<manifest digest>`, `ref/<reference>` and
//! `layerinfo/<layer digest>` (the catalogue, one small record each; see
//! [`crate::library::records`]), `blob/<digest>` (manifests, indexes,
//! configs — their exact verified bytes), `layer/<digest>` (layer indexes),
//! `seek/<digest>` (a layer's seek checkpoints, when its scan recorded
//! them), and `catalog` (the whole catalogue of earlier pages, migrated on open).
//! Content is addressed by digest and verified again when read back, so a
//! store that returns altered bytes is noticed, not trusted.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use crate::layer::seek::SeekIndex;
use crate::library::records::StoredRecords;
use crate::library::{ImageRecord, LayerIndex, Library, LibraryError};
use crate::oci::{
    parse_document, verify, Digest, Document, ImageConfig, ImageManifest, Reference, Verified,
};

/// A store key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    /// The whole catalogue earlier pages stored (read once, migrated).
    Catalog,
    /// One image's record, by manifest digest.
    Image(Digest),
    /// A tag or digest reference (full normalised form): the manifest
    /// digest it names.
    Ref(Reference),
    /// What a stored layer index holds (entries, sizes), by layer digest.
    LayerInfo(Digest),
    /// A manifest, index or config, by digest.
    Blob(Digest),
    /// A layer index, by layer blob digest.
    LayerIndex(Digest),
    /// A layer's seek checkpoints (`layer::seek`), by layer blob digest.
    Seek(Digest),
}

impl Key {
    /// The key as a string (`image/sha256:…`, `ref/docker.io/library/a:1`,
    /// `layerinfo/sha256:…`, `blob/sha256:…`, `layer/sha256:…`, `catalog`).
    pub fn name(&self) -> String {
        match self {
            Key::Catalog => "catalog".to_owned(),
            Key::Image(d) => format!("{}{d}", Key::IMAGE_PREFIX),
            Key::Ref(r) => format!("{}{r}", Key::REF_PREFIX),
            Key::LayerInfo(d) => format!("{}{d}", Key::LAYER_INFO_PREFIX),
            Key::Blob(d) => format!("blob/{d}"),
            Key::LayerIndex(d) => format!("layer/{d}"),
            Key::Seek(d) => format!("seek/{d}"),
        }
    }

    /// Reads a key written by [`Key::name`].
    pub fn parse(s: &str) -> Option<Key> {
        if s == "catalog" {
            return Some(Key::Catalog);
        }
        if let Some(d) = s.strip_prefix("blob/") {
            return d.parse().ok().map(Key::Blob);
        }
        if let Some(d) = s.strip_prefix(Key::IMAGE_PREFIX) {
            return d.parse().ok().map(Key::Image);
        }
        if let Some(r) = s.strip_prefix(Key::REF_PREFIX) {
            return Reference::parse_canonical(r).ok().map(Key::Ref);
        }
        if let Some(d) = s.strip_prefix(Key::LAYER_INFO_PREFIX) {
            return d.parse().ok().map(Key::LayerInfo);
        }
        if let Some(d) = s.strip_prefix("seek/") {
            return d.parse().ok().map(Key::Seek);
        }
        s.strip_prefix("layer/")
            .and_then(|d| d.parse().ok())
            .map(Key::LayerIndex)
    }
}

/// One change to apply to the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreOp {
    /// Write `bytes` under `key` (idempotent: content is addressed).
    Put {
        /// Where.
        key: Key,
        /// What.
        bytes: Vec<u8>,
    },
    /// Remove `key` (removing a missing key is not an error).
    Delete {
        /// Which.
        key: Key,
    },
}

impl StoreOp {
    /// The key the operation touches.
    pub fn key(&self) -> &Key {
        match self {
            StoreOp::Put { key, .. } | StoreOp::Delete { key } => key,
        }
    }
}

/// The store failed (quota, I/O, a closed database).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct StoreError {
    message: String,
}

impl StoreError {
    /// An error with a message for the person.
    pub fn new(message: impl Into<String>) -> StoreError {
        StoreError {
            message: message.into(),
        }
    }
}

/// Persistent key–value storage, as the shells provide it.
#[allow(async_fn_in_trait)] // deliberately no Send bound: browser futures are !Send
pub trait Store {
    /// The bytes under `key`, or `None`.
    async fn get(&self, key: &Key) -> Result<Option<Vec<u8>>, StoreError>;
    /// Writes `bytes` under `key`, replacing what was there.
    async fn put(&self, key: &Key, bytes: &[u8]) -> Result<(), StoreError>;
    /// Removes `key` (no error if absent).
    async fn delete(&self, key: &Key) -> Result<(), StoreError>;
    /// Every key whose name starts with `prefix`, with its bytes, read at
    /// one moment.
    async fn scan(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError>;
    /// Applies `ops` in order. A store with transactions applies them all
    /// or none, and returns once they are durable; this default applies
    /// them one by one (the library orders them so an interruption leaves
    /// no record pointing at missing content).
    async fn apply(&self, ops: &[StoreOp]) -> Result<(), StoreError> {
        for op in ops {
            match op {
                StoreOp::Put { key, bytes } => self.put(key, bytes).await?,
                StoreOp::Delete { key } => self.delete(key).await?,
            }
        }
        Ok(())
    }
}

/// Applies `ops` ([`Store::apply`]).
pub async fn apply<S: Store>(store: &S, ops: &[StoreOp]) -> Result<(), StoreError> {
    store.apply(ops).await
}

/// Opens the library kept in `store` (an empty one when there is none
/// yet): its records, and the whole catalogue an earlier page left, which
/// is migrated to records (and deleted) before this returns.
pub async fn open<S: Store>(store: &S) -> Result<Library, LibraryError> {
    let records = StoredRecords {
        images: store.scan(Key::IMAGE_PREFIX).await?,
        refs: store.scan(Key::REF_PREFIX).await?,
        layers: store.scan(Key::LAYER_INFO_PREFIX).await?,
    };
    let mut library = Library::from_records(&records)?;
    if let Some(bytes) = store.get(&Key::Catalog).await? {
        let old = Library::from_catalog(&bytes)?;
        let ops = library.migrate(old);
        store.apply(&ops).await?;
    }
    Ok(library)
}

/// An image read back from the store, verified and parsed.
#[derive(Debug, Clone)]
pub struct StoredImage {
    /// The catalogue's record.
    pub record: ImageRecord,
    /// The index's bytes, when the image was recorded through one.
    pub index: Option<Verified>,
    /// The manifest.
    pub manifest: (Verified, ImageManifest),
    /// The config.
    pub config: (Verified, ImageConfig),
    /// Each layer's index in manifest order, or why it is not available
    /// (never stored because it was not verified, missing, or corrupt);
    /// the other layers are still usable.
    pub layers: Vec<Result<LayerIndex, String>>,
}

async fn blob<S: Store>(store: &S, digest: &Digest) -> Result<Verified, LibraryError> {
    let key = Key::Blob(digest.clone());
    let bytes = store
        .get(&key)
        .await?
        .ok_or_else(|| LibraryError::Missing { key: key.name() })?;
    verify(bytes, digest, None).map_err(|e| LibraryError::Corrupt(format!("{}: {e}", key.name())))
}

/// Reads the image recorded under `manifest` back from `store`: documents
/// verified against their digests and parsed, layer indexes decoded (a bad
/// layer index is reported in its slot, not fatal). No network.
pub async fn load_image<S: Store>(
    store: &S,
    library: &Library,
    manifest: &Digest,
) -> Result<StoredImage, LibraryError> {
    let record = library
        .image(manifest)
        .ok_or_else(|| LibraryError::NoSuchImage(manifest.to_string()))?
        .clone();
    let manifest_bytes = blob(store, manifest).await?;
    let manifest_doc = match parse_document(&manifest_bytes, Some(record.manifest_media_type())) {
        Ok(Document::Manifest(m)) => m,
        Ok(Document::Index(_)) => {
            return Err(LibraryError::Corrupt(format!("{manifest} is an index")))
        }
        Err(e) => return Err(LibraryError::Corrupt(format!("{manifest}: {e}"))),
    };
    let config_bytes = blob(store, record.id()).await?;
    let config_doc = ImageConfig::parse(&config_bytes)
        .map_err(|e| LibraryError::Corrupt(format!("{}: {e}", record.id())))?;
    let index = match record.index() {
        Some(d) => Some(blob(store, d).await?),
        None => None,
    };
    let mut layers = Vec::with_capacity(record.layers().len());
    for l in record.layers() {
        layers.push(if library.has_layer_index(&l.digest) {
            load_layer(store, &l.digest).await?
        } else {
            Err(format!(
                "layer {} was not stored (it was not verified)",
                l.digest
            ))
        });
    }
    Ok(StoredImage {
        record,
        index,
        manifest: (manifest_bytes, manifest_doc),
        config: (config_bytes, config_doc),
        layers,
    })
}

/// Reads the stored index of the layer blob `digest`: decoded, and checked to
/// be the index of that blob. A missing or unreadable index is an `Ok(Err(why))`
/// (the layer is fetched again, or reported); a failing store is an error.
/// The index is not trusted for this: it still goes through
/// [`crate::layer::verify`] against the manifest that names the layer.
pub async fn load_layer<S: Store>(
    store: &S,
    digest: &Digest,
) -> Result<Result<LayerIndex, String>, LibraryError> {
    let key = Key::LayerIndex(digest.clone());
    let index = match store.get(&key).await? {
        None => Err(format!("{} is missing from the store", key.name())),
        Some(bytes) => match LayerIndex::decode(&bytes) {
            Ok(ix) if ix.digest() == digest => Ok(ix),
            Ok(ix) => Err(format!("{} holds the index of {}", key.name(), ix.digest())),
            Err(e) => Err(format!("{}: {e}", key.name())),
        },
    };
    let Ok(index) = index else {
        return Ok(index);
    };
    // Checkpoints are a shortcut: missing, unreadable or another blob's
    // (`with_seek` drops those), a file is read by streaming its layer.
    let seek = store
        .get(&Key::Seek(digest.clone()))
        .await?
        .and_then(|bytes| SeekIndex::decode(&bytes).ok());
    Ok(Ok(index.with_seek(seek)))
}

/// Stored layer indexes by manifest position, each one or why it is not
/// usable ([`load_layers`]).
pub type StoredLayers = Vec<(usize, Result<LayerIndex, String>)>;

/// [`load_layer`] for each of a load's layers, by manifest position.
pub async fn load_layers<S: Store>(
    store: &S,
    layers: &[(usize, Digest)],
) -> Result<StoredLayers, LibraryError> {
    let mut out = Vec::with_capacity(layers.len());
    for (i, digest) in layers {
        out.push((*i, load_layer(store, digest).await?));
    }
    Ok(out)
}

/// An in-memory [`Store`], for tests and as a fallback when the browser
/// offers no persistent storage. Counts reads and writes.
#[derive(Debug, Default)]
pub struct MemoryStore {
    map: RefCell<BTreeMap<Key, Vec<u8>>>,
    reads: Cell<u64>,
    writes: Cell<u64>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// The keys present.
    pub fn keys(&self) -> Vec<Key> {
        self.map.borrow().keys().cloned().collect()
    }

    /// Total bytes stored.
    pub fn total_bytes(&self) -> u64 {
        self.map.borrow().values().map(|v| v.len() as u64).sum()
    }

    /// Reads served so far.
    pub fn reads(&self) -> u64 {
        self.reads.get()
    }

    /// Writes (puts and deletes) applied so far.
    pub fn writes(&self) -> u64 {
        self.writes.get()
    }

    /// Replaces the bytes under `key` directly (tests: simulate corruption).
    pub fn tamper(&self, key: &Key, bytes: Vec<u8>) {
        self.map.borrow_mut().insert(key.clone(), bytes);
    }
}

impl Store for MemoryStore {
    async fn get(&self, key: &Key) -> Result<Option<Vec<u8>>, StoreError> {
        self.reads.set(self.reads.get() + 1);
        Ok(self.map.borrow().get(key).cloned())
    }

    async fn put(&self, key: &Key, bytes: &[u8]) -> Result<(), StoreError> {
        self.writes.set(self.writes.get() + 1);
        self.map.borrow_mut().insert(key.clone(), bytes.to_vec());
        Ok(())
    }

    async fn delete(&self, key: &Key) -> Result<(), StoreError> {
        self.writes.set(self.writes.get() + 1);
        self.map.borrow_mut().remove(key);
        Ok(())
    }

    async fn scan(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.reads.set(self.reads.get() + 1);
        Ok(self
            .map
            .borrow()
            .iter()
            .map(|(k, v)| (k.name(), v))
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k, v.clone()))
            .collect())
    }
}
