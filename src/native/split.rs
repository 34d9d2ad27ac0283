//! A layer scan over two threads: the calling thread hashes the blob and
//! decompresses it ([`Unpacker`]), a second thread hashes the tar stream
//! and walks it ([`TarScanner`]); decoded pieces cross a bounded channel.
//! The two halves cost about the same (SHA-256 of the blob plus inflate,
//! against SHA-256 of the tar plus the walk and the per-file hashes), so a
//! layer scans up to twice as fast where a core is free
//! (`cargo bench --bench scan` prints both). Results are those of
//! [`crate::layer::Scanner`], error for error: a tar error found first
//! stays the error even when the decoder trips later.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use crate::layer::{
    finish_halves, Entry, LayerScan, LayerScanner, ScanEngine, ScanError, ScanErrorKind,
    ScanFailure, ScanOptions, Stream, TarScanner, Unpacker,
};
use crate::oci::{Compression, Digest};

/// Decoded pieces in flight at most (each as large as a decoder's output
/// buffer: a few hundred KiB in all).
const IN_FLIGHT: usize = 16;

/// The engine the command line scans with.
pub const TWO_THREADS: ScanEngine = ScanEngine::new("two threads", start);

fn start(compression: Compression, options: ScanOptions) -> Box<dyn LayerScanner> {
    Box::new(SplitScanner::new(compression, &options))
}

/// The tar half once its thread has ended: it and the error it stopped on.
type TarDone = (TarScanner, Option<ScanError>);

/// A [`LayerScanner`] whose tar half runs on its own thread. Dropped
/// part-way (a cancelled load), its channel closes and the thread ends.
pub struct SplitScanner {
    unpack: Unpacker,
    to_tar: Option<SyncSender<Vec<u8>>>,
    worker: Option<JoinHandle<TarDone>>,
    done: Option<TarDone>,
    failed: Option<ScanError>,
}

fn walk(mut tar: TarScanner, pieces: Receiver<Vec<u8>>) -> TarDone {
    for piece in pieces {
        if let Err(e) = tar.feed(&piece) {
            return (tar, Some(e));
        }
    }
    (tar, None)
}

/// The error a stopped tar thread leaves when it cannot say one.
fn stopped() -> ScanError {
    ScanError::new(ScanErrorKind::Stopped, Stream::Tar, 0)
}

/// What stands for a tar half that is gone (its thread panicked, or it was
/// taken): nothing scanned, and `error`.
fn gone(error: Option<ScanError>) -> TarDone {
    let empty = TarScanner::new(Compression::None, &ScanOptions::default());
    (empty, error)
}

impl SplitScanner {
    /// Starts the tar half's thread (a thread that cannot start leaves the
    /// tar half on this thread).
    pub fn new(compression: Compression, options: &ScanOptions) -> SplitScanner {
        let tar = TarScanner::new(compression, options);
        let (to_tar, pieces) = sync_channel(IN_FLIGHT);
        let spawned = std::thread::Builder::new()
            .name("layerlens-tar".into())
            .spawn(move || walk(tar, pieces));
        let (to_tar, worker, done) = match spawned {
            Ok(worker) => (Some(to_tar), Some(worker), None),
            // The closure (and the tar half with it) is gone: start again here.
            Err(_) => (
                None,
                None,
                Some((TarScanner::new(compression, options), None)),
            ),
        };
        SplitScanner {
            unpack: Unpacker::new(compression, options),
            to_tar,
            worker,
            done,
            failed: None,
        }
    }

    /// Closes the channel and waits for the tar half: what it did, and the
    /// error it stopped on.
    fn join(&mut self) -> &mut TarDone {
        self.to_tar = None;
        if let Some(worker) = self.worker.take() {
            // Panicked: no tar half to give back; the error says so.
            self.done = Some(worker.join().unwrap_or_else(|_| gone(Some(stopped()))));
        }
        self.done.get_or_insert_with(|| gone(Some(stopped())))
    }
}

impl LayerScanner for SplitScanner {
    fn feed(&mut self, chunk: &[u8]) -> Result<(), ScanError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let result = match (&self.to_tar, &mut self.done) {
            (Some(to_tar), _) => self.unpack.feed(chunk, &mut |piece: &[u8]| {
                to_tar.send(piece.to_vec()).map_err(|_| stopped())
            }),
            // No thread: both halves here.
            (None, Some((tar, None))) => self.unpack.feed(chunk, &mut |piece| tar.feed(piece)),
            (None, _) => Err(stopped()),
        };
        if let Err(e) = result {
            // Whichever half failed, the tar half's own error (earlier in
            // the stream) comes first, as on one thread.
            let (_, tar_error) = self.join();
            let error = tar_error.clone().unwrap_or(e);
            self.failed = Some(error.clone());
            return Err(error);
        }
        Ok(())
    }

    fn hash_only(&mut self, chunk: &[u8]) {
        self.unpack.hash_only(chunk);
    }

    fn blob_digest(&self) -> Digest {
        self.unpack.blob_digest()
    }

    fn entries_so_far(&mut self) -> Vec<Entry> {
        self.join().0.entries().to_vec()
    }

    fn finish(mut self: Box<Self>) -> Result<LayerScan, ScanFailure> {
        let (tar, tar_error) = std::mem::replace(self.join(), gone(None));
        let failed = self.failed.take().or(tar_error);
        finish_halves(self.unpack, tar, failed).0
    }
}
