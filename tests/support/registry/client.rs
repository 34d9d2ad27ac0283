//! A blocking client for the harness itself (ureq): raw requests with the flavour's
//! authentication, never to anything but loopback. The distribution API on top of it is in
//! `distribution_api.rs`.
//!
//! Authentication is not a dance: for the token flavour the client asks the token server
//! directly for the scope the request needs (`repository:NAME:pull` for reads, `pull,push` for
//! uploads, `delete` for deletes, `registry:catalog:*` for the catalog) and caches the token.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::response::{err, HarnessError, HarnessResult, HttpResponse};

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

    pub(super) fn url(&self, target: &str) -> HarnessResult<String> {
        let url = if target.starts_with('/') {
            format!("{}{target}", self.base)
        } else {
            target.to_string()
        };
        check_loopback(&url)?;
        Ok(url)
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
