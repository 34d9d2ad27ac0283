//! The canonical listing's format: columns, escaping, order, JSON and text.

use layerlens::fs::{escape, to_json, MergedFs, RowKind};
use layerlens_testkit::fs::*;

#[test]
fn escaping_rules() {
    assert_eq!(escape(b"plain/name.txt"), "plain/name.txt");
    assert_eq!(escape(b"back\\slash"), "back\\\\slash");
    assert_eq!(escape(b"tab\there"), "tab\\x09here");
    assert_eq!(escape(b"new\nline\r"), "new\\x0aline\\x0d");
    assert_eq!(escape(b"\x00\x1f\x7f"), "\\x00\\x1f\\x7f");
    assert_eq!(escape(b"bad\xff\xfe"), "bad\\xff\\xfe");
    // A truncated UTF-8 sequence is escaped byte by byte; what follows is kept.
    assert_eq!(escape(b"\xe2\x82a"), "\\xe2\\x82a");
    // Valid non-ASCII UTF-8 is kept, C1 controls included (they are valid
    // UTF-8, not bytes 0x00-0x1f).
    assert_eq!(escape("héllo→日本".as_bytes()), "héllo→日本");
    assert_eq!(escape("\u{85}".as_bytes()), "\u{85}");
    // An escaped backslash cannot be confused with an escape.
    assert_eq!(escape(b"\\x41"), "\\\\x41");
}

#[test]
fn hostile_names_in_the_listing() {
    let name: &[u8] = b"we\tird\nname\\\xff\x01\xc3\xa9";
    let l0 = vec![
        file(name, b"x"),
        sym(b"link\x7f", b"../t\\a\rr\xc0get"),
        hard(b"h\x00ard", name),
    ];
    let fs = MergedFs::build(&[l0]);
    let x = sha_hex(b"x");
    let expected = format!(
        "#path\ttype\tmode\tuid\tgid\tsize\tsha256\ttarget\tmtime\n\
         /\td\t0755\t0\t0\t-\t-\t-\t-\n\
         /h\\x00ard\tf\t0644\t0\t0\t1\t{x}\t-\t1000\n\
         /link\\x7f\tl\t0777\t0\t0\t-\t-\t../t\\\\a\\x0dr\\xc0get\t1000\n\
         /we\\x09ird\\x0aname\\\\\\xff\\x01é\th\t0644\t0\t0\t1\t{x}\t/h\\x00ard\t1000\n"
    );
    assert_eq!(fs.listing_tsv(), expected);
    // Every line has exactly nine fields.
    for line in fs.listing_tsv().lines() {
        assert_eq!(line.split('\t').count(), 9, "{line}");
    }
}

#[test]
fn rows_sorted_by_path_bytes_not_tree_order() {
    let l0 = vec![
        file("a/b", b""),
        file("a-c", b""),
        file("a.b", b""),
        file("A", b""),
        file("é", b""),
        file(b"\xff", b""),
        file(b"\x01", b""),
        file("Z/z", b""),
    ];
    let fs = MergedFs::build(&[l0]);
    let paths: Vec<String> = fs
        .listing_tsv()
        .lines()
        .skip(1)
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect();
    // '-' (0x2d) and '.' (0x2e) sort before '/' (0x2f): /a-c and /a.b come
    // before /a's child, and the raw byte 0x01 sorts first although its
    // escaped form starts with a backslash.
    assert_eq!(
        paths,
        ["/", "/\\x01", "/A", "/Z", "/Z/z", "/a", "/a-c", "/a.b", "/a/b", "/é", "/\\xff"]
    );
}

#[test]
fn modes_types_targets_and_times() {
    let l0 = vec![
        file("suid", b"s").mode(0o4755),
        file("sgid", b"g").mode(0o2711),
        dir("tmp").mode(0o1777),
        file("highbits", b"h").mode(0o100644),
        sym("sym", "/abs/target").mode(0o755),
        chr("dev/null", 1, 3),
        blk("dev/sda", 8, 0),
        fifo("pipe").mtime(-5),
        file_nohash("nohash", 7).owner(4_000_000_000, 65534),
    ];
    let fs = MergedFs::build(&[l0]);
    assert_eq!(
        fs.listing_tsv(),
        golden(&[
            "/ d 0755 0 0 - - - -".to_string(),
            "/dev d 0755 0 0 - - - -".to_string(),
            "/dev/null c 0666 0 0 - - 1,3 1000".to_string(),
            "/dev/sda b 0660 0 0 - - 8,0 1000".to_string(),
            format!("/highbits f 0644 0 0 1 {} - 1000", sha_hex(b"h")),
            "/nohash f 0644 4000000000 65534 7 - - 1000".to_string(),
            "/pipe p 0644 0 0 - - - -5".to_string(),
            format!("/sgid f 2711 0 0 1 {} - 1000", sha_hex(b"g")),
            format!("/suid f 4755 0 0 1 {} - 1000", sha_hex(b"s")),
            "/sym l 0777 0 0 - - /abs/target 1000".to_string(),
            "/tmp d 1777 0 0 - - - -".to_string(),
        ])
    );
    let rows = fs.listing();
    let kinds: Vec<char> = rows.iter().map(|r| r.kind.letter()).collect();
    assert_eq!(
        kinds,
        ['d', 'd', 'c', 'b', 'f', 'f', 'p', 'f', 'f', 'l', 'd']
    );
    assert_eq!(rows[2].kind, RowKind::CharDevice);
}

#[test]
fn json_rendering_of_the_same_rows() {
    let l0 = vec![
        file(b"a\\b\xff", b"x"),
        hard("b", b"a\\b\xff"),
        sym("l", "t"),
        dir("d"),
    ];
    let fs = MergedFs::build(&[l0]);
    let json: serde_json::Value = serde_json::from_str(&to_json(&fs.listing())).unwrap();
    let expected = serde_json::json!([
        {"path": "/", "type": "d", "mode": "0755", "uid": 0, "gid": 0,
         "size": null, "sha256": null, "target": null, "mtime": null},
        {"path": "/a\\\\b\\xff", "type": "f", "mode": "0644", "uid": 0, "gid": 0,
         "size": 1, "sha256": sha_hex(b"x"), "target": null, "mtime": 1000},
        {"path": "/b", "type": "h", "mode": "0644", "uid": 0, "gid": 0,
         "size": 1, "sha256": sha_hex(b"x"), "target": "/a\\\\b\\xff", "mtime": 1000},
        {"path": "/d", "type": "d", "mode": "0755", "uid": 0, "gid": 0,
         "size": null, "sha256": null, "target": null, "mtime": null},
        {"path": "/l", "type": "l", "mode": "0777", "uid": 0, "gid": 0,
         "size": null, "sha256": null, "target": "t", "mtime": 1000},
    ]);
    assert_eq!(json, expected);
}

#[test]
fn text_rendering_is_an_indented_tree() {
    let l0 = vec![
        dir("bin"),
        file("bin/sh", &[0u8; 2048]).mode(0o4755),
        sym("bin/bash", "sh"),
        hard("bin/zsh", "bin/sh"),
        chr("null", 1, 3),
        file(b"x\ny", b"12"),
    ];
    let l1 = vec![file("bin/new", b"new")];
    let fs = MergedFs::build(&[l0, l1]);
    let expected = "\
drwxr-xr-x     0:0        2.0K L0   /
drwxr-xr-x     0:0        2.0K L0     bin
lrwxrwxrwx     0:0           - L0       bash -> sh
-rw-r--r--     0:0           3 L1       new
-rwsr-xr-x     0:0        2.0K L0       sh
-rwsr-xr-x     0:0           0 L0       zsh => /bin/sh
crw-rw-rw-     0:0           - L0     null [1,3]
-rw-r--r--     0:0           2 L0     x\\x0ay
";
    assert_eq!(fs.render_text(), expected);
}
