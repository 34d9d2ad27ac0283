//! References as a person types them (`Reference::parse_normalized`), as
//! written (`Reference::parse`) and image-ID-or-name (`AnyReference::parse`):
//! never a panic, and a parsed reference prints as text that parses back to it.
#![no_main]
use layerlens::oci::{AnyReference, Reference};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(r) = Reference::parse_normalized(s) {
        let printed = r.to_string();
        assert_eq!(Reference::parse(&printed).as_ref(), Ok(&r), "{printed}");
        let _ = r.familiar_string();
        let pulled = r.pull_reference();
        assert_eq!(Reference::parse(&pulled.to_string()).as_ref(), Ok(&pulled));
        let _ = r.familiar_match(s);
    }
    if let Ok(r) = Reference::parse(s) {
        assert_eq!(r.to_string(), s, "parse keeps the text as written");
    }
    let _ = Reference::parse_docker_ref(s);
    if let Ok(AnyReference::Named(r)) = AnyReference::parse(s) {
        let _ = r.familiar_name();
    }
});
