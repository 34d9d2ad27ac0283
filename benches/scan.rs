//! Layer scanner throughput, next to the shell baselines, in one run.
//!
//! `cargo bench --bench scan` generates a ~200 MB tar layer deterministically
//! (many small files, a few large ones; text, machine-code-like and
//! incompressible content), compresses it with `gzip -6` and `zstd -3`,
//! then measures on the same files:
//!
//! * the scanner (1 MiB reads from the page cache, as a download would
//!   arrive), with and without per-file content hashing;
//! * `zcat FILE | sha256sum` and `zstd -dc FILE | sha256sum`;
//! * peak heap during each scan, from a counting global allocator (the
//!   scanner's own memory: decoder state, buffers, entry metadata), and the
//!   process's VmHWM at the end.
//!
//! Figures are MB/s of tar (10^6 bytes of uncompressed layer per second),
//! best of three runs, baseline and scanner runs interleaved. Files stay in `target/bench-scan/` (or
//! `$LAYERLENS_BENCH_DIR`) for `benches/wasm_scan.mjs`, which reads
//! `native.json` to print the wasm/native ratio.

use std::alloc::{GlobalAlloc, Layout, System};
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use layerlens::layer::{ScanEngine, ScanOptions};
use layerlens::native::split::TWO_THREADS;
use layerlens::oci::Compression;
use layerlens_testkit::tar::{Flavour, Member, Rng, TarBuilder, BLOCK};

// ------------------------------------------------------------ heap counting

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = CURRENT.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: forwards every call to the system allocator unchanged; only counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn reset_peak() -> usize {
    let now = CURRENT.load(Ordering::Relaxed);
    PEAK.store(now, Ordering::Relaxed);
    now
}

fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

// ------------------------------------------------------------ content

/// Words for text-like files (source, config, docs): compresses ~4x.
fn vocabulary(rng: &mut Rng) -> Vec<Vec<u8>> {
    (0..400)
        .map(|_| {
            let len = 2 + rng.below(9) as usize;
            (0..len).map(|_| b'a' + rng.below(26) as u8).collect()
        })
        .collect()
}

fn text(rng: &mut Rng, vocab: &[Vec<u8>], len: usize, out: &mut Vec<u8>) {
    let start = out.len();
    while out.len() - start < len {
        // Zipf-ish: low indices much more frequent.
        let i =
            (rng.below(vocab.len() as u64) * rng.below(vocab.len() as u64)) as usize / vocab.len();
        out.extend_from_slice(&vocab[i]);
        out.push(match rng.below(12) {
            0 => b'\n',
            1 => b'(',
            2 => b'.',
            _ => b' ',
        });
        if rng.below(40) == 0 {
            out.extend_from_slice(format!("{}", rng.next_u64() % 100_000).as_bytes());
        }
    }
    out.truncate(start + len);
}

/// Machine-code-like bytes: frequent opcodes, random operands, repeated
/// sequences. Compresses ~2x.
fn binary(rng: &mut Rng, len: usize, out: &mut Vec<u8>) {
    const COMMON: &[u8] = &[
        0x00, 0x48, 0x89, 0x8b, 0xff, 0xe8, 0x0f, 0x85, 0x84, 0x24, 0x45, 0xc7, 0x83, 0x74, 0x31,
        0xc0,
    ];
    let start = out.len();
    while out.len() - start < len {
        let r = rng.next_u64();
        if r % 16 == 0 && out.len() - start > 4096 {
            // Copy an earlier run (a repeated instruction sequence).
            let here = out.len();
            let back = 16 + (r >> 8) as usize % 4000;
            let n = 8 + (r >> 20) as usize % 120;
            for k in 0..n {
                let b = out[here - back + k % back];
                out.push(b);
            }
        } else if r % 3 == 0 {
            out.push((r >> 32) as u8);
        } else {
            out.push(COMMON[(r >> 40) as usize % COMMON.len()]);
        }
    }
    out.truncate(start + len);
}

/// Already-compressed content (images, archives): incompressible.
fn random(rng: &mut Rng, len: usize, out: &mut Vec<u8>) {
    let start = out.len();
    while out.len() - start < len {
        out.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
    out.truncate(start + len);
}

// ------------------------------------------------------------ the layer

const SMALL_FILES: usize = 20_000;
const LARGE_FILES: usize = 8;
const LARGE_SIZE: usize = 12_000_000;

/// Writes the tar layer; returns its size.
fn generate(path: &Path) -> std::io::Result<u64> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut rng = Rng(0x1a7e_4c0d_e5ee_d001);
    let vocab = vocabulary(&mut rng);
    let hdr = TarBuilder::new(Flavour::Ustar);
    let mut written = 0u64;
    let mut data = Vec::with_capacity(LARGE_SIZE);
    let mut put = |out: &mut BufWriter<File>, m: &Member, data: &[u8]| -> std::io::Result<()> {
        let block = hdr.header(m, &m.name, b"", &m.link, data.len() as u64);
        out.write_all(&block)?;
        out.write_all(data)?;
        let pad = (BLOCK - data.len() % BLOCK) % BLOCK;
        out.write_all(&[0u8; BLOCK][..pad])?;
        written += (BLOCK + data.len() + pad) as u64;
        Ok(())
    };
    put(&mut out, &Member::dir(b"usr/"), &[])?;
    for i in 0..SMALL_FILES {
        if i % 40 == 0 {
            put(
                &mut out,
                &Member::dir(format!("usr/lib/pkg{}/", i / 40).as_bytes()),
                &[],
            )?;
        }
        // Log-uniform sizes from 64 B to 32 KiB.
        let size = (64.0 * 512f64.powf(rng.below(1 << 20) as f64 / f64::from(1 << 20))) as usize;
        data.clear();
        match rng.below(10) {
            0..=5 => text(&mut rng, &vocab, size, &mut data),
            6..=8 => binary(&mut rng, size, &mut data),
            _ => random(&mut rng, size, &mut data),
        }
        let name = format!("usr/lib/pkg{}/file{i}.dat", i / 40);
        put(&mut out, &Member::file(name.as_bytes(), &[]), &data)?;
        if i % 100 == 0 {
            let link = format!("usr/lib/pkg{}/link{i}", i / 40);
            put(
                &mut out,
                &Member::symlink(link.as_bytes(), b"file.dat"),
                &[],
            )?;
        }
    }
    for i in 0..LARGE_FILES {
        data.clear();
        match i % 4 {
            0 | 1 => binary(&mut rng, LARGE_SIZE, &mut data),
            2 => text(&mut rng, &vocab, LARGE_SIZE, &mut data),
            _ => random(&mut rng, LARGE_SIZE, &mut data),
        }
        let name = format!("opt/big/blob{i}.bin");
        put(
            &mut out,
            &Member::file(name.as_bytes(), &[]).mode(0o755),
            &data,
        )?;
    }
    out.write_all(&[0u8; 2 * BLOCK])?;
    out.flush()?;
    Ok(written + 2 * BLOCK as u64)
}

// ------------------------------------------------------------ measuring

struct Run {
    seconds: f64,
    peak_heap: usize,
    entries: usize,
    tar_size: u64,
}

fn scan_file(path: &Path, compression: Compression, hash_contents: bool) -> Run {
    scan_with(path, compression, hash_contents, ScanEngine::default())
}

/// A scan of `path` by `engine`'s scanner.
fn scan_with(
    path: &Path,
    compression: Compression,
    hash_contents: bool,
    engine: ScanEngine,
) -> Run {
    let mut file = File::open(path).expect("open");
    let mut buf = vec![0u8; 1 << 20];
    let base = reset_peak();
    let start = Instant::now();
    // `LAYERLENS_BENCH_SEEK=4194304` records seek checkpoints that often.
    let seek_spacing = std::env::var("LAYERLENS_BENCH_SEEK")
        .ok()
        .and_then(|v| v.parse().ok());
    let options = ScanOptions {
        hash_contents,
        seek_spacing,
        ..ScanOptions::default()
    };
    let mut scanner = engine.start(compression, options);
    loop {
        let n = file.read(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        scanner.feed(&buf[..n]).expect("scan");
    }
    let scan = scanner.finish().expect("finish");
    let seconds = start.elapsed().as_secs_f64();
    let peak_heap = PEAK.load(Ordering::Relaxed) - base + buf.len();
    Run {
        seconds,
        peak_heap,
        entries: scan.entries().len(),
        tar_size: scan.tar_size(),
    }
}

fn shell(cmd: &str) -> f64 {
    let start = Instant::now();
    let out = Command::new("sh").args(["-c", cmd]).output().expect("sh");
    assert!(
        out.status.success(),
        "{cmd}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    start.elapsed().as_secs_f64()
}

fn mbs(bytes: u64, seconds: f64) -> f64 {
    bytes as f64 / 1e6 / seconds
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let dir = std::env::var_os("LAYERLENS_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-scan"));
    std::fs::create_dir_all(&dir).expect("bench dir");
    let tar = dir.join("layer.tar");
    let gz = dir.join("layer.tar.gz");
    let zst = dir.join("layer.tar.zst");

    let t = Instant::now();
    let tar_size = generate(&tar).expect("generate");
    println!(
        "generated {} ({:.1} MB, {} small + {} large files) in {:.1}s",
        tar.display(),
        tar_size as f64 / 1e6,
        SMALL_FILES,
        LARGE_FILES,
        t.elapsed().as_secs_f64()
    );
    let q = |p: &Path| p.display().to_string();
    let t = Instant::now();
    shell(&format!("gzip -6 -n -c {} > {}", q(&tar), q(&gz)));
    let t_gz = t.elapsed().as_secs_f64();
    let t = Instant::now();
    shell(&format!("zstd -q -f -3 -c {} > {}", q(&tar), q(&zst)));
    let t_zst = t.elapsed().as_secs_f64();
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    println!(
        "gzip -6: {:.1} MB ({:.0}%, {:.1}s)   zstd -3: {:.1} MB ({:.0}%, {:.1}s)",
        size(&gz) as f64 / 1e6,
        100.0 * size(&gz) as f64 / tar_size as f64,
        t_gz,
        size(&zst) as f64 / 1e6,
        100.0 * size(&zst) as f64 / tar_size as f64,
        t_zst
    );
    // Warm the page cache for every file.
    for p in [&tar, &gz, &zst] {
        shell(&format!("cat {} > /dev/null", q(p)));
    }

    println!();
    println!(
        "{:<34} {:>9} {:>11} {:>10} {:>9}",
        "", "MB/s tar", "peak heap", "baseline", "ratio"
    );
    let mut json = Vec::new();
    let cases = [
        (
            "gzip",
            Compression::Gzip,
            &gz,
            format!("zcat {} | sha256sum", q(&gz)),
        ),
        (
            "zstd",
            Compression::Zstd,
            &zst,
            format!("zstd -dc {} | sha256sum", q(&zst)),
        ),
        (
            "none",
            Compression::None,
            &tar,
            format!("sha256sum {}", q(&tar)),
        ),
    ];
    for (name, compression, path, baseline) in cases {
        // Baseline and scanner runs are interleaved so that both see the
        // same machine load; the best of three of each is kept.
        let mut base_s = f64::INFINITY;
        let mut best: [Option<Run>; 2] = [None, None];
        for _ in 0..3 {
            base_s = base_s.min(shell(&baseline));
            for (slot, hash_contents) in best.iter_mut().zip([false, true]) {
                let run = scan_file(path, compression, hash_contents);
                assert_eq!(run.tar_size, tar_size);
                if slot.as_ref().is_none_or(|b| run.seconds < b.seconds) {
                    *slot = Some(run);
                }
            }
        }
        println!(
            "{:<34} {:>9.0}",
            format!("  `{}`", baseline.replace(&q(&dir), "…")),
            mbs(tar_size, base_s)
        );
        for (run, hash_contents) in best.iter().zip([false, true]) {
            let Some(run) = run else { continue };
            let speed = mbs(run.tar_size, run.seconds);
            let label = format!(
                "scanner {name}{}",
                if hash_contents {
                    " + content sha256"
                } else {
                    ""
                }
            );
            println!(
                "{:<34} {:>9.0} {:>8.1} MiB {:>10.0} {:>8.2}x",
                label,
                speed,
                run.peak_heap as f64 / (1 << 20) as f64,
                mbs(tar_size, base_s),
                base_s / run.seconds
            );
            json.push(format!(
                "{{\"compression\":\"{name}\",\"hash_contents\":{hash_contents},\"mb_s\":{speed:.1},\"peak_heap\":{},\"entries\":{},\"baseline_mb_s\":{:.1}}}",
                run.peak_heap,
                run.entries,
                mbs(tar_size, base_s)
            ));
        }
    }
    // The command line's engine: the scan's two halves on two threads,
    // against the one-thread scanner, interleaved, content hashing on (as
    // `layerlens tree` scans).
    println!();
    println!(
        "{:<34} {:>9} {:>11} {:>10} {:>9}",
        "two threads (content sha256 on)", "MB/s tar", "peak heap", "1 thread", "ratio"
    );
    for (name, compression, path) in [
        ("gzip", Compression::Gzip, &gz),
        ("zstd", Compression::Zstd, &zst),
        ("none", Compression::None, &tar),
    ] {
        let mut one: Option<Run> = None;
        let mut two: Option<Run> = None;
        for _ in 0..3 {
            for (slot, engine) in [(&mut one, ScanEngine::default()), (&mut two, TWO_THREADS)] {
                let run = scan_with(path, compression, true, engine);
                assert_eq!(run.tar_size, tar_size);
                if slot.as_ref().is_none_or(|b| run.seconds < b.seconds) {
                    *slot = Some(run);
                }
            }
        }
        let (Some(one), Some(two)) = (one, two) else {
            continue;
        };
        assert_eq!(one.entries, two.entries);
        println!(
            "{:<34} {:>9.0} {:>8.1} MiB {:>10.0} {:>8.2}x",
            format!("split {name}"),
            mbs(tar_size, two.seconds),
            two.peak_heap as f64 / (1 << 20) as f64,
            mbs(tar_size, one.seconds),
            one.seconds / two.seconds
        );
    }
    if let Some(kib) = vm_hwm_kib() {
        println!(
            "\nprocess VmHWM (whole bench, incl. generation buffers): {:.1} MiB",
            kib as f64 / 1024.0
        );
    }
    let report = format!(
        "{{\"tar_size\":{tar_size},\"files\":{{\"tar\":\"{}\",\"gzip\":\"{}\",\"zstd\":\"{}\"}},\"native\":[{}]}}\n",
        q(&tar),
        q(&gz),
        q(&zst),
        json.join(",")
    );
    std::fs::write(dir.join("native.json"), report).expect("write native.json");
}
