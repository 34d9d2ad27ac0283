//! Comparing two images in the page (`?image=A&compare=B`): B is loaded once
//! A is shown, its layers shared with A are not fetched again, and the tree,
//! the summary, the config and the layers say what B changed. The expected
//! path sets are computed here from the two merged trees' listings, not by
//! the product's comparison.

use std::collections::BTreeSet;

use layerlens::app::tree::model::Change;
use layerlens::app::views::{self, CompareStatus};
use layerlens::app::{CompareMsg, CopyWhat, ErrorKind, Msg, Phase, Route};
use layerlens::fs::ListingRow;
use layerlens_testkit::app::*;

/// The demo image's first two layers and a third of its own, with
/// `/etc/hello` changed and a label of its own.
fn sibling() -> TestImage {
    on_demo_base(
        "COPY other /opt/other",
        &[
            Member::dir(b"opt/"),
            Member::file(b"opt/other.txt", b"another app\n"),
            Member::file(b"etc/hello", b"hello there\n"),
        ],
    )
    .label("org.opencontainers.image.title", "sibling")
}

fn registry() -> MemRegistry {
    let registry = demo_registry();
    registry.push("sibling", Some("v1"), &sibling());
    registry
}

fn open(registry: MemRegistry, query: &str) -> Page {
    let mut page = Page::new(registry);
    page.send(Msg::Started {
        query: query.to_owned(),
        page_url: "http://127.0.0.1:8080/".to_owned(),
    });
    page
}

fn listing(page: &Page, side: bool) -> Vec<ListingRow> {
    let fs = if side {
        let c = page.state.compare.as_ref().expect("a comparison");
        c.side.as_ref().and_then(|s| s.fs.clone())
    } else {
        page.state.current.as_ref().and_then(|c| c.fs.clone())
    };
    fs.expect("a merged tree").listing()
}

/// (added, removed, modified) paths, root-relative, from the listings.
type Sets = (BTreeSet<Vec<u8>>, BTreeSet<Vec<u8>>, BTreeSet<Vec<u8>>);

fn expected(a: &[ListingRow], b: &[ListingRow]) -> Sets {
    let rel = |r: &ListingRow| r.path.strip_prefix(b"/").unwrap_or(&r.path).to_vec();
    let pa: BTreeSet<Vec<u8>> = a.iter().map(rel).collect();
    let pb: BTreeSet<Vec<u8>> = b.iter().map(rel).collect();
    let key = |r: &ListingRow| {
        (
            r.kind,
            r.mode,
            r.uid,
            r.gid,
            r.size,
            r.sha256,
            r.target.clone(),
        )
    };
    let modified = a
        .iter()
        .filter_map(|x| {
            let y = b.iter().find(|y| y.path == x.path)?;
            (key(x) != key(y)).then(|| rel(x))
        })
        .collect();
    (
        pb.difference(&pa).cloned().collect(),
        pa.difference(&pb).cloned().collect(),
        modified,
    )
}

#[test]
fn a_link_compares_two_images_and_the_tree_marks_every_change() {
    let page = open(
        registry(),
        &format!("?image={HOST}/demo:v1&compare={HOST}/sibling:v1"),
    );
    assert_eq!(page.state.phase, Phase::Ready);
    let v = views::compare(&page.state);
    assert_eq!(v.status, CompareStatus::Done, "{v:?}");
    let (added, removed, modified) = expected(&listing(&page, false), &listing(&page, true));
    assert!(!added.is_empty() && !removed.is_empty() && !modified.is_empty());
    let s = v.summary.expect("a summary");
    assert_eq!(
        (s.added, s.removed, s.modified),
        (added.len(), removed.len(), modified.len())
    );
    assert!(s.shared.contains("shares 2 of 3 layers"), "{}", s.shared);
    // The tree: every path of the other image, the removed ones too,
    // each marked as the listings say.
    let model = page.state.tree.model().expect("a tree");
    for (set, want) in [
        (&added, Change::Added),
        (&removed, Change::Removed),
        (&modified, Change::Modified),
    ] {
        for p in set {
            let n = model
                .lookup(p)
                .unwrap_or_else(|| panic!("{} is in the tree", String::from_utf8_lossy(p)));
            assert_eq!(model.change(n, p), want, "{}", String::from_utf8_lossy(p));
        }
    }
    let n = model.lookup(b"bin/sh").expect("an unchanged path");
    assert_eq!(model.change(n, b"bin/sh"), Change::None);
    // The root counts what changed below it.
    let root = model.info(model.root(), b"").expect("the root");
    assert_eq!(
        root.below,
        [
            added.len() as u32,
            modified.len() as u32,
            removed.len() as u32
        ]
    );
    assert!(views::tree(&page.state).comparing);
    // The config side by side: the label differs, the rest is the same.
    let labels = v
        .config
        .iter()
        .find(|r| r.name == "Labels")
        .expect("labels");
    assert!(labels.differs);
    assert!(labels.b.iter().any(|l| l.ends_with("=sibling")));
    let cmd = v.config.iter().find(|r| r.name == "User").expect("user");
    assert!(!cmd.differs);
    // Layers aligned: two shared, one of each side's own.
    let relations: Vec<&str> = v.layers.iter().map(|l| l.relation).collect();
    assert_eq!(relations, ["shared", "shared", "only-b", "only-a"]);
    // The link keeps the comparison.
    let route = page.state.route();
    assert_eq!(
        route.compare.as_deref(),
        Some(&*format!("{HOST}/sibling:v1"))
    );
    assert_eq!(Route::parse(&route.to_query()), route);
    // A pinned link pins both sides.
    let mut page = page;
    page.send(Msg::CopyRequested(CopyWhat::PinnedLink));
    let link = page.copied.last().expect("a copied link");
    let pinned = Route::parse(link.split_once('?').map_or("", |(_, q)| q));
    assert!(
        pinned.image.is_some_and(|i| i.contains("/demo@sha256:")),
        "{link}"
    );
    assert!(
        pinned
            .compare
            .is_some_and(|c| c.contains("/sibling@sha256:")),
        "{link}"
    );
}

#[test]
fn layers_shared_with_the_first_image_are_not_fetched_again() {
    let mut page = open(registry(), &format!("?image={HOST}/demo:v1"));
    assert_eq!(page.state.phase, Phase::Ready);
    page.registry.requests.borrow_mut().clear();
    page.send(Msg::Compare(CompareMsg::With(format!("{HOST}/sibling:v1"))));
    let (_, digests) = sibling().manifest(&page.registry, "sibling");
    let fetched = page.blobs_fetched();
    // The config and the one layer of its own; not the two shared ones.
    assert_eq!(fetched.len(), 2, "{fetched:?}");
    assert!(fetched.contains(&digests[2]), "{fetched:?}");
    assert!(!fetched.contains(&digests[0]));
    assert_eq!(views::compare(&page.state).status, CompareStatus::Done);
    // A new history entry names the comparison.
    assert!(
        page.urls
            .iter()
            .any(|(q, push)| *push && q.contains("compare=")),
        "{:?}",
        page.urls
    );
}

#[test]
fn an_image_compared_with_itself_has_no_changes_and_fetches_no_layer() {
    let mut page = open(registry(), &format!("?image={HOST}/demo:v1"));
    page.registry.requests.borrow_mut().clear();
    page.send(Msg::Compare(CompareMsg::With(format!("{HOST}/demo:v1"))));
    let v = views::compare(&page.state);
    let s = v.summary.expect("a summary");
    assert_eq!(
        (s.added, s.removed, s.modified, s.config_changed),
        (0, 0, 0, 0)
    );
    assert!(v.layers.iter().all(|l| l.relation == "shared"));
    let fetched = page.blobs_fetched();
    assert!(fetched.len() <= 1, "at most the config: {fetched:?}");
}

#[test]
fn two_platforms_of_one_index_compare_from_the_platform_picker() {
    let mut page = open(
        registry(),
        &format!("?image={HOST}/multi:v1&platform=linux/amd64"),
    );
    assert_eq!(page.state.phase, Phase::Ready);
    page.send(Msg::Compare(CompareMsg::WithPlatform(
        "linux/arm64/v8".into(),
    )));
    let v = views::compare(&page.state);
    assert_eq!(v.status, CompareStatus::Done, "{v:?}");
    let model = page.state.tree.model().expect("a tree");
    let arm = model.lookup(b"etc/arm64-only").expect("arm64's own file");
    assert_eq!(model.change(arm, b"etc/arm64-only"), Change::Added);
    let amd = model
        .lookup(b"etc/amd64-only")
        .expect("amd64's own file, removed");
    assert_eq!(model.change(amd, b"etc/amd64-only"), Change::Removed);
    let q = page.state.route().to_query();
    assert!(
        q.contains(&format!("compare={HOST}/multi:v1"))
            && q.contains("compare-platform=linux/arm64/v8"),
        "{q}"
    );
}

#[test]
fn a_bad_or_missing_image_to_compare_says_so_and_keeps_the_first() {
    let page = open(
        registry(),
        &format!("?image={HOST}/demo:v1&compare=Not%20Valid"),
    );
    assert_eq!(page.state.phase, Phase::Ready);
    match views::compare(&page.state).status {
        CompareStatus::Failed(e) => assert_eq!(e.kind, ErrorKind::InvalidReference),
        other => panic!("{other:?}"),
    }
    assert!(!views::tree(&page.state).comparing);
    let page = open(
        registry(),
        &format!("?image={HOST}/demo:v1&compare={HOST}/nothing:v1"),
    );
    match views::compare(&page.state).status {
        CompareStatus::Failed(e) => assert!(e.detail.contains("nothing"), "{e:?}"),
        other => panic!("{other:?}"),
    }
    assert!(page.state.current.as_ref().is_some_and(|c| c.fs.is_some()));
}

#[test]
fn stopping_or_opening_another_image_ends_the_comparison() {
    let mut page = open(
        registry(),
        &format!("?image={HOST}/demo:v1&compare={HOST}/sibling:v1"),
    );
    assert!(views::tree(&page.state).comparing);
    page.send(Msg::Compare(CompareMsg::Clear));
    assert!(!views::tree(&page.state).comparing);
    assert_eq!(views::compare(&page.state).status, CompareStatus::None);
    assert!(page.state.route().compare.is_none());
    let model = page.state.tree.model().expect("a tree");
    assert!(
        model.lookup(b"opt/other.txt").is_none(),
        "the first image's own tree"
    );
    page.send(Msg::Compare(CompareMsg::With(format!("{HOST}/sibling:v1"))));
    assert!(views::tree(&page.state).comparing);
    page.submit(&format!("{HOST}/sibling:v1"));
    assert!(page.state.compare.is_none());
    assert!(!views::tree(&page.state).comparing);
    // A link without an image has no comparison.
    assert_eq!(Route::parse("?compare=alpine").compare, None);
}

#[test]
fn a_file_of_the_comparison_opens_from_the_image_that_holds_it() {
    let shown = |path: &str| {
        let page = open(
            registry(),
            &format!("?image={HOST}/demo:v1&compare={HOST}/sibling:v1&path={path}"),
        );
        let v = views::file_content(&page.state).expect("a selection");
        format!("{:?}", v.shown)
    };
    // Modified: the compared image's bytes, not the first's.
    let hello = shown("/etc/hello");
    assert!(hello.contains("hello there"), "{hello}");
    // Only the compared image has it.
    assert!(shown("/opt/other.txt").contains("another app"));
    // Removed: the first image's bytes (2000 bytes of 9s, shown in hex).
    let removed = shown("/opt/app/data.bin");
    assert!(removed.contains("09 09 09"), "{removed}");
}

#[test]
fn a_text_file_changed_on_both_sides_opens_as_a_unified_diff() {
    use layerlens::app::file::unified::DiffLine;
    use layerlens::app::file::{FileMsg, ShowAs};
    use layerlens::app::views::Shown;
    let mut page = open(
        registry(),
        &format!("?image={HOST}/demo:v1&compare={HOST}/sibling:v1&path=/etc/hello"),
    );
    let v = views::file_content(&page.state).expect("a selection");
    assert_eq!(v.hook, "diff", "{v:?}");
    let Some(Shown::Diff(d)) = &v.shown else {
        panic!("{:?}", v.shown)
    };
    let lines: Vec<String> = d.iter().flatten().map(DiffLine::text).collect();
    assert_eq!(lines, ["@@ -1,1 +1,1 @@", "-hello world", "+hello there"]);
    // Both versions in words: what changed, sizes and digests.
    let versions = v.versions.expect("both versions");
    assert!(versions.starts_with("Modified (sha256)"), "{versions}");
    assert_eq!(versions.matches(": 12 bytes, ").count(), 2, "{versions}");
    assert_eq!(versions.matches("sha256:").count(), 2, "{versions}");
    // The other views stay one click away, and show the compared version.
    let modes: Vec<&str> = v.modes.iter().map(|m| m.1).collect();
    assert_eq!(modes, ["Diff", "Text", "Hex"]);
    page.send(Msg::File(FileMsg::ShowAs(ShowAs::Text)));
    let v = views::file_content(&page.state).expect("a selection");
    assert_eq!(v.hook, "text");
    assert!(format!("{:?}", v.shown).contains("hello there"));
    // A path only one side has is no diff.
    let page = open(
        registry(),
        &format!("?image={HOST}/demo:v1&compare={HOST}/sibling:v1&path=/opt/other.txt"),
    );
    let v = views::file_content(&page.state).expect("a selection");
    assert_eq!((v.hook, v.versions), ("text", None));
    assert!(page.state.file.base.is_none());
}
