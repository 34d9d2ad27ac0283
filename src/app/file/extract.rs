//! The network work behind [`FileEffect::Extract`](super::FileEffect):
//! stream the layer blob again through the load's registry client, feed it
//! to [`Scanner::with_extract`] aimed at one entry's tar offset, and hand
//! the file's bytes to the shell as they pass. Once the file is complete,
//! the rest of the blob is only hashed (not decompressed) so the layer's
//! digest can be checked again; nothing else of the layer is kept.
//!
//! Generic over [`Fetch`] like [`crate::app::driver`]: the page runs it over
//! the browser's fetch, the native tests over an in-memory registry. It
//! reports through [`FileMsg`]s only.

use std::cell::RefCell;

use crate::inspect::{read_listed_file, stream_range as read_range, RangeRead};
use crate::layer::seek::FileRead;
use crate::layer::{ContentSink, Entry, EntryKind, ExtractTarget, ScanOptions, Scanner};
use crate::oci::{Compression, VerifyError};
use crate::registry::resume::{ClientBlob, ResumingBody};
use crate::registry::{BlobBody, BlobError, Body, Client, Fetch};

use super::{ExtractId, ExtractTask, FileMsg};

/// Where the file's bytes go as they stream (the page: browser memory, for
/// the download).
pub trait ContentOut {
    /// The next piece of the file, in order.
    fn data(&mut self, bytes: &[u8]);
    /// The whole file has passed (called before [`FileMsg::Content`] is
    /// dispatched).
    fn end(&mut self);
}

/// A [`ContentOut`] that keeps nothing (when only the head is wanted).
#[derive(Debug, Default)]
pub struct Discard;

impl ContentOut for Discard {
    fn data(&mut self, _: &[u8]) {}
    fn end(&mut self) {}
}

impl ContentOut for Vec<u8> {
    fn data(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
    fn end(&mut self) {}
}

struct Tap<'a> {
    head: Vec<u8>,
    limit: usize,
    size: u64,
    begun: Option<EntryKind>,
    ended: bool,
    out: &'a mut dyn ContentOut,
}

impl<'a> Tap<'a> {
    /// A tap keeping the first `limit` bytes, giving every byte to `out`.
    fn new(limit: usize, out: &'a mut dyn ContentOut) -> RefCell<Tap<'a>> {
        RefCell::new(Tap {
            head: Vec::new(),
            limit,
            size: 0,
            begun: None,
            ended: false,
            out,
        })
    }
}

/// The scanner's sink: a shared cell, so the loop can look at it between
/// chunks while the scanner holds it.
struct Shared<'c, 'a>(&'c RefCell<Tap<'a>>);

impl ContentSink for Shared<'_, '_> {
    fn begin(&mut self, entry: &Entry) {
        let mut t = self.0.borrow_mut();
        t.begun = Some(entry.kind);
        t.size = entry.size;
    }
    fn data(&mut self, bytes: &[u8]) {
        let mut t = self.0.borrow_mut();
        let room = t.limit.saturating_sub(t.head.len());
        let keep = room.min(bytes.len());
        t.head.extend_from_slice(&bytes[..keep]);
        t.out.data(bytes);
    }
    fn end(&mut self, _: &Entry) {
        let mut t = self.0.borrow_mut();
        t.ended = true;
        t.out.end();
    }
}

fn failed(id: ExtractId, error: String) -> FileMsg {
    FileMsg::Failed { id, error }
}

/// Streams the task's layer, extracting its file into `out` and reporting
/// through `dispatch`: [`FileMsg::Progress`] per chunk, [`FileMsg::Content`]
/// as soon as the file is complete, then [`FileMsg::Checked`] when the blob
/// reached its end — or [`FileMsg::Stopped`] right after the file when more
/// than the task's `verify_limit` bytes remain, or [`FileMsg::Failed`]. `cancelled` is asked before
/// every chunk; once it says yes the stream is dropped and nothing more is
/// dispatched.
pub async fn run_extract<F: Fetch, C: Fn() -> u64>(
    client: &Client<F, C>,
    task: &ExtractTask,
    out: &mut dyn ContentOut,
    cancelled: &dyn Fn() -> bool,
    dispatch: &dyn Fn(FileMsg),
) {
    let (id, d) = (task.id, &task.descriptor);
    if compression(task, dispatch).is_none() {
        return;
    }
    let what = format!("layer {} ({})", task.layer, d.digest());
    if let Some(file) = &task.listed {
        // By Range, checked against the table of contents.
        let tap = Tap::new(task.head_limit, out);
        tap.borrow_mut().size = file.entry().size;
        let mut sink = Shared(&tap);
        let read = read_listed_file(client, &task.reference, d.digest(), file, &mut |b| {
            if !cancelled() {
                sink.data(b);
            }
        })
        .await;
        if cancelled() {
            return;
        }
        if read.is_ok() {
            tap.borrow_mut().out.end();
        }
        range_read_done(task, tap.into_inner(), read, dispatch);
        return;
    }
    if let Some((seek, entry)) = &task.seek {
        // From the nearest checkpoint; checkpoints that cannot serve this
        // file (another blob, a range outside it) leave it to the stream.
        if let Ok(read) = seek.open(d.digest(), d.size(), entry) {
            from_checkpoint(client, task, read, out, cancelled, dispatch).await;
            return;
        }
    }
    // A dropped stream resumes once, as a layer scan's does.
    let blob = ClientBlob::new(client, &task.reference, d.digest().clone());
    let mut body = match ResumingBody::open(blob, d.digest(), d.size()).await {
        Ok(b) => b,
        Err(e) => {
            dispatch(failed(id, format!("cannot fetch {what}: {e}")));
            return;
        }
    };
    extract_from(task, &mut body, out, cancelled, dispatch).await;
}

/// The file from a range of its verified layer, read from a seek
/// checkpoint and checked against the entry's content digest (the index
/// holding it was verified when the layer was): [`FileMsg::Content`] and
/// [`FileMsg::Checked`] once it is, [`FileMsg::Failed`] otherwise.
async fn from_checkpoint<F: Fetch, C: Fn() -> u64>(
    client: &Client<F, C>,
    task: &ExtractTask,
    mut read: FileRead,
    out: &mut dyn ContentOut,
    cancelled: &dyn Fn() -> bool,
    dispatch: &dyn Fn(FileMsg),
) {
    let d = &task.descriptor;
    let tap = Tap::new(task.head_limit, out);
    let mut sink = Shared(&tap);
    let span = read.range();
    let mut feed = |bytes: &[u8]| {
        if cancelled() {
            return Ok(false);
        }
        read.feed(bytes, &mut sink)
            .map(|done| !done)
            .map_err(|e| e.to_string())
    };
    let range = read_range(client, &task.reference, d.digest(), span, &mut feed).await;
    if cancelled() {
        return;
    }
    let result = range.and_then(|r| read.finish().map(|()| r).map_err(|e| e.to_string()));
    range_read_done(task, tap.into_inner(), result, dispatch);
}

/// The viewer's messages once a file read by `Range` (its pieces, or from
/// a checkpoint) ended: its content, the bytes it took and a passed check;
/// or why it failed.
fn range_read_done(
    task: &ExtractTask,
    tap: Tap<'_>,
    result: Result<RangeRead, String>,
    dispatch: &dyn Fn(FileMsg),
) {
    let (id, d) = (task.id, &task.descriptor);
    match result {
        Ok(r) => {
            dispatch(FileMsg::Content {
                id,
                head: tap.head,
                size: tap.size,
            });
            dispatch(FileMsg::Progress {
                id,
                done: r.transferred.min(d.size()),
            });
            dispatch(FileMsg::Checked { id, result: Ok(()) });
        }
        Err(e) => dispatch(failed(
            id,
            format!(
                "cannot read it from layer {} ({}): {e}",
                task.layer,
                d.digest()
            ),
        )),
    }
}

/// The layer's compression, or [`FileMsg::Failed`] dispatched for a
/// descriptor that is not a layer.
fn compression(task: &ExtractTask, dispatch: &dyn Fn(FileMsg)) -> Option<Compression> {
    let d = &task.descriptor;
    let compression = d.media_type().layer_compression();
    if compression.is_none() {
        let what = format!("layer {} ({})", task.layer, d.digest());
        dispatch(failed(
            task.id,
            format!("{what} is not a layer ({})", d.media_type()),
        ));
    }
    compression
}

/// [`run_extract`] over a body already open: the layer's bytes from the
/// start, whatever holds them (the registry, or a layer kept in the
/// browser). The same checks apply: the size and digest are verified when
/// the whole blob streams.
pub async fn extract_from<B: Body>(
    task: &ExtractTask,
    body: &mut B,
    out: &mut dyn ContentOut,
    cancelled: &dyn Fn() -> bool,
    dispatch: &dyn Fn(FileMsg),
) {
    let id = task.id;
    let d = &task.descriptor;
    let what = format!("layer {} ({})", task.layer, d.digest());
    let Some(compression) = compression(task, dispatch) else {
        return;
    };
    let tap = Tap::new(task.head_limit, out);
    let options = ScanOptions {
        blob_algorithm: d.digest().algorithm(),
        hash_contents: false,
        ..ScanOptions::default()
    };
    let mut scanner = Scanner::with_extract(
        compression,
        options,
        ExtractTarget::offset(task.offset),
        Shared(&tap),
    );
    let total = d.size();
    let mut body = BlobBody::new(body, d.digest(), d.size());
    let mut file_done = false;
    loop {
        if cancelled() {
            return;
        }
        let chunk = match body.chunk().await {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(e) => {
                // Once the file has passed, a broken download leaves the
                // layer unchecked; a long one is a failed check.
                let (error, unchecked) = match e {
                    BlobError::Interrupted { received, error } => (
                        format!("download of {what} failed after {received} bytes: {error}"),
                        true,
                    ),
                    BlobError::Oversize { size } => (
                        format!(
                            "the registry sent more than the descriptor's {size} bytes of {what}"
                        ),
                        false,
                    ),
                };
                dispatch(if !file_done {
                    failed(id, error)
                } else if unchecked {
                    FileMsg::Checked {
                        id,
                        result: Err(format!("{error}; the layer could not be checked")),
                    }
                } else {
                    FileMsg::Checked {
                        id,
                        result: Err(error),
                    }
                });
                return;
            }
        };
        if cancelled() {
            return;
        }
        let done = body.received();
        if file_done {
            scanner.hash_only(&chunk);
        } else {
            if let Err(e) = scanner.feed(&chunk) {
                dispatch(failed(id, format!("{what} is corrupt: {e}")));
                return;
            }
            if scanner.extracted() > 0 {
                file_done = true;
                let t = tap.borrow();
                if !t.ended || t.begun != Some(EntryKind::File) {
                    drop(t);
                    dispatch(failed(
                        id,
                        format!(
                            "the entry at offset {} of {what} is not a regular file",
                            task.offset
                        ),
                    ));
                    return;
                }
                let msg = FileMsg::Content {
                    id,
                    head: t.head.clone(),
                    size: t.size,
                };
                drop(t);
                dispatch(msg);
                dispatch(FileMsg::Progress { id, done });
                if total - done > task.verify_limit {
                    // Dropping the body stops the download.
                    dispatch(FileMsg::Stopped {
                        id,
                        remaining: total - done,
                    });
                    return;
                }
                continue;
            }
        }
        dispatch(FileMsg::Progress { id, done });
    }
    if !file_done {
        dispatch(failed(
            id,
            format!(
                "{what} ended before the file at offset {} was complete",
                task.offset
            ),
        ));
        return;
    }
    let result = body
        .check(&scanner.blob_digest())
        .map_err(|e| match e {
            VerifyError::Size { expected, actual } => format!(
                "{what} is {actual} bytes, its descriptor says {expected}: these bytes are not verified"
            ),
            VerifyError::Digest { actual, .. } => format!(
                "{what} does not match its digest (got {actual}): these bytes are not verified"
            ),
        });
    dispatch(FileMsg::Checked { id, result });
}
