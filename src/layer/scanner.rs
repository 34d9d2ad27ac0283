//! The scanner: one pass over a layer blob that hashes it, decompresses it,
//! hashes the tar stream and walks its headers.

use crate::oci::digest::{Digest, Hasher};
use crate::oci::Compression;

use super::entry::Entry;
use super::error::{ScanError, ScanFailure};
use super::extract::{ContentSink, ExtractTarget, NoSink};
use super::gzip::GzipDecoder;
use super::hashes::ContentRange;
use super::index::LayerIndex;
pub use super::options::ScanOptions;
pub use super::scan::LayerScan;
use super::seek::{Recorded, SeekIndex};
use super::tar::{Limits, TarWalker};
use super::zstd::ZstdDecoder;

enum Decoder {
    Plain,
    Gzip(Box<GzipDecoder>),
    Zstd(Box<ZstdDecoder>),
}

/// The compressed half of a scan: hashes the blob (the descriptor's digest)
/// and decompresses it, handing the tar stream on in pieces. With
/// [`TarScanner`], the other half, it makes a [`Scanner`]; a shell with
/// threads can run the two halves on two of them (the native command line
/// does, `native::split`), as the work divides about evenly.
pub struct Unpacker {
    compression: Compression,
    blob: Hasher,
    decoder: Decoder,
    /// [`ScanOptions::seek_spacing`].
    seek_spacing: Option<u64>,
    max_zstd_window: u64,
}

impl Unpacker {
    /// The compressed half for a blob compressed as its media type says.
    pub fn new(compression: Compression, options: &ScanOptions) -> Unpacker {
        let window = options.max_zstd_window;
        let decoder = match (compression, options.seek_spacing) {
            (Compression::None, _) => Decoder::Plain,
            (Compression::Gzip, None) => Decoder::Gzip(Box::new(GzipDecoder::new())),
            (Compression::Gzip, Some(spacing)) => {
                Decoder::Gzip(Box::new(GzipDecoder::with_seek(spacing)))
            }
            (Compression::Zstd, None) => Decoder::Zstd(Box::new(ZstdDecoder::new(window))),
            (Compression::Zstd, Some(spacing)) => {
                Decoder::Zstd(Box::new(ZstdDecoder::with_seek(window, spacing)))
            }
        };
        Unpacker {
            compression,
            blob: Hasher::new(options.blob_algorithm),
            decoder,
            seek_spacing: options.seek_spacing,
            max_zstd_window: window,
        }
    }

    /// Hashes `chunk` and decodes it, giving each piece of the tar stream to
    /// `tar` in order; the first error (the decoder's or `tar`'s) stops it.
    pub fn feed<F>(&mut self, chunk: &[u8], tar: &mut F) -> Result<(), ScanError>
    where
        F: FnMut(&[u8]) -> Result<(), ScanError>,
    {
        self.hash_only(chunk);
        match &mut self.decoder {
            Decoder::Plain => tar(chunk),
            Decoder::Gzip(g) => g.feed(chunk, tar),
            Decoder::Zstd(z) => z.feed(chunk, tar),
        }
    }

    /// Hashes more blob bytes without decoding them (see [`Scanner::hash_only`]).
    pub fn hash_only(&mut self, chunk: &[u8]) {
        self.blob.update(chunk);
    }

    /// The digest of the blob bytes fed (or hashed) so far.
    pub fn blob_digest(&self) -> Digest {
        self.blob.clone().finish()
    }

    /// Blob bytes fed so far.
    pub fn compressed_size(&self) -> u64 {
        self.blob.len()
    }

    /// Whether the compressed stream ended where it should (a complete last
    /// gzip member or zstd frame, nothing after it).
    pub fn end(&self) -> Result<(), ScanError> {
        match &self.decoder {
            Decoder::Plain => Ok(()),
            Decoder::Gzip(g) => g.finish(),
            Decoder::Zstd(z) => z.finish(),
        }
    }

    /// The seek checkpoints recorded (with [`ScanOptions::seek_spacing`]),
    /// for a shell that runs the two halves apart: call it after the last
    /// chunk, before [`finish_halves`] (whose [`LayerScan::seek_index`] is
    /// then `None`). `None` when none were asked for, when taken already,
    /// or when the compressed stream did not end cleanly ([`Unpacker::end`]).
    pub fn take_seek_index(&mut self) -> Option<SeekIndex> {
        if self.end().is_err() {
            return None;
        }
        let blob = self.blob_digest();
        self.seek_index(blob)
    }

    /// Takes the checkpoints, as the index of the blob whose digest is `blob`.
    fn seek_index(&mut self, blob: Digest) -> Option<SeekIndex> {
        let spacing = self.seek_spacing.take()?;
        let compressed_size = self.blob.len();
        let (points, tar_size) = match &mut self.decoder {
            Decoder::Plain => (None, compressed_size),
            Decoder::Gzip(g) => (g.take_seek_points(), g.total_out()),
            Decoder::Zstd(z) => (z.take_seek_points(), z.total_out()),
        };
        Some(SeekIndex::new(Recorded {
            blob,
            compression: self.compression,
            spacing,
            compressed_size,
            tar_size,
            max_zstd_window: self.max_zstd_window,
            points,
        }))
    }
}

/// The decompressed half of a scan: hashes the tar stream (the diff_id),
/// walks its headers and lists the entries. See [`Unpacker`].
pub struct TarScanner<S = NoSink> {
    /// `None` when the blob is uncompressed and both digests use the same
    /// algorithm: the blob digest is the diff_id, hashed once.
    diff: Option<Hasher>,
    size: u64,
    walker: TarWalker<S>,
}

impl TarScanner<NoSink> {
    /// The tar half of a scan of a blob compressed as `compression`.
    pub fn new(compression: Compression, options: &ScanOptions) -> TarScanner<NoSink> {
        TarScanner::build(compression, options, None)
    }
}

impl<S: ContentSink> TarScanner<S> {
    fn build(
        compression: Compression,
        options: &ScanOptions,
        extract: Option<(ExtractTarget, S)>,
    ) -> TarScanner<S> {
        let shared = options.tar_is_blob(compression);
        let limits = Limits {
            max_entries: options.max_entries,
            max_pax_size: options.max_pax_size,
            max_name_len: options.max_name_len,
            max_metadata_bytes: options.max_metadata_bytes,
            hash_contents: options.hash_contents,
            contents_elsewhere: options.tar_hashes_elsewhere,
        };
        TarScanner {
            diff: (!shared && !options.tar_hashes_elsewhere)
                .then(|| Hasher::new(options.diff_id_algorithm)),
            size: 0,
            walker: TarWalker::new(limits, extract),
        }
    }

    /// Hashes and walks the next piece of the tar stream.
    pub fn feed(&mut self, tar: &[u8]) -> Result<(), ScanError> {
        if let Some(h) = &mut self.diff {
            h.update(tar);
        }
        self.size += tar.len() as u64;
        self.walker.feed(tar)
    }

    /// Entries completely scanned so far, in tar order.
    pub fn entries(&self) -> &[Entry] {
        self.walker.entries()
    }

    /// Tar bytes fed so far.
    pub fn tar_size(&self) -> u64 {
        self.size
    }

    /// With [`ScanOptions::tar_hashes_elsewhere`]: where the content of each
    /// file found since the last call lies in the tar stream. Give them to
    /// the hasher before the piece just fed (they start in it or later).
    pub fn take_content_ranges(&mut self) -> Vec<ContentRange> {
        self.walker.take_content_ranges()
    }

    /// With [`ScanOptions::tar_hashes_elsewhere`]: whether the files whose
    /// headers come next are hashed elsewhere (reported as content ranges)
    /// or here, as without the option — a caller whose hasher falls behind
    /// takes some of the work back. On by default; the result is the same.
    pub fn set_contents_elsewhere(&mut self, elsewhere: bool) {
        self.walker.set_contents_elsewhere(elsewhere);
    }

    /// With [`ScanOptions::tar_hashes_elsewhere`]: the content digests the
    /// caller computed, by range ordinal; each listed file gets its own.
    pub fn fill_contents(&mut self, digests: &[(u32, [u8; 32])]) {
        self.walker.fill_contents(digests);
    }
}

/// A push-style layer scanner: [`feed`](Scanner::feed) it the blob's bytes
/// as they arrive, in chunks of any size, then [`finish`](Scanner::finish).
///
/// In one pass it hashes the blob (to check against the descriptor),
/// decompresses it, hashes the tar stream (to check against the config's
/// diff_id) and lists the entries. It never holds the decompressed layer.
/// It is an [`Unpacker`] and a [`TarScanner`] on one thread.
///
/// ```
/// use layerlens::layer::{Scanner, ScanOptions};
/// use layerlens::oci::Compression;
///
/// let mut tar = vec![0u8; 1024]; // an empty archive: just the end marker
/// let mut scanner = Scanner::new(Compression::None, ScanOptions::default());
/// for chunk in tar.chunks(100) {
///     scanner.feed(chunk).unwrap();
/// }
/// let scan = scanner.finish().unwrap();
/// assert!(scan.entries().is_empty());
/// assert_eq!(scan.tar_size(), 1024);
/// ```
pub struct Scanner<S = NoSink> {
    unpack: Unpacker,
    tar: TarScanner<S>,
    failed: Option<ScanError>,
}

impl Scanner<NoSink> {
    /// A scanner for a blob compressed as its media type says.
    pub fn new(compression: Compression, options: ScanOptions) -> Scanner<NoSink> {
        Scanner::build(compression, options, None)
    }
}

impl<S: ContentSink> Scanner<S> {
    /// A scanner that also streams one entry's content into `sink` (see
    /// [`ExtractTarget`]). Pass `&mut sink` to keep the sink.
    pub fn with_extract(
        compression: Compression,
        options: ScanOptions,
        target: ExtractTarget,
        sink: S,
    ) -> Scanner<S> {
        Scanner::build(compression, options, Some((target, sink)))
    }

    fn build(
        compression: Compression,
        options: ScanOptions,
        extract: Option<(ExtractTarget, S)>,
    ) -> Scanner<S> {
        Scanner {
            unpack: Unpacker::new(compression, &options),
            tar: TarScanner::build(compression, &options, extract),
            failed: None,
        }
    }

    /// Scans the next chunk of the blob (any size, including empty).
    ///
    /// On a fatal error the scanner stops: this and every later call return
    /// the same error, and [`finish`](Scanner::finish) returns it with the
    /// entries scanned before it. Stop downloading when this fails.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), ScanError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let tar = &mut self.tar;
        let result = self.unpack.feed(chunk, &mut |out: &[u8]| tar.feed(out));
        if let Err(e) = &result {
            self.failed = Some(e.clone());
        }
        result
    }

    /// Hashes more blob bytes without decoding them. After a fatal error a
    /// caller may read the rest of the blob through this, so that
    /// [`Scanner::blob_digest`] tells a blob that is not the one its
    /// descriptor names (a digest mismatch: the registry, or something on
    /// the way, sent other bytes) from a published layer that is corrupt.
    pub fn hash_only(&mut self, chunk: &[u8]) {
        self.unpack.hash_only(chunk);
    }

    /// The digest of the blob bytes fed (or hashed) so far.
    pub fn blob_digest(&self) -> Digest {
        self.unpack.blob_digest()
    }

    /// Entries completely scanned so far, in tar order (for progress).
    pub fn entries(&self) -> &[Entry] {
        self.tar.entries()
    }

    /// Entries left out so far, each with why.
    pub fn problems(&self) -> &[ScanError] {
        self.tar.walker.problems()
    }

    /// How many entries matching the extract target have completely streamed
    /// to the sink so far. A viewer that only wants the file can stop
    /// feeding once this is non-zero (for an offset target, which matches
    /// once; a path may be listed again later in the tar) — at the price of
    /// not verifying the layer's digests.
    pub fn extracted(&self) -> u32 {
        self.tar.walker.extracted()
    }

    /// Blob bytes fed so far.
    pub fn compressed_size(&self) -> u64 {
        self.unpack.compressed_size()
    }

    /// Tar bytes decoded so far.
    pub fn tar_size(&self) -> u64 {
        self.tar.tar_size()
    }

    /// Ends the scan: checks that every stream ended where it should and
    /// returns the result, or the first fatal error with the partial result.
    pub fn finish(self) -> Result<LayerScan, ScanFailure> {
        self.finish_with_sink().0
    }

    /// [`finish`](Scanner::finish), also giving the extract sink back (if
    /// the scanner was made with one).
    pub fn finish_with_sink(self) -> (Result<LayerScan, ScanFailure>, Option<S>) {
        finish_halves(self.unpack, self.tar, self.failed)
    }
}

/// Ends a scan run as two halves: checks that every stream ended where it
/// should (unless `failed` already says why it stopped) and gives the
/// result, or the error with the partial result, and the extract sink.
pub fn finish_halves<S: ContentSink>(
    unpack: Unpacker,
    tar: TarScanner<S>,
    failed: Option<ScanError>,
) -> (Result<LayerScan, ScanFailure>, Option<S>) {
    finish_parts(unpack, tar, failed, None)
}

/// [`finish_halves`] for a tar half made with
/// [`ScanOptions::tar_hashes_elsewhere`]: `diff_id` is the digest of every
/// tar piece the unpacker handed on, computed by the caller (the blob's own
/// digest for an uncompressed blob hashed with the same algorithm), and the
/// file digests were given with [`TarScanner::fill_contents`].
pub fn finish_halves_hashed<S: ContentSink>(
    unpack: Unpacker,
    tar: TarScanner<S>,
    failed: Option<ScanError>,
    diff_id: Digest,
) -> (Result<LayerScan, ScanFailure>, Option<S>) {
    finish_parts(unpack, tar, failed, Some(diff_id))
}

fn finish_parts<S: ContentSink>(
    mut unpack: Unpacker,
    mut tar: TarScanner<S>,
    failed: Option<ScanError>,
    diff_id: Option<Digest>,
) -> (Result<LayerScan, ScanFailure>, Option<S>) {
    let ended = match failed {
        Some(e) => Err(e),
        None => unpack.end().and_then(|()| tar.walker.finish()),
    };
    let gzip = match &unpack.decoder {
        Decoder::Gzip(g) => g.info().cloned(),
        _ => None,
    };
    let end_of_archive = tar.walker.end_of_archive();
    let compressed_size = unpack.blob.len();
    let tar_size = tar.size;
    let (entries, problems, sink) = tar.walker.into_parts();
    let result = match ended {
        Err(error) => Err(ScanFailure::new(
            error,
            entries,
            problems,
            compressed_size,
            tar_size,
        )),
        Ok(()) => {
            let blob_digest = unpack.blob.clone().finish();
            let seek = unpack.seek_index(blob_digest.clone());
            let diff_id = match (diff_id, tar.diff) {
                (Some(given), _) => given,
                (None, Some(h)) => h.finish(),
                (None, None) => blob_digest.clone(),
            };
            Ok(LayerScan {
                index: LayerIndex::new(
                    blob_digest,
                    diff_id,
                    compressed_size,
                    tar_size,
                    unpack.compression,
                    entries,
                ),
                problems,
                gzip,
                end_of_archive,
                seek,
            })
        }
    };
    (result, sink)
}
