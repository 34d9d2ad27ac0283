//! The distribution protocol over a [`Fetch`]: the authentication dance,
//! manifests resolved and verified, configs, blob streams, tag lists.
//!
//! Runs unchanged in the browser and natively: async without `Send`, the
//! current time supplied by the caller's clock function, no I/O of its own.

mod auth;

pub use auth::Ping;
mod lists;
mod referrers;

pub use lists::TagPage;
pub use referrers::ReferrersPage;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;

use crate::oci::document::{parse_document, Document, MAX_MANIFEST_BYTES};
use crate::oci::{Descriptor, Digest, MediaType, Reference, Verified};
use crate::registry::challenge::{parse_challenges, Challenge};
use crate::registry::error::RegistryError;
use crate::registry::exchange;
use crate::registry::http::{Body, Fetch, Headers, Method, Request, Response};
use crate::registry::plan::{basic_auth_value, pull_scope, token_url, url_host, Endpoint};
use crate::registry::token::{parse_token_response, TokenCache, TokenKey};
use crate::registry::{next_link, RateLimit};

use crate::oci::MAX_CONFIG_BYTES;
/// Largest error or token body we read.
const MAX_SMALL_BODY: usize = 64 * 1024;
/// Tag-list pages followed at most (a page holds up to 1000 tags on most registries).
const MAX_TAG_PAGES: usize = 1000;

/// A user name and password (or access token), kept in memory only.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    username: String,
    password: String,
}

impl Credentials {
    /// Credentials for the registry (and its token realm).
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Credentials {
        Credentials {
            username: username.into(),
            password: password.into(),
        }
    }

    /// The user name (not secret).
    pub fn username(&self) -> &str {
        &self.username
    }

    fn header(&self) -> String {
        basic_auth_value(&self.username, &self.password)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Credentials({}, <redacted>)", self.username)
    }
}

/// What the client learned about a host's authentication.
#[derive(Debug, Clone)]
enum HostAuth {
    Bearer {
        realm: String,
        service: Option<String>,
    },
    Basic,
}

/// A manifest or index fetched and verified.
#[derive(Debug, Clone)]
pub struct FetchedManifest {
    /// The exact bytes, verified against the digest they were fetched by.
    pub verified: Verified,
    /// The parsed document.
    pub document: Document,
    /// The `Content-Type` the registry sent, if it was a media type.
    pub content_type: Option<MediaType>,
}

/// A registry client for one set of credentials and options.
pub struct Client<F, C> {
    fetch: F,
    now_ms: C,
    insecure: Vec<String>,
    credentials: Option<Credentials>,
    tokens: RefCell<TokenCache>,
    hosts: RefCell<BTreeMap<String, HostAuth>>,
    rate_limit: Cell<Option<RateLimit>>,
}

impl<F: Fetch, C: Fn() -> u64> Client<F, C> {
    /// A client over `fetch`; `now_ms` returns milliseconds since the Unix epoch.
    pub fn new(fetch: F, now_ms: C) -> Client<F, C> {
        Client {
            fetch,
            now_ms,
            insecure: Vec::new(),
            credentials: None,
            tokens: RefCell::new(TokenCache::new()),
            hosts: RefCell::new(BTreeMap::new()),
            rate_limit: Cell::new(None),
        }
    }

    /// Hosts (`host[:port]`) to talk plain HTTP to although not loopback.
    pub fn with_insecure(mut self, hosts: Vec<String>) -> Self {
        self.insecure = hosts;
        self
    }

    /// Credentials to offer when a registry asks.
    pub fn with_credentials(mut self, credentials: Option<Credentials>) -> Self {
        self.credentials = credentials;
        self
    }

    /// The transport, for callers that stream blobs themselves.
    pub fn fetcher(&self) -> &F {
        &self.fetch
    }

    /// The last rate-limit state a registry reported.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.rate_limit.get()
    }

    /// The endpoint for a reference, honouring the insecure list.
    pub fn endpoint(&self, reference: &Reference) -> Endpoint {
        Endpoint::for_reference(reference, &self.insecure)
    }

    async fn raw(
        &self,
        registry: &str,
        request: Request,
    ) -> Result<Response<F::Body>, RegistryError> {
        let (response, rate_limit) = exchange::send(&self.fetch, registry, request).await?;
        if rate_limit.is_some() {
            self.rate_limit.set(rate_limit);
        }
        Ok(response)
    }

    async fn error_from(
        &self,
        registry: &str,
        object: &str,
        response: Response<F::Body>,
    ) -> RegistryError {
        exchange::error_answer(registry, object, response, self.rate_limit()).await
    }

    fn manifest_headers() -> Headers {
        let mut h = Headers::new();
        h.push("Accept", MediaType::accept_manifests_header());
        h
    }

    /// Resolves a tag to a digest with `HEAD` (which costs no pull on Docker
    /// Hub). `None` when the registry answered without a digest header.
    pub async fn resolve_tag(
        &self,
        reference: &Reference,
        tag: &str,
    ) -> Result<Option<Digest>, RegistryError> {
        let object = format!("{}:{tag}", reference.name());
        let (endpoint, response) = self
            .manifest_request(reference, tag, Method::Head, &object)
            .await?;
        response
            .headers
            .get("docker-content-digest")
            .map(|v| digest_header(&endpoint, v))
            .transpose()
    }

    /// Sends a manifest request (the Accept list, the pull scope); a non-2xx
    /// answer becomes the matching error about `object`.
    async fn manifest_request(
        &self,
        reference: &Reference,
        tag_or_digest: &str,
        method: Method,
        object: &str,
    ) -> Result<(Endpoint, Response<F::Body>), RegistryError> {
        let endpoint = self.endpoint(reference);
        let url = endpoint.manifest_url(reference.path(), tag_or_digest);
        let response = self
            .send(
                &endpoint,
                method,
                url,
                Self::manifest_headers(),
                &pull_scope(reference.path()),
            )
            .await?;
        if !(200..300).contains(&response.status) {
            return Err(self.error_from(endpoint.host(), object, response).await);
        }
        Ok((endpoint, response))
    }

    /// Fetches a manifest or index by tag or digest and verifies it: against
    /// `expected` (the reference's digest, or a descriptor's digest and
    /// size), else against the digest a `HEAD` resolved the tag to, else
    /// against `Docker-Content-Digest` — always recomputed from the bytes.
    pub async fn manifest(
        &self,
        reference: &Reference,
        tag_or_digest: &str,
        expected: Option<(&Digest, Option<u64>, Option<&MediaType>)>,
    ) -> Result<FetchedManifest, RegistryError> {
        let object = if tag_or_digest.contains(':') {
            format!("manifest {tag_or_digest}")
        } else {
            format!("manifest {}:{tag_or_digest}", reference.name())
        };
        let (endpoint, mut response) = self
            .manifest_request(reference, tag_or_digest, Method::Get, &object)
            .await?;
        if let Some(len) = response
            .headers
            .get("content-length")
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            if len > MAX_MANIFEST_BYTES as u64 {
                return Err(RegistryError::Fetch {
                    registry: endpoint.host().to_owned(),
                    source: crate::registry::FetchError::new(format!(
                        "{object} is {len} bytes, more than the {MAX_MANIFEST_BYTES}-byte limit"
                    )),
                });
            }
        }
        // Only a manifest-ish Content-Type says what the document is;
        // `application/json` or `octet-stream` say nothing.
        let content_type = response
            .headers
            .get("content-type")
            .and_then(|v| MediaType::from_content_type(v).ok())
            .filter(|t| t.is_index() || t.is_manifest() || t.is_schema1());
        let header_digest = response
            .headers
            .get("docker-content-digest")
            .map(str::to_owned);
        let bytes = exchange::read_body(endpoint.host(), &mut response, MAX_MANIFEST_BYTES).await?;
        let (promised, hint) = match expected {
            Some((d, size, hint)) => (
                Some((d.clone(), size)),
                hint.cloned().or(content_type.clone()),
            ),
            None => match header_digest {
                Some(v) => (
                    Some((digest_header(&endpoint, &v)?, None)),
                    content_type.clone(),
                ),
                None => (None, content_type.clone()),
            },
        };
        let verified = match promised {
            Some((digest, size)) => crate::oci::verify(bytes, &digest, size).map_err(|source| {
                RegistryError::Verify {
                    object: object.clone(),
                    source,
                }
            })?,
            // No digest to check against: the content defines it.
            None => Verified::trust_own_digest(bytes),
        };
        let digest = verified.digest().clone();
        let document =
            parse_document(&verified, hint.as_ref()).map_err(|source| RegistryError::Document {
                object: format!("manifest {digest}"),
                source,
            })?;
        Ok(FetchedManifest {
            verified,
            document,
            content_type,
        })
    }

    /// Fetches a small blob (a config) whole and verifies it against its descriptor.
    pub async fn small_blob(
        &self,
        reference: &Reference,
        descriptor: &Descriptor,
        what: &str,
    ) -> Result<Verified, RegistryError> {
        let object = format!("{what} {}", descriptor.digest());
        if descriptor.size() > MAX_CONFIG_BYTES as u64 {
            return Err(RegistryError::Fetch {
                registry: reference.registry_host().to_owned(),
                source: crate::registry::FetchError::new(format!(
                    "{object} is {} bytes, more than the {MAX_CONFIG_BYTES}-byte limit",
                    descriptor.size()
                )),
            });
        }
        let mut response = self.blob(reference, descriptor.digest(), None).await?;
        let endpoint = self.endpoint(reference);
        let bytes = exchange::read_body(endpoint.host(), &mut response, MAX_CONFIG_BYTES).await?;
        descriptor
            .verify(bytes)
            .map_err(|source| RegistryError::Verify { object, source })
    }

    /// Opens a blob's byte stream (optionally a `Range`, `bytes=START-END`).
    /// The caller hashes what it reads: nothing here trusts the bytes.
    pub async fn blob(
        &self,
        reference: &Reference,
        digest: &Digest,
        range: Option<(u64, u64)>,
    ) -> Result<Response<F::Body>, RegistryError> {
        let range = range.map(|(start, end)| format!("bytes={start}-{end}"));
        self.blob_range(reference, digest, range).await
    }

    /// Opens a blob's byte stream from byte `from` to its end (`Range:
    /// bytes=FROM-`; no `Range` from 0): how a dropped stream resumes
    /// ([`crate::registry::resume`]).
    pub async fn blob_from(
        &self,
        reference: &Reference,
        digest: &Digest,
        from: u64,
    ) -> Result<Response<F::Body>, RegistryError> {
        let range = (from > 0).then(|| format!("bytes={from}-"));
        self.blob_range(reference, digest, range).await
    }

    async fn blob_range(
        &self,
        reference: &Reference,
        digest: &Digest,
        range: Option<String>,
    ) -> Result<Response<F::Body>, RegistryError> {
        let endpoint = self.endpoint(reference);
        let url = endpoint.blob_url(reference.path(), digest);
        let mut headers = Headers::new();
        if let Some(range) = range {
            headers.push("Range", range);
        }
        let response = self
            .send(
                &endpoint,
                Method::Get,
                url,
                headers,
                &pull_scope(reference.path()),
            )
            .await?;
        super::blob::blob_response(endpoint.host(), digest, response, self.rate_limit()).await
    }
}

/// Reads a `Docker-Content-Digest` header.
fn digest_header(endpoint: &Endpoint, value: &str) -> Result<Digest, RegistryError> {
    value
        .trim()
        .parse::<Digest>()
        .map_err(|source| RegistryError::BadDigestHeader {
            registry: endpoint.host().to_owned(),
            value: value.to_owned(),
            source,
        })
}

/// Drains a body, for responses whose content is not needed.
pub async fn discard<B: Body>(body: &mut B) {
    while let Ok(Some(_)) = body.chunk().await {}
}

#[cfg(test)]
mod tests;
