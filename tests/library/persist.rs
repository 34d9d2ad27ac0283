//! The persistence seam: the records and content round-tripping through
//! the in-memory store, verified on the way back; each change written as a
//! few small records; the whole catalogue of earlier pages migrated on
//! open; what is recorded from the resolve flow; records and catalogues of
//! other versions refused.

use layerlens::layer::LayerIndex;
use layerlens::library::{
    load_image, open, Key, Library, LibraryError, MemoryStore, Recorded, Store, StoreOp,
};
use layerlens::oci::{parse_document, Digest, Reference};
use layerlens_testkit::library::*;

#[test]
fn reopening_reads_everything_back_verified() {
    let mut lib = Library::new();
    let store = MemoryStore::new();
    let l1 = layer_with(
        "l1",
        vec![
            dir("etc"),
            file("etc/hosts", 12),
            symlink("etc/mtab", "/proc/mounts"),
        ],
    );
    let l2 = layer("l2", 99);
    let amd = image(Some(&ago(DAY)), &[("a", "b")], &[&l1, &l2], "amd");
    let index = index_of(&[(&amd, "amd64")]);
    let r = lib
        .record(
            recorded("reg.example/team/app:1", &amd)
                .with_index(index.clone())
                .with_platform("linux/amd64".parse().unwrap()),
            now(),
        )
        .unwrap();
    applied(&store, &r.ops);
    applied(
        &store,
        &lib.mark_opened(&amd.manifest_digest(), ts("2024-05-01T13:00:00Z"))
            .unwrap(),
    );

    let reopened = now_ready(open(&store)).unwrap();
    assert_eq!(reopened, lib);
    let reads_before = store.reads();
    let img = now_ready(load_image(&store, &reopened, &amd.manifest_digest())).unwrap();
    assert_eq!(
        store.reads() - reads_before,
        7,
        "manifest, config, index, two layer indexes and their checkpoints (none here)"
    );
    assert_eq!(img.manifest.0, amd.manifest);
    assert_eq!(img.config.0, amd.config);
    assert_eq!(img.index.as_ref(), Some(&index));
    assert_eq!(
        img.config.1.config().labels().get("a").map(String::as_str),
        Some("b")
    );
    assert_eq!(img.layers.len(), 2);
    assert_eq!(img.layers[0].as_ref().unwrap(), &l1);
    assert_eq!(img.layers[1].as_ref().unwrap(), &l2);
    assert_eq!(img.record.last_opened(), Some(ts("2024-05-01T13:00:00Z")));
    assert_eq!(img.record.platform().unwrap().to_string(), "linux/amd64");
    assert_eq!(img.record.repository().to_string(), "reg.example/team/app");
    // The digest reference names what the tag resolved to: the index.
    let rows = lib
        .ls_rows(
            &layerlens::library::LsOptions {
                digests: true,
                ..Default::default()
            },
            now(),
        )
        .unwrap();
    assert_eq!(rows[0].digest, index.digest().to_string());
    assert_eq!(rows[0].repository, "reg.example/team/app");

    // A layer index altered in storage is reported in its slot only.
    store.tamper(
        &Key::LayerIndex(l2.digest().clone()),
        b"LLIX\x01garbage!".to_vec(),
    );
    let img = now_ready(load_image(&store, &reopened, &amd.manifest_digest())).unwrap();
    assert!(img.layers[0].is_ok());
    assert!(
        img.layers[1].as_ref().unwrap_err().contains("layer/"),
        "{:?}",
        img.layers[1]
    );
    // An altered document is refused: it no longer matches its digest.
    store.tamper(&Key::Blob(amd.id()), b"{}".to_vec());
    let e = now_ready(load_image(&store, &reopened, &amd.manifest_digest())).unwrap_err();
    assert!(matches!(e, LibraryError::Corrupt(_)), "{e}");
    assert!(e.to_string().contains("digest mismatch"), "{e}");
}

#[test]
fn unverified_layers_are_not_stored_and_do_not_count() {
    let mut lib = Library::new();
    let l1 = layer("kept", 10);
    let l2 = layer("skipped", 1_000);
    let b = image(Some(&ago(DAY)), &[], &[&l1, &l2], "partial");
    let rec = Recorded::new(
        Reference::parse_normalized("partial").unwrap(),
        b.manifest.clone(),
        None,
        b.config.clone(),
    )
    .unwrap()
    .with_layer(l1.clone());
    lib.record(rec, now()).unwrap();
    assert!(lib.has_layer_index(l1.digest()));
    assert!(!lib.has_layer_index(l2.digest()));
    assert_eq!(
        lib.summaries(&Default::default(), now()).unwrap()[0].size,
        10
    );
    // A layer index for a layer the manifest does not list is refused.
    let stray = Recorded::new(
        Reference::parse_normalized("partial").unwrap(),
        b.manifest.clone(),
        None,
        b.config.clone(),
    )
    .unwrap()
    .with_layer(layer("stray", 1));
    assert!(matches!(
        lib.record(stray, now()),
        Err(LibraryError::NotRecordable { .. })
    ));
    // The config must be the manifest's.
    let other = simple("other", &ago(DAY), 1);
    assert!(Recorded::new(
        Reference::parse_normalized("x").unwrap(),
        b.manifest.clone(),
        None,
        other.config.clone()
    )
    .is_err());
}

#[test]
fn recording_from_the_resolve_flow() {
    use layerlens::inspect::Image;
    use layerlens::registry::FetchedManifest;
    let b = simple("flow", &ago(DAY), 1);
    let index = index_of(&[(&b, "arm64")]);
    let fetched = |v: &layerlens::oci::Verified| FetchedManifest {
        verified: v.clone(),
        document: parse_document(v, None).unwrap(),
        content_type: None,
    };
    let image = Image {
        reference: Reference::parse_normalized("flow:1").unwrap(),
        digest: index.digest().clone(),
        index: Some(fetched(&index)),
        platforms: Vec::new(),
        other_entries: Vec::new(),
        platform: Some("linux/arm64".parse().unwrap()),
        manifest: fetched(&b.manifest),
        config: Some((
            b.config.clone(),
            layerlens::oci::ImageConfig::parse(&b.config).unwrap(),
        )),
    };
    let rec = Recorded::from_inspect(&image, &[]).unwrap();
    assert_eq!(rec.resolved_digest(), index.digest());
    let mut lib = Library::new();
    lib.record(rec, now()).unwrap();
    let r = lib.image(&b.manifest_digest()).unwrap();
    assert_eq!(r.platform().unwrap().architecture(), "arm64");
    assert_eq!(r.index(), Some(index.digest()));
}

#[test]
fn catalogues_of_other_versions_are_refused() {
    let mut lib = Library::new();
    pull(&mut lib, "a", &simple("a", &ago(1), 1));
    let text = String::from_utf8(lib.to_catalog()).unwrap();
    assert_eq!(Library::from_catalog(text.as_bytes()).unwrap(), lib);
    let v2 = text.replace("\"version\":1", "\"version\":2");
    assert!(Library::from_catalog(v2.as_bytes())
        .unwrap_err()
        .to_string()
        .contains("version 2"));
    assert!(Library::from_catalog(b"{}").is_err());
    let stray = text.replace("\"tags\":{", "\"tags\":{\"docker.io/library/z:1\":\"sha256:0000000000000000000000000000000000000000000000000000000000000000\",");
    assert!(Library::from_catalog(stray.as_bytes())
        .unwrap_err()
        .to_string()
        .contains("unknown image"));
}

#[test]
fn store_keys_round_trip() {
    let d: Digest = Digest::sha256(b"x");
    let r = Reference::parse_normalized("app:1").unwrap();
    let at = r.name_only().with_digest(d.clone());
    for k in [
        Key::Catalog,
        Key::Blob(d.clone()),
        Key::LayerIndex(d.clone()),
        Key::Image(d.clone()),
        Key::LayerInfo(d.clone()),
        Key::Ref(r),
        Key::Ref(at),
    ] {
        assert_eq!(Key::parse(&k.name()), Some(k));
    }
    assert_eq!(
        Key::Ref(Reference::parse_normalized("app:1").unwrap()).name(),
        "ref/docker.io/library/app:1"
    );
    assert_eq!(Key::parse("blob/nope"), None);
    // The trait is object-free and usable generically.
    fn takes_store<S: Store>(_: &S) {}
    takes_store(&MemoryStore::new());
    let _ = LayerIndex::decode(b"");
}

/// Keys of the small records (not content, not the old catalogue).
fn is_record(k: &Key) -> bool {
    matches!(k, Key::Image(_) | Key::Ref(_) | Key::LayerInfo(_))
}

#[test]
fn each_change_writes_a_few_small_records_not_the_catalogue() {
    let mut lib = Library::new();
    let store = MemoryStore::new();
    for i in 0..40 {
        let b = simple(&format!("img{i}"), &ago(DAY + i), 10);
        applied(&store, &pull(&mut lib, &format!("img{i}:v1"), &b).ops);
    }
    let b = simple("last", &ago(HOUR), 10);
    let r = pull(&mut lib, "last:v1", &b);
    let records: Vec<String> = r
        .ops
        .iter()
        .filter(|op| is_record(op.key()))
        .map(|op| op.key().name())
        .collect();
    assert_eq!(
        records,
        vec![
            format!("layerinfo/{}", b.layers[0].digest()),
            format!("image/{}", b.manifest_digest()),
            format!("ref/docker.io/library/last:v1"),
            format!("ref/docker.io/library/last@{}", b.manifest_digest()),
        ],
        "this image's records only, whatever the library holds"
    );
    assert!(r.ops.iter().all(|op| op.key() != &Key::Catalog));
    let record_bytes: usize = r
        .ops
        .iter()
        .filter(|op| is_record(op.key()))
        .map(|op| match op {
            StoreOp::Put { bytes, .. } => bytes.len(),
            StoreOp::Delete { .. } => 0,
        })
        .sum();
    assert!(record_bytes < 2_000, "{record_bytes} bytes of records");
    applied(&store, &r.ops);
    assert_store_matches(&lib, &store);

    // A tag is one record; opening an image rewrites its record only.
    let t = lib.tag("last:v1", "mine:1").unwrap();
    let keys: Vec<String> = t.ops.iter().map(|op| op.key().name()).collect();
    assert_eq!(keys, vec!["ref/docker.io/library/mine:1".to_owned()]);
    applied(&store, &t.ops);
    let m = lib.mark_opened(&b.manifest_digest(), now()).unwrap();
    let keys: Vec<String> = m.iter().map(|op| op.key().name()).collect();
    assert_eq!(keys, vec![format!("image/{}", b.manifest_digest())]);
    applied(&store, &m);
    assert_store_matches(&lib, &store);
}

#[test]
fn a_whole_catalogue_of_an_earlier_page_is_migrated_on_open() {
    // An earlier page's library: content under blob/ and layer/, and the
    // whole catalogue under `catalog`.
    let mut lib = Library::new();
    let store = MemoryStore::new();
    let base = layer("base", 1_000);
    let a = image(Some(&ago(DAY)), &[("team", "a")], &[&base], "a");
    let b = image(Some(&ago(HOUR)), &[], &[&base, &layer("b", 5)], "b");
    let index = index_of(&[(&a, "amd64")]);
    let ra = lib
        .record(recorded("app:1", &a).with_index(index), now())
        .unwrap();
    let rb = pull(&mut lib, "app:1", &b);
    lib.tag("app:1", "mine:local").unwrap();
    lib.mark_opened(&a.manifest_digest(), ts("2024-05-01T13:00:00Z"))
        .unwrap();
    for op in ra.ops.iter().chain(&rb.ops) {
        if let StoreOp::Put { key, bytes } = op {
            if !is_record(key) {
                store.tamper(key, bytes.clone());
            }
        }
    }
    store.tamper(&Key::Catalog, lib.to_catalog());
    assert!(!store.keys().iter().any(is_record));

    // Opening reads it, writes it as records and deletes the old value.
    let opened = now_ready(open(&store)).unwrap();
    assert_eq!(opened, lib);
    assert!(
        !store.keys().contains(&Key::Catalog),
        "the old value is gone"
    );
    assert_store_matches(&lib, &store);
    let img = now_ready(load_image(&store, &opened, &a.manifest_digest())).unwrap();
    assert_eq!(img.record.last_opened(), Some(ts("2024-05-01T13:00:00Z")));
    assert!(img.layers.iter().all(Result::is_ok));
    // A second open finds only records: nothing is written.
    let writes = store.writes();
    assert_eq!(now_ready(open(&store)).unwrap(), lib);
    assert_eq!(store.writes(), writes);

    // An older page that wrote its catalogue again after the migration:
    // what it adds is merged in, the records already there win.
    let mut older = lib.clone();
    let c = simple("c", &ago(2 * DAY), 7);
    let rc = pull(&mut older, "other:1", &c);
    for op in &rc.ops {
        if let StoreOp::Put { key, bytes } = op {
            if !is_record(key) {
                store.tamper(key, bytes.clone());
            }
        }
    }
    store.tamper(&Key::Catalog, older.to_catalog());
    let merged = now_ready(open(&store)).unwrap();
    assert_eq!(merged, older);
    assert_store_matches(&older, &store);

    // A catalogue this page cannot read is left as it is, and so is the
    // library: open fails (the page then keeps the library in the tab).
    let v9 = String::from_utf8(lib.to_catalog())
        .unwrap()
        .replace("\"version\":1", "\"version\":9");
    store.tamper(&Key::Catalog, v9.clone().into_bytes());
    let writes = store.writes();
    assert!(now_ready(open(&store))
        .unwrap_err()
        .to_string()
        .contains("version 9"));
    assert_eq!(store.writes(), writes);
}

#[test]
fn image_records_of_other_versions_are_refused() {
    let mut lib = Library::new();
    let store = MemoryStore::new();
    let a = simple("a", &ago(1), 1);
    applied(&store, &pull(&mut lib, "a", &a).ops);
    let key = Key::Image(a.manifest_digest());
    let text = String::from_utf8(now_ready(store.get(&key)).unwrap().unwrap()).unwrap();
    assert!(text.starts_with("{\"version\":1,"), "{text}");
    store.tamper(
        &key,
        text.replace("\"version\":1", "\"version\":2").into_bytes(),
    );
    let e = now_ready(open(&store)).unwrap_err();
    assert!(e.to_string().contains("version 2"), "{e}");
    // A reference to an image without a record names nothing: ignored.
    store.tamper(&key, text.into_bytes());
    let stray = Reference::parse_normalized("z:1").unwrap();
    store.tamper(
        &Key::Ref(stray),
        Digest::sha256(b"none").to_string().into_bytes(),
    );
    assert_eq!(now_ready(open(&store)).unwrap(), lib);
}
