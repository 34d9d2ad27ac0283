//! Where requests go: the registry endpoint for a reference (scheme and API
//! host), the distribution API paths, token endpoint URLs and credentials
//! headers. Pure string building, no I/O.

use crate::oci::base64::base64_encode;
use crate::oci::{Digest, Reference};

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// TLS, the default for every registry.
    Https,
    /// Plain HTTP: loopback registries (as Docker treats them) and hosts the
    /// user marked insecure.
    Http,
}

impl Scheme {
    /// The URL scheme.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Https => "https",
            Scheme::Http => "http",
        }
    }
}

/// A registry's API base: scheme plus `host[:port]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    scheme: Scheme,
    host: String,
}

/// Whether a `host[:port]` names the local machine (`localhost`,
/// `127.0.0.0/8`, `[::1]`): Docker talks plain HTTP to those by default.
pub fn is_loopback_host(host_port: &str) -> bool {
    let host = if let Some(rest) = host_port.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host_port.rsplit_once(':').map_or(host_port, |(h, p)| {
            if p.bytes().all(|b| b.is_ascii_digit()) {
                h
            } else {
                host_port
            }
        })
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => false,
    }
}

impl Endpoint {
    /// The endpoint for a normalised reference: Docker Hub's API host for
    /// `docker.io`, HTTP for loopback or `insecure` hosts, HTTPS otherwise.
    pub fn for_reference(reference: &Reference, insecure: &[String]) -> Endpoint {
        Endpoint::for_host(reference.registry_host(), insecure)
    }

    /// The endpoint for an API host (`host[:port]`).
    pub fn for_host(host: &str, insecure: &[String]) -> Endpoint {
        let plain = is_loopback_host(host) || insecure.iter().any(|h| h.eq_ignore_ascii_case(host));
        Endpoint {
            scheme: if plain { Scheme::Http } else { Scheme::Https },
            host: host.to_owned(),
        }
    }

    /// The scheme in use.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// `host[:port]`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// An absolute URL for an API path (which starts with `/`).
    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}://{}{}", self.scheme.as_str(), self.host, path_and_query)
    }

    /// The API version check, `/v2/`.
    pub fn ping_url(&self) -> String {
        self.url("/v2/")
    }

    /// A manifest by tag or digest.
    pub fn manifest_url(&self, repository: &str, tag_or_digest: &str) -> String {
        self.url(&format!("/v2/{repository}/manifests/{tag_or_digest}"))
    }

    /// A blob by digest.
    pub fn blob_url(&self, repository: &str, digest: &Digest) -> String {
        self.url(&format!("/v2/{repository}/blobs/{digest}"))
    }

    /// The first page of a repository's tags.
    pub fn tags_url(&self, repository: &str, page_size: Option<u32>) -> String {
        match page_size {
            Some(n) => self.url(&format!("/v2/{repository}/tags/list?n={n}")),
            None => self.url(&format!("/v2/{repository}/tags/list")),
        }
    }

    /// The referrers of a manifest (OCI distribution spec 1.1, "Listing
    /// Referrers"), optionally filtered by `artifactType`.
    pub fn referrers_url(
        &self,
        repository: &str,
        digest: &Digest,
        artifact_type: Option<&str>,
    ) -> String {
        match artifact_type {
            Some(t) => self.url(&format!(
                "/v2/{repository}/referrers/{digest}?artifactType={}",
                encode_query_value(t)
            )),
            None => self.url(&format!("/v2/{repository}/referrers/{digest}")),
        }
    }

    /// The first page of the registry's catalog (where the registry allows it).
    pub fn catalog_url(&self, page_size: Option<u32>) -> String {
        match page_size {
            Some(n) => self.url(&format!("/v2/_catalog?n={n}")),
            None => self.url("/v2/_catalog"),
        }
    }

    /// Resolves a `Link` target (absolute, or a path on this registry).
    ///
    /// A target the layerlens proxy rewrote (`/proxy/<host[:port]>/<path>`)
    /// names the registry URL `<scheme>://<host[:port]>/<path>` again, so
    /// pagination works the same through the proxy and without it.
    pub fn resolve_link(&self, target: &str) -> String {
        if target.starts_with("http://") || target.starts_with("https://") {
            target.to_owned()
        } else if let Some(rest) = target.strip_prefix("/proxy/") {
            format!("{}://{rest}", self.scheme.as_str())
        } else if target.starts_with('/') {
            self.url(target)
        } else {
            self.url(&format!("/{target}"))
        }
    }
}

/// The pull scope for a repository, as token servers expect it.
pub fn pull_scope(repository: &str) -> String {
    format!("repository:{repository}:pull")
}

/// Percent-encodes a query component (everything but RFC 3986 unreserved).
pub fn encode_query_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The token endpoint URL for a Bearer challenge's realm, service and scope.
pub fn token_url(realm: &str, service: Option<&str>, scope: Option<&str>) -> String {
    let mut url = realm.to_owned();
    let mut sep = if realm.contains('?') { '&' } else { '?' };
    if let Some(service) = service {
        url.push(sep);
        url.push_str("service=");
        url.push_str(&encode_query_value(service));
        sep = '&';
    }
    if let Some(scope) = scope {
        url.push(sep);
        url.push_str("scope=");
        url.push_str(&encode_query_value(scope));
    }
    url
}

/// The host (`host[:port]`) part of an absolute URL, lower-cased, for
/// deciding whether a credential may be sent there.
pub fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    Some(authority.to_ascii_lowercase())
}

/// `Basic …` credentials for a user name and password (or token).
pub fn basic_auth_value(username: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64_encode(format!("{username}:{password}").as_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_uses_its_api_host_over_https() {
        let r = Reference::parse_normalized("alpine").unwrap();
        let e = Endpoint::for_reference(&r, &[]);
        assert_eq!(e.scheme(), Scheme::Https);
        assert_eq!(
            e.manifest_url(r.path(), "latest"),
            "https://registry-1.docker.io/v2/library/alpine/manifests/latest"
        );
    }

    #[test]
    fn loopback_and_insecure_hosts_use_http() {
        for h in [
            "localhost:5000",
            "127.0.0.1:5000",
            "127.1.2.3",
            "[::1]:5000",
            "LOCALHOST",
        ] {
            assert!(is_loopback_host(h), "{h}");
            assert_eq!(Endpoint::for_host(h, &[]).scheme(), Scheme::Http, "{h}");
        }
        for h in [
            "example.com",
            "10.0.0.1:5000",
            "localhost.example.com",
            "[::2]:1",
        ] {
            assert!(!is_loopback_host(h), "{h}");
        }
        let e = Endpoint::for_host("reg.lan:5000", &["reg.lan:5000".into()]);
        assert_eq!(e.scheme(), Scheme::Http);
        assert_eq!(
            Endpoint::for_host("reg.lan:5000", &[]).scheme(),
            Scheme::Https
        );
    }

    #[test]
    fn token_urls_encode_scope() {
        assert_eq!(
            token_url(
                "https://auth.docker.io/token",
                Some("registry.docker.io"),
                Some("repository:library/alpine:pull")
            ),
            "https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Alibrary%2Falpine%3Apull"
        );
        assert_eq!(
            token_url("https://t/x?a=1", None, Some("s")),
            "https://t/x?a=1&scope=s"
        );
    }

    #[test]
    fn link_resolution_and_hosts() {
        let e = Endpoint::for_host("127.0.0.1:5000", &[]);
        assert_eq!(
            e.resolve_link("/v2/a/tags/list?n=2&last=b"),
            "http://127.0.0.1:5000/v2/a/tags/list?n=2&last=b"
        );
        assert_eq!(e.resolve_link("https://x/y"), "https://x/y");
        // A link the proxy rewrote names the registry URL again.
        assert_eq!(
            e.resolve_link("/proxy/127.0.0.1:5000/v2/a/tags/list?n=2&last=b"),
            "http://127.0.0.1:5000/v2/a/tags/list?n=2&last=b"
        );
        assert_eq!(
            url_host("https://Auth.Docker.io/token?x").as_deref(),
            Some("auth.docker.io")
        );
        assert_eq!(url_host("https://u:p@evil/").as_deref(), None);
    }

    #[test]
    fn basic_credentials() {
        assert_eq!(basic_auth_value("user", "pass"), "Basic dXNlcjpwYXNz");
    }
}
