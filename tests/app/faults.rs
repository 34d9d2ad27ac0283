//! A layer whose stream broke, in the page's core driven without a browser: dropped once,
//! it is asked again from the byte it broke at and verified and kept as any other; dropped
//! again, it is shown as a problem, never as verified, and the library keeps no record of it
//! (no index, no summary, no checkpoints) nor of the image. The file viewer, which streams
//! the layer again, resumes the same way.

use layerlens::app::views::{self, FileContentView, LayerStatus};
use layerlens::app::{Msg, Phase};
use layerlens::library::Key;
use layerlens::oci::Digest;
use layerlens_testkit::app::*;
use layerlens_testkit::rng::Rng;

/// Where the test registry drops the connection.
const AFTER: usize = 70_000;

/// Two layers; the second holds 200 KB that do not compress, so a drop falls mid-blob.
fn image() -> TestImage {
    let noise = Rng(0xfa17).noise(200_000);
    TestImage::new()
        .layer("base", &[Member::file(b"etc/base", b"base\n")])
        .layer("ADD noise /", &[Member::file(b"var/noise.bin", &noise)])
}

/// A page that loaded `faults:v1` from a registry whose second layer drops `times` times;
/// the two layer digests.
fn load(times: usize) -> (Page, Vec<Digest>) {
    let registry = MemRegistry::new();
    registry.push("faults", Some("v1"), &image());
    let (_, digests) = image().manifest(&registry, "faults");
    registry.drop_blob(&digests[1], AFTER, times);
    let mut page = Page::new(registry);
    page.submit(&format!("{HOST}/faults:v1"));
    assert_eq!(page.state.phase, Phase::Ready);
    let digests = digests.iter().map(|d| d.parse().unwrap()).collect();
    (page, digests)
}

/// The library's keys about layer `digest`.
fn records(page: &Page, digest: &Digest) -> Vec<Key> {
    page.store
        .keys()
        .into_iter()
        .filter(|k| match k {
            Key::LayerIndex(d) | Key::LayerInfo(d) | Key::Seek(d) => d == digest,
            _ => false,
        })
        .collect()
}

#[test]
fn a_layer_dropped_once_is_resumed_verified_and_kept() {
    let (page, digests) = load(1);
    assert_eq!(
        page.layer_statuses(),
        [LayerStatus::Verified, LayerStatus::Verified]
    );
    let blob = format!("/blobs/{}", digests[1]);
    let asked = page
        .registry
        .requests
        .borrow()
        .iter()
        .filter(|u| u.ends_with(&blob))
        .count();
    assert_eq!(asked, 2, "the first answer and one resume");
    assert!(records(&page, &digests[1]).contains(&Key::LayerIndex(digests[1].clone())));
}

#[test]
fn a_layer_whose_stream_failed_is_never_verified_nor_recorded() {
    let (page, digests) = load(2);
    let statuses = page.layer_statuses();
    assert_eq!(statuses[0], LayerStatus::Verified);
    let LayerStatus::Problem(why) = &statuses[1] else {
        panic!("{statuses:?}");
    };
    assert!(why.contains("dropped again"), "{why}");
    assert!(why.contains(&digests[1].to_string()), "{why}");
    assert_eq!(records(&page, &digests[1]), [], "no half-written record");
    // An image with a layer that did not verify is not kept at all, and the page says so.
    assert_eq!(records(&page, &digests[0]), []);
    assert!(
        !page.store.keys().iter().any(|k| matches!(k, Key::Image(_))),
        "{:?}",
        page.store.keys()
    );
    assert_eq!(
        page.state.library.store_error.as_deref(),
        Some("Not kept in the library: layer 1 did not verify.")
    );
}

/// The file viewer's view of `path` of the loaded image, once `drops` answers for the
/// second layer break off while it streams that layer again.
fn viewed(drops: usize) -> (FileContentView, Digest) {
    let (mut page, digests) = load(0);
    page.registry
        .drop_blob(&digests[1].to_string(), AFTER, drops);
    page.send(Msg::RouteChanged {
        query: format!("?image={HOST}/faults:v1&path=/var/noise.bin"),
    });
    (
        views::file_content(&page.state).expect("a selection"),
        digests[1].clone(),
    )
}

#[test]
fn the_file_viewer_resumes_a_dropped_layer_once() {
    let (view, _) = viewed(1);
    assert_eq!(view.verified, Some(true), "{view:?}");
    assert_eq!(view.error, None);

    let (view, digest) = viewed(2);
    assert_ne!(view.verified, Some(true), "{view:?}");
    let error = view.error.unwrap_or_default();
    assert!(error.contains("dropped again"), "{error}");
    assert!(error.contains(&digest.to_string()), "{error}");
}
