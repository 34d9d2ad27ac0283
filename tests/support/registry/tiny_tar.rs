//! A deliberately tiny ustar writer (POSIX.1-1988 header, regular files and directories, names
//! up to 100 bytes) and a gzip helper: just enough to give the harness's own tests real layer
//! bytes. Richer archives (long names, PAX, links, whiteouts) belong to the dedicated tar
//! builder in the test support, not here.

use std::io::Write as _;

/// An archive being written.
#[derive(Debug, Default)]
pub struct Tar {
    out: Vec<u8>,
}

impl Tar {
    /// An empty archive.
    pub fn new() -> Tar {
        Tar::default()
    }

    /// Adds a regular file (mode 0644, uid/gid 0, mtime 0).
    pub fn file(self, path: &str, contents: &[u8]) -> Tar {
        self.entry(path, b'0', 0o644, contents)
    }

    /// Adds a directory (mode 0755); `path` should end with `/`.
    pub fn dir(self, path: &str) -> Tar {
        self.entry(path, b'5', 0o755, &[])
    }

    /// The archive with its two zero end-of-archive blocks.
    pub fn finish(mut self) -> Vec<u8> {
        self.out.extend_from_slice(&[0; 1024]);
        self.out
    }

    fn entry(mut self, path: &str, kind: u8, mode: u32, contents: &[u8]) -> Tar {
        assert!(path.len() <= 100, "tiny_tar: name over 100 bytes: {path}");
        let mut header = [0u8; 512];
        header[..path.len()].copy_from_slice(path.as_bytes());
        octal(&mut header[100..108], u64::from(mode));
        octal(&mut header[108..116], 0); // uid
        octal(&mut header[116..124], 0); // gid
        octal(&mut header[124..136], contents.len() as u64);
        octal(&mut header[136..148], 0); // mtime
        header[156] = kind;
        header[257..263].copy_from_slice(b"ustar\0");
        header[263..265].copy_from_slice(b"00");
        // The checksum is computed with its own field as eight spaces.
        header[148..156].copy_from_slice(b"        ");
        let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
        header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        self.out.extend_from_slice(&header);
        self.out.extend_from_slice(contents);
        let padding = (512 - contents.len() % 512) % 512;
        self.out.extend(std::iter::repeat_n(0u8, padding));
        self
    }
}

/// Writes `value` as zero-padded octal digits followed by a NUL, filling `field`.
fn octal(field: &mut [u8], value: u64) {
    let digits = format!("{value:0width$o}\0", width = field.len() - 1);
    assert_eq!(digits.len(), field.len(), "tiny_tar: {value} does not fit");
    field.copy_from_slice(digits.as_bytes());
}

/// Gzip (RFC 1952) of `bytes` with flate2; deterministic (mtime 0 in the header).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("gzip into memory");
    encoder.finish().expect("gzip into memory")
}
