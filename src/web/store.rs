//! The image library's store in the browser: [`crate::library::Store`] over
//! IndexedDB (one database `layerlens`, one object store `library`, keys
//! are the library's key strings, values `Uint8Array`s), and the shell side
//! of [`LibraryEffect`]s.
//!
//! IndexedDB answers through events on request and transaction objects;
//! [`wait`] turns them into a future with owned listeners (dropped with the
//! future, so nothing is leaked and no callback outlives its closure).
//! The writes of one library operation (a recording: its documents, layer
//! indexes and small records) go in one transaction, all or nothing, and
//! are answered once it is `complete` — durable before the page says the
//! image is ready; store work runs one job at a time, in the order the page
//! asked for it (a removal never overtakes the recording before it).
//!
//! When IndexedDB is missing or refuses to open (private windows, storage
//! disabled, another tab blocking an upgrade), the library is kept in the
//! tab's memory ([`crate::library::MemoryStore`]) and the page says so; a
//! full quota is reported in words on the write that hit it.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::spawn_local;
use web_sys::{
    DomException, EventTarget, IdbDatabase, IdbKeyRange, IdbObjectStore, IdbRequest,
    IdbTransaction, IdbTransactionMode,
};

use crate::app::library::{LibraryEffect, LibraryMsg};
use crate::app::Msg;
use crate::library::{
    apply, load_image, load_layers, open, Key, MemoryStore, Store, StoreError, StoreOp,
};
use crate::oci::Timestamp;

use super::listen::Listener;
use super::runtime::App;

/// The database's name.
pub const DB_NAME: &str = "layerlens";
/// The object store's name.
pub const STORE_NAME: &str = "library";
const DB_VERSION: u32 = 1;

/// The time now, as the library wants it.
pub fn now() -> Timestamp {
    let ms = js_sys::Date::now();
    let secs = (ms / 1000.0).floor();
    Timestamp::from_unix(secs as i64, ((ms - secs * 1000.0) * 1e6) as u32)
}

/// A future for the first of `kinds` events fired on `target`.
struct Wait {
    fired: Rc<RefCell<(Option<&'static str>, Option<Waker>)>>,
    _listeners: Vec<Listener>,
}

fn wait(target: &EventTarget, kinds: &[&'static str]) -> Wait {
    let fired = Rc::new(RefCell::new((None, None::<Waker>)));
    let listeners = kinds
        .iter()
        .filter_map(|&kind| {
            let f = Rc::clone(&fired);
            Listener::new(target, kind, move |_| {
                let mut slot = f.borrow_mut();
                if slot.0.is_none() {
                    slot.0 = Some(kind);
                    if let Some(w) = slot.1.take() {
                        w.wake();
                    }
                }
            })
        })
        .collect();
    Wait {
        fired,
        _listeners: listeners,
    }
}

impl Future for Wait {
    type Output = &'static str;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
        let mut slot = self.fired.borrow_mut();
        match slot.0 {
            Some(kind) => Poll::Ready(kind),
            None => {
                slot.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// An IndexedDB failure in words (quota, unavailable, blocked…).
fn dom_error(what: &str, e: Option<DomException>) -> StoreError {
    match e {
        Some(e) if e.name() == "QuotaExceededError" => StoreError::new(format!(
            "{what}: the browser's storage quota for this site is full; remove images or prune to make room"
        )),
        Some(e) => StoreError::new(format!("{what}: {} ({})", e.message(), e.name())),
        None => StoreError::new(format!("{what}: the browser gave no reason")),
    }
}

fn js_error(what: &str, e: JsValue) -> StoreError {
    dom_error(what, e.dyn_into::<DomException>().ok())
}

/// The library's IndexedDB database.
pub struct IdbStore {
    db: IdbDatabase,
    /// Closes the database when a newer page (another tab) upgrades it, so
    /// that tab is not blocked; this one then reports its writes failing.
    _versionchange: Option<Listener>,
}

impl IdbStore {
    /// Opens (creating on first use) the database.
    pub async fn open() -> Result<IdbStore, StoreError> {
        let unavailable =
            |why: &str| StoreError::new(format!("this browser offers no IndexedDB here ({why})"));
        let window = web_sys::window().ok_or_else(|| unavailable("no window"))?;
        let factory = window
            .indexed_db()
            .map_err(|e| js_error("IndexedDB is not allowed (private window?)", e))?
            .ok_or_else(|| unavailable("storage is disabled"))?;
        let req = factory
            .open_with_u32(DB_NAME, DB_VERSION)
            .map_err(|e| js_error("IndexedDB refused to open the library", e))?;
        let upgrade_req = req.clone();
        let _upgrade = Listener::new(&req, "upgradeneeded", move |_| {
            let Some(db) = upgrade_req
                .result()
                .ok()
                .and_then(|r| r.dyn_into::<IdbDatabase>().ok())
            else {
                return;
            };
            if !db.object_store_names().contains(STORE_NAME) {
                let _ = db.create_object_store(STORE_NAME);
            }
        });
        match wait(&req, &["success", "error", "blocked"]).await {
            "success" => {}
            "blocked" => {
                return Err(StoreError::new(
                    "another tab keeps an older version of the library open; close it and reload",
                ))
            }
            _ => {
                return Err(dom_error(
                    "IndexedDB could not open the library",
                    req.error().ok().flatten(),
                ))
            }
        }
        let db = req
            .result()
            .map_err(|e| js_error("IndexedDB could not open the library", e))?
            .dyn_into::<IdbDatabase>()
            .map_err(|_| StoreError::new("IndexedDB returned something else than a database"))?;
        let closing = db.clone();
        let versionchange = Listener::new(&db, "versionchange", move |_| closing.close());
        Ok(IdbStore {
            db,
            _versionchange: versionchange,
        })
    }

    fn store(
        &self,
        mode: IdbTransactionMode,
    ) -> Result<(IdbTransaction, IdbObjectStore), StoreError> {
        let tx = self
            .db
            .transaction_with_str_and_mode(STORE_NAME, mode)
            .map_err(|e| js_error("library transaction", e))?;
        let store = tx
            .object_store(STORE_NAME)
            .map_err(|e| js_error("library object store", e))?;
        Ok((tx, store))
    }

    async fn request(&self, what: &str, req: &IdbRequest) -> Result<JsValue, StoreError> {
        match wait(req, &["success", "error"]).await {
            "success" => req.result().map_err(|e| js_error(what, e)),
            _ => Err(dom_error(what, req.error().ok().flatten())),
        }
    }

    async fn commit(&self, what: &str, tx: &IdbTransaction) -> Result<(), StoreError> {
        match wait(tx, &["complete", "error", "abort"]).await {
            "complete" => Ok(()),
            _ => Err(dom_error(what, tx.error())),
        }
    }
}

/// A stored value's bytes (`None` for no value).
fn bytes_of(name: &str, value: &JsValue) -> Result<Option<Vec<u8>>, StoreError> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    if value.is_instance_of::<js_sys::Uint8Array>() || value.is_instance_of::<js_sys::ArrayBuffer>()
    {
        Ok(Some(js_sys::Uint8Array::new(value).to_vec()))
    } else {
        Err(StoreError::new(format!(
            "{name} holds something else than bytes"
        )))
    }
}

impl Store for IdbStore {
    async fn get(&self, key: &Key) -> Result<Option<Vec<u8>>, StoreError> {
        let name = key.name();
        let (_tx, store) = self.store(IdbTransactionMode::Readonly)?;
        let req = store
            .get(&JsValue::from_str(&name))
            .map_err(|e| js_error(&format!("reading {name}"), e))?;
        let value = self.request(&format!("reading {name}"), &req).await?;
        bytes_of(&name, &value)
    }

    async fn scan(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let what = format!("reading the library's {prefix} records");
        // Every string key starting with `prefix` sorts between it and
        // `prefix` followed by the highest code unit.
        let range = IdbKeyRange::bound(
            &JsValue::from_str(prefix),
            &JsValue::from_str(&format!("{prefix}\u{ffff}")),
        )
        .map_err(|e| js_error(&what, e))?;
        let (_tx, store) = self.store(IdbTransactionMode::Readonly)?;
        // Both requests in one transaction: keys and values of one moment.
        let keys = store
            .get_all_keys_with_key(&range)
            .map_err(|e| js_error(&what, e))?;
        let values = store
            .get_all_with_key(&range)
            .map_err(|e| js_error(&what, e))?;
        let keys = js_sys::Array::from(&self.request(&what, &keys).await?);
        let values = js_sys::Array::from(&self.request(&what, &values).await?);
        let mut out = Vec::with_capacity(keys.length() as usize);
        for (k, v) in keys.iter().zip(values.iter()) {
            let Some(name) = k.as_string() else { continue };
            if let Some(bytes) = bytes_of(&name, &v)? {
                out.push((name, bytes));
            }
        }
        Ok(out)
    }

    async fn apply(&self, ops: &[StoreOp]) -> Result<(), StoreError> {
        if ops.is_empty() {
            return Ok(());
        }
        let size: usize = ops
            .iter()
            .map(|op| match op {
                StoreOp::Put { bytes, .. } => bytes.len(),
                StoreOp::Delete { .. } => 0,
            })
            .sum();
        let what = format!("writing {} library records ({size} bytes)", ops.len());
        let (tx, store) = self.store(IdbTransactionMode::Readwrite)?;
        for op in ops {
            let name = op.key().name();
            let queued = match op {
                StoreOp::Put { bytes, .. } => store.put_with_key(
                    &js_sys::Uint8Array::from(bytes.as_slice()),
                    &JsValue::from_str(&name),
                ),
                StoreOp::Delete { .. } => store.delete(&JsValue::from_str(&name)),
            };
            if let Err(e) = queued {
                let _ = tx.abort();
                return Err(js_error(&what, e));
            }
        }
        // Nothing more is asked: the browser commits once these are done.
        self.commit(&what, &tx).await
    }

    async fn put(&self, key: &Key, bytes: &[u8]) -> Result<(), StoreError> {
        let name = key.name();
        let what = format!("writing {name} ({} bytes)", bytes.len());
        let (tx, store) = self.store(IdbTransactionMode::Readwrite)?;
        let value = js_sys::Uint8Array::from(bytes);
        store
            .put_with_key(&value, &JsValue::from_str(&name))
            .map_err(|e| js_error(&what, e))?;
        self.commit(&what, &tx).await
    }

    async fn delete(&self, key: &Key) -> Result<(), StoreError> {
        let name = key.name();
        let what = format!("deleting {name}");
        let (tx, store) = self.store(IdbTransactionMode::Readwrite)?;
        store
            .delete(&JsValue::from_str(&name))
            .map_err(|e| js_error(&what, e))?;
        self.commit(&what, &tx).await
    }
}

/// Where the library lives: IndexedDB, or this tab's memory.
pub enum Backend {
    /// Persistent.
    Idb(IdbStore),
    /// In memory (no IndexedDB here).
    Memory(MemoryStore),
}

impl Store for Backend {
    async fn get(&self, key: &Key) -> Result<Option<Vec<u8>>, StoreError> {
        match self {
            Backend::Idb(s) => s.get(key).await,
            Backend::Memory(s) => s.get(key).await,
        }
    }

    async fn put(&self, key: &Key, bytes: &[u8]) -> Result<(), StoreError> {
        match self {
            Backend::Idb(s) => s.put(key, bytes).await,
            Backend::Memory(s) => s.put(key, bytes).await,
        }
    }

    async fn delete(&self, key: &Key) -> Result<(), StoreError> {
        match self {
            Backend::Idb(s) => s.delete(key).await,
            Backend::Memory(s) => s.delete(key).await,
        }
    }

    async fn scan(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        match self {
            Backend::Idb(s) => s.scan(prefix).await,
            Backend::Memory(s) => s.scan(prefix).await,
        }
    }

    async fn apply(&self, ops: &[StoreOp]) -> Result<(), StoreError> {
        match self {
            Backend::Idb(s) => s.apply(ops).await,
            Backend::Memory(s) => s.apply(ops).await,
        }
    }
}

/// The shell side of the library: the store and its job queue.
#[derive(Default)]
pub struct LibraryShell {
    backend: Rc<RefCell<Option<Rc<Backend>>>>,
    jobs: Rc<RefCell<VecDeque<LibraryEffect>>>,
    running: Rc<Cell<bool>>,
}

fn send(app: &Weak<App>, msg: LibraryMsg) {
    if let Some(a) = app.upgrade() {
        a.dispatch(Msg::Library(msg));
    }
}

impl LibraryShell {
    /// Performs a library effect: the clock answers at once, store work is
    /// queued and done in order.
    pub fn perform(&self, effect: LibraryEffect, app: Weak<App>) {
        match effect {
            LibraryEffect::ReadClock => {
                send(&app, LibraryMsg::Clock(now()));
                spawn_local(async move {
                    if let Some((usage, quota)) = estimate().await {
                        send(&app, LibraryMsg::Estimated { usage, quota });
                    }
                });
            }
            LibraryEffect::RecordNow(load) => send(&app, LibraryMsg::Record { load, now: now() }),
            LibraryEffect::Keep(k) => super::blobs::perform(k, app),
            job => {
                self.jobs.borrow_mut().push_back(job);
                if self.running.replace(true) {
                    return;
                }
                let (backend, jobs, running) = (
                    Rc::clone(&self.backend),
                    Rc::clone(&self.jobs),
                    Rc::clone(&self.running),
                );
                spawn_local(async move {
                    loop {
                        let next = jobs.borrow_mut().pop_front();
                        let Some(job) = next else { break };
                        run(job, &backend, &app).await;
                    }
                    running.set(false);
                });
            }
        }
    }
}

/// `navigator.storage.estimate()`: the site's usage and quota in bytes,
/// when the browser offers it.
async fn estimate() -> Option<(u64, u64)> {
    let promise = web_sys::window()?.navigator().storage().estimate().ok()?;
    let value = wasm_bindgen_futures::JsFuture::from(promise).await.ok()?;
    let field = |name: &str| {
        js_sys::Reflect::get(&value, &JsValue::from_str(name))
            .ok()?
            .as_f64()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .map(|v| v as u64)
    };
    Some((field("usage")?, field("quota")?))
}

async fn run(job: LibraryEffect, backend: &RefCell<Option<Rc<Backend>>>, app: &Weak<App>) {
    let current = backend.borrow().clone();
    match job {
        LibraryEffect::Open => {
            let (store, tab_only) = match IdbStore::open().await {
                Ok(s) => (Backend::Idb(s), None),
                Err(e) => (Backend::Memory(MemoryStore::new()), Some(e.to_string())),
            };
            let result = open(&store).await.map_err(|e| e.to_string());
            *backend.borrow_mut() = Some(Rc::new(store));
            send(
                app,
                LibraryMsg::Opened {
                    result,
                    tab_only,
                    now: now(),
                },
            );
        }
        LibraryEffect::Apply(ops) => {
            let result = match &current {
                Some(store) => apply(store.as_ref(), &ops).await.map_err(|e| e.to_string()),
                None => Err("the library's store is not open".to_owned()),
            };
            send(app, LibraryMsg::Applied(result));
        }
        LibraryEffect::Record { load, ops } => {
            let result = match &current {
                Some(store) => apply(store.as_ref(), &ops).await.map_err(|e| e.to_string()),
                None => Err("the library's store is not open".to_owned()),
            };
            send(app, LibraryMsg::Recorded { load, result });
        }
        LibraryEffect::Load {
            load,
            manifest,
            catalog,
        } => {
            let result = match &current {
                Some(store) => load_image(store.as_ref(), &catalog, &manifest)
                    .await
                    .map(Box::new)
                    .map_err(|e| e.to_string()),
                None => Err("the library's store is not open".to_owned()),
            };
            send(app, LibraryMsg::Loaded { load, result });
        }
        LibraryEffect::ReadLayers { load, layers } => {
            let result = match &current {
                Some(store) => load_layers(store.as_ref(), &layers)
                    .await
                    .map_err(|e| e.to_string()),
                None => Err("the library's store is not open".to_owned()),
            };
            send(app, LibraryMsg::LayersRead { load, result });
        }
        LibraryEffect::ReadClock | LibraryEffect::RecordNow(_) | LibraryEffect::Keep(_) => {}
    }
}
