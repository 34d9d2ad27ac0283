//! `WWW-Authenticate` challenges (RFC 9110 §11.6.1: several challenges,
//! quoted strings, token68), and the token endpoint's answer.
#![no_main]
use layerlens::registry::{parse_challenges, parse_token_response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(challenges) = parse_challenges(s) {
            for c in &challenges {
                let _ = (c.is_bearer(), c.param("realm"), c.param("scope"));
            }
        }
    }
    let _ = parse_token_response(data, 1_700_000_000_000);
});
