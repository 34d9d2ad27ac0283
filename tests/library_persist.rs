//! The persistence seam: the catalogue and content round-tripping through
//! the in-memory store, verified on the way back; what is recorded from the
//! resolve flow; catalogues of other versions refused.

#[path = "support/library.rs"]
mod lib_support;

use layerlens::layer::LayerIndex;
use layerlens::library::{
    load_image, open, Key, Library, LibraryError, MemoryStore, Recorded, Store,
};
use layerlens::oci::{parse_document, Digest, Reference};
use lib_support::*;

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
        5,
        "manifest, config, index, two layer indexes"
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
    for k in [Key::Catalog, Key::Blob(d.clone()), Key::LayerIndex(d)] {
        assert_eq!(Key::parse(&k.name()), Some(k));
    }
    assert_eq!(Key::parse("blob/nope"), None);
    // The trait is object-free and usable generically.
    fn takes_store<S: Store>(_: &S) {}
    takes_store(&MemoryStore::new());
    let _ = LayerIndex::decode(b"");
}
