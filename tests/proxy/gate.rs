//! Who may use `layerlens serve`, end to end on loopback with raw HTTP: the
//! names it answers to (DNS rebinding), other web sites (cross-site reads),
//! origins listed with `--cors-origin`, requests that would loop back into
//! the proxy, the reach of a token realm, and upstream framing the proxy
//! must not pass on. The same refusals in a real browser: e2e_gate.rs.

use std::time::{Duration, Instant};

use layerlens_testkit::proxy::{
    assert_same_origin_only, free_port, Proxy, Reply, ReplyBody, Upstream,
};

fn registry() -> Upstream {
    Upstream::fixed(
        Reply::new(200, r#"{"repositories":[]}"#).header("Content-Type", "application/json"),
    )
}

#[test]
fn foreign_host_names_are_refused_everywhere_before_any_connection() {
    let up = registry();
    let proxy = Proxy::start(&["--allow-registry", &up.host_port()]);
    let port = proxy.addr().port();
    let targets = [
        "/".to_owned(),
        "/index.html".to_owned(),
        format!("/proxy/{}/v2/_catalog", up.host_port()),
        "/v2/demo/tags/list".to_owned(),
        format!("/proxy/127.0.0.1:{port}/v2/demo/tags/list"),
    ];
    // What DNS rebinding sends: a name of the attacker's, resolved to us.
    for host in ["evil.example".to_owned(), format!("evil.example:{port}")] {
        for target in &targets {
            let r = proxy.request("GET", target, &[("Host", &host)]);
            assert_eq!(r.status, 403, "{host} {target}: {}", r.text());
            assert_eq!(r.json()["error"], "host not served");
            assert!(r.json()["detail"]
                .as_str()
                .unwrap()
                .contains("--public-url"));
        }
    }
    let r = proxy.request("GET", &targets[2], &[("Host", "")]);
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(up.connections(), 0);
    assert!(proxy.log("refused by the gate").contains("403"));

    // Loopback names and address literals are always this machine.
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("app.localhost:{port}"),
    ] {
        let r = proxy.request("GET", "/v2/demo/tags/list", &[("Host", &host)]);
        assert_eq!(r.status, 200, "{host}: {}", r.text());
    }
}

#[test]
fn a_public_url_names_the_server() {
    let proxy = Proxy::start(&["--public-url", "https://lens.example/"]);
    for host in ["lens.example", "lens.example:8443"] {
        let r = proxy.request("GET", "/v2/demo/tags/list", &[("Host", host)]);
        assert_eq!(r.status, 200, "{host}: {}", r.text());
    }
    let r = proxy.request(
        "GET",
        "/v2/demo/tags/list",
        &[("Host", "lens.example.evil")],
    );
    assert_eq!(r.status, 403);
    // A URL with a path is a usage error, said at start.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_layerlens"))
        .args(["serve", "--public-url", "https://lens.example/app"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no path"));
}

#[test]
fn other_sites_cannot_read_through_the_proxy_or_the_local_registry() {
    let up = registry();
    let proxy = Proxy::start(&["--allow-registry", &up.host_port()]);
    let own = format!("http://{}", proxy.addr());
    let other_port = format!("http://127.0.0.1:{}", free_port());
    let targets = [
        format!("/proxy/{}/v2/_catalog", up.host_port()),
        "/v2/demo/tags/list".to_owned(),
        format!("/proxy/{}/v2/demo/tags/list", proxy.addr()),
    ];
    let refused: [&[(&str, &str)]; 6] = [
        &[("Origin", "https://evil.example")],
        // Another port on this machine is another origin (and the same site).
        &[("Origin", &other_port)],
        &[("Origin", "null")],
        // No-cors loads (`<script src>`, `<img>`) carry no Origin.
        &[("Sec-Fetch-Site", "cross-site")],
        &[("Sec-Fetch-Site", "same-site")],
        &[
            ("Origin", "https://evil.example"),
            ("Sec-Fetch-Site", "cross-site"),
        ],
    ];
    for target in &targets {
        for headers in refused {
            let r = proxy.request("GET", target, headers);
            assert_eq!(r.status, 403, "{target} {headers:?}: {}", r.text());
            assert_eq!(r.json()["error"], "cross-site request refused");
            assert_eq!(r.header("access-control-allow-origin"), None);
        }
        let r = proxy.request("OPTIONS", target, &[("Origin", "https://evil.example")]);
        assert_eq!(r.status, 403, "preflight {target}");
    }
    assert_eq!(up.connections(), 0, "nothing refused reached the registry");

    // The page's own requests: same origin, no CORS needed or given.
    let allowed: [&[(&str, &str)]; 4] = [
        &[],
        &[("Sec-Fetch-Site", "same-origin")],
        &[("Sec-Fetch-Site", "none")],
        &[("Origin", &own), ("Sec-Fetch-Site", "same-origin")],
    ];
    for target in &targets {
        for headers in allowed {
            let r = proxy.request("GET", target, headers);
            assert_eq!(r.status, 200, "{target} {headers:?}: {}", r.text());
            assert_same_origin_only(&r);
            assert_eq!(r.header("vary"), None, "nothing varies by origin");
        }
    }
    // A link to the page from anywhere still opens it.
    let r = proxy.request(
        "GET",
        "/",
        &[
            ("Sec-Fetch-Site", "cross-site"),
            ("Sec-Fetch-Mode", "navigate"),
        ],
    );
    assert_eq!(r.status, 200);
}

#[test]
fn a_listed_origin_reads_with_cors_and_answers_vary_by_origin() {
    let up = registry();
    let proxy = Proxy::start(&[
        "--allow-registry",
        &up.host_port(),
        "--cors-origin",
        "https://tools.example:8443",
    ]);
    let target = format!("/proxy/{}/v2/_catalog", up.host_port());
    let r = proxy.request(
        "GET",
        &target,
        &[
            ("Origin", "https://tools.example:8443"),
            ("Sec-Fetch-Site", "cross-site"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://tools.example:8443")
    );
    assert_eq!(r.header("vary"), Some("Origin"));
    let exposed = r
        .header("access-control-expose-headers")
        .unwrap()
        .to_ascii_lowercase();
    for h in [
        "docker-content-digest",
        "www-authenticate",
        "link",
        "content-range",
    ] {
        assert!(exposed.contains(h), "{h}: {exposed}");
    }
    // The page's own answers vary too, so a cache never mixes the two.
    let r = proxy.get(&target);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("vary"), Some("Origin"));
    assert_same_origin_only(&r);
    // Listing one origin opens no other.
    let r = proxy.request("GET", &target, &[("Origin", "https://tools.example")]);
    assert_eq!(r.status, 403);
    // `*` is not an origin one can list.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_layerlens"))
        .args(["serve", "--cors-origin", "*"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_proxy_never_forwards_to_itself() {
    let port = free_port();
    let me = format!("127.0.0.1:{port}");
    let up = registry();
    // The operator allowed this very address (as a wildcard for the team's
    // domain would): still no loop.
    let proxy = Proxy::start_on(
        port,
        &["--allow-registry", &me, "--allow-registry", &up.host_port()],
    );
    let start = Instant::now();
    for target in [
        format!("/proxy/{me}/proxy/{me}/proxy/{me}/v2/"),
        format!("/proxy/{me}/token?scope=x"),
        format!("/proxy/localhost:{port}/admin"),
        format!("/proxy/{me}/proxy/{}/v2/_catalog", up.host_port()),
    ] {
        let r = proxy.get(&target);
        assert_eq!(r.status, 403, "{target}: {}", r.text());
        assert_eq!(r.json()["error"], "loop refused", "{target}");
    }
    // Through another allowed host, a path under /proxy/ is a chain.
    let r = proxy.get(&format!("/proxy/{}/proxy/ghcr.io/v2/", up.host_port()));
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.json()["error"], "loop refused");
    assert!(start.elapsed() < Duration::from_secs(5), "refused at once");
    assert_eq!(up.connections(), 0);
    // Its own registry is still served.
    assert_eq!(
        proxy.get(&format!("/proxy/{me}/v2/demo/tags/list")).status,
        200
    );
}

#[test]
fn a_request_that_comes_back_through_a_redirect_is_a_loop() {
    let port = free_port();
    let me = format!("127.0.0.1:{port}");
    // A registry that redirects every request back into this proxy, for
    // itself (a blob-storage URL can be anything a registry says).
    let itself = std::sync::Arc::new(std::sync::OnceLock::<String>::new());
    let named = itself.clone();
    let up = Upstream::start(move |_| {
        let up = named.get().cloned().unwrap_or_default();
        Reply::redirect(302, &format!("http://127.0.0.1:{port}/proxy/{up}/v2/again"))
    });
    itself.set(up.host_port()).unwrap();
    let loop_target = format!(
        "/proxy/{}/v2/team/app/blobs/sha256:{}",
        up.host_port(),
        "a".repeat(64)
    );
    let up_hp = up.host_port();
    let proxy = Proxy::start_on(port, &["--allow-registry", &me, "--allow-registry", &up_hp]);
    let r = proxy.get(&loop_target);
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.json()["error"], "loop refused");
    assert_eq!(up.requests().len(), 1, "one pass, not a chain");

    // A Via of another layerlens is no loop of ours.
    let plain = registry();
    let proxy = Proxy::start(&["--allow-registry", &plain.host_port()]);
    let r = proxy.request(
        "GET",
        &format!("/proxy/{}/v2/_catalog", plain.host_port()),
        &[("Via", "1.1 layerlens-0123456789abcdef")],
    );
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn a_token_realm_opens_its_own_path_only() {
    let realm = Upstream::fixed(
        Reply::new(200, r#"{"token":"t"}"#).header("Content-Type", "application/json"),
    );
    let realm_url = format!("http://{}/auth/token", realm.host_port());
    let up = Upstream::fixed(Reply::new(401, "{}").header(
        "WWW-Authenticate",
        &format!(r#"Bearer realm="{realm_url}",service="s""#),
    ));
    let proxy = Proxy::start(&["--allow-registry", &up.host_port()]);
    let r = proxy.get(&format!("/proxy/{}/v2/", up.host_port()));
    assert_eq!(r.status, 401);
    let rh = realm.host_port();
    assert_eq!(
        proxy
            .get(&format!("/proxy/{rh}/auth/token?service=s"))
            .status,
        200
    );
    for other in ["/admin/x", "/auth/token/x", "/auth", "/v2/", "/"] {
        let r = proxy.get(&format!("/proxy/{rh}{other}"));
        assert_eq!(r.status, 403, "{other}: {}", r.text());
        assert_eq!(r.json()["error"], "host not allowed");
    }
    let paths: Vec<String> = realm.requests().iter().map(|r| r.target.clone()).collect();
    assert_eq!(paths, vec!["/auth/token?service=s".to_string()]);
}

#[test]
fn a_chunked_body_never_carries_a_contradicting_length() {
    let mut reply = Reply::new(200, "").header("Content-Length", "5");
    reply.body = ReplyBody::Chunked(60_000);
    let up = Upstream::fixed(reply);
    let proxy = Proxy::start(&["--allow-registry", &up.host_port()]);
    let r = proxy.get(&format!(
        "/proxy/{}/v2/a/blobs/sha256:{}",
        up.host_port(),
        "b".repeat(64)
    ));
    assert_eq!(r.status, 200);
    assert!(r.complete, "the body ended cleanly");
    assert_eq!(r.body.len(), 60_000, "every byte, not the stale length");
    assert_ne!(r.header("content-length"), Some("5"));
}

#[test]
fn an_encoded_answer_is_refused_in_words() {
    let up = Upstream::fixed(
        Reply::new(200, "\u{1f}\u{8b}not really gzip").header("Content-Encoding", "gzip"),
    );
    let proxy = Proxy::start(&["--allow-registry", &up.host_port()]);
    let r = proxy.get(&format!("/proxy/{}/v2/a/manifests/latest", up.host_port()));
    assert_eq!(r.status, 502, "{}", r.text());
    assert_eq!(r.json()["error"], "encoded response refused");
    assert!(r.json()["detail"].as_str().unwrap().contains("gzip"));
    assert_eq!(r.header("content-encoding"), None);
    // `identity` is what was asked for: fine.
    let up = Upstream::fixed(Reply::new(200, "{}").header("Content-Encoding", "identity"));
    let proxy = Proxy::start(&["--allow-registry", &up.host_port()]);
    let r = proxy.get(&format!("/proxy/{}/v2/a/manifests/latest", up.host_port()));
    assert_eq!(r.status, 200, "{}", r.text());
}
