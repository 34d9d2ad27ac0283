//! What `layerlens referrers` prints: each attachment with where it was
//! found and what its documents say, as text for people (outside text made
//! inert) and as JSON. A pure projection of [`Attachment`]s and their
//! [`AttachedDocument`]s.

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::attachment::Attachment;
use super::documents::{AttachedDocument, Content};
use super::provenance::{Provenance, SlsaVersion};
use super::sbom::Sbom;
use super::signature::Signature;
use crate::dockerfmt::inert;
use crate::oci::base64::base64_encode;
use crate::oci::Digest;

/// One attachment and its documents as a JSON object: `digest`,
/// `mediaType`, `artifactType`, `foundBy`, `tag`, `subject`,
/// `annotations`, `predicateTypes`, `documents`.
pub fn attachment_json(a: &Attachment, documents: &[AttachedDocument]) -> Value {
    json!({
        "digest": a.digest.to_string(),
        "mediaType": a.media_type.as_str(),
        "artifactType": a.artifact_type.as_str(),
        "foundBy": a.found.as_str(),
        "tag": a.tag,
        "subject": a.subject.to_string(),
        "annotations": a.annotations,
        "predicateTypes": a.predicate_types,
        "documents": documents.iter().map(|d| document_json(d, &a.subject)).collect::<Vec<_>>(),
    })
}

fn document_json(d: &AttachedDocument, subject: &Digest) -> Value {
    let mut v = json!({
        "digest": d.descriptor.digest().to_string(),
        "mediaType": d.descriptor.media_type().as_str(),
        "size": d.descriptor.size(),
        "predicateType": d.predicate_type,
    });
    let (kind, body) = match &d.content {
        Err(e) => ("error", json!(e.to_string())),
        Ok(Content::Sbom { sbom, .. }) => ("sbom", sbom_json(sbom)),
        Ok(Content::Provenance { provenance, .. }) => ("provenance", provenance_json(provenance)),
        Ok(Content::Signature(s)) => ("signature", signature_json(s)),
        Ok(Content::Statement(_)) => ("statement", Value::Null),
        Ok(Content::NotRead(_)) => ("not-read", Value::Null),
    };
    v["kind"] = json!(kind);
    if !body.is_null() {
        v[kind] = body;
    }
    if let Some(st) = d.content.as_ref().ok().and_then(Content::statement) {
        v["statementSubjects"] = json!(st
            .subjects
            .iter()
            .map(|(name, digest)| json!({"name": name, "digest": digest}))
            .collect::<Vec<_>>());
        v["statementNamesSubject"] = json!(st.names(subject));
    }
    v
}

fn sbom_json(s: &Sbom) -> Value {
    json!({
        "format": s.format.to_string(),
        "name": s.name,
        "packages": s.packages.iter().map(|p| json!({
            "name": p.name, "version": p.version, "licenses": p.licenses, "purls": p.purls,
        })).collect::<Vec<_>>(),
        "files": s.files.len(),
    })
}

fn slsa(v: SlsaVersion) -> &'static str {
    match v {
        SlsaVersion::V0_2 => "v0.2",
        SlsaVersion::V1 => "v1",
    }
}

fn provenance_json(p: &Provenance) -> Value {
    json!({
        "slsaVersion": slsa(p.version),
        "builder": p.builder,
        "buildType": p.build_type,
        "source": p.source.as_ref().map(|s| json!({"repository": s.repository, "commit": s.commit})),
        "materials": p.materials.iter().map(|m| json!({"uri": m.uri, "digest": m.digest}))
            .collect::<Vec<_>>(),
    })
}

fn signature_json(s: &Signature) -> Value {
    json!({
        "signedDigest": s.signed_digest.to_string(),
        "digestMatches": s.digest_matches,
        "dockerReference": s.docker_reference,
        "referenceMatches": s.reference_matches,
        "signature": s.signature.as_deref().map(base64_encode),
        "certificate": s.certificate,
        "chain": s.chain,
        "bundle": s.has_bundle,
        "cryptographicallyVerified": false,
        "note": Signature::NOT_VERIFIED,
    })
}

/// One attachment and its documents as text: a head line (digest, artifact
/// type, where it was found), then indented details. Every string from the
/// registry or a document goes through [`inert`].
pub fn attachment_text(a: &Attachment, documents: &[AttachedDocument]) -> String {
    let mut out = String::new();
    let found = match &a.tag {
        Some(t) => format!("{} {}", a.found.describe(), inert(t)),
        None => a.found.describe().to_owned(),
    };
    let _ = writeln!(
        out,
        "{}\t{}\t{found}",
        a.digest,
        inert(a.artifact_type.as_str())
    );
    let _ = writeln!(out, "  subject: {}", a.subject);
    let _ = writeln!(out, "  media type: {}", inert(a.media_type.as_str()));
    for (k, v) in &a.annotations {
        let _ = writeln!(out, "  annotation: {}={}", inert(k), inert(v));
    }
    for d in documents {
        document_text(&mut out, d, &a.subject);
    }
    out
}

fn document_text(out: &mut String, d: &AttachedDocument, subject: &Digest) {
    let _ = write!(
        out,
        "  document {} {}",
        d.descriptor.digest(),
        inert(d.descriptor.media_type().as_str())
    );
    if let Some(t) = &d.predicate_type {
        let _ = write!(out, " predicate {}", inert(t));
    }
    out.push('\n');
    match &d.content {
        Err(e) => {
            let _ = writeln!(out, "    error: {}", inert(&e.to_string()));
        }
        Ok(Content::Signature(s)) => {
            let _ = writeln!(out, "    signature: {}", inert(&s.verdict()));
            if let Some(r) = &s.docker_reference {
                let _ = writeln!(out, "    docker-reference: {}", inert(r));
            }
            let _ = writeln!(
                out,
                "    signature bytes: {}; certificate: {}",
                if s.signature.is_some() {
                    "present"
                } else {
                    "absent"
                },
                if s.certificate.is_some() {
                    "present"
                } else {
                    "absent"
                },
            );
        }
        Ok(Content::Sbom { sbom, .. }) => {
            let _ = writeln!(
                out,
                "    SBOM: {} \"{}\", {} packages, {} files",
                sbom.format,
                inert(sbom.name.as_deref().unwrap_or("")),
                sbom.packages.len(),
                sbom.files.len()
            );
            for p in &sbom.packages {
                let _ = writeln!(
                    out,
                    "      {} {}\t{}\t{}",
                    inert(&p.name),
                    inert(p.version.as_deref().unwrap_or("-")),
                    inert(&p.licenses.join(", ")),
                    inert(&p.purls.join(" ")),
                );
            }
        }
        Ok(Content::Provenance { provenance: p, .. }) => {
            let _ = writeln!(out, "    provenance: SLSA {}", slsa(p.version));
            let field = |out: &mut String, name: &str, v: Option<&str>| {
                let _ = writeln!(out, "      {name}: {}", inert(v.unwrap_or("-")));
            };
            field(out, "builder", p.builder.as_deref());
            field(out, "build type", p.build_type.as_deref());
            field(
                out,
                "source",
                p.source.as_ref().map(|s| s.repository.as_str()),
            );
            field(
                out,
                "commit",
                p.source.as_ref().and_then(|s| s.commit.as_deref()),
            );
            for m in &p.materials {
                let _ = writeln!(out, "      material: {}", inert(&m.uri));
            }
        }
        Ok(Content::Statement(_)) | Ok(Content::NotRead(_)) => {
            let _ = writeln!(out, "    (not read: a type layerlens does not summarise)");
        }
    }
    if let Some(st) = d.content.as_ref().ok().and_then(Content::statement) {
        let about = if st.names(subject) {
            "names this image"
        } else {
            "does NOT name this image"
        };
        let _ = writeln!(out, "    in-toto statement: {about}");
    }
}
