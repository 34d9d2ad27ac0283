//! Files of big gzip layers by Range from checkpoints: the page's scan
//! records seek checkpoints with each layer's index, the library keeps them
//! (`seek/<digest>`), and a file at the end of a layer opens from a range
//! of the blob — in the load that scanned it and after a reload, through
//! the library's reopen link — checked against the content digest of the
//! verified index. Damaged checkpoints never show wrong bytes.

use layerlens::app::views;
use layerlens::app::{Msg, Phase};
use layerlens::layer::seek::DEFAULT_SPACING;
use layerlens::library::{Key, MemoryStore, Store as _};
use layerlens_testkit::app::*;
use layerlens_testkit::rng::Rng;

const REF: &str = "127.0.0.1:5000/big:v1";

fn noise() -> Vec<u8> {
    Rng(5).noise(10 << 20)
}

const LAST: &[u8] = b"the last file of a big layer\n";

fn big_image() -> TestImage {
    TestImage::new().layer(
        "ADD big.tar /",
        &[
            Member::dir(b"opt/"),
            Member::file(b"opt/noise.bin", &noise()),
            Member::file(b"opt/last.txt", LAST),
        ],
    )
}

fn started(store: MemoryStore, query: &str) -> Page {
    let reg = MemRegistry::new();
    reg.push("big", Some("v1"), &big_image());
    let mut page = Page::new(reg);
    page.store = store;
    page.send(Msg::Started {
        query: query.to_owned(),
        page_url: "http://127.0.0.1:8080/".into(),
    });
    page
}

fn blob(page: &Page) -> String {
    let m = page.state.current.as_ref().unwrap().image.as_ref().unwrap();
    m.image_manifest().unwrap().layers()[0].digest().to_string()
}

/// The manifest digest of the image the page's library recorded.
fn recorded(page: &Page) -> layerlens::oci::Digest {
    let image = page.state.library.catalog.images().next();
    image.expect("an image recorded").manifest().clone()
}

/// A new page on `store` reopening `manifest` opens the last file by
/// streaming its layer (not from checkpoints), and gets its bytes; the
/// page, to take the store back.
fn reopened_streams_the_file(store: MemoryStore, manifest: &layerlens::oci::Digest) -> Page {
    let mut page = started(store, &format!("?open={manifest}"));
    let v = open_last(&mut page, &format!("?open={manifest}"));
    assert_eq!(v.verified, Some(true), "{v:?}");
    assert!(!v.status.contains("checkpoint"), "{}", v.status);
    assert_eq!(page.files.values().last().map(Vec::as_slice), Some(LAST));
    page
}

fn open_last(page: &mut Page, query: &str) -> views::FileContentView {
    page.send(Msg::RouteChanged {
        query: format!("{query}&path=/opt/last.txt"),
    });
    views::file_content(&page.state).expect("a selection")
}

#[test]
fn a_file_at_the_end_of_a_big_layer_opens_from_a_checkpoint_also_after_a_reload() {
    let mut page = started(MemoryStore::new(), "");
    page.submit(REF);
    assert_eq!(page.state.phase, Phase::Ready);
    let digest = blob(&page);
    let size = page.state.current.as_ref().unwrap().reports[0]
        .descriptor
        .size();
    let seek = page.state.current.as_ref().unwrap().reports[0]
        .verified()
        .and_then(|v| v.index().seek().cloned())
        .expect("the scan recorded checkpoints");
    assert!(seek.len() >= 2, "{} checkpoints", seek.len());
    // Stored beside the layer's index, small.
    let stored = block_on(page.store.get(&Key::Seek(digest.parse().unwrap())))
        .unwrap()
        .expect("the checkpoints are stored");
    assert!(
        (stored.len() as u64) * 100 <= size * 3,
        "{} of {size}",
        stored.len()
    );

    page.registry.clear_log();
    let v = open_last(&mut page, &format!("?image={REF}"));
    assert_eq!(v.verified, Some(true), "{v:?}");
    assert!(v.status.contains("from a checkpoint"), "{}", v.status);
    assert_eq!(page.files.values().last().map(Vec::as_slice), Some(LAST));
    let read = page.registry.sent_for(&digest);
    assert!(
        read <= DEFAULT_SPACING + (64 << 10),
        "{read} of {size} bytes"
    );

    // A new page, the same store: the library's reopen link. No blob is
    // fetched to show the tree; the file comes from a checkpoint again.
    let manifest = recorded(&page);
    let store = std::mem::take(&mut page.store);
    let mut page = started(store, &format!("?open={manifest}"));
    assert_eq!(page.state.phase, Phase::Ready);
    assert_eq!(
        page.registry.sent_for(&digest),
        0,
        "reopened from the library"
    );
    let v = open_last(&mut page, &format!("?open={manifest}"));
    assert_eq!(v.verified, Some(true), "{v:?}");
    assert!(v.status.contains("from a checkpoint"), "{}", v.status);
    let read = page.registry.sent_for(&digest);
    assert!(
        read > 0 && read <= DEFAULT_SPACING + (64 << 10),
        "{read} of {size} bytes"
    );
}

#[test]
fn damaged_or_foreign_checkpoints_never_show_other_bytes() {
    let mut page = started(MemoryStore::new(), "");
    page.submit(REF);
    let digest = blob(&page);
    let key = Key::Seek(digest.parse().unwrap());
    let good = block_on(page.store.get(&key)).unwrap().unwrap();
    let manifest = recorded(&page);
    let store = std::mem::take(&mut page.store);

    // Flipped bytes in the stored checkpoints: refused on reading (a CRC),
    // so the file streams its layer as before and is right.
    let mut bad = good.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0x40;
    block_on(store.put(&key, &bad)).unwrap();
    let mut page = reopened_streams_the_file(store, &manifest);

    // Another layer's checkpoints under this layer's key: not used.
    let other = TestImage::new().layer("other", &[Member::file(b"x", &Rng(9).noise(9 << 20))]);
    let mut other_page = Page::new(MemRegistry::new());
    other_page.registry.push("other", Some("v1"), &other);
    other_page.submit("127.0.0.1:5000/other:v1");
    let other_digest = blob(&other_page);
    let foreign = block_on(
        other_page
            .store
            .get(&Key::Seek(other_digest.parse().unwrap())),
    )
    .unwrap()
    .unwrap();
    let store = std::mem::take(&mut page.store);
    block_on(store.put(&key, &foreign)).unwrap();
    reopened_streams_the_file(store, &manifest);
}

#[test]
fn loading_the_image_again_with_a_path_reads_the_file_from_a_checkpoint() {
    let mut page = started(MemoryStore::new(), "");
    page.submit(REF);
    let digest = blob(&page);
    let store = std::mem::take(&mut page.store);
    let page = started(store, &format!("?image={REF}&path=/opt/last.txt"));
    assert_eq!(page.state.phase, Phase::Ready);
    assert_eq!(page.state.tree.selected(), Some(&b"opt/last.txt"[..]));
    let v = views::file_content(&page.state).expect("a selection");
    assert!(v.status.contains("from a checkpoint"), "{}", v.status);
    let read = page.registry.sent_for(&digest);
    assert!(read > 0 && read <= DEFAULT_SPACING + (64 << 10), "{read}");
}
