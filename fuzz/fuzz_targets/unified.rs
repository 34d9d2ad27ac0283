//! The file viewer's unified diff (`app::file::unified`) of two fuzzed
//! texts (an image's file and the compared image's, both outside bytes):
//! bounded, nothing when equal, and the hunks' lines are the texts' lines —
//! the removed and kept ones read in order are lines of the first, the
//! added and kept ones lines of the second, and the header counts match.
#![no_main]
use layerlens::app::file::unified::{unified, DiffLine};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The two texts, split at the first 0xFF byte (lossily decoded, as the
    // viewer shows text).
    let cut = data.iter().position(|b| *b == 0xFF).unwrap_or(data.len());
    let a = String::from_utf8_lossy(&data[..cut]).into_owned();
    let b = String::from_utf8_lossy(data.get(cut + 1..).unwrap_or(&[])).into_owned();
    assert_eq!(unified(&a, &a), Some(Vec::new()));
    let Some(d) = unified(&a, &b) else {
        return;
    };
    if a == b {
        assert!(d.is_empty());
    }
    let lines = |t: &str| -> Vec<String> {
        let mut v: Vec<String> = t.split('\n').map(str::to_owned).collect();
        if t.ends_with('\n') || t.is_empty() {
            v.pop();
        }
        v
    };
    let (la, lb) = (lines(&a), lines(&b));
    let mut hunk = (0usize, 0usize, 0usize, 0usize);
    let mut seen = (0usize, 0usize);
    let check = |h: (usize, usize, usize, usize), seen: (usize, usize)| {
        assert_eq!((h.1, h.3), seen, "a hunk's header counts its lines");
    };
    for l in &d {
        match l {
            DiffLine::Hunk(h) => {
                if seen != (0, 0) || hunk != (0, 0, 0, 0) {
                    check(hunk, seen);
                }
                let nums: Vec<usize> = h
                    .split(|c: char| !c.is_ascii_digit())
                    .filter(|s| !s.is_empty())
                    .map(|s| s.parse().unwrap_or(usize::MAX))
                    .collect();
                assert_eq!(nums.len(), 4, "{h}");
                hunk = (nums[0], nums[1], nums[2], nums[3]);
                seen = (0, 0);
            }
            DiffLine::Same(t) => {
                assert_eq!(la.get(hunk.0.max(1) - 1 + seen.0), Some(t));
                assert_eq!(lb.get(hunk.2.max(1) - 1 + seen.1), Some(t));
                seen = (seen.0 + 1, seen.1 + 1);
            }
            DiffLine::Removed(t) => {
                assert_eq!(la.get(hunk.0.max(1) - 1 + seen.0), Some(t));
                seen.0 += 1;
            }
            DiffLine::Added(t) => {
                assert_eq!(lb.get(hunk.2.max(1) - 1 + seen.1), Some(t));
                seen.1 += 1;
            }
        }
    }
    if !d.is_empty() {
        check(hunk, seen);
    }
});
