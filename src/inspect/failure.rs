//! Why a layer could not be read to its end, as a type: the page gives a
//! different hint for a 401 on a blob, a corrupt gzip stream, a cut-off
//! download or a crashed worker, so the cause must survive the trip from
//! the scan (on this thread, in a worker, or in the library) to the view.

use crate::layer::{ScanError, ScanErrorKind, Stream};
use crate::registry::{FetchError, RegistryError};

/// What kind of scanner error, as far as a person can act on it. The
/// scanner's own [`ScanErrorKind`] does not cross a worker boundary (its
/// fields borrow static text); this does, with the words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScanClass {
    /// The bytes are damaged or malformed (corrupt deflate or zstd data, a
    /// checksum mismatch, a broken tar header).
    Corrupt,
    /// The layer is well formed but beyond a limit the scanner keeps to stay
    /// within memory (a huge PAX header, too many entries, a huge window).
    Limit,
    /// A format feature layers do not use and the scanner does not read (a
    /// zstd dictionary, a gzip method other than deflate).
    Unsupported,
}

impl ScanClass {
    /// The class of a scanner error kind.
    pub fn of(kind: &ScanErrorKind) -> ScanClass {
        use ScanErrorKind as K;
        match kind {
            K::ZstdWindowTooLarge { .. }
            | K::PaxTooLarge { .. }
            | K::NameTooLong { .. }
            | K::MetadataTooLarge { .. }
            | K::TooManyEntries { .. } => ScanClass::Limit,
            K::GzipMethod(_) | K::ZstdDictionary(_) => ScanClass::Unsupported,
            _ => ScanClass::Corrupt,
        }
    }
}

/// A scanner's fatal error in a form that crosses threads: the class, the
/// scanner's words for the kind, and where it stood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at byte {offset} of the {stream})")]
pub struct ScanFault {
    /// What kind of problem, for the hint.
    pub class: ScanClass,
    /// The scanner's description of the kind (without the location).
    pub message: String,
    /// Which stream `offset` counts in.
    pub stream: Stream,
    /// Where the scanner noticed the problem.
    pub offset: u64,
}

impl From<&ScanError> for ScanFault {
    fn from(e: &ScanError) -> ScanFault {
        ScanFault {
            class: ScanClass::of(e.kind()),
            message: e.kind().to_string(),
            stream: e.stream(),
            offset: e.offset(),
        }
    }
}

/// Why a layer's blob could not be read and scanned to its end. The text
/// (its `Display`) names the cause; `app::errors` turns each variant into
/// its own hint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayerFailure {
    /// The blob request failed: the registry's answer (401, 403, 404, 429,
    /// the proxy or network) is kept whole.
    #[error("{0}")]
    Fetch(RegistryError),
    /// The scanner refused the bytes.
    #[error("{0}")]
    Scan(ScanFault),
    /// The registry sent more than the descriptor's size: reading stopped.
    #[error("the registry sent more than the descriptor's {total} bytes")]
    Oversize {
        /// The descriptor's size.
        total: u64,
    },
    /// The connection broke off part-way through the body.
    #[error("download failed after {received} bytes: {error}")]
    Interrupted {
        /// Bytes received before it broke.
        received: u64,
        /// The descriptor's size.
        total: u64,
        /// What the transport said.
        error: FetchError,
    },
    /// The body ended before the descriptor's size, and the scan ran out of
    /// stream (the scanner's error says where).
    #[error("{scan} (received {received} of {total} bytes)")]
    Truncated {
        /// Bytes received before the body ended.
        received: u64,
        /// The descriptor's size.
        total: u64,
        /// What the scanner said at the end of the stream.
        scan: ScanFault,
    },
    /// The layer's worker crashed, went away or sent an unreadable report.
    #[error("{message}")]
    Worker {
        /// What the page knows about it.
        message: String,
    },
    /// A reopened image's layer index is not in the library.
    #[error("not in the library{}", reason.as_ref().map_or(String::new(), |r| format!(": {r}")))]
    NotInLibrary {
        /// Why it could not be read back, when it was there.
        reason: Option<String>,
    },
    /// A registry failure whose structure did not cross a worker (a
    /// malformed challenge, token answer or header): its words only.
    #[error("{message}")]
    Other {
        /// The registry error's text.
        message: String,
    },
}

impl LayerFailure {
    /// The failure for a scanner error seen after `received` of `total`
    /// bytes: a short body is called truncated, as that is what a person
    /// can check.
    pub fn scan_end(error: &ScanError, received: u64, total: u64) -> LayerFailure {
        let scan = ScanFault::from(error);
        if received < total {
            LayerFailure::Truncated {
                received,
                total,
                scan,
            }
        } else {
            LayerFailure::Scan(scan)
        }
    }
}
