//! The page side of `layerlens serve` and its command line: static files
//! with the strict headers, hashed-asset caching, no way out of `--dist`,
//! the built-in page, usage errors.

#[path = "support/proxy/mod.rs"]
mod proxy_support;

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use layerlens::proxy::site::{content_type, is_hashed_name};
use proxy_support::Proxy;

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

fn assert_page_headers(r: &proxy_support::Response) {
    let csp = r.header("content-security-policy").expect("CSP");
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(csp.contains("object-src 'none'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
}

#[test]
fn serves_the_page_with_strict_headers_and_hashed_caching() {
    let (_tmp, dist) = site();
    let proxy = Proxy::start_with_dist(&[], &dist);

    let r = proxy.get("/");
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "<!doctype html><title>t</title>");
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    assert_page_headers(&r);

    let r = proxy.get("/index.html");
    assert_eq!(r.header("cache-control"), Some("no-cache"));

    let r = proxy.get(&format!("/{WASM}"));
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"\0asm\x01\0\0\0");
    assert_eq!(r.header("content-type"), Some("application/wasm"));
    assert_eq!(
        r.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_page_headers(&r);

    let r = proxy.get(&format!("/{JS}"));
    assert_eq!(
        r.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(
        r.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );

    let r = proxy.get("/assets/logo.svg");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("image/svg+xml"));
    assert_eq!(r.header("cache-control"), Some("no-cache"));

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
    assert_page_headers(&r);

    // `/v2/` is the seam for local images: nothing mounted yet.
    let r = proxy.get("/v2/");
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"], "not found");
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
