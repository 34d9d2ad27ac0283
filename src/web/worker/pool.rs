//! The page side of the workers: at most `min(hardwareConcurrency, 3)` of
//! them, each running one layer at a time. A job waits for a free worker; a
//! worker that dies (crash, cancel) is replaced; when no worker ever starts
//! (no `Worker`, a policy forbidding them) the pool is [`Pool::broken`] and
//! the page scans on its main thread.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::rc::{Rc, Weak};

use js_sys::{Array, Function, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{ErrorEvent, MessageEvent, Worker, WorkerOptions, WorkerType};

use super::job;
use crate::app::LoadId;

/// Most workers, whatever the machine (each holds its own wasm memory).
const MAX_WORKERS: usize = 3;
/// A worker that has not said it is ready after this long is given up.
const START_TIMEOUT_MS: i32 = 15_000;

#[wasm_bindgen]
extern "C" {
    /// The URL of the wasm-bindgen glue this module was loaded by.
    #[wasm_bindgen(thread_local_v2, js_namespace = ["import", "meta"], js_name = url)]
    static GLUE_URL: String;
}

/// The worker's bootstrap: import the page's glue, instantiate the module
/// the page posts, start taking jobs.
fn bootstrap(glue: &str) -> String {
    // A JS string literal: no quote or backslash in the URL can break out.
    let glue: String = std::iter::once('"')
        .chain(glue.chars().flat_map(|c| match c {
            '"' | '\\' | '\n' | '\r' | '\u{2028}' | '\u{2029}' => {
                format!("\\u{{{:x}}}", c as u32).chars().collect::<Vec<_>>()
            }
            c => vec![c],
        }))
        .chain(std::iter::once('"'))
        .collect();
    format!(
        "import init, {{ layerlensWorker }} from {glue};\n\
         self.onmessage = async (e) => {{ self.onmessage = null; \
         await init({{ module_or_path: e.data }}); layerlensWorker(); }};\n"
    )
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum SlotState {
    Starting,
    Ready,
    Busy,
    Dead,
}

/// What a worker's `[CONTENT, …]` message is given to.
pub type OnContent = Rc<dyn Fn(&Array)>;

/// Where a running job's events go.
struct Sink {
    progress: Rc<dyn Fn(u32, f64)>,
    content: Option<OnContent>,
    resolve: Function,
    reject: Function,
}

type Handlers = (
    Closure<dyn FnMut(MessageEvent)>,
    Closure<dyn FnMut(ErrorEvent)>,
);

struct Slot {
    worker: RefCell<Option<Worker>>,
    /// Counts the workers this slot has had (a start timeout is for one).
    generation: Cell<u32>,
    state: Cell<SlotState>,
    load: Cell<Option<LoadId>>,
    sink: RefCell<Option<Sink>>,
    handlers: RefCell<Option<Handlers>>,
}

/// A worker taken for one job: post it, then await its report.
pub struct Lease {
    pool: Rc<Pool>,
    slot: usize,
    /// The slot's worker this lease is for (a cancel may replace it).
    generation: u32,
    /// Set once the job was handed over: the worker frees itself then.
    ran: bool,
}

impl Lease {
    /// Whether the leased worker is still there and still this lease's.
    fn holds(&self) -> bool {
        self.pool.slots.get(self.slot).is_some_and(|s| {
            s.generation.get() == self.generation && s.state.get() == SlotState::Busy
        })
    }
}

/// The page's layer workers.
pub struct Pool {
    url: Option<String>,
    slots: Vec<Slot>,
    ever_ready: Cell<bool>,
    broken: Cell<bool>,
    waiters: RefCell<Vec<Function>>,
    cancelled: RefCell<HashSet<LoadId>>,
    myself: RefCell<Weak<Pool>>,
}

/// How many workers: `min(navigator.hardwareConcurrency, 3)`, at least one.
fn worker_count() -> usize {
    let cores = web_sys::window()
        .map(|w| w.navigator().hardware_concurrency())
        .unwrap_or(1.0);
    (cores as usize).clamp(1, MAX_WORKERS)
}

fn glue_url() -> Option<String> {
    Some(GLUE_URL.with(Clone::clone)).filter(|u| !u.is_empty())
}

fn blob_url(script: &str) -> Option<String> {
    let parts: Array = std::iter::once(JsValue::from_str(script)).collect();
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/javascript");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
    web_sys::Url::create_object_url_with_blob(&blob).ok()
}

impl Pool {
    /// Starts the workers. A pool whose workers cannot be created is
    /// returned [`broken`](Pool::broken) at once.
    pub fn start() -> Rc<Pool> {
        let url = glue_url().map(|g| bootstrap(&g)).and_then(|s| blob_url(&s));
        let pool = Rc::new(Pool {
            url,
            slots: (0..worker_count())
                .map(|_| Slot {
                    worker: RefCell::new(None),
                    generation: Cell::new(0),
                    state: Cell::new(SlotState::Dead),
                    load: Cell::new(None),
                    sink: RefCell::new(None),
                    handlers: RefCell::new(None),
                })
                .collect(),
            ever_ready: Cell::new(false),
            broken: Cell::new(false),
            waiters: RefCell::new(Vec::new()),
            cancelled: RefCell::new(HashSet::new()),
            myself: RefCell::new(Weak::new()),
        });
        *pool.myself.borrow_mut() = Rc::downgrade(&pool);
        for i in 0..pool.slots.len() {
            pool.spawn(i);
        }
        pool
    }

    /// How many workers the pool has.
    pub fn size(&self) -> usize {
        self.slots.len()
    }

    /// No worker could be started: scan on the main thread.
    pub fn broken(&self) -> bool {
        self.broken.get()
    }

    fn spawn(&self, i: usize) {
        let Some(slot) = self.slots.get(i) else {
            return;
        };
        let worker = self.url.as_deref().and_then(|url| {
            let options = WorkerOptions::new();
            options.set_type(WorkerType::Module);
            options.set_name("layerlens layer scanner");
            Worker::new_with_options(url, &options).ok()
        });
        let Some(worker) = worker else {
            self.died(i, None);
            return;
        };
        let weak = self.myself.borrow().clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            if let Some(pool) = weak.upgrade() {
                pool.message(i, e.data());
            }
        });
        let weak = self.myself.borrow().clone();
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |e: ErrorEvent| {
            e.prevent_default();
            if let Some(pool) = weak.upgrade() {
                let what = e.message();
                let what = if what.is_empty() {
                    "the layer worker stopped".to_owned()
                } else {
                    format!("the layer worker stopped: {what}")
                };
                pool.died(i, Some(what));
            }
        });
        let generation = slot.generation.get().wrapping_add(1);
        slot.generation.set(generation);
        let weak = self.myself.borrow().clone();
        // Frees itself when called: nothing to keep or drop.
        let on_timeout = Closure::once_into_js(move || {
            let Some(pool) = weak.upgrade() else {
                return;
            };
            let Some(s) = pool.slots.get(i) else {
                return;
            };
            if s.generation.get() == generation && s.state.get() == SlotState::Starting {
                pool.died(i, Some("the layer worker did not start".into()));
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(
                on_timeout.unchecked_ref(),
                START_TIMEOUT_MS,
            );
        }
        if worker.post_message(&wasm_bindgen::module()).is_err() {
            worker.terminate();
            self.died(i, None);
            return;
        }
        slot.state.set(SlotState::Starting);
        *slot.worker.borrow_mut() = Some(worker);
        *slot.handlers.borrow_mut() = Some((on_message, on_error));
    }

    fn message(&self, i: usize, data: JsValue) {
        let Some(slot) = self.slots.get(i) else {
            return;
        };
        let Some(items) = data.dyn_ref::<Array>() else {
            return;
        };
        let tag = items.get(0).as_f64().unwrap_or(-1.0) as i64;
        match tag {
            t if t == i64::from(job::READY) => {
                slot.state.set(SlotState::Ready);
                self.ever_ready.set(true);
                self.wake();
            }
            t if t == i64::from(job::PROGRESS) => {
                let kind = items.get(1).as_f64().unwrap_or(0.0) as u32;
                let done = items.get(2).as_f64().unwrap_or(0.0);
                // Called with no borrow held: it dispatches to the page.
                let progress = slot.sink.borrow().as_ref().map(|s| Rc::clone(&s.progress));
                if let Some(p) = progress {
                    p(kind, done);
                }
            }
            t if t == i64::from(job::CONTENT) => {
                let content = slot.sink.borrow().as_ref().and_then(|s| s.content.clone());
                if let Some(c) = content {
                    c(items);
                }
            }
            t if t == i64::from(job::REPORT) || t == i64::from(job::FAILURE) => {
                let sink = slot.sink.borrow_mut().take();
                slot.state.set(SlotState::Ready);
                slot.load.set(None);
                if let Some(s) = sink {
                    let f = if t == i64::from(job::REPORT) {
                        &s.resolve
                    } else {
                        &s.reject
                    };
                    let _ = f.call1(&JsValue::NULL, &items.get(1));
                }
                self.wake();
            }
            _ => {}
        }
    }

    /// A worker is gone (crashed, could not start, terminated): its job
    /// fails with `why`, and it is replaced unless none ever started.
    fn died(&self, i: usize, why: Option<String>) {
        let Some(slot) = self.slots.get(i) else {
            return;
        };
        if let Some(w) = slot.worker.borrow_mut().take() {
            w.set_onmessage(None);
            w.set_onerror(None);
            w.terminate();
        }
        slot.state.set(SlotState::Dead);
        slot.load.set(None);
        if let Some(s) = slot.sink.borrow_mut().take() {
            let why = why.unwrap_or_else(|| "the layer worker stopped".into());
            let _ = s.reject.call1(&JsValue::NULL, &JsValue::from_str(&why));
        }
        // Dropping the handlers here would free the closure being run.
        let handlers = slot.handlers.borrow_mut().take();
        wasm_bindgen_futures::spawn_local(async move { drop(handlers) });
        if !self.ever_ready.get() && self.slots.iter().all(|s| s.state.get() == SlotState::Dead) {
            self.broken.set(true);
        }
        self.wake();
    }

    fn wake(&self) {
        let waiters = std::mem::take(&mut *self.waiters.borrow_mut());
        for w in waiters {
            let _ = w.call0(&JsValue::NULL);
        }
    }

    async fn changed(&self) {
        let promise = Promise::new(&mut |resolve, _| self.waiters.borrow_mut().push(resolve));
        let _ = JsFuture::from(promise).await;
    }

    /// Whether `load` was cancelled (its jobs stop quietly).
    pub fn is_cancelled(&self, load: LoadId) -> bool {
        self.cancelled.borrow().contains(&load)
    }

    /// A free worker for `load` now, if there is one (and the load is not
    /// cancelled).
    pub fn try_acquire(self: &Rc<Pool>, load: LoadId) -> Option<Lease> {
        if self.is_cancelled(load) || self.broken.get() {
            return None;
        }
        let i = self
            .slots
            .iter()
            .position(|s| s.state.get() == SlotState::Ready)?;
        let slot = self.slots.get(i)?;
        slot.state.set(SlotState::Busy);
        slot.load.set(Some(load));
        Some(Lease {
            pool: Rc::clone(self),
            slot: i,
            generation: slot.generation.get(),
            ran: false,
        })
    }

    /// Waits for a free worker for `load`. `None` when the pool is broken
    /// (scan on the main thread) or the load was cancelled.
    pub async fn acquire(self: &Rc<Pool>, load: LoadId) -> Option<Lease> {
        loop {
            if self.is_cancelled(load) || self.broken.get() {
                return None;
            }
            if let Some(lease) = self.try_acquire(load) {
                return Some(lease);
            }
            if self.ever_ready.get() {
                for i in 0..self.slots.len() {
                    if self.slots.get(i).map(|s| s.state.get()) == Some(SlotState::Dead) {
                        self.spawn(i);
                    }
                }
            }
            self.changed().await;
        }
    }

    /// Stops the job of the leased worker `id` (a [`Lease::id`]) with `why`:
    /// the worker is terminated and replaced. Nothing happens when that
    /// worker has finished its job or is gone.
    pub fn kill(&self, id: (usize, u32), why: &str) {
        let (i, generation) = id;
        let busy = self
            .slots
            .get(i)
            .is_some_and(|s| s.generation.get() == generation && s.state.get() == SlotState::Busy);
        if busy {
            self.died(i, Some(why.to_owned()));
            if self.ever_ready.get() {
                self.spawn(i);
            }
        }
    }

    /// Stops `load`'s jobs: their workers are terminated (and replaced),
    /// its queued jobs never start.
    pub fn cancel(&self, load: LoadId) {
        self.cancelled.borrow_mut().insert(load);
        for i in 0..self.slots.len() {
            if self.slots.get(i).and_then(|s| s.load.get()) == Some(load) {
                self.died(i, Some("cancelled".into()));
                if self.ever_ready.get() {
                    self.spawn(i);
                }
            }
        }
        self.wake();
    }
}

impl Lease {
    /// The leased worker, for [`Pool::kill`].
    pub fn id(&self) -> (usize, u32) {
        (self.slot, self.generation)
    }

    /// Runs `job` on the leased worker: `progress(kind, done)` for its
    /// progress events; the report's bytes, or why there are none.
    pub async fn run(
        self,
        job: &job::Job,
        progress: Rc<dyn Fn(u32, f64)>,
    ) -> Result<Vec<u8>, String> {
        self.run_message(job.to_js().into(), None, progress).await
    }

    /// [`Lease::run`] for any message, with `port` transferred along.
    pub async fn run_message(
        self,
        message: JsValue,
        port: Option<web_sys::MessagePort>,
        progress: Rc<dyn Fn(u32, f64)>,
    ) -> Result<Vec<u8>, String> {
        let report = self.post(message, port, progress, None).await?;
        Ok(report
            .dyn_ref::<Uint8Array>()
            .map(Uint8Array::to_vec)
            .unwrap_or_default())
    }

    /// Runs any message; the report as the worker sent it, `content` given
    /// the worker's `[CONTENT, …]` messages.
    pub async fn run_raw(
        self,
        message: JsValue,
        progress: Rc<dyn Fn(u32, f64)>,
        content: Option<OnContent>,
    ) -> Result<JsValue, String> {
        self.post(message, None, progress, content).await
    }

    async fn post(
        mut self,
        message: JsValue,
        port: Option<web_sys::MessagePort>,
        progress: Rc<dyn Fn(u32, f64)>,
        content: Option<OnContent>,
    ) -> Result<JsValue, String> {
        self.ran = true;
        if !self.holds() {
            return Err("cancelled".into());
        }
        let Some(slot) = self.pool.slots.get(self.slot) else {
            return Err("the layer worker is gone".into());
        };
        let mut sink = None;
        let promise = Promise::new(&mut |resolve, reject| {
            sink = Some(Sink {
                progress: Rc::new(|_, _| {}),
                content: None,
                resolve,
                reject,
            });
        });
        if let Some(mut s) = sink {
            s.progress = progress;
            s.content = content;
            *slot.sink.borrow_mut() = Some(s);
        }
        let posted = slot.worker.borrow().as_ref().map(|w| match &port {
            Some(p) => {
                let transfer: Array = std::iter::once(JsValue::from(p.clone())).collect();
                w.post_message_with_transfer(&message, &transfer).is_ok()
            }
            None => w.post_message(&message).is_ok(),
        });
        drop(message);
        if posted != Some(true) {
            self.pool
                .died(self.slot, Some("the layer worker took no job".into()));
        }
        match JsFuture::from(promise).await {
            Ok(v) => Ok(v),
            Err(e) => Err(e
                .as_string()
                .unwrap_or_else(|| "the layer worker stopped".into())),
        }
    }
}

impl Drop for Lease {
    /// A lease never run (the job failed before it was posted) frees its worker.
    fn drop(&mut self) {
        if let Some(slot) = self.pool.slots.get(self.slot) {
            if !self.ran && self.holds() {
                slot.state.set(SlotState::Ready);
                slot.load.set(None);
                self.pool.wake();
            }
        }
    }
}
