//! The raw documents section: the index, manifest and config exactly as
//! verified, pretty-printed in document order, and every digest in them a
//! link to what it names (a platform, a layer, a document, another object).

use layerlens::app::views::{self, lines_text, DigestTarget, RawSpan};
use layerlens::app::{Msg, Phase, Reveal, Tab};
use layerlens_testkit::app::*;

/// Every linked digest of a document, with what it opens.
fn links(doc: &views::RawDocView) -> Vec<(String, DigestTarget)> {
    doc.lines
        .iter()
        .flatten()
        .filter_map(|s| match s {
            RawSpan::Digest { digest, target } => Some((digest.clone(), target.clone())),
            RawSpan::Text(_) => None,
        })
        .collect()
}

#[test]
fn an_index_manifest_and_config_are_shown_with_their_digests_linked() {
    let mut page = Page::new(demo_registry());
    page.submit(&format!("{HOST}/multi:v1"));
    assert_eq!(page.state.phase, Phase::Ready);
    let docs = views::raw_documents(&page.state);
    let ids: Vec<&str> = docs.iter().map(|d| d.id).collect();
    assert_eq!(ids, ["index", "manifest", "config"]);

    let img = page.state.current.as_ref().unwrap().image.as_ref().unwrap();
    // What is printed is the verified bytes re-indented: the same JSON value,
    // the keys in the document's own order.
    for (doc, bytes) in docs.iter().zip([
        img.index.as_ref().unwrap().verified.bytes(),
        img.manifest.verified.bytes(),
        img.config.as_ref().unwrap().0.bytes(),
    ]) {
        let printed = lines_text(&doc.lines);
        let a: serde_json::Value = serde_json::from_str(&printed).unwrap();
        let b: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        assert_eq!(a, b, "{} changed meaning when printed", doc.id);
        assert!(printed.lines().count() > 3, "{} is laid out", doc.id);
        assert_eq!(doc.size, bytes.len());
        assert_eq!(doc.omitted_lines, 0);
    }
    assert!(docs[0].digest.starts_with("sha256:"));

    // The index links the chosen platform's manifest (shown below) and the
    // other platform (switching to it); the manifest links its
    // config (a document) and its layer; the config links the layer's diff_id.
    let index_links: Vec<DigestTarget> = links(&docs[0]).into_iter().map(|(_, t)| t).collect();
    assert_eq!(
        index_links,
        [
            DigestTarget::Document("manifest"),
            DigestTarget::Platform("linux/arm64/v8".into())
        ]
    );
    let manifest_links: Vec<DigestTarget> = links(&docs[1]).into_iter().map(|(_, t)| t).collect();
    assert_eq!(
        manifest_links,
        [DigestTarget::Document("config"), DigestTarget::Layer(0)]
    );
    let config_links = links(&docs[2]);
    assert_eq!(config_links.len(), 1);
    assert_eq!(config_links[0].1, DigestTarget::Layer(0));
    assert_eq!(
        config_links[0].0,
        img.image_config().unwrap().diff_ids()[0].to_string()
    );
}

#[test]
fn clicking_digests_switches_platform_selects_layers_and_reveals_documents() {
    let mut page = Page::new(demo_registry());
    page.submit(&format!("{HOST}/multi:v1"));
    let docs = views::raw_documents(&page.state);
    let arm = links(&docs[0])[1].0.clone();
    let (config, layer) = {
        let l = links(&docs[1]);
        (l[0].0.clone(), l[1].0.clone())
    };

    // A document's digest shows the raw documents' tab, opened at it.
    page.send(Msg::DigestOpened(config));
    assert_eq!(page.revealed, [Reveal::Config]);
    assert_eq!(page.state.workbench.tab, Tab::Raw);
    assert!(page.url().contains("tab=raw"), "{}", page.url());

    // A layer's digest selects it, in the files tab.
    page.send(Msg::DigestOpened(layer));
    assert_eq!(page.state.layer, Some(0));
    assert_eq!(page.revealed, [Reveal::Config, Reveal::Layers]);
    assert_eq!(page.state.workbench.tab, Tab::Files);
    assert!(page.url().contains("layer=0"), "{}", page.url());
    assert!(!page.url().contains("tab="), "{}", page.url());

    page.send(Msg::DigestOpened(arm));
    assert_eq!(page.state.phase, Phase::Ready);
    assert_eq!(
        views::overview(&page.state).unwrap().platform,
        "linux/arm64/v8"
    );
    assert!(page.url().contains("platform=linux/arm64/v8"));

    // A digest the image does not hold, or no digest at all, does nothing.
    let before = page.url().to_owned();
    page.send(Msg::DigestOpened(format!("sha256:{}", "0".repeat(64))));
    page.send(Msg::DigestOpened("<img src=x onerror=alert(1)>".into()));
    assert_eq!(page.url(), before);
    assert_eq!(page.state.phase, Phase::Ready);
}

#[test]
fn a_single_manifest_has_no_index_section() {
    let page = demo_page();
    let ids: Vec<&str> = views::raw_documents(&page.state)
        .iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(ids, ["manifest", "config"]);
    assert_eq!(views::raw_key(&page.state).len(), 2);
    assert!(views::raw_documents(&layerlens::app::State::default()).is_empty());
}
