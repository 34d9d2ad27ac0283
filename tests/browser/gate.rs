//! Other web sites against a running `layerlens serve`, in real headless
//! Chromium: a page of another origin (another port on 127.0.0.1: the same
//! site, another origin) and a page reached through DNS rebinding (a name
//! mapped to 127.0.0.1 by Chromium's resolver rules) try to read the local
//! registry and an allowed registry through the proxy; a second server
//! lists that origin with `--cors-origin` and lets it read. Runs
//! `node --test tests/e2e/gate.e2e.mjs`; the raw-HTTP side of the same rules
//! is tests/proxy/gate.rs.
//!
//! Needs, like tests/browser/page.rs: `dist/` from `trunk build`, `npm ci` in
//! tests/e2e, and `/usr/bin/chromium`.

use std::process::Command;
use std::time::Duration;

use layerlens_testkit::e2e::{require_browser_tools, run_node, serve};
use layerlens_testkit::proxy::{free_port, Reply, Upstream};

/// The longest the browser tests may take.
const NODE_TIMEOUT: Duration = Duration::from_secs(120);

#[test]
fn other_sites_cannot_read_through_serve() {
    require_browser_tools();
    // An allowed registry of the test's own that answers every request with
    // a secret and counts what reaches it.
    let registry = Upstream::fixed(
        Reply::new(200, r#"{"repositories":["secret/app"]}"#)
            .header("Content-Type", "application/json"),
    );
    let other = free_port();
    let bin = env!("CARGO_BIN_EXE_layerlens");
    let (_closed, closed_url) = serve(bin, &[registry.host_port()], &[]);
    let listed_origin = format!("http://127.0.0.1:{other}");
    let (_open, open_url) = serve(
        bin,
        &[registry.host_port()],
        &["--cors-origin", &listed_origin],
    );
    let mut node = Command::new("node");
    node.args(["--test", "--test-concurrency=1", "tests/e2e/gate.e2e.mjs"])
        .env("SERVER", &closed_url)
        .env("OPEN_SERVER", &open_url)
        .env("REGISTRY", registry.host_port())
        .env("OTHER_PORT", other.to_string());
    run_node(node, NODE_TIMEOUT);
    // Only the listed origin's reads (one through the proxy) reached the
    // registry: nothing refused was forwarded.
    assert_eq!(registry.requests().len(), 1, "{:?}", registry.requests());
}
