//! The page's state machine, pure: no web-sys, no clock, no I/O. It compiles
//! natively and for wasm, and is tested natively with golden text snapshots.
//!
//! * [`State`] — everything the page knows; [`Msg`] — what happened;
//!   [`Effect`] — what the shell must do; [`update`] — the only transition.
//! * [`route`] — the link (`?image=…&platform=…&layer=…&path=…&view=…`)
//!   parsed and printed.
//! * [`tree`] — the tree: its [`tree::model`] (the merged image or one
//!   layer's changes), the visible [`tree::rows`] of a virtualised view,
//!   keyboard navigation, text and glob [`tree::filter`]s, sorting.
//! * [`views`] — each section of the page as a plain value the shell draws.
//! * [`workbench`] — the image view's tabs, key help and layers cursor.
//! * [`compare`] — the current image compared with another (`compare=`).
//! * [`errors`] — every failure in words a person understands.
//! * [`mod@file`] — the file viewer: extraction, text/hex/image, links.
//! * [`search`] — the search and tags pages (Docker Hub search, a
//!   repository's tags), in their own state, messages and effects.
//! * [`driver`] — the network work behind the effects, generic over
//!   [`crate::registry::Fetch`]; [`proxy`] — registry URLs onto the proxy.

pub mod compare;
pub mod driver;
pub mod errors;
pub mod file;
pub mod library;
mod load;
pub mod msg;
pub mod proxy;
pub mod route;
pub mod search;
pub mod state;
pub mod supply;
mod text;
pub mod tree;
mod update;
pub mod views;
pub mod workbench;

pub use compare::CompareMsg;
pub use errors::{ErrorKind, UserError};
pub use msg::{
    ChangeClass, CopyWhat, Effect, Focus, Key, LoadId, Msg, Next, Pause, ResolveTask, Reveal,
    ScanTask,
};
pub use route::{LayerMode, Route};
pub use state::{Phase, State, Step, Theme};
pub use tree::rows::{Row, ShowChanges, SortBy};
pub use update::{demo_reference, update, URL_PAUSE_MS};
pub use workbench::{LayerStep, Tab, WorkbenchMsg};
