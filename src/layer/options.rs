//! What a scan computes and the caps on hostile input ([`ScanOptions`]).

use crate::oci::digest::{Algorithm, Digest};
use crate::oci::Compression;

/// What a scan computes and how much hostile input it tolerates.
///
/// The caps bound memory whatever the layer says about itself: the scanner
/// holds at most one PAX header, one long name and one zstd window, plus the
/// entries' metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanOptions {
    /// Algorithm of the blob digest; take it from the layer descriptor's
    /// digest so the result can be compared (sha256 by default).
    pub blob_algorithm: Algorithm,
    /// Algorithm of the diff_id; take it from the config's `rootfs.diff_ids`
    /// (sha256 by default, and in every image seen in practice).
    pub diff_id_algorithm: Algorithm,
    /// Hash every regular file's content with SHA-256
    /// ([`Entry::content_sha256`](super::Entry::content_sha256)): needed to tell a modified file from one
    /// rewritten unchanged. A second SHA-256 pass over file data: measured
    /// ~20% slower on gzip layers, ~45% on uncompressed ones. Off by default.
    pub hash_contents: bool,
    /// Most entries (plus per-entry problems) a layer may have; more is a
    /// fatal [`TooManyEntries`](super::ScanErrorKind::TooManyEntries).
    /// Default 2^20 — large images have ~10^5 files per layer.
    pub max_entries: usize,
    /// Largest PAX extended header accepted, in bytes. Default 1 MiB (real
    /// ones are a few hundred bytes; xattrs can make them a few KiB).
    pub max_pax_size: u64,
    /// Longest name accepted, in bytes: GNU long names and links, PAX
    /// `path`, `linkpath`, `uname`, `gname`. Default 64 KiB (Linux's
    /// `PATH_MAX` is 4 KiB).
    pub max_name_len: u64,
    /// Most metadata kept for one layer, in bytes: every entry (and listed
    /// problem) costs its names plus the size of an [`Entry`](super::Entry). Default
    /// 512 MiB — a million entries with 100-byte paths need ~250 MiB. With
    /// `max_entries` and `max_name_len` alone a hostile layer could ask for
    /// terabytes.
    pub max_metadata_bytes: u64,
    /// Largest zstd window accepted, in bytes: the decoder keeps that much
    /// history. Default 128 MiB (`zstd --ultra -22` uses 128 MiB; the
    /// default levels use 1–8 MiB).
    pub max_zstd_window: u64,
    /// Leave the tar stream's hashes to the caller: the diff_id and, with
    /// `hash_contents`, each file's content digest. The tar half then
    /// reports where each file's content lies in the tar stream
    /// ([`TarScanner::take_content_ranges`](super::TarScanner::take_content_ranges)); the caller hashes the pieces
    /// the unpacker hands on elsewhere (the page: a second Web Worker,
    /// with [`TarHashes`](super::TarHashes)), gives the file digests back
    /// ([`TarScanner::fill_contents`](super::TarScanner::fill_contents)) and ends the scan with
    /// [`finish_halves_hashed`](super::finish_halves_hashed). Off by default.
    pub tar_hashes_elsewhere: bool,
    /// Record seek checkpoints about every this many compressed bytes, so
    /// that one file can later be read from a range of the blob
    /// ([`LayerScan::seek_index`](super::LayerScan::seek_index), [`super::seek`];
    /// [`DEFAULT_SPACING`](super::seek::DEFAULT_SPACING) is a good value).
    /// Reading a file that way needs its content digest: scan with
    /// `hash_contents` too. Costs a little memory (a 32 KiB window per gzip
    /// checkpoint, deflated) and no measurable time. Off (`None`) by default.
    pub seek_spacing: Option<u64>,
}

impl Default for ScanOptions {
    fn default() -> ScanOptions {
        ScanOptions {
            blob_algorithm: Algorithm::Sha256,
            diff_id_algorithm: Algorithm::Sha256,
            hash_contents: false,
            max_entries: 1 << 20,
            max_pax_size: 1 << 20,
            max_name_len: 64 << 10,
            max_metadata_bytes: 512 << 20,
            max_zstd_window: 128 << 20,
            tar_hashes_elsewhere: false,
            seek_spacing: None,
        }
    }
}

impl ScanOptions {
    /// The options for the blob `blob` of a layer whose config names
    /// `diff_id` (sha256 when it names none): each digest in the algorithm
    /// it will be compared in.
    pub fn for_layer(blob: &Digest, diff_id: Option<&Digest>) -> ScanOptions {
        ScanOptions {
            blob_algorithm: blob.algorithm(),
            diff_id_algorithm: diff_id.map_or(Algorithm::Sha256, Digest::algorithm),
            ..ScanOptions::default()
        }
    }

    /// Whether a blob compressed as `compression` is its own tar stream,
    /// hashed once: uncompressed, with both digests in one algorithm (the
    /// blob digest is then the diff_id).
    pub fn tar_is_blob(&self, compression: Compression) -> bool {
        compression == Compression::None && self.blob_algorithm == self.diff_id_algorithm
    }
}
