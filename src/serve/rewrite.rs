//! Header rewrites that keep the page talking to the proxy: the realm of a
//! `WWW-Authenticate` challenge and the targets of `Link` headers become
//! `/proxy/<host[:port]>/<path>?<query>` paths. Pure functions.
//!
//! The rewritten references are path-absolute (no scheme or host): the page
//! resolves them against the proxy's base URL, which is right whether the
//! proxy is the page's own origin or another one, and behind any TLS
//! terminator.

use crate::registry::parse_challenges;

use super::path::proxy_path;
use crate::native::http::url::UpstreamUrl;

/// A challenge header with its realms rewritten, and the realms it named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewrittenChallenge {
    /// The header value to send to the page.
    pub value: String,
    /// Every realm URL the challenges named (to remember them as token hosts).
    pub realms: Vec<UpstreamUrl>,
}

/// Rewrites the `realm` of every challenge in a `WWW-Authenticate` value to
/// its proxy path. `None` when the header cannot be parsed or a realm is not
/// an acceptable URL: the caller then passes the header on unchanged and
/// remembers nothing, so an odd challenge never widens what the proxy forwards.
pub fn rewrite_challenge(value: &str) -> Option<RewrittenChallenge> {
    let challenges = parse_challenges(value).ok()?;
    let mut realms = Vec::new();
    let mut parts = Vec::new();
    for challenge in &challenges {
        let mut params = Vec::new();
        for (name, v) in challenge.params() {
            let v = if name == "realm" && challenge.is_bearer() {
                let url = UpstreamUrl::parse(v).ok()?;
                let proxied = proxy_path(&url);
                realms.push(url);
                proxied
            } else {
                v.clone()
            };
            params.push(format!("{name}=\"{}\"", quote(&v)));
        }
        let scheme = capitalise(challenge.scheme());
        if params.is_empty() {
            parts.push(scheme);
        } else {
            parts.push(format!("{scheme} {}", params.join(",")));
        }
    }
    Some(RewrittenChallenge {
        value: parts.join(", "),
        realms,
    })
}

/// Rewrites every `<target>` of a `Link` header (RFC 8288) so that following
/// it (tag-list and catalog pagination) goes through the proxy. Targets are
/// resolved against `base`, the URL that answered; a target that is not an
/// acceptable URL is left as written (the page cannot follow it, and the
/// proxy would refuse it anyway).
pub fn rewrite_link(value: &str, base: &UpstreamUrl) -> String {
    let mut out = String::with_capacity(value.len() + 32);
    let mut rest = value;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..=open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('>') else {
            rest = after;
            break;
        };
        let target = &after[..close];
        match base.join(target) {
            Ok(url) => out.push_str(&proxy_path(&url)),
            Err(_) => out.push_str(target),
        }
        rest = &after[close..];
    }
    out.push_str(rest);
    out
}

fn quote(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"")
}

fn capitalise(scheme: &str) -> String {
    let mut chars = scheme.chars();
    match chars.next() {
        Some(c) => c.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}
