//! The page's CSP in a real browser: headless Chromium (Debian package
//! `chromium`) loads a Trunk-shaped `index.html` with inline scripts from
//! `layerlens serve`; the scripts run, because the server moved them into
//! `/boot-<hash>.js` files — and an inline script served as-is would be
//! blocked by the same policy (the control).

#[path = "support/proxy/mod.rs"]
mod proxy_support;

use std::process::Command;

use proxy_support::Proxy;

const PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>t</title>
<script type="module">
document.body.dataset.module = "ran";
</script>
<script>document.documentElement.dataset.classic = "ran";</script>
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

#[test]
fn inline_bootstrap_runs_under_the_strict_csp() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("index.html"), PAGE).unwrap();
    let proxy = Proxy::start_with_dist(&[], tmp.path());
    let dom = dump_dom(&format!("http://{}/", proxy.addr()));
    assert!(dom.contains("data-module=\"ran\""), "{dom}");
    assert!(dom.contains("data-classic=\"ran\""), "{dom}");
    assert!(dom.contains("src=\"/boot-"), "{dom}");
}

#[test]
fn the_same_inline_script_is_blocked_without_the_rewrite() {
    // Served as a file with the page's headers but not as index.html: the
    // server does not rewrite it, so the CSP blocks its inline scripts.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("index.html"), "<!doctype html><p>x</p>").unwrap();
    std::fs::write(tmp.path().join("raw.html"), PAGE).unwrap();
    let proxy = Proxy::start_with_dist(&[], tmp.path());
    let dom = dump_dom(&format!("http://{}/raw.html", proxy.addr()));
    assert!(dom.contains("<p>page</p>"), "the page loaded: {dom}");
    assert!(!dom.contains("data-module"), "{dom}");
    assert!(!dom.contains("data-classic"), "{dom}");
}
