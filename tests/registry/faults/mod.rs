//! Faults from the registry's side, injected by the tests' own server: a dropped connection
//! mid-blob, 5xx and 429 with `Retry-After`, a wrong `Content-Length`, a redirect loop, a body
//! that never ends and one that stalls — through the registry client (`client.rs`) and the
//! command line (`cli.rs`). Each asserts what the reader is told and that a damaged stream is
//! never reported as verified.
//!
//! The fault front (`layerlens_testkit::registry::FaultFront`) is a small fake (the test kit's
//! loopback server) *in front of* the real CNCF distribution registry: the real registry serves the image, the front relays it and
//! breaks what a test asks it to break, because distribution itself cannot drop a connection
//! half-way, answer 429, lie about a length or loop its redirects on demand.

mod cli;
mod client;

use layerlens_testkit::http::{Reply, Request};
use layerlens_testkit::registry::tiny_tar::Tar;
use layerlens_testkit::registry::FaultFront;
use layerlens_testkit::registry::{BuiltImage, ImageBuilder, Layer, ManifestFormat};
use layerlens_testkit::rng::Rng;

/// The repository the image is pushed to.
const REPO: &str = "faults/app";
/// Where the first connection of a broken blob is cut.
const CUT: usize = 100_000;

/// The image behind a front that breaks its layer blob as `fault` says.
fn broken(
    fault: impl Fn(&Request, usize, &[u8]) -> Option<Reply> + Send + Sync + 'static,
) -> FaultFront {
    FaultFront::start(REPO, image(), fault)
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
