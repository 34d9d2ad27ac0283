//! A small deterministic tar writer: POSIX ustar headers, a PAX extended
//! header (`x`) when a path or link target does not fit, fixed metadata
//! given by the caller, no clock and no host lookups.
//!
//! It writes only what the demo needs (directories, regular files, symlinks,
//! hard links) and is fed only the demo's own names, so it cannot fail.
//! Format references: POSIX.1-2001 `pax` "ustar Interchange Format" (header
//! layout, octal fields, checksum) and "pax Extended Header" (records
//! `"%d %s=%s\n"` whose length counts itself).

/// The size of a tar block.
const BLOCK: usize = 512;
/// Longest name that fits the ustar `name` field (we do not use `prefix`:
/// PAX is simpler and exercises the reader's PAX path).
const NAME_LEN: usize = 100;

/// Ownership, permissions and time of one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// Permission bits, setuid/setgid/sticky included (`0o4755`).
    pub mode: u32,
    /// Owner user id.
    pub uid: u32,
    /// Owner group id.
    pub gid: u32,
    /// Owner user name (at most 31 bytes are written).
    pub uname: &'static str,
    /// Owner group name (at most 31 bytes are written).
    pub gname: &'static str,
    /// Modification time, seconds since the epoch.
    pub mtime: u64,
}

impl Meta {
    /// `root:root` with `mode`, at `mtime`.
    pub const fn root(mode: u32, mtime: u64) -> Meta {
        Meta {
            mode,
            uid: 0,
            gid: 0,
            uname: "root",
            gname: "root",
            mtime,
        }
    }

    /// The same metadata with another mode.
    pub const fn mode(self, mode: u32) -> Meta {
        Meta { mode, ..self }
    }
}

/// The kind of an entry, as its typeflag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    HardLink,
    Symlink,
    Directory,
    PaxHeader,
}

impl Kind {
    fn typeflag(self) -> u8 {
        match self {
            Kind::File => b'0',
            Kind::HardLink => b'1',
            Kind::Symlink => b'2',
            Kind::Directory => b'5',
            Kind::PaxHeader => b'x',
        }
    }
}

/// Builds a tar archive in memory. Paths are root-relative (`etc/motd`);
/// directories get their trailing `/` added here.
#[derive(Debug, Default)]
pub struct TarBuilder {
    out: Vec<u8>,
}

impl TarBuilder {
    /// An empty archive.
    pub fn new() -> TarBuilder {
        TarBuilder::default()
    }

    /// A directory.
    pub fn dir(&mut self, path: &str, meta: Meta) -> &mut TarBuilder {
        let name = format!("{}/", path.trim_end_matches('/'));
        self.entry(&name, "", Kind::Directory, meta, &[]);
        self
    }

    /// A regular file with `data`.
    pub fn file(&mut self, path: &str, meta: Meta, data: &[u8]) -> &mut TarBuilder {
        self.entry(path, "", Kind::File, meta, data);
        self
    }

    /// A symbolic link to `target` (as written: relative or absolute).
    pub fn symlink(&mut self, path: &str, target: &str, meta: Meta) -> &mut TarBuilder {
        self.entry(path, target, Kind::Symlink, meta, &[]);
        self
    }

    /// A hard link to `target`, an earlier entry of this archive.
    pub fn hardlink(&mut self, path: &str, target: &str, meta: Meta) -> &mut TarBuilder {
        self.entry(path, target, Kind::HardLink, meta, &[]);
        self
    }

    /// A whiteout: `dir/.wh.NAME` hides `dir/NAME` of the layers below
    /// (image-spec `layer.md`, "Whiteouts").
    pub fn whiteout(&mut self, path: &str, meta: Meta) -> &mut TarBuilder {
        let (dir, name) = match path.rsplit_once('/') {
            Some((d, n)) => (format!("{d}/"), n),
            None => (String::new(), path),
        };
        self.entry(&format!("{dir}.wh.{name}"), "", Kind::File, meta, &[]);
        self
    }

    /// An opaque marker: `dir/.wh..wh..opq` hides everything the layers below
    /// put in `dir` (image-spec `layer.md`, "Opaque Whiteout").
    pub fn opaque(&mut self, dir: &str, meta: Meta) -> &mut TarBuilder {
        let name = format!("{}/.wh..wh..opq", dir.trim_end_matches('/'));
        self.entry(&name, "", Kind::File, meta, &[]);
        self
    }

    /// The archive with its end-of-archive marker (two zero blocks).
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = std::mem::take(&mut self.out);
        out.resize(out.len() + 2 * BLOCK, 0);
        out
    }

    fn entry(&mut self, path: &str, link: &str, kind: Kind, meta: Meta, data: &[u8]) {
        let mut records = Vec::new();
        if path.len() > NAME_LEN {
            records.extend(pax_record("path", path));
        }
        if link.len() > NAME_LEN {
            records.extend(pax_record("linkpath", link));
        }
        if !records.is_empty() {
            let pax_name = format!("PaxHeaders/{}", truncate(path, NAME_LEN - 11));
            let header = header(&pax_name, "", Kind::PaxHeader, meta, records.len() as u64);
            self.out.extend_from_slice(&header);
            self.push_data(&records);
        }
        let header = header(
            truncate(path, NAME_LEN),
            truncate(link, NAME_LEN),
            kind,
            meta,
            data.len() as u64,
        );
        self.out.extend_from_slice(&header);
        self.push_data(data);
    }

    fn push_data(&mut self, data: &[u8]) {
        self.out.extend_from_slice(data);
        let pad = (BLOCK - data.len() % BLOCK) % BLOCK;
        self.out.resize(self.out.len() + pad, 0);
    }
}

/// The first `max` bytes of `s`, cut at a character boundary.
fn truncate(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}

/// One PAX record, `"<len> <key>=<value>\n"`, where `<len>` is the decimal
/// length of the whole record including its own digits.
fn pax_record(key: &str, value: &str) -> Vec<u8> {
    let body = key.len() + value.len() + 3; // ' ', '=', '\n'
    let mut len = body + 1;
    while len != body + len.to_string().len() {
        len = body + len.to_string().len();
    }
    format!("{len} {key}={value}\n").into_bytes()
}

/// A ustar header block.
fn header(name: &str, link: &str, kind: Kind, meta: Meta, size: u64) -> [u8; BLOCK] {
    let mut h = [0u8; BLOCK];
    put(&mut h[0..100], name.as_bytes());
    octal(&mut h[100..108], u64::from(meta.mode & 0o7777));
    octal(&mut h[108..116], u64::from(meta.uid));
    octal(&mut h[116..124], u64::from(meta.gid));
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], meta.mtime);
    h[156] = kind.typeflag();
    put(&mut h[157..257], link.as_bytes());
    put(&mut h[257..263], b"ustar\0");
    put(&mut h[263..265], b"00");
    put(&mut h[265..296], meta.uname.as_bytes());
    put(&mut h[297..328], meta.gname.as_bytes());
    octal(&mut h[329..337], 0);
    octal(&mut h[337..345], 0);
    // The checksum is computed with its own field as eight spaces, then
    // written as six octal digits, NUL, space.
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    let text = format!("{sum:06o}\0 ");
    put(&mut h[148..156], text.as_bytes());
    h
}

fn put(field: &mut [u8], bytes: &[u8]) {
    let n = field.len().min(bytes.len());
    field[..n].copy_from_slice(&bytes[..n]);
}

/// A zero-padded octal number with a terminating NUL, filling the field.
fn octal(field: &mut [u8], value: u64) {
    let digits = field.len() - 1;
    let text = format!("{value:0digits$o}");
    // Values that do not fit (none in the demo) keep their low digits.
    let start = text.len().saturating_sub(digits);
    put(field, text.get(start..).unwrap_or_default().as_bytes());
    if let Some(last) = field.last_mut() {
        *last = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pax_record_length_counts_itself() {
        for value in ["x", &"y".repeat(90), &"z".repeat(994), &"w".repeat(995)] {
            let record = pax_record("path", value);
            let text = String::from_utf8(record.clone()).unwrap();
            let (len, _) = text.split_once(' ').unwrap();
            assert_eq!(len.parse::<usize>().unwrap(), record.len(), "{text}");
            assert!(text.ends_with('\n'));
        }
    }

    #[test]
    fn header_checksum_and_fields() {
        let mut b = TarBuilder::new();
        b.file("etc/motd", Meta::root(0o4755, 1_700_000_000), b"hi\n");
        let tar = b.finish();
        assert_eq!(tar.len(), 512 * 4, "header, one data block, two end blocks");
        let h = &tar[..512];
        let stored = u32::from_str_radix(
            std::str::from_utf8(&h[148..154])
                .unwrap()
                .trim_start_matches('0'),
            8,
        )
        .unwrap();
        let mut copy = h.to_vec();
        copy[148..156].fill(b' ');
        assert_eq!(stored, copy.iter().map(|&b| u32::from(b)).sum::<u32>());
        assert_eq!(&h[100..108], b"0004755\0");
        assert_eq!(&h[124..136], b"00000000003\0");
        assert_eq!(&h[257..263], b"ustar\0");
        assert_eq!(&tar[512..515], b"hi\n");
    }

    #[test]
    fn long_names_get_a_pax_header() {
        let long = format!("usr/share/{}/file.txt", "d".repeat(120));
        let mut b = TarBuilder::new();
        b.file(&long, Meta::root(0o644, 0), b"");
        let tar = b.finish();
        assert_eq!(tar[156], b'x');
        let records = std::str::from_utf8(&tar[512..1024]).unwrap();
        assert!(records.contains(&format!("path={long}\n")));
        assert_eq!(tar[1024 + 156], b'0');
    }
}
