//! The overview with its verification summary, the platforms of an index,
//! the config's container defaults and the history.

use crate::fs::human_size_binary;
use crate::inspect::{LayerOutcome, LayerReport};

use super::super::route::platform_label;
use super::super::state::State;
use super::{short_instruction, tar_size};

/// One verification check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What was checked (`manifest sha256:…`).
    pub object: String,
    /// `Some(true)` verified, `Some(false)` failed, `None` pending.
    pub ok: Option<bool>,
    /// The failure, if any; for a layer taken from the library, where its
    /// verdict came from.
    pub detail: String,
    /// A layer listed from its table of contents: not verified (`ok` is
    /// `Some(false)`), not failed either; "Verify fully" would check it.
    pub listed: bool,
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
    /// Layers listed from their tables of contents (their blobs not
    /// checked), once every layer reported.
    pub listed: usize,
    /// Whether every check that did not pass is such a listing (no
    /// failure): the summary offers "Verify fully" instead of alarm.
    pub only_listed: bool,
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
            listed: false,
        });
    }
    checks.push(Check {
        object: format!("manifest {}", img.manifest.verified.digest()),
        ok: Some(true),
        detail: String::new(),
        listed: false,
    });
    if let Some(c) = cfg {
        checks.push(Check {
            object: format!("config {}", c.digest()),
            ok: Some(true),
            detail: String::new(),
            listed: false,
        });
    }
    if let Some(m) = img.image_manifest() {
        for (i, d) in m.layers().iter().enumerate() {
            let r = cur.report(i);
            let from_library = cur.progress.get(i).and_then(|p| p.from_library);
            let toc_refused = cur.progress.get(i).is_some_and(|p| p.toc_refused);
            let said = (
                r.and_then(LayerReport::problem),
                r.and_then(LayerReport::note),
            );
            let detail = match (said, from_library) {
                ((Some(problem), _), _) => problem,
                ((None, Some(note)), _) => note,
                ((None, None), Some(since)) if r.is_some() => format!(
                    "already verified in this browser on {}: the library's index of this \
                     blob, checked against this manifest and config; not downloaded again",
                    since.date()
                ),
                ((None, None), None) if toc_refused && r.is_some() => {
                    "its table of contents could not be used: the layer was downloaded and \
                     verified whole"
                        .to_owned()
                }
                _ => String::new(),
            };
            checks.push(Check {
                object: format!("layer {i} {}", d.digest()),
                ok: r.map(LayerReport::is_verified),
                detail,
                listed: r.is_some_and(|r| matches!(r.outcome, LayerOutcome::Listed(_))),
            });
        }
    }
    let verified = all_reported.then(|| checks.iter().all(|c| c.ok == Some(true)));
    let listed = checks.iter().filter(|c| c.listed).count();
    let only_listed = listed > 0 && checks.iter().all(|c| c.ok == Some(true) || c.listed);
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
        compressed: format!("{} ({compressed} bytes)", human_size_binary(compressed)),
        uncompressed: uncompressed
            .map(|u| format!("{} ({u} bytes)", human_size_binary(u)))
            .unwrap_or_default(),
        files: cur
            .fs
            .as_ref()
            .map(|fs| fs.stats().files.to_string())
            .unwrap_or_default(),
        verified,
        listed: if all_reported { listed } else { 0 },
        only_listed: all_reported && only_listed,
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
                size: human_size_binary(p.descriptor.size()),
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
                .map(|d| human_size_binary(d.size()))
                .unwrap_or_default(),
        })
        .collect()
}
