//! The layer scanner (`layer::Scanner`): gzip, zstd and plain tar blobs, and
//! fuzzed tar streams wrapped in valid gzip framing so the tar walk is
//! reached through the inflater. The input carries its own chunk sizes (0 to
//! 255 bytes, empty chunks included): the scan fed in those pieces must
//! equal the scan fed in one piece — entries, problems, digests, sizes and
//! the error, if any.
#![no_main]
use std::io::Write;

use layerlens::layer::{Collect, ExtractTarget, ScanOptions, Scanner};
use layerlens::oci::Compression;
use layerlens_fuzz::{chunked, Input};
use libfuzzer_sys::fuzz_target;

fn options(flags: u8) -> ScanOptions {
    ScanOptions {
        hash_contents: flags & 1 != 0,
        // Small caps, so that the caps themselves are reached.
        max_entries: if flags & 2 != 0 { 8 } else { 1 << 20 },
        max_name_len: if flags & 4 != 0 { 300 } else { 64 << 10 },
        max_pax_size: if flags & 4 != 0 { 600 } else { 1 << 20 },
        // A zstd frame may ask for a 128 MiB window; keep the fuzzer's
        // memory limit (256 MiB) for real leaks.
        max_zstd_window: 8 << 20,
        ..ScanOptions::default()
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let mode = input.byte() % 4;
    let flags = input.byte();
    let sizes = input.bytes(16);
    let body = input.rest();
    let (compression, blob) = match mode {
        0 => (Compression::None, body.to_vec()),
        1 => (Compression::Gzip, body.to_vec()),
        2 => (Compression::Zstd, body.to_vec()),
        _ => {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(body).expect("writing to memory");
            (Compression::Gzip, gz.finish().expect("writing to memory"))
        }
    };
    let extract = flags & 8 != 0;
    let scan = |sizes: &[u8]| {
        if extract {
            let target = ExtractTarget::path(b"a").expect("a valid path");
            let mut s =
                Scanner::with_extract(compression, options(flags), target, Collect::new(4096));
            let _ = chunked(&blob, sizes, |c| s.feed(c));
            let (result, sink) = s.finish_with_sink();
            let sink = sink.unwrap_or_default();
            (result, Some((sink.bytes().to_vec(), sink.complete())))
        } else {
            let mut s = Scanner::new(compression, options(flags));
            let _ = chunked(&blob, sizes, |c| s.feed(c));
            (s.finish(), None)
        }
    };
    let (whole, whole_sink) = scan(&[]);
    let (pieces, pieces_sink) = scan(sizes);
    assert_eq!(whole_sink, pieces_sink);
    match (&whole, &pieces) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(a), Err(b)) => {
            assert_eq!(a.error(), b.error());
            assert_eq!(a.entries(), b.entries());
            assert_eq!(a.problems(), b.problems());
        }
        _ => panic!("one piece: {whole:?}\nin pieces: {pieces:?}"),
    }
    if let Ok(scan) = whole {
        // The stored form of the index reads back as itself.
        let bytes = scan.index().encode();
        let again = layerlens::layer::LayerIndex::decode(&bytes).expect("own encoding decodes");
        assert_eq!(&again, scan.index());
    }
});
