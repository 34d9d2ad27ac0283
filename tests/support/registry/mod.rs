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
//! * [`TagPager`] — a loopback front that adds `?n=`/`last=` tag-list pagination with a `Link`
//!   header, which distribution 2.8 lacks (it always returns every tag).
//!
//! Nothing here sends a packet anywhere but `127.0.0.1`: every URL the client follows is checked.
//!
//! ```ignore
//! let registry = Registry::start(Flavor::token("alice", "s3cret"));
//! let client = registry.client();
//! let layer = Layer::gzip_tar(&tiny_tar::Tar::new().file("etc/hello", b"hi\n").finish());
//! let image = ImageBuilder::oci().layer(layer).platform("linux", "amd64", None).build();
//! let pushed = image.push(&client, "team/app", Some("v1"));
//! let reference = format!("{}/team/app:v1", registry.host_port());
//! ```

#![allow(dead_code)]

mod client;
mod config;
mod digest;
mod http_server;
mod image;
mod pager;
mod process;
pub mod tiny_tar;
mod token;

// Re-exports: a test binary that uses a subset would otherwise warn about the rest.
#[allow(unused_imports)]
pub use client::{Client, HarnessError, HarnessResult, HttpResponse, ACCEPT_ALL_MANIFESTS};
#[allow(unused_imports)]
pub use digest::sha256_digest;
#[allow(unused_imports)]
pub use image::{
    media_types, BuiltImage, BuiltIndex, Descriptor, ImageBuilder, IndexBuilder, Layer,
    ManifestFormat, Platform,
};
#[allow(unused_imports)]
pub use pager::TagPager;
#[allow(unused_imports)]
pub use process::{Flavor, Registry};
#[allow(unused_imports)]
pub use token::{TokenRequest, TokenServer, TokenServerConfig};
