//! Documents end to end through the public API: dispatch on media type, the
//! errors for refused documents, hostile JSON, configs and platform choice.

use layerlens::oci::{
    entries, parse_document, platforms, verify, Compression, Digest, Document, DocumentError,
    EntryKind, ImageConfig, ImageIndex, ImageManifest, JsonErrorKind, MediaType, Platform,
    PlatformError, PlatformPolicy, Verified, MAX_MANIFEST_BYTES,
};

const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
const D3: &str = "sha256:3333333333333333333333333333333333333333333333333333333333333333";
const D4: &str = "sha256:4444444444444444444444444444444444444444444444444444444444444444";

fn verified(bytes: &[u8]) -> Verified {
    verify(bytes.to_vec(), &Digest::sha256(bytes), None).unwrap()
}

fn parse(json: &str, hint: Option<MediaType>) -> Result<Document, DocumentError> {
    parse_document(&verified(json.as_bytes()), hint.as_ref())
}

fn manifest_json(media_type: Option<&str>, config_type: &str, extra: &str) -> String {
    let mt = media_type
        .map(|m| format!(r#""mediaType":"{m}","#))
        .unwrap_or_default();
    format!(
        r#"{{"schemaVersion":2,{mt}"config":{{"mediaType":"{config_type}","size":100,"digest":"{D1}"}},
           "layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","size":200,"digest":"{D2}"}},
                     {{"mediaType":"application/vnd.oci.image.layer.v1.tar+zstd","size":300,"digest":"{D3}"}}]{extra}}}"#
    )
}

fn manifest(doc: Document) -> ImageManifest {
    match doc {
        Document::Manifest(m) => m,
        Document::Index(i) => panic!("expected a manifest, got an index {}", i.digest()),
    }
}

fn index(doc: Document) -> ImageIndex {
    match doc {
        Document::Index(i) => i,
        Document::Manifest(m) => panic!("expected an index, got a manifest {}", m.digest()),
    }
}

// ---- dispatch -------------------------------------------------------------

#[test]
fn the_documents_own_media_type_decides() {
    let json = manifest_json(
        Some("application/vnd.oci.image.manifest.v1+json"),
        "application/vnd.oci.image.config.v1+json",
        "",
    );
    let m = manifest(parse(&json, None).unwrap());
    assert_eq!(m.media_type(), &MediaType::OciManifest);
    assert!(m.declares_media_type());
    assert_eq!(m.digest(), &Digest::sha256(json.as_bytes()));
    assert_eq!(m.config().digest().to_string(), D1);
    let layers: Vec<_> = m
        .layers()
        .iter()
        .map(|l| l.media_type().layer_compression())
        .collect();
    assert_eq!(layers, [Some(Compression::Gzip), Some(Compression::Zstd)]);
    assert_eq!(m.layers_size(), 500);
    assert!(!m.is_artifact());
    assert_eq!(m.effective_artifact_type(), None);
}

#[test]
fn without_a_media_type_field_the_hint_decides() {
    let json = manifest_json(None, "application/vnd.docker.container.image.v1+json", "");
    let m = manifest(parse(&json, Some(MediaType::DockerManifest)).unwrap());
    assert_eq!(m.media_type(), &MediaType::DockerManifest);
    assert!(!m.declares_media_type());
    let m = manifest(parse(&json, Some(MediaType::OciManifest)).unwrap());
    assert_eq!(m.media_type(), &MediaType::OciManifest);

    let ct = MediaType::from_content_type("application/vnd.oci.image.index.v1+json; charset=utf-8")
        .unwrap();
    let idx = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1,"digest":"{D1}"}}]}}"#
    );
    let i = index(parse(&idx, Some(ct)).unwrap());
    assert_eq!(i.media_type(), &MediaType::OciIndex);
    assert!(!i.declares_media_type());
    assert_eq!(i.manifests().len(), 1);

    let e = parse(&json, None).unwrap_err();
    assert_eq!(e, DocumentError::NoMediaType);
}

#[test]
fn disagreement_between_document_and_hint_names_both() {
    let json = manifest_json(
        Some("application/vnd.oci.image.manifest.v1+json"),
        "application/vnd.oci.image.config.v1+json",
        "",
    );
    let e = parse(&json, Some(MediaType::DockerManifest)).unwrap_err();
    assert!(matches!(
        &e,
        DocumentError::MediaTypeMismatch {
            document: MediaType::OciManifest,
            hint: MediaType::DockerManifest
        }
    ));
    let msg = e.to_string();
    assert!(
        msg.contains("application/vnd.oci.image.manifest.v1+json"),
        "{msg}"
    );
    assert!(
        msg.contains("application/vnd.docker.distribution.manifest.v2+json"),
        "{msg}"
    );
    // Agreement (case and parameters aside) is fine.
    let ct =
        MediaType::from_content_type("Application/VND.OCI.Image.Manifest.v1+json; charset=utf-8")
            .unwrap();
    assert!(parse(&json, Some(ct)).is_ok());
    // An index body behind a manifest descriptor is refused, not re-dispatched.
    let idx = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
    assert!(matches!(
        parse(idx, Some(MediaType::OciManifest)),
        Err(DocumentError::MediaTypeMismatch { .. })
    ));
}

#[test]
fn schema1_is_refused_by_name() {
    let signed = r#"{"schemaVersion":1,"name":"library/busybox","tag":"1.23","architecture":"amd64",
                     "fsLayers":[{"blobSum":"sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4"}],
                     "history":[{"v1Compatibility":"{}"}],"signatures":[]}"#;
    for hint in [
        Some(MediaType::DockerSchema1Signed),
        Some(MediaType::DockerSchema1),
        None,
    ] {
        let e = parse(signed, hint.clone()).unwrap_err();
        assert!(matches!(e, DocumentError::Schema1 { .. }), "{hint:?}: {e}");
        let msg = e.to_string();
        assert!(msg.starts_with("schema1 is not supported ("), "{msg}");
        if let Some(h) = hint {
            assert!(msg.contains(h.as_str()), "{msg}");
        }
    }
    let with_field =
        r#"{"schemaVersion":1,"mediaType":"application/vnd.docker.distribution.manifest.v1+json"}"#;
    assert!(matches!(
        parse(with_field, None),
        Err(DocumentError::Schema1 { .. })
    ));
}

#[test]
fn other_types_are_refused_naming_the_type() {
    let json = r#"{"schemaVersion":2,"mediaType":"application/vnd.example.thing+json"}"#;
    let e = parse(json, None).unwrap_err();
    assert!(matches!(&e, DocumentError::Unsupported { .. }));
    assert!(
        e.to_string().contains("application/vnd.example.thing+json"),
        "{e}"
    );
    let e = parse(r#"{"architecture":"amd64"}"#, Some(MediaType::OciConfig)).unwrap_err();
    assert!(matches!(&e, DocumentError::NotADocument { .. }));
    assert!(e.to_string().contains("an image config"), "{e}");
    let e = parse("{}", Some(MediaType::DockerLayerGzip)).unwrap_err();
    assert!(e.to_string().contains("a layer"), "{e}");
}

#[test]
fn schema_version_must_be_two() {
    let json = manifest_json(
        Some("application/vnd.oci.image.manifest.v1+json"),
        "application/vnd.oci.image.config.v1+json",
        "",
    )
    .replace(r#""schemaVersion":2"#, r#""schemaVersion":3"#);
    let e = parse(&json, None).unwrap_err();
    assert!(
        matches!(&e, DocumentError::Invalid { field, .. } if field == "schemaVersion"),
        "{e}"
    );
    let missing = r#"{"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
    let e = parse(missing, None).unwrap_err();
    assert!(
        e.to_string().contains("missing field `schemaVersion`"),
        "{e}"
    );
}

#[test]
fn empty_layers_oci_refused_docker_accepted() {
    let body = format!(
        r#""schemaVersion":2,"config":{{"mediaType":"application/vnd.docker.container.image.v1+json","size":1,"digest":"{D1}"}},"layers":[]"#
    );
    let oci = format!(r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json",{body}}}"#);
    let e = parse(&oci, None).unwrap_err();
    assert!(
        matches!(&e, DocumentError::Invalid { field, .. } if field == "layers"),
        "{e}"
    );
    let docker =
        format!(r#"{{"mediaType":"application/vnd.docker.distribution.manifest.v2+json",{body}}}"#);
    assert!(manifest(parse(&docker, None).unwrap()).layers().is_empty());
}

// ---- artifacts ------------------------------------------------------------

#[test]
fn artifacts_are_manifests_that_say_so() {
    let oci = Some("application/vnd.oci.image.manifest.v1+json");
    let with_type = manifest(
        parse(
            &manifest_json(
                oci,
                "application/vnd.oci.empty.v1+json",
                r#","artifactType":"application/vnd.example.sbom""#,
            ),
            None,
        )
        .unwrap(),
    );
    assert!(with_type.is_artifact());
    assert_eq!(
        with_type.effective_artifact_type().unwrap().as_str(),
        "application/vnd.example.sbom"
    );

    let custom_config = manifest(
        parse(
            &manifest_json(oci, "application/vnd.example.config+json", ""),
            None,
        )
        .unwrap(),
    );
    assert!(custom_config.is_artifact());
    assert_eq!(
        custom_config.effective_artifact_type().unwrap().as_str(),
        "application/vnd.example.config+json"
    );

    let docker = Some("application/vnd.docker.distribution.manifest.v2+json");
    let legacy =
        manifest(parse(&manifest_json(docker, "application/octet-stream", ""), None).unwrap());
    assert!(
        !legacy.is_artifact(),
        "Docker 1.10-era configs typed octet-stream are images"
    );
    let oci_octet =
        manifest(parse(&manifest_json(oci, "application/octet-stream", ""), None).unwrap());
    assert!(oci_octet.is_artifact());
}

#[test]
fn subject_and_annotations_are_kept() {
    let extra = format!(
        r#","subject":{{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":9,"digest":"{D4}"}},"annotations":{{"b":"2","a":"1"}}"#
    );
    let m = manifest(
        parse(
            &manifest_json(
                Some("application/vnd.oci.image.manifest.v1+json"),
                "application/vnd.oci.image.config.v1+json",
                &extra,
            ),
            None,
        )
        .unwrap(),
    );
    assert_eq!(m.subject().unwrap().digest().to_string(), D4);
    assert_eq!(m.annotations().keys().collect::<Vec<_>>(), ["a", "b"]);
}

// ---- hostile JSON ---------------------------------------------------------

#[test]
fn deep_nesting_neither_overflows_the_stack_nor_passes_unnoticed() {
    let depth = 100_000;
    // In a field we do not keep, nesting is skipped without recursion: the
    // document parses (its size is already bounded by MAX_MANIFEST_BYTES).
    let deep = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","junk":{}{},"manifests":[]}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    assert!(index(parse(&deep, None).unwrap()).manifests().is_empty());
    // Unclosed, it is a truncated document.
    let open = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","junk":{}"#,
        "[".repeat(depth)
    );
    let e = parse(&open, None).unwrap_err();
    assert!(
        matches!(
            e,
            DocumentError::Json {
                kind: JsonErrorKind::Truncated,
                ..
            }
        ),
        "{e}"
    );
    // In a kept field, the first level that is not the expected type stops it.
    let labels = format!(
        r#"{{"architecture":"amd64","os":"linux","config":{{"Labels":{}}}}}"#,
        "{\"a\":".repeat(depth)
    );
    let e = ImageConfig::parse(&verified(labels.as_bytes())).unwrap_err();
    assert!(
        matches!(&e, DocumentError::Json { path, kind: JsonErrorKind::Data, .. } if path == "config.Labels.a"),
        "{e}"
    );
    let manifests = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":{}{}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let e = parse(&manifests, None).unwrap_err();
    assert!(
        matches!(&e, DocumentError::Json { path, .. } if path == "manifests[0]"),
        "{e}"
    );
    assert!(
        e.to_string().contains("expected a descriptor object"),
        "{e}"
    );
    // A whole document that is one deep array is not an object at all.
    let e = parse(&"[".repeat(depth), Some(MediaType::OciIndex)).unwrap_err();
    assert!(
        matches!(
            e,
            DocumentError::Json {
                kind: JsonErrorKind::Data,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn structs_are_objects_never_arrays_of_their_fields() {
    // serde would otherwise read a struct from an array of its fields in order.
    let arr = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",
           "manifests":[["application/vnd.oci.image.manifest.v1+json","{D1}",5]]}}"#
    );
    let e = parse(&arr, None).unwrap_err();
    assert!(
        e.to_string().contains("expected a descriptor object"),
        "{e}"
    );
    let e = parse(
        r#"[2,"application/vnd.oci.image.index.v1+json",[]]"#,
        Some(MediaType::OciIndex),
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            DocumentError::Json {
                kind: JsonErrorKind::Data,
                ..
            }
        ),
        "{e}"
    );
    let cfg = r#"["amd64","linux"]"#;
    assert!(ImageConfig::parse(&verified(cfg.as_bytes())).is_err());
    let plat = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",
           "manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":5,"digest":"{D1}","platform":["linux","amd64"]}}]}}"#
    );
    let e = parse(&plat, None).unwrap_err();
    assert!(e.to_string().contains("expected a platform object"), "{e}");
}

#[test]
fn huge_and_negative_numbers_are_refused_clearly() {
    let with_size = |size: &str| {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",
               "manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":{size},"digest":"{D1}"}}]}}"#
        )
    };
    let cases = [
        ("-1", "negative"),
        ("99999999999999999999999", "not an integer"),
        ("1e400", "number out of range"),
        ("18446744073709551615", "int64 maximum"),
        ("3.5", "not an integer"),
    ];
    for (size, want) in cases {
        let e = parse(&with_size(size), None).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains(want), "size {size}: {msg}");
        assert!(
            matches!(&e, DocumentError::Json { path, .. } if path == "manifests[0].size"),
            "{msg}"
        );
    }
    let version = r#"{"schemaVersion":1e999,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
    assert!(parse(version, None).is_err());
}

#[test]
fn oversized_truncated_and_trailing_garbage() {
    let big = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[],"pad":"{}"}}"#,
        "x".repeat(MAX_MANIFEST_BYTES)
    );
    let e = parse(&big, None).unwrap_err();
    assert!(
        matches!(
            e,
            DocumentError::TooLarge {
                limit: MAX_MANIFEST_BYTES,
                ..
            }
        ),
        "{e}"
    );

    let json = manifest_json(
        Some("application/vnd.oci.image.manifest.v1+json"),
        "application/vnd.oci.image.config.v1+json",
        "",
    );
    let e = parse(&json[..json.len() - 10], None).unwrap_err();
    assert!(
        matches!(
            e,
            DocumentError::Json {
                kind: JsonErrorKind::Truncated,
                ..
            }
        ),
        "{e}"
    );
    let e = parse(&format!("{json} {{}}"), None).unwrap_err();
    assert!(
        matches!(
            e,
            DocumentError::Json {
                kind: JsonErrorKind::Syntax,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("trailing characters"), "{e}");
    let dup = json.replacen(
        r#""schemaVersion":2,"#,
        r#""schemaVersion":2,"schemaVersion":2,"#,
        1,
    );
    let e = parse(&dup, None).unwrap_err();
    assert!(e.to_string().contains("duplicate field"), "{e}");
    let e = parse("\u{feff}{}", None).unwrap_err();
    assert!(
        matches!(
            e,
            DocumentError::Json {
                kind: JsonErrorKind::Syntax,
                ..
            }
        ),
        "{e}"
    );
}

// ---- configs --------------------------------------------------------------

const DOCKER_CONFIG: &str = r#"{"architecture":"arm64","variant":"v8","os":"linux","author":"someone",
  "created":"2024-02-29T12:00:00.5+02:00",
  "config":{"Hostname":"","User":"app","ExposedPorts":{"8080/tcp":{},"53/udp":{}},
    "Env":["PATH=/usr/bin:/bin","EMPTY=","EQ=a=b"],"Cmd":null,"Entrypoint":["/entry"],
    "Volumes":{"/data":{}},"WorkingDir":"/srv","Labels":{"org.opencontainers.image.title":"t"},
    "StopSignal":"SIGTERM","OnBuild":null,"Shell":["/bin/bash","-c"],
    "Healthcheck":{"Test":["CMD-SHELL","true"],"Interval":30000000000,"Retries":3}},
  "container_config":{"Cmd":["ignored"]},
  "rootfs":{"type":"layers","diff_ids":[
    "sha256:1111111111111111111111111111111111111111111111111111111111111111",
    "sha256:2222222222222222222222222222222222222222222222222222222222222222"]},
  "history":[
    {"created":"2024-01-01T00:00:00Z","created_by":"/bin/sh -c #(nop) ADD file:abc in /"},
    {"created_by":"/bin/sh -c #(nop)  ENV PATH=/usr/bin:/bin","empty_layer":true},
    {"created_by":"RUN apk add curl","comment":"buildkit.dockerfile.v0"},
    {"created_by":"CMD [\"sh\"]","empty_layer":true}]}"#;

#[test]
fn config_keeps_what_docker_inspect_shows() {
    let v = verified(DOCKER_CONFIG.as_bytes());
    let c = ImageConfig::parse(&v).unwrap();
    assert_eq!(c.digest(), v.digest());
    assert_eq!(
        (c.os(), c.architecture(), c.variant()),
        ("linux", "arm64", Some("v8"))
    );
    assert_eq!(c.platform().to_string(), "linux/arm64/v8");
    assert_eq!(c.author(), Some("someone"));
    let t = c.created_time().unwrap().unwrap();
    assert_eq!((t.seconds(), t.nanos()), (1_709_200_800, 500_000_000));
    let cc = c.config();
    assert_eq!(cc.user(), Some("app"));
    assert_eq!(
        cc.exposed_ports().collect::<Vec<_>>(),
        ["53/udp", "8080/tcp"]
    );
    assert_eq!(
        cc.env().collect::<Vec<_>>(),
        ["PATH=/usr/bin:/bin", "EMPTY=", "EQ=a=b"]
    );
    assert_eq!(cc.env_pairs().nth(2), Some(("EQ", "a=b")));
    assert_eq!(cc.cmd(), None);
    assert_eq!(cc.entrypoint(), Some(&["/entry".to_owned()][..]));
    assert_eq!(cc.volumes().collect::<Vec<_>>(), ["/data"]);
    assert_eq!(cc.working_dir(), Some("/srv"));
    assert_eq!(
        cc.labels()
            .get("org.opencontainers.image.title")
            .map(String::as_str),
        Some("t")
    );
    assert_eq!(cc.stop_signal(), Some("SIGTERM"));
    assert!(cc.on_build().is_empty());
    assert_eq!(cc.shell().len(), 2);
    let hc = cc.healthcheck().unwrap();
    assert_eq!(
        (hc.test().len(), hc.interval(), hc.retries(), hc.timeout()),
        (2, Some(30_000_000_000), Some(3), None)
    );
    assert_eq!(c.diff_ids().len(), 2);
}

#[test]
fn history_entries_map_to_their_layers() {
    let c = ImageConfig::parse(&verified(DOCKER_CONFIG.as_bytes())).unwrap();
    let steps: Vec<Option<usize>> = c.history_steps().iter().map(|s| s.layer).collect();
    assert_eq!(steps, [Some(0), None, Some(1), None]);
    assert!(c.history_matches_layers());
    assert_eq!(
        c.layer_history(1).unwrap().created_by(),
        Some("RUN apk add curl")
    );
    assert_eq!(
        c.layer_history(1).unwrap().comment(),
        Some("buildkit.dockerfile.v0")
    );
    assert!(c.layer_history(2).is_none());

    // More non-empty steps than layers: the extra ones map to nothing.
    let short = DOCKER_CONFIG
        .replace(
            r#""sha256:2222222222222222222222222222222222222222222222222222222222222222"]"#,
            "]",
        )
        .replace(
            r#""sha256:1111111111111111111111111111111111111111111111111111111111111111","#,
            r#""sha256:1111111111111111111111111111111111111111111111111111111111111111""#,
        );
    let c = ImageConfig::parse(&verified(short.as_bytes())).unwrap();
    assert_eq!(c.diff_ids().len(), 1);
    let steps: Vec<Option<usize>> = c.history_steps().iter().map(|s| s.layer).collect();
    assert_eq!(steps, [Some(0), None, None, None]);
    assert!(!c.history_matches_layers());
}

#[test]
fn config_rules() {
    let bad = |from: &str, to: &str| {
        let doc = DOCKER_CONFIG.replace(from, to);
        assert_ne!(doc, DOCKER_CONFIG, "replacement {from:?} did not apply");
        ImageConfig::parse(&verified(doc.as_bytes())).unwrap_err()
    };
    let e = bad(r#""EMPTY=""#, r#""=value""#);
    assert!(
        matches!(&e, DocumentError::Json { path, .. } if path == "config.Env[1]"),
        "{e}"
    );
    let e = bad(r#""EMPTY=""#, r#""MULTI=a\nb""#);
    assert!(e.to_string().contains("NAME=value"), "{e}");
    let e = bad(r#""type":"layers""#, r#""type":"tarballs""#);
    assert!(
        matches!(&e, DocumentError::Json { path, .. } if path == "rootfs.type"),
        "{e}"
    );
    let e = bad(r#""Volumes":{"/data":{}}"#, r#""Volumes":{"/data":"yes"}"#);
    assert!(
        matches!(&e, DocumentError::Json { path, .. } if path == "config.Volumes./data"),
        "{e}"
    );
    let e = bad(r#""architecture":"arm64","#, "");
    assert!(
        e.to_string().contains("missing field `architecture`"),
        "{e}"
    );
    let e = bad(r#""empty_layer":true}]"#, r#""empty_layer":"yes"}]"#);
    assert!(
        matches!(&e, DocumentError::Json { path, .. } if path == "history[3].empty_layer"),
        "{e}"
    );
    // A timestamp that is not RFC 3339 is kept, and reported when asked for.
    let doc = DOCKER_CONFIG.replace("2024-02-29T12:00:00.5+02:00", "yesterday");
    let c = ImageConfig::parse(&verified(doc.as_bytes())).unwrap();
    assert_eq!(c.created(), Some("yesterday"));
    assert!(c.created_time().unwrap().is_err());
}

// ---- platforms ------------------------------------------------------------

fn entry(platform: Option<(&str, &str, Option<&str>)>, digest: &str, extra: &str) -> String {
    let p = platform
        .map(|(os, arch, v)| {
            let v = v
                .map(|v| format!(r#","variant":"{v}""#))
                .unwrap_or_default();
            format!(r#","platform":{{"os":"{os}","architecture":"{arch}"{v}}}"#)
        })
        .unwrap_or_default();
    format!(
        r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":500,"digest":"{digest}"{p}{extra}}}"#
    )
}

fn attestation(for_digest: &str, digest: &str) -> String {
    entry(
        Some(("unknown", "unknown", None)),
        digest,
        &format!(
            r#","annotations":{{"vnd.docker.reference.type":"attestation-manifest","vnd.docker.reference.digest":"{for_digest}"}}"#
        ),
    )
}

fn index_of(entries: &[String]) -> ImageIndex {
    let json = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{}]}}"#,
        entries.join(",")
    );
    index(parse(&json, None).unwrap())
}

#[test]
fn default_policy_prefers_linux_amd64_wherever_it_is() {
    let idx = index_of(&[
        entry(Some(("linux", "arm64", Some("v8"))), D1, ""),
        attestation(D1, D3),
        entry(Some(("linux", "amd64", None)), D2, ""),
        attestation(D2, D4),
    ]);
    let chosen = PlatformPolicy::default().select(&idx).unwrap();
    assert_eq!(chosen.descriptor().digest().to_string(), D2);
    assert_eq!(chosen.position(), 2);
    assert_eq!(chosen.platform().unwrap().to_string(), "linux/amd64");
}

#[test]
fn default_policy_without_amd64_takes_the_first_runnable_never_an_attestation() {
    let idx = index_of(&[
        attestation(D2, D4),
        entry(
            Some(("linux", "unknown", None)),
            D3,
            r#","artifactType":"application/vnd.example+type""#,
        ),
        entry(Some(("linux", "arm64", Some("v8"))), D2, ""),
        entry(Some(("linux", "s390x", None)), D1, ""),
    ]);
    let chosen = PlatformPolicy::default().select(&idx).unwrap();
    assert_eq!(chosen.descriptor().digest().to_string(), D2);
    assert_eq!(chosen.kind(), EntryKind::Runnable);

    let only_attestations = index_of(&[attestation(D1, D2), attestation(D3, D4)]);
    let e = PlatformPolicy::default()
        .select(&only_attestations)
        .unwrap_err();
    assert!(matches!(e, PlatformError::NoRunnable { .. }), "{e}");
    assert!(e.to_string().contains("attestation"), "{e}");
    // Even asked for by name, an attestation is not a platform.
    let e = PlatformPolicy::require("unknown/unknown")
        .unwrap()
        .select(&only_attestations)
        .unwrap_err();
    assert!(matches!(e, PlatformError::NoRunnable { .. }), "{e}");
    let empty = index_of(&[]);
    assert!(PlatformPolicy::default()
        .select(&empty)
        .unwrap_err()
        .to_string()
        .contains("empty"));
}

#[test]
fn entries_are_classified_and_platforms_lists_runnable_ones() {
    let nested = format!(
        r#"{{"mediaType":"application/vnd.oci.image.index.v1+json","size":5,"digest":"{D4}"}}"#
    );
    let xml = format!(r#"{{"mediaType":"application/xml","size":5,"digest":"{D4}"}}"#);
    let idx = index_of(&[
        entry(Some(("linux", "amd64", None)), D1, ""),
        attestation(D1, D2),
        entry(None, D3, ""),
        nested,
        xml,
        entry(Some(("unknown", "unknown", None)), D4, ""),
        entry(None, D4, r#","artifactType":"application/vnd.example.sig""#),
    ]);
    let kinds: Vec<EntryKind> = entries(&idx).iter().map(|e| e.kind()).collect();
    assert_eq!(
        kinds,
        [
            EntryKind::Runnable,
            EntryKind::Attestation,
            EntryKind::Runnable,
            EntryKind::Index,
            EntryKind::Other,
            EntryKind::UnknownPlatform,
            EntryKind::Artifact
        ]
    );
    let att = entries(&idx)[1];
    assert_eq!(att.attests().unwrap().to_string(), D1);
    assert_eq!(entries(&idx)[0].attests(), None);
    let runnable: Vec<usize> = platforms(&idx).iter().map(|e| e.position()).collect();
    assert_eq!(runnable, [0, 2]);
}

#[test]
fn a_users_platform_is_matched_after_normalisation() {
    let idx = index_of(&[
        entry(Some(("linux", "amd64", None)), D1, ""),
        entry(Some(("linux", "arm64", Some("v8"))), D2, ""),
        entry(Some(("linux", "arm", Some("v7"))), D3, ""),
        attestation(D1, D4),
    ]);
    let pick = |s: &str| {
        PlatformPolicy::require(s)
            .unwrap()
            .select(&idx)
            .map(|e| e.position())
    };
    assert_eq!(pick("linux/arm64"), Ok(1));
    assert_eq!(pick("linux/aarch64"), Ok(1));
    assert_eq!(pick("linux/arm64/v8"), Ok(1));
    assert_eq!(pick("linux/armhf"), Ok(2));
    assert_eq!(pick("linux/arm"), Ok(2));
    assert_eq!(pick("linux/x86_64"), Ok(0));
    let e = PlatformPolicy::require("linux/s390x")
        .unwrap()
        .select(&idx)
        .unwrap_err();
    assert_eq!(
        e,
        PlatformError::NotAvailable {
            wanted: "linux/s390x".into(),
            available: vec![
                "linux/amd64".into(),
                "linux/arm64/v8".into(),
                "linux/arm/v7".into()
            ],
        }
    );
    assert_eq!(
        e.to_string(),
        "platform linux/s390x is not in this index; available: linux/amd64, linux/arm64/v8, linux/arm/v7"
    );
    assert!(matches!(
        PlatformPolicy::require("arm64"),
        Err(PlatformError::Shape { .. })
    ));
    // A preference that is absent falls back to the first runnable entry.
    let prefer = PlatformPolicy::Prefer(Platform::parse("windows/amd64").unwrap());
    assert_eq!(prefer.select(&idx).unwrap().position(), 0);
}

#[test]
fn docker_manifest_lists_work_the_same() {
    let json = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[
          {{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":1,"digest":"{D1}","platform":{{"architecture":"arm64","os":"linux","variant":"v8"}}}},
          {{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":1,"digest":"{D2}","platform":{{"architecture":"amd64","os":"linux"}}}}]}}"#
    );
    let idx = index(parse(&json, None).unwrap());
    assert_eq!(idx.media_type(), &MediaType::DockerManifestList);
    assert_eq!(
        PlatformPolicy::default().select(&idx).unwrap().position(),
        1
    );
    assert_eq!(platforms(&idx).len(), 2);
}
