//! CycloneDX 1.4+ JSON (the CycloneDX JSON schema, `bom-1.5.schema.json`):
//! `bomFormat: CycloneDX`, `specVersion`, `metadata.component`,
//! `components[]` (nested `components[]` flattened, parents first). A
//! component of `type: file` is a file (its `name` the path, `hashes[]` its
//! checksums) owned by the component it is nested in; any other component
//! is a package (`name`, `version`, `purl`, `licenses[]`: `license.id`,
//! `license.name` or `expression`) whose `evidence.occurrences[].location`
//! are files it owns (no checksums there). Nesting is bounded by the JSON
//! parser's depth limit.

use serde::Deserialize;

use super::error::{decode, SupplyError};
use super::sbom::{push_license, Checksum, Package, Sbom, SbomFile, SbomFormat};
use crate::oci::Digest;

const WHAT: &str = "CycloneDX document";

/// The document as written (also an in-toto predicate).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Wire {
    bom_format: String,
    spec_version: String,
    metadata: Option<WireMetadata>,
    #[serde(default)]
    components: Vec<WireComponent>,
}

#[derive(Deserialize)]
struct WireMetadata {
    component: Option<WireName>,
}

#[derive(Deserialize)]
struct WireName {
    name: Option<String>,
}

#[derive(Deserialize)]
struct WireComponent {
    #[serde(rename = "type")]
    kind: String,
    #[serde(rename = "bom-ref")]
    bom_ref: Option<String>,
    name: String,
    version: Option<String>,
    purl: Option<String>,
    #[serde(default)]
    licenses: Vec<WireLicenseChoice>,
    #[serde(default)]
    hashes: Vec<WireHash>,
    evidence: Option<WireEvidence>,
    #[serde(default)]
    components: Vec<WireComponent>,
}

#[derive(Deserialize)]
struct WireLicenseChoice {
    license: Option<WireLicense>,
    expression: Option<String>,
}

#[derive(Deserialize)]
struct WireLicense {
    id: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
struct WireHash {
    alg: String,
    content: String,
}

#[derive(Deserialize)]
struct WireEvidence {
    #[serde(default)]
    occurrences: Vec<WireOccurrence>,
}

#[derive(Deserialize)]
struct WireOccurrence {
    location: String,
}

/// Reads a CycloneDX 1.4+ JSON document (`document` names it in errors).
pub(crate) fn parse(document: &Digest, bytes: &[u8]) -> Result<Sbom, SupplyError> {
    read(document, "", decode(WHAT, document, bytes)?)
}

/// Reads a decoded document; `at` prefixes JSON paths in errors
/// (`predicate.` inside an in-toto statement).
pub(crate) fn read(document: &Digest, at: &str, w: Wire) -> Result<Sbom, SupplyError> {
    if w.bom_format != "CycloneDX" {
        return Err(SupplyError::invalid(
            WHAT,
            document,
            format!("{at}bomFormat"),
            format!("{:?} is not CycloneDX", w.bom_format),
        ));
    }
    let supported = match w.spec_version.split_once('.') {
        Some(("1", minor)) => minor.parse::<u32>().is_ok_and(|m| m >= 4),
        _ => false,
    };
    if !supported {
        return Err(SupplyError::invalid(
            WHAT,
            document,
            format!("{at}specVersion"),
            format!("{:?} is not CycloneDX 1.4 or later", w.spec_version),
        ));
    }
    let mut packages = Vec::new();
    let mut files = Vec::new();
    // Depth first, parents before children, without recursion: (component, owner).
    let mut stack: Vec<(WireComponent, Option<usize>)> =
        w.components.into_iter().rev().map(|c| (c, None)).collect();
    while let Some((mut c, owner)) = stack.pop() {
        let children = std::mem::take(&mut c.components);
        let this_owner = if c.kind == "file" {
            files.push(SbomFile {
                path: c.name,
                checksums: checksums(c.hashes),
                owners: owner.into_iter().collect(),
            });
            owner
        } else {
            let index = packages.len();
            let mut licenses = Vec::new();
            for l in c.licenses {
                match (l.license, l.expression) {
                    (Some(lic), _) => push_license(&mut licenses, lic.id.or(lic.name)),
                    (None, expression) => push_license(&mut licenses, expression),
                }
            }
            for o in c.evidence.map(|e| e.occurrences).unwrap_or_default() {
                files.push(SbomFile {
                    path: o.location,
                    checksums: Vec::new(),
                    owners: vec![index],
                });
            }
            packages.push(Package {
                id: c.bom_ref,
                name: c.name,
                version: c.version,
                licenses,
                purls: c.purl.into_iter().collect(),
            });
            Some(index)
        };
        stack.extend(children.into_iter().rev().map(|c| (c, this_owner)));
    }
    let name = w.metadata.and_then(|m| m.component).and_then(|c| c.name);
    Ok(Sbom::new(
        SbomFormat::CycloneDx(w.spec_version),
        name,
        packages,
        files,
    ))
}

fn checksums(hashes: Vec<WireHash>) -> Vec<Checksum> {
    hashes
        .into_iter()
        .map(|h| Checksum {
            algorithm: h.alg,
            value: h.content.to_ascii_lowercase(),
        })
        .collect()
}
