//! Issue 10 in real headless Chromium: a hostile allowed registry tries to
//! run its script on the page's origin, and nothing runs.
//!
//! The registry is a small HTTP server of this test on 127.0.0.1 — it
//! stands in for a malicious registry, which the real distribution
//! registry cannot be (it serves what it stores with its own types). It
//! serves a valid image whose manifest, config and layer come with script,
//! SVG and HTML content types; the layer holds `/img/hostile.svg`, with an
//! inline `<script>` and a `<script href>` to a blob the registry serves as
//! `text/javascript` through the proxy. Both scripts try to leave marks: a
//! request for a marker path on the registry (through the proxy, which the
//! page's `connect-src 'self'` allows), `localStorage`, an IndexedDB
//! database, the document's title. `tests/e2e/hostile.e2e.mjs` opens the
//! image (it must verify), previews the SVG, opens the preview's URL in its
//! own tab (a picture), and has the page open the raw SVG as a same-origin
//! SVG document (what the preview used to be), where the page's policy
//! must refuse both scripts; this test then checks the registry never saw a
//! marker request nor the script's URL, and that the proxy serves the
//! script-typed blob as `application/octet-stream` with `nosniff`.
//!
//! Needs, like tests/browser/page.rs: `dist/` from `trunk build`, `npm ci` in
//! tests/e2e, and `/usr/bin/chromium`.

use layerlens_testkit::proxy as proxy_support;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use layerlens_testkit::e2e::{require_browser_tools, run_node, serve};
use layerlens_testkit::proxy::{Reply, Upstream};
use layerlens_testkit::registry::tiny_tar::Tar;
use layerlens_testkit::registry::{sha256_digest, ImageBuilder, Layer, ManifestFormat};

/// The longest the browser test may take.
const NODE_TIMEOUT: Duration = Duration::from_secs(180);
/// The repository on the hostile registry.
const REPO: &str = "evil/app";

/// What the hostile registry serves, by request target: type and bytes.
type Served = Arc<Mutex<HashMap<String, (&'static str, Vec<u8>)>>>;

/// The script the SVG points at: every mark it can leave from a document
/// of the page's origin.
fn script(marker: &str) -> String {
    format!(
        "document.title = 'pwned';\n\
         try {{ localStorage.setItem('pwned', 'external'); }} catch (e) {{}}\n\
         try {{ indexedDB.open('pwned-external'); }} catch (e) {{}}\n\
         fetch('{marker}/external').catch(() => {{}});\n"
    )
}

/// The SVG file in the image's layer.
fn svg(marker: &str, script_url: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"64\" height=\"48\">\n\
         <rect width=\"64\" height=\"48\" fill=\"#c00\"/>\n\
         <script>document.title = 'pwned'; try {{ localStorage.setItem('pwned', 'inline'); \
         indexedDB.open('pwned-inline'); }} catch (e) {{}} fetch('{marker}/inline').catch(() => {{}});</script>\n\
         <script href=\"{script_url}\"/>\n\
         </svg>\n"
    )
}

/// The registry's answers: what is in `served`, with its hostile type;
/// anything else a 404 typed as HTML.
fn hostile_registry(served: Served) -> Upstream {
    Upstream::start(move |request| {
        let found = served.lock().unwrap().get(&request.target).cloned();
        match found {
            Some((content_type, body)) => Reply::new(200, body)
                .header("Content-Type", content_type)
                .header("Docker-Distribution-Api-Version", "registry/2.0"),
            None => Reply::new(404, "<script>parent.pwned = 1</script>")
                .header("Content-Type", "text/html"),
        }
    })
}

#[test]
fn a_hostile_registry_runs_nothing_on_the_page_origin() {
    require_browser_tools();
    let served: Served = Arc::default();
    let registry = hostile_registry(served.clone());
    let hostile = registry.host_port();
    let (_server, url) = serve(
        env!("CARGO_BIN_EXE_layerlens"),
        std::slice::from_ref(&hostile),
        &[],
    );
    let server: SocketAddr = url
        .strip_prefix("http://")
        .and_then(|a| a.parse().ok())
        .expect("serve's address");

    let marker = format!("{url}/proxy/{hostile}/v2/{REPO}/manifests/marker");
    let js = script(&marker).into_bytes();
    let js_digest = sha256_digest(&js);
    let js_path = format!("/v2/{REPO}/blobs/{js_digest}");
    let svg = svg(&marker, &format!("{url}/proxy/{hostile}{js_path}"));
    let image = ImageBuilder::oci()
        .layer(Layer::gzip_tar(
            ManifestFormat::Oci,
            &Tar::new()
                .dir("img/")
                .file("img/hostile.svg", svg.as_bytes())
                .finish(),
        ))
        .build();
    let manifest = String::from_utf8_lossy(&image.manifest).into_owned();
    assert!(
        manifest.contains("\"mediaType\""),
        "the manifest names its own type, so the page needs no Content-Type: {manifest}"
    );
    {
        let mut s = served.lock().unwrap();
        for reference in ["v1", image.manifest_digest.as_str()] {
            s.insert(
                format!("/v2/{REPO}/manifests/{reference}"),
                ("image/svg+xml", image.manifest.clone()),
            );
        }
        s.insert(
            format!("/v2/{REPO}/blobs/{}", image.config_digest),
            ("text/javascript", image.config.clone()),
        );
        s.insert(
            format!("/v2/{REPO}/blobs/{}", image.layers[0].digest()),
            ("text/html; charset=utf-8", image.layers[0].bytes.clone()),
        );
        s.insert(js_path.clone(), ("text/javascript", js));
    }

    let mut node = Command::new("node");
    node.args(["--test", "tests/e2e/hostile.e2e.mjs"])
        .env("SERVER", &url)
        .env("HOSTILE", &hostile)
        .env("IMAGE", format!("{hostile}/{REPO}:v1"))
        .env("SVG", &svg);
    run_node(node, NODE_TIMEOUT);

    let seen: Vec<String> = registry.requests().into_iter().map(|r| r.target).collect();
    assert!(
        seen.iter()
            .any(|t| t.ends_with(&format!("/blobs/{}", image.layers[0].digest()))),
        "the page read the image through the proxy: {seen:?}"
    );
    assert!(
        !seen.iter().any(|t| t.contains("/manifests/marker")),
        "a script of the registry ran on the page's origin: {seen:?}"
    );
    assert!(
        !seen.contains(&js_path),
        "the registry's script was fetched as a script: {seen:?}"
    );

    // The script-typed blob itself, through the proxy: bytes, never a script.
    let r = proxy_support::get(server, &format!("/proxy/{hostile}{js_path}"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    let r = proxy_support::get(server, &format!("/proxy/{hostile}/v2/{REPO}/manifests/v1"));
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
}
