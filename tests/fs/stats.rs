//! Totals and wasted space: every shadowed or deleted copy once, the
//! surviving copy never.

use layerlens::fs::{MergedFs, Offender};
use layerlens_testkit::fs::*;

fn offender(path: &str, wasted_bytes: u64, copies: u64, layers: &[usize]) -> Offender {
    Offender {
        path: path.as_bytes().to_vec(),
        wasted_bytes,
        copies,
        layers: layers.to_vec(),
    }
}

#[test]
fn written_rewritten_deleted_counts_both_copies_once() {
    let l0 = vec![file("a", &[1u8; 100]), file("keep", &[0u8; 50])];
    let l1 = vec![file("a", &[2u8; 100])];
    let l2 = vec![wh("a")];
    let fs = MergedFs::build(&[l0, l1, l2]);
    let s = fs.stats();
    assert_eq!(s.layer_bytes, 250);
    assert_eq!(s.wasted_bytes, 200);
    assert_eq!(s.wasted_copies, 2);
    assert_eq!(s.image_bytes, 50);
    assert_eq!(s.offenders, vec![offender("a", 200, 2, &[0, 1])]);
    assert_eq!(s.efficiency(), 50.0 / 250.0);
    let per_layer: Vec<u64> = (0..3)
        .map(|i| fs.layer_summary(i).unwrap().wasted_bytes)
        .collect();
    assert_eq!(per_layer, [100, 100, 0]);
}

#[test]
fn the_surviving_copy_is_never_counted() {
    // dive would report 220 bytes wasted here (both copies of `a`).
    let l0 = vec![file("a", &[1u8; 100])];
    let l1 = vec![file("a", &[2u8; 120])];
    let fs = MergedFs::build(&[l0, l1]);
    let s = fs.stats();
    assert_eq!(
        (s.layer_bytes, s.wasted_bytes, s.image_bytes),
        (220, 100, 120)
    );
    assert_eq!(s.offenders, vec![offender("a", 100, 1, &[0])]);
    assert_eq!(s.efficiency(), 120.0 / 220.0);
    // The same bytes stored again are still wasted: the lower copy is
    // shadowed whatever its content.
    let fs = MergedFs::build(&[vec![file("a", b"same")], vec![file("a", b"same")]]);
    assert_eq!(fs.stats().wasted_bytes, 4);
    assert_eq!(strs(&fs.changes(1).unwrap().unchanged), ["a"]);
}

#[test]
fn directory_replacement_and_opaque_markers_waste_their_subtrees() {
    let l0 = vec![
        file("d/x", &[0u8; 10]),
        file("d/y", &[0u8; 20]),
        file("o/p", &[0u8; 7]),
        file("o/q", &[0u8; 7]),
    ];
    let l1 = vec![file("d", &[0u8; 5]), opq("o"), file("o/r", &[0u8; 3])];
    let fs = MergedFs::build(&[l0, l1]);
    let s = fs.stats();
    assert_eq!(s.wasted_bytes, 44);
    assert_eq!(s.image_bytes, 8);
    assert_eq!(s.layer_bytes, s.image_bytes + s.wasted_bytes);
    assert_eq!(
        s.offenders,
        vec![
            offender("d/y", 20, 1, &[0]),
            offender("d/x", 10, 1, &[0]),
            // Ties sort by path bytes.
            offender("o/p", 7, 1, &[0]),
            offender("o/q", 7, 1, &[0]),
        ]
    );
}

#[test]
fn offenders_group_copies_by_path_across_layers() {
    let layers = vec![
        vec![
            file("big", &[0u8; 1000]),
            file("small", &[0u8; 10]),
            file("empty", b""),
        ],
        vec![
            file("big", &[1u8; 1000]),
            file("small", &[1u8; 10]),
            file("empty", b""),
        ],
        vec![file("big", &[2u8; 1000]), wh("small"), wh("empty")],
        vec![file("big", &[3u8; 10])],
    ];
    let fs = MergedFs::build(&layers);
    let s = fs.stats();
    assert_eq!(
        s.offenders,
        vec![
            offender("big", 3000, 3, &[0, 1, 2]),
            offender("small", 20, 2, &[0, 1]),
        ]
    );
    // Empty copies count as copies but not as offenders.
    assert_eq!(s.wasted_copies, 7);
    assert_eq!(s.wasted_bytes, 3020);
    assert_eq!(s.image_bytes, 10);
}

#[test]
fn totals_by_kind() {
    let l0 = vec![
        dir("d"),
        file("d/f", b"abc"),
        hard("d/g", "d/f"),
        sym("s", "d"),
        chr("c", 1, 1),
        blk("b", 8, 1),
        fifo("p"),
        hard("x", "missing"),
    ];
    let fs = MergedFs::build(&[l0]);
    let s = fs.stats();
    assert_eq!(
        (
            s.files,
            s.dirs,
            s.symlinks,
            s.hardlinks,
            s.broken_hardlinks,
            s.devices,
            s.fifos
        ),
        (2, 2, 1, 1, 1, 2, 1)
    );
    assert_eq!((s.image_bytes, s.layer_bytes, s.wasted_bytes), (3, 3, 0));
    let sum = fs.layer_summary(0).unwrap();
    assert_eq!(
        (
            sum.entries,
            sum.files,
            sum.dirs,
            sum.symlinks,
            sum.hardlinks,
            sum.others,
            sum.bytes
        ),
        (8, 1, 1, 1, 2, 3, 3)
    );
}

#[test]
fn efficiency_of_an_image_without_file_bytes_is_one() {
    let fs = MergedFs::build(&[vec![dir("a"), sym("b", "a"), file("e", b"")]]);
    assert_eq!(fs.stats().layer_bytes, 0);
    assert_eq!(fs.stats().efficiency(), 1.0);
}
