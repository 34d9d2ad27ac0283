//! Supply-chain fixtures written from the specs, in code: SPDX 2.3 and CycloneDX 1.5 JSON,
//! in-toto Statements v0.1 and v1, SLSA provenance v0.2 and v1, DSSE envelopes, cosign
//! simple-signing payloads; and [`Artifact`], an OCI 1.1 artifact manifest (empty config,
//! `artifactType`, optional `subject`) pushed with the registry harness's own client.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{json, Value};

use crate::registry::{media_types as mt, sha256_digest, Client, Descriptor};

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
