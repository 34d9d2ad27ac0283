//! An image archive opened from a file ("Open a file…"): read in place
//! through the archive's registry API, verified and scanned like a
//! registry's image, with nothing sent to any registry; its link names the
//! file and, without it, says the file is needed; a damaged archive says
//! what is wrong with it.

use layerlens::app::{ErrorKind, Phase};
use layerlens::demo::DemoImage;
use layerlens_testkit::app::*;
use layerlens_testkit::tar::{Flavour, Member, TarBuilder};

/// The demo image's OCI layout as an `oci-archive` tar.
fn demo_archive() -> Vec<u8> {
    let demo = DemoImage::generate();
    let mut tar = TarBuilder::new(Flavour::Pax);
    tar.member(&Member::dir(b"blobs/"));
    for (path, bytes) in demo.layout_files() {
        tar.member(&Member::file(path.as_bytes(), bytes));
    }
    tar.finish()
}

fn error_kind(page: &Page) -> Option<ErrorKind> {
    match &page.state.phase {
        Phase::Error(e) => Some(e.kind),
        _ => None,
    }
}

#[test]
fn an_archive_from_a_file_is_verified_and_listed_with_no_request() {
    let mut page = Page::new(MemRegistry::new());
    page.open_file("demo.tar", demo_archive());
    assert_eq!(page.state.phase, Phase::Ready, "{:?}", page.state.phase);
    assert!(page.registry.requests.borrow().is_empty());
    let o = layerlens::app::views::overview(&page.state).expect("an overview");
    assert_eq!(o.verified, Some(true));
    assert!(page.rows().contains("etc"), "{}", page.rows());
    // The link names the file, not a registry reference.
    assert!(page.url().starts_with("?file=demo.tar"), "{}", page.url());
    assert!(!page.url().contains("image="), "{}", page.url());
    // A file is not a recent reference (it cannot be reopened by name).
    assert!(page.state.recent.is_empty(), "{:?}", page.state.recent);
    // Back to its own link (a path selected): the same image, no reload.
    let loads = page.cancelled.len();
    page.send(layerlens::app::Msg::RouteChanged {
        query: "?file=demo.tar&path=/etc/os-release".into(),
    });
    assert_eq!(page.state.phase, Phase::Ready);
    assert_eq!(page.cancelled.len(), loads);
    assert_eq!(page.state.tree.selected(), Some(&b"etc/os-release"[..]));
}

#[test]
fn a_link_to_a_file_says_the_file_is_needed() {
    let mut page = Page::new(MemRegistry::new());
    page.send(layerlens::app::Msg::Started {
        query: "?file=app.tar&path=/etc/hosts".into(),
        page_url: "http://127.0.0.1:8080/".into(),
    });
    assert_eq!(error_kind(&page), Some(ErrorKind::FileNeeded));
    let Phase::Error(e) = &page.state.phase else {
        unreachable!()
    };
    assert!(e.detail.contains("app.tar"), "{}", e.detail);
    assert!(e.hint.contains("Open"), "{}", e.hint);
}

#[test]
fn a_damaged_archive_names_what_is_wrong() {
    let mut page = Page::new(MemRegistry::new());
    let whole = demo_archive();
    page.open_file("cut.tar", whole[..whole.len() / 2].to_vec());
    assert_eq!(error_kind(&page), Some(ErrorKind::BadArchive));
    let Phase::Error(e) = &page.state.phase else {
        unreachable!()
    };
    assert!(e.detail.contains("truncated"), "{}", e.detail);
    page.open_file("text.tar", b"not a tar at all".repeat(100));
    assert_eq!(error_kind(&page), Some(ErrorKind::BadArchive));
    let Phase::Error(e) = &page.state.phase else {
        unreachable!()
    };
    assert!(e.detail.contains("not a tar archive"), "{}", e.detail);
}

/// A page whose library store is `store`, started at `query` (its store's
/// opening answered, as the browser's).
fn page_at(store: layerlens::library::MemoryStore, query: &str) -> Page {
    let mut page = Page::new(MemRegistry::new());
    page.store = store;
    page.send(layerlens::app::Msg::Started {
        query: query.into(),
        page_url: "http://127.0.0.1:8080/".into(),
    });
    page
}

#[test]
fn the_library_records_where_an_archive_came_from_and_its_link_reopens_it() {
    let mut first = page_at(Default::default(), "");
    first.open_file("demo.tar", demo_archive());
    assert_eq!(first.state.phase, Phase::Ready, "{:?}", first.state.phase);
    first.send(layerlens::app::Msg::RouteChanged {
        query: "?page=images".into(),
    });
    let v = layerlens::app::views::library(&first.state).expect("the images page");
    let row = v
        .rows
        .iter()
        .find(|r| r.source.as_deref() == Some("demo.tar"))
        .expect("the archive's image, with its file");
    assert_eq!(
        row.refresh, None,
        "no registry to refresh a file's image from"
    );

    // Another page with the same library, and no file: the link reopens
    // the image from the library, with no request, and keeps naming the file.
    let store = std::mem::take(&mut first.store);
    let mut page = page_at(store, "?file=demo.tar&path=/etc/os-release");
    assert_eq!(page.state.phase, Phase::Ready, "{:?}", page.state.phase);
    assert!(
        page.registry.requests.borrow().is_empty(),
        "{:?}",
        page.registry.requests.borrow()
    );
    assert_eq!(page.state.tree.selected(), Some(&b"etc/os-release"[..]));
    // Its files are in the file, which is not here: said, not fetched.
    let open = page.state.file.open.as_ref().expect("the selected file");
    assert!(
        matches!(&open.stage, layerlens::app::file::Stage::Failed(m) if m.contains("Open demo.tar again")),
        "{:?}",
        open.stage
    );
    let bar = layerlens::app::views::library_bar(&page.state).expect("the library bar");
    assert!(bar.text.contains("file: demo.tar"), "{}", bar.text);
    assert_eq!(bar.refresh, None);
    page.send(layerlens::app::Msg::RowClicked(0));
    assert!(page.url().starts_with("?file=demo.tar"), "{}", page.url());
    // A file the library never saw still says it is needed.
    let store = std::mem::take(&mut page.store);
    let page = page_at(store, "?file=other.tar");
    assert_eq!(error_kind(&page), Some(ErrorKind::FileNeeded));
}

#[test]
fn an_archive_of_several_images_offers_them_and_opens_the_one_chosen() {
    // The demo layout with one of its platform manifests named as a second
    // image of its own.
    let demo = DemoImage::generate();
    let files = demo.layout_files();
    let get = |path: &str| files.iter().find(|(p, _)| p == path).unwrap().1;
    let mut index: serde_json::Value = serde_json::from_slice(get("index.json")).unwrap();
    let top = index["manifests"][0]["digest"].as_str().unwrap().to_owned();
    let inner: serde_json::Value =
        serde_json::from_slice(get(&format!("blobs/sha256/{}", &top["sha256:".len()..]))).unwrap();
    let mut amd64 = inner["manifests"][0].clone();
    amd64["annotations"] = serde_json::json!({ "org.opencontainers.image.ref.name": "amd64" });
    let chosen = amd64["digest"].as_str().unwrap().to_owned();
    index["manifests"].as_array_mut().unwrap().push(amd64);
    let index = index.to_string();
    let mut tar = TarBuilder::new(Flavour::Pax);
    for (path, bytes) in &files {
        let bytes = if path == "index.json" {
            index.as_bytes()
        } else {
            bytes
        };
        tar.member(&Member::file(path.as_bytes(), bytes));
    }
    let mut page = Page::new(MemRegistry::new());
    page.open_file("two.tar", tar.finish());
    let names: Vec<&str> = page
        .state
        .archive_choices
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"amd64"), "{names:?}");
    assert_eq!(page.state.phase, Phase::Idle);
    let status = layerlens::app::views::status(&page.state);
    assert_eq!(status.choices.len(), 2);

    page.send(layerlens::app::Msg::ArchiveImageChosen(
        chosen.parse().unwrap(),
    ));
    assert_eq!(page.state.phase, Phase::Ready, "{:?}", page.state.phase);
    assert!(page.state.archive_choices.is_empty());
    let o = layerlens::app::views::overview(&page.state).unwrap();
    assert_eq!(o.digest, chosen);
    assert!(page.registry.requests.borrow().is_empty());
}
