//! The layer scanner as a bare WebAssembly module, for `benches/wasm_scan.mjs`.
//!
//! Plain `extern "C"` exports, no wasm-bindgen: the host asks for a buffer,
//! writes a chunk of the blob into linear memory, calls `scan_feed(len)`,
//! and finally `scan_finish()`. Two probes (`sha256_*`, `inflate_*`) time
//! the components alone, to see where the time goes in wasm.
//!
//! Build (what `scripts/bench-scan.sh` does):
//! `RUSTFLAGS="-C target-feature=+simd128" cargo build --release --example wasm_scan --target wasm32-unknown-unknown`

// The exports are `#[no_mangle]` C symbols (no wasm-bindgen here), which the
// project's `unsafe_code` lint counts as unsafe: each name is unique to this
// module, the only thing linked into it.
#![allow(unsafe_code)]

use std::cell::RefCell;

use flate2::{Decompress, FlushDecompress, Status};
use layerlens::layer::{ScanOptions, Scanner};
use layerlens::oci::Compression;
use sha2::{Digest as _, Sha256};

#[derive(Default)]
struct State {
    buf: Vec<u8>,
    scanner: Option<Scanner>,
    entries: u32,
    sha: Option<Sha256>,
    crc: u32,
    inflate: Option<(Decompress, Vec<u8>, u64)>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// Makes the input buffer `cap` bytes long and returns where it lives in
/// linear memory (valid until the next call).
#[no_mangle]
pub extern "C" fn buffer(cap: usize) -> *mut u8 {
    STATE.with_borrow_mut(|s| {
        s.buf.resize(cap, 0);
        s.buf.as_mut_ptr()
    })
}

/// Starts a scan: compression 0 = none, 1 = gzip, 2 = zstd.
#[no_mangle]
pub extern "C" fn scan_begin(compression: u32, hash_contents: u32) {
    let compression = match compression {
        1 => Compression::Gzip,
        2 => Compression::Zstd,
        _ => Compression::None,
    };
    let options = ScanOptions {
        hash_contents: hash_contents != 0,
        ..ScanOptions::default()
    };
    STATE.with_borrow_mut(|s| s.scanner = Some(Scanner::new(compression, options)));
}

/// Feeds the first `len` bytes of the buffer. 0 = fine, -1 = scan error.
#[no_mangle]
pub extern "C" fn scan_feed(len: usize) -> i32 {
    STATE.with_borrow_mut(|s| {
        let State { buf, scanner, .. } = s;
        match (scanner, buf.get(..len)) {
            (Some(scanner), Some(chunk)) => match scanner.feed(chunk) {
                Ok(()) => 0,
                Err(_) => -1,
            },
            _ => -1,
        }
    })
}

/// Ends the scan; returns the tar size (as f64: JS numbers), or -1.
#[no_mangle]
pub extern "C" fn scan_finish() -> f64 {
    STATE.with_borrow_mut(|s| match s.scanner.take().map(Scanner::finish) {
        Some(Ok(scan)) => {
            s.entries = scan.entries().len() as u32;
            scan.tar_size() as f64
        }
        _ => -1.0,
    })
}

/// Entries found by the last finished scan.
#[no_mangle]
pub extern "C" fn scan_entries() -> u32 {
    STATE.with_borrow(|s| s.entries)
}

/// Probe: SHA-256 alone over the fed bytes.
#[no_mangle]
pub extern "C" fn sha256_begin() {
    STATE.with_borrow_mut(|s| s.sha = Some(Sha256::new()));
}

/// Probe: hashes the first `len` bytes of the buffer.
#[no_mangle]
pub extern "C" fn sha256_feed(len: usize) {
    STATE.with_borrow_mut(|s| {
        if let (Some(h), Some(chunk)) = (&mut s.sha, s.buf.get(..len)) {
            h.update(chunk);
        }
    });
}

/// Probe: CRC32 (zlib-rs's, as the gzip trailer check uses) over the first
/// `len` bytes of the buffer; returns the running value.
#[no_mangle]
pub extern "C" fn crc32_feed(len: usize) -> u32 {
    STATE.with_borrow_mut(|s| {
        let State { buf, crc, .. } = s;
        if let Some(chunk) = buf.get(..len) {
            *crc = zlib_rs::crc32::crc32(*crc, chunk);
        }
        *crc
    })
}

/// Probe: raw inflate alone (flate2 on zlib-rs), starting after a 10-byte
/// gzip header without optional fields.
#[no_mangle]
pub extern "C" fn inflate_begin() {
    STATE.with_borrow_mut(|s| s.inflate = Some((Decompress::new(false), vec![0; 128 << 10], 0)));
}

/// Probe: inflates the first `len` bytes of the buffer; `skip` bytes of it
/// are gzip framing to ignore. Returns 1 once the deflate stream ended.
#[no_mangle]
pub extern "C" fn inflate_feed(skip: usize, len: usize) -> i32 {
    STATE.with_borrow_mut(|s| {
        let State { buf, inflate, .. } = s;
        let (Some((d, out, _)), Some(mut input)) = (inflate, buf.get(skip..len)) else {
            return -1;
        };
        loop {
            let before_in = d.total_in();
            let before_out = d.total_out();
            let Ok(status) = d.decompress(input, out, FlushDecompress::None) else {
                return -1;
            };
            input = &input[(d.total_in() - before_in) as usize..];
            let produced = d.total_out() - before_out;
            if status == Status::StreamEnd {
                return 1;
            }
            if input.is_empty() && produced < out.len() as u64 {
                return 0;
            }
        }
    })
}
