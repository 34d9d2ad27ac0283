//! The union filesystem (`fs::MergedFs::build`) over arbitrary layers of
//! entries whose paths collide on purpose (whiteouts, opaque markers, files
//! over directories, hard links and symlinks among the same few names).
//! Invariants: the listing is sorted and unique, every entry's parent is a
//! listed directory, no whiteout marker survives, a path whited out and not
//! written again is gone, every path looks itself up, the incremental
//! builder's snapshots equal merges of the same prefixes, and the statistics
//! add up.
#![no_main]
use layerlens::fs::{listing::RowKind, MergeBuilder, MergeOptions, MergedFs};
use layerlens::layer::Entry;
use layerlens_fuzz::{layers, Input};
use libfuzzer_sys::fuzz_target;

/// The paths a naive model says are deleted: `.wh.NAME` in layer k when
/// nothing in layer k (but the marker) or above writes NAME or below it.
fn whited_out(layers: &[Vec<Entry>]) -> Vec<Vec<u8>> {
    let mut gone = Vec::new();
    for (k, layer) in layers.iter().enumerate() {
        for e in layer {
            let (parent, name) = match e.path.iter().rposition(|&b| b == b'/') {
                Some(i) => (&e.path[..=i], &e.path[i + 1..]),
                None => (&e.path[..0], &e.path[..]),
            };
            let Some(victim) = name.strip_prefix(b".wh.") else {
                continue;
            };
            if victim.is_empty()
                || victim.starts_with(b".wh.")
                || parent.windows(4).any(|w| w == b".wh.")
            {
                continue;
            }
            let path = [parent, victim].concat();
            let under =
                |p: &[u8]| p == path || (p.starts_with(&path) && p.get(path.len()) == Some(&b'/'));
            let rewritten = layers[k..].iter().flatten().any(|e| under(&e.path));
            if !rewritten {
                gone.push(path);
            }
        }
    }
    gone
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let layers = layers(&mut input, 6);
    let fs = MergedFs::build(&layers);
    let rows = fs.listing();
    assert!(
        rows.windows(2).all(|w| w[0].path < w[1].path),
        "sorted, unique"
    );
    assert_eq!(
        rows.first().map(|r| &r.path[..]),
        Some(&b"/"[..]),
        "the root first"
    );
    for row in &rows[1..] {
        let i = row.path.iter().rposition(|&b| b == b'/').expect("absolute");
        let parent = if i == 0 { &b"/"[..] } else { &row.path[..i] };
        let p = rows
            .binary_search_by(|r| r.path[..].cmp(parent))
            .expect("parent listed");
        assert_eq!(rows[p].kind, RowKind::Dir, "parent of {:?}", row.path);
        let name = &row.path[i + 1..];
        assert!(
            !name.starts_with(b".wh."),
            "marker {:?} in the merged view",
            row.path
        );
    }
    for path in whited_out(&layers) {
        let abs = [&b"/"[..], &path].concat();
        assert!(
            rows.binary_search_by(|r| r.path.cmp(&abs)).is_err(),
            "{abs:?} was whited out"
        );
    }
    for (id, path) in fs.walk() {
        assert_eq!(fs.lookup(&path), Some(id));
    }
    let stats = fs.stats();
    assert!(stats.wasted_bytes <= stats.layer_bytes);
    assert!(stats.image_bytes <= stats.layer_bytes);
    assert!((0.0..=1.0).contains(&stats.efficiency()));
    // A hard link whose target is missing is listed, and counted apart.
    let counted = stats.files
        + stats.dirs
        + stats.symlinks
        + stats.devices
        + stats.fifos
        + stats.broken_hardlinks;
    assert_eq!(counted, rows.len() as u64, "{stats:?}");

    // The builder's snapshot after k layers is the merge of those k layers.
    let mut builder = MergeBuilder::new(MergeOptions::default());
    for (k, layer) in layers.iter().enumerate() {
        builder.push_entries(layer);
        if k + 1 < layers.len() {
            assert_eq!(
                builder.snapshot().listing(),
                MergedFs::build(&layers[..=k]).listing()
            );
        }
        let view = MergedFs::layer_view(layer, k);
        let own = view.listing();
        assert!(own.windows(2).all(|w| w[0].path < w[1].path));
    }
    assert_eq!(builder.finish().listing(), rows);
});
