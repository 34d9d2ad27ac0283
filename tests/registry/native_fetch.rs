//! The command line's `NativeFetch` follows redirects itself (blob storage),
//! at most five, and never carries `Authorization` to another host. Two tiny
//! HTTP servers on 127.0.0.1 (the test kit's `Upstream`) play the registry and the storage host.

use layerlens::native::NativeFetch;
use layerlens::registry::{read_to_end, Fetch, Headers, Method, Request};
use layerlens_testkit::http::{Reply, Upstream};

fn redirect(to: &str) -> Reply {
    Reply::redirect(307, to)
}

fn get(url: String) -> Request {
    let mut headers = Headers::new();
    headers.push("Authorization", "Bearer secret-token");
    Request {
        method: Method::Get,
        url,
        headers,
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn authorization_stays_on_its_host_across_redirects() {
    let storage = Upstream::start(|_| Reply::new(200, "blob bytes"));
    let storage_port = storage.addr().port();
    let registry = Upstream::start(move |request| {
        if request.target == "/v2/a/blobs/first" {
            redirect("/v2/a/blobs/second")
        } else {
            redirect(&format!("http://127.0.0.1:{storage_port}/data?sig=1"))
        }
    });
    let fetch = NativeFetch::new().unwrap();
    let rt = runtime();
    let body = rt.block_on(async {
        let mut r = fetch
            .fetch(get(format!(
                "http://{}/v2/a/blobs/first",
                registry.host_port()
            )))
            .await
            .unwrap();
        assert_eq!(r.status, 200);
        read_to_end(&mut r.body, 1024).await.unwrap()
    });
    assert_eq!(body, b"blob bytes");
    let reg = registry.requests();
    assert_eq!(reg.len(), 2);
    assert!(
        reg.iter()
            .all(|r| r.header("authorization") == Some("Bearer secret-token")),
        "same host keeps it"
    );
    let sto = storage.requests();
    assert_eq!(sto.len(), 1);
    assert_eq!(
        (sto[0].method.as_str(), sto[0].target.as_str()),
        ("GET", "/data?sig=1")
    );
    assert!(
        sto[0].header("authorization").is_none(),
        "dropped on the cross-host hop: {:?}",
        sto[0].headers
    );
}

#[test]
fn redirect_loops_end_after_five_hops() {
    let hops = Upstream::start(|request| {
        let n: u32 = request.path.trim_start_matches("/hop").parse().unwrap_or(0);
        redirect(&format!("/hop{}", n + 1))
    });
    let fetch = NativeFetch::new().unwrap();
    let err = runtime()
        .block_on(fetch.fetch(get(format!("http://{}/hop0", hops.host_port()))))
        .err()
        .expect("a loop is an error");
    assert!(err.to_string().contains("more than 5 redirects"), "{err}");
    assert_eq!(hops.requests().len(), 6);
}
