//! The layer scanner against layers built in code: every tar dialect and
//! entry type, every compression, fed in seeded random chunk sizes from one
//! byte to 1 MiB; then hostile and broken inputs, each with its error and
//! offset.

use layerlens::layer::{
    EndOfArchive, Entry, EntryKind, ExtractTarget, LayerProblem, LayerScan, ScanErrorKind,
    ScanOptions, Stream,
};
use layerlens::oci::digest::VerifyError;
use layerlens::oci::{Algorithm, Compression, Digest};
use layerlens_testkit::tar::*;
use sha2::{Digest as _, Sha512};

fn opts() -> ScanOptions {
    ScanOptions::default()
}

fn hashing() -> ScanOptions {
    ScanOptions {
        hash_contents: true,
        ..ScanOptions::default()
    }
}

/// Compresses `tar` every way, scans each with every chunking, checks both
/// digests against sha2 computed here, and returns the (identical) entries.
fn scan_every_way(tar: &[u8], options: &ScanOptions) -> LayerScan {
    let mut first: Option<LayerScan> = None;
    for (compression, blob) in [
        (Compression::None, tar.to_vec()),
        (Compression::Gzip, gzip(tar)),
        (Compression::Zstd, zstd(tar)),
    ] {
        let scan = scan_all(compression, &blob, options)
            .unwrap_or_else(|f| panic!("{compression:?}: {f}"));
        assert_eq!(scan.compression(), compression);
        assert_eq!(
            scan.blob_digest().hex(),
            sha256_hex(&blob),
            "{compression:?} blob digest"
        );
        assert_eq!(scan.compressed_size(), blob.len() as u64);
        assert_eq!(
            scan.diff_id().hex(),
            sha256_hex(tar),
            "{compression:?} diff_id"
        );
        assert_eq!(scan.tar_size(), tar.len() as u64);
        if let Some(f) = &first {
            assert_eq!(
                f.entries(),
                scan.entries(),
                "{compression:?} entries differ"
            );
            assert_eq!(
                f.problems(),
                scan.problems(),
                "{compression:?} problems differ"
            );
        } else {
            first = Some(scan);
        }
    }
    first.unwrap()
}

fn expect(kind: EntryKind, path: &[u8], offset: u64) -> Entry {
    Entry {
        path: path.to_vec(),
        kind,
        mode: 0o644,
        uid: 0,
        gid: 0,
        uname: b"root".to_vec(),
        gname: b"root".to_vec(),
        size: 0,
        mtime: 1_700_000_000,
        link_target: None,
        dev_major: 0,
        dev_minor: 0,
        content_sha256: None,
        offset,
    }
}

fn paths(scan: &[Entry]) -> Vec<&[u8]> {
    scan.iter().map(|e| e.path.as_slice()).collect()
}

// ------------------------------------------------------------ entry types

#[test]
fn every_entry_type_in_every_flavour_and_compression() {
    for flavour in [Flavour::Ustar, Flavour::Gnu, Flavour::Pax] {
        let mut t = TarBuilder::new(flavour);
        let o_root = t.member(&Member::dir(b"./"));
        let o_dir = t.member(
            &Member::dir(b"./etc/")
                .mode(0o1777)
                .owner(1000, 1001, b"alice", b"staff"),
        );
        let o_file = t.member(&Member::file(b"./etc/passwd", b"root:x:0:0\n").mode(0o4755));
        let o_link = t.member(&Member::symlink(b"etc/link", b"../usr/bin/../x"));
        let o_hard = t.member(&Member::hardlink(b"etc/hard", b"./etc//passwd"));
        let o_chr = t.member(&Member::device(b'3', b"dev/null", 1, 3));
        let o_blk = t.member(&Member::device(b'4', b"dev/sda", 8, 0).mode(0o660));
        let o_fifo = t.member(&Member::new(b'6', b"run/fifo").mode(0o600));
        let o_old = t.member(&Member::new(b'7', b"contig").mtime(0));
        let tar = t.finish();

        let scan = scan_every_way(&tar, &opts());
        assert!(scan.problems().is_empty(), "{:?}", scan.problems());
        assert_eq!(scan.end_of_archive(), EndOfArchive::Marker);

        let mut root = expect(EntryKind::Directory, b"", o_root);
        root.mode = 0o755;
        let mut dir = expect(EntryKind::Directory, b"etc", o_dir);
        dir.mode = 0o1777;
        dir.uid = 1000;
        dir.gid = 1001;
        dir.uname = b"alice".to_vec();
        dir.gname = b"staff".to_vec();
        let mut file = expect(EntryKind::File, b"etc/passwd", o_file);
        file.mode = 0o4755;
        file.size = 11;
        let mut link = expect(EntryKind::Symlink, b"etc/link", o_link);
        link.mode = 0o777;
        link.link_target = Some(b"../usr/bin/../x".to_vec());
        let mut hard = expect(EntryKind::HardLink, b"etc/hard", o_hard);
        hard.link_target = Some(b"etc/passwd".to_vec());
        let mut chr = expect(EntryKind::CharDevice, b"dev/null", o_chr);
        chr.dev_major = 1;
        chr.dev_minor = 3;
        let mut blk = expect(EntryKind::BlockDevice, b"dev/sda", o_blk);
        blk.mode = 0o660;
        blk.dev_major = 8;
        let mut fifo = expect(EntryKind::Fifo, b"run/fifo", o_fifo);
        fifo.mode = 0o600;
        let mut old = expect(EntryKind::File, b"contig", o_old);
        old.mtime = 0;
        assert_eq!(
            scan.entries(),
            &[root, dir, file, link, hard, chr, blk, fifo, old],
            "{flavour:?}"
        );
    }
}

#[test]
fn v7_headers_and_trailing_slash_directories() {
    let mut t = TarBuilder::new(Flavour::V7);
    let o_dir = t.member(&Member::new(0, b"olddir/").mode(0o755));
    let o_file = t.member(&Member::file(b"olddir/file", b"v7").mode(0o600));
    let mut tar = t.finish();
    let scan = scan_every_way(&tar, &opts());
    let e = scan.entries();
    assert_eq!(e.len(), 2);
    assert_eq!(
        (e[0].kind, e[0].path.as_slice(), e[0].offset),
        (EntryKind::Directory, &b"olddir"[..], o_dir)
    );
    assert_eq!(
        (e[1].kind, e[1].size, e[1].offset),
        (EntryKind::File, 2, o_file)
    );
    // V7 has no owner names even if the bytes happen to be there.
    assert!(e[1].uname.is_empty() && e[1].gname.is_empty());
    // File-type bits in the mode field are dropped.
    tar.truncate(0);
    let mut t = TarBuilder::new(Flavour::Ustar);
    t.member(&Member::file(b"f", b"").mode(0o100644));
    let scan = scan_every_way(&t.finish(), &opts());
    assert_eq!(scan.entries()[0].mode, 0o644);
}

#[test]
fn ustar_prefix_joins_long_names() {
    let dir = [b'd'; 120];
    let mut name = dir.to_vec();
    name.extend_from_slice(b"/");
    name.extend_from_slice(&[b'f'; 90]);
    let mut t = TarBuilder::new(Flavour::Ustar);
    t.member(&Member::file(&name, b"x"));
    let tar = t.finish();
    // The header really uses the prefix field.
    assert_eq!(&tar[345..465], &dir[..]);
    let scan = scan_every_way(&tar, &opts());
    assert_eq!(scan.entries()[0].path, name);
}

#[test]
fn long_names_and_links_gnu_and_pax() {
    // Non-UTF-8 bytes inside the long names too.
    let long: Vec<u8> = (0..40)
        .flat_map(|i| [format!("component{i}").into_bytes(), vec![0xff, b'/']].concat())
        .collect();
    let long_file = [&long[..], b"file"].concat();
    let long_target = [b"/".as_slice(), &long, b"target"].concat();
    for flavour in [Flavour::Gnu, Flavour::Pax] {
        let mut t = TarBuilder::new(flavour);
        t.member(&Member::file(&long_file, b"data"));
        t.member(&Member::symlink(b"s", &long_target));
        t.member(&Member::hardlink(
            &[&long[..], b"hard"].concat(),
            &long_file,
        ));
        // A long name applies to the next entry only.
        t.member(&Member::file(b"short", b""));
        let tar = t.finish();
        let scan = scan_every_way(&tar, &opts());
        let e = scan.entries();
        assert_eq!(e.len(), 4, "{flavour:?}");
        assert_eq!(e[0].path, long_file, "{flavour:?}");
        assert_eq!(e[0].size, 4);
        assert_eq!(e[1].link_target.as_deref(), Some(&long_target[..]));
        assert_eq!(e[2].path, [&long[..], b"hard"].concat());
        assert_eq!(e[2].link_target.as_deref(), Some(&long_file[..]));
        assert_eq!(e[3].path, b"short");
        assert_eq!(e[3].link_target, None);
    }
}

#[test]
fn non_utf8_names_survive() {
    let name: &[u8] = b"caf\xe9/\xff\xfe\x01name";
    let target: &[u8] = b"\x80\x81/target";
    for flavour in [Flavour::Ustar, Flavour::Gnu, Flavour::Pax] {
        let mut t = TarBuilder::new(flavour);
        t.member(&Member::file(name, b"x"));
        t.member(&Member::symlink(b"l", target));
        let scan = scan_every_way(&t.finish(), &opts());
        assert_eq!(scan.entries()[0].path, name, "{flavour:?}");
        assert_eq!(scan.entries()[1].link_target.as_deref(), Some(target));
    }
}

// ------------------------------------------------------------ numbers, PAX

#[test]
fn base256_numbers() {
    let mut t = TarBuilder::new(Flavour::Gnu);
    // uid beyond octal's 7 digits, negative mtime, and a size written in
    // base-256 although octal would fit.
    let mut m = Member::file(b"big", b"0123456789").owner(3_000_000, 4_000_000_000, b"u", b"g");
    m.mtime = -86_400;
    m.base256 = true;
    t.member(&m);
    let mut m = Member::device(b'3', b"dev/x", 300, 70_000);
    m.base256 = true;
    t.member(&m);
    let tar = t.finish();
    assert_eq!(tar[124] & 0x80, 0x80, "size is base-256");
    let scan = scan_every_way(&tar, &opts());
    let e = &scan.entries()[0];
    assert_eq!(
        (e.uid, e.gid, e.mtime, e.size),
        (3_000_000, 4_000_000_000, -86_400, 10)
    );
    let d = &scan.entries()[1];
    assert_eq!((d.dev_major, d.dev_minor), (300, 70_000));
}

#[test]
fn pax_overrides_every_field() {
    let mut t = TarBuilder::new(Flavour::Pax);
    t.pax(
        &[
            (b"path", b"pax/path"),
            (b"uid", b"5000000"),
            (b"gid", b"6000000"),
            (b"uname", b"p\xe4x"),
            (b"gname", b"grp"),
            (b"mtime", b"1700000000.987654321"),
            (b"SCHILY.xattr.security.capability", b"\x01\x00\x00\x02"),
            (b"size", b"5"),
        ],
        false,
    );
    // The header says size 0 and another name: PAX wins, and the 5 data
    // bytes are skipped correctly.
    let mut m = Member::file(b"header/name", b"hello");
    m.size_field = Some(0);
    let o = t.member(&m);
    t.pax(&[(b"linkpath", b"pax/target"), (b"mtime", b"-1.25")], false);
    t.member(&Member::symlink(b"link", b"header-target"));
    t.member(&Member::file(b"after", b"plain"));
    let scan = scan_every_way(&t.finish(), &opts());
    let e = scan.entries();
    assert_eq!(e.len(), 3);
    assert_eq!(e[0].path, b"pax/path");
    assert_eq!(e[0].offset, o);
    assert_eq!((e[0].uid, e[0].gid), (5_000_000, 6_000_000));
    assert_eq!(
        (e[0].uname.as_slice(), e[0].gname.as_slice()),
        (&b"p\xe4x"[..], &b"grp"[..])
    );
    assert_eq!(e[0].mtime, 1_700_000_000);
    assert_eq!(e[0].size, 5);
    assert_eq!(e[1].link_target.as_deref(), Some(&b"pax/target"[..]));
    assert_eq!(e[1].mtime, -2, "fractional negative times floor");
    // A PAX header applies to one entry only.
    assert_eq!(
        (e[2].path.as_slice(), e[2].uid, e[2].mtime),
        (&b"after"[..], 0, 1_700_000_000)
    );
}

#[test]
fn pax_global_headers_apply_to_later_entries() {
    let mut t = TarBuilder::new(Flavour::Pax);
    t.member(&Member::file(b"before", b""));
    t.pax(
        &[
            (b"uid", b"77"),
            (b"uname", b"global"),
            (b"path", b"ignored"),
            (b"comment", b"git"),
        ],
        true,
    );
    t.member(&Member::file(b"one", b""));
    // A local record beats the global one; an empty local value deletes it
    // (the header field applies again).
    t.pax(&[(b"uid", b"88"), (b"uname", b"")], false);
    t.member(&Member::file(b"two", b"").owner(5, 5, b"hdr", b"hdr"));
    t.member(&Member::file(b"three", b""));
    let scan = scan_every_way(&t.finish(), &opts());
    let got: Vec<(&[u8], u64, &[u8])> = scan
        .entries()
        .iter()
        .map(|e| (e.path.as_slice(), e.uid, e.uname.as_slice()))
        .collect();
    assert_eq!(
        got,
        vec![
            (&b"before"[..], 0, &b"root"[..]),
            (b"one", 77, b"global"),
            (b"two", 88, b"hdr"),
            (b"three", 77, b"global"),
        ]
    );
}

#[test]
fn sparse_files_report_their_real_size() {
    // Old GNU sparse ('S'): sparse map in the header, continued in one
    // extension block; realsize at 483; the header's size is the stored data.
    let mut t = TarBuilder::new(Flavour::Gnu);
    let stored = vec![b's'; 700];
    let mut m = Member::new(b'S', b"sparse-old");
    m.data = Vec::new();
    m.size_field = Some(stored.len() as u64);
    let mut h = t.header(&m, b"sparse-old", b"", b"", stored.len() as u64);
    h[482] = 1; // isextended
    h[483..495].copy_from_slice(b"00000100000\0"); // realsize = 0o100000
    seal(&mut h);
    let o_old = t.offset();
    t.raw(&h);
    let mut ext = [0u8; BLOCK];
    ext[504] = 0; // no further extension blocks
    ext[0] = b'1';
    t.raw(&ext);
    t.raw(&stored);
    t.raw(&vec![0u8; 1024 - 700]);
    // PAX sparse 1.0: name and real size in records, map + data stored.
    t.pax(
        &[
            (b"GNU.sparse.major", b"1"),
            (b"GNU.sparse.minor", b"0"),
            (b"GNU.sparse.name", b"dir/sparse-pax"),
            (b"GNU.sparse.realsize", b"1048576"),
        ],
        false,
    );
    let o_pax = t.member(&Member::file(
        b"dir/GNUSparseFile.0/sparse-pax",
        &[b'm'; 600],
    ));
    t.member(&Member::file(b"after", b"ok"));
    let scan = scan_every_way(&t.finish(), &hashing());
    let e = scan.entries();
    assert_eq!(
        paths(e),
        vec![&b"sparse-old"[..], b"dir/sparse-pax", b"after"]
    );
    assert_eq!(
        (e[0].kind, e[0].size, e[0].offset),
        (EntryKind::File, 0o100000, o_old)
    );
    assert_eq!((e[1].size, e[1].offset), (1_048_576, o_pax));
    assert_eq!(e[0].content_sha256, None, "sparse content is not hashed");
    assert_eq!(e[1].content_sha256, None);
    assert_eq!(e[2].content_sha256, Some(sha256(b"ok")));
}

// ------------------------------------------------------------ paths

#[test]
fn paths_are_normalised_and_escapes_rejected() {
    let mut t = TarBuilder::new(Flavour::Pax);
    t.member(&Member::file(b"/abs/file", b""));
    t.member(&Member::dir(b"./a//b/./c/"));
    let o_escape = t.member(&Member::file(b"../etc/passwd", b"evil"));
    let o_escape2 = t.member(&Member::file(b"/../x", b""));
    t.member(&Member::file(b"a/../inside", b""));
    let o_bad_link = t.member(&Member::hardlink(b"h", b"a/../../out"));
    t.member(&Member::hardlink(b"h2", b"/abs/./file"));
    let o_empty = t.member(&Member::file(b"./", b"x"));
    t.member(&Member::file(b"last", b"still here"));
    let scan = scan_every_way(&t.finish(), &opts());
    assert_eq!(
        paths(scan.entries()),
        vec![&b"abs/file"[..], b"a/b/c", b"inside", b"h2", b"last"]
    );
    assert_eq!(
        scan.entries()[3].link_target.as_deref(),
        Some(&b"abs/file"[..])
    );
    let problems: Vec<(ScanErrorKind, u64, Stream)> = scan
        .problems()
        .iter()
        .map(|p| (p.kind().clone(), p.offset(), p.stream()))
        .collect();
    assert_eq!(
        problems,
        vec![
            (
                ScanErrorKind::PathEscapesRoot {
                    what: "path",
                    path: b"../etc/passwd".to_vec()
                },
                o_escape,
                Stream::Tar
            ),
            (
                ScanErrorKind::PathEscapesRoot {
                    what: "path",
                    path: b"/../x".to_vec()
                },
                o_escape2,
                Stream::Tar
            ),
            (
                ScanErrorKind::PathEscapesRoot {
                    what: "hard link target",
                    path: b"a/../../out".to_vec()
                },
                o_bad_link,
                Stream::Tar
            ),
            (
                ScanErrorKind::InvalidPath {
                    what: "path",
                    path: b"./".to_vec(),
                    reason: "it names the root, which only a directory can be"
                },
                o_empty,
                Stream::Tar
            ),
        ]
    );
    let msg = scan.problems()[0].to_string();
    assert!(
        msg.contains("../etc/passwd") && msg.contains("escapes the root"),
        "{msg}"
    );
}

#[test]
fn unsupported_types_are_listed_and_skipped() {
    let mut t = TarBuilder::new(Flavour::Gnu);
    let mut label = Member::new(b'V', b"volume label");
    label.data = b"ignored".to_vec();
    t.member(&label);
    let mut multi = Member::new(b'M', b"continued");
    multi.data = vec![7; 1000];
    let o = t.member(&multi);
    let mut dump = Member::new(b'D', b"dumpdir/");
    dump.data = b"Yfile\0\0".to_vec();
    t.member(&dump);
    t.member(&Member::file(b"next", b"fine"));
    let scan = scan_every_way(&t.finish(), &opts());
    assert_eq!(paths(scan.entries()), vec![&b"dumpdir"[..], b"next"]);
    assert_eq!(scan.entries()[0].kind, EntryKind::Directory);
    assert_eq!(scan.problems().len(), 1);
    assert_eq!(
        scan.problems()[0].kind(),
        &ScanErrorKind::UnsupportedEntryType {
            typeflag: b'M',
            path: b"continued".to_vec()
        }
    );
    assert_eq!(scan.problems()[0].offset(), o);
}

// ------------------------------------------------------------ content

/// A file's name and content.
type NamedData = (Vec<u8>, Vec<u8>);

fn mixed_layer(rng: &mut Rng) -> (Vec<u8>, Vec<NamedData>) {
    let mut t = TarBuilder::new(Flavour::Pax);
    let mut files = Vec::new();
    for i in 0..60 {
        let len = match i % 6 {
            0 => 0,
            1 => 511,
            2 => 512,
            3 => 513,
            4 => rng.below(5000) as usize,
            _ => 150_000 + rng.below(100_000) as usize,
        };
        let data = rng.text(len);
        let name = format!("dir{}/file{i}.txt", i % 7).into_bytes();
        t.member(&Member::file(&name, &data));
        files.push((name, data));
    }
    t.member(&Member::hardlink(b"hard", b"dir0/file0.txt"));
    (t.finish(), files)
}

#[test]
fn content_hashes_and_digests_over_a_multi_megabyte_layer() {
    let mut rng = Rng(0x5eed);
    let (tar, files) = mixed_layer(&mut rng);
    assert!(
        tar.len() > 3 << 19,
        "big enough for 1 MiB chunks: {}",
        tar.len()
    );
    let scan = scan_every_way(&tar, &hashing());
    for (entry, (name, data)) in scan.entries().iter().zip(&files) {
        assert_eq!(&entry.path, name);
        assert_eq!(entry.size, data.len() as u64);
        assert_eq!(
            entry.content_sha256,
            Some(sha256(data)),
            "{}",
            name.escape_ascii()
        );
    }
    assert_eq!(
        scan.entries().last().unwrap().content_sha256,
        None,
        "hard links carry no content"
    );
    // Without content hashing nothing is hashed, the rest is the same.
    let plain = scan_all(Compression::Gzip, &gzip(&tar), &opts()).unwrap();
    assert!(plain.entries().iter().all(|e| e.content_sha256.is_none()));
    assert_eq!(paths(plain.entries()), paths(scan.entries()));
}

#[test]
fn other_digest_algorithms() {
    let mut t = TarBuilder::new(Flavour::Ustar);
    t.member(&Member::file(b"f", b"x"));
    let tar = t.finish();
    let blob = gzip(&tar);
    let options = ScanOptions {
        blob_algorithm: Algorithm::Sha512,
        diff_id_algorithm: Algorithm::Sha512,
        ..ScanOptions::default()
    };
    for (compression, blob) in [(Compression::Gzip, &blob), (Compression::None, &tar)] {
        let scan = scan_all(compression, blob, &options).unwrap();
        let hex = |d: &[u8]| -> String {
            Sha512::digest(d)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        };
        assert_eq!(scan.blob_digest().algorithm(), Algorithm::Sha512);
        assert_eq!(scan.blob_digest().hex(), hex(blob));
        assert_eq!(scan.diff_id().hex(), hex(&tar));
    }
}

// ------------------------------------------------------------ gzip and zstd framing

#[test]
fn multi_member_gzip() {
    let mut rng = Rng(99);
    let (tar, _) = mixed_layer(&mut rng);
    // Members cut at arbitrary (non-block) positions, one of them empty.
    let cuts = [1, 1000, 1000, 777_777, tar.len() / 2 + 3];
    let blob = gzip_members(&tar, &cuts);
    let scan = scan_all(Compression::Gzip, &blob, &hashing()).unwrap();
    assert_eq!(scan.gzip().unwrap().members, cuts.len() as u64 + 1);
    assert_eq!(scan.diff_id().hex(), sha256_hex(&tar));
    assert_eq!(scan.entries().len(), 61);
}

#[test]
fn gzip_header_fields() {
    let mut t = TarBuilder::new(Flavour::Ustar);
    t.member(&Member::file(b"f", b"content"));
    let tar = t.finish();
    let o = GzipOptions {
        name: Some(b"layer.tar".to_vec()),
        comment: Some(b"made by \xfftests".to_vec()),
        extra: Some(b"AB\x02\x00hi".to_vec()),
        header_crc: true,
        mtime: 1_234_567,
    };
    // Two members: the first with every optional field, the second with
    // none; the tar is split between them at a non-block position.
    let mut blob = gzip_member(&tar[..700], &o);
    blob.extend(gzip_member(&tar[700..], &GzipOptions::default()));
    let scan = scan_all(Compression::Gzip, &blob, &opts()).unwrap();
    let info = scan.gzip().unwrap();
    assert_eq!(info.name.as_deref(), Some(&b"layer.tar"[..]));
    assert_eq!(info.comment.as_deref(), o.comment.as_deref());
    assert_eq!(info.extra.as_deref(), o.extra.as_deref());
    assert!(info.header_crc);
    assert_eq!((info.mtime, info.os, info.members), (1_234_567, 3, 2));
    assert_eq!(scan.entries().len(), 1);
    assert_eq!(scan.diff_id().hex(), sha256_hex(&tar));
}

#[test]
fn zstd_frames_and_skippable_frames() {
    let mut rng = Rng(5);
    let (tar, _) = mixed_layer(&mut rng);
    let cut = tar.len() / 3 + 17;
    let mut blob = zstd_skippable(0, b"leading metadata");
    blob.extend(zstd(&tar[..cut]));
    blob.extend(zstd_skippable(15, &[9; 70_000]));
    blob.extend(zstd(&tar[cut..]));
    blob.extend(zstd_skippable(3, b""));
    let scan = scan_all(Compression::Zstd, &blob, &hashing()).unwrap();
    assert_eq!(scan.diff_id().hex(), sha256_hex(&tar));
    assert_eq!(scan.blob_digest().hex(), sha256_hex(&blob));
    assert_eq!(scan.entries().len(), 61);
}

#[test]
fn zstd_from_the_reference_cli_when_present() {
    // Cross-check with frames written by the C implementation (window
    // descriptor, checksum, multi-block), if the tool is installed.
    let Ok(_) = std::process::Command::new("zstd").arg("--version").output() else {
        return;
    };
    let mut rng = Rng(11);
    let (tar, _) = mixed_layer(&mut rng);
    let dir = std::env::temp_dir().join(format!("layerlens-zstd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("layer.tar");
    std::fs::write(&input, &tar).unwrap();
    for check in ["--check", "--no-check"] {
        let out = std::process::Command::new("zstd")
            .args(["-q", "-f", "-3", check, "-c"])
            .arg(&input)
            .output()
            .unwrap();
        assert!(out.status.success());
        let scan = scan_all(Compression::Zstd, &out.stdout, &hashing()).unwrap();
        assert_eq!(scan.diff_id().hex(), sha256_hex(&tar), "{check}");
        assert_eq!(scan.entries().len(), 61);
    }
    std::fs::remove_dir_all(&dir).ok();
}

// ------------------------------------------------------------ end of archive

#[test]
fn end_of_archive_variants() {
    let mut t = TarBuilder::new(Flavour::Ustar);
    t.member(&Member::file(b"f", b"x"));
    let body = t.out.clone();
    let full = t.finish();

    let scan = scan_every_way(&body, &opts());
    assert_eq!(scan.end_of_archive(), EndOfArchive::Missing);
    assert_eq!(scan.entries().len(), 1);

    let one = [&body[..], &[0u8; 512]].concat();
    assert_eq!(
        scan_every_way(&one, &opts()).end_of_archive(),
        EndOfArchive::OneZeroBlock
    );

    // Zero padding to GNU tar's 10 KiB record size is fine.
    let mut padded = full.clone();
    padded.resize(10240, 0);
    assert_eq!(
        scan_every_way(&padded, &opts()).end_of_archive(),
        EndOfArchive::Marker
    );

    // Anything non-zero after the marker is not.
    let mut junk = padded.clone();
    junk[5000] = 1;
    let f = scan_all(Compression::None, &junk, &opts()).unwrap_err();
    assert_eq!(f.error().kind(), &ScanErrorKind::TarDataAfterEnd);
    assert_eq!(
        (f.error().offset(), f.error().stream()),
        (5000, Stream::Tar)
    );
    assert_eq!(f.entries().len(), 1);

    // A single zero block followed by a header is damage.
    let mut t = TarBuilder::new(Flavour::Ustar);
    t.member(&Member::file(b"a", b""));
    t.raw(&[0u8; 512]);
    let at = t.offset();
    t.member(&Member::file(b"b", b""));
    let f = scan_all(Compression::None, &t.finish(), &opts()).unwrap_err();
    assert!(matches!(f.error().kind(), ScanErrorKind::TarHeader(_)));
    assert_eq!(f.error().offset(), at);
}

// ------------------------------------------------------------ extraction

#[test]
fn extract_one_file_by_path_or_offset() {
    let mut rng = Rng(1234);
    let (tar, files) = mixed_layer(&mut rng);
    let (name, data) = &files[5]; // a large file
    assert!(data.len() > 150_000);
    for (compression, blob) in [
        (Compression::None, tar.clone()),
        (Compression::Gzip, gzip(&tar)),
        (Compression::Zstd, zstd(&tar)),
    ] {
        let by_path = ExtractTarget::path(&[b"./", &name[..]].concat()).unwrap();
        let got = extract_all(compression, &blob, &by_path);
        assert!(got.complete() && got.is_file());
        assert_eq!(got.bytes(), &data[..], "{compression:?}");
        let entry = got.entry().unwrap().clone();
        assert_eq!(entry.content_sha256, Some(sha256(data)));

        let by_offset = ExtractTarget::offset(entry.offset);
        let again = extract_all(compression, &blob, &by_offset);
        assert_eq!(again.bytes(), &data[..]);
    }
    // A bounded collector keeps the start and says it was cut.
    let mut sink = layerlens::layer::Collect::new(100);
    let mut s = layerlens::layer::Scanner::with_extract(
        Compression::None,
        opts(),
        ExtractTarget::path(name).unwrap(),
        &mut sink,
    );
    // The extraction is complete with the file's last byte (not its padding).
    let offset = files_offset(&tar, name);
    s.feed(&tar[..offset - 1]).unwrap();
    assert_eq!(s.extracted(), 0);
    s.feed(&tar[offset - 1..offset]).unwrap();
    assert_eq!(s.extracted(), 1);
    s.feed(&tar[offset..]).unwrap();
    s.finish().unwrap();
    assert_eq!(sink.bytes(), &data[..100]);
    assert!(sink.truncated() && sink.complete());
    assert!(ExtractTarget::path(b"../x").is_err());
    // A hard link carries no data: begin and end only, with its target.
    let link = extract_all(
        Compression::None,
        &tar,
        &ExtractTarget::path(b"hard").unwrap(),
    );
    assert!(link.complete() && !link.is_file() && link.bytes().is_empty());
    assert_eq!(
        link.entry().unwrap().link_target.as_deref(),
        Some(&b"dir0/file0.txt"[..])
    );
    // A path the layer does not have: nothing streams.
    let none = extract_all(
        Compression::None,
        &tar,
        &ExtractTarget::path(b"nope").unwrap(),
    );
    assert!(none.entry().is_none() && !none.complete());
}

/// Offset just past the content of the entry named `name` (from a scan).
fn files_offset(tar: &[u8], name: &[u8]) -> usize {
    let scan = scan_all(Compression::None, tar, &opts()).unwrap();
    let e = scan.entries().iter().find(|e| e.path == name).unwrap();
    // This builder writes PAX headers only for long names; these are short.
    e.offset as usize + 512 + e.size as usize
}

// ------------------------------------------------------------ verification

#[test]
fn verify_against_descriptor_and_config() {
    let mut t = TarBuilder::new(Flavour::Ustar);
    t.member(&Member::file(b"f", b"x"));
    let tar = t.finish();
    let blob = gzip(&tar);
    let scan = scan_all(Compression::Gzip, &blob, &opts()).unwrap();
    let blob_d: Digest = format!("sha256:{}", sha256_hex(&blob)).parse().unwrap();
    let diff_d: Digest = format!("sha256:{}", sha256_hex(&tar)).parse().unwrap();
    let other = Digest::sha256(b"something else");
    let n = blob.len() as u64;

    assert!(scan.verify(&blob_d, Some(n), Some(&diff_d)).is_empty());
    assert!(scan.verify(&blob_d, None, None).is_empty());
    assert_eq!(
        scan.verify(&blob_d, Some(n + 1), Some(&diff_d)),
        vec![LayerProblem::Blob(VerifyError::Size {
            expected: n + 1,
            actual: n
        })]
    );
    assert_eq!(
        scan.verify(&other, Some(n), Some(&other)),
        vec![
            LayerProblem::Blob(VerifyError::Digest {
                expected: other.clone(),
                actual: blob_d.clone()
            }),
            LayerProblem::DiffId(VerifyError::Digest {
                expected: other.clone(),
                actual: diff_d.clone()
            }),
        ]
    );
    let sha512 = Digest::of(Algorithm::Sha512, &blob);
    assert_eq!(
        scan.verify(&sha512, Some(n), None),
        vec![LayerProblem::Algorithm {
            what: "blob digest",
            expected: Algorithm::Sha512,
            computed: Algorithm::Sha256
        }]
    );
    let msg = scan.verify(&blob_d, Some(n), Some(&other))[0].to_string();
    assert!(msg.contains("diff_id"), "{msg}");
}

#[test]
fn progress_is_visible_while_feeding() {
    let mut t = TarBuilder::new(Flavour::Ustar);
    for i in 0..4 {
        t.member(&Member::file(format!("f{i}").as_bytes(), &[b'x'; 512]));
    }
    let tar = t.finish();
    let mut s = layerlens::layer::Scanner::new(Compression::None, opts());
    s.feed(&tar[..1024 * 2 + 512]).unwrap(); // two entries (1 KiB each) and a header
    assert_eq!(paths(s.entries()), vec![&b"f0"[..], b"f1"]);
    assert_eq!(s.tar_size(), 2560);
    assert_eq!(s.compressed_size(), 2560);
    assert!(s.problems().is_empty());
    s.feed(&tar[2560..]).unwrap();
    assert_eq!(s.finish().unwrap().entries().len(), 4);
}
