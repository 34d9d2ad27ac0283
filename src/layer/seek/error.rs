//! What can go wrong reading one file through a [`super::SeekIndex`].

use crate::oci::Digest;

/// Why a [`super::SeekIndex`] could not be decoded or a file not be read
/// through it. Each says what and where; none of them means the layer
/// itself is bad (the scan said so already): the index, the range fetched
/// or the blob differ from what was scanned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeekError {
    /// The index was recorded from another blob.
    #[error("the seek index was recorded from blob {index}, not from {blob}")]
    WrongLayer {
        /// The blob the index belongs to.
        index: Digest,
        /// The blob the caller is about to read.
        blob: Digest,
    },
    /// The encoded index is not one [`super::SeekIndex::encode`] wrote.
    #[error("malformed seek index: {field} (at byte {offset} of the encoding)")]
    Malformed {
        /// Which field is wrong, and how.
        field: String,
        /// Where in the encoding.
        offset: usize,
    },
    /// A checkpoint's stored window does not inflate to its length.
    #[error("malformed seek index: the window of the checkpoint at blob byte {start} is damaged")]
    BadWindow {
        /// The checkpoint's first blob byte.
        start: u64,
    },
    /// Only regular files have content to read.
    #[error("entry {path} is not a regular file")]
    NotAFile {
        /// The entry's path.
        path: String,
    },
    /// Without a content digest the content read could not be checked.
    #[error(
        "entry {path} has no content digest (scan with content hashing to read files by range)"
    )]
    NoContentDigest {
        /// The entry's path.
        path: String,
    },
    /// The entry does not fit in the tar stream the index describes.
    #[error(
        "entry {path} (header at tar offset {offset}, {size} bytes) ends past the tar stream's end at {tar_size}"
    )]
    PastTarEnd {
        /// The entry's path.
        path: String,
        /// Its header offset.
        offset: u64,
        /// Its content size.
        size: u64,
        /// The tar stream's size, as recorded.
        tar_size: u64,
    },
    /// The checkpoints place the file beyond the blob the caller has.
    #[error(
        "the file's span, blob bytes {from}-{to}, lies past the blob's end ({blob_size} bytes)"
    )]
    PastBlobEnd {
        /// First byte of the span.
        from: u64,
        /// Last byte of the span.
        to: u64,
        /// The blob's size, as the caller gave it.
        blob_size: u64,
    },
    /// The blob's size differs from the scanned one's.
    #[error("the blob has {given} bytes, the index was recorded from one of {recorded}")]
    BlobSize {
        /// The size the caller gave.
        given: u64,
        /// The size recorded.
        recorded: u64,
    },
    /// The compressed bytes did not decode.
    #[error("decoding failed at byte {offset} of the blob: {detail}")]
    Decode {
        /// Where in the blob (where the decoder stood when it noticed).
        offset: u64,
        /// What the decoder found.
        detail: String,
    },
    /// The tar header at the entry's offset is not the entry's.
    #[error("the header at tar offset {offset} is not entry {expected}: {found}")]
    NotTheEntry {
        /// The entry's header offset.
        offset: u64,
        /// The entry's path.
        expected: String,
        /// What was found there instead.
        found: String,
    },
    /// The content read is not the content scanned.
    #[error("the content of {path} has sha256:{got}, the layer's index says sha256:{expected}")]
    ContentDigest {
        /// The entry's path.
        path: String,
        /// The digest from the index, hex.
        expected: String,
        /// The digest of what was read, hex.
        got: String,
    },
    /// The bytes fed ended before the entry did.
    #[error(
        "the range ended at blob byte {at} before entry {path} did ({read} of its {size} content bytes read)"
    )]
    Truncated {
        /// The entry's path.
        path: String,
        /// The blob offset after the last byte fed.
        at: u64,
        /// Content bytes read.
        read: u64,
        /// The entry's content size.
        size: u64,
    },
}
