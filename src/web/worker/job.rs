//! What crosses between the page and a layer worker.
//!
//! Page → worker: first the `WebAssembly.Module` (read by the bootstrap
//! script), then one [`Job`] at a time as a JS array of strings (no JSON
//! serialiser in the page's wasm for it). Worker → page: a JS array whose
//! first element is one of the tags below.

use js_sys::Array;
use wasm_bindgen::{JsCast, JsValue};

use crate::oci::{Descriptor, Digest, MediaType, Reference};

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

/// Page → worker: `[HELPER, diff_id algorithm or ""]` with a `MessagePort`
/// — hash the tar stream and files the layer worker at the port's other end
/// sends ([`super::helper::serve`]; "" when the blob is its own tar), then
/// report `[REPORT, empty Uint8Array]`.
pub const HELPER: u32 = 4;

/// Page → worker: `[EXTRACT, …]`, one file for the viewer
/// ([`super::extract`]).
pub const EXTRACT: u32 = 5;
/// Worker → page: `[CONTENT, head, size]`, the viewer's file is complete
/// ([`super::extract`]).
pub const CONTENT: u32 = 6;

/// Progress events posted at most this often (milliseconds): each one is
/// a redraw on the page's main thread.
pub const PROGRESS_EVERY_MS: f64 = 250.0;

/// Whether a message is `[tag, …]`.
pub fn tagged(data: &JsValue, tag: u32) -> bool {
    data.dyn_ref::<Array>()
        .and_then(|a| a.get(0).as_f64())
        .is_some_and(|t| t as u32 == tag)
}

/// Posts `items` as one array from a worker.
pub fn post(scope: &web_sys::DedicatedWorkerGlobalScope, items: &[JsValue]) {
    let message: Array = items.iter().collect();
    let _ = scope.post_message(&message);
}

/// Appends request headers as `name, value, …` (after their count).
pub fn push_headers<'a>(out: &Array, headers: impl Iterator<Item = (&'a str, &'a str)>) {
    for (n, v) in headers {
        out.push(&JsValue::from_str(n));
        out.push(&JsValue::from_str(v));
    }
}

/// The `count` headers [`push_headers`] wrote from field `at` on (at most 64).
pub fn read_headers(a: &Array, at: u32, count: u32) -> Result<Vec<(String, String)>, String> {
    if count > 64 {
        return Err("wrong number of fields".into());
    }
    let field = |i: u32| a.get(i).as_string().ok_or(format!("field {i} is missing"));
    (0..count)
        .map(|k| Ok((field(at + 2 * k)?, field(at + 2 * k + 1)?)))
        .collect()
}

/// Progress kind: the download started.
pub const STARTED: u32 = 0;
/// Progress kind: more bytes were scanned.
pub const BYTES: u32 = 1;
/// Progress kind: the layer is finished (successfully or not).
pub const FINISHED: u32 = 2;

/// One layer to scan. The request is ready to send (the URL and the
/// `Authorization` a token or credentials give for this one blob): the
/// worker never sees credentials, and nothing here is ever logged.
pub struct Job {
    /// The image reference (its repository names the blob's endpoint).
    pub reference: Reference,
    /// The layer's index in the manifest.
    pub index: usize,
    /// The layer's descriptor (only its media type, digest and size cross).
    pub descriptor: Descriptor,
    /// The config's diff_id for the layer, if any.
    pub diff_id: Option<Digest>,
    /// Hash every regular file.
    pub hash_contents: bool,
    /// Record seek checkpoints (`ScanSettings::seek`).
    pub seek: bool,
    /// The proxy the page uses.
    pub proxy_base: String,
    /// The blob URL (the registry's; the fetch sends it through the proxy).
    pub url: String,
    /// Headers for that URL (the authorization).
    pub headers: Vec<(String, String)>,
    /// A helper worker waits at the message's port to compute the blob
    /// digest and the diff_id ([`super::helper`]).
    pub helper: bool,
    /// The blob itself, as a slice of an archive file the page opened: the
    /// worker reads it instead of fetching `url`.
    pub blob: Option<web_sys::Blob>,
}

/// Fields before the headers in the array form.
const FIXED: u32 = 12;

impl Job {
    /// The array posted to the worker: `[reference, index, media type,
    /// digest, size, diff_id or "", "1"|"0", proxy base, url, helper
    /// "1"|"0", seek "1"|"0", header count, name, value, …, blob?]`.
    pub fn to_js(&self) -> Array {
        let fields = [
            self.reference.to_string(),
            self.index.to_string(),
            self.descriptor.media_type().as_str().to_owned(),
            self.descriptor.digest().to_string(),
            self.descriptor.size().to_string(),
            self.diff_id
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            if self.hash_contents { "1" } else { "0" }.to_owned(),
            self.proxy_base.clone(),
            self.url.clone(),
            if self.helper { "1" } else { "0" }.to_owned(),
            if self.seek { "1" } else { "0" }.to_owned(),
            self.headers.len().to_string(),
        ];
        let out: Array = fields.iter().map(|f| JsValue::from_str(f)).collect();
        push_headers(
            &out,
            self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        );
        if let Some(b) = &self.blob {
            out.push(b);
        }
        out
    }

    /// The job from [`Job::to_js`]'s array; what is wrong with it otherwise.
    pub fn from_js(value: &JsValue) -> Result<Job, String> {
        let a: &Array = value
            .dyn_ref::<Array>()
            .ok_or_else(|| "not an array".to_owned())?;
        let field = |i: u32| -> Result<String, String> {
            a.get(i)
                .as_string()
                .ok_or_else(|| format!("field {i} is missing"))
        };
        let bad = |what: &str, e: &dyn std::fmt::Display| format!("bad {what}: {e}");
        let reference: Reference = field(0)?.parse().map_err(|e| bad("reference", &e))?;
        let index: usize = field(1)?.parse().map_err(|e| bad("index", &e))?;
        let media_type = MediaType::parse(&field(2)?).map_err(|e| bad("media type", &e))?;
        let digest: Digest = field(3)?.parse().map_err(|e| bad("digest", &e))?;
        let size: u64 = field(4)?.parse().map_err(|e| bad("size", &e))?;
        let diff_id = match field(5)? {
            d if d.is_empty() => None,
            d => Some(d.parse::<Digest>().map_err(|e| bad("diff_id", &e))?),
        };
        let count: u32 = field(11)?.parse().map_err(|e| bad("header count", &e))?;
        let fields = FIXED + 2 * count;
        let blob = match a.length() {
            n if n == fields + 1 => Some(
                a.get(fields)
                    .dyn_into::<web_sys::Blob>()
                    .map_err(|_| "the last field is not a blob".to_owned())?,
            ),
            n if n == fields => None,
            _ => return Err("wrong number of fields".into()),
        };
        let headers = read_headers(a, FIXED, count)?;
        Ok(Job {
            reference,
            index,
            descriptor: Descriptor::new(media_type, digest, size),
            diff_id,
            hash_contents: field(6)? == "1",
            proxy_base: field(7)?,
            url: field(8)?,
            helper: field(9)? == "1",
            seek: field(10)? == "1",
            headers,
            blob,
        })
    }
}
