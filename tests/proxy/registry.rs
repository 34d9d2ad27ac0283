//! `layerlens serve` in front of the real CNCF distribution registry (the
//! harness in tests/support/registry/, open, basic-auth and token-auth
//! flavours on 127.0.0.1): manifests and blobs byte for byte, Range, the
//! token dance through the rewritten realm, preflights answered by the proxy.

use base64::Engine as _;
use layerlens_testkit::proxy::{assert_same_origin_only, Proxy};
use layerlens_testkit::registry::tiny_tar::Tar;
use layerlens_testkit::registry::{
    BuiltImage, Flavor, ImageBuilder, Layer, ManifestFormat, Registry,
};

const USER: &str = "alice";
const PASSWORD: &str = "correct horse battery staple";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const PRIVATE_IMMUTABLE: &str = "private, max-age=31536000, immutable";

/// Who a pull is for, as caches see it.
#[derive(Clone, Copy)]
enum Access {
    Anonymous,
    Credentialed,
}

fn image() -> BuiltImage {
    let base = Tar::new()
        .dir("etc/")
        .file("etc/hello", b"hello\n")
        .finish();
    let top = Tar::new()
        .file("etc/hello", b"goodbye, and a longer line for Range\n")
        .finish();
    ImageBuilder::oci()
        .layer(Layer::gzip_tar(ManifestFormat::Oci, &base))
        .layer(Layer::gzip_tar(ManifestFormat::Oci, &top))
        .platform("linux", "amd64", None)
        .build()
}

/// Fetches the manifest by tag and by digest, then the config and every
/// layer, through the proxy with `auth` (an `Authorization` value or none),
/// and checks every byte and header the page relies on. `Anonymous` access
/// (no credentials, or a token the proxy saw issued without any) may be kept
/// by shared caches; `Credentialed` access only by the browser.
fn assert_pull_through(
    proxy: &Proxy,
    registry: &Registry,
    repo: &str,
    img: &BuiltImage,
    auth: Option<&str>,
    access: Access,
) {
    let (by_tag, by_digest) = match access {
        Access::Anonymous => ("no-cache", IMMUTABLE),
        Access::Credentialed => ("private, no-cache", PRIVATE_IMMUTABLE),
    };
    let hp = registry.host_port();
    let mut headers = vec![("Accept", img.manifest_media_type.as_str())];
    if let Some(a) = auth {
        headers.push(("Authorization", a));
    }
    for (reference, cache) in [("v1", by_tag), (img.manifest_digest.as_str(), by_digest)] {
        let r = proxy.request(
            "GET",
            &format!("/proxy/{hp}/v2/{repo}/manifests/{reference}"),
            &headers,
        );
        assert_eq!(r.status, 200, "manifest {reference}: {}", r.text());
        assert_eq!(r.body, img.manifest);
        assert_eq!(
            r.header("docker-content-digest"),
            Some(img.manifest_digest.as_str())
        );
        assert_eq!(
            r.header("content-type"),
            Some(img.manifest_media_type.as_str())
        );
        assert_eq!(r.header("cache-control"), Some(cache));
        assert_same_origin_only(&r);
    }
    let r = proxy.request(
        "HEAD",
        &format!("/proxy/{hp}/v2/{repo}/manifests/v1"),
        &headers,
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-length"),
        Some(img.manifest.len().to_string().as_str())
    );
    assert_eq!(
        r.header("docker-content-digest"),
        Some(img.manifest_digest.as_str())
    );

    let blobs = std::iter::once((img.config_digest.clone(), img.config.clone()))
        .chain(img.layers.iter().map(|l| (l.digest(), l.bytes.clone())));
    for (digest, bytes) in blobs {
        let r = proxy.request(
            "GET",
            &format!("/proxy/{hp}/v2/{repo}/blobs/{digest}"),
            &headers,
        );
        assert_eq!(r.status, 200, "blob {digest}: {}", r.text());
        assert_eq!(r.body, bytes, "blob {digest}");
        assert_eq!(r.header("cache-control"), Some(by_digest));
        assert_same_origin_only(&r);
    }

    let layer = &img.layers[1];
    let mut ranged = headers.clone();
    ranged.push(("Range", "bytes=3-12"));
    let r = proxy.request(
        "GET",
        &format!("/proxy/{hp}/v2/{repo}/blobs/{}", layer.digest()),
        &ranged,
    );
    assert_eq!(r.status, 206, "{}", r.text());
    assert_eq!(r.body, &layer.bytes[3..=12]);
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes 3-12/{}", layer.bytes.len()).as_str())
    );
}

#[test]
fn open_registry_through_the_proxy() {
    let registry = Registry::start(Flavor::Open);
    let img = image();
    img.push(&registry.client(), "team/app", Some("v1"));
    let proxy = Proxy::start(&["--allow-registry", &registry.host_port()]);
    assert_pull_through(&proxy, &registry, "team/app", &img, None, Access::Anonymous);

    let r = proxy.get(&format!(
        "/proxy/{}/v2/team/app/tags/list",
        registry.host_port()
    ));
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["tags"], serde_json::json!(["v1"]));
}

#[test]
fn basic_auth_registry_through_the_proxy() {
    let registry = Registry::start(Flavor::basic(USER, PASSWORD));
    let img = image();
    img.push(&registry.client(), "team/app", Some("v1"));
    let proxy = Proxy::start(&["--allow-registry", &registry.host_port()]);
    let hp = registry.host_port();

    // The registry itself answers a preflight with 401; the proxy answers 204.
    let r = proxy.request(
        "OPTIONS",
        &format!("/proxy/{hp}/v2/team/app/manifests/v1"),
        &[
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "authorization"),
        ],
    );
    assert_eq!(r.status, 204);
    assert_same_origin_only(&r);

    let r = proxy.get(&format!("/proxy/{hp}/v2/team/app/manifests/v1"));
    assert_eq!(r.status, 401);
    assert_same_origin_only(&r);
    let challenge = r.header("www-authenticate").unwrap();
    assert!(
        challenge.to_ascii_lowercase().starts_with("basic"),
        "{challenge}"
    );

    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"))
    );
    assert_pull_through(
        &proxy,
        &registry,
        "team/app",
        &img,
        Some(&basic),
        Access::Credentialed,
    );
}

/// `realm="…"` of a challenge.
fn realm_of(challenge: &str) -> String {
    let start = challenge.find("realm=\"").expect("a realm") + 7;
    let end = challenge[start..].find('"').unwrap() + start;
    challenge[start..end].to_owned()
}

#[test]
fn token_dance_through_the_rewritten_realm() {
    let registry = Registry::start(Flavor::token(USER, PASSWORD));
    let img = image();
    let client = registry.client();
    img.push(&client, "public/app", Some("v1"));
    img.push(&client, "team/app", Some("v1"));
    let tokens = registry.token_server().expect("a token server");
    let proxy = Proxy::start(&["--allow-registry", &registry.host_port()]);
    let hp = registry.host_port();
    tokens.clear_requests();

    // Preflight on the auth registry: answered by the proxy, never forwarded.
    let r = proxy.request(
        "OPTIONS",
        &format!("/proxy/{hp}/v2/public/app/manifests/v1"),
        &[],
    );
    assert_eq!(r.status, 204);
    assert_same_origin_only(&r);

    // Before a challenge named it, the token host is refused.
    let scope = "repository%3Apublic%2Fapp%3Apull";
    let early = proxy.get(&format!(
        "/proxy/{}/token?scope={scope}",
        tokens.host_port()
    ));
    assert_eq!(early.status, 403);
    assert!(tokens.requests().is_empty());

    let r = proxy.get(&format!("/proxy/{hp}/v2/public/app/manifests/v1"));
    assert_eq!(r.status, 401, "{}", r.text());
    assert_same_origin_only(&r);
    let challenge = r.header("www-authenticate").unwrap().to_owned();
    let realm = realm_of(&challenge);
    assert_eq!(
        realm,
        format!("/proxy/{}/token", tokens.host_port()),
        "{challenge}"
    );
    assert!(
        challenge.contains(&format!("service=\"{}\"", tokens.service())),
        "{challenge}"
    );

    // Anonymous pull of public/*: the page's token request, through the proxy.
    let service = tokens.service().to_owned();
    let r = proxy.get(&format!("{realm}?service={service}&scope={scope}"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_same_origin_only(&r);
    let token = r.json()["token"].as_str().unwrap().to_owned();
    let seen = tokens.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].scopes,
        vec!["repository:public/app:pull".to_string()]
    );
    assert!(!seen[0].had_authorization);
    assert_pull_through(
        &proxy,
        &registry,
        "public/app",
        &img,
        Some(&format!("Bearer {token}")),
        Access::Anonymous,
    );

    // With credentials, sent to the realm through the proxy: the private repository.
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"))
    );
    let r = proxy.request(
        "GET",
        &format!("{realm}?service={service}&scope=repository%3Ateam%2Fapp%3Apull"),
        &[("Authorization", &basic)],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let token = r.json()["token"].as_str().unwrap().to_owned();
    assert_eq!(
        tokens
            .requests()
            .last()
            .unwrap()
            .authenticated_as
            .as_deref(),
        Some(USER)
    );
    assert_pull_through(
        &proxy,
        &registry,
        "team/app",
        &img,
        Some(&format!("Bearer {token}")),
        Access::Credentialed,
    );
}
