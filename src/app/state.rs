//! Everything the page knows, in one value. The view is a projection of it
//! (`views.rs`), and only `update` changes it.

use std::collections::BTreeMap;
use std::rc::Rc;

use crate::fs::MergedFs;
use crate::inspect::{Image, LayerReport};
use crate::oci::{Platform, Reference, Timestamp};
use crate::registry::Credentials;

use super::errors::UserError;
use super::msg::{Effect, LoadId};
use super::route::{LayerMode, Route};
use super::search::SearchState;
use super::tree::TreeState;

/// Images remembered in "recent" (in memory only).
pub const MAX_RECENT: usize = 10;
/// The longest reference input kept.
pub const MAX_INPUT: usize = 1024;
/// The proxy base used unless the user sets another: this origin's proxy.
pub const DEFAULT_PROXY_BASE: &str = "/proxy/";

/// Where the page is in its life cycle (`document.body.dataset.state`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Nothing asked yet.
    Idle,
    /// Working.
    Loading(Step),
    /// An image is shown (possibly with unverified layers, which the
    /// verification summary reports).
    Ready,
    /// Nothing could be shown; the error says why.
    Error(UserError),
}

impl Phase {
    /// The test hook's value: `idle`, `loading`, `ready` or `error`.
    pub fn hook(&self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::Loading(_) => "loading",
            Phase::Ready => "ready",
            Phase::Error(_) => "error",
        }
    }
}

/// Which step of a load is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Tag, index, manifest and config.
    Resolving,
    /// The layers.
    Layers,
    /// The tree is built; the image's record is being written to the
    /// library. `ready` waits for it (or for the store's failure), so a
    /// page left once it is ready never loses the record (issue 11).
    Recording,
}

/// One layer's download, as its progress bar shows it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LayerProgress {
    /// Compressed bytes read.
    pub done: u64,
    /// Compressed size from the descriptor.
    pub total: u64,
    /// When the first bytes were asked for (ms since the epoch).
    pub started_ms: Option<f64>,
    /// When the last bytes arrived.
    pub last_ms: Option<f64>,
    /// Whether the layer has reported.
    pub finished: bool,
    /// Not fetched: its index was taken from the library, where the layer
    /// was first verified at this time ("Already exists", as `docker pull`
    /// says); verified again against this image's manifest and config.
    pub from_library: Option<Timestamp>,
    /// Its table of contents could not be used: it was streamed and
    /// verified whole instead.
    pub toc_refused: bool,
}

impl LayerProgress {
    /// Nothing read yet of each layer of `image`, sized by its descriptors.
    pub fn for_layers(image: &Image) -> Vec<LayerProgress> {
        image
            .image_manifest()
            .map_or(&[][..], |m| m.layers())
            .iter()
            .map(|d| LayerProgress {
                total: d.size(),
                ..LayerProgress::default()
            })
            .collect()
    }

    /// Megabytes per second so far, once there is something to divide.
    pub fn rate_mb_s(&self) -> Option<f64> {
        let (s, l) = (self.started_ms?, self.last_ms?);
        let secs = (l - s) / 1000.0;
        (secs > 0.0).then(|| self.done as f64 / 1e6 / secs)
    }
}

/// The image being loaded or shown.
#[derive(Debug, Clone)]
pub struct Current {
    /// Its load.
    pub load: LoadId,
    /// The reference, parsed.
    pub reference: Reference,
    /// The reference as written (what the link carries).
    pub input: String,
    /// The resolved image, once resolved.
    pub image: Option<Box<Image>>,
    /// Per-layer progress, in manifest order.
    pub progress: Vec<LayerProgress>,
    /// Reports received, kept in manifest order.
    pub reports: Vec<LayerReport>,
    /// The merged tree of the verified layers, once every layer reported.
    pub fs: Option<Rc<MergedFs>>,
    /// Scans asked for ([`Effect::Scan`]) that have not finished.
    pub scans: u32,
    /// Layers (manifest positions) whose stored indexes are being read
    /// from the library, with when each was first verified there.
    pub reading_library: BTreeMap<usize, Timestamp>,
    /// Resolved while the library's catalogue was still being read: the
    /// layers wait for it (to know which the library already holds).
    pub awaiting_library: bool,
    /// The image's attachments (signatures, SBOMs, provenance).
    pub supply: super::supply::SupplyStatus,
    /// The files of its SBOMs checked against its merged tree, once both
    /// are in (kept: a package search does not check them again).
    pub supply_checks: Option<super::supply::SbomChecks>,
}

impl Current {
    /// A load of `reference` (written as `input`) with nothing known yet.
    pub fn new(load: LoadId, reference: Reference, input: String) -> Current {
        Current {
            load,
            reference,
            input,
            image: None,
            progress: Vec::new(),
            reports: Vec::new(),
            fs: None,
            scans: 0,
            reading_library: BTreeMap::new(),
            awaiting_library: false,
            supply: super::supply::SupplyStatus::NotAsked,
            supply_checks: None,
        }
    }

    /// The report of layer `index`, if it arrived.
    pub fn report(&self, index: usize) -> Option<&LayerReport> {
        self.reports.iter().find(|r| r.index == index)
    }
}

/// A registry's request for credentials, shown as a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    /// The registry host asking.
    pub registry: String,
    /// True when credentials were given and refused.
    pub refused: bool,
}

/// Credentials by registry host, in memory only, and the open prompt.
#[derive(Debug, Clone, Default)]
pub struct Auth {
    /// Given credentials (never written to links or storage).
    pub saved: BTreeMap<String, Credentials>,
    /// The prompt shown, if a registry asked.
    pub prompt: Option<Prompt>,
}

/// The page's state.
#[derive(Debug, Clone)]
pub struct State {
    /// The reference input's text.
    pub input: String,
    /// The page's address without query (for copied links).
    pub page_url: String,
    /// Life cycle.
    pub phase: Phase,
    /// The image loaded or being loaded.
    pub current: Option<Current>,
    /// The tree panel.
    pub tree: TreeState,
    /// The selected layer (`None`: the whole image).
    pub layer: Option<usize>,
    /// The tree mode for the selected layer.
    pub mode: LayerMode,
    /// The platform asked for (a link or a platform button).
    pub platform: Option<Platform>,
    /// A path to reveal once the tree is there (from a link, or kept over a
    /// platform switch).
    pub pending_path: Option<Vec<u8>>,
    /// Credentials.
    pub auth: Auth,
    /// Recently inspected references, newest first.
    pub recent: Vec<String>,
    /// Where the proxy is.
    pub proxy_base: String,
    /// Stream every layer even when a table of contents could list it
    /// (a preference; off: tables of contents are used, and say so).
    pub verify_fully: bool,
    /// The colour theme chosen (a preference).
    pub theme: Theme,
    /// A short message for the user (copied, setting refused…).
    pub notice: Option<String>,
    /// The file viewer.
    pub file: super::file::FileState,
    /// The search and tags pages.
    pub search: SearchState,
    /// The image library (`docker image ls` and reopening from the store).
    pub library: super::library::LibraryState,
    /// The image view's tabs, key help and attribute columns.
    pub workbench: super::workbench::WorkbenchState,
    /// The archive file the current load reads (the shell's id for the
    /// `File` it holds, and the file's name); `None` for a registry image.
    pub archive: Option<(u32, String)>,
    /// The image of that archive chosen (its digest), when it holds several.
    pub archive_image: Option<crate::oci::Digest>,
    /// The images of that archive to choose from, when it holds several and
    /// none is chosen yet (name, digest).
    pub archive_choices: Vec<(String, crate::oci::Digest)>,
    /// The image compared with the current one (`compare=` in the link).
    pub compare: Option<super::compare::CompareState>,
    /// The supply-chain tab's search and raw view.
    pub supply: super::supply::SupplyUi,
    pub(crate) next_load: u64,
    /// The latest address write put off until keys rest
    /// ([`Pause::Url`](super::msg::Pause::Url)).
    pub(crate) url_later: u64,
}

impl Default for State {
    fn default() -> State {
        State {
            input: String::new(),
            page_url: String::new(),
            phase: Phase::Idle,
            current: None,
            tree: TreeState::default(),
            layer: None,
            mode: LayerMode::UpTo,
            platform: None,
            pending_path: None,
            auth: Auth::default(),
            recent: Vec::new(),
            proxy_base: DEFAULT_PROXY_BASE.to_owned(),
            verify_fully: false,
            theme: Theme::System,
            notice: None,
            file: super::file::FileState::default(),
            search: SearchState::default(),
            library: super::library::LibraryState::default(),
            workbench: super::workbench::WorkbenchState::default(),
            archive: None,
            archive_image: None,
            archive_choices: Vec::new(),
            compare: None,
            supply: super::supply::SupplyUi::default(),
            url_later: 0,
            next_load: 1,
        }
    }
}

impl State {
    /// A new load's id.
    pub(crate) fn new_load(&mut self) -> LoadId {
        let load = LoadId(self.next_load);
        self.next_load += 1;
        load
    }

    /// The link for what is shown.
    pub fn route(&self) -> Route {
        if self.search.page.is_some() {
            // A search page's link names only that page.
            return Route {
                search: self.search.route(),
                ..Route::default()
            };
        }
        let image = self
            .current
            .as_ref()
            .map(|c| c.input.clone())
            .or_else(|| (!self.input.trim().is_empty()).then(|| self.input.trim().to_owned()));
        // The platform is in the link when asked for, or when the image is
        // an index (so the link keeps showing the same one).
        let platform = self.platform.clone().or_else(|| {
            let img = self.current.as_ref()?.image.as_ref()?;
            if img.platforms.is_empty() {
                None
            } else {
                img.platform.clone()
            }
        });
        // An image from a file: the link names the file (it cannot carry it).
        let (image, file) = match (&self.archive, &self.current) {
            (Some((_, name)), Some(_)) => (None, Some(name.clone())),
            _ => (image, None),
        };
        // A comparison is of an image a link can name.
        let compare = self.compare.as_ref().filter(|_| image.is_some());
        let route = Route {
            image,
            file,
            platform,
            layer: self.layer,
            path: self
                .tree
                .selected()
                .map(<[u8]>::to_vec)
                .or_else(|| self.pending_path.clone()),
            mode: if self.layer.is_some() {
                self.mode
            } else {
                LayerMode::UpTo
            },
            tab: self.workbench.tab,
            compare: compare.map(|c| c.input.clone()),
            compare_platform: compare.and_then(|c| c.platform.clone()),
            search: Default::default(),
            library: Default::default(),
        };
        super::library::route_for(self, route)
    }

    /// The effect that puts [`State::route`] in the address bar, as a new
    /// history entry (`push`) or replacing the current one.
    pub fn set_url(&self, push: bool) -> Effect {
        Effect::SetUrl {
            query: self.route().to_query(),
            push,
        }
    }

    /// Whether `load` is the current load (a result of any other is stale).
    pub fn is_current(&self, load: LoadId) -> bool {
        self.current.as_ref().is_some_and(|c| c.load == load)
    }
}

/// The page's colour theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    /// Follow the system (`prefers-color-scheme`).
    #[default]
    System,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

impl Theme {
    /// The name kept as the preference and set as `<html data-theme>`
    /// (`system`, `light`, `dark`).
    pub fn name(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    /// The theme of a [`Theme::name`]; anything else follows the system.
    pub fn parse(name: &str) -> Theme {
        match name {
            "light" => Theme::Light,
            "dark" => Theme::Dark,
            _ => Theme::System,
        }
    }
}
