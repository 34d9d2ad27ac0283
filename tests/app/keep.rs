//! "Keep layers for offline file viewing", natively: the setting's messages
//! and the effects `update()` asks of the shell (`web/blobs.rs` stores the
//! blobs in the Cache API; tests/browser/library.rs runs it in Chromium). The
//! registry is the in-memory one of tests/support/app, the store a
//! [`MemoryStore`] standing in for IndexedDB.

use layerlens::app::library::keep::{blob_key, key_digest};
use layerlens::app::library::{KeepEffect, KeepOutcome, LibraryEffect, LibraryMsg};
use layerlens::app::views;
use layerlens::app::{Effect, Msg};
use layerlens::library::MemoryStore;
use layerlens::oci::{Digest, Timestamp};
use layerlens_testkit::app::*;

fn lib(page: &mut Page, m: LibraryMsg) {
    page.send(Msg::Library(m));
}

fn page() -> Page {
    page_on(demo_registry())
}

fn page_on(reg: MemRegistry) -> Page {
    let mut page = Page::new(reg);
    page.store = MemoryStore::new();
    page.now = Timestamp::parse_rfc3339("2024-05-03T12:00:00Z").unwrap();
    page.send(Msg::Started {
        query: String::new(),
        page_url: "http://127.0.0.1:8080/".to_owned(),
    });
    page
}

/// The keep effects asked since the last call (and forgets them).
fn keep_effects(page: &mut Page) -> Vec<KeepEffect> {
    page.effects
        .drain(..)
        .filter_map(|e| match e {
            Effect::Library(LibraryEffect::Keep(k)) => Some(k),
            _ => None,
        })
        .collect()
}

/// An image's layer digests, from the manifest the registry serves.
fn demo_layers(reg: &MemRegistry, repo: &str, image: &TestImage) -> Vec<Digest> {
    layer_sizes(reg, repo, image)
        .into_iter()
        .map(|(d, _)| d)
        .collect()
}

/// An image's layers with their sizes, from the manifest's JSON.
fn layer_sizes(reg: &MemRegistry, repo: &str, image: &TestImage) -> Vec<(Digest, u64)> {
    let (manifest, _) = image.manifest(reg, repo);
    let v: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    v["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["digest"].as_str().unwrap().parse().unwrap(),
                l["size"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn the_page_reads_the_setting_at_start_and_it_is_off_by_default() {
    let mut page = page();
    assert!(matches!(keep_effects(&mut page)[..], [KeepEffect::Read]));
    assert!(!page.state.library.keep.on);
    lib(
        &mut page,
        LibraryMsg::KeepRead {
            on: true,
            kept: Ok(vec![Digest::sha256(b"a")]),
        },
    );
    assert!(page.state.library.keep.on);
    // The library is empty: no image uses that blob, so it is dropped.
    let fx = keep_effects(&mut page);
    assert!(
        matches!(&fx[..], [KeepEffect::Drop(d)] if d == &vec![Digest::sha256(b"a")]),
        "{fx:?}"
    );
    assert!(page.state.library.keep.kept.is_empty());
}

#[test]
fn recording_with_the_setting_off_keeps_nothing() {
    let mut page = page();
    keep_effects(&mut page);
    page.submit(&format!("{HOST}/demo:v1"));
    assert_eq!(page.state.library.catalog.images().count(), 1);
    assert!(keep_effects(&mut page).is_empty());
    lib(&mut page, LibraryMsg::ShowPage);
    let v = views::library(&page.state).unwrap();
    assert!(!v.keep);
    assert_eq!(v.kept, None);
    // Nothing kept: rm frees layer indexes but asks to drop no blob.
    lib(&mut page, LibraryMsg::Remove(format!("{HOST}/demo:v1")));
    assert_eq!(page.state.library.catalog.images().count(), 0);
    assert!(keep_effects(&mut page).is_empty());
}

#[test]
fn recording_with_the_setting_on_asks_to_keep_each_verified_layer() {
    let reg = demo_registry();
    let layers = demo_layers(&reg, "demo", &demo_image());
    assert_eq!(layers.len(), 3);
    let mut page = page_on(reg);
    keep_effects(&mut page);
    lib(&mut page, LibraryMsg::KeepToggled(true));
    let fx = keep_effects(&mut page);
    assert!(matches!(fx[..], [KeepEffect::Save(true)]), "{fx:?}");

    page.submit(&format!("{HOST}/demo:v1"));
    let fx = keep_effects(&mut page);
    let [KeepEffect::Keep(task)] = &fx[..] else {
        panic!("one keep task expected: {fx:?}");
    };
    let asked: Vec<Digest> = task.layers.iter().map(|l| l.digest.clone()).collect();
    assert_eq!(asked, layers);
    let sizes: Vec<u64> = task.layers.iter().map(|l| l.size).collect();
    let expected: Vec<u64> = layer_sizes(&page.registry, "demo", &demo_image())
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    assert_eq!(sizes, expected);
    assert_eq!(task.reference.to_string(), format!("{HOST}/demo:v1"));
    assert_eq!(task.proxy_base, page.state.proxy_base);

    // Done: two kept, one skipped for the quota — said in words.
    for d in &layers[..2] {
        lib(
            &mut page,
            LibraryMsg::KeepDone {
                digest: d.clone(),
                outcome: KeepOutcome::Kept,
            },
        );
    }
    lib(
        &mut page,
        LibraryMsg::KeepDone {
            digest: layers[2].clone(),
            outcome: KeepOutcome::Skipped {
                usage: 900_000,
                quota: 1_000_000,
            },
        },
    );
    lib(&mut page, LibraryMsg::ShowPage);
    let v = views::library(&page.state).unwrap();
    assert!(v.keep);
    let kept_bytes = layerlens::dockerfmt::human::human_size_decimal(expected[0] + expected[1]);
    assert_eq!(
        v.kept.as_deref(),
        Some(&*format!(
            "Kept for offline file viewing (Cache API): 2 layers, {kept_bytes}."
        ))
    );
    assert_eq!(v.keep_notes.len(), 1, "{:?}", v.keep_notes);
    assert!(
        v.keep_notes[0].starts_with(&format!("Layer sha256:{}", &layers[2].hex()[..12])),
        "{}",
        v.keep_notes[0]
    );
    assert!(
        v.keep_notes[0].ends_with(&format!(
            "was not kept: this site already uses {} of the {} the browser allows, \
             and keeping it would pass 80 % of that.",
            layerlens::dockerfmt::human::human_size_decimal(900_000),
            layerlens::dockerfmt::human::human_size_decimal(1_000_000)
        )),
        "{}",
        v.keep_notes[0]
    );

    // The same image again: only the layer not kept is asked for.
    page.submit(&format!("{HOST}/demo:v1"));
    let fx = keep_effects(&mut page);
    let [KeepEffect::Keep(task)] = &fx[..] else {
        panic!("one keep task expected: {fx:?}");
    };
    let asked: Vec<Digest> = task.layers.iter().map(|l| l.digest.clone()).collect();
    assert_eq!(asked, vec![layers[2].clone()]);
}

#[test]
fn a_quota_error_is_reported_in_words() {
    let reg = demo_registry();
    let layers = demo_layers(&reg, "demo", &demo_image());
    let mut page = page_on(reg);
    lib(&mut page, LibraryMsg::KeepToggled(true));
    page.submit(&format!("{HOST}/demo:v1"));
    lib(
        &mut page,
        LibraryMsg::KeepDone {
            digest: layers[0].clone(),
            outcome: KeepOutcome::QuotaExceeded,
        },
    );
    lib(
        &mut page,
        LibraryMsg::KeepDone {
            digest: layers[1].clone(),
            outcome: KeepOutcome::Failed("it could not be fetched: offline".into()),
        },
    );
    lib(&mut page, LibraryMsg::ShowPage);
    let v = views::library(&page.state).unwrap();
    assert_eq!(v.keep_notes.len(), 2);
    assert!(
        v.keep_notes[0].contains("QuotaExceededError"),
        "{}",
        v.keep_notes[0]
    );
    assert!(
        v.keep_notes[1].ends_with("was not kept: it could not be fetched: offline"),
        "{}",
        v.keep_notes[1]
    );
    assert!(page.state.library.keep.kept.is_empty());
}

#[test]
fn rm_and_prune_drop_exactly_the_freed_layers() {
    let reg = demo_registry();
    // demo2 shares demo's first layer.
    let base = demo_image().layers.remove(0);
    let mut demo2 = TestImage::new().layer("ADD extra /", &[Member::file(b"x", b"xyz")]);
    demo2.layers.insert(0, base);
    reg.push("demo2", Some("v1"), &demo2);
    let demo = demo_layers(&reg, "demo", &demo_image());
    let two = demo_layers(&reg, "demo2", &demo2);
    assert_eq!(two[0], demo[0]);
    let mut page = page_on(reg);
    lib(&mut page, LibraryMsg::KeepToggled(true));
    page.submit(&format!("{HOST}/demo:v1"));
    page.submit(&format!("{HOST}/demo2:v1"));
    for d in demo.iter().chain(&two[1..]) {
        lib(
            &mut page,
            LibraryMsg::KeepDone {
                digest: d.clone(),
                outcome: KeepOutcome::Kept,
            },
        );
    }
    assert_eq!(page.state.library.keep.kept.len(), 4);
    keep_effects(&mut page);

    // rm demo2: its own layer is freed, the shared one stays.
    lib(&mut page, LibraryMsg::Remove(format!("{HOST}/demo2:v1")));
    let fx = keep_effects(&mut page);
    let [KeepEffect::Drop(dropped)] = &fx[..] else {
        panic!("one drop expected: {fx:?}");
    };
    assert_eq!(dropped, &vec![two[1].clone()]);
    assert!(page.state.library.keep.kept.contains(&demo[0]));
    assert!(!page.state.library.keep.kept.contains(&two[1]));

    // A tag-only rm frees nothing: nothing is dropped.
    lib(
        &mut page,
        LibraryMsg::Tag {
            source: format!("{HOST}/demo:v1"),
            target: "mine/demo:local".into(),
        },
    );
    lib(&mut page, LibraryMsg::Remove("mine/demo:local".into()));
    assert!(keep_effects(&mut page).is_empty());

    // prune --all with nothing on screen: demo's three layers are dropped.
    page.state.current = None;
    page.state.library.opened.clear();
    lib(&mut page, LibraryMsg::Prune { all: true });
    let fx = keep_effects(&mut page);
    let [KeepEffect::Drop(dropped)] = &fx[..] else {
        panic!("one drop expected: {fx:?}");
    };
    let mut dropped = dropped.clone();
    dropped.sort();
    let mut expected = demo.clone();
    expected.sort();
    assert_eq!(dropped, expected);
    assert!(page.state.library.keep.kept.is_empty());
}

#[test]
fn turning_the_setting_off_deletes_every_kept_layer() {
    let mut page = page();
    lib(
        &mut page,
        LibraryMsg::KeepRead {
            on: true,
            kept: Ok(vec![Digest::sha256(b"a"), Digest::sha256(b"b")]),
        },
    );
    keep_effects(&mut page);
    lib(&mut page, LibraryMsg::KeepToggled(false));
    let fx = keep_effects(&mut page);
    assert!(
        matches!(fx[..], [KeepEffect::Save(false), KeepEffect::DropAll]),
        "{fx:?}"
    );
    assert!(page.state.library.keep.kept.is_empty());
    // A keep that finishes after the setting went off is not counted.
    lib(
        &mut page,
        LibraryMsg::KeepDone {
            digest: Digest::sha256(b"c"),
            outcome: KeepOutcome::Kept,
        },
    );
    assert!(page.state.library.keep.kept.is_empty());
    // Off again: nothing asked.
    lib(&mut page, LibraryMsg::KeepToggled(false));
    assert!(keep_effects(&mut page).is_empty());
}

#[test]
fn blob_keys_are_content_addressed_and_round_trip() {
    let d = Digest::sha256(b"layer bytes");
    let key = blob_key(&d);
    assert_eq!(
        key,
        format!("https://layerlens.invalid/blobs/sha256/{}", d.hex())
    );
    assert_eq!(key_digest(&key), Some(d));
    assert_eq!(
        key_digest("https://layerlens.invalid/blobs/sha256/zz"),
        None
    );
    assert_eq!(key_digest("https://example.com/blobs/sha256/ab"), None);
}

#[test]
fn turning_the_setting_on_keeps_the_recorded_image_on_screen() {
    let reg = demo_registry();
    let layers = demo_layers(&reg, "demo", &demo_image());
    let mut page = page_on(reg);
    page.submit(&format!("{HOST}/demo:v1"));
    keep_effects(&mut page);
    lib(&mut page, LibraryMsg::KeepToggled(true));
    let fx = keep_effects(&mut page);
    let [KeepEffect::Save(true), KeepEffect::Keep(task)] = &fx[..] else {
        panic!("save and keep expected: {fx:?}");
    };
    let asked: Vec<Digest> = task.layers.iter().map(|l| l.digest.clone()).collect();
    assert_eq!(asked, layers);
    assert_eq!(page.state.library.keep.keeping.len(), 3);
}

#[test]
fn a_load_recorded_before_the_setting_was_read_is_kept_once_it_is() {
    let reg = demo_registry();
    let layers = demo_layers(&reg, "demo", &demo_image());
    let mut page = page_on(reg);
    page.submit(&format!("{HOST}/demo:v1"));
    keep_effects(&mut page);
    lib(
        &mut page,
        LibraryMsg::KeepRead {
            on: true,
            kept: Ok(vec![layers[0].clone()]),
        },
    );
    let fx = keep_effects(&mut page);
    let [KeepEffect::Keep(task)] = &fx[..] else {
        panic!("one keep task expected: {fx:?}");
    };
    let asked: Vec<Digest> = task.layers.iter().map(|l| l.digest.clone()).collect();
    assert_eq!(asked, layers[1..].to_vec());
    // Read with the setting off: nothing.
    let mut page = page_on(demo_registry());
    page.submit(&format!("{HOST}/demo:v1"));
    keep_effects(&mut page);
    lib(
        &mut page,
        LibraryMsg::KeepRead {
            on: false,
            kept: Ok(Vec::new()),
        },
    );
    assert!(keep_effects(&mut page).is_empty());
}

#[test]
fn kept_blobs_no_image_uses_are_dropped_once_both_are_read() {
    let reg = demo_registry();
    let layers = demo_layers(&reg, "demo", &demo_image());
    let mut first = page_on(reg.clone());
    first.submit(&format!("{HOST}/demo:v1"));
    let store = std::mem::take(&mut first.store);
    // A new page on the same store; the kept blobs: the demo's first layer
    // and one no image uses.
    let mut page = Page::new(reg);
    page.store = store;
    page.send(Msg::Started {
        query: String::new(),
        page_url: "http://127.0.0.1:8080/".to_owned(),
    });
    assert!(keep_effects(&mut page)
        .iter()
        .all(|e| matches!(e, KeepEffect::Read)));
    let stray = Digest::sha256(b"stray");
    lib(
        &mut page,
        LibraryMsg::KeepRead {
            on: true,
            kept: Ok(vec![layers[0].clone(), stray.clone()]),
        },
    );
    let fx = keep_effects(&mut page);
    let [KeepEffect::Drop(dropped)] = &fx[..] else {
        panic!("one drop expected: {fx:?}");
    };
    assert_eq!(dropped, &vec![stray]);
    assert_eq!(
        page.state.library.keep.kept.iter().collect::<Vec<_>>(),
        vec![&layers[0]]
    );
}
