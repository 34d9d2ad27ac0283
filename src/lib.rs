//! layerlens: a container image inspector whose core runs natively and in WebAssembly.
//!
//! The core is sans-IO (see `DESIGN.md` in the project's shared notes): bytes and
//! events go in, data comes out, and nothing here reads the clock, the host
//! platform or the network.
//!
//! * [`oci`] — the spec vocabulary: references, digests, media types, documents.
//! * [`registry`] — the distribution protocol without I/O, and the client over one `Fetch` door.
//! * [`layer`] — a push-style scanner that turns layer blob bytes into entry metadata,
//!   the layer index, and `verify`, the only way to a verified layer.
//! * [`fs`] — the union filesystem built from verified layers.
//! * [`inspect`] — the resolve-and-scan flow shared by the page and the CLI.
//! * [`demo`] — the built-in demo image, generated deterministically in memory.
//! * [`app`] — the page's state machine, views and links (pure, tested natively).
//! * [`dockerfmt`] — Docker's CLI formatting: go-units sizes and times, Go templates,
//!   tabwriter, `until` values; shared by [`library`] and [`search`].
//! * [`library`] — the local image library: `docker image ls`, `tag`, `rm`, `prune`.
//! * [`search`] — `docker search`: Docker Hub's search endpoint, filters and output.
//! * [`supply`] — the supply chain: referrers, signatures, SBOMs and provenance, tied to the tree.
//! * `native` (native only) — the outbound HTTP client and the command line's `Fetch`.
//! * `serve` (native only) — `layerlens serve`: the page's server, the CORS proxy, local images.
//! * `web` (wasm32 only) — the browser glue.
//!
//! The project's lints are the `[lints]` table of `Cargo.toml`; the library
//! itself forbids `unsafe` outright.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod app;
pub mod archive;
pub mod demo;
pub mod dockerfmt;
pub mod fs;
pub mod inspect;
pub mod layer;
pub mod library;
#[cfg(not(target_arch = "wasm32"))]
pub mod native;
pub mod oci;
pub mod registry;
pub mod search;
mod sort;
pub mod supply;
#[cfg(test)]
mod test_rng;

#[cfg(not(target_arch = "wasm32"))]
pub mod serve;

#[cfg(target_arch = "wasm32")]
pub mod web;
