//! The image's supply chain in the page: once the current image is
//! resolved and the "Supply chain" tab shown, its attachments (signatures, SBOMs, provenance) are looked for
//! wherever registries keep them and their documents read
//! ([`crate::supply`]); the "Supply chain" tab shows them
//! ([`super::views::supply`]), an SBOM's files are checked against the
//! merged tree, and a file of the tree names the packages that own it.
//!
//! Documents are parsed on the page's main thread, so the page reads at
//! most [`PAGE_MAX_DOCUMENT_BYTES`] of one: a larger one is named with its
//! size and what to do instead (`layerlens referrers`), never parsed.

use std::rc::Rc;

use crate::fs::MergedFs;
use crate::inspect::Image;
use crate::supply::{check_files, AttachedDocument, Content, Discovery, FileCheck, FileStatus};

use super::msg::{Effect, LoadId};
use super::state::State;
use super::text::cut;
use super::workbench::Tab;

/// The largest document the page reads. Parsing is on its main thread: an
/// SPDX SBOM of 8 MB (8,000 packages, 16,000 files) parses in about 50 ms
/// natively on the development machine, so a capped document keeps the
/// page responding; a larger one is named, with the command line's way.
pub const PAGE_MAX_DOCUMENT_BYTES: usize = 8 << 20;

/// The longest package search kept.
const MAX_QUERY: usize = 200;

/// What the shell runs: the attachments of `image`, and their documents.
#[derive(Debug, Clone)]
pub struct SupplyTask {
    /// The load it belongs to.
    pub load: LoadId,
    /// The resolved image.
    pub image: Box<Image>,
}

/// What was found: where the registry keeps attachments, and each
/// attachment's documents (in the order of `discovery.attachments`).
#[derive(Debug)]
pub struct SupplyFound {
    /// The attachments, what was refused and what could not be looked at.
    pub discovery: Discovery,
    /// Each attachment's documents.
    pub documents: Vec<Vec<AttachedDocument>>,
}

/// How far the supply chain of a load got.
#[derive(Debug, Clone, Default)]
pub enum SupplyStatus {
    /// Not asked (the image is not resolved yet).
    #[default]
    NotAsked,
    /// Being looked for.
    Looking,
    /// Found (possibly nothing).
    Found(Rc<SupplyFound>),
}

/// The files of each SBOM found, checked against a merged tree, problems
/// first (mismatches, paths outside the root, missing paths, not files).
#[derive(Debug, Clone)]
pub struct SbomChecks {
    found: Rc<SupplyFound>,
    fs: Rc<MergedFs>,
    /// (attachment, document) and its files' checks.
    pub by_document: Vec<((usize, usize), Vec<FileCheck>)>,
}

impl SbomChecks {
    fn of(found: &Rc<SupplyFound>, fs: &Rc<MergedFs>) -> SbomChecks {
        let rank = |st: &FileStatus| match st {
            FileStatus::Differs { .. } => 0,
            FileStatus::Outside => 1,
            FileStatus::Missing => 2,
            FileStatus::NotAFile => 3,
            _ => 4,
        };
        let mut by_document = Vec::new();
        for (a, docs) in found.documents.iter().enumerate() {
            for (d, doc) in docs.iter().enumerate() {
                if let Ok(Content::Sbom { sbom, .. }) = &doc.content {
                    let mut checks = check_files(sbom, fs);
                    crate::sort::sort_by_key(&mut checks, |c| rank(&c.status));
                    by_document.push(((a, d), checks));
                }
            }
        }
        SbomChecks {
            found: Rc::clone(found),
            fs: Rc::clone(fs),
            by_document,
        }
    }

    /// The checks of document `d` of attachment `a`.
    pub fn of_document(&self, a: usize, d: usize) -> Option<&[FileCheck]> {
        self.by_document
            .iter()
            .find(|(k, _)| *k == (a, d))
            .map(|(_, c)| &c[..])
    }
}

/// The tab's own settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SupplyUi {
    /// The package search (name, version, licence or purl; any case).
    pub query: String,
    /// The document whose raw text is shown: (attachment, document), the
    /// document `None` for the attachment's manifest.
    pub raw: Option<(usize, Option<usize>)>,
}

/// What the tab's controls send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SupplyMsg {
    /// The package search changed.
    Query(String),
    /// Show (or hide, `None`) a document's raw text.
    Raw(Option<(usize, Option<usize>)>),
    /// Save a document (attachment, document; `None`: its manifest).
    Download(usize, Option<usize>),
    /// Show a path an SBOM lists in the tree.
    Reveal(Vec<u8>),
}

/// What the shell does for the tab.
#[derive(Debug, Clone)]
pub enum SupplyEffect {
    /// Look for the attachments.
    Discover(SupplyTask),
    /// Save `bytes` as `name` (typed `media_type`).
    Save {
        /// The file name offered.
        name: String,
        /// The bytes, as verified.
        bytes: Vec<u8>,
        /// Their media type.
        media_type: String,
    },
}

/// Looks for the current image's attachments once it is resolved and the
/// tab is shown (after every update). Only then: looking asks the registry
/// five times for each digest (the index's and the platform manifest's)
/// for things that are usually not there (each a 404 in the
/// browser's console, and on Docker Hub each manifest request counts
/// against the pull limit), so an image viewed for its files asks nothing.
pub(crate) fn sync(state: &mut State) -> Vec<Effect> {
    check(state);
    if state.workbench.tab != Tab::Supply {
        return Vec::new();
    }
    let Some(cur) = state.current.as_mut() else {
        return Vec::new();
    };
    let (SupplyStatus::NotAsked, Some(image)) = (&cur.supply, cur.image.clone()) else {
        return Vec::new();
    };
    cur.supply = SupplyStatus::Looking;
    state.supply = SupplyUi::default();
    vec![Effect::Supply(SupplyEffect::Discover(SupplyTask {
        load: cur.load,
        image,
    }))]
}

/// Checks the SBOMs' files once the documents and the merged tree are both
/// in (again only if either is replaced).
fn check(state: &mut State) {
    let Some(cur) = state.current.as_mut() else {
        return;
    };
    let (SupplyStatus::Found(found), Some(fs)) = (&cur.supply, &cur.fs) else {
        cur.supply_checks = None;
        return;
    };
    let fresh = cur
        .supply_checks
        .as_ref()
        .is_some_and(|c| Rc::ptr_eq(&c.found, found) && Rc::ptr_eq(&c.fs, fs));
    if !fresh {
        cur.supply_checks = Some(SbomChecks::of(found, fs));
    }
}

/// The attachments of `load` are in.
pub(crate) fn found(state: &mut State, load: LoadId, found: SupplyFound) -> Vec<Effect> {
    if let Some(cur) = state.current.as_mut().filter(|c| c.load == load) {
        cur.supply = SupplyStatus::Found(Rc::new(found));
    }
    Vec::new()
}

/// The found attachments of the current image, if in.
pub fn current(state: &State) -> Option<&Rc<SupplyFound>> {
    match &state.current.as_ref()?.supply {
        SupplyStatus::Found(f) => Some(f),
        _ => None,
    }
}

/// Handles a control of the tab.
pub(crate) fn update(state: &mut State, msg: SupplyMsg) -> Vec<Effect> {
    match msg {
        SupplyMsg::Query(q) => {
            state.supply.query = cut(&q, MAX_QUERY);
            Vec::new()
        }
        SupplyMsg::Raw(which) => {
            state.supply.raw = which;
            Vec::new()
        }
        SupplyMsg::Download(a, d) => current(state)
            .and_then(|f| save(f, a, d))
            .map(|e| vec![Effect::Supply(e)])
            .unwrap_or_default(),
        SupplyMsg::Reveal(path) => {
            if state.layer.is_some() {
                state.layer = None;
                super::load::rebuild_model(state);
            }
            if !state.tree.reveal(&path) {
                return Vec::new();
            }
            state.workbench.tab = Tab::Files;
            vec![state.set_url(true)]
        }
    }
}

/// The bytes of a document (or manifest) to save, named by kind and digest.
fn save(found: &SupplyFound, a: usize, d: Option<usize>) -> Option<SupplyEffect> {
    let attachment = found.discovery.attachments.get(a)?;
    let (digest, media_type, bytes) = match d {
        None => (
            &attachment.digest,
            attachment.media_type.as_str().to_owned(),
            attachment.manifest.clone(),
        ),
        Some(d) => {
            let doc = found.documents.get(a)?.get(d)?;
            (
                doc.descriptor.digest(),
                doc.descriptor.media_type().as_str().to_owned(),
                doc.bytes.clone()?,
            )
        }
    };
    let name = format!("{}-{}.json", digest.algorithm().name(), digest.hex());
    Some(SupplyEffect::Save {
        name,
        bytes,
        media_type,
    })
}
