//! The page's CSP in a real browser (issue 10): headless Chromium (Debian
//! package `chromium`) loads a Trunk-shaped `index.html` from
//! `layerlens serve`. Its scripts run because the server gives them the
//! response's nonce; a script without it — written into the document
//! (parser-inserted), pointing at the page's own files or at `/proxy/…` —
//! is refused, and a static HTML file of the site runs nothing at all.

use std::process::Command;

use layerlens_testkit::proxy::{Proxy, Reply, Upstream};

/// A blob path on the test upstream (which serves JavaScript).
const BLOB: &str =
    "/v2/x/blobs/sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";

/// The page: Trunk's inline module, a classic inline script, an external
/// script — all given the nonce by the server — and, written by the
/// classic script, scripts that have no nonce (`PROXIED` is replaced by a
/// `/proxy/…` URL).
const PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>t</title>
<script type="module">
document.body.dataset.module = "ran";
</script>
<script>
document.documentElement.dataset.classic = "ran";
document.write('<script src="/evil.js"><\/script>');
document.write('<script>document.documentElement.dataset.written = "ran";<\/script>');
document.write('<script src="PROXIED"><\/script>');
</script>
<script src="/good.js"></script>
</head><body data-state="idle"><p>page</p></body></html>
"#;

/// The DOM after load, as headless Chromium serialises it.
fn dump_dom(url: &str) -> String {
    assert!(url.starts_with("http://127.0.0.1:"));
    let out = Command::new("chromium")
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-domain-reliability",
            "--no-pings",
            // Nothing but loopback: every other host resolves to nothing
            // and would go to a dead proxy on 127.0.0.1.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--proxy-server=127.0.0.1:9",
            "--virtual-time-budget=3000",
            "--dump-dom",
            url,
        ])
        .output()
        .expect("chromium (Debian package chromium; scripts/test.sh installs it)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `dist/` with [`PAGE`] as `index.html` (its proxied script on `upstream`),
/// the page's two script files, and `raw.html`, the same page as a plain file.
fn dist(upstream: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let page = PAGE.replace("PROXIED", &format!("/proxy/{upstream}{BLOB}"));
    std::fs::write(tmp.path().join("index.html"), &page).unwrap();
    std::fs::write(tmp.path().join("raw.html"), &page).unwrap();
    std::fs::write(
        tmp.path().join("good.js"),
        "document.documentElement.dataset.external = 'ran';",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("evil.js"),
        "document.documentElement.dataset.evil = 'ran';",
    )
    .unwrap();
    tmp
}

/// A registry that serves JavaScript as JavaScript.
fn script_upstream() -> Upstream {
    Upstream::fixed(
        Reply::new(200, "document.documentElement.dataset.proxied = 'ran';")
            .header("Content-Type", "text/javascript"),
    )
}

#[test]
fn the_nonced_scripts_run_and_no_other() {
    let up = script_upstream();
    let tmp = dist(&up.host_port());
    let proxy = Proxy::start_with_dist(&["--allow-registry", &up.host_port()], tmp.path());
    let dom = dump_dom(&format!("http://{}/", proxy.addr()));
    assert!(dom.contains("<p>page</p>"), "the page loaded: {dom}");
    assert!(dom.contains("data-module=\"ran\""), "{dom}");
    assert!(dom.contains("data-classic=\"ran\""), "{dom}");
    assert!(dom.contains("data-external=\"ran\""), "{dom}");
    // Parser-inserted without the nonce: refused, same origin or not.
    assert!(!dom.contains("data-written"), "{dom}");
    assert!(!dom.contains("data-evil"), "{dom}");
    assert!(!dom.contains("data-proxied"), "{dom}");
    assert!(
        up.requests().is_empty(),
        "the policy refused the proxied script before any request: {:?}",
        up.requests()
    );
}

#[test]
fn a_static_html_file_runs_nothing() {
    // Served as a file with the assets' policy, not as index.html: no
    // nonce, so not even its inline scripts run.
    let up = script_upstream();
    let tmp = dist(&up.host_port());
    let proxy = Proxy::start_with_dist(&["--allow-registry", &up.host_port()], tmp.path());
    let dom = dump_dom(&format!("http://{}/raw.html", proxy.addr()));
    assert!(dom.contains("<p>page</p>"), "the page loaded: {dom}");
    for mark in [
        "data-module",
        "data-classic",
        "data-external",
        "data-written",
        "data-evil",
        "data-proxied",
    ] {
        assert!(!dom.contains(mark), "{mark}: {dom}");
    }
    assert!(up.requests().is_empty(), "{:?}", up.requests());
}
