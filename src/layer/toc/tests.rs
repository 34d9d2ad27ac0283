//! The zstd:chunked location and the CRFS entries (eStargz, with a writer
//! of its own, is tested in tests/layer/estargz.rs).

use super::chunked::{CHECKSUM, OLD_CHECKSUM, OLD_POSITION, POSITION};
use super::*;
use crate::oci::{Algorithm, Descriptor, Digest, Hasher, MediaType};

fn zstd(bytes: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(bytes, ruzstd::encoding::CompressionLevel::Fastest)
}

fn digest(bytes: &[u8]) -> Digest {
    let mut h = Hasher::new(Algorithm::Sha256);
    h.update(bytes);
    h.finish()
}

/// A blob of `size` bytes whose table of contents (`json`, compressed) sits
/// at `offset`, and its descriptor with the annotations.
fn layer(json: &str, offset: u64) -> (Descriptor, Vec<u8>) {
    let toc = zstd(json.as_bytes());
    let size = offset + toc.len() as u64 + 72;
    let position = format!("{offset}:{}:{}:1", toc.len(), json.len());
    let descriptor = Descriptor::new(
        MediaType::parse("application/vnd.oci.image.layer.v1.tar+zstd").unwrap(),
        digest(b"the blob"),
        size,
    )
    .with_annotation(POSITION, position)
    .with_annotation(CHECKSUM, digest(&toc).to_string());
    (descriptor, toc)
}

const TOC: &str = r#"{"version":1,"entries":[
 {"type":"dir","name":"etc/","mode":493,"modtime":"2025-05-28T02:24:19Z","uid":0,"gid":0},
 {"type":"reg","name":"etc/asound.conf","mode":420,"size":55,"modtime":"2025-04-14T00:00:00Z",
  "digest":"sha256:3b7fe1f8fd9bb7e1c80fddd31c592bc5b7b7d39e322ded8303c742b2bc1bec31","offset":210,"endOffset":278,
  "userName":"root","groupName":"root"},
 {"type":"chunk","name":"etc/asound.conf","offset":278,"endOffset":300},
 {"type":"symlink","name":"./usr/bin/sh","linkName":"/bin/bash","mode":511},
 {"type":"hardlink","name":"etc/alias.conf","linkName":"etc/asound.conf"},
 {"type":"char","name":"dev/null","devMajor":1,"devMinor":3,"mode":438}
]}"#;

#[test]
fn a_table_of_contents_lists_the_layer() {
    let (d, toc) = layer(TOC, 1000);
    let location = ChunkedToc::of(&d).unwrap().expect("zstd:chunked");
    assert_eq!(location.offset, 1000);
    assert_eq!(
        location.range(),
        format!("bytes=1000-{}", 1000 + toc.len() - 1)
    );
    let listed = read_chunked_toc(&location, toc).unwrap();
    assert_eq!(listed.format(), TocFormat::ZstdChunked);
    let entries = listed.entries();
    let listed: Vec<(String, EntryKind)> = entries
        .iter()
        .map(|e| (String::from_utf8_lossy(&e.path).into_owned(), e.kind))
        .collect();
    assert_eq!(
        listed,
        [
            ("etc".to_owned(), EntryKind::Directory),
            ("etc/asound.conf".to_owned(), EntryKind::File),
            ("usr/bin/sh".to_owned(), EntryKind::Symlink),
            ("etc/alias.conf".to_owned(), EntryKind::HardLink),
            ("dev/null".to_owned(), EntryKind::CharDevice),
        ]
    );
    let conf = &entries[1];
    assert_eq!(
        (conf.mode, conf.size, conf.uname.as_slice()),
        (0o644, 55, &b"root"[..])
    );
    assert_eq!(conf.mtime, 1_744_588_800);
    assert_eq!(conf.content_sha256.unwrap()[..2], [0x3b, 0x7f]);
    assert_eq!(entries[2].link_target.as_deref(), Some(&b"/bin/bash"[..]));
    assert_eq!(
        entries[3].link_target.as_deref(),
        Some(&b"etc/asound.conf"[..])
    );
    assert_eq!((entries[4].dev_major, entries[4].dev_minor), (1, 3));
}

#[test]
fn a_layer_without_the_annotation_has_no_table_of_contents() {
    let d = Descriptor::new(
        MediaType::parse("application/vnd.oci.image.layer.v1.tar+gzip").unwrap(),
        digest(b"x"),
        10,
    );
    assert_eq!(ChunkedToc::of(&d).unwrap(), None);
}

#[test]
fn older_writers_annotation_names_are_read() {
    let (d, toc) = layer(TOC, 10);
    let old = Descriptor::new(d.media_type().clone(), d.digest().clone(), d.size())
        .with_annotation(OLD_POSITION, d.annotation(POSITION).unwrap())
        .with_annotation(OLD_CHECKSUM, d.annotation(CHECKSUM).unwrap());
    let location = ChunkedToc::of(&old).unwrap().unwrap();
    assert_eq!(read_chunked_toc(&location, toc).unwrap().entries().len(), 5);
}

#[test]
fn bad_annotations_say_which_and_why() {
    let (d, _) = layer(TOC, 10);
    let with = |position: &str| {
        Descriptor::new(d.media_type().clone(), d.digest().clone(), d.size())
            .with_annotation(POSITION, position)
            .with_annotation(CHECKSUM, d.annotation(CHECKSUM).unwrap())
    };
    for (position, why) in [
        ("10:20", "offset:length:uncompressed:type"),
        ("a:20:30:1", "offset:length:uncompressed:type"),
        ("10:20:30:2", "unknown manifest type 2"),
        ("10:0:30:1", "outside the blob"),
        (&format!("{}:20:30:1", d.size()), "outside the blob"),
        ("18446744073709551615:2:30:1", "outside the blob"),
        ("10:20:999999999999:1", "over"),
    ] {
        let err = ChunkedToc::of(&with(position)).unwrap_err();
        assert!(err.to_string().contains(why), "{position}: {err}");
        assert!(err.to_string().contains(POSITION), "{err}");
    }
    let no_checksum = Descriptor::new(d.media_type().clone(), d.digest().clone(), d.size())
        .with_annotation(POSITION, d.annotation(POSITION).unwrap());
    let err = ChunkedToc::of(&no_checksum).unwrap_err();
    assert!(err.to_string().contains(CHECKSUM), "{err}");
}

#[test]
fn other_bytes_are_refused_by_the_checksum() {
    let (d, mut toc) = layer(TOC, 10);
    let location = ChunkedToc::of(&d).unwrap().unwrap();
    let last = toc.len() - 1;
    toc[last] ^= 1;
    assert!(matches!(
        read_chunked_toc(&location, toc.clone()),
        Err(TocError::Checksum(VerifyError::Digest { .. }))
    ));
    toc.pop();
    assert!(matches!(
        read_chunked_toc(&location, toc),
        Err(TocError::Checksum(VerifyError::Size { .. }))
    ));
}

/// A location for `toc` as given, announcing `uncompressed` bytes.
fn located(toc: &[u8], uncompressed: u64) -> ChunkedToc {
    ChunkedToc {
        offset: 0,
        length: toc.len() as u64,
        uncompressed,
        checksum: digest(toc),
    }
}

#[test]
fn a_table_of_contents_longer_or_shorter_than_announced_is_refused() {
    let toc = zstd(TOC.as_bytes());
    let err = read_chunked_toc(&located(&toc, TOC.len() as u64 - 1), toc.clone()).unwrap_err();
    assert!(
        err.to_string().contains("longer than the announced"),
        "{err}"
    );
    let err = read_chunked_toc(&located(&toc, TOC.len() as u64 + 1), toc.clone()).unwrap_err();
    assert!(err.to_string().contains("announced"), "{err}");
    let garbage = b"not zstd at all".to_vec();
    let err = read_chunked_toc(&located(&garbage, 10), garbage).unwrap_err();
    assert!(matches!(err, TocError::Inflate(_)), "{err}");
}

#[test]
fn hostile_entries_name_themselves() {
    for (json, why) in [
        (r#"{"version":2,"entries":[]}"#, "unknown version 2"),
        (r#"{"entries":[]}"#, "version"),
        (
            r#"{"version":1,"entries":[{"type":"reg","name":"../../etc/passwd"}]}"#,
            "escapes",
        ),
        (
            r#"{"version":1,"entries":[{"type":"socket","name":"s"}]}"#,
            "unknown type",
        ),
        (
            r#"{"version":1,"entries":[{"type":"reg","name":"f","size":-1}]}"#,
            "negative size",
        ),
        (
            r#"{"version":1,"entries":[{"type":"reg","name":"f","digest":"md5:00"}]}"#,
            "not sha256",
        ),
        (
            r#"{"version":1,"entries":[{"type":"reg","name":"f","modtime":"yesterday"}]}"#,
            "modtime",
        ),
        (
            r#"{"version":1,"entries":[{"type":"hardlink","name":"h","linkName":"../x"}]}"#,
            "link target",
        ),
    ] {
        let toc = zstd(json.as_bytes());
        let err = read_chunked_toc(&located(&toc, json.len() as u64), toc).unwrap_err();
        assert!(err.to_string().contains(why), "{json}: {err}");
    }
}

#[test]
fn file_type_bits_in_the_mode_are_dropped() {
    // eStargz writers put Go's full mode in (0o100755 for a file).
    let json = r#"{"version":1,"entries":[{"type":"reg","name":"bin/x","mode":33261,"size":0}]}"#;
    let listed = entries(json.as_bytes()).unwrap();
    assert_eq!(listed[0].mode, 0o755);
    assert!(
        listed[0].content_sha256.is_some(),
        "an empty file's digest is known"
    );
}

/// A zstd:chunked-like blob: a frame of other bytes, file `a` in three
/// frames (pieces of 4096, 4096 and the rest), a frame of other bytes, file
/// `b` in one; then the table, whose JSON `edit` may change.
fn chunked_blob(edit: impl Fn(String) -> String) -> (Vec<u8>, ListedLayer, Vec<u8>, Vec<u8>) {
    let a: Vec<u8> = (0..10_000u32).map(|i| (i % 253) as u8).collect();
    let b = b"fifty bytes of b, no more and no less, exactly 50.".to_vec();
    let mut blob = zstd(b"tar headers");
    let mut spans = Vec::new();
    for piece in a.chunks(4096).chain([b.as_slice()]) {
        if piece.as_ptr() == b.as_ptr() {
            blob.extend_from_slice(&zstd(b"more tar headers"));
        }
        let start = blob.len();
        blob.extend_from_slice(&zstd(piece));
        spans.push((start, blob.len()));
    }
    let hex = |bytes: &[u8]| digest(bytes).to_string();
    let json = format!(
        r#"{{"version":1,"entries":[
 {{"type":"reg","name":"a","size":10000,"digest":"{}","offset":{},"endOffset":{},"chunkSize":4096}},
 {{"type":"chunk","name":"a","offset":{},"endOffset":{},"chunkOffset":4096,"chunkSize":4096}},
 {{"type":"chunk","name":"a","offset":{},"endOffset":{},"chunkOffset":8192}},
 {{"type":"reg","name":"b","size":50,"digest":"{}","offset":{},"endOffset":{}}},
 {{"type":"reg","name":"empty","size":0}}
]}}"#,
        hex(&a),
        spans[0].0,
        spans[0].1,
        spans[1].0,
        spans[1].1,
        spans[2].0,
        spans[2].1,
        hex(&b),
        spans[3].0,
        spans[3].1
    );
    let (d, toc) = layer(&edit(json), blob.len() as u64);
    let listed = read_chunked_toc(&ChunkedToc::of(&d).unwrap().unwrap(), toc.clone()).unwrap();
    blob.extend_from_slice(&toc);
    (blob, listed, a, b)
}

fn read(listed: &ListedLayer, path: &str, blob: &[u8]) -> Result<Vec<u8>, TocError> {
    let mut read = listed.open(listed.find(path.as_bytes()).unwrap())?;
    let mut out = Vec::new();
    for (from, to) in read.ranges() {
        for piece in blob[from as usize..=to as usize].chunks(1000) {
            read.feed(piece, &mut |b: &[u8]| out.extend_from_slice(b))?;
        }
    }
    read.finish().map(|()| out)
}

#[test]
fn a_file_in_several_pieces_reads_from_its_frames() {
    let (blob, listed, a, b) = chunked_blob(|j| j);
    let opened = listed.open(listed.find(b"a").unwrap()).unwrap();
    assert_eq!(opened.ranges().len(), 1, "adjacent pieces are one range");
    assert_eq!(read(&listed, "a", &blob).unwrap(), a);
    assert_eq!(read(&listed, "b", &blob).unwrap(), b);
    // The ranges skip the other frames: b's is its own frame only.
    let b_read = listed.open(listed.find(b"b").unwrap()).unwrap();
    assert!(b_read.compressed_len() < 100, "{}", b_read.compressed_len());
    // An empty file has no spans and nothing to read; its digest is known.
    assert!(listed.spans(listed.find(b"empty").unwrap()).is_empty());
    assert_eq!(read(&listed, "empty", &blob).unwrap(), b"");
}

#[test]
fn pieces_that_do_not_add_up_are_refused_in_words() {
    // A gap between pieces.
    let (_, listed, ..) =
        chunked_blob(|j| j.replace(r#""chunkOffset":8192"#, r#""chunkOffset":8000"#));
    let err = listed.open(listed.find(b"a").unwrap()).err().unwrap();
    assert!(
        err.to_string()
            .starts_with("a: piece 2 starts at byte 8000"),
        "{err}"
    );
    // A piece past the end of the files' data (into the table, or the blob's end).
    let (_, listed, ..) = chunked_blob(|j| {
        // b's piece said to start far past the table.
        let at = j.find(r#""name":"b""#).unwrap();
        let from = at + j[at..].find(r#""offset":"#).unwrap() + r#""offset":"#.len();
        let to = from + j[from..].find(',').unwrap();
        format!("{}99999999{}", &j[..from], &j[to..])
    });
    let err = listed.open(listed.find(b"b").unwrap()).err().unwrap();
    assert!(err.to_string().contains("outside the blob's data"), "{err}");
    // A length the pieces do not hold: 49 bytes are not the file.
    let (blob, listed, ..) = chunked_blob(|j| j.replace(r#""size":50"#, r#""size":49"#));
    let err = read(&listed, "b", &blob).unwrap_err();
    assert!(err.to_string().starts_with("b: content digest"), "{err}");
    // A piece that holds fewer bytes than the table says.
    let (blob, listed, ..) = chunked_blob(|j| {
        j.replace(r#""chunkSize":4096}"#, r#""chunkSize":4097}"#)
            .replace(r#""chunkOffset":4096"#, r#""chunkOffset":4097"#)
            .replace(r#""chunkOffset":8192"#, r#""chunkOffset":8194"#)
    });
    let err = read(&listed, "a", &blob).unwrap_err();
    assert!(
        err.to_string()
            .contains("gave 4096 bytes; the table says 4097"),
        "{err}"
    );
    // Another file's digest.
    let (blob, listed, a, _) = chunked_blob(|j| j);
    let other = chunked_blob(|j| j.replace(&digest(&a).to_string(), &digest(b"x").to_string()));
    let err = read(&other.1, "a", &blob).unwrap_err();
    assert!(
        err.to_string().contains("does not match the table's"),
        "{err}"
    );
    assert_eq!(read(&listed, "a", &blob).unwrap(), a);
    // A chunk that continues no file.
    let json = r#"{"version":1,"entries":[{"type":"chunk","name":"x","offset":1,"endOffset":2}]}"#;
    let err = parse(json.as_bytes(), 10).unwrap_err();
    assert!(err.to_string().contains("follows no regular file"), "{err}");
}
