//! The image configuration (`application/vnd.oci.image.config.v1+json`,
//! Docker's `application/vnd.docker.container.image.v1+json`): what
//! `docker image inspect` shows.
//!
//! Rules implemented (OCI `config.md`, `config-schema.json`, and the Go checks
//! of image-spec's `schema/validator.go`): `architecture`, `os` and `rootfs`
//! are REQUIRED; `rootfs.type` is `layers`; `rootfs.diff_ids` are digests;
//! each `config.Env` entry matches `^[^=]+=.*$` (RE2: the value holds no
//! newline); `ExposedPorts` and `Volumes` are maps to objects; the types of
//! every other kept field are checked. `null` is accepted wherever Docker
//! writes it for "nothing" (`Cmd`, `Entrypoint`, `Env`, `Volumes`, `Labels`,
//! `OnBuild`…). `created` is kept as written; [`ImageConfig::created_time`]
//! parses it. Unknown fields (`container_config`, `Hostname`…) are dropped.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::oci::digest::{Digest, Verified};
use crate::oci::document::DocumentError;
use crate::oci::json::{check_size, decode_json, object_only};
use crate::oci::timestamp::{Timestamp, TimestampError};
use crate::oci::Platform;

const WHAT: &str = "image config";

/// Largest config we parse. Configs are small (kilobytes); 8 MiB leaves room
/// for images with thousands of history entries or labels.
pub const MAX_CONFIG_BYTES: usize = 8 << 20;

/// An image configuration: platform, creation, the container defaults and
/// the layer history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageConfig {
    digest: Digest,
    body: Body,
}

/// The document's fields, as deserialised.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(remote = "Self")]
struct Body {
    architecture: String,
    os: String,
    #[serde(default)]
    variant: Option<String>,
    #[serde(rename = "os.version", default)]
    os_version: Option<String>,
    #[serde(rename = "os.features", default)]
    os_features: Vec<String>,
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    author: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    config: ContainerConfig,
    rootfs: RootFs,
    #[serde(default, deserialize_with = "null_default")]
    history: Vec<History>,
}
object_only!(Body, "an image config object");

/// The container defaults (`config` in the document; Docker's `ContainerConfig`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(remote = "Self", rename_all = "PascalCase")]
pub struct ContainerConfig {
    #[serde(default)]
    user: Option<String>,
    #[serde(default, deserialize_with = "object_keys")]
    exposed_ports: BTreeSet<String>,
    #[serde(default, deserialize_with = "null_default")]
    env: Vec<EnvVar>,
    #[serde(default)]
    entrypoint: Option<Vec<String>>,
    #[serde(default)]
    cmd: Option<Vec<String>>,
    #[serde(default, deserialize_with = "object_keys")]
    volumes: BTreeSet<String>,
    #[serde(default)]
    working_dir: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    stop_signal: Option<String>,
    #[serde(default)]
    args_escaped: Option<bool>,
    #[serde(default)]
    healthcheck: Option<Healthcheck>,
    #[serde(default, deserialize_with = "null_default")]
    on_build: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    shell: Vec<String>,
}
object_only!(ContainerConfig, "a container config object");

/// `HEALTHCHECK` settings. Durations are Go `time.Duration`s: nanoseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(remote = "Self", rename_all = "PascalCase")]
pub struct Healthcheck {
    #[serde(default, deserialize_with = "null_default")]
    test: Vec<String>,
    #[serde(default)]
    interval: Option<i64>,
    #[serde(default)]
    timeout: Option<i64>,
    #[serde(default)]
    start_period: Option<i64>,
    #[serde(default)]
    start_interval: Option<i64>,
    #[serde(default)]
    retries: Option<i64>,
}
object_only!(Healthcheck, "a healthcheck object");

/// `rootfs`: the uncompressed layer digests, base first.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(remote = "Self")]
struct RootFs {
    #[serde(rename = "type")]
    kind: RootFsType,
    diff_ids: Vec<Digest>,
}
object_only!(RootFs, "a rootfs object");

/// `rootfs.type`, whose only value is `layers`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RootFsType;

impl<'de> Deserialize<'de> for RootFsType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<RootFsType, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        if s != "layers" {
            return Err(serde::de::Error::custom(format!(
                "rootfs type must be \"layers\", got {s:?}"
            )));
        }
        Ok(RootFsType)
    }
}

/// One `history` entry: the build step that made (or did not make) a layer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(remote = "Self")]
pub struct History {
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    created_by: Option<String>,
    #[serde(default)]
    author: Option<String>,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default)]
    empty_layer: bool,
}
object_only!(History, "a history object");

/// One `Env` entry, `NAME=value`, checked like image-spec's validator.
#[derive(Debug, Clone, PartialEq, Eq)]
struct EnvVar(String);

impl<'de> Deserialize<'de> for EnvVar {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<EnvVar, D::Error> {
        let s = String::deserialize(d)?;
        // ^[^=]+=.*$ in RE2: a non-empty name before the first '=', and no
        // newline after it ('.' does not match '\n').
        let ok = match s.find('=') {
            Some(i) => i > 0 && !s[i + 1..].contains('\n'),
            None => false,
        };
        if !ok {
            return Err(serde::de::Error::custom(format!(
                "env entry {s:?} is not NAME=value (must match ^[^=]+=.*$)"
            )));
        }
        Ok(EnvVar(s))
    }
}

/// Treats JSON `null` as the type's default (Go writes nil slices and maps as `null`).
fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Reads a `mapStringObject` (`{"8080/tcp": {}}`) or `null` into its keys;
/// the values must be objects, whose contents mean nothing.
fn object_keys<'de, D: serde::Deserializer<'de>>(d: D) -> Result<BTreeSet<String>, D::Error> {
    let map: Option<BTreeMap<String, AnyObject>> = Option::deserialize(d)?;
    Ok(crate::sort::set_of(map.unwrap_or_default().into_keys()))
}

/// Any JSON object, contents ignored.
struct AnyObject;

impl<'de> Deserialize<'de> for AnyObject {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<AnyObject, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = AnyObject;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<AnyObject, A::Error> {
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(AnyObject)
            }
        }
        d.deserialize_map(V)
    }
}

/// A history entry together with the layer it produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryStep<'a> {
    /// The history entry.
    pub history: &'a History,
    /// Its position in `history`.
    pub position: usize,
    /// The index (into `rootfs.diff_ids` and the manifest's `layers`) of the
    /// layer this step made; `None` for an empty layer, or when the history
    /// lists more non-empty steps than there are layers.
    pub layer: Option<usize>,
}

impl ImageConfig {
    /// Parses a verified config blob. Its digest becomes the image ID.
    pub fn parse(bytes: &Verified) -> Result<ImageConfig, DocumentError> {
        check_size(WHAT, bytes.bytes(), MAX_CONFIG_BYTES)?;
        let body: Body = decode_json(WHAT, bytes.bytes())?;
        Ok(ImageConfig {
            digest: bytes.digest().clone(),
            body,
        })
    }

    /// The config's digest: Docker's image ID.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The CPU architecture (`amd64`).
    pub fn architecture(&self) -> &str {
        &self.body.architecture
    }

    /// The operating system (`linux`).
    pub fn os(&self) -> &str {
        &self.body.os
    }

    /// The CPU variant (`v8`), if given.
    pub fn variant(&self) -> Option<&str> {
        self.body.variant.as_deref().filter(|v| !v.is_empty())
    }

    /// The OS version (Windows), if given.
    pub fn os_version(&self) -> Option<&str> {
        self.body.os_version.as_deref().filter(|v| !v.is_empty())
    }

    /// Required OS features.
    pub fn os_features(&self) -> &[String] {
        &self.body.os_features
    }

    /// The platform the config declares, to compare with the index entry that led here.
    pub fn platform(&self) -> Platform {
        let mut p = Platform::new(&self.body.os, &self.body.architecture)
            .with_os_features(self.body.os_features.clone());
        if let Some(v) = self.variant() {
            p = p.with_variant(v);
        }
        if let Some(v) = self.os_version() {
            p = p.with_os_version(v);
        }
        p
    }

    /// `created`, exactly as written.
    pub fn created(&self) -> Option<&str> {
        self.body.created.as_deref()
    }

    /// `created` as an instant; `None` when absent, an error when not RFC 3339.
    pub fn created_time(&self) -> Option<Result<Timestamp, TimestampError>> {
        self.body.created.as_deref().map(Timestamp::parse_rfc3339)
    }

    /// The author, if given.
    pub fn author(&self) -> Option<&str> {
        self.body.author.as_deref()
    }

    /// The container defaults.
    pub fn config(&self) -> &ContainerConfig {
        &self.body.config
    }

    /// The uncompressed layer digests, base first: each must match the
    /// corresponding layer's scanned tar stream.
    pub fn diff_ids(&self) -> &[Digest] {
        &self.body.rootfs.diff_ids
    }

    /// The build history, oldest first.
    pub fn history(&self) -> &[History] {
        &self.body.history
    }

    /// Each history entry with the layer it made: non-empty entries take
    /// successive `diff_ids` (that is how Docker and BuildKit write them).
    pub fn history_steps(&self) -> Vec<HistoryStep<'_>> {
        let mut next = 0usize;
        self.body
            .history
            .iter()
            .enumerate()
            .map(|(position, history)| {
                let layer = if history.empty_layer {
                    None
                } else {
                    let i = next;
                    next += 1;
                    (i < self.body.rootfs.diff_ids.len()).then_some(i)
                };
                HistoryStep {
                    history,
                    position,
                    layer,
                }
            })
            .collect()
    }

    /// The history entry that made layer `layer`, if the history records it.
    pub fn layer_history(&self, layer: usize) -> Option<&History> {
        self.history_steps()
            .into_iter()
            .find(|s| s.layer == Some(layer))
            .map(|s| s.history)
    }

    /// Whether the history's non-empty entries and `diff_ids` correspond one
    /// to one (when false, the per-layer history shown is a best effort).
    pub fn history_matches_layers(&self) -> bool {
        let non_empty = self.body.history.iter().filter(|h| !h.empty_layer).count();
        self.body.history.is_empty() || non_empty == self.body.rootfs.diff_ids.len()
    }
}

impl ContainerConfig {
    /// `User`, if set.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// `ExposedPorts` (`8080/tcp`), sorted.
    pub fn exposed_ports(&self) -> impl Iterator<Item = &str> {
        self.exposed_ports.iter().map(String::as_str)
    }

    /// `Env`, each `NAME=value`, in order.
    pub fn env(&self) -> impl Iterator<Item = &str> {
        self.env.iter().map(|e| e.0.as_str())
    }

    /// `Env` split at the first `=` into name and value.
    pub fn env_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.env
            .iter()
            .map(|e| e.0.split_once('=').unwrap_or((e.0.as_str(), "")))
    }

    /// `Entrypoint` (`None` when absent or `null`).
    pub fn entrypoint(&self) -> Option<&[String]> {
        self.entrypoint.as_deref()
    }

    /// `Cmd` (`None` when absent or `null`).
    pub fn cmd(&self) -> Option<&[String]> {
        self.cmd.as_deref()
    }

    /// `Volumes`, sorted.
    pub fn volumes(&self) -> impl Iterator<Item = &str> {
        self.volumes.iter().map(String::as_str)
    }

    /// `WorkingDir`, if set.
    pub fn working_dir(&self) -> Option<&str> {
        self.working_dir.as_deref()
    }

    /// `Labels`, sorted by key.
    pub fn labels(&self) -> &BTreeMap<String, String> {
        &self.labels
    }

    /// `StopSignal`, if set.
    pub fn stop_signal(&self) -> Option<&str> {
        self.stop_signal.as_deref()
    }

    /// `ArgsEscaped` (Windows), if set.
    pub fn args_escaped(&self) -> Option<bool> {
        self.args_escaped
    }

    /// `Healthcheck`, if set.
    pub fn healthcheck(&self) -> Option<&Healthcheck> {
        self.healthcheck.as_ref()
    }

    /// `OnBuild` triggers.
    pub fn on_build(&self) -> &[String] {
        &self.on_build
    }

    /// `Shell` (for `RUN` in shell form), if set.
    pub fn shell(&self) -> &[String] {
        &self.shell
    }
}

impl Healthcheck {
    /// `Test` (`["CMD-SHELL", "curl -f http://localhost/"]`, or `["NONE"]`).
    pub fn test(&self) -> &[String] {
        &self.test
    }

    /// `Interval` in nanoseconds.
    pub fn interval(&self) -> Option<i64> {
        self.interval
    }

    /// `Timeout` in nanoseconds.
    pub fn timeout(&self) -> Option<i64> {
        self.timeout
    }

    /// `StartPeriod` in nanoseconds.
    pub fn start_period(&self) -> Option<i64> {
        self.start_period
    }

    /// `StartInterval` in nanoseconds.
    pub fn start_interval(&self) -> Option<i64> {
        self.start_interval
    }

    /// `Retries`.
    pub fn retries(&self) -> Option<i64> {
        self.retries
    }
}

impl History {
    /// `created`, exactly as written.
    pub fn created(&self) -> Option<&str> {
        self.created.as_deref()
    }

    /// `created` as an instant; `None` when absent.
    pub fn created_time(&self) -> Option<Result<Timestamp, TimestampError>> {
        self.created.as_deref().map(Timestamp::parse_rfc3339)
    }

    /// `created_by`: the build step (`/bin/sh -c apk add curl`).
    pub fn created_by(&self) -> Option<&str> {
        self.created_by.as_deref()
    }

    /// `author`, if given.
    pub fn author(&self) -> Option<&str> {
        self.author.as_deref()
    }

    /// `comment`, if given (BuildKit writes `buildkit.dockerfile.v0`).
    pub fn comment(&self) -> Option<&str> {
        self.comment.as_deref()
    }

    /// `empty_layer`: the step changed metadata only and made no layer.
    pub fn empty_layer(&self) -> bool {
        self.empty_layer
    }
}
