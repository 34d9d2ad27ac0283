//! The proxy's TLS client end to end on loopback: an allowed registry
//! redirects to `https://localhost:PORT/…`, served by a rustls test server
//! whose certificate a test CA signed. With the CA trusted the body arrives
//! (SNI = the host name, `Authorization` dropped); without it the handshake
//! is refused — certificates are verified.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use layerlens::serve::{Config, Server};
use layerlens_testkit::proxy::{assert_same_origin_only, get, request, Reply, Upstream};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

const DIGEST: &str = "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";

/// A CA and a `localhost` certificate it signed: (CA DER, leaf DER, leaf key DER).
fn certificates() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "layerlens test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    (
        ca.der().to_vec(),
        leaf.der().to_vec(),
        leaf_key.serialize_der(),
    )
}

/// What the TLS server saw: the SNI name and the request head.
type Seen = Arc<Mutex<Vec<(Option<String>, String)>>>;

/// A TLS server on 127.0.0.1 answering `200 over tls` to any request.
async fn tls_server(leaf: Vec<u8>, key: Vec<u8>) -> (SocketAddr, Seen) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(leaf)],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
        )
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen: Seen = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, log) = (acceptor.clone(), log.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let sni = tls.get_ref().1.server_name().map(str::to_owned);
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                log.lock()
                    .unwrap()
                    .push((sni, String::from_utf8_lossy(&head).into_owned()));
                let _ = tls
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nover tls")
                    .await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (addr, seen)
}

fn setup(trust_ca: bool) -> (tokio::runtime::Runtime, SocketAddr, Upstream, Seen) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (ca, leaf, key) = certificates();
    let (tls_addr, seen) = runtime.block_on(tls_server(leaf, key));
    let location = format!("https://localhost:{}/storage/blob", tls_addr.port());
    let registry = Upstream::start(move |_| Reply::redirect(307, &location));
    let mut config = Config::new("127.0.0.1:0".parse().unwrap())
        .with_dist("/nonexistent/layerlens-dist")
        .allow_registry(registry.host_port().parse().unwrap())
        .allow_registry(format!("localhost:{}", tls_addr.port()).parse().unwrap());
    if trust_ca {
        config = config.trust_root_certificate(ca);
    }
    let addr = runtime.block_on(async {
        let server = Server::bind(config).await.unwrap();
        let addr = server.local_addr().unwrap();
        tokio::spawn(server.run());
        addr
    });
    (runtime, addr, registry, seen)
}

#[test]
fn https_upstream_with_sni_and_a_verified_certificate() {
    let (_rt, proxy, registry, seen) = setup(true);
    let r = request(
        proxy,
        "GET",
        &format!("/proxy/{}/v2/a/blobs/{DIGEST}", registry.host_port()),
        &[("Authorization", "Bearer for-the-registry")],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), "over tls");
    assert_same_origin_only(&r);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].0.as_deref(),
        Some("localhost"),
        "SNI is the host name"
    );
    let head = seen[0].1.to_ascii_lowercase();
    assert!(head.starts_with("get /storage/blob http/1.1"), "{head}");
    assert!(!head.contains("authorization"), "{head}");
    assert_eq!(
        registry.requests()[0].header("authorization"),
        Some("Bearer for-the-registry")
    );
}

#[test]
fn an_untrusted_certificate_is_refused() {
    let (_rt, proxy, registry, seen) = setup(false);
    let r = get(
        proxy,
        &format!("/proxy/{}/v2/a/blobs/{DIGEST}", registry.host_port()),
    );
    assert_eq!(r.status, 502, "{}", r.text());
    assert_same_origin_only(&r);
    assert!(
        r.json()["detail"].as_str().unwrap().contains("TLS"),
        "{}",
        r.text()
    );
    assert!(
        seen.lock().unwrap().is_empty(),
        "no request sent over an unverified connection"
    );
}
