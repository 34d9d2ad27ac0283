//! One layer over two workers. A layer scanned alone in one worker makes it
//! do everything: SHA-256 of the blob, inflate, SHA-256 of the tar (the
//! diff_id), the tar walk and each file's SHA-256. When a second worker is
//! free, the page links the two with a `MessageChannel` and splits the work
//! as the command line splits it over two threads: the layer's worker
//! fetches, hashes the blob, inflates and walks the tar ([`TWO_WORKERS`], a
//! [`LayerScanner`] with [`ScanOptions::tar_hashes_elsewhere`]); the helper
//! hashes the tar stream and each file's content ([`serve`], with
//! [`TarHashes`]), told where each file lies by the walker's content
//! ranges — two halves of about the same cost. Where the helper still
//! falls behind (its queue nearly full), the files whose headers come next
//! are hashed by the layer's worker itself ([`TarScanner::set_contents_elsewhere`]):
//! the result is the same either way.
//!
//! Tar pieces cross as transferred buffers (one copy out of the sender's
//! wasm memory, none on the way); the helper acknowledges each, and the
//! scanner stops taking chunks while [`IN_FLIGHT`] are unacknowledged
//! ([`LayerScanner::ready`]), so memory stays bounded whatever the layer's
//! size. At the end ([`LayerScanner::settle`]) the scanner sends `END` and
//! waits for the digests; the result is the one-worker scanner's, error for
//! error (`tests/support/tar.rs` runs both on every test blob).
//!
//! Messages, worker → helper: `[RANGES, Uint8Array]` (20 bytes a range:
//! ordinal u32, start u64, length u64, little-endian; sent before the piece
//! they start in), `[TAR, Uint8Array]`, `[END]`; helper → worker: `[ACK]`,
//! `[DIGESTS, diff_id or "", Uint8Array]` (36 bytes a file: ordinal u32,
//! SHA-256).

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
    finish_halves_hashed, ContentRange, Entry, LayerScan, LayerScanner, ScanEngine, ScanError,
    ScanErrorKind, ScanFailure, ScanOptions, Scanner, Stream, TarHashes, TarScanner, Unpacker,
};
use crate::oci::{Algorithm, Compression, Digest};

/// Pieces sent and not yet acknowledged, at most (each as large as a fetch
/// chunk or a decoder's output: a few MiB in all).
pub const IN_FLIGHT: u32 = 32;

const RANGES: u32 = 0;
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
    let shared = options.tar_is_blob(compression);
    let options = ScanOptions {
        tar_hashes_elsewhere: true,
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

/// What the helper answered: the diff_id (none for a blob that is its own
/// tar) and the file digests by ordinal.
type Answer = (Option<Digest>, Vec<(u32, [u8; 32])>);

#[derive(Default)]
struct LinkState {
    in_flight: Cell<u32>,
    ended: Cell<bool>,
    answer: RefCell<Option<Answer>>,
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
                Some(DIGESTS) => match read_answer(items) {
                    Some(answer) => *s.answer.borrow_mut() = Some(answer),
                    None => s.broken.set(true),
                },
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

    /// Sends content ranges (see the module documentation).
    fn send_ranges(&self, ranges: &[ContentRange]) {
        let mut bytes = Vec::with_capacity(ranges.len() * 20);
        for r in ranges {
            bytes.extend_from_slice(&r.ordinal.to_le_bytes());
            bytes.extend_from_slice(&r.start.to_le_bytes());
            bytes.extend_from_slice(&r.len.to_le_bytes());
        }
        self.send(RANGES, &bytes);
    }

    /// Sends a copy of `bytes` as a transferred buffer; a tar piece counts
    /// as in flight until acknowledged.
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
            if tag == TAR {
                self.state.in_flight.set(self.state.in_flight.get() + 1);
            }
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

impl Drop for Link {
    /// The handler is about to be freed: the port stops delivering to it
    /// (a helper answering a scan that ended early finds it closed).
    fn drop(&mut self) {
        self.port.set_onmessage(None);
        self.port.close();
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

/// `[DIGESTS, diff_id or "", Uint8Array]` read back.
fn read_answer(items: &Array) -> Option<Answer> {
    let diff = items.get(1).as_string()?;
    let diff = if diff.is_empty() {
        None
    } else {
        Some(diff.parse::<Digest>().ok()?)
    };
    let bytes = items.get(2).dyn_into::<Uint8Array>().ok()?.to_vec();
    if bytes.len() % 36 != 0 {
        return None;
    }
    let files = bytes
        .chunks_exact(36)
        .map(|c| {
            let mut ordinal = [0u8; 4];
            let mut digest = [0u8; 32];
            ordinal.copy_from_slice(&c[..4]);
            digest.copy_from_slice(&c[4..]);
            (u32::from_le_bytes(ordinal), digest)
        })
        .collect();
    Some((diff, files))
}

/// A scan whose tar hashes (the diff_id, each file's content) the helper
/// computes.
struct LinkedScanner {
    unpack: Unpacker,
    tar: TarScanner,
    failed: Option<ScanError>,
    /// An uncompressed blob hashed as its diff_id: the helper hashes only
    /// the files.
    shared: bool,
    link: Rc<Link>,
}

impl LinkedScanner {
    /// Gives the files their digests once the helper answered; the
    /// diff_id, if it did.
    fn answered(&mut self) -> Option<Digest> {
        let answer = self.link.state.answer.borrow_mut().take()?;
        self.tar.fill_contents(&answer.1);
        let diff = if self.shared {
            self.unpack.blob_digest()
        } else {
            answer.0?
        };
        Some(diff)
    }
}

impl LayerScanner for LinkedScanner {
    fn feed(&mut self, chunk: &[u8]) -> Result<(), ScanError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let link = &self.link;
        let tar = &mut self.tar;
        let result = self.unpack.feed(chunk, &mut |piece: &[u8]| {
            // A helper falling behind: the files that start now are hashed
            // here (the tar stream's hash stays the helper's).
            tar.set_contents_elsewhere(link.state.in_flight.get() < IN_FLIGHT - 4);
            let walked = tar.feed(piece);
            let ranges = tar.take_content_ranges();
            if !ranges.is_empty() {
                link.send_ranges(&ranges);
            }
            link.send(TAR, piece);
            walked
        });
        if let Err(e) = &result {
            self.failed = Some(e.clone());
        }
        result
    }

    fn hash_only(&mut self, chunk: &[u8]) {
        self.unpack.hash_only(chunk);
    }

    fn blob_digest(&self) -> Digest {
        self.unpack.blob_digest()
    }

    fn entries_so_far(&mut self) -> Vec<Entry> {
        self.answered();
        self.tar.entries().to_vec()
    }

    fn finish(mut self: Box<Self>) -> Result<LayerScan, ScanFailure> {
        let diff_id = self.answered();
        let this = *self;
        match diff_id {
            Some(diff_id) => finish_halves_hashed(this.unpack, this.tar, this.failed, diff_id).0,
            // The helper is gone: no verdict on the tar's digests.
            None => {
                let stopped = ScanError::new(ScanErrorKind::Stopped, Stream::Tar, 0);
                let failed = this.failed.unwrap_or(stopped);
                let placeholder = this.unpack.blob_digest();
                finish_halves_hashed(this.unpack, this.tar, Some(failed), placeholder).0
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
            done: |s| s.answer.borrow().is_some(),
        })
    }
}

/// A port's message handler.
type OnMessage = Closure<dyn FnMut(MessageEvent)>;

thread_local! {
    /// The helper's port handler while it serves a link.
    static SERVING: RefCell<Option<OnMessage>> = const { RefCell::new(None) };
}

/// The helper's side: hashes the tar stream arriving on `port` (its
/// diff_id with `diff`; none when the blob is its own tar) and the files in
/// it by the ranges sent, acknowledging each piece; at `END` answers the
/// digests and calls `done`.
pub fn serve(port: MessagePort, diff: Option<Algorithm>, done: impl Fn() + 'static) {
    let state = RefCell::new((Some(TarHashes::new(diff)), Vec::<u8>::new()));
    let reply = port.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let data = e.data();
        let Some(items) = data.dyn_ref::<Array>() else {
            return;
        };
        let tag = items.get(0).as_f64().map(|t| t as u32);
        let mut guard = state.borrow_mut();
        let (hashes, buffer) = &mut *guard;
        let Some(h) = hashes.as_mut() else {
            return;
        };
        match tag {
            Some(t @ (RANGES | TAR)) => {
                let Some(bytes) = items.get(1).dyn_into::<Uint8Array>().ok() else {
                    return;
                };
                buffer.resize(bytes.length() as usize, 0);
                bytes.copy_to(buffer);
                if t == TAR {
                    h.update(buffer);
                    let ack: Array = std::iter::once(JsValue::from(ACK)).collect();
                    let _ = reply.post_message(&ack);
                } else {
                    let ranges: Vec<ContentRange> = buffer
                        .chunks_exact(20)
                        .map(|c| {
                            let mut o = [0u8; 4];
                            let mut s = [0u8; 8];
                            let mut l = [0u8; 8];
                            o.copy_from_slice(&c[..4]);
                            s.copy_from_slice(&c[4..12]);
                            l.copy_from_slice(&c[12..]);
                            ContentRange {
                                ordinal: u32::from_le_bytes(o),
                                start: u64::from_le_bytes(s),
                                len: u64::from_le_bytes(l),
                            }
                        })
                        .collect();
                    h.ranges(&ranges);
                }
            }
            Some(END) => {
                let Some(finished) = hashes.take() else {
                    return;
                };
                let (diff_id, files) = finished.finish();
                let mut bytes = Vec::with_capacity(files.len() * 36);
                for (ordinal, digest) in &files {
                    bytes.extend_from_slice(&ordinal.to_le_bytes());
                    bytes.extend_from_slice(digest);
                }
                let files = Uint8Array::new_from_slice(&bytes);
                let answer: Array = [
                    JsValue::from(DIGESTS),
                    JsValue::from_str(&diff_id.map(|d| d.to_string()).unwrap_or_default()),
                    files.clone().into(),
                ]
                .iter()
                .collect();
                let transfer: Array = std::iter::once(JsValue::from(files.buffer())).collect();
                let _ = reply.post_message_with_transferable(&answer, &transfer);
                reply.set_onmessage(None);
                reply.close();
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
