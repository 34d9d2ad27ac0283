//! The page without a browser: `update()` and a runtime that performs the
//! effects synchronously against a [`MemRegistry`], as `web/` does.

use std::cell::RefCell;

use std::collections::BTreeMap;

use layerlens::app::driver::{run_resolve, run_resolve_archive, run_scan, run_supply};
use layerlens::app::file::extract::run_extract;
use layerlens::app::file::{ExtractId, FileEffect};
use layerlens::app::library::{LibraryEffect, LibraryMsg, StoreStatus};
use layerlens::app::supply::SupplyEffect;
use layerlens::app::{update, Effect, Focus, Msg, Reveal, State};
use layerlens::archive::{ArchiveFetch, TarSource};
use layerlens::library::{apply, load_image, load_layers, open, MemoryStore};
use layerlens::oci::Timestamp;
use layerlens::registry::Client;

use super::{block_on, MemRegistry};

/// The page without a browser: `update()` plus a runtime that performs
/// effects synchronously against a [`MemRegistry`].
pub struct Page {
    pub state: State,
    pub registry: MemRegistry,
    /// Every address written, with whether it pushed a history entry.
    pub urls: Vec<(String, bool)>,
    pub focus: Vec<Focus>,
    pub copied: Vec<String>,
    /// The "always verify fully" preference as saved, in order.
    pub verify_fully_saved: Vec<bool>,
    /// Every effect seen, for tests that look at them.
    pub effects: Vec<Effect>,
    /// Loads cancelled.
    pub cancelled: Vec<u64>,
    /// Elements brought into view.
    pub revealed: Vec<Reveal>,
    /// When false, Resolve/Scan effects are recorded but not performed.
    pub perform: bool,
    /// When true, the supply chain is looked for after each resolve (off
    /// by default, so other tests' request logs hold only their own work;
    /// the discovery is tested in tests/app/supply.rs).
    pub supply: bool,
    /// Whole files extracted by the viewer, by extraction (what the page
    /// keeps in a Blob); removed when the app forgets them.
    pub files: BTreeMap<ExtractId, Vec<u8>>,
    /// Downloads asked for: (file name, bytes).
    pub downloads: Vec<(String, Vec<u8>)>,
    /// The image library's store (the browser's IndexedDB, in memory).
    pub store: MemoryStore,
    /// The clock library effects read.
    pub now: Timestamp,
    /// When true, record writes are kept in [`Page::held`] instead of
    /// being applied (a store still writing).
    pub hold_records: bool,
    /// Record writes held back, in order.
    pub held: RefCell<Vec<(layerlens::app::LoadId, Vec<layerlens::library::StoreOp>)>>,
    /// When true, opening the store is answered only by
    /// [`Page::finish_opening`] (a browser whose IndexedDB answers after
    /// the registry does).
    pub slow_open: bool,
    opening: std::cell::Cell<bool>,
    /// Archives "on disk", by the handle a [`Msg::FileChosen`] names.
    pub archives: BTreeMap<u32, Vec<u8>>,
    /// The client of each load that reads an archive (the shell keeps it
    /// for the load's layers and files, as the page does).
    archive_clients: BTreeMap<u64, ArchiveClient>,
}

/// A client reading an archive in memory.
type ArchiveClient = Client<ArchiveFetch<TarSource<Vec<u8>>>, fn() -> u64>;

fn clock() -> u64 {
    1_700_000_000_000
}

impl Page {
    /// A page whose (empty) library store is open, as a page's is by the
    /// time a load finishes; a test of the store still opening sets
    /// `state.library.store` back to `StoreStatus::Opening`.
    pub fn new(registry: MemRegistry) -> Page {
        let mut state = State::default();
        state.library.store = StoreStatus::Persistent;
        Page {
            state,
            registry,
            urls: Vec::new(),
            focus: Vec::new(),
            copied: Vec::new(),
            verify_fully_saved: Vec::new(),
            effects: Vec::new(),
            cancelled: Vec::new(),
            revealed: Vec::new(),
            perform: true,
            supply: false,
            files: BTreeMap::new(),
            downloads: Vec::new(),
            store: MemoryStore::new(),
            now: Timestamp::from_unix(1_700_000_000, 0),
            hold_records: false,
            slow_open: false,
            opening: std::cell::Cell::new(false),
            held: RefCell::new(Vec::new()),
            archives: BTreeMap::new(),
            archive_clients: BTreeMap::new(),
        }
    }

    /// Opens `bytes` as if chosen with "Open a file…" under `name`.
    pub fn open_file(&mut self, name: &str, bytes: Vec<u8>) {
        let id = self.archives.len() as u32 + 1;
        self.archives.insert(id, bytes);
        self.send(Msg::FileChosen {
            id,
            name: name.to_owned(),
        });
    }

    /// Performs a library effect as `web/store.rs` does, against
    /// [`Page::store`]; the message it answers with. Kept layer blobs
    /// (the Cache API) are left to the tests (tests/app/keep.rs): their
    /// effects are only recorded.
    fn library(&self, e: LibraryEffect) -> Option<Msg> {
        let now = self.now;
        Some(Msg::Library(match e {
            LibraryEffect::Open if self.slow_open => {
                self.opening.set(true);
                return None;
            }
            LibraryEffect::Open => return Some(self.opened()),
            LibraryEffect::ReadClock => LibraryMsg::Clock(now),
            LibraryEffect::RecordNow(load) => LibraryMsg::Record { load, now },
            LibraryEffect::Apply(ops) => {
                LibraryMsg::Applied(block_on(apply(&self.store, &ops)).map_err(|e| e.to_string()))
            }
            LibraryEffect::Record { load, ops } if self.hold_records => {
                self.held.borrow_mut().push((load, ops));
                return None;
            }
            LibraryEffect::Record { load, ops } => LibraryMsg::Recorded {
                load,
                result: block_on(apply(&self.store, &ops)).map_err(|e| e.to_string()),
            },
            LibraryEffect::Load {
                load,
                manifest,
                catalog,
            } => LibraryMsg::Loaded {
                load,
                result: block_on(load_image(&self.store, &catalog, &manifest))
                    .map(Box::new)
                    .map_err(|e| e.to_string()),
            },
            LibraryEffect::ReadLayers { load, layers } => LibraryMsg::LayersRead {
                load,
                result: block_on(load_layers(&self.store, &layers)).map_err(|e| e.to_string()),
            },
            LibraryEffect::Keep(_) => return None,
        }))
    }

    /// Sends a message and everything it leads to.
    pub fn send(&mut self, msg: Msg) {
        if matches!(msg, Msg::Started { .. }) {
            // A page that starts has its store to open, as in the browser.
            self.state.library.store = StoreStatus::Opening;
        }
        let mut queue = vec![msg];
        while !queue.is_empty() {
            let msg = queue.remove(0);
            for e in update(&mut self.state, msg) {
                self.effects.push(e.clone());
                match e {
                    Effect::Resolve(task) if self.perform && task.file.is_some() => {
                        let bytes = task
                            .file
                            .and_then(|id| self.archives.get(&id).cloned())
                            .unwrap_or_default();
                        let source = block_on(TarSource::open(bytes));
                        let (msg, client) = block_on(run_resolve_archive(
                            source,
                            &task,
                            |f| f,
                            clock as fn() -> u64,
                        ));
                        if let Some(c) = client {
                            self.archive_clients.insert(task.load.0, c);
                        }
                        queue.push(msg);
                    }
                    Effect::Scan(task)
                        if self.perform && self.archive_clients.contains_key(&task.load.0) =>
                    {
                        let client = &self.archive_clients[&task.load.0];
                        let out: RefCell<Vec<Msg>> = RefCell::new(Vec::new());
                        block_on(run_scan(client, &task, &|| 0.0, &|m| {
                            out.borrow_mut().push(m)
                        }));
                        queue.extend(out.into_inner());
                    }
                    Effect::Resolve(task) if self.perform => {
                        let client = Client::new(self.registry.clone(), || 1_700_000_000_000);
                        queue.push(block_on(run_resolve(&client, &task)));
                    }
                    Effect::Scan(task) if self.perform => {
                        let client = Client::new(self.registry.clone(), || 1_700_000_000_000);
                        let out: RefCell<Vec<Msg>> = RefCell::new(Vec::new());
                        let clock = RefCell::new(0.0f64);
                        let now = || {
                            *clock.borrow_mut() += 10.0;
                            *clock.borrow()
                        };
                        block_on(run_scan(&client, &task, &now, &|m| {
                            out.borrow_mut().push(m)
                        }));
                        queue.extend(out.into_inner());
                    }
                    Effect::Resolve(_) | Effect::Scan(_) => {}
                    Effect::Supply(SupplyEffect::Discover(task)) if self.perform && self.supply => {
                        let msg = match self.archive_clients.get(&task.load.0) {
                            Some(c) => block_on(run_supply(c, &task)),
                            None => {
                                let client =
                                    Client::new(self.registry.clone(), || 1_700_000_000_000);
                                block_on(run_supply(&client, &task))
                            }
                        };
                        queue.push(msg);
                    }
                    Effect::Supply(SupplyEffect::Discover(_)) => {}
                    Effect::Supply(SupplyEffect::Save { name, bytes, .. }) => {
                        self.downloads.push((name, bytes));
                    }
                    Effect::Cancel(l) => self.cancelled.push(l.0),
                    Effect::SetUrl { query, push } => self.urls.push((query, push)),
                    Effect::Focus(f) => self.focus.push(f),
                    Effect::Copy(t) => self.copied.push(t),
                    Effect::File(FileEffect::Extract(task)) if self.perform => {
                        let client = Client::new(self.registry.clone(), || 1_700_000_000_000);
                        let out: RefCell<Vec<Msg>> = RefCell::new(Vec::new());
                        let mut bytes = Vec::new();
                        block_on(run_extract(&client, &task, &mut bytes, &|| false, &|m| {
                            out.borrow_mut().push(Msg::File(m))
                        }));
                        self.files.insert(task.id, bytes);
                        queue.extend(out.into_inner());
                    }
                    Effect::File(FileEffect::Extract(_)) => {}
                    Effect::File(FileEffect::Forget(id)) => {
                        self.files.remove(&id);
                    }
                    Effect::File(FileEffect::Download { id, name }) => {
                        let bytes = self.files.get(&id).cloned().unwrap_or_default();
                        self.downloads.push((name, bytes));
                    }
                    Effect::Reveal(id) => self.revealed.push(id),
                    // The search pages are tested in tests/app/search.rs.
                    Effect::Search(_) => {}
                    Effect::Library(e) => queue.extend(self.library(e)),
                    Effect::SaveVerifyFully(on) => self.verify_fully_saved.push(on),
                    // The theme is the shell's to apply (tests/e2e/theme.test.mjs).
                    Effect::SaveTheme(_) => {}
                    // A pause elapses at once here (the filter's generations
                    // are tested in src/app/tree/tests.rs, the address's in
                    // tests/app/rows.rs).
                    Effect::Later { pause, .. } => queue.push(Msg::Elapsed(pause)),
                }
            }
        }
    }

    /// Answers the store's opening held back by [`Page::slow_open`].
    pub fn finish_opening(&mut self) {
        assert!(self.opening.replace(false), "no opening was held back");
        let msg = self.opened();
        self.send(msg);
    }

    /// The store opened, as `web/store.rs` answers: the catalogue read.
    fn opened(&self) -> Msg {
        Msg::Library(LibraryMsg::Opened {
            result: block_on(open(&self.store)).map_err(|e| e.to_string()),
            tab_only: None,
            now: self.now,
        })
    }

    /// Each layer's status in the layers table.
    pub fn layer_statuses(&self) -> Vec<layerlens::app::views::LayerStatus> {
        layerlens::app::views::layers(&self.state)
            .lines
            .into_iter()
            .map(|l| l.status)
            .collect()
    }

    /// The blob digests requested since the registry's requests were last
    /// cleared.
    pub fn blobs_fetched(&self) -> Vec<String> {
        self.registry
            .requests
            .borrow()
            .iter()
            .filter_map(|u| u.split_once("/blobs/").map(|(_, d)| d.to_owned()))
            .collect()
    }

    /// Submits a reference (as typed).
    pub fn submit(&mut self, reference: &str) {
        self.send(Msg::ReferenceSubmitted(reference.to_owned()));
    }

    /// The address last written.
    pub fn url(&self) -> &str {
        self.urls.last().map_or("", |(q, _)| q.as_str())
    }

    /// The tree's visible rows as text, one line each.
    pub fn rows(&self) -> String {
        let total = self.state.tree.visible().len();
        self.state
            .tree
            .rows(0, total)
            .iter()
            .map(|r| r.line())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Only the names column (indent + twisty + name), for compact goldens.
    pub fn names(&self) -> String {
        let total = self.state.tree.visible().len();
        self.state
            .tree
            .rows(0, total)
            .iter()
            .map(|r| {
                let twisty = match r.expanded {
                    Some(true) => "v ",
                    Some(false) => "> ",
                    None => "  ",
                };
                format!(
                    "{}{}{:indent$}{twisty}{}",
                    r.change.marker(),
                    if r.selected { '*' } else { ' ' },
                    "",
                    r.name,
                    indent = r.depth * 2
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}
