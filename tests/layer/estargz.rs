//! eStargz layers, written by the test kit from the format description: the
//! footer fetched as the last 51 bytes names the table of contents, which
//! lists exactly what a full scan of the same blob finds (the table itself
//! aside); a damaged footer, another table, or a table that does not match
//! the annotation are refused in words.

use layerlens::layer::toc::stargz::{StargzToc, TOC_DIGEST};
use layerlens::layer::toc::{read_stargz_toc, TocError};
use layerlens::layer::{ScanOptions, Scanner};
use layerlens::oci::{Compression, Descriptor, Digest, MediaType};
use layerlens_testkit::estargz::{estargz, Estargz};
use layerlens_testkit::tar::{by_path, every_kind, Member};

fn layer() -> Estargz {
    let mut members = every_kind();
    members.push(Member::file(b".no.prefetch.landmark", &[0xf]));
    estargz(&members)
}

fn descriptor(blob: &[u8], toc_digest: &str) -> Descriptor {
    Descriptor::new(
        MediaType::parse("application/vnd.oci.image.layer.v1.tar+gzip").unwrap(),
        Digest::sha256(blob),
        blob.len() as u64,
    )
    .with_annotation(TOC_DIGEST, toc_digest)
}

/// The bytes a closed `bytes=N-M` range names.
fn range<'a>(blob: &'a [u8], header: &str) -> &'a [u8] {
    let (from, to) = header
        .strip_prefix("bytes=")
        .and_then(|r| r.split_once('-'))
        .expect("a closed range");
    &blob[from.parse::<usize>().unwrap()..=to.parse::<usize>().unwrap()]
}

#[test]
fn an_estargz_layer_lists_from_its_footer_and_table_of_contents() {
    let written = layer();
    let d = descriptor(&written.blob, &written.toc_digest);
    let toc = StargzToc::of(&d).unwrap().expect("an eStargz layer");
    let footer = range(&written.blob, &toc.footer_range());
    let offset = toc.toc_offset(footer).expect("the footer reads");
    assert_eq!(offset, written.toc_offset);
    let listed = read_stargz_toc(&toc, offset, range(&written.blob, &toc.toc_range(offset)))
        .expect("the table of contents reads");

    let options = ScanOptions {
        hash_contents: true,
        ..ScanOptions::default()
    };
    let mut scanner = Scanner::new(Compression::Gzip, options);
    scanner
        .feed(&written.blob)
        .expect("an eStargz blob is a gzip layer");
    let scan = scanner.finish().expect("it scans to its end");
    let mut scanned = by_path(scan.entries());
    assert!(scanned.remove(b"stargz.index.json".as_slice()).is_some());
    assert_eq!(by_path(listed.entries()), scanned);
}

#[test]
fn a_damaged_footer_says_what_is_wrong() {
    let written = layer();
    let d = descriptor(&written.blob, &written.toc_digest);
    let toc = StargzToc::of(&d).unwrap().unwrap();
    let footer = range(&written.blob, &toc.footer_range()).to_vec();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (footer[1..].to_vec(), "50 bytes"),
        (
            {
                let mut f = footer.clone();
                f[0] = 0;
                f
            },
            "gzip header",
        ),
        (
            {
                let mut f = footer.clone();
                f[12] = b'X';
                f
            },
            "SG",
        ),
        (
            {
                let mut f = footer.clone();
                f[33] = b'X';
                f
            },
            "STARGZ",
        ),
        (
            {
                let mut f = footer.clone();
                f[20] = b'g';
                f
            },
            "hex digits",
        ),
        (
            {
                let mut f = footer.clone();
                f[16..32].copy_from_slice(b"00000000ffffffff");
                f
            },
            "past the",
        ),
    ];
    for (bytes, why) in cases {
        let err = toc.toc_offset(&bytes).unwrap_err();
        assert!(matches!(err, TocError::Footer(_)), "{err}");
        assert!(err.to_string().contains(why), "{why}: {err}");
    }
}

#[test]
fn another_table_of_contents_is_refused() {
    let written = layer();
    let other = estargz(&[Member::file(b"other", b"x")]);
    // The annotation names this layer's table; the bytes are another's.
    let d = descriptor(&written.blob, &written.toc_digest);
    let toc = StargzToc::of(&d).unwrap().unwrap();
    let bytes = &other.blob[other.toc_offset as usize..other.blob.len() - 51];
    let err = read_stargz_toc(&toc, written.toc_offset, bytes).unwrap_err();
    assert!(err.to_string().contains("digest mismatch"), "{err}");
    // A range that is not the table's member at all.
    let err = read_stargz_toc(&toc, written.toc_offset, &written.blob[..100]).unwrap_err();
    assert!(err.to_string().contains("stargz.index.json"), "{err}");
}

#[test]
fn the_annotation_is_checked() {
    let written = layer();
    let bad = descriptor(&written.blob, "sha256:nothex");
    let err = StargzToc::of(&bad).unwrap_err();
    assert!(err.to_string().contains(TOC_DIGEST), "{err}");
    let tiny = Descriptor::new(
        MediaType::parse("application/vnd.oci.image.layer.v1.tar+gzip").unwrap(),
        Digest::sha256(b"x"),
        40,
    )
    .with_annotation(TOC_DIGEST, &written.toc_digest);
    let err = StargzToc::of(&tiny).unwrap_err();
    assert!(err.to_string().contains("no room"), "{err}");
    let plain = Descriptor::new(
        MediaType::parse("application/vnd.oci.image.layer.v1.tar+gzip").unwrap(),
        Digest::sha256(b"x"),
        400,
    );
    assert_eq!(StargzToc::of(&plain).unwrap(), None);
}

/// Reads entry `index` of `listed` from `blob` by its spans.
fn read_file(
    listed: &layerlens::layer::toc::ListedLayer,
    index: usize,
    blob: &[u8],
) -> Result<Vec<u8>, TocError> {
    let mut read = listed.open(index)?;
    let mut content = Vec::new();
    for (from, to) in read.ranges() {
        // Fed in uneven pieces, as a network delivers them.
        for piece in blob[from as usize..=to as usize].chunks(777) {
            read.feed(piece, &mut |b: &[u8]| content.extend_from_slice(b))?;
        }
    }
    read.finish().map(|()| content)
}

fn listed(written: &Estargz) -> layerlens::layer::toc::ListedLayer {
    let d = descriptor(&written.blob, &written.toc_digest);
    let toc = StargzToc::of(&d).unwrap().unwrap();
    read_stargz_toc(
        &toc,
        written.toc_offset,
        range(&written.blob, &toc.toc_range(written.toc_offset)),
    )
    .unwrap()
}

#[test]
fn every_file_reads_from_its_own_member_and_checks_against_the_table() {
    let mut members = every_kind();
    // A file larger than one inflate buffer, and a few small ones after it.
    let big: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    members.push(Member::file(b"big.bin", &big));
    for i in 0..5 {
        members.push(Member::file(
            format!("small/{i}").as_bytes(),
            &[b'a' + i; 700],
        ));
    }
    let written = estargz(&members);
    let listed = listed(&written);
    let mut read = 0;
    for m in members.iter().filter(|m| m.typeflag == b'0') {
        let index = listed.find(&m.name).expect("listed");
        if m.data.is_empty() {
            assert!(listed.spans(index).is_empty());
            continue;
        }
        let opened = listed.open(index).unwrap();
        if m.data.len() < 1000 {
            assert!(
                opened.compressed_len() < 1500,
                "one small file's member, not the blob: {}",
                opened.compressed_len()
            );
        }
        let content = read_file(&listed, index, &written.blob).unwrap();
        assert_eq!(content, m.data, "{}", String::from_utf8_lossy(&m.name));
        read += 1;
    }
    assert!(read >= 7, "{read} files read");
    // Not a regular file: refused in words.
    let dir = listed
        .entries()
        .iter()
        .position(|e| e.kind == layerlens::layer::EntryKind::Directory)
        .unwrap();
    let err = listed.open(dir).err().unwrap();
    assert!(err.to_string().contains("not a regular file"), "{err}");
}

#[test]
fn altered_bytes_in_a_files_member_are_never_read_as_the_file() {
    let content = b"the content the table of contents names ".repeat(50);
    let members = vec![
        Member::dir(b"etc"),
        Member::file(b"etc/config", &content),
        Member::file(b"etc/after", b"after"),
    ];
    let written = estargz(&members);
    let listed = listed(&written);
    let index = listed.find(b"etc/config").unwrap();
    let (from, to) = listed.open(index).unwrap().ranges()[0];
    // Every byte of the member altered in turn: an error (a gzip check, a
    // length or the content digest) unless the byte held no content (the
    // gzip header's time, flags or OS), never other bytes read as the file.
    let mut refused = 0;
    for at in from..=to {
        let mut blob = written.blob.clone();
        blob[at as usize] ^= 0x5a;
        match read_file(&listed, index, &blob) {
            Ok(bytes) => assert_eq!(bytes, content, "byte {at}: other bytes read as the file"),
            Err(e) => {
                assert!(e.to_string().starts_with("etc/config: "), "{e}");
                refused += 1;
            }
        }
    }
    assert!(
        refused as u64 >= to - from - 8,
        "{refused} of {}",
        to - from + 1
    );
    // The bytes cut short.
    let mut opened = listed.open(index).unwrap();
    opened
        .feed(&written.blob[from as usize..to as usize], &mut |_| {})
        .unwrap();
    let err = opened.finish().unwrap_err();
    assert!(err.to_string().contains("ended in piece 1 of 1"), "{err}");
}
