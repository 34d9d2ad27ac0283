//! Media types: a descriptor's bare `mediaType` (RFC 6838 grammar) and a
//! response's `Content-Type` with parameters; a parsed type's name parses
//! back to the same type.
#![no_main]
use layerlens::oci::{MediaType, Platform};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    for t in [MediaType::parse(s), MediaType::from_content_type(s)]
        .into_iter()
        .flatten()
    {
        let again = MediaType::parse(t.as_str()).expect("a parsed type's name parses");
        assert!(again.same_as(&t), "{t:?} vs {again:?}");
        let _ = (
            t.is_index(),
            t.is_manifest(),
            t.layer_compression(),
            t.is_non_distributable(),
        );
    }
    // Platforms (`os/arch[/variant]`, from links and `--platform`).
    if let Ok(p) = Platform::parse(s) {
        let _ = p.to_string();
    }
});
