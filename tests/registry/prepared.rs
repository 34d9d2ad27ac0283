//! `Client::blob_request`: the page hands a layer's ready request to a Web
//! Worker, which streams it with a transport of its own. Against the real
//! CNCF distribution registry with token auth.

use layerlens::app::errors::layer_error;
use layerlens::app::ErrorKind;
use layerlens::inspect::{resolve, scan_request, LayerFailure, LayerOutcome, ScanSettings};
use layerlens::native::NativeFetch;
use layerlens::oci::{Digest, PlatformPolicy, Reference};
use layerlens::registry::{
    read_to_end, Client, Credentials, Fetch, Method, RegistryError, Request,
};
use layerlens_testkit::registry::tiny_tar::Tar;
use layerlens_testkit::registry::{Flavor, ImageBuilder, Layer, ManifestFormat, Registry};

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[test]
fn a_prepared_blob_request_streams_with_another_transport_and_no_credentials() {
    let registry = Registry::start(Flavor::token("bob", "pw"));
    let tar = Tar::new().file("etc/prepared", b"prepared").finish();
    let image = ImageBuilder::oci()
        .layer(Layer::gzip_tar(ManifestFormat::Oci, &tar))
        .build();
    image.push(&registry.client(), "team/p", Some("v1"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = Client::new(NativeFetch::new().unwrap(), now_ms as fn() -> u64)
        .with_credentials(Some(Credentials::new("bob", "pw")));
    let reference =
        Reference::parse_normalized(&format!("{}/team/p:v1", registry.host_port())).unwrap();
    let resolved = rt
        .block_on(resolve(&client, &reference, &PlatformPolicy::default()))
        .unwrap();
    let layer = resolved.image_manifest().unwrap().layers()[0].clone();
    let ts = registry.token_server().unwrap();
    ts.clear_requests();

    let request = rt
        .block_on(client.blob_request(&reference, layer.digest()))
        .unwrap();
    // The resolve's token, reused: no new grant, and no credentials in it.
    assert!(
        ts.requests().is_empty(),
        "{} token requests",
        ts.requests().len()
    );
    assert_eq!(request.method, Method::Get);
    assert!(request
        .url
        .ends_with(&format!("/v2/team/p/blobs/{}", layer.digest())));
    let auth = request.headers.get("authorization").unwrap();
    assert!(auth.starts_with("Bearer "), "{auth}");

    let request_headers = request.headers.clone();
    // Another transport (the worker's) with only that request gets the blob.
    let other = NativeFetch::new().unwrap();
    let mut response = rt.block_on(other.fetch(request.clone())).unwrap();
    assert_eq!(response.status, 200);
    let bytes = rt
        .block_on(read_to_end(&mut response.body, 1 << 20))
        .unwrap();
    assert_eq!(&Digest::sha256(&bytes), layer.digest());

    // Without the prepared header the registry refuses it.
    let bare = Request {
        headers: Default::default(),
        ..request
    };
    assert_eq!(rt.block_on(other.fetch(bare.clone())).unwrap().status, 401);

    // The worker's way: the planned request, a plain fetch, the scan; no
    // client of its own.
    let diff_id = resolved.image_config().unwrap().diff_ids().first().cloned();
    let settings = ScanSettings::default();
    let planned = Request {
        headers: request_headers,
        ..bare.clone()
    };
    let report = rt.block_on(scan_request(
        &other,
        planned,
        0,
        layer.clone(),
        diff_id.clone(),
        &settings,
        &|_| {},
    ));
    assert!(report.is_verified(), "{:?}", report.problem());
    assert!(report.entries().iter().any(|e| e.path == b"etc/prepared"));
    // A refused request is the registry's error, typed, with its advice.
    let report = rt.block_on(scan_request(
        &other,
        bare,
        0,
        layer,
        diff_id,
        &settings,
        &|_| {},
    ));
    let LayerOutcome::Failed {
        failure: LayerFailure::Fetch(e),
        ..
    } = &report.outcome
    else {
        panic!("{:?}", report.outcome);
    };
    assert!(matches!(e, RegistryError::Unauthorized { .. }), "{e:?}");
    let shown = layer_error(&report).unwrap();
    assert_eq!(shown.kind, ErrorKind::CredentialsRefused);
}
