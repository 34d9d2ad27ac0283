//! Reading every file of ≥ 20 MB layers through checkpoints: gzip at
//! three levels and in several members, zstd in several frames, plain tar;
//! and the ways it must fail (each a clear error, never wrong content).

use std::io::Write as _;
use std::sync::OnceLock;

use super::*;
use crate::demo::tar::{Meta, TarBuilder};
use crate::layer::{ContentSink, LayerScan, ScanOptions, Scanner};
use crate::test_rng::Rng;

mod failures;

/// Spacing of the read-everything tests: small, so that a 20 MB layer has
/// many checkpoints and reading each of its files stays cheap.
const SPACING: u64 = 256 << 10;

/// Word salad that compresses like source text (~3x).
fn text(rng: &mut Rng, vocab: &[Vec<u8>], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 16);
    while out.len() < len {
        let n = vocab.len() as u64;
        let i = (rng.below(n) * rng.below(n) / n) as usize;
        out.extend_from_slice(&vocab[i]);
        out.push(if rng.below(10) == 0 { b'\n' } else { b' ' });
        if rng.below(30) == 0 {
            out.extend_from_slice(rng.next().to_string().as_bytes());
        }
    }
    out.truncate(len);
    out
}

/// A tar and each file's path and content.
type Corpus = (Vec<u8>, Vec<(String, Vec<u8>)>);

/// A ≥ 20 MB layer of mixed files: small and large, text and random,
/// empty, with long (PAX) names; directories and symlinks between them.
/// Returns the tar and each file's path and content.
fn corpus() -> &'static Corpus {
    static CORPUS: OnceLock<Corpus> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let mut rng = Rng(0x5eed_0f1a_7e00);
        let vocab: Vec<Vec<u8>> = (0..500)
            .map(|_| {
                let len = 2 + rng.below(9) as usize;
                (0..len).map(|_| b'a' + rng.below(26) as u8).collect()
            })
            .collect();
        let meta = Meta::root(0o644, 1_700_000_000);
        let mut tar = TarBuilder::new();
        let mut files = Vec::new();
        let mut total = 0usize;
        let mut i = 0;
        while total < 21_000_000 {
            if i % 25 == 0 {
                tar.dir(&format!("srv/d{}", i / 25), meta.mode(0o755));
            }
            let len = match rng.below(20) {
                0 => 0,
                1 => 1_000_000 + rng.below(2_000_000) as usize,
                2..=5 => 20_000 + rng.below(200_000) as usize,
                _ => 50 + rng.below(20_000) as usize,
            };
            let data = if rng.below(3) == 0 {
                rng.noise(len)
            } else {
                text(&mut rng, &vocab, len)
            };
            let name = if i % 7 == 3 {
                format!("srv/d{}/{}/f{i}", i / 25, "long-directory-name".repeat(8))
            } else {
                format!("srv/d{}/f{i}.txt", i / 25)
            };
            tar.file(&name, meta, &data);
            if i % 11 == 0 {
                tar.symlink(&format!("srv/d{}/l{i}", i / 25), "x", meta);
            }
            total += data.len();
            files.push((name, data));
            i += 1;
        }
        (tar.finish(), files)
    })
}

fn gzip(data: &[u8], level: u32) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
    enc.write_all(data).expect("gzip");
    enc.finish().expect("gzip")
}

/// Independent zstd frames, one per `piece` tar bytes.
fn zstd_frames(data: &[u8], piece: usize) -> Vec<u8> {
    data.chunks(piece)
        .flat_map(|c| {
            ruzstd::encoding::compress_to_vec(c, ruzstd::encoding::CompressionLevel::Fastest)
        })
        .collect()
}

fn scan(blob: &[u8], compression: Compression, spacing: Option<u64>) -> LayerScan {
    let options = ScanOptions {
        hash_contents: true,
        seek_spacing: spacing,
        ..ScanOptions::default()
    };
    let mut scanner = Scanner::new(compression, options);
    for chunk in blob.chunks(1 << 20) {
        scanner.feed(chunk).expect("scan");
    }
    scanner.finish().expect("finish")
}

/// Records what a read streams.
#[derive(Default)]
struct Sink {
    begun: u32,
    ended: u32,
    data: Vec<u8>,
}

impl ContentSink for Sink {
    fn begin(&mut self, _: &Entry) {
        self.begun += 1;
    }
    fn data(&mut self, bytes: &[u8]) {
        self.data.extend_from_slice(bytes);
    }
    fn end(&mut self, _: &Entry) {
        self.ended += 1;
    }
}

/// Feeds `read` the blob bytes of its range in random chunk sizes (a few
/// tiny), stopping once it says the entry is complete; returns what the
/// sink got, the bytes fed and the result.
fn read(rng: &mut Rng, mut read: FileRead, blob: &[u8]) -> (Sink, u64, Result<(), SeekError>) {
    let (from, to) = read.range();
    let mut sink = Sink::default();
    let mut at = from as usize;
    let end = to as usize + 1;
    while at < end {
        let n = if rng.below(8) == 0 {
            1 + rng.below(16) as usize
        } else {
            1 + rng.below(64 << 10) as usize
        };
        let chunk = &blob[at..(at + n).min(end)];
        at += chunk.len();
        match read.feed(chunk, &mut sink) {
            Ok(true) => break,
            Ok(false) => {}
            Err(e) => return (sink, (at as u64) - from, Err(e)),
        }
    }
    let fed = at as u64 - from;
    (sink, fed, read.finish())
}

/// Reads every regular file of `scan` from `blob` through its seek index
/// and checks content, sink calls and the bytes fetched. `gap` is the
/// most compressed bytes between two checkpoints the layout allows.
fn read_every_file(seed: u64, blob: &[u8], scan: &LayerScan, gap: u64) {
    let (_, files) = corpus();
    let index = scan.seek_index().expect("a seek index");
    let digest = scan.blob_digest();
    let mut rng = Rng(seed);
    let mut checked = 0;
    for entry in scan.entries().iter().filter(|e| e.kind == EntryKind::File) {
        let path = String::from_utf8_lossy(&entry.path);
        let (_, content) = files
            .iter()
            .find(|(name, _)| *name == path)
            .expect("a file of the corpus");
        let opened = index
            .open(digest, blob.len() as u64, entry)
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        let (sink, fed, result) = read(&mut rng, opened, blob);
        result.unwrap_or_else(|e| panic!("{path} at tar offset {}: {e}", entry.offset));
        assert!(sink.data == *content, "{path}: content differs");
        assert_eq!((sink.begun, sink.ended), (1, 1), "{path}");
        // At most one gap before the entry (two when its name may be in
        // headers before it, and a checkpoint is that close), its own
        // bytes (deflate never grows data by more than ~0.1 %), and past
        // its end the last chunk fed and, for zstd, the rest of the block
        // (at most 128 KiB) holding its last byte.
        let close = index
            .checkpoints
            .iter()
            .any(|c| c.out <= entry.offset && entry.offset < c.out + LOOKBACK);
        let gaps = if close && needs_lookback(entry) { 2 } else { 1 };
        let bound = gaps * gap + LOOKBACK + entry.size + entry.size / 500 + (192 << 10);
        assert!(
            fed <= bound,
            "{path}: fetched {fed} bytes, more than {bound}"
        );
        checked += 1;
    }
    assert!(checked > 100, "only {checked} files");
}

/// Most compressed bytes from one checkpoint (or the blob's start) to the
/// next (or the blob's end).
fn largest_gap(index: &SeekIndex) -> u64 {
    let mut last = 0;
    let mut gap = 0;
    for c in &index.checkpoints {
        gap = gap.max(c.start - last);
        last = c.start;
    }
    gap.max(index.compressed_size - last)
}

fn gzip_case(level: u32, seed: u64) {
    let (tar, _) = corpus();
    let blob = gzip(tar, level);
    let scan = scan(&blob, Compression::Gzip, Some(SPACING));
    let index = scan.seek_index().expect("a seek index");
    if level == 1 {
        // zlib-rs's (zlib-ng's) level 1 writes the stream as a few huge
        // fixed-code deflate blocks: few block boundaries, few checkpoints;
        // files still read, from the one before them.
        assert!(index.len() < 4, "{} checkpoints", index.len());
        read_every_file(seed, &blob, &scan, largest_gap(index));
        return;
    }
    // A checkpoint is due every SPACING bytes and lands on the next block
    // boundary (tens of KiB later).
    let expected = blob.len() as u64 / (SPACING + (128 << 10));
    assert!(
        index.len() as u64 >= expected,
        "level {level}: {} checkpoints for {} bytes",
        index.len(),
        blob.len()
    );
    assert!(index
        .checkpoints
        .iter()
        .all(|c| matches!(c.at, At::Block(_))));
    let gap = largest_gap(index);
    assert!(gap < SPACING + (256 << 10), "level {level}: a gap of {gap}");
    read_every_file(seed, &blob, &scan, gap);
}

#[test]
fn gzip_level_1_every_file_reads_back() {
    gzip_case(1, 1);
}

#[test]
fn gzip_level_6_every_file_reads_back() {
    gzip_case(6, 6);
}

#[test]
fn gzip_level_9_every_file_reads_back() {
    gzip_case(9, 9);
}

#[test]
fn gzip_members_every_file_reads_back_across_member_ends() {
    let (tar, _) = corpus();
    // Cut at odd places, so files span two members; small and large ones.
    // Then many small members, whose starts become checkpoints too.
    let mut cuts = vec![0, 777_777, 3_000_001, 3_100_000, 9_999_999, 15_123_457];
    cuts.extend((0..40).map(|i| 16_000_000 + i * 60_001));
    cuts.push(tar.len());
    let blob: Vec<u8> = cuts
        .windows(2)
        .flat_map(|w| gzip(&tar[w[0]..w[1]], 6))
        .collect();
    let scan = scan(&blob, Compression::Gzip, Some(SPACING));
    assert_eq!(scan.gzip().map(|g| g.members), Some(cuts.len() as u64 - 1));
    let index = scan.seek_index().expect("a seek index");
    assert!(index.checkpoints.iter().any(|c| matches!(c.at, At::Frame)));
    assert!(index
        .checkpoints
        .iter()
        .any(|c| matches!(c.at, At::Block(_))));
    read_every_file(2, &blob, &scan, largest_gap(index));
}

#[test]
fn zstd_frames_every_file_reads_back() {
    let (tar, _) = corpus();
    let blob = zstd_frames(tar, 200_000);
    let scan = scan(&blob, Compression::Zstd, Some(SPACING));
    let index = scan.seek_index().expect("a seek index");
    assert!(index.len() > 20, "{} checkpoints", index.len());
    read_every_file(3, &blob, &scan, largest_gap(index));
}

#[test]
fn one_zstd_frame_has_no_checkpoints_and_still_reads() {
    let (_, files) = corpus();
    let mut t = TarBuilder::new();
    for (name, data) in files.iter().take(40) {
        t.file(name, Meta::root(0o644, 0), data);
    }
    let tar = t.finish();
    let blob = zstd_frames(&tar, tar.len());
    let scan = scan(&blob, Compression::Zstd, Some(SPACING));
    let index = scan.seek_index().expect("a seek index");
    assert!(index.is_empty());
    let mut rng = Rng(4);
    for entry in scan.entries().iter().rev().take(5) {
        let size = blob.len() as u64;
        let opened = index.open(scan.blob_digest(), size, entry).expect("open");
        assert_eq!(opened.range().0, 0);
        let (_, _, result) = read(&mut rng, opened, &blob);
        result.expect("read");
    }
}

#[test]
fn uncompressed_reads_only_the_entry() {
    let (tar, _) = corpus();
    let scan = scan(tar, Compression::None, Some(SPACING));
    let index = scan.seek_index().expect("a seek index");
    assert!(index.is_empty());
    read_every_file(5, tar, &scan, 0);
}

#[test]
fn the_encoded_index_is_small_and_round_trips() {
    let (tar, _) = corpus();
    let blob = gzip(tar, 6);
    for spacing in [DEFAULT_SPACING, 1 << 20] {
        let scan = scan(&blob, Compression::Gzip, Some(spacing));
        let index = scan.seek_index().expect("a seek index");
        assert!(!index.is_empty());
        let encoded = index.encode();
        let share = encoded.len() as f64 / blob.len() as f64;
        eprintln!(
            "spacing {spacing}: {} checkpoints, {} bytes encoded, {:.2} % of the {} byte blob",
            index.len(),
            encoded.len(),
            share * 100.0,
            blob.len()
        );
        assert!(share <= 0.03, "{:.2} %", share * 100.0);
        assert_eq!(SeekIndex::decode(&encoded).as_ref(), Ok(index));
    }
}

#[test]
fn without_the_option_there_is_no_index() {
    let blob = gzip(&TarBuilder::new().finish(), 6);
    assert!(scan(&blob, Compression::Gzip, None).seek_index().is_none());
}

#[test]
fn the_two_halves_record_the_same_index() {
    let (tar, _) = corpus();
    let blob = zstd_frames(&tar[..2 << 20], 100_000);
    let blob = [blob, zstd_frames(&tar[2 << 20..], 1 << 20)].concat();
    let options = ScanOptions {
        hash_contents: true,
        seek_spacing: Some(SPACING),
        ..ScanOptions::default()
    };
    let mut unpack = crate::layer::Unpacker::new(Compression::Zstd, &options);
    let mut tar_half = crate::layer::TarScanner::new(Compression::Zstd, &options);
    for chunk in blob.chunks(100_000) {
        unpack
            .feed(chunk, &mut |t: &[u8]| tar_half.feed(t))
            .expect("feed");
    }
    let halves = unpack.take_seek_index().expect("an index");
    let whole = scan(&blob, Compression::Zstd, Some(SPACING));
    assert_eq!(Some(&halves), whole.seek_index());
    assert!(unpack.take_seek_index().is_none(), "taken once");
}

#[test]
fn every_due_boundary_gets_its_bit_offset() {
    let (tar, _) = corpus();
    for level in [6, 9] {
        let blob = gzip(tar, level);
        let mut decoder = crate::layer::gzip::GzipDecoder::with_seek(SPACING);
        for chunk in blob.chunks(1 << 20) {
            decoder.feed(chunk, &mut |_: &[u8]| Ok(())).expect("decode");
        }
        assert_eq!(decoder.seek_dropped(), 0, "level {level}");
    }
}
