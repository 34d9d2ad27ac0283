//! Damaged archives and layouts are reported naming the member, and never
//! read past a member's bounds: not a tar, cut short, a missing or
//! duplicated member, a path or link leading out, an oversized document, a
//! flipped byte in a layer, a missing blob (the other layers still listed).

use layerlens_testkit::tar::{sha256_hex, Member};

use crate::archives::{
    blob_path, copy, gnu_tar, layered_registry, legacy_archive, legacy_image, path_str,
    raw_manifest, tree,
};
use crate::registry::tar;

pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn a_tampered_oci_archive_is_a_mismatch_and_the_rest_is_listed() {
    let (registry, _) = layered_registry("bad/app");
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("bad.tar");
    copy(
        &[],
        &format!("docker://{}/bad/app:v1", registry.host_port()),
        &format!("oci-archive:{}", path_str(&path)),
    );
    // Layer 2's member: its header's name field starts the header, and its
    // content follows that 512-byte block.
    let archive = format!("oci-archive:{}", path_str(&path));
    let manifest = raw_manifest(&archive);
    let digest = manifest["layers"][2]["digest"].as_str().unwrap().to_owned();
    let size = manifest["layers"][2]["size"].as_u64().unwrap() as usize;
    let name = blob_path(&manifest["layers"][2]["digest"]);
    let mut bytes = std::fs::read(&path).unwrap();
    let header = find(&bytes, name.as_bytes()).expect("layer 2's member");
    bytes[header + 512 + size / 2] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let run = tree(&archive, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("layer 2 ({digest})")),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("/etc/motd\t"), "{}", run.stdout);
    assert!(
        run.stdout.contains(&sha256_hex(b"welcome\n")),
        "{}",
        run.stdout
    );
}

#[test]
fn bad_archives_are_named_and_explained() {
    let tmp = tempfile::tempdir().unwrap();
    let image = legacy_image();
    let write = |name: &str, bytes: &[u8]| {
        let p = tmp.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        format!("docker-archive:{}", path_str(&p))
    };
    let fails = |reference: &str, words: &[&str]| {
        let run = tree(reference, &[]);
        assert_ne!(run.code, 0, "{reference}");
        assert!(run.stdout.is_empty(), "{reference}: {}", run.stdout);
        for w in words {
            assert!(
                run.stderr.contains(w),
                "{reference}: {w:?} not in {}",
                run.stderr
            );
        }
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    };
    fails(&write("text.tar", &[b'x'; 2000]), &["not a tar archive"]);
    fails(&write("empty.tar", b""), &["not a tar archive"]);
    let whole = legacy_archive(&image, None, &[]);
    fails(
        &write("cut.tar", &whole[..whole.len() / 2]),
        &["truncated", "member"],
    );
    let config_hex = image.config_digest.trim_start_matches("sha256:");
    let naming = |config: &str, layers: &[&str]| {
        serde_json::json!([{ "Config": config, "RepoTags": null, "Layers": layers }]).to_string()
    };
    let missing = naming(
        &format!("{config_hex}.json"),
        &["missing/layer.tar", "b", "c", "d"],
    );
    fails(
        &write("missing.tar", &legacy_archive(&image, Some(&missing), &[])),
        &["missing/layer.tar", "not there"],
    );
    let outside = naming("../etc/passwd", &[]);
    fails(
        &write("outside.tar", &legacy_archive(&image, Some(&outside), &[])),
        &["../etc/passwd", "outside the archive"],
    );
    let twice = legacy_archive(
        &image,
        None,
        &[Member::file(format!("{config_hex}.json").as_bytes(), b"{}")],
    );
    fails(
        &write("twice.tar", &twice),
        &["two members of this name", &format!("{config_hex}.json")],
    );
    let escaping = legacy_archive(
        &image,
        Some(&naming("cfg.json", &[])),
        &[Member::symlink(b"cfg.json", b"../../etc/passwd")],
    );
    fails(
        &write("escaping.tar", &escaping),
        &["cfg.json", "outside the archive"],
    );
    // A name from the archive reaches the terminal inert.
    let escape = naming("\u{1b}[31mred.json", &[]);
    let run = tree(
        &write("escape.tar", &legacy_archive(&image, Some(&escape), &[])),
        &[],
    );
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("\\x1b[31mred.json"), "{}", run.stderr);
    assert!(!run.stderr.contains('\u{1b}'), "{}", run.stderr);
    let huge = format!("[{}]", " ".repeat(9 << 20));
    fails(
        &write("huge.tar", &legacy_archive(&image, Some(&huge), &[])),
        &["manifest.json", "more than"],
    );
    fails(
        &write("none.tar", &tar(&[Member::file(b"README", b"hi")])),
        &["neither index.json", "manifest.json"],
    );
    let run = tree(
        &format!("oci:{}", path_str(&tmp.path().join("nowhere"))),
        &[],
    );
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("not a directory"), "{}", run.stderr);
}

#[test]
fn a_missing_blob_fails_its_layer_and_the_rest_is_listed() {
    let (registry, _) = layered_registry("gone/app");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("layout");
    let layout = format!("oci:{}:v1", path_str(&dir));
    copy(
        &[],
        &format!("docker://{}/gone/app:v1", registry.host_port()),
        &layout,
    );
    let manifest = raw_manifest(&layout);
    let digest = manifest["layers"][1]["digest"].as_str().unwrap().to_owned();
    std::fs::remove_file(dir.join(blob_path(&manifest["layers"][1]["digest"]))).unwrap();
    // The same layout as a tar made by GNU tar (`./`-prefixed members).
    let archive = tmp.path().join("gone.tar");
    gnu_tar(&dir, &archive);
    for reference in [
        layout.clone(),
        format!("oci-archive:{}", path_str(&archive)),
    ] {
        let run = tree(&reference, &[]);
        assert_eq!(run.code, 1, "{reference}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!("layer 1 ({digest})")),
            "{reference}: {}",
            run.stderr
        );
        // Layer 0's files are still listed.
        assert!(
            run.stdout.contains("/usr/bin/tool\t"),
            "{reference}: {}",
            run.stdout
        );
    }
}
