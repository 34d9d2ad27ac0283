//! The resolve flow, shared by the page and the command line:
//! reference → index or manifest (verified) → platform choice → config
//! (verified) → every layer streamed through the scanner (blob digest, size
//! and diff_id verified) → merged tree.
//!
//! Sans-IO like the rest of the core: it drives a [`Client`] over whatever
//! [`Fetch`] the shell provides and reports progress through a callback. One
//! failed layer is reported with its digest and reason while the others
//! complete; a layer that fails verification is kept out of the merged tree
//! (its entries stay available, marked unverified).

pub mod compare;
mod failure;
mod layers;
mod range;
pub mod report;
mod toc;
pub mod transfer;

use crate::oci::document::Document;
use crate::oci::selection::{platforms, IndexEntry, PlatformPolicy};
use crate::oci::{
    Descriptor, Digest, ImageConfig, ImageIndex, ImageManifest, Platform, Reference, Verified,
};
use crate::registry::client::{Client, FetchedManifest};
use crate::registry::error::RegistryError;
use crate::registry::Fetch;

pub use failure::{LayerFailure, ScanClass, ScanFault};
pub use layers::{
    layer_jobs, layer_reports, list_layer, merge_verified, scan_body, scan_layer, scan_layers,
    scan_request, LayerJob, LayerOutcome, LayerReport, Progress, ScanSettings,
};
pub use range::{stream_range, RangeRead};
pub use toc::{read_listed_file, Verify};

/// Why an image could not be resolved to a manifest and config.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InspectError {
    /// The registry conversation failed (network, auth, 404, verification).
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// No index entry fits the platform asked for.
    #[error("{0}")]
    Platform(String),
    /// An index pointed at another index: not an image we can show.
    #[error("manifest {digest} is an index inside an index, which is not supported")]
    NestedIndex {
        /// The inner index's digest.
        digest: Digest,
    },
    /// The config was fetched and verified but is not a valid image config.
    #[error("config {digest}: {message}")]
    Config {
        /// The config's digest.
        digest: Digest,
        /// What was wrong.
        message: String,
    },
}

/// One runnable entry of an index, as offered to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformChoice {
    /// The entry's platform.
    pub platform: Platform,
    /// `os/arch[/variant]` as shown and as written in links.
    pub label: String,
    /// The manifest the entry points to.
    pub descriptor: Descriptor,
}

/// A resolved image: verified documents, ready for its layers to be scanned.
#[derive(Debug, Clone)]
pub struct Image {
    /// The reference as asked, normalised.
    pub reference: Reference,
    /// The digest the reference resolved to (the index's, or the manifest's).
    pub digest: Digest,
    /// The index, when the reference points to one.
    pub index: Option<FetchedManifest>,
    /// The runnable platforms of the index (attestations excluded).
    pub platforms: Vec<PlatformChoice>,
    /// Attestation and other non-runnable index entries, listed apart.
    pub other_entries: Vec<Descriptor>,
    /// The platform that was chosen (from the index entry, or the config).
    pub platform: Option<Platform>,
    /// The image manifest (verified).
    pub manifest: FetchedManifest,
    /// The config's verified bytes and parsed form; `None` for artifacts
    /// whose config is not an image config.
    pub config: Option<(Verified, ImageConfig)>,
}

impl Image {
    /// The image manifest.
    pub fn image_manifest(&self) -> Option<&ImageManifest> {
        match &self.manifest.document {
            Document::Manifest(m) => Some(m),
            Document::Index(_) => None,
        }
    }

    /// The parsed config.
    pub fn image_config(&self) -> Option<&ImageConfig> {
        self.config.as_ref().map(|(_, c)| c)
    }

    /// The reference pinned to the manifest digest the user saw (the index's
    /// digest when there is one, so the platform choice stays open).
    pub fn pinned(&self) -> Reference {
        self.reference.name_only().with_digest(self.digest.clone())
    }
}

fn choice(entry: &IndexEntry<'_>) -> Option<PlatformChoice> {
    let platform = entry.platform()?.clone();
    Some(PlatformChoice {
        label: platform.to_string(),
        platform,
        descriptor: entry.descriptor().clone(),
    })
}

/// An index's runnable platforms as offered to the user, and its other
/// entries (attestations and the like) listed apart: the same lists for an
/// index just fetched and one read back from the library.
pub(crate) fn index_entries(idx: &ImageIndex) -> (Vec<PlatformChoice>, Vec<Descriptor>) {
    let plats = platforms(idx).iter().filter_map(choice).collect();
    let others = crate::oci::selection::entries(idx)
        .iter()
        .filter(|e| !e.is_runnable())
        .map(|e| e.descriptor().clone())
        .collect();
    (plats, others)
}

/// Resolves a reference to a verified manifest and config, choosing a
/// platform from an index with `policy`.
pub async fn resolve<F: Fetch, C: Fn() -> u64>(
    client: &Client<F, C>,
    reference: &Reference,
    policy: &PlatformPolicy,
) -> Result<Image, InspectError> {
    let top = match (reference.digest(), reference.tag()) {
        (Some(d), _) => {
            client
                .manifest(reference, &d.to_string(), Some((d, None, None)))
                .await?
        }
        (None, tag) => {
            let tag = tag.unwrap_or(crate::oci::reference::DEFAULT_TAG);
            match client.resolve_tag(reference, tag).await? {
                Some(d) => {
                    client
                        .manifest(reference, &d.to_string(), Some((&d, None, None)))
                        .await?
                }
                None => client.manifest(reference, tag, None).await?,
            }
        }
    };
    let digest = top.verified.digest().clone();
    let (index, manifest, plats, others, platform) = match &top.document {
        Document::Index(idx) => {
            let (plats, others) = index_entries(idx);
            let entry = policy
                .select(idx)
                .map_err(|e| InspectError::Platform(e.to_string()))?;
            let desc = entry.descriptor().clone();
            let platform = entry.platform().cloned();
            let m = client
                .manifest(
                    reference,
                    &desc.digest().to_string(),
                    Some((desc.digest(), Some(desc.size()), Some(desc.media_type()))),
                )
                .await?;
            if let Document::Index(_) = m.document {
                return Err(InspectError::NestedIndex {
                    digest: desc.digest().clone(),
                });
            }
            (Some(top.clone()), m, plats, others, platform)
        }
        Document::Manifest(_) => (None, top.clone(), Vec::new(), Vec::new(), None),
    };
    let config = match &manifest.document {
        Document::Manifest(m) if m.config().media_type().is_config() => {
            let bytes = client.small_blob(reference, m.config(), "config").await?;
            let parsed = ImageConfig::parse(&bytes).map_err(|e| InspectError::Config {
                digest: m.config().digest().clone(),
                message: e.to_string(),
            })?;
            Some((bytes, parsed))
        }
        _ => None,
    };
    let platform = platform.or_else(|| config.as_ref().map(|(_, c)| c.platform()));
    Ok(Image {
        reference: reference.clone(),
        digest,
        index,
        platforms: plats,
        other_entries: others,
        platform,
        manifest,
        config,
    })
}
