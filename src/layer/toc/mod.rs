//! Tables of contents: a layer's listing in a small part of its blob, so a
//! tree can be shown without the download. Two formats carry one:
//!
//! * [`chunked`] — zstd:chunked (podman, buildah, skopeo), the table at an
//!   offset the descriptor's annotations give;
//! * [`stargz`] — eStargz (containerd's stargz-snapshotter), the table's
//!   offset in a 51-byte gzip footer at the end of the blob.
//!
//! Both hold the CRFS table-of-contents JSON (google/crfs `stargz.go`,
//! `TOCEntry`: `{"version": 1, "entries": [{"type", "name", "linkName",
//! "mode", "uid", "gid", "userName", "groupName", "size", "modtime",
//! "devMajor", "devMinor", "digest", …}]}`), read here by [`entries`]. The
//! descriptor names the table's digest, and the manifest holding the
//! descriptor is verified, so the listing is verified; the blob and its
//! diff_id are not, until the layer is streamed (the caller says so).

pub mod chunked;
mod file;
pub mod stargz;

pub use chunked::{read_chunked_toc, ChunkedToc};
pub use file::{Span, TocFileRead};
pub use stargz::{read_stargz_toc, StargzToc};

use serde::Deserialize;

use super::entry::{Entry, EntryKind};
use super::path::{normalize_path, PathProblem};
use sha2::{Digest as _, Sha256};

use crate::oci::{Algorithm, Digest, Timestamp, VerifyError};

/// Which table of contents listed a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TocFormat {
    /// zstd:chunked's manifest.
    ZstdChunked,
    /// eStargz's `stargz.index.json`.
    Estargz,
}

impl std::fmt::Display for TocFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TocFormat::ZstdChunked => "zstd:chunked",
            TocFormat::Estargz => "eStargz",
        })
    }
}

/// A layer listed from its table of contents: the listing matched the
/// digest the (verified) manifest names for it, so it is the listing the
/// image's author published; the blob and its diff_id were not read, so
/// nothing says the blob holds those files until it is streamed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedLayer {
    entries: Vec<Entry>,
    /// Per entry, where a regular file's content is in the blob (empty for
    /// the others and for empty files).
    spans: Vec<Vec<Span>>,
    /// Where the files' data ends in the blob (the table's own offset).
    data_end: u64,
    format: TocFormat,
    whole_blob: bool,
}

impl ListedLayer {
    /// Only the readers here (and a transferred report) make one; `spans`
    /// has one list per entry (shorter lists are padded with none).
    pub(crate) fn new(
        entries: Vec<Entry>,
        mut spans: Vec<Vec<Span>>,
        data_end: u64,
        format: TocFormat,
    ) -> ListedLayer {
        spans.resize(entries.len(), Vec::new());
        ListedLayer {
            entries,
            spans,
            data_end,
            format,
            whole_blob: false,
        }
    }

    /// Where the content of entry `index` is in the blob, in order (empty
    /// for anything but a non-empty regular file).
    pub fn spans(&self, index: usize) -> &[Span] {
        self.spans.get(index).map_or(&[], Vec::as_slice)
    }

    /// Entry `index` with what it takes to read its content by Range (a
    /// value that can travel on its own, without the listing).
    pub fn file(&self, index: usize) -> Option<ListedFile> {
        Some(ListedFile {
            format: self.format,
            entry: self.entries.get(index)?.clone(),
            spans: self.spans(index).to_vec(),
            data_end: self.data_end,
        })
    }

    /// A reader of entry `index`'s content by its spans (see
    /// [`TocFileRead`]); an error when there is no such entry, it is not a
    /// regular file or the table's spans for it do not add up.
    pub fn open(&self, index: usize) -> Result<TocFileRead, TocError> {
        self.file(index)
            .ok_or_else(|| TocError::File {
                path: String::new(),
                reason: format!("no entry {index} in the listing"),
            })?
            .open()
    }

    /// Where the files' data ends in the blob (the table of contents
    /// starts there).
    pub fn data_end(&self) -> u64 {
        self.data_end
    }

    /// The index of the last entry listed at `path` (normalised like
    /// [`Entry::path`]): the one the layer leaves on disk.
    pub fn find(&self, path: &[u8]) -> Option<usize> {
        self.entries.iter().rposition(|e| e.path == path)
    }

    /// Marks that the registry ignored `Range`, so the blob was read from
    /// its start to reach the table.
    pub(crate) fn read_whole_blob(mut self, whole: bool) -> ListedLayer {
        self.whole_blob = whole;
        self
    }

    /// Whether the registry ignored `Range` (the blob was read from its
    /// start to reach the table, and dropped).
    pub fn whole_blob(&self) -> bool {
        self.whole_blob
    }

    /// The entries, in the archive's order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Which table of contents listed it.
    pub fn format(&self) -> TocFormat {
        self.format
    }
}

/// One entry of a [`ListedLayer`] and where its content is in the blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedFile {
    format: TocFormat,
    entry: Entry,
    spans: Vec<Span>,
    data_end: u64,
}

impl ListedFile {
    /// The entry as the table lists it.
    pub fn entry(&self) -> &Entry {
        &self.entry
    }

    /// A reader of its content by its spans; an error when it is not a
    /// regular file or the spans do not add up.
    pub fn open(&self) -> Result<TocFileRead, TocError> {
        TocFileRead::new(self.format, &self.entry, &self.spans, self.data_end)
    }
}

/// The largest table of contents inflated, in bytes (a 187 MB layer's is
/// about 1.6 MB compressed, 10 MB as JSON).
pub const MAX_TOC: u64 = 256 << 20;

/// Why a table of contents cannot be used; each names what and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TocError {
    /// An annotation is malformed or points outside the blob.
    #[error("annotation {key} = {value:?}: {reason}")]
    Annotation {
        /// The annotation.
        key: &'static str,
        /// Its value.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An eStargz footer or table-of-contents member is not what the
    /// format says.
    #[error("eStargz: {0}")]
    Footer(String),
    /// The bytes read are not the table of contents the manifest names.
    #[error("table of contents: {0}")]
    Checksum(VerifyError),
    /// The zstd data does not inflate to the announced length.
    #[error("table of contents: {0}")]
    Inflate(String),
    /// The JSON is not a table of contents.
    #[error("table of contents JSON: {0}")]
    Json(String),
    /// A file's content cannot be read through its spans, or is not what
    /// the table says.
    #[error("{path}: {reason}")]
    File {
        /// The file's path in the layer.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// One entry cannot be listed.
    #[error("table of contents entry {index} ({name:?}): {reason}")]
    Entry {
        /// Its position in `entries`.
        index: usize,
        /// Its name as written.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
}

#[derive(Deserialize)]
struct TocJson {
    version: u32,
    entries: Vec<TocEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TocEntry {
    #[serde(rename = "type")]
    kind: String,
    name: String,
    #[serde(default)]
    link_name: String,
    #[serde(default)]
    mode: i64,
    #[serde(default)]
    uid: i64,
    #[serde(default)]
    gid: i64,
    #[serde(default)]
    user_name: String,
    #[serde(default)]
    group_name: String,
    #[serde(default)]
    size: i64,
    #[serde(default)]
    modtime: Option<String>,
    #[serde(default)]
    dev_major: i64,
    #[serde(default)]
    dev_minor: i64,
    #[serde(default)]
    digest: Option<String>,
    #[serde(default)]
    offset: i64,
    #[serde(default)]
    end_offset: i64,
    #[serde(default)]
    chunk_offset: i64,
    #[serde(default)]
    chunk_size: i64,
}

/// The entries of a CRFS table-of-contents JSON (zstd:chunked's manifest,
/// eStargz's `stargz.index.json`), in the order of the archive, with the
/// content digests of regular files. A table of contents has no tar
/// offsets: `offset` is the entry's position in the listing (which keeps
/// the order, and names one entry when a path is listed twice). `chunk`
/// entries continue the file before them and add nothing to the listing.
pub fn entries(json: &[u8]) -> Result<Vec<Entry>, TocError> {
    Ok(parse(json, 0)?.0)
}

/// [`entries`] and, per entry, the spans of its content; a span whose end
/// the table leaves out (eStargz) ends where the next one starts, the last
/// at `table_at` (where the table of contents itself starts).
pub(crate) fn parse(json: &[u8], table_at: u64) -> Result<(Vec<Entry>, Vec<Vec<Span>>), TocError> {
    let toc: TocJson = serde_json::from_slice(json).map_err(|e| TocError::Json(e.to_string()))?;
    if toc.version != 1 {
        return Err(TocError::Json(format!("unknown version {}", toc.version)));
    }
    let mut entries = Vec::with_capacity(toc.entries.len());
    let mut spans: Vec<Vec<Span>> = Vec::with_capacity(toc.entries.len());
    for (index, e) in toc.entries.iter().enumerate() {
        let fail = |reason: &str| TocError::Entry {
            index,
            name: e.name.clone(),
            reason: reason.to_owned(),
        };
        let kind = match e.kind.as_str() {
            "reg" => EntryKind::File,
            "dir" => EntryKind::Directory,
            "symlink" => EntryKind::Symlink,
            "hardlink" => EntryKind::HardLink,
            "char" => EntryKind::CharDevice,
            "block" => EntryKind::BlockDevice,
            "fifo" => EntryKind::Fifo,
            "chunk" => {
                // Continues the regular file listed last.
                let last = entries.last().map(|l: &Entry| (l.kind, l.size));
                match (last, spans.last_mut()) {
                    (Some((EntryKind::File, size)), Some(list)) if size > 0 => {
                        list.push(
                            file::span_of(e.offset, e.end_offset, e.chunk_offset, e.chunk_size)
                                .map_err(|r| fail(&r))?,
                        );
                    }
                    _ => return Err(fail("a chunk that follows no regular file")),
                }
                continue;
            }
            other => return Err(fail(&format!("unknown type {other:?}"))),
        };
        let path = normalize_path(e.name.as_bytes()).map_err(|p| fail(path_problem(p)))?;
        let link_target = match kind {
            EntryKind::Symlink => Some(e.link_name.as_bytes().to_vec()),
            EntryKind::HardLink => Some(
                normalize_path(e.link_name.as_bytes())
                    .map_err(|p| fail(&format!("link target: {}", path_problem(p))))?,
            ),
            _ => None,
        };
        let unsigned = |v: i64, what: &str| {
            u64::try_from(v).map_err(|_| fail(&format!("negative {what} {v}")))
        };
        let mtime = match e.modtime.as_deref() {
            None | Some("") => 0,
            Some(t) => Timestamp::parse_rfc3339(t)
                .map_err(|err| fail(&format!("modtime: {err}")))?
                .seconds(),
        };
        let content_sha256 = match (e.digest.as_deref(), kind) {
            (Some(d), EntryKind::File) if !d.is_empty() => Some(
                sha256_bytes(d)
                    .ok_or_else(|| fail(&format!("content digest {d:?} is not sha256")))?,
            ),
            // Writers leave the digest out for an empty file: it is known.
            (_, EntryKind::File) if e.size == 0 => Some(Sha256::digest(b"").into()),
            _ => None,
        };
        entries.push(Entry {
            path,
            kind,
            mode: u32::try_from(e.mode & 0o7777).unwrap_or(0),
            uid: unsigned(e.uid, "uid")?,
            gid: unsigned(e.gid, "gid")?,
            uname: e.user_name.as_bytes().to_vec(),
            gname: e.group_name.as_bytes().to_vec(),
            size: if kind == EntryKind::File {
                unsigned(e.size, "size")?
            } else {
                0
            },
            mtime,
            link_target,
            dev_major: u32::try_from(e.dev_major).map_err(|_| fail("devMajor out of range"))?,
            dev_minor: u32::try_from(e.dev_minor).map_err(|_| fail("devMinor out of range"))?,
            content_sha256,
            offset: entries.len() as u64,
        });
        let size = entries.last().map_or(0, |l: &Entry| l.size);
        spans.push(if kind == EntryKind::File && size > 0 {
            vec![
                file::span_of(e.offset, e.end_offset, e.chunk_offset, e.chunk_size)
                    .map_err(|r| fail(&r))?,
            ]
        } else {
            Vec::new()
        });
    }
    file::close_spans(&mut spans, table_at);
    Ok((entries, spans))
}

/// Why a name is refused, in words.
fn path_problem(p: PathProblem) -> &'static str {
    match p {
        PathProblem::EscapesRoot => "the path escapes the layer's root",
        PathProblem::ContainsNul => "the path contains a NUL byte",
    }
}

/// The 32 bytes of a `sha256:` digest.
fn sha256_bytes(digest: &str) -> Option<[u8; 32]> {
    let digest = digest.parse::<Digest>().ok()?;
    if digest.algorithm() != Algorithm::Sha256 {
        return None;
    }
    digest.raw().try_into().ok()
}

#[cfg(test)]
mod tests;
