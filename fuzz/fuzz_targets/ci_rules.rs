//! dive's `.dive-ci` rules (`fs::ci::parse_rules`, sizes by
//! `fs::ci::parse_bytes`) and their check against a merged image's measures.
#![no_main]
use layerlens::fs::ci::{check, measures, parse_bytes, parse_rules};
use layerlens::fs::MergedFs;
use layerlens_fuzz::{layers, Input};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let text = input.bytes(2048);
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let _ = parse_bytes(text);
    let Ok(rules) = parse_rules(text) else { return };
    let fs = MergedFs::build(&layers(&mut input, 4));
    let m = measures(&fs);
    for (_, verdict) in check(&m, &rules) {
        let _ = format!("{verdict:?}");
    }
});
