//! What happens to the page ([`Msg`]) and what the page asks its shell to do
//! ([`Effect`]). The shell (`web/`) turns DOM events and finished network
//! work into messages and performs effects; [`super::update`] is the only
//! place that decides.

use std::collections::BTreeSet;

use crate::inspect::{Image, InspectError, LayerReport, Progress, ScanSettings};
use crate::oci::{PlatformPolicy, Reference};
use crate::registry::Credentials;

use super::route::LayerMode;
use super::tree::rows::SortBy;

/// Identifies one load (one submit, platform switch or retry): results of a
/// load that is no longer current are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LoadId(pub u64);

/// A key the tree reacts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// Previous row.
    Up,
    /// Next row.
    Down,
    /// Collapse, or go to the parent.
    Left,
    /// Expand, or go to the first child.
    Right,
    /// Toggle a directory.
    Enter,
    /// First row.
    Home,
    /// Last row.
    End,
    /// A viewport up.
    PageUp,
    /// A viewport down.
    PageDown,
    /// Focus the filter.
    Slash,
    /// Clear the filter and return to the tree.
    Escape,
}

/// A change class the tree can hide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeClass {
    /// Added paths.
    Added,
    /// Modified paths.
    Modified,
    /// Removed paths.
    Removed,
    /// Everything else.
    Unmodified,
}

/// What a control on the page can copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyWhat {
    /// `docker pull NAME@sha256:…`.
    PullCommand,
    /// The current link.
    Link,
    /// The link with the tag replaced by the digest.
    PinnedLink,
}

/// Something that happened.
#[derive(Debug)]
pub enum Msg {
    /// The page opened with this query string.
    Started {
        /// `location.search`.
        query: String,
        /// The page's address without its query (`origin + pathname`), for
        /// copied links.
        page_url: String,
    },
    /// The address changed under the page (back/forward).
    RouteChanged {
        /// `location.search`.
        query: String,
    },
    /// The reference input's text changed.
    InputChanged(String),
    /// The reference was submitted (Enter or "Inspect").
    ReferenceSubmitted(String),
    /// A file was chosen ("Open a file…" or dropped on the page): an image
    /// archive the shell keeps under `id`, named `name`.
    FileChosen {
        /// The shell's handle for the file.
        id: u32,
        /// The file's name (shown, and carried by links).
        name: String,
    },
    /// The archive of a load holds several images and none was chosen:
    /// each one's name and digest.
    ArchiveImages {
        /// Which load.
        load: LoadId,
        /// Names and digests.
        images: Vec<(String, crate::oci::Digest)>,
    },
    /// One of the archive's images was chosen (by its digest).
    ArchiveImageChosen(crate::oci::Digest),
    /// "Try the demo image": the image `layerlens serve` builds in, on the
    /// page's own host.
    DemoRequested,
    /// One of the recent images was chosen.
    RecentChosen(usize),
    /// A platform button (`os/arch[/variant]`) was pressed.
    PlatformChosen(String),
    /// A layer row was selected (`None`: the whole image).
    LayerSelected(Option<usize>),
    /// The tree mode for the selected layer.
    LayerModeChosen(LayerMode),
    /// A tree row was clicked (selects it; directories toggle).
    RowClicked(usize),
    /// A directory's twisty was clicked (toggles without selecting).
    RowToggled(usize),
    /// The filter text changed (typed).
    FilterChanged(String),
    /// A pause asked for by [`Effect::Later`] has elapsed.
    Elapsed(Pause),
    /// The sort order changed.
    SortChosen(SortBy),
    /// A change class was shown or hidden.
    ShowToggled(ChangeClass),
    /// A key was pressed in the tree (or `/` anywhere).
    Key(Key),
    /// The tree was scrolled so this row is at the top.
    TreeScrolled(usize),
    /// The tree's viewport holds this many rows.
    ViewportResized(usize),
    /// The resolve of a load finished.
    Resolved {
        /// Which load.
        load: LoadId,
        /// The image, or why not.
        result: Result<Box<Image>, InspectError>,
    },
    /// Bytes of a layer arrived.
    LayerProgress {
        /// Which load.
        load: LoadId,
        /// What happened.
        progress: Progress,
        /// The time it happened, milliseconds since the epoch (for MB/s).
        now_ms: f64,
    },
    /// One layer was scanned (or failed), as soon as it completes.
    LayerDone {
        /// Which load.
        load: LoadId,
        /// Its report.
        report: Box<LayerReport>,
    },
    /// Every layer of a load has reported.
    ScanFinished {
        /// Which load.
        load: LoadId,
    },
    /// The user gave credentials for the registry that asked.
    CredentialsProvided {
        /// User name.
        username: String,
        /// Password or token (kept in memory only).
        password: String,
    },
    /// The user dismissed the credentials prompt.
    CredentialsCancelled,
    /// The proxy base URL setting changed.
    ProxyBaseChanged(String),
    /// The "always verify every layer fully" setting was turned on or off
    /// (the shell also sends it at the start with the stored preference).
    VerifyFullyChosen(bool),
    /// A colour theme was chosen (the shell also sends the stored one at
    /// the start).
    ThemeChosen(super::state::Theme),
    /// "Verify fully" was pressed: stream the layers listed from their
    /// tables of contents and check their blobs and diff_ids.
    VerifyListedLayers,
    /// A copy button was pressed.
    CopyRequested(CopyWhat),
    /// The file viewer (`app::file`).
    File(super::file::FileMsg),
    /// A digest in a raw document was clicked (what it opens is decided
    /// from the current image: a layer, a platform, a document, an object).
    DigestOpened(String),
    /// Something on the search or tags page.
    Search(super::search::SearchMsg),
    /// The image library (see [`super::library`]).
    Library(super::library::LibraryMsg),
    /// The image view's workbench (tabs, key help, attributes, the
    /// layers cursor).
    Workbench(super::workbench::WorkbenchMsg),
    /// The comparison with another image (see [`super::compare`]).
    Compare(super::compare::CompareMsg),
    /// A control of the supply-chain tab.
    Supply(super::supply::SupplyMsg),
    /// The attachments of a load were looked for.
    SupplyFound {
        /// The load.
        load: LoadId,
        /// What was found.
        found: Box<super::supply::SupplyFound>,
    },
    /// The shell has something to say once in the status area (the page
    /// scans on its main thread because Web Workers cannot start).
    Notice(String),
}

/// What [`Effect::Resolve`] asks for.
#[derive(Debug, Clone)]
pub struct ResolveTask {
    /// The load.
    pub load: LoadId,
    /// What to resolve.
    pub reference: Reference,
    /// How to pick from an index.
    pub policy: PlatformPolicy,
    /// Credentials for the registry, when the user gave some.
    pub credentials: Option<Credentials>,
    /// Where the proxy is (`/proxy/` or an absolute URL ending in `/`).
    pub proxy_base: String,
    /// The archive file to read instead of a registry (the shell's handle
    /// from [`Msg::FileChosen`]): nothing goes to the network.
    pub file: Option<u32>,
    /// The image of the archive to open (its digest), when it holds several.
    pub archive_image: Option<crate::oci::Digest>,
}

/// What [`Effect::Scan`] asks for.
#[derive(Debug, Clone)]
pub struct ScanTask {
    /// The load (its resolve's client is reused: tokens stay cached).
    pub load: LoadId,
    /// The resolved image.
    pub image: Box<Image>,
    /// Concurrency and hashing.
    pub settings: ScanSettings,
    /// Layers (manifest positions) not to fetch: their indexes come from
    /// the library.
    pub skip: BTreeSet<usize>,
}

/// Which element gets the keyboard focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// The reference input.
    Reference,
    /// The tree's filter.
    Filter,
    /// The tree.
    Tree,
    /// The selected entry of the layers list (the layer, or "whole image").
    Layer,
    /// The credentials form's user name.
    Username,
}

/// What [`Effect::Reveal`] brings into view (and opens, when folded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reveal {
    /// The layers section.
    Layers,
    /// The raw index document.
    Index,
    /// The raw manifest document.
    Manifest,
    /// The raw config document.
    Config,
}

/// What a child updater (library, search) asks the page's own update to
/// do after its effects: the root owns the load lifecycle and the routing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Nothing more.
    None,
    /// Open this reference as if it had been submitted.
    Open(String),
    /// Apply this link (a query string) as if the address had changed.
    Route(String),
    /// The load's layers are all known: finish it as a scan would.
    ScanFinished(LoadId),
}

impl Next {
    /// Runs a child's handler, which may set its follow-up, and returns
    /// the handler's effects with that follow-up.
    pub(crate) fn collect(handler: impl FnOnce(&mut Next) -> Vec<Effect>) -> (Vec<Effect>, Next) {
        let mut next = Next::None;
        let effects = handler(&mut next);
        (effects, next)
    }
}

/// Something the shell must do.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Resolve a reference to its manifest and config.
    Resolve(Box<ResolveTask>),
    /// Stream and scan every layer of a resolved image.
    Scan(ScanTask),
    /// Stop a load's network work (its results would be ignored anyway).
    Cancel(LoadId),
    /// Write the address: `push` adds a history entry, else it is replaced.
    SetUrl {
        /// The query string, with its `?` (empty for none).
        query: String,
        /// Whether back should return to the previous view.
        push: bool,
    },
    /// Move the keyboard focus.
    Focus(Focus),
    /// Put text on the clipboard.
    Copy(String),
    /// The file viewer's work (`app::file`).
    File(super::file::FileEffect),
    /// Bring a section or a raw document into view and open it.
    Reveal(Reveal),
    /// Work of the search and tags pages.
    Search(super::search::SearchEffect),
    /// The image library's store work.
    Library(super::library::LibraryEffect),
    /// Remember the "always verify fully" preference (`localStorage`).
    SaveVerifyFully(bool),
    /// Remember the colour theme (`localStorage`).
    SaveTheme(super::state::Theme),
    /// Supply-chain work: look for attachments, save a document.
    Supply(super::supply::SupplyEffect),
    /// Send `Msg::Elapsed(pause)` after `after_ms` milliseconds (the core
    /// has no clock; the shell keeps the time).
    Later {
        /// What the pause is for, sent back.
        pause: Pause,
        /// The pause, in milliseconds.
        after_ms: u32,
    },
}

/// What a pause ([`Effect::Later`]) waits for. Each names the generation
/// that asked: every keystroke asks for its own pause, and only the latest
/// one's end does anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pause {
    /// Typing in the filter paused: apply the text typed (a filter typed
    /// on a big tree is applied once, not per keystroke).
    Filter(u64),
    /// Keys moving the selection rested: write the address (a key held
    /// down would otherwise rewrite it thirty times a second, which costs
    /// each key milliseconds and makes Chromium throttle the page's
    /// history writes with a console warning).
    Url(u64),
}
