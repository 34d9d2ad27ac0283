//! The Compare tab: the image to compare with, the summary of what changed
//! (`[data-diff-summary]`), the config side by side and the two layer lists
//! aligned by diff_id.

use crate::fs::diff::Change;
use crate::fs::human_size_binary;
use crate::inspect::compare::Comparison;

use super::super::errors::UserError;
use super::super::state::State;

/// Where the comparison is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompareStatus {
    /// Nothing compared.
    None,
    /// Waiting for the current image, or loading the other one (layers
    /// done of all, once known).
    Loading(usize, usize),
    /// The other image cannot be compared.
    Failed(UserError),
    /// Compared.
    Done,
}

/// The counts of a comparison (`data-*` on the summary element).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffSummary {
    /// Paths added.
    pub added: usize,
    /// Paths removed.
    pub removed: usize,
    /// Paths modified.
    pub modified: usize,
    /// Bytes of files added or grown, in words.
    pub bytes_added: String,
    /// Bytes of files removed or shrunk, in words.
    pub bytes_removed: String,
    /// "shares 3 of 5 layers with A (a common base of 3)".
    pub shared: String,
    /// Config fields that differ.
    pub config_changed: usize,
    /// The whole summary in one line.
    pub line: String,
}

/// A config field on both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigPairRow {
    /// The field's name.
    pub name: &'static str,
    /// This image's values.
    pub a: Vec<String>,
    /// The other's.
    pub b: Vec<String>,
    /// Whether they differ.
    pub differs: bool,
}

/// A row of the aligned layer lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerPairRow {
    /// This image's layer (`L0`), or empty.
    pub a: String,
    /// The other's.
    pub b: String,
    /// The diff_id, shortened.
    pub diff_id: String,
    /// `shared`, `only-a` or `only-b` (a CSS class and test hook).
    pub relation: &'static str,
}

/// The Compare tab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompareView {
    /// The reference in the input (what is compared, or empty).
    pub input: String,
    /// This image's name.
    pub a_name: String,
    /// The other's name (with its platform when chosen).
    pub b_name: String,
    /// Where it is.
    pub status: CompareStatus,
    /// The counts, once compared.
    pub summary: Option<DiffSummary>,
    /// The config fields side by side.
    pub config: Vec<ConfigPairRow>,
    /// The layers aligned.
    pub layers: Vec<LayerPairRow>,
}

fn summary(c: &Comparison, a_name: &str) -> DiffSummary {
    let (added, removed, modified) = (
        c.tree.count(Change::Added),
        c.tree.count(Change::Removed),
        c.tree.count(Change::Modified),
    );
    let (ba, br) = c.tree.bytes();
    let (bytes_added, bytes_removed) = (human_size_binary(ba), human_size_binary(br));
    let shared = format!(
        "shares {} of {} layers with {a_name} (a common base of {})",
        c.layers.shared.len(),
        c.layers.b,
        c.layers.base
    );
    let config_changed = c.config_changes().count();
    let line = format!(
        "{added} added, {removed} removed, {modified} modified; +{bytes_added} −{bytes_removed}; \
         {config_changed} config fields differ; {shared}"
    );
    DiffSummary {
        added,
        removed,
        modified,
        bytes_added,
        bytes_removed,
        shared,
        config_changed,
        line,
    }
}

/// The Compare tab's value.
pub fn compare(state: &State) -> CompareView {
    let a_name = state
        .current
        .as_ref()
        .map(|c| c.input.clone())
        .unwrap_or_default();
    let Some(c) = &state.compare else {
        return CompareView {
            input: String::new(),
            a_name,
            b_name: String::new(),
            status: CompareStatus::None,
            summary: None,
            config: Vec::new(),
            layers: Vec::new(),
        };
    };
    let b_name = match &c.platform {
        Some(p) => format!("{} ({})", c.input, super::super::route::platform_label(p)),
        None => c.input.clone(),
    };
    let status = match (&c.error, &c.result, &c.side) {
        (Some(e), _, _) => CompareStatus::Failed(e.clone()),
        (None, Some(_), _) => CompareStatus::Done,
        (None, None, Some(side)) => CompareStatus::Loading(
            side.progress.iter().filter(|p| p.finished).count(),
            side.progress.len(),
        ),
        (None, None, None) => CompareStatus::Loading(0, 0),
    };
    let result = c.result.as_deref();
    CompareView {
        input: c.input.clone(),
        summary: result.map(|r| summary(r, &a_name)),
        config: result
            .map(|r| {
                r.config
                    .iter()
                    .map(|f| ConfigPairRow {
                        name: f.name,
                        a: f.a.clone(),
                        b: f.b.clone(),
                        differs: f.differs(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        layers: result
            .map(|r| {
                r.layers
                    .pairs
                    .iter()
                    .map(|p| LayerPairRow {
                        a: p.a.map(|i| format!("L{i}")).unwrap_or_default(),
                        b: p.b.map(|i| format!("L{i}")).unwrap_or_default(),
                        diff_id: p
                            .diff_id
                            .as_ref()
                            .map(|d| format!("{}…", d.short()))
                            .unwrap_or_default(),
                        relation: match (p.a, p.b) {
                            (Some(_), Some(_)) => "shared",
                            (Some(_), None) => "only-a",
                            _ => "only-b",
                        },
                    })
                    .collect()
            })
            .unwrap_or_default(),
        a_name,
        b_name,
        status,
    }
}

/// In a comparison, a modified path's two versions in one line: what
/// changed, then the first image's and the compared image's size and
/// content digest (what a binary file's comparison can say).
pub fn versions(state: &State, path: &[u8]) -> Option<String> {
    let c = state.compare.as_ref().filter(|_| state.layer.is_none())?;
    let result = c.result.as_ref()?;
    let mut abs = Vec::with_capacity(path.len() + 1);
    abs.push(b'/');
    abs.extend_from_slice(path);
    let entries = &result.tree.entries;
    let e = &entries[entries.binary_search_by(|e| e.path().cmp(&abs[..])).ok()?];
    if e.change != Change::Modified {
        return None;
    }
    let side = |r: Option<&crate::fs::ListingRow>| {
        let Some(r) = r else {
            return "–".to_owned();
        };
        let size = match r.size {
            Some(n) if n < 1024 => format!("{n} bytes"),
            Some(n) => human_size_binary(n),
            None => "–".to_owned(),
        };
        match r.sha256 {
            Some(h) => {
                let hex: String = h.iter().take(6).map(|b| format!("{b:02x}")).collect();
                format!("{size}, sha256:{hex}…")
            }
            None => size,
        }
    };
    Some(format!(
        "Modified ({}): {}: {}; {}: {}",
        e.changed.join(", "),
        state.current.as_ref().map_or("first", |c| c.input.as_str()),
        side(e.before.as_ref()),
        c.input,
        side(e.after.as_ref())
    ))
}
