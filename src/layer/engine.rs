//! How a layer's bytes get scanned: [`LayerScanner`] is what the read loop
//! (`inspect::scan_body`) drives, and [`ScanEngine`] says which one a scan
//! uses. The core's own is [`Scanner`] on the calling thread, the only one
//! in the browser (each layer already runs in a Web Worker); a shell with
//! threads may bring another that runs the scan's two halves
//! ([`super::Unpacker`], [`super::TarScanner`]) side by side, as the native
//! command line does (`native::split`).

use std::fmt;

use futures_util::future::LocalBoxFuture;

use crate::oci::{Compression, Digest};

use super::entry::Entry;
use super::error::{ScanError, ScanFailure};
use super::scanner::{LayerScan, ScanOptions, Scanner};

/// A scan in progress, as the read loop drives it: see the same methods of
/// [`Scanner`], which it mirrors.
pub trait LayerScanner {
    /// Scans the next chunk of the blob; after an error, every call returns it.
    fn feed(&mut self, chunk: &[u8]) -> Result<(), ScanError>;
    /// Hashes more blob bytes without decoding them (after an error).
    fn hash_only(&mut self, chunk: &[u8]);
    /// The digest of the blob bytes fed or hashed so far.
    fn blob_digest(&self) -> Digest;
    /// The entries completely scanned so far (after an error: before it).
    fn entries_so_far(&mut self) -> Vec<Entry>;
    /// Ends the scan.
    fn finish(self: Box<Self>) -> Result<LayerScan, ScanFailure>;
    /// Waits until the scanner takes another chunk: a scanner that hands
    /// work elsewhere lets it catch up, so memory stays bounded. The read
    /// loop awaits it after each chunk; ready at once by default.
    fn ready(&mut self) -> LocalBoxFuture<'_, ()> {
        Box::pin(std::future::ready(()))
    }
    /// Waits until work handed elsewhere is done. The read loop awaits it
    /// before it reads [`blob_digest`](LayerScanner::blob_digest), the
    /// entries or the result; at once by default.
    fn settle(&mut self) -> LocalBoxFuture<'_, ()> {
        Box::pin(std::future::ready(()))
    }
}

impl LayerScanner for Scanner {
    fn feed(&mut self, chunk: &[u8]) -> Result<(), ScanError> {
        Scanner::feed(self, chunk)
    }

    fn hash_only(&mut self, chunk: &[u8]) {
        Scanner::hash_only(self, chunk);
    }

    fn blob_digest(&self) -> Digest {
        Scanner::blob_digest(self)
    }

    fn entries_so_far(&mut self) -> Vec<Entry> {
        self.entries().to_vec()
    }

    fn finish(self: Box<Self>) -> Result<LayerScan, ScanFailure> {
        Scanner::finish(*self)
    }
}

/// Makes the [`LayerScanner`] for one layer.
pub type StartScan = fn(Compression, ScanOptions) -> Box<dyn LayerScanner>;

/// Which scanner layers get: [`ScanEngine::default`] is [`Scanner`] on the
/// calling thread.
#[derive(Clone, Copy)]
pub struct ScanEngine {
    name: &'static str,
    start: StartScan,
}

impl ScanEngine {
    /// An engine called `name` (for `Debug` and comparison) that starts
    /// each layer's scan with `start`.
    pub const fn new(name: &'static str, start: StartScan) -> ScanEngine {
        ScanEngine { name, start }
    }

    /// The scanner for one layer.
    pub fn start(&self, compression: Compression, options: ScanOptions) -> Box<dyn LayerScanner> {
        (self.start)(compression, options)
    }

    /// The engine's name.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

fn one_thread(compression: Compression, options: ScanOptions) -> Box<dyn LayerScanner> {
    Box::new(Scanner::new(compression, options))
}

impl Default for ScanEngine {
    fn default() -> ScanEngine {
        ScanEngine::new("one thread", one_thread)
    }
}

impl fmt::Debug for ScanEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ScanEngine({})", self.name)
    }
}

/// Engines are told apart by name (function addresses are not stable).
impl PartialEq for ScanEngine {
    fn eq(&self, other: &ScanEngine) -> bool {
        self.name == other.name
    }
}

impl Eq for ScanEngine {}
