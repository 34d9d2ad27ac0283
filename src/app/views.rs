//! The page's sections as plain values computed from the [`State`]: what
//! each section shows, already as text. The shell redraws a section only
//! when its value changed, and the golden tests compare these values, so
//! what a person sees is tested natively.

use crate::fs::{escape, human_size, mode_string};
use crate::inspect::{LayerOutcome, LayerReport};
use crate::layer::EntryKind;

use super::errors::{layer_error, UserError};
use super::model::Change;
use super::route::{platform_label, LayerMode};
use super::rows::{Row, ShowChanges, SortBy};
use super::state::{Phase, Prompt, State, Step};

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
}

/// One verification check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What was checked (`manifest sha256:…`).
    pub object: String,
    /// `Some(true)` verified, `Some(false)` failed, `None` pending.
    pub ok: Option<bool>,
    /// The failure, if any.
    pub detail: String,
}

/// The overview of the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverviewView {
    /// The canonical name with tag.
    pub name: String,
    /// The digest the reference resolved to.
    pub digest: String,
    /// The top document's media type.
    pub media_type: String,
    /// The platform shown.
    pub platform: String,
    /// `created` from the config.
    pub created: String,
    /// `author` from the config.
    pub author: String,
    /// Compressed size (sum of layer blobs).
    pub compressed: String,
    /// Uncompressed size (sum of the layers' tar streams), once scanned.
    pub uncompressed: String,
    /// Files in the merged image.
    pub files: String,
    /// `Some(all verified)` once every layer reported.
    pub verified: Option<bool>,
    /// Every check.
    pub checks: Vec<Check>,
    /// `docker pull NAME@sha256:…`.
    pub pull: String,
}

/// One platform of an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformEntry {
    /// `os/arch[/variant]` (`data-platform`).
    pub label: String,
    /// The OS version, if given.
    pub os_version: Option<String>,
    /// The manifest's size.
    pub size: String,
    /// The manifest's digest.
    pub digest: String,
    /// Whether this one is shown.
    pub chosen: bool,
}

/// The platforms of an index (empty for a single manifest).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlatformsView {
    /// Runnable entries.
    pub entries: Vec<PlatformEntry>,
    /// Attestations and other entries, listed apart.
    pub others: Vec<String>,
}

/// The container defaults from the config, each key with its values.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfigView {
    /// `(key, values)` in a fixed order; keys without a value are left out.
    pub items: Vec<(String, Vec<String>)>,
}

/// One history step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryLine {
    /// The instruction (`created_by`, shortened).
    pub instruction: String,
    /// The layer it made, if any.
    pub layer: Option<usize>,
    /// Whether it made no layer.
    pub empty: bool,
    /// The layer's compressed size.
    pub size: String,
}

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

fn short_instruction(created_by: &str) -> String {
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
        }
        problems = cur.reports.iter().filter_map(layer_error).collect();
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
    }
}

fn tar_size(r: &LayerReport) -> Option<u64> {
    match &r.outcome {
        LayerOutcome::Scanned { scan, .. } => Some(scan.tar_size()),
        _ => None,
    }
}

/// The overview, once an image is resolved.
pub fn overview(state: &State) -> Option<OverviewView> {
    let cur = state.current.as_ref()?;
    let img = cur.image.as_ref()?;
    let cfg = img.image_config();
    let top = img.index.as_ref().unwrap_or(&img.manifest);
    let compressed: u64 = img
        .image_manifest()
        .map_or(0, |m| m.layers().iter().map(|d| d.size()).sum());
    let all_reported = cur.reports.len() == cur.progress.len();
    let uncompressed: Option<u64> =
        all_reported.then(|| cur.reports.iter().filter_map(tar_size).sum());
    let mut checks = Vec::new();
    if let Some(idx) = &img.index {
        checks.push(Check {
            object: format!("index {}", idx.verified.digest()),
            ok: Some(true),
            detail: String::new(),
        });
    }
    checks.push(Check {
        object: format!("manifest {}", img.manifest.verified.digest()),
        ok: Some(true),
        detail: String::new(),
    });
    if let Some(c) = cfg {
        checks.push(Check {
            object: format!("config {}", c.digest()),
            ok: Some(true),
            detail: String::new(),
        });
    }
    if let Some(m) = img.image_manifest() {
        for (i, d) in m.layers().iter().enumerate() {
            let r = cur.report(i);
            checks.push(Check {
                object: format!("layer {i} {}", d.digest()),
                ok: r.map(LayerReport::is_verified),
                detail: r.and_then(LayerReport::problem).unwrap_or_default(),
            });
        }
    }
    let verified = all_reported.then(|| checks.iter().all(|c| c.ok == Some(true)));
    Some(OverviewView {
        name: cur.reference.to_string(),
        digest: img.digest.to_string(),
        media_type: top.document.media_type().as_str().to_owned(),
        platform: img
            .platform
            .as_ref()
            .map(|p| match p.os_version() {
                Some(v) => format!("{} ({v})", platform_label(p)),
                None => platform_label(p),
            })
            .unwrap_or_default(),
        created: cfg.and_then(|c| c.created()).unwrap_or("").to_owned(),
        author: cfg.and_then(|c| c.author()).unwrap_or("").to_owned(),
        compressed: format!("{} ({compressed} bytes)", human_size(compressed)),
        uncompressed: uncompressed
            .map(|u| format!("{} ({u} bytes)", human_size(u)))
            .unwrap_or_default(),
        files: cur
            .fs
            .as_ref()
            .map(|fs| fs.stats().files.to_string())
            .unwrap_or_default(),
        verified,
        checks,
        pull: format!("docker pull {}", img.pinned().familiar_string()),
    })
}

/// The platforms of an index.
pub fn platforms(state: &State) -> PlatformsView {
    let Some(img) = state.current.as_ref().and_then(|c| c.image.as_ref()) else {
        return PlatformsView::default();
    };
    let chosen = img.manifest.verified.digest();
    PlatformsView {
        entries: img
            .platforms
            .iter()
            .map(|p| PlatformEntry {
                label: platform_label(&p.platform),
                os_version: p.platform.os_version().map(str::to_owned),
                size: human_size(p.descriptor.size()),
                digest: p.descriptor.digest().to_string(),
                chosen: p.descriptor.digest() == chosen,
            })
            .collect(),
        others: img
            .other_entries
            .iter()
            .map(|d| {
                let what = match d.annotation(crate::oci::selection::REFERENCE_TYPE_ANNOTATION) {
                    Some(t) => t.to_owned(),
                    None => d.media_type().as_str().to_owned(),
                };
                format!("{what} {}", d.digest())
            })
            .collect(),
    }
}

/// The config's container defaults.
pub fn config(state: &State) -> ConfigView {
    let Some(c) = state
        .current
        .as_ref()
        .and_then(|c| c.image.as_ref())
        .and_then(|i| i.image_config())
    else {
        return ConfigView::default();
    };
    let cc = c.config();
    let mut items: Vec<(String, Vec<String>)> = Vec::new();
    let mut push = |k: &str, v: Vec<String>| {
        if !v.is_empty() {
            items.push((k.to_owned(), v));
        }
    };
    push("Env", cc.env().map(str::to_owned).collect());
    push(
        "Entrypoint",
        cc.entrypoint().map(<[String]>::to_vec).unwrap_or_default(),
    );
    push("Cmd", cc.cmd().map(<[String]>::to_vec).unwrap_or_default());
    push(
        "WorkingDir",
        cc.working_dir().map(str::to_owned).into_iter().collect(),
    );
    push("User", cc.user().map(str::to_owned).into_iter().collect());
    push(
        "ExposedPorts",
        cc.exposed_ports().map(str::to_owned).collect(),
    );
    push("Volumes", cc.volumes().map(str::to_owned).collect());
    push(
        "Labels",
        cc.labels()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect(),
    );
    push(
        "StopSignal",
        cc.stop_signal().map(str::to_owned).into_iter().collect(),
    );
    ConfigView { items }
}

/// The history as a Dockerfile-like list.
pub fn history(state: &State) -> Vec<HistoryLine> {
    let Some(img) = state.current.as_ref().and_then(|c| c.image.as_ref()) else {
        return Vec::new();
    };
    let Some(c) = img.image_config() else {
        return Vec::new();
    };
    let layers = img.image_manifest().map(|m| m.layers()).unwrap_or_default();
    c.history_steps()
        .iter()
        .map(|s| HistoryLine {
            instruction: short_instruction(s.history.created_by().unwrap_or("")),
            layer: s.layer,
            empty: s.history.empty_layer(),
            size: s
                .layer
                .and_then(|l| layers.get(l))
                .map(|d| human_size(d.size()))
                .unwrap_or_default(),
        })
        .collect()
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
                Some(r) => match r.problem() {
                    None => LayerStatus::Verified,
                    Some(why) => LayerStatus::Problem(why),
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
                compressed: human_size(d.size()),
                uncompressed: r.and_then(tar_size).map(human_size).unwrap_or_default(),
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
        wasted: format!("{} ({} bytes)", human_size(s.wasted_bytes), s.wasted_bytes),
        offenders: s
            .offenders
            .iter()
            .take(10)
            .map(|o| {
                let mut p = b"/".to_vec();
                p.extend_from_slice(&o.path);
                OffenderLine {
                    path: escape(&p),
                    size: human_size(o.wasted_bytes),
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

/// The tree panel's drawn window.
pub fn tree(state: &State) -> TreePanel {
    let t = &state.tree;
    let (start, count) = t.window();
    let caption = match (state.layer, state.mode) {
        (None, _) => "The merged image".to_owned(),
        (Some(l), LayerMode::UpTo) => format!("The image up to layer {l}"),
        (Some(l), LayerMode::Changes) => format!("What layer {l} changed"),
    };
    TreePanel {
        total: t.visible().len(),
        start,
        rows: t.rows(start, count),
        scroll_row: t.scroll_row(),
        filter: t.filter().text().to_owned(),
        sort: t.sort(),
        show: t.show(),
        caption,
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
        size: format!("{} ({} bytes)", human_size(info.size), info.size),
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
