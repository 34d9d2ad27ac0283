//! Forwarding through `layerlens serve`, end to end on loopback: what goes
//! upstream, what comes back, redirects, the token realm, Range, caps,
//! caching and `Link` rewriting. Upstreams are tiny test servers on 127.0.0.1.

use layerlens_testkit::proxy::{
    assert_same_origin_only, free_port, Proxy, Reply, ReplyBody, Upstream,
};

const DIGEST: &str = "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";

#[test]
fn forwards_to_an_allowed_loopback_registry_with_filtered_headers() {
    let up = Upstream::fixed(
        Reply::new(200, r#"{"schemaVersion":2}"#)
            .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
            .header("Docker-Content-Digest", DIGEST)
            .header("Set-Cookie", "session=abc; HttpOnly")
            .header("X-Upstream-Internal", "leak")
            .header("Ratelimit-Remaining", "99;w=21600")
            .header("Cache-Control", "private, max-age=5"),
    );
    let proxy = Proxy::start(&["--allow-registry", &up.host_port()]);
    let r = proxy.request(
        "GET",
        &format!("/proxy/{}/v2/team/app/manifests/latest", up.host_port()),
        &[
            ("Accept", "application/vnd.oci.image.manifest.v1+json"),
            ("Authorization", "Bearer tok"),
            ("Cookie", "session=browser"),
            ("X-Other", "1"),
            // The page's own origin: allowed in, never passed on.
            ("Origin", &format!("http://{}", proxy.addr())),
            ("Referer", "http://127.0.0.1:9/secret-page"),
            ("User-Agent", "Mozilla/5.0"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), r#"{"schemaVersion":2}"#);
    assert_same_origin_only(&r);
    assert_eq!(r.header("docker-content-digest"), Some(DIGEST));
    assert_eq!(r.header("ratelimit-remaining"), Some("99;w=21600"));
    assert_eq!(
        r.header("content-type"),
        Some("application/vnd.oci.image.manifest.v1+json")
    );
    assert_eq!(r.header("set-cookie"), None);
    assert_eq!(r.header("x-upstream-internal"), None);
    // Tag-addressed, and fetched with a token: revalidated, never shared.
    assert_eq!(r.header("cache-control"), Some("private, no-cache"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert!(r
        .header("content-security-policy")
        .unwrap()
        .contains("sandbox"));

    assert_eq!(up.connections(), 1);
    let got = &up.requests()[0];
    assert_eq!(got.method, "GET");
    assert_eq!(got.target, "/v2/team/app/manifests/latest");
    assert_eq!(got.header("host"), Some(up.host_port().as_str()));
    assert_eq!(got.header("authorization"), Some("Bearer tok"));
    assert_eq!(
        got.header("accept"),
        Some("application/vnd.oci.image.manifest.v1+json")
    );
    assert!(got.header("user-agent").unwrap().starts_with("layerlens/"));
    // This process's pseudonym: a request that comes back with it is a loop.
    assert!(got.header("via").unwrap().starts_with("1.1 layerlens-"));
    for absent in ["cookie", "x-other", "origin", "referer"] {
        assert_eq!(got.header(absent), None, "{absent} must not go upstream");
    }
    let names: Vec<&str> = got.headers.iter().map(|(n, _)| n.as_str()).collect();
    for n in &names {
        assert!(
            [
                "host",
                "user-agent",
                "accept",
                "authorization",
                "range",
                "if-none-match",
                "accept-encoding",
                "via"
            ]
            .contains(n),
            "unexpected upstream header {n}: {names:?}"
        );
    }
}

#[test]
fn errors_from_upstream_pass_through() {
    let up = Upstream::fixed(
        Reply::new(404, r#"{"errors":[{"code":"MANIFEST_UNKNOWN"}]}"#)
            .header("Content-Type", "application/json"),
    );
    let proxy = Proxy::start(&["--allow-registry", &up.host_port()]);
    let r = proxy.get(&format!(
        "/proxy/{}/v2/a/manifests/{DIGEST}",
        up.host_port()
    ));
    assert_eq!(r.status, 404);
    assert_same_origin_only(&r);
    assert!(r.text().contains("MANIFEST_UNKNOWN"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
}

#[test]
fn unreachable_upstream_is_502_with_cors() {
    let port = free_port();
    let proxy = Proxy::start(&["--allow-registry", &format!("127.0.0.1:{port}")]);
    let r = proxy.get(&format!("/proxy/127.0.0.1:{port}/v2/"));
    assert_eq!(r.status, 502, "{}", r.text());
    assert_same_origin_only(&r);
    assert_eq!(r.json()["error"], "upstream unreachable");
}

#[test]
fn head_keeps_length_and_digest() {
    let up = Upstream::fixed(
        Reply::new(200, vec![b'm'; 1234])
            .header("Docker-Content-Digest", DIGEST)
            .header("Content-Type", "application/vnd.oci.image.index.v1+json"),
    );
    let proxy = Proxy::start(&["--allow-registry", &up.host_port()]);
    let r = proxy.request(
        "HEAD",
        &format!("/proxy/{}/v2/a/manifests/v1", up.host_port()),
        &[],
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length"), Some("1234"));
    assert_eq!(r.header("docker-content-digest"), Some(DIGEST));
    assert_eq!(up.requests()[0].method, "HEAD");
}

#[test]
fn redirects_are_followed_and_authorization_stays_with_its_origin() {
    let storage = Upstream::fixed(Reply::new(200, "layer bytes"));
    let storage_hp = storage.host_port();
    let registry = Upstream::start(move |req| {
        if req.target.starts_with("/v2/team/app/blobs/") {
            // Same origin first: Authorization is kept.
            Reply::redirect(302, "/v2/team/app/moved")
        } else {
            Reply::redirect(307, &format!("http://{storage_hp}/data/blob?sig=abc%2Fdef"))
        }
    });
    let proxy = Proxy::start(&[
        "--allow-registry",
        &registry.host_port(),
        "--allow-registry",
        &storage.host_port(),
    ]);
    let r = proxy.request(
        "GET",
        &format!("/proxy/{}/v2/team/app/blobs/{DIGEST}", registry.host_port()),
        &[
            ("Authorization", "Bearer registry-token"),
            ("Range", "bytes=0-"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), "layer bytes");
    assert_same_origin_only(&r);
    // Fetched with a token this proxy did not see issued anonymously: the
    // browser may keep it, a shared cache never.
    assert_eq!(
        r.header("cache-control"),
        Some("private, max-age=31536000, immutable")
    );

    let reg = registry.requests();
    assert_eq!(reg.len(), 2);
    for req in &reg {
        assert_eq!(req.header("authorization"), Some("Bearer registry-token"));
    }
    assert_eq!(reg[1].target, "/v2/team/app/moved");
    let st = storage.requests();
    assert_eq!(st.len(), 1);
    assert_eq!(st[0].target, "/data/blob?sig=abc%2Fdef");
    assert_eq!(
        st[0].header("authorization"),
        None,
        "dropped on the cross-host hop"
    );
    assert_eq!(st[0].header("range"), Some("bytes=0-"), "Range survives");
    assert_eq!(st[0].header("host"), Some(storage.host_port().as_str()));
}

#[test]
fn more_than_five_redirects_is_an_error() {
    let up = Upstream::start(|req| Reply::redirect(302, &format!("{}x", req.target)));
    let proxy = Proxy::start(&["--allow-registry", &up.host_port()]);
    let r = proxy.get(&format!("/proxy/{}/v2/loop", up.host_port()));
    assert_eq!(r.status, 502, "{}", r.text());
    assert_same_origin_only(&r);
    assert_eq!(r.json()["error"], "too many redirects");
    assert_eq!(up.requests().len(), 6, "the request and five redirects");
    let detail = r.json()["detail"].as_str().unwrap_or_default().to_owned();
    assert!(detail.starts_with("more than 5 redirects: "), "{detail}");
}

#[test]
fn a_redirect_loop_is_named_and_not_followed_round_again() {
    let up = Upstream::start(|req| {
        if req.path == "/v2/a/blobs/start" {
            Reply::redirect(307, "/storage/a")
        } else if req.path == "/storage/a" {
            Reply::redirect(307, "/storage/b?X-Signature=secret")
        } else {
            Reply::redirect(307, "/storage/a")
        }
    });
    let proxy = Proxy::start(&["--allow-registry", &up.host_port()]);
    let r = proxy.get(&format!("/proxy/{}/v2/a/blobs/start", up.host_port()));
    assert_eq!(r.status, 502, "{}", r.text());
    assert_eq!(r.json()["error"], "too many redirects");
    let detail = r.json()["detail"].as_str().unwrap_or_default().to_owned();
    let host = up.host_port();
    assert_eq!(
        detail,
        format!(
            "redirect loop: http://{host}/v2/a/blobs/start -> http://{host}/storage/a -> \
             http://{host}/storage/b -> http://{host}/storage/a"
        )
    );
    assert_eq!(up.requests().len(), 3, "storage/a is not asked twice");
}

#[test]
fn range_is_passed_and_content_range_exposed() {
    let up = Upstream::start(|req| {
        if req.header("range") == Some("bytes=2-5") {
            Reply::new(206, "2345").header("Content-Range", "bytes 2-5/10")
        } else {
            Reply::new(200, "0123456789")
        }
    });
    let proxy = Proxy::start(&["--allow-registry", &up.host_port()]);
    let r = proxy.request(
        "GET",
        &format!("/proxy/{}/v2/a/blobs/{DIGEST}", up.host_port()),
        &[("Range", "bytes=2-5")],
    );
    assert_eq!(r.status, 206);
    assert_eq!(r.text(), "2345");
    assert_eq!(r.header("content-range"), Some("bytes 2-5/10"));
    assert_same_origin_only(&r);
}

#[test]
fn challenge_realm_is_rewritten_and_the_token_request_goes_through() {
    let tokens = Upstream::fixed(
        Reply::new(200, r#"{"token":"t0k"}"#).header("Content-Type", "application/json"),
    );
    let realm = format!("http://{}/token", tokens.host_port());
    let registry = Upstream::start(move |req| {
        if req.header("authorization") == Some("Bearer t0k") {
            Reply::new(200, "{}")
        } else {
            Reply::new(401, r#"{"errors":[{"code":"UNAUTHORIZED"}]}"#).header(
                "WWW-Authenticate",
                &format!(r#"Bearer realm="{realm}",service="test-registry",scope="repository:team/app:pull""#),
            )
        }
    });
    let proxy = Proxy::start(&["--allow-registry", &registry.host_port()]);
    let token_path = format!(
        "/proxy/{}/token?service=test-registry&scope=repository%3Ateam%2Fapp%3Apull",
        tokens.host_port()
    );

    // Before any challenge named it, the realm host is not allowed.
    assert_eq!(proxy.get(&token_path).status, 403);
    assert_eq!(tokens.connections(), 0);

    let r = proxy.get(&format!(
        "/proxy/{}/v2/team/app/manifests/v1",
        registry.host_port()
    ));
    assert_eq!(r.status, 401);
    assert_same_origin_only(&r);
    let challenge = r.header("www-authenticate").unwrap();
    let expected_realm = format!(r#"realm="/proxy/{}/token""#, tokens.host_port());
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(challenge.contains(&expected_realm), "{challenge}");
    assert!(
        challenge.contains(r#"service="test-registry""#),
        "{challenge}"
    );
    assert!(
        challenge.contains(r#"scope="repository:team/app:pull""#),
        "{challenge}"
    );

    let r = proxy.request(
        "GET",
        &token_path,
        &[("Authorization", "Basic dXNlcjpwdw==")],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["token"], "t0k");
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_same_origin_only(&r);
    let got = &tokens.requests()[0];
    assert_eq!(
        got.target,
        "/token?service=test-registry&scope=repository%3Ateam%2Fapp%3Apull"
    );
    assert_eq!(got.header("authorization"), Some("Basic dXNlcjpwdw=="));

    let r = proxy.request(
        "GET",
        &format!("/proxy/{}/v2/team/app/manifests/v1", registry.host_port()),
        &[("Authorization", "Bearer t0k")],
    );
    assert_eq!(r.status, 200);
}

#[test]
fn oversized_manifests_are_refused() {
    let big = 4 * 1024 * 1024 + 1;
    let declared = Upstream::fixed(Reply::new(200, vec![b'{'; big]));
    let streamed = Upstream::fixed(Reply {
        status: 200,
        headers: Vec::new(),
        body: ReplyBody::Chunked(big + 100_000),
    });
    let proxy = Proxy::start(&[
        "--allow-registry",
        &declared.host_port(),
        "--allow-registry",
        &streamed.host_port(),
    ]);

    let r = proxy.get(&format!(
        "/proxy/{}/v2/a/manifests/latest",
        declared.host_port()
    ));
    assert_eq!(r.status, 502, "{}", r.text().len());
    assert_same_origin_only(&r);
    assert_eq!(r.json()["error"], "response too large");

    let r = proxy.get(&format!(
        "/proxy/{}/v2/a/manifests/latest",
        streamed.host_port()
    ));
    assert_eq!(r.status, 200);
    assert!(
        !r.complete,
        "a streamed manifest over the cap is cut, not completed"
    );
    assert!(
        r.body.len() <= 4 * 1024 * 1024 + 64 * 1024,
        "{}",
        r.body.len()
    );

    // Blobs have no cap.
    let r = proxy.get(&format!(
        "/proxy/{}/v2/a/blobs/{DIGEST}",
        declared.host_port()
    ));
    assert_eq!(r.status, 200);
    assert!(r.complete);
    assert_eq!(r.body.len(), big);
}

#[test]
fn cache_control_follows_the_addressing() {
    let up = Upstream::fixed(Reply::new(200, "x").header("Cache-Control", "max-age=60"));
    let proxy = Proxy::start(&["--allow-registry", &up.host_port()]);
    let cc = |path: &str| {
        let r = proxy.get(&format!("/proxy/{}{path}", up.host_port()));
        r.header("cache-control").unwrap_or_default().to_owned()
    };
    let immutable = "public, max-age=31536000, immutable";
    assert_eq!(cc(&format!("/v2/a/b/blobs/{DIGEST}")), immutable);
    assert_eq!(cc(&format!("/v2/a/b/manifests/{DIGEST}")), immutable);
    assert_eq!(cc("/v2/a/b/manifests/latest"), "no-cache");
    assert_eq!(cc("/v2/a/b/tags/list"), "no-cache");
}

#[test]
fn link_headers_point_back_through_the_proxy() {
    let up = Upstream::fixed(
        Reply::new(200, r#"{"name":"a","tags":["1","2"]}"#)
            .header("Link", r#"</v2/a/tags/list?n=2&last=2>; rel="next""#),
    );
    let proxy = Proxy::start(&["--allow-registry", &up.host_port()]);
    let r = proxy.get(&format!("/proxy/{}/v2/a/tags/list?n=2", up.host_port()));
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("link").unwrap(),
        format!(
            r#"</proxy/{}/v2/a/tags/list?n=2&last=2>; rel="next""#,
            up.host_port()
        )
    );
    assert_eq!(up.requests()[0].target, "/v2/a/tags/list?n=2");
}
