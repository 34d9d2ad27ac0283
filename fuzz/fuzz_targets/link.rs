//! `Link` headers (RFC 8288) as registries paginate tag lists: the
//! `rel="next"` target, if any, is a substring of the header.
#![no_main]
use layerlens::registry::next_link;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(next) = next_link(s) {
        assert!(s.contains(&format!("<{next}>")));
    }
});
