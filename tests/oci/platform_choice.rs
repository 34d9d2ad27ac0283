//! Choosing an image from an index: classification of entries, the default
//! policy (never the host's platform) and a user's explicit platform.

use layerlens::oci::{
    entries, platforms, EntryKind, ImageIndex, MediaType, Platform, PlatformError, PlatformPolicy,
};

use layerlens_testkit::oci_docs::*;

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
