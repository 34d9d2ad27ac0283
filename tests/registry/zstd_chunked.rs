//! zstd:chunked layers as skopeo writes them (`--dest-compress-format
//! zstd:chunked`) into the real distribution registry: the table of
//! contents the descriptor points at is fetched with a `Range` request,
//! checked and read, and lists exactly what a full scan of the same blob
//! finds — names, kinds, modes, owners, sizes, times, link targets and each
//! file's content digest.

use std::collections::BTreeMap;
use std::process::Command;

use layerlens::layer::toc::{read_chunked_toc, ChunkedToc};
use layerlens::layer::{Entry, ScanOptions, Scanner};
use layerlens::oci::{parse_document, Compression, Descriptor, Document, Verified};
use layerlens_testkit::registry::{
    Client, Flavor, ImageBuilder, Layer, ManifestFormat, Registry, TagPager,
};
use layerlens_testkit::tar::{by_path, every_kind, Flavour, Member, TarBuilder};
use layerlens_testkit::{never_seen, skopeo};

/// A layer with every kind of entry a table of contents lists, and a file
/// no earlier run wrote (so skopeo's blob-info cache cannot substitute a
/// blob it pushed before for the recompressed one).
fn source_tar() -> Vec<u8> {
    let mut tar = TarBuilder::new(Flavour::Pax);
    for m in every_kind() {
        tar.member(&m);
    }
    tar.member(&Member::file(b"etc/run", &never_seen()).mtime(1_700_000_123));
    tar.finish()
}

/// A registry holding `chunked/app:v1`, the source layer recompressed by
/// skopeo as zstd:chunked; its client and that layer's descriptor.
fn chunked_layer() -> (Registry, Client, Descriptor) {
    let registry = Registry::start(Flavor::Open);
    let client = registry.client();
    ImageBuilder::oci()
        .layer(Layer::gzip_tar(ManifestFormat::Oci, &source_tar()))
        .build()
        .push(&client, "src/app", Some("v1"));
    // A layer skopeo has never seen: its blob-info cache has nothing to
    // substitute, so the layer is recompressed (asserted below).
    let host = registry.host_port();
    skopeo(&[
        "copy",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        "--dest-compress-format",
        "zstd:chunked",
        &format!("docker://{host}/src/app:v1"),
        &format!("docker://{host}/chunked/app:v1"),
    ]);
    let manifest = client.get(
        "/v2/chunked/app/manifests/v1",
        &[("Accept", "application/vnd.oci.image.manifest.v1+json")],
    );
    assert_eq!(manifest.status, 200, "{}", manifest.describe());
    let bytes = Verified::trust_own_digest(manifest.body.clone());
    let Ok(Document::Manifest(m)) = parse_document(&bytes, None) else {
        panic!("not a manifest: {}", manifest.text());
    };
    let layer = m.layers()[0].clone();
    assert_eq!(
        layer.media_type().as_str(),
        "application/vnd.oci.image.layer.v1.tar+zstd",
        "skopeo wrote zstd"
    );
    (registry, client, layer)
}

#[test]
fn a_skopeo_zstd_chunked_layer_lists_from_its_table_of_contents() {
    let (_registry, client, layer) = chunked_layer();
    let location = ChunkedToc::of(&layer)
        .expect("well-formed annotations")
        .expect("a zstd:chunked layer");
    assert!(
        location.length < layer.size() / 10,
        "{location:?} of {} bytes",
        layer.size()
    );

    let blob = format!("/v2/chunked/app/blobs/{}", layer.digest());
    let part = client.get(&blob, &[("Range", &location.range())]);
    assert_eq!(part.status, 206, "{}", part.describe());
    assert_eq!(part.body.len() as u64, location.length);
    let listed = read_chunked_toc(&location, part.body).expect("the table of contents reads");

    let whole = client.get(&blob, &[]);
    assert_eq!(whole.status, 200);
    let options = ScanOptions {
        hash_contents: true,
        ..ScanOptions::default()
    };
    let mut scanner = Scanner::new(Compression::Zstd, options);
    scanner.feed(&whole.body).expect("the chunked blob scans");
    let scan = scanner.finish().expect("the chunked blob scans to its end");

    let (listed, scanned) = (by_path(listed.entries()), by_path(scan.entries()));
    let names = |m: &BTreeMap<Vec<u8>, Entry>| {
        m.keys()
            .map(|k| String::from_utf8_lossy(k).into_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&listed), names(&scanned));
    for (path, scanned) in &scanned {
        let listed = &listed[path];
        // Owner names are optional in a table of contents (skopeo 1.9
        // leaves them out): where given, they must agree.
        let names = |e: &Entry| (e.uname.clone(), e.gname.clone());
        let unnamed = |e: &Entry| Entry {
            uname: Vec::new(),
            gname: Vec::new(),
            ..e.clone()
        };
        assert_eq!(
            unnamed(listed),
            unnamed(scanned),
            "{}",
            String::from_utf8_lossy(path)
        );
        if !listed.uname.is_empty() || !listed.gname.is_empty() {
            assert_eq!(names(listed), names(scanned));
        }
    }
    assert!(listed[&b"usr/bin/big".to_vec()].content_sha256.is_some());
}

#[test]
fn a_table_of_contents_from_another_place_is_refused() {
    let (_registry, client, layer) = chunked_layer();
    let location = ChunkedToc::of(&layer).unwrap().unwrap();
    // The right length from the wrong place: the checksum refuses it.
    let shifted = format!(
        "bytes={}-{}",
        location.offset - 1,
        location.offset + location.length - 2
    );
    let blob = format!("/v2/chunked/app/blobs/{}", layer.digest());
    let part = client.get(&blob, &[("Range", &shifted)]);
    assert_eq!(part.status, 206);
    let err = read_chunked_toc(&location, part.body).unwrap_err();
    assert!(err.to_string().contains("digest mismatch"), "{err}");
}

/// `layerlens tree REF --verify MODE`: its exit status, stdout and stderr.
fn tree(reference: &str, verify: &str) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_layerlens"))
        .args(["tree", reference, "--verify", verify, "--format", "tsv"])
        .output()
        .expect("run layerlens");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn tree_verify_toc_lists_from_the_table_and_says_what_it_proved() {
    let (registry, _client, layer) = chunked_layer();
    let reference = format!("{}/chunked/app:v1", registry.host_port());
    let (code, listed, said) = tree(&reference, "toc");
    assert_eq!(code, Some(0), "{said}");
    assert!(
        !said.contains("ignored Range"),
        "the registry honours it: {said}"
    );
    assert!(
        said.contains(&format!(
            "note: layer 0 ({}): listed from its zstd:chunked table of contents",
            layer.digest()
        )) && said.contains("the blob and its diff_id were not checked"),
        "{said}"
    );
    let (code, full, said) = tree(&reference, "full");
    assert_eq!(code, Some(0), "{said}");
    assert!(!said.contains("table of contents"), "{said}");
    assert_eq!(listed, full, "the same listing either way");
    assert!(listed.contains("/usr/bin/big\t"), "{listed}");

    // Other bytes before the table: `toc` reads only the table, so it
    // still lists (and says it did not check the blob); `full` refuses.
    let path = registry.blob_data_path(&layer.digest().to_string());
    let mut blob = std::fs::read(&path).expect("the stored blob");
    for b in &mut blob[..64] {
        *b ^= 0x55;
    }
    std::fs::write(&path, &blob).expect("alter the stored blob");
    let (code, again, said) = tree(&reference, "toc");
    assert_eq!((code, again), (Some(0), listed), "{said}");
    let (code, _, said) = tree(&reference, "full");
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("digest mismatch"), "{said}");
}

#[test]
fn a_registry_that_ignores_range_still_lists_from_the_table() {
    let (registry, _client, layer) = chunked_layer();
    // A front that answers every blob whole (200), as registries without
    // Range support do: the bytes before the table are read and dropped.
    let front = TagPager::start_ignoring_range(&registry.base_url());
    let through_front = format!("{}/chunked/app:v1", front.host_port());
    let (code, listed, said) = tree(&through_front, "toc");
    assert_eq!(code, Some(0), "{said}");
    assert!(
        said.contains("listed from its zstd:chunked table of contents"),
        "{said}"
    );
    assert!(said.contains("the registry ignored Range"), "said: {said}");
    let direct = format!("{}/chunked/app:v1", registry.host_port());
    let (_, full, _) = tree(&direct, "full");
    assert_eq!(listed, full);
    // A file by Range through it: the blob read from its start, the file
    // still checked against the table.
    let (code, bytes, said) = cat(&through_front, "/usr/bin/big", "toc");
    assert_eq!(code, Some(0), "{said}");
    let big = every_kind()
        .into_iter()
        .find(|m| m.name == b"usr/bin/big")
        .unwrap();
    assert!(bytes == big.data);
    // The front really ignores Range.
    let blob = format!(
        "{}/v2/chunked/app/blobs/{}",
        front.base_url(),
        layer.digest()
    );
    let whole = Client::anonymous(&front.base_url()).get(
        blob.trim_start_matches(&front.base_url()),
        &[("Range", "bytes=0-9")],
    );
    assert_eq!((whole.status, whole.body.len() as u64), (200, layer.size()));
}

/// `layerlens cat REF PATH --verify MODE`: its exit status, stdout, stderr.
fn cat(reference: &str, path: &str, verify: &str) -> (Option<i32>, Vec<u8>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_layerlens"))
        .args(["cat", reference, path, "--verify", verify])
        .output()
        .expect("run layerlens");
    (
        out.status.code(),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cat_reads_a_file_by_range_from_a_skopeo_zstd_chunked_layer() {
    let (registry, client, layer) = chunked_layer();
    let reference = format!("{}/chunked/app:v1", registry.host_port());
    let members = every_kind();
    let data = |name: &[u8]| {
        members
            .iter()
            .find(|m| m.name == name)
            .unwrap()
            .data
            .clone()
    };
    // Every regular file, and a hard link (the bytes of its target), the
    // same by Range and by streaming the layer.
    for (path, name) in [
        ("/etc/hello", b"etc/hello".as_slice()),
        ("/etc/empty", b"etc/empty"),
        ("/usr/bin/big", b"usr/bin/big"),
        ("etc/hello.again", b"etc/hello"),
    ] {
        for verify in ["toc", "full"] {
            let (code, bytes, said) = cat(&reference, path, verify);
            assert_eq!(code, Some(0), "{path} --verify {verify}: {said}");
            assert!(bytes == data(name), "{path} --verify {verify}: other bytes");
        }
    }
    // Not a file: said in words, nothing written.
    for (path, why) in [
        ("/usr/bin/sh", "a symbolic link to /bin/busybox"),
        ("/usr", "a directory"),
        ("/no/such", "no such file in the image"),
    ] {
        let (code, bytes, said) = cat(&reference, path, "toc");
        assert_eq!((code, bytes.is_empty()), (Some(1), true), "{path}");
        assert!(said.contains(why), "{path}: {said}");
    }

    // Other bytes at the blob's start: by Range the file never reads them,
    // so it still comes (checked against the table); streaming refuses.
    let path = registry.blob_data_path(&layer.digest().to_string());
    let original = std::fs::read(&path).expect("the stored blob");
    let mut blob = original.clone();
    for b in &mut blob[..64] {
        *b ^= 0x55;
    }
    std::fs::write(&path, &blob).expect("alter the stored blob");
    let (code, bytes, said) = cat(&reference, "/usr/bin/big", "toc");
    assert_eq!(code, Some(0), "{said}");
    assert!(bytes == data(b"usr/bin/big"));
    let (code, bytes, said) = cat(&reference, "/usr/bin/big", "full");
    assert_eq!((code, bytes.is_empty()), (Some(1), true), "{said}");

    // Other bytes inside the file's own frames: refused, nothing written.
    let location = ChunkedToc::of(&layer).unwrap().unwrap();
    let url = format!("/v2/chunked/app/blobs/{}", layer.digest());
    let part = client.get(&url, &[("Range", &location.range())]);
    let listed = read_chunked_toc(&location, part.body).unwrap();
    let big = listed.open(listed.find(b"usr/bin/big").unwrap()).unwrap();
    let (from, to) = big.ranges()[0];
    let mut blob = original;
    blob[((from + to) / 2) as usize] ^= 0x55;
    std::fs::write(&path, &blob).expect("alter the stored blob");
    let (code, bytes, said) = cat(&reference, "/usr/bin/big", "toc");
    assert_eq!((code, bytes.is_empty()), (Some(1), true), "{said}");
    assert!(
        said.contains("error: /usr/bin/big: cannot read it from layer 0"),
        "{said}"
    );
}

#[test]
fn a_table_of_contents_that_cannot_be_used_is_said_and_the_layer_streamed() {
    let (registry, _client, layer) = chunked_layer();
    let reference = format!("{}/chunked/app:v1", registry.host_port());
    let location = ChunkedToc::of(&layer).unwrap().unwrap();
    // Other bytes inside the table: it no longer matches the manifest's
    // checksum, so `toc` says so and streams the layer, whose digest then
    // does not match either.
    let path = registry.blob_data_path(&layer.digest().to_string());
    let mut blob = std::fs::read(&path).expect("the stored blob");
    blob[(location.offset + location.length / 2) as usize] ^= 0x55;
    std::fs::write(&path, &blob).expect("alter the stored blob");
    let (code, _, said) = tree(&reference, "toc");
    assert!(
        said.contains("note: layer 0: its table of contents could not be used; the layer is streamed and verified whole"),
        "{said}"
    );
    assert!(!said.contains("listed from its"), "{said}");
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("digest mismatch"), "{said}");
}
