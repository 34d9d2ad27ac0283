//! A layer index as stored in the library (`LayerIndex::decode`: the page's
//! IndexedDB records may be damaged or written by another version). The
//! input is taken as written and, so that the fuzzer gets past the trailing
//! CRC-32, also with a CRC of its own appended. Never a panic, and what
//! decodes encodes back to something that decodes the same.
#![no_main]
use layerlens::layer::LayerIndex;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut sealed = data.to_vec();
    sealed.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
    for bytes in [data, &sealed[..]] {
        if let Ok(index) = LayerIndex::decode(bytes) {
            let again = LayerIndex::decode(&index.encode()).expect("own encoding decodes");
            assert_eq!(again, index);
        }
    }
});
