//! Images on disk, read in place: `oci:DIR`, `oci-archive:PATH` and
//! `docker-archive:PATH` made by skopeo from the real registry harness
//! (single- and multi-platform; gzip, zstd and uncompressed layers; a
//! `docker save | gzip`), and `docker save` layouts (legacy, Docker 25)
//! written here from their description. Each tree must equal the tree of
//! the same image read from the registry. Damaged archives:
//! [`super::archives_damaged`].

use std::path::Path;

use layerlens_testkit::registry::media_types as mt;
use layerlens_testkit::registry::{
    sha256_digest, BuiltImage, Flavor, ImageBuilder, Layer, ManifestFormat, Registry,
};
use layerlens_testkit::tar::{gzip, Flavour, Member, TarBuilder};
use layerlens_testkit::{never_seen, skopeo};

use crate::archives_damaged::find;
use crate::registry::{layered_image, layerlens, push_two_platforms, tar, Run};

pub(crate) fn tree(reference: &str, extra: &[&str]) -> Run {
    layerlens(
        &[&["tree", reference, "--format", "tsv"], extra].concat(),
        None,
    )
}

/// `skopeo copy` from the harness (plain HTTP) to `to`.
pub(crate) fn copy(extra: &[&str], from: &str, to: &str) {
    skopeo(&[&["copy", "--src-tls-verify=false"], extra, &[from, to]].concat());
}

pub(crate) fn same_tree(reference: &str, expected: &Run, extra: &[&str]) {
    let run = tree(reference, extra);
    assert_eq!(run.code, 0, "{reference}: {}", run.stderr);
    assert!(
        run.stdout == expected.stdout,
        "{reference}: another tree:\n{}\nwanted:\n{}",
        run.stdout,
        expected.stdout
    );
}

pub(crate) fn path_str(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temp path")
}

/// A registry holding [`layered_image`] as `REPO:v1`, and that image.
pub(crate) fn layered_registry(repo: &str) -> (Registry, BuiltImage) {
    let registry = Registry::start(Flavor::Open);
    let image = layered_image(ManifestFormat::Oci);
    image.push(&registry.client(), repo, Some("v1"));
    (registry, image)
}

/// The manifest of a local image as skopeo reads it (`oci:…`, `oci-archive:…`).
pub(crate) fn raw_manifest(reference: &str) -> serde_json::Value {
    serde_json::from_slice(&skopeo(&["inspect", "--raw", reference]).stdout).unwrap()
}

/// `blobs/sha256/HEX` of a descriptor's digest.
pub(crate) fn blob_path(digest: &serde_json::Value) -> String {
    let d = digest.as_str().unwrap();
    format!("blobs/sha256/{}", d.trim_start_matches("sha256:"))
}

/// The layout `dir` as an archive made by GNU tar (`./`-prefixed members).
pub(crate) fn gnu_tar(dir: &Path, archive: &Path) {
    let tarred = std::process::Command::new("tar")
        .args(["-C", path_str(dir), "-cf", path_str(archive), "."])
        .status()
        .expect("tar (Debian package tar)");
    assert!(tarred.success());
}

#[test]
fn each_transport_reads_what_the_registry_serves() {
    let (registry, image) = layered_registry("team/app");
    let source = format!("docker://{}/team/app:v1", registry.host_port());
    let expected = tree(&format!("{}/team/app:v1", registry.host_port()), &[]);
    assert_eq!(expected.code, 0, "{}", expected.stderr);

    // Docker archives hold no zstd: the same files as a Docker image.
    layered_image(ManifestFormat::Docker).push(&registry.client(), "team/docker", Some("v1"));
    let docker_source = format!("docker://{}/team/docker:v1", registry.host_port());
    let docker_expected = tree(&format!("{}/team/docker:v1", registry.host_port()), &[]);
    assert_eq!(docker_expected.stdout, expected.stdout, "the same files");

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("layout");
    let oci_tar = tmp.path().join("app-oci.tar");
    let docker_tar = tmp.path().join("app-docker.tar");
    copy(&[], &source, &format!("oci:{}:v1", path_str(&dir)));
    copy(
        &[],
        &source,
        &format!("oci-archive:{}:v1", path_str(&oci_tar)),
    );
    copy(
        &[],
        &docker_source,
        &format!("docker-archive:{}:team/app:v1", path_str(&docker_tar)),
    );
    // docker save | gzip
    let gz = tmp.path().join("app-docker.tar.gz");
    std::fs::write(&gz, gzip(&std::fs::read(&docker_tar).unwrap())).unwrap();

    for reference in [
        format!("oci:{}:v1", path_str(&dir)),
        format!("oci:{}", path_str(&dir)),
        format!("oci-archive:{}", path_str(&oci_tar)),
        format!("oci-archive:{}:v1", path_str(&oci_tar)),
        format!("docker-archive:{}", path_str(&docker_tar)),
        format!("docker-archive:{}:team/app:v1", path_str(&docker_tar)),
        format!("docker-archive:{}", path_str(&gz)),
    ] {
        same_tree(&reference, &expected, &[]);
    }

    // The same image config; a file read from the archive.
    let archive = format!("oci-archive:{}", path_str(&oci_tar));
    let run = layerlens(&["inspect", &archive, "--json"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    // (skopeo compresses the uncompressed layer it writes, so the manifest
    // is a new one; the config is the same.)
    assert_eq!(v["Id"], image.config_digest);
    let run = layerlens(&["cat", &archive, "/etc/motd"], None);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "welcome\n"),
        "{}",
        run.stderr
    );

    // A docker save archive's image keeps its name, as `docker load` tags it.
    let run = layerlens(
        &[
            "inspect",
            &format!("docker-archive:{}", path_str(&gz)),
            "--json",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["RepoTags"], serde_json::json!(["team/app:v1"]));

    // A name the archive does not hold says which it does.
    let run = tree(&format!("oci-archive:{}:nope", path_str(&oci_tar)), &[]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("no image named nope"), "{}", run.stderr);
    assert!(run.stderr.contains("v1"), "{}", run.stderr);
}

#[test]
fn a_multi_platform_layout_picks_the_platform_asked_for() {
    let registry = Registry::start(Flavor::Open);
    let remote = push_two_platforms(&registry);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("multi");
    let archive = tmp.path().join("multi.tar");
    let source = format!("docker://{remote}");
    copy(&["--all"], &source, &format!("oci:{}:v1", path_str(&dir)));
    copy(
        &["--all"],
        &source,
        &format!("oci-archive:{}", path_str(&archive)),
    );
    for platform in ["linux/arm64/v8", "linux/amd64"] {
        let expected = tree(&remote, &["--platform", platform]);
        assert_eq!(expected.code, 0, "{}", expected.stderr);
        assert!(expected.stdout.contains("/only-"), "{}", expected.stdout);
        for local in [
            format!("oci:{}:v1", path_str(&dir)),
            format!("oci-archive:{}", path_str(&archive)),
        ] {
            same_tree(&local, &expected, &["--platform", platform]);
        }
    }
    let listed = |r: &str| layerlens(&["platforms", r], None).stdout;
    assert_eq!(listed(&format!("oci:{}", path_str(&dir))), listed(&remote));
}

#[test]
fn zstd_and_zstd_chunked_layers_on_disk() {
    let registry = Registry::start(Flavor::Open);
    // A file no earlier run wrote: skopeo's blob-info cache cannot hand
    // back a blob it compressed before (see `never_seen`).
    let t = tar(&[
        Member::dir(b"etc/").mode(0o755),
        Member::file(b"etc/run", &never_seen()),
        Member::file(b"etc/hello", b"hello\n"),
    ]);
    ImageBuilder::oci()
        .layer(Layer::new(gzip(&t), mt::OCI_LAYER_GZIP, &sha256_digest(&t)))
        .build()
        .push(&registry.client(), "comp/app", Some("v1"));
    let remote = format!("{}/comp/app:v1", registry.host_port());
    let expected = tree(&remote, &[]);
    assert_eq!(expected.code, 0, "{}", expected.stderr);
    let tmp = tempfile::tempdir().unwrap();
    // (Uncompressed layers on disk: skopeo's docker-archive and the legacy
    // layout below; skopeo 1.9 compresses what it writes to an OCI layout.)
    for (name, flags, media_type) in [
        (
            "zstd",
            &["--dest-compress-format", "zstd"][..],
            "application/vnd.oci.image.layer.v1.tar+zstd",
        ),
        (
            "chunked",
            &["--dest-compress-format", "zstd:chunked"][..],
            "application/vnd.oci.image.layer.v1.tar+zstd",
        ),
    ] {
        let dir = tmp.path().join(name);
        let to = format!("oci:{}:v1", path_str(&dir));
        copy(flags, &format!("docker://{remote}"), &to);
        let m = raw_manifest(&to);
        assert_eq!(m["layers"][0]["mediaType"], media_type, "{name}");
        let annotations = m["layers"][0]["annotations"].to_string();
        assert_eq!(
            annotations.contains("zstd-chunked.manifest-position"),
            name == "chunked",
            "{annotations}"
        );
        same_tree(&to, &expected, &[]);
        // A file by Range from its table of contents, checked against it.
        let run = layerlens(&["cat", &to, "/etc/hello"], None);
        assert_eq!(
            (run.code, run.stdout.as_str()),
            (0, "hello\n"),
            "{}",
            run.stderr
        );
    }
}

/// A `docker save` archive in the layout Docker wrote before version 25:
/// `manifest.json`, `repositories`, the config as `HEX.json`, and each
/// layer uncompressed as `ID/layer.tar` (a repeated layer a symbolic link
/// to its first copy, as Docker writes it). `extra` members are added, and
/// `manifest` replaces manifest.json when given.
pub(crate) fn legacy_archive(
    image: &BuiltImage,
    manifest: Option<&str>,
    extra: &[Member],
) -> Vec<u8> {
    let mut members = Vec::new();
    let config_hex = image.config_digest.trim_start_matches("sha256:");
    let mut layer_paths = Vec::new();
    let mut first_of: Vec<(String, String)> = Vec::new();
    for (i, layer) in image.layers.iter().enumerate() {
        let id = format!("{:064x}", i + 1);
        let path = format!("{id}/layer.tar");
        members.push(Member::dir(format!("{id}/").as_bytes()).mode(0o755));
        match first_of.iter().find(|(d, _)| *d == layer.diff_id) {
            Some((_, first)) => members.push(Member::symlink(
                path.as_bytes(),
                format!("../{first}").as_bytes(),
            )),
            None => {
                members.push(Member::file(path.as_bytes(), &layer.bytes));
                first_of.push((layer.diff_id.clone(), path.clone()));
            }
        }
        members.push(Member::file(format!("{id}/VERSION").as_bytes(), b"1.0"));
        layer_paths.push(path);
    }
    members.push(Member::file(
        format!("{config_hex}.json").as_bytes(),
        &image.config,
    ));
    let made = serde_json::json!([{
        "Config": format!("{config_hex}.json"),
        "RepoTags": ["legacy/app:v1"],
        "Layers": layer_paths,
    }])
    .to_string();
    members.push(Member::file(
        b"manifest.json",
        manifest.unwrap_or(&made).as_bytes(),
    ));
    members.push(Member::file(
        b"repositories",
        b"{\"legacy/app\":{\"v1\":\"x\"}}",
    ));
    members.extend_from_slice(extra);
    let mut b = TarBuilder::new(Flavour::Gnu);
    for m in &members {
        b.member(m);
    }
    b.finish()
}

/// An image of uncompressed Docker layers (what a legacy `docker save`
/// holds): the second and fourth layers are the same bytes.
pub(crate) fn legacy_image() -> BuiltImage {
    let l0 = tar(&[
        Member::dir(b"etc/").mode(0o755),
        Member::file(b"etc/hello", b"hello\n"),
    ]);
    let same = tar(&[Member::file(b"etc/same", b"same\n")]);
    let l2 = tar(&[Member::file(b"etc/.wh.hello", b"")]);
    let layer = |t: &[u8]| Layer::new(t.to_vec(), mt::DOCKER_LAYER_TAR, &sha256_digest(t));
    ImageBuilder::new(ManifestFormat::Docker)
        .layer(layer(&l0))
        .layer(layer(&same))
        .layer(layer(&l2))
        .layer(layer(&same))
        .build()
}

#[test]
fn a_legacy_docker_save_is_read_and_verified_by_its_diff_ids() {
    let registry = Registry::start(Flavor::Open);
    let image = legacy_image();
    image.push(&registry.client(), "legacy/app", Some("v1"));
    let expected = tree(&format!("{}/legacy/app:v1", registry.host_port()), &[]);
    assert_eq!(expected.code, 0, "{}", expected.stderr);
    assert!(expected.stdout.contains("/etc/same\t"));
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("legacy.tar");
    std::fs::write(&path, legacy_archive(&image, None, &[])).unwrap();
    let reference = format!("docker-archive:{}", path_str(&path));
    let run = tree(&reference, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, expected.stdout);
    assert!(
        run.stderr.contains("known by their diff_ids only"),
        "{}",
        run.stderr
    );
    // By its tag too.
    same_tree(&format!("{reference}:legacy/app:v1"), &expected, &[]);
    let run = layerlens(&["inspect", &reference, "--json"], None);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["Id"], image.config_digest);

    // One flipped byte in a layer is a digest mismatch naming it; the
    // other layers are still listed.
    let mut bytes = legacy_archive(&image, None, &[]);
    let at = find(&bytes, b"hello\n").expect("layer 0's file in the archive");
    bytes[at] ^= 0x20;
    std::fs::write(&path, &bytes).unwrap();
    let run = tree(&reference, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("layer 0"), "{}", run.stderr);
    assert!(
        run.stderr.contains(&image.layers[0].diff_id),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("/etc/same\t"), "{}", run.stdout);
}

/// `docker save` of Docker 25 and later: an OCI image layout (its
/// `index.json` naming the image in `io.containerd.image.name`) with the
/// legacy `manifest.json` beside it, pointing into `blobs/`.
#[test]
fn a_docker_25_save_is_read_as_the_layout_it_holds() {
    let (registry, _) = layered_registry("new/app");
    let expected = tree(&format!("{}/new/app:v1", registry.host_port()), &[]);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("layout");
    let layout = format!("oci:{}:v1", path_str(&dir));
    copy(
        &[],
        &format!("docker://{}/new/app:v1", registry.host_port()),
        &layout,
    );
    // Name the image as Docker 25 does, and add its manifest.json.
    let index_path = dir.join("index.json");
    let mut index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&index_path).unwrap()).unwrap();
    index["manifests"][0]["annotations"] = serde_json::json!({
        "io.containerd.image.name": "docker.io/new/app:v1",
        "org.opencontainers.image.ref.name": "v1",
    });
    std::fs::write(&index_path, index.to_string()).unwrap();
    let manifest = raw_manifest(&layout);
    let layers: Vec<String> = manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| blob_path(&l["digest"]))
        .collect();
    let docker = serde_json::json!([{
        "Config": blob_path(&manifest["config"]["digest"]),
        "RepoTags": ["new/app:v1"],
        "Layers": layers,
    }]);
    std::fs::write(dir.join("manifest.json"), docker.to_string()).unwrap();
    let archive = tmp.path().join("saved.tar");
    gnu_tar(&dir, &archive);
    let reference = format!("docker-archive:{}", path_str(&archive));
    let run = tree(&reference, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, expected.stdout);
    assert!(!run.stderr.contains("legacy"), "{}", run.stderr);
    let run = layerlens(&["inspect", &reference, "--json"], None);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["RepoTags"], serde_json::json!(["new/app:v1"]));
    same_tree(&format!("{reference}:new/app:v1"), &expected, &[]);
}
