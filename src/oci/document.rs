//! Manifests and indexes as one [`Document`], parsed by media type.
//!
//! [`parse_document`] dispatches on the media type — the document's own
//! `mediaType` field if it has one, else the caller's hint (the descriptor's
//! type, or the response's `Content-Type`) — and runs exactly one decoder.
//! It never tries decoders in turn and never guesses from the JSON's shape.
//! A document that says one thing while its descriptor or response says
//! another is refused, naming both.

use crate::oci::digest::{Digest, Verified};
use crate::oci::json::{check_size, decode_json, object_only};
use crate::oci::{ImageIndex, ImageManifest, MediaType};

/// Largest manifest or index we parse. Registries cap manifests at 4 MiB
/// (the distribution spec's suggested limit; Docker Hub and containerd use it).
pub const MAX_MANIFEST_BYTES: usize = 4 << 20;

/// What went wrong in a JSON document, as far as `serde_json` can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonErrorKind {
    /// Not JSON at all, or nested deeper than the parser's limit (128).
    Syntax,
    /// The document ended early.
    Truncated,
    /// Well-formed JSON with a wrong type, a missing field or a bad value.
    Data,
}

/// Why a document (manifest, index, config or standalone descriptor) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// The document is larger than we are willing to parse.
    #[error("{what} is {size} bytes, more than the {limit}-byte limit")]
    TooLarge {
        /// Which kind of document.
        what: &'static str,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The JSON is malformed or does not fit the spec's types.
    #[error("{what}: {message} (at {path}, line {line}, column {column})")]
    Json {
        /// Which kind of document.
        what: &'static str,
        /// Syntax, truncation, or a type/value problem.
        kind: JsonErrorKind,
        /// Where, as a path into the document (`layers[0].size`; `.` is the top level).
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What serde_json or our field check said.
        message: String,
    },
    /// Well-formed and well-typed, but breaking a rule of the spec.
    #[error("{what}: {field}: {reason}")]
    Invalid {
        /// Which kind of document.
        what: &'static str,
        /// The field, as a path into the document.
        field: String,
        /// The rule broken.
        reason: String,
    },
    /// Docker's schema1 manifests are recognised and refused.
    #[error(
        "schema1 is not supported ({media_type}): this is Docker's deprecated image manifest \
         v2 schema 1; push the image again with a current Docker or BuildKit to get schema2/OCI"
    )]
    Schema1 {
        /// The media type it came with, or `schemaVersion 1` when only that told us.
        media_type: String,
    },
    /// Nothing says what the document is.
    #[error(
        "the document has no mediaType field and no media type was given \
         (neither a descriptor's mediaType nor a Content-Type)"
    )]
    NoMediaType,
    /// The document's `mediaType` contradicts the descriptor or response.
    #[error("the document says it is {document} but its descriptor or Content-Type says {hint}")]
    MediaTypeMismatch {
        /// The document's own `mediaType` field.
        document: MediaType,
        /// What the caller was told.
        hint: MediaType,
    },
    /// A registered type that is not a manifest or index (a config, a layer…).
    #[error("{media_type} is {kind}, not a manifest or index")]
    NotADocument {
        /// The type.
        media_type: MediaType,
        /// What that type is (`an image config`, `a layer`).
        kind: &'static str,
    },
    /// A media type we do not parse as a manifest or index.
    #[error("unsupported media type {media_type}: not an image manifest or index")]
    Unsupported {
        /// The type.
        media_type: MediaType,
    },
}

/// A manifest or an index: what a reference or an index entry resolves to.
// The variants differ by a few hundred bytes and a program holds a handful of
// documents at a time: boxing would only add an indirection to every match.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Document {
    /// A list of manifests (OCI index, Docker manifest list).
    Index(ImageIndex),
    /// One image or artifact (OCI manifest, Docker schema2).
    Manifest(ImageManifest),
}

impl Document {
    /// The media type the document was parsed as.
    pub fn media_type(&self) -> &MediaType {
        match self {
            Document::Index(i) => i.media_type(),
            Document::Manifest(m) => m.media_type(),
        }
    }

    /// The digest of the exact bytes it was parsed from.
    pub fn digest(&self) -> &Digest {
        match self {
            Document::Index(i) => i.digest(),
            Document::Manifest(m) => m.digest(),
        }
    }
}

/// Just enough of a document to choose its decoder.
#[derive(serde::Deserialize)]
#[serde(remote = "Self")]
struct Probe {
    #[serde(rename = "mediaType")]
    media_type: Option<MediaType>,
    #[serde(rename = "schemaVersion")]
    schema_version: Option<i64>,
}
object_only!(Probe, "a JSON object");

/// Parses a verified manifest or index, dispatching on its media type.
///
/// `hint` is what the caller was told the document is: the descriptor's
/// `mediaType` when it came from an index, or the response's `Content-Type`
/// (see [`MediaType::from_content_type`]) when it came from a tag. The
/// document's own `mediaType` field wins when present, and must then agree
/// with the hint; without the field (some tools omit it) the hint decides.
/// A generic `Content-Type` (`application/json`, `application/octet-stream`)
/// says nothing about the document: pass `None` rather than such a hint.
pub fn parse_document(
    bytes: &Verified,
    hint: Option<&MediaType>,
) -> Result<Document, DocumentError> {
    check_size("document", bytes.bytes(), MAX_MANIFEST_BYTES)?;
    let probe: Probe = decode_json("document", bytes.bytes())?;
    let media_type = match (probe.media_type, hint) {
        (Some(own), Some(hint)) if !own.same_as(hint) => {
            return Err(DocumentError::MediaTypeMismatch {
                document: own,
                hint: hint.clone(),
            })
        }
        (Some(own), _) => own,
        (None, Some(hint)) => hint.clone(),
        (None, None) if probe.schema_version == Some(1) => {
            return Err(DocumentError::Schema1 {
                media_type: "schemaVersion 1".into(),
            })
        }
        (None, None) => return Err(DocumentError::NoMediaType),
    };
    if media_type.is_schema1() || probe.schema_version == Some(1) {
        return Err(DocumentError::Schema1 {
            media_type: media_type.to_string(),
        });
    }
    let verified_digest = bytes.digest().clone();
    match &media_type {
        t if t.is_index() => ImageIndex::decode(bytes.bytes(), verified_digest, media_type.clone())
            .map(Document::Index),
        t if t.is_manifest() => {
            ImageManifest::decode(bytes.bytes(), verified_digest, media_type.clone())
                .map(Document::Manifest)
        }
        t if t.is_config() => Err(DocumentError::NotADocument {
            media_type: media_type.clone(),
            kind: "an image config",
        }),
        t if t.is_layer() => Err(DocumentError::NotADocument {
            media_type: media_type.clone(),
            kind: "a layer",
        }),
        MediaType::OciEmpty => Err(DocumentError::NotADocument {
            media_type: media_type.clone(),
            kind: "the empty descriptor's blob",
        }),
        _ => Err(DocumentError::Unsupported { media_type }),
    }
}

/// Checks `schemaVersion` is 2, the only version of both OCI documents and
/// Docker schema2 (the schemas: `minimum: 2, maximum: 2`).
pub(crate) fn check_schema_version(what: &'static str, v: i64) -> Result<(), DocumentError> {
    if v != 2 {
        return Err(DocumentError::Invalid {
            what,
            field: "schemaVersion".into(),
            reason: format!("must be 2, got {v}"),
        });
    }
    Ok(())
}
