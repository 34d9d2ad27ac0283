//! SLSA provenance predicates, summarised: v0.2
//! (`https://slsa.dev/provenance/v0.2`: `builder.id`, `buildType`,
//! `invocation.configSource`, `materials[]`, BuildKit's
//! `metadata."https://mobyproject.org/buildkit@v1#metadata".vcs`) and v1
//! (`https://slsa.dev/provenance/v1`: `runDetails.builder.id`,
//! `buildDefinition.buildType`, `externalParameters`,
//! `resolvedDependencies[]`).
//!
//! The source is where the build says its input came from, in this order:
//! the config source (`uri`, and `digest.sha1` or `gitCommit`, the commit),
//! BuildKit's VCS metadata, GitHub's `workflow.repository`, else the first
//! `git+` material. A claim, like everything in provenance: nothing here
//! proves the build ran that way.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::error::SupplyError;
use super::intoto::predicate;
use crate::oci::Digest;

/// `predicateType` of SLSA provenance v0.2.
pub const SLSA_V02: &str = "https://slsa.dev/provenance/v0.2";
/// `predicateType` of SLSA provenance v1.
pub const SLSA_V1: &str = "https://slsa.dev/provenance/v1";

const WHAT: &str = "SLSA provenance";
const BUILDKIT_METADATA: &str = "https://mobyproject.org/buildkit@v1#metadata";

/// Which SLSA provenance version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlsaVersion {
    /// v0.2.
    V0_2,
    /// v1.
    V1,
}

/// Where the build's source came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The repository URI as written (`https://github.com/org/app.git`).
    pub repository: String,
    /// The commit, when the provenance gives one.
    pub commit: Option<String>,
}

/// One input of the build (a base image, a git checkout).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Material {
    /// Its URI (`pkg:docker/alpine@3.20?platform=linux%2Famd64`).
    pub uri: String,
    /// Its digests (`sha256` → hex), as written.
    pub digest: BTreeMap<String, String>,
}

/// What a provenance predicate says, in short.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// The SLSA version.
    pub version: SlsaVersion,
    /// The builder's id (`https://github.com/docker/buildx@v0.12.0`).
    pub builder: Option<String>,
    /// The build type URI.
    pub build_type: Option<String>,
    /// The source repository and commit.
    pub source: Option<Source>,
    /// The materials (v0.2) or resolved dependencies (v1).
    pub materials: Vec<Material>,
}

#[derive(Deserialize)]
struct WireBuilder {
    id: Option<String>,
}

#[derive(Deserialize)]
struct WireMaterial {
    uri: Option<String>,
    #[serde(default)]
    digest: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V02 {
    builder: Option<WireBuilder>,
    build_type: Option<String>,
    invocation: Option<V02Invocation>,
    metadata: Option<BTreeMap<String, Value>>,
    #[serde(default)]
    materials: Vec<WireMaterial>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V02Invocation {
    config_source: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V1 {
    build_definition: V1Definition,
    run_details: Option<V1Run>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V1Definition {
    build_type: Option<String>,
    external_parameters: Option<Value>,
    #[serde(default)]
    resolved_dependencies: Vec<WireMaterial>,
}

#[derive(Deserialize)]
struct V1Run {
    builder: Option<WireBuilder>,
}

/// Reads the provenance predicate of a statement whose `predicateType` is
/// `predicate_type` (one of [`SLSA_V02`], [`SLSA_V1`]).
pub(crate) fn parse(
    document: &Digest,
    predicate_type: &str,
    bytes: &[u8],
) -> Result<Provenance, SupplyError> {
    if predicate_type == SLSA_V02 {
        let p: V02 = predicate(WHAT, document, bytes)?;
        let materials = materials(p.materials);
        let source = p
            .invocation
            .and_then(|i| i.config_source)
            .as_ref()
            .and_then(config_source)
            .or_else(|| {
                let vcs = p.metadata.as_ref()?.get(BUILDKIT_METADATA)?.get("vcs")?;
                Some(Source {
                    repository: text(vcs.get("source")?)?,
                    commit: vcs.get("revision").and_then(text),
                })
            })
            .or_else(|| git_material(&materials));
        return Ok(Provenance {
            version: SlsaVersion::V0_2,
            builder: p.builder.and_then(|b| b.id),
            build_type: p.build_type,
            source,
            materials,
        });
    }
    let p: V1 = predicate(WHAT, document, bytes)?;
    let materials = materials(p.build_definition.resolved_dependencies);
    let external = p.build_definition.external_parameters;
    let source = external
        .as_ref()
        .and_then(|e| e.get("configSource"))
        .and_then(config_source)
        .or_else(|| {
            let repository = text(external.as_ref()?.get("workflow")?.get("repository")?)?;
            let commit = git_material(&materials).and_then(|s| s.commit);
            Some(Source { repository, commit })
        })
        .or_else(|| git_material(&materials));
    Ok(Provenance {
        version: SlsaVersion::V1,
        builder: p.run_details.and_then(|r| r.builder).and_then(|b| b.id),
        build_type: p.build_definition.build_type,
        source,
        materials,
    })
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

fn commit_of(digest: &Value) -> Option<String> {
    digest
        .get("gitCommit")
        .or_else(|| digest.get("sha1"))
        .and_then(text)
}

/// `{uri, digest: {sha1 | gitCommit}}`.
fn config_source(v: &Value) -> Option<Source> {
    Some(Source {
        repository: text(v.get("uri")?)?,
        commit: v.get("digest").and_then(commit_of),
    })
}

fn git_material(materials: &[Material]) -> Option<Source> {
    let m = materials.iter().find(|m| m.uri.starts_with("git+"))?;
    Some(Source {
        repository: m.uri.clone(),
        commit: m
            .digest
            .get("gitCommit")
            .or_else(|| m.digest.get("sha1"))
            .cloned(),
    })
}

fn materials(wire: Vec<WireMaterial>) -> Vec<Material> {
    wire.into_iter()
        .map(|m| Material {
            uri: m.uri.unwrap_or_default(),
            digest: m.digest,
        })
        .collect()
}
