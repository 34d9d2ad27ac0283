//! A [`Fetch`] that answers the registry read API from an archive: `GET` and
//! `HEAD` of `/v2/NAME/manifests/REF` and `/v2/NAME/blobs/DIGEST` (with
//! `Range`), whatever the host and repository name. The image is then
//! resolved, verified and scanned by the same [`crate::registry::Client`]
//! and [`crate::inspect`] code as a registry's, so nothing is trusted for
//! coming from disk.
//!
//! Answers: 200 with `Content-Type` (a document's media type as the archive
//! gives it), `Content-Length` and `Docker-Content-Digest`; 206 for a
//! satisfiable range; 404 with the registry's error codes
//! (`MANIFEST_UNKNOWN`, `BLOB_UNKNOWN`), so a missing blob reads as it would
//! from a registry, naming the digest; a damaged archive is a fetch error
//! naming the member.

use std::rc::Rc;

use super::images::{read_small, LocalImages};
use super::{ArchiveError, Source, READ_CHUNK};
use crate::oci::{Digest, MediaType};
use crate::registry::{Body, Fetch, FetchError, Headers, Method, Request, Response};

/// The registry API over an archive's [`Source`].
pub struct ArchiveFetch<S> {
    source: Rc<S>,
    images: Rc<LocalImages>,
}

impl<S> Clone for ArchiveFetch<S> {
    fn clone(&self) -> ArchiveFetch<S> {
        ArchiveFetch {
            source: self.source.clone(),
            images: self.images.clone(),
        }
    }
}

impl<S: Source> ArchiveFetch<S> {
    /// Answers from `source`, which holds `images`.
    pub fn new(source: S, images: LocalImages) -> ArchiveFetch<S> {
        ArchiveFetch {
            source: Rc::new(source),
            images: Rc::new(images),
        }
    }

    /// What the archive holds.
    pub fn images(&self) -> &LocalImages {
        &self.images
    }

    /// The archive itself.
    pub fn source(&self) -> &S {
        &self.source
    }
}

impl<R: super::ReadAt> ArchiveFetch<super::TarSource<R>> {
    /// Where the blob `digest` is in the archive file: its first byte and
    /// length (a shell hands that slice to a worker as it is); `None` when
    /// it is not a member (or a made document).
    pub fn blob_range(&self, digest: &Digest) -> Option<(u64, u64)> {
        let path = self.images.path(digest);
        let m = self.source.members().file(&path).ok()??;
        Some((m.offset, m.size))
    }
}

/// A body read from the archive in chunks, or held whole.
pub enum ArchiveBody<S> {
    /// Nothing (HEAD, errors already in the headers).
    Empty,
    /// Bytes in memory (documents, error bodies).
    Bytes(Option<Vec<u8>>),
    /// A range of a file of the archive, read as asked for.
    Range {
        /// The archive.
        source: Rc<S>,
        /// The file.
        path: String,
        /// The next byte to read.
        at: u64,
        /// One past the last byte.
        end: u64,
    },
}

impl<S: Source> Body for ArchiveBody<S> {
    async fn chunk(&mut self) -> Result<Option<Vec<u8>>, FetchError> {
        match self {
            ArchiveBody::Empty => Ok(None),
            ArchiveBody::Bytes(b) => Ok(b.take()),
            ArchiveBody::Range {
                source,
                path,
                at,
                end,
            } => {
                if *at >= *end {
                    return Ok(None);
                }
                let want = ((*end - *at) as usize).min(READ_CHUNK);
                let bytes = source.read(path, *at, want).await?;
                if bytes.is_empty() {
                    return Err(FetchError::new(format!(
                        "{path}: the archive ended at byte {at} of {end}"
                    )));
                }
                *at += bytes.len() as u64;
                Ok(Some(bytes))
            }
        }
    }
}

/// `bytes=A-B` or `bytes=A-` against a blob of `size` bytes: the range to
/// send, or `None` when unsatisfiable (or not a single range).
fn parse_range(value: &str, size: u64) -> Option<(u64, u64)> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let start: u64 = a.trim().parse().ok()?;
    let end = match b.trim() {
        "" => size,
        b => b.parse::<u64>().ok()?.saturating_add(1).min(size),
    };
    (start < end).then_some((start, end))
}

fn not_found<S>(code: &str, message: &str) -> Response<ArchiveBody<S>> {
    let body = serde_json::json!({ "errors": [{ "code": code, "message": message }] });
    let mut headers = Headers::new();
    headers.push("Content-Type", "application/json");
    Response {
        status: 404,
        headers,
        body: ArchiveBody::Bytes(Some(body.to_string().into_bytes())),
    }
}

/// A document's media type from its own `mediaType`, else its shape.
fn sniff_media_type(bytes: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_default();
    match v.get("mediaType").and_then(|m| m.as_str()) {
        Some(m) => m.to_owned(),
        None if v.get("manifests").is_some() => "application/vnd.oci.image.index.v1+json".into(),
        None => "application/vnd.oci.image.manifest.v1+json".into(),
    }
}

impl<S: Source> ArchiveFetch<S> {
    async fn manifest(
        &self,
        method: Method,
        reference: &str,
    ) -> Result<Response<ArchiveBody<S>>, ArchiveError> {
        let digest = match reference.parse::<Digest>() {
            Ok(d) => d,
            Err(_) => match self.images.select(Some(reference)) {
                Ok(named) => named.digest.clone(),
                Err(e) => return Ok(not_found("MANIFEST_UNKNOWN", &e.to_string())),
            },
        };
        let bytes = match self.images.made(&digest) {
            Some(b) => b.to_vec(),
            None => match read_small(&*self.source, &self.images.path(&digest)).await? {
                Some(b) => b,
                None => {
                    return Ok(not_found(
                        "MANIFEST_UNKNOWN",
                        &format!("the archive has no manifest {digest}"),
                    ))
                }
            },
        };
        let media_type = self
            .images
            .media_type(&digest)
            .map(MediaType::as_str)
            .map_or_else(|| sniff_media_type(&bytes), str::to_owned);
        let mut headers = Headers::new();
        headers.push("Content-Type", media_type);
        headers.push("Content-Length", bytes.len().to_string());
        headers.push("Docker-Content-Digest", digest.to_string());
        let body = match method {
            Method::Head => ArchiveBody::Empty,
            Method::Get => ArchiveBody::Bytes(Some(bytes)),
        };
        Ok(Response {
            status: 200,
            headers,
            body,
        })
    }

    async fn blob(
        &self,
        request: &Request,
        digest: &str,
    ) -> Result<Response<ArchiveBody<S>>, ArchiveError> {
        let Ok(digest) = digest.parse::<Digest>() else {
            return Ok(not_found(
                "DIGEST_INVALID",
                &format!("{digest} is not a digest"),
            ));
        };
        if let Some(made) = self.images.made(&digest) {
            let mut headers = Headers::new();
            headers.push("Content-Length", made.len().to_string());
            return Ok(Response {
                status: 200,
                headers,
                body: ArchiveBody::Bytes(Some(made.to_vec())),
            });
        }
        let path = self.images.path(&digest);
        let Some(size) = self.source.size(&path).await? else {
            return Ok(not_found(
                "BLOB_UNKNOWN",
                &format!("the archive has no blob {digest} ({path})"),
            ));
        };
        let mut headers = Headers::new();
        headers.push("Docker-Content-Digest", digest.to_string());
        headers.push("Accept-Ranges", "bytes");
        let (status, start, end) = match request.headers.get("range") {
            Some(r) => match parse_range(r, size) {
                Some((a, b)) => {
                    headers.push("Content-Range", format!("bytes {a}-{}/{size}", b - 1));
                    (206, a, b)
                }
                None => {
                    headers.push("Content-Range", format!("bytes */{size}"));
                    return Ok(Response {
                        status: 416,
                        headers,
                        body: ArchiveBody::Empty,
                    });
                }
            },
            None => (200, 0, size),
        };
        headers.push("Content-Length", (end - start).to_string());
        let body = match request.method {
            Method::Head => ArchiveBody::Empty,
            Method::Get => ArchiveBody::Range {
                source: self.source.clone(),
                path,
                at: start,
                end,
            },
        };
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

impl<S: Source> Fetch for ArchiveFetch<S> {
    type Body = ArchiveBody<S>;

    /// Never asked: an archive answers no 429 or 5xx.
    async fn sleep(&self, _ms: u64) {}

    async fn fetch(&self, request: Request) -> Result<Response<Self::Body>, FetchError> {
        let path = request
            .url
            .split_once("://")
            .map_or(request.url.as_str(), |(_, rest)| rest);
        let path = path.find('/').map_or("/", |i| &path[i..]);
        let path = path.split('?').next().unwrap_or(path);
        let Some(api) = path.strip_prefix("/v2/") else {
            return Ok(not_found("NAME_UNKNOWN", "not a registry API path"));
        };
        if api.is_empty() {
            return Ok(Response {
                status: 200,
                headers: Headers::new(),
                body: ArchiveBody::Empty,
            });
        }
        let answer = if let Some((_, reference)) = api.rsplit_once("/manifests/") {
            self.manifest(request.method, reference).await
        } else if let Some((_, digest)) = api.rsplit_once("/blobs/") {
            self.blob(&request, digest).await
        } else {
            Ok(not_found(
                "NAME_UNKNOWN",
                "an archive answers manifests and blobs only",
            ))
        };
        answer.map_err(FetchError::from)
    }
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Some((0, 10)));
        assert_eq!(parse_range("bytes=90-", 100), Some((90, 100)));
        assert_eq!(parse_range("bytes=90-500", 100), Some((90, 100)));
        assert_eq!(parse_range("bytes=100-", 100), None);
        assert_eq!(parse_range("bytes=-5", 100), None);
        assert_eq!(parse_range("bytes=0-1,4-5", 100), None);
        assert_eq!(parse_range("items=0-1", 100), None);
    }
}
