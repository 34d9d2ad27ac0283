//! The real merge against a naive reference over random layer stacks.
//!
//! The reference materialises the image as a `BTreeMap<path, entry>` and
//! applies each layer the simple way: clone the map, run the layer's
//! whiteouts against it (removing a path and every key under it), then the
//! entries in tar order; changes are the difference of the maps before and
//! after the layer, restricted to the paths the layer wrote. It shares no code
//! with `fs` except the escaping of text fields (tested on its own).
//!
//! Random paths come from a tiny alphabet so that collisions, whiteouts of
//! existing paths, opaque directories, directory↔file replacements and hard
//! links to existing files happen all the time.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use layerlens::fs::{escape, ChangeFlags, LayerChanges, MergeBuilder, MergedFs, Modification};
use layerlens::layer::{Entry, EntryKind};
use layerlens_testkit::fs::*;
use layerlens_testkit::rng::Rng;

// "ab" shares a prefix with "a", so a cached "x/a" must not serve "x/ab".
const NAMES: [&[u8]; 5] = [b"a", b"ab", b"b", b"c", b"d\xff"];

fn random_path(rng: &mut Rng, max_depth: u64) -> Vec<u8> {
    let depth = 1 + rng.below(max_depth);
    let mut p = Vec::new();
    for i in 0..depth {
        if i > 0 {
            p.push(b'/');
        }
        p.extend_from_slice(rng.pick(&NAMES));
    }
    p
}

fn in_dir(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = dir.to_vec();
    if !p.is_empty() {
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}

fn random_entry(rng: &mut Rng) -> Entry {
    let path = random_path(rng, 3);
    let mut e = match rng.below(100) {
        0..=34 => {
            if rng.below(10) == 0 {
                file_nohash(&path, rng.below(4))
            } else {
                let content: &[u8] = rng.pick(&[&b""[..], &b"x"[..], &b"yy"[..], &b"zzz"[..]]);
                file(&path, content)
            }
        }
        35..=54 => dir(&path),
        55..=66 => {
            // `.wh.NAME` in a random directory (often the root).
            let parent = if rng.below(3) == 0 {
                Vec::new()
            } else {
                random_path(rng, 2)
            };
            let mut name = b".wh.".to_vec();
            name.extend_from_slice(rng.pick(&NAMES));
            file(in_dir(&parent, &name), b"")
        }
        67..=72 => {
            let parent = if rng.below(4) == 0 {
                Vec::new()
            } else {
                random_path(rng, 2)
            };
            file(in_dir(&parent, b".wh..wh..opq"), b"")
        }
        73..=79 => sym(&path, random_path(rng, 2)),
        80..=89 => hard(&path, random_path(rng, 3)),
        90..=92 => chr(&path, 1, rng.below(3) as u32),
        93..=95 => fifo(&path),
        96..=97 => dir(""),
        _ => {
            let name: &[u8] = rng.pick(&[&b".wh..wh.plnk"[..], b".wh.", b".wh..", b".wh..wh.aufs"]);
            file(in_dir(&random_path(rng, 1), name), b"")
        }
    };
    e.mode = rng.pick(&[0o644, 0o755, 0o600, 0o4755]);
    let (uid, gid) = rng.pick(&[(0, 0), (1, 1), (0, 1)]);
    e.uid = uid;
    e.gid = gid;
    e.mtime = rng.below(3) as i64;
    e
}

fn random_stack(rng: &mut Rng) -> Vec<Vec<Entry>> {
    let layers = 1 + rng.below(6);
    (0..layers)
        .map(|_| {
            let n = rng.below(13);
            (0..n).map(|_| random_entry(rng)).collect()
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The naive reference.

#[derive(Debug, Clone)]
struct NEntry {
    kind: EntryKind,
    mode: u32,
    uid: u64,
    gid: u64,
    size: u64,
    sha: Option<[u8; 32]>,
    target: Option<Vec<u8>>,
    dev: (u32, u32),
    mtime: i64,
    /// The content copy a regular file refers to (hard links share it).
    copy: Option<usize>,
}

fn implicit_dir() -> NEntry {
    NEntry {
        kind: EntryKind::Directory,
        mode: 0o755,
        uid: 0,
        gid: 0,
        size: 0,
        sha: None,
        target: None,
        dev: (0, 0),
        mtime: 0,
        copy: None,
    }
}

#[derive(Default)]
struct Naive {
    map: BTreeMap<Vec<u8>, NEntry>,
    copies: Vec<u64>,
    changes: Vec<LayerChanges>,
}

fn is_under(key: &[u8], dir: &[u8]) -> bool {
    if dir.is_empty() {
        return !key.is_empty();
    }
    key.len() > dir.len() && key.starts_with(dir) && key[dir.len()] == b'/'
}

fn parent_and_name(path: &[u8]) -> (&[u8], &[u8]) {
    match path.iter().rposition(|b| *b == b'/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => (&[], path),
    }
}

fn is_marker(name: &[u8]) -> bool {
    name.starts_with(b".wh.")
}

impl Naive {
    fn remove_tree(&mut self, path: &[u8]) {
        self.map.remove(path);
        self.map.retain(|k, _| !is_under(k, path));
    }

    fn is_dir(&self, path: &[u8]) -> bool {
        self.map
            .get(path)
            .is_some_and(|e| e.kind == EntryKind::Directory)
    }

    fn apply(&mut self, layer: &[Entry]) {
        if self.map.is_empty() {
            self.map.insert(Vec::new(), implicit_dir());
        }
        let before = self.map.clone();
        let mut written: BTreeSet<Vec<u8>> = BTreeSet::new();

        // Whiteouts first, against the lower layers only.
        for e in layer {
            let (parent, name) = parent_and_name(&e.path);
            if !is_marker(name) {
                continue;
            }
            if name == b".wh..wh..opq" {
                if self.is_dir(parent) {
                    let parent = parent.to_vec();
                    self.map.retain(|k, _| !is_under(k, &parent));
                }
                continue;
            }
            let victim = &name[4..];
            if name.starts_with(b".wh..wh.") || matches!(victim, b"" | b"." | b"..") {
                continue;
            }
            self.remove_tree(&in_dir(parent, victim));
        }

        // Then the entries, in order.
        for e in layer {
            let (parent, name) = parent_and_name(&e.path);
            if is_marker(name) || parent.split(|b| *b == b'/').any(is_marker) {
                continue;
            }
            if e.path.is_empty() {
                if e.kind == EntryKind::Directory {
                    let root = self.map.get_mut(&Vec::new()).unwrap();
                    (root.mode, root.uid, root.gid, root.mtime) = (e.mode, e.uid, e.gid, e.mtime);
                    written.insert(Vec::new());
                }
                continue;
            }
            // Every ancestor must be a directory.
            let comps: Vec<&[u8]> = e.path.split(|b| *b == b'/').collect();
            for i in 1..comps.len() {
                let prefix = comps[..i].join(&b'/');
                if !self.is_dir(&prefix) {
                    self.remove_tree(&prefix);
                    self.map.insert(prefix.clone(), implicit_dir());
                    written.insert(prefix);
                }
            }
            written.insert(e.path.clone());
            let mut new = NEntry {
                kind: e.kind,
                mode: e.mode,
                uid: e.uid,
                gid: e.gid,
                size: 0,
                sha: None,
                target: None,
                dev: (0, 0),
                mtime: e.mtime,
                copy: None,
            };
            match e.kind {
                EntryKind::Directory => {
                    if self.is_dir(&e.path) {
                        self.map.insert(e.path.clone(), new);
                        continue;
                    }
                }
                EntryKind::File => {
                    new.size = e.size;
                    new.sha = e.content_sha256;
                    new.copy = Some(self.copies.len());
                    self.copies.push(e.size);
                }
                EntryKind::Symlink => new.target = e.link_target.clone(),
                EntryKind::CharDevice | EntryKind::BlockDevice => {
                    new.dev = (e.dev_major, e.dev_minor)
                }
                EntryKind::Fifo | EntryKind::HardLink => {}
            }
            self.remove_tree(&e.path);
            if e.kind == EntryKind::HardLink {
                let target = e.link_target.clone().unwrap_or_default();
                match self.map.get(&target) {
                    Some(t) if t.kind != EntryKind::Directory && t.kind != EntryKind::HardLink => {
                        new = t.clone();
                    }
                    _ => new.target = Some(target),
                }
            }
            self.map.insert(e.path.clone(), new);
        }

        // Changes: the difference of the maps, restricted to written paths.
        let mut ch = LayerChanges::default();
        let keys: BTreeSet<&Vec<u8>> = before.keys().chain(self.map.keys()).collect();
        for k in keys {
            match (before.get(k), self.map.get(k)) {
                (Some(_), None) => ch.removed.push(k.clone()),
                (None, Some(_)) => ch.added.push(k.clone()),
                (Some(old), Some(new)) if written.contains(k) => {
                    let what = compare(old, new);
                    if what == ChangeFlags::default() {
                        ch.unchanged.push(k.clone());
                    } else {
                        ch.modified.push(Modification {
                            path: k.clone(),
                            what,
                        });
                    }
                }
                _ => {}
            }
        }
        self.changes.push(ch);
    }

    fn live_copies(&self) -> BTreeSet<usize> {
        self.map.values().filter_map(|e| e.copy).collect()
    }

    fn wasted(&self) -> u64 {
        let live = self.live_copies();
        (0..self.copies.len())
            .filter(|c| !live.contains(c))
            .map(|c| self.copies[c])
            .sum()
    }

    fn image_bytes(&self) -> u64 {
        self.live_copies().iter().map(|c| self.copies[*c]).sum()
    }

    fn listing(&self) -> String {
        let mut leader: HashMap<usize, &Vec<u8>> = HashMap::new();
        for (k, e) in &self.map {
            if let Some(c) = e.copy {
                leader.entry(c).or_insert(k); // BTreeMap order: byte-wise first
            }
        }
        let hex = |h: &[u8; 32]| h.iter().map(|b| format!("{b:02x}")).collect::<String>();
        let mut out = String::from("#path\ttype\tmode\tuid\tgid\tsize\tsha256\ttarget\tmtime\n");
        for (k, e) in &self.map {
            let abs = |p: &[u8]| escape(&[b"/", p].concat());
            let (t, mode, size, sha, target, mtime) = match e.kind {
                EntryKind::Directory => ('d', e.mode, None, None, None, None),
                EntryKind::File => {
                    let lead = leader[&e.copy.unwrap()];
                    let (t, target) = if lead == k {
                        ('f', None)
                    } else {
                        ('h', Some(abs(lead)))
                    };
                    (
                        t,
                        e.mode,
                        Some(e.size),
                        e.sha.map(|h| hex(&h)),
                        target,
                        Some(e.mtime),
                    )
                }
                EntryKind::HardLink => {
                    let target = abs(e.target.as_deref().unwrap());
                    ('h', e.mode, None, None, Some(target), Some(e.mtime))
                }
                EntryKind::Symlink => {
                    let target = escape(e.target.as_deref().unwrap());
                    ('l', 0o777, None, None, Some(target), Some(e.mtime))
                }
                EntryKind::CharDevice => {
                    let target = format!("{},{}", e.dev.0, e.dev.1);
                    ('c', e.mode, None, None, Some(target), Some(e.mtime))
                }
                EntryKind::BlockDevice => {
                    let target = format!("{},{}", e.dev.0, e.dev.1);
                    ('b', e.mode, None, None, Some(target), Some(e.mtime))
                }
                EntryKind::Fifo => ('p', e.mode, None, None, None, Some(e.mtime)),
            };
            let dash = |o: Option<String>| o.unwrap_or_else(|| "-".into());
            out.push_str(&format!(
                "{}\t{t}\t{mode:04o}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                abs(k),
                e.uid,
                e.gid,
                dash(size.map(|s: u64| s.to_string())),
                dash(sha),
                dash(target),
                dash(mtime.map(|m: i64| m.to_string())),
            ));
        }
        out
    }
}

fn compare(old: &NEntry, new: &NEntry) -> ChangeFlags {
    if old.kind != new.kind {
        return ChangeFlags {
            kind: true,
            ..ChangeFlags::default()
        };
    }
    let content = match new.kind {
        EntryKind::File => match (old.sha, new.sha) {
            (Some(a), Some(b)) => a != b,
            _ => old.size != new.size,
        },
        EntryKind::Symlink | EntryKind::HardLink => old.target != new.target,
        EntryKind::CharDevice | EntryKind::BlockDevice => old.dev != new.dev,
        EntryKind::Directory | EntryKind::Fifo => false,
    };
    ChangeFlags {
        kind: false,
        content,
        mode: new.kind != EntryKind::Symlink && old.mode != new.mode,
        owner: (old.uid, old.gid) != (new.uid, new.gid),
    }
}

// ---------------------------------------------------------------------------

fn describe(layers: &[Vec<Entry>]) -> String {
    let mut s = String::new();
    for (i, l) in layers.iter().enumerate() {
        s.push_str(&format!("layer {i}:\n"));
        for e in l {
            s.push_str(&format!(
                "  {:?} {} {:o} {}:{} size={} target={:?}\n",
                e.kind,
                escape(&e.path),
                e.mode,
                e.uid,
                e.gid,
                e.size,
                e.link_target.as_deref().map(escape)
            ));
        }
    }
    s
}

#[test]
fn merge_matches_the_naive_reference_on_random_stacks() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut seen_notes = BTreeSet::new();
    for case in 0..600 {
        let layers = random_stack(&mut rng);
        let mut naive = Naive::default();
        let mut builder = MergeBuilder::default();
        for (i, layer) in layers.iter().enumerate() {
            naive.apply(layer);
            builder.push_entries(layer);
            let fs = builder.snapshot();
            let ctx = || format!("case {case}, after layer {i}\n{}", describe(&layers));
            assert_eq!(fs.listing_tsv(), naive.listing(), "{}", ctx());
            for (n, expected) in naive.changes.iter().enumerate() {
                assert_eq!(
                    fs.changes(n),
                    Some(expected),
                    "layer {n} changes; {}",
                    ctx()
                );
            }
            let s = fs.stats();
            assert_eq!(s.wasted_bytes, naive.wasted(), "wasted; {}", ctx());
            assert_eq!(s.image_bytes, naive.image_bytes(), "image bytes; {}", ctx());
            assert_eq!(
                s.layer_bytes,
                naive.copies.iter().sum::<u64>(),
                "layer bytes; {}",
                ctx()
            );
            assert_eq!(s.layer_bytes, s.image_bytes + s.wasted_bytes);
            let root = fs.node(fs.root()).unwrap();
            assert_eq!(root.total_size(), s.image_bytes);
            seen_notes.extend(fs.notes().iter().map(|n| format!("{:?}", n.kind)));
        }
        // One-shot build equals the incremental one.
        assert_eq!(
            MergedFs::build(&layers).listing_tsv(),
            naive.listing(),
            "case {case}"
        );
    }
    // The generator really exercises the interesting rules.
    for kind in [
        "WhiteoutTargetMissing",
        "WhiteoutParentNotDirectory",
        "OpaqueParentNotDirectory",
        "ParentReplaced",
        "DuplicatePath",
        "HardLinkTargetMissing",
        "HardLinkToDirectory",
        "InvalidWhiteoutName",
        "AufsMetadataIgnored",
    ] {
        assert!(
            seen_notes.contains(kind),
            "never saw {kind}: {seen_notes:?}"
        );
    }
}

#[test]
fn the_generator_produces_interesting_stacks() {
    // Guard against a generator that silently stops colliding: over the same
    // seed, count removals, kind changes, hard-link groups and unchanged
    // rewrites in the real merge's output.
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut removed, mut kind_changes, mut groups, mut unchanged) = (0, 0, 0, 0);
    for _ in 0..600 {
        let layers = random_stack(&mut rng);
        let fs = MergedFs::build(&layers);
        for n in 0..layers.len() {
            let c = fs.changes(n).unwrap();
            removed += c.removed.len();
            unchanged += c.unchanged.len();
            kind_changes += c.modified.iter().filter(|m| m.what.kind).count();
        }
        groups += fs
            .listing()
            .iter()
            .filter(|r| r.kind.letter() == 'h')
            .count();
    }
    assert!(removed > 300, "{removed}");
    assert!(kind_changes > 100, "{kind_changes}");
    assert!(groups > 50, "{groups}");
    assert!(unchanged > 50, "{unchanged}");
}
