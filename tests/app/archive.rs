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
