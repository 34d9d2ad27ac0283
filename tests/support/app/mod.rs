//! Shared by the `app_*` tests: an in-memory registry behind the
//! `registry::Fetch` door, images built in code (tars from the independent
//! tar builder, OCI JSON written out here), and a tiny synchronous runtime
//! that performs the page's effects the way `web/` does, so `update()` is
//! exercised with real resolves and scans.

use crate::tar;

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use layerlens::registry::{Body, Fetch, FetchError, Headers, Method, Request, Response};
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

mod page;

pub use page::Page;
pub use tar::{Flavour, Member, TarBuilder};

/// The registry host every test image lives on (loopback: plain HTTP).
pub const HOST: &str = "127.0.0.1:5000";

/// Polls a future that never waits (the in-memory fetch is always ready).
pub fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1_000_000 {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
    panic!("future did not complete");
}

pub fn digest_of(bytes: &[u8]) -> String {
    let h = Sha256::digest(bytes);
    let mut s = String::from("sha256:");
    for b in h {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

#[derive(Clone)]
struct Stored {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

/// Documents and blobs by URL path (`/v2/repo/manifests/tag`).
#[derive(Clone, Default)]
pub struct MemRegistry {
    objects: Rc<RefCell<HashMap<String, Stored>>>,
    /// Every URL requested, in order.
    pub requests: Rc<RefCell<Vec<String>>>,
    /// The body bytes of each answer, in the order of `requests`.
    pub sent: Rc<RefCell<Vec<u64>>>,
    /// Answer blobs whole, ignoring `Range` (as some registries do).
    pub ignore_range: bool,
    /// Chunk size of bodies (exercises progress).
    pub chunk: usize,
    /// Blobs whose next answers break off: digest -> (bytes sent before
    /// the connection drops, answers left to break).
    drops: Rc<RefCell<HashMap<String, (usize, usize)>>>,
}

pub struct MemBody {
    data: Vec<u8>,
    pos: usize,
    chunk: usize,
    /// Where the connection drops, if it does.
    drop_at: Option<usize>,
}

impl Body for MemBody {
    async fn chunk(&mut self) -> Result<Option<Vec<u8>>, FetchError> {
        if let Some(at) = self.drop_at.filter(|at| self.pos >= *at) {
            return Err(FetchError::new(format!(
                "connection reset after {at} bytes (the test registry dropped it)"
            )));
        }
        if self.pos >= self.data.len() {
            return Ok(None);
        }
        let end = (self.pos + self.chunk.max(1))
            .min(self.data.len())
            .min(self.drop_at.unwrap_or(usize::MAX));
        let out = self.data[self.pos..end].to_vec();
        self.pos = end;
        Ok(Some(out))
    }
}

impl Fetch for MemRegistry {
    type Body = MemBody;

    /// Never asked: the in-memory registry answers no 429 or 5xx.
    async fn sleep(&self, _ms: u64) {}

    async fn fetch(&self, request: Request) -> Result<Response<MemBody>, FetchError> {
        self.requests.borrow_mut().push(request.url.clone());
        let path = request
            .url
            .strip_prefix(&format!("http://{HOST}"))
            .ok_or_else(|| FetchError::new(format!("unexpected URL {}", request.url)))?;
        let stored = self.objects.borrow().get(path).cloned();
        let Some(s) = stored else {
            let body = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#;
            let code = if path.contains("/blobs/") {
                "BLOB_UNKNOWN"
            } else {
                "MANIFEST_UNKNOWN"
            };
            let body = String::from_utf8_lossy(body).replace("MANIFEST_UNKNOWN", code);
            let mut headers = Headers::new();
            headers.push("Content-Type", "application/json");
            return Ok(Response {
                status: 404,
                headers,
                body: MemBody {
                    data: body.into_bytes(),
                    pos: 0,
                    chunk: 1 << 20,
                    drop_at: None,
                },
            });
        };
        let mut headers = Headers::new();
        headers.push("Content-Type", s.content_type.clone());
        if path.contains("/manifests/") {
            headers.push("Docker-Content-Digest", digest_of(&s.body));
        }
        let total = s.body.len();
        let mut status = s.status;
        let mut data = if request.method == Method::Head {
            Vec::new()
        } else {
            s.body
        };
        // `Range: bytes=N-M` on a blob, as the distribution registry
        // answers it (206 and those bytes), unless told to ignore it.
        let range = request
            .headers
            .get("Range")
            .and_then(|r| r.strip_prefix("bytes="))
            .and_then(|r| r.split_once('-'))
            .and_then(|(a, b)| {
                // `bytes=N-`: to the end.
                let to = if b.is_empty() {
                    total.checked_sub(1)?
                } else {
                    b.parse::<usize>().ok()?
                };
                Some((a.parse::<usize>().ok()?, to))
            });
        if let (Some((from, to)), true, false) =
            (range, path.contains("/blobs/"), self.ignore_range)
        {
            if from <= to && to < data.len() {
                data = data[from..=to].to_vec();
                status = 206;
                headers.push("Content-Range", format!("bytes {from}-{to}/{total}"));
            }
        }
        let length = if request.method == Method::Head {
            total
        } else {
            data.len()
        };
        headers.push("Content-Length", length.to_string());
        let blob = path.rsplit_once("/blobs/").map(|(_, d)| d.to_owned());
        let drop_at = blob.and_then(|d| {
            let mut drops = self.drops.borrow_mut();
            let (at, left) = drops.get_mut(&d)?;
            (*left > 0).then(|| {
                *left -= 1;
                *at
            })
        });
        self.sent
            .borrow_mut()
            .push(drop_at.unwrap_or(data.len()).min(data.len()) as u64);
        Ok(Response {
            status,
            headers,
            body: MemBody {
                data,
                pos: 0,
                chunk: if self.chunk == 0 { 1 << 16 } else { self.chunk },
                drop_at,
            },
        })
    }
}

impl MemRegistry {
    pub fn new() -> MemRegistry {
        MemRegistry::default()
    }

    fn put(&self, path: String, content_type: &str, body: Vec<u8>) {
        self.objects.borrow_mut().insert(
            path,
            Stored {
                status: 200,
                content_type: content_type.to_owned(),
                body,
            },
        );
    }

    /// The next `times` answers for blob `digest` break off after `after`
    /// bytes of their body, as a dropped connection does.
    pub fn drop_blob(&self, digest: &str, after: usize, times: usize) {
        self.drops
            .borrow_mut()
            .insert(digest.to_owned(), (after, times));
    }

    /// Body bytes sent for blob `digest` since the log was last cleared.
    pub fn sent_for(&self, digest: &str) -> u64 {
        let requests = self.requests.borrow();
        let sent = self.sent.borrow();
        requests
            .iter()
            .zip(sent.iter())
            .filter(|(url, _)| url.ends_with(&format!("/blobs/{digest}")))
            .map(|(_, n)| n)
            .sum()
    }

    /// Forgets the requests and bytes logged so far.
    pub fn clear_log(&self) {
        self.requests.borrow_mut().clear();
        self.sent.borrow_mut().clear();
    }

    pub fn put_blob(&self, repo: &str, bytes: &[u8]) -> String {
        let d = digest_of(bytes);
        self.put(
            format!("/v2/{repo}/blobs/{d}"),
            "application/octet-stream",
            bytes.to_vec(),
        );
        d
    }

    /// Replaces a stored blob's bytes (keeps its digest address): tampering.
    pub fn tamper_blob(&self, repo: &str, digest: &str, bytes: Vec<u8>) {
        self.put(
            format!("/v2/{repo}/blobs/{digest}"),
            "application/octet-stream",
            bytes,
        );
    }

    pub fn put_manifest(
        &self,
        repo: &str,
        tag: Option<&str>,
        media_type: &str,
        bytes: &[u8],
    ) -> String {
        let d = digest_of(bytes);
        self.put(
            format!("/v2/{repo}/manifests/{d}"),
            media_type,
            bytes.to_vec(),
        );
        if let Some(t) = tag {
            self.put(
                format!("/v2/{repo}/manifests/{t}"),
                media_type,
                bytes.to_vec(),
            );
        }
        d
    }

    /// Pushes an image; returns its manifest digest.
    pub fn push(&self, repo: &str, tag: Option<&str>, image: &TestImage) -> String {
        let (manifest, _) = image.manifest(self, repo);
        self.put_manifest(repo, tag, OCI_MANIFEST, &manifest)
    }

    /// Pushes an index of images with their platforms.
    pub fn push_index(&self, repo: &str, tag: &str, images: &[(&TestImage, Value)]) -> String {
        let mut manifests = Vec::new();
        for (img, platform) in images {
            let (m, _) = img.manifest(self, repo);
            let d = self.put_manifest(repo, None, OCI_MANIFEST, &m);
            manifests.push(json!({
                "mediaType": OCI_MANIFEST,
                "digest": d,
                "size": m.len(),
                "platform": platform,
            }));
        }
        let index = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": manifests,
        }))
        .unwrap();
        self.put_manifest(repo, Some(tag), OCI_INDEX, &index)
    }
}

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// A layer: its tar, the instruction that made it, and when its blob is
/// not the plain gzip of the tar (an eStargz blob), that blob and its
/// descriptor's annotations.
pub struct TestLayer {
    pub tar: Vec<u8>,
    pub created_by: String,
    pub blob: Option<(Vec<u8>, Value)>,
}

/// An image under construction.
pub struct TestImage {
    pub layers: Vec<TestLayer>,
    pub os: String,
    pub arch: String,
    pub variant: Option<String>,
    pub env: Vec<String>,
    pub cmd: Vec<String>,
    pub labels: Vec<(String, String)>,
    pub empty_steps: Vec<(usize, String)>,
}

pub fn tar(members: &[Member]) -> Vec<u8> {
    let mut b = TarBuilder::new(Flavour::Pax);
    for m in members {
        b.member(m);
    }
    b.finish()
}

impl Default for TestImage {
    fn default() -> TestImage {
        TestImage::new()
    }
}

impl TestImage {
    pub fn new() -> TestImage {
        TestImage {
            layers: Vec::new(),
            os: "linux".into(),
            arch: "amd64".into(),
            variant: None,
            env: vec!["PATH=/usr/local/bin:/usr/bin:/bin".into()],
            cmd: vec!["/bin/sh".into()],
            labels: Vec::new(),
            empty_steps: Vec::new(),
        }
    }

    pub fn layer(mut self, created_by: &str, members: &[Member]) -> TestImage {
        self.layers.push(TestLayer {
            tar: tar(members),
            created_by: created_by.to_owned(),
            blob: None,
        });
        self
    }

    /// A layer written as eStargz (`crate::estargz`), its descriptor
    /// annotated with the table of contents' digest.
    pub fn estargz_layer(mut self, created_by: &str, members: &[Member]) -> TestImage {
        let written = crate::estargz::estargz(members);
        let mut tar = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::MultiGzDecoder::new(written.blob.as_slice()),
            &mut tar,
        )
        .expect("the eStargz blob inflates");
        let annotations = json!({ layerlens::layer::toc::stargz::TOC_DIGEST: written.toc_digest });
        self.layers.push(TestLayer {
            tar,
            created_by: created_by.to_owned(),
            blob: Some((written.blob, annotations)),
        });
        self
    }

    pub fn label(mut self, k: &str, v: &str) -> TestImage {
        self.labels.push((k.into(), v.into()));
        self
    }

    pub fn env(mut self, e: &str) -> TestImage {
        self.env.push(e.into());
        self
    }

    pub fn platform(mut self, os: &str, arch: &str, variant: Option<&str>) -> TestImage {
        self.os = os.into();
        self.arch = arch.into();
        self.variant = variant.map(Into::into);
        self
    }

    /// An empty-layer history step before layer `before`.
    pub fn empty_step(mut self, before: usize, created_by: &str) -> TestImage {
        self.empty_steps.push((before, created_by.into()));
        self
    }

    pub fn config_json(&self) -> Vec<u8> {
        let diff_ids: Vec<String> = self.layers.iter().map(|l| digest_of(&l.tar)).collect();
        let mut history = Vec::new();
        for (i, l) in self.layers.iter().enumerate() {
            for (b, s) in &self.empty_steps {
                if *b == i {
                    history.push(json!({"created_by": s, "empty_layer": true}));
                }
            }
            history.push(json!({"created_by": l.created_by}));
        }
        let labels: serde_json::Map<String, Value> = self
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let mut cfg = json!({
            "created": "2024-05-01T12:00:00Z",
            "author": "layerlens tests",
            "architecture": self.arch,
            "os": self.os,
            "config": {
                "Env": self.env,
                "Cmd": self.cmd,
                "WorkingDir": "/",
                "Labels": labels,
                "ExposedPorts": {"8080/tcp": {}},
            },
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": history,
        });
        if let Some(v) = &self.variant {
            cfg["variant"] = json!(v);
        }
        serde_json::to_vec(&cfg).unwrap()
    }

    /// Pushes config and layer blobs; returns the manifest bytes and the
    /// layer blobs' digests.
    pub fn manifest(&self, reg: &MemRegistry, repo: &str) -> (Vec<u8>, Vec<String>) {
        let cfg = self.config_json();
        let cfg_d = reg.put_blob(repo, &cfg);
        let mut layers = Vec::new();
        let mut digests = Vec::new();
        for l in &self.layers {
            let (blob, annotations) = match &l.blob {
                Some((blob, annotations)) => (blob.clone(), Some(annotations.clone())),
                None => (tar::gzip(&l.tar), None),
            };
            let d = reg.put_blob(repo, &blob);
            let mut descriptor =
                json!({"mediaType": OCI_LAYER_GZIP, "digest": d, "size": blob.len()});
            if let Some(a) = annotations {
                descriptor["annotations"] = a;
            }
            layers.push(descriptor);
            digests.push(d);
        }
        let m = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": cfg_d, "size": cfg.len()},
            "layers": layers,
        }))
        .unwrap();
        (m, digests)
    }
}

/// Compares text line by line with a readable failure.
#[track_caller]
pub fn assert_text(actual: &str, expected: &str) {
    let expected = expected.strip_prefix('\n').unwrap_or(expected);
    let expected = expected.strip_suffix('\n').unwrap_or(expected);
    if actual != expected {
        panic!("text differs\n--- expected\n{expected}\n--- actual\n{actual}\n---");
    }
}

/// The test image used across the app tests: three layers that add,
/// modify, delete and rewrite files, plus an empty history step.
///
/// * L0 `ADD rootfs.tar /`: bin/sh (100 B, 0755), etc/hello (`hello\n`),
///   etc/os-release (8 B), usr/bin/big (4096 B), usr/bin/sh2 -> /bin/sh
/// * L1 `RUN …`: etc/hello rewritten (`hello world\n`, 12 B), etc/new.conf
///   added (4 B), etc/os-release whited out, usr/bin/big stored again
///   unchanged
/// * (empty) `ENV APP=1`
/// * L2 `COPY app /opt/app`: opt/app/data.bin (2000 B, 0600, 1000:1000)
pub fn demo_image() -> TestImage {
    TestImage::new()
        .layer(
            "/bin/sh -c #(nop) ADD file:rootfs.tar in / ",
            &[
                Member::dir(b"bin/"),
                Member::file(b"bin/sh", &[7u8; 100]).mode(0o755),
                Member::dir(b"etc/"),
                Member::file(b"etc/hello", b"hello\n"),
                Member::file(b"etc/os-release", b"ID=test\n"),
                Member::dir(b"usr/"),
                Member::dir(b"usr/bin/"),
                Member::file(b"usr/bin/big", &[1u8; 4096]).mode(0o755),
                Member::symlink(b"usr/bin/sh2", b"/bin/sh"),
            ],
        )
        .layer(
            "/bin/sh -c echo hello world > /etc/hello && rm /etc/os-release",
            &[
                Member::file(b"etc/hello", b"hello world\n"),
                Member::file(b"etc/new.conf", b"x=1\n"),
                Member::file(b"etc/.wh.os-release", b""),
                Member::file(b"usr/bin/big", &[1u8; 4096]).mode(0o755),
            ],
        )
        .empty_step(2, "/bin/sh -c #(nop)  ENV APP=1")
        .layer(
            "COPY app /opt/app # buildkit",
            &[
                Member::dir(b"opt/"),
                Member::dir(b"opt/app/"),
                Member::file(b"opt/app/data.bin", &[9u8; 2000])
                    .mode(0o600)
                    .owner(1000, 1000, b"app", b"app"),
            ],
        )
        .label("org.opencontainers.image.title", "demo")
}

/// An image on the demo image's first two layers (the same blobs) with a
/// third of its own: `step` made `members`.
pub fn on_demo_base(step: &str, members: &[Member]) -> TestImage {
    let demo = demo_image();
    let mut image = TestImage::new()
        .layer("base", &[])
        .layer("update", &[])
        .layer(step, members);
    image.layers[0].tar = demo.layers[0].tar.clone();
    image.layers[1].tar = demo.layers[1].tar.clone();
    image
}

/// A registry holding `demo:v1` (the demo image) and `multi:v1` (an index:
/// linux/amd64 with etc/amd64-only, linux/arm64/v8 with etc/arm64-only,
/// both with etc/hello).
pub fn demo_registry() -> MemRegistry {
    let reg = MemRegistry::new();
    reg.push("demo", Some("v1"), &demo_image());
    let amd = TestImage::new().layer(
        "ADD amd64 /",
        &[
            Member::dir(b"etc/"),
            Member::file(b"etc/hello", b"hi amd64\n"),
            Member::file(b"etc/amd64-only", b"x"),
        ],
    );
    let arm = TestImage::new()
        .platform("linux", "arm64", Some("v8"))
        .layer(
            "ADD arm64 /",
            &[
                Member::dir(b"etc/"),
                Member::file(b"etc/hello", b"hi arm64\n"),
                Member::file(b"etc/arm64-only", b"y"),
            ],
        );
    reg.push_index(
        "multi",
        "v1",
        &[
            (&amd, json!({"os": "linux", "architecture": "amd64"})),
            (
                &arm,
                json!({"os": "linux", "architecture": "arm64", "variant": "v8"}),
            ),
        ],
    );
    reg
}

/// A page with the demo image loaded (`127.0.0.1:5000/demo:v1`).
pub fn demo_page() -> Page {
    let mut page = Page::new(demo_registry());
    page.submit(&format!("{HOST}/demo:v1"));
    page
}
