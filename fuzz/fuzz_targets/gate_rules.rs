//! `layerlens diff --fail-on` rules (`fs::gate::parse_rules`) and their
//! evaluation, globs included, against a comparison of two small fuzzed trees.
#![no_main]
use layerlens::fs::diff::{diff_listings, DiffOptions};
use layerlens::fs::gate::{evaluate, parse_rules};
use layerlens::fs::MergedFs;
use layerlens_fuzz::{layers, Input};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let text = input.bytes(1024);
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let Ok(rules) = parse_rules(text) else { return };
    for rule in &rules {
        let again = parse_rules(&rule.text()).expect("a rule's text parses");
        assert_eq!(again.len(), 1, "{}", rule.text());
    }
    let a = MergedFs::build(&layers(&mut input, 2)).listing();
    let b = MergedFs::build(&layers(&mut input, 2)).listing();
    let diff = diff_listings(&a, &b, DiffOptions::default());
    for (_, broken) in evaluate(&rules, &diff) {
        assert!(broken.len() <= diff.entries.len());
    }
});
