//! Attachments as found: one verified manifest each, where it was found,
//! what it is attached to; and what was found but refused.

use std::collections::BTreeMap;

use super::error::SupplyError;
use super::{COSIGN_PREDICATE_TYPE_ANNOTATION, MT_IN_TOTO, PREDICATE_TYPE_ANNOTATION};
use crate::oci::{Descriptor, Digest, Document, MediaType};

/// Where an attachment was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FoundBy {
    /// The registry's referrers API (`/v2/<name>/referrers/<digest>`).
    ReferrersApi,
    /// The referrers tag fallback: the index tagged `sha256-<hex>`.
    TagFallback,
    /// A cosign tag: `sha256-<hex>.sig`, `.att` or `.sbom`.
    CosignTag,
    /// A BuildKit attestation manifest in the image's index.
    IndexAttestation,
}

impl FoundBy {
    /// The name used in JSON (`referrers-api`, `tag-fallback`, `cosign-tag`,
    /// `index-attestation`).
    pub fn as_str(self) -> &'static str {
        match self {
            FoundBy::ReferrersApi => "referrers-api",
            FoundBy::TagFallback => "tag-fallback",
            FoundBy::CosignTag => "cosign-tag",
            FoundBy::IndexAttestation => "index-attestation",
        }
    }

    /// The name for people (`referrers API`, `tag fallback`, …).
    pub fn describe(self) -> &'static str {
        match self {
            FoundBy::ReferrersApi => "referrers API",
            FoundBy::TagFallback => "tag fallback",
            FoundBy::CosignTag => "cosign tag",
            FoundBy::IndexAttestation => "index attestation",
        }
    }
}

/// A document attached to the image: a manifest fetched by digest and
/// verified, bound to `subject` (the index or the platform manifest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The attachment manifest's digest.
    pub digest: Digest,
    /// Its media type.
    pub media_type: MediaType,
    /// What it is: its `artifactType`, else the listing's, else (cosign,
    /// BuildKit) the first layer's media type, else the config's.
    pub artifact_type: MediaType,
    /// Where it was found.
    pub found: FoundBy,
    /// The tag it was found under (tag fallback, cosign), if any.
    pub tag: Option<String>,
    /// The listing's annotations with the manifest's own over them.
    pub annotations: BTreeMap<String, String>,
    /// The in-toto predicate types its layers announce, in layer order.
    pub predicate_types: Vec<String>,
    /// What it is attached to: the image's index or its platform manifest.
    pub subject: Digest,
    /// Its layers: the documents themselves (see `read_documents`).
    pub layers: Vec<Descriptor>,
    /// The manifest's bytes as verified (for a download or the raw view).
    pub manifest: Vec<u8>,
}

impl Attachment {
    /// An attachment from the descriptor that listed it and the verified
    /// document it names.
    pub(crate) fn new(
        listed: &Descriptor,
        document: &Document,
        found: FoundBy,
        subject: Digest,
        tag: Option<String>,
    ) -> Attachment {
        let mut annotations = listed.annotations().clone();
        let (layers, own_type, fallback_type) = match document {
            Document::Manifest(m) => {
                annotations.extend(m.annotations().clone());
                let first_layer = m.layers().first().map(|l| l.media_type().clone());
                let fallback = match (found, first_layer) {
                    (FoundBy::IndexAttestation, first) => {
                        first.unwrap_or_else(|| MediaType::Other(MT_IN_TOTO.to_owned()))
                    }
                    (_, first) => m
                        .effective_artifact_type()
                        .cloned()
                        .or(first)
                        .unwrap_or_else(|| m.config().media_type().clone()),
                };
                (m.layers().to_vec(), m.artifact_type().cloned(), fallback)
            }
            Document::Index(i) => {
                annotations.extend(i.annotations().clone());
                (
                    Vec::new(),
                    i.artifact_type().cloned(),
                    i.media_type().clone(),
                )
            }
        };
        let artifact_type = own_type
            .or_else(|| listed.artifact_type().cloned())
            .unwrap_or(fallback_type);
        let mut predicate_types: Vec<String> = Vec::new();
        for l in &layers {
            let t = l
                .annotation(PREDICATE_TYPE_ANNOTATION)
                .or_else(|| l.annotation(COSIGN_PREDICATE_TYPE_ANNOTATION));
            if let Some(t) = t {
                if !predicate_types.iter().any(|p| p == t) {
                    predicate_types.push(t.to_owned());
                }
            }
        }
        Attachment {
            digest: document.digest().clone(),
            media_type: document.media_type().clone(),
            artifact_type,
            found,
            tag,
            annotations,
            predicate_types,
            subject,
            layers,
            manifest: Vec::new(),
        }
    }
}

/// Something found that is not this image's attachment, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The manifest's digest.
    pub digest: Digest,
    /// Where it was found.
    pub found: FoundBy,
    /// The digest it was listed for.
    pub listed_for: Digest,
    /// Why it is not listed (`its subject is sha256:… (another image)`).
    pub reason: String,
}

/// Everything found about an image's supply chain.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    /// The digests asked about: the index (when there is one), then the
    /// platform manifest.
    pub subjects: Vec<Digest>,
    /// The attachments, in the order found.
    pub attachments: Vec<Attachment>,
    /// Documents found and refused.
    pub rejected: Vec<Rejected>,
    /// Places that could not be looked in (the others still were).
    pub problems: Vec<SupplyError>,
    /// Whether the registry has the referrers API (`None`: not asked).
    pub referrers_api: Option<bool>,
}
