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

use crate::inspect::Image;
use crate::registry::{Client, Fetch};
use crate::supply::{self, AttachedDocument, Discovery, Limits};

use super::msg::{Effect, LoadId, Msg};
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
/// for up to eight manifests that are usually not there (each a 404 in the
/// browser's console, and on Docker Hub each manifest request counts
/// against the pull limit), so an image viewed for its files asks nothing.
pub(crate) fn sync(state: &mut State) -> Vec<Effect> {
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

/// Finds the attachments of the task's image and reads their documents
/// (at most [`PAGE_MAX_DOCUMENT_BYTES`] each); the message to dispatch.
pub async fn run<F: Fetch, C: Fn() -> u64>(client: &Client<F, C>, task: &SupplyTask) -> Msg {
    let limits = Limits {
        max_document_bytes: PAGE_MAX_DOCUMENT_BYTES,
        ..Limits::default()
    };
    let discovery = supply::discover(client, &task.image, None, &limits).await;
    let mut documents = Vec::with_capacity(discovery.attachments.len());
    for a in &discovery.attachments {
        documents.push(supply::read_documents(client, &task.image.reference, a, &limits).await);
    }
    Msg::SupplyFound {
        load: task.load,
        found: Box::new(SupplyFound {
            discovery,
            documents,
        }),
    }
}
