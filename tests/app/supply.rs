//! The page's supply chain (`app::supply`, the "Supply chain" tab): once
//! the image is resolved and the tab shown, its attachments are looked for in the registry
//! (cosign tags, the referrers tag fallback) and their documents read; the
//! tab lists signatures, SBOM packages, SBOM files checked against the
//! merged tree, provenance and what was refused; a file of the tree names
//! its owning package; documents can be saved and shown raw. The documents
//! are written here from the specs (tests/support/supply.rs); what each
//! file check should say follows from the bytes put in the image and in the
//! SBOM, not from the product.

use layerlens::app::supply::{SupplyMsg, SupplyStatus, PAGE_MAX_DOCUMENT_BYTES};
use layerlens::app::views::{self, lines_text};
use layerlens::app::{Msg, Tab};
use layerlens_testkit::app::*;
use layerlens_testkit::registry::{media_types as mt, sha256_digest};
use layerlens_testkit::supply::*;

const REPO: &str = "team/app";
const TOOL: &[u8] = b"tool v1\n";

fn image() -> TestImage {
    TestImage::new().layer(
        "COPY tool",
        &[
            Member::dir(b"usr/"),
            Member::dir(b"usr/bin/"),
            Member::file(b"usr/bin/tool", TOOL),
            Member::dir(b"etc/"),
            Member::file(b"etc/motd", b"welcome\n"),
        ],
    )
}

/// The image and its attachments: a cosign signature (and one of another
/// digest under the same tag family would be another image's: not here),
/// an SPDX SBOM and a stranger under the referrers tag fallback, SLSA v1
/// provenance as a cosign attestation, and an SBOM too large for the page.
fn registry() -> (MemRegistry, String) {
    let reg = MemRegistry::new();
    let img = image();
    let (manifest, _) = img.manifest(&reg, REPO);
    let digest = reg.put_manifest(REPO, Some("v1"), mt::OCI_MANIFEST, &manifest);
    let other = reg.push(REPO, Some("other"), &TestImage::new().layer("x", &[]));
    let name = format!("{HOST}/{REPO}");
    let tag = format!("sha256-{}", digest_hex(&digest));

    let mut sig = Doc::new(SIMPLE_SIGNING, bytes(&simple_signing(&name, &digest)));
    sig.annotations = cosign_annotations();
    Artifact::new(None, vec![sig]).put_into(&reg, REPO, Some(&format!("{tag}.sig")));

    let sbom = spdx_document(
        vec![
            spdx_package("SPDXRef-tool", "tool", "1.0", "MIT", "pkg:generic/tool@1.0"),
            hostile_package(),
            spdx_package("SPDXRef-zlib", "zlib", "1.3", "Zlib", "pkg:apk/zlib@1.3"),
        ],
        vec![
            spdx_file(
                "SPDXRef-f1",
                "/usr/bin/tool",
                Some(digest_hex(&sha256_digest(TOOL))),
            ),
            spdx_file(
                "SPDXRef-f2",
                "/etc/motd",
                Some(digest_hex(&sha256_digest(b"other\n"))),
            ),
            spdx_file(
                "SPDXRef-f3",
                "../../etc/shadow",
                Some(digest_hex(&sha256_digest(b"x"))),
            ),
            spdx_file(
                "SPDXRef-f4",
                "/opt/missing",
                Some(digest_hex(&sha256_digest(b"y"))),
            ),
        ],
        &[("SPDXRef-tool", "SPDXRef-f1")],
    );
    let subject = (mt::OCI_MANIFEST, digest.as_str(), manifest.len() as u64);
    let spdx = Artifact::new(Some(SPDX_JSON), vec![Doc::new(SPDX_JSON, bytes(&sbom))])
        .subject(subject.0, subject.1, subject.2);
    let stranger = Artifact::new(
        Some(CYCLONEDX_JSON),
        vec![Doc::new(CYCLONEDX_JSON, bytes(&cdx_bom(vec![])))],
    )
    .subject(mt::OCI_MANIFEST, &other, 10);
    let padding = "x".repeat(PAGE_MAX_DOCUMENT_BYTES);
    let huge = Artifact::new(
        Some(CYCLONEDX_JSON),
        vec![Doc::new(
            CYCLONEDX_JSON,
            bytes(&serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "pad": padding})),
        )],
    )
    .subject(subject.0, subject.1, subject.2);
    for a in [&spdx, &stranger, &huge] {
        a.put_into(&reg, REPO, None);
    }
    reg.put_manifest(
        REPO,
        Some(&tag),
        mt::OCI_INDEX,
        &referrers_index(&[&spdx, &stranger, &huge]),
    );

    let slsa = bytes(&statement(
        "v1",
        &digest,
        SLSA_V1,
        slsa_v1(
            "https://github.com/actions/runner",
            "https://github.com/org/app",
            "c0ffee",
        ),
    ));
    let att = Doc::new(DSSE, bytes(&dsse(&slsa))).annotate("predicateType", SLSA_V1);
    Artifact::new(None, vec![att]).put_into(&reg, REPO, Some(&format!("{tag}.att")));
    (reg, digest)
}

fn open(reg: MemRegistry) -> Page {
    let mut page = Page::new(reg);
    page.supply = true;
    page.send(Msg::Started {
        query: format!("?image={HOST}/{REPO}:v1&tab=supply"),
        page_url: "http://127.0.0.1:8080/".to_owned(),
    });
    page
}

#[test]
fn signatures_sboms_provenance_and_refusals_are_shown_with_files_checked() {
    let (reg, digest) = registry();
    let mut page = open(reg);
    let cur = page.state.current.as_ref().expect("an image");
    assert!(matches!(cur.supply, SupplyStatus::Found(_)));
    assert!(cur.fs.is_some());
    let v = views::supply(&page.state);
    assert_eq!(v.status, "done");

    // The signature: bound to this digest, said not to be verified.
    assert_eq!(v.signatures.len(), 1, "{v:#?}");
    let s = &v.signatures[0];
    assert!(s.digest_matches);
    assert_eq!(s.signed, digest);
    assert!(
        s.verdict.contains("not cryptographically verified"),
        "{}",
        s.verdict
    );
    assert!(s.certificate.is_some());
    assert!(
        s.head.found.starts_with("cosign tag sha256-"),
        "{}",
        s.head.found
    );

    // The SBOM: every package, names as written; files against the tree.
    assert_eq!(v.sboms.len(), 1);
    let sbom = &v.sboms[0];
    let names: Vec<&str> = sbom.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["tool", "<img src=x onerror=alert(1)>", "zlib"]);
    assert_eq!(sbom.packages[1].licenses, "<b>GPL</b>");
    let checks: Vec<(&str, &str)> = sbom
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.status))
        .collect();
    // Problems first: the mismatch, the path outside the root, the missing one.
    assert_eq!(
        checks,
        [
            ("/etc/motd", "DIFFERS"),
            ("../../etc/shadow", "outside"),
            ("/opt/missing", "missing"),
            ("/usr/bin/tool", "ok"),
        ]
    );
    let motd = &sbom.files[0];
    assert!(
        motd.detail
            .contains(digest_hex(&sha256_digest(b"welcome\n"))),
        "{}",
        motd.detail
    );
    assert_eq!(sbom.files[1].reveal, None);
    assert_eq!(sbom.files[3].reveal.as_deref(), Some(&b"usr/bin/tool"[..]));
    assert!(
        sbom.files_summary.contains("1 match, 1 differ"),
        "{}",
        sbom.files_summary
    );

    // Provenance from the cosign attestation.
    assert_eq!(v.provenance.len(), 1);
    let p = &v.provenance[0];
    assert_eq!(p.version, "SLSA v1");
    let fact = |k: &str| {
        p.facts
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(fact("Source"), Some("https://github.com/org/app"));
    assert_eq!(fact("Commit"), Some("c0ffee"));
    assert_eq!(p.head.about_this, Some(true));

    // The SBOM too large for the page is named with what to do; the
    // stranger is refused as another image's.
    let failed: Vec<&str> = v
        .others
        .iter()
        .filter(|o| o.failed)
        .map(|o| o.note.as_str())
        .collect();
    assert_eq!(failed.len(), 1, "{:#?}", v.others);
    assert!(failed[0].contains("layerlens referrers"), "{}", failed[0]);
    assert_eq!(v.rejected.len(), 1);
    assert!(v.rejected[0].contains("another image"), "{}", v.rejected[0]);
    assert!(v.problems.is_empty(), "{:?}", v.problems);
    assert!(
        v.summary
            .contains("1 signature, 1 SBOM, 1 provenance document"),
        "{}",
        v.summary
    );

    // A file of the tree names its package; another file names none.
    assert_eq!(
        views::owners(&page.state, b"usr/bin/tool"),
        ["tool 1.0 (SPDX 2.3 SBOM)"]
    );
    assert!(views::owners(&page.state, b"etc/motd").is_empty());

    // The search narrows the packages (by licence here).
    page.send(Msg::Supply(SupplyMsg::Query("ZLIB".into())));
    let v = views::supply(&page.state);
    let names: Vec<&str> = v.sboms[0]
        .packages
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["zlib"]);
    assert_eq!(v.sboms[0].packages_total, 3);

    // An SBOM file opens in the tree, on the files tab.
    page.send(Msg::Workbench(layerlens::app::WorkbenchMsg::TabChosen(
        Tab::Supply,
    )));
    page.send(Msg::Supply(SupplyMsg::Reveal(b"usr/bin/tool".to_vec())));
    assert_eq!(page.state.tree.selected(), Some(&b"usr/bin/tool"[..]));
    assert_eq!(page.state.workbench.tab, Tab::Files);

    // A document saved is its verified bytes; its raw view prints it.
    let (a, d) = (sbom.head.attachment, sbom.head.document);
    page.send(Msg::Supply(SupplyMsg::Download(a, d)));
    let (name, saved) = page.downloads.last().expect("a download").clone();
    assert_eq!(sha256_digest(&saved), sbom.head.digest);
    assert_eq!(
        name,
        format!("sha256-{}.json", digest_hex(&sbom.head.digest))
    );
    page.send(Msg::Supply(SupplyMsg::Raw(Some((a, d)))));
    let raw = views::supply(&page.state).raw.expect("the raw document");
    let text = lines_text(&raw.lines);
    assert!(text.contains("\"spdxVersion\": \"SPDX-2.3\""), "{text}");
    page.send(Msg::Supply(SupplyMsg::Raw(None)));
    assert!(views::supply(&page.state).raw.is_none());
}

#[test]
fn an_image_with_nothing_attached_says_so_and_a_failed_registry_is_named() {
    let reg = MemRegistry::new();
    reg.push(REPO, Some("v1"), &image());
    let page = open(reg);
    let v = views::supply(&page.state);
    assert_eq!(v.status, "done");
    assert!(v.signatures.is_empty() && v.sboms.is_empty() && v.provenance.is_empty());
    assert!(
        v.summary.starts_with("Nothing is attached"),
        "{}",
        v.summary
    );
    assert!(v.problems.is_empty(), "{:?}", v.problems);
    assert!(views::owners(&page.state, b"usr/bin/tool").is_empty());
}

#[test]
fn the_supply_chain_is_looked_for_once_the_tab_is_shown_and_once_per_image() {
    use layerlens::app::supply::{SupplyEffect, SupplyFound};
    use layerlens::app::{Effect, WorkbenchMsg};
    let (reg, _) = registry();
    // The discovery effect is recorded, not run (`page.supply` is off).
    let mut page = Page::new(reg);
    page.send(Msg::Started {
        query: format!("?image={HOST}/{REPO}:v1"),
        page_url: "http://127.0.0.1:8080/".to_owned(),
    });
    let asked = |page: &Page| -> Vec<u64> {
        page.effects
            .iter()
            .filter_map(|e| match e {
                Effect::Supply(SupplyEffect::Discover(t)) => Some(t.load.0),
                _ => None,
            })
            .collect()
    };
    // Viewing the files asks the registry for nothing more.
    assert!(asked(&page).is_empty());
    assert_eq!(views::supply(&page.state).status, "none");
    let load = page.state.current.as_ref().expect("a load").load;
    for tab in [Tab::Supply, Tab::Files, Tab::Supply] {
        page.send(Msg::Workbench(WorkbenchMsg::TabChosen(tab)));
    }
    assert_eq!(asked(&page), [load.0]);
    assert_eq!(views::supply(&page.state).status, "looking");
    let nothing = || {
        Box::new(SupplyFound {
            discovery: Default::default(),
            documents: Vec::new(),
        })
    };
    // An answer for another load changes nothing.
    page.send(Msg::SupplyFound {
        load: layerlens::app::LoadId(load.0 + 100),
        found: nothing(),
    });
    assert_eq!(views::supply(&page.state).status, "looking");
    page.send(Msg::SupplyFound {
        load,
        found: nothing(),
    });
    assert_eq!(views::supply(&page.state).status, "done");
    assert_eq!(asked(&page), [load.0]);
}
