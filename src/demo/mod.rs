//! The built-in demo image: a small multi-platform OCI image generated in
//! memory, deterministically — the same bytes and digests on every run, with
//! no clock, no randomness and no I/O — so `layerlens serve` can offer it as
//! `127.0.0.1:PORT/demo:latest` and a new user sees every feature work with
//! no network at all.
//!
//! What it shows (see `README.md` in the image and the table in the
//! project's README):
//!
//! * an OCI index with `linux/amd64` and `linux/arm64/v8`, whose
//!   `/etc/demo-arch` and `/usr/local/bin/demo` differ;
//! * five layers — gzip, zstd and plain tar — that add, modify and delete
//!   files, with whiteouts (`.wh.NAME`) and an opaque directory
//!   (`.wh..wh..opq`);
//! * a 192 KiB file rewritten by a later layer (wasted space), symlinks, a
//!   hard link, a PNG, a setuid file, an executable, a directory owned by
//!   uid 1000, a name long enough to need a PAX header;
//! * a config with Env, Entrypoint, Cmd, WorkingDir, User, ExposedPorts,
//!   Labels, StopSignal and a Dockerfile-like history with empty steps.
//!
//! The result is an OCI image layout held in memory ([`DemoImage`]): blobs by
//! digest plus the layout's `index.json`, which names the index `latest` and
//! `v1`. Shells serve it ([`crate::serve`]) or write it to disk
//! ([`DemoImage::layout_files`]).

pub mod content;
mod documents;
pub mod layers;
pub mod tar;

use std::collections::BTreeMap;

use crate::oci::{Descriptor, Digest, MediaType, Platform};
use documents::{to_json, Config, ContainerConfig, Empty, HistoryEntry, Index, Manifest, RootFs};
use layers::{timestamp, Arch, LayerPlan};

/// The repository name the demo is served under.
pub const NAME: &str = "demo";
/// The tags of the demo's index, in the order `index.json` lists them.
pub const TAGS: [&str; 2] = ["latest", "v1"];
/// The content of an image layout's `oci-layout` file (image-spec
/// `image-layout.md`).
pub const OCI_LAYOUT: &str = "{\"imageLayoutVersion\":\"1.0.0\"}";
/// The annotation that names a tag in a layout's `index.json`.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// The image's title, in its labels and manifest annotations.
const TITLE: &str = "layerlens demo";
/// The image's version label.
const VERSION: &str = "1.1";
/// The step at which the image was finished (see [`layers::timestamp`]).
const FINISHED: u64 = 8;

/// One platform's image inside the demo: what the index entry, manifest and
/// config say, for tests and for shells that want to describe the demo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformImage {
    /// `linux/amd64` or `linux/arm64/v8`.
    pub platform: Platform,
    /// The manifest's descriptor (as the index lists it, with the platform).
    pub manifest: Descriptor,
    /// The config's descriptor.
    pub config: Descriptor,
    /// The layers' descriptors, bottom first.
    pub layers: Vec<Descriptor>,
    /// The uncompressed layer digests (the config's `rootfs.diff_ids`).
    pub diff_ids: Vec<Digest>,
}

/// The demo as an in-memory OCI image layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoImage {
    blobs: BTreeMap<Digest, Vec<u8>>,
    index: Descriptor,
    layout_index: Vec<u8>,
    images: Vec<PlatformImage>,
}

impl DemoImage {
    /// Builds the demo (a few hundred KB; well under a second).
    pub fn generate() -> DemoImage {
        let mut blobs = BTreeMap::new();
        let shared = [
            layers::base(),
            layers::cleanup(),
            layers::cache(),
            layers::motd(),
        ];
        let mut images = Vec::new();
        for arch in [Arch::AMD64, Arch::ARM64] {
            let [base, cleanup, cache, motd] = &shared;
            let plans = [base, &layers::arch(arch), cleanup, cache, motd].map(Clone::clone);
            images.push(image(arch, &plans, &mut blobs));
        }
        let manifests: Vec<Descriptor> = images.iter().map(|i| i.manifest.clone()).collect();
        let annotations = BTreeMap::from([
            (
                "org.opencontainers.image.description".to_owned(),
                "The layerlens demo image: two platforms, five layers, whiteouts, an opaque \
                 directory and wasted space."
                    .to_owned(),
            ),
            (
                "org.opencontainers.image.title".to_owned(),
                TITLE.to_owned(),
            ),
        ]);
        let index_json = to_json(&Index {
            schema_version: 2,
            media_type: &MediaType::OciIndex,
            manifests: &manifests,
            annotations: &annotations,
        });
        let index = add_blob(&mut blobs, MediaType::OciIndex, index_json);
        let tagged: Vec<Descriptor> = TAGS
            .iter()
            .map(|tag| index.clone().with_annotation(REF_NAME, *tag))
            .collect();
        let layout_index = to_json(&Index {
            schema_version: 2,
            media_type: &MediaType::OciIndex,
            manifests: &tagged,
            annotations: &BTreeMap::new(),
        });
        DemoImage {
            blobs,
            index,
            layout_index,
            images,
        }
    }

    /// The descriptor of the multi-platform index that the tags name.
    pub fn index(&self) -> &Descriptor {
        &self.index
    }

    /// The images of the index, in index order (amd64, then arm64/v8).
    pub fn images(&self) -> &[PlatformImage] {
        &self.images
    }

    /// A blob (index, manifest, config or layer) by digest.
    pub fn blob(&self, digest: &Digest) -> Option<&[u8]> {
        self.blobs.get(digest).map(Vec::as_slice)
    }

    /// Every blob, by digest.
    pub fn blobs(&self) -> impl Iterator<Item = (&Digest, &[u8])> {
        self.blobs.iter().map(|(d, b)| (d, b.as_slice()))
    }

    /// The layout's `index.json`: the index, tagged with every name in [`TAGS`].
    pub fn layout_index(&self) -> &[u8] {
        &self.layout_index
    }

    /// The bytes of all blobs together.
    pub fn size(&self) -> u64 {
        self.blobs.values().map(|b| b.len() as u64).sum()
    }

    /// The files of the layout on disk, as `(relative path, bytes)`:
    /// `oci-layout`, `index.json` and `blobs/<alg>/<hex>`. Writing them is
    /// the caller's business (the core does no I/O).
    pub fn layout_files(&self) -> Vec<(String, &[u8])> {
        let mut files = vec![
            ("oci-layout".to_owned(), OCI_LAYOUT.as_bytes()),
            ("index.json".to_owned(), self.layout_index.as_slice()),
        ];
        for (digest, bytes) in &self.blobs {
            files.push((
                format!("blobs/{}/{}", digest.algorithm(), digest.hex()),
                bytes.as_slice(),
            ));
        }
        files
    }

    /// The blobs, given away (the server keeps them without a copy).
    pub fn into_blobs(self) -> BTreeMap<Digest, Vec<u8>> {
        self.blobs
    }
}

fn add_blob(
    blobs: &mut BTreeMap<Digest, Vec<u8>>,
    media_type: MediaType,
    bytes: Vec<u8>,
) -> Descriptor {
    let digest = Digest::sha256(&bytes);
    let descriptor = Descriptor::new(media_type, digest.clone(), bytes.len() as u64);
    blobs.insert(digest, bytes);
    descriptor
}

/// One platform's config and manifest over `plans`.
fn image(arch: Arch, plans: &[LayerPlan], blobs: &mut BTreeMap<Digest, Vec<u8>>) -> PlatformImage {
    let mut layer_descriptors = Vec::new();
    let mut diff_ids = Vec::new();
    for plan in plans {
        diff_ids.push(Digest::sha256(&plan.tar));
        let blob = plan.packing.pack(&plan.tar);
        layer_descriptors.push(add_blob(blobs, plan.packing.media_type(), blob));
    }

    let labels = BTreeMap::from([
        (
            "org.opencontainers.image.description".to_owned(),
            "A demo image generated by layerlens".to_owned(),
        ),
        (
            "org.opencontainers.image.licenses".to_owned(),
            "Apache-2.0".to_owned(),
        ),
        (
            "org.opencontainers.image.title".to_owned(),
            TITLE.to_owned(),
        ),
        (
            "org.opencontainers.image.vendor".to_owned(),
            "layerlens".to_owned(),
        ),
        (
            "org.opencontainers.image.version".to_owned(),
            VERSION.to_owned(),
        ),
    ]);
    let history = history(plans);
    let created = timestamp(FINISHED);
    let config_json = to_json(&Config {
        created: &created,
        author: "layerlens <demo@layerlens.invalid>",
        architecture: arch.architecture,
        os: "linux",
        variant: arch.variant,
        config: ContainerConfig {
            user: "demo",
            exposed_ports: BTreeMap::from([("8080/tcp", Empty {})]),
            env: &[
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "DEMO_HOME=/home/demo",
                "DEMO_CACHE=/var/cache/demo",
            ],
            entrypoint: &["/usr/local/bin/demo"],
            cmd: &["serve", "--port", "8080"],
            working_dir: "/home/demo",
            labels: &labels,
            stop_signal: "SIGTERM",
        },
        rootfs: RootFs {
            kind: "layers",
            diff_ids: diff_ids.iter().map(ToString::to_string).collect(),
        },
        history,
    });
    let config = add_blob(blobs, MediaType::OciConfig, config_json);

    let annotations = BTreeMap::from([
        (
            "org.opencontainers.image.created".to_owned(),
            created.clone(),
        ),
        (
            "org.opencontainers.image.title".to_owned(),
            TITLE.to_owned(),
        ),
    ]);
    let manifest_json = to_json(&Manifest {
        schema_version: 2,
        media_type: &MediaType::OciManifest,
        config: &config,
        layers: &layer_descriptors,
        annotations: &annotations,
    });
    let mut platform = Platform::new("linux", arch.architecture);
    if let Some(v) = arch.variant {
        platform = platform.with_variant(v);
    }
    let manifest =
        add_blob(blobs, MediaType::OciManifest, manifest_json).with_platform(platform.clone());
    PlatformImage {
        platform,
        manifest,
        config,
        layers: layer_descriptors,
        diff_ids,
    }
}

/// One step of the Dockerfile-like build: a layer (the next plan) or a
/// metadata-only instruction at a minute of the build.
enum Step {
    Layer,
    Empty(u64, &'static str),
}

/// The steps, in order; [`Step::Layer`] takes the next plan.
const STEPS: &[Step] = &[
    Step::Layer, // ADD rootfs
    Step::Empty(2, "CMD [\"/bin/sh\"]"),
    Step::Empty(2, "ARG TARGETARCH"),
    Step::Layer, // COPY demo
    Step::Layer, // RUN cleanup
    Step::Empty(5, "ENV DEMO_HOME=/home/demo DEMO_CACHE=/var/cache/demo"),
    Step::Layer, // RUN --rebuild-cache
    Step::Layer, // COPY motd
    Step::Empty(FINISHED, "WORKDIR /home/demo"),
    Step::Empty(FINISHED, "USER demo"),
    Step::Empty(FINISHED, "EXPOSE map[8080/tcp:{}]"),
    Step::Empty(
        FINISHED,
        "LABEL org.opencontainers.image.title=layerlens demo org.opencontainers.image.version=1.1",
    ),
    Step::Empty(FINISHED, "STOPSIGNAL SIGTERM"),
    Step::Empty(FINISHED, "ENTRYPOINT [\"/usr/local/bin/demo\"]"),
    Step::Empty(FINISHED, "CMD [\"serve\" \"--port\" \"8080\"]"),
];

/// The history: one entry per layer in `plans`, in order, with the
/// metadata-only steps (`empty_layer: true`) between them.
fn history(plans: &[LayerPlan]) -> Vec<HistoryEntry<'_>> {
    let mut layers = plans.iter();
    STEPS
        .iter()
        .filter_map(|step| {
            let (minute, created_by, empty_layer) = match step {
                Step::Layer => {
                    let plan = layers.next()?;
                    (plan.minute, plan.created_by.as_str(), false)
                }
                Step::Empty(minute, created_by) => (*minute, *created_by, true),
            };
            Some(HistoryEntry {
                created: timestamp(minute),
                created_by,
                comment: "buildkit.dockerfile.v0",
                empty_layer,
            })
        })
        .collect()
}
