//! The merge rules, one test per rule, with golden listings written by hand.

use layerlens::fs::{
    ChangeFlags, MergeBuilder, MergeOptions, MergedFs, Modification, NoteKind, Version,
};
use layerlens::layer::{Entry, EntryKind};
use layerlens_testkit::fs::*;

fn notes(fs: &MergedFs) -> Vec<(usize, String, NoteKind)> {
    fs.notes()
        .iter()
        .map(|n| {
            (
                n.layer,
                String::from_utf8_lossy(&n.path).into_owned(),
                n.kind,
            )
        })
        .collect()
}

fn modified(path: &str, what: ChangeFlags) -> Modification {
    Modification {
        path: path.as_bytes().to_vec(),
        what,
    }
}

const CONTENT: ChangeFlags = ChangeFlags {
    kind: false,
    content: true,
    mode: false,
    owner: false,
};
const KIND: ChangeFlags = ChangeFlags {
    kind: true,
    content: false,
    mode: false,
    owner: false,
};

#[test]
fn files_directories_symlinks_and_implicit_parents() {
    let l0 = vec![
        dir("etc"),
        file("etc/passwd", b"root"),
        dir("bin"),
        file("bin/sh", b"sh!").mode(0o755),
        sym("bin/bash", "sh"),
    ];
    let l1 = vec![file("etc/passwd", b"root2"), file("usr/bin/env", b"env")];
    let fs = MergedFs::build(&[l0, l1]);
    let expected = golden(&[
        "/ d 0755 0 0 - - - -".to_string(),
        "/bin d 0755 0 0 - - - -".to_string(),
        "/bin/bash l 0777 0 0 - - sh 1000".to_string(),
        format!("/bin/sh f 0755 0 0 3 {} - 1000", sha_hex(b"sh!")),
        "/etc d 0755 0 0 - - - -".to_string(),
        format!("/etc/passwd f 0644 0 0 5 {} - 1000", sha_hex(b"root2")),
        "/usr d 0755 0 0 - - - -".to_string(),
        "/usr/bin d 0755 0 0 - - - -".to_string(),
        format!("/usr/bin/env f 0644 0 0 3 {} - 1000", sha_hex(b"env")),
    ]);
    assert_eq!(fs.listing_tsv(), expected);

    let usr = fs.lookup(b"usr").unwrap();
    assert!(fs.node(usr).unwrap().is_implicit());
    assert_eq!(fs.node(usr).unwrap().layer(), 1);
    let etc = fs.lookup(b"etc").unwrap();
    assert!(!fs.node(etc).unwrap().is_implicit());

    let c1 = fs.changes(1).unwrap();
    assert_eq!(strs(&c1.added), ["usr", "usr/bin", "usr/bin/env"]);
    assert_eq!(c1.modified, vec![modified("etc/passwd", CONTENT)]);
    assert!(c1.unchanged.is_empty() && c1.removed.is_empty());
    let c0 = fs.changes(0).unwrap();
    assert_eq!(
        strs(&c0.added),
        ["bin", "bin/bash", "bin/sh", "etc", "etc/passwd"]
    );
    assert!(fs.notes().is_empty());
}

#[test]
fn whiteout_removes_lower_path_and_subtree() {
    let l0 = vec![
        dir("a"),
        dir("a/b"),
        file("a/b/c", b"x"),
        file("a/d", b"d"),
        file("e", b"e"),
    ];
    let l1 = vec![wh("a/b"), wh("e"), file("a/f", b"f")];
    let fs = MergedFs::build(&[l0, l1]);
    assert_eq!(
        fs.listing_tsv(),
        golden(&[
            "/ d 0755 0 0 - - - -".to_string(),
            "/a d 0755 0 0 - - - -".to_string(),
            format!("/a/d f 0644 0 0 1 {} - 1000", sha_hex(b"d")),
            format!("/a/f f 0644 0 0 1 {} - 1000", sha_hex(b"f")),
        ])
    );
    let c1 = fs.changes(1).unwrap();
    assert_eq!(strs(&c1.removed), ["a/b", "a/b/c", "e"]);
    assert_eq!(strs(&c1.added), ["a/f"]);
    assert!(c1.modified.is_empty());
    assert_eq!(fs.layer_summary(1).unwrap().whiteouts, 2);
}

#[test]
fn whiteouts_never_act_on_their_own_layer_wherever_they_sit() {
    let l0 = vec![file("x", b"old"), file("y", b"old")];
    // Marker before the new entry, and after it.
    let l1 = vec![
        wh("x"),
        file("x", b"new"),
        file("y", b"new"),
        wh("y"),
        file("z", b"z"),
        wh("z"),
    ];
    let fs = MergedFs::build(&[l0, l1]);
    assert_eq!(
        fs.listing_tsv(),
        golden(&[
            "/ d 0755 0 0 - - - -".to_string(),
            format!("/x f 0644 0 0 3 {} - 1000", sha_hex(b"new")),
            format!("/y f 0644 0 0 3 {} - 1000", sha_hex(b"new")),
            format!("/z f 0644 0 0 1 {} - 1000", sha_hex(b"z")),
        ])
    );
    let c1 = fs.changes(1).unwrap();
    assert_eq!(
        c1.modified,
        vec![modified("x", CONTENT), modified("y", CONTENT)]
    );
    assert_eq!(strs(&c1.added), ["z"]);
    assert!(c1.removed.is_empty());
    // The marker for z names nothing below: noted, not applied.
    assert_eq!(
        notes(&fs),
        vec![(1, ".wh.z".to_string(), NoteKind::WhiteoutTargetMissing)]
    );
    // The recreated x remembers the version its layer whited out.
    let x = fs.node(fs.lookup(b"x").unwrap()).unwrap();
    assert_eq!(
        x.replaced(),
        &[Version {
            layer: 0,
            kind: EntryKind::File,
            size: 3
        }]
    );
    assert_eq!(fs.stats().wasted_bytes, 6);
}

fn opaque_base() -> Vec<Entry> {
    vec![
        dir("a").mode(0o700).owner(5, 5),
        file("a/old1", b"1"),
        dir("a/sub"),
        file("a/sub/old2", b"22"),
        file("b", b"b"),
    ]
}

#[test]
fn opaque_hides_lower_children_wherever_the_marker_sits() {
    let expected = golden(&[
        "/ d 0755 0 0 - - - -".to_string(),
        "/a d 0700 5 5 - - - -".to_string(),
        format!("/a/new f 0644 0 0 1 {} - 1000", sha_hex(b"n")),
        "/a/sub d 0755 0 0 - - - -".to_string(),
        format!("/a/sub/keep f 0644 0 0 1 {} - 1000", sha_hex(b"k")),
        format!("/b f 0644 0 0 1 {} - 1000", sha_hex(b"b")),
    ]);
    let own = || vec![file("a/new", b"n"), dir("a/sub"), file("a/sub/keep", b"k")];
    let mut first = vec![opq("a")];
    first.extend(own());
    let mut last = own();
    last.push(opq("a"));
    let mut middle = own();
    middle.insert(1, opq("a"));
    for l1 in [first, last, middle] {
        let fs = MergedFs::build(&[opaque_base(), l1]);
        assert_eq!(fs.listing_tsv(), expected);
        let c1 = fs.changes(1).unwrap();
        assert_eq!(strs(&c1.removed), ["a/old1", "a/sub/old2"]);
        // a/sub existed below, was hidden, and is recreated by the layer.
        assert_eq!(strs(&c1.unchanged), ["a/sub"]);
        assert_eq!(strs(&c1.added), ["a/new", "a/sub/keep"]);
        assert!(fs.notes().is_empty());
    }
}

#[test]
fn opaque_at_the_root_and_on_a_new_directory() {
    let l0 = vec![file("x", b"x"), dir("d"), file("d/y", b"y")];
    let l1 = vec![opq(""), file("n", b"n"), dir("fresh"), opq("fresh")];
    let fs = MergedFs::build(&[l0, l1]);
    assert_eq!(
        fs.listing_tsv(),
        golden(&[
            "/ d 0755 0 0 - - - -".to_string(),
            "/fresh d 0755 0 0 - - - -".to_string(),
            format!("/n f 0644 0 0 1 {} - 1000", sha_hex(b"n")),
        ])
    );
    assert_eq!(strs(&fs.changes(1).unwrap().removed), ["d", "d/y", "x"]);
    assert!(fs.notes().is_empty());
}

#[test]
fn directory_replaced_by_file_and_back() {
    let l0 = vec![
        dir("d"),
        file("d/x", b"x"),
        dir("d/y"),
        file("d/y/z", b"z"),
        file("f", b"f"),
    ];
    let l1 = vec![file("d", b"now a file"), dir("f"), file("f/g", b"g")];
    let fs = MergedFs::build(&[l0, l1]);
    assert_eq!(
        fs.listing_tsv(),
        golden(&[
            "/ d 0755 0 0 - - - -".to_string(),
            format!("/d f 0644 0 0 10 {} - 1000", sha_hex(b"now a file")),
            "/f d 0755 0 0 - - - -".to_string(),
            format!("/f/g f 0644 0 0 1 {} - 1000", sha_hex(b"g")),
        ])
    );
    let c1 = fs.changes(1).unwrap();
    assert_eq!(c1.modified, vec![modified("d", KIND), modified("f", KIND)]);
    assert_eq!(strs(&c1.removed), ["d/x", "d/y", "d/y/z"]);
    assert_eq!(strs(&c1.added), ["f/g"]);
    let d = fs.node(fs.lookup(b"d").unwrap()).unwrap();
    assert_eq!(
        d.replaced(),
        &[Version {
            layer: 0,
            kind: EntryKind::Directory,
            size: 0
        }]
    );
    // x, z and f's old content are gone: 3 bytes wasted.
    assert_eq!(fs.stats().wasted_bytes, 3);
}

#[test]
fn whiteouts_under_a_file_or_nothing_do_not_break_the_merge() {
    let l0 = vec![dir("a"), file("a/b", b"b")];
    let l1 = vec![file("a", b"file")];
    let l2 = vec![
        wh("a/b"),
        opq("a"),
        wh("zz/top"),
        opq("missing"),
        file("c", b"c"),
    ];
    let fs = MergedFs::build(&[l0, l1, l2]);
    assert_eq!(
        fs.listing_tsv(),
        golden(&[
            "/ d 0755 0 0 - - - -".to_string(),
            format!("/a f 0644 0 0 4 {} - 1000", sha_hex(b"file")),
            format!("/c f 0644 0 0 1 {} - 1000", sha_hex(b"c")),
        ])
    );
    assert_eq!(
        notes(&fs),
        vec![
            (2, "a/.wh.b".into(), NoteKind::WhiteoutParentNotDirectory),
            (
                2,
                "a/.wh..wh..opq".into(),
                NoteKind::OpaqueParentNotDirectory
            ),
            (2, "zz/.wh.top".into(), NoteKind::WhiteoutTargetMissing),
        ]
    );
    assert_eq!(strs(&fs.changes(2).unwrap().added), ["c"]);
}

#[test]
fn same_path_twice_in_one_layer_last_wins() {
    let l0 = vec![
        file("a", b"one"),
        file("a", b"two!"),
        dir("d"),
        file("d/x", b"x"),
        file("d", b"f"),
    ];
    let fs = MergedFs::build(&[l0]);
    assert_eq!(
        fs.listing_tsv(),
        golden(&[
            "/ d 0755 0 0 - - - -".to_string(),
            format!("/a f 0644 0 0 4 {} - 1000", sha_hex(b"two!")),
            format!("/d f 0644 0 0 1 {} - 1000", sha_hex(b"f")),
        ])
    );
    assert_eq!(
        notes(&fs),
        vec![
            (0, "a".into(), NoteKind::DuplicatePath),
            (0, "d".into(), NoteKind::DuplicatePath),
        ]
    );
    // Only the surviving paths are "added"; d/x lived and died inside the layer.
    assert_eq!(strs(&fs.changes(0).unwrap().added), ["a", "d"]);
    // The first a and d/x were stored for nothing.
    assert_eq!(fs.stats().wasted_bytes, 4);
    assert_eq!(fs.stats().wasted_copies, 2);
}

#[test]
fn hard_links_resolve_in_the_merged_view() {
    let l0 = vec![file("usr/bin/python3", b"py").mode(0o755)];
    let l1 = vec![
        hard("usr/bin/python", "usr/bin/python3"),
        hard("broken", "nope"),
        hard("todir", "usr"),
    ];
    let fs = MergedFs::build(&[l0.clone(), l1.clone()]);
    let py = sha_hex(b"py");
    assert_eq!(
        fs.listing_tsv(),
        golden(&[
            "/ d 0755 0 0 - - - -".to_string(),
            "/broken h 0644 0 0 - - /nope 1000".to_string(),
            "/todir h 0644 0 0 - - /usr 1000".to_string(),
            "/usr d 0755 0 0 - - - -".to_string(),
            "/usr/bin d 0755 0 0 - - - -".to_string(),
            // The byte-wise first name of the group is the `f` row.
            format!("/usr/bin/python f 0755 0 0 2 {py} - 1000"),
            format!("/usr/bin/python3 h 0755 0 0 2 {py} /usr/bin/python 1000"),
        ])
    );
    assert_eq!(
        notes(&fs),
        vec![
            (1, "broken".into(), NoteKind::HardLinkTargetMissing),
            (1, "todir".into(), NoteKind::HardLinkToDirectory),
        ]
    );
    let s = fs.stats();
    assert_eq!((s.files, s.hardlinks, s.broken_hardlinks), (2, 1, 2));
    assert_eq!((s.image_bytes, s.layer_bytes, s.wasted_bytes), (2, 2, 0));

    // Overwriting the original path leaves the link with the old content:
    // that copy is still in use, so nothing is wasted.
    let l2 = vec![file("usr/bin/python3", b"py3new")];
    let fs = MergedFs::build(&[l0.clone(), l1.clone(), l2.clone()]);
    let listing = fs.listing_tsv();
    assert!(listing.contains(&format!(
        "/usr/bin/python\tf\t0755\t0\t0\t2\t{py}\t-\t1000\n"
    )));
    assert!(listing.contains(&format!(
        "/usr/bin/python3\tf\t0644\t0\t0\t6\t{}\t-\t1000\n",
        sha_hex(b"py3new")
    )));
    assert_eq!(fs.stats().wasted_bytes, 0);
    assert_eq!(fs.stats().image_bytes, 8);

    // Deleting the last name of the old content wastes it.
    let l3 = vec![wh("usr/bin/python")];
    let fs = MergedFs::build(&[l0, l1, l2, l3]);
    assert_eq!(fs.stats().wasted_bytes, 2);
    assert_eq!(fs.stats().offenders[0].layers, vec![0]);
}

#[test]
fn hard_links_within_a_layer_and_to_non_files() {
    let l0 = vec![
        file("z/orig", b"data"),
        hard("a/link", "z/orig"),
        sym("s", "target"),
        hard("s2", "s"),
        chr("null", 1, 3),
        hard("null2", "null"),
    ];
    let fs = MergedFs::build(&[l0]);
    let h = sha_hex(b"data");
    assert_eq!(
        fs.listing_tsv(),
        golden(&[
            "/ d 0755 0 0 - - - -".to_string(),
            "/a d 0755 0 0 - - - -".to_string(),
            format!("/a/link f 0644 0 0 4 {h} - 1000"),
            "/null c 0666 0 0 - - 1,3 1000".to_string(),
            "/null2 c 0666 0 0 - - 1,3 1000".to_string(),
            "/s l 0777 0 0 - - target 1000".to_string(),
            "/s2 l 0777 0 0 - - target 1000".to_string(),
            "/z d 0755 0 0 - - - -".to_string(),
            format!("/z/orig h 0644 0 0 4 {h} /a/link 1000"),
        ])
    );
    assert!(fs.node(fs.lookup(b"s2").unwrap()).unwrap().is_hardlink());
    // A self-link: the path is replaced first, so the target is gone.
    let fs = MergedFs::build(&[vec![file("x", b"x")], vec![hard("x", "x")]]);
    assert_eq!(
        notes(&fs),
        vec![(1, "x".into(), NoteKind::HardLinkTargetMissing)]
    );
}

#[test]
fn markers_never_appear_in_the_result() {
    let l0 = vec![
        dir("d"),
        file(".wh.ghost", b""),
        dir(".wh..wh.plnk"),
        file(".wh..wh.plnk/123.456", b"aufs"),
        file("d/.wh.", b""),
        file("d/.wh..", b""),
        file("d/.wh...", b""),
        dir(".wh.dir"),
        file(".wh.dir/inner", b"i"),
        sym("d/.wh.link", "x"),
    ];
    let fs = MergedFs::build(&[l0]);
    assert_eq!(
        fs.listing_tsv(),
        golden(&["/ d 0755 0 0 - - - -", "/d d 0755 0 0 - - - -"])
    );
    let kinds: Vec<NoteKind> = fs.notes().iter().map(|n| n.kind).collect();
    assert_eq!(
        kinds,
        vec![
            NoteKind::WhiteoutTargetMissing,  // .wh.ghost
            NoteKind::AufsMetadataIgnored,    // .wh..wh.plnk
            NoteKind::InvalidWhiteoutName,    // d/.wh.
            NoteKind::InvalidWhiteoutName,    // d/.wh..
            NoteKind::InvalidWhiteoutName,    // d/.wh...
            NoteKind::WhiteoutTargetMissing,  // .wh.dir
            NoteKind::WhiteoutTargetMissing,  // d/.wh.link
            NoteKind::EntryUnderWhiteoutName, // .wh..wh.plnk/123.456
            NoteKind::EntryUnderWhiteoutName, // .wh.dir/inner
        ]
    );
    let s = fs.layer_summary(0).unwrap();
    assert_eq!((s.entries, s.whiteouts, s.skipped), (10, 7, 2));
    // Skipped and marker entries store no counted bytes.
    assert_eq!(fs.stats().layer_bytes, 0);
}

#[test]
fn root_entry_sets_root_attributes() {
    let l0 = vec![dir("").mode(0o700).owner(1, 2), file("", b"bad")];
    let fs = MergedFs::build(&[l0]);
    assert_eq!(fs.listing_tsv(), golden(&["/ d 0700 1 2 - - - -"]));
    assert_eq!(notes(&fs), vec![(0, "".into(), NoteKind::RootNotDirectory)]);
    assert!(!fs.node(fs.root()).unwrap().is_implicit());
    let l1 = vec![dir("").mode(0o755)];
    let fs = MergedFs::build(&[vec![dir("").mode(0o700).owner(1, 2)], l1]);
    let mode = ChangeFlags {
        mode: true,
        owner: true,
        ..ChangeFlags::default()
    };
    assert_eq!(fs.changes(1).unwrap().modified, vec![modified("", mode)]);
}

#[test]
fn a_file_in_the_way_of_a_parent_is_replaced_by_a_directory() {
    let l0 = vec![file("a", b"a"), sym("l", "a")];
    let l1 = vec![file("a/b", b"b"), file("l/x", b"x")];
    let fs = MergedFs::build(&[l0, l1]);
    assert_eq!(
        fs.listing_tsv(),
        golden(&[
            "/ d 0755 0 0 - - - -".to_string(),
            "/a d 0755 0 0 - - - -".to_string(),
            format!("/a/b f 0644 0 0 1 {} - 1000", sha_hex(b"b")),
            "/l d 0755 0 0 - - - -".to_string(),
            format!("/l/x f 0644 0 0 1 {} - 1000", sha_hex(b"x")),
        ])
    );
    assert_eq!(
        notes(&fs),
        vec![
            (1, "a".into(), NoteKind::ParentReplaced),
            (1, "l".into(), NoteKind::ParentReplaced),
        ]
    );
    let c1 = fs.changes(1).unwrap();
    assert_eq!(c1.modified, vec![modified("a", KIND), modified("l", KIND)]);
    assert_eq!(strs(&c1.added), ["a/b", "l/x"]);
}

#[test]
fn modified_versus_unchanged_rewrite() {
    let l0 = vec![
        chr("c", 1, 3),
        dir("d"),
        file("m", b"x"),
        file("o", b"o"),
        file("q", b"abc"),
        sym("s", "t1"),
        file("t", b"t"),
        file("u", b"u"),
        file_nohash("k", 3),
        file_nohash("n", 3),
        dir("p").mode(0o755),
    ];
    let l1 = vec![
        chr("c", 1, 5),
        dir("d").mtime(99),
        file("m", b"x").mode(0o600),
        file("o", b"o").owner(1, 0),
        file_nohash("q", 3),
        sym("s", "t2").mode(0o700),
        file("t", b"T"),
        file("u", b"u").mtime(5),
        file_nohash("k", 4),
        file_nohash("n", 3),
        file("p", b""),
    ];
    let fs = MergedFs::build(&[l0, l1]);
    let c1 = fs.changes(1).unwrap();
    let mode = ChangeFlags {
        mode: true,
        ..ChangeFlags::default()
    };
    let owner = ChangeFlags {
        owner: true,
        ..ChangeFlags::default()
    };
    assert_eq!(
        c1.modified,
        vec![
            modified("c", CONTENT),
            modified("k", CONTENT),
            modified("m", mode),
            modified("o", owner),
            modified("p", KIND),
            modified("s", CONTENT),
            modified("t", CONTENT),
        ]
    );
    // mtime alone, or the same size when one side has no hash: unchanged.
    assert_eq!(strs(&c1.unchanged), ["d", "n", "q", "u"]);
    assert!(c1.added.is_empty() && c1.removed.is_empty());
}

#[test]
fn replaced_chain_and_layer_of_each_node() {
    let l0 = vec![file("a", b"1")];
    let l1 = vec![file("a", b"22")];
    let l2 = vec![wh("a"), dir("a")];
    let fs = MergedFs::build(&[l0, l1, l2]);
    let a = fs.node(fs.lookup(b"a").unwrap()).unwrap();
    assert_eq!(a.kind(), EntryKind::Directory);
    assert_eq!(a.layer(), 2);
    assert_eq!(
        a.replaced(),
        &[
            Version {
                layer: 0,
                kind: EntryKind::File,
                size: 1
            },
            Version {
                layer: 1,
                kind: EntryKind::File,
                size: 2
            },
        ]
    );
    assert_eq!(fs.changes(2).unwrap().modified, vec![modified("a", KIND)]);
    // A directory rewritten in place keeps its children and records the
    // version it replaced.
    let fs = MergedFs::build(&[
        vec![dir("d").mode(0o700), file("d/x", b"x")],
        vec![dir("d")],
    ]);
    let d = fs.node(fs.lookup(b"d").unwrap()).unwrap();
    assert_eq!((d.mode(), d.layer()), (0o755, 1));
    assert_eq!(d.replaced().len(), 1);
    assert!(fs.lookup(b"d/x").is_some());
}

#[test]
fn directory_totals_count_each_hard_link_group_once() {
    let l0 = vec![
        file("a/x", b"xxx"),
        file("a/y/z", b"zzzz"),
        file("b", b"bbbbb"),
    ];
    let l1 = vec![hard("a/y/w", "b")];
    let fs = MergedFs::build(&[l0, l1]);
    let total = |p: &[u8]| fs.node(fs.lookup(p).unwrap()).unwrap().total_size();
    // a/y/w leads the group (a/y/w < b), so the 5 bytes count under a/y.
    assert_eq!(total(b"a/y"), 9);
    assert_eq!(total(b"a"), 12);
    assert_eq!(total(b"b"), 0);
    assert_eq!(total(b""), 12);
    assert_eq!(fs.stats().image_bytes, 12);
    let b = fs.node(fs.lookup(b"b").unwrap()).unwrap();
    assert_eq!(b.hardlink_leader(), fs.lookup(b"a/y/w"));
}

#[test]
fn snapshots_equal_a_rebuild_of_the_prefix() {
    let layers = [
        vec![dir("a"), file("a/x", b"1"), file("b", b"2")],
        vec![wh("a"), file("a/y", b"3"), hard("c", "b")],
        vec![opq("a"), file("b", b"4"), sym("a/l", "../b")],
    ];
    let mut builder = MergeBuilder::default();
    for (i, layer) in layers.iter().enumerate() {
        builder.push_entries(layer);
        let snap = builder.snapshot();
        let rebuilt = MergedFs::build(&layers[..=i]);
        assert_eq!(snap.listing_tsv(), rebuilt.listing_tsv());
        assert_eq!(snap.stats(), rebuilt.stats());
        for n in 0..=i {
            assert_eq!(snap.changes(n), rebuilt.changes(n));
        }
    }
    assert_eq!(builder.layers_applied(), 3);
    // The b of layer 0 lives on through c.
    // x (whited out) and a/y (hidden by the opaque marker) are wasted.
    let fs = builder.finish();
    assert_eq!(fs.stats().wasted_bytes, 2);
}

#[test]
fn node_limit_bounds_the_tree() {
    let options = MergeOptions {
        max_nodes: 5,
        ..MergeOptions::default()
    };
    let l0: Vec<Entry> = (0..10).map(|i| file(format!("f{i}"), b"x")).collect();
    let l1 = vec![file("g/h", b"y")];
    let fs = MergedFs::build_with(&[l0, l1], options);
    assert_eq!(fs.listing().len(), 5);
    assert_eq!(
        notes(&fs),
        vec![
            (0, "f4".into(), NoteKind::NodeLimitReached),
            (1, "g".into(), NoteKind::NodeLimitReached),
        ]
    );
    assert_eq!(fs.layer_summary(0).unwrap().skipped, 6);
    let few = MergeOptions {
        max_notes: 1,
        ..MergeOptions::default()
    };
    let fs = MergedFs::build_with(&[vec![wh("a"), wh("b"), wh("c")]], few);
    assert_eq!((fs.notes().len(), fs.notes_dropped()), (1, 2));
}

#[test]
fn layer_view_shows_markers_as_entries() {
    let l1 = vec![
        wh("a/b"),
        file("a/new", b"n"),
        dir("c").mode(0o700),
        opq("c"),
        hard("h", "elsewhere"),
        file("a/new", b"again"),
    ];
    let fs = MergedFs::layer_view(&l1, 1);
    let empty = sha_hex(b"");
    // Markers are listed as the entries they are; `a` is only implied by
    // the layer, so it has no row (the root always has one).
    assert_eq!(
        fs.listing_tsv(),
        golden(&[
            "/ d 0755 0 0 - - - -".to_string(),
            format!("/a/.wh.b f 0644 0 0 0 {empty} - 1000"),
            format!("/a/new f 0644 0 0 5 {} - 1000", sha_hex(b"again")),
            "/c d 0700 0 0 - - - -".to_string(),
            format!("/c/.wh..wh..opq f 0644 0 0 0 {empty} - 1000"),
            "/h h 0644 0 0 - - /elsewhere 1000".to_string(),
        ])
    );
    assert!(fs.is_layer_view());
    // The tree itself still holds the implied parent.
    let a = fs.node(fs.lookup(b"a").unwrap()).unwrap();
    assert!(a.is_implicit());
    let new = fs.node(fs.lookup(b"a/new").unwrap()).unwrap();
    assert_eq!(new.layer(), 1);
    assert_eq!(fs.first_layer(), 1);
    assert!(fs.changes(0).is_none());
    assert_eq!(fs.layer_summary(1).unwrap().entries, 6);
    // The merged view of the same layer has no markers and does list `a`.
    let merged = MergedFs::build(&[vec![], l1]);
    assert!(!merged.is_layer_view());
    assert!(merged.listing_tsv().contains("\n/a\td\t0755"));
}

#[test]
fn empty_image() {
    let fs = MergedFs::build::<Vec<Entry>>(&[]);
    assert_eq!(fs.listing_tsv(), golden(&["/ d 0755 0 0 - - - -"]));
    assert_eq!(fs.stats().efficiency(), 1.0);
    assert_eq!(fs.layer_count(), 0);
}

#[test]
fn large_directories_and_many_rewrites() {
    // 5000 names (past the switch to the map representation) listed in
    // reverse order, the same path rewritten 3000 times, then an opaque
    // marker and single whiteouts on the big directory.
    let names: Vec<String> = (0..5000).map(|i| format!("big/n{i:05}")).collect();
    let mut l0: Vec<Entry> = names.iter().rev().map(|n| file(n, b"x")).collect();
    l0.extend((0..3000).map(|_| file("f", b"y")));
    let fs0 = MergedFs::build(&[l0.clone()]);
    let rows = fs0.listing();
    assert_eq!(rows.len(), 5000 + 3);
    let listed: Vec<&[u8]> = rows
        .iter()
        .skip(2)
        .take(5000)
        .map(|r| &r.path[1..])
        .collect();
    let expected: Vec<&[u8]> = names.iter().map(|n| n.as_bytes()).collect();
    assert_eq!(listed, expected);
    let big = fs0.lookup(b"big").unwrap();
    assert_eq!(fs0.children(big).len(), 5000);
    assert_eq!(fs0.path(fs0.children(big)[0]), b"big/n00000");
    let f = fs0.node(fs0.lookup(b"f").unwrap()).unwrap();
    assert_eq!(f.replaced().len(), layerlens::fs::MAX_VERSIONS);
    assert_eq!(fs0.stats().wasted_copies, 2999);

    let l1 = vec![wh("big/n00001"), wh("big/n04999"), file("big/new", b"n")];
    let fs1 = MergedFs::build(&[l0.clone(), l1]);
    assert_eq!(
        strs(&fs1.changes(1).unwrap().removed),
        ["big/n00001", "big/n04999"]
    );
    assert!(fs1.lookup(b"big/n00002").is_some());
    assert!(fs1.lookup(b"big/new").is_some());

    let l2 = vec![opq("big"), file("big/only", b"o")];
    let fs2 = MergedFs::build(&[l0, l2]);
    assert_eq!(fs2.changes(1).unwrap().removed.len(), 5000);
    assert_eq!(fs2.children(fs2.lookup(b"big").unwrap()).len(), 1);
    assert_eq!(fs2.listing().len(), 4);
}
