//! The registry client over the native `Fetch`, against the real CNCF
//! distribution registry: what the command line does not show directly —
//! the catalog, ranged blob reads, progress events, token reuse.

use layerlens_testkit as support;

use std::cell::RefCell;

use layerlens::inspect::{resolve, scan_layers, Progress, ScanSettings};
use layerlens::native::NativeFetch;
use layerlens::oci::{Digest, PlatformPolicy, Reference};
use layerlens::registry::{read_to_end, Client, Credentials, Endpoint, RegistryError};
use layerlens_testkit::registry::tiny_tar::Tar;
use layerlens_testkit::registry::{Flavor, ImageBuilder, Layer, ManifestFormat, Registry};

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn client() -> Client<NativeFetch, fn() -> u64> {
    Client::new(NativeFetch::new().unwrap(), now_ms as fn() -> u64)
}

#[test]
fn catalog_pages_and_ranged_blob_reads() {
    let registry = Registry::start(Flavor::Open);
    let tar = Tar::new().file("a.txt", b"0123456789abcdef").finish();
    let image = ImageBuilder::oci()
        .layer(Layer::plain_tar(ManifestFormat::Oci, &tar))
        .build();
    for repo in ["r/one", "r/two", "r/three"] {
        image.push(&registry.client(), repo, Some("v1"));
    }
    let c = client();
    let rt = runtime();
    let endpoint = Endpoint::for_host(&registry.host_port(), &[]);
    let mut names = rt.block_on(c.catalog(&endpoint, Some(2))).unwrap();
    names.sort();
    assert_eq!(names, ["r/one", "r/three", "r/two"]);

    let reference =
        Reference::parse_normalized(&format!("{}/r/one:v1", registry.host_port())).unwrap();
    let digest: Digest = image.layers[0].digest().parse().unwrap();
    let mut resp = rt
        .block_on(c.blob(&reference, &digest, Some((512, 521))))
        .unwrap();
    assert_eq!(resp.status, 206);
    let part = rt.block_on(read_to_end(&mut resp.body, 1 << 20)).unwrap();
    assert_eq!(part, &tar[512..522]);
    assert_eq!(part, b"0123456789");
}

#[test]
fn progress_events_cover_every_byte_of_every_layer() {
    let registry = Registry::start(Flavor::Open);
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let l0 = Tar::new().file("big.bin", &big).finish();
    let l1 = Tar::new().file("small.txt", b"x").finish();
    let image = ImageBuilder::oci()
        .layer(Layer::gzip_tar(ManifestFormat::Oci, &l0))
        .layer(Layer::gzip_tar(ManifestFormat::Oci, &l1))
        .build();
    image.push(&registry.client(), "p/app", Some("v1"));
    let c = client();
    let rt = runtime();
    let reference =
        Reference::parse_normalized(&format!("{}/p/app:v1", registry.host_port())).unwrap();
    let events = RefCell::new(Vec::new());
    let record = |p: Progress| events.borrow_mut().push(p);
    let reports = rt.block_on(async {
        let img = resolve(&c, &reference, &PlatformPolicy::default())
            .await
            .unwrap();
        scan_layers(&c, &img, &ScanSettings::default(), &record).await
    });
    assert!(reports.iter().all(|r| r.is_verified()));
    let events = events.into_inner();
    for (i, layer) in image.layers.iter().enumerate() {
        let total = layer.bytes.len() as u64;
        assert!(events.contains(&Progress::Started { index: i, total }));
        assert!(events.contains(&Progress::Finished { index: i }));
        let last = events
            .iter()
            .filter_map(|e| match e {
                Progress::Bytes { index, done, .. } if *index == i => Some(*done),
                _ => None,
            })
            .max();
        assert_eq!(last, Some(total), "layer {i}");
    }
}

#[test]
fn tokens_are_reused_per_scope_and_refetched_when_refused() {
    let registry = Registry::start(Flavor::token("bob", "pw"));
    let tar = Tar::new().file("f", b"1").finish();
    let image = ImageBuilder::oci()
        .layer(Layer::gzip_tar(ManifestFormat::Oci, &tar))
        .build();
    image.push(&registry.client(), "team/a", Some("v1"));
    image.push(&registry.client(), "team/b", Some("v1"));
    let ts = registry.token_server().unwrap();
    ts.clear_requests();
    let c = client().with_credentials(Some(Credentials::new("bob", "pw")));
    let rt = runtime();
    let a = Reference::parse_normalized(&format!("{}/team/a:v1", registry.host_port())).unwrap();
    let b = Reference::parse_normalized(&format!("{}/team/b:v1", registry.host_port())).unwrap();
    rt.block_on(resolve(&c, &a, &PlatformPolicy::default()))
        .unwrap();
    rt.block_on(resolve(&c, &a, &PlatformPolicy::default()))
        .unwrap();
    let granted = |ts: &support::registry::TokenServer| {
        ts.requests().iter().filter(|r| r.status == 200).count()
    };
    assert_eq!(granted(ts), 1, "one token for team/a, reused");
    rt.block_on(resolve(&c, &b, &PlatformPolicy::default()))
        .unwrap();
    assert_eq!(granted(ts), 2, "another scope, another token");

    // Tokens that expire at once are fetched again for every request.
    ts.clear_requests();
    ts.set_expires_in(1);
    let c2 = client().with_credentials(Some(Credentials::new("bob", "pw")));
    rt.block_on(resolve(&c2, &a, &PlatformPolicy::default()))
        .unwrap();
    assert!(
        granted(ts) >= 2,
        "short-lived tokens are not reused: {}",
        granted(ts)
    );

    // A token the registry never accepts (signed by a key it does not
    // trust) ends in a clear error, not a loop.
    ts.set_expires_in(300);
    ts.clear_requests();
    ts.sign_with_untrusted_key(true);
    let c3 = client().with_credentials(Some(Credentials::new("bob", "pw")));
    let err = rt
        .block_on(resolve(&c3, &a, &PlatformPolicy::default()))
        .unwrap_err();
    assert!(
        matches!(
            err,
            layerlens::inspect::InspectError::Registry(RegistryError::Unauthorized { .. })
        ),
        "{err:?}"
    );
    assert!(granted(ts) <= 2, "bounded retries: {}", granted(ts));
}

#[test]
fn ping_tells_the_api_version_and_the_auth_wanted() {
    let rt = runtime();
    let open = Registry::start(Flavor::Open);
    let basic = Registry::start(Flavor::basic("u", "p"));
    let token = Registry::start(Flavor::token("u", "p"));
    let c = client();
    let ping = |r: &Registry| {
        rt.block_on(c.ping(&Endpoint::for_host(&r.host_port(), &[])))
            .unwrap()
    };
    let p = ping(&open);
    assert_eq!(p.version.as_deref(), Some("registry/2.0"));
    assert_eq!(p.auth, None);
    assert_eq!(ping(&basic).auth.as_deref(), Some("basic"));
    let realm = token.token_server().unwrap().realm();
    assert_eq!(
        ping(&token).auth,
        Some(format!("bearer token from {realm}"))
    );
}
