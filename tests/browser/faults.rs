//! The registry faults of `tests/registry/faults/` met by the page through `layerlens serve`
//! (`tests/e2e/faults.test.mjs`): the waiting is the page's own `setTimeout` in a layer
//! worker, the resume a `Range` request through the proxy. Two fault fronts before real
//! registries (`layerlens_testkit::registry::FaultFront`):
//!
//! * `faults/once` — its first layer's blob answers 503 with `Retry-After: 1`, then drops its
//!   connection after [`CUT`] bytes once: the page must end verified.
//! * `faults/twice` — its first layer's blob drops after [`CUT`] bytes, then again 50 000
//!   bytes into the resume: the page must say so and not verify the layer.

use std::process::Command;
use std::time::Duration;

use layerlens_testkit::http::{Reply, Request};
use layerlens_testkit::registry::fault_front::stall_from;
use layerlens_testkit::registry::tiny_tar::Tar;
use layerlens_testkit::registry::{BuiltImage, FaultFront, ImageBuilder, Layer, ManifestFormat};
use layerlens_testkit::rng::Rng;

/// Where the first connection of a broken blob is cut.
const CUT: usize = 100_000;

/// The two fronts.
pub(crate) struct Faults {
    once: FaultFront,
    twice: FaultFront,
}

/// A broken layer (300 KB that do not compress, and `/etc/motd`) and an intact one
/// (`/etc/kept`); `seed` makes each image's blobs its own.
fn image(seed: u64) -> BuiltImage {
    let broken = Tar::new()
        .file("etc/motd", b"faults\n")
        .file("var/noise.bin", &Rng(seed).noise(300_000))
        .finish();
    let kept = Tar::new().file("etc/kept", b"kept\n").finish();
    ImageBuilder::oci()
        .layer(Layer::gzip_tar(ManifestFormat::Oci, &broken))
        .layer(Layer::gzip_tar(ManifestFormat::Oci, &kept))
        .build()
}

/// The blob from where `request` asks: `n` bytes, a pause, then the connection closes. The
/// pause lets the page read what came before the close: a browser stream that errors drops
/// the chunks still queued in it, so the page resumes from what it read, which may be less
/// than what was sent.
fn broken_after(request: &Request, blob: &[u8], n: usize) -> Reply {
    stall_from(request, blob, n, Duration::from_millis(500))
}

impl Faults {
    /// Starts both fronts.
    pub(crate) fn start() -> Faults {
        let once = FaultFront::start("faults/once", image(0x0ace), |r, n, blob| match n {
            0 => Some(Reply::new(503, "busy").header("Retry-After", "1")),
            1 => Some(broken_after(r, blob, CUT)),
            _ => None,
        });
        let twice = FaultFront::start("faults/twice", image(0x7a1ce), |r, n, blob| match n {
            0 => Some(broken_after(r, blob, CUT)),
            _ => Some(broken_after(r, blob, 50_000)),
        });
        Faults { once, twice }
    }

    /// The fronts' `host:port`s, for `serve --allow-registry`.
    pub(crate) fn hosts(&self) -> [String; 2] {
        [self.once.host_port(), self.twice.host_port()]
    }

    /// What `tests/e2e/faults.test.mjs` reads: `FAULT_ONCE`, `FAULT_TWICE` (references) and
    /// `FAULT_TWICE_LAYER` (the broken layer's digest).
    pub(crate) fn env(&self, node: &mut Command) {
        node.env("FAULT_ONCE", self.once.reference())
            .env("FAULT_TWICE", self.twice.reference())
            .env("FAULT_TWICE_LAYER", self.twice.digest());
    }

    /// After the browser ran: what the page asked of `faults/once`'s blob, when
    /// `faults.test.mjs` was among the files run (none of its requests otherwise).
    pub(crate) fn check(&self) {
        let seen = self.once.blob_requests();
        if seen.is_empty() {
            return;
        }
        // Asked again after the 503, then resumed from what the page had read: the byte the
        // connection broke at, unless the browser dropped chunks it had not handed over.
        let ranges = self.once.ranges();
        assert_eq!(ranges.len(), 3, "{ranges:?}");
        assert_eq!(ranges[..2], [None, None]);
        let resumed_at = ranges[2].as_deref().map_or(Some(0), |r| {
            r.strip_prefix("bytes=")?
                .strip_suffix('-')?
                .parse::<usize>()
                .ok()
        });
        assert!(
            resumed_at.is_some_and(|at| at <= CUT),
            "resumed with {ranges:?}"
        );
        let waited = seen[1].1 - seen[0].1;
        assert!(
            waited >= Duration::from_millis(950),
            "the page asked again after {waited:?}, not the Retry-After of 1 s"
        );
    }
}
