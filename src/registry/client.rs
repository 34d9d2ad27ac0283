//! The distribution protocol over a [`Fetch`]: the authentication dance,
//! manifests resolved and verified, configs, blob streams, tag lists.
//!
//! Runs unchanged in the browser and natively: async without `Send`, the
//! current time supplied by the caller's clock function, no I/O of its own.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;

use crate::oci::document::{parse_document, Document, MAX_MANIFEST_BYTES};
use crate::oci::{Descriptor, Digest, MediaType, Reference, Verified};
use crate::registry::challenge::{parse_challenges, Challenge};
use crate::registry::codes::parse_error_body;
use crate::registry::error::{Missing, RegistryError};
use crate::registry::http::{read_to_end, Body, Fetch, Headers, Method, Request, Response};
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

    fn note_rate_limit(&self, headers: &Headers) {
        if let Some(r) = RateLimit::from_headers(
            headers.get("ratelimit-limit"),
            headers.get("ratelimit-remaining"),
        ) {
            self.rate_limit.set(Some(r));
        }
    }

    async fn raw(
        &self,
        registry: &str,
        request: Request,
    ) -> Result<Response<F::Body>, RegistryError> {
        let response = self
            .fetch
            .fetch(request)
            .await
            .map_err(|source| RegistryError::Fetch {
                registry: registry.to_owned(),
                source,
            })?;
        self.note_rate_limit(&response.headers);
        Ok(response)
    }

    /// A token for `scope` at the host's realm: from the cache, or fetched.
    async fn token(
        &self,
        registry: &str,
        realm: &str,
        service: Option<&str>,
        scope: &str,
        fresh: bool,
    ) -> Result<String, RegistryError> {
        let key = TokenKey {
            realm: realm.to_owned(),
            service: service.unwrap_or_default().to_owned(),
            scope: scope.to_owned(),
        };
        let now = (self.now_ms)();
        if fresh {
            self.tokens.borrow_mut().invalidate(&key);
        } else if let Some(t) = self.tokens.borrow().get(&key, now) {
            return Ok(t.value().to_owned());
        }
        let mut headers = Headers::new();
        if let Some(c) = &self.credentials {
            headers.push("Authorization", c.header());
        }
        let url = token_url(realm, service, Some(scope));
        let realm_host = url_host(realm).unwrap_or_else(|| realm.to_owned());
        let mut response = self
            .raw(
                &realm_host,
                Request {
                    method: Method::Get,
                    url,
                    headers,
                },
            )
            .await?;
        let body = read_to_end(&mut response.body, MAX_SMALL_BODY)
            .await
            .map_err(|source| RegistryError::Fetch {
                registry: realm_host.clone(),
                source,
            })?;
        if response.status == 401 || response.status == 403 {
            let entries = parse_error_body(&body);
            let message = entries
                .first()
                .map(|e| e.message.clone())
                .unwrap_or_default();
            return Err(if self.credentials.is_some() {
                RegistryError::Unauthorized {
                    registry: registry.to_owned(),
                    message,
                }
            } else {
                RegistryError::CredentialsRequired {
                    registry: registry.to_owned(),
                    realm: realm.to_owned(),
                }
            });
        }
        if !(200..300).contains(&response.status) {
            let entries = parse_error_body(&body);
            return Err(RegistryError::from_status(
                &realm_host,
                response.status,
                "token",
                &entries,
                self.rate_limit(),
            ));
        }
        let now = (self.now_ms)();
        let token = parse_token_response(&body, now).map_err(|source| RegistryError::Token {
            realm: realm.to_owned(),
            source,
        })?;
        let value = token.value().to_owned();
        self.tokens.borrow_mut().insert(key, token, now);
        Ok(value)
    }

    async fn authorization(
        &self,
        registry: &str,
        scope: &str,
        fresh: bool,
    ) -> Result<Option<String>, RegistryError> {
        let auth = self.hosts.borrow().get(registry).cloned();
        match auth {
            None => Ok(None),
            Some(HostAuth::Basic) => Ok(self.credentials.as_ref().map(Credentials::header)),
            Some(HostAuth::Bearer { realm, service }) => {
                let token = self
                    .token(registry, &realm, service.as_deref(), scope, fresh)
                    .await?;
                Ok(Some(format!("Bearer {token}")))
            }
        }
    }

    fn learn_challenge(
        &self,
        registry: &str,
        headers: &Headers,
    ) -> Result<Option<HostAuth>, RegistryError> {
        let mut challenges: Vec<Challenge> = Vec::new();
        for value in headers.get_all("www-authenticate") {
            challenges.extend(parse_challenges(value).map_err(|source| {
                RegistryError::Challenge {
                    registry: registry.to_owned(),
                    source,
                }
            })?);
        }
        let auth = if let Some(b) = challenges.iter().find(|c| c.is_bearer()) {
            b.param("realm").map(|realm| HostAuth::Bearer {
                realm: realm.to_owned(),
                service: b.param("service").map(str::to_owned),
            })
        } else if challenges.iter().any(Challenge::is_basic) {
            Some(HostAuth::Basic)
        } else {
            None
        };
        if let Some(a) = &auth {
            self.hosts
                .borrow_mut()
                .insert(registry.to_owned(), a.clone());
        }
        Ok(auth)
    }

    /// Sends a request with whatever authentication the host needs, doing the
    /// challenge dance on a 401 and retrying once with a fresh token.
    pub async fn send(
        &self,
        endpoint: &Endpoint,
        method: Method,
        url: String,
        mut headers: Headers,
        scope: &str,
    ) -> Result<Response<F::Body>, RegistryError> {
        let registry = endpoint.host().to_owned();
        let base = headers.clone();
        if let Some(a) = self.authorization(&registry, scope, false).await? {
            headers.push("Authorization", a);
        }
        let had_auth = headers.get("authorization").is_some();
        let response = self
            .raw(
                &registry,
                Request {
                    method,
                    url: url.clone(),
                    headers,
                },
            )
            .await?;
        if response.status != 401 {
            return Ok(response);
        }
        let Some(auth) = self.learn_challenge(&registry, &response.headers)? else {
            return Err(RegistryError::Unauthorized {
                registry,
                message: "401 without a usable challenge".into(),
            });
        };
        if let HostAuth::Basic = auth {
            if self.credentials.is_none() {
                let realm = response
                    .headers
                    .get("www-authenticate")
                    .and_then(|h| parse_challenges(h).ok())
                    .and_then(|cs| cs.into_iter().find(Challenge::is_basic))
                    .and_then(|c| c.param("realm").map(str::to_owned))
                    .unwrap_or_default();
                return Err(RegistryError::CredentialsRequired { registry, realm });
            }
            if had_auth {
                return Err(RegistryError::Unauthorized {
                    registry,
                    message: "user name or password is wrong".into(),
                });
            }
        }
        let mut headers = base;
        if let Some(a) = self.authorization(&registry, scope, had_auth).await? {
            headers.push("Authorization", a);
        }
        let retry = self
            .raw(
                &registry,
                Request {
                    method,
                    url,
                    headers,
                },
            )
            .await?;
        if retry.status == 401 {
            if self.credentials.is_none() {
                let realm = match self.hosts.borrow().get(&registry) {
                    Some(HostAuth::Bearer { realm, .. }) => realm.clone(),
                    _ => String::new(),
                };
                return Err(RegistryError::CredentialsRequired { registry, realm });
            }
            return Err(RegistryError::Unauthorized {
                registry,
                message: "the registry refused a fresh token".into(),
            });
        }
        Ok(retry)
    }

    async fn error_from(
        &self,
        registry: &str,
        object: &str,
        mut response: Response<F::Body>,
    ) -> RegistryError {
        let body = if matches!(response.status, 204 | 304) {
            Vec::new()
        } else {
            read_to_end(&mut response.body, MAX_SMALL_BODY)
                .await
                .unwrap_or_default()
        };
        RegistryError::from_status(
            registry,
            response.status,
            object,
            &parse_error_body(&body),
            self.rate_limit(),
        )
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
        let endpoint = self.endpoint(reference);
        let url = endpoint.manifest_url(reference.path(), tag);
        let object = format!("{}:{tag}", reference.name());
        let response = self
            .send(
                &endpoint,
                Method::Head,
                url,
                Self::manifest_headers(),
                &pull_scope(reference.path()),
            )
            .await?;
        if !(200..300).contains(&response.status) {
            return Err(self.error_from(endpoint.host(), &object, response).await);
        }
        match response.headers.get("docker-content-digest") {
            None => Ok(None),
            Some(v) => v.trim().parse::<Digest>().map(Some).map_err(|source| {
                RegistryError::BadDigestHeader {
                    registry: endpoint.host().to_owned(),
                    value: v.to_owned(),
                    source,
                }
            }),
        }
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
        let endpoint = self.endpoint(reference);
        let url = endpoint.manifest_url(reference.path(), tag_or_digest);
        let object = if tag_or_digest.contains(':') {
            format!("manifest {tag_or_digest}")
        } else {
            format!("manifest {}:{tag_or_digest}", reference.name())
        };
        let mut response = self
            .send(
                &endpoint,
                Method::Get,
                url,
                Self::manifest_headers(),
                &pull_scope(reference.path()),
            )
            .await?;
        if !(200..300).contains(&response.status) {
            return Err(self.error_from(endpoint.host(), &object, response).await);
        }
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
        let bytes = read_to_end(&mut response.body, MAX_MANIFEST_BYTES)
            .await
            .map_err(|source| RegistryError::Fetch {
                registry: endpoint.host().to_owned(),
                source,
            })?;
        let (digest, size, hint) = match expected {
            Some((d, size, hint)) => (d.clone(), size, hint.cloned().or(content_type.clone())),
            None => {
                let d = match header_digest {
                    Some(v) => v.trim().parse::<Digest>().map_err(|source| {
                        RegistryError::BadDigestHeader {
                            registry: endpoint.host().to_owned(),
                            value: v.clone(),
                            source,
                        }
                    })?,
                    // No digest to check against: the content defines it.
                    None => Digest::sha256(&bytes),
                };
                (d, None, content_type.clone())
            }
        };
        let verified =
            crate::oci::verify(bytes, &digest, size).map_err(|source| RegistryError::Verify {
                object: object.clone(),
                source,
            })?;
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
        let bytes = read_to_end(&mut response.body, MAX_CONFIG_BYTES)
            .await
            .map_err(|source| RegistryError::Fetch {
                registry: endpoint.host().to_owned(),
                source,
            })?;
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
        let endpoint = self.endpoint(reference);
        let url = endpoint.blob_url(reference.path(), digest);
        let mut headers = Headers::new();
        if let Some((start, end)) = range {
            headers.push("Range", format!("bytes={start}-{end}"));
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
        if !(200..300).contains(&response.status) {
            let object = format!("blob {digest}");
            let mut e = self.error_from(endpoint.host(), &object, response).await;
            if let RegistryError::NotFound { what, .. } = &mut e {
                if *what == Missing::Unknown {
                    *what = Missing::Blob;
                }
            }
            return Err(e);
        }
        Ok(response)
    }

    /// Every tag of a repository, following `Link` pagination (bounded).
    pub async fn tags(
        &self,
        reference: &Reference,
        page_size: Option<u32>,
    ) -> Result<Vec<String>, RegistryError> {
        #[derive(serde::Deserialize)]
        struct Page {
            #[serde(default)]
            tags: Option<Vec<String>>,
        }
        let endpoint = self.endpoint(reference);
        let scope = pull_scope(reference.path());
        let mut url = endpoint.tags_url(reference.path(), page_size);
        let mut tags = Vec::new();
        for _ in 0..MAX_TAG_PAGES {
            let mut response = self
                .send(&endpoint, Method::Get, url.clone(), Headers::new(), &scope)
                .await?;
            if !(200..300).contains(&response.status) {
                return Err(self
                    .error_from(endpoint.host(), &reference.name(), response)
                    .await);
            }
            let next = response.headers.get("link").and_then(next_link);
            let body = read_to_end(&mut response.body, MAX_MANIFEST_BYTES)
                .await
                .map_err(|source| RegistryError::Fetch {
                    registry: endpoint.host().to_owned(),
                    source,
                })?;
            let page: Page = serde_json::from_slice(&body).map_err(|e| RegistryError::Status {
                registry: endpoint.host().to_owned(),
                status: response.status,
                object: format!("tags of {}", reference.name()),
                message: format!("unreadable tag list: {e}"),
            })?;
            tags.extend(page.tags.unwrap_or_default());
            match next {
                Some(target) => url = endpoint.resolve_link(&target),
                None => return Ok(tags),
            }
        }
        Ok(tags)
    }
}

/// Drains a body, for responses whose content is not needed.
pub async fn discard<B: Body>(body: &mut B) {
    while let Ok(Some(_)) = body.chunk().await {}
}
