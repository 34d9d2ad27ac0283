//! Tables of contents of lazily-pullable layers (`layer::toc`): the JSON
//! listing itself (`toc::entries`), a zstd:chunked table through
//! `read_chunked_toc` (its checksum made to match, its announced length
//! fuzzed), and an eStargz footer and table (`StargzToc::toc_offset`,
//! `read_stargz_toc`).
#![no_main]
use layerlens::layer::toc::{self, read_chunked_toc, read_stargz_toc, ChunkedToc, StargzToc};
use layerlens::oci::Digest;
use layerlens_fuzz::Input;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    match input.byte() % 4 {
        0 | 1 => {
            if let Ok(entries) = toc::entries(input.rest()) {
                let _ = layerlens::fs::MergedFs::build(&[entries]).listing();
            }
        }
        2 => {
            let uncompressed = input.u64() % (1 << 22);
            let offset = input.u64() % (1 << 40);
            let bytes = input.rest().to_vec();
            let location = ChunkedToc {
                offset,
                length: bytes.len() as u64,
                uncompressed,
                checksum: Digest::sha256(&bytes),
            };
            if let Ok(listed) = read_chunked_toc(&location, bytes) {
                for i in 0..listed.entries().len() {
                    let _ = listed.spans(i);
                    let _ = listed.open(i);
                }
            }
        }
        _ => {
            let blob_size = input.u64();
            let footer = input.bytes(64);
            let bytes = input.rest();
            let toc = StargzToc {
                digest: Digest::sha256(b"{}"),
                blob_size: blob_size.max(52),
            };
            let _ = toc.footer_range();
            if let Ok(offset) = toc.toc_offset(footer) {
                let _ = toc.toc_range(offset);
                let _ = read_stargz_toc(&toc, offset, bytes);
            }
        }
    }
});
