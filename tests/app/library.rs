//! The image library on the page, natively: `update()` for each library
//! message against the in-memory registry and a [`MemoryStore`] standing in
//! for IndexedDB (the real one runs in tests/browser/library.rs), the images
//! page's rows and text, reopening without the network, and the library's
//! link parameters.

use layerlens::app::library::{LibraryMsg, StoreStatus};
use layerlens::app::views;
use layerlens::app::{Effect, Msg, Phase, Route, Step};
use layerlens::library::{Key, MemoryStore};
use layerlens::oci::Timestamp;
use layerlens_testkit::app::*;

const PAGE: &str = "http://127.0.0.1:8080/";

fn lib(page: &mut Page, m: LibraryMsg) {
    page.send(Msg::Library(m));
}

fn start(page: &mut Page, query: &str) {
    page.send(Msg::Started {
        query: query.to_owned(),
        page_url: PAGE.to_owned(),
    });
}

/// A page on `registry` with its library opened, at 2024-05-03 12:00 UTC
/// (two days after the test images were created).
fn page_with(registry: MemRegistry, store: MemoryStore, query: &str) -> Page {
    let mut page = Page::new(registry);
    page.store = store;
    page.now = Timestamp::parse_rfc3339("2024-05-03T12:00:00Z").unwrap();
    start(&mut page, query);
    page
}

/// A first page that inspected the demo image: it, the image's manifest
/// digest, and the store it recorded into (taken from it).
fn recorded_demo() -> (Page, layerlens::oci::Digest, MemoryStore) {
    let mut first = page_with(demo_registry(), MemoryStore::new(), "");
    first.submit(&format!("{HOST}/demo:v1"));
    let manifest = first
        .state
        .library
        .catalog
        .images()
        .next()
        .unwrap()
        .manifest()
        .clone();
    let store = std::mem::take(&mut first.store);
    (first, manifest, store)
}

/// The images page's table as text: one line per row.
fn table(page: &Page) -> String {
    let v = views::library(&page.state).expect("the images page is shown");
    let mut lines = vec![v.columns.join(" | ")];
    for r in &v.rows {
        let mut cells = vec![r.repository.clone(), r.tag.clone()];
        if v.digests {
            cells.push(r.digest.clone());
        }
        cells.extend([r.id.clone(), r.created.clone(), r.size.clone()]);
        lines.push(cells.join(" | "));
    }
    lines.join("\n")
}

fn short(digest: &str) -> &str {
    &digest["sha256:".len().."sha256:".len() + 12]
}

/// The demo image's config digest (its IMAGE ID), computed from the bytes
/// the test registry serves.
fn demo_id() -> String {
    digest_of(&demo_image().config_json())
}

/// Docker's size of the demo image: regular files of each layer, symlink
/// targets, counted per layer: 100 (bin/sh), 6 (etc/hello), 8
/// (etc/os-release), 4096 (usr/bin/big) and 7 (the symlink's "/bin/sh");
/// then 12, 4, 4096 and 0 for the whiteout; then 2000 — 10,329 bytes.
const DEMO_SIZE: &str = "10.3kB";

#[test]
fn a_verified_load_is_recorded_and_its_content_stored() {
    let mut page = page_with(demo_registry(), MemoryStore::new(), "");
    assert_eq!(page.state.library.store, StoreStatus::Persistent);
    page.submit(&format!("{HOST}/demo:v1"));
    assert_eq!(page.state.phase, Phase::Ready);
    let manifest = page.registry.push("demo", None, &demo_image());
    let image = page
        .state
        .library
        .catalog
        .image(&manifest.parse().unwrap())
        .expect("recorded under its manifest digest");
    assert_eq!(image.id().to_string(), demo_id());
    let keys: Vec<String> = page.store.keys().iter().map(Key::name).collect();
    assert_eq!(keys.iter().filter(|k| k.starts_with("layer/")).count(), 3);
    assert!(keys.contains(&format!("blob/{manifest}")), "{keys:?}");
    assert!(keys.contains(&format!("blob/{}", demo_id())), "{keys:?}");
    // One record for the image, one per reference and stored layer: no
    // whole catalogue.
    assert!(keys.contains(&format!("image/{manifest}")), "{keys:?}");
    assert!(keys.contains(&format!("ref/{HOST}/demo:v1")), "{keys:?}");
    assert!(
        keys.contains(&format!("ref/{HOST}/demo@{manifest}")),
        "{keys:?}"
    );
    assert_eq!(
        keys.iter().filter(|k| k.starts_with("layerinfo/")).count(),
        3
    );
    assert!(!keys.contains(&"catalog".to_owned()));
    assert!(page.state.library.store_error.is_none());
    assert!(page.state.library.opened.contains(image.manifest()));
}

#[test]
fn the_images_page_lists_what_a_previous_page_kept() {
    let mut first = page_with(demo_registry(), MemoryStore::new(), "");
    first.submit(&format!("{HOST}/demo:v1"));
    let store = std::mem::take(&mut first.store);

    let page = page_with(demo_registry(), store, "?page=images");
    assert_eq!(page.state.phase, Phase::Idle);
    assert_text(
        &table(&page),
        &format!(
            "REPOSITORY | TAG | IMAGE ID | CREATED | SIZE\n\
             {HOST}/demo | v1 | {} | 2 days ago | {DEMO_SIZE}",
            short(&demo_id())
        ),
    );
    let v = views::library(&page.state).unwrap();
    assert_eq!(
        v.store,
        "Kept in this browser (IndexedDB): 1 image, 2.3 kB of manifests, configs and layer indexes."
            .replace("2.3 kB", &layerlens::dockerfmt::human::human_size_decimal(page.state.library.catalog.stored_bytes())),
    );
    assert_eq!(v.rows[0].target, format!("{HOST}/demo:v1"));
    assert_eq!(
        v.rows[0].refresh.as_deref(),
        Some(&*format!("{HOST}/demo:v1"))
    );
    assert!(!v.rows[0].dangling);
    // Docker's default table as text to copy.
    assert_eq!(
        v.text,
        format!(
            "REPOSITORY            TAG       IMAGE ID       CREATED      SIZE\n\
             {HOST}/demo   v1        {}   2 days ago   {DEMO_SIZE}\n",
            short(&demo_id())
        ),
    );
    // No focus on the reference input: the images page is what is shown.
    assert!(page.focus.is_empty());
}

#[test]
fn reopening_renders_the_tree_from_the_store_without_a_request() {
    let (first, manifest, store) = recorded_demo();
    let network_tree = first.names();

    // A link straight to it: the catalogue is read first, then the image.
    let mut page = page_with(demo_registry(), store, &format!("?open={manifest}"));
    assert_eq!(page.state.phase, Phase::Ready, "{:?}", page.state.phase);
    assert!(page.registry.requests.borrow().is_empty(), "no network");
    assert_eq!(page.names(), network_tree);
    assert_eq!(page.url(), format!("?open={manifest}"));
    let bar = views::library_bar(&page.state).expect("the from-the-library bar");
    assert_eq!(
        bar.text,
        "From the library, stored 2024-05-03 12:00:00 +0000 UTC — nothing was fetched."
    );
    assert_eq!(bar.refresh, Some(format!("{HOST}/demo:v1")));
    assert_eq!(bar.open, None);
    let overview = views::overview(&page.state).expect("the overview");
    assert_eq!(overview.verified, Some(true), "every object re-verified");
    assert_eq!(
        overview.uncompressed,
        views::overview(&first.state).unwrap().uncompressed
    );
    // Marked opened (prune --all keeps it).
    let record = page.state.library.catalog.image(&manifest).unwrap();
    assert_eq!(record.last_opened(), Some(page.now));

    // A layer and a path in the link keep working on a reopened image.
    page.send(Msg::LayerSelected(Some(1)));
    assert_eq!(page.url(), format!("?layer=1&open={manifest}"));
    page.send(Msg::RouteChanged {
        query: format!("?path=/etc/new.conf&open={manifest}"),
    });
    assert_eq!(page.state.tree.selected(), Some(&b"etc/new.conf"[..]));
    // Showing a file's content takes its layer blob (the file viewer's
    // request; layers are not kept): nothing else is asked for.
    let asked = page.registry.requests.borrow().clone();
    assert!(asked.iter().all(|u| u.contains("/blobs/")), "{asked:?}");

    // Refresh re-resolves the tag over the network, as a normal load.
    lib(&mut page, LibraryMsg::Refresh(bar.refresh.clone().unwrap()));
    assert_eq!(page.state.phase, Phase::Ready);
    assert!(!page.registry.requests.borrow().is_empty());
    assert_eq!(page.url(), format!("?image={HOST}/demo:v1"));
    assert!(views::library_bar(&page.state).is_none());
}

#[test]
fn a_link_to_an_image_not_in_the_library_says_so() {
    let digest = format!("sha256:{}", "0".repeat(64));
    let page = page_with(
        demo_registry(),
        MemoryStore::new(),
        &format!("?open={digest}"),
    );
    match &page.state.phase {
        Phase::Error(e) => {
            assert_eq!(e.title, "This image is not in the library");
            assert!(e.detail.contains(&digest));
        }
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn a_corrupt_stored_layer_index_is_reported_on_that_layer() {
    let mut first = page_with(demo_registry(), MemoryStore::new(), "");
    first.submit(&format!("{HOST}/demo:v1"));
    let record = first.state.library.catalog.images().next().unwrap().clone();
    let store = std::mem::take(&mut first.store);
    store.tamper(
        &Key::LayerIndex(record.layers()[2].digest.clone()),
        b"LLIX junk".to_vec(),
    );
    let mut page = page_with(demo_registry(), store, "?page=images");
    lib(&mut page, LibraryMsg::Open(record.manifest().clone()));
    assert_eq!(page.state.phase, Phase::Ready);
    let status = views::status(&page.state);
    assert_eq!(status.problems.len(), 1, "{status:?}");
    assert!(
        status.problems[0].detail.contains("not in the library"),
        "{status:?}"
    );
    // The other layers are shown.
    let model = page.state.tree.model().expect("a tree");
    assert!(model.lookup(b"etc/hello").is_some());
    assert!(
        model.lookup(b"opt/app/data.bin").is_none(),
        "layer 2 is missing"
    );
}

#[test]
fn tag_adds_a_name_and_rm_reports_shared_layers() {
    let reg = demo_registry();
    // demo2 shares demo's first layer.
    let base = demo_image().layers.remove(0);
    let mut demo2 = TestImage::new().layer(
        "ADD extra /",
        &[Member::dir(b"extra/"), Member::file(b"extra/x", b"xyz")],
    );
    demo2.layers.insert(0, base);
    reg.push("demo2", Some("v1"), &demo2);
    let mut page = page_with(reg, MemoryStore::new(), "");
    page.submit(&format!("{HOST}/demo:v1"));
    page.submit(&format!("{HOST}/demo2:v1"));
    lib(&mut page, LibraryMsg::ShowPage);
    assert_eq!(page.url(), "?page=images");
    assert_eq!(views::library(&page.state).unwrap().rows.len(), 2);

    lib(&mut page, LibraryMsg::TagSource(demo_id()));
    lib(
        &mut page,
        LibraryMsg::Tag {
            source: demo_id(),
            target: "mine/demo:local".into(),
        },
    );
    let v = views::library(&page.state).unwrap();
    let ids: Vec<(&str, &str)> = v
        .rows
        .iter()
        .filter(|r| r.full_id == demo_id())
        .map(|r| (r.repository.as_str(), r.tag.as_str()))
        .collect();
    assert_eq!(
        ids,
        vec![(&*format!("{HOST}/demo"), "v1"), ("mine/demo", "local")]
    );
    assert_eq!(
        page.state.library.catalog.images().count(),
        2,
        "no new image"
    );
    assert_eq!(
        v.report.unwrap().title,
        format!("docker tag {} mine/demo:local", demo_id())
    );

    lib(&mut page, LibraryMsg::Remove("mine/demo:local".into()));
    let r = page.state.library.report.clone().unwrap();
    assert_eq!(r.lines, vec!["Untagged: mine/demo:local".to_owned()]);

    let demo2_id = digest_of(&demo2.config_json());
    lib(&mut page, LibraryMsg::Remove(format!("{HOST}/demo2:v1")));
    let r = page.state.library.report.clone().unwrap();
    assert_eq!(r.error, None);
    let demo_layers = page
        .state
        .library
        .catalog
        .images()
        .next()
        .unwrap()
        .layers()
        .to_vec();
    let text = r.lines.join("\n");
    assert!(
        text.contains(&format!("Untagged: {HOST}/demo2:v1")),
        "{text}"
    );
    assert!(text.contains(&format!("Deleted: {demo2_id}")), "{text}");
    assert!(
        text.contains(&format!(
            "Kept layer index {} (still used by {})",
            demo_layers[0].digest,
            short(&demo_id())
        )),
        "{text}"
    );
    assert_eq!(text.matches("Freed layer index").count(), 1, "{text}");
    // The store followed: demo2's own layer index is gone, the shared one stays.
    let keys: Vec<String> = page.store.keys().iter().map(Key::name).collect();
    assert_eq!(
        keys.iter().filter(|k| k.starts_with("layer/")).count(),
        3,
        "{keys:?}"
    );

    // An unknown name: Docker's words, nothing changed.
    lib(&mut page, LibraryMsg::Remove("nope:v1".into()));
    let r = page.state.library.report.clone().unwrap();
    assert_eq!(r.error.as_deref(), Some("No such image: nope:v1"));
}

#[test]
fn a_moved_tag_leaves_a_dangling_image_that_prune_removes() {
    let reg = demo_registry();
    let mut page = page_with(reg.clone(), MemoryStore::new(), "");
    page.submit(&format!("{HOST}/demo:v1"));
    let next = TestImage::new().layer("ADD new /", &[Member::file(b"new", b"n")]);
    reg.push("demo", Some("v1"), &next);
    page.submit(&format!("{HOST}/demo:v1"));
    lib(&mut page, LibraryMsg::ShowPage);
    let next_id = digest_of(&next.config_json());
    let mut expected = [
        format!("{HOST}/demo | v1 | {} | 2 days ago | 1B", short(&next_id)),
        format!(
            "{HOST}/demo | <none> | {} | 2 days ago | {DEMO_SIZE}",
            short(&demo_id())
        ),
    ];
    // Equal creation times: Docker leaves the order open, the library sorts by ID.
    if demo_id() < next_id {
        expected.swap(0, 1);
    }
    assert_text(
        &table(&page),
        &format!(
            "REPOSITORY | TAG | IMAGE ID | CREATED | SIZE\n{}",
            expected.join("\n")
        ),
    );
    let v = views::library(&page.state).unwrap();
    let dangling: Vec<&str> = v
        .rows
        .iter()
        .filter(|r| r.dangling)
        .map(|r| &*r.full_id)
        .collect();
    assert_eq!(dangling, vec![demo_id().as_str()]);

    lib(&mut page, LibraryMsg::FilterChanged("dangling=true".into()));
    assert_eq!(page.url(), "?page=images&filter=dangling%3Dtrue");
    let v = views::library(&page.state).unwrap();
    assert_eq!(v.rows.len(), 1);
    assert_eq!(v.rows[0].full_id, demo_id());
    assert_eq!(v.rows[0].target, demo_id(), "rm by ID for an untagged row");

    lib(&mut page, LibraryMsg::Prune { all: false });
    let r = page.state.library.report.clone().unwrap();
    assert_eq!(r.title, "docker image prune");
    assert!(
        r.lines.contains(&format!("Deleted: {}", demo_id())),
        "{r:?}"
    );
    assert!(views::library(&page.state).unwrap().rows.is_empty());
    lib(&mut page, LibraryMsg::FilterChanged(String::new()));
    assert_eq!(views::library(&page.state).unwrap().rows.len(), 1);

    // prune --all keeps what this tab opened (and the image on screen).
    lib(&mut page, LibraryMsg::Prune { all: true });
    assert_eq!(views::library(&page.state).unwrap().rows.len(), 1);
    page.state.library.opened.clear();
    lib(&mut page, LibraryMsg::Prune { all: true });
    assert_eq!(views::library(&page.state).unwrap().rows.len(), 1);
    page.state.current = None;
    lib(&mut page, LibraryMsg::Prune { all: true });
    assert!(views::library(&page.state).unwrap().rows.is_empty());
    let keys: Vec<String> = page.store.keys().iter().map(Key::name).collect();
    assert_eq!(keys, Vec::<String>::new(), "nothing left stored");
}

#[test]
fn filters_formats_and_digests_on_the_page() {
    let mut page = page_with(demo_registry(), MemoryStore::new(), "");
    page.submit(&format!("{HOST}/demo:v1"));
    lib(&mut page, LibraryMsg::ShowPage);
    lib(&mut page, LibraryMsg::FilterChanged("colour=red".into()));
    let v = views::library(&page.state).unwrap();
    assert_eq!(v.filter_error.as_deref(), Some("invalid filter 'colour'"));
    lib(
        &mut page,
        LibraryMsg::FilterChanged(
            "label=org.opencontainers.image.title=demo reference=*/demo".into(),
        ),
    );
    assert_eq!(views::library(&page.state).unwrap().rows.len(), 1);
    lib(&mut page, LibraryMsg::FilterChanged("label=team".into()));
    assert!(views::library(&page.state).unwrap().rows.is_empty());
    lib(&mut page, LibraryMsg::FilterChanged(String::new()));

    lib(
        &mut page,
        LibraryMsg::FormatChanged("{{.Repository}}:{{.Tag}}: {{.Size}}".into()),
    );
    let v = views::library(&page.state).unwrap();
    assert_eq!(v.text, format!("{HOST}/demo:v1: {DEMO_SIZE}\n"));
    assert_eq!(v.format_error, None);
    lib(
        &mut page,
        LibraryMsg::FormatChanged("{{.Repository}} {{.Nope}}".into()),
    );
    let v = views::library(&page.state).unwrap();
    let e = v.format_error.expect("an error");
    assert!(e.contains("can't evaluate field Nope"), "{e}");
    assert!(e.ends_with("at character 19 («.Nope}}»)"), "{e}");
    lib(&mut page, LibraryMsg::FormatChanged("{{.Repository".into()));
    let e = views::library(&page.state).unwrap().format_error.unwrap();
    assert!(e.starts_with("template parsing error"), "{e}");

    lib(&mut page, LibraryMsg::FormatChanged(String::new()));
    lib(&mut page, LibraryMsg::DigestsToggled(true));
    let manifest = page
        .state
        .library
        .catalog
        .images()
        .next()
        .unwrap()
        .manifest()
        .to_string();
    assert_eq!(page.url(), "?page=images&digests=1");
    assert_text(
        &table(&page),
        &format!(
            "REPOSITORY | TAG | DIGEST | IMAGE ID | CREATED | SIZE\n\
             {HOST}/demo | v1 | {manifest} | {} | 2 days ago | {DEMO_SIZE}",
            short(&demo_id())
        ),
    );
    // The browser's estimate of the site's storage, when it gives one.
    lib(
        &mut page,
        LibraryMsg::Estimated {
            usage: 3 << 20,
            quota: 0,
        },
    );
    assert!(!views::library(&page.state)
        .unwrap()
        .store
        .contains("This site uses"));
    lib(
        &mut page,
        LibraryMsg::Estimated {
            usage: 3 << 20,
            quota: 2 << 30,
        },
    );
    let store = views::library(&page.state).unwrap().store;
    assert!(
        store.ends_with("This site uses 3.146MB of the 2.147GB the browser allows it."),
        "{store}"
    );
    // Leaving for an image drops the page from the link.
    page.submit(&format!("{HOST}/demo:v1"));
    assert!(views::library(&page.state).is_none());
    assert_eq!(page.url(), format!("?image={HOST}/demo:v1"));
}

#[test]
fn an_unverified_load_is_not_kept() {
    let reg = demo_registry();
    let (_, layers) = demo_image().manifest(&reg, "demo");
    reg.tamper_blob("demo", &layers[1], vec![0u8; 10]);
    let mut page = page_with(reg, MemoryStore::new(), "");
    page.submit(&format!("{HOST}/demo:v1"));
    assert_eq!(page.state.phase, Phase::Ready);
    assert_eq!(page.state.library.catalog.images().count(), 0);
    assert_eq!(
        page.state.library.store_error.as_deref(),
        Some("Not kept in the library: layer 1 did not verify.")
    );
    assert!(!page.effects.iter().any(|e| matches!(
        e,
        Effect::Library(layerlens::app::library::LibraryEffect::Apply(_))
    )));
}

#[test]
fn library_links_round_trip() {
    let d = format!("sha256:{}", "ab".repeat(32));
    for q in [
        "?page=images".to_owned(),
        "?page=images&filter=dangling%3Dtrue%20label%3Da%3Db&format=table%20%7B%7B.ID%7D%7D%5Ct%7B%7B.Repository%7D%7D&digests=1".to_owned(),
        format!("?open={d}"),
        format!("?layer=2&path=/etc/hello&view=changes&open={d}"),
    ] {
        let r = Route::parse(&q);
        assert_eq!(r.to_query(), q);
        assert_eq!(Route::parse(&r.to_query()), r);
    }
    let r = Route::parse("?page=images&filter=before%3Dapp%3Av1&format=%7B%7B.ID%7D%7D");
    assert!(r.library.page);
    assert_eq!(r.library.filter.as_deref(), Some("before=app:v1"));
    assert_eq!(r.library.format.as_deref(), Some("{{.ID}}"));
    // Hostile or foreign values are dropped, not guessed at.
    let r = Route::parse("?page=search&open=sha256:nothex&filter=%00x&format=a%0Ab");
    assert_eq!(r.library, Default::default());
    assert!(!r.library.is_active());
    // `page` and `filter` are shared with the search page: each page prints
    // its own, once.
    for q in [
        "?page=search&q=redis&filter=is-official%3Dtrue",
        "?page=images&filter=dangling%3Dtrue",
    ] {
        let r = Route::parse(q);
        let printed = r.to_query();
        assert_eq!(printed.matches("filter=").count(), 1, "{printed}");
        assert_eq!(printed.matches("page=").count(), 1, "{printed}");
        assert_eq!(Route::parse(&printed), r);
    }
    assert!(!Route::parse("?page=search&q=redis").library.is_active());
    // A link by reference is not the library's: it loads from the registry.
    let r = Route::parse("?image=alpine");
    assert!(!r.library.is_active());
}

#[test]
fn a_load_finished_before_the_catalogue_is_read_is_recorded_into_it() {
    let reg = demo_registry();
    let other = TestImage::new().layer("ADD o /", &[Member::file(b"o", b"o")]);
    reg.push("other", Some("v1"), &other);
    let mut first = page_with(reg.clone(), MemoryStore::new(), "");
    first.submit(&format!("{HOST}/other:v1"));
    let store = std::mem::take(&mut first.store);

    // The store has not answered yet (no Started): the image resolves, and
    // its layers wait for the catalogue (which says which it already has).
    let mut page = Page::new(reg);
    page.state.library.store = StoreStatus::Opening;
    page.store = store;
    page.registry.requests.borrow_mut().clear();
    page.submit(&format!("{HOST}/demo:v1"));
    assert_eq!(page.state.phase, Phase::Loading(Step::Layers));
    let asked = page.registry.requests.borrow().clone();
    let config = page
        .state
        .current
        .as_ref()
        .unwrap()
        .image
        .as_ref()
        .unwrap()
        .image_manifest()
        .unwrap()
        .config()
        .digest()
        .to_string();
    assert!(
        asked
            .iter()
            .filter(|u| u.contains("/blobs/"))
            .all(|u| u.ends_with(&config)),
        "no layer fetched yet: {asked:?}"
    );
    assert_eq!(page.state.library.store, StoreStatus::Opening);
    assert_eq!(page.state.library.catalog.images().count(), 0);
    let result = block_on(layerlens::library::open(&page.store)).map_err(|e| e.to_string());
    let now = page.now;
    lib(
        &mut page,
        LibraryMsg::Opened {
            result,
            tab_only: None,
            now,
        },
    );
    assert_eq!(page.state.library.catalog.images().count(), 2);
    let stored = block_on(layerlens::library::open(&page.store)).unwrap();
    assert_eq!(stored.images().count(), 2, "both kept: nothing overwritten");
    assert_eq!(page.state.phase, Phase::Ready);
}

#[test]
fn ready_waits_until_the_record_is_written() {
    let reg = demo_registry();
    let other = TestImage::new().layer("ADD o /", &[Member::file(b"o", b"o")]);
    reg.push("other", Some("v1"), &other);
    let third = TestImage::new().layer("ADD t /", &[Member::file(b"t", b"t")]);
    reg.push("third", Some("v1"), &third);
    let mut page = page_with(reg, MemoryStore::new(), "");
    page.hold_records = true;
    page.submit(&format!("{HOST}/demo:v1"));
    assert_eq!(page.state.phase, Phase::Loading(Step::Recording));
    assert_eq!(page.state.phase.hook(), "loading");
    assert!(page.state.tree.model().is_some(), "the tree is shown");
    assert!(views::status(&page.state)
        .steps
        .contains(&"Keeping it in the library".to_owned()));
    assert!(page.store.keys().is_empty(), "nothing written yet");

    // The store says done: ready, and everything is stored.
    let (load, ops) = page.held.borrow_mut().remove(0);
    let result = block_on(layerlens::library::apply(&page.store, &ops)).map_err(|e| e.to_string());
    lib(&mut page, LibraryMsg::Recorded { load, result });
    assert_eq!(page.state.phase, Phase::Ready);
    let stored = block_on(layerlens::library::open(&page.store)).unwrap();
    assert_eq!(stored, page.state.library.catalog);

    // A store that fails does not block the page: ready, the failure in
    // words.
    page.submit(&format!("{HOST}/other:v1"));
    assert_eq!(page.state.phase, Phase::Loading(Step::Recording));
    let (load, _) = page.held.borrow_mut().remove(0);
    lib(
        &mut page,
        LibraryMsg::Recorded {
            load,
            result: Err("writing 9 library records (1234 bytes): the browser's storage quota for this site is full".into()),
        },
    );
    assert_eq!(page.state.phase, Phase::Ready);
    assert!(page
        .state
        .notice
        .as_deref()
        .unwrap()
        .starts_with("The library could not be updated: writing 9 library records"));

    // An image already kept as it is has nothing to write: ready at once.
    page.submit(&format!("{HOST}/demo:v1"));
    assert_eq!(page.state.phase, Phase::Ready);
    assert!(page.held.borrow().is_empty());
    // An answer for a load no longer shown changes nothing of the page.
    page.submit(&format!("{HOST}/third:v1"));
    assert_eq!(page.state.phase, Phase::Loading(Step::Recording));
    lib(
        &mut page,
        LibraryMsg::Recorded {
            load,
            result: Ok(()),
        },
    );
    assert_eq!(page.state.phase, Phase::Loading(Step::Recording));
}

#[test]
fn an_unreadable_stored_catalogue_is_left_alone() {
    let store = MemoryStore::new();
    // A catalogue a newer page wrote.
    let newer = br#"{"format":"layerlens-library","version":99,"images":[],"tags":{},"digests":{},"blobs":{},"layers":{}}"#;
    store.tamper(&Key::Catalog, newer.to_vec());
    let mut page = page_with(demo_registry(), store, "?page=images");
    match &page.state.library.store {
        StoreStatus::TabOnly(why) => assert!(why.contains("version 99"), "{why}"),
        other => panic!("expected tab-only, got {other:?}"),
    }
    assert!(views::library(&page.state).unwrap().store.starts_with(
        "Kept in this tab only — nothing survives a reload: the stored library could not be read"
    ));
    page.submit(&format!("{HOST}/demo:v1"));
    assert_eq!(
        page.state.library.catalog.images().count(),
        1,
        "usable in this tab"
    );
    assert_eq!(page.store.keys(), vec![Key::Catalog], "nothing written");
    assert_eq!(
        block_on(layerlens::library::Store::get(&page.store, &Key::Catalog))
            .unwrap()
            .unwrap(),
        newer
    );
}

#[test]
fn a_failed_load_of_an_image_the_library_holds_offers_it() {
    let (_, manifest, store) = recorded_demo();

    // A registry that no longer has it (as good as unreachable).
    let mut page = page_with(MemRegistry::new(), store, "");
    page.submit(&format!("{HOST}/demo:v1"));
    assert!(matches!(page.state.phase, Phase::Error(_)));
    let bar = views::library_bar(&page.state).expect("the library offers it");
    assert_eq!(
        bar.text,
        format!("{HOST}/demo:v1 is in the library, stored 2024-05-03 12:00:00 +0000 UTC: it opens without the network.")
    );
    assert_eq!(bar.open, Some(manifest.to_string()));
    assert_eq!(bar.refresh, None);
    let asked = page.registry.requests.borrow().len();
    lib(&mut page, LibraryMsg::Open(manifest));
    assert_eq!(page.state.phase, Phase::Ready);
    assert_eq!(page.registry.requests.borrow().len(), asked);

    // An image the library does not hold: no bar.
    page.submit(&format!("{HOST}/nothere:v1"));
    assert!(matches!(page.state.phase, Phase::Error(_)));
    assert!(views::library_bar(&page.state).is_none());
}
