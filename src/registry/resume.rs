//! A blob read to its end across one dropped connection: when the stream
//! breaks part-way, it is asked again from the byte it broke at (`Range:
//! bytes=N-`), once. Blobs are addressed by digest, so the rest is the same
//! bytes whatever connection brings them, and the caller's hash still covers
//! every byte of the blob in order: a resumed stream that does not fit its
//! start fails the digest like any other wrong byte.
//!
//! A registry that ignores `Range` answers 200 with the whole blob: the
//! prefix already read is skipped on the new stream. A registry that answers
//! another range, or a second drop, ends the read with an error that names
//! the blob, where it came from and the byte offsets; a `Content-Length`
//! that is not the size asked for is refused before anything is read (the
//! first answer's, by a reader that asks: [`ResumingBody::checked`]).

use crate::oci::{Digest, Reference};

use super::blob::blob_response;
use super::client::Client;
use super::error::RegistryError;
use super::exchange::send;
use super::http::{Body, Fetch, FetchError, Request, Response};
use super::plan::url_host;

/// Opens a blob's stream, from its start or from a byte offset.
#[allow(async_fn_in_trait)] // deliberately no Send bound: browser futures are !Send
pub trait Reopen {
    /// The body type of the answers.
    type Body: Body;

    /// The blob's 2xx answer from byte `from` on (`Range: bytes=FROM-`
    /// unless `from` is 0); any other status is the error it is.
    async fn open(&self, from: u64) -> Result<Response<Self::Body>, RegistryError>;

    /// Where the blob comes from, for messages: `registry/repository`.
    fn source(&self) -> String;
}

/// A blob of a repository fetched through the registry client (which
/// authenticates the second request like the first).
pub struct ClientBlob<'a, F, C> {
    client: &'a Client<F, C>,
    reference: &'a Reference,
    digest: Digest,
}

impl<'a, F, C> ClientBlob<'a, F, C> {
    /// The blob `digest` of `reference`'s repository.
    pub fn new(
        client: &'a Client<F, C>,
        reference: &'a Reference,
        digest: Digest,
    ) -> ClientBlob<'a, F, C> {
        ClientBlob {
            client,
            reference,
            digest,
        }
    }
}

impl<F: Fetch, C: Fn() -> u64> Reopen for ClientBlob<'_, F, C> {
    type Body = F::Body;

    async fn open(&self, from: u64) -> Result<Response<F::Body>, RegistryError> {
        self.client
            .blob_from(self.reference, &self.digest, from)
            .await
    }

    fn source(&self) -> String {
        format!(
            "{}/{}",
            self.reference.registry_host(),
            self.reference.path()
        )
    }
}

/// A blob request planned elsewhere (a layer worker sends what the page
/// planned, its token included), sent again with a `Range` to resume.
pub struct PlannedBlob<'a, F> {
    fetch: &'a F,
    request: Request,
    digest: Digest,
}

impl<'a, F> PlannedBlob<'a, F> {
    /// `request` (a `GET` of blob `digest`) over `fetch`.
    pub fn new(fetch: &'a F, request: Request, digest: Digest) -> PlannedBlob<'a, F> {
        PlannedBlob {
            fetch,
            request,
            digest,
        }
    }
}

impl<F: Fetch> Reopen for PlannedBlob<'_, F> {
    type Body = F::Body;

    async fn open(&self, from: u64) -> Result<Response<F::Body>, RegistryError> {
        let mut request = self.request.clone();
        if from > 0 {
            request.headers.push("Range", format!("bytes={from}-"));
        }
        let registry = url_host(&request.url).unwrap_or_default();
        let (response, rate_limit) = send(self.fetch, &registry, request).await?;
        blob_response(&registry, &self.digest, response, rate_limit).await
    }

    fn source(&self) -> String {
        repository_of(&self.request.url)
    }
}

/// `host/repository` of a blob URL (`…://host/v2/REPO/blobs/DIGEST`).
fn repository_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let rest = rest.split_once("/blobs/").map_or(rest, |(r, _)| r);
    rest.replacen("/v2/", "/", 1)
}

/// A blob's body that resumes once after a dropped connection (see the
/// module). Read it through [`super::BlobBody`], which caps it at the
/// descriptor's size and checks it at the end.
pub struct ResumingBody<R: Reopen> {
    reopen: R,
    body: Option<R::Body>,
    digest: Digest,
    size: u64,
    /// Bytes handed out.
    offset: u64,
    /// Bytes of a whole-blob answer to a resume still to skip.
    skip: u64,
    /// Where the one resume started.
    resumed_at: Option<u64>,
    /// The first answer's `Content-Length`, when it was a 200.
    announced: Option<u64>,
}

impl<R: Reopen> ResumingBody<R> {
    /// Opens blob `digest` of `size` bytes (its descriptor's) from its start.
    pub async fn open(reopen: R, digest: &Digest, size: u64) -> Result<Self, RegistryError> {
        let response = reopen.open(0).await?;
        let announced = if response.status == 200 {
            content_length(&response)
        } else {
            None
        };
        Ok(ResumingBody {
            reopen,
            body: Some(response.body),
            digest: digest.clone(),
            size,
            offset: 0,
            skip: 0,
            resumed_at: None,
            announced,
        })
    }

    /// The body, unless its `Content-Length` is not the blob's size: a
    /// reader that verifies the whole blob refuses it before reading
    /// ([`RegistryError::Length`]). The file viewer reads on instead and
    /// shows what it found as not verified.
    pub fn checked(self) -> Result<Self, RegistryError> {
        match self.announced {
            Some(announced) if announced != self.size => {
                let source = self.reopen.source();
                Err(RegistryError::Length {
                    registry: source.split('/').next().unwrap_or_default().to_owned(),
                    object: format!("blob {} of {source}", self.digest),
                    announced,
                    expected: self.size,
                })
            }
            _ => Ok(self),
        }
    }

    /// The blob asked again from `self.offset` after `error`.
    async fn resume(&mut self, error: FetchError) -> Result<(), FetchError> {
        let at = self.offset;
        let what = format!("blob {} of {}", self.digest, self.reopen.source());
        if let Some(first) = self.resumed_at {
            return Err(FetchError::new(format!(
                "the connection dropped again at byte {at} ({error}) after resuming {what} at \
                 byte {first}: not resumed twice"
            )));
        }
        if at >= self.size {
            return Err(error);
        }
        self.resumed_at = Some(at);
        let failed = |why: String| {
            FetchError::new(format!(
                "the connection dropped at byte {at} ({error}); resuming {what} there failed: {why}"
            ))
        };
        let response = self
            .reopen
            .open(at)
            .await
            .map_err(|e| failed(e.to_string()))?;
        match response.status {
            206 => {
                let range = response.headers.get("content-range").unwrap_or_default();
                if range_start(range) != Some(at) {
                    return Err(failed(format!(
                        "the registry answered with the range {range:?}"
                    )));
                }
            }
            // Range ignored: the whole blob again, its first `at` bytes skipped.
            200 => self.skip = at,
            status => return Err(failed(format!("the registry answered HTTP {status}"))),
        }
        let expected = if response.status == 206 {
            self.size - at
        } else {
            self.size
        };
        if let Some(announced) = content_length(&response) {
            if announced != expected {
                return Err(failed(format!(
                    "Content-Length {announced}, {expected} expected"
                )));
            }
        }
        self.body = Some(response.body);
        Ok(())
    }
}

impl<R: Reopen> Body for ResumingBody<R> {
    async fn chunk(&mut self) -> Result<Option<Vec<u8>>, FetchError> {
        loop {
            let Some(body) = self.body.as_mut() else {
                return Ok(None);
            };
            match body.chunk().await {
                Ok(Some(mut piece)) => {
                    if self.skip > 0 {
                        let n = (self.skip as usize).min(piece.len());
                        piece.drain(..n);
                        self.skip -= n as u64;
                        if piece.is_empty() {
                            continue;
                        }
                    }
                    self.offset += piece.len() as u64;
                    return Ok(Some(piece));
                }
                Ok(None) => {
                    self.body = None;
                    if self.skip > 0 {
                        return Err(FetchError::new(format!(
                            "resuming blob {} of {} at byte {}: the registry sent the whole \
                             blob again, and it ended {} bytes short of that byte",
                            self.digest,
                            self.reopen.source(),
                            self.offset,
                            self.skip
                        )));
                    }
                    return Ok(None);
                }
                Err(error) => {
                    self.body = None;
                    self.resume(error).await?;
                }
            }
        }
    }
}

fn content_length<B>(response: &Response<B>) -> Option<u64> {
    response
        .headers
        .get("content-length")
        .and_then(|v| v.trim().parse().ok())
}

/// The first byte of a `Content-Range: bytes FIRST-LAST/LENGTH`.
fn range_start(value: &str) -> Option<u64> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    rest.split_once('-')?.0.trim().parse().ok()
}

#[cfg(test)]
mod tests;
