//! The `layerlens` command line end to end against the real CNCF distribution
//! registry (tests/support/registry): images pushed through the upload API,
//! then `inspect`, `tree`, `platforms` and `tags` run as a user would, over
//! HTTP on 127.0.0.1 only.

use std::io::Write;
use std::process::{Command, Stdio};

use layerlens_testkit::registry::media_types as mt;
use layerlens_testkit::registry::{
    sha256_digest, BuiltImage, Flavor, ImageBuilder, IndexBuilder, Layer, ManifestFormat, Registry,
    TagPager,
};
use layerlens_testkit::tar::{gzip, sha256_hex, zstd, Flavour, Member, TarBuilder};

const USER: &str = "alice";
const PASSWORD: &str = "s3cret-Pa55";
const T: i64 = 1_700_000_000;

pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

pub(crate) fn layerlens(args: &[&str], stdin: Option<&str>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_layerlens"));
    cmd.args(args)
        .env("DOCKER_CONFIG", "/nonexistent-layerlens-test")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn layerlens");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub(crate) fn tar(members: &[Member]) -> Vec<u8> {
    let mut b = TarBuilder::new(Flavour::Pax);
    for m in members {
        b.member(m);
    }
    b.finish()
}

fn oci_layer(tar: &[u8], media_type: &str) -> Layer {
    let bytes = match media_type {
        mt::OCI_LAYER_GZIP => gzip(tar),
        mt::OCI_LAYER_ZSTD => zstd(tar),
        _ => tar.to_vec(),
    };
    Layer::new(bytes, media_type, &sha256_digest(tar))
}

fn file(name: &str, data: &[u8]) -> Member {
    Member::file(name.as_bytes(), data).mtime(T)
}

fn dir(name: &str) -> Member {
    Member::dir(name.as_bytes()).mode(0o755).mtime(T)
}

/// Three layers in three compressions: files, a symlink and a hard link; a
/// whiteout, an opaque directory and additions; a rewrite and a device.
pub(crate) fn layered_image(format: ManifestFormat) -> BuiltImage {
    let (gz, zst, plain) = match format {
        ManifestFormat::Oci => (mt::OCI_LAYER_GZIP, mt::OCI_LAYER_ZSTD, mt::OCI_LAYER_TAR),
        ManifestFormat::Docker => (
            mt::DOCKER_LAYER_GZIP,
            mt::DOCKER_LAYER_GZIP,
            mt::DOCKER_LAYER_TAR,
        ),
    };
    let l0 = tar(&[
        dir("etc/"),
        file("etc/hello", b"hello\n"),
        Member::symlink(b"etc/link", b"hello").mtime(T),
        Member::hardlink(b"etc/hello2", b"etc/hello").mtime(T),
        dir("usr/"),
        dir("usr/bin/"),
        file("usr/bin/tool", b"#!/bin/sh\n").mode(0o755),
        dir("opt/"),
        dir("opt/data/"),
        file("opt/data/a", b"a"),
        file("opt/data/b", b"bb"),
    ]);
    let l1 = tar(&[
        file("etc/.wh.hello", b""),
        file("opt/data/.wh..wh..opq", b""),
        file("opt/data/c", b"ccc"),
        file("etc/motd", b"welcome\n").owner(1000, 1000, b"app", b"app"),
    ]);
    let l2 = tar(&[
        file("usr/bin/tool", b"#!/bin/sh\necho v2\n").mode(0o4755),
        Member::device(b'3', b"dev/null", 1, 3).mode(0o666).mtime(T),
    ]);
    let layer = |t: &[u8], m: &str| {
        if format == ManifestFormat::Oci {
            oci_layer(t, m)
        } else if m == mt::DOCKER_LAYER_TAR {
            Layer::new(t.to_vec(), m, &sha256_digest(t))
        } else {
            Layer::new(gzip(t), m, &sha256_digest(t))
        }
    };
    ImageBuilder::new(format)
        .layer(layer(&l0, gz))
        .layer(layer(&l1, zst))
        .layer(layer(&l2, plain))
        .env("PATH=/usr/bin:/bin")
        .cmd(&["/usr/bin/tool"])
        .label("org.opencontainers.image.title", "layered")
        .created("2024-05-01T12:00:00Z")
        .history("ADD base /", false)
        .history("ENV PATH=/usr/bin:/bin", true)
        .history("RUN rm /etc/hello && add data", false)
        .history("COPY tool /usr/bin/tool", false)
        .build()
}

/// The merged tree of [`layered_image`], written out by hand from the rules.
fn layered_listing() -> String {
    let hello = sha256_hex(b"hello\n");
    let motd = sha256_hex(b"welcome\n");
    let c = sha256_hex(b"ccc");
    let tool = sha256_hex(b"#!/bin/sh\necho v2\n");
    [
        "#path\ttype\tmode\tuid\tgid\tsize\tsha256\ttarget\tmtime".to_string(),
        "/\td\t0755\t0\t0\t-\t-\t-\t-".into(),
        "/dev\td\t0755\t0\t0\t-\t-\t-\t-".into(),
        format!("/dev/null\tc\t0666\t0\t0\t-\t-\t1,3\t{T}"),
        "/etc\td\t0755\t0\t0\t-\t-\t-\t-".into(),
        format!("/etc/hello2\tf\t0644\t0\t0\t6\t{hello}\t-\t{T}"),
        format!("/etc/link\tl\t0777\t0\t0\t-\t-\thello\t{T}"),
        format!("/etc/motd\tf\t0644\t1000\t1000\t8\t{motd}\t-\t{T}"),
        "/opt\td\t0755\t0\t0\t-\t-\t-\t-".into(),
        "/opt/data\td\t0755\t0\t0\t-\t-\t-\t-".into(),
        format!("/opt/data/c\tf\t0644\t0\t0\t3\t{c}\t-\t{T}"),
        "/usr\td\t0755\t0\t0\t-\t-\t-\t-".into(),
        "/usr/bin\td\t0755\t0\t0\t-\t-\t-\t-".into(),
        format!("/usr/bin/tool\tf\t4755\t0\t0\t18\t{tool}\t-\t{T}"),
    ]
    .join("\n")
        + "\n"
}

#[test]
fn tree_inspect_and_layer_view_of_an_oci_image() {
    let registry = Registry::start(Flavor::Open);
    let image = layered_image(ManifestFormat::Oci);
    image.push(&registry.client(), "team/app", Some("v1"));
    let reference = format!("{}/team/app:v1", registry.host_port());

    let run = layerlens(&["tree", &reference, "--format", "tsv"], None);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert_eq!(run.stdout, layered_listing());

    let run = layerlens(&["inspect", &reference, "--json"], None);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["Id"], image.config_digest);
    assert_eq!(v["Digest"], image.manifest_digest);
    assert_eq!(
        v["RepoTags"][0],
        format!("{}/team/app:v1", registry.host_port())
    );
    assert_eq!(
        v["RepoDigests"][0],
        format!(
            "{}/team/app@{}",
            registry.host_port(),
            image.manifest_digest
        )
    );
    assert_eq!(v["Architecture"], "amd64");
    assert_eq!(v["Os"], "linux");
    assert_eq!(v["Created"], "2024-05-01T12:00:00Z");
    assert_eq!(v["Config"]["Env"][0], "PATH=/usr/bin:/bin");
    assert_eq!(
        v["Config"]["Labels"]["org.opencontainers.image.title"],
        "layered"
    );
    let diff_ids: Vec<String> = image.layers.iter().map(|l| l.diff_id.clone()).collect();
    assert_eq!(v["RootFS"]["Layers"], serde_json::json!(diff_ids));
    assert_eq!(v["Verification"]["AllVerified"], true);
    let layers = v["Layers"].as_array().unwrap();
    assert_eq!(layers.len(), 3);
    for (i, l) in layers.iter().enumerate() {
        assert_eq!(l["Digest"], image.layers[i].digest());
        assert_eq!(l["Size"], image.layers[i].bytes.len() as u64);
        assert_eq!(l["Verified"], true);
    }
    assert_eq!(layers[1]["MediaType"], mt::OCI_LAYER_ZSTD);
    assert_eq!(layers[2]["CreatedBy"], "COPY tool /usr/bin/tool");
    assert_eq!(layers[1]["CreatedBy"], "RUN rm /etc/hello && add data");

    // Layer 1's own entries: the markers as the files they are.
    let run = layerlens(&["tree", &reference, "--layer", "1"], None);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let paths: Vec<&str> = run
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    for p in [
        "/etc/.wh.hello",
        "/opt/data/.wh..wh..opq",
        "/opt/data/c",
        "/etc/motd",
    ] {
        assert!(paths.contains(&p), "{p} missing from {paths:?}");
    }
    assert!(!paths.contains(&"/usr/bin/tool"));

    let run = layerlens(&["tree", &reference, "--layer", "7"], None);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("the image has 3 layers"),
        "{}",
        run.stderr
    );

    let run = layerlens(&["inspect", &reference], None);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert!(run.stdout.contains(&image.config_digest));
    assert!(run.stdout.contains("yes: manifest, config and every layer"));
}

#[test]
fn docker_schema2_and_a_manifest_without_media_type() {
    let registry = Registry::start(Flavor::Open);
    let docker = layered_image(ManifestFormat::Docker);
    docker.push(&registry.client(), "legacy/app", Some("latest"));
    let run = layerlens(
        &["tree", &format!("{}/legacy/app", registry.host_port())],
        None,
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert_eq!(run.stdout, layered_listing());

    let tar0 = tar(&[file("hello.txt", b"hi\n")]);
    let bare = ImageBuilder::oci()
        .layer(oci_layer(&tar0, mt::OCI_LAYER_GZIP))
        .omit_manifest_media_type()
        .build();
    bare.push(&registry.client(), "bare/app", Some("v1"));
    let run = layerlens(
        &["tree", &format!("{}/bare/app:v1", registry.host_port())],
        None,
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert!(run.stdout.contains(&format!(
        "/hello.txt\tf\t0644\t0\t0\t3\t{}",
        sha256_hex(b"hi\n")
    )));
}

pub(crate) fn arch_image(os: &str, arch: &str, variant: Option<&str>) -> BuiltImage {
    let label = format!(
        "{arch}{}",
        variant.map(|v| format!("-{v}")).unwrap_or_default()
    );
    let t = tar(&[
        dir("etc/"),
        file("etc/arch", label.as_bytes()),
        file(&format!("only-{label}"), b"x"),
    ]);
    ImageBuilder::oci()
        .platform(os, arch, variant)
        .layer(oci_layer(&t, mt::OCI_LAYER_GZIP))
        .build()
}

/// `multi/app:v1` on `registry`: an index of linux/amd64 and
/// linux/arm64/v8 ([`arch_image`]s); its reference.
pub(crate) fn push_two_platforms(registry: &Registry) -> String {
    let client = registry.client();
    let arm64 = arch_image("linux", "arm64", Some("v8"));
    let amd64 = arch_image("linux", "amd64", None);
    for i in [&arm64, &amd64] {
        i.push(&client, "multi/app", None);
    }
    IndexBuilder::oci()
        .image(&amd64)
        .image(&arm64)
        .build()
        .push(&client, "multi/app", Some("v1"));
    format!("{}/multi/app:v1", registry.host_port())
}

#[test]
fn multi_platform_index_with_an_attestation() {
    let registry = Registry::start(Flavor::Open);
    let client = registry.client();
    let arm64 = arch_image("linux", "arm64", Some("v8"));
    let amd64 = arch_image("linux", "amd64", None);
    let armv7 = arch_image("linux", "arm", Some("v7"));
    for i in [&arm64, &amd64, &armv7] {
        i.push(&client, "multi/app", None);
    }
    let att =
        ImageBuilder::attestation(br#"{"_type":"https://in-toto.io/Statement/v0.1"}"#).build();
    att.push(&client, "multi/app", None);
    let index = IndexBuilder::oci()
        .image(&arm64)
        .image(&amd64)
        .image(&armv7)
        .attestation(&att, &amd64.manifest_digest)
        .build();
    index.push(&client, "multi/app", Some("latest"));
    let reference = format!("{}/multi/app", registry.host_port());

    let run = layerlens(&["platforms", &reference], None);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", run.stdout);
    assert!(lines[0].starts_with(&format!("linux/arm64/v8\t{}", arm64.manifest_digest)));
    assert!(lines[1].starts_with(&format!("linux/amd64\t{}", amd64.manifest_digest)));
    assert!(
        lines[1].ends_with("(default)"),
        "amd64 is the default: {}",
        lines[1]
    );
    assert!(lines[2].starts_with(&format!("linux/arm/v7\t{}", armv7.manifest_digest)));
    assert!(lines[3].starts_with(&format!("#attestation-manifest\t{}", att.manifest_digest)));

    // The default pick is amd64 although arm64 comes first.
    let run = layerlens(&["tree", &reference], None);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert!(run.stdout.contains("/only-amd64\t"), "{}", run.stdout);

    let run = layerlens(&["tree", &reference, "--platform", "linux/arm/v7"], None);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert!(run.stdout.contains("/only-arm-v7\t"), "{}", run.stdout);
    assert!(!run.stdout.contains("/only-amd64"));

    // `linux/arm64` normalises to arm64/v8, as containerd does.
    let run = layerlens(
        &["inspect", &reference, "--platform", "linux/arm64", "--json"],
        None,
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["Digest"], index.digest);
    assert_eq!(v["Platform"], "linux/arm64/v8");
    assert_eq!(v["Platforms"].as_array().unwrap().len(), 3);
    assert_eq!(v["OtherIndexEntries"][0]["Digest"], att.manifest_digest);

    let run = layerlens(&["tree", &reference, "--platform", "windows/amd64"], None);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("linux/amd64"),
        "lists what is available: {}",
        run.stderr
    );

    // A Docker manifest list of schema2 manifests.
    let d1 = layered_image(ManifestFormat::Docker);
    d1.push(&client, "list/app", None);
    let list = IndexBuilder::docker().image(&d1).build();
    list.push(&client, "list/app", Some("latest"));
    let run = layerlens(
        &["tree", &format!("{}/list/app", registry.host_port())],
        None,
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert_eq!(run.stdout, layered_listing());
}

#[test]
fn a_tampered_or_truncated_layer_is_reported_and_the_rest_still_listed() {
    let registry = Registry::start(Flavor::Open);
    let image = layered_image(ManifestFormat::Oci);
    image.push(&registry.client(), "bad/app", Some("v1"));
    let reference = format!("{}/bad/app:v1", registry.host_port());

    // Alter layer 2 (uncompressed) in storage, keeping its size.
    let victim = &image.layers[2];
    let path = registry.blob_data_path(&victim.digest());
    let mut bytes = std::fs::read(&path).unwrap();
    let n = bytes.len();
    bytes[n / 3] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let run = layerlens(&["tree", &reference], None);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains(&victim.digest()), "{}", run.stderr);
    assert!(run.stderr.contains("layer 2"), "{}", run.stderr);
    assert!(run.stderr.contains("digest mismatch"), "{}", run.stderr);
    // The other layers are still there; layer 2's rewrite is not.
    assert!(run.stdout.contains("/etc/motd\t"), "{}", run.stdout);
    assert!(run.stdout.contains(&format!(
        "/usr/bin/tool\tf\t0755\t0\t0\t10\t{}",
        sha256_hex(b"#!/bin/sh\n")
    )));
    assert!(!run.stdout.contains("/dev/null"));

    let run = layerlens(&["inspect", &reference, "--json"], None);
    assert_eq!(run.code, 1);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["Verification"]["AllVerified"], false);
    assert_eq!(v["Layers"][0]["Verified"], true);
    assert_eq!(v["Layers"][2]["Verified"], false);

    // Truncate layer 0 (gzip).
    let victim = &image.layers[0];
    let path = registry.blob_data_path(&victim.digest());
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let run = layerlens(&["tree", &reference], None);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains(&format!("layer 0 ({})", victim.digest())),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("/etc/motd\t"),
        "layer 1 still listed: {}",
        run.stdout
    );
}

#[test]
fn unknown_tags_and_repositories_say_so() {
    let registry = Registry::start(Flavor::Open);
    let image = layered_image(ManifestFormat::Oci);
    image.push(&registry.client(), "known/app", Some("v1"));
    let run = layerlens(
        &[
            "inspect",
            &format!("{}/known/app:nope", registry.host_port()),
        ],
        None,
    );
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("known/app:nope"), "{}", run.stderr);
    assert!(run.stderr.contains("not found"), "{}", run.stderr);
    let run = layerlens(
        &["tree", &format!("{}/unknown/repo:v1", registry.host_port())],
        None,
    );
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("not found"), "{}", run.stderr);
    let run = layerlens(&["tree", "Invalid/UPPER"], None);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("must be lowercase"), "{}", run.stderr);
}

#[test]
fn basic_auth_needs_the_right_credentials() {
    let registry = Registry::start(Flavor::basic(USER, PASSWORD));
    layered_image(ManifestFormat::Oci).push(&registry.client(), "private/app", Some("v1"));
    let reference = format!("{}/private/app:v1", registry.host_port());

    let run = layerlens(&["tree", &reference], None);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("requires credentials"),
        "{}",
        run.stderr
    );

    let run = layerlens(
        &["tree", &reference, "-u", USER, "--password-stdin"],
        Some("wrong\n"),
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("refused the credentials"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("wrong"),
        "never echo a password: {}",
        run.stderr
    );

    let run = layerlens(
        &["tree", &reference, "-u", USER, "--password-stdin"],
        Some(&format!("{PASSWORD}\n")),
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert_eq!(run.stdout, layered_listing());
    assert!(!run.stdout.contains(PASSWORD) && !run.stderr.contains(PASSWORD));

    // The `auths` of a Docker config.json.
    let dir = tempfile::tempdir().unwrap();
    let auth = base64_encode(format!("{USER}:{PASSWORD}").as_bytes());
    std::fs::write(
        dir.path().join("config.json"),
        format!(
            r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#,
            registry.host_port()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_layerlens"))
        .args(["tree", &reference])
        .env("DOCKER_CONFIG", dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), layered_listing());
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn token_auth_anonymous_and_with_credentials() {
    let registry = Registry::start(Flavor::token(USER, PASSWORD));
    let image = layered_image(ManifestFormat::Oci);
    image.push(&registry.client(), "public/app", Some("v1"));
    image.push(&registry.client(), "private/app", Some("v1"));

    // Anonymous pull tokens work for public/*.
    let run = layerlens(
        &["tree", &format!("{}/public/app:v1", registry.host_port())],
        None,
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert_eq!(run.stdout, layered_listing());
    let ts = registry.token_server().unwrap();
    assert!(ts.requests().iter().any(|r| !r.had_authorization));

    let private = format!("{}/private/app:v1", registry.host_port());
    let run = layerlens(&["tree", &private], None);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("requires credentials"),
        "{}",
        run.stderr
    );

    let run = layerlens(
        &["tree", &private, "-u", USER, "--password-stdin"],
        Some("nope"),
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("refused the credentials"),
        "{}",
        run.stderr
    );

    ts.clear_requests();
    let run = layerlens(
        &["tree", &private, "-u", USER, "--password-stdin"],
        Some(PASSWORD),
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert_eq!(run.stdout, layered_listing());
    // One token for the scope, reused for the manifest, config and layers.
    let granted: Vec<_> = ts
        .requests()
        .into_iter()
        .filter(|r| r.status == 200)
        .collect();
    assert_eq!(granted.len(), 1, "{granted:?}");
    assert_eq!(granted[0].authenticated_as.as_deref(), Some(USER));
}

#[test]
fn tags_follow_link_pagination() {
    let registry = Registry::start(Flavor::Open);
    let client = registry.client();
    let image = layered_image(ManifestFormat::Oci);
    let mut want: Vec<String> = (0..7).map(|i| format!("v{i}")).collect();
    for t in &want {
        image.push(&client, "many/tags", Some(t));
    }
    let pager = TagPager::start(&registry.base_url());
    let run = layerlens(
        &[
            "tags",
            &format!("{}/many/tags", pager.host_port()),
            "--page-size",
            "2",
        ],
        None,
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let mut got: Vec<String> = run.stdout.lines().map(str::to_owned).collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
}
