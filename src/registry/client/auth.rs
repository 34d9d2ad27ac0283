//! The authentication dance: Bearer tokens per scope (cached until they
//! expire, replaced once when refused), Basic credentials, challenges.

use super::*;
use crate::registry::codes::parse_error_body;

impl<F: Fetch, C: Fn() -> u64> Client<F, C> {
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
        let body = exchange::read_body(&realm_host, &mut response, MAX_SMALL_BODY).await?;
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

    /// The request that opens a blob's stream, with the authorization this
    /// client holds for it now, for a shell that streams the blob elsewhere
    /// (the page hands it to a Web Worker). From a token registry that is a
    /// Bearer token scoped to this repository's pull, never the user's
    /// credentials; a Basic-auth registry has nothing narrower than the
    /// credentials header itself. The host's challenge must already be known
    /// (resolving the image learns it); a stream that still gets a 401 is for
    /// [`Client::blob`] to retry.
    pub async fn blob_request(
        &self,
        reference: &Reference,
        digest: &Digest,
    ) -> Result<Request, RegistryError> {
        let endpoint = self.endpoint(reference);
        let scope = pull_scope(reference.path());
        let mut headers = Headers::new();
        if let Some(a) = self.authorization(endpoint.host(), &scope, false).await? {
            headers.push("Authorization", a);
        }
        Ok(Request {
            method: Method::Get,
            url: endpoint.blob_url(reference.path(), digest),
            headers,
        })
    }

    /// The API version check (`GET /v2/`): tells whether the host speaks the
    /// distribution API and, from a 401, which authentication it wants (the
    /// challenge is remembered for later requests).
    pub async fn ping(&self, endpoint: &Endpoint) -> Result<Ping, RegistryError> {
        let registry = endpoint.host().to_owned();
        let mut response = self
            .raw(
                &registry,
                Request {
                    method: Method::Get,
                    url: endpoint.ping_url(),
                    headers: Headers::new(),
                },
            )
            .await?;
        let version = response
            .headers
            .get("docker-distribution-api-version")
            .map(str::to_owned);
        let status = response.status;
        let auth = if status == 401 {
            self.learn_challenge(&registry, &response.headers)?
        } else {
            None
        };
        super::discard(&mut response.body).await;
        match (status, auth) {
            (200..=299, _) => Ok(Ping {
                version,
                auth: None,
            }),
            (401, Some(HostAuth::Bearer { realm, .. })) => Ok(Ping {
                version,
                auth: Some(format!("bearer token from {realm}")),
            }),
            (401, Some(HostAuth::Basic)) => Ok(Ping {
                version,
                auth: Some("basic".into()),
            }),
            _ => Err(RegistryError::from_status(
                &registry,
                status,
                "/v2/",
                &[],
                self.rate_limit(),
            )),
        }
    }
}

/// What a registry's `/v2/` answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ping {
    /// `Docker-Distribution-API-Version`, when sent (`registry/2.0`).
    pub version: Option<String>,
    /// The authentication it asks for, `None` when open.
    pub auth: Option<String>,
}
