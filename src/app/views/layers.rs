//! The layers table (progress, verification, changes) and wasted space.

use crate::fs::{escape, human_size_binary};

use super::super::route::LayerMode;
use super::super::state::State;
use super::{short_instruction, tar_size};

/// A layer's state in the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerStatus {
    /// Not started.
    Waiting,
    /// Downloading: bytes done, total, and the rate once known.
    Loading {
        /// Compressed bytes read.
        done: u64,
        /// Compressed size.
        total: u64,
        /// `12.3 MB/s`.
        rate: String,
    },
    /// Scanned and verified.
    Verified,
    /// Not fetched: the library's index of this blob, verified against
    /// this image; the layer was first verified in this browser on `since`
    /// (`YYYY-MM-DD`).
    AlreadyVerified {
        /// The day.
        since: String,
    },
    /// Listed from its table of contents, its blob not checked; what was
    /// and was not proved.
    Listed(String),
    /// Failed or unverified; the reason.
    Problem(String),
}

/// One row of the layers table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerLine {
    /// Manifest position.
    pub index: usize,
    /// The history instruction that made it.
    pub instruction: String,
    /// Compressed size.
    pub compressed: String,
    /// Uncompressed (tar) size, once scanned.
    pub uncompressed: String,
    /// `+added ~modified -removed`, once merged.
    pub changes: String,
    /// The blob digest.
    pub digest: String,
    /// Progress or result.
    pub status: LayerStatus,
    /// Whether it is the selected layer.
    pub selected: bool,
}

/// The layers table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LayersView {
    /// One line per layer.
    pub lines: Vec<LayerLine>,
    /// The selected layer.
    pub selected: Option<usize>,
    /// The mode for it.
    pub mode: LayerMode,
}

/// One wasted-space offender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffenderLine {
    /// Absolute path, escaped.
    pub path: String,
    /// Wasted bytes.
    pub size: String,
    /// Wasted copies.
    pub copies: u64,
    /// The layers that wrote them (`1, 3`).
    pub layers: String,
}

/// Wasted space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WasteView {
    /// `97.5 %`.
    pub efficiency: String,
    /// Wasted bytes.
    pub wasted: String,
    /// Largest offenders (at most 10).
    pub offenders: Vec<OffenderLine>,
}

/// The layers table.
pub fn layers(state: &State) -> LayersView {
    let Some(cur) = &state.current else {
        return LayersView::default();
    };
    let Some(img) = &cur.image else {
        return LayersView::default();
    };
    let Some(m) = img.image_manifest() else {
        return LayersView::default();
    };
    let cfg = img.image_config();
    let lines = m
        .layers()
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let r = cur.report(i);
            let p = cur.progress.get(i).copied().unwrap_or_default();
            let status = match r {
                Some(r) => match (r.problem(), r.note(), p.from_library) {
                    (Some(why), _, _) => LayerStatus::Problem(why),
                    (None, Some(note), _) => LayerStatus::Listed(note),
                    (None, None, Some(since)) => LayerStatus::AlreadyVerified {
                        since: since.date(),
                    },
                    (None, None, None) => LayerStatus::Verified,
                },
                None if p.started_ms.is_some() => LayerStatus::Loading {
                    done: p.done,
                    total: p.total,
                    rate: p
                        .rate_mb_s()
                        .map(|r| format!("{r:.1} MB/s"))
                        .unwrap_or_default(),
                },
                None => LayerStatus::Waiting,
            };
            let changes = cur
                .fs
                .as_ref()
                .and_then(|fs| fs.changes(i))
                .map(|c| {
                    format!(
                        "+{} ~{} -{}",
                        c.added.len(),
                        c.modified.len(),
                        c.removed.len()
                    )
                })
                .unwrap_or_default();
            LayerLine {
                index: i,
                instruction: cfg
                    .and_then(|c| c.layer_history(i))
                    .and_then(|h| h.created_by())
                    .map(short_instruction)
                    .unwrap_or_default(),
                compressed: human_size_binary(d.size()),
                uncompressed: r
                    .and_then(tar_size)
                    .map(human_size_binary)
                    .unwrap_or_default(),
                changes,
                digest: d.digest().to_string(),
                status,
                selected: state.layer == Some(i),
            }
        })
        .collect();
    LayersView {
        lines,
        selected: state.layer,
        mode: state.mode,
    }
}

/// Wasted space of the whole image.
pub fn waste(state: &State) -> Option<WasteView> {
    let fs = state.current.as_ref()?.fs.as_ref()?;
    let s = fs.stats();
    Some(WasteView {
        efficiency: format!("{:.1} %", s.efficiency() * 100.0),
        wasted: format!(
            "{} ({} bytes)",
            human_size_binary(s.wasted_bytes),
            s.wasted_bytes
        ),
        offenders: s
            .offenders
            .iter()
            .take(10)
            .map(|o| {
                let mut p = b"/".to_vec();
                p.extend_from_slice(&o.path);
                OffenderLine {
                    path: escape(&p),
                    size: human_size_binary(o.wasted_bytes),
                    copies: o.copies,
                    layers: o
                        .layers
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                }
            })
            .collect(),
    })
}
