//! The one reader of a blob's body against its descriptor: it counts the
//! bytes, refuses any past the descriptor's size (a registry that sends more
//! is stopped there, not read to exhaustion), and at the end says whether
//! the size and digest are the promised ones.
//!
//! The layer scan, the file viewer's extraction and the page's kept layers
//! all read blobs; each used to write this loop itself. The digest comes
//! from one place per reader: [`BlobBody`] leaves hashing to a caller that
//! already hashes every byte (the layer scanner hashes the compressed
//! stream), [`HashedBlob`] hashes for a caller that does not.

use crate::oci::digest::check_stream;
use crate::oci::{Digest, Hasher, VerifyError};

use super::error::{Missing, RegistryError};
use super::exchange::error_answer;
use super::http::Response;
use super::{Body, FetchError, RateLimit};

/// The answer to a `GET` of blob `digest` from `registry`, as the protocol
/// means it: a 2xx response back to be read, any other status the registry
/// error it is (its error body read; a 404 names the blob). The one reading
/// of a blob's status, whoever planned the request: the registry client, or
/// a layer worker fetching a request the page planned.
pub async fn blob_response<B: Body>(
    registry: &str,
    digest: &Digest,
    response: Response<B>,
    rate_limit: Option<RateLimit>,
) -> Result<Response<B>, RegistryError> {
    if (200..300).contains(&response.status) {
        return Ok(response);
    }
    let object = format!("blob {digest}");
    let mut e = error_answer(registry, &object, response, rate_limit).await;
    if let RegistryError::NotFound { what, .. } = &mut e {
        if *what == Missing::Unknown {
            *what = Missing::Blob;
        }
    }
    Err(e)
}

/// Why a blob's body stopped before its end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlobError {
    /// The transport failed part-way.
    #[error("download failed after {received} bytes: {error}")]
    Interrupted {
        /// Bytes received before it failed.
        received: u64,
        /// What the transport said.
        error: FetchError,
    },
    /// The body ran past the descriptor's size: reading stopped.
    #[error("the registry sent more than the descriptor's {size} bytes")]
    Oversize {
        /// The descriptor's size.
        size: u64,
    },
}

/// A blob's body, capped at its descriptor's size; the caller hashes what
/// it reads and asks [`BlobBody::check`] at the end.
#[derive(Debug)]
pub struct BlobBody<B> {
    body: B,
    digest: Digest,
    size: u64,
    received: u64,
    state: State,
}

/// Where a [`BlobBody`] stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Reading,
    /// The body ended.
    Ended,
    /// Stopped for running past the size.
    Over,
    /// The transport failed.
    Broken,
}

impl<B: Body> BlobBody<B> {
    /// `body` read as the blob of `digest` and `size` (its descriptor's).
    pub fn new(body: B, digest: &Digest, size: u64) -> BlobBody<B> {
        BlobBody {
            body,
            digest: digest.clone(),
            size,
            received: 0,
            state: State::Reading,
        }
    }

    /// The next piece, `None` at the end. After an error (or the end) it
    /// keeps answering `None`: a body past its size is not read on.
    pub async fn chunk(&mut self) -> Result<Option<Vec<u8>>, BlobError> {
        if self.state != State::Reading {
            return Ok(None);
        }
        match self.body.chunk().await {
            Ok(Some(piece)) => {
                self.received += piece.len() as u64;
                if self.received > self.size {
                    self.state = State::Over;
                    return Err(BlobError::Oversize { size: self.size });
                }
                Ok(Some(piece))
            }
            Ok(None) => {
                self.state = State::Ended;
                Ok(None)
            }
            Err(error) => {
                self.state = State::Broken;
                Err(BlobError::Interrupted {
                    received: self.received,
                    error,
                })
            }
        }
    }

    /// Bytes received so far (past the size, when it ran over).
    pub fn received(&self) -> u64 {
        self.received
    }

    /// The descriptor's size.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Whether what was read is the whole body as the registry sent it —
    /// read to its end, or stopped for running over — so a size and digest
    /// verdict means something (an interrupted body says nothing of the
    /// blob).
    pub fn complete(&self) -> bool {
        matches!(self.state, State::Ended | State::Over)
    }

    /// The verdict once the body is [complete](BlobBody::complete):
    /// `computed` is the digest of every byte read (the caller's hash). The
    /// size is compared first, as a short or long body explains a digest.
    pub fn check(&self, computed: &Digest) -> Result<(), VerifyError> {
        check_stream(&self.digest, Some(self.size), computed, self.received)
    }
}

/// A [`BlobBody`] that hashes as it goes, for a reader that keeps or passes
/// the bytes on without scanning them.
pub struct HashedBlob<B> {
    body: BlobBody<B>,
    hasher: Hasher,
}

impl<B: Body> HashedBlob<B> {
    /// `body` read and hashed as the blob of `digest` and `size`.
    pub fn new(body: B, digest: &Digest, size: u64) -> HashedBlob<B> {
        HashedBlob {
            body: BlobBody::new(body, digest, size),
            hasher: Hasher::new(digest.algorithm()),
        }
    }

    /// The next piece (see [`BlobBody::chunk`]), hashed.
    pub async fn chunk(&mut self) -> Result<Option<Vec<u8>>, BlobError> {
        let piece = self.body.chunk().await?;
        if let Some(p) = &piece {
            self.hasher.update(p);
        }
        Ok(piece)
    }

    /// Bytes received so far.
    pub fn received(&self) -> u64 {
        self.body.received()
    }

    /// The verdict after the end: the size, then the digest of every byte.
    pub fn finish(self) -> Result<(), VerifyError> {
        self.body.check(&self.hasher.finish())
    }
}

#[cfg(test)]
mod tests;
