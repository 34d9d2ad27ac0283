//! Choosing an image from an index: which entries are runnable images, which
//! are attestations or artifacts, and which one to open by default.
//!
//! The default is an explicit policy value ([`PlatformPolicy`]), never the
//! host's platform: the same link opens the same image on every machine.

use crate::oci::digest::Digest;
use crate::oci::{Descriptor, ImageIndex, Platform, PlatformError};

/// Annotation BuildKit puts on attestation entries (`attestation-manifest`).
pub const REFERENCE_TYPE_ANNOTATION: &str = "vnd.docker.reference.type";
/// Annotation naming the image an attestation entry describes.
pub const REFERENCE_DIGEST_ANNOTATION: &str = "vnd.docker.reference.digest";
/// The value of [`REFERENCE_TYPE_ANNOTATION`] on attestation entries.
pub const ATTESTATION_MANIFEST: &str = "attestation-manifest";

/// What an index entry points at, for listing and choosing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// An image manifest for a real platform (or with no platform given): can be opened as an image.
    Runnable,
    /// A BuildKit attestation (SBOM, provenance): `vnd.docker.reference.type:
    /// attestation-manifest`, platform `unknown/unknown`. Listed, never offered as a platform.
    Attestation,
    /// A manifest whose descriptor declares an `artifactType` (signature, SBOM…).
    Artifact,
    /// A nested index.
    Index,
    /// An image manifest with platform `unknown/unknown` and no attestation annotation.
    UnknownPlatform,
    /// Any other media type (`application/xml`, vendor manifests…).
    Other,
}

/// One entry of an index with its classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexEntry<'a> {
    position: usize,
    descriptor: &'a Descriptor,
    kind: EntryKind,
}

impl<'a> IndexEntry<'a> {
    /// Classifies one descriptor of an index.
    pub fn classify(position: usize, descriptor: &'a Descriptor) -> IndexEntry<'a> {
        let mt = descriptor.media_type();
        let kind = if descriptor.annotation(REFERENCE_TYPE_ANNOTATION) == Some(ATTESTATION_MANIFEST)
        {
            EntryKind::Attestation
        } else if descriptor.artifact_type().is_some() {
            EntryKind::Artifact
        } else if mt.is_index() {
            EntryKind::Index
        } else if !mt.is_manifest() {
            EntryKind::Other
        } else if descriptor.platform().is_some_and(Platform::is_unknown) {
            EntryKind::UnknownPlatform
        } else {
            EntryKind::Runnable
        };
        IndexEntry {
            position,
            descriptor,
            kind,
        }
    }

    /// The entry's position in the index's `manifests`.
    pub fn position(&self) -> usize {
        self.position
    }

    /// The entry's descriptor.
    pub fn descriptor(&self) -> &'a Descriptor {
        self.descriptor
    }

    /// What the entry is.
    pub fn kind(&self) -> EntryKind {
        self.kind
    }

    /// The entry's platform, if given.
    pub fn platform(&self) -> Option<&'a Platform> {
        self.descriptor.platform()
    }

    /// Whether this entry can be opened as an image for a platform.
    pub fn is_runnable(&self) -> bool {
        self.kind == EntryKind::Runnable
    }

    /// For an attestation, the digest of the image it describes (when the
    /// annotation is present and well-formed).
    pub fn attests(&self) -> Option<Digest> {
        if self.kind != EntryKind::Attestation {
            return None;
        }
        self.descriptor
            .annotation(REFERENCE_DIGEST_ANNOTATION)?
            .parse()
            .ok()
    }

    /// A short label for lists and error messages: the platform, with its OS
    /// version when present (`windows/amd64 10.0.17763.5329`), or what the entry is.
    pub fn label(&self) -> String {
        match (self.kind, self.platform()) {
            (EntryKind::Runnable, Some(p)) => match p.os_version() {
                Some(v) => format!("{p} {v}"),
                None => p.to_string(),
            },
            (EntryKind::Runnable, None) => format!("(no platform) {}", self.descriptor.digest()),
            (EntryKind::Attestation, _) => format!("attestation {}", self.descriptor.digest()),
            (EntryKind::Artifact, _) => format!(
                "artifact {}",
                self.descriptor
                    .artifact_type()
                    .map(|t| t.as_str())
                    .unwrap_or("")
            ),
            (EntryKind::Index, _) => format!("nested index {}", self.descriptor.digest()),
            (EntryKind::UnknownPlatform, _) => {
                format!("unknown/unknown {}", self.descriptor.digest())
            }
            (EntryKind::Other, _) => format!(
                "{} {}",
                self.descriptor.media_type(),
                self.descriptor.digest()
            ),
        }
    }
}

/// Every entry of `index`, classified, in document order.
pub fn entries(index: &ImageIndex) -> Vec<IndexEntry<'_>> {
    index
        .manifests()
        .iter()
        .enumerate()
        .map(|(i, d)| IndexEntry::classify(i, d))
        .collect()
}

/// The runnable entries of `index` (what a platform picker offers), in
/// document order. Attestations, artifacts and nested indexes are left out.
pub fn platforms(index: &ImageIndex) -> Vec<IndexEntry<'_>> {
    entries(index)
        .into_iter()
        .filter(IndexEntry::is_runnable)
        .collect()
}

/// How to choose one image from an index. An explicit value, so the choice
/// never depends on the machine the code runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlatformPolicy {
    /// Take the first runnable entry matching this platform if there is
    /// one, else the first runnable entry. The default prefers `linux/amd64`.
    Prefer(Platform),
    /// Take the first runnable entry matching this platform, or fail with
    /// the list of platforms the index has (a user's explicit choice).
    Require(Platform),
}

impl Default for PlatformPolicy {
    /// `linux/amd64` if present, else the first runnable entry.
    fn default() -> PlatformPolicy {
        PlatformPolicy::Prefer(Platform::linux_amd64())
    }
}

impl PlatformPolicy {
    /// The policy for a user's `os/arch[/variant]` string.
    pub fn require(platform: &str) -> Result<PlatformPolicy, PlatformError> {
        Platform::parse(platform).map(PlatformPolicy::Require)
    }

    /// Chooses an entry of `index`. Only runnable entries are ever chosen.
    pub fn select<'a>(&self, index: &'a ImageIndex) -> Result<IndexEntry<'a>, PlatformError> {
        let all = entries(index);
        let runnable: Vec<IndexEntry<'a>> = all
            .iter()
            .copied()
            .filter(IndexEntry::is_runnable)
            .collect();
        let wanted = match self {
            PlatformPolicy::Prefer(p) | PlatformPolicy::Require(p) => p,
        };
        let found = runnable
            .iter()
            .find(|e| e.platform().is_some_and(|p| wanted.matches(p)))
            .copied();
        match (found, self) {
            (Some(e), _) => Ok(e),
            (None, PlatformPolicy::Prefer(_)) => {
                runnable.first().copied().ok_or_else(|| no_runnable(&all))
            }
            (None, PlatformPolicy::Require(_)) if runnable.is_empty() => Err(no_runnable(&all)),
            (None, PlatformPolicy::Require(p)) => Err(PlatformError::NotAvailable {
                wanted: p.to_string(),
                available: runnable.iter().map(IndexEntry::label).collect(),
            }),
        }
    }
}

fn no_runnable(all: &[IndexEntry<'_>]) -> PlatformError {
    let entries = if all.is_empty() {
        "it is empty".to_owned()
    } else {
        let labels: Vec<String> = all.iter().map(IndexEntry::label).collect();
        format!("entries: {}", labels.join(", "))
    };
    PlatformError::NoRunnable { entries }
}
