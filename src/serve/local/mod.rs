//! Local images on the server's own `/v2/`: the built-in demo and
//! `--layout NAME=DIR` OCI image layouts, served read-only under the
//! distribution API, so `127.0.0.1:PORT/NAME:TAG` is a registry reference
//! the page, the CLI, skopeo and `docker pull` can all use.
//!
//! * [`api`] — routes, errors, pagination and `Range`, as pure decisions;
//! * [`layout`] — opening and checking a layout (or the demo) at startup;
//! * [`store`] — blobs in memory or streamed from `blobs/<alg>/<hex>`.
//!
//! Endpoints: `GET /v2/` (`{}`), `GET /v2/_catalog`, `GET|HEAD
//! /v2/NAME/manifests/<tag|digest>`, `GET|HEAD /v2/NAME/blobs/<digest>`
//! (with `Range`), `GET /v2/NAME/tags/list` (`n`, `last`, `Link`).
//! `OPTIONS` is a CORS preflight; every other method is `UNSUPPORTED` (405).
//! Responses carry CORS and the sandbox headers of proxied content (they are
//! served from the page's origin), and the proxy's caching policy:
//! digest-addressed immutable, tag-addressed `no-cache`, errors `no-store`.

pub mod api;
pub mod layout;
pub mod store;

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode, Uri};

use super::body::{empty, fixed, full, AccessLog, ResponseBody};
use super::headers::{add_preflight, add_proxied_security};
use super::policy::{cache_control, Access, RequestKind, MANIFEST_CAP, NO_STORE};
use super::server::LocalRegistry;
use crate::demo::DemoImage;
use crate::oci::Digest;
use api::{
    next_link, paginate, parse_range, parse_route, parse_tag_query, ApiError, ErrorCode,
    ManifestRef, RangeAnswer, Route,
};
pub use layout::{LayoutError, Origin, Problem, Repository};

/// Why the set of local repositories could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// A layout could not be opened or is broken.
    #[error(transparent)]
    Layout(#[from] LayoutError),
    /// Two `--layout` flags use one name.
    #[error("--layout {name}=…: the name {name:?} is given twice")]
    DuplicateName {
        /// The name.
        name: String,
    },
    /// A name that is not a repository path.
    #[error("--layout {name}=…: {name:?} is not a valid repository name (lower-case letters, digits, '.', '_', '-', '/')")]
    BadName {
        /// The name.
        name: String,
    },
}

/// The repositories this server holds, by name. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct LocalRegistries {
    repos: Arc<BTreeMap<String, Arc<Repository>>>,
}

impl LocalRegistries {
    /// `layouts` as `NAME=DIR` pairs, plus the built-in demo as
    /// [`crate::demo::NAME`] unless `demo` is false or a layout takes the name.
    pub fn open(layouts: &[(String, PathBuf)], demo: bool) -> Result<LocalRegistries, LocalError> {
        let mut repos = BTreeMap::new();
        for (name, dir) in layouts {
            if !api::is_valid_name(name) {
                return Err(LocalError::BadName { name: name.clone() });
            }
            if repos.contains_key(name) {
                return Err(LocalError::DuplicateName { name: name.clone() });
            }
            repos.insert(name.clone(), Arc::new(Repository::open(name, dir)?));
        }
        if demo && !repos.contains_key(crate::demo::NAME) {
            let repo = Repository::demo(crate::demo::NAME, DemoImage::generate())?;
            repos.insert(crate::demo::NAME.to_owned(), Arc::new(repo));
        }
        Ok(LocalRegistries {
            repos: Arc::new(repos),
        })
    }

    /// The repositories, by name.
    pub fn repositories(&self) -> impl Iterator<Item = &Repository> {
        self.repos.values().map(Arc::as_ref)
    }

    /// Answers one request whose path is `/v2` or below. Never fails:
    /// errors are distribution-style JSON.
    pub async fn respond(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Response<ResponseBody> {
        let start = Instant::now();
        let mut response = if method == Method::OPTIONS {
            let mut r = Response::new(empty());
            *r.status_mut() = StatusCode::NO_CONTENT;
            add_preflight(r.headers_mut());
            r
        } else if method != Method::GET && method != Method::HEAD {
            error(&ApiError::method(method.as_str()))
        } else {
            match self.answer(method, uri, headers).await {
                Ok(r) => r,
                Err(e) => error(&e),
            }
        };
        let status = response.status().as_u16();
        let h = response.headers_mut();
        add_proxied_security(h);
        h.insert(
            HeaderName::from_static("docker-distribution-api-version"),
            HeaderValue::from_static("registry/2.0"),
        );
        if !h.contains_key(header::CACHE_CONTROL) {
            let cache = cache_control(RequestKind::Registry, uri.path(), status, Access::Anonymous);
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        }
        let mut log = AccessLog::new(method.as_str(), "local", uri.path(), start);
        log.status(status);
        log.emit(content_length(response.headers()), "");
        response
    }

    fn repo(&self, name: &str) -> Result<&Repository, ApiError> {
        self.repos.get(name).map(Arc::as_ref).ok_or_else(|| {
            ApiError::new(
                ErrorCode::NameUnknown,
                format!("repository {name:?} is not served here"),
            )
        })
    }

    async fn answer(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Result<Response<ResponseBody>, ApiError> {
        let head = method == Method::HEAD;
        match parse_route(uri.path())? {
            Route::Base => Ok(json(head, b"{}".to_vec())),
            Route::Catalog => {
                let names: Vec<&String> = self.repos.keys().collect();
                let body = serde_json::to_vec(&serde_json::json!({ "repositories": names }))
                    .unwrap_or_default();
                Ok(json(head, body))
            }
            Route::Tags { name } => {
                let repo = self.repo(&name)?;
                let query = parse_tag_query(uri.query())?;
                let (page, next) = paginate(repo.tags(), &query);
                let body = serde_json::to_vec(&serde_json::json!({ "name": name, "tags": page }))
                    .unwrap_or_default();
                let mut r = json(head, body);
                if let (Some(last), Some(n)) = (next, query.n) {
                    if let Ok(v) = HeaderValue::from_str(&next_link(&name, n, last)) {
                        r.headers_mut().insert(header::LINK, v);
                    }
                }
                Ok(r)
            }
            Route::Manifest { name, reference } => {
                manifest(self.repo(&name)?, &reference, head).await
            }
            Route::Blob { name, digest } => {
                let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
                blob(self.repo(&name)?, &digest, range, head).await
            }
        }
    }
}

impl LocalRegistry for LocalRegistries {
    fn handle(
        &self,
        request: Request<Incoming>,
    ) -> Pin<Box<dyn Future<Output = Response<ResponseBody>> + Send>> {
        let this = self.clone();
        let (parts, _body) = request.into_parts();
        Box::pin(async move {
            this.respond(&parts.method, &parts.uri, &parts.headers)
                .await
        })
    }

    fn describe(&self, authority: &str) -> Vec<String> {
        self.repositories()
            .map(|repo| {
                let tag = if repo.tag("latest").is_some() {
                    "latest"
                } else {
                    repo.tags().first().map(String::as_str).unwrap_or("latest")
                };
                match repo.origin() {
                    Origin::Demo => format!("demo image {authority}/{}:{tag}", repo.name()),
                    Origin::Dir(dir) => format!(
                        "layout {authority}/{}:{tag} ({} tags) from {}",
                        repo.name(),
                        repo.tags().len(),
                        dir.display()
                    ),
                }
            })
            .collect()
    }
}

fn content_length(headers: &HeaderMap) -> u64 {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn error(e: &ApiError) -> Response<ResponseBody> {
    let body = e.body();
    let len = body.len();
    let mut r = fixed(e.status, "application/json", NO_STORE, body);
    let h = r.headers_mut();
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    if e.status == StatusCode::METHOD_NOT_ALLOWED {
        h.insert(
            header::ALLOW,
            HeaderValue::from_static("GET, HEAD, OPTIONS"),
        );
    }
    r
}

fn json(head: bool, body: Vec<u8>) -> Response<ResponseBody> {
    let len = body.len();
    let mut r = Response::new(if head { empty() } else { full(body) });
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    r
}

fn digest_header(digest: &Digest) -> HeaderValue {
    HeaderValue::from_str(&digest.to_string()).unwrap_or(HeaderValue::from_static(""))
}

fn server_error(what: &str, e: std::io::Error) -> ApiError {
    eprintln!("layerlens: local registry: {what}: {e}");
    // BLOB_UNKNOWN with 500: the client learns the object is unavailable,
    // the operator reads the reason in the log.
    let mut err = ApiError::new(ErrorCode::BlobUnknown, format!("{what} cannot be read"));
    err.status = StatusCode::INTERNAL_SERVER_ERROR;
    err
}

async fn manifest(
    repo: &Repository,
    reference: &ManifestRef,
    head: bool,
) -> Result<Response<ResponseBody>, ApiError> {
    let unknown = || {
        ApiError::new(
            ErrorCode::ManifestUnknown,
            format!("{}: no manifest {reference}", repo.name()),
        )
    };
    let digest = match reference {
        ManifestRef::Tag(tag) => repo.tag(tag).ok_or_else(unknown)?.digest().clone(),
        ManifestRef::Digest(d) => d.clone(),
    };
    let media_type = repo.document_type(&digest).ok_or_else(unknown)?;
    let blob = repo
        .store()
        .open(&digest)
        .await
        .map_err(|e| server_error(&format!("manifest {digest}"), e))?
        .ok_or_else(unknown)?;
    let bytes = blob
        .read_all(MANIFEST_CAP)
        .await
        .map_err(|e| server_error(&format!("manifest {digest}"), e))?;
    let len = bytes.len();
    let mut r = Response::new(if head { empty() } else { full(bytes) });
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(media_type.as_str()) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(
        HeaderName::from_static("docker-content-digest"),
        digest_header(&digest),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("\"{digest}\"")) {
        h.insert(header::ETAG, v);
    }
    Ok(r)
}

async fn blob(
    repo: &Repository,
    digest: &Digest,
    range: Option<&str>,
    head: bool,
) -> Result<Response<ResponseBody>, ApiError> {
    let blob = repo
        .store()
        .open(digest)
        .await
        .map_err(|e| server_error(&format!("blob {digest}"), e))?
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::BlobUnknown,
                format!("{}: no blob {digest}", repo.name()),
            )
        })?;
    let len = blob.len();
    let answer = parse_range(range, len);
    let (status, start, end) = match answer {
        RangeAnswer::Full => (StatusCode::OK, 0, len.saturating_sub(1)),
        RangeAnswer::Partial { start, end } => (StatusCode::PARTIAL_CONTENT, start, end),
        RangeAnswer::Unsatisfiable => {
            let mut r = error(&ApiError::new(
                ErrorCode::RangeInvalid,
                format!(
                    "range {:?} is outside the {len}-byte blob",
                    range.unwrap_or("")
                ),
            ));
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return Ok(r);
        }
    };
    let count = if len == 0 { 0 } else { end + 1 - start };
    let body = if head || count == 0 {
        empty()
    } else {
        blob.body(start, end)
            .await
            .map_err(|e| server_error(&format!("blob {digest}"), e))?
    };
    let mut r = Response::new(body);
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        HeaderName::from_static("docker-content-digest"),
        digest_header(digest),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("\"{digest}\"")) {
        h.insert(header::ETAG, v);
    }
    if status == StatusCode::PARTIAL_CONTENT {
        if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")) {
            h.insert(header::CONTENT_RANGE, v);
        }
    }
    Ok(r)
}
