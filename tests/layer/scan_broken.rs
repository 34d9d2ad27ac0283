//! The layer scanner against hostile and broken layers: each input gets its
//! asserted error, offset and partial results, under every chunking.

use layerlens::layer::{ScanErrorKind, ScanFailure, ScanOptions, Stream};
use layerlens::oci::Compression;
use layerlens_testkit::tar::*;

fn opts() -> ScanOptions {
    ScanOptions::default()
}

fn paths(scan: &[layerlens::layer::Entry]) -> Vec<&[u8]> {
    scan.iter().map(|e| e.path.as_slice()).collect()
}

// ------------------------------------------------------------ broken gzip

fn small_layer() -> (Vec<u8>, u64) {
    let mut rng = Rng(3);
    let mut t = TarBuilder::new(Flavour::Ustar);
    for i in 0..20 {
        t.member(&Member::file(format!("f{i}").as_bytes(), &rng.text(3000)));
    }
    let second = t.out.len() as u64;
    (t.finish(), second)
}

fn fail(compression: Compression, blob: &[u8]) -> ScanFailure {
    scan_all(compression, blob, &opts()).expect_err("must fail")
}

#[test]
fn truncated_gzip() {
    let (tar, _) = small_layer();
    let blob = gzip(&tar);
    for (cut, part) in [
        (blob.len() / 2, "deflate data"),
        (blob.len() - 3, "trailer"),
        (5, "header"),
        (0, "header"),
    ] {
        let f = fail(Compression::Gzip, &blob[..cut]);
        assert_eq!(
            f.error().kind(),
            &ScanErrorKind::GzipTruncated { member: 1, part },
            "cut at {cut}"
        );
        assert_eq!(
            (f.error().offset(), f.error().stream()),
            (cut as u64, Stream::Compressed)
        );
        assert!(f.error().to_string().contains("truncated"));
    }
    // Entries decoded before the cut survive.
    let f = fail(Compression::Gzip, &blob[..blob.len() / 2]);
    assert!(!f.entries().is_empty(), "partial entries");
    assert_eq!(f.compressed_size(), blob.len() as u64 / 2);
    for (i, e) in f.entries().iter().enumerate() {
        assert_eq!(e.path, format!("f{i}").into_bytes());
    }
    // Truncated in the FNAME of a later member.
    let mut two = blob.clone();
    let second = gzip_member(
        b"",
        &GzipOptions {
            name: Some(b"long name".to_vec()),
            ..GzipOptions::default()
        },
    );
    two.extend_from_slice(&second[..13]);
    let f = fail(Compression::Gzip, &two);
    assert_eq!(
        f.error().kind(),
        &ScanErrorKind::GzipTruncated {
            member: 2,
            part: "header FNAME field"
        }
    );
}

#[test]
fn gzip_trailer_checks() {
    let (tar, _) = small_layer();
    let blob = gzip(&tar);
    let n = blob.len();
    let mut bad_crc = blob.clone();
    bad_crc[n - 8] ^= 0xff;
    let f = fail(Compression::Gzip, &bad_crc);
    assert!(matches!(
        f.error().kind(),
        ScanErrorKind::GzipCrc { member: 1, .. }
    ));
    assert_eq!(f.error().offset(), (n - 8) as u64);
    // The whole tar was decoded: all entries are there.
    assert_eq!(f.entries().len(), 20);

    let mut bad_size = blob.clone();
    bad_size[n - 1] ^= 0x01;
    let f = fail(Compression::Gzip, &bad_size);
    assert_eq!(
        f.error().kind(),
        &ScanErrorKind::GzipSize {
            member: 1,
            stored: (tar.len() as u32) ^ 0x0100_0000,
            computed: tar.len() as u32
        }
    );
    assert_eq!(f.error().offset(), (n - 4) as u64);
}

#[test]
fn gzip_garbage_and_bad_headers() {
    let (tar, _) = small_layer();
    let blob = gzip(&tar);
    for junk in [&b"\0"[..], b"\0\0\0\0", b"garbage", b"\x1f\x00", b"\x1f"] {
        let f = fail(Compression::Gzip, &[&blob[..], junk].concat());
        if junk == b"\x1f" {
            // A lone first magic byte could be a member's start: truncated.
            assert!(matches!(
                f.error().kind(),
                ScanErrorKind::GzipTruncated { member: 2, .. }
            ));
            assert_eq!(f.error().offset(), blob.len() as u64 + 1);
            continue;
        } else {
            assert_eq!(
                f.error().kind(),
                &ScanErrorKind::TrailingGarbage {
                    after: "gzip member"
                },
                "{junk:?}"
            );
        }
        assert_eq!(f.error().offset(), blob.len() as u64);
    }
    let f = fail(Compression::Gzip, &tar);
    assert_eq!(f.error().kind(), &ScanErrorKind::GzipMagic(tar[0]));
    assert_eq!(f.error().offset(), 0);
    let f = fail(Compression::Gzip, b"\x1f\x9d\x90");
    assert_eq!(f.error().kind(), &ScanErrorKind::GzipMagic(0x9d));
    assert_eq!(f.error().offset(), 1);

    let mut method = blob.clone();
    method[2] = 7;
    assert_eq!(
        fail(Compression::Gzip, &method).error().kind(),
        &ScanErrorKind::GzipMethod(7)
    );

    let mut flags = blob.clone();
    flags[3] = 0x20;
    let f = fail(Compression::Gzip, &flags);
    assert_eq!(f.error().kind(), &ScanErrorKind::GzipReservedFlags(0x20));
    assert_eq!(f.error().offset(), 3);

    let mut hcrc = gzip_member(
        &tar,
        &GzipOptions {
            header_crc: true,
            ..GzipOptions::default()
        },
    );
    hcrc[10] ^= 1;
    let f = fail(Compression::Gzip, &hcrc);
    assert!(matches!(
        f.error().kind(),
        ScanErrorKind::GzipHeaderCrc { .. }
    ));
    assert_eq!(f.error().offset(), 10);

    // An invalid deflate block type (BTYPE = 11) in the first block.
    let mut corrupt = blob.clone();
    corrupt[10] |= 0b110;
    let f = fail(Compression::Gzip, &corrupt);
    assert!(
        matches!(
            f.error().kind(),
            ScanErrorKind::GzipCorrupt { member: 1, .. }
        ),
        "{:?}",
        f.error()
    );
    assert!(
        f.error().offset() >= 10 && f.error().offset() <= 12,
        "{}",
        f.error()
    );
}

#[test]
fn errors_are_sticky_and_partial_results_kept() {
    let (tar, _) = small_layer();
    let mut blob = gzip(&tar);
    let n = blob.len();
    blob[n - 8] ^= 1;
    let mut s = layerlens::layer::Scanner::new(Compression::Gzip, opts());
    let e1 = s.feed(&blob).unwrap_err();
    assert_eq!(s.feed(b"more").unwrap_err(), e1);
    assert_eq!(s.entries().len(), 20);
    let f = s.finish().unwrap_err();
    assert_eq!(f.error(), &e1);
    assert_eq!(f.tar_size(), tar.len() as u64);
}

// ------------------------------------------------------------ broken zstd

#[test]
fn broken_zstd() {
    let (tar, _) = small_layer();
    let blob = zstd(&tar);
    let n = blob.len();

    let f = fail(Compression::Zstd, &blob[..n - 10]);
    assert!(
        matches!(
            f.error().kind(),
            ScanErrorKind::ZstdTruncated { frame: 1, .. }
        ),
        "{:?}",
        f.error()
    );
    assert_eq!(f.error().offset(), (n - 10) as u64);

    let f = fail(Compression::Zstd, &[]);
    assert_eq!(
        f.error().kind(),
        &ScanErrorKind::ZstdTruncated {
            frame: 1,
            part: "empty stream"
        }
    );

    let mut bad_sum = blob.clone();
    bad_sum[n - 1] ^= 0xff;
    let f = fail(Compression::Zstd, &bad_sum);
    assert!(matches!(
        f.error().kind(),
        ScanErrorKind::ZstdChecksum { frame: 1, .. }
    ));
    assert_eq!(f.error().offset(), (n - 4) as u64);
    assert_eq!(f.entries().len(), 20);

    let f = fail(Compression::Zstd, &[&blob[..], b"junk"].concat());
    assert_eq!(
        f.error().kind(),
        &ScanErrorKind::TrailingGarbage {
            after: "zstd frame"
        }
    );
    assert_eq!(f.error().offset(), n as u64);

    let f = fail(Compression::Zstd, &tar);
    assert!(matches!(f.error().kind(), ScanErrorKind::ZstdMagic(_)));

    // A frame declaring a 1 GiB window (Window_Descriptor exponent 20).
    let mut huge = vec![0x28, 0xb5, 0x2f, 0xfd, 0x00, 20 << 3];
    huge.extend_from_slice(&[1, 0, 0]); // a last raw block of size 0
    let f = fail(Compression::Zstd, &huge);
    assert_eq!(
        f.error().kind(),
        &ScanErrorKind::ZstdWindowTooLarge {
            declared: 1 << 30,
            max: 128 << 20
        }
    );
    assert!(f.error().to_string().contains("window"));
    // The same frame with a 1 KiB window decodes (to an empty tar stream).
    huge[5] = 0;
    let scan = scan_all(Compression::Zstd, &huge, &opts()).unwrap();
    assert_eq!((scan.tar_size(), scan.entries().len()), (0, 0));

    // Reserved block type.
    let mut reserved = vec![0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x00];
    reserved.extend_from_slice(&[0b111, 0, 0]);
    let f = fail(Compression::Zstd, &reserved);
    assert_eq!(
        f.error().kind(),
        &ScanErrorKind::ZstdBlock("reserved block type")
    );
    assert_eq!(f.error().offset(), 6);
}

// ------------------------------------------------------------ broken tar

#[test]
fn bad_tar_checksum_keeps_earlier_entries() {
    let (mut tar, second) = small_layer();
    // Corrupt the name of the last member: its header no longer sums.
    let last = second - 3584; // 3000 data bytes -> 6 blocks + header = 3584
    tar[last as usize] ^= 0x40;
    for (compression, blob) in [
        (Compression::None, tar.clone()),
        (Compression::Gzip, gzip(&tar)),
    ] {
        let f = fail(compression, &blob);
        assert!(
            matches!(f.error().kind(), ScanErrorKind::TarChecksum { .. }),
            "{:?}",
            f.error()
        );
        assert_eq!(
            (f.error().offset(), f.error().stream()),
            (last, Stream::Tar)
        );
        assert_eq!(f.entries().len(), 19);
        assert!(f.error().to_string().contains("checksum"));
    }
}

#[test]
fn signed_checksums_are_accepted() {
    let mut t = TarBuilder::new(Flavour::Ustar);
    t.member(&Member::file(b"\xe9t\xe9", b""));
    let mut tar = t.finish();
    // Rewrite the checksum as the signed sum (old Sun tar).
    tar[148..156].fill(b' ');
    let signed: i64 = tar[..512].iter().map(|&b| i64::from(b as i8)).sum();
    tar[148..156].copy_from_slice(format!("{signed:06o}\0 ").as_bytes());
    let scan = scan_all(Compression::None, &tar, &opts()).unwrap();
    assert_eq!(scan.entries()[0].path, b"\xe9t\xe9");
}

#[test]
fn truncated_tar() {
    let (tar, _) = small_layer();
    // Inside the data of the third entry (header at 2 * 3584).
    let cut = 2 * 3584 + 512 + 100;
    for (compression, blob) in [
        (Compression::None, tar[..cut].to_vec()),
        (Compression::Gzip, gzip(&tar[..cut])),
        (Compression::Zstd, zstd(&tar[..cut])),
    ] {
        let f = fail(compression, &blob);
        assert_eq!(
            f.error().kind(),
            &ScanErrorKind::TarTruncated {
                part: "entry data",
                start: 2 * 3584,
                missing: 3000 - 100 + (512 - 3000 % 512)
            }
        );
        assert_eq!(
            (f.error().offset(), f.error().stream()),
            (cut as u64, Stream::Tar)
        );
        assert_eq!(f.entries().len(), 2);
    }
    // Inside the padding after the data: the entry itself is complete.
    let f = fail(Compression::None, &tar[..2 * 3584 + 512 + 3000 + 10]);
    assert_eq!(
        f.error().kind(),
        &ScanErrorKind::TarTruncated {
            part: "padding after entry data",
            start: 2 * 3584,
            missing: 512 - 3000 % 512 - 10
        }
    );
    assert_eq!(f.entries().len(), 3);
    // Inside a header.
    let f = fail(Compression::None, &tar[..3584 + 200]);
    assert_eq!(
        f.error().kind(),
        &ScanErrorKind::TarTruncated {
            part: "header",
            start: 3584,
            missing: 312
        }
    );
}

#[test]
fn giant_pax_and_long_names_are_refused() {
    let mut t = TarBuilder::new(Flavour::Pax);
    t.member(&Member::file(b"before", b""));
    let at = t.offset();
    let big = vec![b'a'; (1 << 20) + 1];
    t.pax(&[(b"comment", &big)], false);
    t.member(&Member::file(b"after", b""));
    let f = scan_all(Compression::Gzip, &gzip(&t.finish()), &opts()).unwrap_err();
    assert!(matches!(
        f.error().kind(),
        ScanErrorKind::PaxTooLarge { max: 1_048_576, .. }
    ));
    assert_eq!(f.error().offset(), at);
    assert_eq!(paths(f.entries()), vec![&b"before"[..]]);

    // The cap is configurable, and a global header is bounded the same way.
    let mut t = TarBuilder::new(Flavour::Pax);
    t.pax(&[(b"comment", &[b'b'; 5000])], true);
    let tar = t.finish();
    let small = ScanOptions {
        max_pax_size: 4096,
        ..ScanOptions::default()
    };
    let f = scan_all(Compression::None, &tar, &small).unwrap_err();
    assert!(matches!(
        f.error().kind(),
        ScanErrorKind::PaxTooLarge { max: 4096, .. }
    ));
    assert!(scan_all(Compression::None, &tar, &opts()).is_ok());

    let mut t = TarBuilder::new(Flavour::Gnu);
    t.member(&Member::file(&vec![b'n'; 70_000], b""));
    let f = scan_all(Compression::None, &t.finish(), &opts()).unwrap_err();
    assert!(matches!(
        f.error().kind(),
        ScanErrorKind::NameTooLong { max: 65_536, .. }
    ));
    assert_eq!(f.error().offset(), 0);
}

#[test]
fn malformed_pax_records() {
    for data in [
        &b"10 path=ab"[..],
        b"abc path=x\n",
        b"6 pathx\n",
        b"12 uid=12x3\n",
    ] {
        let mut t = TarBuilder::new(Flavour::Pax);
        t.special(b'x', b"PaxHeaders/x", data);
        t.member(&Member::file(b"f", b""));
        let f = scan_all(Compression::None, &t.finish(), &opts()).unwrap_err();
        assert!(
            matches!(f.error().kind(), ScanErrorKind::PaxRecord(_)),
            "{:?}: {:?}",
            data.escape_ascii().to_string(),
            f.error()
        );
        assert_eq!(f.error().offset(), 0);
    }
}

#[test]
fn too_many_entries() {
    let mut t = TarBuilder::new(Flavour::Ustar);
    for i in 0..10 {
        t.member(&Member::file(format!("f{i}").as_bytes(), b""));
    }
    let tar = t.finish();
    let capped = ScanOptions {
        max_entries: 7,
        ..ScanOptions::default()
    };
    let f = scan_all(Compression::None, &tar, &capped).unwrap_err();
    assert_eq!(f.error().kind(), &ScanErrorKind::TooManyEntries { max: 7 });
    assert_eq!(f.error().offset(), 7 * 512);
    assert_eq!(f.entries().len(), 7);
    assert!(scan_all(Compression::None, &tar, &opts()).is_ok());
}

#[test]
fn bad_numbers_are_errors() {
    let mut t = TarBuilder::new(Flavour::Ustar);
    let m = Member::file(b"f", b"");
    let mut h = t.header(&m, b"f", b"", b"", 0);
    h[124..136].copy_from_slice(b"0000000009x\0");
    seal(&mut h);
    t.raw(&h);
    let f = scan_all(Compression::None, &t.finish(), &opts()).unwrap_err();
    assert_eq!(
        f.error().kind(),
        &ScanErrorKind::TarNumber { field: "size" }
    );
}

#[test]
fn huge_sizes_in_base256_are_honoured() {
    // A GNU header announcing 9 GiB of data (base-256), then the stream ends:
    // the scanner skips data by count, so the error says how much is missing.
    let mut t = TarBuilder::new(Flavour::Gnu);
    let mut m = Member::file(b"huge", b"");
    m.size_field = Some(9 << 30);
    let h = t.header(&m, b"huge", b"", b"", 9 << 30);
    assert_eq!(h[124], 0x80, "base-256 size");
    t.raw(&h);
    t.raw(&[7u8; 4096]);
    let f = scan_all(Compression::Gzip, &gzip(&t.out), &opts()).unwrap_err();
    assert_eq!(
        f.error().kind(),
        &ScanErrorKind::TarTruncated {
            part: "entry data",
            start: 0,
            missing: (9 << 30) - 4096
        }
    );
    assert_eq!(f.error().offset(), 512 + 4096);
}

#[test]
fn zstd_content_size_must_match() {
    // Single-segment frame declaring 5 bytes (1-byte Frame_Content_Size),
    // holding one last raw block of 3.
    let frame = |declared: u8| {
        let mut f = vec![0x28, 0xb5, 0x2f, 0xfd, 0x20, declared];
        f.extend_from_slice(&[(3 << 3) | 1, 0, 0]);
        f.extend_from_slice(b"abc");
        f
    };
    let f = scan_all(Compression::Zstd, &frame(5), &opts()).unwrap_err();
    assert!(
        matches!(f.error().kind(), ScanErrorKind::ZstdCorrupt { frame: 1, detail } if detail.contains("declares 5")),
        "{:?}",
        f.error()
    );
    // Declared right, the 3 bytes reach the tar reader (a truncated header).
    let f = scan_all(Compression::Zstd, &frame(3), &opts()).unwrap_err();
    assert_eq!(
        f.error().kind(),
        &ScanErrorKind::TarTruncated {
            part: "header",
            start: 0,
            missing: 509
        }
    );
}

#[test]
fn names_and_total_metadata_are_capped() {
    // A PAX path is a name like any other: capped by max_name_len.
    let mut t = TarBuilder::new(Flavour::Pax);
    t.member(&Member::file(b"ok", b""));
    let at = t.offset();
    t.member(&Member::file(&vec![b'p'; 70_000], b""));
    let f = scan_all(Compression::None, &t.finish(), &opts()).unwrap_err();
    assert_eq!(
        f.error().kind(),
        &ScanErrorKind::NameTooLong {
            size: 70_000,
            max: 65_536
        }
    );
    // The PAX header comes first; the error is at the entry's own header.
    assert!(f.error().offset() > at);
    assert_eq!(paths(f.entries()), vec![&b"ok"[..]]);

    // Many entries with long names: the total is capped.
    let mut t = TarBuilder::new(Flavour::Pax);
    for i in 0..50 {
        t.member(&Member::file(
            &[format!("{i:04}").as_bytes(), &[b'n'; 2000]].concat(),
            b"",
        ));
    }
    let tar = t.finish();
    let capped = ScanOptions {
        max_metadata_bytes: 30_000,
        ..ScanOptions::default()
    };
    let f = scan_all(Compression::None, &tar, &capped).unwrap_err();
    assert_eq!(
        f.error().kind(),
        &ScanErrorKind::MetadataTooLarge { max: 30_000 }
    );
    let kept = f.entries().len();
    assert!(
        (10..15).contains(&kept),
        "{kept} entries of ~2.2 KB fit in 30 KB"
    );
    assert!(scan_all(Compression::None, &tar, &opts()).is_ok());
}

#[test]
fn random_damage_never_panics_and_chunking_never_matters() {
    let mut rng = Rng(0xbad_c0de);
    let mut t = TarBuilder::new(Flavour::Pax);
    for i in 0..6 {
        let name = format!("d/{}{i}", "x".repeat(rng.below(150) as usize));
        let len = rng.below(2000) as usize;
        t.member(&Member::file(name.as_bytes(), &rng.text(len)));
    }
    t.pax(&[(b"uid", b"1"), (b"path", b"pax-named")], false);
    t.member(&Member::symlink(b"l", b"target"));
    let tar = t.finish();
    let blobs = [
        (Compression::None, tar.clone()),
        (Compression::Gzip, gzip(&tar)),
        (Compression::Zstd, zstd(&tar)),
    ];
    let mut failures = 0;
    for round in 0..150 {
        for (compression, blob) in &blobs {
            let mut damaged = blob.clone();
            if round % 5 == 0 {
                damaged.truncate(rng.below(blob.len() as u64) as usize);
            } else {
                for _ in 0..1 + rng.below(3) {
                    let i = rng.below(damaged.len() as u64) as usize;
                    damaged[i] ^= 1 << rng.below(8);
                }
            }
            // scan_all asserts that every chunking gives the same outcome.
            if scan_all(*compression, &damaged, &opts()).is_err() {
                failures += 1;
            }
        }
    }
    // Most damage must be noticed (a flipped bit in tar padding or in a
    // file's content is not, for an uncompressed layer: only the digest
    // check catches that).
    assert!(failures > 300, "{failures} of 450 damaged layers failed");
}
