//! "Already exists": a layer whose blob the library has verified and indexed
//! is not fetched again when another image uses it. Its stored index is
//! verified against the new image's descriptor and `diff_id`; a damaged
//! index, or a config that names another `diff_id`, means the layer is
//! fetched (and judged) as if the library did not have it.

use layerlens::app::views::{self, LayerStatus};
use layerlens::app::{Msg, Phase};
use layerlens::library::Key;
use layerlens::oci::Timestamp;
use layerlens_testkit::app::*;
use serde_json::{json, Value};

/// The demo image's first two layers and a third of its own.
fn sibling() -> TestImage {
    on_demo_base(
        "COPY other /opt/other",
        &[
            Member::dir(b"opt/"),
            Member::file(b"opt/other.txt", b"another app\n"),
        ],
    )
}

/// A page whose library holds the demo image (recorded 2024-05-03), on a
/// registry that also has `sibling:v1`.
fn page_after_demo() -> Page {
    let registry = demo_registry();
    registry.push("sibling", Some("v1"), &sibling());
    let mut page = Page::new(registry);
    page.now = Timestamp::parse_rfc3339("2024-05-03T12:00:00Z").unwrap();
    page.send(Msg::Started {
        query: String::new(),
        page_url: "http://127.0.0.1:8080/".to_owned(),
    });
    page.submit(&format!("{HOST}/demo:v1"));
    assert_eq!(page.state.phase, Phase::Ready);
    page.registry.requests.borrow_mut().clear();
    page
}

/// The merged tree of a page's current image, as text.
fn tree(page: &Page) -> String {
    let cur = page.state.current.as_ref().expect("an image");
    cur.fs.as_ref().expect("a merged tree").render_text()
}

/// The same image loaded by a page with an empty library.
fn fresh_tree(reference: &str) -> String {
    let registry = demo_registry();
    registry.push("sibling", Some("v1"), &sibling());
    let mut page = Page::new(registry);
    page.submit(reference);
    assert_eq!(page.state.phase, Phase::Ready);
    tree(&page)
}

#[test]
fn shared_layers_come_from_the_library_and_only_new_ones_are_fetched() {
    let mut page = page_after_demo();
    let (_, digests) = sibling().manifest(&page.registry, "sibling");
    page.submit(&format!("{HOST}/sibling:v1"));
    assert_eq!(page.state.phase, Phase::Ready);

    let fetched = page.blobs_fetched();
    assert!(
        !fetched.contains(&digests[0]) && !fetched.contains(&digests[1]),
        "the shared layers are not downloaded again: {fetched:?}"
    );
    assert!(
        fetched.contains(&digests[2]),
        "the new layer is: {fetched:?}"
    );
    assert_eq!(
        fetched.len(),
        2,
        "the config and the new layer: {fetched:?}"
    );

    let since = LayerStatus::AlreadyVerified {
        since: "2024-05-03".to_owned(),
    };
    assert_eq!(
        page.layer_statuses(),
        [since.clone(), since, LayerStatus::Verified]
    );
    assert_eq!(tree(&page), fresh_tree(&format!("{HOST}/sibling:v1")));
    let overview = views::overview(&page.state).expect("an overview");
    assert_eq!(overview.verified, Some(true));
    let details: Vec<&str> = overview.checks.iter().map(|c| c.detail.as_str()).collect();
    assert!(
        details[2].starts_with("already verified in this browser on 2024-05-03: ")
            && details[3].starts_with("already verified in this browser on 2024-05-03: ")
            && details[4].is_empty(),
        "manifest, config, then each layer with where its verdict came from: {details:?}"
    );
    assert_eq!(
        page.state.library.catalog.images().count(),
        2,
        "the second image is recorded too"
    );
    assert!(page.state.library.store_error.is_none());
}

#[test]
fn an_image_wholly_in_the_library_fetches_no_layer() {
    let mut page = page_after_demo();
    page.registry.push("copy", Some("v1"), &demo_image());
    page.submit(&format!("{HOST}/copy:v1"));
    assert_eq!(page.state.phase, Phase::Ready);
    assert_eq!(page.blobs_fetched().len(), 1, "only the config");
    assert!(page
        .layer_statuses()
        .iter()
        .all(|s| matches!(s, LayerStatus::AlreadyVerified { .. })));
    assert_eq!(tree(&page), fresh_tree(&format!("{HOST}/demo:v1")));
}

#[test]
fn a_damaged_stored_index_means_the_layer_is_fetched_again() {
    let mut page = page_after_demo();
    let (_, digests) = sibling().manifest(&page.registry, "sibling");
    let key = Key::LayerIndex(digests[0].parse().unwrap());
    page.store.tamper(&key, b"not a layer index".to_vec());
    page.submit(&format!("{HOST}/sibling:v1"));
    assert_eq!(page.state.phase, Phase::Ready);

    let fetched = page.blobs_fetched();
    assert!(fetched.contains(&digests[0]), "refetched: {fetched:?}");
    assert!(!fetched.contains(&digests[1]), "{fetched:?}");
    let s = page.layer_statuses();
    assert_eq!(s[0], LayerStatus::Verified, "scanned and verified anew");
    assert!(matches!(s[1], LayerStatus::AlreadyVerified { .. }));
    assert_eq!(tree(&page), fresh_tree(&format!("{HOST}/sibling:v1")));
}

#[test]
fn another_layers_index_under_the_key_means_the_layer_is_fetched() {
    let mut page = page_after_demo();
    let (_, digests) = sibling().manifest(&page.registry, "sibling");
    // Another layer's index under this layer's key: decodes, but is not
    // the index of this blob.
    let other = page
        .store
        .keys()
        .into_iter()
        .find(|k| {
            matches!(k, Key::LayerIndex(d) if d.to_string() != digests[1]
            && d.to_string() != digests[0])
        })
        .expect("the demo's third layer index");
    for d in &digests[..2] {
        let bytes = layerlens::library::Store::get(&page.store, &other);
        let bytes = block_on(bytes).unwrap().unwrap();
        page.store
            .tamper(&Key::LayerIndex(d.parse().unwrap()), bytes);
    }
    page.submit(&format!("{HOST}/sibling:v1"));
    assert_eq!(page.state.phase, Phase::Ready);
    let fetched = page.blobs_fetched();
    assert!(
        digests.iter().all(|d| fetched.contains(d)),
        "every layer fetched: {fetched:?}"
    );
    assert_eq!(page.layer_statuses(), [const { LayerStatus::Verified }; 3]);
    assert_eq!(tree(&page), fresh_tree(&format!("{HOST}/sibling:v1")));
}

#[test]
fn a_config_naming_another_diff_id_is_not_taken_from_the_library() {
    let mut page = page_after_demo();
    // The demo's blobs under a config whose first diff_id is another one:
    // the stored index (of the real tar) does not verify against it, so the
    // layer is fetched and, scanned, found not to be what the config says.
    let image = demo_image();
    let (manifest, _) = image.manifest(&page.registry, "liar");
    let mut config: Value = serde_json::from_slice(&image.config_json()).unwrap();
    config["rootfs"]["diff_ids"][0] = json!(digest_of(b"something else"));
    let config = serde_json::to_vec(&config).unwrap();
    let config_digest = page.registry.put_blob("liar", &config);
    let mut manifest: Value = serde_json::from_slice(&manifest).unwrap();
    manifest["config"]["digest"] = json!(config_digest);
    manifest["config"]["size"] = json!(config.len());
    let first_layer = manifest["layers"][0]["digest"].as_str().unwrap().to_owned();
    page.registry.put_manifest(
        "liar",
        Some("v1"),
        "application/vnd.oci.image.manifest.v1+json",
        &serde_json::to_vec(&manifest).unwrap(),
    );
    page.submit(&format!("{HOST}/liar:v1"));
    assert_eq!(page.state.phase, Phase::Ready);
    assert!(page.blobs_fetched().contains(&first_layer));
    let s = page.layer_statuses();
    assert!(
        matches!(&s[0], LayerStatus::Problem(why) if why.contains("diff")),
        "{s:?}"
    );
    assert!(matches!(s[1], LayerStatus::AlreadyVerified { .. }), "{s:?}");
}

#[test]
fn a_link_opened_before_the_library_is_read_still_reuses_its_layers() {
    // The browser's IndexedDB can answer after the registry: the layers
    // wait for the catalogue instead of all being fetched.
    let first = page_after_demo();
    let mut page = Page::new(first.registry.clone());
    page.store = first.store;
    page.now = first.now;
    page.slow_open = true;
    page.send(Msg::Started {
        query: format!("?image={HOST}/sibling:v1"),
        page_url: "http://127.0.0.1:8080/".to_owned(),
    });
    page.registry.requests.borrow_mut().clear();
    assert_eq!(
        page.state.phase,
        Phase::Loading(layerlens::app::Step::Layers)
    );
    assert!(
        page.blobs_fetched().is_empty(),
        "nothing fetched before the catalogue is read"
    );
    page.finish_opening();
    assert_eq!(page.state.phase, Phase::Ready);
    let fetched = page.blobs_fetched();
    assert_eq!(
        fetched.len(),
        1,
        "only the layer the library lacks: {fetched:?}"
    );
    let st = page.layer_statuses();
    assert!(
        matches!(st[0], LayerStatus::AlreadyVerified { .. }),
        "{st:?}"
    );
    assert!(
        matches!(st[1], LayerStatus::AlreadyVerified { .. }),
        "{st:?}"
    );
    assert_eq!(st[2], LayerStatus::Verified);
}
