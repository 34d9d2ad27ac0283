//! What the proxy agrees to forward, where, and how: pure decisions, tested on
//! values (the server only carries them out).
//!
//! * The allowlist: built-in public registries plus `--allow-registry`
//!   and `--insecure-registry` hosts ([`Allowlist`], [`HostPattern`]).
//! * The forwarding decision ([`decide`]): `/v2/…` of an allowed registry, or
//!   a token request to an allowed host or to a realm that an allowed
//!   registry's challenge named ([`RealmGrant`]).
//! * The scheme ([`scheme_for`]), the redirect check ([`check_redirect`]), the
//!   `Cache-Control` of a response ([`cache_control`]), the manifest cap.

use std::fmt;
use std::str::FromStr;

use crate::native::http::address::Trust;
use crate::native::http::target::{Authority, Host, PathError, Scheme};
use crate::oci::Digest;
use {super::path::ProxyPath, crate::native::http::url::UpstreamUrl};

/// The registries allowed without any flag: the well-known public ones and
/// Docker Hub's token host.
pub const DEFAULT_REGISTRIES: &[&str] = &[
    "registry-1.docker.io",
    "auth.docker.io",
    "ghcr.io",
    "quay.io",
    "gcr.io",
    "*.gcr.io",
    "*.pkg.dev",
    "public.ecr.aws",
    "mcr.microsoft.com",
    "registry.k8s.io",
    "nvcr.io",
];

/// Manifests larger than this are refused (the distribution spec's
/// recommended limit; the core caps them too).
pub const MANIFEST_CAP: u64 = 4 * 1024 * 1024;
/// Token responses larger than this are refused (a JWT is a few KiB).
pub const TOKEN_CAP: u64 = 1024 * 1024;
/// Redirects followed for one request.
pub const MAX_REDIRECTS: usize = 5;

/// Cache-Control of anonymous digest-addressed content: the bytes can never
/// change and anyone may fetch them, so any cache or CDN may keep them.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cache-Control of anything a tag or a name addresses: revalidate every time.
pub const NO_CACHE: &str = "no-cache";
/// Cache-Control of digest-addressed content fetched with credentials: the
/// browser that fetched it may keep it, a shared cache never (RFC 9111 §5.2.2.7).
pub const PRIVATE_IMMUTABLE: &str = "private, max-age=31536000, immutable";
/// Cache-Control of anything else fetched with credentials.
pub const PRIVATE_NO_CACHE: &str = "private, no-cache";
/// Cache-Control of tokens and errors: never store.
pub const NO_STORE: &str = "no-store";

/// One allowlist rule: `host`, `host:port`, `*.suffix` or `*.suffix:port`.
///
/// A rule without a port matches the host without a port or with `:443`; a
/// wildcard matches one or more labels in front of the suffix, not the suffix
/// itself (`*.gcr.io` matches `eu.gcr.io`, not `gcr.io`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern {
    wildcard: bool,
    host: Host,
    port: Option<u16>,
}

/// Why an `--allow-registry` or `--insecure-registry` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid registry host {input:?}: {reason}")]
pub struct PatternError {
    input: String,
    reason: PathError,
}

impl FromStr for HostPattern {
    type Err = PatternError;

    fn from_str(s: &str) -> Result<HostPattern, PatternError> {
        let err = |reason| PatternError {
            input: s.to_owned(),
            reason,
        };
        let (wildcard, rest) = match s.strip_prefix("*.") {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let authority = Authority::parse(rest).map_err(err)?;
        if wildcard && !matches!(authority.host(), Host::Name(_)) {
            return Err(err(PathError::BadHost(s.to_owned())));
        }
        Ok(HostPattern {
            wildcard,
            host: authority.host().clone(),
            port: authority.port(),
        })
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let star = if self.wildcard { "*." } else { "" };
        match self.port {
            Some(p) => write!(f, "{star}{}:{p}", self.host),
            None => write!(f, "{star}{}", self.host),
        }
    }
}

impl HostPattern {
    /// Whether `authority` is what this rule names.
    pub fn matches(&self, authority: &Authority) -> bool {
        let port_ok = match (self.port, authority.port()) {
            (Some(p), Some(q)) => p == q,
            (Some(_), None) => false,
            (None, p) => p.is_none() || p == Some(443),
        };
        if !port_ok {
            return false;
        }
        match (&self.host, authority.host()) {
            (Host::Name(suffix), Host::Name(name)) if self.wildcard => name
                .strip_suffix(suffix.as_str())
                .is_some_and(|head| head.len() > 1 && head.ends_with('.')),
            (a, b) => !self.wildcard && a == b,
        }
    }
}

/// The registries the proxy talks to, and those it may talk to in plain HTTP.
#[derive(Debug, Clone)]
pub struct Allowlist {
    builtin: Vec<HostPattern>,
    operator: Vec<HostPattern>,
    insecure: Vec<HostPattern>,
}

impl Default for Allowlist {
    fn default() -> Self {
        Allowlist::with_defaults()
    }
}

impl Allowlist {
    /// The built-in registries only ([`DEFAULT_REGISTRIES`]).
    pub fn with_defaults() -> Allowlist {
        let builtin = DEFAULT_REGISTRIES
            .iter()
            .filter_map(|s| s.parse().ok())
            .collect();
        Allowlist {
            builtin,
            operator: Vec::new(),
            insecure: Vec::new(),
        }
    }

    /// Adds an `--allow-registry` host: trusted at [`Trust::Operator`].
    pub fn allow(&mut self, pattern: HostPattern) {
        self.operator.push(pattern);
    }

    /// Adds an `--insecure-registry` host: allowed, and spoken to in plain HTTP.
    pub fn insecure(&mut self, pattern: HostPattern) {
        self.operator.push(pattern.clone());
        self.insecure.push(pattern);
    }

    /// The trust of an allowed host, `None` when it is not allowed.
    pub fn lookup(&self, authority: &Authority) -> Option<Trust> {
        if self.operator.iter().any(|p| p.matches(authority)) {
            Some(Trust::Operator)
        } else if self.builtin.iter().any(|p| p.matches(authority)) {
            Some(Trust::Public)
        } else {
            None
        }
    }

    /// Whether plain HTTP was asked for this host.
    pub fn is_insecure(&self, authority: &Authority) -> bool {
        self.insecure.iter().any(|p| p.matches(authority))
    }
}

/// The scheme for a host: HTTPS, except plain HTTP for `--insecure-registry`
/// hosts and for loopback hosts the operator allowed (as Docker treats
/// `localhost`).
pub fn scheme_for(authority: &Authority, trust: Trust, allowlist: &Allowlist) -> Scheme {
    if allowlist.is_insecure(authority)
        || (trust == Trust::Operator && authority.host().is_loopback())
    {
        Scheme::Http
    } else {
        Scheme::Https
    }
}

/// What a realm host may be asked for: remembered when an allowed registry's
/// challenge names it, with the trust of that registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RealmGrant {
    /// The trust of the registry whose challenge named the realm.
    pub trust: Trust,
    /// The scheme the realm was named with (HTTPS unless plain HTTP is
    /// allowed for the realm host itself).
    pub scheme: Scheme,
}

impl RealmGrant {
    /// The grant for a realm URL named by a registry trusted `trust`: plain
    /// HTTP only survives where [`scheme_for`] would choose it too.
    pub fn for_realm(realm: &UpstreamUrl, trust: Trust, allowlist: &Allowlist) -> RealmGrant {
        let scheme = match realm.scheme() {
            Scheme::Http if scheme_for(realm.authority(), trust, allowlist) == Scheme::Http => {
                Scheme::Http
            }
            _ => Scheme::Https,
        };
        RealmGrant { trust, scheme }
    }
}

/// What a forwarded request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// A distribution API call (`/v2/…`) to an allowed registry.
    Registry,
    /// A token request to a realm.
    Token,
}

/// The decision to forward: where, how, and with which trust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forward {
    /// Registry call or token request.
    pub kind: RequestKind,
    /// Which addresses the destination may have.
    pub trust: Trust,
    /// The first upstream URL.
    pub url: UpstreamUrl,
}

/// Why a well-formed request is not forwarded (403).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The host is neither an allowed registry nor a realm one named.
    #[error("the host {0} is not on the proxy's allowlist")]
    HostNotAllowed(Authority),
    /// A redirect to plain HTTP on a host where HTTPS is required.
    #[error("redirect to plain http://{0} refused (only allowed loopback or --insecure-registry hosts may use http)")]
    InsecureRedirect(Authority),
    /// The target is this very server, on a path that is not its own
    /// registry: forwarding it would only loop.
    #[error("{0} is this server: the proxy does not forward to itself")]
    SelfTarget(Authority),
    /// The request already passed through this proxy (its `Via` names it).
    #[error("this request has already passed through this proxy (a forwarding loop)")]
    Loop,
    /// An upstream path under `/proxy/`: one proxy asking another (or
    /// itself) to forward again. Registries and realms never live there.
    #[error("upstream paths under /proxy/ are refused: the proxy does not chain")]
    ProxyChain,
}

/// Whether a path is the distribution API (`/v2/` and below).
pub fn is_registry_path(path: &str) -> bool {
    path == "/v2" || path.starts_with("/v2/")
}

/// The forwarding decision for a parsed proxy path. `realm` is what the
/// server remembers about the host as a realm (see [`RealmGrant`]).
///
/// * an allowed host, `/v2/…` → a registry call;
/// * an allowed host, another path → a token request (the realms of the
///   built-in registries are on their own allowed hosts, e.g. `auth.docker.io/token`,
///   `ghcr.io/token`, which keeps several proxy copies stateless for them);
/// * a host an allowed registry named as its realm in this process → a token
///   request, with that registry's trust (the caller looks the grant up by
///   host *and* path: a realm opens its own path, not its whole host);
/// * an upstream path under `/proxy/` → [`Refusal::ProxyChain`];
/// * anything else → [`Refusal::HostNotAllowed`].
pub fn decide(
    path: &ProxyPath,
    allowlist: &Allowlist,
    realm: Option<RealmGrant>,
) -> Result<Forward, Refusal> {
    let authority = path.authority();
    if path.path() == "/proxy" || path.path().starts_with("/proxy/") {
        return Err(Refusal::ProxyChain);
    }
    if let Some(trust) = allowlist.lookup(authority) {
        let kind = if is_registry_path(path.path()) {
            RequestKind::Registry
        } else {
            RequestKind::Token
        };
        let scheme = scheme_for(authority, trust, allowlist);
        return Ok(Forward {
            kind,
            trust,
            url: path.with_scheme(scheme),
        });
    }
    if let Some(grant) = realm {
        return Ok(Forward {
            kind: RequestKind::Token,
            trust: grant.trust,
            url: path.with_scheme(grant.scheme),
        });
    }
    Err(Refusal::HostNotAllowed(authority.clone()))
}

/// The trust of a redirect target: blob storage is on no allowlist, so a
/// target is [`Trust::Public`] (public addresses only) unless the operator
/// allowed that very host. Plain HTTP is refused where [`scheme_for`] would
/// not choose it.
pub fn check_redirect(target: &UpstreamUrl, allowlist: &Allowlist) -> Result<Trust, Refusal> {
    let trust = allowlist
        .lookup(target.authority())
        .unwrap_or(Trust::Public);
    if target.scheme() == Scheme::Http
        && scheme_for(target.authority(), trust, allowlist) != Scheme::Http
    {
        return Err(Refusal::InsecureRedirect(target.authority().clone()));
    }
    Ok(trust)
}

/// Whether a path addresses content by digest: `…/blobs/<digest>` or
/// `…/manifests/<digest>` with a well-formed digest.
pub fn is_digest_addressed(path: &str) -> bool {
    let Some((head, last)) = path.rsplit_once('/') else {
        return false;
    };
    (head.ends_with("/blobs") || head.ends_with("/manifests"))
        && last.contains(':')
        && Digest::from_str(last).is_ok()
}

/// Whether a path is a manifest (capped at [`MANIFEST_CAP`]).
pub fn is_manifest_path(path: &str) -> bool {
    path.contains("/manifests/")
}

/// The body cap for a response to `kind` at `path`, if any.
pub fn body_cap(kind: RequestKind, path: &str) -> Option<u64> {
    match kind {
        RequestKind::Token => Some(TOKEN_CAP),
        RequestKind::Registry if is_manifest_path(path) => Some(MANIFEST_CAP),
        RequestKind::Registry => None,
    }
}

/// Who a response was fetched for, as far as caches are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No credentials, or a token this proxy saw issued to an anonymous
    /// request: anyone may fetch the same bytes.
    Anonymous,
    /// Basic credentials, or a token the proxy cannot vouch for: the answer
    /// may be private to whoever holds them.
    Credentialed,
}

/// The `Cache-Control` the proxy sets (the upstream's is dropped):
///
/// * tokens and errors: never stored;
/// * anonymous, digest-addressed successes: `public, immutable`, so any cache
///   or CDN in front may keep them forever;
/// * credentialed ones: `private` (RFC 9111 §3.5 lets a shared cache store a
///   response to an authorised request when it says `public`, so it must not);
/// * anything addressed by tag or name: revalidated every time.
pub fn cache_control(kind: RequestKind, path: &str, status: u16, access: Access) -> &'static str {
    let success = (200..300).contains(&status) || status == 304;
    let digest = is_digest_addressed(path);
    match (kind, access) {
        (RequestKind::Token, _) => NO_STORE,
        _ if !success => NO_STORE,
        (_, Access::Anonymous) if digest => IMMUTABLE,
        (_, Access::Anonymous) => NO_CACHE,
        (_, Access::Credentialed) if digest => PRIVATE_IMMUTABLE,
        (_, Access::Credentialed) => PRIVATE_NO_CACHE,
    }
}
