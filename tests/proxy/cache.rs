//! `layerlens serve` behind a real shared cache — the Debian nginx as a
//! caching reverse proxy, config written here, loopback only — in front of
//! the real distribution registry with token auth (tests/support/registry/):
//!
//! * an anonymous layer (fetched with a token the proxy saw issued to a
//!   request without credentials, as Docker Hub's anonymous pulls are) is
//!   cached: the second request is nginx's, the registry never sees it;
//! * a layer fetched with credentials is never stored, so a request without
//!   them gets the registry's 401, not the private bytes.

use std::time::{Duration, Instant};

use base64::Engine as _;
use layerlens_testkit::nginx::Nginx;
use layerlens_testkit::proxy::{request, Proxy, Response};
use layerlens_testkit::registry::tiny_tar::Tar;
use layerlens_testkit::registry::{Flavor, ImageBuilder, Layer, ManifestFormat, Registry};

const USER: &str = "alice";
const PASSWORD: &str = "s3cret";

fn get(nginx: &Nginx, target: &str, auth: Option<&str>) -> Response {
    let headers: Vec<(&str, &str)> = auth.map(|a| ("Authorization", a)).into_iter().collect();
    request(nginx.addr(), "GET", target, &headers)
}

fn cache_status(r: &Response) -> &str {
    r.header("x-cache-status").unwrap_or("")
}

/// The requests for `path` that reached `layerlens serve` (its access log).
/// How many requests for `path` reached `serve`: `serve` logs a request as
/// its answer completes, which can be just after the client has read it,
/// so the log is read until `expected` lines are there (at most 5 s), then
/// once more a little later, so that one too many is seen too.
fn reached(proxy: &Proxy, path: &str, expected: usize) -> usize {
    let count = || {
        proxy
            .log(path)
            .lines()
            .filter(|l| l.contains(&format!(" {path} ")))
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while count() < expected && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    count()
}

#[test]
fn anonymous_layers_are_cached_and_credentialed_ones_never() {
    let registry = Registry::start(Flavor::token(USER, PASSWORD));
    let tar = Tar::new().file("etc/secret", b"private bytes\n").finish();
    let img = ImageBuilder::oci()
        .layer(Layer::gzip_tar(ManifestFormat::Oci, &tar))
        .platform("linux", "amd64", None)
        .build();
    let client = registry.client();
    img.push(&client, "public/app", Some("v1"));
    img.push(&client, "team/app", Some("v1"));
    let tokens = registry.token_server().expect("a token server");
    let hp = registry.host_port();
    let proxy = Proxy::start(&["--allow-registry", &hp]);
    let nginx = Nginx::caching(proxy.addr());
    let layer = img.layers[0].digest();
    let service = tokens.service().to_owned();
    let realm = format!("/proxy/{}/token", tokens.host_port());

    // Anonymous: the challenge, an anonymous token, the layer.
    let public = format!("/v2/public/app/blobs/{layer}");
    let r = get(&nginx, &format!("/proxy/{hp}{public}"), None);
    assert_eq!(r.status, 401, "{}", r.text());
    let r = get(
        &nginx,
        &format!("{realm}?service={service}&scope=repository%3Apublic%2Fapp%3Apull"),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let anonymous = format!("Bearer {}", r.json()["token"].as_str().unwrap());
    let first = get(&nginx, &format!("/proxy/{hp}{public}"), Some(&anonymous));
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.body, img.layers[0].bytes);
    assert_eq!(
        first.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(cache_status(&first), "MISS");
    for auth in [Some(anonymous.as_str()), None] {
        let again = get(&nginx, &format!("/proxy/{hp}{public}"), auth);
        assert_eq!(again.status, 200);
        assert_eq!(again.body, img.layers[0].bytes);
        assert_eq!(cache_status(&again), "HIT", "served by nginx");
    }
    // The 401 and the one MISS reached the proxy; the HITs never did.
    assert_eq!(reached(&proxy, &public, 2), 2, "{}", proxy.log(&public));

    // With credentials: a token for the user, the private repository's layer.
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"))
    );
    let r = request(
        nginx.addr(),
        "GET",
        &format!("{realm}?service={service}&scope=repository%3Ateam%2Fapp%3Apull"),
        &[("Authorization", &basic)],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let private = format!("/v2/team/app/blobs/{layer}");
    let user = format!("Bearer {}", r.json()["token"].as_str().unwrap());
    for _ in 0..2 {
        let r = get(&nginx, &format!("/proxy/{hp}{private}"), Some(&user));
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.body, img.layers[0].bytes);
        assert_eq!(
            r.header("cache-control"),
            Some("private, max-age=31536000, immutable")
        );
        assert_ne!(cache_status(&r), "HIT", "never stored");
    }
    // Basic credentials straight to the private layer: private too.
    let r = get(&nginx, &format!("/proxy/{hp}{private}"), Some(&basic));
    assert_ne!(cache_status(&r), "HIT");
    // Without credentials, the registry answers — not a cached private copy.
    let r = get(&nginx, &format!("/proxy/{hp}{private}"), None);
    assert_eq!(r.status, 401, "{}", r.text());
    assert_ne!(r.body, img.layers[0].bytes);
    assert_eq!(reached(&proxy, &private, 4), 4, "{}", proxy.log(&private));
}
