//! Turning one entry header — with the GNU long names and PAX records
//! that preceded it — into an [`Entry`], or into a listed problem.

use sha2::{Digest as _, Sha256};

use super::header::{self, Header, BLOCK};
use super::pax::pick;
use super::{padding, Current, DataUse, Step, TarWalker};
use crate::layer::entry::{Entry, EntryKind};
use crate::layer::error::{ScanError, ScanErrorKind};
use crate::layer::extract::ContentSink;
use crate::layer::hashes::ContentRange;
use crate::layer::path::{normalize_path, PathProblem};

impl<S: ContentSink> TarWalker<S> {
    pub(super) fn entry_header(
        &mut self,
        h: &Header<'_>,
        block: &[u8; BLOCK],
        at: u64,
    ) -> Result<(), ScanError> {
        let local = std::mem::take(&mut self.local);
        let long_name = self.long_name.take();
        let long_link = self.long_link.take();
        self.meta_start = None;
        let typeflag = h.typeflag();

        let raw_name = match (&local.sparse_name, &local.path) {
            (Some(Some(name)), _) | (_, Some(Some(name))) => name.clone(),
            _ => long_name.unwrap_or_else(|| h.name()),
        };
        let raw_link = match &local.linkpath {
            Some(Some(link)) => link.clone(),
            _ => long_link.unwrap_or_else(|| h.text(header::LINKNAME).to_vec()),
        };
        self.charge(std::mem::size_of::<Entry>(), &[&raw_name, &raw_link], at)?;
        let header_size = h.unsigned(header::SIZE, "size", at)?;
        let stored_size = match local.size {
            Some(Some(size)) => size,
            _ => header_size,
        };

        let kind = match typeflag {
            b'0' | b'7' | b'S' => Some(EntryKind::File),
            // V7 tars mark directories only by a trailing slash.
            0 if raw_name.ends_with(b"/") => Some(EntryKind::Directory),
            0 => Some(EntryKind::File),
            b'1' => Some(EntryKind::HardLink),
            b'2' => Some(EntryKind::Symlink),
            b'3' => Some(EntryKind::CharDevice),
            b'4' => Some(EntryKind::BlockDevice),
            b'5' | b'D' => Some(EntryKind::Directory),
            b'6' => Some(EntryKind::Fifo),
            _ => None,
        };
        let header_only = matches!(typeflag, b'1'..=b'6');
        let data_len = if header_only { 0 } else { stored_size };

        let Some(kind) = kind else {
            // A volume label names the archive, not a file.
            if typeflag != b'V' {
                self.problem(
                    ScanErrorKind::UnsupportedEntryType {
                        typeflag,
                        path: raw_name,
                    },
                    at,
                )?;
            }
            return self.skip(data_len);
        };

        let uid = match pick(&local.uid, &self.global.uid) {
            Some(&v) => v,
            None => h.unsigned(header::UID, "uid", at)?,
        };
        let gid = match pick(&local.gid, &self.global.gid) {
            Some(&v) => v,
            None => h.unsigned(header::GID, "gid", at)?,
        };
        let uname = match pick(&local.uname, &self.global.uname) {
            Some(v) => v.clone(),
            None => h.text(header::UNAME).to_vec(),
        };
        let gname = match pick(&local.gname, &self.global.gname) {
            Some(v) => v.clone(),
            None => h.text(header::GNAME).to_vec(),
        };
        self.charge(0, &[&uname, &gname], at)?;
        let mtime = match pick(&local.mtime, &self.global.mtime) {
            Some(&v) => v,
            None => h.number(header::MTIME, "mtime", at)?,
        };
        // File type bits some writers leave in the mode field are dropped.
        let mode = (h.number(header::MODE, "mode", at)? as u64 & 0o7777) as u32;

        let old_sparse = typeflag == b'S';
        let sparse = old_sparse || local.sparse;
        let size = if old_sparse {
            h.unsigned(header::GNU_REALSIZE, "realsize", at)?
        } else if local.sparse {
            match local.sparse_size {
                Some(Some(size)) => size,
                _ => stored_size,
            }
        } else {
            stored_size
        };

        let (dev_major, dev_minor) =
            if matches!(kind, EntryKind::CharDevice | EntryKind::BlockDevice) {
                let number = |range, field| -> Result<u32, ScanError> {
                    let v = h.number(range, field, at)?;
                    u32::try_from(v)
                        .map_err(|_| ScanError::tar(ScanErrorKind::TarNumber { field }, at))
                };
                (
                    number(header::DEVMAJOR, "devmajor")?,
                    number(header::DEVMINOR, "devminor")?,
                )
            } else {
                (0, 0)
            };

        let path = match self.normalize("path", &raw_name, kind == EntryKind::Directory, at)? {
            Some(path) => path,
            None => return self.skip(data_len),
        };
        let link_target = match kind {
            EntryKind::Symlink => Some(raw_link),
            EntryKind::HardLink => {
                match self.normalize("hard link target", &raw_link, false, at)? {
                    Some(target) => Some(target),
                    None => return self.skip(data_len),
                }
            }
            _ => None,
        };

        self.count(at)?;
        let entry = Entry {
            path,
            kind,
            mode,
            uid,
            gid,
            uname,
            gname,
            size: if kind == EntryKind::File { size } else { 0 },
            mtime,
            link_target,
            dev_major,
            dev_minor,
            content_sha256: None,
            offset: at,
        };
        let hashed = self.limits.hash_contents && kind == EntryKind::File && !sparse;
        let hasher = (hashed && !self.limits.contents_elsewhere).then(Sha256::new);
        let ordinal = (hashed && self.limits.contents_elsewhere).then(|| {
            let ordinal = self.next_ordinal;
            self.next_ordinal += 1;
            // The content starts right after this header.
            self.ranges.push(ContentRange {
                ordinal,
                start: self.offset,
                len: data_len,
            });
            ordinal
        });
        let mut extracting = false;
        if let Some((target, sink)) = &mut self.extract {
            if target.matches(&entry) {
                extracting = !sparse;
                sink.begin(&entry);
                if sparse {
                    // The stored bytes are a sparse representation, not the content.
                    sink.end(&entry);
                    self.extracted += 1;
                }
            }
        }
        self.current = Some(Current {
            entry,
            hasher,
            ordinal,
            extracting,
        });
        // A sparse file's stored bytes are a sparse representation: they pass
        // through unhashed and unextracted (`hasher` is None, `extracting`
        // false), and the entry is complete once they have.
        if old_sparse && block[header::GNU_ISEXTENDED] != 0 {
            // The sparse map continues in extension blocks before the data.
            self.step = Step::SparseExtension {
                data: data_len,
                use_: DataUse::Entry,
            };
            return Ok(());
        }
        self.step = Step::Data {
            left: data_len,
            pad: padding(data_len),
            use_: DataUse::Entry,
        };
        self.data_if_done()
    }

    /// Normalises a name; on a problem, records it and returns `None`.
    fn normalize(
        &mut self,
        what: &'static str,
        raw: &[u8],
        may_be_root: bool,
        at: u64,
    ) -> Result<Option<Vec<u8>>, ScanError> {
        let kind = match normalize_path(raw) {
            Ok(p) if !p.is_empty() || may_be_root => return Ok(Some(p)),
            Ok(_) => ScanErrorKind::InvalidPath {
                what,
                path: raw.to_vec(),
                reason: "it names the root, which only a directory can be",
            },
            Err(PathProblem::EscapesRoot) => ScanErrorKind::PathEscapesRoot {
                what,
                path: raw.to_vec(),
            },
            Err(PathProblem::ContainsNul) => ScanErrorKind::InvalidPath {
                what,
                path: raw.to_vec(),
                reason: "it contains a NUL byte",
            },
        };
        self.problem(kind, at)?;
        Ok(None)
    }

    /// Enforces the caps on name lengths and on the metadata kept overall:
    /// every entry header is charged its names plus the size of an entry
    /// (`base`, charged once per header).
    fn charge(&mut self, base: usize, names: &[&[u8]], at: u64) -> Result<(), ScanError> {
        let mut bytes = base as u64;
        for name in names {
            let len = name.len() as u64;
            if len > self.limits.max_name_len {
                return Err(ScanError::tar(
                    ScanErrorKind::NameTooLong {
                        size: len,
                        max: self.limits.max_name_len,
                    },
                    at,
                ));
            }
            bytes += len;
        }
        self.metadata_bytes += bytes;
        if self.metadata_bytes > self.limits.max_metadata_bytes {
            return Err(ScanError::tar(
                ScanErrorKind::MetadataTooLarge {
                    max: self.limits.max_metadata_bytes,
                },
                at,
            ));
        }
        Ok(())
    }

    /// Enforces the entry cap (entries and problems together).
    fn count(&mut self, at: u64) -> Result<(), ScanError> {
        if self.entries.len() + self.problems.len() >= self.limits.max_entries {
            return Err(ScanError::tar(
                ScanErrorKind::TooManyEntries {
                    max: self.limits.max_entries,
                },
                at,
            ));
        }
        Ok(())
    }

    fn problem(&mut self, kind: ScanErrorKind, at: u64) -> Result<(), ScanError> {
        self.count(at)?;
        self.problems.push(ScanError::tar(kind, at));
        Ok(())
    }

    /// Skips `len` data bytes (and their padding) of the current member.
    fn skip(&mut self, len: u64) -> Result<(), ScanError> {
        self.step = Step::Data {
            left: len,
            pad: padding(len),
            use_: DataUse::Skip,
        };
        self.data_if_done()
    }
}
