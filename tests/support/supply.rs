//! Supply-chain fixtures written from the specs, in code: SPDX 2.3 and CycloneDX 1.5 JSON,
//! in-toto Statements v0.1 and v1, SLSA provenance v0.2 and v1, DSSE envelopes, cosign
//! simple-signing payloads; and [`Artifact`], an OCI 1.1 artifact manifest (empty config,
//! `artifactType`, optional `subject`) pushed with the registry harness's own client.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{json, Value};

use crate::fs::sha_hex;
use crate::registry::tiny_tar::Tar;
use crate::registry::{
    media_types as mt, sha256_digest, BuiltImage, Client, Descriptor, ImageBuilder, IndexBuilder,
    Layer, ManifestFormat, Registry,
};

/// An in-toto statement layer.
pub const IN_TOTO: &str = "application/vnd.in-toto+json";
/// A DSSE envelope layer (cosign attestations).
pub const DSSE: &str = "application/vnd.dsse.envelope.v1+json";
/// A cosign simple-signing layer.
pub const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// SPDX JSON.
pub const SPDX_JSON: &str = "application/spdx+json";
/// CycloneDX JSON.
pub const CYCLONEDX_JSON: &str = "application/vnd.cyclonedx+json";
/// The OCI empty descriptor's type and blob.
pub const EMPTY: &str = "application/vnd.oci.empty.v1+json";
/// SPDX's in-toto predicate type (BuildKit, cosign).
pub const SPDX_PREDICATE: &str = "https://spdx.dev/Document";
/// CycloneDX's in-toto predicate type.
pub const CYCLONEDX_PREDICATE: &str = "https://cyclonedx.org/bom";
/// SLSA provenance v0.2.
pub const SLSA_V02: &str = "https://slsa.dev/provenance/v0.2";
/// SLSA provenance v1.
pub const SLSA_V1: &str = "https://slsa.dev/provenance/v1";

/// JSON bytes.
pub fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("fixture serialises")
}

/// An SPDX 2.3 package (`SPDXID`, `name`, `versionInfo`, `licenseConcluded`, a purl).
pub fn spdx_package(id: &str, name: &str, version: &str, license: &str, purl: &str) -> Value {
    json!({
        "SPDXID": id, "name": name, "versionInfo": version,
        "downloadLocation": "NOASSERTION", "licenseConcluded": license,
        "licenseDeclared": "NOASSERTION",
        "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                          "referenceLocator": purl}],
    })
}

/// An SPDX 2.3 file with a SHA-1 (mandatory in SPDX 2.3) and, when given, a SHA-256.
pub fn spdx_file(id: &str, path: &str, sha256: Option<&str>) -> Value {
    let mut checksums = vec![json!({"algorithm": "SHA1",
        "checksumValue": "da39a3ee5e6b4b0d3255bfef95601890afd80709"})];
    if let Some(s) = sha256 {
        checksums.push(json!({"algorithm": "SHA256", "checksumValue": s}));
    }
    json!({"SPDXID": id, "fileName": path, "checksums": checksums})
}

/// An SPDX 2.3 document; `contains` are (package id, file id) `CONTAINS` relationships.
pub fn spdx_document(packages: Vec<Value>, files: Vec<Value>, contains: &[(&str, &str)]) -> Value {
    let relationships: Vec<Value> = contains
        .iter()
        .map(|(p, f)| {
            json!({"spdxElementId": p, "relationshipType": "CONTAINS", "relatedSpdxElement": f})
        })
        .collect();
    json!({
        "spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
        "name": "layerlens-fixture", "documentNamespace": "https://example.com/fixture",
        "creationInfo": {"created": "2024-01-01T00:00:00Z", "creators": ["Tool: layerlens-tests"]},
        "packages": packages, "files": files, "relationships": relationships,
    })
}

/// An SPDX package whose name and licence carry markup (outside text: to
/// be shown as text, never as HTML).
pub fn hostile_package() -> Value {
    spdx_package(
        "SPDXRef-x",
        "<img src=x onerror=alert(1)>",
        "2.0",
        "<b>GPL</b>",
        "pkg:generic/x@2.0",
    )
}

/// A CycloneDX 1.5 library component with a licence id and a purl.
pub fn cdx_component(name: &str, version: &str, license: &str, purl: &str) -> Value {
    json!({"type": "library", "bom-ref": purl, "name": name, "version": version, "purl": purl,
           "licenses": [{"license": {"id": license}}]})
}

/// A CycloneDX 1.5 file component with a SHA-256.
pub fn cdx_file(path: &str, sha256: &str) -> Value {
    json!({"type": "file", "name": path, "hashes": [{"alg": "SHA-256", "content": sha256}]})
}

/// A CycloneDX 1.5 BOM.
pub fn cdx_bom(components: Vec<Value>) -> Value {
    json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
           "metadata": {"component": {"type": "container", "name": "fixture"}},
           "components": components})
}

/// An in-toto Statement (`v0.1` or `v1`) about `subject_digest` (`sha256:…`).
pub fn statement(
    version: &str,
    subject_digest: &str,
    predicate_type: &str,
    predicate: Value,
) -> Value {
    let hex = subject_digest.trim_start_matches("sha256:");
    json!({
        "_type": format!("https://in-toto.io/Statement/{version}"),
        "subject": [{"name": "pkg:docker/fixture", "digest": {"sha256": hex}}],
        "predicateType": predicate_type,
        "predicate": predicate,
    })
}

/// SLSA provenance v0.2 as BuildKit writes it (config source and materials).
pub fn slsa_v02(builder: &str, repo: &str, commit: &str) -> Value {
    json!({
        "builder": {"id": builder},
        "buildType": "https://mobyproject.org/buildkit@v1",
        "invocation": {"configSource": {"uri": repo, "digest": {"sha1": commit},
                                        "entryPoint": "Dockerfile"}},
        "materials": [{"uri": "pkg:docker/alpine@3.20", "digest": {"sha256":
            "1111111111111111111111111111111111111111111111111111111111111111"}}],
    })
}

/// SLSA provenance v1 as GitHub Actions writes it.
pub fn slsa_v1(builder: &str, repo: &str, commit: &str) -> Value {
    json!({
        "buildDefinition": {
            "buildType": "https://actions.github.io/buildtypes/workflow/v1",
            "externalParameters": {"workflow": {"ref": "refs/heads/main", "repository": repo,
                                                "path": ".github/workflows/build.yml"}},
            "resolvedDependencies": [{"uri": format!("git+{repo}@refs/heads/main"),
                                      "digest": {"gitCommit": commit}}],
        },
        "runDetails": {"builder": {"id": builder}, "metadata": {"invocationId": "1"}},
    })
}

/// A DSSE envelope around `payload` (an in-toto statement), one dummy signature.
pub fn dsse(payload: &[u8]) -> Value {
    let b64 = base64::engine::general_purpose::STANDARD;
    json!({"payloadType": IN_TOTO, "payload": b64.encode(payload),
           "signatures": [{"keyid": "", "sig": b64.encode(b"not a real signature")}]})
}

/// A cosign simple-signing payload signing `digest` as `docker_reference`.
pub fn simple_signing(docker_reference: &str, digest: &str) -> Value {
    json!({"critical": {"identity": {"docker-reference": docker_reference},
                        "image": {"docker-manifest-digest": digest},
                        "type": "cosign container image signature"},
           "optional": null})
}

/// The annotations cosign puts on a signature layer: the signature and a certificate.
pub fn cosign_annotations() -> Vec<(String, String)> {
    let b64 = base64::engine::general_purpose::STANDARD;
    vec![
        (
            "dev.cosignproject.cosign/signature".into(),
            b64.encode(b"\x30\x45fake-ecdsa"),
        ),
        (
            "dev.sigstore.cosign/certificate".into(),
            "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n".into(),
        ),
    ]
}

/// One layer of an artifact.
#[derive(Debug, Clone)]
pub struct Doc {
    /// Its media type.
    pub media_type: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Its annotations.
    pub annotations: Vec<(String, String)>,
}

impl Doc {
    /// A layer of `media_type` holding `bytes`.
    pub fn new(media_type: &str, bytes: Vec<u8>) -> Doc {
        Doc {
            media_type: media_type.into(),
            bytes,
            annotations: Vec::new(),
        }
    }

    /// With one more annotation.
    pub fn annotate(mut self, key: &str, value: &str) -> Doc {
        self.annotations.push((key.into(), value.into()));
        self
    }
}

/// An OCI image-spec 1.1 artifact manifest: `artifactType` (or none, as cosign's tags
/// have), an empty config (or cosign's image config), layers, an optional `subject`.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// `artifactType` (omitted when `None`).
    pub artifact_type: Option<String>,
    /// The layers.
    pub docs: Vec<Doc>,
    /// `subject`: (media type, digest, size).
    pub subject: Option<(String, String, u64)>,
    /// Manifest annotations.
    pub annotations: BTreeMap<String, String>,
}

impl Artifact {
    /// An artifact of `artifact_type` holding `docs`.
    pub fn new(artifact_type: Option<&str>, docs: Vec<Doc>) -> Artifact {
        Artifact {
            artifact_type: artifact_type.map(str::to_owned),
            docs,
            subject: None,
            annotations: BTreeMap::new(),
        }
    }

    /// Refers to the manifest `digest` (`sha256:…`) of `size` bytes and `media_type`.
    pub fn subject(mut self, media_type: &str, digest: &str, size: u64) -> Artifact {
        self.subject = Some((media_type.into(), digest.into(), size));
        self
    }

    /// With a manifest annotation.
    pub fn annotate(mut self, key: &str, value: &str) -> Artifact {
        self.annotations.insert(key.into(), value.into());
        self
    }

    fn config(&self) -> (&'static str, Vec<u8>) {
        match self.artifact_type {
            Some(_) => (EMPTY, b"{}".to_vec()),
            // cosign's tags: an image config naming the layers.
            None => (
                mt::OCI_CONFIG,
                bytes(&json!({"architecture": "", "os": "",
                "rootfs": {"type": "layers", "diff_ids": self.docs.iter()
                    .map(|d| sha256_digest(&d.bytes)).collect::<Vec<_>>()}, "config": {}})),
            ),
        }
    }

    /// The manifest bytes.
    pub fn manifest(&self) -> Vec<u8> {
        let (config_type, config) = self.config();
        let layers: Vec<Value> = self
            .docs
            .iter()
            .map(|d| {
                let mut l = Descriptor::of(&d.media_type, &d.bytes);
                for (k, v) in &d.annotations {
                    l = l.with_annotation(k, v);
                }
                l.to_json()
            })
            .collect();
        let mut m = json!({
            "schemaVersion": 2, "mediaType": mt::OCI_MANIFEST,
            "config": Descriptor::of(config_type, &config).to_json(),
            "layers": layers,
        });
        if let Some(t) = &self.artifact_type {
            m["artifactType"] = json!(t);
        }
        if let Some((media_type, digest, size)) = &self.subject {
            m["subject"] = json!({"mediaType": media_type, "digest": digest, "size": size});
        }
        if !self.annotations.is_empty() {
            m["annotations"] = json!(self.annotations);
        }
        bytes(&m)
    }

    /// The manifest's descriptor for a referrers index (with `artifactType` and annotations).
    pub fn descriptor_json(&self) -> Value {
        let mut d = Descriptor::of(mt::OCI_MANIFEST, &self.manifest()).to_json();
        if let Some(t) = &self.artifact_type {
            d["artifactType"] = json!(t);
        }
        if !self.annotations.is_empty() {
            d["annotations"] = json!(self.annotations);
        }
        d
    }

    /// Pushes the config, the layers and the manifest (under `tag`, or by digest);
    /// returns the manifest digest.
    pub fn push(&self, client: &Client, repo: &str, tag: Option<&str>) -> String {
        client.push_blob(repo, &self.config().1);
        for d in &self.docs {
            client.push_blob(repo, &d.bytes);
        }
        let manifest = self.manifest();
        let reference = tag.map_or_else(|| sha256_digest(&manifest), str::to_owned);
        client.push_manifest(repo, &reference, mt::OCI_MANIFEST, &manifest)
    }
}

impl Artifact {
    /// Puts the config, the layers and the manifest (under `tag`, or by
    /// digest) into the page tests' in-memory registry; returns the
    /// manifest digest.
    pub fn put_into(
        &self,
        registry: &crate::app::MemRegistry,
        repo: &str,
        tag: Option<&str>,
    ) -> String {
        registry.put_blob(repo, &self.config().1);
        for d in &self.docs {
            registry.put_blob(repo, &d.bytes);
        }
        registry.put_manifest(repo, tag, mt::OCI_MANIFEST, &self.manifest())
    }
}

/// A referrers index (OCI distribution spec 1.1): the descriptors of `artifacts`.
pub fn referrers_index(artifacts: &[&Artifact]) -> Vec<u8> {
    bytes(&json!({
        "schemaVersion": 2, "mediaType": mt::OCI_INDEX,
        "manifests": artifacts.iter().map(|a| a.descriptor_json()).collect::<Vec<_>>(),
    }))
}

/// A one-layer image for `linux/<arch>`: `bin/tool` holding `tool`, and
/// `etc/motd` holding `welcome\n`.
pub fn tool_image(arch: &str, tool: &[u8]) -> BuiltImage {
    let tar = Tar::new()
        .dir("bin/")
        .file("bin/tool", tool)
        .dir("etc/")
        .file("etc/motd", b"welcome\n")
        .finish();
    ImageBuilder::oci()
        .layer(Layer::gzip_tar(ManifestFormat::Oci, &tar))
        .platform("linux", arch, None)
        .build()
}

/// `sha256:<hex>` without its algorithm.
pub fn digest_hex(digest: &str) -> &str {
    digest.trim_start_matches("sha256:")
}

/// What [`push_attached`] pushed.
pub struct Attached {
    /// The linux/amd64 image (`bin/tool` is `tool v1\n`).
    pub amd64: BuiltImage,
    /// The linux/arm64 image.
    pub arm64: BuiltImage,
    /// BuildKit's attestation manifest for amd64 (an SPDX SBOM and SLSA v1).
    pub attestation: BuiltImage,
    /// The index, tagged `v1`.
    pub index_digest: String,
    /// The CycloneDX SBOM under the index's referrers tag fallback.
    pub cdx_digest: String,
    /// A referrer of arm64 listed under the index's fallback tag (hostile).
    pub stranger_digest: String,
    /// `sha256-<hex of the index>`.
    pub fallback_tag: String,
    /// cosign's signature tag of the amd64 manifest (its payload names arm64).
    pub amd64_tag: String,
    /// The repository as `host:port/repo`.
    pub name: String,
}

/// Pushes to `registry` (CNCF distribution 2.8: no referrers API) an index
/// of two platforms with attachments in every place such a registry keeps
/// them: BuildKit's attestation manifest for amd64 in the index (an SPDX
/// SBOM whose files match, differ from and climb out of the image, with a
/// package named in markup, and SLSA v1 provenance); under the referrers tag
/// fallback a CycloneDX SBOM of the index and a referrer of arm64 (not this
/// image's); cosign's signature and SLSA v0.2 attestation of the index; and a
/// cosign signature under amd64's tag whose payload names arm64's digest.
pub fn push_attached(registry: &Registry, repo: &str) -> Attached {
    let push = registry.client();
    let amd64 = tool_image("amd64", b"tool v1\n");
    let arm64 = tool_image("arm64", b"tool v1 arm\n");
    amd64.push(&push, repo, None);
    arm64.push(&push, repo, None);

    // BuildKit's attestation manifest for amd64: an SPDX SBOM and SLSA v1 provenance.
    let sbom = spdx_document(
        vec![
            spdx_package("SPDXRef-tool", "tool", "1.0", "MIT", "pkg:generic/tool@1.0"),
            hostile_package(),
        ],
        vec![
            spdx_file("SPDXRef-f1", "/bin/tool", Some(&sha_hex(b"tool v1\n"))),
            spdx_file("SPDXRef-f2", "/etc/motd", Some(&sha_hex(b"something else"))),
            spdx_file("SPDXRef-f3", "../../etc/shadow", Some(&sha_hex(b"x"))),
        ],
        &[("SPDXRef-tool", "SPDXRef-f1")],
    );
    let sbom_statement = bytes(&statement(
        "v0.1",
        &amd64.manifest_digest,
        SPDX_PREDICATE,
        sbom,
    ));
    let provenance = bytes(&statement(
        "v1",
        &amd64.manifest_digest,
        SLSA_V1,
        slsa_v1(
            "https://github.com/actions/runner",
            "https://github.com/org/app",
            "c0ffee",
        ),
    ));
    let attestation = ImageBuilder::attestation(&sbom_statement)
        .layer(
            Layer::new(provenance.clone(), IN_TOTO, &sha256_digest(&provenance))
                .with_annotation("in-toto.io/predicate-type", SLSA_V1),
        )
        .build();
    attestation.push(&push, repo, None);
    let index = IndexBuilder::oci()
        .image(&amd64)
        .image(&arm64)
        .attestation(&attestation, &amd64.manifest_digest)
        .build();
    let index_digest = index.push(&push, repo, Some("v1"));
    let index_size = index.bytes.len() as u64;

    // The tag fallback for the index: a CycloneDX SBOM referring to it, and a hostile
    // referrer whose subject is another image (arm64), listed under this image's tag.
    let cdx = Artifact::new(
        Some(CYCLONEDX_JSON),
        vec![Doc::new(
            CYCLONEDX_JSON,
            bytes(&cdx_bom(vec![cdx_component(
                "zlib",
                "1.3",
                "Zlib",
                "pkg:apk/zlib@1.3",
            )])),
        )],
    )
    .subject(mt::OCI_INDEX, &index_digest, index_size)
    .annotate("org.opencontainers.image.created", "2024-01-01T00:00:00Z");
    let stranger = Artifact::new(
        Some(CYCLONEDX_JSON),
        vec![Doc::new(CYCLONEDX_JSON, bytes(&cdx_bom(vec![])))],
    )
    .subject(
        mt::OCI_MANIFEST,
        &arm64.manifest_digest,
        arm64.manifest.len() as u64,
    );
    let cdx_digest = cdx.push(&push, repo, None);
    let stranger_digest = stranger.push(&push, repo, None);
    let fallback_tag = format!("sha256-{}", digest_hex(&index_digest));
    push.push_manifest(
        repo,
        &fallback_tag,
        mt::OCI_INDEX,
        &referrers_index(&[&cdx, &stranger]),
    );

    // cosign: a signature and an attestation of the index; a signature under the amd64
    // manifest's tag whose payload names another digest.
    let name = format!("{}/{repo}", registry.host_port());
    let mut sig = Doc::new(SIMPLE_SIGNING, bytes(&simple_signing(&name, &index_digest)));
    sig.annotations = cosign_annotations();
    Artifact::new(None, vec![sig]).push(&push, repo, Some(&format!("{fallback_tag}.sig")));
    let slsa = bytes(&statement(
        "v0.1",
        &index_digest,
        SLSA_V02,
        slsa_v02(
            "https://github.com/docker/buildx@v0.12",
            "https://github.com/org/app.git",
            "abc123",
        ),
    ));
    let att = Doc::new(DSSE, bytes(&dsse(&slsa))).annotate("predicateType", SLSA_V02);
    Artifact::new(None, vec![att]).push(&push, repo, Some(&format!("{fallback_tag}.att")));
    let wrong = Doc::new(
        SIMPLE_SIGNING,
        bytes(&simple_signing(&name, &arm64.manifest_digest)),
    );
    let amd64_tag = format!("sha256-{}.sig", digest_hex(&amd64.manifest_digest));
    Artifact::new(None, vec![wrong]).push(&push, repo, Some(&amd64_tag));
    Attached {
        amd64,
        arm64,
        attestation,
        index_digest,
        cdx_digest,
        stranger_digest,
        fallback_tag,
        amd64_tag,
        name,
    }
}
