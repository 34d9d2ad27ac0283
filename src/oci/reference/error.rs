//! Why a string is not a usable image reference, with upstream's messages.

use crate::oci::DigestError;

/// Why a reference, name, tag, digest or match pattern was refused.
///
/// Messages are `distribution/reference`'s (and go-digest's for the checksum
/// part) word for word, so they read the same as Docker's own errors. Two
/// variants carry the offending text, as upstream's messages do. Use
/// [`ReferenceError::kind`] to branch on the kind of failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// The string does not follow the reference grammar
    /// (`ErrReferenceInvalidFormat`).
    #[error("invalid reference format")]
    InvalidFormat,
    /// A tag given on its own does not follow `[\w][\w.-]{0,127}`
    /// (`ErrTagInvalidFormat`).
    #[error("invalid tag format")]
    InvalidTag,
    /// A digest given on its own does not follow the reference grammar's
    /// digest rule (`ErrDigestInvalidFormat`).
    #[error("invalid digest format")]
    InvalidDigestFormat,
    /// The string would be a valid reference in lower case
    /// (`ErrNameContainsUppercase`, from the strict parser).
    #[error("repository name must be lowercase")]
    NameContainsUppercase,
    /// The repository part of a familiar reference has upper-case letters
    /// (the message `ParseNormalizedNamed` builds, naming the repository).
    #[error("invalid reference format: repository name ({remote}) must be lowercase")]
    RemoteNameUppercase {
        /// The repository part as normalised so far (e.g. `library/Foo`).
        remote: String,
    },
    /// The input is empty (`ErrNameEmpty`).
    #[error("repository name must have at least one component")]
    NameEmpty,
    /// The repository path is longer than 255 characters (`ErrNameTooLong`).
    #[error("repository name must not be more than 255 characters")]
    NameTooLong,
    /// The input is valid but not written in its canonical, fully qualified
    /// form (`ErrNameNotCanonical`).
    #[error("repository name must be canonical")]
    NameNotCanonical,
    /// A bare 64-hex string is an image ID, never a repository name.
    #[error("invalid repository name ({input}), cannot specify 64-byte hexadecimal strings")]
    HexIdentifier {
        /// The refused input.
        input: String,
    },
    /// The digest matched the reference grammar but is not a digest we can
    /// use: unknown algorithm, wrong length for its algorithm, or an encoding
    /// the algorithm does not allow (go-digest's errors).
    #[error(transparent)]
    Digest(#[from] DigestError),
    /// A match pattern is malformed (Go's `path.ErrBadPattern`).
    #[error("syntax error in pattern")]
    BadPattern,
}

/// The kind of a [`ReferenceError`], without its data: what callers and
/// tests compare. Each kind corresponds to one upstream error value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferenceErrorKind {
    /// `ErrReferenceInvalidFormat`.
    InvalidFormat,
    /// `ErrTagInvalidFormat`.
    InvalidTag,
    /// `ErrDigestInvalidFormat`.
    InvalidDigestFormat,
    /// `ErrNameContainsUppercase`, or `ParseNormalizedNamed`'s upper-case
    /// repository message.
    NameContainsUppercase,
    /// `ErrNameEmpty`.
    NameEmpty,
    /// `ErrNameTooLong`.
    NameTooLong,
    /// `ErrNameNotCanonical`.
    NameNotCanonical,
    /// A 64-hex identifier given where a name was expected.
    HexIdentifier,
    /// go-digest's `ErrDigestInvalidFormat` ("invalid checksum digest format").
    ChecksumInvalidFormat,
    /// go-digest's `ErrDigestInvalidLength`.
    ChecksumInvalidLength,
    /// go-digest's `ErrDigestUnsupported`.
    UnsupportedAlgorithm,
    /// `path.ErrBadPattern`.
    BadPattern,
}

impl ReferenceError {
    /// The kind of failure, for code that reacts to it.
    pub fn kind(&self) -> ReferenceErrorKind {
        use ReferenceErrorKind as K;
        match self {
            ReferenceError::InvalidFormat => K::InvalidFormat,
            ReferenceError::InvalidTag => K::InvalidTag,
            ReferenceError::InvalidDigestFormat => K::InvalidDigestFormat,
            ReferenceError::NameContainsUppercase | ReferenceError::RemoteNameUppercase { .. } => {
                K::NameContainsUppercase
            }
            ReferenceError::NameEmpty => K::NameEmpty,
            ReferenceError::NameTooLong => K::NameTooLong,
            ReferenceError::NameNotCanonical => K::NameNotCanonical,
            ReferenceError::HexIdentifier { .. } => K::HexIdentifier,
            ReferenceError::Digest(DigestError::InvalidFormat) => K::ChecksumInvalidFormat,
            ReferenceError::Digest(DigestError::InvalidLength) => K::ChecksumInvalidLength,
            ReferenceError::Digest(DigestError::Unsupported) => K::UnsupportedAlgorithm,
            ReferenceError::BadPattern => K::BadPattern,
        }
    }
}
