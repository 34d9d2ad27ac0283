//! The result of a complete scan ([`LayerScan`]).

use crate::oci::{Compression, Digest};

use super::entry::Entry;
use super::error::ScanError;
use super::gzip::GzipInfo;
use super::index::LayerIndex;
use super::seek::SeekIndex;
use super::tar::EndOfArchive;
use super::verify::{check, LayerProblem};

/// The result of a complete scan: the layer's index (entries, digests and
/// sizes: what is kept) and the facts only a scan sees (entries left out,
/// the gzip header, how the tar ended).
///
/// A scan result is not a verification: [`super::verify`] its
/// [`index`](LayerScan::into_index) against what the manifest and config
/// promised to get a [`super::VerifiedLayer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerScan {
    pub(super) index: LayerIndex,
    pub(super) problems: Vec<ScanError>,
    pub(super) gzip: Option<GzipInfo>,
    pub(super) end_of_archive: EndOfArchive,
    pub(super) seek: Option<SeekIndex>,
}

impl LayerScan {
    /// The layer's index: what the library keeps and a worker sends.
    pub fn index(&self) -> &LayerIndex {
        &self.index
    }

    /// Gives the index back (to [`super::verify`] it).
    pub fn into_index(self) -> LayerIndex {
        self.index.with_seek(self.seek)
    }

    /// The compression the blob was decoded with.
    pub fn compression(&self) -> Compression {
        self.index.compression()
    }

    /// The entries, in tar order (a path may repeat; the last one wins when
    /// the layer is applied).
    pub fn entries(&self) -> &[Entry] {
        self.index.entries()
    }

    /// Gives the entries back.
    pub fn into_entries(self) -> Vec<Entry> {
        self.index.into_entries()
    }

    /// Entries left out, each with why (a name escaping the root, an
    /// unsupported type, …). Non-empty means the layer is suspicious.
    pub fn problems(&self) -> &[ScanError] {
        &self.problems
    }

    /// Digest of the blob as fed (compare with the descriptor's `digest`).
    pub fn blob_digest(&self) -> &Digest {
        self.index.digest()
    }

    /// Size of the blob as fed (compare with the descriptor's `size`).
    pub fn compressed_size(&self) -> u64 {
        self.index.compressed_size()
    }

    /// Digest of the uncompressed tar stream (compare with the config's
    /// `rootfs.diff_ids` entry for this layer).
    pub fn diff_id(&self) -> &Digest {
        self.index.diff_id()
    }

    /// Size of the uncompressed tar stream.
    pub fn tar_size(&self) -> u64 {
        self.index.tar_size()
    }

    /// The first gzip member's header and the member count (gzip layers only).
    pub fn gzip(&self) -> Option<&GzipInfo> {
        self.gzip.as_ref()
    }

    /// How the tar stream ended.
    pub fn end_of_archive(&self) -> EndOfArchive {
        self.end_of_archive
    }

    /// The seek checkpoints recorded, when the scan asked for them
    /// ([`ScanOptions::seek_spacing`](super::ScanOptions::seek_spacing)). Store [`SeekIndex::encode`] next to
    /// the layer's index to read single files later; like the index, it is
    /// only worth keeping once the layer has been verified.
    pub fn seek_index(&self) -> Option<&SeekIndex> {
        self.seek.as_ref()
    }

    /// Takes the seek checkpoints out of the result.
    pub fn take_seek_index(&mut self) -> Option<SeekIndex> {
        self.seek.take()
    }

    /// Every mismatch between the scan and what the layer's descriptor
    /// (`blob`, `size`) and the config's `rootfs.diff_ids` entry (`diff_id`,
    /// when known) promised; an empty list means [`super::verify`] would
    /// accept it. The same checks as `verify`, for a caller that only
    /// wants to know.
    #[must_use]
    pub fn verify(
        &self,
        blob: &Digest,
        size: Option<u64>,
        diff_id: Option<&Digest>,
    ) -> Vec<LayerProblem> {
        check(&self.index, blob, size, diff_id)
    }
}
