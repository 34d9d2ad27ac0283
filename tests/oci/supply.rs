//! The supply-chain parsers (`layerlens::supply`) on documents written from the specs —
//! SPDX 2.3, CycloneDX 1.5, in-toto Statements v0.1 and v1 (plain and in DSSE), SLSA
//! provenance v0.2 and v1, cosign simple signing — and on hostile ones: markup in names and
//! licences, paths outside the image, wrong types, another image's digest. And an SBOM's
//! files held against a merged tree.

use std::collections::BTreeMap;

use layerlens::fs::MergedFs;
use layerlens::oci::{Digest, DocumentError, MediaType, Verified};
use layerlens::supply::{
    check_files, parse_content, Content, FileStatus, FilesSummary, Sbom, SbomFormat, Signature,
    SlsaVersion, StatementVersion, SupplyError,
};
use layerlens_testkit::fs::{dir, file, sha_hex, sym};
use layerlens_testkit::oci_docs::{verified, D1, D2};
use layerlens_testkit::supply::*;
use serde_json::{json, Value};

const NAME: &str = "registry.example.com/team/app";

fn image() -> Digest {
    D1.parse().unwrap()
}

fn read(media_type: &str, doc: &Value) -> Result<Content, SupplyError> {
    read_with(media_type, doc, &BTreeMap::new())
}

fn read_with(
    media_type: &str,
    doc: &Value,
    annotations: &BTreeMap<String, String>,
) -> Result<Content, SupplyError> {
    let v: Verified = verified(&bytes(doc));
    parse_content(
        &v,
        &MediaType::parse(media_type).unwrap(),
        annotations,
        &image(),
        NAME,
    )
}

fn sbom(content: Content) -> Sbom {
    match content {
        Content::Sbom { sbom, .. } => sbom,
        other => panic!("expected an SBOM, got {other:?}"),
    }
}

fn busybox_spdx() -> Value {
    spdx_document(
        vec![
            spdx_package(
                "SPDXRef-busybox",
                "busybox",
                "1.36.1-r2",
                "GPL-2.0-only",
                "pkg:apk/alpine/busybox@1.36.1-r2",
            ),
            spdx_package(
                "SPDXRef-musl",
                "musl",
                "1.2.4-r2",
                "MIT",
                "pkg:apk/alpine/musl@1.2.4-r2",
            ),
        ],
        vec![
            spdx_file(
                "SPDXRef-f1",
                "/bin/busybox",
                Some(&sha_hex(b"busybox binary")),
            ),
            spdx_file("SPDXRef-f2", "./lib/ld-musl.so.1", Some(&sha_hex(b"musl"))),
            spdx_file("SPDXRef-f3", "/etc/motd", None),
        ],
        &[
            ("SPDXRef-busybox", "SPDXRef-f1"),
            ("SPDXRef-musl", "SPDXRef-f2"),
        ],
    )
}

#[test]
fn spdx_packages_licences_purls_and_owned_files() {
    let s = sbom(read(SPDX_JSON, &busybox_spdx()).unwrap());
    assert_eq!(s.format, SbomFormat::Spdx("SPDX-2.3".into()));
    assert_eq!(s.format.to_string(), "SPDX 2.3");
    let names: Vec<_> = s.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["busybox", "musl"]);
    assert_eq!(s.packages[0].version.as_deref(), Some("1.36.1-r2"));
    // NOASSERTION says nothing and is left out.
    assert_eq!(s.packages[0].licenses, ["GPL-2.0-only"]);
    assert_eq!(s.packages[1].purls, ["pkg:apk/alpine/musl@1.2.4-r2"]);
    assert_eq!(s.files.len(), 3);
    assert_eq!(
        s.files[0].sha256(),
        Some(sha_hex(b"busybox binary").as_str())
    );
    assert_eq!(s.files[2].sha256(), None);
    // Ownership, whatever spelling of the path is asked.
    for path in [
        &b"bin/busybox"[..],
        b"/bin/busybox",
        b"./bin/../bin/busybox",
    ] {
        let owners: Vec<_> = s.owners(path).iter().map(|p| p.name.clone()).collect();
        assert_eq!(owners, ["busybox"], "{}", String::from_utf8_lossy(path));
    }
    assert_eq!(s.owners(b"lib/ld-musl.so.1")[0].name, "musl");
    assert!(s.owners(b"etc/motd").is_empty(), "listed without an owner");
    assert!(s.owners(b"etc/passwd").is_empty(), "not listed");
}

#[test]
fn spdx_ownership_by_has_files_and_contained_by() {
    let mut doc = busybox_spdx();
    doc["relationships"] = json!([{"spdxElementId": "SPDXRef-f3",
        "relationshipType": "CONTAINED_BY", "relatedSpdxElement": "SPDXRef-musl"}]);
    doc["packages"][0]["hasFiles"] = json!(["SPDXRef-f1"]);
    let s = sbom(read(SPDX_JSON, &doc).unwrap());
    assert_eq!(s.owners(b"bin/busybox")[0].name, "busybox");
    assert_eq!(s.owners(b"etc/motd")[0].name, "musl");
    assert!(s.owners(b"lib/ld-musl.so.1").is_empty());
}

#[test]
fn cyclonedx_nested_components_files_and_evidence() {
    let mut openssl = cdx_component(
        "openssl",
        "3.1.4",
        "Apache-2.0",
        "pkg:apk/alpine/openssl@3.1.4",
    );
    openssl["components"] = json!([cdx_file("/usr/lib/libssl.so.3", &sha_hex(b"ssl"))]);
    let mut zlib = cdx_component("zlib", "1.3", "Zlib", "pkg:apk/alpine/zlib@1.3");
    zlib["evidence"] = json!({"occurrences": [{"location": "/lib/libz.so.1"}]});
    zlib["licenses"] = json!([{"expression": "Zlib OR MIT"}, {"license": {"name": "custom"}}]);
    let bom = cdx_bom(vec![
        openssl,
        zlib,
        cdx_file("/etc/issue", &sha_hex(b"issue")),
    ]);
    let s = sbom(read(CYCLONEDX_JSON, &bom).unwrap());
    assert_eq!(s.format.to_string(), "CycloneDX 1.5");
    assert_eq!(s.name.as_deref(), Some("fixture"));
    let names: Vec<_> = s.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["openssl", "zlib"]);
    assert_eq!(s.packages[0].licenses, ["Apache-2.0"]);
    assert_eq!(s.packages[1].licenses, ["Zlib OR MIT", "custom"]);
    assert_eq!(s.owners(b"usr/lib/libssl.so.3")[0].name, "openssl");
    assert_eq!(s.owners(b"lib/libz.so.1")[0].name, "zlib");
    assert!(
        s.owners(b"etc/issue").is_empty(),
        "a top-level file has no owner"
    );
    assert_eq!(
        s.files_at(b"/etc/issue")[0].sha256(),
        Some(sha_hex(b"issue").as_str())
    );
}

#[test]
fn cyclonedx_before_1_4_is_refused_with_the_field() {
    let mut bom = cdx_bom(vec![]);
    bom["specVersion"] = json!("1.3");
    let e = read(CYCLONEDX_JSON, &bom).unwrap_err();
    assert!(
        matches!(&e, SupplyError::Invalid { path, .. } if path == "specVersion"),
        "{e}"
    );
    assert!(e.to_string().contains("not CycloneDX 1.4 or later"), "{e}");
}

#[test]
fn in_toto_v01_spdx_and_v1_cyclonedx_predicates() {
    let st = statement("v0.1", D1, SPDX_PREDICATE, busybox_spdx());
    let c = read(IN_TOTO, &st).unwrap();
    let s = c.statement().expect("a statement").clone();
    assert_eq!(s.version, StatementVersion::V0_1);
    assert_eq!(s.predicate_type, SPDX_PREDICATE);
    assert!(s.names(&image()), "the statement is about this image");
    assert!(!s.names(&D2.parse().unwrap()));
    assert_eq!(sbom(c).packages.len(), 2);

    let bom = cdx_bom(vec![cdx_component(
        "zlib",
        "1.3",
        "Zlib",
        "pkg:apk/alpine/zlib@1.3",
    )]);
    let st = statement("v1", D2, CYCLONEDX_PREDICATE, bom);
    let c = read(IN_TOTO, &st).unwrap();
    assert_eq!(c.statement().unwrap().version, StatementVersion::V1);
    assert!(
        !c.statement().unwrap().names(&image()),
        "about another image"
    );
    assert_eq!(sbom(c).packages[0].name, "zlib");
}

#[test]
fn dsse_envelope_unwraps_to_the_statement() {
    let st = statement("v1", D1, SPDX_PREDICATE, busybox_spdx());
    let c = read(DSSE, &dsse(&bytes(&st))).unwrap();
    assert_eq!(sbom(c).packages[0].name, "busybox");
    let mut bad = dsse(b"{}");
    bad["payload"] = json!("not base64!");
    let e = read(DSSE, &bad).unwrap_err();
    assert!(
        matches!(&e, SupplyError::Invalid { path, .. } if path == "payload"),
        "{e}"
    );
}

#[test]
fn slsa_provenance_v02_and_v1() {
    let cases = [
        (
            "v0.1",
            SLSA_V02,
            slsa_v02(
                "https://github.com/docker/buildx@v0.12",
                "https://github.com/org/app.git",
                "abc123",
            ),
            SlsaVersion::V0_2,
            (
                "https://github.com/docker/buildx@v0.12",
                "https://mobyproject.org/buildkit@v1",
            ),
            (
                "https://github.com/org/app.git",
                "abc123",
                "pkg:docker/alpine@3.20",
            ),
        ),
        (
            "v1",
            SLSA_V1,
            slsa_v1(
                "https://github.com/actions/runner",
                "https://github.com/org/app",
                "def456",
            ),
            SlsaVersion::V1,
            (
                "https://github.com/actions/runner",
                "https://actions.github.io/buildtypes/workflow/v1",
            ),
            (
                "https://github.com/org/app",
                "def456",
                "git+https://github.com/org/app@refs/heads/main",
            ),
        ),
    ];
    for (
        version,
        predicate_type,
        predicate,
        slsa,
        (builder, build_type),
        (repo, commit, material),
    ) in cases
    {
        let c = read(IN_TOTO, &statement(version, D1, predicate_type, predicate)).unwrap();
        let Content::Provenance { provenance: p, .. } = c else {
            panic!("{c:?}")
        };
        assert_eq!(p.version, slsa);
        assert_eq!(p.builder.as_deref(), Some(builder));
        assert_eq!(p.build_type.as_deref(), Some(build_type));
        let src = p.source.unwrap();
        assert_eq!(
            (src.repository.as_str(), src.commit.as_deref()),
            (repo, Some(commit))
        );
        assert_eq!(p.materials[0].uri, material);
    }
}

#[test]
fn an_unknown_predicate_is_listed_not_read() {
    let st = statement(
        "v1",
        D1,
        "https://example.com/vuln-scan/v1",
        json!({"any": [1, 2]}),
    );
    let c = read(IN_TOTO, &st).unwrap();
    assert!(matches!(&c, Content::Statement(s) if s.predicate_type.ends_with("vuln-scan/v1")));
    let e = read(
        IN_TOTO,
        &json!({"_type": "https://example.com/not-in-toto",
        "subject": [], "predicateType": "x"}),
    )
    .unwrap_err();
    assert!(
        matches!(&e, SupplyError::Invalid { path, .. } if path == "_type"),
        "{e}"
    );
}

#[test]
fn a_signature_for_this_image_is_bound_but_not_verified() {
    let annotations: BTreeMap<_, _> = cosign_annotations().into_iter().collect();
    let c = read_with(SIMPLE_SIGNING, &simple_signing(NAME, D1), &annotations).unwrap();
    let Content::Signature(sig) = c else {
        panic!("{c:?}")
    };
    assert!(sig.digest_matches);
    assert_eq!(sig.reference_matches, Some(true));
    assert_eq!(sig.signature.as_deref(), Some(&b"\x30\x45fake-ecdsa"[..]));
    assert!(sig
        .certificate
        .as_deref()
        .unwrap()
        .starts_with("-----BEGIN CERTIFICATE-----"));
    let verdict = sig.verdict();
    assert!(
        verdict.starts_with(&format!("present and bound to this digest ({D1})")),
        "{verdict}"
    );
    assert!(verdict.contains(Signature::NOT_VERIFIED));
    assert!(verdict.contains("not cryptographically verified"));
}

#[test]
fn a_signature_naming_another_digest_or_repository_does_not_match() {
    let c = read(
        SIMPLE_SIGNING,
        &simple_signing("registry.example.com/other", D2),
    )
    .unwrap();
    let Content::Signature(sig) = c else {
        panic!("{c:?}")
    };
    assert!(!sig.digest_matches);
    assert_eq!(sig.signed_digest.to_string(), D2);
    assert_eq!(sig.reference_matches, Some(false));
    assert_eq!(sig.signature, None);
    let verdict = sig.verdict();
    assert!(
        verdict.contains(&format!("NOT for this image: it signs {D2}")),
        "{verdict}"
    );
    assert!(
        verdict.contains("another repository (registry.example.com/other)"),
        "{verdict}"
    );
    let e = read(SIMPLE_SIGNING, &simple_signing(NAME, "sha256:nothex")).unwrap_err();
    assert!(
        matches!(&e, SupplyError::Invalid { path, .. }
        if path == "critical.image.docker-manifest-digest"),
        "{e}"
    );
}

#[test]
fn markup_in_names_and_licences_is_kept_as_text() {
    let hostile = "<img src=x onerror=alert(1)>\u{1b}[31m";
    let doc = spdx_document(
        vec![spdx_package(
            "SPDXRef-x",
            hostile,
            "<b>1</b>",
            "<script>MIT</script>",
            "pkg:x/<y>",
        )],
        vec![],
        &[],
    );
    let s = sbom(read(SPDX_JSON, &doc).unwrap());
    assert_eq!(s.packages[0].name, hostile);
    assert_eq!(s.packages[0].version.as_deref(), Some("<b>1</b>"));
    assert_eq!(s.packages[0].licenses, ["<script>MIT</script>"]);
    assert_eq!(
        layerlens::dockerfmt::inert(&s.packages[0].name),
        "<img src=x onerror=alert(1)>\\x1b[31m"
    );
}

#[test]
fn wrong_types_and_truncation_name_the_document_and_the_json_path() {
    let mut doc = busybox_spdx();
    doc["packages"][1]["name"] = json!(42);
    let v = verified(&bytes(&doc));
    let e = parse_content(
        &v,
        &MediaType::parse(SPDX_JSON).unwrap(),
        &BTreeMap::new(),
        &image(),
        NAME,
    )
    .unwrap_err();
    let SupplyError::Json { document, source } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(document, v.digest());
    let text = e.to_string();
    assert!(text.starts_with(&v.digest().to_string()), "{text}");
    assert!(text.contains("packages[1].name"), "{text}");
    assert!(
        matches!(&**source, DocumentError::Json { path, .. } if path == "packages[1].name"),
        "{source:?}"
    );

    let st = statement("v1", D1, SPDX_PREDICATE, doc);
    let e = read(IN_TOTO, &st).unwrap_err();
    assert!(e.to_string().contains("predicate.packages[1].name"), "{e}");

    let full = bytes(&busybox_spdx());
    let cut = verified(&full[..full.len() / 2]);
    let e = parse_content(
        &cut,
        &MediaType::parse(SPDX_JSON).unwrap(),
        &BTreeMap::new(),
        &image(),
        NAME,
    )
    .unwrap_err();
    assert!(matches!(e, SupplyError::Json { .. }), "{e}");
    let e = read(SPDX_JSON, &json!({"spdxVersion": "SPDX-3.0"})).unwrap_err();
    assert!(
        e.to_string()
            .contains("spdxVersion: \"SPDX-3.0\" is not SPDX 2.x"),
        "{e}"
    );
}

#[test]
fn sbom_files_against_the_tree() {
    let layers = vec![vec![
        dir("bin"),
        file("bin/busybox", b"busybox binary"),
        dir("lib"),
        file("lib/ld-musl.so.1", b"musl, but patched"),
        dir("etc"),
        file("etc/motd", b"welcome"),
        sym("etc/link", "motd"),
    ]];
    let fs = MergedFs::build(&layers);
    let doc = spdx_document(
        vec![spdx_package(
            "SPDXRef-busybox",
            "busybox",
            "1",
            "GPL-2.0-only",
            "pkg:apk/busybox@1",
        )],
        vec![
            spdx_file(
                "SPDXRef-f1",
                "/bin/busybox",
                Some(&sha_hex(b"busybox binary")),
            ),
            spdx_file("SPDXRef-f2", "/lib/ld-musl.so.1", Some(&sha_hex(b"musl"))),
            spdx_file("SPDXRef-f3", "/etc/motd", None),
            spdx_file("SPDXRef-f4", "/usr/bin/absent", Some(&sha_hex(b"x"))),
            spdx_file("SPDXRef-f5", "../../../etc/shadow", Some(&sha_hex(b"x"))),
            spdx_file("SPDXRef-f6", "/etc/link", Some(&sha_hex(b"welcome"))),
            spdx_file("SPDXRef-f7", "/etc", Some(&sha_hex(b"x"))),
        ],
        &[("SPDXRef-busybox", "SPDXRef-f1")],
    );
    let s = sbom(read(SPDX_JSON, &doc).unwrap());
    let checks = check_files(&s, &fs);
    let statuses: Vec<_> = checks.iter().map(|c| c.status.clone()).collect();
    assert_eq!(
        statuses,
        vec![
            FileStatus::Matches,
            FileStatus::Differs {
                sbom: sha_hex(b"musl"),
                image: sha_hex(b"musl, but patched")
            },
            FileStatus::NoSha256,
            FileStatus::Missing,
            FileStatus::Outside,
            FileStatus::NotAFile,
            FileStatus::NotAFile,
        ]
    );
    assert_eq!(fs.path(checks[0].node.unwrap()), b"bin/busybox");
    assert_eq!(
        checks[4].node, None,
        "a path outside the root is never looked up"
    );
    assert!(s.owners(b"../../../etc/shadow").is_empty());
    let sum = FilesSummary::of(&checks);
    assert_eq!(
        (
            sum.matches,
            sum.differs,
            sum.unchecked,
            sum.missing,
            sum.outside
        ),
        (1, 1, 3, 1, 1)
    );
    // From a file in the tree, the package that owns it.
    let id = fs.lookup(b"bin/busybox").unwrap();
    assert_eq!(s.owners(&fs.path(id))[0].name, "busybox");
}
