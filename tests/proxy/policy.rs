//! The proxy's pure decisions, tested on values: path and host parsing, the
//! allowlist, schemes, redirects, caching, rewrites (the address policy is in
//! proxy_address.rs).
//! Nothing here opens a socket or resolves a name.

use layerlens::serve::policy::{
    body_cap, cache_control, check_redirect, decide, is_digest_addressed, Access, Allowlist,
    RealmGrant, Refusal, RequestKind, IMMUTABLE, MANIFEST_CAP, NO_CACHE, NO_STORE,
    PRIVATE_IMMUTABLE, PRIVATE_NO_CACHE, TOKEN_CAP,
};
use layerlens::serve::rewrite::{rewrite_challenge, rewrite_link};
use layerlens::serve::{Authority, HostPattern, PathError, ProxyPath, Scheme, Trust, UpstreamUrl};

const DIGEST: &str = "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";

fn parse(path: &str) -> Result<ProxyPath, PathError> {
    match path.split_once('?') {
        Some((p, q)) => ProxyPath::parse(p, Some(q)),
        None => ProxyPath::parse(path, None),
    }
}

fn err(path: &str) -> PathError {
    parse(path).expect_err(path)
}

fn auth(s: &str) -> Authority {
    Authority::parse(s).unwrap()
}

fn allow(extra: &[&str], insecure: &[&str]) -> Allowlist {
    let mut a = Allowlist::with_defaults();
    for e in extra {
        a.allow(e.parse().unwrap());
    }
    for e in insecure {
        a.insecure(e.parse().unwrap());
    }
    a
}

// --- paths -----------------------------------------------------------------

#[test]
fn well_formed_paths_parse() {
    let p = parse("/proxy/GHCR.io/v2/org/app/manifests/latest").unwrap();
    assert_eq!(p.authority().to_string(), "ghcr.io");
    assert_eq!(p.path(), "/v2/org/app/manifests/latest");
    assert_eq!(p.query(), None);

    let p = parse("/proxy/127.0.0.1:5000/v2/").unwrap();
    assert_eq!(p.authority().port(), Some(5000));
    assert_eq!(p.path(), "/v2/");

    let p = parse("/proxy/[::1]:5000/v2/x/blobs/sha256:ab").unwrap();
    assert_eq!(p.authority().to_string(), "[::1]:5000");

    // Token scopes carry encoded slashes and colons in the query: fine there.
    let p = parse("/proxy/auth.docker.io/token?service=registry.docker.io&scope=repository%3Alibrary%2Fubuntu%3Apull").unwrap();
    assert_eq!(
        p.query(),
        Some("service=registry.docker.io&scope=repository%3Alibrary%2Fubuntu%3Apull")
    );
    assert_eq!(
        p.with_scheme(Scheme::Https).to_string(),
        "https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Alibrary%2Fubuntu%3Apull"
    );
}

#[test]
fn not_a_proxy_path() {
    assert_eq!(err("/v2/"), PathError::NotProxy);
    assert_eq!(err("/proxyghcr.io/v2/"), PathError::NotProxy);
}

#[test]
fn empty_host_and_missing_path() {
    assert_eq!(err("/proxy//v2/"), PathError::EmptyHost);
    assert_eq!(err("/proxy/:5000/v2/"), PathError::EmptyHost);
    assert_eq!(err("/proxy/ghcr.io"), PathError::NoPath);
}

#[test]
fn userinfo_is_refused() {
    assert_eq!(
        err("/proxy/ghcr.io@127.0.0.1:5000/v2/"),
        PathError::Userinfo
    );
    assert_eq!(err("/proxy/user:pw@ghcr.io/v2/"), PathError::Userinfo);
    assert_eq!(err("/proxy/ghcr.io%40127.0.0.1/v2/"), PathError::Userinfo);
}

#[test]
fn bad_ports_are_refused() {
    for p in [
        "0", "65536", "99999", "abc", "", "+80", "-1", "80a", "123456",
    ] {
        let path = format!("/proxy/ghcr.io:{p}/v2/");
        assert!(
            matches!(err(&path), PathError::BadPort(_)),
            "{path}: {:?}",
            err(&path)
        );
    }
    assert_eq!(
        parse("/proxy/ghcr.io:65535/v2/")
            .unwrap()
            .authority()
            .port(),
        Some(65535)
    );
}

#[test]
fn bad_hosts_are_refused() {
    for h in [
        "-ghcr.io",
        "ghcr-.io",
        "gh cr.io",
        "ghcr..io",
        "ghcr.io.",
        "127.1",
        "2130706433",
        "0x7f.0.0.1",
        "0x7f000001",
        "[::1",
        "[zz::1]:80",
        "[::1]80",
        "a:b:c",
        "ghcr.io;x",
    ] {
        let path = format!("/proxy/{h}/v2/");
        let e = err(&path);
        assert!(
            matches!(e, PathError::BadHost(_) | PathError::BadPort(_)),
            "{path}: {e:?}"
        );
    }
}

#[test]
fn dot_segments_are_refused() {
    for p in ["/v2/../x", "/v2/./x", "/..", "/v2/x/..", "/v2/x/."] {
        assert_eq!(
            err(&format!("/proxy/ghcr.io{p}")),
            PathError::DotSegment,
            "{p}"
        );
    }
}

#[test]
fn encoded_separators_are_refused_in_any_case() {
    for p in [
        "/v2/%2e%2e/x",
        "/v2/%2E%2E/x",
        "/v2/%2e./x",
        "/v2/x%2fy",
        "/v2/x%2Fy",
        "/v2/x%5cy",
        "/v2/x%5Cy",
    ] {
        assert_eq!(
            err(&format!("/proxy/ghcr.io{p}")),
            PathError::EncodedSeparator,
            "{p}"
        );
    }
    assert_eq!(
        err("/proxy/ghcr.io%2f..%2f/v2/"),
        PathError::EncodedSeparator
    );
    assert_eq!(err("/proxy/ghcr.io%2E/v2/"), PathError::EncodedSeparator);
}

#[test]
fn control_characters_are_refused_raw_and_encoded() {
    assert_eq!(
        err("/proxy/ghcr.io/v2/x%0d%0aHost:%20evil"),
        PathError::ControlChar
    );
    assert_eq!(err("/proxy/ghcr.io/v2/x%0A"), PathError::ControlChar);
    assert_eq!(err("/proxy/ghcr.io/v2/x%00"), PathError::ControlChar);
    assert_eq!(err("/proxy/ghcr.io/v2/x\r\n"), PathError::ControlChar);
    assert_eq!(err("/proxy/ghcr.io/v2/?a=%0D%0Ab"), PathError::ControlChar);
    assert_eq!(err("/proxy/ghcr.io/v2/?a=\nb"), PathError::ControlChar);
    assert_eq!(err("/proxy/ghcr.io%0d%0a/v2/"), PathError::ControlChar);
}

#[test]
fn backslashes_bad_percents_and_odd_characters_are_refused() {
    assert_eq!(err("/proxy/ghcr.io/v2\\..\\x"), PathError::Backslash);
    assert_eq!(err("/proxy/ghcr.io\\@evil/v2/"), PathError::Userinfo);
    assert_eq!(err("/proxy/ghcr.io\\evil/v2/"), PathError::Backslash);
    assert_eq!(err("/proxy/ghcr.io/v2/%zz"), PathError::BadPercent);
    assert_eq!(err("/proxy/ghcr.io/v2/%2"), PathError::BadPercent);
    assert_eq!(err("/proxy/ghcr.io/v2/a\"b"), PathError::BadChar('"'));
    assert_eq!(err("/proxy/ghcr.io/v2/a<b"), PathError::BadChar('<'));
    assert_eq!(err("/proxy/ghcr.io/v2//x"), PathError::EmptySegment);
    let long = format!("/proxy/ghcr.io/v2/{}", "a".repeat(9000));
    assert_eq!(err(&long), PathError::TooLong);
}

// --- URLs and redirects ----------------------------------------------------

#[test]
fn location_values_resolve_and_are_checked() {
    let base = UpstreamUrl::parse("https://ghcr.io/v2/org/app/blobs/sha256:ab").unwrap();
    let abs = base
        .join("https://pkg-containers.githubusercontent.com/ghcr1/blobs/sha256:ab?se=1&sig=a%2Fb")
        .unwrap();
    assert_eq!(
        abs.authority().to_string(),
        "pkg-containers.githubusercontent.com"
    );
    assert_eq!(abs.query(), Some("se=1&sig=a%2Fb"));
    assert!(!base.same_origin(&abs));

    let rel = base.join("/v2/other?x=1").unwrap();
    assert_eq!(rel.to_string(), "https://ghcr.io/v2/other?x=1");
    assert!(base.same_origin(&rel));

    let sibling = base.join("sha256:cd").unwrap();
    assert_eq!(sibling.path(), "/v2/org/app/blobs/sha256:cd");

    let scheme_relative = base.join("//storage.example.com/b").unwrap();
    assert_eq!(scheme_relative.to_string(), "https://storage.example.com/b");

    assert_eq!(base.join("/v2/../etc").unwrap_err(), PathError::DotSegment);
    assert_eq!(base.join("ftp://x/y").unwrap_err(), PathError::BadScheme);
    assert_eq!(
        base.join("https://a@b.example/").unwrap_err(),
        PathError::Userinfo
    );
    assert_eq!(
        base.join("https://b.example/%2e%2e/").unwrap_err(),
        PathError::EncodedSeparator
    );
}

#[test]
fn same_origin_uses_effective_ports() {
    let a = UpstreamUrl::parse("https://ghcr.io/v2/").unwrap();
    assert!(a.same_origin(&UpstreamUrl::parse("https://ghcr.io:443/x").unwrap()));
    assert!(!a.same_origin(&UpstreamUrl::parse("http://ghcr.io/x").unwrap()));
    assert!(!a.same_origin(&UpstreamUrl::parse("https://ghcr.io:8443/x").unwrap()));
}

// --- allowlist ---------------------------------------------------------------

#[test]
fn default_allowlist() {
    let a = Allowlist::with_defaults();
    for h in [
        "registry-1.docker.io",
        "auth.docker.io",
        "ghcr.io",
        "ghcr.io:443",
        "quay.io",
        "gcr.io",
        "eu.gcr.io",
        "a.b.gcr.io",
        "us-docker.pkg.dev",
        "public.ecr.aws",
        "mcr.microsoft.com",
        "registry.k8s.io",
        "nvcr.io",
    ] {
        assert_eq!(a.lookup(&auth(h)), Some(Trust::Public), "{h}");
    }
    for h in [
        "example.invalid",
        "docker.io",
        "ghcr.io:444",
        "ghcr.io.evil.example",
        "evilgcr.io",
        "pkg.dev",
        "gcr.io.example",
        "127.0.0.1",
        "localhost",
    ] {
        assert_eq!(a.lookup(&auth(h)), None, "{h}");
    }
}

#[test]
fn operator_rules_with_ports_and_wildcards() {
    let a = allow(
        &["127.0.0.1:5000", "*.corp.example:8443", "registry.lan"],
        &["10.1.2.3:5000"],
    );
    assert_eq!(a.lookup(&auth("127.0.0.1:5000")), Some(Trust::Operator));
    assert_eq!(a.lookup(&auth("127.0.0.1:5001")), None);
    assert_eq!(a.lookup(&auth("127.0.0.1")), None);
    assert_eq!(
        a.lookup(&auth("r1.corp.example:8443")),
        Some(Trust::Operator)
    );
    assert_eq!(a.lookup(&auth("corp.example:8443")), None);
    assert_eq!(a.lookup(&auth("r1.corp.example")), None);
    assert_eq!(a.lookup(&auth("registry.lan")), Some(Trust::Operator));
    assert_eq!(a.lookup(&auth("registry.lan:443")), Some(Trust::Operator));
    assert_eq!(a.lookup(&auth("10.1.2.3:5000")), Some(Trust::Operator));
    assert!(a.is_insecure(&auth("10.1.2.3:5000")));
    assert!(!a.is_insecure(&auth("127.0.0.1:5000")));

    assert!("*.127.0.0.1".parse::<HostPattern>().is_err());
    assert!("a@b".parse::<HostPattern>().is_err());
    assert!("host:0".parse::<HostPattern>().is_err());
    assert_eq!(
        "[::1]:5000".parse::<HostPattern>().unwrap().to_string(),
        "[::1]:5000"
    );
}

#[test]
fn scheme_is_https_except_allowed_loopback_and_insecure() {
    use layerlens::serve::policy::scheme_for;
    let a = allow(
        &["127.0.0.1:5000", "localhost:5001", "registry.lan:5000"],
        &["10.1.2.3:5000"],
    );
    let s = |h: &str| {
        let t = a.lookup(&auth(h)).unwrap_or(Trust::Public);
        scheme_for(&auth(h), t, &a)
    };
    assert_eq!(s("ghcr.io"), Scheme::Https);
    assert_eq!(s("127.0.0.1:5000"), Scheme::Http);
    assert_eq!(s("localhost:5001"), Scheme::Http);
    assert_eq!(s("registry.lan:5000"), Scheme::Https);
    assert_eq!(s("10.1.2.3:5000"), Scheme::Http);
    // Not allowed: never plain HTTP, even on loopback.
    assert_eq!(s("127.0.0.1:6000"), Scheme::Https);
}

#[test]
fn forwarding_decision() {
    let a = allow(&["127.0.0.1:5000"], &[]);
    let f = decide(&parse("/proxy/ghcr.io/v2/x/manifests/1").unwrap(), &a, None).unwrap();
    assert_eq!(f.kind, RequestKind::Registry);
    assert_eq!(f.trust, Trust::Public);
    assert_eq!(f.url.to_string(), "https://ghcr.io/v2/x/manifests/1");

    let f = decide(&parse("/proxy/127.0.0.1:5000/v2/").unwrap(), &a, None).unwrap();
    assert_eq!((f.kind, f.trust), (RequestKind::Registry, Trust::Operator));
    assert_eq!(f.url.to_string(), "http://127.0.0.1:5000/v2/");

    // An allowed host's other paths are token requests (realms of the built-ins).
    let f = decide(
        &parse("/proxy/auth.docker.io/token?scope=x").unwrap(),
        &a,
        None,
    )
    .unwrap();
    assert_eq!(f.kind, RequestKind::Token);

    // A realm no challenge named and not on the list.
    let p = parse("/proxy/127.0.0.1:7000/token").unwrap();
    assert_eq!(
        decide(&p, &a, None).unwrap_err(),
        Refusal::HostNotAllowed(auth("127.0.0.1:7000"))
    );
    // Named by an allowed (operator) registry's challenge: a token request.
    let realm = UpstreamUrl::parse("http://127.0.0.1:7000/token").unwrap();
    let grant = RealmGrant::for_realm(&realm, Trust::Operator, &a);
    assert_eq!(grant.scheme, Scheme::Http);
    let f = decide(&p, &a, Some(grant)).unwrap();
    assert_eq!((f.kind, f.trust), (RequestKind::Token, Trust::Operator));
    assert_eq!(f.url.to_string(), "http://127.0.0.1:7000/token");

    // A public registry naming a plain-HTTP realm gets HTTPS.
    let grant = RealmGrant::for_realm(&realm, Trust::Public, &a);
    assert_eq!(grant.scheme, Scheme::Https);
    assert!(decide(&parse("/proxy/example.invalid/v2/").unwrap(), &a, None).is_err());
}

#[test]
fn redirect_targets() {
    let a = allow(&["127.0.0.1:5000"], &[]);
    let t = |u: &str| check_redirect(&UpstreamUrl::parse(u).unwrap(), &a);
    assert_eq!(
        t("https://storage.example.com/blob?sig=1"),
        Ok(Trust::Public)
    );
    assert_eq!(t("http://127.0.0.1:5000/v2/x"), Ok(Trust::Operator));
    assert_eq!(
        t("http://storage.example.com/blob"),
        Err(Refusal::InsecureRedirect(auth("storage.example.com")))
    );
    assert_eq!(
        t("http://127.0.0.1:6000/x"),
        Err(Refusal::InsecureRedirect(auth("127.0.0.1:6000")))
    );
}

// --- caching and caps --------------------------------------------------------

#[test]
fn cache_control_choice() {
    let r = RequestKind::Registry;
    assert_eq!(
        cache_control(
            r,
            &format!("/v2/a/b/blobs/{DIGEST}"),
            200,
            Access::Anonymous
        ),
        IMMUTABLE
    );
    assert_eq!(
        cache_control(r, &format!("/v2/a/blobs/{DIGEST}"), 206, Access::Anonymous),
        IMMUTABLE
    );
    assert_eq!(
        cache_control(
            r,
            &format!("/v2/a/manifests/{DIGEST}"),
            200,
            Access::Anonymous
        ),
        IMMUTABLE
    );
    assert_eq!(
        cache_control(
            r,
            &format!("/v2/a/manifests/{DIGEST}"),
            304,
            Access::Anonymous
        ),
        IMMUTABLE
    );
    assert_eq!(
        cache_control(r, "/v2/a/manifests/latest", 200, Access::Anonymous),
        NO_CACHE
    );
    assert_eq!(
        cache_control(r, "/v2/a/tags/list", 200, Access::Anonymous),
        NO_CACHE
    );
    assert_eq!(cache_control(r, "/v2/", 200, Access::Anonymous), NO_CACHE);
    assert_eq!(
        cache_control(r, "/v2/a/manifests/sha256:abc", 200, Access::Anonymous),
        NO_CACHE
    );
    assert_eq!(
        cache_control(
            r,
            &format!("/v2/a/manifests/{DIGEST}"),
            404,
            Access::Anonymous
        ),
        NO_STORE
    );
    assert_eq!(
        cache_control(r, &format!("/v2/a/blobs/{DIGEST}"), 401, Access::Anonymous),
        NO_STORE
    );
    assert_eq!(
        cache_control(RequestKind::Token, "/token", 200, Access::Anonymous),
        NO_STORE
    );

    assert!(is_digest_addressed(&format!("/v2/a/blobs/{DIGEST}")));
    assert!(!is_digest_addressed(&format!("/v2/a/tags/{DIGEST}")));
    assert!(!is_digest_addressed(&format!("/v2/a/blobs/{DIGEST}/x")));
    // Credentialed answers are never for a shared cache, whatever they address.
    let c = Access::Credentialed;
    assert_eq!(
        cache_control(r, &format!("/v2/a/blobs/{DIGEST}"), 200, c),
        PRIVATE_IMMUTABLE
    );
    assert_eq!(
        cache_control(r, &format!("/v2/a/manifests/{DIGEST}"), 200, c),
        PRIVATE_IMMUTABLE
    );
    assert_eq!(
        cache_control(r, "/v2/a/manifests/latest", 200, c),
        PRIVATE_NO_CACHE
    );
    assert_eq!(
        cache_control(r, &format!("/v2/a/blobs/{DIGEST}"), 401, c),
        NO_STORE
    );
    assert_eq!(
        cache_control(RequestKind::Token, "/token", 200, c),
        NO_STORE
    );
}

#[test]
fn body_caps() {
    assert_eq!(
        body_cap(RequestKind::Registry, "/v2/a/manifests/latest"),
        Some(MANIFEST_CAP)
    );
    assert_eq!(MANIFEST_CAP, 4 * 1024 * 1024);
    assert_eq!(
        body_cap(RequestKind::Registry, &format!("/v2/a/blobs/{DIGEST}")),
        None
    );
    assert_eq!(body_cap(RequestKind::Token, "/token"), Some(TOKEN_CAP));
}

// --- rewrites ------------------------------------------------------------------

#[test]
fn challenge_realms_become_proxy_paths() {
    let r = rewrite_challenge(
        r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull""#,
    )
    .unwrap();
    assert_eq!(
        r.value,
        r#"Bearer realm="/proxy/auth.docker.io/token",scope="repository:library/ubuntu:pull",service="registry.docker.io""#
    );
    assert_eq!(r.realms.len(), 1);
    assert_eq!(r.realms[0].authority().to_string(), "auth.docker.io");

    let r = rewrite_challenge(
        r#"Bearer realm="http://127.0.0.1:7000/token?x=1",service="s", Basic realm="reg""#,
    )
    .unwrap();
    assert_eq!(
        r.value,
        r#"Bearer realm="/proxy/127.0.0.1:7000/token?x=1",service="s", Basic realm="reg""#
    );
    assert_eq!(r.realms[0].scheme(), Scheme::Http);

    // A realm the proxy could not forward to anyway: left alone, nothing remembered.
    assert!(rewrite_challenge(r#"Bearer realm="file:///etc/passwd""#).is_none());
    assert!(rewrite_challenge(r#"Bearer realm="https://u@evil.example/t""#).is_none());
    assert!(rewrite_challenge(r#"Bearer realm="https://a.example/%2e%2e/t""#).is_none());
}

#[test]
fn link_targets_become_proxy_paths() {
    let base = UpstreamUrl::parse("http://127.0.0.1:5000/v2/team/app/tags/list?n=2").unwrap();
    assert_eq!(
        rewrite_link(r#"</v2/team/app/tags/list?n=2&last=b>; rel="next""#, &base),
        r#"</proxy/127.0.0.1:5000/v2/team/app/tags/list?n=2&last=b>; rel="next""#
    );
    assert_eq!(
        rewrite_link(
            r#"<https://ghcr.io/v2/x/tags/list?last=a>; rel="next""#,
            &base
        ),
        r#"</proxy/ghcr.io/v2/x/tags/list?last=a>; rel="next""#
    );
    assert_eq!(
        rewrite_link(r#"</v2/../x>; rel="next""#, &base),
        r#"</v2/../x>; rel="next""#
    );
}
