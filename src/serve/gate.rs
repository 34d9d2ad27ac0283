//! Who may use this server at all: the names it answers to, and the web
//! origins that may read its proxy and its local registry.
//!
//! The page is served from the same origin as the proxy, so it needs no CORS.
//! Without this gate any site a person visits while `serve` runs could read,
//! through it, the registries that person allowed and the local images of
//! `--layout`: with a cross-site `fetch`, or through DNS rebinding (a name of
//! the attacker's that resolves to 127.0.0.1, sent as `Host`). So, as
//! development servers do:
//!
//! * **`Host`** must be an address literal (a rebinding attack needs a DNS
//!   name), a loopback name (`localhost`, `*.localhost`, RFC 6761 §6.3), or the
//!   host of a `--public-url`. The port is not compared: port forwarding and
//!   reverse proxies change it, and a name alone is what rebinding controls.
//! * **The proxy and `/v2/`** refuse cross-site and same-site requests
//!   (`Sec-Fetch-Site`, sent by every current browser, also on `no-cors` loads
//!   such as `<script src>`), and any `Origin` that is neither the page's own
//!   (the `Host` it was reached by, or a `--public-url`) nor listed with
//!   `--cors-origin`. "Same-site" is refused too: another port on the same
//!   machine is the same site. Requests with neither header are not from a web
//!   page (`docker`, `skopeo`, `curl`) and pass.
//! * **CORS** headers are sent only to a listed origin, echoed (never `*`),
//!   with `Vary: Origin` on every API response once any origin is listed, so a
//!   cache in front never hands one origin's answer to another.
//!
//! Navigations to the page itself are never refused for their origin: a link
//! from anywhere must open layerlens.

use std::fmt;

use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};

use super::headers::EXPOSE_HEADERS;
use crate::native::http::target::{Authority, Host, Scheme};

/// A web origin, `scheme://host[:port]`: a `--public-url`, a `--cors-origin`,
/// or a request's `Origin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    scheme: Scheme,
    authority: Authority,
}

/// Why a `--public-url` or `--cors-origin` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid origin {input:?}: {reason}")]
pub struct OriginError {
    input: String,
    reason: &'static str,
}

impl Origin {
    /// Parses `http://host[:port]` or `https://host[:port]`; a trailing `/`
    /// is accepted (a URL as people copy it), any other path is not.
    pub fn parse(s: &str) -> Result<Origin, OriginError> {
        let err = |reason| OriginError {
            input: s.to_owned(),
            reason,
        };
        let (scheme, rest) = if let Some(rest) = s.strip_prefix("http://") {
            (Scheme::Http, rest)
        } else if let Some(rest) = s.strip_prefix("https://") {
            (Scheme::Https, rest)
        } else {
            return Err(err("it must start with http:// or https://"));
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['/', '?', '#']) {
            return Err(err("an origin has no path, query or fragment"));
        }
        if rest.contains('*') {
            return Err(err("wildcards are not allowed: list each origin"));
        }
        let authority = Authority::parse(rest).map_err(|_| err("the host is not valid"))?;
        Ok(Origin { scheme, authority })
    }

    /// The host.
    pub fn host(&self) -> &Host {
        self.authority.host()
    }

    /// Whether a `Host` header value names this origin: same host, same
    /// port (the scheme's default when either leaves it out).
    fn is_reached_as(&self, host: &Authority) -> bool {
        self.authority.host() == host.host()
            && self.authority.effective_port(self.scheme) == host.effective_port(self.scheme)
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let port = match self.authority.port() {
            Some(p) if p != self.scheme.default_port() => format!(":{p}"),
            _ => String::new(),
        };
        write!(
            f,
            "{}://{}{port}",
            self.scheme.as_str(),
            self.authority.host()
        )
    }
}

/// Which part of the server a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// The page and its assets: navigations from anywhere are fine.
    Page,
    /// `/proxy/…` and `/v2/…`: readable by the page's own origin only.
    Api,
}

/// Why the gate refused a request (403).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GateRefusal {
    /// No `Host` header, or one that does not parse.
    #[error("the request has no valid Host header")]
    NoHost,
    /// A name this server was not told it is reached by.
    #[error(
        "this server does not answer to the name {0:?}; if that is how people reach it, \
         start it with --public-url http://{0} (or https://…)"
    )]
    ForeignHost(String),
    /// A request made by another web site.
    #[error(
        "cross-origin request from {0} refused: the proxy serves the layerlens page only; \
         to let another site use it, start the server with --cors-origin ORIGIN"
    )]
    CrossSite(String),
}

/// The names and origins this server admits.
#[derive(Debug, Clone, Default)]
pub struct Gate {
    public: Vec<Origin>,
    cors: Vec<Origin>,
}

/// A request the gate let through, and the CORS headers its answer needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admission {
    area: Area,
    /// The listed origin to echo in `Access-Control-Allow-Origin`.
    allow_origin: Option<HeaderValue>,
    /// Whether any origin is listed (then API answers vary by `Origin`).
    listed: bool,
}

impl Gate {
    /// Loopback names and address literals only, no other origin.
    pub fn new() -> Gate {
        Gate::default()
    }

    /// `--public-url URL`: a name people reach this server by (its host is
    /// admitted as `Host`, its origin as the page's own).
    pub fn public_url(&mut self, origin: Origin) {
        self.public.push(origin);
    }

    /// `--cors-origin ORIGIN`: another web site allowed to read the proxy and
    /// the local registry with CORS.
    pub fn cors_origin(&mut self, origin: Origin) {
        self.cors.push(origin);
    }

    /// Lets a request in, or says why not.
    pub fn admit(&self, headers: &HeaderMap, area: Area) -> Result<Admission, GateRefusal> {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| Authority::parse(v).ok())
            .ok_or(GateRefusal::NoHost)?;
        let known = match host.host() {
            Host::Ip(_) => true,
            h => h.is_loopback() || self.public.iter().any(|o| o.host() == h),
        };
        if !known {
            return Err(GateRefusal::ForeignHost(host.to_string()));
        }
        let mut admission = Admission {
            area,
            allow_origin: None,
            listed: !self.cors.is_empty(),
        };
        if area == Area::Page {
            return Ok(admission);
        }
        let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
        if let Some(origin) = origin {
            let parsed = Origin::parse(origin).ok();
            let own = parsed
                .as_ref()
                .is_some_and(|o| o.is_reached_as(&host) || self.public.iter().any(|p| p == o));
            if own {
                return Ok(admission);
            }
            if let Some(listed) = parsed.filter(|o| self.cors.contains(o)) {
                admission.allow_origin = HeaderValue::from_str(&listed.to_string()).ok();
                return Ok(admission);
            }
            return Err(GateRefusal::CrossSite(origin.to_owned()));
        }
        let site = headers
            .get(HeaderName::from_static("sec-fetch-site"))
            .and_then(|v| v.to_str().ok());
        match site {
            Some(s)
                if !s.eq_ignore_ascii_case("same-origin") && !s.eq_ignore_ascii_case("none") =>
            {
                Err(GateRefusal::CrossSite(format!("a {s} page")))
            }
            _ => Ok(admission),
        }
    }
}

impl Admission {
    /// Adds the CORS headers this answer needs (none for the page's own
    /// origin), and `Vary: Origin` on API answers once any origin is listed.
    pub fn apply(&self, headers: &mut HeaderMap) {
        if self.area == Area::Page {
            return;
        }
        if self.listed {
            headers.append(header::VARY, HeaderValue::from_static("Origin"));
        }
        if let Some(origin) = &self.allow_origin {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
            headers.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static(EXPOSE_HEADERS),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            h.append(
                HeaderName::from_bytes(n.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    fn gate() -> Gate {
        let mut g = Gate::new();
        g.public_url(Origin::parse("https://lens.example/").unwrap());
        g.cors_origin(Origin::parse("https://tools.example:8443").unwrap());
        g
    }

    #[test]
    fn hosts_are_literals_loopback_names_or_public_urls() {
        let g = gate();
        for ok in [
            "127.0.0.1:8080",
            "[::1]:8080",
            "10.1.2.3",
            "localhost:8080",
            "app.localhost",
            "lens.example",
            "lens.example:8080",
        ] {
            assert!(
                g.admit(&headers(&[("host", ok)]), Area::Page).is_ok(),
                "{ok}"
            );
        }
        for bad in ["evil.example", "evil.example:8080", "lens.example.evil.com"] {
            assert_eq!(
                g.admit(&headers(&[("host", bad)]), Area::Page),
                Err(GateRefusal::ForeignHost(bad.to_owned())),
            );
        }
        assert_eq!(g.admit(&headers(&[]), Area::Page), Err(GateRefusal::NoHost));
        assert_eq!(
            Gate::new().admit(&headers(&[("host", "lens.example")]), Area::Api),
            Err(GateRefusal::ForeignHost("lens.example".into()))
        );
    }

    #[test]
    fn the_api_admits_its_own_origin_and_listed_ones_only() {
        let g = gate();
        let own = [
            ("127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("lens.example", "https://lens.example"),
            ("lens.example:443", "https://lens.example"),
            ("127.0.0.1:8080", "https://lens.example"),
        ];
        for (host, origin) in own {
            let a = g
                .admit(&headers(&[("host", host), ("origin", origin)]), Area::Api)
                .unwrap();
            assert_eq!(a.allow_origin, None, "{origin}");
        }
        let listed = g
            .admit(
                &headers(&[
                    ("host", "127.0.0.1:8080"),
                    ("origin", "https://tools.example:8443"),
                    ("sec-fetch-site", "cross-site"),
                ]),
                Area::Api,
            )
            .unwrap();
        let mut out = HeaderMap::new();
        listed.apply(&mut out);
        assert_eq!(
            out.get("access-control-allow-origin").unwrap(),
            "https://tools.example:8443"
        );
        assert_eq!(out.get("vary").unwrap(), "Origin");
        for origin in [
            "http://127.0.0.1:9999",
            "https://evil.example",
            "null",
            "https://tools.example",
        ] {
            let r = g.admit(
                &headers(&[("host", "127.0.0.1:8080"), ("origin", origin)]),
                Area::Api,
            );
            assert_eq!(
                r,
                Err(GateRefusal::CrossSite(origin.to_owned())),
                "{origin}"
            );
            // The page itself opens from any link.
            assert!(g
                .admit(
                    &headers(&[("host", "127.0.0.1:8080"), ("origin", origin)]),
                    Area::Page
                )
                .is_ok());
        }
    }

    #[test]
    fn fetch_metadata_refuses_other_sites_without_an_origin() {
        let g = Gate::new();
        for site in ["cross-site", "same-site"] {
            let h = headers(&[("host", "127.0.0.1:8080"), ("sec-fetch-site", site)]);
            assert!(g.admit(&h, Area::Api).is_err(), "{site}");
        }
        for site in ["same-origin", "none"] {
            let h = headers(&[("host", "127.0.0.1:8080"), ("sec-fetch-site", site)]);
            let a = g.admit(&h, Area::Api).unwrap();
            let mut out = HeaderMap::new();
            a.apply(&mut out);
            assert!(out.is_empty(), "no CORS and no Vary without listed origins");
        }
        assert!(g
            .admit(&headers(&[("host", "127.0.0.1:8080")]), Area::Api)
            .is_ok());
    }

    #[test]
    fn origins_parse_strictly() {
        assert_eq!(
            Origin::parse("https://lens.example:443/")
                .unwrap()
                .to_string(),
            "https://lens.example"
        );
        assert_eq!(
            Origin::parse("http://[::1]:8080").unwrap().to_string(),
            "http://[::1]:8080"
        );
        for bad in [
            "lens.example",
            "ftp://lens.example",
            "https://lens.example/app",
            "https://*.example",
            "https://",
            "https://a b",
        ] {
            assert!(Origin::parse(bad).is_err(), "{bad}");
        }
    }
}
