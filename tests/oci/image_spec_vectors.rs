//! Every document of `tests/vectors/oci-image-spec.json` (opencontainers/image-spec's
//! schema tests and spec examples) through our parsers.
//!
//! * A case is dispatched on its `mediaType`: descriptors to
//!   `Descriptor::from_json`, manifests and indexes to `parse_document` with the
//!   case's media type as the hint, configs to `ImageConfig::parse`.
//! * Valid cases must parse. Invalid cases must be rejected, and the rejection
//!   must be the one upstream's comment describes: the table `REJECTIONS` names,
//!   for every invalid case, the error kind and the path of the offending field.
//! * Cases whose `digest` is given: our digest of the exact bytes must equal it,
//!   and the document is parsed from bytes verified against that digest.
//! * Backwards-compatibility cases are parsed twice: as the Docker document they
//!   are (dispatching on their own `mediaType`) and after upstream's substitution
//!   of OCI media types.
//! * `SKIPPED` and `DIVERGENT` list, with reasons, the cases we do not run or on
//!   which we deliberately differ; the test fails if the observed sets differ.

use std::collections::BTreeSet;

use layerlens::oci::{
    parse_document, verify, Descriptor, Digest, Document, DocumentError, ImageConfig,
    JsonErrorKind, MediaType, Verified,
};

use layerlens_testkit::vectors::vectors_dir;

/// Cases with no counterpart in layerlens.
const SKIPPED: &[(&str, &str)] = &[
    (
        "schema/imagelayout_test.go/TestImageLayout#0",
        "oci-layout files: layerlens reads registries, not OCI image-layout directories",
    ),
    (
        "schema/imagelayout_test.go/TestImageLayout#1",
        "oci-layout files: layerlens reads registries, not OCI image-layout directories",
    ),
    (
        "image-layout.md#0",
        "oci-layout files: layerlens reads registries, not OCI image-layout directories",
    ),
];

/// Cases upstream accepts and we reject on purpose: digests whose algorithm is
/// well-formed but unregistered (`sha256+b64`, `multihash+base58`…). Upstream's
/// validator only warns ("we ignore unsupported algorithms"); we refuse them
/// because content we cannot hash can never be verified, and nothing
/// unverified is used. The rejection is asserted to be exactly that.
const DIVERGENT: &[(&str, &str)] = &[
    ("schema/manifest_test.go/TestManifest#6", "config.digest"),
    ("schema/descriptor_test.go/TestDescriptor#21", "digest"),
    ("schema/descriptor_test.go/TestDescriptor#22", "digest"),
    ("schema/descriptor_test.go/TestDescriptor#23", "digest"),
    ("schema/descriptor_test.go/TestDescriptor#24", "digest"),
    ("schema/descriptor_test.go/TestDescriptor#25", "digest"),
    ("schema/descriptor_test.go/TestDescriptor#27", "digest"),
    ("schema/descriptor_test.go/TestDescriptor#28", "digest"),
];

/// What kind of rejection an invalid case must get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    /// A JSON type/value/missing-field error at this path.
    Data(&'static str),
    /// Malformed JSON.
    Syntax,
    /// The JSON ends early.
    Truncated,
    /// A spec rule beyond types, on this field.
    Invalid(&'static str),
}

/// Every invalid case, with the rejection upstream's comment describes. Paths
/// are where the first problem sits in document order.
const REJECTIONS: &[(&str, Want)] = &[
    (
        "schema/manifest_test.go/TestManifest#0",
        Want::Data("config.mediaType"),
    ),
    // The doc nests a second "config" object and is never closed.
    ("schema/manifest_test.go/TestManifest#1", Want::Truncated),
    (
        "schema/manifest_test.go/TestManifest#2",
        Want::Data("layers[0].size"),
    ),
    (
        "schema/manifest_test.go/TestManifest#5",
        Want::Invalid("layers"),
    ),
    (
        "schema/manifest_test.go/TestManifest#8",
        Want::Data("subject"),
    ),
    // Upstream means the malformed `sha256+foo+-b` of layers[0] (the same
    // digest as TestDescriptor#26); our first objection comes earlier, at the
    // unregistered `sha256+b64` of config.digest (see DIVERGENT).
    (
        "schema/manifest_test.go/TestManifest#9",
        Want::Data("config.digest"),
    ),
    (
        "schema/imageindex_test.go/TestImageIndex#0",
        Want::Data("manifests[0].mediaType"),
    ),
    (
        "schema/imageindex_test.go/TestImageIndex#1",
        Want::Data("manifests[0].size"),
    ),
    (
        "schema/imageindex_test.go/TestImageIndex#2",
        Want::Data("manifests[0]"),
    ),
    (
        "schema/imageindex_test.go/TestImageIndex#3",
        Want::Data("manifests[0].platform"),
    ),
    (
        "schema/imageindex_test.go/TestImageIndex#4",
        Want::Data("manifests[0].mediaType"),
    ),
    (
        "schema/imageindex_test.go/TestImageIndex#5",
        Want::Data("manifests[0].mediaType"),
    ),
    (
        "schema/imageindex_test.go/TestImageIndex#11",
        Want::Data("subject"),
    ),
    ("schema/config_test.go/TestConfig#0", Want::Data("os")),
    ("schema/config_test.go/TestConfig#1", Want::Data("variant")),
    (
        "schema/config_test.go/TestConfig#2",
        Want::Data("config.User"),
    ),
    ("schema/config_test.go/TestConfig#3", Want::Data("history")),
    // Upstream's comment names Env, but the document also has `"os": 123`,
    // which comes first.
    ("schema/config_test.go/TestConfig#4", Want::Data("os")),
    // Likewise: `"os": 123` precedes the bad Volumes.
    ("schema/config_test.go/TestConfig#5", Want::Data("os")),
    ("schema/config_test.go/TestConfig#6", Want::Syntax),
    (
        "schema/config_test.go/TestConfig#9",
        Want::Data("config.Env[0]"),
    ),
    (
        "schema/descriptor_test.go/TestDescriptor#2",
        Want::Data("."),
    ),
    (
        "schema/descriptor_test.go/TestDescriptor#3",
        Want::Data("mediaType"),
    ),
    (
        "schema/descriptor_test.go/TestDescriptor#4",
        Want::Data("mediaType"),
    ),
    (
        "schema/descriptor_test.go/TestDescriptor#5",
        Want::Data("mediaType"),
    ),
    (
        "schema/descriptor_test.go/TestDescriptor#7",
        Want::Data("mediaType"),
    ),
    (
        "schema/descriptor_test.go/TestDescriptor#8",
        Want::Data("mediaType"),
    ),
    (
        "schema/descriptor_test.go/TestDescriptor#9",
        Want::Data("."),
    ),
    (
        "schema/descriptor_test.go/TestDescriptor#10",
        Want::Data("size"),
    ),
    (
        "schema/descriptor_test.go/TestDescriptor#11",
        Want::Data("."),
    ),
    (
        "schema/descriptor_test.go/TestDescriptor#12",
        Want::Data("digest"),
    ),
    (
        "schema/descriptor_test.go/TestDescriptor#13",
        Want::Data("digest"),
    ),
    (
        "schema/descriptor_test.go/TestDescriptor#14",
        Want::Data("digest"),
    ),
    (
        "schema/descriptor_test.go/TestDescriptor#15",
        Want::Data("digest"),
    ),
    (
        "schema/descriptor_test.go/TestDescriptor#17",
        Want::Data("urls[0]"),
    ),
    (
        "schema/descriptor_test.go/TestDescriptor#19",
        Want::Data("artifactType"),
    ),
    (
        "schema/descriptor_test.go/TestDescriptor#26",
        Want::Data("digest"),
    ),
    (
        "schema/descriptor_test.go/TestDescriptor#29",
        Want::Data("data"),
    ),
    (
        "schema/descriptor_test.go/TestDescriptor#30",
        Want::Data("size"),
    ),
];

const DESCRIPTOR: &str = "application/vnd.oci.descriptor.v1+json";
const LAYOUT: &str = "application/vnd.oci.layout.header.v1+json";

fn verified_as_is(bytes: &[u8]) -> Verified {
    verify(bytes.to_vec(), &Digest::sha256(bytes), None).unwrap()
}

/// Parses `doc` as the media type `mt` says, returning the media type of what
/// was produced (to check the dispatch) or the error.
fn parse_as(mt: &str, doc: &Verified, hint: Option<&MediaType>) -> Result<String, DocumentError> {
    match mt {
        DESCRIPTOR => {
            Descriptor::from_json(doc.bytes()).map(|d| format!("descriptor of {}", d.media_type()))
        }
        "application/vnd.oci.image.config.v1+json" => ImageConfig::parse(doc).map(|c| {
            assert_eq!(c.digest(), doc.digest());
            "config".to_owned()
        }),
        _ => parse_document(doc, hint).map(|d| {
            assert_eq!(d.digest(), doc.digest());
            match d {
                Document::Index(i) => format!("index {}", i.media_type()),
                Document::Manifest(m) => format!("manifest {}", m.media_type()),
            }
        }),
    }
}

fn check_rejection(id: &str, err: &DocumentError, want: Want) {
    match (want, err) {
        (Want::Data(p), DocumentError::Json { kind, path, .. }) => {
            assert_eq!(*kind, JsonErrorKind::Data, "{id}: {err}");
            assert_eq!(path, p, "{id}: {err}");
        }
        (Want::Syntax, DocumentError::Json { kind, .. }) => {
            assert_eq!(*kind, JsonErrorKind::Syntax, "{id}: {err}")
        }
        (Want::Truncated, DocumentError::Json { kind, .. }) => {
            assert_eq!(*kind, JsonErrorKind::Truncated, "{id}: {err}")
        }
        (Want::Invalid(f), DocumentError::Invalid { field, .. }) => {
            assert_eq!(field, f, "{id}: {err}")
        }
        _ => panic!("{id}: expected {want:?}, got {err}"),
    }
}

#[test]
fn every_image_spec_document() {
    let path = vectors_dir().join("oci-image-spec.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let file: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cases = file["cases"].as_array().unwrap();
    assert_eq!(cases.len() as u64, file["count"].as_u64().unwrap());
    assert_eq!(cases.len(), 84);

    let (mut ran, mut digests_checked, mut substituted) = (0, 0, 0);
    let mut skipped = BTreeSet::new();
    let mut divergent = BTreeSet::new();
    let mut rejected = BTreeSet::new();
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let mt = case["mediaType"].as_str().unwrap();
        let valid = case["valid"].as_bool().unwrap();
        let doc = case["doc"].as_str().unwrap().as_bytes();

        if let Some((_, reason)) = SKIPPED.iter().find(|(s, _)| *s == id) {
            assert_eq!(mt, LAYOUT, "{id}: only layout cases are skipped ({reason})");
            skipped.insert(id);
            continue;
        }
        ran += 1;

        // The exact bytes, verified against the published digest when there is one.
        let verified = match case["digest"].as_str() {
            Some(expected) => {
                let expected: Digest = expected.parse().unwrap();
                assert_eq!(
                    Digest::sha256(doc),
                    expected,
                    "{id}: digest of the exact bytes"
                );
                digests_checked += 1;
                verify(doc.to_vec(), &expected, Some(doc.len() as u64)).unwrap()
            }
            None => verified_as_is(doc),
        };
        let hint = MediaType::parse(mt).unwrap();
        let result = parse_as(mt, &verified, Some(&hint));

        if let Some((_, path)) = DIVERGENT.iter().find(|(d, _)| *d == id) {
            assert!(valid, "{id}: only valid cases are listed as divergent");
            let err = result.expect_err(id);
            check_rejection(id, &err, Want::Data(path));
            assert!(
                err.to_string().contains("unsupported digest algorithm"),
                "{id}: {err}"
            );
            divergent.insert(id);
            continue;
        }

        if case["oci_media_type_substitution"].as_bool() == Some(true) {
            // As fetched from Docker Hub: dispatch on the document's own Docker mediaType.
            let got = parse_as(mt, &verified, None)
                .unwrap_or_else(|e| panic!("{id} (Docker original): {e}"));
            if mt != "application/vnd.oci.image.config.v1+json" {
                assert!(
                    got.contains("application/vnd.docker."),
                    "{id}: parsed as {got}"
                );
            }
            // What upstream validates: the same document with OCI media types.
            let after = case["doc_after_substitution"].as_str().unwrap().as_bytes();
            let got = parse_as(mt, &verified_as_is(after), Some(&hint))
                .unwrap_or_else(|e| panic!("{id} (after substitution): {e}"));
            assert!(!got.contains("docker"), "{id}: parsed as {got}");
            substituted += 1;
            continue;
        }

        let want = REJECTIONS.iter().find(|(r, _)| *r == id).map(|(_, w)| *w);
        match (valid, result, want) {
            (true, Ok(got), None) => {
                if mt != DESCRIPTOR && mt != "application/vnd.oci.image.config.v1+json" {
                    assert!(
                        got.ends_with(mt),
                        "{id}: dispatched to {got}, case says {mt}"
                    );
                }
            }
            (true, Err(e), _) => panic!("{id}: valid upstream, rejected: {e}"),
            (true, Ok(_), Some(_)) => panic!("{id}: valid case listed in REJECTIONS"),
            (false, Ok(got), _) => panic!(
                "{id}: invalid upstream ({:?}), accepted as {got}",
                case["comment"]
            ),
            (false, Err(e), None) => panic!("{id}: rejected ({e}) but not listed in REJECTIONS"),
            (false, Err(e), Some(w)) => {
                check_rejection(id, &e, w);
                rejected.insert(id);
            }
        }
    }

    let want_skipped: BTreeSet<&str> = SKIPPED.iter().map(|(s, _)| *s).collect();
    let want_divergent: BTreeSet<&str> = DIVERGENT.iter().map(|(s, _)| *s).collect();
    let want_rejected: BTreeSet<&str> = REJECTIONS.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        skipped, want_skipped,
        "skipped cases differ from the documented set"
    );
    assert_eq!(
        divergent, want_divergent,
        "divergent cases differ from the documented set"
    );
    assert_eq!(
        rejected, want_rejected,
        "every listed rejection must be exercised"
    );
    assert_eq!(digests_checked, 4);
    assert_eq!(substituted, 4);
    println!(
        "oci-image-spec vectors: {ran} ran ({} rejected as upstream, {} divergent by design, {substituted} \
         Docker/OCI pairs, {digests_checked} digests checked), {} skipped",
        rejected.len(),
        divergent.len(),
        skipped.len()
    );
}
