//! Layers listed from their tables of contents on the page: an eStargz
//! layer is listed from a few `Range` requests (not downloaded), says so in
//! the verification panel and the layers table, shows its files in the
//! tree and opens them by Range, checked against the table; "Verify fully"
//! downloads and verifies it as any layer (and shows a blob that does not
//! match like any mismatch); the "always verify fully" preference skips
//! the listing.

use layerlens::app::views::{self, LayerStatus};
use layerlens::app::{Msg, Phase};
use layerlens_testkit::app::*;
use layerlens_testkit::rng::Rng;

const REF: &str = "127.0.0.1:5000/lazy:v1";

fn big() -> Vec<u8> {
    Rng(11).noise(400_000)
}

/// Layer 0 an eStargz layer (a big file first, so a small one is far into
/// the blob), layer 1 a plain gzip layer.
fn lazy_image() -> TestImage {
    TestImage::new()
        .estargz_layer(
            "ADD rootfs.tar /",
            &[
                Member::dir(b"opt/"),
                Member::file(b"opt/big.bin", &big()),
                Member::dir(b"etc/"),
                Member::file(b"etc/hello", b"hello from a table of contents\n"),
            ],
        )
        .layer(
            "RUN echo app > /etc/app",
            &[Member::dir(b"etc/"), Member::file(b"etc/app", b"app\n")],
        )
}

fn page(verify_fully: bool) -> (Page, Vec<String>) {
    let reg = MemRegistry::new();
    reg.push("lazy", Some("v1"), &lazy_image());
    let (_, digests) = lazy_image().manifest(&reg, "lazy");
    let mut page = Page::new(reg);
    if verify_fully {
        page.send(Msg::VerifyFullyChosen(true));
    }
    page.send(Msg::Started {
        query: String::new(),
        page_url: "http://127.0.0.1:8080/".into(),
    });
    page.registry.requests.borrow_mut().clear();
    page.registry.sent.borrow_mut().clear();
    page.submit(REF);
    assert_eq!(page.state.phase, Phase::Ready);
    (page, digests)
}

fn open(page: &mut Page, path: &str) -> views::FileContentView {
    page.send(Msg::RouteChanged {
        query: format!("?image={REF}&path={path}"),
    });
    views::file_content(&page.state).expect("a selection")
}

#[test]
fn an_estargz_layer_is_listed_from_its_table_and_its_files_read_by_range() {
    let (mut page, digests) = page(false);
    let blob_size = lazy_image().layers[0].blob.as_ref().unwrap().0.len() as u64;
    // Listed: a small part of the blob came (footer and table only).
    let listed = page.registry.sent_for(&digests[0]);
    assert!(
        listed > 0 && listed * 20 < blob_size,
        "{listed} of {blob_size} bytes"
    );
    let st = page.layer_statuses();
    assert!(
        matches!(&st[0], LayerStatus::Listed(note) if note.contains("eStargz table of contents")),
        "{st:?}"
    );
    assert_eq!(st[1], LayerStatus::Verified);
    let o = views::overview(&page.state).unwrap();
    assert_eq!(
        (o.verified, o.only_listed, o.listed),
        (Some(false), true, 1)
    );
    let layer0 = &o.checks[o.checks.len() - 2];
    assert!(
        layer0.listed
            && layer0
                .detail
                .contains("the blob and its diff_id were not checked")
    );
    // Its files are in the tree, with the other layer's.
    let names = page.names();
    for f in ["big.bin", "hello", "app"] {
        assert!(names.contains(f), "{names}");
    }

    // A file of the listed layer opens by Range: its own member only.
    page.registry.clear_log();
    let v = open(&mut page, "/etc/hello");
    assert_eq!(v.verified, Some(true), "{v:?}");
    assert!(v.status.contains("read by Range"), "{}", v.status);
    let read = page.registry.sent_for(&digests[0]);
    assert!(read > 0 && read < 2000, "{read} bytes for a 31-byte file");
    let (_, size) = v.download.clone().unwrap();
    assert_eq!(size, "31 bytes");
    // The big one: its bytes, checked against the table's digest.
    page.registry.clear_log();
    let v = open(&mut page, "/opt/big.bin");
    assert_eq!(v.verified, Some(true), "{v:?}");
    let got = page
        .files
        .values()
        .find(|b| b.len() == big().len())
        .cloned();
    assert!(got == Some(big()), "the big file's bytes");
    assert!(page.registry.sent_for(&digests[0]) < blob_size);

    // "Verify fully": the layer downloads and verifies as any other. (With
    // no file open: an open file of the layer is read again from the
    // verified layer.)
    open(&mut page, "/etc/");
    page.registry.clear_log();
    page.send(Msg::VerifyListedLayers);
    assert_eq!(page.state.phase, Phase::Ready);
    assert_eq!(
        page.registry.sent_for(&digests[0]),
        blob_size,
        "the whole blob"
    );
    assert_eq!(
        page.registry.sent_for(&digests[1]),
        0,
        "the verified layer is left alone"
    );
    assert_eq!(page.layer_statuses()[0], LayerStatus::Verified);
    let o = views::overview(&page.state).unwrap();
    assert_eq!((o.verified, o.listed), (Some(true), 0));
    assert!(page.names().contains("hello"));
}

#[test]
fn a_blob_that_does_not_hold_its_listing_fails_when_verified_fully() {
    let (mut page, digests) = page(false);
    // Other bytes in the big file's member: the table still matches the
    // manifest (the listing is shown, and says the blob was not checked)…
    let (blob, _) = lazy_image().layers[0].blob.clone().unwrap();
    let mut altered = blob.clone();
    altered[blob.len() / 4] ^= 0x5a;
    page.registry.tamper_blob("lazy", &digests[0], altered);
    page.submit(REF);
    assert!(matches!(page.layer_statuses()[0], LayerStatus::Listed(_)));
    // …its file reads refuse the bytes…
    let v = open(&mut page, "/opt/big.bin");
    assert_eq!(v.hook, "error", "{v:?}");
    assert!(
        v.error.as_deref().unwrap_or("").contains("opt/big.bin"),
        "{v:?}"
    );
    // …and verifying fully shows the mismatch, the layer's files leave
    // the tree.
    page.send(Msg::VerifyListedLayers);
    let st = page.layer_statuses();
    assert!(
        matches!(&st[0], LayerStatus::Problem(why) if why.contains("digest")),
        "{st:?}"
    );
    let o = views::overview(&page.state).unwrap();
    assert_eq!((o.verified, o.only_listed), (Some(false), false));
    let names = page.names();
    assert!(
        !names.contains("big.bin") && names.contains("app"),
        "{names}"
    );
}

#[test]
fn always_verify_fully_streams_every_layer_and_is_remembered() {
    let (mut page, digests) = page(true);
    let blob_size = lazy_image().layers[0].blob.as_ref().unwrap().0.len() as u64;
    assert_eq!(page.verify_fully_saved, vec![true]);
    assert_eq!(page.registry.sent_for(&digests[0]), blob_size);
    assert_eq!(
        page.layer_statuses(),
        vec![LayerStatus::Verified, LayerStatus::Verified]
    );
    assert_eq!(views::overview(&page.state).unwrap().verified, Some(true));
    // Turned off: a layer verified whole before is taken from the library
    // (not listed, not fetched); a new page lists from the table again.
    page.send(Msg::VerifyFullyChosen(false));
    assert_eq!(page.verify_fully_saved, vec![true, false]);
    page.registry.clear_log();
    page.submit(REF);
    assert!(matches!(
        page.layer_statuses()[0],
        LayerStatus::AlreadyVerified { .. }
    ));
    assert_eq!(page.registry.sent_for(&digests[0]), 0);
    let (page, digests) = self::page(false);
    assert!(matches!(page.layer_statuses()[0], LayerStatus::Listed(_)));
    assert!(page.registry.sent_for(&digests[0]) < blob_size / 20);
}

#[test]
fn a_registry_that_ignores_range_still_lists_and_says_so() {
    let mut reg = MemRegistry::new();
    reg.ignore_range = true;
    reg.push("lazy", Some("v1"), &lazy_image());
    let mut page = Page::new(reg);
    page.submit(REF);
    let st = page.layer_statuses();
    assert!(
        matches!(&st[0], LayerStatus::Listed(note) if note.contains("ignored Range")),
        "{st:?}"
    );
    let v = open(&mut page, "/etc/hello");
    assert_eq!(v.verified, Some(true), "{v:?}");
}

#[test]
fn a_table_of_contents_that_does_not_match_is_said_and_the_layer_verified_whole() {
    let mut image = lazy_image();
    // The annotation names another table: the listing is refused.
    if let Some((_, annotations)) = image.layers[0].blob.as_mut() {
        annotations[layerlens::layer::toc::stargz::TOC_DIGEST] =
            serde_json::Value::from(digest_of(b"another table"));
    }
    let reg = MemRegistry::new();
    reg.push("lazy", Some("v1"), &image);
    let mut page = Page::new(reg);
    page.submit(REF);
    assert_eq!(page.layer_statuses()[0], LayerStatus::Verified);
    let o = views::overview(&page.state).unwrap();
    assert_eq!(o.verified, Some(true));
    let layer0 = &o.checks[o.checks.len() - 2];
    assert!(
        layer0
            .detail
            .contains("its table of contents could not be used"),
        "{layer0:?}"
    );
}
