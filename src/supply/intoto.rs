//! in-toto Statements, v0.1 and v1 (in-toto attestation framework,
//! `spec/v0.1.0/statement.md` and `spec/v1/statement.md`): `_type`,
//! `subject[]` (`name`, `digest` map), `predicateType` and `predicate`.
//! The predicate is read by [`super::documents`], dispatched on
//! `predicateType`; this module reads the envelope around it.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::error::{decode, SupplyError};
use crate::oci::{base64::base64_decode, Digest};

const WHAT: &str = "in-toto statement";
const DSSE: &str = "DSSE envelope";

/// `_type` of an in-toto Statement v0.1.
pub const STATEMENT_V01: &str = "https://in-toto.io/Statement/v0.1";
/// `_type` of an in-toto Statement v1.
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";

/// Which version of the Statement layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementVersion {
    /// `https://in-toto.io/Statement/v0.1`.
    V0_1,
    /// `https://in-toto.io/Statement/v1`.
    V1,
}

/// An in-toto Statement's envelope: what it is about and what kind of
/// claim it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The Statement version.
    pub version: StatementVersion,
    /// The subjects: names and their digests (`sha256` → hex), as written.
    pub subjects: Vec<(String, BTreeMap<String, String>)>,
    /// The predicate's type URI.
    pub predicate_type: String,
}

impl Statement {
    /// Whether one of the subjects carries `digest` (same algorithm and
    /// value): a statement about this image, not another.
    pub fn names(&self, digest: &Digest) -> bool {
        self.subjects.iter().any(|(_, d)| {
            d.get(digest.algorithm().name())
                .is_some_and(|v| v.eq_ignore_ascii_case(digest.hex()))
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    #[serde(rename = "_type")]
    kind: String,
    #[serde(default)]
    subject: Vec<WireSubject>,
    predicate_type: String,
}

#[derive(Deserialize)]
struct WireSubject {
    #[serde(default)]
    name: String,
    #[serde(default)]
    digest: BTreeMap<String, String>,
}

/// Reads a Statement's envelope (`document` names it in errors).
pub(crate) fn parse(document: &Digest, bytes: &[u8]) -> Result<Statement, SupplyError> {
    let w: Wire = decode(WHAT, document, bytes)?;
    let version = match w.kind.as_str() {
        STATEMENT_V01 => StatementVersion::V0_1,
        STATEMENT_V1 => StatementVersion::V1,
        other => {
            return Err(SupplyError::invalid(
                WHAT,
                document,
                "_type",
                format!("{other:?} is not an in-toto Statement v0.1 or v1"),
            ))
        }
    };
    Ok(Statement {
        version,
        subjects: w.subject.into_iter().map(|s| (s.name, s.digest)).collect(),
        predicate_type: w.predicate_type,
    })
}

/// The predicate of a statement, read as `T`.
pub(crate) fn predicate<T: serde::de::DeserializeOwned>(
    what: &'static str,
    document: &Digest,
    bytes: &[u8],
) -> Result<T, SupplyError> {
    #[derive(Deserialize)]
    struct With<T> {
        predicate: T,
    }
    decode::<With<T>>(what, document, bytes).map(|w| w.predicate)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    payload_type: String,
    payload: String,
}

/// The payload of a DSSE envelope (`dsse/envelope.md`): its type and the
/// decoded bytes. The envelope's signatures are not checked (no keys).
pub(crate) fn dsse_payload(
    document: &Digest,
    bytes: &[u8],
) -> Result<(String, Vec<u8>), SupplyError> {
    let e: Envelope = decode(DSSE, document, bytes)?;
    let payload = base64_decode(&e.payload)
        .map_err(|reason| SupplyError::invalid(DSSE, document, "payload", reason))?;
    Ok((e.payload_type, payload))
}
