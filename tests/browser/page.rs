//! The page end to end, in real headless Chromium: the registry harness
//! (CNCF distribution on 127.0.0.1) holds test images, `layerlens serve`
//! serves the built page (`dist/`, from `trunk build`) and the proxy, and
//! `node --test tests/e2e/` drives the browser with playwright-core against
//! them. This test only wires the three together and reports node's output.
//!
//! Needs (scripts/test.sh provides them): `dist/` built by `trunk build`,
//! `npm ci` in tests/e2e, and `/usr/bin/chromium` (Debian package).

use layerlens_testkit as support;
use layerlens_testkit::{e2e, hub};

use layerlens_testkit::png;
use layerlens_testkit::tar;

use std::process::Command;
use std::time::Duration;

use layerlens_testkit::e2e::{require_browser_tools, root, run_node, Guard};

use layerlens_testkit::registry::tiny_tar::Tar;
use layerlens_testkit::registry::{
    Flavor, ImageBuilder, IndexBuilder, Layer, ManifestFormat, Registry,
};

/// The file in `e2e/big:v1`'s one layer: large enough to watch it stream.
const BIG_LAYER: usize = 24 << 20;

/// The longest the browser tests may take.
const NODE_TIMEOUT: Duration = Duration::from_secs(420);

fn layer(tar: Tar) -> Layer {
    Layer::gzip_tar(ManifestFormat::Oci, &tar.finish())
}

/// The account on the basic-auth and token-auth registries.
const USER: &str = "alice";
const PASSWORD: &str = "correct horse battery staple";

/// The image `e2e/hello:v1`: two layers, a whiteout, history with an empty
/// step, env, cmd, labels.
fn hello() -> support::registry::BuiltImage {
    ImageBuilder::oci()
        .layer(layer(
            Tar::new()
                .dir("etc/")
                .file("etc/hello", b"hello\n")
                .file("etc/os-release", b"ID=e2e\n")
                .dir("usr/")
                .dir("usr/bin/")
                .file("usr/bin/tool", &[7u8; 3000]),
        ))
        .layer(layer(
            Tar::new()
                .file("etc/hello", b"hello from layerlens\n")
                .file("etc/.wh.os-release", b"")
                .file("etc/motd", b"welcome\n"),
        ))
        .history("/bin/sh -c #(nop) ADD file:rootfs.tar in /", false)
        .history("/bin/sh -c #(nop)  ENV GREETING=hello", true)
        .history("/bin/sh -c echo hello from layerlens > /etc/hello", false)
        .env("PATH=/usr/local/bin:/usr/bin:/bin")
        .env("GREETING=hello")
        .cmd(&["/bin/sh"])
        .working_dir("/")
        .label("org.opencontainers.image.title", "hello")
        .author("layerlens e2e")
        .build()
}

/// Incompressible bytes, so a layer's blob is as large as its file.
fn noise(len: usize) -> Vec<u8> {
    layerlens_testkit::rng::Rng(0x9E37_79B9_7F4A_7C15).noise(len)
}

/// Lower-case hex SHA-256 (what the browser test compares a download with).
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Pushes the images the browser tests open.
fn push_images(registry: &Registry) {
    let client = registry.client();
    hello().push(&client, "e2e/hello", Some("v1"));
    // A directory of 300 files: many more rows than the tree's window.
    let mut many = Tar::new().dir("many/");
    for i in 0..300 {
        many = many.file(&format!("many/f{i:03}"), format!("{i}\n").as_bytes());
    }
    ImageBuilder::oci()
        .layer(layer(many))
        .build()
        .push(&client, "e2e/many", Some("v1"));
    ImageBuilder::oci()
        .layer(layer(
            Tar::new()
                .dir("data/")
                .file("data/blob.bin", &noise(BIG_LAYER)),
        ))
        .build()
        .push(&client, "e2e/big", Some("v1"));

    let amd = ImageBuilder::oci()
        .layer(layer(
            Tar::new()
                .dir("etc/")
                .file("etc/hello", b"hi amd64\n")
                .file("etc/amd64-only", b"x"),
        ))
        .platform("linux", "amd64", None)
        .build();
    let arm = ImageBuilder::oci()
        .layer(layer(
            Tar::new()
                .dir("etc/")
                .file("etc/hello", b"hi arm64\n")
                .file("etc/arm64-only", b"y"),
        ))
        .platform("linux", "arm64", Some("v8"))
        .build();
    amd.push(&client, "e2e/multi", None);
    arm.push(&client, "e2e/multi", None);
    IndexBuilder::oci()
        .image(&amd)
        .image(&arm)
        .build()
        .push(&client, "e2e/multi", Some("v1"));

    ImageBuilder::oci()
        .layer(layer(
            Tar::new()
                .dir("etc/")
                .file("etc/<img src=x onerror=window.__xss=1>", b"boom\n")
                .file("etc/<svg onload=window.__xss=4>", b"boom\n"),
        ))
        .label(
            "<img src=x onerror=window.__xss=2>",
            "<b onmouseover=window.__xss=3>label</b>",
        )
        .env("EVIL=<img src=x onerror=window.__xss=5>")
        .history("<img src=x onerror=window.__xss=6>", false)
        .build()
        .push(&client, "e2e/xss", Some("v1"));
}

/// Pushes `e2e/pin:v1` (with `/etc/one`) and `e2e/pin:v2` (with
/// `/etc/two`): the pinned-link test moves `v1` to `v2`'s manifest.
fn push_pin(registry: &Registry) {
    let client = registry.client();
    for (tag, file) in [("v1", "etc/one"), ("v2", "etc/two")] {
        ImageBuilder::oci()
            .layer(layer(Tar::new().dir("etc/").file(file, tag.as_bytes())))
            .build()
            .push(&client, "e2e/pin", Some(tag));
    }
}

/// Pushes `e2e/tampered:v1` (two gzip layers) and then flips bytes in the
/// middle of its second layer's stored blob, keeping its size, so the
/// registry serves content that no longer matches the layer's digest.
/// Returns the altered layer's digest.
fn push_tampered(registry: &Registry) -> String {
    let image = ImageBuilder::oci()
        .layer(layer(
            Tar::new()
                .dir("good/")
                .file("good/kept.txt", b"this layer is intact\n"),
        ))
        .layer(layer(
            Tar::new()
                .dir("bad/")
                .file("bad/noise.bin", &noise(64 << 10)),
        ))
        .build();
    image.push(&registry.client(), "e2e/tampered", Some("v1"));
    let digest = image.layers[1].digest();
    alter_blob(registry, &digest);
    digest
}

/// Pushes `e2e/tampered-big:v1`, one 3 MiB gzip layer (large enough to be
/// scanned over two workers), altered as [`push_tampered`] alters its.
fn push_tampered_big(registry: &Registry) -> String {
    let image = ImageBuilder::oci()
        .layer(layer(
            Tar::new()
                .dir("bad/")
                .file("bad/big-noise.bin", &noise(3 << 20)),
        ))
        .build();
    image.push(&registry.client(), "e2e/tampered-big", Some("v1"));
    let digest = image.layers[0].digest();
    alter_blob(registry, &digest);
    digest
}

/// Pushes `e2e/gone-big:v1`, one 2 MiB gzip layer whose blob is then
/// removed from the registry's storage: fetching it fails. Returns its digest.
fn push_gone_big(registry: &Registry) -> String {
    let image = ImageBuilder::oci()
        .layer(layer(
            Tar::new()
                .dir("gone/")
                .file("gone/noise.bin", &noise(2 << 20)),
        ))
        .build();
    image.push(&registry.client(), "e2e/gone-big", Some("v1"));
    let digest = image.layers[0].digest();
    std::fs::remove_file(registry.blob_data_path(&digest)).expect("remove the stored blob");
    digest
}

/// Flips 16 bytes in the middle of a stored blob, keeping its size, so the
/// registry serves content that no longer matches the digest.
fn alter_blob(registry: &Registry, digest: &str) {
    let path = registry.blob_data_path(digest);
    let mut bytes = std::fs::read(&path).expect("read the stored blob");
    let len = bytes.len();
    for b in &mut bytes[len / 2..len / 2 + 16] {
        *b ^= 0xFF;
    }
    std::fs::write(&path, &bytes).expect("alter the stored blob");
}

/// The 2×2 PNG inside `e2e/files:v1` (red, green, blue, transparent).
fn dot_png() -> Vec<u8> {
    png::png(
        2,
        2,
        &[
            [255, 0, 0, 255],
            [0, 255, 0, 255],
            [0, 0, 255, 255],
            [0, 0, 0, 0],
        ],
    )
}

/// Pushes `e2e/files:v1` for the file viewer: a PNG, an SVG carrying
/// script, a non-UTF-8 binary, a file whose content is HTML with script,
/// symbolic links (relative, through `..`, dangling) and a hard link.
fn push_files(registry: &Registry) {
    use tar::{Flavour, Member, TarBuilder};
    let binary: Vec<u8> = (0..1024u32).map(|i| (i * 37 % 256) as u8).collect();
    let mut tar = TarBuilder::new(Flavour::Pax);
    for m in [
        Member::dir(b"etc/"),
        Member::file(b"etc/greeting", b"hello from a hard link\n"),
        Member::hardlink(b"etc/greeting.hard", b"etc/greeting"),
        Member::symlink(b"etc/link", b"greeting"),
        Member::symlink(b"etc/dangling", b"nowhere"),
        Member::file(
            b"etc/evil.html",
            b"<img src=x onerror=window.__xss=1><script>window.__xss=2</script>\n",
        ),
        Member::dir(b"img/"),
        Member::file(b"img/dot.png", &dot_png()),
        Member::file(
            b"img/evil.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"8\" height=\"8\" onload=\"window.__xss=7\"><script>window.__xss=8</script><rect width=\"8\" height=\"8\" fill=\"red\"/></svg>\n",
        ),
        Member::dir(b"bin/"),
        Member::file(b"bin/blob.dat", &binary),
        Member::dir(b"usr/"),
        Member::dir(b"usr/lib/"),
        Member::symlink(b"usr/lib/up", b"../../etc/greeting"),
    ] {
        tar.member(&m);
    }
    ImageBuilder::oci()
        .layer(Layer::gzip_tar(ManifestFormat::Oci, &tar.finish()))
        .build()
        .push(&registry.client(), "e2e/files", Some("v1"));
}

/// Tags of `e2e/tags`: more than the tags page's first page (50) holds.
/// `e2e/chunked:v1`: a layer recompressed by skopeo as zstd:chunked (the
/// table of contents the page lists it from), with a file far into it.
/// A file no earlier run wrote keeps skopeo's blob-info cache from
/// substituting a gzip blob it pushed before (the annotation is asserted).
fn push_chunked(registry: &Registry) {
    ImageBuilder::oci()
        .layer(layer(
            Tar::new()
                .dir("opt/")
                .file("opt/noise.bin", &noise(2 << 20))
                .dir("etc/")
                .file("etc/chunked", b"read by Range from a zstd:chunked layer\n")
                .file("etc/run", &support::never_seen()),
        ))
        .build()
        .push(&registry.client(), "e2e/chunked-src", Some("v1"));
    let host = registry.host_port();
    support::skopeo(&[
        "copy",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        "--dest-compress-format",
        "zstd:chunked",
        &format!("docker://{host}/e2e/chunked-src:v1"),
        &format!("docker://{host}/e2e/chunked:v1"),
    ]);
    let manifest = registry.client().get(
        "/v2/e2e/chunked/manifests/v1",
        &[("Accept", "application/vnd.oci.image.manifest.v1+json")],
    );
    assert!(
        manifest.text().contains("zstd-chunked.manifest-position"),
        "skopeo wrote zstd:chunked: {}",
        manifest.text()
    );
}

/// e2e/hello:v1 as skopeo writes it to an OCI archive and a docker save
/// archive in `dir` (the files the page opens with "Open a file…"), and
/// the multi-platform e2e/multi:v1 as an OCI layout folder.
fn write_archives(registry: &Registry, dir: &std::path::Path) -> [String; 3] {
    let from = format!("docker://{}/e2e/hello:v1", registry.host_port());
    let oci = dir.join("hello-oci.tar");
    let docker = dir.join("hello-docker.tar");
    for to in [
        format!("oci-archive:{}:v1", oci.display()),
        format!("docker-archive:{}:e2e/hello:v1", docker.display()),
    ] {
        support::skopeo(&["copy", "--src-tls-verify=false", &from, &to]);
    }
    let layout = dir.join("multi-layout");
    let multi = format!("docker://{}/e2e/multi:v1", registry.host_port());
    let to = format!("oci:{}:v1", layout.display());
    support::skopeo(&["copy", "--all", "--src-tls-verify=false", &multi, &to]);
    [oci, docker, layout].map(|p| p.display().to_string())
}

/// `e2e/seek:v1`: a gzip layer of 12 MiB of noise with a small file after
/// it, so the page's scan records seek checkpoints and the small file opens
/// from the last one.
fn push_seek(registry: &Registry) {
    ImageBuilder::oci()
        .layer(layer(
            Tar::new()
                .dir("opt/")
                .file("opt/noise.bin", &noise(12 << 20))
                .file("opt/last.txt", b"the last file, read from a checkpoint\n"),
        ))
        .build()
        .push(&registry.client(), "e2e/seek", Some("v1"));
}

const TAG_COUNT: usize = 55;

/// `e2e/tags`: one small image under [`TAG_COUNT`] tags `t00`…, for the
/// tags page (tests/e2e/search.test.mjs).
fn push_tagged(registry: &Registry) {
    let image = ImageBuilder::oci()
        .layer(layer(Tar::new().file("etc/tagged", b"tagged\n")))
        .build();
    let client = registry.client();
    for i in 0..TAG_COUNT {
        image.push(&client, "e2e/tags", Some(&format!("t{i:02}")));
    }
}

/// `layerlens serve` of this build allowing `registries`, with `extra`
/// arguments.
fn serve_with(registries: &[String], extra: &[&str]) -> (Guard, String) {
    e2e::serve(env!("CARGO_BIN_EXE_layerlens"), registries, extra)
}

#[test]
fn the_page_in_headless_chromium() {
    require_browser_tools();
    let root = root();
    let registry = Registry::start(Flavor::Open);
    push_images(&registry);
    push_files(&registry);
    push_pin(&registry);
    let tampered = push_tampered(&registry);
    let tampered_big = push_tampered_big(&registry);
    let gone_big = push_gone_big(&registry);
    let basic = Registry::start(Flavor::basic(USER, PASSWORD));
    hello().push(&basic.client(), "e2e/private", Some("v1"));
    let token = Registry::start(Flavor::token(USER, PASSWORD));
    hello().push(&token.client(), "e2e/private", Some("v1"));
    push_tagged(&registry);
    push_chunked(&registry);
    push_seek(&registry);
    // Signatures, SBOMs and provenance in every place distribution 2.8 keeps them.
    let signed = support::supply::push_attached(&registry, "e2e/signed");
    // Distribution 2.8 ignores `n`: this front pages tag lists as
    // distribution 3 does, for the tags page's "More tags".
    let pager = support::registry::TagPager::start(&registry.base_url());
    // Docker Hub is unreachable here: its search is answered by a small
    // local stand-in (tests/support/hub.rs) that the proxy's search route uses.
    let hub = hub::Hub::start();
    let faults = super::faults::Faults::start();
    let [once, twice] = faults.hosts();
    let (_server, url) = serve_with(
        &[
            registry.host_port(),
            basic.host_port(),
            token.host_port(),
            pager.host_port(),
            once,
            twice,
        ],
        &["--docker-hub-search", &hub.url()],
    );
    // The demo needs no registry: a second server that knows none.
    let (_bare, bare_url) = serve_with(&[], &[]);
    let archives = tempfile::tempdir().expect("a temp dir");
    let [oci_archive, docker_archive, oci_layout] = write_archives(&registry, archives.path());
    let shots = root.join("target/screenshots");
    let update_readme = std::env::var_os("LAYERLENS_UPDATE_SCREENSHOT").is_some();
    if update_readme {
        std::fs::create_dir_all(root.join("docs")).expect("docs/");
    }
    std::fs::create_dir_all(&shots).expect("screenshots dir");

    // LAYERLENS_E2E=tests/e2e/layout.test.mjs runs only those files
    // (space-separated), for work on one view.
    let files = std::env::var("LAYERLENS_E2E").unwrap_or_else(|_| "tests/e2e/".to_owned());
    let mut node = Command::new("node");
    node.args(["--test", "--test-concurrency=1"])
        .args(files.split_whitespace())
        .env("SERVER", &url)
        .env("REGISTRY", registry.host_port())
        .env("BASIC_REGISTRY", basic.host_port())
        .env("TOKEN_REGISTRY", token.host_port())
        .env("REGISTRY_USER", USER)
        .env("REGISTRY_PASSWORD", PASSWORD)
        .env("SCREENSHOTS", &shots)
        .env("BARE_SERVER", &bare_url)
        .env("TAMPERED_LAYER", &tampered)
        .env("TAMPERED_BIG_LAYER", &tampered_big)
        .env("GONE_BIG_LAYER", &gone_big)
        .env("BIG_SHA256", sha256_hex(&noise(BIG_LAYER)))
        .env("TAG_REGISTRY", pager.host_port())
        .env("OCI_ARCHIVE", &oci_archive)
        .env("DOCKER_ARCHIVE", &docker_archive)
        .env("OCI_LAYOUT", &oci_layout)
        .env("SIGNED_INDEX", &signed.index_digest)
        .env("SIGNED_ARM64", &signed.arm64.manifest_digest)
        .env("SIGNED_STRANGER", &signed.stranger_digest)
        // The README's screenshots are refreshed only on request
        // (LAYERLENS_UPDATE_SCREENSHOT=1), so test runs leave the tree clean.
        .env(
            "README_SHOTS",
            if update_readme {
                root.join("docs")
            } else {
                shots.clone()
            },
        );
    faults.env(&mut node);
    run_node(node, NODE_TIMEOUT);
    faults.check();
}
