//! Layer scans off the page's main thread: a small pool of Web Workers
//! running the same wasm module as the page.
//!
//! * [`pool`] — the page side: starts the workers, queues layers to free
//!   ones, cancels a load's jobs, and says when workers cannot start (the
//!   page then scans on its main thread, as before);
//! * [`scan`] — the page side of one image's scan, keeping the app's
//!   contract ([`crate::app::Msg::LayerProgress`], `LayerDone`,
//!   `ScanFinished`);
//! * [`scope`] — the worker side: sends the blob request the page planned
//!   (URL and fresh token) with a plain fetch through the proxy — no
//!   registry client of its own — scans the answer
//!   ([`crate::inspect::scan_request`]), posts
//!   throttled progress and the report as one transferred buffer
//!   ([`crate::inspect::transfer`]);
//! * [`helper`] — one layer over two workers: the layer's worker inflates
//!   and walks, a second one computes the blob digest and the diff_id;
//! * [`extract`] — the file viewer's extractions, off the main thread;
//! * [`job`] — what crosses between the two.
//!
//! Bootstrap: the page makes a module worker from a Blob URL whose few lines
//! import the page's own wasm-bindgen glue (its URL is the glue's
//! `import.meta.url`), wait for the compiled `WebAssembly.Module` the page
//! posts (`wasm_bindgen::module()`: no second download, no second compile
//! of the bytes), instantiate it with its own memory and call
//! [`scope::worker_main`]. The page's `#[wasm_bindgen(start)]` returns at
//! once in a worker ([`in_worker`]).

pub mod extract;
pub mod helper;
pub mod job;
pub mod pool;
pub mod scan;
pub mod scope;

/// Whether this code runs in a worker (no `window`): the page's start
/// function must not build a page there.
pub fn in_worker() -> bool {
    web_sys::window().is_none()
}
