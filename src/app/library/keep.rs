//! "Keep layers for offline file viewing" (issue 6): the opt-in that keeps
//! each verified layer blob of a recorded image in the browser, so the file
//! viewer works on a reopened image with the registry gone.
//!
//! Pure like the rest of `app/`: the setting and the set of kept blobs live
//! in [`KeepState`]; the shell (`web/blobs.rs`) stores the blobs in the
//! Cache API, keyed by digest (see [`blob_key`]), and answers with
//! [`LibraryMsg`]s. The transitions:
//!
//! * the page starts: read the setting and the kept blobs
//!   ([`KeepEffect::Read`] → [`LibraryMsg::KeepRead`]);
//! * an image is recorded with the setting on: keep each of its layers not
//!   kept yet ([`KeepEffect::Keep`]; each answers [`LibraryMsg::KeepDone`],
//!   a skip or a failure in words on the images page, never a crash);
//! * `rm`/`prune` free layer indexes: drop exactly those blobs
//!   ([`KeepEffect::Drop`]) — a layer another image still uses stays;
//! * once the catalogue and the kept blobs are both read, blobs no image
//!   uses are dropped too (`sweep`: an `rm` while a layer was being kept,
//!   a delete that failed);
//! * the setting is turned off: every kept blob is deleted
//!   ([`KeepEffect::DropAll`]) — the label says so. Keeping layers nobody
//!   asked to keep would hold on to storage the user meant to give back.

use std::collections::BTreeSet;

use crate::app::msg::Effect;
use crate::app::state::State;
use crate::dockerfmt::human::human_size_decimal;
use crate::oci::{Digest, Reference};
use crate::registry::Credentials;

use super::transitions::fx;
use super::{LibraryEffect, LibraryMsg};

/// The most skip/failure notes shown (the latest ones).
const MAX_NOTES: usize = 8;

/// The share of the quota kept blobs may fill, in percent: keeping a layer
/// is skipped when the site's usage plus the layer would pass it.
pub const QUOTA_PERCENT: u64 = 80;

/// The URL a kept blob is stored under in the Cache API:
/// `https://layerlens.invalid/blobs/<algorithm>/<hex>`. Content-addressed:
/// a digest names the bytes whatever registry served them, so the key holds
/// no proxy base, registry host or credentials, and one blob shared by two
/// images (or two registries) is kept once. `.invalid` is reserved (RFC
/// 6761): the key can never be fetched by mistake.
pub fn blob_key(digest: &Digest) -> String {
    format!(
        "https://layerlens.invalid/blobs/{}/{}",
        digest.algorithm(),
        digest.hex()
    )
}

/// The digest a [`blob_key`] names, if it is one.
pub fn key_digest(key: &str) -> Option<Digest> {
    let rest = key.strip_prefix("https://layerlens.invalid/blobs/")?;
    let (alg, hex) = rest.split_once('/')?;
    format!("{alg}:{hex}").parse().ok()
}

/// The keep setting and what is kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeepState {
    /// "Keep layers for offline file viewing" (off by default).
    pub on: bool,
    /// Layer blobs kept in the browser.
    pub kept: BTreeSet<Digest>,
    /// Layer blobs being fetched and kept.
    pub keeping: BTreeSet<Digest>,
    /// Why layers were skipped or could not be kept (the latest few).
    pub notes: Vec<String>,
    /// The kept blobs could not be listed or deleted, with why.
    pub error: Option<String>,
    /// The setting and the kept blobs were read (the sweep waits for it).
    pub read: bool,
}

/// One layer blob to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeepLayer {
    /// Its digest (checked as it streams; a mismatch is not kept).
    pub digest: Digest,
    /// Its size, from the manifest (for the quota check).
    pub size: u64,
}

/// Where to fetch layers to keep: the same way the file viewer fetches them.
#[derive(Debug, Clone)]
pub struct KeepTask {
    /// The image's reference (its repository names the blobs).
    pub reference: Reference,
    /// The layers, in manifest order.
    pub layers: Vec<KeepLayer>,
    /// Where the proxy is.
    pub proxy_base: String,
    /// Credentials for the registry, when the user gave some (memory only).
    pub credentials: Option<Credentials>,
}

/// What the shell must do for kept layers.
#[derive(Debug, Clone)]
pub enum KeepEffect {
    /// Read the setting and list the kept blobs; answer
    /// [`LibraryMsg::KeepRead`].
    Read,
    /// Remember the setting (a preference, in `localStorage`).
    Save(bool),
    /// Fetch and keep these layers, each unless already kept; answer
    /// [`LibraryMsg::KeepDone`] per layer.
    Keep(Box<KeepTask>),
    /// Delete these blobs (freed by `rm`/`prune`); answer
    /// [`LibraryMsg::Dropped`].
    Drop(Vec<Digest>),
    /// Delete every kept blob; answer [`LibraryMsg::Dropped`].
    DropAll,
}

/// How keeping one layer ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeepOutcome {
    /// Stored (or it already was).
    Kept,
    /// Not tried: the site's usage plus the layer would pass
    /// [`QUOTA_PERCENT`] of the quota.
    Skipped {
        /// Bytes the site uses.
        usage: u64,
        /// Bytes it may use.
        quota: u64,
    },
    /// The browser refused the write (`QuotaExceededError`).
    QuotaExceeded,
    /// Anything else (the network, a digest mismatch, no Cache API), in
    /// words.
    Failed(String),
    /// Not tried: the setting was turned off meanwhile.
    Cancelled,
}

fn keep(e: KeepEffect) -> Effect {
    fx(LibraryEffect::Keep(e))
}

fn short(d: &Digest) -> String {
    let hex = d.hex();
    format!("{}:{}", d.algorithm(), &hex[..hex.len().min(12)])
}

fn note(state: &mut State, text: String) {
    let notes = &mut state.library.keep.notes;
    notes.push(text);
    if notes.len() > MAX_NOTES {
        let extra = notes.len() - MAX_NOTES;
        notes.drain(..extra);
    }
}

/// The page started: read the setting and what is kept.
pub(super) fn started() -> Effect {
    keep(KeepEffect::Read)
}

/// An image was recorded: with the setting on, keep its layers not kept or
/// being kept yet. Nothing when the setting is off.
pub(super) fn recorded(state: &mut State, manifest: &Digest) -> Vec<Effect> {
    // (An image from a file: its layers are in the file, not behind the
    // proxy the shell keeps layers through.)
    if !state.library.keep.on || state.archive.is_some() {
        return Vec::new();
    }
    let Some(record) = state.library.catalog.image(manifest) else {
        return Vec::new();
    };
    let Some(cur) = state.current.as_ref() else {
        return Vec::new();
    };
    let k = &state.library.keep;
    let layers: Vec<KeepLayer> = record
        .layers()
        .iter()
        .filter(|l| !k.kept.contains(&l.digest) && !k.keeping.contains(&l.digest))
        .map(|l| KeepLayer {
            digest: l.digest.clone(),
            size: l.size,
        })
        .collect();
    if layers.is_empty() {
        return Vec::new();
    }
    let reference = cur
        .image
        .as_ref()
        .map_or_else(|| cur.reference.clone(), |i| i.reference.clone());
    let credentials = state.auth.saved.get(reference.registry_host()).cloned();
    let task = KeepTask {
        reference,
        layers,
        proxy_base: state.proxy_base.clone(),
        credentials,
    };
    let keeping = &mut state.library.keep.keeping;
    keeping.extend(task.layers.iter().map(|l| l.digest.clone()));
    vec![keep(KeepEffect::Keep(Box::new(task)))]
}

/// Once both the catalogue and the kept blobs are read: drops kept blobs
/// no image in the library uses (left by an `rm` while the layer was being
/// kept, or a delete that failed). Not when the stored catalogue could not
/// be read (the library is detached from it: what it uses is unknown).
pub(super) fn sweep(state: &mut State) -> Vec<Effect> {
    let lib = &state.library;
    if !lib.keep.read || lib.store == super::StoreStatus::Opening || lib.detached {
        return Vec::new();
    }
    let used: BTreeSet<&Digest> = crate::sort::set_of(
        lib.catalog
            .images()
            .flat_map(|i| i.layers().iter().map(|l| &l.digest)),
    );
    let orphans: Vec<Digest> = lib
        .keep
        .kept
        .iter()
        .filter(|d| !used.contains(d) && !lib.keep.keeping.contains(*d))
        .cloned()
        .collect();
    if orphans.is_empty() {
        return Vec::new();
    }
    for d in &orphans {
        state.library.keep.kept.remove(d);
    }
    vec![keep(KeepEffect::Drop(orphans))]
}

/// With the setting on, keeps the layers of the image on screen if it was
/// loaded from the registry and recorded (one reopened from the library is
/// kept when it is refreshed: the registry may be gone).
fn keep_shown(state: &mut State) -> Vec<Effect> {
    if !state.library.keep.on {
        return Vec::new();
    }
    let shown = state.current.as_ref().and_then(|c| {
        let reopened = state
            .library
            .reopen
            .as_ref()
            .is_some_and(|r| r.load == c.load);
        let image = c.image.as_ref().filter(|_| !reopened)?;
        Some(image.manifest.verified.digest().clone())
    });
    match shown {
        Some(manifest) => recorded(state, &manifest),
        None => Vec::new(),
    }
}

/// Layer indexes were freed by `rm`/`prune`: drop exactly their blobs
/// (nothing when keeping is off and nothing is kept: there is none).
pub(super) fn freed(state: &mut State, layers: &[Digest]) -> Vec<Effect> {
    let k = &state.library.keep;
    if layers.is_empty() || (!k.on && k.kept.is_empty() && k.keeping.is_empty()) {
        return Vec::new();
    }
    for l in layers {
        state.library.keep.kept.remove(l);
    }
    vec![keep(KeepEffect::Drop(layers.to_vec()))]
}

/// The space kept blobs take: their count and the sum of their sizes, from
/// the library's records (a kept blob no image records counts no bytes).
pub fn kept_space(state: &State) -> (usize, u64) {
    let kept = &state.library.keep.kept;
    let mut sizes = std::collections::BTreeMap::new();
    for image in state.library.catalog.images() {
        for l in image.layers() {
            if kept.contains(&l.digest) {
                sizes.insert(&l.digest, l.size);
            }
        }
    }
    (kept.len(), sizes.values().sum())
}

/// The words for a layer not kept.
fn outcome_note(digest: &Digest, size: Option<u64>, outcome: &KeepOutcome) -> Option<String> {
    let what = match size {
        Some(s) => format!("Layer {} ({})", short(digest), human_size_decimal(s)),
        None => format!("Layer {}", short(digest)),
    };
    match outcome {
        KeepOutcome::Kept | KeepOutcome::Cancelled => None,
        KeepOutcome::Skipped { usage, quota } => Some(format!(
            "{what} was not kept: this site already uses {} of the {} the browser allows, \
             and keeping it would pass {QUOTA_PERCENT} % of that.",
            human_size_decimal(*usage),
            human_size_decimal(*quota)
        )),
        KeepOutcome::QuotaExceeded => Some(format!(
            "{what} was not kept: the browser's storage for this site is full \
             (QuotaExceededError). Remove images or turn keeping off to free space."
        )),
        KeepOutcome::Failed(why) => Some(format!("{what} was not kept: {why}")),
    }
}

/// Handles the keep messages (nothing for any other message).
pub(super) fn update_keep(state: &mut State, msg: LibraryMsg) -> Vec<Effect> {
    match msg {
        LibraryMsg::KeepRead { on, kept } => {
            let k = &mut state.library.keep;
            k.on = on;
            k.read = true;
            match kept {
                Ok(list) => k.kept = crate::sort::set_of(list),
                Err(e) => k.error = Some(format!("The kept layers could not be listed: {e}")),
            }
            let mut effects = sweep(state);
            // A load recorded before the setting was read.
            effects.extend(keep_shown(state));
            effects
        }
        LibraryMsg::KeepToggled(on) => {
            let k = &mut state.library.keep;
            if k.on == on {
                return Vec::new();
            }
            k.on = on;
            k.notes.clear();
            let mut effects = vec![keep(KeepEffect::Save(on))];
            if on {
                effects.extend(keep_shown(state));
            } else {
                k.kept.clear();
                k.keeping.clear();
                effects.push(keep(KeepEffect::DropAll));
            }
            effects
        }
        LibraryMsg::KeepDone { digest, outcome } => {
            let k = &mut state.library.keep;
            k.keeping.remove(&digest);
            if outcome == KeepOutcome::Kept {
                // Turned off (and everything dropped) while it streamed:
                // the shell checks the setting before writing, so nothing
                // new is kept then.
                if k.on {
                    k.kept.insert(digest);
                }
                return Vec::new();
            }
            let size = state
                .library
                .catalog
                .images()
                .flat_map(|i| i.layers())
                .find(|l| l.digest == digest)
                .map(|l| l.size);
            if let Some(text) = outcome_note(&digest, size, &outcome) {
                note(state, text);
            }
            vec![fx(LibraryEffect::ReadClock)]
        }
        LibraryMsg::Dropped(result) => {
            state.library.keep.error = result
                .err()
                .map(|e| format!("Kept layers could not be deleted: {e}"));
            vec![fx(LibraryEffect::ReadClock)]
        }
        _ => Vec::new(),
    }
}
