//! The supply module's one error type: which document, where in it, and why.

use crate::oci::{Digest, DocumentError, VerifyError};
use crate::registry::RegistryError;

/// Why an attachment or one of its documents could not be found or read.
/// Every variant names the document (its digest) or the place looked in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SupplyError {
    /// Talking to the registry failed while looking somewhere.
    #[error("{looking}: {source}")]
    Registry {
        /// Where we were looking (`referrers of sha256:…`, `tag sha256-….sig`).
        looking: String,
        /// What the registry client said.
        source: Box<RegistryError>,
    },
    /// The bytes did not match their descriptor.
    #[error("{what} {document}: {source}")]
    Verify {
        /// Which kind of document.
        what: &'static str,
        /// The digest it was fetched by.
        document: Digest,
        /// The mismatch.
        source: VerifyError,
    },
    /// Larger than we parse: named, not read.
    #[error(
        "{what} {document} is {size} bytes, more than the {limit}-byte limit for documents: \
         not read"
    )]
    TooLarge {
        /// Which kind of document.
        what: &'static str,
        /// Its digest.
        document: Digest,
        /// Its size (the descriptor's, or what was read).
        size: u64,
        /// The limit.
        limit: usize,
    },
    /// Malformed JSON, or JSON of the wrong shape; the source has the path.
    #[error("{document}: {source}")]
    Json {
        /// The document's digest.
        document: Digest,
        /// The error with its JSON path, line and column.
        source: Box<DocumentError>,
    },
    /// Well-formed, but breaking a rule of its format.
    #[error("{what} {document}: {path}: {reason}")]
    Invalid {
        /// Which kind of document.
        what: &'static str,
        /// Its digest.
        document: Digest,
        /// Where, as a JSON path (`.` is the top level).
        path: String,
        /// The rule broken.
        reason: String,
    },
    /// A registry listed more than we follow; the rest is not shown.
    #[error("{looking}: more than {limit} {what}; the rest is not listed")]
    Truncated {
        /// Where we were looking.
        looking: String,
        /// The limit reached.
        limit: usize,
        /// What was counted (`pages`, `attachments`).
        what: &'static str,
    },
}

impl SupplyError {
    /// An invalid-document error.
    pub(crate) fn invalid(
        what: &'static str,
        document: &Digest,
        path: impl Into<String>,
        reason: impl Into<String>,
    ) -> SupplyError {
        SupplyError::Invalid {
            what,
            document: document.clone(),
            path: path.into(),
            reason: reason.into(),
        }
    }
}

/// Decodes JSON of a supply document, the error naming the document and
/// the JSON path of the first problem.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    what: &'static str,
    document: &Digest,
    bytes: &[u8],
) -> Result<T, SupplyError> {
    crate::oci::json::decode_json(what, bytes).map_err(|source| SupplyError::Json {
        document: document.clone(),
        source: Box::new(source),
    })
}
