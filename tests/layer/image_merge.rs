//! The merge rules end to end from real tar bytes: layers written by the
//! test builder in several tar dialects and compressions, scanned in seeded
//! random chunkings, merged, and compared with listings written by hand.

use layerlens::fs::MergedFs;
use layerlens::layer::ScanOptions;
use layerlens::oci::Compression;
use layerlens_testkit::tar::{gzip, scan_all, sha256_hex, zstd, Flavour, Member, TarBuilder};

const T: i64 = 1_600_000_000;

fn f(name: &str, data: &[u8]) -> Member {
    Member::file(name.as_bytes(), data).mtime(T)
}

fn d(name: &str) -> Member {
    Member::dir(name.as_bytes()).mode(0o755).mtime(T)
}

/// Builds, compresses and scans one layer (every chunking must agree).
fn layer(
    flavour: Flavour,
    compression: Compression,
    members: &[Member],
) -> Vec<layerlens::layer::Entry> {
    let mut b = TarBuilder::new(flavour);
    for m in members {
        b.member(m);
    }
    let tar = b.finish();
    let blob = match compression {
        Compression::Gzip => gzip(&tar),
        Compression::Zstd => zstd(&tar),
        Compression::None => tar.clone(),
    };
    let options = ScanOptions {
        hash_contents: true,
        ..ScanOptions::default()
    };
    let scan = scan_all(compression, &blob, &options).expect("layer scans");
    assert_eq!(scan.diff_id().hex(), sha256_hex(&tar));
    scan.into_entries()
}

fn file_row(path: &str, data: &[u8]) -> String {
    format!(
        "{path}\tf\t0644\t0\t0\t{}\t{}\t-\t{T}",
        data.len(),
        sha256_hex(data)
    )
}

fn dir_row(path: &str) -> String {
    format!("{path}\td\t0755\t0\t0\t-\t-\t-\t-")
}

fn listing(rows: &[String]) -> String {
    let mut out = String::from("#path\ttype\tmode\tuid\tgid\tsize\tsha256\ttarget\tmtime\n");
    for r in rows {
        out.push_str(r);
        out.push('\n');
    }
    out
}

#[test]
fn whiteouts_and_opaque_directories_act_on_lower_layers_only() {
    let l0 = layer(
        Flavour::Ustar,
        Compression::Gzip,
        &[
            d("a/"),
            f("a/keep", b"k"),
            f("a/gone", b"g"),
            d("o/"),
            f("o/old", b"1"),
            d("x/"),
            f("x/deep", b"2"),
        ],
    );
    // The opaque marker comes AFTER a sibling of its own layer, and a
    // whiteout names a file this same layer adds: neither may touch it.
    let l1 = layer(
        Flavour::Pax,
        Compression::Zstd,
        &[
            f("o/new", b"3"),
            f("o/.wh..wh..opq", b""),
            f("a/.wh.gone", b""),
            f("a/.wh.fresh", b""),
            f("a/fresh", b"f"),
            f(".wh.x", b""),
        ],
    );
    let fs = MergedFs::build(&[l0, l1]);
    assert_eq!(
        fs.listing_tsv(),
        listing(&[
            dir_row("/"),
            dir_row("/a"),
            file_row("/a/fresh", b"f"),
            file_row("/a/keep", b"k"),
            dir_row("/o"),
            file_row("/o/new", b"3"),
        ])
    );
    let changes = fs.changes(1).unwrap();
    let removed: Vec<String> = changes
        .removed
        .iter()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    for p in ["a/gone", "o/old", "x", "x/deep"] {
        assert!(
            removed.iter().any(|r| r.trim_start_matches('/') == p),
            "{p} not in removed {removed:?}"
        );
    }
}

#[test]
fn directory_replaced_by_a_file_and_back_and_whiteouts_under_files() {
    let l0 = layer(
        Flavour::Gnu,
        Compression::None,
        &[d("p/"), f("p/child", b"c"), f("q", b"file q")],
    );
    let l1 = layer(
        Flavour::Ustar,
        Compression::Gzip,
        &[f("p", b"now a file"), d("q/"), f("q/inner", b"i")],
    );
    // A whiteout under a path that is now a file must not break the merge.
    let l2 = layer(
        Flavour::Pax,
        Compression::Zstd,
        &[f("p/.wh.child", b""), f("z", b"z")],
    );
    let fs = MergedFs::build(&[l0, l1, l2]);
    assert_eq!(
        fs.listing_tsv(),
        listing(&[
            dir_row("/"),
            file_row("/p", b"now a file"),
            dir_row("/q"),
            file_row("/q/inner", b"i"),
            file_row("/z", b"z"),
        ])
    );
    assert!(fs.stats().wasted_bytes >= (b"c".len() + b"file q".len()) as u64);
}

#[test]
fn hard_links_resolve_in_the_merged_view_and_long_names_survive() {
    let long = format!("deep/{}/name-{}", "d".repeat(120), "n".repeat(90));
    let l0 = layer(
        Flavour::Gnu,
        Compression::Gzip,
        &[
            f("bin/tool", b"tool v1"),
            Member::hardlink(b"bin/alias", b"bin/tool").mtime(T),
            f(&long, b"long"),
            Member::file(b"odd-\xff-\x01name", b"bytes").mtime(T),
        ],
    );
    // The link's target disappears above; the link keeps the content.
    let l1 = layer(Flavour::Pax, Compression::Gzip, &[f("bin/.wh.tool", b"")]);
    let fs = MergedFs::build(&[l0, l1]);
    let tsv = fs.listing_tsv();
    assert!(tsv.contains(&file_row("/bin/alias", b"tool v1")), "{tsv}");
    assert!(!tsv.contains("/bin/tool\t"), "{tsv}");
    assert!(
        tsv.contains(&file_row(&format!("/{long}"), b"long")),
        "{tsv}"
    );
    assert!(
        tsv.contains(&file_row("/odd-\\xff-\\x01name", b"bytes")),
        "{tsv}"
    );
}
