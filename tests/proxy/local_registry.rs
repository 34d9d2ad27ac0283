//! `layerlens serve`'s own registry, over HTTP on 127.0.0.1: the built-in
//! demo by tag and digest, HEAD, blobs checked against their digests,
//! Range, tag pagination, distribution-style errors, refused writes and
//! traversal, CORS — directly under `/v2/` and through `/proxy/<self>/v2/`.

use layerlens_testkit::proxy as proxy_support;

use layerlens::demo::DemoImage;
use layerlens::oci::Digest;
use layerlens_testkit::proxy::{assert_same_origin_only, Proxy, Response};

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

fn error_code(r: &Response) -> String {
    r.json()["errors"][0]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code: {}", r.text()))
        .to_owned()
}

/// Every check of one manifest response.
fn assert_manifest(r: &Response, body: &[u8], digest: &Digest, media_type: &str, cache: &str) {
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.body, body);
    assert_eq!(r.header("content-type"), Some(media_type));
    assert_eq!(
        r.header("docker-content-digest"),
        Some(digest.to_string().as_str())
    );
    assert_eq!(
        r.header("content-length"),
        Some(body.len().to_string().as_str())
    );
    assert_eq!(r.header("cache-control"), Some(cache));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert!(r
        .header("content-security-policy")
        .unwrap()
        .contains("sandbox"));
    assert_same_origin_only(r);
}

/// The demo through `prefix` (`""` for `/v2/…`, `/proxy/HOST:PORT` for the
/// proxy path): every manifest and blob byte for byte.
fn assert_demo_served(proxy: &Proxy, prefix: &str, demo: &DemoImage) {
    let index = demo.index();
    let index_bytes = demo.blob(index.digest()).unwrap();
    for tag in ["latest", "v1"] {
        let r = proxy.get(&format!("{prefix}/v2/demo/manifests/{tag}"));
        assert_manifest(
            &r,
            index_bytes,
            index.digest(),
            "application/vnd.oci.image.index.v1+json",
            "no-cache",
        );
    }
    let r = proxy.get(&format!("{prefix}/v2/demo/manifests/{}", index.digest()));
    assert_manifest(
        &r,
        index_bytes,
        index.digest(),
        "application/vnd.oci.image.index.v1+json",
        IMMUTABLE,
    );
    for image in demo.images() {
        let m = &image.manifest;
        let r = proxy.get(&format!("{prefix}/v2/demo/manifests/{}", m.digest()));
        assert_manifest(
            &r,
            demo.blob(m.digest()).unwrap(),
            m.digest(),
            "application/vnd.oci.image.manifest.v1+json",
            IMMUTABLE,
        );
    }
    for (digest, bytes) in demo.blobs() {
        let r = proxy.get(&format!("{prefix}/v2/demo/blobs/{digest}"));
        assert_eq!(r.status, 200, "{digest}: {}", r.text());
        assert!(r.complete);
        assert_eq!(&Digest::sha256(&r.body), digest);
        assert_eq!(r.body, bytes);
        assert_eq!(
            r.header("docker-content-digest"),
            Some(digest.to_string().as_str())
        );
        assert_eq!(r.header("cache-control"), Some(IMMUTABLE));
        assert_eq!(r.header("content-type"), Some("application/octet-stream"));
        assert_same_origin_only(&r);
    }
}

#[test]
fn serve_announces_the_demo_and_serves_it_byte_for_byte() {
    let proxy = Proxy::start(&[]);
    let expected = format!("layerlens: demo image {}/demo:latest", proxy.addr());
    let out = proxy.stdout(&expected);
    assert!(out.contains(&expected), "{out}");
    // The server generated its own demo: the same bytes as this one.
    let demo = DemoImage::generate();
    assert_demo_served(&proxy, "", &demo);

    let r = proxy.get("/v2/");
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), serde_json::json!({}));
    assert_eq!(
        r.header("docker-distribution-api-version"),
        Some("registry/2.0")
    );
    assert_same_origin_only(&r);
    let r = proxy.get("/v2/_catalog");
    assert_eq!(r.json()["repositories"], serde_json::json!(["demo"]));
}

#[test]
fn head_answers_the_headers_without_a_body() {
    let proxy = Proxy::start(&[]);
    let demo = DemoImage::generate();
    let index = demo.index();
    let r = proxy.request("HEAD", "/v2/demo/manifests/latest", &[]);
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    assert_eq!(
        r.header("content-length"),
        Some(index.size().to_string().as_str())
    );
    assert_eq!(
        r.header("docker-content-digest"),
        Some(index.digest().to_string().as_str())
    );
    let layer = &demo.images()[0].layers[0];
    let r = proxy.request("HEAD", &format!("/v2/demo/blobs/{}", layer.digest()), &[]);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-length"),
        Some(layer.size().to_string().as_str())
    );
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
}

#[test]
fn ranges_are_partial_content() {
    let proxy = Proxy::start(&[]);
    let demo = DemoImage::generate();
    let layer = &demo.images()[0].layers[0];
    let bytes = demo.blob(layer.digest()).unwrap();
    let len = bytes.len();
    let path = format!("/v2/demo/blobs/{}", layer.digest());

    let r = proxy.request("GET", &path, &[("Range", "bytes=100-199")]);
    assert_eq!(r.status, 206);
    assert_eq!(r.body, &bytes[100..200]);
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes 100-199/{len}").as_str())
    );
    assert_eq!(r.header("content-length"), Some("100"));
    assert_same_origin_only(&r);

    let r = proxy.request("GET", &path, &[("Range", "bytes=-10")]);
    assert_eq!(r.status, 206);
    assert_eq!(r.body, &bytes[len - 10..]);

    let r = proxy.request("GET", &path, &[("Range", &format!("bytes={}-", len - 5))]);
    assert_eq!(r.status, 206);
    assert_eq!(r.body, &bytes[len - 5..]);

    let r = proxy.request("GET", &path, &[("Range", &format!("bytes={len}-"))]);
    assert_eq!(r.status, 416);
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes */{len}").as_str())
    );
    assert_eq!(error_code(&r), "RANGE_INVALID");

    // Several ranges: the whole blob, as RFC 9110 allows.
    let r = proxy.request("GET", &path, &[("Range", "bytes=0-1,5-6")]);
    assert_eq!(r.status, 200);
    assert_eq!(r.body, bytes);
}

#[test]
fn tags_paginate_with_a_link() {
    let proxy = Proxy::start(&[]);
    let r = proxy.get("/v2/demo/tags/list");
    assert_eq!(
        r.json(),
        serde_json::json!({"name": "demo", "tags": ["latest", "v1"]})
    );
    assert_eq!(r.header("link"), None);
    assert_eq!(r.header("cache-control"), Some("no-cache"));

    let r = proxy.get("/v2/demo/tags/list?n=1");
    assert_eq!(r.json()["tags"], serde_json::json!(["latest"]));
    let link = r.header("link").expect("Link to the next page");
    assert_eq!(link, "</v2/demo/tags/list?n=1&last=latest>; rel=\"next\"");
    let next = link.trim_start_matches('<').split('>').next().unwrap();
    let r = proxy.get(next);
    assert_eq!(r.json()["tags"], serde_json::json!(["v1"]));
    assert_eq!(r.header("link"), None);

    let r = proxy.get("/v2/demo/tags/list?n=many");
    assert_eq!(r.status, 400);
    assert_eq!(error_code(&r), "PAGINATION_NUMBER_INVALID");
}

#[test]
fn unknown_objects_get_distribution_errors() {
    let proxy = Proxy::start(&[]);
    let demo = DemoImage::generate();
    let missing = Digest::sha256(b"not in the demo");
    let config = demo.images()[0].config.digest().clone();
    for (path, status, code) in [
        (
            "/v2/nothing/manifests/latest".to_owned(),
            404,
            "NAME_UNKNOWN",
        ),
        ("/v2/nothing/tags/list".to_owned(), 404, "NAME_UNKNOWN"),
        ("/v2/demo/manifests/v2".to_owned(), 404, "MANIFEST_UNKNOWN"),
        (
            format!("/v2/demo/manifests/{missing}"),
            404,
            "MANIFEST_UNKNOWN",
        ),
        // A config is a blob, not a manifest.
        (
            format!("/v2/demo/manifests/{config}"),
            404,
            "MANIFEST_UNKNOWN",
        ),
        (format!("/v2/demo/blobs/{missing}"), 404, "BLOB_UNKNOWN"),
        (
            "/v2/demo/blobs/sha256:1234".to_owned(),
            400,
            "DIGEST_INVALID",
        ),
        ("/v2/Demo/tags/list".to_owned(), 400, "NAME_INVALID"),
        ("/v2/demo/manifests/-bad".to_owned(), 400, "TAG_INVALID"),
        ("/v2/demo/referrers/x".to_owned(), 404, "UNSUPPORTED"),
    ] {
        let r = proxy.get(&path);
        assert_eq!(r.status, status, "{path}: {}", r.text());
        assert_eq!(error_code(&r), code, "{path}");
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header("cache-control"), Some("no-store"), "{path}");
        assert_same_origin_only(&r);
    }
}

#[test]
fn writes_are_refused_and_preflights_answered() {
    let proxy = Proxy::start(&[]);
    for (method, path) in [
        ("PUT", "/v2/demo/manifests/latest"),
        ("DELETE", "/v2/demo/manifests/latest"),
        ("POST", "/v2/demo/blobs/uploads/"),
        ("PATCH", "/v2/demo/blobs/uploads/x"),
        ("PUT", "/v2/demo/blobs/uploads/x?digest=sha256:00"),
    ] {
        let r = proxy.request(method, path, &[("Content-Length", "0")]);
        assert_eq!(r.status, 405, "{method} {path}");
        assert_eq!(error_code(&r), "UNSUPPORTED");
        assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS"));
        assert_same_origin_only(&r);
    }
    let r = proxy.request("OPTIONS", "/v2/demo/manifests/latest", &[]);
    assert_eq!(r.status, 204);
    assert!(r
        .header("access-control-allow-methods")
        .unwrap()
        .contains("GET"));
    assert_same_origin_only(&r);
    // The demo is unchanged.
    assert_eq!(proxy.get("/v2/demo/manifests/latest").status, 200);
}

#[test]
fn traversal_is_refused_before_any_file_is_named() {
    let proxy = Proxy::start(&[]);
    for path in [
        "/v2/demo/blobs/sha256:../../x",
        "/v2/demo/blobs/sha256:..%2f..%2fetc%2fpasswd",
        "/v2/demo/blobs/sha256%3a..%2f..%2fx",
        "/v2/demo/blobs/%2e%2e/%2e%2e/etc/passwd",
        "/v2/demo/blobs/../../../etc/passwd",
        "/v2/demo/manifests/..%2f..%2fetc%2fpasswd",
        "/v2/demo/manifests/../../etc/passwd",
        "/v2/../../etc/passwd",
        "/v2/%2e%2e/demo/tags/list",
        "/v2/demo/blobs/sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85/",
    ] {
        let r = proxy.get(path);
        assert!(
            r.status == 400 || r.status == 404,
            "{path}: {} {}",
            r.status,
            r.text()
        );
        assert!(r.json()["errors"][0]["code"].is_string(), "{path}");
        assert!(!r.text().contains("root:"), "{path}");
    }
}

#[test]
fn the_proxy_path_to_this_server_is_served_locally() {
    let proxy = Proxy::start(&[]);
    let demo = DemoImage::generate();
    let port = proxy.addr().port();
    assert_demo_served(&proxy, &format!("/proxy/{}", proxy.addr()), &demo);
    assert_demo_served(&proxy, &format!("/proxy/localhost:{port}"), &demo);
    let log = proxy.log("GET local /v2/demo/manifests/latest 200");
    assert!(
        log.contains("GET local /v2/demo/manifests/latest 200"),
        "{log}"
    );

    // Pagination stays on the proxy path.
    let r = proxy.get(&format!("/proxy/{}/v2/demo/tags/list?n=1", proxy.addr()));
    assert_eq!(
        r.header("link"),
        Some(
            format!(
                "</proxy/{}/v2/demo/tags/list?n=1&last=latest>; rel=\"next\"",
                proxy.addr()
            )
            .as_str()
        )
    );
    // Through the proxy, the proxy's own rules still hold.
    let r = proxy.request(
        "POST",
        &format!("/proxy/{}/v2/demo/blobs/uploads/", proxy.addr()),
        &[("Content-Length", "0")],
    );
    assert_eq!(r.status, 405, "{}", r.text());
    let r = proxy.request(
        "OPTIONS",
        &format!("/proxy/{}/v2/demo/tags/list", proxy.addr()),
        &[],
    );
    assert_eq!(r.status, 204);
    let r = proxy.get(&format!(
        "/proxy/{}/v2/demo/blobs/sha256:..%2f..%2fx",
        proxy.addr()
    ));
    assert_eq!(r.status, 400);
    // A path off /v2 on this server is not a registry: refused, not served.
    let r = proxy.get(&format!("/proxy/{}/proxy/ghcr.io/v2/", proxy.addr()));
    assert_eq!(r.status, 403, "{}", r.text());
}

#[test]
fn another_port_on_loopback_is_not_this_server() {
    // Something else listens on loopback; the proxy must neither serve it
    // from the local registry nor forward to it (not allowed).
    let other = proxy_support::Upstream::fixed(proxy_support::Reply::new(200, "{}"));
    let proxy = Proxy::start(&[]);
    let r = proxy.get(&format!("/proxy/{}/v2/demo/tags/list", other.host_port()));
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(other.connections(), 0);
}

#[test]
fn the_host_the_client_used_names_this_server() {
    // Both names are ones the operator serves under (without them the gate
    // refuses the Host outright: tests/proxy/gate.rs).
    let proxy = Proxy::start(&[
        "--public-url",
        "http://lens.example:8080",
        "--public-url",
        "http://other.example:8080",
    ]);
    // A page opened at http://lens.example:8080/ (say, behind a name the
    // operator set up) refers to the demo as lens.example:8080/demo.
    let r = raw_get(
        proxy.addr(),
        "/proxy/lens.example:8080/v2/demo/tags/list",
        "lens.example:8080",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["tags"], serde_json::json!(["latest", "v1"]));
    // Another Host does not make an arbitrary name local.
    let r = raw_get(
        proxy.addr(),
        "/proxy/lens.example:8080/v2/demo/tags/list",
        "other.example:8080",
    );
    assert_eq!(r.status, 403, "{}", r.text());
}

/// `GET target` with exactly one `Host` header.
fn raw_get(addr: std::net::SocketAddr, target: &str, host: &str) -> Response {
    use std::io::{Read, Write};
    assert!(addr.ip().is_loopback());
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Response {
        status,
        headers,
        body: raw[end + 4..].to_vec(),
        complete: true,
    }
}
