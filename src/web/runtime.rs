//! The page's loop: messages go through [`crate::app::update`], effects are
//! performed here, and a redraw is scheduled on the next animation frame
//! (many messages — progress of three layers — make one redraw).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;

use crate::app::driver::{run_resolve, run_resolve_archive};
use crate::app::supply::SupplyEffect;
use crate::app::{update, Effect, Focus, LoadId, Msg, Pause, Reveal, State};
use crate::archive::{ArchiveError, ArchiveFormat, TarSource};
use crate::registry::Credentials;

use super::client::{now_ms, page_client, PageClient, PageFetch};
use super::dom;
use super::listen::Listener;
use super::local::{BlobReadAt, FilesSource};
use super::render::Ui;
use super::worker::pool::Pool;
use super::worker::scan::{self as worker_scan, Ran};

/// The running page.
pub struct App {
    state: RefCell<State>,
    queue: RefCell<Vec<Msg>>,
    draining: Cell<bool>,
    ui: RefCell<Option<Ui>>,
    listeners: RefCell<Vec<Listener>>,
    /// The registry client of the current load (it holds its tokens),
    /// shared by its resolve, its scan and the file viewer.
    loads: RefCell<HashMap<LoadId, Rc<PageClient>>>,
    last_yield: Rc<Cell<f64>>,
    /// The layer workers, started with the first load.
    pool: RefCell<Option<Rc<Pool>>>,
    /// Whether the page said it scans on its main thread.
    said_main_thread: Cell<bool>,
    frame: RefCell<Option<Closure<dyn FnMut()>>>,
    frame_pending: Cell<bool>,
    myself: RefCell<Weak<App>>,
    library: super::store::LibraryShell,
    /// Archive files the person opened, by the handle the core knows them
    /// by (kept for the page's life: a platform switch reads the file again).
    files: RefCell<HashMap<u32, Opened>>,
}

/// What the person opened from their machine.
#[derive(Clone)]
enum Opened {
    /// An archive file.
    File(web_sys::File),
    /// The files of an OCI layout folder (folder picker).
    Folder(Vec<web_sys::File>),
}

impl App {
    /// A page with nothing loaded.
    pub fn new() -> Rc<App> {
        let app = Rc::new(App {
            state: RefCell::new(State::default()),
            queue: RefCell::new(Vec::new()),
            draining: Cell::new(false),
            ui: RefCell::new(None),
            listeners: RefCell::new(Vec::new()),
            loads: RefCell::new(HashMap::new()),
            last_yield: Rc::new(Cell::new(0.0)),
            pool: RefCell::new(None),
            said_main_thread: Cell::new(false),
            frame: RefCell::new(None),
            frame_pending: Cell::new(false),
            myself: RefCell::new(Weak::new()),
            library: super::store::LibraryShell::default(),
            files: RefCell::new(HashMap::new()),
        });
        *app.myself.borrow_mut() = Rc::downgrade(&app);
        let weak = Rc::downgrade(&app);
        *app.frame.borrow_mut() = Some(Closure::<dyn FnMut()>::new(move || {
            if let Some(app) = weak.upgrade() {
                app.frame_pending.set(false);
                app.render();
            }
        }));
        app
    }

    /// Opens an archive file the person chose or dropped: kept under a new
    /// handle, and the core told.
    pub fn open_file(&self, file: web_sys::File) {
        let name = file.name();
        self.opened(name, Opened::File(file));
    }

    /// Opens an OCI layout folder the person chose: its files, named
    /// after the folder.
    pub fn open_folder(&self, name: String, files: Vec<web_sys::File>) {
        self.opened(name, Opened::Folder(files));
    }

    fn opened(&self, name: String, what: Opened) {
        let id = {
            let mut files = self.files.borrow_mut();
            let id = files.keys().max().map_or(1, |m| m + 1);
            files.insert(id, what);
            id
        };
        self.dispatch(Msg::FileChosen { id, name });
    }

    /// A weak handle for closures (listeners and futures must not keep the
    /// page alive in a cycle).
    pub fn weak(&self) -> Weak<App> {
        self.myself.borrow().clone()
    }

    /// Builds the page's elements and listeners.
    pub fn mount(self: &Rc<App>) {
        let Some(ui) = Ui::build() else {
            return;
        };
        let listeners = ui.listen(self);
        *self.ui.borrow_mut() = Some(ui);
        *self.listeners.borrow_mut() = listeners;
    }

    /// Handles a message and everything it leads to. Messages sent while
    /// one is being handled (a DOM event fired by a redraw) wait their turn.
    pub fn dispatch(&self, msg: Msg) {
        self.queue.borrow_mut().push(msg);
        if self.draining.replace(true) {
            return;
        }
        loop {
            let next = {
                let mut q = self.queue.borrow_mut();
                if q.is_empty() {
                    break;
                }
                q.remove(0)
            };
            let effects = update(&mut self.state.borrow_mut(), next);
            for e in effects {
                self.perform(e);
            }
        }
        self.draining.set(false);
        self.schedule_render();
    }

    /// Starts the layer workers now (the page calls it once drawn, so
    /// their start costs nothing while an image loads).
    pub fn warm_up(&self) {
        let _ = self.pool();
    }

    /// The layer workers (started at the first use).
    pub(crate) fn pool(&self) -> Rc<Pool> {
        Rc::clone(self.pool.borrow_mut().get_or_insert_with(Pool::start))
    }

    fn perform(&self, effect: Effect) {
        match effect {
            Effect::Resolve(task) if task.file.is_some() => {
                let opened = task
                    .file
                    .and_then(|id| self.files.borrow().get(&id).cloned());
                let weak = self.weak();
                spawn_local(async move {
                    let clock = now_ms as fn() -> u64;
                    let (msg, client) = match opened {
                        Some(Opened::Folder(files)) => {
                            let source = Ok(FilesSource::new(files));
                            run_resolve_archive(source, &task, PageFetch::Folder, clock).await
                        }
                        Some(Opened::File(f)) => {
                            let source = TarSource::open(BlobReadAt::new(f.into())).await;
                            run_resolve_archive(source, &task, PageFetch::Archive, clock).await
                        }
                        None => {
                            let gone = Err::<FilesSource, _>(ArchiveError::Missing(
                                "the file is no longer at hand: open it again".into(),
                            ));
                            run_resolve_archive(gone, &task, PageFetch::Folder, clock).await
                        }
                    };
                    if let Some(app) = weak.upgrade() {
                        let legacy = client.as_ref().is_some_and(|c| {
                            matches!(c.fetcher(), PageFetch::Archive(a)
                                if a.images().format == ArchiveFormat::DockerLegacy)
                        });
                        if let Some(c) = client {
                            app.keep_client(task.load, Rc::new(c));
                        }
                        app.dispatch(msg);
                        if legacy {
                            let note = crate::archive::LEGACY_NOTE;
                            app.dispatch(Msg::Notice(format!("The file is {note}.")));
                        }
                    }
                });
            }
            Effect::Resolve(task) => {
                let client =
                    self.load_client(task.load, &task.proxy_base, task.credentials.clone());
                let weak = self.weak();
                spawn_local(async move {
                    let msg = run_resolve(&client, &task).await;
                    if let Some(app) = weak.upgrade() {
                        app.dispatch(msg);
                    }
                });
            }
            Effect::Scan(task) => {
                let Some(client) = self.loads.borrow().get(&task.load).cloned() else {
                    return;
                };
                let pool = self.pool();
                let weak = self.weak();
                spawn_local(async move {
                    let to_app = weak.clone();
                    let dispatch: Rc<dyn Fn(Msg)> = Rc::new(move |m: Msg| {
                        if let Some(app) = to_app.upgrade() {
                            app.dispatch(m);
                        }
                    });
                    let ran = worker_scan::run_scan(&pool, &client, &task, dispatch).await;
                    worker_scan::mark(ran);
                    if let Some(app) = weak.upgrade() {
                        if ran == Ran::MainThread && !app.said_main_thread.replace(true) {
                            app.dispatch(Msg::Notice(
                                "Web Workers could not start here, so layers are scanned on \
                                 the page's main thread: the page may respond slowly while \
                                 large layers load."
                                    .to_owned(),
                            ));
                        }
                    }
                });
            }
            Effect::Cancel(load) => {
                if let Some(c) = self.loads.borrow_mut().remove(&load) {
                    c.fetcher().abort();
                }
                if let Some(pool) = self.pool.borrow().as_ref() {
                    pool.cancel(load);
                }
            }
            Effect::SetUrl { query, push } => set_url(&query, push),
            Effect::Focus(f) => {
                let id = match f {
                    Focus::Reference => "ref",
                    Focus::Filter => "filter",
                    Focus::Tree => "tree",
                    Focus::Layer => "layer-focus",
                    Focus::Username => "cred-user",
                };
                // The element may appear with the next redraw: focus after it.
                self.after_render_on(id, |e| {
                    if let Ok(e) = e.dyn_into::<web_sys::HtmlElement>() {
                        let _ = e.focus();
                    }
                });
            }
            Effect::Library(e) => self.library.perform(e, self.weak()),
            Effect::SaveVerifyFully(on) => {
                super::prefs::set_flag(super::prefs::VERIFY_FULLY, on);
            }
            Effect::SaveTheme(theme) => {
                let kept = (theme != crate::app::Theme::System).then(|| theme.name());
                super::prefs::set_value(super::prefs::THEME, kept);
            }
            Effect::Copy(text) => {
                if let Some(w) = web_sys::window() {
                    let _ = w.navigator().clipboard().write_text(&text);
                }
            }
            Effect::File(f) => super::file::perform(f, self.weak()),
            Effect::Reveal(what) => {
                let id = match what {
                    Reveal::Layers => "layers",
                    Reveal::Index => "raw-index",
                    Reveal::Manifest => "raw-manifest",
                    Reveal::Config => "raw-config",
                };
                // After the frame: the target may be redrawn by it.
                self.after_render_on(id, |e| {
                    if e.tag_name().eq_ignore_ascii_case("details") {
                        let _ = e.set_attribute("open", "");
                    }
                    e.scroll_into_view();
                });
            }
            Effect::Search(effect) => super::search::perform(self, effect),
            Effect::Supply(SupplyEffect::Discover(task)) => {
                let Some(client) = self.loads.borrow().get(&task.load).cloned() else {
                    return;
                };
                let weak = self.weak();
                spawn_local(async move {
                    let msg = crate::app::driver::run_supply(&client, &task).await;
                    if let Some(app) = weak.upgrade() {
                        app.dispatch(msg);
                    }
                });
            }
            Effect::Supply(SupplyEffect::Save {
                name,
                bytes,
                media_type,
            }) => super::file::save_bytes(&bytes, &name, &media_type),
            // Every keystroke asks for its own pause; the core acts on the
            // latest only.
            Effect::Later { pause, after_ms } => self.later(pause, after_ms),
        }
    }

    /// Sends `Msg::Elapsed(pause)` after `after_ms` milliseconds (at once,
    /// queued, where there is no timer).
    fn later(&self, pause: Pause, after_ms: u32) {
        let weak = self.weak();
        let fire = Closure::once_into_js(move || {
            if let Some(app) = weak.upgrade() {
                app.dispatch(Msg::Elapsed(pause));
            }
        });
        let timer = web_sys::window().and_then(|w| {
            w.set_timeout_with_callback_and_timeout_and_arguments_0(
                fire.unchecked_ref(),
                i32::try_from(after_ms).unwrap_or(i32::MAX),
            )
            .ok()
        });
        if timer.is_none() {
            self.queue.borrow_mut().push(Msg::Elapsed(pause));
        }
    }

    /// The client of `load`, made (through the proxy at `proxy_base`, with
    /// `credentials`) when it is the first use of the load ([`App::keep_client`]).
    pub fn load_client(
        &self,
        load: LoadId,
        proxy_base: &str,
        credentials: Option<Credentials>,
    ) -> Rc<PageClient> {
        if let Some(c) = self.loads.borrow().get(&load) {
            return Rc::clone(c);
        }
        let client = Rc::new(page_client(
            proxy_base.to_owned(),
            Rc::clone(&self.last_yield),
            credentials,
        ));
        self.keep_client(load, Rc::clone(&client));
        client
    }

    /// Keeps `client` as `load`'s. Only the two newest loads keep theirs:
    /// the current image's and the one compared with it.
    fn keep_client(&self, load: LoadId, client: Rc<PageClient>) {
        let mut loads = self.loads.borrow_mut();
        loads.insert(load, client);
        while loads.len() > 2 {
            match loads.keys().min().copied() {
                Some(oldest) => loads.remove(&oldest),
                None => break,
            };
        }
    }

    /// Runs `f` on the element `id` after the next redraw, if it is there then.
    fn after_render_on(&self, id: &'static str, f: impl FnOnce(web_sys::Element) + 'static) {
        self.after_render(move || {
            if let Some(e) = dom::by_id(id) {
                f(e);
            }
        });
    }

    fn after_render(&self, f: impl FnOnce() + 'static) {
        if let Some(ui) = self.ui.borrow_mut().as_mut() {
            ui.after_render.push(Box::new(f));
        }
    }

    fn schedule_render(&self) {
        if self.frame_pending.replace(true) {
            return;
        }
        let frame = self.frame.borrow();
        let Some(cb) = frame.as_ref() else {
            return;
        };
        let requested = web_sys::window()
            .and_then(|w| w.request_animation_frame(cb.as_ref().unchecked_ref()).ok());
        if requested.is_none() {
            self.frame_pending.set(false);
        }
    }

    /// Redraws what changed.
    pub fn render(&self) {
        let follow_up = {
            let state = self.state.borrow();
            let mut ui = self.ui.borrow_mut();
            let Some(ui) = ui.as_mut() else {
                return;
            };
            ui.render(&state)
        };
        let pending: Vec<Box<dyn FnOnce()>> = self
            .ui
            .borrow_mut()
            .as_mut()
            .map(|u| std::mem::take(&mut u.after_render))
            .unwrap_or_default();
        for f in pending {
            f();
        }
        for m in follow_up {
            self.dispatch(m);
        }
    }
}

/// Writes the address bar (without reloading).
fn set_url(query: &str, push: bool) {
    let Some(w) = web_sys::window() else {
        return;
    };
    let loc = w.location();
    if loc.search().unwrap_or_default() == query {
        return;
    }
    let url = if query.is_empty() {
        loc.pathname().unwrap_or_else(|_| "/".into())
    } else {
        query.to_owned()
    };
    if let Ok(h) = w.history() {
        let _ = if push {
            h.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
        } else {
            h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
        };
    }
}
