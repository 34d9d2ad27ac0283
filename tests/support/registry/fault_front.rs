//! [`FaultFront`]: a loopback front before a real registry that breaks one blob on demand —
//! drops its connection part-way, answers 429 or 5xx, lies about its length, redirects in a
//! loop, never ends or stalls. A small fake on purpose: CNCF distribution cannot inject these
//! faults, so the real registry serves the image and the front relays it, breaking only what
//! a test asks for.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::http::{Reply, ReplyBody, Request, Upstream};

use super::{BuiltImage, Client, Flavor, Registry};

/// What the front does with the `n`-th request (0 first) for the broken blob, given the
/// blob's bytes: `None` relays it to the real registry as it is (`Range` included).
pub type Fault = dyn Fn(&Request, usize, &[u8]) -> Option<Reply> + Send + Sync;

/// A real open registry holding one image, and the fault front before it.
pub struct FaultFront {
    front: Upstream,
    image: BuiltImage,
    repo: String,
    blob_requests: Arc<Mutex<Vec<(Request, Instant)>>>,
    _registry: Registry,
}

impl FaultFront {
    /// `image` pushed to a real registry as `repo:v1`, served through a front that breaks its
    /// first layer's blob as `fault` says.
    pub fn start(
        repo: &str,
        image: BuiltImage,
        fault: impl Fn(&Request, usize, &[u8]) -> Option<Reply> + Send + Sync + 'static,
    ) -> FaultFront {
        let registry = Registry::start(Flavor::Open);
        image.push(&registry.client(), repo, Some("v1"));
        let layer = image.layers[0].clone();
        let blob_path = format!("/v2/{repo}/blobs/{}", layer.digest());
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
        FaultFront {
            front,
            image,
            repo: repo.to_owned(),
            blob_requests,
            _registry: registry,
        }
    }

    /// `127.0.0.1:PORT` of the front.
    pub fn host_port(&self) -> String {
        self.front.host_port()
    }

    /// `127.0.0.1:PORT/REPO:v1`, through the front.
    pub fn reference(&self) -> String {
        format!("{}/{}:v1", self.front.host_port(), self.repo)
    }

    /// The broken blob's digest (the image's first layer).
    pub fn digest(&self) -> String {
        self.image.layers[0].digest()
    }

    /// The broken blob's bytes.
    pub fn blob(&self) -> &[u8] {
        &self.image.layers[0].bytes
    }

    /// The broken blob's requests the front saw, with when.
    pub fn blob_requests(&self) -> Vec<(Request, Instant)> {
        self.blob_requests
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// The `Range` headers of the broken blob's requests, in order.
    pub fn ranges(&self) -> Vec<Option<String>> {
        self.blob_requests()
            .iter()
            .map(|(r, _)| r.header("range").map(str::to_owned))
            .collect()
    }
}

/// `request` sent on to the real registry, its answer relayed.
fn relayed(relay: &Client, request: &Request) -> Reply {
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

/// The blob's first `n` bytes under its whole length, then the connection closes.
pub fn cut_at(blob: &[u8], n: usize) -> Reply {
    Reply::new(200, blob[..n].to_vec()).header("Content-Length", &blob.len().to_string())
}

/// The blob from byte `from` as a 206, cut after `n` bytes.
pub fn cut_range(blob: &[u8], from: usize, n: usize) -> Reply {
    let last = blob.len() - 1;
    Reply::new(206, blob[from..from + n].to_vec())
        .header("Content-Length", &(blob.len() - from).to_string())
        .header(
            "Content-Range",
            &format!("bytes {from}-{last}/{}", blob.len()),
        )
}

/// The blob from where `request` asks (`Range: bytes=N-`, else its start, as 206 or 200):
/// `n` bytes under the length of the rest, then silence for `hold`, then the connection
/// closes — a registry that stalls, or (with a short `hold`) one that drops the connection
/// once a reader has had time to take what came.
pub fn stall_from(request: &Request, blob: &[u8], n: usize, hold: Duration) -> Reply {
    let from: usize = request
        .header("range")
        .and_then(|r| r.strip_prefix("bytes=")?.strip_suffix('-')?.parse().ok())
        .unwrap_or(0);
    let reply = Reply {
        status: if from == 0 { 200 } else { 206 },
        headers: Vec::new(),
        body: ReplyBody::Stall(blob[from..from + n].to_vec(), blob.len() - from, hold),
    };
    if from == 0 {
        return reply;
    }
    let range = format!("bytes {from}-{}/{}", blob.len() - 1, blob.len());
    reply.header("Content-Range", &range)
}
