//! OCI image layouts and independent tools: the demo written to disk is read
//! by umoci and skopeo; skopeo pulls the served demo as a client; a layout
//! that skopeo made from the real registry harness is served with
//! `--layout` and fetched back byte for byte; broken layouts are refused at
//! startup with a message naming the directory. Everything on 127.0.0.1.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use layerlens::demo::DemoImage;
use layerlens::oci::Digest;
use layerlens_testkit::proxy::{assert_same_origin_only, Proxy};
use layerlens_testkit::registry::tiny_tar::Tar;
use layerlens_testkit::registry::{
    Flavor, ImageBuilder, IndexBuilder, Layer, ManifestFormat, Registry,
};
use layerlens_testkit::skopeo;

fn write_layout(demo: &DemoImage, dir: &Path) {
    for (path, bytes) in demo.layout_files() {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
}

fn blob_path(layout: &Path, digest: &Digest) -> PathBuf {
    layout
        .join("blobs")
        .join(digest.algorithm().name())
        .join(digest.hex())
}

#[test]
fn umoci_and_skopeo_read_the_demo_layout() {
    let demo = DemoImage::generate();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    write_layout(&demo, &dir);
    let dir_s = dir.to_str().unwrap();

    let out = Command::new("umoci")
        .args(["ls", "--layout", dir_s])
        .output()
        .expect("umoci (Debian package umoci)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut tags: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    tags.sort();
    assert_eq!(tags, ["latest", "v1"]);

    let raw = skopeo(&["inspect", "--raw", &format!("oci:{dir_s}:latest")]).stdout;
    assert_eq!(raw, demo.blob(demo.index().digest()).unwrap());

    for (i, (arch, variant)) in [("amd64", None), ("arm64", Some("v8"))]
        .into_iter()
        .enumerate()
    {
        let image = &demo.images()[i];
        let mut args = vec!["--override-os", "linux", "--override-arch", arch];
        if let Some(v) = variant {
            args.extend(["--override-variant", v]);
        }
        let reference = format!("oci:{dir_s}:v1");
        let mut inspect = args.clone();
        inspect.extend(["inspect", &reference]);
        let json: serde_json::Value = serde_json::from_slice(&skopeo(&inspect).stdout).unwrap();
        assert_eq!(json["Architecture"], arch);
        // The digest of what the tag names (the index); the layers of the platform's image.
        assert_eq!(json["Digest"], demo.index().digest().to_string());
        let layers: Vec<String> = image
            .layers
            .iter()
            .map(|l| l.digest().to_string())
            .collect();
        assert_eq!(json["Layers"], serde_json::json!(layers));
        assert_eq!(
            json["Labels"]["org.opencontainers.image.title"],
            "layerlens demo"
        );

        // Copied out as a `dir:` image: the manifest and every blob unchanged.
        let out = tmp.path().join(format!("out-{arch}"));
        let mut copy = args.clone();
        let (src, dst) = (
            format!("oci:{dir_s}:latest"),
            format!("dir:{}", out.display()),
        );
        copy.extend(["copy", "--quiet", &src, &dst]);
        skopeo(&copy);
        let manifest = std::fs::read(out.join("manifest.json")).unwrap();
        assert_eq!(manifest, demo.blob(image.manifest.digest()).unwrap());
        for d in image.layers.iter().chain([&image.config]) {
            let bytes = std::fs::read(out.join(d.digest().hex())).unwrap();
            assert_eq!(bytes, demo.blob(d.digest()).unwrap(), "{}", d.digest());
        }
    }
}

#[test]
fn skopeo_pulls_the_served_demo_as_a_registry_client() {
    let proxy = Proxy::start(&[]);
    let demo = DemoImage::generate();
    let base = format!("docker://{}/demo", proxy.addr());

    let tags: serde_json::Value = serde_json::from_slice(
        &skopeo(&["list-tags", "--tls-verify=false", "--no-creds", &base]).stdout,
    )
    .unwrap();
    assert_eq!(tags["Tags"], serde_json::json!(["latest", "v1"]));

    let raw = skopeo(&[
        "inspect",
        "--raw",
        "--tls-verify=false",
        "--no-creds",
        &format!("{base}:latest"),
    ])
    .stdout;
    assert_eq!(raw, demo.blob(demo.index().digest()).unwrap());

    // Every platform, every blob (gzip, zstd, tar layers), byte for byte.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("pulled");
    skopeo(&[
        "copy",
        "--quiet",
        "--all",
        "--preserve-digests",
        "--src-tls-verify=false",
        "--src-no-creds",
        &format!("{base}:v1"),
        &format!("oci:{}:v1", out.display()),
    ]);
    for (digest, bytes) in demo.blobs() {
        let copied = std::fs::read(blob_path(&out, digest))
            .unwrap_or_else(|e| panic!("{digest} not pulled: {e}"));
        assert_eq!(copied, bytes, "{digest}");
    }
}

/// Starts `layerlens serve` with `args` and expects it to exit with `code`
/// within a few seconds; returns stderr.
fn serve_fails(args: &[&str], code: i32) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_layerlens"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--dist",
            "/nonexistent/dist",
        ])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("serve {args:?} started instead of failing");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(status.code(), Some(code), "{args:?}: {stderr}");
    stderr
}

#[test]
fn bad_layout_flags_are_usage_errors() {
    for value in ["nodir", "Bad=/tmp", "a//b=/tmp", "a=", "=/tmp"] {
        let stderr = serve_fails(&["--layout", value], 2);
        assert!(stderr.contains("--layout"), "{value}: {stderr}");
    }
}

#[test]
fn broken_layouts_are_refused_at_startup_naming_the_directory() {
    let demo = DemoImage::generate();
    let tmp = tempfile::tempdir().unwrap();
    let fresh = |name: &str| {
        let dir = tmp.path().join(name);
        write_layout(&demo, &dir);
        dir
    };
    let index = demo.index().digest().clone();
    let amd64 = demo.images()[0].manifest.digest().clone();

    let no_layout = fresh("no-oci-layout");
    std::fs::remove_file(no_layout.join("oci-layout")).unwrap();
    let version = fresh("version");
    std::fs::write(
        version.join("oci-layout"),
        r#"{"imageLayoutVersion":"2.0.0"}"#,
    )
    .unwrap();
    let no_index = fresh("no-index");
    std::fs::remove_file(no_index.join("index.json")).unwrap();
    let bad_index = fresh("bad-index");
    std::fs::write(bad_index.join("index.json"), b"{\"manifests\": 3}").unwrap();
    let missing = fresh("missing-entry");
    std::fs::remove_file(blob_path(&missing, &index)).unwrap();
    let corrupt = fresh("corrupt");
    let path = blob_path(&corrupt, &amd64);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let bad_tag = fresh("bad-tag");
    let json = String::from_utf8(demo.layout_index().to_vec())
        .unwrap()
        .replace("\"v1\"", "\"not a tag!\"");
    std::fs::write(bad_tag.join("index.json"), json).unwrap();
    let not_dir = tmp.path().join("file");
    std::fs::write(&not_dir, b"x").unwrap();

    for (dir, expected) in [
        (&no_layout, "no oci-layout file"),
        (&version, "\"2.0.0\" is not supported"),
        (&no_index, "no index.json"),
        (&bad_index, "index.json"),
        (&missing, "not in blobs/"),
        (&corrupt, &amd64.to_string()),
        (&bad_tag, "\"not a tag!\" is not a valid tag"),
        (&not_dir, "not a directory"),
        (&tmp.path().join("absent"), "not a directory"),
    ] {
        let arg = format!("app={}", dir.display());
        let stderr = serve_fails(&["--layout", &arg], 1);
        assert!(
            stderr.contains(&format!("--layout {arg}")) && stderr.contains(expected),
            "{arg}: expected {expected:?} in {stderr}"
        );
    }
    let good = fresh("good").display().to_string();
    let stderr = serve_fails(
        &[
            "--layout",
            &format!("a={good}"),
            "--layout",
            &format!("a={good}"),
        ],
        1,
    );
    assert!(stderr.contains("given twice"), "{stderr}");
}

#[test]
fn a_layout_skopeo_made_from_the_registry_is_served_back_byte_for_byte() {
    let registry = Registry::start(Flavor::Open);
    let client = registry.client();
    let base = Tar::new()
        .dir("etc/")
        .file("etc/hello", b"hello\n")
        .finish();
    let top = Tar::new().file("etc/hello", b"goodbye\n").finish();
    let amd = ImageBuilder::oci()
        .layer(Layer::gzip_tar(ManifestFormat::Oci, &base))
        .layer(Layer::gzip_tar(ManifestFormat::Oci, &top))
        .platform("linux", "amd64", None)
        .build();
    let arm = ImageBuilder::oci()
        .layer(Layer::gzip_tar(ManifestFormat::Oci, &base))
        .platform("linux", "arm64", Some("v8"))
        .build();
    amd.push(&client, "team/app", Some("v1"));
    arm.push(&client, "team/app", None);
    let index = IndexBuilder::oci().image(&amd).image(&arm).build();
    index.push(&client, "team/app", Some("multi"));

    let tmp = tempfile::tempdir().unwrap();
    let layout = tmp.path().join("app");
    let src = format!("docker://{}/team/app", registry.host_port());
    let dst = |tag: &str| format!("oci:{}:{tag}", layout.display());
    let flags = [
        "copy",
        "--quiet",
        "--src-tls-verify=false",
        "--src-no-creds",
    ];
    skopeo(&[&flags[..], &[&format!("{src}:v1"), &dst("v1")]].concat());
    skopeo(
        &[
            &flags[..],
            &["--all", &format!("{src}:multi"), &dst("multi")],
        ]
        .concat(),
    );

    let arg = format!("team/app={}", layout.display());
    let proxy = Proxy::start(&["--layout", &arg]);
    let line = format!("layout {}/team/app:", proxy.addr());
    let out = proxy.stdout(&line);
    assert!(
        out.contains(&line) && out.contains(&layout.display().to_string()),
        "{out}"
    );
    // The demo is still there next to it.
    assert!(out.contains("demo image"), "{out}");

    let r = proxy.get("/v2/team/app/tags/list");
    assert_eq!(r.json()["tags"], serde_json::json!(["multi", "v1"]));
    for prefix in [String::new(), format!("/proxy/{}", proxy.addr())] {
        for (reference, body, digest, media_type) in [
            (
                "v1",
                &amd.manifest,
                &amd.manifest_digest,
                &amd.manifest_media_type,
            ),
            ("multi", &index.bytes, &index.digest, &index.media_type),
            (
                &*arm.manifest_digest,
                &arm.manifest,
                &arm.manifest_digest,
                &arm.manifest_media_type,
            ),
        ] {
            let r = proxy.get(&format!("{prefix}/v2/team/app/manifests/{reference}"));
            assert_eq!(r.status, 200, "{reference}: {}", r.text());
            assert_eq!(&r.body, body, "{reference}");
            assert_eq!(r.header("docker-content-digest"), Some(digest.as_str()));
            assert_eq!(r.header("content-type"), Some(media_type.as_str()));
            assert_same_origin_only(&r);
        }
        let blobs = amd
            .layers
            .iter()
            .map(|l| (l.digest(), l.bytes.clone()))
            .chain([(amd.config_digest.clone(), amd.config.clone())])
            .chain([(arm.config_digest.clone(), arm.config.clone())]);
        for (digest, bytes) in blobs {
            let r = proxy.get(&format!("{prefix}/v2/team/app/blobs/{digest}"));
            assert_eq!(r.status, 200, "{digest}");
            assert_eq!(r.body, bytes, "{digest}");
            let r = proxy.request(
                "GET",
                &format!("{prefix}/v2/team/app/blobs/{digest}"),
                &[("Range", "bytes=1-4")],
            );
            assert_eq!(r.status, 206);
            assert_eq!(r.body, &bytes[1..5]);
        }
    }

    // The same layout as `demo` replaces the built-in demo.
    let arg = format!("demo={}", layout.display());
    let proxy = Proxy::start(&["--layout", &arg]);
    let out = proxy.stdout("layout");
    assert!(!out.contains("demo image"), "{out}");
    let r = proxy.get("/v2/demo/manifests/v1");
    assert_eq!(r.body, amd.manifest);
    assert_eq!(proxy.get("/v2/demo/manifests/latest").status, 404);
}

#[test]
fn single_untagged_manifests_are_latest_and_full_ref_names_give_their_tag() {
    let demo = DemoImage::generate();
    let tmp = tempfile::tempdir().unwrap();
    let image = &demo.images()[1];
    let entry = serde_json::json!({
        "mediaType": image.manifest.media_type().as_str(),
        "digest": image.manifest.digest().to_string(),
        "size": image.manifest.size(),
    });
    let untagged = tmp.path().join("untagged");
    write_layout(&demo, &untagged);
    std::fs::write(
        untagged.join("index.json"),
        serde_json::to_vec(&serde_json::json!({"schemaVersion": 2, "manifests": [entry]})).unwrap(),
    )
    .unwrap();
    let mut named = entry.clone();
    named["annotations"] =
        serde_json::json!({"org.opencontainers.image.ref.name": "docker.io/library/demo:1.0"});
    let full = tmp.path().join("full");
    write_layout(&demo, &full);
    std::fs::write(
        full.join("index.json"),
        serde_json::to_vec(&serde_json::json!({"schemaVersion": 2, "manifests": [named]})).unwrap(),
    )
    .unwrap();

    let proxy = Proxy::start(&[
        "--layout",
        &format!("untagged={}", untagged.display()),
        "--layout",
        &format!("full={}", full.display()),
    ]);
    let manifest = demo.blob(image.manifest.digest()).unwrap();
    assert_eq!(
        proxy.get("/v2/untagged/tags/list").json()["tags"],
        serde_json::json!(["latest"])
    );
    assert_eq!(proxy.get("/v2/untagged/manifests/latest").body, manifest);
    assert_eq!(
        proxy.get("/v2/full/tags/list").json()["tags"],
        serde_json::json!(["1.0"])
    );
    assert_eq!(proxy.get("/v2/full/manifests/1.0").body, manifest);
    // Only what index.json reaches is a manifest here: the index blob is
    // still in blobs/ but no longer an entry point.
    let r = proxy.get(&format!("/v2/full/manifests/{}", demo.index().digest()));
    assert_eq!(r.status, 404);
    let r = proxy.get(&format!("/v2/full/blobs/{}", demo.index().digest()));
    assert_eq!(r.status, 200);
}

#[test]
fn blobs_that_resolve_outside_the_layout_are_not_served() {
    let demo = DemoImage::generate();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("layout");
    write_layout(&demo, &dir);
    // A layer blob replaced by a symlink to a file outside, with the same
    // bytes (so only the location is wrong).
    let layer = &demo.images()[0].layers[4];
    let outside = tmp.path().join("outside");
    std::fs::write(&outside, demo.blob(layer.digest()).unwrap()).unwrap();
    let path = blob_path(&dir, layer.digest());
    std::fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink(&outside, &path).unwrap();

    let proxy = Proxy::start(&["--layout", &format!("escape={}", dir.display())]);
    let log = proxy.log("not in blobs/");
    assert!(
        log.contains("warning: --layout escape=") && log.contains(&layer.digest().to_string()),
        "{log}"
    );
    let r = proxy.get(&format!("/v2/escape/blobs/{}", layer.digest()));
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["errors"][0]["code"], "BLOB_UNKNOWN");
    // Everything else is served.
    let other = &demo.images()[0].layers[0];
    let r = proxy.get(&format!("/v2/escape/blobs/{}", other.digest()));
    assert_eq!(r.body, demo.blob(other.digest()).unwrap());
}
