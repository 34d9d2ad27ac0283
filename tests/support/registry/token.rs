//! Our own token realm for the token-auth flavour (distribution's "Token Authentication
//! Specification"; claims per distribution 2.8 `registry/auth/token/token.go`).
//!
//! The registry trusts the self-signed certificate written to its `rootcertbundle`; every JWT
//! is signed ES256 with that certificate's P-256 key and carries the certificate (DER, base64)
//! in its `x5c` header, which is how distribution 2.8 finds the signing key.
//!
//! Policy: requests with the right Basic credentials get every action their scopes ask for;
//! anonymous requests get `pull` on repositories under `public/` and nothing else; wrong or
//! non-Basic credentials get 401. Each request is recorded (never the secret).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::json;

use crate::http::{Reply, Request, Upstream};

/// Who the token server accepts and what it writes into tokens.
#[derive(Debug, Clone)]
pub struct TokenServerConfig {
    /// The one user with full rights.
    pub user: String,
    /// That user's password (compared in the Basic header).
    pub password: String,
    /// The registry's `service` name; the default `aud` of tokens.
    pub service: String,
    /// The `iss` claim; the registry's `auth.token.issuer` must match it.
    pub issuer: String,
}

impl TokenServerConfig {
    /// A config with the harness's default service and issuer names.
    pub fn new(user: &str, password: &str) -> Self {
        TokenServerConfig {
            user: user.to_string(),
            password: password.to_string(),
            service: "layerlens-test-registry".to_string(),
            issuer: "layerlens-test-token-issuer".to_string(),
        }
    }
}

/// What the token server saw and answered, for tests to assert the dance happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// The HTTP method.
    pub method: String,
    /// The path (`/token`).
    pub path: String,
    /// The raw query string.
    pub query: String,
    /// The `service` parameter, if sent.
    pub service: Option<String>,
    /// Every `scope` parameter, decoded (several parameters and space-separated lists alike).
    pub scopes: Vec<String>,
    /// Whether an `Authorization` header was present (its value is never kept).
    pub had_authorization: bool,
    /// The user name when the credentials were right.
    pub authenticated_as: Option<String>,
    /// The status answered.
    pub status: u16,
    /// What the token granted, as `type:name:action,action` strings.
    pub granted: Vec<String>,
}

/// A signing key and its self-signed certificate.
struct Signer {
    key: EcdsaKeyPair,
    cert_der: Vec<u8>,
    cert_pem: String,
}

impl Signer {
    fn generate(common_name: &str) -> Signer {
        let key_pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .expect("generate a P-256 key");
        let mut params = rcgen::CertificateParams::new(vec![common_name.to_string()])
            .expect("certificate parameters");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, common_name);
        let cert = params.self_signed(&key_pair).expect("self-sign");
        let key = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            &key_pair.serialize_der(),
            &SystemRandom::new(),
        )
        .expect("load the key into ring");
        Signer {
            key,
            cert_der: cert.der().to_vec(),
            cert_pem: cert.pem(),
        }
    }

    /// A compact JWS (RFC 7515) with ES256: the signature is r‖s, 64 bytes (RFC 7518 §3.4).
    fn sign(&self, claims: &serde_json::Value) -> String {
        let header =
            json!({"typ": "JWT", "alg": "ES256", "x5c": [STANDARD.encode(&self.cert_der)]});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self
            .key
            .sign(&SystemRandom::new(), signing_input.as_bytes())
            .expect("ES256 signature");
        format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.as_ref())
        )
    }
}

struct State {
    config: TokenServerConfig,
    trusted: Signer,
    untrusted: Signer,
    use_untrusted: AtomicBool,
    expires_in: AtomicU64,
    next_jti: AtomicU64,
    requests: Mutex<Vec<TokenRequest>>,
}

/// A running token server on `127.0.0.1`; stops on drop.
pub struct TokenServer {
    state: Arc<State>,
    server: Upstream,
}

impl TokenServer {
    /// Generates the signing certificate and starts serving `GET /token`.
    pub fn start(config: TokenServerConfig) -> TokenServer {
        let state = Arc::new(State {
            trusted: Signer::generate(&config.issuer),
            untrusted: Signer::generate("untrusted-issuer"),
            config,
            use_untrusted: AtomicBool::new(false),
            expires_in: AtomicU64::new(300),
            next_jti: AtomicU64::new(1),
            requests: Mutex::new(Vec::new()),
        });
        let handler_state = Arc::clone(&state);
        let server = Upstream::start(move |request: &Request| handle(&handler_state, request));
        TokenServer { state, server }
    }

    /// The realm URL the registry's challenge names: `http://127.0.0.1:PORT/token`.
    pub fn realm(&self) -> String {
        format!("http://{}/token", self.server.addr())
    }

    /// `127.0.0.1:PORT`.
    pub fn host_port(&self) -> String {
        self.server.addr().to_string()
    }

    /// The service name (the `aud` of tokens unless a request names another).
    pub fn service(&self) -> &str {
        &self.state.config.service
    }

    /// The `iss` of every token.
    pub fn issuer(&self) -> &str {
        &self.state.config.issuer
    }

    /// The PEM certificate the registry must trust (its `rootcertbundle`).
    pub fn root_cert_pem(&self) -> &str {
        &self.state.trusted.cert_pem
    }

    /// Every request served so far, in order.
    pub fn requests(&self) -> Vec<TokenRequest> {
        self.state.requests.lock().expect("lock").clone()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.state.requests.lock().expect("lock").clear();
    }

    /// Lifetime of the tokens issued from now on (`expires_in` and `exp - iat`); 300 s by
    /// default. The registry allows 60 s of clock skew past `exp`.
    pub fn set_expires_in(&self, seconds: u64) {
        self.state.expires_in.store(seconds, Ordering::SeqCst);
    }

    /// When on, tokens are signed by a key the registry does not trust, so it rejects them
    /// with 401: a way to exercise "retry once with a fresh token, then report".
    pub fn sign_with_untrusted_key(&self, on: bool) {
        self.state.use_untrusted.store(on, Ordering::SeqCst);
    }

    /// Mints a token directly (no HTTP), e.g. for a test that needs one with chosen access.
    /// `access` entries are `(type, name, actions)`.
    pub fn mint(&self, subject: &str, access: &[(&str, &str, &[&str])]) -> String {
        let access: Vec<Access> = access
            .iter()
            .map(|(kind, name, actions)| Access {
                kind: kind.to_string(),
                name: name.to_string(),
                actions: actions.iter().map(|a| a.to_string()).collect(),
            })
            .collect();
        issue(&self.state, subject, &self.state.config.service, &access).0
    }
}

/// One `access` entry of the claims.
#[derive(Debug, Clone)]
struct Access {
    kind: String,
    name: String,
    actions: Vec<String>,
}

impl Access {
    /// Parses `type:name:actions`, splitting at the first and the last `:` as the scope
    /// grammar of the distribution token spec allows (`resourcetype` may carry a class in
    /// parentheses, and a name could hold a `:` such as a registry port).
    fn parse(scope: &str) -> Option<Access> {
        let (kind, rest) = scope.split_once(':')?;
        let (name, actions) = rest.rsplit_once(':')?;
        Some(Access {
            kind: kind.to_string(),
            name: name.to_string(),
            actions: actions
                .split(',')
                .filter(|a| !a.is_empty())
                .map(str::to_string)
                .collect(),
        })
    }

    fn to_claim(&self) -> serde_json::Value {
        json!({"type": self.kind, "name": self.name, "actions": self.actions})
    }

    fn describe(&self) -> String {
        format!("{}:{}:{}", self.kind, self.name, self.actions.join(","))
    }
}

fn handle(state: &State, request: &Request) -> Reply {
    let params = request.query_params();
    let service = params
        .iter()
        .find(|(k, _)| k == "service")
        .map(|(_, v)| v.clone());
    let scopes: Vec<String> = params
        .iter()
        .filter(|(k, _)| k == "scope")
        .flat_map(|(_, v)| v.split(' ').map(str::to_string).collect::<Vec<_>>())
        .filter(|s| !s.is_empty())
        .collect();
    let authorization = request.header("authorization");
    let mut record = TokenRequest {
        method: request.method.clone(),
        path: request.path.clone(),
        query: request.query.clone(),
        service: service.clone(),
        scopes: scopes.clone(),
        had_authorization: authorization.is_some(),
        authenticated_as: None,
        status: 0,
        granted: Vec::new(),
    };
    let response = (|| {
        if request.path != "/token" {
            return Reply::json(404, &json!({"error": "not found"}));
        }
        if request.method != "GET" {
            return Reply::json(405, &json!({"error": "only GET /token"}));
        }
        let user = match authorization {
            None => None,
            Some(value) if basic_matches(value, &state.config) => Some(state.config.user.clone()),
            Some(_) => {
                return Reply::json(401, &json!({"error": "invalid credentials"}))
                    .header("WWW-Authenticate", "Basic realm=\"layerlens-test-token\"");
            }
        };
        let requested: Vec<Access> = scopes.iter().filter_map(|s| Access::parse(s)).collect();
        let granted: Vec<Access> = if user.is_some() {
            requested
        } else {
            requested
                .into_iter()
                .filter(|a| a.kind == "repository" && a.name.starts_with("public/"))
                .filter(|a| a.actions.iter().any(|x| x == "pull"))
                .map(|a| Access {
                    actions: vec!["pull".to_string()],
                    ..a
                })
                .collect()
        };
        let audience = service.as_deref().unwrap_or(&state.config.service);
        let subject = user.clone().unwrap_or_default();
        let (token, expires_in, issued_at) = issue(state, &subject, audience, &granted);
        record.authenticated_as = user;
        record.granted = granted.iter().map(Access::describe).collect();
        Reply::json(
            200,
            &json!({
                "token": token,
                "access_token": token,
                "expires_in": expires_in,
                "issued_at": rfc3339(issued_at),
            }),
        )
    })();
    record.status = response.status;
    state.requests.lock().expect("lock").push(record);
    response
}

fn basic_matches(header: &str, config: &TokenServerConfig) -> bool {
    let Some(encoded) = header
        .strip_prefix("Basic ")
        .or_else(|| header.strip_prefix("basic "))
    else {
        return false;
    };
    let expected = format!("{}:{}", config.user, config.password);
    STANDARD
        .decode(encoded.trim())
        .is_ok_and(|decoded| decoded == expected.as_bytes())
}

/// Signs a token; returns it with its lifetime and issue time (seconds since the epoch).
/// Test support may read the real clock: the registry checks `exp`/`nbf` against its own.
fn issue(state: &State, subject: &str, audience: &str, access: &[Access]) -> (String, u64, u64) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    let expires_in = state.expires_in.load(Ordering::SeqCst);
    let jti = state.next_jti.fetch_add(1, Ordering::SeqCst);
    let claims = json!({
        "iss": state.config.issuer,
        "sub": subject,
        "aud": audience,
        "exp": now + expires_in,
        "nbf": now.saturating_sub(1),
        "iat": now,
        "jti": format!("layerlens-test-{jti}"),
        "access": access.iter().map(Access::to_claim).collect::<Vec<_>>(),
    });
    let signer = if state.use_untrusted.load(Ordering::SeqCst) {
        &state.untrusted
    } else {
        &state.trusted
    };
    (signer.sign(&claims), expires_in, now)
}

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the epoch (civil-from-days, proleptic Gregorian).
fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    // Runs in every test binary that includes the harness; it is microseconds.
    use super::rfc3339;

    #[test]
    fn rfc3339_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }
}
