//! `layerlens::supply` against registries: the real CNCF distribution registry (2.8, which
//! has no referrers API, so what it exercises is the `sha256-<hex>` tag fallback, cosign's
//! tags and BuildKit attestations in an index), and — for the referrers API itself, with
//! `Link` pagination and `artifactType` filtering — the tests' own loopback server
//! (`support::http::Upstream`) answering that endpoint as a registry with the API would.

use std::collections::BTreeMap;
use std::sync::Arc;

use layerlens::inspect::{merge_verified, resolve, scan_layers, Image, ScanSettings};
use layerlens::native::NativeFetch;
use layerlens::oci::{PlatformPolicy, Reference};
use layerlens::registry::Client;
use layerlens::supply::{
    check_files, discover, read_documents, AttachedDocument, Attachment, Content, Discovery,
    FileStatus, FoundBy, Limits, SupplyError,
};
use layerlens_testkit::fs::sha_hex;
use layerlens_testkit::http::{Reply, Upstream};
use layerlens_testkit::registry::media_types as mt;
use layerlens_testkit::registry::{sha256_digest, BuiltImage, Flavor, Registry};
use layerlens_testkit::supply::*;

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn client() -> Client<NativeFetch, fn() -> u64> {
    Client::new(NativeFetch::new().unwrap(), now_ms as fn() -> u64)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn find<'a>(d: &'a Discovery, found: FoundBy, tag_end: &str) -> &'a Attachment {
    d.attachments
        .iter()
        .find(|a| a.found == found && a.tag.as_deref().unwrap_or("").ends_with(tag_end))
        .unwrap_or_else(|| panic!("no {found:?} attachment ending {tag_end:?} in {d:#?}"))
}

fn contents(docs: &[AttachedDocument]) -> Vec<&Content> {
    docs.iter()
        .map(|d| d.content.as_ref().unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

#[test]
fn tag_fallback_cosign_tags_and_index_attestations_on_distribution() {
    let registry = Registry::start(Flavor::Open);
    let repo = "team/app";
    let Attached {
        amd64,
        arm64,
        attestation,
        index_digest,
        cdx_digest,
        stranger_digest,
        fallback_tag,
        amd64_tag,
        name,
    } = push_attached(&registry, repo);
    let c = client();
    let rt = runtime();
    let reference = Reference::parse_normalized(&format!("{name}:v1")).unwrap();
    let policy = PlatformPolicy::require("linux/amd64").unwrap();
    let img: Image = rt.block_on(resolve(&c, &reference, &policy)).unwrap();
    let found = rt.block_on(discover(&c, &img, None, &Limits::default()));
    assert!(found.problems.is_empty(), "{:?}", found.problems);
    assert_eq!(
        found.referrers_api,
        Some(false),
        "distribution 2.8 has no referrers API"
    );
    let subjects: Vec<String> = found.subjects.iter().map(ToString::to_string).collect();
    assert_eq!(
        subjects,
        [index_digest.clone(), amd64.manifest_digest.clone()]
    );
    assert_eq!(found.attachments.len(), 5, "{:#?}", found.attachments);

    // The hostile referrer is refused, with the reason; never listed.
    assert_eq!(found.rejected.len(), 1);
    assert_eq!(found.rejected[0].digest.to_string(), stranger_digest);
    assert!(
        found.rejected[0].reason.contains("another image"),
        "{:?}",
        found.rejected
    );
    assert!(found
        .attachments
        .iter()
        .all(|a| a.digest.to_string() != stranger_digest));

    // The BuildKit attestation is attached to the amd64 manifest, not listed as a platform.
    assert_eq!(img.platforms.len(), 2);
    let a = find(&found, FoundBy::IndexAttestation, "");
    assert_eq!(a.digest.to_string(), attestation.manifest_digest);
    assert_eq!(a.subject.to_string(), amd64.manifest_digest);
    assert_eq!(a.artifact_type.as_str(), IN_TOTO);
    assert_eq!(a.predicate_types, [SPDX_PREDICATE, SLSA_V1]);
    let docs = rt.block_on(read_documents(&c, &img.reference, a, &Limits::default()));
    let [Content::Sbom { sbom, statement }, Content::Provenance { provenance, .. }] =
        contents(&docs)[..]
    else {
        panic!("{docs:#?}")
    };
    assert!(statement.as_ref().unwrap().names(&a.subject));
    assert_eq!(
        provenance.source.as_ref().unwrap().commit.as_deref(),
        Some("c0ffee")
    );
    // Its files against the scanned tree of the amd64 image.
    let settings = ScanSettings {
        hash_contents: true,
        ..ScanSettings::default()
    };
    let reports = rt.block_on(scan_layers(&c, &img, &settings, &|_| {}));
    let fs = merge_verified(&reports);
    let statuses: Vec<FileStatus> = check_files(sbom, &fs)
        .into_iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(
        statuses,
        [
            FileStatus::Matches,
            FileStatus::Differs {
                sbom: sha_hex(b"something else"),
                image: sha_hex(b"welcome\n")
            },
            FileStatus::Outside,
        ]
    );
    assert_eq!(sbom.owners(b"bin/tool")[0].name, "tool");

    // The fallback's SBOM, found under the sha256-<hex> tag, bound to the index.
    let f = find(&found, FoundBy::TagFallback, &fallback_tag);
    assert_eq!(f.digest.to_string(), cdx_digest);
    assert_eq!(f.subject.to_string(), index_digest);
    assert_eq!(f.artifact_type.as_str(), CYCLONEDX_JSON);
    assert_eq!(
        f.annotations["org.opencontainers.image.created"],
        "2024-01-01T00:00:00Z"
    );
    let docs = rt.block_on(read_documents(&c, &img.reference, f, &Limits::default()));
    assert!(
        matches!(contents(&docs)[..], [Content::Sbom { sbom, .. }] if sbom.packages[0].name == "zlib")
    );

    // cosign's tags: the index's signature matches, the amd64 one names another digest.
    let s = find(&found, FoundBy::CosignTag, &format!("{fallback_tag}.sig"));
    assert_eq!(s.artifact_type.as_str(), SIMPLE_SIGNING);
    let docs = rt.block_on(read_documents(&c, &img.reference, s, &Limits::default()));
    let [Content::Signature(sig)] = contents(&docs)[..] else {
        panic!("{docs:#?}")
    };
    assert!(sig.digest_matches && sig.reference_matches == Some(true));
    assert!(sig.signature.is_some() && sig.certificate.is_some());
    let w = find(&found, FoundBy::CosignTag, &amd64_tag);
    assert_eq!(w.subject.to_string(), amd64.manifest_digest);
    let docs = rt.block_on(read_documents(&c, &img.reference, w, &Limits::default()));
    let [Content::Signature(sig)] = contents(&docs)[..] else {
        panic!("{docs:#?}")
    };
    assert!(!sig.digest_matches, "the payload names arm64's digest");
    assert_eq!(sig.signed_digest.to_string(), arm64.manifest_digest);
    let t = find(&found, FoundBy::CosignTag, ".att");
    assert_eq!(t.predicate_types, [SLSA_V02]);
    let docs = rt.block_on(read_documents(&c, &img.reference, t, &Limits::default()));
    let [Content::Provenance { provenance, .. }] = contents(&docs)[..] else {
        panic!("{docs:#?}")
    };
    assert_eq!(
        provenance.builder.as_deref(),
        Some("https://github.com/docker/buildx@v0.12")
    );

    // Past the cap, a document is named and not read.
    let small = Limits {
        max_document_bytes: 100,
        ..Limits::default()
    };
    let docs = rt.block_on(read_documents(&c, &img.reference, f, &small));
    let e = docs[0].content.as_ref().unwrap_err();
    assert!(matches!(e, SupplyError::TooLarge { limit: 100, .. }), "{e}");
    assert!(
        e.to_string()
            .contains("more than the 100-byte limit for documents: not read"),
        "{e}"
    );

    // Filtering by artifact type.
    let only = rt.block_on(discover(&c, &img, Some(SIMPLE_SIGNING), &Limits::default()));
    assert_eq!(only.attachments.len(), 2);
    assert!(only
        .attachments
        .iter()
        .all(|a| a.found == FoundBy::CosignTag));
}

/// A registry with the referrers API, in miniature: manifests and blobs by digest, the
/// image under `v1`, and `/v2/app/referrers/<digest>` one referrer per page (`Link`), the
/// `artifactType` filter applied and announced.
fn api_server(
    image: &BuiltImage,
    blobs: BTreeMap<String, Vec<u8>>,
    referrers: Vec<Artifact>,
) -> Upstream {
    let image = image.clone();
    let referrers = Arc::new(referrers);
    Upstream::start(move |req| {
        let path = req.path.as_str();
        let manifest = |bytes: &[u8], media_type: &str| {
            Reply::new(200, bytes.to_vec())
                .header("Content-Type", media_type)
                .header("Docker-Content-Digest", &sha256_digest(bytes))
        };
        if path == "/v2/" {
            return Reply::new(200, "{}");
        }
        if path == "/v2/app/manifests/v1"
            || path == format!("/v2/app/manifests/{}", image.manifest_digest)
        {
            return manifest(&image.manifest, mt::OCI_MANIFEST);
        }
        if let Some(d) = path.strip_prefix("/v2/app/manifests/") {
            if let Some(a) = referrers.iter().find(|a| sha256_digest(&a.manifest()) == d) {
                return manifest(&a.manifest(), mt::OCI_MANIFEST);
            }
            return Reply::new(404, r#"{"errors":[{"code":"MANIFEST_UNKNOWN"}]}"#);
        }
        if let Some(d) = path.strip_prefix("/v2/app/blobs/") {
            return match blobs.get(d) {
                Some(b) => Reply::new(200, b.clone()),
                None => Reply::new(404, r#"{"errors":[{"code":"BLOB_UNKNOWN"}]}"#),
            };
        }
        if path == format!("/v2/app/referrers/{}", image.manifest_digest) {
            let params = req.query_params();
            let filter = params
                .iter()
                .find(|(k, _)| k == "artifactType")
                .map(|(_, v)| v.clone());
            let page: usize = params
                .iter()
                .find(|(k, _)| k == "page")
                .map_or(0, |(_, v)| v.parse().unwrap());
            let listed: Vec<&Artifact> = referrers
                .iter()
                .filter(|a| filter.is_none() || a.artifact_type == filter)
                .collect();
            let body = referrers_index(&listed[page..(page + 1).min(listed.len())]);
            let mut reply = Reply::new(200, body).header("Content-Type", mt::OCI_INDEX);
            if filter.is_some() {
                reply = reply.header("OCI-Filters-Applied", "artifactType");
            }
            if page + 1 < listed.len() {
                let next = format!("<{path}?page={}>; rel=\"next\"", page + 1);
                reply = reply.header("Link", &next);
            }
            return reply;
        }
        Reply::new(404, r#"{"errors":[{"code":"MANIFEST_UNKNOWN"}]}"#)
    })
}

#[test]
fn referrers_api_pages_filter_and_subject_check_on_a_loopback_server() {
    let img = tool_image("amd64", b"tool\n");
    let size = img.manifest.len() as u64;
    let sbom = Artifact::new(
        Some(SPDX_JSON),
        vec![Doc::new(
            SPDX_JSON,
            bytes(&spdx_document(vec![], vec![], &[])),
        )],
    )
    .subject(mt::OCI_MANIFEST, &img.manifest_digest, size);
    let sig = Artifact::new(
        Some("application/vnd.dev.cosign.artifact.sig.v1+json"),
        vec![Doc::new(
            SIMPLE_SIGNING,
            bytes(&simple_signing("x/app", &img.manifest_digest)),
        )],
    )
    .subject(mt::OCI_MANIFEST, &img.manifest_digest, size);
    let elsewhere = Artifact::new(Some(SPDX_JSON), vec![Doc::new(SPDX_JSON, b"{}".to_vec())])
        .subject(mt::OCI_MANIFEST, &sha256_digest(b"another image"), 13);
    let mut blobs = BTreeMap::new();
    blobs.insert(img.config_digest.clone(), img.config.clone());
    for a in [&sbom, &sig, &elsewhere] {
        for d in &a.docs {
            blobs.insert(sha256_digest(&d.bytes), d.bytes.clone());
        }
    }
    let server = api_server(&img, blobs, vec![sbom.clone(), sig, elsewhere]);
    let c = client();
    let rt = runtime();
    let reference = Reference::parse_normalized(&format!("{}/app:v1", server.host_port())).unwrap();
    let resolved = rt
        .block_on(resolve(&c, &reference, &PlatformPolicy::default()))
        .unwrap();
    let found = rt.block_on(discover(&c, &resolved, None, &Limits::default()));
    assert!(found.problems.is_empty(), "{:?}", found.problems);
    assert_eq!(found.referrers_api, Some(true));
    let types: Vec<&str> = found
        .attachments
        .iter()
        .map(|a| a.artifact_type.as_str())
        .collect();
    assert_eq!(
        types,
        [SPDX_JSON, "application/vnd.dev.cosign.artifact.sig.v1+json"]
    );
    assert!(found
        .attachments
        .iter()
        .all(|a| a.found == FoundBy::ReferrersApi));
    assert_eq!(
        found.rejected.len(),
        1,
        "the third page's referrer is another image's"
    );
    let pages: Vec<String> = server
        .requests()
        .iter()
        .filter(|r| r.path.contains("/referrers/"))
        .map(|r| r.query.clone())
        .collect();
    assert_eq!(pages, ["", "page=1", "page=2"], "every Link followed");
    assert!(
        !server.requests().iter().any(|r| r
            .path
            .ends_with(&format!("sha256-{}", digest_hex(&img.manifest_digest)))),
        "no tag fallback when the API answers"
    );
    let docs = rt.block_on(read_documents(
        &c,
        &resolved.reference,
        &found.attachments[1],
        &Limits::default(),
    ));
    let [Content::Signature(s)] = contents(&docs)[..] else {
        panic!("{docs:#?}")
    };
    assert!(s.digest_matches);
    assert_eq!(
        s.reference_matches,
        Some(false),
        "x/app is docker.io/x/app, not this repository"
    );

    // The filter goes to the registry, which applies it.
    let only = rt.block_on(discover(&c, &resolved, Some(SPDX_JSON), &Limits::default()));
    assert_eq!(only.attachments.len(), 1);
    assert_eq!(
        only.attachments[0].digest.to_string(),
        sha256_digest(&sbom.manifest())
    );
    assert!(server.requests().iter().any(|r| r
        .query_params()
        .contains(&("artifactType".to_string(), SPDX_JSON.to_string()))));
}
