//! The image library end to end, in real headless Chromium: its own harness
//! because the browser tests need control of the registry (a tag is moved
//! under the page, and the registry is stopped to show reopening needs no
//! network). Starts the registry harness (CNCF distribution on 127.0.0.1)
//! with three images of `lib/app` and `lib/other` that share a base layer,
//! one image under an OCI and a Docker v2s2 manifest (`lib/twin`),
//! `layerlens serve` with the built page, and runs
//! `node --test tests/e2e/library.e2e.mjs` (a name node's default patterns
//! do not match, so `tests/browser/page.rs` does not run it).
//!
//! Needs, like tests/browser/page.rs: `dist/` from `trunk build`, `npm ci` in
//! tests/e2e, and `/usr/bin/chromium`.

use std::process::Command;
use std::time::Duration;

use layerlens_testkit::e2e::{require_browser_tools, root, run_node, serve};

use base64::Engine as _;
use layerlens_testkit::registry::tiny_tar::Tar;
use layerlens_testkit::registry::{Flavor, ImageBuilder, Layer, ManifestFormat, Registry};
use layerlens_testkit::rng::Rng;

/// The longest the browser tests may take.
const NODE_TIMEOUT: Duration = Duration::from_secs(300);

fn layer(tar: Tar) -> Layer {
    Layer::gzip_tar(ManifestFormat::Oci, &tar.finish())
}

#[test]
fn the_library_in_headless_chromium() {
    require_browser_tools();
    let root = root();
    let registry = Registry::start(Flavor::Open);
    let client = registry.client();

    // Content sizes as Docker counts them: regular files only, so
    // lib/app:v1 is 100,000 + 20,000 = 120kB, lib/other:v1 150kB and the
    // image lib/app:v1 moves to 130kB.
    let base = layer(
        Tar::new()
            .dir("base/")
            .file("base/lib.bin", &Rng(1).noise(100_000)),
    );
    let app_layer = layer(
        Tar::new()
            .dir("app/")
            .file("app/v1.txt", &Rng(2).noise(20_000)),
    );
    let other_layer = layer(
        Tar::new()
            .dir("other/")
            .file("other/data.bin", &Rng(3).noise(50_000))
            .file("other/readme.txt", b"kept for offline file viewing"),
    );
    let app2_layer = layer(
        Tar::new()
            .dir("app/")
            .file("app/v2.txt", &Rng(4).noise(30_000)),
    );
    let app = ImageBuilder::oci()
        .layer(base.clone())
        .layer(app_layer.clone())
        .created("2024-01-01T00:00:00Z")
        .label("team", "a")
        .build();
    let other = ImageBuilder::oci()
        .layer(base.clone())
        .layer(other_layer.clone())
        .created("2024-02-01T00:00:00Z")
        .label("team", "b")
        .build();
    let app2 = ImageBuilder::oci()
        .layer(base.clone())
        .layer(app2_layer)
        .created("2024-03-01T00:00:00Z")
        .label("team", "a")
        .build();
    // One config under an OCI and a Docker v2s2 manifest (one IMAGE ID),
    // and the image lib/twin:oci is moved to by the tests.
    let twin_tar = Tar::new().dir("twin/").file("twin/t.txt", b"twin").finish();
    let twin = |format: ManifestFormat| {
        let b = match format {
            ManifestFormat::Oci => ImageBuilder::oci(),
            ManifestFormat::Docker => ImageBuilder::docker(),
        };
        b.layer(Layer::gzip_tar(format, &twin_tar))
            .created("2024-04-01T00:00:00Z")
            .build()
    };
    let (twin_oci, twin_docker) = (twin(ManifestFormat::Oci), twin(ManifestFormat::Docker));
    assert_eq!(twin_oci.config_digest, twin_docker.config_digest);
    assert_ne!(twin_oci.manifest_digest, twin_docker.manifest_digest);
    let twin_next = ImageBuilder::oci()
        .layer(layer(Tar::new().dir("next/").file("next/n.txt", b"next")))
        .created("2024-04-02T00:00:00Z")
        .build();
    twin_oci.push(&client, "lib/twin", Some("oci"));
    twin_docker.push(&client, "lib/twin", Some("docker"));
    twin_next.push(&client, "lib/twin", None);
    app.push(&client, "lib/app", Some("v1"));
    other.push(&client, "lib/other", Some("v1"));
    // Pushed by digest only: the test moves lib/app:v1 to it.
    app2.push(&client, "lib/app", None);

    let (_server, url) = serve(
        env!("CARGO_BIN_EXE_layerlens"),
        &[registry.host_port()],
        &[],
    );
    let pid = registry.pid().expect("the registry runs");
    let shots = root.join("target/screenshots");
    std::fs::create_dir_all(&shots).expect("screenshots dir");
    let b64 = base64::engine::general_purpose::STANDARD;

    let mut node = Command::new("node");
    node.args([
        "--test",
        "--test-concurrency=1",
        "tests/e2e/library.e2e.mjs",
    ])
    .env("SERVER", &url)
    .env("REGISTRY", registry.host_port())
    .env("REGISTRY_PID", pid.to_string())
    .env("SCREENSHOTS", &shots)
    .env("APP_ID", &app.config_digest)
    .env("APP_MANIFEST", &app.manifest_digest)
    .env("OTHER_ID", &other.config_digest)
    .env("OTHER_MANIFEST", &other.manifest_digest)
    .env("APP2_ID", &app2.config_digest)
    .env("APP2_MANIFEST", &app2.manifest_digest)
    .env("APP2_MANIFEST_B64", b64.encode(&app2.manifest))
    .env("APP2_MEDIA_TYPE", &app2.manifest_media_type)
    .env("BASE_LAYER", base.digest())
    .env("APP_LAYER", app_layer.digest())
    .env("OTHER_LAYER", other_layer.digest())
    .env("KEEP_TEXT", "kept for offline file viewing")
    .env("TWIN_ID", &twin_oci.config_digest)
    .env("TWIN_OCI_MANIFEST", &twin_oci.manifest_digest)
    .env("TWIN_DOCKER_MANIFEST", &twin_docker.manifest_digest)
    .env("TWIN_NEXT_MANIFEST_B64", b64.encode(&twin_next.manifest))
    .env("TWIN_NEXT_MEDIA_TYPE", &twin_next.manifest_media_type);
    run_node(node, NODE_TIMEOUT);
}
