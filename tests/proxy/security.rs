//! Refusals of `layerlens serve`'s proxy, end to end on loopback: each one
//! asserts the status, the JSON error, the CORS headers, and that the
//! upstream test server saw no connection at all.

use layerlens_testkit::proxy::{assert_same_origin_only, Proxy, Reply, Upstream};

fn allowed_upstream() -> (Upstream, Proxy) {
    let up = Upstream::fixed(Reply::new(200, "should never be reached"));
    let proxy = Proxy::start(&["--allow-registry", &up.host_port()]);
    (up, proxy)
}

#[test]
fn malformed_paths_are_400_before_any_connection() {
    let (up, proxy) = allowed_upstream();
    let hp = up.host_port();
    let port = up.addr().port();
    let targets = [
        format!("/proxy/{hp}/v2/../../etc/passwd"),
        format!("/proxy/{hp}/v2/./x"),
        format!("/proxy/{hp}/v2/%2e%2e/x"),
        format!("/proxy/{hp}/v2/%2E%2E/x"),
        format!("/proxy/{hp}/v2/x%2fy"),
        format!("/proxy/{hp}/v2/x%2Fy"),
        format!("/proxy/{hp}/v2/x%5cy"),
        format!("/proxy/{hp}/v2/x%0d%0aX-Injected:%20yes"),
        format!("/proxy/{hp}/v2/?q=%0D%0AX-Injected:%20yes"),
        format!("/proxy/{hp}/v2/x%00"),
        format!("/proxy/{hp}//v2/"),
        format!("/proxy/ghcr.io@{hp}/v2/"),
        format!("/proxy/user:pw@{hp}/v2/"),
        format!("/proxy/{hp}%40ghcr.io/v2/"),
        "/proxy//v2/".to_string(),
        format!("/proxy/:{port}/v2/"),
        "/proxy/127.0.0.1:0/v2/".to_string(),
        "/proxy/127.0.0.1:65536/v2/".to_string(),
        "/proxy/127.0.0.1:80a/v2/".to_string(),
        "/proxy/2130706433/v2/".to_string(),
        format!("/proxy/{hp}"),
        format!("/proxy/{hp}/v2/%zz"),
    ];
    for target in &targets {
        let r = proxy.get(target);
        assert_eq!(r.status, 400, "{target}: {}", r.text());
        assert_same_origin_only(&r);
        assert_eq!(r.json()["error"], "malformed path", "{target}");
        assert!(r.json()["detail"].as_str().unwrap().len() > 10);
    }
    // A raw backslash or CR/LF never even reaches the router: the server's
    // HTTP parser refuses the request line (400 all the same).
    for target in [
        format!("/proxy/{hp}/v2\\..\\x"),
        format!("/proxy/{hp}/v2/ x"),
    ] {
        let r = proxy.get(&target);
        assert_eq!(r.status, 400, "{target}");
    }
    assert_eq!(
        up.connections(),
        0,
        "no upstream connection for a malformed path"
    );
}

#[test]
fn hosts_off_the_allowlist_are_403_before_any_lookup() {
    let (up, proxy) = allowed_upstream();
    // Refused before any DNS lookup: the name is never resolved.
    let r = proxy.get("/proxy/example.invalid/v2/library/busybox/manifests/latest");
    assert_eq!(r.status, 403, "{}", r.text());
    assert_same_origin_only(&r);
    let body = r.json();
    assert_eq!(body["error"], "host not allowed");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("--allow-registry example.invalid"),
        "{body}"
    );

    // The same test server under another name or port is not allowed either.
    let other_port = Upstream::fixed(Reply::new(200, "nope"));
    for target in [
        format!("/proxy/{}/v2/", other_port.host_port()),
        format!("/proxy/localhost:{}/v2/", up.addr().port()),
        format!("/proxy/127.0.0.2:{}/v2/", up.addr().port()),
    ] {
        let r = proxy.get(&target);
        assert_eq!(r.status, 403, "{target}: {}", r.text());
        assert_same_origin_only(&r);
    }
    assert_eq!(up.connections(), 0);
    assert_eq!(other_port.connections(), 0);
}

#[test]
fn a_token_realm_no_challenge_named_is_403() {
    let (up, proxy) = allowed_upstream();
    let realm = Upstream::fixed(Reply::new(200, r#"{"token":"t"}"#));
    let r = proxy.get(&format!(
        "/proxy/{}/token?service=x&scope=repository%3Aa%3Apull",
        realm.host_port()
    ));
    assert_eq!(r.status, 403, "{}", r.text());
    assert_same_origin_only(&r);
    assert_eq!(realm.connections(), 0);
    assert_eq!(up.connections(), 0);
}

#[test]
fn options_is_answered_by_the_proxy_itself() {
    let up = Upstream::fixed(Reply::new(200, "should never be reached"));
    let proxy = Proxy::start(&[
        "--allow-registry",
        &up.host_port(),
        "--cors-origin",
        "http://127.0.0.1:1",
    ]);
    let r = proxy.request(
        "OPTIONS",
        &format!("/proxy/{}/v2/team/app/manifests/latest", up.host_port()),
        &[
            ("Origin", "http://127.0.0.1:1"),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "authorization,range"),
        ],
    );
    assert_eq!(r.status, 204);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://127.0.0.1:1")
    );
    let allow = r
        .header("access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    for h in ["authorization", "accept", "range", "if-none-match"] {
        assert!(allow.contains(h), "{allow}");
    }
    let methods = r.header("access-control-allow-methods").unwrap();
    assert!(
        methods.contains("GET") && methods.contains("HEAD"),
        "{methods}"
    );
    assert_eq!(up.connections(), 0, "OPTIONS is never forwarded");
}

#[test]
fn other_methods_are_405() {
    let (up, proxy) = allowed_upstream();
    for method in ["POST", "PUT", "DELETE", "PATCH"] {
        let r = proxy.request(
            method,
            &format!("/proxy/{}/v2/team/app/blobs/uploads/", up.host_port()),
            &[("Content-Length", "0")],
        );
        assert_eq!(r.status, 405, "{method}");
        assert_same_origin_only(&r);
        assert_eq!(r.json()["error"], "method not allowed");
        assert!(r.header("allow").unwrap().contains("GET"));
    }
    assert_eq!(up.connections(), 0);
}

#[test]
fn loopback_redirect_targets_are_refused_without_a_connection() {
    // An allowed registry redirects to loopback services it has no business
    // sending the proxy to: HTTPS on an unlisted loopback port (address
    // policy, after resolving `localhost`), plain HTTP to it (scheme rule).
    let victim = Upstream::fixed(Reply::new(200, "internal service"));
    let vp = victim.addr().port();
    let targets = [
        format!("https://127.0.0.1:{vp}/admin"),
        format!("https://localhost:{vp}/admin"),
        format!("http://127.0.0.1:{vp}/admin"),
        format!("https://[::ffff:127.0.0.1]:{vp}/admin"),
    ];
    for target in &targets {
        let t = target.clone();
        let registry = Upstream::start(move |_| Reply::redirect(307, &t));
        let proxy = Proxy::start(&["--allow-registry", &registry.host_port()]);
        let r = proxy.get(&format!(
            "/proxy/{}/v2/team/app/blobs/sha256:{}",
            registry.host_port(),
            "a".repeat(64)
        ));
        assert_eq!(r.status, 403, "{target}: {}", r.text());
        assert_same_origin_only(&r);
        let label = r.json()["error"].as_str().unwrap().to_owned();
        if target.starts_with("https") {
            assert_eq!(label, "address refused", "{target}");
        } else {
            assert_eq!(label, "insecure redirect refused", "{target}");
        }
        assert_eq!(registry.connections(), 1);
    }
    assert_eq!(
        victim.connections(),
        0,
        "the redirect target was never contacted"
    );
}

#[test]
fn secrets_are_never_logged() {
    let up = Upstream::fixed(Reply::new(200, "{}"));
    let proxy = Proxy::start(&["--allow-registry", &up.host_port()]);
    let r = proxy.request(
        "GET",
        &format!(
            "/proxy/{}/v2/team/app/tags/list?n=10&last=QUERYSECRET",
            up.host_port()
        ),
        &[("Authorization", "Bearer HEADERSECRET")],
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        up.requests()[0].header("authorization"),
        Some("Bearer HEADERSECRET")
    );
    let log = proxy.log("/v2/team/app/tags/list");
    assert!(
        log.contains(&format!(
            "GET {} /v2/team/app/tags/list 200",
            up.host_port()
        )),
        "{log}"
    );
    assert!(!log.contains("HEADERSECRET"), "{log}");
    assert!(!log.contains("QUERYSECRET"), "{log}");
    assert!(!log.to_ascii_lowercase().contains("bearer"), "{log}");
}
