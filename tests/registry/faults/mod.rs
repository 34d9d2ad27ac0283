//! Faults from the registry's side, injected by the tests' own server: a dropped connection
//! mid-blob, 5xx and 429 with `Retry-After`, a wrong `Content-Length`, a redirect loop, a body
//! that never ends and one that stalls — through the registry client (`client.rs`) and the
//! command line (`cli.rs`). Each asserts what the reader is told and that a damaged stream is
//! never reported as verified.
//!
//! The fault front is a small fake (the test kit's loopback server) *in front of* the real
//! CNCF distribution registry: the real registry serves the image, the front relays it and
//! breaks what a test asks it to break, because distribution itself cannot drop a connection
//! half-way, answer 429, lie about a length or loop its redirects on demand.

mod cli;
mod client;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use layerlens_testkit::http::{Reply, Request, Upstream};
use layerlens_testkit::registry::tiny_tar::Tar;
use layerlens_testkit::registry::{
    BuiltImage, Flavor, ImageBuilder, Layer, ManifestFormat, Registry,
};
use layerlens_testkit::rng::Rng;

/// The repository the image is pushed to.
const REPO: &str = "faults/app";
/// Where the first connection of a broken blob is cut.
const CUT: usize = 100_000;

/// What the front does with the `n`-th request (0 first) for the layer blob: `None` relays
/// it to the real registry as it is (`Range` included).
type Fault = dyn Fn(&Request, usize, &[u8]) -> Option<Reply> + Send + Sync;

/// The real registry with the image, and the fault front before it.
struct Front {
    front: Upstream,
    image: BuiltImage,
    blob_requests: Arc<Mutex<Vec<(Request, Instant)>>>,
    _registry: Registry,
}

impl Front {
    /// The image pushed to a real registry, served through a front breaking the layer blob
    /// as `fault` says.
    fn start(
        fault: impl Fn(&Request, usize, &[u8]) -> Option<Reply> + Send + Sync + 'static,
    ) -> Front {
        let registry = Registry::start(Flavor::Open);
        let image = image();
        image.push(&registry.client(), REPO, Some("v1"));
        let layer = image.layers[0].clone();
        let blob_path = format!("/v2/{REPO}/blobs/{}", layer.digest());
        let relay = registry.anonymous_client();
        let fault: Arc<Fault> = Arc::new(fault);
        let seen = Arc::new(AtomicUsize::new(0));
        let blob_requests = Arc::new(Mutex::new(Vec::new()));
        let log = blob_requests.clone();
        let front = Upstream::start(move |request| {
            if request.path == blob_path {
                let n = seen.fetch_add(1, Ordering::SeqCst);
                if let Ok(mut log) = log.lock() {
                    log.push((request.clone(), Instant::now()));
                }
                if let Some(reply) = fault(request, n, &layer.bytes) {
                    return reply;
                }
            }
            relayed(&relay, request)
        });
        Front {
            front,
            image,
            blob_requests,
            _registry: registry,
        }
    }

    /// `127.0.0.1:PORT/faults/app:v1`, through the front.
    fn reference(&self) -> String {
        format!("{}/{REPO}:v1", self.front.host_port())
    }

    /// The layer blob's digest.
    fn digest(&self) -> String {
        self.image.layers[0].digest()
    }

    /// The layer blob's requests the front saw, with when.
    fn blob_requests(&self) -> Vec<(Request, Instant)> {
        self.blob_requests
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// The `Range` headers of the layer blob's requests, in order.
    fn ranges(&self) -> Vec<Option<String>> {
        self.blob_requests()
            .iter()
            .map(|(r, _)| r.header("range").map(str::to_owned))
            .collect()
    }
}

/// `request` sent on to the real registry, its answer relayed.
fn relayed(relay: &layerlens_testkit::registry::Client, request: &Request) -> Reply {
    let headers: Vec<(&str, &str)> = ["accept", "range"]
        .iter()
        .filter_map(|n| request.header(n).map(|v| (*n, v)))
        .collect();
    let answer = relay
        .send_unauthenticated(&request.method, &request.target, &headers, None)
        .unwrap_or_else(|e| panic!("relaying {}: {e}", request.target));
    let mut reply = Reply::new(answer.status, answer.body.clone());
    for name in ["content-type", "content-range", "docker-content-digest"] {
        if let Some(v) = answer.header(name) {
            reply = reply.header(name, v);
        }
    }
    if request.method == "HEAD" {
        if let Some(v) = answer.header("content-length") {
            reply = reply.header("Content-Length", v);
        }
    }
    reply
}

/// One gzip layer of about 300 KB that does not compress (so a cut at [`CUT`] falls
/// mid-body), with a file the listing shows.
fn image() -> BuiltImage {
    let noise = Rng(0x5eed_f00d).noise(300_000);
    let tar = Tar::new()
        .file("etc/motd", b"faults\n")
        .file("var/noise.bin", &noise)
        .finish();
    ImageBuilder::oci()
        .layer(Layer::gzip_tar(ManifestFormat::Oci, &tar))
        .build()
}

/// The blob's first `n` bytes under its whole length, then the connection closes.
fn cut_at(blob: &[u8], n: usize) -> Reply {
    Reply::new(200, blob[..n].to_vec()).header("Content-Length", &blob.len().to_string())
}

/// The blob from byte `from` as a 206, cut after `n` bytes.
fn cut_range(blob: &[u8], from: usize, n: usize) -> Reply {
    let last = blob.len() - 1;
    Reply::new(206, blob[from..from + n].to_vec())
        .header("Content-Length", &(blob.len() - from).to_string())
        .header(
            "Content-Range",
            &format!("bytes {from}-{last}/{}", blob.len()),
        )
}
