//! The page's sections as plain values computed from the [`State`]: what
//! each section shows, already as text. The shell redraws a section only
//! when its value changed, and the golden tests compare these values, so
//! what a person sees is tested natively.
//!
//! * this module: the status area, the tree panel, the selected entry;
//! * `image`: overview and verification, platforms, config, history;
//! * `layers`: the layers table and wasted space;
//! * `file`: the file viewer (content, links, download);
//! * `raw`: the index, manifest and config pretty-printed, digests linked;
//! * `search`: the search and tags pages;
//! * `library`: the images page and the "from the library" line;
//! * `compare`: the Compare tab.

mod compare;
mod file;
mod image;
mod layers;
mod library;
mod raw;
mod search;
mod supply;

pub use compare::*;
pub use file::*;
pub use image::*;
pub use layers::*;
pub use library::*;
pub use raw::*;
pub use search::*;
pub use supply::*;

use crate::fs::{escape, human_size_binary, mode_string};
use crate::inspect::LayerReport;
use crate::layer::EntryKind;

use super::errors::{layer_error, UserError};
use super::route::LayerMode;
use super::state::{Phase, Prompt, State, Step};
use super::tree::model::Change;
use super::tree::rows::{Row, ShowChanges, SortBy};

/// The status area: the test hook, the steps of a load, errors and the
/// credentials prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusView {
    /// `idle`, `loading`, `ready` or `error`.
    pub hook: &'static str,
    /// What is happening, one line per step.
    pub steps: Vec<String>,
    /// The error that stopped the load.
    pub error: Option<UserError>,
    /// Problems of single layers (the rest of the image is shown).
    pub problems: Vec<UserError>,
    /// The credentials form, when a registry asked.
    pub prompt: Option<Prompt>,
    /// A short notice (copied, a setting refused…).
    pub notice: Option<String>,
    /// The images of an opened archive to choose from (name, digest), when
    /// it holds several.
    pub choices: Vec<(String, String)>,
}

/// The tree panel: the drawn window of rows and the controls' values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreePanel {
    /// Rows in the visible list.
    pub total: usize,
    /// Index of the first drawn row.
    pub start: usize,
    /// The drawn rows.
    pub rows: Vec<Row>,
    /// The first row in the viewport (the scroll position).
    pub scroll_row: usize,
    /// The filter as typed.
    pub filter: String,
    /// The sort order.
    pub sort: SortBy,
    /// The change classes shown.
    pub show: ShowChanges,
    /// What the tree shows, in words.
    pub caption: String,
    /// Whether the tree is a comparison with another image (its rows say
    /// how each path differs: `data-diff`).
    pub comparing: bool,
}

/// The details of the selected entry (the file panel).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileView {
    /// Absolute path, escaped (`data-path`).
    pub path: String,
    /// `file`, `directory`, `symlink`…
    pub kind: String,
    /// Size (directories: total).
    pub size: String,
    /// `-rw-r--r--`.
    pub mode: String,
    /// `uid:gid`.
    pub owner: String,
    /// The layer it came from.
    pub layer: String,
    /// Symlink or hard link target.
    pub link: String,
    /// Relation to the selected layer.
    pub change: Change,
}

pub(super) fn short_instruction(created_by: &str) -> String {
    let s = created_by
        .trim()
        .trim_start_matches("/bin/sh -c #(nop) ")
        .trim_start_matches("/bin/sh -c ")
        .trim();
    let s: String = s.chars().filter(|c| !c.is_control()).take(300).collect();
    s
}

/// The status area.
pub fn status(state: &State) -> StatusView {
    let mut steps = Vec::new();
    let mut problems = Vec::new();
    if let Some(cur) = &state.current {
        steps.push(format!("Resolving {}", cur.reference));
        if let Some(img) = &cur.image {
            if let Some(idx) = &img.index {
                steps.push(format!(
                    "Index {} verified ({} platforms)",
                    idx.verified.digest(),
                    img.platforms.len()
                ));
            }
            steps.push(format!(
                "Manifest {} verified",
                img.manifest.verified.digest()
            ));
            if let Some(c) = img.image_config() {
                steps.push(format!("Config {} verified", c.digest()));
            }
            let done = cur.progress.iter().filter(|p| p.finished).count();
            steps.push(format!("Layers: {done} of {} done", cur.progress.len()));
            if state.phase == Phase::Loading(Step::Recording) {
                steps.push("Keeping it in the library".to_owned());
            }
        }
        problems = cur.reports.iter().filter_map(layer_error).collect();
    }
    if let (Some(bar), Some(first)) = (library_bar(state), steps.first_mut()) {
        *first = bar.text;
    }
    if state.phase == Phase::Loading(Step::Resolving) && steps.is_empty() {
        steps.push("Resolving".to_owned());
    }
    StatusView {
        hook: state.phase.hook(),
        steps,
        error: match &state.phase {
            Phase::Error(e) => Some(e.clone()),
            _ => None,
        },
        problems,
        prompt: state.auth.prompt.clone(),
        notice: state.notice.clone(),
        choices: state
            .archive_choices
            .iter()
            .map(|(n, d)| (n.clone(), d.to_string()))
            .collect(),
    }
}

pub(super) fn tar_size(r: &LayerReport) -> Option<u64> {
    r.layer_index().map(|i| i.tar_size())
}

/// The tree panel's drawn window.
pub fn tree(state: &State) -> TreePanel {
    let t = &state.tree;
    let (start, count) = t.window();
    let compared = state
        .compare
        .as_ref()
        .filter(|c| c.result.is_some() && state.layer.is_none());
    let caption = match (state.layer, state.mode) {
        (None, _) => match compared {
            Some(c) => format!(
                "{} compared with this image (+ added, ~ modified, - removed)",
                c.input
            ),
            None => "The merged image".to_owned(),
        },
        (Some(l), LayerMode::UpTo) => format!("The image up to layer {l}"),
        (Some(l), LayerMode::Changes) => format!("What layer {l} changed"),
    };
    TreePanel {
        total: t.visible().len(),
        start,
        rows: t.rows(start, count),
        scroll_row: t.scroll_row(),
        filter: t.filter_text().to_owned(),
        sort: t.sort(),
        show: t.show(),
        caption,
        comparing: compared.is_some(),
    }
}

/// The selected entry's details.
pub fn file(state: &State) -> Option<FileView> {
    let sel = state.tree.selected()?;
    let m = state.tree.model()?;
    let n = m.lookup(sel)?;
    let info = m.info(n, sel)?;
    let mut abs = b"/".to_vec();
    abs.extend_from_slice(sel);
    let kind = match info.kind {
        EntryKind::File if info.hardlink.is_some() => "hard link",
        EntryKind::File => "file",
        EntryKind::Directory => "directory",
        EntryKind::Symlink => "symbolic link",
        EntryKind::HardLink => "hard link (unresolved)",
        EntryKind::CharDevice => "character device",
        EntryKind::BlockDevice => "block device",
        EntryKind::Fifo => "named pipe",
    };
    Some(FileView {
        path: escape(&abs),
        kind: kind.to_owned(),
        size: format!("{} ({} bytes)", human_size_binary(info.size), info.size),
        mode: mode_string(info.kind, info.mode),
        owner: format!("{}:{}", info.uid, info.gid),
        layer: info.layer.map(|l| l.to_string()).unwrap_or_default(),
        link: match (&info.symlink, &info.hardlink) {
            (Some(t), _) => escape(t),
            (None, Some(h)) => format!("/{}", escape(h)),
            _ => String::new(),
        },
        change: info.change,
    })
}
