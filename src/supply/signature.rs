//! cosign signatures: a simple-signing payload
//! (`application/vnd.dev.cosign.simplesigning.v1+json`; containers/image
//! `docs/containers-signature.5.md`, cosign's `payload` package) whose
//! `critical.image.docker-manifest-digest` names what is signed and
//! `critical.identity.docker-reference` the repository, with the signature
//! itself and its certificate in the layer's annotations
//! (`dev.cosignproject.cosign/signature`, `dev.sigstore.cosign/certificate`,
//! `…/chain`, `…/bundle`).
//!
//! What is checked: that the payload names this image's digest and
//! repository. What is not: the signature bytes against any key or
//! certificate (see [`Signature::NOT_VERIFIED`]).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::error::{decode, SupplyError};
use crate::oci::{base64::base64_decode, Digest, Reference};

const WHAT: &str = "signature payload";

/// The annotation holding the base64 signature.
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
/// The annotation holding the signing certificate (PEM).
pub const CERTIFICATE_ANNOTATION: &str = "dev.sigstore.cosign/certificate";
/// The annotation holding the certificate chain (PEM).
pub const CHAIN_ANNOTATION: &str = "dev.sigstore.cosign/chain";
/// The annotation holding the Rekor bundle (JSON).
pub const BUNDLE_ANNOTATION: &str = "dev.sigstore.cosign/bundle";

/// A signature found on the image, and what its payload claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The digest the payload says is signed (`docker-manifest-digest`).
    pub signed_digest: Digest,
    /// Whether that is the digest of the image it was found on.
    pub digest_matches: bool,
    /// The repository the payload names (`docker-reference`), as written.
    pub docker_reference: Option<String>,
    /// Whether that names this image's repository (`None` when absent).
    pub reference_matches: Option<bool>,
    /// The signature bytes (decoded from the annotation), when present.
    pub signature: Option<Vec<u8>>,
    /// The signing certificate (PEM), when present (keyless signing).
    pub certificate: Option<String>,
    /// The certificate chain (PEM), when present.
    pub chain: Option<String>,
    /// Whether a transparency-log bundle is attached.
    pub has_bundle: bool,
}

impl Signature {
    /// What layerlens does not do, said plainly wherever a signature is shown.
    pub const NOT_VERIFIED: &'static str =
        "not cryptographically verified: layerlens checks what the signature claims, \
         not the signature itself (use cosign verify with the signer's key or identity)";

    /// A one-line verdict for people: present, bound or not, never "valid".
    pub fn verdict(&self) -> String {
        let bound = if self.digest_matches {
            format!("present and bound to this digest ({})", self.signed_digest)
        } else {
            format!(
                "present but NOT for this image: it signs {}",
                self.signed_digest
            )
        };
        let reference = match (self.reference_matches, &self.docker_reference) {
            (Some(false), Some(r)) => format!("; it names another repository ({r})"),
            _ => String::new(),
        };
        format!("{bound}{reference}; {}", Signature::NOT_VERIFIED)
    }
}

#[derive(Deserialize)]
struct Wire {
    critical: Critical,
}

#[derive(Deserialize)]
struct Critical {
    identity: Option<Identity>,
    image: Image,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct Identity {
    #[serde(rename = "docker-reference")]
    docker_reference: Option<String>,
}

#[derive(Deserialize)]
struct Image {
    #[serde(rename = "docker-manifest-digest")]
    docker_manifest_digest: String,
}

/// Reads a simple-signing payload found on `image` (`name`: the image's
/// repository, as `Reference::name` gives it) with the annotations of its
/// layer, and checks the payload's claims against them.
pub fn check_simple_signing(
    document: &Digest,
    payload: &[u8],
    annotations: &BTreeMap<String, String>,
    image: &Digest,
    name: &str,
) -> Result<Signature, SupplyError> {
    let w: Wire = decode(WHAT, document, payload)?;
    let kind = w.critical.kind.to_ascii_lowercase();
    if kind != "cosign container image signature" && kind != "atomic container signature" {
        return Err(SupplyError::invalid(
            WHAT,
            document,
            "critical.type",
            format!("{:?} is not a container image signature", w.critical.kind),
        ));
    }
    let signed_digest: Digest = w
        .critical
        .image
        .docker_manifest_digest
        .parse()
        .map_err(|e| {
            SupplyError::invalid(
                WHAT,
                document,
                "critical.image.docker-manifest-digest",
                format!("{e}"),
            )
        })?;
    let docker_reference = w.critical.identity.and_then(|i| i.docker_reference);
    let reference_matches = docker_reference.as_deref().map(|r| {
        Reference::parse_normalized(r).is_ok_and(|parsed| parsed.name() == name) || r == name
    });
    let signature = annotations
        .get(SIGNATURE_ANNOTATION)
        .map(|s| {
            base64_decode(s.trim()).map_err(|reason| {
                SupplyError::invalid(
                    WHAT,
                    document,
                    format!("annotations.{SIGNATURE_ANNOTATION}"),
                    reason,
                )
            })
        })
        .transpose()?;
    Ok(Signature {
        digest_matches: &signed_digest == image,
        signed_digest,
        docker_reference,
        reference_matches,
        signature,
        certificate: annotations.get(CERTIFICATE_ANNOTATION).cloned(),
        chain: annotations.get(CHAIN_ANNOTATION).cloned(),
        has_bundle: annotations.contains_key(BUNDLE_ANNOTATION),
    })
}
