//! SPDX 2.x JSON (SPDX 2.3 specification, the JSON schema
//! `spdx-schema.json`): `spdxVersion`, `packages[]` (`SPDXID`, `name`,
//! `versionInfo`, `licenseConcluded`, `licenseDeclared`, `externalRefs[]`
//! with `referenceType: purl`, `hasFiles[]`), `files[]` (`SPDXID`,
//! `fileName`, `checksums[]`) and `relationships[]`: a file belongs to a
//! package by `hasFiles`, `CONTAINS` (package → file) or `CONTAINED_BY`
//! (file → package). Unknown fields are ignored; a field of the wrong type
//! is an error naming its path.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::error::{decode, SupplyError};
use super::sbom::{push_license, Checksum, Package, Sbom, SbomFile, SbomFormat};
use crate::oci::Digest;

const WHAT: &str = "SPDX document";

/// The document as written (also an in-toto predicate).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Wire {
    spdx_version: String,
    name: Option<String>,
    #[serde(default)]
    packages: Vec<WirePackage>,
    #[serde(default)]
    files: Vec<WireFile>,
    #[serde(default)]
    relationships: Vec<WireRelationship>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WirePackage {
    #[serde(rename = "SPDXID")]
    spdx_id: Option<String>,
    name: String,
    version_info: Option<String>,
    license_concluded: Option<String>,
    license_declared: Option<String>,
    #[serde(default)]
    external_refs: Vec<WireRef>,
    #[serde(default)]
    has_files: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireRef {
    reference_type: String,
    reference_locator: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireFile {
    #[serde(rename = "SPDXID")]
    spdx_id: Option<String>,
    file_name: String,
    #[serde(default)]
    checksums: Vec<WireChecksum>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireChecksum {
    algorithm: String,
    checksum_value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireRelationship {
    spdx_element_id: String,
    relationship_type: String,
    related_spdx_element: String,
}

/// Reads an SPDX 2.x JSON document (`document` names it in errors).
pub(crate) fn parse(document: &Digest, bytes: &[u8]) -> Result<Sbom, SupplyError> {
    read(document, "", decode(WHAT, document, bytes)?)
}

/// Reads a decoded document; `at` prefixes JSON paths in errors
/// (`predicate.` inside an in-toto statement).
pub(crate) fn read(document: &Digest, at: &str, w: Wire) -> Result<Sbom, SupplyError> {
    if !w.spdx_version.starts_with("SPDX-2.") {
        return Err(SupplyError::invalid(
            WHAT,
            document,
            format!("{at}spdxVersion"),
            format!("{:?} is not SPDX 2.x", w.spdx_version),
        ));
    }
    let mut package_ids: BTreeMap<&str, usize> = BTreeMap::new();
    let mut packages = Vec::with_capacity(w.packages.len());
    for (i, p) in w.packages.iter().enumerate() {
        if let Some(id) = &p.spdx_id {
            package_ids.insert(id, i);
        }
        let mut licenses = Vec::new();
        push_license(&mut licenses, p.license_concluded.clone());
        push_license(&mut licenses, p.license_declared.clone());
        packages.push(Package {
            id: p.spdx_id.clone(),
            name: p.name.clone(),
            version: p.version_info.clone(),
            licenses,
            purls: p
                .external_refs
                .iter()
                .filter(|r| r.reference_type == "purl")
                .map(|r| r.reference_locator.clone())
                .collect(),
        });
    }
    let file_ids: BTreeMap<&str, usize> = w
        .files
        .iter()
        .enumerate()
        .filter_map(|(i, f)| f.spdx_id.as_deref().map(|id| (id, i)))
        .collect();
    let mut owners: Vec<Vec<usize>> = vec![Vec::new(); w.files.len()];
    let mut own = |package: usize, file: &str| {
        if let Some(&f) = file_ids.get(file) {
            if let Some(list) = owners.get_mut(f) {
                if !list.contains(&package) {
                    list.push(package);
                }
            }
        }
    };
    for (i, p) in w.packages.iter().enumerate() {
        for f in &p.has_files {
            own(i, f);
        }
    }
    for r in &w.relationships {
        let (package, file) = match r.relationship_type.as_str() {
            "CONTAINS" => (&r.spdx_element_id, &r.related_spdx_element),
            "CONTAINED_BY" => (&r.related_spdx_element, &r.spdx_element_id),
            _ => continue,
        };
        if let Some(&p) = package_ids.get(package.as_str()) {
            own(p, file);
        }
    }
    let files = w
        .files
        .into_iter()
        .zip(owners)
        .map(|(f, owners)| SbomFile {
            path: f.file_name,
            checksums: f
                .checksums
                .into_iter()
                .map(|c| Checksum {
                    algorithm: c.algorithm,
                    value: c.checksum_value.to_ascii_lowercase(),
                })
                .collect(),
            owners,
        })
        .collect();
    Ok(Sbom::new(
        SbomFormat::Spdx(w.spdx_version),
        w.name,
        packages,
        files,
    ))
}
