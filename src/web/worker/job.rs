//! What crosses between the page and a layer worker.
//!
//! Page → worker: first the `WebAssembly.Module` (read by the bootstrap
//! script), then one [`Job`] at a time as a JSON string. Worker → page: a
//! JS array whose first element is one of the tags below.

use crate::oci::{Descriptor, Digest, Reference};

/// The worker instantiated the module and takes jobs: `[READY]`.
pub const READY: u32 = 0;
/// A progress event: `[PROGRESS, kind, done]`, `kind` one of
/// [`STARTED`], [`BYTES`], [`FINISHED`]; `done` compressed bytes so far.
pub const PROGRESS: u32 = 1;
/// The layer's report: `[REPORT, Uint8Array]` (the buffer is transferred),
/// bytes from [`crate::inspect::transfer::encode_report`].
pub const REPORT: u32 = 2;
/// The job could not run at all: `[FAILURE, message]`.
pub const FAILURE: u32 = 3;

/// Progress kind: the download started.
pub const STARTED: u32 = 0;
/// Progress kind: more bytes were scanned.
pub const BYTES: u32 = 1;
/// Progress kind: the layer is finished (successfully or not).
pub const FINISHED: u32 = 2;

/// One layer to scan. The request is ready to send (the URL and the
/// `Authorization` a token or credentials give for this one blob): the
/// worker never sees credentials, and nothing here is ever logged.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Job {
    /// The image reference (its repository names the blob's endpoint).
    pub reference: Reference,
    /// The layer's index in the manifest.
    pub index: usize,
    /// The layer's descriptor (digest, size, media type).
    pub descriptor: Descriptor,
    /// The config's diff_id for the layer, if any.
    pub diff_id: Option<Digest>,
    /// Hash every regular file.
    pub hash_contents: bool,
    /// The proxy the page uses.
    pub proxy_base: String,
    /// The blob URL (the registry's; the fetch sends it through the proxy).
    pub url: String,
    /// Headers for that URL (the authorization).
    pub headers: Vec<(String, String)>,
}
