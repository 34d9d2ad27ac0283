//! One attached document read: dispatched on its layer's media type, and
//! for in-toto statements on the `predicateType`, to exactly one parser.

use std::collections::BTreeMap;

use super::error::SupplyError;
use super::intoto::{self, Statement};
use super::provenance::{self, Provenance, SLSA_V02, SLSA_V1};
use super::sbom::Sbom;
use super::signature::{check_simple_signing, Signature};
use super::{cyclonedx, spdx};
use crate::oci::{Descriptor, Digest, MediaType, Verified};

/// An in-toto statement (BuildKit attestations, `application/vnd.in-toto+json`).
pub const MT_IN_TOTO: &str = "application/vnd.in-toto+json";
/// A DSSE envelope (cosign attestations).
pub const MT_DSSE_ENVELOPE: &str = "application/vnd.dsse.envelope.v1+json";
/// A cosign simple-signing payload.
pub const MT_COSIGN_SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// SPDX JSON (IANA's type; cosign writes `text/spdx+json`, also read).
pub const MT_SPDX_JSON: &str = "application/spdx+json";
/// CycloneDX JSON.
pub const MT_CYCLONEDX_JSON: &str = "application/vnd.cyclonedx+json";

const SPDX_PREDICATE: &str = "https://spdx.dev/Document";
const CYCLONEDX_PREDICATE: &str = "https://cyclonedx.org/bom";

/// What one document says.
// A handful per image; boxing the SBOM would only add an indirection.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// An SBOM, plain or as the predicate of `statement`.
    Sbom {
        /// The statement around it, when it came as an attestation.
        statement: Option<Statement>,
        /// The packages and files.
        sbom: Sbom,
    },
    /// SLSA provenance.
    Provenance {
        /// The statement around it.
        statement: Statement,
        /// The summary.
        provenance: Provenance,
    },
    /// A cosign signature and what its payload claims.
    Signature(Signature),
    /// A statement whose predicate type layerlens does not read (listed
    /// with its type and subjects).
    Statement(Statement),
    /// A media type layerlens does not read: not fetched.
    NotRead(MediaType),
}

impl Content {
    /// The in-toto statement the content came in, if any.
    pub fn statement(&self) -> Option<&Statement> {
        match self {
            Content::Sbom { statement, .. } => statement.as_ref(),
            Content::Provenance { statement, .. } | Content::Statement(statement) => {
                Some(statement)
            }
            Content::Signature(_) | Content::NotRead(_) => None,
        }
    }

    /// Whether a document of `media_type` is one layerlens reads (and so fetches).
    pub fn is_read(media_type: &MediaType) -> bool {
        matches!(
            media_type.as_str(),
            MT_IN_TOTO
                | MT_DSSE_ENVELOPE
                | MT_COSIGN_SIMPLE_SIGNING
                | MT_SPDX_JSON
                | "text/spdx+json"
                | MT_CYCLONEDX_JSON
        )
    }
}

/// One layer of an attachment: its descriptor, the predicate type its
/// annotations announce, and what it says (or why it could not be read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedDocument {
    /// The layer's descriptor (media type, digest, size, annotations).
    pub descriptor: Descriptor,
    /// The predicate type: the statement's own once read, else the annotation's.
    pub predicate_type: Option<String>,
    /// What it says.
    pub content: Result<Content, SupplyError>,
    /// Its bytes as verified against the descriptor, when it was read (for
    /// a download or the raw view).
    pub bytes: Option<Vec<u8>>,
}

/// Reads one verified document of `media_type` found on `image` (its
/// repository `name`); `annotations` are its layer's (a signature's bytes
/// and certificate live there).
pub fn parse_content(
    bytes: &Verified,
    media_type: &MediaType,
    annotations: &BTreeMap<String, String>,
    image: &Digest,
    name: &str,
) -> Result<Content, SupplyError> {
    let document = bytes.digest();
    let bytes = bytes.bytes();
    match media_type.as_str() {
        MT_COSIGN_SIMPLE_SIGNING => {
            check_simple_signing(document, bytes, annotations, image, name).map(Content::Signature)
        }
        MT_SPDX_JSON | "text/spdx+json" => Ok(Content::Sbom {
            statement: None,
            sbom: spdx::parse(document, bytes)?,
        }),
        MT_CYCLONEDX_JSON => Ok(Content::Sbom {
            statement: None,
            sbom: cyclonedx::parse(document, bytes)?,
        }),
        MT_IN_TOTO => statement(document, bytes),
        MT_DSSE_ENVELOPE => {
            let (payload_type, payload) = intoto::dsse_payload(document, bytes)?;
            if payload_type != MT_IN_TOTO {
                return Err(SupplyError::invalid(
                    "DSSE envelope",
                    document,
                    "payloadType",
                    format!("{payload_type:?} is not an in-toto statement"),
                ));
            }
            statement(document, &payload)
        }
        _ => Ok(Content::NotRead(media_type.clone())),
    }
}

/// An in-toto statement and its predicate, dispatched on `predicateType`.
fn statement(document: &Digest, bytes: &[u8]) -> Result<Content, SupplyError> {
    let statement = intoto::parse(document, bytes)?;
    let t = statement.predicate_type.as_str();
    let sbom = if t.starts_with(SPDX_PREDICATE) {
        let wire = intoto::predicate("SPDX predicate", document, bytes)?;
        Some(spdx::read(document, "predicate.", wire)?)
    } else if t.starts_with(CYCLONEDX_PREDICATE) {
        let wire = intoto::predicate("CycloneDX predicate", document, bytes)?;
        Some(cyclonedx::read(document, "predicate.", wire)?)
    } else {
        None
    };
    if let Some(sbom) = sbom {
        return Ok(Content::Sbom {
            statement: Some(statement),
            sbom,
        });
    }
    if t == SLSA_V02 || t == SLSA_V1 {
        let provenance = provenance::parse(document, t, bytes)?;
        return Ok(Content::Provenance {
            statement,
            provenance,
        });
    }
    Ok(Content::Statement(statement))
}
