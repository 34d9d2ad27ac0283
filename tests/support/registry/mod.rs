//! A real CNCF distribution registry (`/usr/bin/docker-registry`, Debian package
//! `docker-registry`, distribution 2.8) for integration tests, plus what it takes to fill it:
//!
//! * [`Registry`] — one registry process per test, on `127.0.0.1` and a free port, storage in a
//!   temp dir, killed on drop; three [`Flavor`]s: open, htpasswd basic auth, token auth.
//! * [`TokenServer`] — our own token realm for the token flavour (ES256 JWTs whose `x5c`
//!   certificate is the registry's `rootcertbundle`); it records every request it served.
//! * [`Client`] — a blocking HTTP client (ureq) that speaks the distribution upload API on its
//!   own, independently of the product code: blobs (monolithic and chunked), manifests, tags.
//! * [`ImageBuilder`] / [`IndexBuilder`] — OCI or Docker schema2 images and indexes from layer
//!   bytes, pushed through the [`Client`]; [`tiny_tar`] makes small layers for the harness's
//!   own tests.
//! * [`FaultFront`] — a loopback front that breaks one blob on demand (dropped, 429/5xx,
//!   wrong length, redirect loop, endless or stalled), for the fault tests.
//! * [`TagPager`] — a loopback front that adds `?n=`/`last=` tag-list pagination with a `Link`
//!   header, which distribution 2.8 lacks (it always returns every tag).
//!
//! Nothing here sends a packet anywhere but `127.0.0.1`: every URL the client follows is checked.
//!
//! ```ignore
//! use layerlens_testkit::registry::{tiny_tar::Tar, Flavor, ImageBuilder, Layer, ManifestFormat, Registry};
//!
//! let registry = Registry::start(Flavor::token("alice", "s3cret"));
//! let client = registry.client(); // fetches push-scoped tokens from the token server
//! let tar = Tar::new().file("etc/hello", b"hi\n").finish();
//! let image = ImageBuilder::oci()
//!     .layer(Layer::gzip_tar(ManifestFormat::Oci, &tar))
//!     .platform("linux", "arm64", Some("v8"))
//!     .build();
//! let digest = image.push(&client, "team/app", Some("v1"));
//! let reference = format!("{}/team/app:v1", registry.host_port()); // what the CLI is given
//! std::fs::write(registry.blob_data_path(&image.layers[0].digest()), b"tampered")?;
//! ```

mod client;
mod config;
mod descriptor;
mod digest;
mod distribution_api;
pub mod fault_front;
mod image;
mod index;
mod pager;
mod process;
mod response;
pub mod tiny_tar;
mod token;

pub use client::Client;
pub use descriptor::{media_types, Descriptor, Layer, ManifestFormat, Platform};
pub use digest::sha256_digest;
pub use distribution_api::ACCEPT_ALL_MANIFESTS;
pub use fault_front::FaultFront;
pub use image::{BuiltImage, ImageBuilder};
pub use index::{BuiltIndex, IndexBuilder};
pub use pager::TagPager;
pub use process::{Flavor, Registry};
pub use response::{HarnessError, HarnessResult, HttpResponse};
pub use token::{TokenRequest, TokenServer, TokenServerConfig};
