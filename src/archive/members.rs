//! The members of an outer tar (a `docker save` or OCI archive), found by
//! hopping from header to header: each member's content is skipped by its
//! size, so only headers (and the few long names and pax records among
//! them) are read.
//!
//! Names are normalised (`./` and empty parts dropped); a name that is
//! absolute or climbs out with `..` is refused when something asks for it,
//! as is a name that appears twice (which of the two would be meant?).
//! Symbolic and hard links inside the archive are followed (legacy `docker
//! save` links a repeated layer to its first copy), at most
//! [`MAX_LINK_HOPS`] times, never out of the archive.

use std::collections::{BTreeMap, BTreeSet};

use super::{ArchiveError, ReadAt, Source};
use crate::layer::tar::header::{Header, BLOCK, LINKNAME, SIZE};
use crate::layer::tar::pax::PaxValues;

/// Members indexed at most.
pub const MAX_MEMBERS: usize = 200_000;
/// The largest long name or pax record read.
const MAX_META: u64 = 1 << 20;
/// Links followed at most to reach a file.
pub const MAX_LINK_HOPS: usize = 8;

/// What a member is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link to this target (as written).
    Symlink(String),
    /// A hard link to this member (as written).
    HardLink(String),
    /// Anything else (devices, FIFOs): never content.
    Other(u8),
}

/// One member of the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Where its content starts in the archive.
    pub offset: u64,
    /// Its content's size.
    pub size: u64,
    /// What it is.
    pub kind: MemberKind,
}

/// The archive's members by normalised path.
#[derive(Debug, Clone, Default)]
pub struct Members {
    by_path: BTreeMap<String, Member>,
    duplicates: BTreeSet<String>,
    unsafe_names: BTreeSet<String>,
}

/// A member's name as used for lookups: `./a//b/` → `a/b`; `None` when it
/// is absolute or climbs out with `..` (or is not UTF-8).
pub fn normalize(name: &str) -> Option<String> {
    if name.starts_with('/') {
        return None;
    }
    let mut parts = Vec::new();
    for p in name.split('/') {
        match p {
            "" | "." => {}
            ".." => return None,
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// Resolves `target` of a link at `from` (a normalised path) to a
/// normalised path inside the archive.
fn link_target(from: &str, target: &str, symbolic: bool) -> Option<String> {
    if !symbolic {
        // Hard link names are archive paths.
        return normalize(target);
    }
    if target.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for p in target.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

impl Members {
    /// The member at `path` (normalised), following links inside the
    /// archive; an error names what cannot be used.
    pub fn file(&self, path: &str) -> Result<Option<&Member>, ArchiveError> {
        let Some(mut at) = normalize(path) else {
            return Err(ArchiveError::BadMember {
                member: path.to_owned(),
                why: "the path leads outside the archive".into(),
            });
        };
        for _ in 0..=MAX_LINK_HOPS {
            if self.duplicates.contains(&at) {
                return Err(ArchiveError::BadMember {
                    member: at,
                    why: "the archive holds two members of this name".into(),
                });
            }
            let Some(m) = self.by_path.get(&at) else {
                return Ok(None);
            };
            let (target, symbolic) = match &m.kind {
                MemberKind::File => return Ok(Some(m)),
                MemberKind::Symlink(t) => (t, true),
                MemberKind::HardLink(t) => (t, false),
                MemberKind::Dir => {
                    return Err(ArchiveError::BadMember {
                        member: at,
                        why: "a directory, not a file".into(),
                    })
                }
                MemberKind::Other(t) => {
                    return Err(ArchiveError::BadMember {
                        member: at,
                        why: format!("not a regular file (tar type {:?})", *t as char),
                    })
                }
            };
            at = link_target(&at, target, symbolic).ok_or_else(|| ArchiveError::BadMember {
                member: at.clone(),
                why: format!("a link to {target}, outside the archive"),
            })?;
        }
        Err(ArchiveError::BadMember {
            member: path.to_owned(),
            why: format!("more than {MAX_LINK_HOPS} links to follow"),
        })
    }

    /// Every regular file's normalised path.
    pub fn files(&self) -> impl Iterator<Item = &str> {
        self.by_path
            .iter()
            .filter(|(_, m)| m.kind == MemberKind::File)
            .map(|(p, _)| p.as_str())
    }

    /// How many members were indexed.
    pub fn len(&self) -> usize {
        self.by_path.len()
    }

    /// Whether the archive has no members.
    pub fn is_empty(&self) -> bool {
        self.by_path.is_empty()
    }

    /// Names refused because they are absolute or climb out with `..`.
    pub fn unsafe_names(&self) -> impl Iterator<Item = &str> {
        self.unsafe_names.iter().map(String::as_str)
    }

    fn insert(&mut self, name: String, member: Member) {
        let Some(path) = normalize(&name) else {
            self.unsafe_names.insert(name);
            return;
        };
        if path.is_empty() {
            return;
        }
        if self.by_path.insert(path.clone(), member).is_some() {
            self.duplicates.insert(path);
        }
    }
}

async fn read_exact<R: ReadAt>(r: &R, offset: u64, len: usize) -> Result<Vec<u8>, ArchiveError> {
    let bytes = r.read_at(offset, len).await?;
    if bytes.len() != len {
        return Err(ArchiveError::Damaged {
            offset,
            detail: format!("{len} bytes expected, {} read", bytes.len()),
        });
    }
    Ok(bytes)
}

fn text(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// Indexes the members of the tar `r` by one pass over its headers.
pub async fn index<R: ReadAt>(r: &R) -> Result<Members, ArchiveError> {
    let size = r.size();
    let mut members = Members::default();
    let mut at = 0u64;
    let mut long_name: Option<String> = None;
    let mut long_link: Option<String> = None;
    let mut pax = PaxValues::default();
    let mut count = 0usize;
    let mut ended = false;
    let mut last: Option<String> = None;
    while at + BLOCK as u64 <= size {
        let block = read_exact(r, at, BLOCK).await?;
        let Ok(block): Result<[u8; BLOCK], _> = block.try_into() else {
            return Err(ArchiveError::Io("short read".into()));
        };
        if block.iter().all(|&b| b == 0) {
            ended = true;
            break;
        }
        let header = match Header::parse(&block, at) {
            Ok(h) => h,
            Err(_) if at == 0 && block.starts_with(&[0x1f, 0x8b]) => {
                return Err(ArchiveError::Compressed("gzip"))
            }
            Err(_) if at == 0 && block.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) => {
                return Err(ArchiveError::Compressed("zstd"))
            }
            Err(_) if at == 0 => return Err(ArchiveError::NotTar),
            Err(e) => {
                return Err(ArchiveError::Damaged {
                    offset: at,
                    detail: e.to_string(),
                })
            }
        };
        let damaged = |detail: String| ArchiveError::Damaged { offset: at, detail };
        let header_size = header
            .unsigned(SIZE, "size", at)
            .map_err(|e| damaged(e.to_string()))?;
        let typeflag = header.typeflag();
        let data = at + BLOCK as u64;
        let meta = matches!(typeflag, b'L' | b'K' | b'x' | b'g');
        let content = if meta {
            header_size
        } else {
            pax.size.flatten().unwrap_or(header_size)
        };
        let name = if meta {
            String::from_utf8_lossy(&header.name()).into_owned()
        } else {
            pax.path
                .clone()
                .flatten()
                .map(|p| String::from_utf8_lossy(&p).into_owned())
                .or_else(|| long_name.take())
                .unwrap_or_else(|| String::from_utf8_lossy(&header.name()).into_owned())
        };
        if data.checked_add(content).is_none_or(|end| end > size) {
            return Err(ArchiveError::Truncated {
                member: name,
                offset: data,
                needed: content,
                size,
            });
        }
        match typeflag {
            b'L' | b'K' | b'x' | b'g' => {
                if content > MAX_META {
                    return Err(damaged(format!(
                        "a {content}-byte extended header (at most {MAX_META})"
                    )));
                }
                let bytes = read_exact(r, data, content as usize).await?;
                match typeflag {
                    b'L' => long_name = Some(text(&bytes)),
                    b'K' => long_link = Some(text(&bytes)),
                    b'x' => pax.merge(&bytes, at).map_err(|e| damaged(e.to_string()))?,
                    // Global records: nothing an archive index needs.
                    _ => {}
                }
            }
            _ => {
                count += 1;
                if count > MAX_MEMBERS {
                    return Err(ArchiveError::TooManyMembers(MAX_MEMBERS));
                }
                let link = pax
                    .linkpath
                    .clone()
                    .flatten()
                    .map(|p| String::from_utf8_lossy(&p).into_owned())
                    .or_else(|| long_link.take())
                    .unwrap_or_else(|| text(header.text(LINKNAME)));
                let kind = match typeflag {
                    b'0' | 0 | b'7' => MemberKind::File,
                    b'5' => MemberKind::Dir,
                    b'2' => MemberKind::Symlink(link),
                    b'1' => MemberKind::HardLink(link),
                    t => MemberKind::Other(t),
                };
                let size = if kind == MemberKind::File { content } else { 0 };
                last = Some(name.clone());
                members.insert(
                    name,
                    Member {
                        offset: data,
                        size,
                        kind,
                    },
                );
                pax = PaxValues::default();
                long_name = None;
                long_link = None;
            }
        }
        at = data + content.div_ceil(BLOCK as u64) * BLOCK as u64;
    }
    if members.is_empty() && at == 0 {
        return Err(ArchiveError::NotTar);
    }
    // `docker save`, skopeo and tar end an archive with zero blocks; one
    // that stops without them was cut short (perhaps at a member's end).
    if !ended {
        return Err(ArchiveError::Unterminated {
            last: last.unwrap_or_else(|| "(none)".into()),
            size,
        });
    }
    Ok(members)
}

/// The files of a tar archive, read in place through its member index.
pub struct TarSource<R> {
    archive: R,
    members: Members,
}

impl<R: ReadAt> TarSource<R> {
    /// Indexes `archive`'s members.
    pub async fn open(archive: R) -> Result<TarSource<R>, ArchiveError> {
        let members = index(&archive).await?;
        Ok(TarSource { archive, members })
    }

    /// The member index.
    pub fn members(&self) -> &Members {
        &self.members
    }

    /// The archive file.
    pub fn archive(&self) -> &R {
        &self.archive
    }
}

impl<R: ReadAt> Source for TarSource<R> {
    async fn size(&self, path: &str) -> Result<Option<u64>, ArchiveError> {
        Ok(self.members.file(path)?.map(|m| m.size))
    }

    async fn read(&self, path: &str, offset: u64, len: usize) -> Result<Vec<u8>, ArchiveError> {
        let Some(m) = self.members.file(path)? else {
            return Err(ArchiveError::Missing(format!("no member {path}")));
        };
        if offset >= m.size {
            return Ok(Vec::new());
        }
        // Never a byte beyond the member.
        let len = (len as u64).min(m.size - offset) as usize;
        self.archive.read_at(m.offset + offset, len).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised_and_may_not_climb_out() {
        assert_eq!(normalize("./a//b/").as_deref(), Some("a/b"));
        assert_eq!(normalize("index.json").as_deref(), Some("index.json"));
        assert_eq!(normalize("a/../b"), None);
        assert_eq!(normalize("/etc/passwd"), None);
        assert_eq!(
            link_target("x/layer.tar", "../y/layer.tar", true).as_deref(),
            Some("y/layer.tar")
        );
        assert_eq!(link_target("layer.tar", "../../etc/passwd", true), None);
        assert_eq!(link_target("a/b", "/etc/passwd", true), None);
    }
}
