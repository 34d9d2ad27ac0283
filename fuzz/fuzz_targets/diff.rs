//! Comparing two merged trees (`fs::diff::diff_listings`) built from fuzzed
//! layers: against a naive model of the two path sets, in both directions,
//! and a tree against itself.
#![no_main]
use std::collections::BTreeMap;

use layerlens::fs::diff::{diff_listings, Change, DiffOptions};
use layerlens::fs::MergedFs;
use layerlens_fuzz::{layers, Input};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let options = DiffOptions {
        mtime: input.byte() & 1 != 0,
    };
    let a = MergedFs::build(&layers(&mut input, 3)).listing();
    let b = MergedFs::build(&layers(&mut input, 3)).listing();
    assert!(diff_listings(&a, &a, options).is_empty());
    let d = diff_listings(&a, &b, options);
    let back = diff_listings(&b, &a, options);
    assert_eq!(d.count(Change::Added), back.count(Change::Removed));
    assert_eq!(d.count(Change::Modified), back.count(Change::Modified));
    let (added, removed) = d.bytes();
    assert_eq!(back.bytes(), (removed, added));
    // The naive model: paths only in b, only in a, in both and different.
    let map = |rows: &[layerlens::fs::ListingRow]| -> BTreeMap<Vec<u8>, layerlens::fs::ListingRow> {
        rows.iter().map(|r| (r.path.clone(), r.clone())).collect()
    };
    let (ma, mb) = (map(&a), map(&b));
    let expected_added = mb.keys().filter(|p| !ma.contains_key(*p)).count();
    let expected_removed = ma.keys().filter(|p| !mb.contains_key(*p)).count();
    assert_eq!(d.count(Change::Added), expected_added);
    assert_eq!(d.count(Change::Removed), expected_removed);
    assert!(d.entries.windows(2).all(|w| w[0].path() < w[1].path()));
    for e in &d.entries {
        if e.change == Change::Modified {
            assert!(!e.changed.is_empty());
            let (x, y) = (&ma[e.path()], &mb[e.path()]);
            assert_ne!(x, y);
        }
    }
});
