//! The page side of `layerlens serve` and its command line: static files
//! with the strict headers, hashed-asset caching, no way out of `--dist`,
//! the built-in page, usage errors.

use layerlens_testkit::proxy as proxy_support;

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use layerlens::serve::site::{content_type, is_hashed_name};
use layerlens_testkit::proxy::Proxy;

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "layerlens-site-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const WASM: &str = "layerlens-0123456789abcdef_bg.wasm";
const JS: &str = "layerlens-0123456789abcdef.js";

/// `outer/secret.txt` next to `outer/dist/` with a page, assets and a
/// symlink that points out of `dist`.
fn site() -> (TempDir, PathBuf) {
    let outer = TempDir::new();
    let dist = outer.0.join("dist");
    std::fs::create_dir_all(dist.join("assets")).unwrap();
    std::fs::write(outer.0.join("secret.txt"), "outside dist").unwrap();
    std::fs::write(dist.join("index.html"), "<!doctype html><title>t</title>").unwrap();
    std::fs::write(dist.join(WASM), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dist.join(JS), "export {}").unwrap();
    std::fs::write(dist.join("assets/logo.svg"), "<svg/>").unwrap();
    std::fs::write(dist.join(".hidden"), "no").unwrap();
    std::os::unix::fs::symlink(outer.0.join("secret.txt"), dist.join("escape.txt")).unwrap();
    (outer, dist)
}

/// The page's policy (issue 10): scripts run by the response's nonce, never
/// for their origin. Returns the nonce.
fn assert_page_headers(r: &proxy_support::Response) -> String {
    let csp = r.header("content-security-policy").expect("CSP");
    let nonce = csp
        .strip_prefix("default-src 'self'; script-src 'nonce-")
        .and_then(|rest| rest.split_once('\''))
        .map(|(nonce, _)| nonce.to_owned())
        .unwrap_or_else(|| panic!("no nonce first in script-src: {csp}"));
    assert_eq!(
        csp,
        format!(
            "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
             style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; \
             worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'none'; \
             frame-ancestors 'none'"
        )
    );
    assert!(nonce.len() >= 22, "at least 128 bits: {nonce}");
    assert!(
        nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/'),
        "{nonce}"
    );
    assert_common_headers(r);
    nonce
}

/// Everything else the server sends for the page (assets, errors, the
/// "not built" page): documents of it may run and load nothing.
fn assert_asset_headers(r: &proxy_support::Response) {
    assert_eq!(
        r.header("content-security-policy"),
        Some("default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
    );
    assert_common_headers(r);
}

/// The hashed script's type and its caching for good.
fn assert_hashed_script(r: &proxy_support::Response) {
    assert_eq!(
        r.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(
        r.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
}

fn assert_common_headers(r: &proxy_support::Response) {
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
}

#[test]
fn serves_the_page_with_strict_headers_and_hashed_caching() {
    let (_tmp, dist) = site();
    let proxy = Proxy::start_with_dist(&[], &dist);

    let r = proxy.get("/");
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "<!doctype html><title>t</title>");
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    // Never stored anywhere: a cached copy would replay its nonce.
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_page_headers(&r);

    let r = proxy.get("/index.html");
    assert_eq!(r.header("cache-control"), Some("no-store"));

    let r = proxy.get(&format!("/{WASM}"));
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"\0asm\x01\0\0\0");
    assert_eq!(r.header("content-type"), Some("application/wasm"));
    assert_eq!(
        r.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_asset_headers(&r);

    let r = proxy.get(&format!("/{JS}"));
    assert_hashed_script(&r);

    assert_asset_headers(&r);

    let r = proxy.get("/assets/logo.svg");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("image/svg+xml"));
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    assert_asset_headers(&r);

    let r = proxy.request("HEAD", &format!("/{WASM}"), &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length"), Some("8"));

    let r = proxy.request("POST", "/", &[("Content-Length", "0")]);
    assert_eq!(r.status, 405);
}

#[test]
fn paths_cannot_escape_dist() {
    let (_tmp, dist) = site();
    let proxy = Proxy::start_with_dist(&[], &dist);
    for target in [
        "/../secret.txt",
        "/assets/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/..%2fsecret.txt",
        "/assets%2f..%2f..%2fsecret.txt",
        "/escape.txt",
        "/.hidden",
        "//etc/passwd",
        "/assets/",
        "/nope.js",
    ] {
        let r = proxy.get(target);
        assert!(
            r.status == 404 || r.status == 400,
            "{target}: {} {}",
            r.status,
            r.text()
        );
        assert!(!r.text().contains("outside dist"), "{target}");
    }
}

#[test]
fn without_a_built_page_root_explains_how_to_build_it() {
    let proxy = Proxy::start(&[]);
    let r = proxy.get("/");
    assert_eq!(r.status, 200);
    assert!(r.text().contains("bash scripts/run.sh"), "{}", r.text());
    assert!(!r.text().contains("<script"), "no inline script");
    assert_asset_headers(&r);

    // `/v2/` is the local registry (the built-in demo at least).
    let r = proxy.get("/v2/");
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), serde_json::json!({}));
}

#[test]
fn bad_flags_are_usage_errors() {
    for args in [
        vec!["serve", "--listen", "nope"],
        vec!["serve", "--listen", "127.0.0.1:99999"],
        vec!["serve", "--allow-registry", "user@ghcr.io"],
        vec!["serve", "--allow-registry", "ghcr.io:0"],
        vec!["serve", "--insecure-registry", "a b"],
        vec!["serve", "--bogus"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_layerlens"))
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    }
}

#[test]
fn a_taken_port_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_layerlens"))
        .args(["serve", "--listen", &addr])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("cannot listen on {addr}")), "{err}");
}

#[test]
fn page_asset_names_and_types() {
    assert!(is_hashed_name("layerlens-3f2a9c0d1b7e6a54_bg.wasm"));
    assert!(is_hashed_name("layerlens-3f2a9c0d1b7e6a54.js"));
    assert!(is_hashed_name("style-9f86d081884c7d65.css"));
    // Trunk drops the hash's leading zeros (seen: a 15-digit build).
    assert!(is_hashed_name("layerlens-912fb6348e246b3_bg.wasm"));
    assert!(!is_hashed_name("layerlens-912fb6348e246b3f00.js"));
    assert!(!is_hashed_name("index.html"));
    assert!(!is_hashed_name("favicon.ico"));
    assert!(!is_hashed_name("my-app.js"));
    assert!(!is_hashed_name("layerlens-3f2a9c0d.js"));
    assert_eq!(content_type("a_bg.wasm"), "application/wasm");
    assert_eq!(content_type("a.js"), "text/javascript; charset=utf-8");
    assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
    assert_eq!(content_type("a.css"), "text/css; charset=utf-8");
    assert_eq!(content_type("a.unknown"), "application/octet-stream");
}

/// `dist/index.html` exactly as `trunk build` 0.21 writes it: the wasm
/// bootstrap is an inline module script, with a modulepreload of the glue.
const TRUNK_INDEX: &str = r#"<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>layerlens — container image inspector</title>
    <link rel="stylesheet" href="/style-f963241431e12605.css" integrity="sha384-VGPuYx/36ZorztCN1317Lx7lvO+jlKY2/cttwt8dzHnaWQh3pk66tXE2iUhd/nTu"/>
    
<script type="module">
import init, * as bindings from '/layerlens-8c66b232318d40ef.js';
const wasm = await init({ module_or_path: '/layerlens-8c66b232318d40ef_bg.wasm' });

window.wasmBindings = bindings;

dispatchEvent(new CustomEvent("TrunkApplicationStarted", {detail: {wasm}}));

</script>
  <link rel="modulepreload" href="/layerlens-8c66b232318d40ef.js" crossorigin="anonymous" integrity="sha384-4fUQlHSMfRfV3WdpVbqWS0pn93ZV7h+LfZOiy04tYPzCdGURYpJoTWknUDdqNNNL"><link rel="preload" href="/layerlens-8c66b232318d40ef_bg.wasm" crossorigin="anonymous" integrity="sha384-heXDBrCACeFKluOAQNnkgJeiJ5ZvHXsblS5ndX/obP0UYi6NbQAYiZqo5f2jo4jr" as="fetch" type="application/wasm"></head>
  <body data-state="idle">
    <main id="app"><noscript>layerlens needs JavaScript and WebAssembly.</noscript></main>
  </body>
</html>
"#;

#[test]
fn trunks_bootstrap_runs_by_a_fresh_nonce_per_response() {
    let (_tmp, dist) = site();
    std::fs::write(dist.join("index.html"), TRUNK_INDEX).unwrap();
    let proxy = Proxy::start_with_dist(&[], &dist);

    let mut seen = Vec::new();
    for _ in 0..2 {
        let r = proxy.get("/");
        assert_eq!(r.status, 200);
        let nonce = assert_page_headers(&r);
        let html = r.text();
        // The inline module and the glue's modulepreload carry the nonce;
        // the wasm preload (a fetch, not a script) and the rest are as built.
        let expected = TRUNK_INDEX
            .replace(
                "<script type=\"module\">",
                &format!("<script nonce=\"{nonce}\" type=\"module\">"),
            )
            .replace(
                "<link rel=\"modulepreload\"",
                &format!("<link nonce=\"{nonce}\" rel=\"modulepreload\""),
            );
        assert_eq!(html, expected);
        assert_eq!(html.matches("nonce=").count(), 2, "{html}");
        assert_eq!(
            r.header("content-length"),
            Some(html.len().to_string().as_str())
        );
        assert_eq!(r.header("cache-control"), Some("no-store"));
        seen.push(nonce);
    }
    assert_ne!(seen[0], seen[1], "every response has its own nonce");
    // The old externalised boot scripts are gone.
    assert_eq!(proxy.get("/boot-0000000000000000.js").status, 404);

    // A rebuild: the new page is served, with a nonce.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let rebuilt = TRUNK_INDEX
        .replace("8c66b232318d40ef", "0123456789abcdef")
        .replace("= bindings;", "= bindings; // rebuilt");
    std::fs::write(dist.join("index.html"), &rebuilt).unwrap();
    let r = proxy.get("/");
    let nonce = assert_page_headers(&r);
    assert!(r.text().contains("// rebuilt"), "{}", r.text());
    assert!(
        r.text()
            .contains(&format!("<script nonce=\"{nonce}\" type=\"module\">")),
        "{}",
        r.text()
    );
}

/// The build's brotli and gzip copies (`scripts/precompress.sh`, run by
/// Trunk's post-build hook) are sent by `Accept-Encoding`, decode to the
/// asset itself, and every asset answer varies on the header.
#[test]
fn assets_are_sent_precompressed_by_accept_encoding() {
    use std::io::Read;

    let (_tmp, dist) = site();
    // Compressible, like the page's own script and wasm.
    let js: String = (0..2000)
        .map(|i| format!("export const v{i} = {i};\n"))
        .collect();
    std::fs::write(dist.join(JS), &js).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/precompress.sh");
    let status = Command::new("bash")
        .arg(script)
        .arg(&dist)
        .status()
        .unwrap();
    assert!(status.success());
    // The wasm (8 bytes) does not shrink: no copy is kept.
    assert!(dist.join(format!("{JS}.gz")).is_file());
    assert!(!dist.join(format!("{WASM}.gz")).exists());
    assert!(
        !dist.join("index.html.gz").exists(),
        "index.html is nonced per response"
    );
    let proxy = Proxy::start_with_dist(&[], &dist);
    let path = format!("/{JS}");

    let r = proxy.request("GET", &path, &[("Accept-Encoding", "gzip, deflate, br")]);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("vary"), Some("Accept-Encoding"));
    assert_hashed_script(&r);
    // scripts/test.sh installs brotli (scripts/lib.sh, ensure_web_tools).
    assert!(dist.join(format!("{JS}.br")).is_file(), "no brotli copy");
    {
        assert_eq!(r.header("content-encoding"), Some("br"));
        let mut child = Command::new("brotli")
            .args(["-d", "-c"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(&r.body).unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), js);
        assert!(r.body.len() < js.len() / 4, "{} bytes", r.body.len());
    }

    let r = proxy.request("GET", &path, &[("Accept-Encoding", "br;q=0, gzip")]);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    let mut text = String::new();
    flate2::read::GzDecoder::new(&r.body[..])
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(text, js);
    assert_eq!(
        r.header("content-length"),
        Some(r.body.len().to_string().as_str())
    );

    for refuse in [
        None,
        Some("identity"),
        Some("gzip;q=0, br;q=0"),
        Some("zstd"),
    ] {
        let headers: Vec<(&str, &str)> =
            refuse.map(|v| ("Accept-Encoding", v)).into_iter().collect();
        let r = proxy.request("GET", &path, &headers);
        assert_eq!(r.header("content-encoding"), None, "{refuse:?}");
        assert_eq!(r.text(), js, "{refuse:?}");
        assert_eq!(r.header("vary"), Some("Accept-Encoding"));
    }

    // HEAD says what GET would send.
    let r = proxy.request("HEAD", &path, &[("Accept-Encoding", "gzip")]);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    let gz_len = std::fs::metadata(dist.join(format!("{JS}.gz")))
        .unwrap()
        .len();
    assert_eq!(
        r.header("content-length"),
        Some(gz_len.to_string().as_str())
    );
}
