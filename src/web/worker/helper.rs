//! One layer over two workers. A layer scanned alone in one worker makes it
//! do everything: SHA-256 of the blob, inflate, SHA-256 of the tar (the
//! diff_id), the tar walk and each file's SHA-256. When a second worker is
//! free, the page links the two with a `MessageChannel`: the layer's worker
//! inflates, walks and hashes the files ([`TWO_WORKERS`], a
//! [`LayerScanner`] with [`ScanOptions::hash_streams`] off), and hands the
//! blob bytes and the tar pieces to the helper, which computes the blob
//! digest and the diff_id ([`serve`]) — two halves of about the same cost.
//!
//! Pieces cross as transferred buffers (one copy out of the sender's wasm
//! memory, none on the way); the helper acknowledges each, and the scanner
//! stops taking chunks while [`IN_FLIGHT`] are unacknowledged
//! ([`LayerScanner::ready`]), so memory stays bounded whatever the layer's
//! size. At the end ([`LayerScanner::settle`]) the scanner sends `END` and
//! waits for the two digests; the result is the one-worker scanner's,
//! error for error (`tests/support/tar.rs` runs both on the same blobs).
//!
//! Messages, worker → helper: `[BLOB, Uint8Array]`, `[TAR, Uint8Array]`,
//! `[END]`; helper → worker: `[ACK]`, `[DIGESTS, blob digest, diff_id]`.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use futures_util::future::LocalBoxFuture;
use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, MessagePort};

use crate::layer::{
    finish_halves_digested, Entry, LayerScan, LayerScanner, ScanEngine, ScanError, ScanErrorKind,
    ScanFailure, ScanOptions, Scanner, Stream, TarScanner, Unpacker,
};
use crate::oci::{Algorithm, Compression, Digest, Hasher};

/// Pieces sent and not yet acknowledged, at most (each as large as a fetch
/// chunk or a decoder's output: a few MiB in all).
pub const IN_FLIGHT: u32 = 32;

const BLOB: u32 = 0;
const TAR: u32 = 1;
const END: u32 = 2;
const ACK: u32 = 0;
const DIGESTS: u32 = 1;

/// The engine of a layer worker linked to a helper: the link is the one
/// [`install`]ed for the job running now (none: the one-worker scanner).
pub const TWO_WORKERS: ScanEngine = ScanEngine::new("two workers", start);

thread_local! {
    /// The link of the job this worker runs now.
    static CURRENT: RefCell<Option<Rc<Link>>> = const { RefCell::new(None) };
}

/// Makes `port` the link the next scan started by [`TWO_WORKERS`] uses;
/// the link ends (`END` sent, if the scan did not) when the returned guard
/// and the scan are gone.
pub fn install(port: MessagePort) -> LinkGuard {
    let link = Link::new(port);
    CURRENT.with(|c| *c.borrow_mut() = Some(Rc::clone(&link)));
    LinkGuard(link)
}

/// Keeps the worker's link until the job is done.
pub struct LinkGuard(Rc<Link>);

impl Drop for LinkGuard {
    fn drop(&mut self) {
        CURRENT.with(|c| c.borrow_mut().take());
        self.0.end();
    }
}

fn start(compression: Compression, options: ScanOptions) -> Box<dyn LayerScanner> {
    let Some(link) = CURRENT.with(|c| c.borrow().clone()) else {
        return Box::new(Scanner::new(compression, options));
    };
    let shared =
        compression == Compression::None && options.blob_algorithm == options.diff_id_algorithm;
    let options = ScanOptions {
        hash_streams: false,
        ..options
    };
    Box::new(LinkedScanner {
        unpack: Unpacker::new(compression, &options),
        tar: TarScanner::new(compression, &options),
        failed: None,
        shared,
        link,
    })
}

/// The worker's end of the link.
struct Link {
    port: MessagePort,
    state: Rc<LinkState>,
    _on_message: OnMessage,
}

#[derive(Default)]
struct LinkState {
    in_flight: Cell<u32>,
    ended: Cell<bool>,
    digests: RefCell<Option<(Digest, Digest)>>,
    /// The helper answered something unreadable.
    broken: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl LinkState {
    fn wake(&self) {
        if let Some(w) = self.waker.borrow_mut().take() {
            w.wake();
        }
    }
}

impl Link {
    fn new(port: MessagePort) -> Rc<Link> {
        let state = Rc::new(LinkState::default());
        let s = Rc::clone(&state);
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let data = e.data();
            let Some(items) = data.dyn_ref::<Array>() else {
                s.broken.set(true);
                s.wake();
                return;
            };
            match items.get(0).as_f64().map(|t| t as u32) {
                Some(ACK) => s.in_flight.set(s.in_flight.get().saturating_sub(1)),
                Some(DIGESTS) => {
                    let digest = |i| items.get(i).as_string()?.parse::<Digest>().ok();
                    match (digest(1), digest(2)) {
                        (Some(b), Some(d)) => *s.digests.borrow_mut() = Some((b, d)),
                        _ => s.broken.set(true),
                    }
                }
                _ => s.broken.set(true),
            }
            s.wake();
        });
        port.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Rc::new(Link {
            port,
            state,
            _on_message: on_message,
        })
    }

    /// Sends a copy of `bytes` as a transferred buffer.
    fn send(&self, tag: u32, bytes: &[u8]) {
        if self.state.ended.get() {
            return;
        }
        let array = Uint8Array::new_from_slice(bytes);
        let message: Array = [JsValue::from(tag), array.clone().into()].iter().collect();
        let transfer: Array = std::iter::once(JsValue::from(array.buffer())).collect();
        if self
            .port
            .post_message_with_transferable(&message, &transfer)
            .is_ok()
        {
            self.state.in_flight.set(self.state.in_flight.get() + 1);
        } else {
            self.state.broken.set(true);
        }
    }

    /// Tells the helper the streams are complete (once).
    fn end(&self) {
        if !self.state.ended.replace(true) {
            let message: Array = std::iter::once(JsValue::from(END)).collect();
            if self.port.post_message(&message).is_err() {
                self.state.broken.set(true);
            }
        }
    }
}

/// Resolves when `done` says so (checked on every message from the helper).
struct Until {
    state: Rc<LinkState>,
    done: fn(&LinkState) -> bool,
}

impl Future for Until {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if (self.done)(&self.state) || self.state.broken.get() {
            return Poll::Ready(());
        }
        *self.state.waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// A scan whose blob digest and diff_id the helper computes.
struct LinkedScanner {
    unpack: Unpacker,
    tar: TarScanner,
    failed: Option<ScanError>,
    /// An uncompressed blob hashed as its diff_id: one stream to hash.
    shared: bool,
    link: Rc<Link>,
}

impl LinkedScanner {
    /// The helper's digests, once it answered `END`.
    fn digests(&self) -> Option<(Digest, Digest)> {
        self.link.state.digests.borrow().clone()
    }
}

impl LayerScanner for LinkedScanner {
    fn feed(&mut self, chunk: &[u8]) -> Result<(), ScanError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let link = &self.link;
        link.send(BLOB, chunk);
        let (tar, shared) = (&mut self.tar, self.shared);
        let result = self.unpack.feed(chunk, &mut |piece: &[u8]| {
            if !shared {
                link.send(TAR, piece);
            }
            tar.feed(piece)
        });
        if let Err(e) = &result {
            self.failed = Some(e.clone());
        }
        result
    }

    fn hash_only(&mut self, chunk: &[u8]) {
        self.unpack.hash_only(chunk);
        self.link.send(BLOB, chunk);
    }

    fn blob_digest(&self) -> Digest {
        self.digests()
            .map_or_else(|| self.unpack.blob_digest(), |(blob, _)| blob)
    }

    fn entries_so_far(&mut self) -> Vec<Entry> {
        self.tar.entries().to_vec()
    }

    fn finish(self: Box<Self>) -> Result<LayerScan, ScanFailure> {
        let this = *self;
        match this.digests() {
            Some((blob, diff_id)) => {
                let diff_id = if this.shared { blob.clone() } else { diff_id };
                finish_halves_digested(this.unpack, this.tar, this.failed, blob, diff_id).0
            }
            // The helper is gone: no verdict on the digests.
            None => {
                let stopped = ScanError::new(ScanErrorKind::Stopped, Stream::Tar, 0);
                let failed = this.failed.unwrap_or(stopped);
                let placeholder = this.unpack.blob_digest();
                finish_halves_digested(
                    this.unpack,
                    this.tar,
                    Some(failed),
                    placeholder.clone(),
                    placeholder,
                )
                .0
            }
        }
    }

    fn ready(&mut self) -> LocalBoxFuture<'_, ()> {
        Box::pin(Until {
            state: Rc::clone(&self.link.state),
            done: |s| s.in_flight.get() < IN_FLIGHT,
        })
    }

    fn settle(&mut self) -> LocalBoxFuture<'_, ()> {
        self.link.end();
        Box::pin(Until {
            state: Rc::clone(&self.link.state),
            done: |s| s.digests.borrow().is_some(),
        })
    }
}

/// A port's message handler.
type OnMessage = Closure<dyn FnMut(MessageEvent)>;

thread_local! {
    /// The helper's port handler while it serves a link.
    static SERVING: RefCell<Option<OnMessage>> = const { RefCell::new(None) };
}

/// The helper's side: hashes what arrives on `port` (the blob bytes with
/// `blob`, the tar pieces with `diff`), acknowledging each piece; at `END`
/// answers both digests and calls `done`.
pub fn serve(port: MessagePort, blob: Algorithm, diff: Algorithm, done: impl Fn() + 'static) {
    let hashers = RefCell::new((Hasher::new(blob), Hasher::new(diff), Vec::<u8>::new()));
    let reply = port.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let data = e.data();
        let Some(items) = data.dyn_ref::<Array>() else {
            return;
        };
        let tag = items.get(0).as_f64().map(|t| t as u32);
        let mut guard = hashers.borrow_mut();
        let (blob_hash, tar_hash, buffer) = &mut *guard;
        match tag {
            Some(t @ (BLOB | TAR)) => {
                let Some(bytes) = items.get(1).dyn_into::<Uint8Array>().ok() else {
                    return;
                };
                buffer.resize(bytes.length() as usize, 0);
                bytes.copy_to(buffer);
                if t == BLOB {
                    blob_hash.update(buffer);
                } else {
                    tar_hash.update(buffer);
                }
                let ack: Array = std::iter::once(JsValue::from(ACK)).collect();
                let _ = reply.post_message(&ack);
            }
            Some(END) => {
                let b = std::mem::replace(blob_hash, Hasher::new(blob)).finish();
                let d = std::mem::replace(tar_hash, Hasher::new(diff)).finish();
                let answer: Array = [
                    JsValue::from(DIGESTS),
                    JsValue::from_str(&b.to_string()),
                    JsValue::from_str(&d.to_string()),
                ]
                .iter()
                .collect();
                let _ = reply.post_message(&answer);
                reply.set_onmessage(None);
                drop(guard);
                done();
                // Dropping the handler here would free the closure being run.
                let handler = SERVING.with(|s| s.borrow_mut().take());
                wasm_bindgen_futures::spawn_local(async move { drop(handler) });
            }
            _ => {}
        }
    });
    port.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    SERVING.with(|s| *s.borrow_mut() = Some(on_message));
}
