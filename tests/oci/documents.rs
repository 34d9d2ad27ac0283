//! Manifests and indexes end to end through the public API: dispatch on media
//! type, the errors for refused documents, artifacts and hostile JSON.

use layerlens::oci::{
    Compression, Digest, DocumentError, ImageConfig, JsonErrorKind, MediaType, MAX_MANIFEST_BYTES,
};

use layerlens_testkit::oci_docs::*;

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
