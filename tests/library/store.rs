//! The library's store model: recording, tagging, `rm` and `prune` with
//! Docker's rules (docker/cli `image_rm.md`, `image_prune.md`; moby
//! `image_delete.go`), layer indexes shared and freed, and the persistence
//! seam round-tripping through the in-memory store.

use std::collections::BTreeSet;

use layerlens::library::{Key, Library, LibraryError, MemoryStore};
use layerlens::oci::Reference;
use layerlens_testkit::library::*;

#[test]
fn shared_layers_are_stored_once_and_freed_last() {
    let base = layer("base", 5_000_000);
    let x1 = layer("x1", 1_000);
    let y1 = layer("y1", 2_000);
    let x = image(Some(&ago(DAY)), &[], &[&base, &x1], "x");
    let y = image(Some(&ago(HOUR)), &[], &[&base, &y1], "y");
    let mut lib = Library::new();
    let store = MemoryStore::new();

    let rx = pull(&mut lib, "x:latest", &x);
    assert_eq!(
        rx.stored_layers,
        vec![base.digest().clone(), x1.digest().clone()]
    );
    applied(&store, &rx.ops);
    let ry = pull(&mut lib, "y:latest", &y);
    assert_eq!(
        ry.stored_layers,
        vec![y1.digest().clone()],
        "the base layer is not stored twice"
    );
    applied(&store, &ry.ops);
    assert_store_matches(&lib, &store);
    // Sizes: each image counts its own layers (the shared one in both).
    let sizes: Vec<u64> = lib
        .summaries(&Default::default(), now())
        .unwrap()
        .iter()
        .map(|s| s.size)
        .collect();
    assert_eq!(sizes, vec![5_002_000, 5_001_000]);

    let removal = lib.rm("x", false).unwrap();
    assert_eq!(
        removal.lines(),
        vec![
            "Untagged: x:latest".to_owned(),
            format!("Untagged: x@{}", x.manifest_digest()),
            format!("Deleted: {}", x.id()),
        ]
    );
    assert_eq!(removal.freed_layers, vec![x1.digest().clone()]);
    assert_eq!(removal.kept_layers.len(), 1);
    assert_eq!(&removal.kept_layers[0].digest, base.digest());
    assert_eq!(removal.kept_layers[0].used_by, vec![y.id()]);
    assert_eq!(
        removal.freed_blobs.iter().collect::<BTreeSet<_>>(),
        BTreeSet::from([&x.manifest_digest(), &x.id()])
    );
    assert_eq!(removal.reclaimed_content, 1_000);
    assert!(removal.reclaimed_storage > 0);
    // Small records only, never a whole catalogue; records go before the
    // content they point at.
    assert!(removal.ops.iter().all(|op| op.key() != &Key::Catalog));
    let first_content = removal
        .ops
        .iter()
        .position(|op| matches!(op.key(), Key::Blob(_) | Key::LayerIndex(_) | Key::Seek(_)))
        .unwrap();
    assert!(removal.ops[first_content..]
        .iter()
        .all(|op| matches!(op.key(), Key::Blob(_) | Key::LayerIndex(_) | Key::Seek(_))));
    applied(&store, &removal.ops);
    assert_store_matches(&lib, &store);

    let removal = lib.rm(&y.short(), false).unwrap();
    assert_eq!(
        removal.freed_layers.iter().collect::<BTreeSet<_>>(),
        BTreeSet::from([base.digest(), y1.digest()])
    );
    assert!(removal.kept_layers.is_empty());
    assert_eq!(removal.reclaimed_content, 5_002_000);
    applied(&store, &removal.ops);
    assert_store_matches(&lib, &store);
    assert_eq!(store.keys(), vec![]);
}

#[test]
fn rm_by_id_with_several_repositories_must_be_forced() {
    // image_rm.md: test1, test, test2 all name fd484f19954f.
    let mut lib = Library::new();
    let img = simple("test", &ago(23), 7);
    pull(&mut lib, "test:latest", &img);
    lib.tag("test:latest", "test1:latest").unwrap();
    lib.tag(&img.short(), "test2").unwrap();
    let rows = lib.ls_rows(&Default::default(), now()).unwrap();
    assert_eq!(rows.len(), 3, "one image, three names");
    assert!(
        rows.iter().all(|r| r.id == img.id()),
        "tagging does not make a new image"
    );
    assert_eq!(lib.images().count(), 1);

    let e = lib.rm(&img.short(), false).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("conflict: unable to delete {} (must be forced) - image is referenced in multiple repositories", img.short())
    );
    assert_eq!(
        lib.ls_rows(&Default::default(), now()).unwrap().len(),
        3,
        "nothing changed"
    );

    assert_eq!(
        lib.rm("test1:latest", false).unwrap().lines(),
        vec!["Untagged: test1:latest"]
    );
    assert_eq!(
        lib.rm("test2:latest", false).unwrap().lines(),
        vec!["Untagged: test2:latest"]
    );
    // The last tag of `test` takes the repository's digest reference along,
    // and the image goes with its last reference.
    assert_eq!(
        lib.rm("test:latest", false).unwrap().lines(),
        vec![
            "Untagged: test:latest".to_owned(),
            format!("Untagged: test@{}", img.manifest_digest()),
            format!("Deleted: {}", img.id()),
        ]
    );
    assert_eq!(lib.images().count(), 0);
}

#[test]
fn rm_by_id_with_force_untags_everything() {
    let mut lib = Library::new();
    let img = simple("test", &ago(23), 7);
    pull(&mut lib, "test:latest", &img);
    lib.tag("test", "test1").unwrap();
    lib.tag("test", "test2").unwrap();
    let removal = lib.rm(&img.id().to_string(), true).unwrap();
    let untagged: BTreeSet<&str> = removal.untagged().collect();
    let digest_ref = format!("test@{}", img.manifest_digest());
    assert_eq!(
        untagged,
        BTreeSet::from([
            "test1:latest",
            "test2:latest",
            "test:latest",
            digest_ref.as_str()
        ])
    );
    assert_eq!(
        removal.lines().last().unwrap(),
        &format!("Deleted: {}", img.id())
    );
    assert_eq!(lib.images().count(), 0);
}

#[test]
fn rm_by_id_of_one_repository_needs_no_force() {
    // One tag and the digest reference of the same repository: a "single
    // reference" in Docker's terms.
    let mut lib = Library::new();
    let img = simple("one", &ago(MIN), 1);
    pull(&mut lib, "one:1", &img);
    let removal = lib.rm(&img.id().hex()[..5], false).unwrap();
    assert_eq!(removal.untagged().count(), 2);
    assert_eq!(removal.deleted().collect::<Vec<_>>(), vec![&img.id()]);
    // Two tags of one repository are not: Docker refuses (with its
    // "multiple repositories" wording).
    pull(&mut lib, "two:a", &img);
    lib.tag("two:a", "two:b").unwrap();
    assert!(matches!(
        lib.rm(&img.short(), false),
        Err(LibraryError::Conflict { hard: false, .. })
    ));
}

#[test]
fn rm_by_digest_and_not_found() {
    // image_rm.md: "To remove an image using its digest".
    let mut lib = Library::new();
    let img = simple("busybox", &ago(9 * WEEK), 2_430_000);
    let name = format!("localhost:5000/test/busybox@{}", img.manifest_digest());
    pull(&mut lib, &name, &img);
    assert_eq!(
        lib.rm(&name, false).unwrap().lines(),
        vec![
            format!("Untagged: {name}"),
            format!("Deleted: {}", img.id())
        ]
    );
    assert_eq!(
        lib.rm("nope", false).unwrap_err().to_string(),
        "No such image: nope:latest"
    );
    assert_eq!(
        lib.rm("localhost:5000/x:1", false).unwrap_err().to_string(),
        "No such image: localhost:5000/x:1"
    );
    assert!(matches!(
        lib.rm("UPPER", false),
        Err(LibraryError::Reference { .. })
    ));
}

#[test]
fn an_ambiguous_id_prefix_is_refused() {
    let mut lib = Library::new();
    let mut seen: std::collections::BTreeMap<char, Built> = Default::default();
    let mut pair = None;
    for i in 0..17 {
        let b = simple(&format!("img{i}"), &ago(i), 1);
        pull(&mut lib, &format!("img{i}"), &b);
        let c = b.short().chars().next().unwrap();
        if seen.contains_key(&c) {
            pair = Some(c);
        }
        seen.insert(c, b);
    }
    let c = pair.expect("17 IDs share a first hex digit");
    assert!(matches!(
        lib.rm(&c.to_string(), false),
        Err(LibraryError::Ambiguous { count: 2.., .. })
    ));
}

#[test]
fn tags_move_and_never_take_a_digest() {
    let mut lib = Library::new();
    let a = simple("a", &ago(DAY), 1);
    let b = simple("b", &ago(HOUR), 1);
    pull(&mut lib, "a:1", &a);
    pull(&mut lib, "b:1", &b);
    let r = lib.tag("b:1", "a:1").unwrap();
    assert_eq!(
        r.moved,
        vec![(
            Reference::parse_normalized("a:1").unwrap(),
            a.manifest_digest()
        )]
    );
    assert_eq!(
        lib.tag_target(&Reference::parse_normalized("a:1").unwrap()),
        Some(&b.manifest_digest())
    );
    assert_eq!(
        lib.tag("b:1", &format!("c@{}", b.manifest_digest()))
            .unwrap_err(),
        LibraryError::TagWithDigest
    );
    assert!(matches!(
        lib.tag("b:1", "Bad Name"),
        Err(LibraryError::Reference { .. })
    ));
    assert_eq!(
        lib.tag("zzz", "c").unwrap_err().to_string(),
        "No such image: zzz:latest"
    );
}

#[test]
fn prune_dangling_then_all_but_what_is_in_use() {
    let mut lib = Library::new();
    let store = MemoryStore::new();
    let shared = layer("shared", 100);
    let old = image(
        Some(&ago(3 * DAY)),
        &[],
        &[&shared, &layer("old", 10)],
        "old",
    );
    let new = image(Some(&ago(DAY)), &[], &[&shared, &layer("new", 20)], "new");
    let other = image(
        Some(&ago(HOUR)),
        &[("keep", "yes")],
        &[&layer("other", 30)],
        "other",
    );
    for (name, b) in [
        ("app:latest", &old),
        ("app:latest", &new),
        ("other:1", &other),
    ] {
        let r = pull(&mut lib, name, b);
        applied(&store, &r.ops);
    }
    // prune: only the image the tag moved away from.
    let removal = lib.prune(false, &[], now()).unwrap();
    assert_eq!(
        removal.lines(),
        vec![
            format!("Untagged: app@{}", old.manifest_digest()),
            format!("Deleted: {}", old.id())
        ]
    );
    assert_eq!(
        removal.freed_layers,
        vec![layer("old", 10).digest().clone()]
    );
    assert_eq!(removal.kept_layers[0].digest, *shared.digest());
    applied(&store, &removal.ops);
    assert_store_matches(&lib, &store);
    // Nothing dangling left.
    assert!(lib.prune(false, &[], now()).unwrap().events.is_empty());

    // prune --all keeps what is open (here: by manifest digest).
    let removal = lib.prune(true, &[other.manifest_digest()], now()).unwrap();
    assert_eq!(removal.deleted().collect::<Vec<_>>(), vec![&new.id()]);
    applied(&store, &removal.ops);
    assert_store_matches(&lib, &store);
    assert_eq!(lib.images().count(), 1);
    // In use by config digest too.
    assert!(lib
        .prune(true, &[other.id()], now())
        .unwrap()
        .events
        .is_empty());
    // Filters: label!=keep spares it; until=2h spares an image 1 hour old.
    let f = layerlens::library::Filters::parse(["dangling=false", "label!=keep"]).unwrap();
    assert!(lib.prune_with(&f, &[], now()).unwrap().events.is_empty());
    let f = layerlens::library::Filters::parse(["dangling=false", "until=2h"]).unwrap();
    assert!(lib.prune_with(&f, &[], now()).unwrap().events.is_empty());
    let f = layerlens::library::Filters::parse(["dangling=false", "until=30m"]).unwrap();
    assert_eq!(lib.prune_with(&f, &[], now()).unwrap().deleted().count(), 1);
    let f = layerlens::library::Filters::parse(["reference=x"]).unwrap();
    assert_eq!(
        lib.prune_with(&f, &[], now()).unwrap_err().to_string(),
        "invalid filter 'reference'"
    );
}

#[test]
fn a_platform_switch_leaves_a_none_none_image_that_prune_removes() {
    let mut lib = Library::new();
    let amd = simple("amd", &ago(DAY), 1);
    let arm = simple("arm", &ago(DAY), 2);
    let index = index_of(&[(&amd, "amd64"), (&arm, "arm64")]);
    lib.record(recorded("multi", &amd).with_index(index.clone()), now())
        .unwrap();
    lib.record(recorded("multi", &arm).with_index(index.clone()), now())
        .unwrap();
    let rows = lib.ls_rows(&Default::default(), now()).unwrap();
    let dangling: Vec<_> = rows.iter().filter(|r| r.repository == "<none>").collect();
    assert_eq!(dangling.len(), 1);
    assert_eq!(dangling[0].id, amd.id());
    let removal = lib.prune(false, &[], now()).unwrap();
    assert_eq!(removal.lines(), vec![format!("Deleted: {}", amd.id())]);
    // The index stays: the remaining image still uses it.
    assert!(!removal.freed_blobs.contains(index.digest()));
}
