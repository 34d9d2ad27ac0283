//! The proxy's Docker Hub search route, end to end through `layerlens serve`
//! on loopback. Docker Hub is unreachable from these machines, so a small
//! local server stands in for it (tests/support/hub.rs, answering the search
//! API's JSON shape), set with `--docker-hub-search`; misbehaving answers
//! come from the proxy tests' tiny upstream servers.

use layerlens_testkit::hub::Hub;
use layerlens_testkit::proxy::{assert_same_origin_only, Proxy, Reply, ReplyBody, Upstream};

const ROUTE: &str = "/proxy/index.docker.io/v1/search";

fn proxy_for(url: &str) -> Proxy {
    Proxy::start(&["--docker-hub-search", url])
}

#[test]
fn results_pass_and_nothing_of_the_caller_crosses() {
    let hub = Hub::start();
    let proxy = proxy_for(&hub.url());
    let r = proxy.request(
        "GET",
        &format!("{ROUTE}?q=busybox&n=2"),
        &[
            ("Authorization", "Bearer secret-token"),
            ("Cookie", "session=browser"),
            ("Accept", "text/html"),
            // The page's own origin: allowed in, never passed on.
            ("Origin", &format!("http://{}", proxy.addr())),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_same_origin_only(&r);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    let json = r.json();
    assert_eq!(json["num_results"], 4);
    let names: Vec<&str> = json["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["busybox", "progrium/busybox"]);
    let seen = hub.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].target, "/v1/search?q=busybox&n=2");
    assert_eq!(seen[0].header("accept"), Some("application/json"));
    for h in ["authorization", "cookie", "origin", "referer"] {
        assert_eq!(seen[0].header(h), None, "{h} crossed the proxy");
    }
    // The access log names the route, never the query.
    let log = proxy.log("/v1/search 200");
    assert!(log.contains("GET index.docker.io /v1/search 200"), "{log}");
    assert!(!log.contains("busybox"), "{log}");
}

#[test]
fn only_q_n_and_page_are_forwarded_and_they_are_re_encoded() {
    let hub = Hub::start();
    let proxy = proxy_for(&hub.url());
    let r = proxy.get(&format!(
        "{ROUTE}?url=http://169.254.169.254/&q=a+b%2Fc%26n%3D9&n=5&page=2&q=other&host=evil"
    ));
    assert_eq!(r.status, 200, "{}", r.text());
    let seen = hub.requests();
    assert_eq!(seen[0].target, "/v1/search?q=a%20b%2Fc%26n%3D9&n=5&page=2");
    for bad in [
        "",
        "?n=5",
        "?q=",
        "?q=a&n=101",
        "?q=a&n=-1",
        "?q=a&page=0",
        "?q=%ff%fe",
    ] {
        let r = proxy.get(&format!("{ROUTE}{bad}"));
        assert_eq!(r.status, 400, "{bad}: {}", r.text());
        assert_same_origin_only(&r);
        assert_eq!(r.json()["error"], "bad search request", "{bad}");
    }
    // Control characters are refused earlier, as in every proxied query.
    let r = proxy.get(&format!("{ROUTE}?q=%0d%0aX-Injected:1"));
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(hub.requests().len(), 1, "refused requests never left");
}

#[test]
fn a_caller_cannot_reach_another_path_or_host() {
    let hub = Hub::start();
    let proxy = proxy_for(&hub.url());
    for target in [
        "/proxy/index.docker.io/v1/repositories/library/busybox/tags",
        "/proxy/index.docker.io/v1/search/x",
        "/proxy/index.docker.io/v2/",
        "/proxy/index.docker.io:8443/v1/search?q=busybox",
        "/proxy/hub.docker.com/v1/search?q=busybox",
    ] {
        let r = proxy.get(target);
        assert_eq!(r.status, 403, "{target}: {}", r.text());
        assert_eq!(r.json()["error"], "host not allowed", "{target}");
    }
    // The stand-in's own address is not reachable through the proxy either:
    // only the route goes there.
    let r = proxy.get(&format!("/proxy/{}/v1/search?q=busybox", hub.host_port()));
    assert_eq!(r.status, 403, "{}", r.text());
    let r = proxy.get("/proxy/index.docker.io/v1/search/../search?q=busybox");
    assert_eq!(r.status, 400, "{}", r.text());
    for method in ["POST", "HEAD", "PUT", "DELETE"] {
        let r = proxy.request(method, &format!("{ROUTE}?q=busybox"), &[]);
        assert_eq!(r.status, 405, "{method}");
    }
    assert!(hub.requests().is_empty(), "{:?}", hub.requests());
}

#[test]
fn oversized_non_json_and_redirected_answers_are_refused() {
    let html =
        Upstream::fixed(Reply::new(200, "<html>search</html>").header("Content-Type", "text/html"));
    let proxy = proxy_for(&format!("http://{}/v1/search", html.host_port()));
    let r = proxy.get(&format!("{ROUTE}?q=x"));
    assert_eq!(r.status, 502, "{}", r.text());
    assert_eq!(r.json()["error"], "bad search answer");

    let declared = Upstream::fixed(
        Reply::new(200, "{}")
            .header("Content-Type", "application/json")
            .header("Content-Length", "600000"),
    );
    let proxy = proxy_for(&format!("http://{}/v1/search", declared.host_port()));
    let r = proxy.get(&format!("{ROUTE}?q=x"));
    assert_eq!(r.status, 502, "{}", r.text());
    assert_eq!(r.json()["error"], "response too large");

    let streamed = Upstream::fixed(Reply {
        status: 200,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: ReplyBody::Chunked(2 * 1024 * 1024),
    });
    let proxy = proxy_for(&format!("http://{}/v1/search", streamed.host_port()));
    let r = proxy.get(&format!("{ROUTE}?q=x"));
    assert_eq!(r.status, 200);
    assert!(!r.complete, "a body past the cap is cut");
    assert!(r.body.len() <= 512 * 1024 + 64 * 1024, "{}", r.body.len());

    let target = Upstream::fixed(Reply::new(200, "{}").header("Content-Type", "application/json"));
    let location = format!("http://{}/v1/search", target.host_port());
    let redirect = Upstream::start(move |_| Reply::redirect(302, &location));
    let proxy = proxy_for(&format!("http://{}/v1/search", redirect.host_port()));
    let r = proxy.get(&format!("{ROUTE}?q=x"));
    assert_eq!(r.status, 502, "{}", r.text());
    assert_eq!(r.json()["error"], "bad search answer");
    assert_eq!(target.connections(), 0, "redirects are not followed");

    let failing = Upstream::fixed(
        Reply::new(503, "<html>maintenance</html>").header("Content-Type", "text/html"),
    );
    let proxy = proxy_for(&format!("http://{}/v1/search", failing.host_port()));
    let r = proxy.get(&format!("{ROUTE}?q=x"));
    assert_eq!(r.status, 503);
    assert_same_origin_only(&r);
    assert!(r.body.is_empty(), "an error body is not passed on");
}

#[test]
fn a_bad_search_url_is_a_usage_error() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_layerlens"))
        .args([
            "serve",
            "--docker-hub-search",
            "http://127.0.0.1:1/v1/search?q=x",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("must have no query"), "{err}");
}
