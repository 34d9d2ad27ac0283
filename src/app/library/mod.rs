//! The image library on the page (issue 6): the browser's `docker image
//! ls`, `tag`, `rm` and `prune`, and reopening an inspected image from the
//! store without the network. Pure like the rest of `app/`: the catalogue
//! ([`crate::library::Library`]) lives in [`LibraryState`], every change
//! returns the [`crate::library::StoreOp`]s the shell applies
//! ([`LibraryEffect::Apply`]), and results come back as [`LibraryMsg`]s.
//!
//! * this module: the state, messages and effects;
//! * [`route`]: the library's link parameters (`?page=images&filter=…`,
//!   `?open=sha256:…`);
//! * `transitions`: the transitions, and the hooks the page's own update calls
//!   (start, a finished load, a link).
//! * `reopen`: recording a finished load, reopening from the store;
//! * `actions`: the reports of `tag`, `rm` and `prune`;
//! * [`keep`]: "keep layers for offline file viewing" (layer blobs in the
//!   browser's Cache API, opt-in).
//!
//! Recording: a load whose manifest, config and every layer verified is
//! recorded once it finishes ([`LibraryEffect::RecordNow`] asks the shell
//! for the time, [`LibraryMsg::Record`] brings it). Until the shell says
//! the record is written ([`LibraryEffect::Record`], answered by
//! [`LibraryMsg::Recorded`]) — or failed, said in words — the page stays
//! in [`crate::app::Step::Recording`] and does not report `ready`: a page
//! left as soon as it is ready keeps the image. Reopening: the shell
//! reads the image back ([`LibraryEffect::Load`]), the documents are
//! re-verified by digest and the layer indexes checked against the
//! manifest, and the tree is built by the same code as after a scan.

mod actions;
pub mod keep;
mod reopen;
pub(crate) use reopen::{file_not_at_hand, reopened_source};
pub mod route;
mod transitions;

use std::collections::BTreeSet;

use crate::library::{Library, StoreOp, StoredImage, StoredLayers};
use crate::oci::{Digest, Timestamp};

use super::msg::LoadId;

pub use keep::{KeepEffect, KeepLayer, KeepOutcome, KeepState, KeepTask};
pub use route::LibraryRoute;
pub use transitions::{apply_route, loaded, route_for, started, update_library};

/// Where the library is kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum StoreStatus {
    /// The store is being opened (the catalogue is not read yet).
    #[default]
    Opening,
    /// In the browser's persistent storage (IndexedDB).
    Persistent,
    /// In this tab's memory only, with why (no IndexedDB, private mode,
    /// blocked, unreadable catalogue): the page works, nothing survives a
    /// reload.
    TabOnly(String),
}

/// An image being reopened, or shown, from the library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reopen {
    /// The load it belongs to.
    pub load: LoadId,
    /// Its manifest digest (the `open=` of its link).
    pub manifest: Digest,
    /// When it was recorded.
    pub recorded: Timestamp,
}

/// What the last library action reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The action, in Docker's words (`docker image rm app:latest`).
    pub title: String,
    /// Docker's lines (`Untagged: …`, `Deleted: …`) and the layer indexes
    /// freed or kept.
    pub lines: Vec<String>,
    /// Why it failed, when it did (nothing changed then).
    pub error: Option<String>,
}

/// The library's part of the page state.
#[derive(Debug, Clone, Default)]
pub struct LibraryState {
    /// Where the library is kept.
    pub store: StoreStatus,
    /// The catalogue.
    pub catalog: Library,
    /// The last time the shell told ("now" for CREATED and `until=`).
    pub now: Option<Timestamp>,
    /// Whether the images page (`?page=images`) is shown.
    pub page: bool,
    /// The filter box, as typed (`dangling=true label=a=b`).
    pub filter: String,
    /// The format box, as typed (empty: Docker's default table).
    pub format: String,
    /// "Show digests" (`--digests`).
    pub digests: bool,
    /// The tag form's source (an image ID or name) and new name.
    pub tag_source: String,
    /// The tag form's new name.
    pub tag_target: String,
    /// The last action's outcome.
    pub report: Option<Report>,
    /// Images shown in this tab (manifest digests): `prune --all` keeps them.
    pub opened: BTreeSet<Digest>,
    /// The image reopened from the library, while it is the current one.
    pub reopen: Option<Reopen>,
    /// A link's `open=` waiting for the catalogue to be read.
    pub pending: Option<super::route::Route>,
    /// The last store failure (the catalogue in memory may be ahead of
    /// the stored one).
    pub store_error: Option<String>,
    /// A load that finished before the catalogue was read: recorded once it
    /// is (recording into the empty catalogue would overwrite the stored one).
    pub deferred: Option<LoadId>,
    /// The stored catalogue could not be read: nothing is written, so what
    /// is stored stays as it is (a newer page may read it).
    pub detached: bool,
    /// What the browser says this site stores and may store, in bytes
    /// (`navigator.storage.estimate()`: usage, quota).
    pub estimate: Option<(u64, u64)>,
    /// "Keep layers for offline file viewing" and the kept blobs.
    pub keep: KeepState,
}

/// Something that happened to the library.
#[derive(Debug)]
pub enum LibraryMsg {
    /// The store was opened and the catalogue read.
    Opened {
        /// The catalogue, or why it could not be read.
        result: Result<Library, String>,
        /// `None` when persistent; else why the library is kept in this tab
        /// only.
        tab_only: Option<String>,
        /// The time.
        now: Timestamp,
    },
    /// The time, as asked by [`LibraryEffect::ReadClock`].
    Clock(Timestamp),
    /// The browser's storage estimate for this site, in bytes.
    Estimated {
        /// Bytes used (all of the site's storage, the library included).
        usage: u64,
        /// Bytes the site may use.
        quota: u64,
    },
    /// The time to record a finished load with.
    Record {
        /// The load.
        load: LoadId,
        /// Now.
        now: Timestamp,
    },
    /// Store writes finished.
    Applied(Result<(), String>),
    /// A load's record (or its "last opened" mark) is written, or why not.
    Recorded {
        /// The load.
        load: LoadId,
        /// Whether the writes are durable, or why not.
        result: Result<(), String>,
    },
    /// Open an image from the library (by manifest digest).
    Open(Digest),
    /// An image was read back from the store.
    Loaded {
        /// The load.
        load: LoadId,
        /// The image, or why not.
        result: Result<Box<StoredImage>, String>,
    },
    /// Stored layer indexes were read back for a load.
    LayersRead {
        /// The load.
        load: LoadId,
        /// Each layer's index (by manifest position) or why it is not
        /// usable; `Err` when the store could not be read at all.
        result: Result<StoredLayers, String>,
    },
    /// Re-resolve a reference over the network (a normal load).
    Refresh(String),
    /// Show the images page.
    ShowPage,
    /// The filter box changed (applied as typed).
    FilterChanged(String),
    /// The format box changed.
    FormatChanged(String),
    /// "Show digests" was switched.
    DigestsToggled(bool),
    /// A row's "tag" was pressed: the tag form's source.
    TagSource(String),
    /// The tag form's new name changed.
    TagTargetChanged(String),
    /// `docker tag SOURCE TARGET`.
    Tag {
        /// The image (ID or name).
        source: String,
        /// The new name.
        target: String,
    },
    /// `docker image rm TARGET`.
    Remove(String),
    /// `docker image prune [--all]`.
    Prune {
        /// `--all`: every image not shown in this tab.
        all: bool,
    },
    /// The keep setting and the kept blobs, as read at start.
    KeepRead {
        /// Whether "keep layers" is on.
        on: bool,
        /// The kept blobs' digests, or why they could not be listed.
        kept: Result<Vec<Digest>, String>,
    },
    /// "Keep layers for offline file viewing" was switched.
    KeepToggled(bool),
    /// Keeping one layer blob ended.
    KeepDone {
        /// The layer.
        digest: Digest,
        /// How.
        outcome: KeepOutcome,
    },
    /// Kept blobs were deleted (or why not).
    Dropped(Result<(), String>),
}

/// What the shell must do for the library.
#[derive(Debug, Clone)]
pub enum LibraryEffect {
    /// Open the store and read the catalogue; answer [`LibraryMsg::Opened`].
    Open,
    /// Answer [`LibraryMsg::Clock`], and [`LibraryMsg::Estimated`] when the
    /// browser can tell (the images page shows both).
    ReadClock,
    /// Answer [`LibraryMsg::Record`] with the time.
    RecordNow(LoadId),
    /// Apply these writes in order, after any earlier ones; answer
    /// [`LibraryMsg::Applied`].
    Apply(Vec<StoreOp>),
    /// Apply a load's record writes (one transaction where the store has
    /// them), after any earlier ones; answer [`LibraryMsg::Recorded`] once
    /// they are durable.
    Record {
        /// The load recorded.
        load: LoadId,
        /// The writes.
        ops: Vec<StoreOp>,
    },
    /// Read an image back; answer [`LibraryMsg::Loaded`].
    Load {
        /// The load.
        load: LoadId,
        /// Its manifest digest.
        manifest: Digest,
        /// The catalogue to read it with.
        catalog: Box<Library>,
    },
    /// Read the stored indexes of these layers of a load (manifest
    /// position, blob digest); answer [`LibraryMsg::LayersRead`].
    ReadLayers {
        /// The load.
        load: LoadId,
        /// The layers.
        layers: Vec<(usize, Digest)>,
    },
    /// Kept layer blobs (the Cache API).
    Keep(KeepEffect),
}
