//! Build time of the merged filesystem for a large synthetic image.
//!
//! `cargo run --release --example fs_merge_bench [ENTRIES] [LAYERS]`
//! (defaults: 100000 entries over 20 layers). The base layer holds half the
//! entries in a package-like hierarchy; each later layer re-lists parent
//! directories, rewrites files, adds new ones, whites out files and
//! directories, and sometimes marks a directory opaque. Prints the time of a
//! one-shot merge, of building every "image up to layer N" incrementally
//! (snapshots), of rebuilding each prefix from scratch, of the listing, and of
//! each layer's own view. Native only: it reads the clock.

use std::time::Instant;

use layerlens::fs::{MergeBuilder, MergedFs};
use layerlens::layer::{Entry, EntryKind};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn entry(path: String, kind: EntryKind, size: u64, rng: &mut Rng) -> Entry {
    let mut sha = [0u8; 32];
    for chunk in sha.chunks_mut(8) {
        chunk.copy_from_slice(&rng.next().to_le_bytes());
    }
    Entry {
        path: path.into_bytes(),
        kind,
        mode: if kind == EntryKind::Directory {
            0o755
        } else {
            0o644
        },
        uid: 0,
        gid: 0,
        uname: Vec::new(),
        gname: Vec::new(),
        size,
        mtime: 1_700_000_000,
        link_target: None,
        dev_major: 0,
        dev_minor: 0,
        content_sha256: (kind == EntryKind::File).then_some(sha),
        offset: 0,
    }
}

fn file_path(pkg: u64, sub: u64, f: u64) -> String {
    format!("usr/lib/pkg{pkg:04}/sub{sub:02}/file{f:03}.so")
}

fn generate(total: usize, layers: usize) -> Vec<Vec<Entry>> {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut out = Vec::new();
    // Base: ~half the entries.
    let base_target = total / 2;
    let mut base = vec![entry("usr".into(), EntryKind::Directory, 0, &mut rng)];
    base.push(entry("usr/lib".into(), EntryKind::Directory, 0, &mut rng));
    let mut pkg = 0;
    'outer: loop {
        base.push(entry(
            format!("usr/lib/pkg{pkg:04}"),
            EntryKind::Directory,
            0,
            &mut rng,
        ));
        for sub in 0..10 {
            base.push(entry(
                format!("usr/lib/pkg{pkg:04}/sub{sub:02}"),
                EntryKind::Directory,
                0,
                &mut rng,
            ));
            for f in 0..20 {
                let size = 1 + rng.below(64 * 1024);
                base.push(entry(
                    file_path(pkg, sub, f),
                    EntryKind::File,
                    size,
                    &mut rng,
                ));
                if base.len() >= base_target {
                    break 'outer;
                }
            }
        }
        pkg += 1;
    }
    let pkgs = pkg + 1;
    out.push(base);
    let per_layer = (total - total / 2) / (layers - 1).max(1);
    for l in 1..layers {
        let mut layer = vec![
            entry("usr".into(), EntryKind::Directory, 0, &mut rng),
            entry("usr/lib".into(), EntryKind::Directory, 0, &mut rng),
        ];
        while layer.len() < per_layer {
            let p = rng.below(pkgs);
            let s = rng.below(10);
            match rng.below(100) {
                0..=49 => {
                    // rewrite an existing file (with its parents re-listed)
                    layer.push(entry(
                        format!("usr/lib/pkg{p:04}"),
                        EntryKind::Directory,
                        0,
                        &mut rng,
                    ));
                    let size = 1 + rng.below(64 * 1024);
                    layer.push(entry(
                        file_path(p, s, rng.below(20)),
                        EntryKind::File,
                        size,
                        &mut rng,
                    ));
                }
                50..=84 => {
                    // new files in a new directory
                    let dir = format!("opt/layer{l:02}/d{}", rng.below(1000));
                    for f in 0..4 {
                        let size = 1 + rng.below(16 * 1024);
                        layer.push(entry(
                            format!("{dir}/new{f}"),
                            EntryKind::File,
                            size,
                            &mut rng,
                        ));
                    }
                }
                85..=96 => {
                    let name = format!(
                        "usr/lib/pkg{p:04}/sub{s:02}/.wh.file{:03}.so",
                        rng.below(20)
                    );
                    layer.push(entry(name, EntryKind::File, 0, &mut rng));
                }
                97..=98 => {
                    let name = format!("usr/lib/pkg{p:04}/.wh.sub{s:02}");
                    layer.push(entry(name, EntryKind::File, 0, &mut rng));
                }
                _ => {
                    let name = format!("usr/lib/pkg{p:04}/sub{s:02}/.wh..wh..opq");
                    layer.push(entry(name, EntryKind::File, 0, &mut rng));
                }
            }
        }
        out.push(layer);
    }
    out
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn main() {
    let mut args = std::env::args().skip(1);
    let total: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let layers: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(20)
        .max(1);
    let stack = generate(total, layers);
    let entries: usize = stack.iter().map(Vec::len).sum();
    println!("{entries} entries over {} layers", stack.len());

    if args.next().as_deref() == Some("build-only") {
        // For profiling: just the one-shot merge, N times (default 5).
        let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
        for _ in 0..runs {
            let t = Instant::now();
            std::hint::black_box(MergedFs::build(&stack));
            println!("one-shot merge: {:8.1} ms", ms(t));
        }
        return;
    }
    let t = Instant::now();
    let fs = MergedFs::build(&stack);
    let build = ms(t);
    let s = fs.stats();
    println!(
        "one-shot merge:            {build:8.1} ms  ({} live paths, {} arena nodes, {} files, wasted {} of {} bytes, efficiency {:.3})",
        fs.walk().len(),
        fs.arena_len(),
        s.files,
        s.wasted_bytes,
        s.layer_bytes,
        s.efficiency()
    );

    let t = Instant::now();
    let mut b = MergeBuilder::default();
    let mut snaps = 0;
    for l in &stack {
        b.push_entries(l);
        snaps += b.snapshot().walk().len();
    }
    println!(
        "all prefixes (snapshots):  {:8.1} ms  ({snaps} paths in all)",
        ms(t)
    );

    let t = Instant::now();
    for n in 0..stack.len() {
        std::hint::black_box(MergedFs::build(&stack[..=n]));
    }
    println!("all prefixes (rebuilds):   {:8.1} ms", ms(t));

    let t = Instant::now();
    let tsv = fs.listing_tsv();
    println!(
        "canonical listing:         {:8.1} ms  ({} bytes)",
        ms(t),
        tsv.len()
    );

    let t = Instant::now();
    for (i, l) in stack.iter().enumerate() {
        std::hint::black_box(MergedFs::layer_view(l, i));
    }
    println!("every layer's own view:    {:8.1} ms", ms(t));
}
