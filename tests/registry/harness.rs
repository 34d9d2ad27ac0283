//! Proves the registry harness (tests/support/registry/) against the real CNCF distribution
//! registry: every flavour starts, takes a pushed image and serves it back byte for byte, and
//! refuses what it should. Each test runs its own registry on its own port.

use layerlens_testkit::registry::media_types as mt;
use layerlens_testkit::registry::tiny_tar::Tar;
use layerlens_testkit::registry::{
    sha256_digest, BuiltImage, Client, Flavor, ImageBuilder, IndexBuilder, Layer, ManifestFormat,
    Registry, TagPager,
};

const USER: &str = "alice";
const PASSWORD: &str = "correct horse battery staple";

/// A two-layer image whose second layer rewrites a file of the first.
fn two_layer_image(format: ManifestFormat) -> BuiltImage {
    let base = Tar::new()
        .dir("etc/")
        .file("etc/hello", b"hello\n")
        .finish();
    let top = Tar::new()
        .file("etc/hello", b"goodbye\n")
        .file("usr/bin/tool", b"#!/bin/sh\necho tool\n")
        .finish();
    ImageBuilder::new(format)
        .layer(Layer::gzip_tar(format, &base))
        .layer(Layer::gzip_tar(format, &top))
        .env("PATH=/usr/bin:/bin")
        .cmd(&["/usr/bin/tool"])
        .label("org.opencontainers.image.title", "harness")
        .history("ADD base /", false)
        .history("ENV PATH=/usr/bin:/bin", true)
        .history("ADD top /", false)
        .build()
}

/// Pulls `image` back through `client` by tag and by digest and checks every byte.
fn assert_served(client: &Client, repo: &str, tag: &str, image: &BuiltImage) {
    let accept = [image.manifest_media_type.as_str()];
    for reference in [tag, image.manifest_digest.as_str()] {
        let got = client.get_manifest(repo, reference, &accept);
        assert_eq!(got.status, 200, "GET manifest {reference}: {}", got.text());
        assert_eq!(got.body, image.manifest, "manifest bytes by {reference}");
        assert_eq!(
            got.header("Docker-Content-Digest"),
            Some(image.manifest_digest.as_str())
        );
        assert_eq!(
            got.header("Content-Type"),
            Some(image.manifest_media_type.as_str())
        );
        assert_eq!(sha256_digest(&got.body), image.manifest_digest);
    }
    let head = client.head_manifest(repo, tag, &accept);
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(
        head.header("Content-Length"),
        Some(image.manifest.len().to_string().as_str())
    );
    assert_eq!(
        head.header("Docker-Content-Digest"),
        Some(image.manifest_digest.as_str())
    );
    for layer in &image.layers {
        let blob = client.get_blob(repo, &layer.digest());
        assert_eq!(blob.status, 200);
        assert_eq!(blob.body, layer.bytes, "layer {}", layer.digest());
        assert_eq!(
            blob.header("Docker-Content-Digest"),
            Some(layer.digest().as_str())
        );
    }
    let config = client.get_blob(repo, &image.config_digest);
    assert_eq!(config.status, 200);
    assert_eq!(config.body, image.config);
}

#[test]
fn open_registry_serves_a_pushed_oci_image() {
    let registry = Registry::start(Flavor::Open);
    let client = registry.client();
    let image = two_layer_image(ManifestFormat::Oci);
    let digest = image.push(&client, "team/app", Some("v1"));
    assert_eq!(digest, image.manifest_digest);
    assert_served(&client, "team/app", "v1", &image);
    assert_eq!(client.tags("team/app"), vec!["v1".to_string()]);

    let config = image.config_json();
    assert_eq!(
        config["rootfs"]["diff_ids"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(config["history"][1]["empty_layer"], true);
    assert_eq!(config["config"]["Cmd"][0], "/usr/bin/tool");
}

#[test]
fn open_registry_serves_docker_schema2_and_a_manifest_without_media_type() {
    let registry = Registry::start(Flavor::Open);
    let client = registry.client();
    let docker = two_layer_image(ManifestFormat::Docker);
    docker.push(&client, "team/docker", Some("latest"));
    assert_served(&client, "team/docker", "latest", &docker);
    let manifest: serde_json::Value = serde_json::from_slice(&docker.manifest).unwrap();
    assert_eq!(manifest["mediaType"], mt::DOCKER_MANIFEST);
    assert_eq!(manifest["layers"][0]["mediaType"], mt::DOCKER_LAYER_GZIP);

    let bare = ImageBuilder::oci()
        .layer(Layer::plain_tar(
            ManifestFormat::Oci,
            &Tar::new().file("a", b"a").finish(),
        ))
        .omit_manifest_media_type()
        .build();
    let manifest: serde_json::Value = serde_json::from_slice(&bare.manifest).unwrap();
    assert!(manifest.get("mediaType").is_none());
    bare.push(&client, "team/bare", Some("v1"));
    assert_served(&client, "team/bare", "v1", &bare);
}

#[test]
fn chunked_upload_and_delete() {
    let registry = Registry::start(Flavor::Open);
    let client = registry.client();
    let bytes: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
    let digest = client.push_blob_chunked("team/chunks", &bytes, 1024);
    assert_eq!(digest, sha256_digest(&bytes));
    assert_eq!(client.get_blob("team/chunks", &digest).body, bytes);

    let image = two_layer_image(ManifestFormat::Oci);
    image.push(&client, "team/chunks", Some("gone"));
    client.delete_manifest("team/chunks", &image.manifest_digest);
    let after = client.get_manifest("team/chunks", &image.manifest_digest, &[mt::OCI_MANIFEST]);
    assert_eq!(after.status, 404);
    assert_eq!(after.error_codes(), vec!["MANIFEST_UNKNOWN".to_string()]);
}

#[test]
fn basic_auth_registry_serves_with_credentials_and_refuses_without() {
    let registry = Registry::start(Flavor::basic(USER, PASSWORD));
    let client = registry.client();
    let image = two_layer_image(ManifestFormat::Oci);
    image.push(&client, "team/app", Some("v1"));
    assert_served(&client, "team/app", "v1", &image);

    let anonymous = registry.anonymous_client();
    let refused = anonymous.get_manifest("team/app", "v1", &[mt::OCI_MANIFEST]);
    assert_eq!(refused.status, 401);
    assert_eq!(
        refused.header("WWW-Authenticate"),
        Some("Basic realm=\"layerlens-test\"")
    );
    assert_eq!(refused.error_codes(), vec!["UNAUTHORIZED".to_string()]);

    let wrong = registry.client_with_credentials(USER, "wrong password");
    assert_eq!(wrong.get("/v2/", &[]).status, 401);
    assert_eq!(
        wrong
            .get_manifest("team/app", "v1", &[mt::OCI_MANIFEST])
            .status,
        401
    );
    assert!(wrong.try_push_blob("team/app", b"nope").is_err());
    assert_eq!(client.get("/v2/", &[]).status, 200);
}

#[test]
fn token_auth_registry_runs_the_token_dance() {
    let registry = Registry::start(Flavor::token(USER, PASSWORD));
    let tokens = registry
        .token_server()
        .expect("token flavour has a token server");
    let client = registry.client();
    let image = two_layer_image(ManifestFormat::Oci);
    image.push(&client, "team/app", Some("v1"));
    image.push(&client, "public/x", Some("v1"));
    assert_served(&client, "team/app", "v1", &image);

    // The challenge names our realm, the service and the scope the request needed.
    let raw = registry.anonymous_client();
    let challenge = raw
        .send_unauthenticated("GET", "/v2/team/app/manifests/v1", &[], None)
        .unwrap();
    assert_eq!(challenge.status, 401);
    assert_eq!(
        challenge.header("WWW-Authenticate"),
        Some(
            format!(
                "Bearer realm=\"{}\",service=\"{}\",scope=\"repository:team/app:pull\"",
                tokens.realm(),
                tokens.service()
            )
            .as_str()
        )
    );

    // Anonymous tokens: pull on public/*, nothing elsewhere, never push.
    let served = raw.get_manifest("public/x", "v1", &[mt::OCI_MANIFEST]);
    assert_eq!(served.status, 200, "{}", served.text());
    assert_eq!(served.body, image.manifest);
    assert_eq!(
        raw.get_manifest("team/app", "v1", &[mt::OCI_MANIFEST])
            .status,
        401
    );
    let push = raw
        .try_push_blob("public/x", b"anonymous push")
        .unwrap_err();
    assert!(push.0.contains("HTTP 401"), "{push}");

    // Wrong credentials are refused by the token server itself.
    let wrong = registry.client_with_credentials(USER, "wrong password");
    let refused = wrong
        .fetch_token(&["repository:team/app:pull"])
        .unwrap_err();
    assert!(refused.0.contains("HTTP 401"), "{refused}");

    let log = tokens.requests();
    assert!(log.iter().all(|r| r.path == "/token" && r.method == "GET"));
    assert!(log
        .iter()
        .any(|r| r.authenticated_as.as_deref() == Some(USER)
            && r.granted == vec!["repository:team/app:pull,push".to_string()]));
    assert!(log.iter().any(|r| !r.had_authorization
        && r.scopes == vec!["repository:public/x:pull".to_string()]
        && r.granted == vec!["repository:public/x:pull".to_string()]));
    assert!(log.iter().any(|r| !r.had_authorization
        && r.scopes == vec!["repository:team/app:pull".to_string()]
        && r.granted.is_empty()));
    assert!(log.iter().any(|r| r.had_authorization && r.status == 401));
    assert!(log
        .iter()
        .all(|r| r.service.as_deref() == Some(tokens.service())));
    assert!(
        !format!("{log:?}").contains(PASSWORD),
        "the secret is never recorded"
    );
}

#[test]
fn token_signed_by_an_untrusted_key_is_rejected() {
    let registry = Registry::start(Flavor::token(USER, PASSWORD));
    let tokens = registry.token_server().unwrap();
    let client = registry.client();
    tokens.sign_with_untrusted_key(true);
    assert_eq!(client.get("/v2/", &[]).status, 401);
    tokens.sign_with_untrusted_key(false);
    client.clear_tokens();
    assert_eq!(client.get("/v2/", &[]).status, 200);

    let minted = tokens.mint(USER, &[("repository", "team/app", &["pull"])]);
    let direct = client
        .send_unauthenticated(
            "GET",
            "/v2/team/app/tags/list",
            &[("Authorization", &format!("Bearer {minted}"))],
            None,
        )
        .unwrap();
    // Authorised, and the repository does not exist yet.
    assert_eq!(direct.status, 404);
    assert_eq!(direct.error_codes(), vec!["NAME_UNKNOWN".to_string()]);
}

#[test]
fn index_with_platforms_and_attestation_and_a_docker_manifest_list() {
    let registry = Registry::start(Flavor::Open);
    let client = registry.client();
    let repo = "team/multi";
    let per_platform = |os: &str, arch: &str, variant: Option<&str>, format| {
        ImageBuilder::new(format)
            .layer(Layer::gzip_tar(
                format,
                &Tar::new().file("arch", arch.as_bytes()).finish(),
            ))
            .platform(os, arch, variant)
            .build()
    };
    let arm64 = per_platform("linux", "arm64", Some("v8"), ManifestFormat::Oci);
    let amd64 = per_platform("linux", "amd64", None, ManifestFormat::Oci);
    let armv7 = per_platform("linux", "arm", Some("v7"), ManifestFormat::Oci);
    let attestation =
        ImageBuilder::attestation(br#"{"_type":"https://in-toto.io/Statement/v0.1"}"#).build();
    for image in [&arm64, &amd64, &armv7, &attestation] {
        image.push(&client, repo, None);
    }
    let index = IndexBuilder::oci()
        .image(&arm64)
        .image(&amd64)
        .image(&armv7)
        .attestation(&attestation, &amd64.manifest_digest)
        .build();
    index.push(&client, repo, Some("latest"));
    let got = client.get_manifest(repo, "latest", &[mt::OCI_INDEX, mt::OCI_MANIFEST]);
    assert_eq!(got.status, 200);
    assert_eq!(got.body, index.bytes);
    assert_eq!(got.header("Content-Type"), Some(mt::OCI_INDEX));
    let json = got.json();
    let entries = json["manifests"].as_array().unwrap();
    assert_eq!(entries.len(), 4);
    assert_eq!(entries[0]["platform"]["architecture"], "arm64");
    assert_eq!(entries[0]["platform"]["variant"], "v8");
    assert_eq!(entries[3]["platform"]["os"], "unknown");
    assert_eq!(
        entries[3]["annotations"]["vnd.docker.reference.type"],
        "attestation-manifest"
    );
    assert_eq!(
        entries[3]["annotations"]["vnd.docker.reference.digest"],
        amd64.manifest_digest.as_str()
    );
    assert_served(&client, repo, &attestation.manifest_digest, &attestation);

    let docker_amd64 = per_platform("linux", "amd64", None, ManifestFormat::Docker);
    let docker_arm64 = per_platform("linux", "arm64", Some("v8"), ManifestFormat::Docker);
    docker_amd64.push(&client, repo, None);
    docker_arm64.push(&client, repo, None);
    let list = IndexBuilder::docker()
        .image(&docker_arm64)
        .image(&docker_amd64)
        .build();
    list.push(&client, repo, Some("docker"));
    let got = client.get_manifest(repo, "docker", &[mt::DOCKER_MANIFEST_LIST]);
    assert_eq!(got.status, 200);
    assert_eq!(got.body, list.bytes);
    assert_eq!(got.header("Content-Type"), Some(mt::DOCKER_MANIFEST_LIST));
    assert_eq!(got.json()["manifests"][1]["mediaType"], mt::DOCKER_MANIFEST);
}

#[test]
fn tag_pager_paginates_with_link_headers_through_token_auth() {
    let registry = Registry::start(Flavor::token(USER, PASSWORD));
    let client = registry.client();
    let image = two_layer_image(ManifestFormat::Oci);
    let tags = ["v5", "v1", "v3", "v2", "v4"];
    image.push(&client, "team/tags", Some(tags[0]));
    for tag in &tags[1..] {
        client.push_manifest("team/tags", tag, mt::OCI_MANIFEST, &image.manifest);
    }
    // Distribution 2.8 itself returns every tag at once: this is why the pager exists.
    let mut all = client.tags("team/tags");
    all.sort();
    assert_eq!(all, vec!["v1", "v2", "v3", "v4", "v5"]);

    let pager = TagPager::start(&registry.base_url());
    let tokens = registry.token_server().unwrap();
    let through = Client::token(
        &pager.base_url(),
        &tokens.realm(),
        tokens.service(),
        Some((USER, PASSWORD)),
    );
    let mut next = Some("/v2/team/tags/tags/list?n=2".to_string());
    let mut pages = Vec::new();
    while let Some(target) = next.take() {
        let page = through.get(&target, &[]);
        assert_eq!(page.status, 200, "{}", page.text());
        let names: Vec<String> = page.json()["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_string())
            .collect();
        pages.push(names);
        next = page.header("Link").map(|link| {
            assert!(link.ends_with("; rel=\"next\""), "{link}");
            link[1..link.find('>').unwrap()].to_string()
        });
        assert!(pages.len() <= 3, "pagination does not end");
    }
    assert_eq!(pages, vec![vec!["v1", "v2"], vec!["v3", "v4"], vec!["v5"]]);

    // Everything else passes through unchanged, challenges included.
    let manifest = through.get_manifest("team/tags", "v3", &[mt::OCI_MANIFEST]);
    assert_eq!(manifest.body, image.manifest);
    let head = through.head_manifest("team/tags", "v3", &[mt::OCI_MANIFEST]);
    assert_eq!(
        head.header("Content-Length"),
        Some(image.manifest.len().to_string().as_str())
    );
    let challenge = through
        .send_unauthenticated("GET", "/v2/team/tags/tags/list?n=2", &[], None)
        .unwrap();
    assert_eq!(challenge.status, 401);
    assert!(challenge
        .header("WWW-Authenticate")
        .unwrap()
        .starts_with(&format!("Bearer realm=\"{}\"", tokens.realm())));
}

#[test]
fn catalog_pagination_comes_from_the_registry_itself() {
    let registry = Registry::start(Flavor::Open);
    let client = registry.client();
    let image = two_layer_image(ManifestFormat::Oci);
    for repo in ["a/one", "b/two", "c/three"] {
        image.push(&client, repo, Some("v1"));
    }
    let page = client.get("/v2/_catalog?n=2", &[]);
    assert_eq!(page.status, 200);
    assert_eq!(
        page.json()["repositories"],
        serde_json::json!(["a/one", "b/two"])
    );
    let link = page.header("Link").expect("a Link to the next page");
    assert!(
        link.contains("last=b%2Ftwo") || link.contains("last=b/two"),
        "{link}"
    );
}

#[test]
fn an_altered_or_truncated_blob_in_storage_is_served_as_is() {
    let registry = Registry::start(Flavor::Open);
    let client = registry.client();
    let image = two_layer_image(ManifestFormat::Oci);
    image.push(&client, "team/app", Some("v1"));
    let layer = &image.layers[1];
    let path = registry.blob_data_path(&layer.digest());
    assert_eq!(std::fs::read(&path).unwrap(), layer.bytes);

    let mut altered = layer.bytes.clone();
    let middle = altered.len() / 2;
    altered[middle] ^= 0xff;
    std::fs::write(&path, &altered).unwrap();
    let served = client.get_blob("team/app", &layer.digest());
    assert_eq!(served.status, 200);
    assert_eq!(served.body, altered);
    assert_ne!(sha256_digest(&served.body), layer.digest());

    std::fs::write(&path, &layer.bytes[..middle]).unwrap();
    let served = client.get_blob("team/app", &layer.digest());
    assert_eq!(served.body, &layer.bytes[..middle]);

    // The untouched layer is still intact.
    let other = client.get_blob("team/app", &image.layers[0].digest());
    assert_eq!(other.body, image.layers[0].bytes);
}

#[test]
fn stop_and_restart_keep_the_storage() {
    let mut registry = Registry::start(Flavor::basic(USER, PASSWORD));
    let client = registry.client();
    let image = two_layer_image(ManifestFormat::Oci);
    image.push(&client, "team/app", Some("v1"));
    assert!(registry.is_running());

    registry.stop();
    assert!(!registry.is_running());
    let fresh = registry.client();
    assert!(fresh.send("GET", "/v2/", &[], None).is_err());

    registry.restart();
    assert!(registry.is_running());
    assert_served(&registry.client(), "team/app", "v1", &image);
}

#[test]
fn tiny_tar_is_read_by_gnu_tar() {
    let tar = Tar::new()
        .dir("etc/")
        .file("etc/hello", b"hello\n")
        .finish();
    assert_eq!(tar.len() % 512, 0);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("layer.tar");
    std::fs::write(&path, &tar).unwrap();
    let listing = std::process::Command::new("tar")
        .arg("-tf")
        .arg(&path)
        .output()
        .expect("tar is installed");
    assert!(listing.status.success(), "{listing:?}");
    assert_eq!(
        String::from_utf8_lossy(&listing.stdout),
        "etc/\netc/hello\n"
    );
}

#[test]
fn token_server_issues_es256_jwts_with_distribution_claims() {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use base64::Engine as _;

    let registry = Registry::start(Flavor::token(USER, PASSWORD));
    let tokens = registry.token_server().unwrap();
    tokens.set_expires_in(42);
    let raw = Client::anonymous(&registry.base_url());
    let basic = format!("Basic {}", STANDARD.encode(format!("{USER}:{PASSWORD}")));
    let url = format!(
        "{}?service={}&scope=repository%3Ateam%2Fapp%3Apull%2Cpush&scope=registry%3Acatalog%3A%2A",
        tokens.realm(),
        tokens.service()
    );
    let answer = raw
        .send_unauthenticated("GET", &url, &[("Authorization", &basic)], None)
        .unwrap();
    assert_eq!(answer.status, 200, "{}", answer.text());
    let body = answer.json();
    assert_eq!(body["token"], body["access_token"]);
    assert_eq!(body["expires_in"], 42);
    let issued_at = body["issued_at"].as_str().unwrap();
    assert_eq!(issued_at.len(), "2024-01-01T00:00:00Z".len(), "{issued_at}");
    assert!(issued_at.ends_with('Z') && issued_at.as_bytes()[10] == b'T');

    let jwt = body["token"].as_str().unwrap();
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    let decode = |part: &str| -> serde_json::Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    };
    let header = decode(parts[0]);
    assert_eq!(header["alg"], "ES256");
    let pem_body: String = tokens
        .root_cert_pem()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    assert_eq!(header["x5c"][0], pem_body.as_str());
    assert_eq!(URL_SAFE_NO_PAD.decode(parts[2]).unwrap().len(), 64, "r||s");
    let claims = decode(parts[1]);
    assert_eq!(claims["iss"], tokens.issuer());
    assert_eq!(claims["aud"], tokens.service());
    assert_eq!(claims["sub"], USER);
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        42
    );
    assert!(claims["nbf"].as_u64().unwrap() <= claims["iat"].as_u64().unwrap());
    assert_eq!(
        claims["access"],
        serde_json::json!([
            {"type": "repository", "name": "team/app", "actions": ["pull", "push"]},
            {"type": "registry", "name": "catalog", "actions": ["*"]},
        ])
    );
    // Such a token opens the catalog on the registry.
    let catalog = raw
        .send_unauthenticated(
            "GET",
            "/v2/_catalog",
            &[("Authorization", &format!("Bearer {jwt}"))],
            None,
        )
        .unwrap();
    assert_eq!(catalog.status, 200, "{}", catalog.text());

    let post = raw
        .send_unauthenticated("POST", &tokens.realm(), &[], Some(b""))
        .unwrap();
    assert_eq!(post.status, 405);
    let elsewhere = format!("http://{}/other", tokens.host_port());
    let missing = raw
        .send_unauthenticated("GET", &elsewhere, &[], None)
        .unwrap();
    assert_eq!(missing.status, 404);
}
