//! The stored form of a layer's index: exact round trip, Docker's content
//! size, refusal of altered or hostile bytes, and the size and decode time
//! for a 25,000-entry layer (printed; run with `--nocapture` to see them).

use layerlens::layer::index::{LayerIndex, LAYER_INDEX_VERSION};
use layerlens::layer::{Entry, EntryKind};
use layerlens_testkit::library::*;

fn odd_entries() -> Vec<Entry> {
    let base = file("bin/busybox", 1_234_567);
    vec![
        dir(""),
        dir("bin"),
        Entry {
            offset: 512,
            ..base.clone()
        },
        Entry {
            path: b"bin/sh".to_vec(),
            kind: EntryKind::HardLink,
            link_target: Some(b"bin/busybox".to_vec()),
            size: 0,
            content_sha256: None,
            offset: 1_236_000,
            ..base.clone()
        },
        Entry {
            offset: 1_236_512,
            ..symlink("bin/ls", "busybox")
        },
        Entry {
            path: b"dev/null".to_vec(),
            kind: EntryKind::CharDevice,
            dev_major: 1,
            dev_minor: 3,
            size: 0,
            content_sha256: None,
            uname: b"".to_vec(),
            gname: b"wheel".to_vec(),
            uid: 4_294_967_296,
            mtime: -86_400,
            offset: 1_237_024,
            ..base.clone()
        },
        Entry {
            path: b"dev/sda".to_vec(),
            kind: EntryKind::BlockDevice,
            dev_major: 8,
            ..dir("x")
        },
        Entry {
            path: b"run/fifo".to_vec(),
            kind: EntryKind::Fifo,
            ..dir("x")
        },
        // Not UTF-8, and a whiteout.
        Entry {
            path: b"etc/caf\xe9".to_vec(),
            offset: 2_000_000,
            ..file("x", 3)
        },
        Entry {
            path: b"etc/.wh.old".to_vec(),
            offset: 2_000_512,
            ..file("x", 0)
        },
        // A path repeated later in the tar: the last one wins.
        Entry {
            path: b"bin/busybox".to_vec(),
            offset: 2_001_024,
            ..file("x", 10)
        },
    ]
}

#[test]
fn round_trips_every_kind_of_entry() {
    let ix = layer_with("odd", odd_entries());
    let bytes = ix.encode();
    assert_eq!(&bytes[..4], b"LLIX");
    assert_eq!(bytes[4], LAYER_INDEX_VERSION);
    assert_eq!(LayerIndex::decode(&bytes).unwrap(), ix);
    let empty = layer_with("empty", Vec::new());
    assert_eq!(LayerIndex::decode(&empty.encode()).unwrap(), empty);
}

/// Found by `cargo fuzz run layer_index`: entries as small as the encoding
/// allows (a path repeated, zero mode, owner, size, mtime and offset step:
/// 11 bytes each) were refused on decode as "count larger than the data
/// could hold", so the library could not read back an index it had stored.
#[test]
fn fuzz_the_smallest_entries_round_trip() {
    let small = Entry {
        mode: 0,
        mtime: 0,
        offset: 0,
        ..dir("a")
    };
    for n in [1, 2, 4, 50] {
        let ix = layer_with("small", vec![small.clone(); n]);
        assert_eq!(LayerIndex::decode(&ix.encode()).unwrap(), ix, "{n} entries");
    }
}

#[test]
fn content_size_counts_as_dockers_layer_size() {
    let ix = layer_with("odd", odd_entries());
    // Files: the last bin/busybox (10), etc/café (3), the whiteout (0);
    // the symlink counts its target ("busybox", 7); hard link, devices,
    // fifo and directories count nothing.
    assert_eq!(ix.content_size(), 10 + 3 + 7);
}

#[test]
fn altered_truncated_or_hostile_bytes_are_refused() {
    let bytes = layer_with("odd", odd_entries()).encode();
    // Every truncation fails cleanly.
    for n in 0..bytes.len() {
        assert!(LayerIndex::decode(&bytes[..n]).is_err(), "truncated to {n}");
    }
    // Every single-bit flip is caught (by the checksum or the parser).
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0x10;
        assert!(LayerIndex::decode(&b).is_err(), "flip at {i}");
    }
    // Hostile bytes with a valid checksum: huge counts and prefix bombs.
    let forge = |body: Vec<u8>| {
        let mut b = body;
        let crc = crc32fast::hash(&b);
        b.extend_from_slice(&crc.to_le_bytes());
        b
    };
    let mut head = b"LLIX\x01".to_vec();
    for s in [
        Digest::sha256(b"a").to_string(),
        Digest::sha256(b"b").to_string(),
    ] {
        head.push(s.len() as u8);
        head.extend_from_slice(s.as_bytes());
    }
    head.extend_from_slice(&[0, 0, 1, 0]); // sizes, compression, no names
    let mut huge = head.clone();
    huge.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]); // 2^32-1 entries
    let e = LayerIndex::decode(&forge(huge)).unwrap_err();
    assert!(e.reason().contains("count"), "{e}");
    let mut overlong = head.clone();
    overlong.extend_from_slice(&[0xff; 11]);
    assert!(LayerIndex::decode(&forge(overlong)).is_err());
    // A shared prefix longer than the previous path.
    let mut prefix = head;
    prefix.push(1);
    prefix.extend_from_slice(&[5, 0]);
    prefix.extend_from_slice(&[0; 13]);
    let e = LayerIndex::decode(&forge(prefix)).unwrap_err();
    assert!(e.reason().contains("prefix"), "{e}");
}

use layerlens::oci::Digest;

/// A typical large layer: a Python site-packages tree.
fn big_layer(n: usize) -> LayerIndex {
    let mut entries = Vec::with_capacity(n);
    let mut i = 0;
    'outer: for pkg in 0.. {
        entries.push(dir(&format!(
            "usr/lib/python3.12/site-packages/package_{pkg:04}"
        )));
        for sub in 0..5 {
            entries.push(dir(&format!(
                "usr/lib/python3.12/site-packages/package_{pkg:04}/sub{sub}"
            )));
            for f in 0..8 {
                let mut e = file(
                    &format!(
                        "usr/lib/python3.12/site-packages/package_{pkg:04}/sub{sub}/module_{f}.py"
                    ),
                    (i * 7919 % 50_000) as u64,
                );
                e.offset = (i as u64) * 4096;
                let mut h = [0u8; 32];
                for (k, b) in h.iter_mut().enumerate() {
                    *b = ((i * 31 + k * 17) % 251) as u8;
                }
                e.content_sha256 = Some(h);
                entries.push(e);
                i += 1;
                if entries.len() >= n {
                    break 'outer;
                }
            }
        }
    }
    layer_with("big", entries)
}

#[test]
fn size_and_speed_for_25000_entries() {
    let ix = big_layer(25_000);
    let bytes = ix.encode();
    let per_entry = bytes.len() as f64 / 25_000.0;
    let start = std::time::Instant::now();
    let back = LayerIndex::decode(&bytes).unwrap();
    let decode = start.elapsed();
    assert_eq!(back, ix);
    // The same entries as JSON, for comparison.
    let json: usize = ix
        .entries()
        .iter()
        .map(|e| {
            serde_json::json!({
                "path": String::from_utf8_lossy(&e.path), "kind": format!("{:?}", e.kind),
                "mode": e.mode, "uid": e.uid, "gid": e.gid, "uname": "root", "gname": "root",
                "size": e.size, "mtime": e.mtime, "offset": e.offset,
                "sha256": e.content_sha256.map(|h| h.iter().map(|b| format!("{b:02x}")).collect::<String>()),
            })
            .to_string()
            .len()
                + 1
        })
        .sum();
    println!(
        "layer index, 25000 entries: {} bytes ({per_entry:.1} B/entry); JSON {json} bytes ({:.1}x); decode {decode:?} (debug build)",
        bytes.len(),
        json as f64 / bytes.len() as f64
    );
    assert!(per_entry < 64.0, "{per_entry} bytes per entry");
    assert!(json > 3 * bytes.len());
}
