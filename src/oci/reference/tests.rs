//! Unit tests: round trips between the strict, normalised and familiar forms,
//! and hostile inputs. The upstream conformance vectors are exercised in
//! `tests/oci/reference_vectors.rs`.

use super::*;
use crate::oci::Algorithm;

const HEX64: &str = "86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";

fn norm(s: &str) -> Reference {
    Reference::parse_normalized(s).unwrap()
}

fn kind(r: Result<Reference, ReferenceError>) -> ReferenceErrorKind {
    r.unwrap_err().kind()
}

#[test]
fn display_round_trips_through_the_strict_parser() {
    let inputs = [
        "busybox".to_owned(),
        "busybox:1.36".to_owned(),
        format!("busybox@sha256:{HEX64}"),
        format!("busybox:latest@sha256:{HEX64}"),
        "library/foo/bar".to_owned(),
        "localhost:5000/team/api:dev".to_owned(),
        "[::1]:5000/x:y".to_owned(),
        "index.docker.io/foo/bar".to_owned(),
        "Foo/bar".to_owned(),
        format!("ghcr.io/org/app@sha512:{}", "ab".repeat(64)),
    ];
    for input in &inputs {
        let normalised = norm(input);
        let printed = normalised.to_string();
        // The normalised string is itself canonical and a fixed point.
        assert_eq!(Reference::parse(&printed).unwrap(), normalised, "{input}");
        assert_eq!(Reference::parse_canonical(&printed).unwrap(), normalised);
        assert_eq!(norm(&printed), normalised, "{input}");
        // The familiar string normalises back to the same reference.
        assert_eq!(norm(&normalised.familiar_string()), normalised, "{input}");
        // Serde uses the same text.
        let json = serde_json::to_string(&normalised).unwrap();
        assert_eq!(json, format!("\"{printed}\""));
        assert_eq!(
            serde_json::from_str::<Reference>(&json).unwrap(),
            normalised
        );
    }
}

#[test]
fn normalised_and_familiar_forms() {
    let r = norm(&format!("busybox:latest@sha256:{HEX64}"));
    assert_eq!(r.name(), "docker.io/library/busybox");
    assert_eq!(r.domain(), "docker.io");
    assert_eq!(r.path(), "library/busybox");
    assert_eq!(r.tag(), Some("latest"));
    assert_eq!(r.digest().map(Digest::hex), Some(HEX64));
    assert_eq!(r.familiar_name(), "busybox");
    assert_eq!(
        r.familiar_string(),
        format!("busybox:latest@sha256:{HEX64}")
    );
    assert_eq!(r.registry_host(), "registry-1.docker.io");

    let r = norm("docker.io/library/foo/bar");
    assert_eq!(r.familiar_name(), "library/foo/bar");
    let r = norm("localhost/x");
    assert_eq!((r.domain(), r.path()), ("localhost", "x"));
    assert_eq!(r.registry_host(), "localhost");
    let r = norm("localhost:5000/x");
    assert_eq!(r.registry_host(), "localhost:5000");
    assert_eq!(r.familiar_string(), "localhost:5000/x");
    // A single component is a Docker Hub image even when it looks like a host.
    assert_eq!(norm("localhost").name(), "docker.io/library/localhost");
    assert_eq!(
        norm("example.com:5000").to_string(),
        "docker.io/library/example.com:5000"
    );
}

#[test]
fn pull_reference_rules() {
    assert_eq!(
        norm("busybox").pull_reference().to_string(),
        "docker.io/library/busybox:latest"
    );
    assert_eq!(
        norm("busybox:1").pull_reference().to_string(),
        "docker.io/library/busybox:1"
    );
    let both = norm(&format!("busybox:1@sha256:{HEX64}"));
    assert_eq!(
        both.pull_reference().to_string(),
        format!("docker.io/library/busybox@sha256:{HEX64}")
    );
    assert_eq!(both.name_only().to_string(), "docker.io/library/busybox");
}

#[test]
fn with_tag_and_digest() {
    let r = Reference::parse_name("example.com/foo").unwrap();
    let d = Digest::of(Algorithm::Sha256, b"x");
    let tagged = r.with_tag("v1").unwrap();
    assert_eq!(
        tagged.with_digest(d.clone()).to_string(),
        format!("example.com/foo:v1@{d}")
    );
    assert_eq!(
        r.with_digest(d.clone()).with_tag("v2").unwrap().to_string(),
        format!("example.com/foo:v2@{d}")
    );
    assert_eq!(
        r.with_tag(&"t".repeat(128)).unwrap().tag().map(str::len),
        Some(128)
    );
    for bad in ["", "-x", ".x", "a/b", "a:b", &"t".repeat(129)] {
        assert_eq!(
            r.with_tag(bad).unwrap_err(),
            ReferenceError::InvalidTag,
            "{bad:?}"
        );
    }
}

#[test]
fn error_messages_are_upstreams() {
    assert_eq!(
        Reference::parse_normalized("Foo").unwrap_err().to_string(),
        "invalid reference format: repository name (library/Foo) must be lowercase"
    );
    assert_eq!(
        Reference::parse("Foo").unwrap_err().to_string(),
        "repository name must be lowercase"
    );
    assert_eq!(
        Reference::parse("").unwrap_err().to_string(),
        "repository name must have at least one component"
    );
    assert_eq!(
        Reference::parse_normalized(&format!("a@sha256:{}", &HEX64[..40]))
            .unwrap_err()
            .to_string(),
        "invalid checksum digest length"
    );
    assert_eq!(
        Reference::parse_normalized(&format!("a@md5:{HEX64}"))
            .unwrap_err()
            .to_string(),
        "unsupported digest algorithm"
    );
    assert_eq!(
        Reference::parse_normalized(&format!("a@sha256:{}", HEX64.to_uppercase()))
            .unwrap_err()
            .kind(),
        ReferenceErrorKind::ChecksumInvalidFormat
    );
    assert_eq!(
        Reference::parse_normalized(HEX64).unwrap_err().to_string(),
        format!("invalid repository name ({HEX64}), cannot specify 64-byte hexadecimal strings")
    );
    assert_eq!(
        Reference::parse(&format!("a/{}", "b".repeat(256)))
            .unwrap_err()
            .to_string(),
        "repository name must not be more than 255 characters"
    );
}

#[test]
fn hostile_inputs_give_errors_not_panics() {
    use ReferenceErrorKind as K;
    // Very long inputs: linear time, a length error or a format error.
    assert_eq!(
        kind(Reference::parse_normalized(&"a".repeat(1_000_000))),
        K::NameTooLong
    );
    assert_eq!(
        kind(Reference::parse(&"a/".repeat(200_000))),
        K::InvalidFormat
    );
    assert_eq!(
        kind(Reference::parse_normalized(&format!(
            "a:{}",
            "t".repeat(100_000)
        ))),
        K::InvalidFormat
    );
    assert_eq!(
        kind(Reference::parse_normalized(&format!(
            "a@sha256:{}",
            "f".repeat(100_000)
        ))),
        K::ChecksumInvalidLength
    );
    assert_eq!(
        kind(Reference::parse(&"@".repeat(10_000))),
        K::InvalidFormat
    );
    assert_eq!(
        kind(Reference::parse(&"[".repeat(10_000))),
        K::InvalidFormat
    );
    assert!(Reference::parse_normalized(&"A".repeat(100_000)).is_err());
    // Control characters, whitespace and non-ASCII.
    for bad in [
        "busybox\n",
        "busy\0box",
        " busybox",
        "busybox:\u{7f}",
        "b\u{fc}sybox",
        "busybox:t\u{e4}g",
        "\u{1f433}",
        "ex\u{e4}mple.com/x",
        "\u{202e}busybox",
        "busybox@sha256:\u{ff10}",
    ] {
        for result in [Reference::parse(bad), Reference::parse_normalized(bad)] {
            assert_eq!(result.unwrap_err().kind(), K::InvalidFormat, "{bad:?}");
        }
    }
    // Characters that lower-case into ASCII are reported as upper case, like Go.
    assert_eq!(
        kind(Reference::parse("\u{212a}ube")),
        K::NameContainsUppercase
    );
    // Degenerate separators.
    for bad in [
        "/",
        "//",
        ":",
        "@",
        "a/",
        "/a",
        "a//b",
        "a:",
        "a@",
        "a@sha256:",
        "[::1]",
        "[]/a",
    ] {
        assert!(Reference::parse_normalized(bad).is_err(), "{bad:?}");
        assert!(Reference::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn any_reference_forms() {
    let id = AnyReference::parse(HEX64).unwrap();
    assert_eq!(id.to_string(), format!("sha256:{HEX64}"));
    assert!(matches!(id, AnyReference::Digest(_)));
    let named = AnyReference::parse("redis").unwrap();
    assert_eq!(named.to_string(), "docker.io/library/redis");
    assert_eq!(named.familiar_string(), "redis");
    assert_eq!(named.familiar_match("re*"), Ok(true));
    assert_eq!(id.familiar_match("sha256:*"), Ok(true));
    assert_eq!(id.familiar_match("["), Err(ReferenceError::BadPattern));
}

#[test]
fn familiar_match_tries_string_then_name() {
    let r = norm("example.com/foo/c/baz:tag");
    assert_eq!(r.familiar_match("*/foo/c/baz"), Ok(true));
    assert_eq!(r.familiar_match("example.com/foo/c/baz:tag"), Ok(true));
    assert_eq!(r.familiar_match("*/baz"), Ok(false));
    assert_eq!(r.familiar_match("[-x]"), Err(ReferenceError::BadPattern));
    let r = norm("busybox:latest");
    assert_eq!(r.familiar_match("busybox"), Ok(true));
    assert_eq!(r.familiar_match("busy*:lat*"), Ok(true));
    assert_eq!(r.familiar_match("docker.io/*"), Ok(false));
}
