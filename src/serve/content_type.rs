//! The one rule for the `Content-Type` of anything served under `/proxy/`
//! and by the local registry: registry bytes are served from the page's
//! origin, so a type the browser would run or render as a document must
//! never reach it.
//!
//! Issue 10: a hostile allowed registry served a blob as `text/javascript`,
//! and an SVG from a layer loaded it with `<script href="/proxy/…">`; under
//! the page's old `script-src 'self'` it ran with the page's IndexedDB. The
//! distribution protocol needs only JSON documents and opaque blobs, so
//! exactly those types pass ([`is_safe_content_type`]) and anything else —
//! `text/javascript`, `text/html`, `image/svg+xml`, a malformed value, two
//! values — becomes [`FALLBACK`]. A missing `Content-Type` stays missing
//! (`nosniff` is on every proxied response, so it is not sniffed into one).

use hyper::header::{self, HeaderMap, HeaderValue};

/// What an unsafe `Content-Type` becomes: bytes a browser only downloads.
pub const FALLBACK: &str = "application/octet-stream";

/// Whether `value` may be passed to the page as it is: `application/json`,
/// `application/octet-stream`, `application/vnd.oci.*`,
/// `application/vnd.docker.*` or any `application/*+json`, compared
/// case-insensitively, with well-formed parameters (`; charset=utf-8`).
///
/// Anything the rule cannot read is refused. A comma anywhere is refused
/// too: browsers split `Content-Type` on commas and use the last valid
/// type (Fetch, "extract a MIME type"), so `application/json, text/html`
/// would be HTML.
pub fn is_safe_content_type(value: &str) -> bool {
    if value.contains(',') {
        return false;
    }
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    if !is_token(kind) || !is_token(subtype) || !parts.all(is_parameter) {
        return false;
    }
    let subtype = subtype.to_ascii_lowercase();
    kind.eq_ignore_ascii_case("application")
        && (subtype == "json"
            || subtype == "octet-stream"
            || subtype.starts_with("vnd.oci.")
            || subtype.starts_with("vnd.docker.")
            || subtype.len() > "+json".len() && subtype.ends_with("+json"))
}

/// Replaces an unsafe `Content-Type` in `headers` with [`FALLBACK`]; two
/// or more values are unsafe together (a browser would combine them).
pub fn restrict_content_type(headers: &mut HeaderMap) {
    let mut values = headers.get_all(header::CONTENT_TYPE).iter();
    let Some(first) = values.next() else {
        return;
    };
    let safe = values.next().is_none() && first.to_str().is_ok_and(is_safe_content_type);
    if !safe {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(FALLBACK));
    }
}

/// An RFC 9110 token (§5.6.2).
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// `name=value` with a token name and a token or simple quoted-string
/// value (no escapes, no quote inside), whitespace around it allowed.
fn is_parameter(p: &str) -> bool {
    let Some((name, value)) = p.trim().split_once('=') else {
        return false;
    };
    let quoted = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .is_some_and(|v| v.bytes().all(|b| b != b'"' && b != b'\\' && b >= 0x20));
    is_token(name) && (is_token(value) || quoted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_types_pass() {
        for t in [
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.oci.image.index.v1+json",
            "application/vnd.oci.image.layer.v1.tar+gzip",
            "application/vnd.docker.distribution.manifest.v2+json",
            "application/vnd.docker.distribution.manifest.v1+prettyjws",
            "application/vnd.docker.image.rootfs.diff.tar.gzip",
            "application/json",
            "application/json; charset=utf-8",
            "application/json;charset=\"utf-8\"",
            "Application/JSON",
            "application/problem+json",
            "application/octet-stream",
            "APPLICATION/OCTET-STREAM ; x=1 ; y=2",
        ] {
            assert!(is_safe_content_type(t), "{t}");
        }
    }

    #[test]
    fn anything_a_browser_could_run_or_render_is_refused() {
        for t in [
            "text/javascript",
            "application/javascript",
            "text/html; charset=utf-8",
            "image/svg+xml",
            "application/xhtml+xml",
            "application/xml",
            "text/plain",
            "image/png",
            "application/pdf",
            "multipart/x-mixed-replace; boundary=x",
            "application/+json",
            "application/vnd.ocix",
            "application/json, text/html",
            "application/json; x=\"a,text/html\"",
            "application/json; charset",
            "application/json; =x",
            "application/json; x=\"a\\\"b\"",
            "application/ json",
            "application/json/x",
            "application",
            "",
            ";",
        ] {
            assert!(!is_safe_content_type(t), "{t}");
        }
    }

    #[test]
    fn headers_are_restricted_in_place() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/javascript"),
        );
        restrict_content_type(&mut h);
        assert_eq!(h[header::CONTENT_TYPE], FALLBACK);

        let mut h = HeaderMap::new();
        restrict_content_type(&mut h);
        assert!(
            h.get(header::CONTENT_TYPE).is_none(),
            "missing stays missing"
        );

        let mut h = HeaderMap::new();
        let t = "application/vnd.oci.image.manifest.v1+json";
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(t));
        restrict_content_type(&mut h);
        assert_eq!(h[header::CONTENT_TYPE], t);

        let mut h = HeaderMap::new();
        h.append(header::CONTENT_TYPE, HeaderValue::from_static(t));
        h.append(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
        restrict_content_type(&mut h);
        let all: Vec<_> = h.get_all(header::CONTENT_TYPE).iter().collect();
        assert_eq!(all, [FALLBACK]);

        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_bytes(b"application/json; x=\xff").unwrap(),
        );
        restrict_content_type(&mut h);
        assert_eq!(h[header::CONTENT_TYPE], FALLBACK);
    }
}
