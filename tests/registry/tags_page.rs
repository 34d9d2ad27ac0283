//! `Client::tags_page` (the tags page's one page at a time) against the real
//! CNCF distribution registry behind the harness's pagination front
//! (distribution 2.8 ignores `n`), directly and through `layerlens serve`
//! (whose `Link` rewriting to `/proxy/…` must still lead to the next page),
//! and a `Link` to another host, which is not followed.

use layerlens::app::proxy::proxy_url;
use layerlens::native::{NativeBody, NativeFetch};
use layerlens::oci::Reference;
use layerlens::registry::{Client, Fetch, FetchError, Request, Response, TagPage};
use layerlens_testkit::proxy::{Proxy, Reply, Upstream};
use layerlens_testkit::registry::tiny_tar::Tar;
use layerlens_testkit::registry::{
    Flavor, ImageBuilder, Layer, ManifestFormat, Registry, TagPager,
};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The page's view of the network: every registry URL sent to the proxy
/// with the same mapping the browser's fetch uses.
struct ThroughProxy {
    base: String,
    inner: NativeFetch,
}

impl Fetch for ThroughProxy {
    type Body = NativeBody;

    async fn sleep(&self, ms: u64) {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }

    async fn fetch(&self, mut request: Request) -> Result<Response<NativeBody>, FetchError> {
        request.url =
            proxy_url(&self.base, &request.url).map_err(|e| FetchError::new(e.to_string()))?;
        self.inner.fetch(request).await
    }
}

fn all_pages<F: Fetch>(client: &Client<F, fn() -> u64>, reference: &Reference) -> Vec<TagPage> {
    let rt = runtime();
    let mut pages = Vec::new();
    let mut next: Option<String> = None;
    for _ in 0..10 {
        let page = rt
            .block_on(client.tags_page(reference, next.as_deref(), Some(3)))
            .unwrap();
        next = page.next.clone();
        pages.push(page);
        if next.is_none() {
            break;
        }
    }
    pages
}

fn tagged_registry() -> (Registry, Vec<String>) {
    let registry = Registry::start(Flavor::Open);
    let image = ImageBuilder::oci()
        .layer(Layer::gzip_tar(
            ManifestFormat::Oci,
            &Tar::new().file("etc/x", b"x\n").finish(),
        ))
        .build();
    let tags: Vec<String> = (0..7).map(|i| format!("v{i}")).collect();
    for t in &tags {
        image.push(&registry.client(), "many/tags", Some(t));
    }
    (registry, tags)
}

fn now() -> u64 {
    1_700_000_000_000
}

#[test]
fn pages_are_fetched_one_at_a_time_directly_and_through_the_proxy() {
    let (registry, tags) = tagged_registry();
    let pager = TagPager::start(&registry.base_url());
    let reference =
        Reference::parse_normalized(&format!("{}/many/tags", pager.host_port())).unwrap();

    let direct = Client::new(NativeFetch::new().unwrap(), now as fn() -> u64);
    let pages = all_pages(&direct, &reference);
    let sizes: Vec<usize> = pages.iter().map(|p| p.tags.len()).collect();
    assert_eq!(sizes, [3, 3, 1]);
    let got: Vec<String> = pages.into_iter().flat_map(|p| p.tags).collect();
    assert_eq!(got, tags);

    let proxy = Proxy::start(&["--allow-registry", &pager.host_port()]);
    let through = Client::new(
        ThroughProxy {
            base: format!("http://{}/proxy/", proxy.addr()),
            inner: NativeFetch::new().unwrap(),
        },
        now as fn() -> u64,
    );
    let pages = all_pages(&through, &reference);
    // The proxy rewrote each `Link` to `/proxy/…`; the client read it back
    // as the registry's own URL.
    assert_eq!(
        pages[0].next.as_deref(),
        Some(
            format!(
                "http://{}/v2/many/tags/tags/list?n=3&last=v2",
                pager.host_port()
            )
            .as_str()
        )
    );
    let got: Vec<String> = pages.into_iter().flat_map(|p| p.tags).collect();
    assert_eq!(got, tags);
}

#[test]
fn a_next_link_to_another_host_is_not_followed() {
    let registry = Upstream::fixed(
        Reply::new(200, r#"{"name":"x","tags":["a","b"]}"#)
            .header("Content-Type", "application/json")
            .header(
                "Link",
                "<http://127.0.0.2:9/v2/x/tags/list?last=b>; rel=\"next\"",
            ),
    );
    let reference = Reference::parse_normalized(&format!("{}/x", registry.host_port())).unwrap();
    let client = Client::new(NativeFetch::new().unwrap(), now as fn() -> u64);
    let page = runtime()
        .block_on(client.tags_page(&reference, None, Some(2)))
        .unwrap();
    assert_eq!(page.tags, ["a", "b"]);
    assert_eq!(page.next, None);
    // A caller handing in another host's URL gets the first page instead.
    let page = runtime()
        .block_on(client.tags_page(
            &reference,
            Some("http://127.0.0.2:9/v2/x/tags/list"),
            Some(2),
        ))
        .unwrap();
    assert_eq!(page.tags, ["a", "b"]);
    assert!(registry
        .requests()
        .iter()
        .all(|r| r.target.starts_with("/v2/x/tags/list?n=2")));
}
