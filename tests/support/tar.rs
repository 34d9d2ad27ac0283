//! A small tar/gzip/zstd builder for tests, written from the format specs
//! (POSIX ustar and pax, GNU tar's format notes, RFC 1952, RFC 8878) and
//! independent of the scanner under test, plus a seeded chunk feeder.

use std::io::Write;

use layerlens::layer::{ContentSink, ExtractTarget, LayerScan, ScanFailure, ScanOptions, Scanner};
use layerlens::oci::Compression;
use sha2::{Digest as _, Sha256};

pub const BLOCK: usize = 512;

/// The header dialect a member is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// Unix V7: no magic, no owner names.
    V7,
    /// POSIX ustar: long names split into `prefix` + `name`, octal numbers.
    Ustar,
    /// GNU: `L`/`K` headers for long names, base-256 for big numbers.
    Gnu,
    /// POSIX pax: an `x` header for anything ustar cannot hold.
    Pax,
}

/// One tar member to write.
#[derive(Debug, Clone)]
pub struct Member {
    pub name: Vec<u8>,
    pub typeflag: u8,
    pub mode: u64,
    pub uid: u64,
    pub gid: u64,
    pub uname: Vec<u8>,
    pub gname: Vec<u8>,
    pub mtime: i64,
    pub link: Vec<u8>,
    pub dev: (u64, u64),
    pub data: Vec<u8>,
    /// Size field to write instead of `data.len()` (hostile tests).
    pub size_field: Option<u64>,
    /// Write numbers in base-256 even when octal fits (GNU only).
    pub base256: bool,
}

impl Member {
    pub fn new(typeflag: u8, name: &[u8]) -> Member {
        Member {
            name: name.to_vec(),
            typeflag,
            mode: 0o644,
            uid: 0,
            gid: 0,
            uname: b"root".to_vec(),
            gname: b"root".to_vec(),
            mtime: 1_700_000_000,
            link: Vec::new(),
            dev: (0, 0),
            data: Vec::new(),
            size_field: None,
            base256: false,
        }
    }

    pub fn file(name: &[u8], data: &[u8]) -> Member {
        let mut m = Member::new(b'0', name);
        m.data = data.to_vec();
        m
    }

    pub fn dir(name: &[u8]) -> Member {
        let mut m = Member::new(b'5', name);
        m.mode = 0o755;
        m
    }

    pub fn symlink(name: &[u8], target: &[u8]) -> Member {
        let mut m = Member::new(b'2', name);
        m.mode = 0o777;
        m.link = target.to_vec();
        m
    }

    pub fn hardlink(name: &[u8], target: &[u8]) -> Member {
        let mut m = Member::new(b'1', name);
        m.link = target.to_vec();
        m
    }

    pub fn device(typeflag: u8, name: &[u8], major: u64, minor: u64) -> Member {
        let mut m = Member::new(typeflag, name);
        m.dev = (major, minor);
        m
    }

    pub fn mode(mut self, mode: u64) -> Member {
        self.mode = mode;
        self
    }

    pub fn owner(mut self, uid: u64, gid: u64, uname: &[u8], gname: &[u8]) -> Member {
        self.uid = uid;
        self.gid = gid;
        self.uname = uname.to_vec();
        self.gname = gname.to_vec();
        self
    }

    pub fn mtime(mut self, mtime: i64) -> Member {
        self.mtime = mtime;
        self
    }
}

/// Writes `value` as octal digits filling `field` but its last byte (NUL).
/// Returns false if it does not fit.
fn octal(field: &mut [u8], value: u64) -> bool {
    let digits = field.len() - 1;
    let s = format!("{value:0digits$o}");
    if s.len() > digits {
        return false;
    }
    field[..digits].copy_from_slice(s.as_bytes());
    field[digits] = 0;
    true
}

/// GNU base-256: high bit of the first byte set, big-endian two's complement.
pub fn base256(field: &mut [u8], value: i64) {
    let fill = if value < 0 { 0xff } else { 0 };
    field.fill(fill);
    let bytes = value.to_be_bytes();
    let n = bytes.len().min(field.len());
    let flen = field.len();
    field[flen - n..].copy_from_slice(&bytes[8 - n..]);
    field[0] = if value < 0 { 0xff } else { 0x80 };
}

fn put(field: &mut [u8], bytes: &[u8]) {
    assert!(bytes.len() <= field.len(), "field overflow");
    field[..bytes.len()].copy_from_slice(bytes);
}

/// Computes and writes the header checksum (bytes summed unsigned, with the
/// checksum field as spaces; written as six octal digits, NUL, space).
pub fn seal(block: &mut [u8; BLOCK]) {
    block[148..156].fill(b' ');
    let sum: u64 = block.iter().map(|&b| u64::from(b)).sum();
    let s = format!("{sum:06o}\0 ");
    block[148..156].copy_from_slice(s.as_bytes());
}

fn pad_to_block(out: &mut Vec<u8>) {
    let rem = out.len() % BLOCK;
    if rem != 0 {
        out.resize(out.len() + BLOCK - rem, 0);
    }
}

/// A PAX record: `"%d %s=%s\n"` with the length counting itself.
pub fn pax_record(key: &[u8], value: &[u8]) -> Vec<u8> {
    let body_len = 1 + key.len() + 1 + value.len() + 1;
    let mut n = body_len + 1;
    while n.to_string().len() + body_len != n {
        n += 1;
    }
    let mut r = n.to_string().into_bytes();
    r.push(b' ');
    r.extend_from_slice(key);
    r.push(b'=');
    r.extend_from_slice(value);
    r.push(b'\n');
    r
}

/// A tar stream under construction.
pub struct TarBuilder {
    pub out: Vec<u8>,
    pub flavour: Flavour,
}

impl TarBuilder {
    pub fn new(flavour: Flavour) -> TarBuilder {
        TarBuilder {
            out: Vec::new(),
            flavour,
        }
    }

    /// Offset the next member's first header will have.
    pub fn offset(&self) -> u64 {
        self.out.len() as u64
    }

    /// Builds a header block for `m` with the given name/link fields (no
    /// extension handling), sealed.
    pub fn header(
        &self,
        m: &Member,
        name: &[u8],
        prefix: &[u8],
        link: &[u8],
        size: u64,
    ) -> [u8; BLOCK] {
        let mut b = [0u8; BLOCK];
        put(&mut b[0..100], name);
        let gnu = self.flavour == Flavour::Gnu;
        let num = |b: &mut [u8; BLOCK], range: std::ops::Range<usize>, v: i64| {
            if gnu && (m.base256 || v < 0 || !octal(&mut b[range.clone()], v as u64)) {
                base256(&mut b[range], v);
            } else {
                assert!(
                    v >= 0 && octal(&mut b[range], v as u64),
                    "number does not fit octal"
                );
            }
        };
        num(&mut b, 100..108, m.mode as i64);
        // ustar cannot hold big ids (pax puts them in a record); GNU uses base-256.
        let id = |v: u64| {
            if gnu {
                v as i64
            } else {
                v.min(0o7777777) as i64
            }
        };
        num(&mut b, 108..116, id(m.uid));
        num(&mut b, 116..124, id(m.gid));
        num(&mut b, 124..136, size as i64);
        num(&mut b, 136..148, m.mtime);
        b[156] = m.typeflag;
        put(&mut b[157..257], link);
        match self.flavour {
            Flavour::V7 => {}
            Flavour::Ustar | Flavour::Pax => {
                put(&mut b[257..263], b"ustar\0");
                put(&mut b[263..265], b"00");
            }
            Flavour::Gnu => {
                put(&mut b[257..263], b"ustar ");
                put(&mut b[263..265], b" \0");
            }
        }
        if self.flavour != Flavour::V7 {
            put(&mut b[265..297], &m.uname[..m.uname.len().min(32)]);
            put(&mut b[297..329], &m.gname[..m.gname.len().min(32)]);
            num(&mut b, 329..337, m.dev.0 as i64);
            num(&mut b, 337..345, m.dev.1 as i64);
            if matches!(self.flavour, Flavour::Ustar | Flavour::Pax) {
                put(&mut b[345..500], prefix);
            }
        }
        seal(&mut b);
        b
    }

    /// Appends a raw block or bytes (hostile tests).
    pub fn raw(&mut self, bytes: &[u8]) -> &mut TarBuilder {
        self.out.extend_from_slice(bytes);
        self
    }

    /// Appends a special member (`L`, `K`, `x`, `g`) carrying `data`.
    pub fn special(&mut self, typeflag: u8, name: &[u8], data: &[u8]) -> &mut TarBuilder {
        let mut m = Member::new(typeflag, name);
        m.uname.clear();
        m.gname.clear();
        let h = self.header(&m, name, b"", b"", data.len() as u64);
        self.out.extend_from_slice(&h);
        self.out.extend_from_slice(data);
        pad_to_block(&mut self.out);
        self
    }

    /// Appends a PAX header (`x`, or `g` when `global`) with these records.
    pub fn pax(&mut self, records: &[(&[u8], &[u8])], global: bool) -> &mut TarBuilder {
        let data: Vec<u8> = records.iter().flat_map(|(k, v)| pax_record(k, v)).collect();
        let (flag, name): (u8, &[u8]) = if global {
            (b'g', b"pax_global_header")
        } else {
            (b'x', b"PaxHeaders.0/entry")
        };
        let saved = self.flavour;
        if self.flavour == Flavour::Gnu || self.flavour == Flavour::V7 {
            self.flavour = Flavour::Pax;
        }
        self.special(flag, name, &data);
        self.flavour = saved;
        self
    }

    /// Appends a member, using the flavour's extension for what does not
    /// fit a plain header. Returns the offset of the member's own header.
    pub fn member(&mut self, m: &Member) -> u64 {
        let size = m.size_field.unwrap_or(m.data.len() as u64);
        let mut name: Vec<u8> = m.name.clone();
        let mut prefix: Vec<u8> = Vec::new();
        let mut link = m.link.clone();
        match self.flavour {
            Flavour::V7 => assert!(name.len() <= 100 && link.len() <= 100),
            Flavour::Ustar => {
                if name.len() > 100 {
                    // Split at a '/' so that prefix <= 155 and name <= 100.
                    let cut = (0..name.len())
                        .rev()
                        .find(|&i| name[i] == b'/' && i <= 155 && name.len() - i - 1 <= 100)
                        .expect("name cannot be split into ustar prefix/name");
                    prefix = name[..cut].to_vec();
                    name = name[cut + 1..].to_vec();
                }
                assert!(link.len() <= 100, "ustar cannot hold this link");
            }
            Flavour::Gnu => {
                if name.len() > 100 {
                    let mut data = name.clone();
                    data.push(0);
                    self.special(b'L', b"././@LongLink", &data);
                    name.truncate(100);
                }
                if link.len() > 100 {
                    let mut data = link.clone();
                    data.push(0);
                    self.special(b'K', b"././@LongLink", &data);
                    link.truncate(100);
                }
            }
            Flavour::Pax => {
                let mut records: Vec<(&[u8], Vec<u8>)> = Vec::new();
                if name.len() > 100 || !name.is_ascii() {
                    records.push((b"path", m.name.clone()));
                    name = name[..name.len().min(100)].to_vec();
                }
                if link.len() > 100 || !link.is_ascii() {
                    records.push((b"linkpath", m.link.clone()));
                    link.truncate(100);
                }
                if m.uid > 0o7777777 {
                    records.push((b"uid", m.uid.to_string().into_bytes()));
                }
                if m.gid > 0o7777777 {
                    records.push((b"gid", m.gid.to_string().into_bytes()));
                }
                if !records.is_empty() {
                    let refs: Vec<(&[u8], &[u8])> =
                        records.iter().map(|(k, v)| (*k, v.as_slice())).collect();
                    self.pax(&refs, false);
                }
            }
        }
        let at = self.offset();
        let h = self.header(m, &name, &prefix, &link, size);
        self.out.extend_from_slice(&h);
        self.out.extend_from_slice(&m.data);
        pad_to_block(&mut self.out);
        at
    }

    /// Appends the end-of-archive marker and returns the stream.
    pub fn finish(mut self) -> Vec<u8> {
        self.out.extend_from_slice(&[0u8; 2 * BLOCK]);
        self.out
    }
}

// ---------------------------------------------------------------- gzip

/// Options for a hand-written gzip member (RFC 1952 §2.3).
#[derive(Debug, Clone, Default)]
pub struct GzipOptions {
    pub name: Option<Vec<u8>>,
    pub comment: Option<Vec<u8>>,
    pub extra: Option<Vec<u8>>,
    pub header_crc: bool,
    pub mtime: u32,
}

/// One gzip member: header, raw deflate (flate2's encoder), CRC32, ISIZE.
pub fn gzip_member(data: &[u8], opts: &GzipOptions) -> Vec<u8> {
    let mut flags = 0u8;
    if opts.header_crc {
        flags |= 2;
    }
    if opts.extra.is_some() {
        flags |= 4;
    }
    if opts.name.is_some() {
        flags |= 8;
    }
    if opts.comment.is_some() {
        flags |= 16;
    }
    let mut out = vec![0x1f, 0x8b, 8, flags];
    out.extend_from_slice(&opts.mtime.to_le_bytes());
    out.extend_from_slice(&[0, 3]);
    if let Some(extra) = &opts.extra {
        out.extend_from_slice(&(extra.len() as u16).to_le_bytes());
        out.extend_from_slice(extra);
    }
    if let Some(name) = &opts.name {
        out.extend_from_slice(name);
        out.push(0);
    }
    if let Some(comment) = &opts.comment {
        out.extend_from_slice(comment);
        out.push(0);
    }
    if opts.header_crc {
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&(crc as u16).to_le_bytes());
    }
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(6));
    enc.write_all(data).unwrap();
    out.extend_from_slice(&enc.finish().unwrap());
    out.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

/// Gzip through flate2's own `GzEncoder` (a second, independent writer).
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// Gzip with one member per piece, cut at the given byte positions.
pub fn gzip_members(data: &[u8], cuts: &[usize]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&data.len())) {
        out.extend(gzip(&data[start..cut]));
        start = cut;
    }
    out
}

// ---------------------------------------------------------------- zstd

/// One zstd frame from ruzstd's encoder (with a content checksum).
pub fn zstd(data: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
}

/// A skippable frame (RFC 8878 §3.1.2) with the given payload.
pub fn zstd_skippable(nibble: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = (0x184D_2A50u32 | u32::from(nibble & 15))
        .to_le_bytes()
        .to_vec();
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

// ---------------------------------------------------------------- feeding

pub use crate::rng::Rng;

/// A small layer with every kind of entry a table of contents lists: dirs,
/// a file, an empty file, a 300 kB file owned by 1000:1001 (app, staff), a
/// symlink and a hard link, all at one mtime.
pub fn every_kind() -> Vec<Member> {
    [
        Member::dir(b"etc/").mode(0o755),
        Member::file(b"etc/hello", b"hello\n").mode(0o644),
        Member::file(b"etc/empty", b""),
        Member::dir(b"usr/").mode(0o755),
        Member::dir(b"usr/bin/").mode(0o755),
        Member::file(b"usr/bin/big", &Rng(7).noise(300_000))
            .mode(0o755)
            .owner(1000, 1001, b"app", b"staff"),
        Member::symlink(b"usr/bin/sh", b"/bin/busybox"),
        Member::hardlink(b"etc/hello.again", b"etc/hello"),
    ]
    .into_iter()
    .map(|m| m.mtime(1_700_000_123))
    .collect()
}

/// Entries by path, their tar offsets left out: what a listing from a table
/// of contents (which has none) is compared with.
pub fn by_path(
    entries: &[layerlens::layer::Entry],
) -> std::collections::BTreeMap<Vec<u8>, layerlens::layer::Entry> {
    entries
        .iter()
        .map(|e| {
            let entry = layerlens::layer::Entry {
                offset: 0,
                ..e.clone()
            };
            (e.path.clone(), entry)
        })
        .collect()
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

pub fn sha256_hex(data: &[u8]) -> String {
    sha256(data).iter().map(|b| format!("{b:02x}")).collect()
}

/// Feeds `blob` in seeded random chunk sizes and finishes. Feeding stops at
/// the first error (as a downloader would), and `finish` reports it.
pub fn scan_seeded(
    compression: Compression,
    blob: &[u8],
    options: &ScanOptions,
    seed: u64,
) -> Result<LayerScan, ScanFailure> {
    let mut scanner = Scanner::new(compression, options.clone());
    feed_seeded(&mut scanner, blob, seed);
    scanner.finish()
}

pub fn feed_seeded<S: ContentSink>(scanner: &mut Scanner<S>, blob: &[u8], seed: u64) {
    for chunk in seeded_chunks(blob, seed) {
        if scanner.feed(chunk).is_err() {
            return;
        }
    }
}

/// `blob` cut as a download might deliver it: seed 0 whole, 1 byte by
/// byte, any other in seeded random sizes (see [`Rng::chunk_size`]).
pub fn seeded_chunks(blob: &[u8], seed: u64) -> Vec<&[u8]> {
    let mut rng = Rng(seed | 1);
    let mut chunks = Vec::new();
    let mut rest = blob;
    while !rest.is_empty() {
        let n = match seed {
            0 => rest.len(),
            1 => 1,
            _ => rng.chunk_size().min(rest.len()),
        };
        let (chunk, tail) = rest.split_at(n);
        chunks.push(chunk);
        rest = tail;
    }
    chunks
}

/// The seeds every test runs: 1 = byte by byte, 0 = the whole blob at once
/// (handled by `scan_all`), the others random.
pub const SEEDS: &[u64] = &[1, 0x9e37_79b9, 42, 7_777_777, 0xdead_beef];

/// Scans with every seed and the whole blob at once; asserts that all runs
/// agree (results and errors alike) and returns the common result.
pub fn scan_all(
    compression: Compression,
    blob: &[u8],
    options: &ScanOptions,
) -> Result<LayerScan, ScanFailure> {
    let mut whole = Scanner::new(compression, options.clone());
    let _ = whole.feed(blob);
    let reference = whole.finish();
    for &seed in SEEDS {
        for (engine, r) in [
            ("one thread", scan_seeded(compression, blob, options, seed)),
            ("two threads", scan_split(compression, blob, options, seed)),
            (
                "tar hashes elsewhere",
                scan_digested(compression, blob, options, seed),
            ),
        ] {
            let seed = format!("{engine}, seed {seed:#x}");
            agree(&r, &reference, &seed);
        }
    }
    reference
}

/// [`scan_seeded`] by the command line's engine: the scan's two halves on
/// two threads (`native::split`), driven as `inspect::scan_body` drives it.
pub fn scan_split(
    compression: Compression,
    blob: &[u8],
    options: &ScanOptions,
    seed: u64,
) -> Result<LayerScan, ScanFailure> {
    let mut scanner = layerlens::native::split::TWO_THREADS.start(compression, options.clone());
    for chunk in seeded_chunks(blob, seed) {
        if scanner.feed(chunk).is_err() {
            break;
        }
    }
    scanner.finish()
}

/// [`scan_seeded`] as the page's two workers run it: the tar half with
/// [`ScanOptions::tar_hashes_elsewhere`], its diff_id and file digests
/// computed apart ([`TarHashes`], another worker there) from the content
/// ranges (given before each piece, as the worker sends them) and the
/// pieces, and the scan ended with those digests.
pub fn scan_digested(
    compression: Compression,
    blob: &[u8],
    options: &ScanOptions,
    seed: u64,
) -> Result<LayerScan, ScanFailure> {
    use layerlens::layer::{finish_halves_hashed, TarHashes, TarScanner, Unpacker};
    let options = ScanOptions {
        tar_hashes_elsewhere: true,
        ..options.clone()
    };
    let shared = options.tar_is_blob(compression);
    let mut unpack = Unpacker::new(compression, &options);
    let mut tar = TarScanner::new(compression, &options);
    let mut hashes = TarHashes::new((!shared).then_some(options.diff_id_algorithm));
    let mut failed = None;
    let mut rng = Rng(seed.rotate_left(17) | 1);
    for chunk in seeded_chunks(blob, seed) {
        // Some files hashed here, some elsewhere, as a worker whose helper
        // falls behind does: the result must not tell.
        let elsewhere = seed == 0 || rng.below(3) > 0;
        tar.set_contents_elsewhere(elsewhere);
        let fed = unpack.feed(chunk, &mut |piece: &[u8]| {
            let walked = tar.feed(piece);
            hashes.ranges(&tar.take_content_ranges());
            hashes.update(piece);
            walked
        });
        if let Err(e) = fed {
            failed = Some(e);
            break;
        }
    }
    let (diff_id, contents) = hashes.finish();
    tar.fill_contents(&contents);
    let diff_id = diff_id.unwrap_or_else(|| unpack.blob_digest());
    finish_halves_hashed(unpack, tar, failed, diff_id).0
}

fn agree(
    r: &Result<LayerScan, ScanFailure>,
    reference: &Result<LayerScan, ScanFailure>,
    seed: &str,
) {
    {
        match (r, reference) {
            // How far a failed scan got depends on the chunking (feeding
            // stops at the first error); what it found must not.
            (Err(a), Err(b)) => {
                assert_eq!(a.error(), b.error(), "{seed}: error");
                assert_eq!(a.entries(), b.entries(), "{seed}: partial entries");
                assert_eq!(a.problems(), b.problems(), "{seed}: problems");
            }
            _ => assert_eq!(r, reference, "{seed} disagrees with the one-chunk scan"),
        }
    }
}

/// Extracts with `target` under several chunkings; returns the collected
/// content and asserts all chunkings agree.
pub fn extract_all(
    compression: Compression,
    blob: &[u8],
    target: &ExtractTarget,
) -> layerlens::layer::Collect {
    let mut first: Option<layerlens::layer::Collect> = None;
    for &seed in SEEDS {
        let mut sink = layerlens::layer::Collect::new(usize::MAX);
        let mut scanner = Scanner::with_extract(
            compression,
            ScanOptions {
                hash_contents: true,
                ..ScanOptions::default()
            },
            target.clone(),
            &mut sink,
        );
        feed_seeded(&mut scanner, blob, seed);
        scanner.finish().expect("scan");
        match &first {
            None => first = Some(sink),
            Some(f) => {
                assert_eq!(f.bytes(), sink.bytes(), "seed {seed:#x}");
                assert_eq!(f.entry(), sink.entry(), "seed {seed:#x}");
            }
        }
    }
    first.expect("at least one seed")
}
