//! The built-in demo image (`layerlens::demo`): deterministic, internally
//! consistent (every digest and size), parsed by our OCI parsers, and its
//! layers read by independent tools (GNU tar, zstd, flate2's decoder) to
//! show what the demo promises.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

use layerlens::demo::{DemoImage, PlatformImage, OCI_LAYOUT, REF_NAME, TAGS};
use layerlens::oci::{
    parse_document, verify, Descriptor, Digest, Document, ImageConfig, MediaType,
};

fn blob<'a>(demo: &'a DemoImage, d: &Descriptor) -> &'a [u8] {
    demo.blob(d.digest())
        .unwrap_or_else(|| panic!("blob {} missing", d.digest()))
}

/// The uncompressed tar of a layer, decoded independently of the generator.
fn untar_bytes(media_type: &MediaType, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match media_type {
        MediaType::OciLayerGzip => {
            flate2::read::GzDecoder::new(bytes)
                .read_to_end(&mut out)
                .unwrap();
        }
        MediaType::OciLayerZstd => {
            ruzstd::decoding::StreamingDecoder::new(bytes)
                .unwrap()
                .read_to_end(&mut out)
                .unwrap();
        }
        MediaType::OciLayer => out = bytes.to_vec(),
        other => panic!("unexpected layer type {other}"),
    }
    out
}

/// `tar -tv` of a tar stream by GNU tar, with UTC times and numeric ids.
fn gnu_tar_listing(tar: &[u8], numeric: bool) -> String {
    let mut cmd = Command::new("tar");
    cmd.env("TZ", "UTC")
        .args(["--list", "--verbose", "--file=-"]);
    if numeric {
        cmd.arg("--numeric-owner");
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("GNU tar");
    child.stdin.take().unwrap().write_all(tar).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "tar: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn has_line(listing: &str, mode: &str, owner: &str, rest: &str) -> bool {
    listing.lines().any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.len() >= 6 && f[0] == mode && f[1] == owner && l.ends_with(rest)
    })
}

#[test]
fn generation_is_deterministic_fast_and_small() {
    let start = Instant::now();
    let a = DemoImage::generate();
    let elapsed = start.elapsed();
    let b = DemoImage::generate();
    assert_eq!(a, b);
    assert_eq!(a.layout_files(), b.layout_files());
    let size = a.size();
    println!(
        "demo: {} blobs, {size} bytes, generated in {elapsed:?}",
        a.blobs().count()
    );
    assert!(size > 300_000 && size < 4_000_000, "{size} bytes");
    // Debug builds on a busy machine: generous, but catches a runaway.
    assert!(elapsed.as_secs() < 5, "{elapsed:?}");
}

#[test]
fn every_blob_matches_its_digest_and_every_descriptor_its_blob() {
    let demo = DemoImage::generate();
    for (digest, bytes) in demo.blobs() {
        assert_eq!(&Digest::sha256(bytes), digest);
    }
    let mut described = vec![demo.index().clone()];
    for image in demo.images() {
        described.push(image.manifest.clone());
        described.push(image.config.clone());
        described.extend(image.layers.iter().cloned());
    }
    for d in &described {
        verify(blob(&demo, d).to_vec(), d.digest(), Some(d.size()))
            .unwrap_or_else(|e| panic!("{}: {e}", d.digest()));
    }
    // Nothing stored that nothing describes.
    for (digest, _) in demo.blobs() {
        assert!(
            described.iter().any(|d| d.digest() == digest),
            "{digest} orphaned"
        );
    }
}

#[test]
fn the_layout_index_tags_the_multi_platform_index() {
    let demo = DemoImage::generate();
    let json: serde_json::Value = serde_json::from_str(OCI_LAYOUT).unwrap();
    assert_eq!(json["imageLayoutVersion"], "1.0.0");

    let layout = verify(
        demo.layout_index().to_vec(),
        &Digest::sha256(demo.layout_index()),
        None,
    )
    .unwrap();
    let Document::Index(layout) = parse_document(&layout, Some(&MediaType::OciIndex)).unwrap()
    else {
        panic!("index.json is not an index")
    };
    let tags: Vec<&str> = layout
        .manifests()
        .iter()
        .map(|d| d.annotation(REF_NAME).unwrap())
        .collect();
    assert_eq!(tags, TAGS);
    for d in layout.manifests() {
        assert_eq!(d.digest(), demo.index().digest());
        assert_eq!(d.media_type(), &MediaType::OciIndex);
    }

    let index_bytes = verify(
        blob(&demo, demo.index()).to_vec(),
        demo.index().digest(),
        Some(demo.index().size()),
    )
    .unwrap();
    let Document::Index(index) = parse_document(&index_bytes, Some(&MediaType::OciIndex)).unwrap()
    else {
        panic!("not an index")
    };
    let platforms: Vec<String> = index
        .manifests()
        .iter()
        .map(|d| d.platform().unwrap().to_string())
        .collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64/v8"]);
}

fn parse_image(demo: &DemoImage, image: &PlatformImage) -> ImageConfig {
    let m = &image.manifest;
    let bytes = verify(blob(demo, m).to_vec(), m.digest(), Some(m.size())).unwrap();
    let Document::Manifest(manifest) = parse_document(&bytes, Some(m.media_type())).unwrap() else {
        panic!("not a manifest")
    };
    assert_eq!(manifest.config(), &image.config);
    assert_eq!(manifest.layers(), image.layers.as_slice());
    let c = manifest.config();
    let config = verify(blob(demo, c).to_vec(), c.digest(), Some(c.size())).unwrap();
    ImageConfig::parse(&config).unwrap()
}

#[test]
fn configs_carry_the_promised_fields() {
    let demo = DemoImage::generate();
    for image in demo.images() {
        let config = parse_image(&demo, image);
        assert_eq!(config.platform().to_string(), image.platform.to_string());
        let c = config.config();
        assert_eq!(c.user(), Some("demo"));
        assert_eq!(c.working_dir(), Some("/home/demo"));
        assert_eq!(
            c.entrypoint(),
            Some(&["/usr/local/bin/demo".to_owned()][..])
        );
        assert_eq!(c.cmd().map(<[String]>::len), Some(3));
        assert_eq!(c.exposed_ports().collect::<Vec<_>>(), ["8080/tcp"]);
        assert!(c.env_pairs().any(|(k, _)| k == "PATH"));
        assert_eq!(
            c.labels()
                .get("org.opencontainers.image.title")
                .map(String::as_str),
            Some("layerlens demo")
        );
        assert_eq!(c.stop_signal(), Some("SIGTERM"));
        assert!(config.created_time().unwrap().is_ok());
        assert!(config.history_matches_layers());
        let empty = config.history().iter().filter(|h| h.empty_layer()).count();
        assert!(empty >= 5, "{empty} empty steps");
        for h in config.history() {
            assert!(h.created_by().is_some() && h.created().is_some());
        }
        // diff_ids are the digests of the decompressed layers.
        assert_eq!(config.diff_ids(), image.diff_ids.as_slice());
        for (layer, diff_id) in image.layers.iter().zip(&image.diff_ids) {
            let tar = untar_bytes(layer.media_type(), blob(&demo, layer));
            assert_eq!(&Digest::sha256(&tar), diff_id, "{}", layer.digest());
        }
    }
}

#[test]
fn layers_use_gzip_zstd_and_plain_tar_and_share_all_but_the_arch_layer() {
    let demo = DemoImage::generate();
    let [amd, arm] = demo.images() else {
        panic!("two platforms")
    };
    let types: Vec<&MediaType> = amd.layers.iter().map(Descriptor::media_type).collect();
    assert!(types.contains(&&MediaType::OciLayerGzip));
    assert!(types.contains(&&MediaType::OciLayerZstd));
    assert!(types.contains(&&MediaType::OciLayer));
    assert_eq!(amd.layers.len(), arm.layers.len());
    for (i, (a, b)) in amd.layers.iter().zip(&arm.layers).enumerate() {
        assert_eq!(a == b, i != 1, "layer {i}");
    }
    assert_ne!(amd.config.digest(), arm.config.digest());
}

#[test]
fn gnu_tar_reads_every_layer_and_sees_the_promised_entries() {
    let demo = DemoImage::generate();
    let [amd, arm] = demo.images() else {
        panic!("two platforms")
    };
    let listings: Vec<String> = amd
        .layers
        .iter()
        .map(|l| gnu_tar_listing(&untar_bytes(l.media_type(), blob(&demo, l)), false))
        .collect();
    let all = listings.join("\n");
    println!("{all}");
    assert!(has_line(
        &listings[0],
        "-rwsr-xr-x",
        "root/root",
        " usr/bin/passwd"
    ));
    assert!(has_line(
        &listings[0],
        "drwxr-x---",
        "demo/demo",
        " home/demo/"
    ));
    assert!(has_line(&listings[0], "drwxrwxrwt", "root/root", " tmp/"));
    assert!(has_line(
        &listings[0],
        "lrwxrwxrwx",
        "root/root",
        " lib -> usr/lib"
    ));
    assert!(has_line(
        &listings[0],
        "-rw-r--r--",
        "root/root",
        " usr/share/pixmaps/layerlens.png"
    ));
    assert!(has_line(
        &listings[1],
        "-rwxr-xr-x",
        "root/root",
        " usr/local/bin/demo"
    ));
    assert!(has_line(
        &listings[1],
        "hrwxr-xr-x",
        "root/root",
        " usr/local/bin/demo-server link to usr/local/bin/demo"
    ));
    assert!(has_line(
        &listings[1],
        "lrwxrwxrwx",
        "root/root",
        " usr/local/bin/run -> demo"
    ));
    assert!(listings[2].contains(" opt/.wh.legacy\n"));
    assert!(listings[2].contains(" usr/lib/demo/plugins/.wh..wh..opq\n"));
    assert!(listings[2].contains(" usr/share/doc/demo/.wh.CHANGELOG.old\n"));
    assert!(listings[3].contains(&format!(" {}\n", layerlens::demo::layers::LONG_PATH)));
    assert!(listings[3].contains(" var/cache/demo/index.db\n"));
    assert!(listings[4].contains(" etc/motd\n"));
    let numeric = gnu_tar_listing(
        &untar_bytes(amd.layers[0].media_type(), blob(&demo, &amd.layers[0])),
        true,
    );
    assert!(has_line(&numeric, "drwxr-x---", "1000/1000", " home/demo/"));
    // Fixed times: 2024-05-01, whatever the day the test runs.
    for line in all.lines().filter(|l| !l.is_empty()) {
        assert!(line.contains(" 2024-05-01 12:0"), "{line}");
    }

    // The arm64 layer differs in the binary and /etc/demo-arch.
    let arm_tar = untar_bytes(arm.layers[1].media_type(), blob(&demo, &arm.layers[1]));
    let amd_tar = untar_bytes(amd.layers[1].media_type(), blob(&demo, &amd.layers[1]));
    assert!(find_bytes(&amd_tar, b"linux/amd64\n"));
    assert!(find_bytes(&arm_tar, b"linux/arm64/v8\n"));
    assert!(!find_bytes(&arm_tar, b"linux/amd64\n"));
}

fn find_bytes(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn the_zstd_layer_passes_the_reference_decoder() {
    let demo = DemoImage::generate();
    let layer = demo.images()[0]
        .layers
        .iter()
        .find(|l| l.media_type() == &MediaType::OciLayerZstd)
        .unwrap();
    let mut child = Command::new("zstd")
        .args(["-d", "-c"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("zstd");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(blob(&demo, layer))
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(&Digest::sha256(&out.stdout), &demo.images()[0].diff_ids[2]);
}

/// Every layer of `image` through the product's scanner, fed in uneven
/// chunks and verified against its descriptor and diff_id; then merged.
fn scan_and_merge(demo: &DemoImage, image: &PlatformImage) -> layerlens::fs::MergedFs {
    use layerlens::layer::{ScanOptions, Scanner};
    let mut layers = Vec::new();
    for (i, (layer, diff_id)) in image.layers.iter().zip(&image.diff_ids).enumerate() {
        let compression = layer.media_type().layer_compression().unwrap();
        let options = ScanOptions {
            hash_contents: true,
            ..ScanOptions::default()
        };
        let mut scanner = Scanner::new(compression, options);
        for chunk in blob(demo, layer).chunks(997 + 1000 * i) {
            scanner.feed(chunk).unwrap();
        }
        let scan = scanner.finish().unwrap();
        assert!(
            scan.problems().is_empty(),
            "layer {i}: {:?}",
            scan.problems()
        );
        assert!(
            scan.verify(layer.digest(), Some(layer.size()), Some(diff_id))
                .is_empty(),
            "layer {i}"
        );
        layers.push(scan.into_entries());
    }
    layerlens::fs::MergedFs::build(&layers)
}

fn file_bytes(fs: &layerlens::fs::MergedFs, path: &str) -> Option<(u64, usize)> {
    let node = fs.node(fs.lookup(path.as_bytes())?)?;
    Some((node.size(), node.layer()))
}

#[test]
fn the_merged_filesystem_shows_what_the_demo_promises() {
    use layerlens::layer::EntryKind;
    let demo = DemoImage::generate();
    let [amd, arm] = demo.images() else {
        panic!("two platforms")
    };
    let fs = scan_and_merge(&demo, amd);
    let exists = |p: &str| fs.lookup(p.as_bytes()).is_some();

    // Whiteouts: a deleted directory (with its contents) and a deleted file.
    assert!(exists("opt"));
    assert!(!exists("opt/legacy") && !exists("opt/legacy/bin/tool"));
    assert!(!exists("usr/share/doc/demo/CHANGELOG.old"));
    assert!(exists("usr/share/doc/demo/README.md"));
    // The opaque directory hides what lower layers put there.
    assert!(!exists("usr/lib/demo/plugins/legacy.so"));
    assert!(!exists("usr/lib/demo/plugins/legacy.conf"));
    assert_eq!(
        file_bytes(&fs, "usr/lib/demo/plugins/modern.so").map(|f| f.1),
        Some(2)
    );
    // No marker survives into the merged view.
    for (_, path) in fs.walk() {
        assert!(
            !path.windows(4).any(|w| w == b".wh."),
            "{}",
            String::from_utf8_lossy(&path)
        );
    }
    // Modified files come from the later layer.
    assert_eq!(file_bytes(&fs, "etc/os-release").map(|f| f.1), Some(2));
    assert_eq!(file_bytes(&fs, "etc/motd").map(|f| f.1), Some(4));
    assert_eq!(
        file_bytes(&fs, "var/cache/demo/index.db"),
        Some((192 * 1024, 3))
    );
    // Wasted space: the first index.db (and the first motd, os-release) are
    // shadowed; the deleted legacy files count too.
    let stats = fs.stats();
    assert!(stats.wasted_bytes >= 192 * 1024, "{}", stats.wasted_bytes);
    assert!(stats
        .offenders
        .iter()
        .any(|o| o.path == b"var/cache/demo/index.db"));
    assert!(stats.efficiency() < 1.0);

    // Kinds, modes and owners.
    let node = |p: &str| fs.node(fs.lookup(p.as_bytes()).unwrap()).unwrap();
    assert_eq!(node("usr/bin/passwd").mode() & 0o7777, 0o4755);
    assert_eq!(node("usr/local/bin/demo").mode() & 0o777, 0o755);
    assert_eq!(node("tmp").mode() & 0o7777, 0o1777);
    assert_eq!(
        (node("home/demo").uid(), node("home/demo").gid()),
        (1000, 1000)
    );
    assert_eq!(node("home/demo").kind(), EntryKind::Directory);
    assert_eq!(node("lib").kind(), EntryKind::Symlink);
    assert_eq!(node("lib").link_target(), Some(&b"usr/lib"[..]));
    assert_eq!(node("usr/local/bin/run").link_target(), Some(&b"demo"[..]));
    assert!(node("usr/local/bin/demo-server").is_hardlink());
    assert!(exists(layerlens::demo::layers::LONG_PATH));
    assert!(
        stats.files >= 15 && stats.symlinks == 2 && stats.hardlinks >= 1,
        "{stats:?}"
    );

    // The other platform: same tree shape, different binary and arch file.
    let arm_fs = scan_and_merge(&demo, arm);
    let paths =
        |fs: &layerlens::fs::MergedFs| fs.walk().into_iter().map(|(_, p)| p).collect::<Vec<_>>();
    assert_eq!(paths(&fs), paths(&arm_fs));
    let arch = |fs: &layerlens::fs::MergedFs| {
        fs.node(fs.lookup(b"etc/demo-arch").unwrap())
            .unwrap()
            .size()
    };
    assert_eq!(arch(&fs), "linux/amd64\n".len() as u64);
    assert_eq!(arch(&arm_fs), "linux/arm64/v8\n".len() as u64);
    assert_eq!(arm_fs.stats().wasted_bytes, stats.wasted_bytes);
    let sha = |fs: &layerlens::fs::MergedFs, p: &str| fs.sha256(fs.lookup(p.as_bytes()).unwrap());
    assert_ne!(
        sha(&fs, "usr/local/bin/demo"),
        sha(&arm_fs, "usr/local/bin/demo")
    );
    assert!(sha(&fs, "usr/local/bin/demo").is_some());
    assert_eq!(sha(&fs, "etc/motd"), sha(&arm_fs, "etc/motd"));
}
