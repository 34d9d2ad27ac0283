//! Failures through `update()`: invalid references explained, registry and
//! proxy errors in words, the credentials prompt, tampered and corrupt
//! layers (the rest of the image stays browsable).

use layerlens::app::views;
use layerlens::app::{Effect, ErrorKind, Focus, LoadId, Msg, Phase};
use layerlens::inspect::InspectError;
use layerlens::registry::{FetchError, FetchErrorKind, RateLimit, RegistryError};
use layerlens_testkit::app::*;

fn error_of(page: &Page) -> layerlens::app::UserError {
    match &page.state.phase {
        Phase::Error(e) => e.clone(),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn an_invalid_reference_explains_itself_and_loads_nothing() {
    let cases = [
        ("Not A Valid::Ref", "it contains a space"),
        ("alpine:latest!", "the character '!' is not allowed"),
        ("Alpine", "repository names must be lowercase (try alpine)"),
        ("alpine:", "the tag after : is empty"),
        ("a//b", "a part of the name between slashes is empty"),
        ("alpine@sha256:abc", "the digest after @ is not valid"),
        ("", "the reference is empty"),
        (
            "alpine:-x",
            "a tag must start with a letter, digit or underscore",
        ),
        (
            "-alpine",
            "must start and end with a lowercase letter or digit",
        ),
    ];
    for (input, reason) in cases {
        let mut page = Page::new(MemRegistry::new());
        page.submit(input);
        let e = error_of(&page);
        assert_eq!(e.kind, ErrorKind::InvalidReference, "{input:?}");
        assert!(e.detail.contains(reason), "{input:?}: {}", e.detail);
        assert!(!page.effects.iter().any(|e| matches!(e, Effect::Resolve(_))));
        assert_eq!(page.state.phase.hook(), "error");
    }
}

#[test]
fn unknown_tags_and_repositories_name_the_object() {
    let mut page = Page::new(demo_registry());
    page.submit("127.0.0.1:5000/demo:nope");
    let e = error_of(&page);
    assert_eq!(e.kind, ErrorKind::UnknownTag);
    assert!(
        e.detail.contains("127.0.0.1:5000/demo:nope"),
        "{}",
        e.detail
    );
}

#[test]
fn credentials_are_asked_for_kept_in_memory_and_never_linked() {
    let mut page = Page::new(demo_registry());
    page.perform = false;
    page.submit("127.0.0.1:5000/private:v1");
    page.send(Msg::Resolved {
        load: LoadId(1),
        result: Err(InspectError::Registry(RegistryError::CredentialsRequired {
            registry: "127.0.0.1:5000".into(),
            realm: "/proxy/127.0.0.1:5001/token".into(),
        })),
    });
    let e = error_of(&page);
    assert_eq!(e.kind, ErrorKind::CredentialsNeeded);
    assert!(e.hint.contains("memory only"));
    let status = views::status(&page.state);
    assert_eq!(
        status
            .prompt
            .as_ref()
            .map(|p| (p.registry.as_str(), p.refused)),
        Some(("127.0.0.1:5000", false))
    );
    assert_eq!(page.focus, vec![Focus::Username]);
    page.send(Msg::CredentialsProvided {
        username: "alice".into(),
        password: "s3cret-pw".into(),
    });
    let Some(Effect::Resolve(task)) = page
        .effects
        .iter()
        .rev()
        .find(|e| matches!(e, Effect::Resolve(_)))
    else {
        panic!("no resolve")
    };
    assert_eq!(task.load, LoadId(2));
    assert_eq!(
        task.credentials.as_ref().map(|c| c.username()),
        Some("alice")
    );
    assert!(
        !format!("{:?}", page.effects).contains("s3cret-pw"),
        "credentials never printed"
    );
    assert!(page
        .urls
        .iter()
        .all(|(q, _)| !q.contains("alice") && !q.contains("s3cret")));
    // Refused: the prompt comes back, marked refused.
    page.send(Msg::Resolved {
        load: LoadId(2),
        result: Err(InspectError::Registry(RegistryError::Unauthorized {
            registry: "127.0.0.1:5000".into(),
            message: "bad password".into(),
        })),
    });
    assert_eq!(error_of(&page).kind, ErrorKind::CredentialsRefused);
    assert!(page.state.auth.prompt.as_ref().is_some_and(|p| p.refused));
    page.send(Msg::CredentialsCancelled);
    assert!(page.state.auth.prompt.is_none());
}

#[test]
fn registry_and_proxy_failures_in_words() {
    let cases: Vec<(RegistryError, ErrorKind, &str)> = vec![
        (
            RegistryError::RateLimited {
                registry: "registry-1.docker.io".into(),
                rate_limit: RateLimit::from_headers(Some("100;w=21600"), Some("0;w=21600")),
            },
            ErrorKind::RateLimited,
            "0 of 100 pulls left; the count resets over a 6-hour window.",
        ),
        (
            RegistryError::Fetch {
                registry: "quay.io".into(),
                source: FetchError::with_kind(
                    FetchErrorKind::ProxyRefused,
                    "host not allowed: quay.io. To allow it, start the proxy with: layerlens serve --allow-registry quay.io",
                ),
            },
            ErrorKind::ProxyRefused,
            "--allow-registry quay.io",
        ),
        (
            RegistryError::Fetch {
                registry: "ghcr.io".into(),
                source: FetchError::with_kind(FetchErrorKind::ProxyUnreachable, "the proxy at /proxy/ did not answer"),
            },
            ErrorKind::ProxyUnreachable,
            "layerlens serve",
        ),
        (
            RegistryError::NotFound {
                what: layerlens::registry::Missing::Repository,
                object: "docker.io/library/nope".into(),
                message: String::new(),
            },
            ErrorKind::UnknownRepository,
            "docker.io/library/nope: no such repository",
        ),
    ];
    for (error, kind, needle) in cases {
        let mut page = Page::new(MemRegistry::new());
        page.perform = false;
        page.submit("alpine");
        page.send(Msg::Resolved {
            load: LoadId(1),
            result: Err(InspectError::Registry(error)),
        });
        let e = error_of(&page);
        assert_eq!(e.kind, kind);
        assert!(e.text().contains(needle), "{kind:?}: {}", e.text());
    }
}

#[test]
fn a_tampered_layer_is_red_and_the_rest_stays_browsable() {
    let reg = demo_registry();
    let (_, digests) = demo_image().manifest(&reg, "demo");
    // Layer 2 (opt/app) replaced by other bytes under the same digest.
    reg.tamper_blob("demo", &digests[2], b"not the layer".to_vec());
    let mut page = Page::new(reg);
    page.submit("127.0.0.1:5000/demo:v1");
    assert_eq!(page.state.phase, Phase::Ready);
    let o = views::overview(&page.state).unwrap();
    assert_eq!(o.verified, Some(false));
    let bad: Vec<&views::Check> = o.checks.iter().filter(|c| c.ok != Some(true)).collect();
    assert_eq!(bad.len(), 1);
    assert!(bad[0].object.starts_with("layer 2 sha256:"));
    assert!(bad[0].detail.contains(&digests[2]), "{}", bad[0].detail);
    let status = views::status(&page.state);
    assert_eq!(status.problems.len(), 1);
    assert_eq!(status.problems[0].kind, ErrorKind::DigestMismatch);
    // The other layers' files are there; layer 2's are not.
    assert!(page.names().contains("hello") && !page.names().contains("data.bin"));
}

#[test]
fn a_corrupt_published_layer_is_not_called_a_mismatch() {
    // The registry serves exactly the bytes the descriptor names, but they
    // are not a gzip stream: the layer is corrupt as published.
    let reg = demo_registry();
    let good = demo_image();
    let garbage = b"\x1f\x8b\x08\x00 this is not deflate data at all".to_vec();
    let bad_digest = reg.put_blob("corrupt", &garbage);
    let cfg = good.config_json();
    let cfg_digest = reg.put_blob("corrupt", &cfg);
    let first = layerlens_testkit::tar::gzip(&good.layers[0].tar);
    let first_digest = reg.put_blob("corrupt", &first);
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": cfg_digest, "size": cfg.len()},
        "layers": [
            {"mediaType": OCI_LAYER_GZIP, "digest": first_digest, "size": first.len()},
            {"mediaType": OCI_LAYER_GZIP, "digest": bad_digest, "size": garbage.len()},
        ],
    }))
    .unwrap();
    reg.put_manifest("corrupt", Some("v1"), OCI_MANIFEST, &manifest);
    let mut page = Page::new(reg);
    page.submit("127.0.0.1:5000/corrupt:v1");
    assert_eq!(page.state.phase, Phase::Ready);
    let problems = views::status(&page.state).problems;
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].kind, ErrorKind::CorruptLayer);
    assert!(
        problems[0].detail.contains(&bad_digest),
        "{}",
        problems[0].detail
    );
    assert_eq!(views::overview(&page.state).unwrap().verified, Some(false));
    // Layer 0 is browsable.
    assert!(page.names().contains("os-release"));
}
