//! `layerlens referrers` against the real registry: a cosign signature and an SBOM under
//! the tag fallback, printed as text (outside text inert) and as JSON.

use layerlens_testkit::registry::media_types as mt;
use layerlens_testkit::registry::tiny_tar::Tar;
use layerlens_testkit::registry::{Flavor, ImageBuilder, Layer, ManifestFormat, Registry};
use layerlens_testkit::supply::*;

use crate::registry::layerlens;

#[test]
fn referrers_text_and_json() {
    let registry = Registry::start(Flavor::Open);
    let push = registry.client();
    let repo = "team/signed";
    let tar = Tar::new().file("app", b"app\n").finish();
    let img = ImageBuilder::oci()
        .layer(Layer::gzip_tar(ManifestFormat::Oci, &tar))
        .build();
    let digest = img.push(&push, repo, Some("v1"));
    let hex = digest.trim_start_matches("sha256:");
    let name = format!("{}/{repo}", registry.host_port());

    let mut sig = Doc::new(SIMPLE_SIGNING, bytes(&simple_signing(&name, &digest)));
    sig.annotations = cosign_annotations();
    Artifact::new(None, vec![sig]).push(&push, repo, Some(&format!("sha256-{hex}.sig")));
    let hostile = "evil\u{1b}[2J<script>";
    let sbom = Artifact::new(
        Some(SPDX_JSON),
        vec![Doc::new(
            SPDX_JSON,
            bytes(&spdx_document(
                vec![spdx_package(
                    "SPDXRef-p",
                    hostile,
                    "1",
                    "MIT",
                    "pkg:generic/evil@1",
                )],
                vec![],
                &[],
            )),
        )],
    )
    .subject(mt::OCI_MANIFEST, &digest, img.manifest.len() as u64);
    let sbom_digest = sbom.push(&push, repo, None);
    push.push_manifest(
        repo,
        &format!("sha256-{hex}"),
        mt::OCI_INDEX,
        &referrers_index(&[&sbom]),
    );

    let reference = format!("{name}:v1");
    let text = layerlens(&["referrers", &reference], None);
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(
        text.stdout.contains(&format!(
            "{sbom_digest}\t{SPDX_JSON}\ttag fallback sha256-{hex}"
        )),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains(&format!("\t{SIMPLE_SIGNING}\tcosign tag sha256-{hex}.sig")),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains(&format!(
            "signature: present and bound to this digest ({digest})"
        )),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("not cryptographically verified"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("SBOM: SPDX 2.3"), "{}", text.stdout);
    assert!(
        text.stdout
            .contains("evil\\x1b[2J<script> 1\tMIT\tpkg:generic/evil@1"),
        "{}",
        text.stdout
    );
    assert!(
        !text.stdout.contains('\u{1b}'),
        "no raw escape reaches the terminal"
    );
    assert!(
        text.stderr
            .contains("tag fallback (the registry has no referrers API)"),
        "{}",
        text.stderr
    );

    let json = layerlens(&["referrers", &reference, "--json"], None);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let list: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let list = list.as_array().expect("an array");
    assert_eq!(list.len(), 2);
    let by = |found: &str| {
        list.iter()
            .find(|a| a["foundBy"] == found)
            .unwrap_or_else(|| panic!("{list:?}"))
    };
    let s = by("tag-fallback");
    assert_eq!(s["digest"], sbom_digest.as_str());
    assert_eq!(s["artifactType"], SPDX_JSON);
    assert_eq!(s["subject"], digest.as_str());
    assert_eq!(
        s["documents"][0]["sbom"]["packages"][0]["name"], hostile,
        "JSON keeps the text as is"
    );
    let c = by("cosign-tag");
    assert_eq!(c["artifactType"], SIMPLE_SIGNING);
    let signature = &c["documents"][0]["signature"];
    assert_eq!(signature["digestMatches"], true);
    assert_eq!(signature["cryptographicallyVerified"], false);
    assert!(signature["certificate"]
        .as_str()
        .unwrap()
        .contains("BEGIN CERTIFICATE"));

    let filtered = layerlens(
        &[
            "referrers",
            &reference,
            "--json",
            "--artifact-type",
            SPDX_JSON,
        ],
        None,
    );
    let list: serde_json::Value = serde_json::from_str(&filtered.stdout).unwrap();
    assert_eq!(list.as_array().map(Vec::len), Some(1));
}
