//! Digests (`algorithm:encoded`, go-digest's grammar and order of checks):
//! never a panic, and a parsed digest prints back to its input.
#![no_main]
use layerlens::oci::{Algorithm, Digest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(d) = s.parse::<Digest>() {
            assert_eq!(d.to_string(), s);
            let raw = d.raw();
            assert_eq!(Digest::from_raw(d.algorithm(), &raw).as_ref(), Some(&d));
            assert!(d.short().len() <= d.hex().len());
        }
    }
    for algorithm in [Algorithm::Sha256, Algorithm::Sha512] {
        if let Some(d) = Digest::from_raw(algorithm, data) {
            assert_eq!(d.to_string().parse::<Digest>().as_ref(), Ok(&d));
        }
    }
});
