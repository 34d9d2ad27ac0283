//! Each way a read through checkpoints must fail: a clear [`SeekError`],
//! never a panic and never wrong content reported as good.

use super::*;
use crate::oci::Digest;

/// A gzip layer of the corpus, scanned with checkpoints every `spacing`.
fn layer(spacing: u64) -> &'static (Vec<u8>, LayerScan) {
    static SMALL: OnceLock<(Vec<u8>, LayerScan)> = OnceLock::new();
    static DEFAULT: OnceLock<(Vec<u8>, LayerScan)> = OnceLock::new();
    let cell = if spacing == SPACING { &SMALL } else { &DEFAULT };
    cell.get_or_init(|| {
        let blob = gzip(&corpus().0, 6);
        let scan = scan(&blob, Compression::Gzip, Some(spacing));
        (blob, scan)
    })
}

fn files(scan: &LayerScan) -> impl Iterator<Item = &Entry> {
    scan.entries().iter().filter(|e| e.kind == EntryKind::File)
}

/// A file of at least `size` bytes whose read starts at a checkpoint.
fn big_file(scan: &LayerScan, size: u64) -> &Entry {
    let index = scan.seek_index().expect("an index");
    files(scan)
        .find(|e| e.size >= size && index.span(e.offset, e.offset + 512 + e.size, 0).0.is_some())
        .expect("a large file after a checkpoint")
}

#[test]
fn another_layers_index_is_refused() {
    let (blob, scan) = layer(SPACING);
    let index = scan.seek_index().expect("an index");
    let other = Digest::sha256(b"another layer");
    let entry = big_file(scan, 1);
    let e = index.open(&other, blob.len() as u64, entry).err();
    assert!(matches!(e, Some(SeekError::WrongLayer { .. })), "{e:?}");
}

#[test]
fn bytes_of_another_blob_never_read_as_good() {
    let (blob, scan) = layer(SPACING);
    let other = gzip(&corpus().0, 1);
    let index = scan.seek_index().expect("an index");
    let mut rng = Rng(21);
    let mut errors = 0;
    for entry in files(scan).step_by(40) {
        let opened = index.open(scan.blob_digest(), blob.len() as u64, entry);
        let Ok(opened) = opened else { continue };
        if opened.range().1 as usize >= other.len() {
            continue;
        }
        let (_, _, result) = read(&mut rng, opened, &other);
        errors += usize::from(result.is_err());
        if opened_at_start(index, entry) {
            continue;
        }
        assert!(result.is_err(), "{}", String::from_utf8_lossy(&entry.path));
    }
    assert!(errors > 0);
}

/// Whether `entry` is read from the blob's start (the same bytes decode
/// the same in any gzip writer's output up to the first difference).
fn opened_at_start(index: &SeekIndex, entry: &Entry) -> bool {
    let margin = if needs_lookback(entry) { LOOKBACK } else { 0 };
    index
        .span(entry.offset, entry.offset + 512 + entry.size, margin)
        .0
        .is_none()
}

#[test]
fn a_damaged_encoding_is_refused() {
    let (_, scan) = layer(SPACING);
    let encoded = scan.seek_index().expect("an index").encode();
    let mut rng = Rng(22);
    let positions: Vec<usize> = (0..300)
        .chain((0..3000).map(|_| rng.below(encoded.len() as u64) as usize))
        .collect();
    for at in positions {
        let mut bad = encoded.clone();
        bad[at] ^= 1 << rng.below(8);
        let e = SeekIndex::decode(&bad).err();
        assert!(
            matches!(e, Some(SeekError::Malformed { .. })),
            "byte {at}: {e:?}"
        );
    }
}

/// Rewrites the window of every block checkpoint with `damage`.
fn damaged(index: &SeekIndex, damage: impl Fn(&mut BlockState)) -> SeekIndex {
    let mut index = index.clone();
    for c in &mut index.checkpoints {
        if let At::Block(state) = &mut c.at {
            damage(state);
        }
    }
    index
}

/// Reads every file read from a checkpoint through `index`: none may
/// succeed with wrong content; returns how many failed.
fn read_through(index: &SeekIndex, blob: &[u8], scan: &LayerScan) -> usize {
    let (_, corpus_files) = corpus();
    let mut rng = Rng(23);
    let mut failed = 0;
    for entry in files(scan).filter(|e| !opened_at_start(index, e)) {
        let result = index
            .open(scan.blob_digest(), blob.len() as u64, entry)
            .and_then(|opened| {
                let (sink, _, result) = read(&mut rng, opened, blob);
                result.map(|()| sink)
            });
        match result {
            Ok(sink) => {
                let path = String::from_utf8_lossy(&entry.path);
                let content = &corpus_files
                    .iter()
                    .find(|(n, _)| *n == path)
                    .expect("file")
                    .1;
                assert!(sink.data == *content, "{path}: wrong content read as good");
            }
            Err(_) => failed += 1,
        }
    }
    failed
}

#[test]
fn a_damaged_window_never_yields_wrong_content() {
    let (blob, scan) = layer(SPACING);
    let index = scan.seek_index().expect("an index");
    // Every byte of every window changed: files near a checkpoint fail.
    let inverted = damaged(index, |state| {
        let mut window = gzip::inflate_window(state).expect("window");
        window.iter_mut().for_each(|b| *b ^= 0x55);
        state.window = gzip::deflate_window(&window).expect("deflate");
    });
    assert!(read_through(&inverted, blob, scan) > 0);
    // One byte changed: most files still read; none wrongly.
    let one = damaged(index, |state| {
        let mut window = gzip::inflate_window(state).expect("window");
        if let Some(b) = window.last_mut() {
            *b ^= 0x20;
        }
        state.window = gzip::deflate_window(&window).expect("deflate");
    });
    read_through(&one, blob, scan);
    // The deflated bytes damaged: refused when opened, or caught later.
    let raw = damaged(index, |state| {
        let at = state.window.len() / 2;
        state.window[at] ^= 0x10;
    });
    read_through(&raw, blob, scan);
    // The bit offset wrong by one.
    let shifted = damaged(index, |state| state.shift = (state.shift + 1) % 8);
    assert!(read_through(&shifted, blob, scan) > 0);
}

#[test]
fn a_truncated_range_is_an_error() {
    let (blob, scan) = layer(SPACING);
    let index = scan.seek_index().expect("an index");
    let entry = big_file(scan, 500_000);
    let size = blob.len() as u64;
    let opened = index.open(scan.blob_digest(), size, entry).expect("open");
    let (from, to) = opened.range();
    let mut part = index.open(scan.blob_digest(), size, entry).expect("open");
    let mut sink = Sink::default();
    // Fed until part of the content has come out, then cut.
    for chunk in blob[from as usize..=to as usize].chunks(4096) {
        assert_eq!(part.feed(chunk, &mut sink), Ok(false));
        if !sink.data.is_empty() {
            break;
        }
    }
    let e = part.finish().err();
    assert!(
        matches!(&e, Some(SeekError::Truncated { read, .. }) if *read > 0 && *read < entry.size),
        "{e:?}"
    );
    assert_eq!(sink.ended, 0);
    let e = opened.finish().err();
    assert!(
        matches!(e, Some(SeekError::Truncated { read: 0, .. })),
        "{e:?}"
    );
}

#[test]
fn decoding_truncations_and_noise_never_panics() {
    let (_, scan) = layer(DEFAULT_SPACING);
    let encoded = scan.seek_index().expect("an index").encode();
    for len in 0..encoded.len() {
        assert!(SeekIndex::decode(&encoded[..len]).is_err(), "{len} bytes");
    }
    let mut rng = Rng(24);
    for _ in 0..5000 {
        let len = rng.below(200) as usize;
        let mut noise = rng.noise(len);
        assert!(SeekIndex::decode(&noise).is_err());
        // With a valid frame, so that the fields themselves are parsed.
        noise.splice(0..0, *b"LLSI\x01");
        noise.extend_from_slice(&crc32fast::hash(&noise).to_le_bytes());
        let _ = SeekIndex::decode(&noise);
    }
    // Every byte changed, the CRC made to fit: an error or another index.
    let body = &encoded[..encoded.len() - 4];
    for at in (5..body.len()).step_by(7) {
        let mut bad = body.to_vec();
        bad[at] = bad[at].wrapping_add(1 + rng.below(255) as u8);
        bad.extend_from_slice(&crc32fast::hash(&bad).to_le_bytes());
        let _ = SeekIndex::decode(&bad);
    }
}

#[test]
fn a_span_past_the_blob_end_is_refused() {
    let (blob, scan) = layer(SPACING);
    let index = scan.seek_index().expect("an index");
    let entry = files(scan).last().expect("a file");
    let digest = scan.blob_digest();
    let (from, to) = index
        .open(digest, blob.len() as u64, entry)
        .expect("open")
        .range();
    assert_eq!(to, blob.len() as u64 - 1);
    for short in [from + 1, to, 0] {
        let e = index.open(digest, short, entry).err();
        assert!(
            matches!(e, Some(SeekError::PastBlobEnd { .. })),
            "{short}: {e:?}"
        );
    }
    let e = index.open(digest, blob.len() as u64 + 1, entry).err();
    assert!(matches!(e, Some(SeekError::BlobSize { .. })), "{e:?}");
}

#[test]
fn entries_that_cannot_be_read_say_why() {
    let (blob, scan) = layer(SPACING);
    let index = scan.seek_index().expect("an index");
    let (digest, size) = (scan.blob_digest(), blob.len() as u64);
    let dir = scan
        .entries()
        .iter()
        .find(|e| e.kind == EntryKind::Directory)
        .expect("dir");
    let e = index.open(digest, size, dir).err();
    assert!(matches!(e, Some(SeekError::NotAFile { .. })), "{e:?}");
    let file = big_file(scan, 100_000);
    let unhashed = Entry {
        content_sha256: None,
        ..file.clone()
    };
    let e = index.open(digest, size, &unhashed).err();
    assert!(
        matches!(e, Some(SeekError::NoContentDigest { .. })),
        "{e:?}"
    );
    let past = Entry {
        offset: index.tar_size(),
        ..file.clone()
    };
    let e = index.open(digest, size, &past).err();
    assert!(matches!(e, Some(SeekError::PastTarEnd { .. })), "{e:?}");

    let mut rng = Rng(25);
    let mut attempt = |entry: Entry| {
        let opened = index.open(digest, size, &entry).expect("open");
        let (sink, _, result) = read(&mut rng, opened, blob);
        assert_eq!(sink.ended, 0);
        result.err()
    };
    let renamed = Entry {
        path: b"srv/elsewhere".to_vec(),
        ..file.clone()
    };
    let e = attempt(renamed);
    assert!(matches!(e, Some(SeekError::NotTheEntry { .. })), "{e:?}");
    let moved = Entry {
        offset: file.offset + 512,
        ..file.clone()
    };
    let e = attempt(moved);
    assert!(matches!(e, Some(SeekError::NotTheEntry { .. })), "{e:?}");
    let other_digest = Entry {
        content_sha256: Some([7; 32]),
        ..file.clone()
    };
    let e = attempt(other_digest);
    assert!(matches!(e, Some(SeekError::ContentDigest { .. })), "{e:?}");
}
