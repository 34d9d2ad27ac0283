//! The supply chain of an image: the documents attached to it — signatures,
//! SBOMs, provenance — found wherever registries and tools keep them, each
//! verified by digest like every other object, and tied to the files of the
//! merged tree.
//!
//! Sans-IO like the rest of the core: [`discover`] and [`read_documents`]
//! drive a [`Client`](crate::registry::Client) over the shell's `Fetch`; the
//! parsers take verified bytes and return plain values.
//!
//! Where attachments are found (each one a manifest fetched by digest and
//! verified against its descriptor):
//!
//! * the OCI 1.1 referrers API, `GET /v2/<name>/referrers/<digest>`, with
//!   `Link` pagination and the `artifactType` filter ([`FoundBy::ReferrersApi`]);
//! * its tag fallback when the registry has no such API (a 404): an index
//!   under the tag `sha256-<hex>` ([`FoundBy::TagFallback`]);
//! * cosign's tags `sha256-<hex>.sig`, `.att` and `.sbom` ([`FoundBy::CosignTag`]);
//! * BuildKit's attestation manifests inside an index, attached to the
//!   platform manifest their `vnd.docker.reference.digest` names
//!   ([`FoundBy::IndexAttestation`]).
//!
//! Judgement calls, where the specs leave room:
//!
//! * A referrer whose own `subject` is not the image asked about (a
//!   hostile or stale fallback index) is not this image's: it is
//!   [`Rejected`], with the reason, never listed as an attachment.
//! * A cosign signature is checked for what it claims — the manifest digest
//!   and the repository in its simple-signing payload against this image —
//!   and never cryptographically: layerlens holds no keys and no Fulcio or
//!   Rekor roots. [`Signature::NOT_VERIFIED`] says so in one sentence.
//! * Documents are dispatched on the layer's media type, then on the in-toto
//!   `predicateType`, never by trying parsers in turn; a type we do not read
//!   is listed with its type and left unread.
//! * Only SHA-256 is compared against the tree (the scanner hashes file
//!   contents with SHA-256); a file an SBOM lists with SHA-1 alone is
//!   reported as not comparable rather than guessed at.
//! * SBOM paths are normalised as tar paths are (leading `/` and `./`
//!   dropped, `.` and `..` resolved); one that climbs out of the root is
//!   [`FileStatus::Outside`], never looked up.

mod attachment;
mod cyclonedx;
mod discover;
mod documents;
mod error;
mod files;
mod intoto;
mod provenance;
pub mod report;
mod sbom;
mod signature;
mod spdx;

pub use attachment::{Attachment, Discovery, FoundBy, Rejected};
pub use discover::{discover, read_documents, Limits};
pub use documents::{
    parse_content, AttachedDocument, Content, MT_COSIGN_SIMPLE_SIGNING, MT_CYCLONEDX_JSON,
    MT_DSSE_ENVELOPE, MT_IN_TOTO, MT_SPDX_JSON,
};
pub use error::SupplyError;
pub use files::{check_files, FileCheck, FileStatus, FilesSummary};
pub use intoto::{Statement, StatementVersion};
pub use provenance::{Material, Provenance, SlsaVersion, Source};
pub use sbom::{normalise_path, Checksum, Package, Sbom, SbomFile, SbomFormat};
pub use signature::{check_simple_signing, Signature};

/// Largest document (SBOM, statement, signature payload) read. SBOMs of
/// large images run to tens of megabytes; past this a document is named
/// and refused, not parsed (see [`Limits`] to change it).
pub const MAX_DOCUMENT_BYTES: usize = 64 << 20;

/// The annotation BuildKit and ORAS put on an in-toto layer.
pub const PREDICATE_TYPE_ANNOTATION: &str = "in-toto.io/predicate-type";
/// The annotation cosign puts on an attestation layer.
pub const COSIGN_PREDICATE_TYPE_ANNOTATION: &str = "predicateType";
