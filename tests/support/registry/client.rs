//! A blocking client for the harness itself (ureq): raw requests with the flavour's
//! authentication, and the distribution upload API (distribution spec, "Pushing blobs",
//! "Pushing manifests", "Content discovery", "Content management"), implemented here
//! independently of the product's registry module.
//!
//! Authentication is not a dance: for the token flavour the client asks the token server
//! directly for the scope the request needs (`repository:NAME:pull` for reads, `pull,push` for
//! uploads, `delete` for deletes, `registry:catalog:*` for the catalog) and caches the token.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::digest::sha256_digest;

/// A harness failure with enough context to debug a test from its panic message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HarnessError(pub String);

impl std::fmt::Display for HarnessError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HarnessError {}

/// Results of harness operations that a negative test may want to observe failing.
pub type HarnessResult<T> = Result<T, HarnessError>;

fn err<T>(message: impl Into<String>) -> HarnessResult<T> {
    Err(HarnessError(message.into()))
}

/// A whole response: status, headers in order (names as sent, compare case-insensitively),
/// and the body read to the end (empty for `HEAD`).
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Every header, in order, repeated names kept.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every header named `name` (case-insensitive), in order.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; panics with the body if it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("response body is not JSON ({e}): {}", self.text()))
    }

    /// The distribution error codes of an error body (`{"errors":[{"code":…}]}`), if any.
    pub fn error_codes(&self) -> Vec<String> {
        serde_json::from_slice::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|v| v.get("errors").and_then(|e| e.as_array()).cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|e| e.get("code").and_then(|c| c.as_str()).map(str::to_string))
            .collect()
    }

    fn describe(&self) -> String {
        format!("HTTP {}: {}", self.status, self.text())
    }
}

/// How the client authenticates.
#[derive(Debug, Clone)]
enum Auth {
    None,
    Basic {
        user: String,
        password: String,
    },
    Token {
        realm: String,
        service: String,
        credentials: Option<(String, String)>,
    },
}

/// A blocking HTTP client bound to one registry base URL on loopback.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    auth: Auth,
    tokens: Mutex<HashMap<String, String>>,
}

/// Accept list covering every manifest kind, for callers that do not care which.
pub const ACCEPT_ALL_MANIFESTS: &[&str] = &[
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];

/// Refuses anything that is not plain HTTP to the loopback address: the harness must never
/// send a packet elsewhere, whatever a server answers.
fn check_loopback(url: &str) -> HarnessResult<()> {
    let ok = ["http://127.0.0.1:", "http://[::1]:", "http://localhost:"]
        .iter()
        .any(|prefix| url.starts_with(prefix));
    if ok {
        Ok(())
    } else {
        err(format!("refusing a non-loopback URL: {url}"))
    }
}

impl Client {
    fn new(base_url: &str, auth: Auth) -> Client {
        check_loopback(base_url).unwrap_or_else(|e| panic!("{e}"));
        if let Auth::Token { realm, .. } = &auth {
            check_loopback(realm).unwrap_or_else(|e| panic!("{e}"));
        }
        let config = ureq::Agent::config_builder()
            // Never a proxy from the environment: every packet goes to 127.0.0.1.
            .proxy(None)
            .http_status_as_error(false)
            // Redirects are returned to the caller, not followed.
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_connect(Some(Duration::from_secs(5)))
            .timeout_per_read(Some(Duration::from_secs(30)))
            .timeout_per_write(Some(Duration::from_secs(30)))
            .build();
        Client {
            agent: ureq::Agent::new_with_config(config),
            base: base_url.trim_end_matches('/').to_string(),
            auth,
            tokens: Mutex::new(HashMap::new()),
        }
    }

    /// A client that sends no credentials (to an open registry, or to see the 401s).
    pub fn anonymous(base_url: &str) -> Client {
        Client::new(base_url, Auth::None)
    }

    /// A client that sends `Authorization: Basic` on every request.
    pub fn basic(base_url: &str, user: &str, password: &str) -> Client {
        Client::new(
            base_url,
            Auth::Basic {
                user: user.to_string(),
                password: password.to_string(),
            },
        )
    }

    /// A client that fetches bearer tokens from `realm` for `service`, with Basic
    /// `credentials` to the token server or anonymously.
    pub fn token(
        base_url: &str,
        realm: &str,
        service: &str,
        credentials: Option<(&str, &str)>,
    ) -> Client {
        Client::new(
            base_url,
            Auth::Token {
                realm: realm.to_string(),
                service: service.to_string(),
                credentials: credentials.map(|(u, p)| (u.to_string(), p.to_string())),
            },
        )
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Forgets cached bearer tokens.
    pub fn clear_tokens(&self) {
        self.tokens.lock().expect("lock").clear();
    }

    /// Sends one request with no authentication at all, whatever the client's mode.
    /// `target` is a path (`/v2/…`) or an absolute loopback URL.
    pub fn send_unauthenticated(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> HarnessResult<HttpResponse> {
        let url = self.url(target)?;
        self.exchange(method, &url, headers, body)
    }

    /// Sends one request with the client's authentication for the scope the path implies.
    pub fn send(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> HarnessResult<HttpResponse> {
        let url = self.url(target)?;
        let authorization = self.authorization(method, &url)?;
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        if let Some(value) = &authorization {
            all.push(("Authorization", value));
        }
        self.exchange(method, &url, &all, body)
    }

    /// `GET` with authentication; panics on a transport error (not on an HTTP error status).
    pub fn get(&self, target: &str, headers: &[(&str, &str)]) -> HttpResponse {
        self.send("GET", target, headers, None)
            .unwrap_or_else(|e| panic!("GET {target}: {e}"))
    }

    /// `HEAD` with authentication; panics on a transport error.
    pub fn head(&self, target: &str, headers: &[(&str, &str)]) -> HttpResponse {
        self.send("HEAD", target, headers, None)
            .unwrap_or_else(|e| panic!("HEAD {target}: {e}"))
    }

    /// A token for `scopes` from the token server (token flavour only).
    pub fn fetch_token(&self, scopes: &[&str]) -> HarnessResult<String> {
        let Auth::Token {
            realm,
            service,
            credentials,
        } = &self.auth
        else {
            return err("fetch_token on a client without token auth");
        };
        let mut url = format!("{realm}?service={}", encode_query(service));
        for scope in scopes {
            url.push_str(&format!("&scope={}", encode_query(scope)));
        }
        let basic = credentials.as_ref().map(|(u, p)| basic_header(u, p));
        let headers: Vec<(&str, &str)> = basic
            .iter()
            .map(|value| ("Authorization", value.as_str()))
            .collect();
        let response = self.exchange("GET", &url, &headers, None)?;
        if response.status != 200 {
            return err(format!("token request {url}: {}", response.describe()));
        }
        match response.json().get("token").and_then(|t| t.as_str()) {
            Some(token) => Ok(token.to_string()),
            None => err(format!(
                "token response without a token: {}",
                response.text()
            )),
        }
    }

    /// Uploads `bytes` as a blob of `repo` with one `POST` and a monolithic `PUT ?digest=`;
    /// returns its digest.
    pub fn push_blob(&self, repo: &str, bytes: &[u8]) -> String {
        self.try_push_blob(repo, bytes)
            .unwrap_or_else(|e| panic!("push blob to {repo}: {e}"))
    }

    /// [`Client::push_blob`] that reports failure instead of panicking.
    pub fn try_push_blob(&self, repo: &str, bytes: &[u8]) -> HarnessResult<String> {
        let digest = sha256_digest(bytes);
        let location = self.start_upload(repo)?;
        let url = with_query(&location, &format!("digest={digest}"));
        let response = self.send(
            "PUT",
            &url,
            &[("Content-Type", "application/octet-stream")],
            Some(bytes),
        )?;
        self.finish_upload(response, &digest)
    }

    /// Uploads `bytes` in `PATCH` chunks of `chunk_size` bytes (`Content-Range` each), then
    /// closes the upload with an empty `PUT ?digest=`; returns the digest.
    pub fn push_blob_chunked(&self, repo: &str, bytes: &[u8], chunk_size: usize) -> String {
        self.try_push_blob_chunked(repo, bytes, chunk_size)
            .unwrap_or_else(|e| panic!("chunked push to {repo}: {e}"))
    }

    /// [`Client::push_blob_chunked`] that reports failure instead of panicking.
    pub fn try_push_blob_chunked(
        &self,
        repo: &str,
        bytes: &[u8],
        chunk_size: usize,
    ) -> HarnessResult<String> {
        assert!(chunk_size > 0, "chunk_size must be positive");
        let digest = sha256_digest(bytes);
        let mut location = self.start_upload(repo)?;
        let mut offset = 0;
        for chunk in bytes.chunks(chunk_size) {
            let range = format!("{}-{}", offset, offset + chunk.len() - 1);
            let response = self.send(
                "PATCH",
                &location,
                &[
                    ("Content-Type", "application/octet-stream"),
                    ("Content-Range", &range),
                ],
                Some(chunk),
            )?;
            if response.status != 202 {
                return err(format!("PATCH {range}: {}", response.describe()));
            }
            location = self.location(&response)?;
            offset += chunk.len();
        }
        let url = with_query(&location, &format!("digest={digest}"));
        let response = self.send("PUT", &url, &[], Some(&[]))?;
        self.finish_upload(response, &digest)
    }

    fn start_upload(&self, repo: &str) -> HarnessResult<String> {
        let response = self.send(
            "POST",
            &format!("/v2/{repo}/blobs/uploads/"),
            &[],
            Some(&[]),
        )?;
        if response.status != 202 {
            return err(format!("POST upload to {repo}: {}", response.describe()));
        }
        self.location(&response)
    }

    fn finish_upload(&self, response: HttpResponse, digest: &str) -> HarnessResult<String> {
        if response.status != 201 {
            return err(format!("PUT blob {digest}: {}", response.describe()));
        }
        match response.header("Docker-Content-Digest") {
            Some(d) if d == digest => Ok(digest.to_string()),
            other => err(format!(
                "registry stored blob {digest} as {other:?} (Docker-Content-Digest)"
            )),
        }
    }

    /// `PUT /v2/<repo>/manifests/<reference>` with `Content-Type: media_type`; returns the
    /// digest, checked against the registry's `Docker-Content-Digest`.
    pub fn push_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> String {
        self.try_push_manifest(repo, reference, media_type, bytes)
            .unwrap_or_else(|e| panic!("push manifest {repo}:{reference}: {e}"))
    }

    /// [`Client::push_manifest`] that reports failure instead of panicking.
    pub fn try_push_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> HarnessResult<String> {
        let digest = sha256_digest(bytes);
        let response = self.send(
            "PUT",
            &format!("/v2/{repo}/manifests/{reference}"),
            &[("Content-Type", media_type)],
            Some(bytes),
        )?;
        if response.status != 201 {
            return err(format!(
                "PUT manifest {repo}:{reference}: {}",
                response.describe()
            ));
        }
        match response.header("Docker-Content-Digest") {
            Some(d) if d == digest => Ok(digest),
            other => err(format!(
                "registry stored manifest {digest} as {other:?} (Docker-Content-Digest)"
            )),
        }
    }

    /// `GET` a manifest by tag or digest with `accept` (joined into one `Accept` header).
    pub fn get_manifest(&self, repo: &str, reference: &str, accept: &[&str]) -> HttpResponse {
        self.get(
            &format!("/v2/{repo}/manifests/{reference}"),
            &[("Accept", &accept.join(", "))],
        )
    }

    /// `HEAD` a manifest by tag or digest with `accept`.
    pub fn head_manifest(&self, repo: &str, reference: &str, accept: &[&str]) -> HttpResponse {
        self.head(
            &format!("/v2/{repo}/manifests/{reference}"),
            &[("Accept", &accept.join(", "))],
        )
    }

    /// `GET` a blob (redirects are returned, not followed).
    pub fn get_blob(&self, repo: &str, digest: &str) -> HttpResponse {
        self.get(&format!("/v2/{repo}/blobs/{digest}"), &[])
    }

    /// Every tag of `repo` (one `GET /v2/<repo>/tags/list`, as distribution 2.8 returns all);
    /// panics unless the answer is 200.
    pub fn tags(&self, repo: &str) -> Vec<String> {
        let response = self.get(&format!("/v2/{repo}/tags/list"), &[]);
        assert_eq!(
            response.status,
            200,
            "tags of {repo}: {}",
            response.describe()
        );
        response.json()["tags"]
            .as_array()
            .map(|tags| {
                tags.iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `DELETE /v2/<repo>/manifests/<digest>` (the registry must have deletes enabled, which
    /// the harness's config does); panics unless 202.
    pub fn delete_manifest(&self, repo: &str, digest: &str) {
        self.try_delete_manifest(repo, digest)
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// [`Client::delete_manifest`] that reports failure instead of panicking.
    pub fn try_delete_manifest(&self, repo: &str, digest: &str) -> HarnessResult<()> {
        let response = self.send(
            "DELETE",
            &format!("/v2/{repo}/manifests/{digest}"),
            &[],
            None,
        )?;
        if response.status == 202 {
            Ok(())
        } else {
            err(format!(
                "DELETE manifest {repo}@{digest}: {}",
                response.describe()
            ))
        }
    }

    fn url(&self, target: &str) -> HarnessResult<String> {
        let url = if target.starts_with('/') {
            format!("{}{target}", self.base)
        } else {
            target.to_string()
        };
        check_loopback(&url)?;
        Ok(url)
    }

    fn location(&self, response: &HttpResponse) -> HarnessResult<String> {
        match response.header("Location") {
            Some(location) => self.url(location),
            None => err(format!("no Location in {}", response.describe())),
        }
    }

    /// The `Authorization` value for `method url`, fetching a token when needed.
    fn authorization(&self, method: &str, url: &str) -> HarnessResult<Option<String>> {
        match &self.auth {
            Auth::None => Ok(None),
            Auth::Basic { user, password } => Ok(Some(basic_header(user, password))),
            Auth::Token { .. } => {
                let path = url
                    .split_once("://")
                    .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
                    .unwrap_or("/");
                let scope = scope_for(method, path);
                if let Some(token) = self.tokens.lock().expect("lock").get(&scope) {
                    return Ok(Some(format!("Bearer {token}")));
                }
                let scopes: Vec<&str> = if scope.is_empty() {
                    Vec::new()
                } else {
                    vec![scope.as_str()]
                };
                let token = self.fetch_token(&scopes)?;
                self.tokens
                    .lock()
                    .expect("lock")
                    .insert(scope, token.clone());
                Ok(Some(format!("Bearer {token}")))
            }
        }
    }

    fn exchange(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> HarnessResult<HttpResponse> {
        check_loopback(url)?;
        let mut builder = ureq::http::Request::builder().method(method).uri(url);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let result = match body {
            Some(bytes) => builder
                .body(bytes)
                .map_err(|e| HarnessError(format!("{method} {url}: {e}")))
                .and_then(|request| {
                    self.agent
                        .run(request)
                        .map_err(|e| HarnessError(format!("{method} {url}: {e}")))
                }),
            None => builder
                .body(())
                .map_err(|e| HarnessError(format!("{method} {url}: {e}")))
                .and_then(|request| {
                    self.agent
                        .run(request)
                        .map_err(|e| HarnessError(format!("{method} {url}: {e}")))
                }),
        };
        let mut response = result?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = if method == "HEAD" {
            Vec::new()
        } else {
            response
                .body_mut()
                .with_config()
                .limit(u64::MAX)
                .read_to_vec()
                .map_err(|e| HarnessError(format!("{method} {url}: reading the body: {e}")))?
        };
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

/// The token scope a distribution request needs (distribution 2.8 `handlers/app.go`,
/// `appendAccessRecords`): `""` for `/v2/` itself.
fn scope_for(method: &str, path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    if path.starts_with("/v2/_catalog") {
        return "registry:catalog:*".to_string();
    }
    let Some(rest) = path.strip_prefix("/v2/") else {
        return String::new();
    };
    let name = ["/manifests/", "/blobs/", "/tags/list"]
        .iter()
        .filter_map(|marker| rest.rfind(marker))
        // The route's marker is the last one: what follows it (a tag, a digest, an upload
        // id) holds no `/`, while a repository name may contain `blobs` as a component.
        .max()
        .map(|i| &rest[..i]);
    let Some(name) = name else {
        return String::new();
    };
    let actions = match method {
        "GET" | "HEAD" => "pull",
        "DELETE" => "delete",
        _ => "pull,push",
    };
    format!("repository:{name}:{actions}")
}

fn basic_header(user: &str, password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
fn encode_query(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Appends `pair` to `url`'s query.
fn with_query(url: &str, pair: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{pair}")
}
