//! Issue 10, end to end through the real `layerlens serve`: a registry's
//! `Content-Type` reaches the page only when it is a registry type (JSON
//! documents, OCI/Docker media types, opaque bytes); a script, an SVG, HTML
//! or anything unreadable comes out as `application/octet-stream`, with
//! `nosniff`, so nothing served under `/proxy/` is a script or a document
//! of the page's origin. The upstream is a tiny test server on 127.0.0.1
//! standing in for a hostile allowed registry.

use layerlens_testkit::proxy as proxy_support;

use layerlens_testkit::proxy::{Proxy, Reply, Upstream};

const BLOB: &str =
    "/v2/x/blobs/sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";

/// What the proxy answers for an upstream blob sent with `content_type`.
fn proxied(content_type: &str) -> proxy_support::Response {
    let up =
        Upstream::fixed(Reply::new(200, "window.pwned = 1;").header("Content-Type", content_type));
    let proxy = Proxy::start(&["--allow-registry", &up.host_port()]);
    let r = proxy.get(&format!("/proxy/{}{BLOB}", up.host_port()));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), "window.pwned = 1;", "the bytes are untouched");
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.headers_named("content-type").len(), 1);
    r
}

#[test]
fn script_svg_and_html_types_become_octet_stream() {
    for hostile in [
        "text/javascript",
        "application/javascript; charset=utf-8",
        "image/svg+xml",
        "text/html",
        "application/json, text/html",
        "text/plain",
    ] {
        let r = proxied(hostile);
        assert_eq!(
            r.header("content-type"),
            Some("application/octet-stream"),
            "{hostile}"
        );
    }
}

#[test]
fn registry_types_pass_unchanged() {
    for safe in [
        "application/vnd.oci.image.layer.v1.tar+gzip",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/json; charset=utf-8",
        "application/octet-stream",
    ] {
        assert_eq!(proxied(safe).header("content-type"), Some(safe));
    }
}

#[test]
fn a_missing_type_stays_missing() {
    let up = Upstream::fixed(Reply::new(200, "bytes"));
    let proxy = Proxy::start(&["--allow-registry", &up.host_port()]);
    let r = proxy.get(&format!("/proxy/{}{BLOB}", up.host_port()));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), None);
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
}

#[test]
fn an_error_body_is_restricted_too() {
    let up = Upstream::fixed(
        Reply::new(404, "<script>window.pwned = 1</script>").header("Content-Type", "text/html"),
    );
    let proxy = Proxy::start(&["--allow-registry", &up.host_port()]);
    let r = proxy.get(&format!("/proxy/{}{BLOB}", up.host_port()));
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
}
