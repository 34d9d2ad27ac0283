//! Images built in code for the library tests: configs and manifests as
//! JSON, verified by their own digests, and layer indexes of made-up files.
//! No registry.

use layerlens::layer::{Entry, EntryKind};
use std::collections::BTreeSet;

use futures_util::FutureExt;
use layerlens::library::{
    apply, open, Key, LayerIndex, Library, LibraryError, LsOptions, MemoryStore, RecordReport,
    Recorded, Row, StoreOp,
};
use layerlens::oci::{verify, Compression, Digest, Reference, Timestamp, Verified};

/// `2024-05-01T12:00:00Z`, the "now" of these tests.
pub fn now() -> Timestamp {
    ts("2024-05-01T12:00:00Z")
}

pub fn ts(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

/// `now` minus `secs` seconds, as RFC 3339.
pub fn ago(secs: i64) -> String {
    Timestamp::from_unix(now().seconds() - secs, 0).to_string()
}

pub const MIN: i64 = 60;
pub const HOUR: i64 = 3600;
pub const DAY: i64 = 86_400;
pub const WEEK: i64 = 7 * DAY;

fn verified(bytes: Vec<u8>) -> Verified {
    let d = Digest::sha256(&bytes);
    verify(bytes, &d, None).unwrap()
}

pub fn file(path: &str, size: u64) -> Entry {
    Entry {
        path: path.as_bytes().to_vec(),
        kind: EntryKind::File,
        mode: 0o644,
        uid: 0,
        gid: 0,
        uname: b"root".to_vec(),
        gname: b"root".to_vec(),
        size,
        mtime: 1_700_000_000,
        link_target: None,
        dev_major: 0,
        dev_minor: 0,
        content_sha256: Some([7; 32]),
        offset: 0,
    }
}

pub fn dir(path: &str) -> Entry {
    Entry {
        kind: EntryKind::Directory,
        mode: 0o755,
        size: 0,
        content_sha256: None,
        ..file(path, 0)
    }
}

pub fn symlink(path: &str, target: &str) -> Entry {
    Entry {
        kind: EntryKind::Symlink,
        mode: 0o777,
        size: 0,
        content_sha256: None,
        link_target: Some(target.as_bytes().to_vec()),
        ..file(path, 0)
    }
}

/// A layer whose only content is one file of `size` bytes (so the image
/// size is the sum of its layers' `size`s). `seed` makes the digest.
pub fn layer(seed: &str, size: u64) -> LayerIndex {
    layer_with(seed, vec![dir("data"), file(&format!("data/{seed}"), size)])
}

pub fn layer_with(seed: &str, entries: Vec<Entry>) -> LayerIndex {
    LayerIndex::new(
        Digest::sha256(format!("blob {seed}").as_bytes()),
        Digest::sha256(format!("diff {seed}").as_bytes()),
        1000,
        entries.iter().map(|e| e.size).sum::<u64>() + 10240,
        Compression::Gzip,
        entries,
    )
}

/// An image: its verified manifest and config, and its layers.
#[derive(Clone)]
pub struct Built {
    pub manifest: Verified,
    pub config: Verified,
    pub layers: Vec<LayerIndex>,
}

impl Built {
    /// IMAGE ID: the config digest.
    pub fn id(&self) -> Digest {
        self.config.digest().clone()
    }

    /// The 12-hex short ID Docker prints.
    pub fn short(&self) -> String {
        self.config.digest().hex()[..12].to_owned()
    }

    pub fn manifest_digest(&self) -> Digest {
        self.manifest.digest().clone()
    }
}

/// Builds an image. `created` may be `None` (no `created` field); `salt`
/// makes otherwise-equal configs differ.
pub fn image(
    created: Option<&str>,
    labels: &[(&str, &str)],
    layers: &[&LayerIndex],
    salt: &str,
) -> Built {
    let labels: serde_json::Map<String, serde_json::Value> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v)))
        .collect();
    let mut config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "author": salt,
        "config": {"Labels": labels},
        "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|l| l.diff_id().to_string()).collect::<Vec<_>>()},
    });
    if let Some(c) = created {
        config["created"] = serde_json::Value::from(c);
    }
    let config = verified(serde_json::to_vec(&config).unwrap());
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config.digest().to_string(),
            "size": config.bytes().len(),
        },
        "layers": layers.iter().map(|l| serde_json::json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
            "digest": l.digest().to_string(),
            "size": l.compressed_size(),
        })).collect::<Vec<_>>(),
    });
    let manifest = verified(serde_json::to_vec(&manifest).unwrap());
    Built {
        manifest,
        config,
        layers: layers.iter().map(|l| (*l).clone()).collect(),
    }
}

/// The same image as `b` (same config, same IMAGE ID) under a Docker
/// schema 2 manifest instead of an OCI one: another manifest digest, one
/// image to Docker.
pub fn docker_v2s2(b: &Built) -> Built {
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "digest": b.config.digest().to_string(),
            "size": b.config.bytes().len(),
        },
        "layers": b.layers.iter().map(|l| serde_json::json!({
            "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
            "digest": l.digest().to_string(),
            "size": l.compressed_size(),
        })).collect::<Vec<_>>(),
    });
    Built {
        manifest: verified(serde_json::to_vec(&manifest).unwrap()),
        config: b.config.clone(),
        layers: b.layers.clone(),
    }
}

/// A simple image of one layer of `size` bytes, created `created`.
pub fn simple(salt: &str, created: &str, size: u64) -> Built {
    let l = layer(salt, size);
    image(Some(created), &[], &[&l], salt)
}

/// The recordable form of `b` as asked by `reference` (normalised).
pub fn recorded(reference: &str, b: &Built) -> Recorded {
    let r = Reference::parse_normalized(reference).unwrap();
    let mut rec = Recorded::new(r, b.manifest.clone(), None, b.config.clone()).unwrap();
    for l in &b.layers {
        rec = rec.with_layer(l.clone());
    }
    rec
}

/// Records `b` under `reference` ("docker pull"), at `now()`.
pub fn pull(lib: &mut Library, reference: &str, b: &Built) -> RecordReport {
    lib.record(recorded(reference, b), now()).unwrap()
}

/// An index document listing `manifests`, verified.
pub fn index_of(manifests: &[(&Built, &str)]) -> Verified {
    let doc = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": manifests.iter().map(|(b, arch)| serde_json::json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": b.manifest.digest().to_string(),
            "size": b.manifest.bytes().len(),
            "platform": {"os": "linux", "architecture": arch},
        })).collect::<Vec<_>>(),
    });
    verified(serde_json::to_vec(&doc).unwrap())
}

pub fn ls(lib: &Library, filters: &[&str]) -> Result<Vec<Row>, LibraryError> {
    let opts = LsOptions {
        filters: filters.iter().map(|s| s.to_string()).collect(),
        ..LsOptions::default()
    };
    lib.ls_rows(&opts, now())
}

/// (REPOSITORY, TAG, IMAGE ID) of each row.
pub fn names(rows: &[Row]) -> Vec<(String, String, String)> {
    rows.iter()
        .map(|r| (r.repository.clone(), r.tag.clone(), r.id_text(true)))
        .collect()
}

pub fn row(repo: &str, tag: &str, b: &Built) -> (String, String, String) {
    (repo.to_owned(), tag.to_owned(), b.short())
}

/// Splits tabwriter output into cells (columns are at least 3 spaces apart).
pub fn cells(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|l| {
            l.split("   ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

/// Runs a future that the in-memory store completes immediately.
pub fn now_ready<T>(f: impl std::future::Future<Output = T>) -> T {
    f.now_or_never().expect("the in-memory store never waits")
}

pub fn applied(store: &MemoryStore, ops: &[StoreOp]) {
    now_ready(apply(store, ops)).unwrap();
}

/// Every key the catalogue says is stored is in the store, and nothing else:
/// a record per image, reference and stored layer index, and the content.
pub fn assert_store_matches(lib: &Library, store: &MemoryStore) {
    let mut want: BTreeSet<Key> = BTreeSet::new();
    for (r, _) in lib.tags().chain(lib.digest_refs()) {
        want.insert(Key::Ref(r.clone()));
    }
    for r in lib.images() {
        want.insert(Key::Image(r.manifest().clone()));
        want.insert(Key::Blob(r.manifest().clone()));
        want.insert(Key::Blob(r.id().clone()));
        if let Some(i) = r.index() {
            want.insert(Key::Blob(i.clone()));
        }
        for l in r.layers() {
            if lib.has_layer_index(&l.digest) {
                want.insert(Key::LayerIndex(l.digest.clone()));
                want.insert(Key::LayerInfo(l.digest.clone()));
            }
        }
    }
    let have: BTreeSet<Key> = store.keys().into_iter().collect();
    assert_eq!(have, want);
    assert_eq!(
        now_ready(open(store)).unwrap(),
        *lib,
        "the stored records read back equal"
    );
}
